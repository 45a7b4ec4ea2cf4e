// Package vrrpconn is the kernel side of VRRP's wire: raw IPPROTO_VRRP (112)
// sockets for IPv4 and IPv6, one per interface and family, shared by every
// instance on that interface (the daemon demultiplexes by VRID).
//
// A Conn is bound to its interface with SO_BINDTODEVICE, so two interfaces
// never see each other's adverts, and joins the configured multicast groups
// (224.0.0.18 / ff02::12 by default) on that interface only; IP_MULTICAST_ALL
// and IPV6_MULTICAST_ALL are turned off so groups joined by other sockets do
// not leak in. It sends like keepalived: TTL / hop limit 255 for unicast and
// multicast, multicast loopback off, TOS / traffic class 0xc0 (DSCP CS6), DF
// clear on IPv4, and the source address given in Config (unicast_src_ip or
// the interface primary) through IP_PKTINFO / IPV6_PKTINFO, or the kernel's
// choice when none is given (the primary IPv4 address, the IPv6 link-local).
//
// Checksums. For IPv4 the payload goes out as given: the codec computes the
// VRRP checksum (v3 with or without pseudo-header, as configured) and the
// kernel does not check it on receive. For IPv6 the socket sets IPV6_CHECKSUM
// at offset 6, as keepalived does: the kernel writes the RFC 8200
// pseudo-header checksum into bytes 6-7 of every sent payload (whatever the
// codec put there is overwritten), and drops received packets whose checksum
// is wrong before Recv sees them (visible only in the socket's drop counter,
// /proc/net/raw6). This keeps the checksum right whatever source address the
// kernel picks, at the price of not counting bad IPv6 checksums ourselves.
//
// Recv reports source, destination, TTL / hop limit and the arrival
// interface. The TTL is reported, not checked: validation belongs to the
// pure VRRP code. On IPv4 the values come from the IP header itself (the
// raw socket delivers it; Recv strips it) and IP_PKTINFO; on IPv6 from
// IPV6_PKTINFO and IPV6_HOPLIMIT.
//
// Recv and Send do not allocate (they issue recvmsg(2) / sendmsg(2) with
// buffers kept in the Conn; SendFrom allocates its control message), nor do
// their batched forms RecvBatch (recvmmsg(2) into a Batch) and SendBatch
// (sendmmsg(2)). Recv and RecvBatch must be called from one goroutine at a
// time; Send, SendFrom and SendBatch are safe for concurrent use (serialised
// by a lock only senders share) and may run concurrently with Recv. The
// socket counts receive-queue overruns (SO_RXQ_OVFL, Drops).
package vrrpconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// Config describes one VRRP socket.
type Config struct {
	// Interface is the device the socket is bound to and sends from. Required.
	Interface string
	// Family is IPv4 or IPv6. Required.
	Family Family
	// Groups are the multicast groups joined on Interface: usually
	// DefaultGroup(Family), or keepalived's mcast_dst_ip. Empty for a
	// unicast-only socket (unicast packets to local addresses arrive either way).
	Groups []netip.Addr
	// Src is the source address Send uses (unicast_src_ip or the interface
	// primary address). Invalid (zero) lets the kernel choose.
	Src netip.Addr
	// TOS is the IPv4 TOS / IPv6 traffic class; 0 means DefaultTOS.
	TOS uint8
}

func (c Config) validate() error {
	if c.Interface == "" {
		return errors.New("vrrpconn: no interface")
	}
	if c.Family != IPv4 && c.Family != IPv6 {
		return fmt.Errorf("vrrpconn: unknown family %v", c.Family)
	}
	if c.Src.IsValid() && !familyOK(c.Family, c.Src) {
		return fmt.Errorf("vrrpconn: source %v is not %v", c.Src, c.Family)
	}
	for _, g := range c.Groups {
		if !familyOK(c.Family, g) || !g.IsMulticast() {
			return fmt.Errorf("vrrpconn: group %v is not an %v multicast address", g, c.Family)
		}
	}
	return nil
}

func familyOK(f Family, a netip.Addr) bool {
	if f == IPv4 {
		return a.Is4()
	}
	return a.Is6() && !a.Is4In6()
}

// Conn is an open VRRP socket on one interface for one family.
type Conn struct {
	cfg   Config
	ifi   *net.Interface
	ipc   *net.IPConn
	raw   syscall.RawConn
	p4    *ipv4.PacketConn
	p6    *ipv6.PacketConn
	defCM []byte // control message for sends from cfg.Src

	// closing is set by Close before it shuts the socket down, so a reader
	// woken by the shutdown returns net.ErrClosed instead of reading EOF.
	closing atomic.Bool

	// Receive state, reused by every Recv (hence one reader at a time).
	readFn func(fd uintptr) bool
	rbuf   []byte
	oob    []byte
	rmsg   unix.Msghdr
	riov   unix.Iovec
	rsa    unix.RawSockaddrInet6
	rn     int
	rerr   error

	// Send state, reused under smu so sending allocates nothing either.
	smu     sync.Mutex
	writeFn func(fd uintptr) bool
	smsg    unix.Msghdr
	siov    unix.Iovec
	ssa4    unix.RawSockaddrInet4
	ssa6    unix.RawSockaddrInet6
	spay    []byte
	soob    []byte
	sdst    netip.Addr
	serr    error

	// Batched send state (sendbatch.go), under smu.
	batchFn    func(fd uintptr) bool
	bhdrs      []mmsghdr
	biovs      []unix.Iovec
	boob       []byte
	bsa4       []unix.RawSockaddrInet4
	bsa6       []unix.RawSockaddrInet6
	bfrom, bto int
	bn         int
	berr       error

	// drops is the latest SO_RXQ_OVFL count a received packet carried.
	drops atomic.Uint32
}

// Open creates, configures and binds the socket described by cfg. It needs
// CAP_NET_RAW; the socket lives in the calling thread's network namespace.
func Open(cfg Config) (*Conn, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.TOS == 0 {
		cfg.TOS = DefaultTOS
	}
	cfg.Groups = append([]netip.Addr(nil), cfg.Groups...)
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("vrrpconn: %w", err)
	}
	network, laddr := "ip4:112", "0.0.0.0"
	if cfg.Family == IPv6 {
		network, laddr = "ip6:112", "::"
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = presetSocket(int(fd), cfg) })
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), network, laddr)
	if err != nil {
		return nil, fmt.Errorf("vrrpconn: open %s on %s: %w", network, cfg.Interface, err)
	}
	c := &Conn{cfg: cfg, ifi: ifi, ipc: pc.(*net.IPConn)}
	if err := c.setup(); err != nil {
		c.ipc.Close()
		return nil, fmt.Errorf("vrrpconn: %s %v: %w", cfg.Interface, cfg.Family, err)
	}
	return c, nil
}

// presetSocket sets the options that must be in place before bind.
func presetSocket(fd int, cfg Config) error {
	if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, cfg.Interface); err != nil {
		return fmt.Errorf("SO_BINDTODEVICE %s: %w", cfg.Interface, err)
	}
	// Count receive-queue overruns (reported with each packet; see Drops).
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); err != nil {
		return fmt.Errorf("SO_RXQ_OVFL: %w", err)
	}
	if cfg.Family == IPv4 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0); err != nil {
			return fmt.Errorf("IP_MULTICAST_ALL: %w", err)
		}
		// keepalived's adverts leave with DF clear.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DONT); err != nil {
			return fmt.Errorf("IP_MTU_DISCOVER: %w", err)
		}
		return nil
	}
	// IPV6_MULTICAST_ALL exists since Linux 4.20; older kernels lack it.
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0); err != nil && !errors.Is(err, unix.ENOPROTOOPT) {
		return fmt.Errorf("IPV6_MULTICAST_ALL: %w", err)
	}
	return nil
}

func (c *Conn) setup() error {
	raw, err := c.ipc.SyscallConn()
	if err != nil {
		return err
	}
	c.raw = raw
	c.oob = make([]byte, 128)
	c.readFn = c.recvmsg
	c.writeFn = c.sendmsg
	c.batchFn = c.sendmmsg
	if c.cfg.Family == IPv4 {
		p := ipv4.NewPacketConn(c.ipc)
		c.p4 = p
		steps := []struct {
			what string
			err  error
		}{
			{"TOS", p.SetTOS(int(c.cfg.TOS))},
			{"TTL", p.SetTTL(TTL)},
			{"multicast TTL", p.SetMulticastTTL(TTL)},
			{"multicast loopback", p.SetMulticastLoopback(false)},
			{"multicast interface", p.SetMulticastInterface(c.ifi)},
			{"control messages", p.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)},
		}
		for _, s := range steps {
			if s.err != nil {
				return fmt.Errorf("set %s: %w", s.what, s.err)
			}
		}
	} else {
		p := ipv6.NewPacketConn(c.ipc)
		c.p6 = p
		steps := []struct {
			what string
			err  error
		}{
			{"IPV6_CHECKSUM", p.SetChecksum(true, 6)},
			{"traffic class", p.SetTrafficClass(int(c.cfg.TOS))},
			{"hop limit", p.SetHopLimit(TTL)},
			{"multicast hop limit", p.SetMulticastHopLimit(TTL)},
			{"multicast loopback", p.SetMulticastLoopback(false)},
			{"multicast interface", p.SetMulticastInterface(c.ifi)},
			{"control messages", p.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface|ipv6.FlagHopLimit, true)},
		}
		for _, s := range steps {
			if s.err != nil {
				return fmt.Errorf("set %s: %w", s.what, s.err)
			}
		}
	}
	for _, g := range c.cfg.Groups {
		if err := c.JoinGroup(g); err != nil {
			return err
		}
	}
	c.defCM = c.controlFor(c.cfg.Src)
	return nil
}

// controlFor builds the IP_PKTINFO / IPV6_PKTINFO control message that pins
// the outgoing interface and, when src is valid, the source address.
func (c *Conn) controlFor(src netip.Addr) []byte {
	if c.cfg.Family == IPv4 {
		cm := &ipv4.ControlMessage{IfIndex: c.ifi.Index}
		if src.IsValid() {
			cm.Src = src.AsSlice()
		}
		return cm.Marshal()
	}
	cm := &ipv6.ControlMessage{IfIndex: c.ifi.Index}
	if src.IsValid() {
		cm.Src = src.AsSlice()
	}
	return cm.Marshal()
}

// JoinGroup joins a multicast group on the Conn's interface.
func (c *Conn) JoinGroup(g netip.Addr) error {
	if !familyOK(c.cfg.Family, g) || !g.IsMulticast() {
		return fmt.Errorf("vrrpconn: group %v is not an %v multicast address", g, c.cfg.Family)
	}
	var err error
	if c.p4 != nil {
		err = c.p4.JoinGroup(c.ifi, &net.IPAddr{IP: g.AsSlice()})
	} else {
		err = c.p6.JoinGroup(c.ifi, &net.IPAddr{IP: g.AsSlice()})
	}
	if err != nil {
		return fmt.Errorf("vrrpconn: join %v on %s: %w", g, c.ifi.Name, err)
	}
	return nil
}

// Send sends one VRRP message (no IP header) to dst, a multicast group or a
// unicast peer, from Config.Src.
func (c *Conn) Send(payload []byte, dst netip.Addr) error {
	return c.send(payload, c.defCM, dst)
}

// SendFrom is Send with an explicit source address, for instances that share
// the socket but have different unicast_src_ip. The address must be local.
func (c *Conn) SendFrom(payload []byte, src, dst netip.Addr) error {
	if src.IsValid() && !familyOK(c.cfg.Family, src) {
		return fmt.Errorf("vrrpconn: source %v is not %v", src, c.cfg.Family)
	}
	return c.send(payload, c.controlFor(src), dst)
}

// SendEach sends payload to every peer in turn (unicast mode) and returns
// the errors of the sends that failed, joined.
func (c *Conn) SendEach(payload []byte, peers []netip.Addr) error {
	var errs []error
	for _, p := range peers {
		if err := c.Send(payload, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Conn) send(payload, oob []byte, dst netip.Addr) error {
	if !familyOK(c.cfg.Family, dst.WithZone("")) {
		return fmt.Errorf("vrrpconn: destination %v is not %v", dst, c.cfg.Family)
	}
	c.smu.Lock()
	c.spay, c.soob, c.sdst = payload, oob, dst
	err := c.raw.Write(c.writeFn)
	if err == nil {
		err = c.serr
	}
	c.spay, c.soob, c.siov.Base, c.smsg.Control = nil, nil, nil, nil
	c.smu.Unlock()
	if err != nil {
		return fmt.Errorf("vrrpconn: send to %v on %s: %w", dst, c.ifi.Name, err)
	}
	return nil
}

// Recv reads one VRRP message into buf (the IP header removed) and reports
// how it arrived. A packet longer than buf yields ErrTruncated. After Close
// it returns an error wrapping net.ErrClosed; past a read deadline one
// wrapping os.ErrDeadlineExceeded.
func (c *Conn) Recv(buf []byte) (int, Meta, error) {
	for {
		c.rbuf = buf
		err := c.raw.Read(c.readFn)
		c.rbuf, c.riov.Base = nil, nil
		if err == nil {
			err = c.rerr
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
				return 0, Meta{}, err
			}
			return 0, Meta{}, fmt.Errorf("vrrpconn: receive on %s: %w", c.ifi.Name, err)
		}
		if c.rmsg.Flags&unix.MSG_TRUNC != 0 {
			return 0, Meta{}, ErrTruncated
		}
		oob := c.oob[:c.rmsg.Controllen]
		m := Meta{TTL: -1}
		n := c.rn
		if c.cfg.Family == IPv4 {
			hlen, src, dst, ttl, err := parseIPv4Header(buf[:n])
			if err != nil {
				continue // not a packet we can describe; the kernel never does this
			}
			m.Src, m.Dst, m.TTL = src, dst, ttl
			parseControl(oob, &m)
			n = copy(buf, buf[hlen:n])
		} else {
			if c.rsa.Family == unix.AF_INET6 {
				m.Src = netip.AddrFrom16(c.rsa.Addr)
			}
			parseControl(oob, &m)
		}
		c.noteDrops(m.Drops)
		return n, m, nil
	}
}

// recvmsg is the RawConn read callback: one recvmsg(2) into c.rbuf, c.oob
// and c.rsa through a msghdr kept in c, so receiving allocates nothing
// (x/sys's Recvmsg would allocate the source sockaddr on every call).
func (c *Conn) recvmsg(fd uintptr) bool {
	c.rmsg = unix.Msghdr{}
	if len(c.rbuf) > 0 {
		c.riov.Base = &c.rbuf[0]
	} else {
		c.riov.Base = nil
	}
	c.riov.SetLen(len(c.rbuf))
	c.rmsg.Iov = &c.riov
	c.rmsg.SetIovlen(1)
	c.rmsg.Control = &c.oob[0]
	c.rmsg.SetControllen(len(c.oob))
	c.rsa = unix.RawSockaddrInet6{}
	c.rmsg.Name = (*byte)(unsafe.Pointer(&c.rsa))
	c.rmsg.Namelen = unix.SizeofSockaddrInet6
	n, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.rmsg)), 0)
	if errno == unix.EAGAIN {
		return false
	}
	c.rn, c.rerr = int(n), nil
	if errno != 0 {
		c.rn, c.rerr = 0, errno
	}
	return true
}

// sendmsg is the RawConn write callback: one sendmsg(2) of c.spay with
// control message c.soob to c.sdst, through buffers kept in c.
func (c *Conn) sendmsg(fd uintptr) bool {
	c.smsg = unix.Msghdr{}
	if len(c.spay) > 0 {
		c.siov.Base = &c.spay[0]
	} else {
		c.siov.Base = nil
	}
	c.siov.SetLen(len(c.spay))
	c.smsg.Iov = &c.siov
	c.smsg.SetIovlen(1)
	if len(c.soob) > 0 {
		c.smsg.Control = &c.soob[0]
		c.smsg.SetControllen(len(c.soob))
	}
	if c.sdst.Is4() {
		c.ssa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: c.sdst.As4()}
		c.smsg.Name = (*byte)(unsafe.Pointer(&c.ssa4))
		c.smsg.Namelen = unix.SizeofSockaddrInet4
	} else {
		c.ssa6 = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: c.sdst.As16()}
		c.smsg.Name = (*byte)(unsafe.Pointer(&c.ssa6))
		c.smsg.Namelen = unix.SizeofSockaddrInet6
	}
	_, _, errno := unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&c.smsg)), 0)
	if errno == unix.EAGAIN {
		return false
	}
	c.serr = nil
	if errno != 0 {
		c.serr = errno
	}
	return true
}

func (c *Conn) noteDrops(n uint32) {
	if n > c.drops.Load() {
		c.drops.Store(n) // one reader writes it
	}
}

// Drops is how many packets the kernel dropped on this socket because its
// receive queue was full (SO_RXQ_OVFL), as last reported with a received
// packet: drops show once the next packet arrives.
func (c *Conn) Drops() uint64 { return uint64(c.drops.Load()) }

// SetReadBuffer sets the socket's receive buffer to bytes: SO_RCVBUFFORCE
// (which may exceed net.core.rmem_max, with CAP_NET_ADMIN), else SO_RCVBUF.
// The kernel doubles the value for its bookkeeping.
func (c *Conn) SetReadBuffer(bytes int) error {
	var serr error
	err := c.raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bytes)
		if serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, bytes)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("vrrpconn: receive buffer of %d bytes on %s: %w", bytes, c.ifi.Name, err)
	}
	return nil
}

// SetReadDeadline sets the deadline for Recv; zero means none.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.ipc.SetReadDeadline(t) }

// Close closes the socket; a blocked Recv, RecvBatch or WaitReadable
// returns. A thread blocked in WaitReadable's poll(2) is not woken by the
// close itself (the poll holds the file, and the close waits for it), so
// the socket is shut down first: for a datagram socket that wakes every
// poller at once (the kernel's "hack to wake up other listeners", with
// ENOTCONN, which is expected here).
func (c *Conn) Close() error {
	c.closing.Store(true)
	_ = c.raw.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RDWR) })
	return c.ipc.Close()
}

// WaitReadable blocks the calling OS thread in poll(2) until a packet is
// waiting or timeout passes, and reports which. Unlike Recv's wait (the Go
// netpoller, woken by an ordinary-priority runtime thread), the kernel wakes
// this thread itself, so a reader on a real-time thread sees an advert at
// once even when every CPU is busy. Call Recv after it returns true. The
// timeout bounds how long Close waits for a blocked caller.
func (c *Conn) WaitReadable(timeout time.Duration) (bool, error) {
	if c.closing.Load() {
		return false, net.ErrClosed
	}
	ready := false
	var perr error
	err := c.raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		ts := unix.NsecToTimespec(int64(timeout))
		for {
			n, err := unix.Ppoll(fds, &ts, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				perr = err
				return
			}
			ready = n > 0 && fds[0].Revents&(unix.POLLIN|unix.POLLERR|unix.POLLHUP) != 0
			if ready && c.closing.Load() {
				ready, perr = false, net.ErrClosed // woken by Close's shutdown
			}
			return
		}
	})
	if err != nil {
		return false, err
	}
	return ready, perr
}
