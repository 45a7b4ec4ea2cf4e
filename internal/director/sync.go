package director

import (
	"cmp"

	"gokeepalived/internal/config"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/vrrp"
)

// The IPVS connection-synchronisation daemons (lvs_sync_daemon) and
// connection timeouts (lvs_timeouts), as keepalived 2.2.7 drives them
// (vrrp/vrrp.c, check/check_daemon.c, check/ipvswrapper.c):
//   - with an instance (`inst NAME`, or lvs_sync_daemon_interface inside
//     the instance), the master daemon runs while the instance is MASTER
//     and the backup daemon otherwise (starting up, BACKUP, FAULT): on
//     becoming MASTER the backup daemon is stopped and the master started,
//     on leaving MASTER the reverse;
//   - without an instance both run for as long as the daemon does;
//   - at start any daemons left by an earlier run are stopped first, and
//     at exit the running ones are stopped;
//   - the timeouts are set at start and on reload when any is given.

// wantSync is which daemons should run for cfg given the VRRP states.
func wantSync(cfg *config.Config, states map[string]vrrp.StateEvent) map[lb.SyncState]lb.SyncDaemon {
	sd := cfg.Global.LVSSyncDaemon
	if sd == nil {
		return nil
	}
	d := lb.SyncDaemon{Interface: sd.Interface, SyncID: uint8(cfg.EffectiveSyncID()), MaxLen: uint16(sd.MaxLen),
		Port: uint16(sd.Port), TTL: uint8(sd.TTL), Group: sd.Group}
	want := map[lb.SyncState]lb.SyncDaemon{}
	add := func(s lb.SyncState) {
		d.State = s
		want[s] = d
	}
	switch {
	case sd.Instance == "":
		add(lb.SyncMaster)
		add(lb.SyncBackup)
	case states[sd.Instance].State == vrrp.StateMaster:
		add(lb.SyncMaster)
	default:
		add(lb.SyncBackup)
	}
	return want
}

// syncDaemons makes the running sync daemons what cfg and the VRRP states
// want: stops first (the other role), then starts. first stops whatever
// an earlier run left, ignoring errors; exit stops every daemon.
func (d *Director) syncDaemons(why string, first, exit bool) {
	want := map[lb.SyncState]lb.SyncDaemon(nil)
	if !exit {
		want = wantSync(d.cfg, d.vrrp)
	}
	sb, ok := d.backend.Table().(lb.SyncDaemons)
	if !ok {
		if len(want) > 0 && !d.syncRefused {
			d.syncRefused = true
			d.log.Error("lvs_sync_daemon not started: the backend has no connection synchronisation (it is IPVS's sync daemon; use --lb-backend=ipvs)",
				"backend", d.backend.Name())
		}
		return
	}
	if first && len(want) > 0 {
		for _, s := range []lb.SyncState{lb.SyncMaster, lb.SyncBackup} {
			_ = sb.StopSyncDaemon(s) // none may run: the kernel says ESRCH
		}
	}
	for _, s := range []lb.SyncState{lb.SyncMaster, lb.SyncBackup} {
		cur, running := d.syncRunning[s]
		if w, ok := want[s]; running && (!ok || w != cur) {
			if err := sb.StopSyncDaemon(s); err != nil {
				d.log.Warn("stopping the IPVS sync daemon failed", "role", s.String(), "err", err)
			} else {
				d.log.Info("IPVS sync daemon stopped", "role", s.String(), "why", why)
			}
			delete(d.syncRunning, s)
		}
	}
	for _, s := range []lb.SyncState{lb.SyncMaster, lb.SyncBackup} {
		w, ok := want[s]
		if _, running := d.syncRunning[s]; !ok || running {
			continue
		}
		if err := sb.StartSyncDaemon(w); err != nil {
			d.log.Error("starting the IPVS sync daemon failed", "role", s.String(), "interface", w.Interface, "syncid", w.SyncID, "err", err)
			continue
		}
		d.syncRunning[s] = w
		d.log.Info("IPVS sync daemon started", "role", s.String(), "interface", w.Interface, "syncid", w.SyncID, "why", why)
	}
}

// setTimeouts applies lvs_timeouts as keepalived's libipvs does: before
// the first change the kernel's own timeouts are read and kept; a timeout
// the configuration leaves out is set to that original value; a
// configuration without lvs_timeouts (a reload that removed it) and the
// exit (restore) put the originals back.
func (d *Director) setTimeouts(restore bool) {
	var t config.LVSTimeouts
	if !restore {
		t = d.cfg.Global.LVSTimeouts
	}
	if t == (config.LVSTimeouts{}) && d.origTimeouts == nil {
		return // never changed: nothing to set or restore
	}
	ts, ok := d.backend.Table().(lb.TimeoutSetter)
	if !ok {
		if !restore {
			d.log.Error("lvs_timeouts not applied: they are IPVS's connection timeouts (use --lb-backend=ipvs)", "backend", d.backend.Name())
		}
		return
	}
	if d.origTimeouts == nil {
		orig, err := ts.Timeouts()
		if err != nil {
			d.log.Error("lvs_timeouts not applied: reading the kernel's timeouts", "err", err)
			return
		}
		d.origTimeouts = &orig
	}
	o := *d.origTimeouts
	lt := lb.Timeouts{TCP: cmp.Or(t.TCP, o.TCP), TCPFin: cmp.Or(t.TCPFin, o.TCPFin), UDP: cmp.Or(t.UDP, o.UDP)}
	if err := ts.SetTimeouts(lt); err != nil {
		d.log.Error("lvs_timeouts not applied", "err", err)
		return
	}
	why := "lvs_timeouts"
	if t == (config.LVSTimeouts{}) {
		why = "the kernel's original values restored"
	}
	d.log.Info("IPVS connection timeouts set", "tcp", lt.TCP, "tcpfin", lt.TCPFin, "udp", lt.UDP, "why", why)
}
