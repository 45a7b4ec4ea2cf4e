package vrrp

import (
	"fmt"
	"net/netip"
	"time"

	"gokeepalived/internal/vrrp/packet"
)

// Maintenance puts the instance in maintenance (On) or takes it out. In
// maintenance a MASTER hands over (a priority 0 advert, so a backup takes
// over after its Skew_Time) and releases its addresses; the instance then
// stays BACKUP whatever it hears or its timers say (its Master_Down_Timer
// never makes it MASTER; an owner does not take over) until maintenance
// ends. Then it behaves as configured: it takes over when no master is
// heard for Master_Down_Interval, and preempts a lower-priority master if
// preemption is on.
type Maintenance struct{ On bool }

// HandOver makes a MASTER hand over once: a priority 0 advert, the
// addresses released, BACKUP. It then does not preempt the master that
// takes over (as with nopreempt) until that master is gone; otherwise it
// behaves as configured. Ignored (already_in_state) unless MASTER.
type HandOver struct{}

func (Maintenance) isInput() {}
func (HandOver) isInput()    {}

// InMaintenance reports whether the instance is in maintenance.
func (i *Instance) InMaintenance() bool { return i.maint }

func (i *Instance) maintenance(now time.Time, on bool) IgnoreReason {
	if on == i.maint {
		return IgnoreAlreadyInSt
	}
	i.maint = on
	if on {
		if i.state == StateMaster {
			i.handOver(now, "maintenance on: handed over with a priority 0 advert")
		}
		return IgnoreNone
	}
	if i.state != StateBackup {
		return IgnoreNone // INIT, FAULT, STOP: Startup or the fault's end decide
	}
	if i.owner() {
		i.becomeMaster(now, "maintenance off; address owner (priority 255) takes over")
		return IgnoreNone
	}
	if i.masterDownTimer.IsZero() {
		// Handed over and heard nothing since: wait a full interval.
		i.masterDownTimer = now.Add(i.MasterDownInterval())
	}
	// Otherwise the timer kept running in maintenance (reset by a
	// master's adverts, left to expire by a lower-priority master's when
	// preempting): it fires at once if it expired meanwhile.
	return IgnoreNone
}

func (i *Instance) handOverInput(now time.Time) IgnoreReason {
	if i.state != StateMaster || i.handingOver {
		return IgnoreAlreadyInSt
	}
	i.yielded = true
	i.handOver(now, "failover requested: handed over with a priority 0 advert")
	return IgnoreNone
}

// handOver starts leaving MASTER as a shutdown does (RFC 9568 §6.4.3: a
// priority 0 advert, so a backup takes over after its Skew_Time), but keeps
// the addresses, silent, until the new master's first advert (handedOver),
// so no client request falls in the gap; if nobody takes over within a
// Master_Down_Interval, handOverTimedOut decides.
func (i *Instance) handOver(now time.Time, reason string) {
	i.push(SendAdvert{Priority: 0})
	i.adverTimer, i.garpDelayTimer, i.garpRefreshTimer, i.garpExtraNext = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	i.handingOver, i.handOverWhy, i.handOverAt = true, reason, now
	i.masterDownTimer = now.Add(i.MasterDownInterval())
}

// handedOver: an advert while handing over. One with a priority is the
// new master's: release the addresses and follow it.
func (i *Instance) handedOver(now time.Time, src netip.Addr, a *packet.Advert) {
	if a.Priority == 0 {
		return // another router leaving too
	}
	i.leaveMaster()
	if i.cfg.Version == 3 {
		i.masterAdverInt = Centisecs(a.AdverInt)
	}
	i.master, i.masterPrio, i.lastHeard, i.heardAny = src, a.Priority, now, true
	i.enterBackup(now, causeAdvert, fmt.Sprintf("%s; %s (priority %d) took over after %s (ours %d)",
		i.handOverWhy, src, a.Priority, secs(now.Sub(i.handOverAt)), i.prio))
}

// handOverTimedOut: nobody took over. In maintenance the addresses are
// released anyway (BACKUP); after a failover request the instance stays
// MASTER and advertises again.
func (i *Instance) handOverTimedOut(now time.Time) {
	i.handingOver, i.yielded = false, false
	if i.maint {
		i.leaveMaster()
		i.enterBackup(now, causeHandOver, fmt.Sprintf("%s; no other router took over within %s: addresses released anyway",
			i.handOverWhy, secs(now.Sub(i.handOverAt))))
		return
	}
	i.masterDownTimer = time.Time{}
	i.push(SendAdvert{Priority: i.prio})
	i.adverTimer = now.Add(i.adverInt.Duration())
}
