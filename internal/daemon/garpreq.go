package daemon

import (
	"context"

	"gokeepalived/internal/ctl"
)

// SendGratuitous sends one round of gratuitous ARPs / unsolicited NAs for
// the virtual addresses of instance name, as keepalived does for the DBus
// method SendGarp: nothing is sent, and it is no error, when the instance
// does not hold its addresses (keepalived: "only if VIPs are set").
func (d *Daemon) SendGratuitous(ctx context.Context, name, why string) (sent bool, err error) {
	if derr := d.Do(ctx, func() { sent, err = d.sendGratuitous(name, why) }); derr != nil {
		return false, derr
	}
	return sent, err
}

func (d *Daemon) sendGratuitous(name, why string) (bool, error) {
	in := d.find(name)
	if in == nil {
		return false, ctl.CheckInstances([]string{name}, d.instanceNames())
	}
	if !in.vipsHeld {
		d.log.Info("gratuitous ARP/NA requested; not sent: the instance holds no virtual address", "instance", name, "state", in.core.State().String(), "reason", why)
		return false, nil
	}
	d.log.Info("sending gratuitous ARP/NA on request", "instance", name, "vrid", in.cfg.VRID, "addresses", len(in.addrs), "reason", why)
	d.announce(in, 1, false)
	return true, nil
}
