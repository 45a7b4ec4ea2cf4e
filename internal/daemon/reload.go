package daemon

import (
	"context"
	"strings"

	"gokeepalived/internal/config"
	"gokeepalived/internal/vrrp"
)

// Reload applies a new, already validated configuration by difference
// (STYLE rule 14): unchanged instances keep running untouched (no VIP flap,
// no state change); an instance whose only change is its priority gets the
// new priority in place; changed instances are restarted, removed ones
// released, added ones started. If the new instances cannot be built (an
// interface without an address, a socket error), nothing changes and the
// old configuration keeps running.
func (d *Daemon) Reload(ctx context.Context, cfg *config.Config) error {
	var err error
	if derr := d.Do(ctx, func() { err = d.applyReload(cfg) }); derr != nil {
		return derr
	}
	return err
}

func (d *Daemon) applyReload(newCfg *config.Config) error {
	diff := config.Diff(d.cfg, newCfg)
	restart := map[string]string{} // old instance name → why
	for _, n := range diff.Instances.Removed {
		restart[n] = "removed"
	}
	newByName := map[string]*config.Instance{}
	for _, ci := range newCfg.Instances {
		newByName[ci.Name] = ci
	}
	priorityOnly := map[string]bool{}
	for _, n := range diff.Instances.Changed {
		if old := d.find(n); old != nil && onlyPriorityChanged(old.cfg, newByName[n]) {
			priorityOnly[n] = true
			continue
		}
		restart[n] = "its configuration changed"
	}
	if diff.GlobalChanged {
		for _, in := range d.instances {
			if _, ok := restart[in.cfg.Name]; !ok {
				restart[in.cfg.Name] = "global_defs changed"
			}
		}
	}
	changedGroups := map[string]bool{}
	for _, g := range append(append(diff.SyncGroups.Changed, diff.SyncGroups.Removed...), diff.SyncGroups.Added...) {
		changedGroups[g] = true
	}
	// A unit restarts as a whole if any member restarts or its group changed.
	var keep, stop []*unit
	for _, u := range d.units {
		why := ""
		for _, in := range u.members {
			if r, ok := restart[in.cfg.Name]; ok && why == "" {
				why = in.cfg.Name + " " + r
			}
			if in.cfg.SyncGroup != "" && changedGroups[in.cfg.SyncGroup] && why == "" {
				why = "vrrp_sync_group " + in.cfg.SyncGroup + " changed"
			}
			if nc := newByName[in.cfg.Name]; nc != nil && nc.SyncGroup != in.cfg.SyncGroup && why == "" {
				why = in.cfg.Name + " moved to another sync group"
			}
		}
		if why != "" {
			for _, in := range u.members {
				if _, ok := restart[in.cfg.Name]; !ok {
					restart[in.cfg.Name] = why
				}
			}
			stop = append(stop, u)
		} else {
			keep = append(keep, u)
		}
	}
	kept := map[string]bool{}
	for _, u := range keep {
		for _, in := range u.members {
			kept[in.cfg.Name] = true
		}
	}
	var toStart []*config.Instance
	for _, ci := range newCfg.Instances {
		if !kept[ci.Name] {
			toStart = append(toStart, ci)
		}
	}

	// Build first: if that fails the old configuration keeps running.
	oldCfg := d.cfg
	d.cfg = newCfg
	units, err := d.makeUnits(newCfg, toStart)
	if err != nil {
		d.cfg = oldCfg
		d.closeUnused()
		return err
	}
	for _, u := range stop {
		for _, in := range u.members {
			d.log.Info("stopping VRRP instance for reload", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "reason", restart[in.cfg.Name])
		}
		d.handleUnit(u, vrrp.AllMembers, vrrp.Shutdown{})
		for _, in := range u.members {
			in.unit = nil
		}
		var gone []*instance
		for _, in := range u.members {
			if !vmacInUse(units, in.vmac) {
				gone = append(gone, in)
			}
		}
		d.removeVMACs(gone)
	}
	for _, u := range keep {
		for _, in := range u.members {
			in.cfg = newByName[in.cfg.Name]
			if priorityOnly[in.cfg.Name] {
				d.log.Info("priority changed by reload", "instance", in.cfg.Name, "vrid", in.cfg.VRID, "priority", in.cfg.Priority)
			}
		}
	}
	d.units = append(keep, units...)
	d.instances = nil
	for _, u := range d.units {
		d.instances = append(d.instances, u.members...)
	}
	d.publishTargets()
	d.closeUnused()
	d.trackers.sync()
	d.startAll(units)
	for _, u := range keep {
		for _, in := range u.members {
			if priorityOnly[in.cfg.Name] {
				// In place, through the core: a change to or from 255 makes
				// or unmakes the address owner.
				d.handle(in, vrrp.ConfiguredPriority{Priority: uint8(in.cfg.Priority)})
			}
			d.applyTracking(in)
		}
	}
	if n, ok := d.notifier.(interface{ SetConfig(*config.Config) }); ok {
		n.SetConfig(newCfg)
	}
	d.reloaded = d.env.Now()
	var added, removed []string
	added = append(added, diff.Instances.Added...)
	removed = append(removed, diff.Instances.Removed...)
	d.log.Info("configuration reloaded", "kept", len(keep), "restarted", len(stop), "added", strings.Join(added, ","), "removed", strings.Join(removed, ","))
	return nil
}

func (d *Daemon) find(name string) *instance {
	for _, in := range d.instances {
		if in.cfg.Name == name {
			return in
		}
	}
	return nil
}

// onlyPriorityChanged reports whether two versions of an instance differ in
// nothing but their priority.
func onlyPriorityChanged(old, new *config.Instance) bool {
	if old == nil || new == nil {
		return false
	}
	c := *old
	c.Priority = new.Priority
	return config.Diff(&config.Config{Instances: []*config.Instance{&c}}, &config.Config{Instances: []*config.Instance{new}}).Instances.Empty()
}

func vmacInUse(units []*unit, name string) bool {
	for _, u := range units {
		for _, in := range u.members {
			if name != "" && in.vmac == name {
				return true
			}
		}
	}
	return false
}
