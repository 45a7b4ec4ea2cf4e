package daemon

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
)

// Maintenance and failover (gokeepalivedctl maintenance, failover). The
// set of instances in maintenance is the loop's (d.maint); it is written
// to Options.MaintenanceFile after every change and read at start, so it
// survives a restart of the daemon. An instance of a sync group takes its
// whole group with it: the group's members change state together.

// loadMaintenance reads the persisted set (at start, before the instances
// start). A missing file is an empty set.
func (d *Daemon) loadMaintenance() {
	d.maint = map[string]bool{}
	if d.opts.MaintenanceFile == "" {
		return
	}
	b, err := os.ReadFile(d.opts.MaintenanceFile)
	if err != nil {
		if !os.IsNotExist(err) {
			d.log.Error("cannot read the maintenance state; no instance starts in maintenance", "file", d.opts.MaintenanceFile, "err", err)
		}
		return
	}
	for _, l := range strings.Split(string(b), "\n") {
		if name := strings.TrimSpace(l); name != "" && !strings.HasPrefix(name, "#") {
			d.maint[name] = true
		}
	}
	if len(d.maint) > 0 {
		d.log.Info("instances start in maintenance (set by gokeepalivedctl maintenance on)", "file", d.opts.MaintenanceFile,
			"instances", strings.Join(slices.Sorted(maps.Keys(d.maint)), ","))
	}
}

// startMaintenance puts a unit about to start in maintenance if one of
// its members is in the set.
func (d *Daemon) startMaintenance(u *unit) {
	for _, in := range u.members {
		if d.maint[in.cfg.Name] {
			d.handleUnit(u, vrrp.AllMembers, vrrp.Maintenance{On: true})
			return
		}
	}
}

// Maintenance puts the named instances (every one with all) in
// maintenance, or takes them out, and persists the set.
func (d *Daemon) Maintenance(ctx context.Context, on bool, names []string, all bool) (ctl.Maintenance, error) {
	var res ctl.Maintenance
	var err error
	var content []byte
	if derr := d.Do(ctx, func() { res, content, err = d.maintenance(on, names, all) }); derr != nil {
		return res, derr
	}
	if err != nil {
		return res, err
	}
	if d.opts.MaintenanceFile != "" {
		d.maintMu.Lock()
		defer d.maintMu.Unlock()
		if werr := writeFileAtomic(d.opts.MaintenanceFile, content); werr != nil {
			return res, fmt.Errorf("maintenance %s applied, but not saved (it will not survive a restart): %w", onOff(on), werr)
		}
	}
	return res, nil
}

// maintenance runs on the loop.
func (d *Daemon) maintenance(on bool, names []string, all bool) (ctl.Maintenance, []byte, error) {
	res := ctl.Maintenance{Changed: []string{}}
	known := d.instanceNames()
	if all {
		names = known
		if !on {
			names = slices.Sorted(maps.Keys(d.maint)) // also those a reload removed
		}
	} else if err := ctl.CheckInstances(names, known); err != nil {
		return res, nil, err
	}
	// The sync groups' other members follow.
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
		if in := d.find(n); in != nil && in.unit != nil {
			for _, m := range in.unit.members {
				want[m.cfg.Name] = true
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(want)) {
		if d.maint[n] != on {
			res.Changed = append(res.Changed, n)
		}
		if on {
			d.maint[n] = true
		} else {
			delete(d.maint, n)
		}
	}
	for _, u := range d.units {
		if want[u.members[0].cfg.Name] {
			for _, in := range u.members {
				d.log.Info("maintenance "+onOff(on), "instance", in.cfg.Name, "vrid", in.cfg.VRID, "state", in.core.State().String(),
					"reason", "gokeepalivedctl maintenance "+onOff(on))
			}
			d.handleUnit(u, vrrp.AllMembers, vrrp.Maintenance{On: on})
		}
	}
	d.snapshotAll()
	d.publish() // before the caller returns: a status read next shows it
	res.InMaintenance = slices.Sorted(maps.Keys(d.maint))
	var b strings.Builder
	b.WriteString("# gokeepalived: instances in maintenance (gokeepalivedctl maintenance on|off), one per line\n")
	for _, n := range res.InMaintenance {
		b.WriteString(n + "\n")
	}
	return res, []byte(b.String()), nil
}

// Failover makes the MASTER instance name hand over once (vrrp.HandOver).
func (d *Daemon) Failover(ctx context.Context, name string) error {
	var err error
	if derr := d.Do(ctx, func() { err = d.failover(name) }); derr != nil {
		return derr
	}
	return err
}

func (d *Daemon) failover(name string) error {
	in := d.find(name)
	if in == nil || in.unit == nil {
		return ctl.CheckInstances([]string{name}, d.instanceNames())
	}
	if st := in.core.State(); st != vrrp.StateMaster {
		return fmt.Errorf("%s is %s, not MASTER: nothing to hand over", name, st)
	}
	d.log.Info("failover requested", "instance", name, "vrid", in.cfg.VRID, "reason", "gokeepalivedctl failover")
	d.handle(in, vrrp.HandOver{})
	d.snapshotAll()
	d.publish()
	return nil
}

// instanceNames are the running instances' names (on the loop).
func (d *Daemon) instanceNames() []string {
	names := make([]string, len(d.instances))
	for i, in := range d.instances {
		names[i] = in.cfg.Name
	}
	return names
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// writeFileAtomic replaces path with content (a temporary file renamed).
func writeFileAtomic(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
