package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/vrrp"
)

// An interface deleted and re-created (issue 10, fault 2) is a new
// interface with a new index: the sockets bound to the old one can send
// nothing ("no such device"), and its VMACs went with it. While it is
// gone, the instances on it are in FAULT (the reason names it); when it
// comes back, they are rebuilt through the reload machinery (plan on the
// loop, sockets and VMACs prepared off it, swapped in on the loop), with
// new sockets, and start again from BACKUP. Rebuilding needs the interface
// usable (its primary address, for the adverts' source): until it is, each
// link or address change on it tries again.

// ifState is what the loop knows of an interface its instances use.
type ifState uint8

const (
	ifDeleted ifState = iota + 1 // deleted: its instances are in FAULT
	ifBack                       // re-created: its instances await their rebuild
)

// deletedFault is the core's fault source (and the instance's fault key)
// for a deleted interface.
func deletedFault(name string) string { return "interface deleted " + name }

// linkEvent handles one link watcher event on the loop.
func (d *Daemon) linkEvent(e link.Event) {
	old, known := d.ifIndex[e.Name]
	switch {
	case e.Deleted:
		delete(d.ifIndex, e.Name)
		d.interfaceDeleted(e.Name, "interface "+e.Name+" deleted")
	case known && old != 0 && e.Index != 0 && old != e.Index:
		// Re-created while the delete was missed (a watcher resync).
		d.ifIndex[e.Name] = e.Index
		d.interfaceDeleted(e.Name, "interface "+e.Name+" re-created (index changed)")
		d.interfaceBack(e.Name)
	default:
		d.ifIndex[e.Name] = e.Index
		if d.ifs[e.Name] == ifDeleted {
			d.interfaceBack(e.Name)
		} else if d.ifs[e.Name] == ifBack {
			d.rebindSoon() // a change may make it usable
		}
	}
	d.linkReported(e.Name, e.Up, e.Deleted)
}

// interfaceDeleted puts the instances on name in FAULT.
func (d *Daemon) interfaceDeleted(name, reason string) {
	for _, in := range d.instances {
		if in.cfg.Interface != name {
			continue
		}
		d.ifs[name] = ifDeleted
		key := deletedFault(name)
		if _, ok := in.faults[key]; ok {
			continue
		}
		in.faults[key] = reason
		// Status shows it even when the link's down event faulted the
		// instance first (the kernel reports the link down, then deleted).
		in.warn(d.now(), reason+": the instance waits in FAULT for it to be re-created", 24*time.Hour)
		d.log.Warn("interface of the instance deleted: its socket is bound to the old interface; FAULT until it is re-created",
			"instance", in.cfg.Name, "vrid", in.cfg.VRID, "interface", name)
		d.handle(in, vrrp.Fault{Source: key, Reason: reason})
	}
}

// interfaceBack marks name re-created and starts rebuilding its instances.
func (d *Daemon) interfaceBack(name string) {
	if d.ifs[name] == 0 {
		return
	}
	d.ifs[name] = ifBack
	d.log.Info("interface (re-)created: rebuilding its instances (new sockets, VMACs)", "interface", name)
	d.rebindSoon()
}

// rebindOnAddress retries a rebuild when an address appears on a
// re-created interface (it may lack its primary address at first).
func (d *Daemon) rebindOnAddress(e addr.Event) {
	if !e.Deleted && d.ifs[e.Dev] == ifBack {
		d.rebindSoon()
	}
}

// rebindSoon starts a rebuild of the instances whose interface is back,
// off the loop, unless one is running (then it runs again after it).
func (d *Daemon) rebindSoon() {
	if d.rebinding.Load() {
		d.rebindAgain = true
		return
	}
	if d.runCtx == nil || d.shuttingDown() {
		return
	}
	d.rebinding.Store(true)
	go d.rebind()
}

// rebind rebuilds the instances whose interface is back, like a reload
// (one at a time with reloads), then tells the loop how it went.
func (d *Daemon) rebind() {
	ctx := d.runCtx
	err := d.applyPlan(ctx, d.rebindPlan)
	_ = d.Do(ctx, func() { d.rebindDone(err) })
}

// rebindPlan plans the rebuild on the loop: the instances on interfaces
// that are back restart, with new sockets (none of the old ones reused).
func (d *Daemon) rebindPlan() *reloadPlan {
	force := map[string]string{}
	var names []string
	for name, st := range d.ifs {
		if st == ifBack {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	vmacs := map[string]bool{}
	for _, in := range d.instances {
		if slices.Contains(names, in.cfg.Interface) {
			force[in.cfg.Name] = "interface " + in.cfg.Interface + " (re-)created"
			if in.vmac != "" {
				vmacs[in.vmac] = true
			}
		}
	}
	if len(force) == 0 {
		for _, n := range names {
			delete(d.ifs, n)
		}
		return nil
	}
	p := d.planWith(d.cfg, force)
	p.rebind = "interface " + strings.Join(names, ",") + " (re-)created"
	p.rebindIfs = names
	for k, sc := range p.conns {
		if slices.Contains(names, k.iface) || vmacs[k.iface] {
			p.replaced = append(p.replaced, sc)
			delete(p.conns, k)
			delete(p.groups, k)
		}
	}
	return p
}

// rebindDone runs on the loop after a rebuild.
func (d *Daemon) rebindDone(err error) {
	d.rebinding.Store(false)
	if err != nil {
		d.log.Warn("interface re-created, but its instances cannot be rebuilt yet; trying again at its next change", "err", err)
	}
	if d.rebindAgain {
		d.rebindAgain = false
		d.rebindSoon()
	}
}

// interfaceAbsent puts an instance built while its interface did not
// exist (dynamic_interfaces) in FAULT, like one whose interface was
// deleted: when the interface appears, the link watcher's event rebuilds
// it (interfaceBack). It may have appeared since the instance was built
// (the watcher's event then found nothing to rebuild): rebuild at once.
func (d *Daemon) interfaceAbsent(in *instance) {
	name := in.cfg.Interface
	if d.ifs[name] != ifBack {
		d.ifs[name] = ifDeleted
	}
	key := deletedFault(name)
	if _, ok := in.faults[key]; !ok {
		reason := "interface " + name + " does not exist (dynamic_interfaces)"
		in.faults[key] = reason
		d.log.Warn("interface of the instance does not exist yet: FAULT until it appears (dynamic_interfaces)",
			"instance", in.cfg.Name, "vrid", in.cfg.VRID, "interface", name)
		d.handle(in, vrrp.Fault{Source: key, Reason: reason})
	}
	if _, err := d.ports.Links.Up(name); !errors.Is(err, ErrNoInterface) {
		d.interfaceBack(name)
	}
}

// absentConn stands for the socket of instances whose interface does not
// exist yet (dynamic_interfaces): it sends nothing and receives nothing
// until closed, when the rebuild replaces it.
type absentConn struct {
	closed chan struct{}
	once   sync.Once
}

func newAbsentConn() *absentConn { return &absentConn{closed: make(chan struct{})} }

func (c *absentConn) SendFrom([]byte, netip.Addr, netip.Addr) error {
	return fmt.Errorf("%w: the interface does not exist yet", ErrLinkDown)
}

func (c *absentConn) Recv([]byte) (int, vrrpconn.Meta, error) {
	<-c.closed
	return 0, vrrpconn.Meta{}, net.ErrClosed
}

func (c *absentConn) JoinGroup(netip.Addr) error { return nil }

func (c *absentConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}
