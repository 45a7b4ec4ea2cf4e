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

	"gokeepalived/internal/lb"
)

// Schedulers lists the IPVS schedulers keepalived accepts; all of them
// work when the kernel has the matching ip_vs_* module.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// Backend is an lb.Backend over the kernel's IPVS table.
type Backend struct {
	mu     sync.Mutex
	client cfipvs.Client
}

// New returns a backend with no connection; call Open.
func New() *Backend { return &Backend{} }

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
	b.client = c
	return nil
}

// Close closes the netlink connection.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.client.(io.Closer)
	b.client = nil
	if ok {
		return c.Close()
	}
	return nil
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
	out := make([]lb.Service, 0, len(svcs))
	for _, se := range svcs {
		s := fromService(se.Service)
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
		if err := apply(c, op); err != nil {
			return fmt.Errorf("ipvs: %s: %w", op, explain(err, op))
		}
	}
	return nil
}

func apply(c cfipvs.Client, op lb.Op) error {
	svc, err := toService(op.Service)
	if err != nil {
		return err
	}
	switch op.Kind {
	case lb.AddService:
		return c.CreateService(svc)
	case lb.UpdateService:
		return c.UpdateService(svc)
	case lb.DeleteService:
		return c.RemoveService(svc)
	case lb.ReplaceService:
		if err := c.RemoveService(svc); err != nil && !errors.Is(err, syscall.ESRCH) && !errors.Is(err, syscall.ENOENT) {
			return err
		}
		if err := c.CreateService(svc); err != nil {
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
	dst := cfipvs.Destination{Address: d.Addr, Port: d.Port, Weight: uint32(max(d.Weight, 0)), Family: cfipvs.INET}
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
	d := lb.Dest{Addr: dst.Address.Unmap(), Port: dst.Port, Weight: int(dst.Weight)}
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
