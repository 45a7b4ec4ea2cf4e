// Package ipvs is the IPVS backend of internal/lb, through
// github.com/cloudflare/ipvs (generic netlink). It speaks lb's types; the
// library's stay inside.
//
// The netlink socket is opened by Open on the calling OS thread and stays in
// that thread's network namespace, so a caller (or a test) that wants
// another namespace opens the backend while its thread is switched into it.
package ipvs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	cfipvs "github.com/cloudflare/ipvs"
	"github.com/cloudflare/ipvs/netmask"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/lb"
)

// Schedulers lists the IPVS schedulers keepalived accepts; all of them
// work when the kernel has the matching ip_vs_* module.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// Backend is an lb.Backend over the kernel's IPVS table.
type Backend struct {
	mu     sync.Mutex
	opts   Options
	client cfipvs.Client
	extra  *conn // the commands the library lacks (genl.go)
}

// Options configure a backend.
type Options struct {
	// NetNSFd, if > 0, is the network namespace (a file descriptor) of
	// nftables_ipvs's table; the IPVS sockets are in the namespace of the
	// thread that calls Open.
	NetNSFd int
	// Cmd is the receive buffer of the command sockets this package opens
	// (its own IPVS generic-netlink socket and the nftables ones);
	// lvs_netlink_cmd_rcv_bufs.
	Cmd lb.RcvBuf
}

// New returns a backend with no connection; call Open.
func New() *Backend { return &Backend{} }

// NewWith returns a backend with options and no connection; call Open.
func NewWith(o Options) *Backend { return &Backend{opts: o} }

// netlinkConn is the socket type nftables' WithSockOptions hands over.
type netlinkConn = netlink.Conn

// rawConner is a socket that gives its file descriptor.
type rawConner interface {
	SyscallConn() (syscall.RawConn, error)
}

// setRcvBuf gives c the receive buffer rb (nothing for zero bytes).
func setRcvBuf(c rawConner, rb lb.RcvBuf) error {
	if rb.Bytes <= 0 {
		return nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	opt := unix.SO_RCVBUF
	if rb.Force {
		opt = unix.SO_RCVBUFFORCE
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, rb.Bytes) }); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("netlink receive buffer %d bytes: %w", rb.Bytes, serr)
	}
	return nil
}

// SetRcvBufs gives the open command socket a new receive buffer (a reload
// changed lvs_netlink_cmd_rcv_bufs); later nftables sockets take it too
// (lb.RcvBufSetter). IPVS has no monitor socket.
func (b *Backend) SetRcvBufs(cmd, _ lb.RcvBuf) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opts.Cmd = cmd
	if b.extra == nil {
		return nil
	}
	return setRcvBuf(b.extra.c, cmd)
}

// RcvBuf reads back the receive buffer of the backend's own IPVS command
// socket (the kernel reports twice what was set, for its bookkeeping).
func (b *Backend) RcvBuf() (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.extra == nil {
		return 0, errors.New("ipvs: backend not open")
	}
	return getRcvBuf(b.extra.c)
}

func getRcvBuf(c rawConner) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) }); err != nil {
		return 0, err
	}
	return v, gerr
}

// Open connects to IPVS in the network namespace of the calling thread. It
// fails when the kernel has no IPVS (module ip_vs not loaded or not built).
func (b *Backend) Open() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client != nil {
		return nil
	}
	c, err := cfipvs.New()
	if err != nil {
		return fmt.Errorf("ipvs: open generic netlink family IPVS (is the ip_vs module loaded?): %w", err)
	}
	x, err := dialConn()
	if err == nil {
		if err = setRcvBuf(x.c, b.opts.Cmd); err != nil {
			_ = x.close()
		}
	}
	if err != nil {
		if cl, ok := c.(io.Closer); ok {
			_ = cl.Close()
		}
		return fmt.Errorf("ipvs: open generic netlink family IPVS: %w", err)
	}
	b.client, b.extra = c, x
	return nil
}

// Close closes the netlink connection.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.client.(io.Closer)
	x := b.extra
	b.client, b.extra = nil, nil
	var err error
	if x != nil {
		err = x.close()
	}
	if ok {
		err = errors.Join(c.Close(), err)
	}
	return err
}

func (b *Backend) conn() (cfipvs.Client, error) {
	if b.client == nil {
		return nil, errors.New("ipvs: backend not open")
	}
	return b.client, nil
}

// Services reads the whole IPVS table.
func (b *Backend) Services() ([]lb.Service, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.conn()
	if err != nil {
		return nil, err
	}
	svcs, err := c.Services()
	if errors.Is(err, os.ErrNotExist) {
		svcs, err = nil, nil // the library's answer for an empty table
	}
	if err != nil {
		return nil, fmt.Errorf("ipvs: list services: %w", err)
	}
	var pes map[peKey]string
	if len(svcs) > 0 && b.extra != nil {
		if pes, err = b.extra.peNames(); err != nil {
			return nil, fmt.Errorf("ipvs: list persistence engines: %w", err)
		}
	}
	out := make([]lb.Service, 0, len(svcs))
	for _, se := range svcs {
		s := fromService(se.Service)
		s.PEName = pes[keyOf(s)]
		dests, err := c.Destinations(se.Service)
		if errors.Is(err, os.ErrNotExist) {
			dests, err = nil, nil // no destinations
		}
		if err != nil {
			return nil, fmt.Errorf("ipvs: list destinations of %s: %w", s.Key, err)
		}
		for _, de := range dests {
			s.Dests = append(s.Dests, fromDest(de.Destination))
		}
		lb.SortDests(s.Dests)
		out = append(out, s)
	}
	lb.SortServices(out)
	return out, nil
}

// Apply performs ops in order and stops at the first failure.
func (b *Backend) Apply(ops []lb.Op) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.conn()
	if err != nil {
		return err
	}
	for _, op := range ops {
		if err := apply(c, b.extra, op); err != nil {
			return fmt.Errorf("ipvs: %s: %w", op, explain(err, op))
		}
	}
	return nil
}

func apply(c cfipvs.Client, x *conn, op lb.Op) error {
	svc, err := toService(op.Service)
	if err != nil {
		return err
	}
	// A persistence engine goes through our own encoding (genl.go).
	create, update := c.CreateService, c.UpdateService
	if op.Service.PEName != "" {
		if x == nil {
			return errNotOpen
		}
		create = func(cfipvs.Service) error { return x.writeService(cmdNewService, op.Service) }
		update = func(cfipvs.Service) error { return x.writeService(cmdSetService, op.Service) }
	}
	switch op.Kind {
	case lb.AddService:
		return create(svc)
	case lb.UpdateService:
		return update(svc)
	case lb.DeleteService:
		return c.RemoveService(svc)
	case lb.ReplaceService:
		if err := c.RemoveService(svc); err != nil && !errors.Is(err, syscall.ESRCH) && !errors.Is(err, syscall.ENOENT) {
			return err
		}
		if err := create(svc); err != nil {
			return err
		}
		for _, d := range op.Service.Dests {
			if err := c.CreateDestination(svc, toDest(op.Service, d)); err != nil {
				return err
			}
		}
		return nil
	case lb.AddDest:
		return c.CreateDestination(svc, toDest(op.Service, op.Dest))
	case lb.UpdateDest:
		return c.UpdateDestination(svc, toDest(op.Service, op.Dest))
	case lb.DeleteDest:
		return c.RemoveDestination(svc, toDest(op.Service, op.Dest))
	}
	return fmt.Errorf("unknown operation %d", op.Kind)
}

// explain adds what the kernel's bare errno usually means.
func explain(err error, op lb.Op) error {
	switch {
	case errors.Is(err, syscall.ENOENT) && (op.Kind == lb.AddService || op.Kind == lb.UpdateService || op.Kind == lb.ReplaceService):
		return fmt.Errorf("%w (scheduler %q unknown to this kernel? no ip_vs_%s module)", err, op.Service.Scheduler, op.Service.Scheduler)
	case errors.Is(err, syscall.EEXIST):
		return fmt.Errorf("%w (already in the table)", err)
	}
	return err
}

func family(f lb.Family) cfipvs.AddressFamily {
	if f == lb.Inet6 {
		return cfipvs.INET6
	}
	return cfipvs.INET
}

func toService(s lb.Service) (cfipvs.Service, error) {
	svc := cfipvs.Service{
		Address:   s.Addr,
		Port:      s.Port,
		FWMark:    s.FWMark,
		Family:    family(s.Family),
		Scheduler: s.Scheduler,
	}
	switch s.Proto {
	case lb.TCP:
		svc.Protocol = cfipvs.TCP
	case lb.UDP:
		svc.Protocol = cfipvs.UDP
	case lb.SCTP:
		svc.Protocol = cfipvs.SCTP
	case 0:
		if s.FWMark == 0 {
			return svc, errors.New("service has neither protocol nor fwmark")
		}
	}
	total := 32
	if s.Family == lb.Inet6 {
		total = 128
	}
	bits := s.PersistenceBits
	if bits == 0 || bits > total {
		bits = total
	}
	svc.Netmask = netmask.MaskFrom(bits, total)
	if s.Persistence > 0 {
		svc.Flags |= cfipvs.ServicePersistent
		svc.Timeout = uint32(s.Persistence / time.Second)
	}
	svc.Flags |= cfipvs.Flags(s.Flags & lb.SettableFlags)
	return svc, nil
}

func fromService(svc cfipvs.Service) lb.Service {
	s := lb.Service{Key: lb.Key{Port: svc.Port, FWMark: svc.FWMark, Family: lb.Inet}, Scheduler: svc.Scheduler}
	if svc.Family == cfipvs.INET6 {
		s.Family = lb.Inet6
	}
	if svc.FWMark == 0 {
		s.Addr = svc.Address.Unmap()
		switch svc.Protocol {
		case cfipvs.TCP:
			s.Proto = lb.TCP
		case cfipvs.UDP:
			s.Proto = lb.UDP
		case cfipvs.SCTP:
			s.Proto = lb.SCTP
		}
	} else {
		s.Port = 0
	}
	s.Flags = lb.SvcFlags(svc.Flags) & lb.SettableFlags
	if svc.Flags&cfipvs.ServicePersistent != 0 {
		s.Persistence = time.Duration(svc.Timeout) * time.Second
		total := 32
		if s.Family == lb.Inet6 {
			total = 128
		}
		if b := svc.Netmask.Bits(); b > 0 && b < total {
			s.PersistenceBits = b
		}
	}
	return s
}

func toDest(s lb.Service, d lb.Dest) cfipvs.Destination {
	dst := cfipvs.Destination{Address: d.Addr, Port: d.Port, Weight: uint32(max(d.Weight, 0)), Family: cfipvs.INET,
		UpperThreshold: d.UThreshold, LowerThreshold: d.LThreshold}
	if d.Addr.Is6() {
		dst.Family = cfipvs.INET6
	}
	switch d.Method {
	case lb.DR:
		dst.FwdMethod = cfipvs.DirectRoute
	case lb.TUN:
		dst.FwdMethod = cfipvs.Tunnel
		switch d.Tunnel.Type {
		case "gue":
			dst.TunnelType, dst.TunnelPort = cfipvs.GUE, d.Tunnel.Port
		case "gre":
			dst.TunnelType = cfipvs.GRE
		}
		switch d.Tunnel.Checksum {
		case "csum":
			dst.TunnelFlags = cfipvs.TunnelEncapChecksum
		case "remcsum":
			dst.TunnelFlags = cfipvs.TunnelEncapRemoteChecksum
		}
	default:
		dst.FwdMethod = cfipvs.Masquerade
	}
	return dst
}

func fromDest(dst cfipvs.Destination) lb.Dest {
	d := lb.Dest{Addr: dst.Address.Unmap(), Port: dst.Port, Weight: int(dst.Weight), UThreshold: dst.UpperThreshold, LThreshold: dst.LowerThreshold}
	switch dst.FwdMethod & 0x7 {
	case cfipvs.DirectRoute:
		d.Method = lb.DR
	case cfipvs.Tunnel:
		d.Method = lb.TUN
		switch dst.TunnelType {
		case cfipvs.GUE:
			d.Tunnel = lb.Tunnel{Type: "gue", Port: dst.TunnelPort}
		case cfipvs.GRE:
			d.Tunnel = lb.Tunnel{Type: "gre"}
		}
		switch dst.TunnelFlags {
		case cfipvs.TunnelEncapChecksum:
			d.Tunnel.Checksum = "csum"
		case cfipvs.TunnelEncapRemoteChecksum:
			d.Tunnel.Checksum = "remcsum"
		}
	default:
		d.Method = lb.NAT
	}
	return d
}

// StartSyncDaemon starts an IPVS sync daemon (lvs_sync_daemon). The kernel
// refuses a second daemon of the same role (EEXIST).
func (b *Backend) StartSyncDaemon(d lb.SyncDaemon) error {
	data, err := encodeDaemon(d)
	if err != nil {
		return err
	}
	return b.extraDo("start "+d.State.String()+" sync daemon", cmdNewDaemon, data)
}

// StopSyncDaemon stops the sync daemon of the given role (ESRCH when none
// runs).
func (b *Backend) StopSyncDaemon(s lb.SyncState) error {
	data, err := encodeDaemonState(s)
	if err != nil {
		return err
	}
	return b.extraDo("stop "+s.String()+" sync daemon", cmdDelDaemon, data)
}

func (b *Backend) extraDo(what string, cmd uint8, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.extra == nil {
		return errNotOpen
	}
	if _, err := b.extra.do(cmd, data, netlink.Acknowledge); err != nil {
		return fmt.Errorf("ipvs: %s: %w", what, err)
	}
	return nil
}

// SyncDaemons lists the running sync daemons.
func (b *Backend) SyncDaemons() ([]lb.SyncDaemon, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.extra == nil {
		return nil, errNotOpen
	}
	msgs, err := b.extra.do(cmdGetDaemon, nil, netlink.Dump)
	if err != nil {
		return nil, fmt.Errorf("ipvs: list sync daemons: %w", err)
	}
	var out []lb.SyncDaemon
	for _, m := range msgs {
		d, err := decodeDaemon(m.Data)
		if err != nil {
			return nil, fmt.Errorf("ipvs: list sync daemons: %w", err)
		}
		if d.State != 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// SetTimeouts sets the connection timeouts (lvs_timeouts); zero keeps the
// kernel's value.
func (b *Backend) SetTimeouts(t lb.Timeouts) error {
	data, err := encodeTimeouts(t)
	if err != nil {
		return err
	}
	return b.extraDo("set timeouts", cmdSetConfig, data)
}

// Timeouts reads the connection timeouts.
func (b *Backend) Timeouts() (lb.Timeouts, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.extra == nil {
		return lb.Timeouts{}, errNotOpen
	}
	msgs, err := b.extra.do(cmdGetConfig, nil, 0)
	if err != nil {
		return lb.Timeouts{}, fmt.Errorf("ipvs: read timeouts: %w", err)
	}
	if len(msgs) == 0 {
		return lb.Timeouts{}, errors.New("ipvs: read timeouts: no answer")
	}
	return decodeTimeouts(msgs[0].Data)
}
