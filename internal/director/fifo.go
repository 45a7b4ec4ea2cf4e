package director

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"gokeepalived/internal/config"
	"gokeepalived/internal/notify"
)

// The load balancer's notify FIFO lines (lvs_notify_fifo, and notify_fifo,
// which keepalived writes them to as well), in keepalived 2.2.7's format
// (check/ipwrapper.c notify_fifo_vs/notify_fifo_rs):
//
//	VS [192.0.2.100]:tcp:80 UP
//	RS [198.18.0.2]:tcp:80 [192.0.2.100]:tcp:80 DOWN
//
// A virtual server's line follows its quorum; a real server's its health.
// The FIFOs, their creation and lvs_notify_fifo_script are
// internal/notify's, as for the VRRP FIFOs, on a notifier of the
// director's own.

type fifoRun struct {
	key    string
	n      *notify.Notifier
	cancel context.CancelFunc
	done   chan struct{}
}

// fifoKey identifies the FIFO setup of g ("" = none).
func fifoKey(g *config.Global) string {
	var w []string
	for _, r := range []*config.ScriptRef{g.NotifyFIFO, g.LVSNotifyFIFO, g.LVSNotifyFIFOScript} {
		if r == nil {
			w = append(w, "")
			continue
		}
		w = append(w, strings.Join(append(append([]string{}, r.Args...), r.User, r.Group), "\x00"))
	}
	if g.NotifyFIFO == nil && g.LVSNotifyFIFO == nil {
		return ""
	}
	return strings.Join(w, "\x01")
}

// setFIFOs (re)starts the FIFO notifier when the configuration's FIFOs
// changed.
func (d *Director) setFIFOs() {
	g := &d.cfg.Global
	key := fifoKey(g)
	if d.fifo != nil && d.fifo.key == key {
		return
	}
	d.stopFIFOs()
	if key == "" {
		return
	}
	nc := notify.Config{Exec: d.exec, Logger: d.log}
	for _, ref := range []*config.ScriptRef{g.NotifyFIFO, g.LVSNotifyFIFO} {
		if ref == nil || len(ref.Args) == 0 {
			continue
		}
		f := notify.FIFO{Path: ref.Args[0]}
		if s := g.LVSNotifyFIFOScript; ref == g.LVSNotifyFIFO && s != nil && len(s.Args) > 0 {
			cred, err := notify.ResolveUser(s.User, s.Group, g.ScriptUser, g.ScriptGroup)
			if err != nil {
				d.log.Error("lvs_notify_fifo_script not started", "err", err)
			} else {
				f.Script = &notify.Script{Argv: s.Args, User: cred}
			}
		}
		nc.FIFOs = append(nc.FIFOs, f)
	}
	parent := d.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	r := &fifoRun{key: key, n: notify.New(nc), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = r.n.Run(ctx)
	}()
	d.fifo = r
}

// stopFIFOs stops the FIFO notifier (closing, and removing the FIFOs it
// created) and waits for it.
func (d *Director) stopFIFOs() {
	if d.fifo == nil {
		return
	}
	d.fifo.cancel()
	<-d.fifo.done
	d.fifo = nil
}

// fifoLine queues one line for the FIFOs.
func (d *Director) fifoLine(line string) {
	if d.fifo == nil {
		return
	}
	if !d.fifo.n.Enqueue(notify.Event{Name: "lvs", Line: line}) {
		d.log.Warn("notify fifo line dropped (queue full)", "line", strings.TrimSpace(line))
	}
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

// fmtVS is keepalived's FMT_VS: [ADDR]:proto:PORT, FWM N, or [GROUP]:PORT.
func fmtVS(vs *config.VirtualServer) string {
	switch {
	case vs.Group != "":
		return fmt.Sprintf("[%s]:%d", vs.Group, vs.Port)
	case vs.FWMark != 0:
		return fmt.Sprintf("FWM %d", vs.FWMark)
	}
	return trio(vs.Addr, vs.Protocol, vs.Port)
}

// fmtRS is keepalived's FMT_RS: the real server with its virtual server's
// protocol ("none" for a fwmark service, which has none).
func fmtRS(vs *config.VirtualServer, rs *config.RealServer) string {
	proto := vs.Protocol
	if vs.FWMark != 0 {
		proto = ""
	}
	return trio(rs.Addr, proto, rs.Port)
}

func trio(a netip.Addr, proto string, port uint16) string {
	p := strings.ToLower(proto)
	if p == "" {
		p = "none"
	}
	return fmt.Sprintf("[%s]:%s:%d", a.Unmap(), p, port)
}

// initNotifies sends rs_init_notifies' notifications for the real servers
// that started up (keepalived's init_service_vs: notify_up and the FIFO
// line; alpha servers, which start down, get theirs when they come up).
func (d *Director) initNotifies() {
	for _, ref := range d.initUp {
		d.notifyRS(ref, true)
		d.fifoLine(fmt.Sprintf("RS %s %s UP\n", fmtRS(ref.vs, ref.rs), fmtVS(ref.vs)))
	}
	d.initUp = nil
}
