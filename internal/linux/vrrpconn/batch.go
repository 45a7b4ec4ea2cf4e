package vrrpconn

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batched receive. One recvmmsg(2) reads every packet waiting on the
// socket, up to the Batch's size, into buffers kept in the Batch: at 1,000
// instances a socket per interface receives hundreds of adverts a second,
// and one system call (and one wake-up of the reader) per packet was the
// largest cost of the receive path (docs/benchmarks.md, "Scale").
//
// x/net's ipv4/ipv6 PacketConn.ReadBatch issues the same system call, but
// allocates a net.Addr for every message it returns; RecvBatch fills the
// mmsghdr array itself, as Recv does its msghdr, and allocates nothing.

// BatchSlotSize is the buffer of one packet in a Batch: an IPv4 header with
// options and the largest VRRP message (255 IPv6 addresses) fit.
const BatchSlotSize = 60 + 8 + 255*16 + 8

// mmsghdr is struct mmsghdr: a msghdr and the length received (Go pads it
// as C does).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// A Batch holds the buffers of RecvBatch. After RecvBatch returns, packets
// 0..Len()-1 are valid (Packet) until the next RecvBatch on the Batch. A
// Batch is used by one goroutine at a time.
type Batch struct {
	store []byte
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	oobs  []byte
	names []unix.RawSockaddrInet6

	n         int
	payload   [][]byte // per packet: the VRRP message (IP header removed)
	meta      []Meta
	truncated int

	readFn func(fd uintptr) bool
	rn     int
	rerr   error
}

const batchOOB = 128

// NewBatch returns a Batch of size packets (at least 1).
func NewBatch(size int) *Batch {
	size = max(size, 1)
	b := &Batch{
		store:   make([]byte, size*BatchSlotSize),
		hdrs:    make([]mmsghdr, size),
		iovs:    make([]unix.Iovec, size),
		oobs:    make([]byte, size*batchOOB),
		names:   make([]unix.RawSockaddrInet6, size),
		payload: make([][]byte, size),
		meta:    make([]Meta, size),
	}
	b.readFn = b.recvmmsg
	return b
}

// Len is the number of packets the last RecvBatch returned.
func (b *Batch) Len() int { return b.n }

// Packet returns packet i of the last RecvBatch: the VRRP message (no IP
// header) and how it arrived.
func (b *Batch) Packet(i int) ([]byte, Meta) { return b.payload[i], b.meta[i] }

// Truncated is how many packets the last RecvBatch dropped because they did
// not fit in a slot (not among the Len() returned).
func (b *Batch) Truncated() int { return b.truncated }

// recvmmsg is the RawConn read callback: one recvmmsg(2) into the Batch.
func (b *Batch) recvmmsg(fd uintptr) bool {
	for i := range b.hdrs {
		slot := b.store[i*BatchSlotSize : (i+1)*BatchSlotSize]
		b.iovs[i].Base = &slot[0]
		b.iovs[i].SetLen(len(slot))
		b.names[i] = unix.RawSockaddrInet6{}
		h := &b.hdrs[i]
		*h = mmsghdr{}
		h.hdr.Iov = &b.iovs[i]
		h.hdr.SetIovlen(1)
		h.hdr.Control = &b.oobs[i*batchOOB]
		h.hdr.SetControllen(batchOOB)
		h.hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.hdr.Namelen = unix.SizeofSockaddrInet6
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)),
		unix.MSG_DONTWAIT, 0, 0)
	if errno == unix.EAGAIN {
		return false
	}
	b.rn, b.rerr = int(n), nil
	if errno != 0 {
		b.rn, b.rerr = 0, errno
	}
	return true
}

// RecvBatch reads every packet waiting, up to the Batch's size, blocking
// until there is at least one (or, after a packet too large for a slot,
// returning none: see Truncated). Errors are Recv's. Like Recv it must be
// called from one goroutine at a time.
func (c *Conn) RecvBatch(b *Batch) error {
	b.n, b.truncated = 0, 0
	if c.closing.Load() {
		return net.ErrClosed
	}
	err := c.raw.Read(b.readFn)
	if err == nil {
		err = b.rerr
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
			return err
		}
		return fmt.Errorf("vrrpconn: receive on %s: %w", c.ifi.Name, err)
	}
	for i := range b.rn {
		h := &b.hdrs[i]
		if h.hdr.Flags&unix.MSG_TRUNC != 0 {
			b.truncated++
			continue
		}
		buf := b.store[i*BatchSlotSize : i*BatchSlotSize+int(h.len)]
		oob := b.oobs[i*batchOOB : i*batchOOB+int(h.hdr.Controllen)]
		m := Meta{TTL: -1}
		if c.cfg.Family == IPv4 {
			hlen, src, dst, ttl, err := parseIPv4Header(buf)
			if err != nil {
				continue // not a packet we can describe; the kernel never does this
			}
			m.Src, m.Dst, m.TTL = src, dst, ttl
			buf = buf[hlen:]
		} else if b.names[i].Family == unix.AF_INET6 {
			m.Src = netip.AddrFrom16(b.names[i].Addr)
		}
		parseControl(oob, &m)
		c.noteDrops(m.Drops)
		b.payload[b.n], b.meta[b.n] = buf, m
		b.n++
	}
	return nil
}
