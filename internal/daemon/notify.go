package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/notify"
	"gokeepalived/internal/vrrp"
)

// notifier adapts internal/notify to the daemon: notify_* scripts, the
// generic notify script, notify FIFOs and SMTP alerts. Enqueue never blocks,
// so a slow script never delays an advert.
type notifier struct {
	n    *notify.Notifier
	cfg  *config.Config
	smtp bool
}

// NewNotifier builds the notifier for cfg; it starts when the daemon runs.
func NewNotifier(cfg *config.Config, log *slog.Logger) Notifier {
	g := cfg.Global
	nc := notify.Config{Exec: &notify.Exec{Security: g.EnableScriptSecurity, Warn: func(err error) {
		log.Warn("script security", "err", err)
	}}, Logger: log}
	for _, ref := range []*config.ScriptRef{g.NotifyFIFO, g.VRRPNotifyFIFO} {
		if ref == nil || len(ref.Args) == 0 {
			continue
		}
		f := notify.FIFO{Path: ref.Args[0]}
		script := g.NotifyFIFOScript
		if ref == g.VRRPNotifyFIFO {
			script = g.VRRPNotifyFIFOScript
		}
		if sc, err := makeScript(script, &g); err != nil {
			log.Error("notify FIFO script", "err", err)
		} else {
			f.Script = sc
		}
		nc.FIFOs = append(nc.FIFOs, f)
	}
	ad := &notifier{cfg: cfg}
	if g.SMTPServer != "" && len(g.NotificationEmail) > 0 {
		ad.smtp = true
		nc.SMTP = &notify.SMTPConfig{Host: g.SMTPServer, Port: int(g.SMTPPort), HeloName: g.SMTPHeloName,
			From: g.NotificationEmailFrom, To: g.NotificationEmail, ConnectTimeout: g.SMTPConnectTimeout,
			RouterID: g.RouterID, NoEmailFaults: g.NoEmailFaults}
	}
	ad.n = notify.New(nc)
	return ad
}

// scriptsOf builds the notify scripts with the users they run as (looked
// up here, when the instance or group is built, never on a state change).
func scriptsOf(n config.Notify, g *config.Global) (*notify.Scripts, error) {
	var errs []error
	script := func(kw string, ref *config.ScriptRef) *notify.Script {
		s, err := makeScript(ref, g)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", kw, err))
		}
		return s
	}
	sc := &notify.Scripts{Master: script("notify_master", n.Master), Backup: script("notify_backup", n.Backup),
		Fault: script("notify_fault", n.Fault), Stop: script("notify_stop", n.Stop),
		MasterRxLowerPri: script("notify_master_rx_lower_pri", n.MasterRxLowerPri), Notify: script("notify", n.Any),
		Deleted: script("notify_deleted", n.Deleted)}
	return sc, errors.Join(errs...)
}

// SetConfig gives the notifier the configuration a reload installed.
func (a *notifier) SetConfig(cfg *config.Config) { a.cfg = cfg }

func (a *notifier) Run(ctx context.Context) error { return a.n.Run(ctx) }

// notifyDrainTimeout bounds how long shutdown waits for queued notifications
// (the STOP scripts, FIFO lines and mails) before killing what still runs.
const notifyDrainTimeout = 2 * time.Second

// Counters returns the notifier's counters for the status snapshot.
func (a *notifier) Counters() map[string]uint64 {
	s := a.n.Stats()
	return map[string]uint64{
		"enqueued": s.Enqueued, "script_runs": s.ScriptsRun, "script_failures": s.ScriptFailures,
		"script_timeouts": s.ScriptTimeouts, "script_refused": s.ScriptRefused, "scripts_dropped": s.ScriptsDropped,
		"fifo_lines": s.FIFOLines, "fifo_errors": s.FIFOErrors, "fifo_dropped": s.FIFODropped,
		"mails_sent": s.MailsSent, "mail_failures": s.MailFailures, "mail_attempt_errors": s.MailAttemptErrs,
		"mails_dropped": s.MailDropped,
	}
}

// Drain waits until queued notifications are delivered or ctx ends.
func (a *notifier) Drain(ctx context.Context) bool { return a.n.Drain(ctx) }

func notifyState(s vrrp.State) notify.State {
	switch s {
	case vrrp.StateMaster:
		return notify.StateMaster
	case vrrp.StateBackup:
		return notify.StateBackup
	case vrrp.StateFault:
		return notify.StateFault
	case vrrp.StateStop:
		return notify.StateStop
	}
	return notify.StateUnknown
}

func (a *notifier) StateChanged(in *config.Instance, sc *notify.Scripts, from, to vrrp.State, prio int, reason string) {
	st := notifyState(to)
	if st == notify.StateUnknown {
		return
	}
	a.n.Enqueue(notify.Event{Kind: notify.KindInstance, Name: in.Name, State: st, From: notifyState(from),
		Priority: prio, Reason: reason, Scripts: sc, SMTPAlert: a.instanceAlert(in)})
}

// instanceAlert is the instance's smtp_alert after the global defaults.
func (a *notifier) instanceAlert(in *config.Instance) bool {
	alert := a.smtp
	if g := a.cfg.Global.SMTPAlertVRRP; g != nil {
		alert = alert && *g
	} else if g := a.cfg.Global.SMTPAlert; g != nil {
		alert = alert && *g
	}
	if in.Notify.SMTPAlert != nil {
		alert = a.smtp && *in.Notify.SMTPAlert
	}
	return alert
}

func (a *notifier) GroupChanged(g *config.SyncGroup, sc *notify.Scripts, from, to vrrp.State, reason string) {
	st := notifyState(to)
	if st == notify.StateUnknown {
		return
	}
	alert := a.smtp
	if g.Notify.SMTPAlert != nil {
		alert = a.smtp && *g.Notify.SMTPAlert
	}
	// keepalived reports priority 0 for groups.
	a.n.Enqueue(notify.Event{Kind: notify.KindGroup, Name: g.Name, State: st, From: notifyState(from),
		Priority: 0, Reason: reason, Scripts: sc, SMTPAlert: alert})
}

func (a *notifier) MasterRxLowerPri(in *config.Instance, sc *notify.Scripts, prio int, peer netip.Addr, peerPrio int) {
	a.n.Enqueue(notify.Event{Kind: notify.KindInstance, Name: in.Name, State: notify.EventMasterRxLowerPri,
		From: notify.StateMaster, Priority: prio, Scripts: sc,
		Reason: fmt.Sprintf("received an advertisement from lower-priority master %s (priority %d, ours %d)", peer, peerPrio, prio)})
}

// PriorityChanged writes keepalived's priority-change line to the notify
// FIFOs (vrrp_notify.c send_instance_priority_notifies): INSTANCE "NAME"
// MASTER_PRIORITY PRIO while MASTER, BACKUP_PRIORITY in any other state.
// No script, no mail: keepalived sends these to the FIFOs only.
func (a *notifier) PriorityChanged(in *config.Instance, master bool, prio int) {
	a.n.Enqueue(priorityEvent(in, master, prio))
}

func priorityEvent(in *config.Instance, master bool, prio int) notify.Event {
	ev := notify.EventBackupPriority
	if master {
		ev = notify.EventMasterPriority
	}
	return notify.Event{Kind: notify.KindInstance, Name: in.Name, State: ev, Priority: prio,
		Reason: fmt.Sprintf("effective priority changed to %d", prio)}
}

// InstanceDeleted notifies an instance a reload removed as keepalived
// does: DELETED (notify_deleted's script, the generic notify script, the
// FIFOs, mail) with notify_deleted, else FAULT (notify_fault, ...), the
// state keepalived used to send for it.
func (a *notifier) InstanceDeleted(in *config.Instance, sc *notify.Scripts, from vrrp.State, prio int) {
	st := notify.StateFault
	if in.NotifyDeleted {
		st = notify.StateDeleted
	}
	a.n.Enqueue(notify.Event{Kind: notify.KindInstance, Name: in.Name, State: st, From: notifyState(from),
		Priority: prio, Reason: "removed by a reload", Scripts: sc, SMTPAlert: a.instanceAlert(in)})
}

// FIFOState writes keepalived's FIFO line for an instance (g nil) or a
// sync group in st, without scripts or mail (vrrp_scheduler.c
// vrrp_init_state, fifo_write_vrrp_states_on_reload).
func (a *notifier) FIFOState(in *config.Instance, g *config.SyncGroup, st vrrp.State, prio int) {
	e := notify.Event{Kind: notify.KindInstance, State: notifyState(st), Priority: prio, Reason: "state after reload"}
	if g != nil {
		e.Kind, e.Name, e.Priority = notify.KindGroup, g.Name, 0
	} else {
		e.Name = in.Name
	}
	if e.State != notify.StateUnknown {
		a.n.Enqueue(e)
	}
}
