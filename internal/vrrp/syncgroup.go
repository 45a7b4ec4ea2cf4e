package vrrp

import (
	"errors"
	"fmt"
	"time"
)

// AllMembers addresses an input (TimerFired) to every member of a SyncGroup.
const AllMembers = -1

// GroupAction is an Action for one member of a SyncGroup.
type GroupAction struct {
	Member int
	Action Action
}

// GroupTransition is a state change of one member of a SyncGroup.
type GroupTransition struct {
	Member int
	Transition
}

// GroupOutput is what SyncGroup.Handle returns. Its slices are reused by the
// next call.
type GroupOutput struct {
	Actions     []GroupAction
	Transitions []GroupTransition
	// Deadline is the earliest timer of any member; zero if none runs.
	Deadline time.Time
	// Ignored is the member's ignore reason for the input (single member).
	Ignored IgnoreReason
}

// SyncGroup is keepalived's vrrp_sync_group: its members change state
// together. It is pure, like Instance.
//
//   - A member entering FAULT puts every other member into FAULT (keepalived:
//     "Syncing instances to FAULT state"); when no member has a fault of its
//     own left, all leave FAULT together (BACKUP, or MASTER for an owner).
//   - A member becoming MASTER pulls the other BACKUP members to MASTER at
//     once ("Syncing instances to MASTER state"), without waiting for their
//     own Master_Down_Timer.
//   - A MASTER member going BACKUP takes the other MASTER members to BACKUP.
//
// Forced changes do not cascade further within the same call.
type SyncGroup struct {
	name    string
	members []*Instance
	source  string // Fault source used for faults imposed by the group

	acts []GroupAction
	trs  []GroupTransition
}

// NewSyncGroup groups members under name. Members must be distinct and
// not yet started; the group then owns their inputs: drive every member
// through the group's Handle, never directly.
func NewSyncGroup(name string, members ...*Instance) (*SyncGroup, error) {
	if len(members) == 0 {
		return nil, errors.New("sync group " + name + ": no members")
	}
	seen := map[*Instance]bool{}
	for _, m := range members {
		if m == nil || seen[m] {
			return nil, errors.New("sync group " + name + ": nil or duplicate member")
		}
		seen[m] = true
	}
	return &SyncGroup{name: name, members: members, source: "sync-group " + name}, nil
}

// Members returns the members, in the order given to NewSyncGroup.
func (g *SyncGroup) Members() []*Instance { return g.members }

// Handle gives in to member (an index into Members, or AllMembers for
// TimerFired, Startup and Shutdown) and applies the group's rules.
func (g *SyncGroup) Handle(now time.Time, member int, in Input) GroupOutput {
	clear(g.acts)
	g.acts, g.trs = g.acts[:0], g.trs[:0]
	var ign IgnoreReason
	if member == AllMembers {
		for k := range g.members {
			g.step(now, k, in)
		}
	} else {
		ign = g.step(now, member, in)
	}
	out := GroupOutput{Actions: g.acts, Transitions: g.trs, Ignored: ign}
	for _, m := range g.members {
		if d := m.deadline(); !d.IsZero() && (out.Deadline.IsZero() || d.Before(out.Deadline)) {
			out.Deadline = d
		}
	}
	return out
}

func (g *SyncGroup) collect(k int, out Output) {
	for _, a := range out.Actions {
		g.acts = append(g.acts, GroupAction{Member: k, Action: a})
	}
	if out.Transition != nil {
		g.trs = append(g.trs, GroupTransition{Member: k, Transition: *out.Transition})
	}
}

func (g *SyncGroup) step(now time.Time, k int, in Input) IgnoreReason {
	m := g.members[k]
	out := m.Handle(now, in)
	g.collect(k, out)
	ign := out.Ignored
	var tr Transition
	if out.Transition != nil {
		tr = *out.Transition // copy: syncFaults may call m.Handle again
	}
	g.syncFaults(now)
	if out.Transition == nil || tr.To == StateFault {
		return ign
	}
	why := fmt.Sprintf("sync group %s: member %d (vrid %d) %s", g.name, k, m.cfg.VRID, tr.To)
	switch {
	case tr.To == StateMaster:
		for j, o := range g.members {
			if j != k && o.state == StateBackup && !o.maint {
				o.begin()
				o.becomeMaster(now, why)
				g.collect(j, o.output(IgnoreNone))
			}
		}
	case tr.From == StateMaster && tr.To == StateBackup:
		for j, o := range g.members {
			if j != k && o.state == StateMaster {
				o.begin()
				o.yielded = o.yielded || m.yielded // a HandOver hands the group over
				o.leaveMaster()
				o.enterBackup(now, causeGroup, why)
				g.collect(j, o.output(IgnoreNone))
			}
		}
	}
	return ign
}

// syncFaults keeps the group's fault rule: while any member has a fault of
// its own, every member carries the group's fault source (so it is, or at
// Startup enters, FAULT); once none has, the group fault is lifted from all,
// and they leave FAULT together.
func (g *SyncGroup) syncFaults(now time.Time) {
	own := -1
	for j, o := range g.members {
		for _, f := range o.faults {
			if f.source != g.source {
				own = j
			}
		}
	}
	for j, o := range g.members {
		has := false
		for _, f := range o.faults {
			has = has || f.source == g.source
		}
		switch {
		case own >= 0 && !has:
			why := fmt.Sprintf("sync group %s: member %d (vrid %d) has a fault", g.name, own, g.members[own].cfg.VRID)
			g.collect(j, o.Handle(now, Fault{Source: g.source, Reason: why}))
		case own < 0 && has:
			g.collect(j, o.Handle(now, FaultCleared{Source: g.source, Reason: "sync group " + g.name + " fault cleared"}))
		}
	}
}
