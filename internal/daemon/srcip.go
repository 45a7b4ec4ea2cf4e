package daemon

import (
	"net/netip"

	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/vrrp"
)

// track_src_ip (keepalived keepalived_netlink.c, VRRP_FLAG_TRACK_SADDR):
// an instance whose source address comes from the configuration
// (unicast_src_ip or mcast_src_ip) is in FAULT while that address is not on
// its interface, and leaves FAULT when it comes back.

const srcIPFault = "track_src_ip"

// srcIPTracked returns the configured source address the instance tracks,
// if it tracks one.
func srcIPTracked(in *instance) (netip.Addr, bool) {
	c := in.cfg
	if !c.TrackSrcIP || c.Interface == "" {
		return netip.Addr{}, false
	}
	switch {
	case c.UnicastSrc.IsValid():
		return c.UnicastSrc, true
	case c.McastSrc.IsValid():
		return c.McastSrc, true
	}
	return netip.Addr{}, false
}

// checkSrcIP puts the instance in FAULT, or takes it out, from whether the
// kernel has its configured source address on its interface.
func (d *Daemon) checkSrcIP(in *instance) {
	src, ok := srcIPTracked(in)
	if !ok || in.unit == nil {
		return
	}
	have, err := d.ports.Addresses.List(in.cfg.Interface)
	if err != nil {
		d.log.Debug("cannot list addresses", "dev", in.cfg.Interface, "err", err)
	}
	present := false
	for _, a := range have {
		present = present || a.Prefix.Addr() == src
	}
	_, faulted := in.faults[srcIPFault]
	switch {
	case !present && !faulted:
		reason := "source address " + src.String() + " not on " + in.cfg.Interface + " (track_src_ip)"
		in.faults[srcIPFault] = reason
		d.log.Warn("configured source address missing: FAULT", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
			"address", src.String(), "interface", in.cfg.Interface)
		d.handle(in, vrrp.Fault{Source: srcIPFault, Reason: reason})
	case present && faulted:
		delete(in.faults, srcIPFault)
		d.log.Info("configured source address back", "instance", in.cfg.Name, "vrid", in.cfg.VRID,
			"address", src.String(), "interface", in.cfg.Interface)
		d.handle(in, vrrp.FaultCleared{Source: srcIPFault, Reason: "source address " + src.String() + " back on " + in.cfg.Interface})
	}
}

// srcIPChanged checks the instances whose tracked source address an
// address event names (or every one, after missed events).
func (d *Daemon) srcIPChanged(e addr.Event) {
	for _, in := range d.instances {
		if src, ok := srcIPTracked(in); ok && (e.Resync || e.Prefix.Addr() == src) {
			d.checkSrcIP(in)
		}
	}
}
