package vrrp

import (
	"fmt"
	"time"
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
			i.handOver(now, "maintenance on: handed over with a priority 0 advert; staying BACKUP until maintenance off")
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
	if i.state != StateMaster {
		return IgnoreAlreadyInSt
	}
	i.yielded = true
	i.handOver(now, "failover requested: handed over with a priority 0 advert")
	return IgnoreNone
}

// handOver leaves MASTER as a shutdown does (RFC 9568 §6.4.3: a priority 0
// advert, so backups take over after Skew_Time), but to BACKUP.
func (i *Instance) handOver(now time.Time, reason string) {
	i.push(SendAdvert{Priority: 0})
	i.leaveMaster()
	i.enterBackup(now, causeHandOver, fmt.Sprintf("%s (priority %d)", reason, i.prio))
}
