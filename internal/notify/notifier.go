package notify

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// State is what a notification reports: a VRRP state an instance or sync
// group entered, or one of the FIFO-only events.
type State int

// States and events, spelt on the wire as keepalived spells them.
const (
	StateUnknown          State = iota
	StateMaster                 // MASTER
	StateBackup                 // BACKUP
	StateFault                  // FAULT
	StateStop                   // STOP
	StateDeleted                // DELETED (instance removed by a reload, with notify_deleted)
	EventMasterRxLowerPri       // MASTER_RX_LOWER_PRI: a master heard a lower-priority master
	EventMasterPriority         // MASTER_PRIORITY: priority changed while master (notify_priority_changes)
	EventBackupPriority         // BACKUP_PRIORITY: priority changed while backup (notify_priority_changes)
)

var stateNames = [...]string{
	StateUnknown:          "{UNKNOWN}",
	StateMaster:           "MASTER",
	StateBackup:           "BACKUP",
	StateFault:            "FAULT",
	StateStop:             "STOP",
	StateDeleted:          "DELETED",
	EventMasterRxLowerPri: "MASTER_RX_LOWER_PRI",
	EventMasterPriority:   "MASTER_PRIORITY",
	EventBackupPriority:   "BACKUP_PRIORITY",
}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return stateNames[StateUnknown]
	}
	return stateNames[s]
}

// IsTransition reports whether s is a state (as opposed to an event), i.e.
// whether notify_* scripts, the generic notify script and mail apply.
func (s State) IsTransition() bool { return s >= StateMaster && s <= StateDeleted }

// Kind says whether a notification is about an instance or a sync group.
type Kind int

const (
	KindInstance Kind = iota // INSTANCE
	KindGroup                // GROUP
)

func (k Kind) String() string {
	if k == KindGroup {
		return "GROUP"
	}
	return "INSTANCE"
}

// Scripts are the notify scripts of one vrrp_instance or vrrp_sync_group.
// Any may be nil.
type Scripts struct {
	Master           *Script // notify_master
	Backup           *Script // notify_backup
	Fault            *Script // notify_fault
	Stop             *Script // notify_stop
	Deleted          *Script // notify_deleted
	MasterRxLowerPri *Script // notify_master_rx_lower_pri
	// Notify is the generic notify script, run after the state's own script
	// with four more arguments: INSTANCE|GROUP, name, state, priority.
	Notify *Script
}

func (s *Scripts) forState(st State) *Script {
	if s == nil {
		return nil
	}
	switch st {
	case StateMaster:
		return s.Master
	case StateBackup:
		return s.Backup
	case StateFault:
		return s.Fault
	case StateStop:
		return s.Stop
	case StateDeleted:
		return s.Deleted
	case EventMasterRxLowerPri:
		return s.MasterRxLowerPri
	}
	return nil
}

// Event is one notification. The daemon builds it from the VRRP core's
// Notify action; Enqueue never blocks on it.
type Event struct {
	Kind     Kind
	Name     string // instance or sync group name
	State    State  // the state entered, or the event
	From     State  // the previous state, for the mail body (may be StateUnknown)
	Priority int    // effective priority; keepalived sends 0 for a group
	Reason   string // why, from the core, for the mail body and logs
	Scripts  *Scripts
	// SMTPAlert is the instance's or group's smtp_alert (after global defaults).
	SMTPAlert bool
	// Line, if set, is the FIFO line as it is (the load balancer's "VS ..."
	// and "RS ..." lines, keepalived's check/ipwrapper.c format).
	Line string
	// Mail, if set, is a ready alert (the load balancer's real and virtual
	// server alerts); it is mailed as it is when SMTPAlert is set.
	Mail *Mail
}

// Mail is an alert's subject (without the "[router_id] " prefix, which
// the SMTP configuration adds) and body.
type Mail struct {
	Subject, Body string
}

// FIFOLine is the line keepalived writes for e on notify_fifo and
// vrrp_notify_fifo (vrrp_notify.c notify_fifo): TYPE "NAME" STATE PRIORITY\n.
func (e Event) FIFOLine() string {
	if e.Line != "" {
		return e.Line
	}
	return fmt.Sprintf("%s \"%s\" %s %d\n", e.Kind, e.Name, e.State, e.Priority)
}

// NotifyArgs are the four arguments keepalived appends to the generic notify
// script: INSTANCE|GROUP, the name, the state, the priority.
func (e Event) NotifyArgs() []string {
	return []string{e.Kind.String(), e.Name, e.State.String(), fmt.Sprint(e.Priority)}
}

// ScriptResult is a finished (or refused) notify script run.
type ScriptResult struct {
	Event Event
	Result
}

// Config configures a Notifier. The zero value runs scripts only.
type Config struct {
	// Exec runs the scripts (script security lives there). Nil means a
	// default Exec with security off.
	Exec *Exec
	// ScriptTimeout bounds each notify script. keepalived does not wait for
	// notify scripts; we do (to keep them ordered per instance), so a hung
	// one is killed after this long. Zero means 30 s.
	ScriptTimeout time.Duration
	// ScriptWorkers is how many scripts may run at once. Scripts of one
	// instance or group always run in order on the same worker. Zero means 4.
	ScriptWorkers int
	// QueueSize bounds each queue (scripts per worker, FIFO lines, mails).
	// Zero means 256. When a queue is full the event is dropped and counted.
	QueueSize int
	// FIFOs are notify_fifo and vrrp_notify_fifo; both receive every line.
	FIFOs []FIFO
	// SMTP, if set, sends alerts for events with SMTPAlert.
	SMTP *SMTPConfig
	// OnScript, if set, is called on a worker goroutine after every script.
	OnScript func(ScriptResult)
	// Logger receives one line per failure. Nil discards.
	Logger *slog.Logger
	// Now is the clock for mail Date headers. Nil means time.Now.
	Now func() time.Time
}

// Stats are cumulative counters, safe to read at any time.
type Stats struct {
	Enqueued        uint64 // events accepted by Enqueue
	ScriptsRun      uint64 // scripts attempted
	ScriptFailures  uint64 // scripts that did not exit 0 (includes the two below)
	ScriptTimeouts  uint64 // scripts killed after ScriptTimeout
	ScriptRefused   uint64 // scripts not run: missing, not executable, or insecure under enable_script_security
	ScriptsDropped  uint64 // events whose scripts were dropped because the queue was full
	FIFOLines       uint64 // lines written to FIFOs (per FIFO)
	FIFOErrors      uint64 // lines that could not be written (full pipe, closed FIFO)
	FIFODropped     uint64 // events dropped because the FIFO queue was full
	MailsSent       uint64
	MailFailures    uint64 // mails given up after all retries
	MailAttemptErrs uint64 // individual failed attempts
	MailDropped     uint64 // alerts dropped because the mail queue was full
}

type counters struct {
	enqueued, scriptsRun, scriptFailures, scriptTimeouts, scriptRefused, scriptsDropped atomic.Uint64
	fifoLines, fifoErrors, fifoDropped                                                  atomic.Uint64
	mailsSent, mailFailures, mailAttemptErrs, mailDropped                               atomic.Uint64
}

// Notifier delivers notifications. Create it with New, start it with Run,
// and call Enqueue from anywhere: Enqueue only copies the event into bounded
// queues and never waits for a script, a FIFO reader or a mail server.
type Notifier struct {
	cfg     Config
	log     *slog.Logger
	exec    *Exec
	scripts []chan Event
	fifo    chan Event
	mail    chan Event
	c       counters
	started atomic.Bool
	// pending counts queued or in-progress work items (one per queue an
	// event entered); Drain waits for it to reach zero.
	pending atomic.Int64
}

// New builds a Notifier. It has no side effects: FIFOs are created, the FIFO
// scripts started and the workers launched by Run.
func New(cfg Config) *Notifier {
	if cfg.ScriptTimeout <= 0 {
		cfg.ScriptTimeout = 30 * time.Second
	}
	if cfg.ScriptWorkers <= 0 {
		cfg.ScriptWorkers = 4
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 256
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	x := cfg.Exec
	if x == nil {
		x = &Exec{}
	}
	if x.Warn == nil {
		x.Warn = func(err error) { log.Warn("insecure script allowed (enable_script_security is off)", "err", err) }
	}
	n := &Notifier{cfg: cfg, log: log, exec: x}
	for range cfg.ScriptWorkers {
		n.scripts = append(n.scripts, make(chan Event, cfg.QueueSize))
	}
	if len(cfg.FIFOs) > 0 {
		n.fifo = make(chan Event, cfg.QueueSize)
	}
	if cfg.SMTP != nil {
		n.mail = make(chan Event, cfg.QueueSize)
	}
	return n
}

// Enqueue queues e for its scripts, the FIFOs and mail, and returns at once.
// It returns false if any part of e was dropped because a queue was full.
func (n *Notifier) Enqueue(e Event) bool {
	n.c.enqueued.Add(1)
	ok := true
	if s := e.Scripts; s != nil && (s.forState(e.State) != nil || (e.State.IsTransition() && s.Notify != nil)) {
		h := fnv.New32a()
		h.Write([]byte(e.Kind.String()))
		h.Write([]byte(e.Name))
		ok = n.offer(n.scripts[h.Sum32()%uint32(len(n.scripts))], e, &n.c.scriptsDropped) && ok
	}
	if n.fifo != nil {
		ok = n.offer(n.fifo, e, &n.c.fifoDropped) && ok
	}
	if n.mail != nil && e.SMTPAlert && mailWanted(e, n.cfg.SMTP) {
		ok = n.offer(n.mail, e, &n.c.mailDropped) && ok
	}
	return ok
}

// offer queues e on q without waiting, counted in pending until a worker has
// handled it; a full queue drops e and counts it in dropped.
func (n *Notifier) offer(q chan<- Event, e Event, dropped *atomic.Uint64) bool {
	n.pending.Add(1)
	select {
	case q <- e:
		return true
	default:
		n.pending.Add(-1)
		dropped.Add(1)
		return false
	}
}

// Stats returns the counters.
func (n *Notifier) Stats() Stats {
	return Stats{
		Enqueued:        n.c.enqueued.Load(),
		ScriptsRun:      n.c.scriptsRun.Load(),
		ScriptFailures:  n.c.scriptFailures.Load(),
		ScriptTimeouts:  n.c.scriptTimeouts.Load(),
		ScriptRefused:   n.c.scriptRefused.Load(),
		ScriptsDropped:  n.c.scriptsDropped.Load(),
		FIFOLines:       n.c.fifoLines.Load(),
		FIFOErrors:      n.c.fifoErrors.Load(),
		FIFODropped:     n.c.fifoDropped.Load(),
		MailsSent:       n.c.mailsSent.Load(),
		MailFailures:    n.c.mailFailures.Load(),
		MailAttemptErrs: n.c.mailAttemptErrs.Load(),
		MailDropped:     n.c.mailDropped.Load(),
	}
}

// Drain waits until every event queued so far has been handled (its scripts
// have finished, its FIFO lines are written, its mail sent or given up), or
// until ctx ends; it reports whether everything was handled. The daemon
// calls it on shutdown, before ending Run, so the STOP notifications are
// delivered: keepalived too runs the STOP notify script to completion (with
// a 1 s limit) before it exits.
func (n *Notifier) Drain(ctx context.Context) bool {
	if n.pending.Load() <= 0 {
		return true
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for n.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// Run starts the workers, creates and opens the FIFOs and starts their
// scripts, and blocks until ctx is done. Running scripts are then killed
// (SIGTERM to their process group), FIFO scripts stopped, and FIFOs this
// Notifier created removed. Events still queued when ctx ends are dropped.
// Run returns an error only if it is called twice.
func (n *Notifier) Run(ctx context.Context) error {
	if !n.started.CompareAndSwap(false, true) {
		return errors.New("notify: Run called twice")
	}
	var wg sync.WaitGroup
	for _, q := range n.scripts {
		wg.Go(func() { n.scriptWorker(ctx, q) })
	}
	if n.fifo != nil {
		fifos := n.openFIFOs(ctx, &wg)
		wg.Go(func() { n.fifoWorker(ctx, fifos) })
	}
	if n.mail != nil {
		wg.Go(func() { n.mailWorker(ctx) })
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

func (n *Notifier) scriptWorker(ctx context.Context, q <-chan Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-q:
			if s := e.Scripts.forState(e.State); s != nil {
				n.runScript(ctx, e, s)
			}
			if e.State.IsTransition() && e.Scripts.Notify != nil {
				n.runScript(ctx, e, e.Scripts.Notify, e.NotifyArgs()...)
			}
			n.pending.Add(-1)
		}
	}
}

func (n *Notifier) runScript(ctx context.Context, e Event, s *Script, extra ...string) {
	if ctx.Err() != nil {
		return
	}
	n.c.scriptsRun.Add(1)
	r := n.exec.Run(ctx, s, n.cfg.ScriptTimeout, extra...)
	if r.Err != nil {
		n.c.scriptFailures.Add(1)
		switch {
		case errors.Is(r.Err, ErrScriptTimeout):
			n.c.scriptTimeouts.Add(1)
		case errors.Is(r.Err, ErrScriptInsecure), errors.Is(r.Err, ErrScriptNotFound), errors.Is(r.Err, ErrScriptNotExec):
			n.c.scriptRefused.Add(1)
		}
		n.log.Warn("notify script failed", "instance", e.Name, "to", e.State.String(), "script", s.String(), "err", r.Err)
	}
	if n.cfg.OnScript != nil {
		n.cfg.OnScript(ScriptResult{Event: e, Result: r})
	}
}
