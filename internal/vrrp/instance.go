package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"gokeepalived/internal/vrrp/packet"
)

// downCause records why the Master_Down_Timer was last set, so that the
// transition it causes can say why in words.
type downCause uint8

const (
	causeStartup  downCause = iota // entered BACKUP from INIT/FAULT, nothing accepted since
	causeAdvert                    // reset by an accepted advertisement
	causePrio0                     // set to Skew_Time by a priority-0 advertisement
	causeGroup                     // a sync group moved us to BACKUP
	causeHandOver                  // we handed over (maintenance, failover)
)

type faultEntry struct{ source, reason string }

// Instance is one VRRP virtual router: the RFC 9568 §6 state machine with
// keepalived's FAULT/STOP states and knobs. It is pure: it does no I/O,
// starts no goroutine and never reads the clock. Drive it with Handle; it is
// not safe for concurrent use.
type Instance struct {
	cfg   Config
	state State
	prio  uint8 // effective priority

	// RFC 9568 §6.1 parameters, in RFC units.
	adverInt       Centisecs // Advertisement_Interval (ours)
	masterAdverInt Centisecs // Master_Adver_Interval (v3: learned from the master)

	// Timers; the zero time means "not running".
	masterDownTimer  time.Time // BACKUP: Master_Down_Timer
	adverTimer       time.Time // MASTER: Adver_Timer
	garpDelayTimer   time.Time // MASTER: garp_master_delay
	garpRefreshTimer time.Time // MASTER: garp_master_refresh
	garpExtraNext    time.Time // MASTER: garp_extra_if, checked when an advert is due

	downCause   downCause
	backupSince time.Time  // when BACKUP was entered
	heardAny    bool       // any advert received since entering BACKUP from INIT/FAULT
	master      netip.Addr // last accepted master (or the peer that made us BACKUP)
	masterPrio  uint8
	lastHeard   time.Time  // when the last accepted advert arrived
	lowerPeer   netip.Addr // lower-priority master whose adverts we discard (preempting)
	lowerPrio   uint8
	preemptTime time.Time // keepalived preempt_time: end of the preempt delay
	// MASTER: lower-priority masters heard since becoming MASTER (their
	// first advert may have crossed ours; a second one means they do not
	// hear us).
	rivals []netip.Addr

	faults []faultEntry

	// maint: in maintenance (never MASTER); yielded: handed over by
	// HandOver, so the master that took over is not preempted.
	maint, yielded bool
	// handingOver: a MASTER that sent its priority 0 advert keeps the
	// addresses until the new master's first advert (no gap for the
	// clients), or until masterDownTimer if nobody takes over.
	handingOver bool
	handOverWhy string
	handOverAt  time.Time

	// The configured preemption knobs before normalize (which clears them
	// for an owner): restored when a reload makes an owner a non-owner.
	noPreempt    bool
	preemptDelay time.Duration

	acts []Action
	tr   Transition
	trOK bool
}

// NewInstance validates cfg and returns an instance in INIT. It has no side
// effects; send Startup to start it.
func NewInstance(cfg Config) (*Instance, error) {
	c, err := cfg.normalize()
	if err != nil {
		return nil, fmt.Errorf("vrrp instance vrid %d: %w", cfg.VRID, err)
	}
	c.PrimaryAddr = c.PrimaryAddr.Unmap()
	i := &Instance{cfg: c, state: StateInit, prio: c.Priority, acts: make([]Action, 0, 8), noPreempt: cfg.NoPreempt, preemptDelay: cfg.PreemptDelay}
	i.adverInt = CentisecsOf(c.AdverInt)
	i.masterAdverInt = i.adverInt
	return i, nil
}

// State returns the current state.
func (i *Instance) State() State { return i.state }

// Priority returns the effective priority (255 for the owner).
func (i *Instance) Priority() uint8 { return i.prio }

// Config returns the normalized configuration.
func (i *Instance) Config() Config { return i.cfg }

// Master returns the last master this instance accepted adverts from, and
// its priority; the zero Addr if none (or if we are the master).
func (i *Instance) Master() (netip.Addr, uint8) {
	if i.state == StateMaster {
		return i.cfg.PrimaryAddr, i.prio
	}
	return i.master, i.masterPrio
}

// MasterAdverInterval returns Master_Adver_Interval in centiseconds.
func (i *Instance) MasterAdverInterval() Centisecs { return i.masterAdverInt }

// SkewTime returns the current Skew_Time (see the package function).
func (i *Instance) SkewTime() time.Duration {
	return SkewTime(i.cfg.Version, i.prio, i.masterAdverInt)
}

// MasterDownInterval returns the current Master_Down_Interval.
func (i *Instance) MasterDownInterval() time.Duration {
	return MasterDownInterval(i.cfg.Version, i.prio, i.masterAdverInt, i.cfg.DownTimerAdverts)
}

// owner reports whether we are the address owner (RFC 9568 §5.2.4).
func (i *Instance) owner() bool { return i.prio == 255 }

// Handle advances the instance to now with one input and returns what must
// be done. The returned Output's slices are reused by the next call.
// Steady-state inputs (an accepted advert in BACKUP, the Adver_Timer in
// MASTER) do not allocate.
func (i *Instance) Handle(now time.Time, in Input) Output {
	i.begin()
	var ign IgnoreReason
	switch in := in.(type) {
	case AdvertReceived:
		ign = i.recvAdvert(now, in.Src, &in.Advert)
	case TimerFired:
		i.timerFired(now)
	case Startup:
		ign = i.startup(now)
	case Shutdown:
		ign = i.shutdown()
	case PriorityChanged:
		ign = i.priorityChanged(in.Effective)
	case ConfiguredPriority:
		ign = i.configuredPriority(now, in.Priority)
	case ConfiguredVIPs:
		ign = i.configuredVIPs(now, in.VIPs)
	case Fault:
		i.fault(now, in.Source, in.Reason)
	case FaultCleared:
		ign = i.faultCleared(now, in.Source, in.Reason)
	case Maintenance:
		ign = i.maintenance(now, in.On)
	case HandOver:
		ign = i.handOverInput(now)
	}
	return i.output(ign)
}

func (i *Instance) begin() {
	clear(i.acts) // drop references held by the previous call's actions
	i.acts = i.acts[:0]
	i.trOK = false
}

func (i *Instance) output(ign IgnoreReason) Output {
	out := Output{Actions: i.acts, Deadline: i.deadline(), Ignored: ign}
	if i.trOK {
		out.Transition = &i.tr
	}
	return out
}

func (i *Instance) deadline() time.Time {
	var d time.Time
	down := i.masterDownTimer
	if i.maint && i.state == StateBackup {
		down = time.Time{} // never acted on in maintenance
	}
	for _, t := range [...]time.Time{down, i.adverTimer, i.garpDelayTimer, i.garpRefreshTimer} {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

func (i *Instance) push(a Action) { i.acts = append(i.acts, a) }

func (i *Instance) transition(to State, reason string) {
	i.tr = Transition{From: i.state, To: to, Reason: reason}
	i.trOK = true
	i.state = to
	i.push(Notify{State: to, Reason: reason})
}

// startup handles the RFC Startup event. RFC 9568 §6.4.1.
func (i *Instance) startup(now time.Time) IgnoreReason {
	if i.state != StateInit && i.state != StateStop {
		return IgnoreAlreadyInSt
	}
	i.preemptTime = time.Time{}
	if len(i.faults) > 0 {
		// keepalived: an instance whose tracked objects are down at
		// startup enters FAULT instead of BACKUP.
		i.transition(StateFault, "startup with fault: "+i.faults[0].reason)
		return IgnoreNone
	}
	if i.owner() && !i.maint {
		// RFC 9568 §6.4.1: "If the Priority = 255 ... Send an ADVERTISEMENT
		// ... transition to the {Active} state". keepalived: same for the
		// owner; a non-owner with state MASTER starts as BACKUP below.
		i.becomeMaster(now, "address owner (priority 255) starts as master")
		return IgnoreNone
	}
	// RFC 9568 §6.4.1: else: Set Master_Adver_Interval to
	// Advertisement_Interval, set Master_Down_Timer to Master_Down_Interval,
	// transition to Backup.
	if i.maint {
		i.enterBackup(now, causeStartup, "startup in maintenance: BACKUP until maintenance off")
		return IgnoreNone
	}
	i.enterBackup(now, causeStartup, fmt.Sprintf("startup; waiting %s (master down interval) for an advertisement",
		secs(MasterDownInterval(i.cfg.Version, i.prio, i.adverInt, i.cfg.DownTimerAdverts))))
	return IgnoreNone
}

// enterBackup moves to BACKUP with the Master_Down_Timer set to
// Master_Down_Interval. With causeStartup it also forgets what it heard.
func (i *Instance) enterBackup(now time.Time, cause downCause, reason string) {
	if cause == causeStartup {
		// RFC 9568 §6.4.1: Set Master_Adver_Interval to Advertisement_Interval.
		i.masterAdverInt = i.adverInt
		i.heardAny, i.yielded = false, false
		i.master, i.masterPrio = netip.Addr{}, 0
		i.backupSince = now
	}
	i.lowerPeer = netip.Addr{}
	i.handingOver = false
	i.masterDownTimer = now.Add(i.MasterDownInterval())
	i.downCause = cause
	i.transition(StateBackup, reason)
}

// becomeMaster moves to MASTER. RFC 9568 §6.4.1 / §6.4.2: send an
// ADVERTISEMENT, broadcast gratuitous ARP / unsolicited NA for each address,
// set the Adver_Timer to Advertisement_Interval, transition to Active.
func (i *Instance) becomeMaster(now time.Time, reason string) {
	i.masterDownTimer = time.Time{}
	i.yielded, i.handingOver = false, false
	// keepalived order: add the VIPs, then advertise, then GARP (which
	// needs the addresses in place).
	i.push(AcquireVIPs{})
	i.push(SendAdvert{Priority: i.prio})
	i.push(SendGratuitous{Repeat: i.cfg.GARPMasterRepeat})
	i.adverTimer = now.Add(i.adverInt.Duration())
	if i.cfg.GARPMasterDelay > 0 { // keepalived garp_master_delay
		i.garpDelayTimer = now.Add(i.cfg.GARPMasterDelay)
	}
	if i.cfg.GARPMasterRefresh > 0 { // keepalived garp_master_refresh
		i.garpRefreshTimer = now.Add(i.cfg.GARPMasterRefresh)
	}
	i.garpExtraNext = time.Time{}
	if i.cfg.GARPExtraIf > 0 { // keepalived garp_extra_if
		i.garpExtraNext = now.Add(i.cfg.GARPExtraIf)
	}
	i.lowerPeer = netip.Addr{}
	i.rivals = i.rivals[:0]
	i.transition(StateMaster, reason)
}

// leaveMaster cancels MASTER's timers and releases the VIPs.
func (i *Instance) leaveMaster() {
	i.adverTimer, i.garpDelayTimer, i.garpRefreshTimer, i.garpExtraNext = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	i.push(ReleaseVIPs{})
}

// shutdown handles the RFC Shutdown event.
func (i *Instance) shutdown() IgnoreReason {
	switch i.state {
	case StateMaster:
		// RFC 9568 §6.4.3: Cancel the Adver_Timer, Send an ADVERTISEMENT
		// with Priority = 0, transition to Initialize.
		i.push(SendAdvert{Priority: 0})
		i.leaveMaster()
	case StateBackup:
		// RFC 9568 §6.4.2: Cancel the Master_Down_Timer, transition to Initialize.
		i.masterDownTimer = time.Time{}
	case StateFault:
	default:
		return IgnoreAlreadyInSt
	}
	i.transition(StateStop, "shutdown")
	return IgnoreNone
}

// recvAdvert handles an ADVERTISEMENT received for our VRID.
func (i *Instance) recvAdvert(now time.Time, src netip.Addr, a *packet.Advert) IgnoreReason {
	if i.state != StateBackup && i.state != StateMaster {
		return IgnoreNotRunning
	}
	// The packet layer has validated the packet (RFC 9568 §7.1); these
	// checks are defensive and cheap.
	if a.VRID != i.cfg.VRID {
		return IgnoreWrongVRID
	}
	if a.Version != i.cfg.Version {
		return IgnoreWrongVersion // RFC 9568 §7.1 / RFC 3768 §7.1: verify the version
	}
	src = src.Unmap()
	if src == i.cfg.PrimaryAddr {
		return IgnoreOwnAdvert
	}
	if i.cfg.Version == 2 && Centisecs(a.AdverInt)*100 != i.adverInt {
		return IgnoreIntervalV2 // RFC 3768 §7.1: Adver Interval MUST match, else discard
	}
	if i.cfg.Version == 3 && a.AdverInt == 0 {
		return IgnoreZeroInterval // RFC 9568 erratum 8301
	}
	if i.owner() && i.cfg.OwnerIgnoreAdverts {
		// RFC 3768 §7.1 / RFC 5798 §7.1 as published: the owner discards.
		// Default: process them (RFC 9568 erratum 8298), as keepalived does.
		return IgnoreOwner
	}
	if i.state == StateBackup {
		return i.backupRecv(now, src, a)
	}
	i.masterRecv(now, src, a)
	return IgnoreNone
}

func (i *Instance) backupRecv(now time.Time, src netip.Addr, a *packet.Advert) IgnoreReason {
	i.heardAny = true
	if a.Priority == 0 {
		// RFC 9568 §6.4.2: If the Priority in the ADVERTISEMENT is zero,
		// then: Set the Master_Down_Timer to Skew_Time.
		i.masterDownTimer = now.Add(i.SkewTime())
		i.downCause = causePrio0
		i.master, i.masterPrio = src, 0
		return IgnoreNone
	}
	// RFC 9568 §6.1: the owner always preempts, whatever Preempt_Mode says
	// (normalize clears NoPreempt for it).
	// After a HandOver, the master that took over is not preempted.
	preempt := !i.cfg.NoPreempt && !i.yielded
	// keepalived preempt_delay: keep accepting a lower-priority master
	// until preemptTime (started by the first such advert) has passed.
	delaying := i.cfg.PreemptDelay > 0 && (i.preemptTime.IsZero() || now.Before(i.preemptTime))
	if !preempt || a.Priority >= i.prio || delaying {
		// RFC 9568 §6.4.2: If Preempt_Mode is False, or if the Priority in
		// the ADVERTISEMENT is greater than or equal to the local Priority:
		if i.cfg.Version == 3 {
			// RFC 9568 §6.4.2: Set Master_Adver_Interval to the Max
			// Advertise Interval contained in the ADVERTISEMENT, recompute
			// Skew_Time and Master_Down_Interval (done by MasterDownInterval).
			i.masterAdverInt = Centisecs(a.AdverInt)
		}
		// RFC 9568 §6.4.2 / RFC 3768 §6.4.2: Reset the Master_Down_Timer
		// to Master_Down_Interval.
		i.masterDownTimer = now.Add(i.MasterDownInterval())
		i.downCause = causeAdvert
		i.master, i.masterPrio, i.lastHeard = src, a.Priority, now
		i.lowerPeer = netip.Addr{}
		if i.cfg.PreemptDelay > 0 {
			if a.Priority >= i.prio {
				i.preemptTime = time.Time{} // keepalived: "stop preempt delay"
			} else if i.preemptTime.IsZero() {
				i.preemptTime = now.Add(i.cfg.PreemptDelay) // "start preempt delay"
			}
		}
		return IgnoreNone
	}
	// RFC 9568 §6.4.2: else (Preempt_Mode True and lower priority): Discard
	// the ADVERTISEMENT. The Master_Down_Timer keeps running, so we preempt
	// when it fires.
	i.lowerPeer, i.lowerPrio = src, a.Priority
	return IgnoreLowerPriority
}

func (i *Instance) masterRecv(now time.Time, src netip.Addr, a *packet.Advert) {
	if i.handingOver {
		i.handedOver(now, src, a)
		return
	}
	if a.Priority == 0 {
		// RFC 9568 §6.4.3: If the Priority in the ADVERTISEMENT is zero:
		// Send an ADVERTISEMENT, Reset the Adver_Timer to Advertisement_Interval.
		i.push(SendAdvert{Priority: i.prio})
		i.adverTimer = now.Add(i.adverInt.Duration())
		return
	}
	higherAddr := a.Priority == i.prio && src.Compare(i.cfg.PrimaryAddr) > 0
	if a.Priority > i.prio || higherAddr {
		// RFC 9568 §6.4.3: If the Priority in the ADVERTISEMENT is greater
		// than the local Priority, or equal and the primary IPvX address of
		// the sender is greater than the local primary address (unsigned
		// comparison in network byte order: netip.Addr.Compare within one
		// family): Cancel Adver_Timer, set Master_Adver_Interval (v3),
		// recompute, set Master_Down_Timer, transition to Backup.
		var reason string
		if higherAddr {
			reason = fmt.Sprintf("equal priority %d from %s, a higher address than ours %s", a.Priority, src, i.cfg.PrimaryAddr)
		} else {
			reason = fmt.Sprintf("higher priority %d from %s (ours %d)", a.Priority, src, i.prio)
		}
		if i.cfg.HigherPrioSendAdvert {
			// keepalived higher_prio_send_advert: one last advert so the
			// new master's peers re-learn; not in the RFC.
			i.push(SendAdvert{Priority: i.prio})
		}
		i.leaveMaster()
		if i.cfg.Version == 3 {
			i.masterAdverInt = Centisecs(a.AdverInt)
		}
		i.master, i.masterPrio, i.lastHeard, i.heardAny = src, a.Priority, now, true
		i.enterBackup(now, causeAdvert, reason)
		return
	}
	// We out-rank the sender, which believes it is master: two masters.
	first := !slices.Contains(i.rivals, src)
	if first {
		i.rivals = append(i.rivals, src)
	}
	i.push(SplitBrainSuspect{Peer: src, PeerPriority: a.Priority, First: first})
	if !i.cfg.LowerPrioNoAdvert {
		// RFC 9568 §6.4.3 (new in 9568): Discard the ADVERTISEMENT and send
		// an ADVERTISEMENT immediately to assert the Active state. keepalived
		// does this by default. RFC 3768/5798 §6.4.3 only discard, which is
		// what lower_prio_no_advert selects.
		i.push(SendAdvert{Priority: i.prio})
	}
	if i.cfg.GARPLowerPrioRepeat > 0 { // keepalived garp_lower_prio_repeat
		i.push(SendGratuitous{Repeat: i.cfg.GARPLowerPrioRepeat})
	}
}

// timerFired runs every timer that has expired at now.
func (i *Instance) timerFired(now time.Time) {
	switch i.state {
	case StateBackup:
		if !i.maint && !i.masterDownTimer.IsZero() && !now.Before(i.masterDownTimer) {
			// RFC 9568 §6.4.2: If the Master_Down_Timer fires: Send an
			// ADVERTISEMENT, GARP/NA, set Adver_Timer, transition to Master.
			i.becomeMaster(now, i.masterDownReason(now))
		}
	case StateMaster:
		if i.handingOver && !now.Before(i.masterDownTimer) {
			i.handOverTimedOut(now)
			return
		}
		if !i.garpDelayTimer.IsZero() && !now.Before(i.garpDelayTimer) {
			i.push(SendGratuitous{Repeat: i.cfg.GARPMasterRepeat}) // keepalived garp_master_delay
			i.garpDelayTimer = time.Time{}
		}
		if !i.garpRefreshTimer.IsZero() && !now.Before(i.garpRefreshTimer) {
			i.push(SendGratuitous{Repeat: i.cfg.GARPMasterRefreshRepeat}) // keepalived garp_master_refresh
			i.garpRefreshTimer = now.Add(i.cfg.GARPMasterRefresh)
		}
		if !i.adverTimer.IsZero() && !now.Before(i.adverTimer) {
			// RFC 9568 §6.4.3: If the Adver_Timer fires: Send an
			// ADVERTISEMENT, Reset the Adver_Timer to Advertisement_Interval.
			i.push(SendAdvert{Priority: i.prio})
			i.adverTimer = now.Add(i.adverInt.Duration())
			// keepalived vrrp_state_master_tx: after the advert, the
			// extra interfaces' round once its time has passed.
			if !i.garpExtraNext.IsZero() && now.After(i.garpExtraNext) {
				i.push(SendGratuitous{Repeat: 1, ExtraIf: true})
				i.garpExtraNext = now.Add(i.cfg.GARPExtraIf)
			}
		}
	}
}

// masterDownReason explains an expired Master_Down_Timer.
func (i *Instance) masterDownReason(now time.Time) string {
	switch {
	case i.downCause == causePrio0:
		return fmt.Sprintf("received priority 0 from master %s (shutdown); taking over after skew time %s",
			i.master, secs(i.SkewTime()))
	case i.lowerPeer.IsValid():
		return fmt.Sprintf("preempting lower priority %d master %s (ours %d) after ignoring its advertisements for %s",
			i.lowerPrio, i.lowerPeer, i.prio, secs(now.Sub(i.lastHeardOrSince())))
	case i.downCause == causeHandOver:
		return fmt.Sprintf("no advertisement for %s after handing over (master down interval); no other router took over",
			secs(now.Sub(i.lastHeardOrSince())))
	case i.downCause == causeAdvert && i.master.IsValid():
		return fmt.Sprintf("no advertisement from %s for %s (master down interval)", i.master, secs(now.Sub(i.lastHeard)))
	case !i.heardAny:
		i.push(NoMasterHeard{Since: i.backupSince})
		return fmt.Sprintf("no advertisement heard in %s since entering BACKUP (master down interval); no master on the segment",
			secs(now.Sub(i.backupSince)))
	default:
		return fmt.Sprintf("no advertisement for %s (master down interval)", secs(now.Sub(i.lastHeardOrSince())))
	}
}

func (i *Instance) lastHeardOrSince() time.Time {
	if i.lastHeard.After(i.backupSince) {
		return i.lastHeard
	}
	return i.backupSince
}

// priorityChanged applies a new effective priority through EffectivePriority:
// the owner keeps 255 and others are clamped to 1..254 (keepalived: trackers
// cannot make or unmake an owner). Skew_Time and Master_Down_Interval use it
// from the next reset; a MASTER advertises it from its next advert.
func (i *Instance) priorityChanged(p uint8) IgnoreReason {
	if i.cfg.Priority == PriorityOwner {
		return IgnoreOwner
	}
	p = EffectivePriority(int(i.cfg.Priority), int(p))
	if p == i.prio {
		return IgnoreAlreadyInSt
	}
	i.prio = p
	return IgnoreNone
}

// configuredPriority applies a reloaded configured priority in place.
func (i *Instance) configuredPriority(now time.Time, p uint8) IgnoreReason {
	if p == 0 {
		p = 1
	}
	if p == i.cfg.Priority {
		return IgnoreAlreadyInSt
	}
	wasOwner := i.cfg.Priority == 255
	i.cfg.Priority = p
	// Re-derive what normalize derived from the priority.
	c := i.cfg
	c.NoPreempt, c.PreemptDelay = i.noPreempt, i.preemptDelay
	if n, err := c.normalize(); err == nil {
		i.cfg.NoPreempt, i.cfg.PreemptDelay = n.NoPreempt, n.PreemptDelay
	}
	switch {
	case p == 255:
		i.prio = 255
	case wasOwner:
		i.prio = p // the trackers' weights follow as PriorityChanged
	default:
		return IgnoreNone // the effective priority follows as PriorityChanged
	}
	switch i.state {
	case StateBackup:
		if i.owner() && !i.maint {
			i.becomeMaster(now, "configured priority 255 by reload: address owner takes over")
		}
	case StateMaster:
		// Advertise the new priority now rather than at the next interval,
		// so a higher-priority backup preempts a former owner at once.
		i.push(SendAdvert{Priority: i.prio})
		i.adverTimer = now.Add(i.adverInt.Duration())
	}
	return IgnoreNone
}

// configuredVIPs takes a new VIP list in place (a reload).
func (i *Instance) configuredVIPs(now time.Time, vips []netip.Addr) IgnoreReason {
	if slices.Equal(vips, i.cfg.VIPs) {
		return IgnoreAlreadyInSt
	}
	i.cfg.VIPs = slices.Clone(vips)
	if i.state != StateMaster {
		return IgnoreNone
	}
	// As on becoming MASTER: addresses, then the advert (so backups see
	// the new list now, not at the next interval), then the announcement.
	i.push(AcquireVIPs{})
	i.push(SendAdvert{Priority: i.prio})
	i.push(SendGratuitous{Repeat: i.cfg.GARPMasterRepeat})
	i.adverTimer = now.Add(i.adverInt.Duration())
	return IgnoreNone
}

// fault records a failed tracked object and enters FAULT.
func (i *Instance) fault(now time.Time, source, reason string) {
	if reason == "" {
		reason = source
	}
	found := false
	for k := range i.faults {
		if i.faults[k].source == source {
			i.faults[k].reason, found = reason, true
		}
	}
	if !found {
		i.faults = append(i.faults, faultEntry{source, reason})
	}
	i.enterFault(reason)
	_ = now
}

func (i *Instance) enterFault(reason string) {
	switch i.state {
	case StateMaster:
		// keepalived: a master leaving for FAULT sends a priority-0 advert
		// (so backups take over after Skew_Time) and releases the VIPs.
		i.push(SendAdvert{Priority: 0})
		i.leaveMaster()
	case StateBackup:
		i.masterDownTimer = time.Time{}
	default:
		return // INIT/STOP: remembered for Startup; FAULT: already there
	}
	i.transition(StateFault, "fault: "+reason)
}

// faultCleared forgets a failed object; when none is left FAULT is left for
// BACKUP, or MASTER for the owner (keepalived).
func (i *Instance) faultCleared(now time.Time, source, reason string) IgnoreReason {
	k := -1
	for j := range i.faults {
		if i.faults[j].source == source {
			k = j
		}
	}
	if k < 0 {
		return IgnoreAlreadyInSt
	}
	i.faults = append(i.faults[:k], i.faults[k+1:]...)
	if reason == "" {
		reason = source + " recovered"
	}
	if i.state != StateFault || len(i.faults) > 0 {
		return IgnoreNone
	}
	i.preemptTime = time.Time{}
	if i.owner() && !i.maint {
		i.becomeMaster(now, "fault cleared ("+reason+"); address owner (priority 255) takes over")
		return IgnoreNone
	}
	i.enterBackup(now, causeStartup, fmt.Sprintf("fault cleared (%s); waiting %s (master down interval) for an advertisement",
		reason, secs(MasterDownInterval(i.cfg.Version, i.prio, i.adverInt, i.cfg.DownTimerAdverts))))
	return IgnoreNone
}

// secs formats d as seconds with millisecond precision: "3.609s".
func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }
