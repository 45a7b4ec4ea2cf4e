package vrrpconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Out is one message of SendBatch: a VRRP message (no IP header) sent from
// Src (invalid: the kernel's choice) to Dst.
type Out struct {
	Payload  []byte
	Src, Dst netip.Addr
}

// Batched send. The adverts of every instance whose timer fired in the same
// tick leave with one sendmmsg(2) per socket: one system call instead of
// one per advert, and the peer's reader finds them queued together and
// reads them with one recvmmsg(2). The message headers, addresses and
// control messages live in the Conn (under the send lock), so a batch
// allocates nothing once the arrays have grown.

// pktinfoSpace is the room for one IP_PKTINFO / IPV6_PKTINFO control message.
var pktinfoSpace = unix.CmsgSpace(20)

// SendBatch sends every message and sets errs[i] (len(errs) >= len(msgs))
// to nil or to why message i was not sent, wrapped as Send's errors are.
// It is safe for concurrent use with Send and Recv.
func (c *Conn) SendBatch(msgs []Out, errs []error) {
	for _, m := range msgs {
		if !familyOK(c.cfg.Family, m.Dst.WithZone("")) || (m.Src.IsValid() && !familyOK(c.cfg.Family, m.Src)) {
			// Not all for this socket: each message on its own, with its error.
			for i, m := range msgs {
				errs[i] = c.SendFrom(m.Payload, m.Src, m.Dst)
			}
			return
		}
	}
	c.smu.Lock()
	defer c.smu.Unlock()
	c.grow(len(msgs))
	for i, m := range msgs {
		h := &c.bhdrs[i]
		*h = mmsghdr{}
		if len(m.Payload) > 0 {
			c.biovs[i].Base = &m.Payload[0]
		} else {
			c.biovs[i].Base = nil
		}
		c.biovs[i].SetLen(len(m.Payload))
		h.hdr.Iov = &c.biovs[i]
		h.hdr.SetIovlen(1)
		oob := c.boob[i*pktinfoSpace : (i+1)*pktinfoSpace]
		n := c.pktinfo(oob, m.Src)
		h.hdr.Control = &oob[0]
		h.hdr.SetControllen(n)
		if c.cfg.Family == IPv4 {
			c.bsa4[i] = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: m.Dst.As4()}
			h.hdr.Name = (*byte)(unsafe.Pointer(&c.bsa4[i]))
			h.hdr.Namelen = unix.SizeofSockaddrInet4
		} else {
			c.bsa6[i] = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: m.Dst.As16()}
			h.hdr.Name = (*byte)(unsafe.Pointer(&c.bsa6[i]))
			h.hdr.Namelen = unix.SizeofSockaddrInet6
		}
	}
	for i := 0; i < len(msgs); {
		c.bfrom, c.bto = i, len(msgs)
		err := c.raw.Write(c.batchFn)
		if err == nil {
			err = c.berr
		}
		for j := i; j < i+c.bn; j++ {
			errs[j] = nil
		}
		i += c.bn
		if err != nil && i < len(msgs) {
			// The kernel refused message i: report it, go on with the rest.
			errs[i] = fmt.Errorf("vrrpconn: send to %v on %s: %w", msgs[i].Dst, c.ifi.Name, err)
			i++
		}
	}
	for i := range msgs {
		c.biovs[i].Base = nil
		c.bhdrs[i] = mmsghdr{}
	}
}

// grow makes the batch arrays hold n messages.
func (c *Conn) grow(n int) {
	if len(c.bhdrs) >= n {
		return
	}
	n = max(n, 2*len(c.bhdrs))
	c.bhdrs = make([]mmsghdr, n)
	c.biovs = make([]unix.Iovec, n)
	c.boob = make([]byte, n*pktinfoSpace)
	if c.cfg.Family == IPv4 {
		c.bsa4 = make([]unix.RawSockaddrInet4, n)
	} else {
		c.bsa6 = make([]unix.RawSockaddrInet6, n)
	}
}

// pktinfo writes the IP_PKTINFO / IPV6_PKTINFO message that pins the
// interface and, when src is valid, the source address (as controlFor
// does) into oob and returns its length.
func (c *Conn) pktinfo(oob []byte, src netip.Addr) int {
	clear(oob)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	data := oob[unix.CmsgLen(0):]
	if c.cfg.Family == IPv4 {
		// struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
		h.SetLen(unix.CmsgLen(12))
		binary.NativeEndian.PutUint32(data, uint32(c.ifi.Index))
		if src.IsValid() {
			a := src.As4()
			copy(data[4:8], a[:])
		}
		return unix.CmsgSpace(12)
	}
	// struct in6_pktinfo { in6_addr ipi6_addr; int ipi6_ifindex; }
	h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
	h.SetLen(unix.CmsgLen(20))
	if src.IsValid() {
		a := src.As16()
		copy(data[:16], a[:])
	}
	binary.NativeEndian.PutUint32(data[16:], uint32(c.ifi.Index))
	return unix.CmsgSpace(20)
}

// sendmmsg is the RawConn write callback of SendBatch: one sendmmsg(2) of
// messages bfrom..bto-1; bn is how many left, berr why the next did not.
func (c *Conn) sendmmsg(fd uintptr) bool {
	n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&c.bhdrs[c.bfrom])), uintptr(c.bto-c.bfrom), 0, 0, 0)
	if errno == unix.EAGAIN {
		return false
	}
	c.bn, c.berr = 0, nil
	if errno != 0 {
		c.berr = errno
		return true
	}
	c.bn = int(n)
	if c.bn == 0 {
		c.berr = errors.New("sendmmsg sent nothing")
	}
	return true
}
