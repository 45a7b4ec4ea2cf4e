package daemon

import "gokeepalived/internal/config"

// promote_secondaries (keepalived vrrp.c, vrrp_if_config.c): while an
// instance with it runs, its interface's net.ipv4.conf.IF.promote_secondaries
// is 1, so that deleting the interface's primary address (by hand, DHCP)
// promotes a secondary address, VIPs included, instead of deleting them all.
// An interface that had it already is left alone; one we set is set back to
// 0 when no running instance wants it any more (a reload, the stop).

// setPromote makes the interfaces of cfg's instances with
// promote_secondaries have it, and sets back those no longer wanted.
func (d *Daemon) setPromote(cfg *config.Config) {
	want := map[string]bool{}
	if cfg != nil {
		for _, c := range cfg.Instances {
			if c.PromoteSecondaries && c.Interface != "" {
				want[c.Interface] = true
			}
		}
	}
	for ifname, ours := range d.promoted {
		if want[ifname] {
			continue
		}
		delete(d.promoted, ifname)
		if !ours {
			continue
		}
		if _, err := d.ports.Links.SetPromoteSecondaries(ifname, false); err != nil {
			d.log.Error("resetting promote_secondaries failed", "interface", ifname, "err", err)
			continue
		}
		d.log.Info("promote_secondaries set back to 0", "interface", ifname)
	}
	for ifname := range want {
		if _, done := d.promoted[ifname]; done {
			continue
		}
		was, err := d.ports.Links.SetPromoteSecondaries(ifname, true)
		if err != nil {
			d.log.Error("setting promote_secondaries failed", "interface", ifname, "err", err)
			continue
		}
		if d.promoted == nil {
			d.promoted = map[string]bool{}
		}
		d.promoted[ifname] = !was
		if !was {
			d.log.Info("promote_secondaries set to 1", "interface", ifname)
		}
	}
}
