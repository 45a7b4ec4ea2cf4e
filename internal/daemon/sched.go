package daemon

import (
	"time"

	"gokeepalived/internal/config"
)

// The VRRP threads' scheduling. keepalived sets vrrp_rt_priority,
// vrrp_priority and vrrp_cpu_affinity on its VRRP child process; here the
// VRRP loop and the socket reader threads are that child, so they get them
// (each on its own locked OS thread). Without vrrp_rt_priority they run
// SCHED_RR at DefaultRTPriority (keepalived runs SCHED_OTHER and only
// raises itself when late, with max_auto_priority): a max_auto_priority
// below it caps it, and -1 turns it off (SCHED_OTHER at vrrp_priority).
// The process-wide knobs (vrrp_no_swap, vrrp_rlimit_rttime) are applied by
// the caller (cmd wiring) before Run.

// DefaultRTPriority is the SCHED_RR priority of the VRRP threads without
// vrrp_rt_priority: measured, keepalived with 10 ms adverts fails over
// falsely when busy processes compete for the CPUs; a low real-time
// priority is enough to run before every normal task, and the kernel's RT
// throttling still bounds it.
const DefaultRTPriority = 10

// threadSettings are the VRRP threads' scheduling from global_defs.
func threadSettings(g *config.Global) ThreadSettings {
	s := ThreadSettings{Nice: g.VRRPProc.Nice, CPUs: g.VRRPProc.CPUs, Name: g.VRRPProcessName}
	switch {
	case g.VRRPProc.RTPriority > 0:
		s.RTPriority = g.VRRPProc.RTPriority
	case g.MaxAutoPriority < 0:
		s.RTPriority = 0
	case g.MaxAutoPriority > 0:
		s.RTPriority = min(DefaultRTPriority, g.MaxAutoPriority)
	default:
		s.RTPriority = DefaultRTPriority
	}
	return s
}

// autoPriority is keepalived's max_auto_priority for the VRRP loop: when
// the loop wakes more than delay after a timer was due, its SCHED_RR
// priority goes up by one (from SCHED_OTHER to 1), up to max.
type autoPriority struct {
	max   int
	delay time.Duration
}

func newAutoPriority(g *config.Global) autoPriority {
	return autoPriority{max: g.MaxAutoPriority, delay: g.MinAutoPriorityDelay}
}

// raise returns the loop's next RT priority when it woke at now for a
// timer due at deadline while running at cur, and whether to change it.
func (a autoPriority) raise(cur int, deadline, now time.Time) (int, bool) {
	if a.max <= 0 || deadline.IsZero() || cur >= a.max || now.Sub(deadline) <= a.delay {
		return cur, false
	}
	return cur + 1, true
}

// setupLoopThread gives the (locked) loop thread s, logging a refusal.
func (d *Daemon) setupLoopThread(s ThreadSettings) bool {
	if err := d.ports.Thread.Setup(s); err != nil {
		d.log.Warn("cannot set the VRRP loop's scheduling; adverts may be delayed when the CPUs are busy",
			"rt_priority", s.RTPriority, "nice", s.Nice, "cpus", s.CPUs, "err", err)
		return false
	}
	d.log.Debug("VRRP loop scheduling set", "rt_priority", s.RTPriority, "nice", s.Nice, "cpus", s.CPUs)
	return true
}

// lateWake raises the loop's RT priority (max_auto_priority) when it
// woke too late for the timer due at deadline.
func (d *Daemon) lateWake(s *ThreadSettings, deadline time.Time) {
	now := d.now()
	next, ok := d.auto.raise(s.RTPriority, deadline, now)
	if !ok {
		return
	}
	t := *s
	t.RTPriority = next
	d.log.Info("VRRP loop ran late: raising its real-time priority (max_auto_priority)",
		"late", now.Sub(deadline), "rt_priority", next, "max_auto_priority", d.auto.max)
	if d.setupLoopThread(t) {
		*s = t
	}
}

// startDelayed starts the units held by vrrp_startup_delay once it has
// passed. keepalived keeps its instances in BACKUP meanwhile with the
// master down timer running from the end of the delay, so neither becomes
// MASTER before delay + Master_Down_Interval.
func (d *Daemon) startDelayed(now time.Time) {
	if d.startAt.IsZero() || now.Before(d.startAt) {
		return
	}
	d.startAt = time.Time{}
	d.log.Info("vrrp_startup_delay over: starting the VRRP instances")
	for _, u := range d.units {
		if u.awaitingTrackers {
			d.startUnit(u)
		}
	}
}
