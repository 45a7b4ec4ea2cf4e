package daemon

import (
	"slices"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
)

// summarize says what plan p changes, instance by instance, for the
// operator (gokeepalivedctl reload). It runs on the loop, before the
// commit, while d.cfg is still the old configuration.
func (d *Daemon) summarize(p *reloadPlan) ctl.ReloadSummary {
	s := ctl.ReloadSummary{Kept: []string{}, Restarted: []ctl.Restart{}, Added: []string{}, Removed: []string{},
		Priorities: []ctl.PriorityChange{}}
	old := map[string]*config.Instance{}
	if d.cfg != nil {
		for _, ci := range d.cfg.Instances {
			old[ci.Name] = ci
		}
	}
	for _, ci := range p.cfg.Instances {
		prev, existed := old[ci.Name]
		why, restarts := p.restart[ci.Name]
		switch {
		case !existed:
			s.Added = append(s.Added, ci.Name)
		case restarts:
			s.Restarted = append(s.Restarted, ctl.Restart{Instance: ci.Name, Reason: why})
		default:
			s.Kept = append(s.Kept, ci.Name)
			if what := p.inPlace[ci.Name]; len(what) > 0 {
				s.ChangedInPlace = append(s.ChangedInPlace, ctl.InPlaceChange{Instance: ci.Name, What: slices.Clone(what)})
			}
		}
		if existed && prev.Priority != ci.Priority {
			s.Priorities = append(s.Priorities, ctl.PriorityChange{Instance: ci.Name, From: prev.Priority,
				To: ci.Priority, InPlace: !restarts})
		}
	}
	for name := range old {
		if !slices.ContainsFunc(p.cfg.Instances, func(ci *config.Instance) bool { return ci.Name == name }) {
			s.Removed = append(s.Removed, name)
		}
	}
	slices.Sort(s.Removed)
	return s
}
