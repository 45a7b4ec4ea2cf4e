package daemon

import (
	"slices"

	"gokeepalived/internal/config"
)

// The accept-mode firewall (keepalived's vrrp_firewall.c): while an
// instance that is not the address owner and runs without accept mode
// (no_accept, or vrrp_strict without accept) has set its virtual
// addresses, packets to and from them are dropped by an nftables table
// (Ports.Firewall; nftables, nftables_priority, nftables_ifindex,
// nftables_counters). As in keepalived the addresses enter the drop set
// before they are added to the interface and leave it after they are
// removed; BACKUP and FAULT instances do not hold the addresses, so
// nothing reaches them there. The table goes at stop (also with -V).

// firewallSpec is what the firewall must drop now.
func (d *Daemon) firewallSpec() FirewallSpec {
	fw := d.cfg.Global.Firewall
	spec := FirewallSpec{Table: d.cfg.FirewallTable(), Priority: fw.Priority, Counters: fw.Counters}
	for _, in := range d.instances {
		if !in.vipset || !in.cfg.NeedsFirewall() {
			continue
		}
		byName := in.cfg.DontTrackPrimary && !fw.Ifindex
		for _, a := range in.addrs {
			fa := FirewallAddr{IP: a.Prefix.Addr(), Dev: a.Dev, ByName: byName}
			if !slices.Contains(spec.Addrs, fa) {
				spec.Addrs = append(spec.Addrs, fa)
			}
		}
	}
	return spec
}

// syncFirewall brings the firewall to firewallSpec when it changed.
func (d *Daemon) syncFirewall() {
	spec := d.firewallSpec()
	if spec.Table == "" {
		if d.fwLast != nil { // a reload left no instance needing it
			d.removeFirewall()
		}
		return
	}
	if d.fwLast != nil && sameFirewall(*d.fwLast, spec) {
		return
	}
	if err := d.ports.Firewall.Sync(spec); err != nil {
		d.log.Error("programming the accept-mode firewall failed: traffic to the virtual addresses of instances without accept mode may not be dropped",
			"table", spec.Table, "err", err)
	}
	d.fwLast = &spec
}

func sameFirewall(a, b FirewallSpec) bool {
	return a.Table == b.Table && a.Priority == b.Priority && a.Counters == b.Counters && slices.Equal(a.Addrs, b.Addrs)
}

// removeFirewall deletes the firewall's tables (stop).
func (d *Daemon) removeFirewall() {
	if d.fwLast == nil {
		return
	}
	if err := d.ports.Firewall.Remove(); err != nil {
		d.log.Error("removing the accept-mode firewall failed", "table", d.fwLast.Table, "err", err)
	} else {
		d.log.Info("accept-mode firewall removed", "table", d.fwLast.Table)
	}
	d.fwLast = nil
}

// firewallNotice is the start-up line of an instance whose addresses the
// firewall will block while it is MASTER.
func (d *Daemon) firewallNotice(in *instance) {
	if !in.cfg.NeedsFirewall() {
		return
	}
	table := d.cfg.FirewallTable()
	why := "no_accept"
	if in.cfg.Strict {
		why = "vrrp_strict without accept"
	}
	args := []any{"instance", in.cfg.Name, "vrid", in.cfg.VRID, "table", table}
	if d.cfg.Global.Firewall.Table == "" {
		// keepalived: "no_accept/strict specified, but no firewall configured - using nftables".
		args = append(args, "note", "no firewall configured: using nftables table "+config.DefaultFirewallTable+" as keepalived does")
	}
	d.log.Warn("accept mode is off ("+why+"): while MASTER the virtual addresses refuse traffic (nftables drops packets to and from them; only the address owner, priority 255, is exempt)", args...)
}
