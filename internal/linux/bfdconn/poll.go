package bfdconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// maxDrain bounds the packets read from one socket per Wait, so that a
// flood on one listener cannot hold the loop away from its timers.
const maxDrain = 64

// Poller sleeps the BFD loop on the thread that calls Wait: one ppoll(2)
// over an eventfd (Kick) and every listener's socket, then non-blocking
// reads of what arrived. Nothing goes through Go's network poller or
// timers, whose wake-ups run on ordinary threads: a real-time loop thread
// is woken by the kernel itself when a packet arrives or its timeout ends.
//
// Wait belongs to one thread; Kick may be called from any goroutine. The
// listeners must stay open while Wait may run (close them after the loop
// has returned), and must not be read by Recv meanwhile.
type Poller struct {
	efd  int
	ls   []*Listener
	rcs  []syscall.RawConn
	fds  []unix.PollFd
	buf  []byte
	oob  []byte
	ebuf [8]byte
}

// NewPoller returns a poller over ls.
func NewPoller(ls []*Listener) (*Poller, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("bfdconn: eventfd: %w", err)
	}
	// The ancillary data: TTL/hop limit and packet info, well under 256 bytes.
	p := &Poller{efd: efd, ls: ls, buf: make([]byte, 512), oob: make([]byte, 256)}
	p.fds = append(p.fds, unix.PollFd{Fd: int32(efd), Events: unix.POLLIN})
	for _, l := range ls {
		rc, err := l.uc.SyscallConn()
		if err != nil {
			unix.Close(efd)
			return nil, fmt.Errorf("bfdconn: poller: %w", err)
		}
		var fd int32
		if err := rc.Control(func(f uintptr) { fd = int32(f) }); err != nil {
			unix.Close(efd)
			return nil, fmt.Errorf("bfdconn: poller: %w", err)
		}
		p.rcs = append(p.rcs, rc)
		p.fds = append(p.fds, unix.PollFd{Fd: fd, Events: unix.POLLIN})
	}
	return p, nil
}

// Kick makes the current or next Wait return.
func (p *Poller) Kick() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(p.efd, one[:])
}

// Close releases the eventfd (not the listeners).
func (p *Poller) Close() error { return unix.Close(p.efd) }

// Wait sleeps until timeout has passed (negative: no timeout), a Kick, or
// a packet; then it reads every waiting packet (at most maxDrain per
// listener) and calls fn for each, with the payload valid only during the
// call. A packet that did not fit, or whose addresses cannot be read, is
// passed to bad (when not nil) with the reason.
func (p *Poller) Wait(timeout time.Duration, fn func(payload []byte, m Meta), bad func(error)) {
	var tsp *unix.Timespec
	if timeout >= 0 {
		ts := unix.NsecToTimespec(int64(timeout))
		tsp = &ts
	}
	for i := range p.fds {
		p.fds[i].Revents = 0
	}
	for {
		_, err := unix.Ppoll(p.fds, tsp, nil)
		if err != unix.EINTR {
			break
		}
	}
	if p.fds[0].Revents != 0 {
		_, _ = unix.Read(p.efd, p.ebuf[:])
	}
	for i, l := range p.ls {
		if p.fds[i+1].Revents == 0 {
			continue
		}
		for range maxDrain {
			n, m, err := p.tryRecv(i, l)
			if errors.Is(err, unix.EAGAIN) || IsClosed(err) {
				break
			}
			if err != nil {
				if bad != nil {
					bad(err)
				}
				continue
			}
			fn(p.buf[:n], m)
		}
	}
}

// tryRecv reads one packet from listener i without blocking (EAGAIN: none).
func (p *Poller) tryRecv(i int, l *Listener) (int, Meta, error) {
	var n, oobn, flags int
	var from unix.Sockaddr
	var rerr error
	err := p.rcs[i].Read(func(fd uintptr) bool {
		n, oobn, flags, from, rerr = unix.Recvmsg(int(fd), p.buf, p.oob, unix.MSG_DONTWAIT)
		return true
	})
	m := Meta{TTL: -1}
	if err != nil {
		return 0, m, err
	}
	if rerr != nil {
		return 0, m, rerr
	}
	switch sa := from.(type) {
	case *unix.SockaddrInet4:
		m.Src = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		m.Src = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	default:
		return 0, m, fmt.Errorf("bfdconn: packet from an unknown address kind %T", from)
	}
	port := uint16(l.Port())
	if l.p6 != nil {
		var cm ipv6.ControlMessage
		if err := cm.Parse(p.oob[:oobn]); err == nil {
			m.TTL, m.IfIndex = cm.HopLimit, cm.IfIndex
			if d, ok := netip.AddrFromSlice(cm.Dst); ok {
				m.Dst = netip.AddrPortFrom(d.Unmap(), port)
			}
		}
	} else {
		var cm ipv4.ControlMessage
		if err := cm.Parse(p.oob[:oobn]); err == nil {
			m.TTL, m.IfIndex = cm.TTL, cm.IfIndex
			if d, ok := netip.AddrFromSlice(cm.Dst); ok {
				m.Dst = netip.AddrPortFrom(d.Unmap(), port)
			}
		}
	}
	if flags&unix.MSG_TRUNC != 0 || n == len(p.buf) {
		return 0, m, ErrTruncated
	}
	return n, m, nil
}
