package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// The VMAC family beyond use_vmac: use_vmac with a MAC of one's own,
// use_vmac_addr with vmac_addr_prefix, use_ipvlan, and vrf. Each (vrf
// aside, see TestFeatureVRF) runs with keepalived on both nodes (the
// reference), gokeepalived on both, and mixed (gokeepalived master,
// keepalived backup): the same assertions hold for all three, so the
// interface names, MACs and address placement are keepalived's, and the
// pair fails over between the two implementations.

var vmacKinds = []string{"keepalived", "gokeepalived", "mixed"}

const (
	customMAC = "02:11:22:33:44:33" // use_vmac ... 02:11:22:33:44, VRID 51 last
	client2   = "198.51.100.10/24"
)

// newVMACAddrPair is the feature pair with a second LAN (ens34) that the
// client is on too (eth1).
func newVMACAddrPair(t *testing.T, tag, kind string) *trackPair {
	t.Helper()
	p := newFeatPair(t, tag, kind, false)
	lan2 := p.topo.Switch("lan2")
	p.topo.Link(p.master.Node, lan2, ifname2, master2)
	p.topo.Link(p.backup.Node, lan2, ifname2, backup2)
	p.topo.Link(p.client, lan2, "eth1", client2)
	netns.Eventually(t, converge, func() (bool, string) {
		for _, n := range []*node{p.master, p.backup} {
			if st := operState(n, ifname2); st != "UP" {
				return false, fmt.Sprintf("%s %s is %q, not UP yet", n.Name, ifname2, st)
			}
		}
		return true, ""
	})
	return p
}

// requireLinkKind skips the test when n's kernel cannot make a link of kind
// (ip link add probe0 ARGS...): this machine's kernel may be built without
// ipvlan or VRF (test/vm runs them on Debian's kernel).
func requireLinkKind(t *testing.T, n *node, kind string, args ...string) {
	t.Helper()
	out, err := n.Exec(context.Background(), append([]string{"ip", "link", "add", "probe0"}, args...)...)
	if err != nil {
		t.Skipf("this kernel cannot make a %s link (%v: %s); the VM test covers it", kind, err, strings.TrimSpace(out))
	}
	n.MustExec("ip", "link", "del", "probe0")
}

// startKind starts n's daemon: kind, or for "mixed" gokeepalived on the
// master and keepalived on the backup.
func startKind(t *testing.T, p *trackPair, n *node, kind, conf string) {
	t.Helper()
	k := kind
	if kind == "mixed" {
		k = "keepalived"
		if n == p.master {
			k = "gokeepalived"
		}
	}
	saved := p.kind
	p.kind = k
	p.startDaemon(t, n, conf, "")
	p.kind = saved
}

// linkInfo is what `ip -d -j link show` says of an interface.
type linkInfo struct {
	Link     string `json:"link"`
	Address  string `json:"address"`
	LinkInfo struct {
		InfoKind string         `json:"info_kind"`
		InfoData map[string]any `json:"info_data"`
	} `json:"linkinfo"`
}

func linkDetails(n *node, ifname string) (linkInfo, bool) {
	out, err := n.Exec(context.Background(), "ip", "-d", "-j", "link", "show", "dev", ifname)
	if err != nil {
		return linkInfo{}, false
	}
	var ls []linkInfo
	if json.Unmarshal([]byte(out), &ls) != nil || len(ls) == 0 {
		return linkInfo{}, false
	}
	return ls[0], true
}

// clientGets: the client, with no neighbour entry for addr, gets who's page
// from http://addr/ and has resolved addr to mac.
func clientGets(p *trackPair, addr string, who *node, mac string) func() (bool, string) {
	return func() (bool, string) {
		_, _ = p.client.Exec(context.Background(), "ip", "neigh", "flush", "to", addr)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		out, err := p.client.Exec(ctx, "curl", "-fsS", "-m", "1", "http://"+addr+"/")
		neigh, _ := p.client.Exec(context.Background(), "ip", "neigh", "show", addr)
		return err == nil && strings.TrimSpace(out) == who.Name && strings.Contains(neigh, "lladdr "+mac),
			fmt.Sprintf("client: GET http://%s/: %q (%v), want %q; neighbour entry %q, want lladdr %s",
				addr, strings.TrimSpace(out), err, who.Name, strings.TrimSpace(neigh), mac)
	}
}

// TestFeatureUseVMACAddr: use_vmac with a MAC of its own (5 octets, the
// VRID last), use_vmac_addr and vmac_addr_prefix. The holder has the VIP on
// vrrp.51 (MAC 02:11:22:33:44:33, on ens33) and 198.51.100.100 (dev ens34)
// on va.51, a second VMAC made on ens34 with the same MAC; the client on
// each LAN resolves its address to that MAC, before and after failover
// (the master's ens33 down), and a stopped daemon leaves neither VMAC.
func TestFeatureUseVMACAddr(t *testing.T) {
	t.Parallel()
	for _, kind := range vmacKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newVMACAddrPair(t, "va", kind)
			p.master.Nginx = p.master.StartNginx("master")
			p.backup.Nginx = p.backup.StartNginx("backup")
			in := featInst{VIP: vip + "/24\n        " + vip2 + "/24 dev " + ifname2,
				Extra: "    use_vmac vrrp.51 02:11:22:33:44\n    use_vmac_addr\n"}
			globals := "    vmac_addr_prefix va\n"
			startKind(t, p, p.master, kind, featConf("master", "MASTER", 100, globals, "", in))
			startKind(t, p, p.backup, kind, featConf("backup", "BACKUP", 90, globals, "", in))

			holder := func(on, off *node) func() (bool, string) {
				return func() (bool, string) {
					addrs := on.Addrs()
					v1, v2 := linkMAC(on, "vrrp.51"), linkMAC(on, "va.51")
					li, _ := linkDetails(on, "va.51")
					ok := slices.Contains(addrs, "vrrp.51 "+vip+"/24") && slices.Contains(addrs, "va.51 "+vip2+"/24") &&
						v1 == customMAC && v2 == customMAC && li.Link == ifname2 && li.LinkInfo.InfoKind == "macvlan" &&
						!off.HasAddr(vip) && !off.HasAddr(vip2)
					return ok, fmt.Sprintf("want %s on %s's vrrp.51 and %s on va.51 (on %s), both MAC %s; vrrp.51 MAC %q, va.51 MAC %q on %q (%s); addrs %v; %s has %v",
						vip, on.Name, vip2, ifname2, customMAC, v1, v2, li.Link, li.LinkInfo.InfoKind, addrs, off.Name, off.Addrs())
				}
			}
			netns.Eventually(t, converge, holder(p.master, p.backup))
			netns.Eventually(t, converge, clientGets(p, vip, p.master, customMAC))
			netns.Eventually(t, converge, clientGets(p, vip2, p.master, customMAC))

			p.master.LinkDown(ifname)
			took := netns.Eventually(t, converge, holder(p.backup, p.master))
			t.Logf("%s: failover to the backup after %.3fs", kind, took.Seconds())
			netns.Eventually(t, converge, clientGets(p, vip, p.backup, customMAC))
			netns.Eventually(t, converge, clientGets(p, vip2, p.backup, customMAC))

			for _, n := range []*node{p.backup, p.master} {
				if err := n.D.Stop(); err != nil {
					t.Errorf("stopping %s's daemon: %v", n.Name, err)
				}
				netns.Eventually(t, converge, func() (bool, string) {
					return !hasLink(n, "vrrp.51") && !hasLink(n, "va.51"), fmt.Sprintf("%s still has a VMAC after its daemon stopped: %v", n.Name, n.Addrs())
				})
			}
		})
	}
}

// TestFeatureUseIPVLAN: use_ipvlan NAME ADDRESS. Each node makes gkipv, an
// L2 ipvlan of ens33 with its own address (the adverts' source) and the
// parent's MAC; the VIP goes on ens33, as keepalived 2.2.7 places it. The
// client resolves the VIP to the holder's MAC, and to the new holder's
// after failover; a stopped daemon leaves no ipvlan.
func TestFeatureUseIPVLAN(t *testing.T) {
	t.Parallel()
	for _, kind := range vmacKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newFeatPair(t, "iv", kind, false)
			requireLinkKind(t, p.master, "ipvlan", "link", ifname, "type", "ipvlan", "mode", "l2")
			p.master.Nginx = p.master.StartNginx("master")
			p.backup.Nginx = p.backup.StartNginx("backup")
			startKind(t, p, p.master, kind, featConf("master", "MASTER", 100, "", "", featInst{Extra: "    use_ipvlan gkipv 192.0.2.51/24\n"}))
			startKind(t, p, p.backup, kind, featConf("backup", "BACKUP", 90, "", "", featInst{Extra: "    use_ipvlan gkipv 192.0.2.52/24 bridge\n"}))
			ipvlan := func(n *node, a string) func() (bool, string) {
				return func() (bool, string) {
					li, ok := linkDetails(n, "gkipv")
					mode, _ := li.LinkInfo.InfoData["mode"].(string)
					return ok && li.Link == ifname && li.LinkInfo.InfoKind == "ipvlan" && mode == "l2" &&
							li.Address == linkMAC(n, ifname) && slices.Contains(n.Addrs(), "gkipv "+a),
						fmt.Sprintf("%s: want gkipv, an l2 ipvlan of %s with %s and its MAC: %+v (exists %v); addrs %v", n.Name, ifname, a, li, ok, n.Addrs())
				}
			}
			netns.Eventually(t, converge, ipvlan(p.master, "192.0.2.51/24"))
			netns.Eventually(t, converge, ipvlan(p.backup, "192.0.2.52/24"))
			holder := func(on, off *node) func() (bool, string) {
				return func() (bool, string) {
					return slices.Contains(on.Addrs(), ifname+" "+vip+"/32") || slices.Contains(on.Addrs(), ifname+" "+vip+"/24") && !off.HasAddr(vip),
						fmt.Sprintf("want the VIP on %s's %s only: %s", on.Name, ifname, describeNodes(p))
				}
			}
			netns.Eventually(t, converge, holder(p.master, p.backup))
			netns.Eventually(t, converge, clientGets(p, vip, p.master, linkMAC(p.master, ifname)))
			// The backup hears the master from the ipvlan's address.
			if p.backup.Sock != "" {
				netns.Eventually(t, converge, func() (bool, string) {
					is, why := instanceOf(p.backup, "VI_1")
					return why == "" && is.Master == "192.0.2.51", fmt.Sprintf("backup: master %q (%s), want 192.0.2.51", is.Master, why)
				})
			}

			p.master.LinkDown(ifname)
			took := netns.Eventually(t, converge, holder(p.backup, p.master))
			t.Logf("%s: failover to the backup after %.3fs", kind, took.Seconds())
			netns.Eventually(t, converge, clientGets(p, vip, p.backup, linkMAC(p.backup, ifname)))

			for _, n := range []*node{p.backup, p.master} {
				if err := n.D.Stop(); err != nil {
					t.Errorf("stopping %s's daemon: %v", n.Name, err)
				}
				netns.Eventually(t, converge, func() (bool, string) {
					return !hasLink(n, "gkipv"), fmt.Sprintf("%s still has gkipv after its daemon stopped", n.Name)
				})
			}
		})
	}
}

// vrfConf is a unicast instance without interface in VRF blue, its VIP on
// ens33 (enslaved to blue).
func vrfConf(routerID, state string, prio int, src, peer string) string {
	return fmt.Sprintf(`! generated by the gokeepalived e2e feature scenarios
global_defs {
    router_id %s
}
vrrp_instance VI_1 {
    state %s
    vrf blue
    virtual_router_id 51
    priority %d
    advert_int 1
    unicast_src_ip %s
    unicast_peer {
        %s
    }
    virtual_ipaddress {
        %s/24 dev %s
    }
}
`, routerID, state, prio, src, peer, vip, ifname)
}

// TestFeatureVRF: vrf. Each node has ens33 enslaved to the VRF blue, so
// 192.0.2.0/24 is only in the VRF's table: the unicast adverts get through
// only from a socket bound to the VRF device, as keepalived binds it. The
// pair elects (one holder), the client resolves the VIP to the holder's MAC,
// and when the master's daemon stops the backup takes over. gokeepalived
// only: keepalived 2.2.7 refuses every instance without interface ("(VI_1)
// Unknown interface!", a bug fixed in 2.2.8 by commit 75f30737, keepalived
// issue #2270), so `vrf` cannot run there; test/vm runs keepalived with an
// interface in a VRF against gokeepalived.
func TestFeatureVRF(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"gokeepalived"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := newFeatPair(t, "vf", kind, false)
			requireLinkKind(t, p.master, "vrf", "type", "vrf", "table", "99")
			for _, n := range []*node{p.master, p.backup} {
				n.MustExec("ip", "link", "add", "blue", "type", "vrf", "table", "10")
				n.MustExec("ip", "link", "set", "blue", "up")
				n.MustExec("ip", "link", "set", ifname, "master", "blue")
			}
			if out := p.master.MustExec("ip", "route", "show", "table", "main"); strings.Contains(out, "192.0.2.0/24") {
				t.Fatalf("the LAN's route is still in the main table: %s", out)
			}
			startKind(t, p, p.master, kind, vrfConf("master", "MASTER", 100, "192.0.2.1", "192.0.2.2"))
			startKind(t, p, p.backup, kind, vrfConf("backup", "BACKUP", 90, "192.0.2.2", "192.0.2.1"))
			holder := func(on, off *node) func() (bool, string) {
				return func() (bool, string) {
					return slices.Contains(on.Addrs(), ifname+" "+vip+"/24") && !off.HasAddr(vip),
						fmt.Sprintf("want the VIP on %s only: %s\n--- master:\n%s\n--- backup:\n%s", on.Name, describeNodes(p),
							lastLines(p.master.D.Logs(), 8), lastLines(p.backup.D.Logs(), 8))
				}
			}
			pings := func(who *node) func() (bool, string) {
				return func() (bool, string) {
					_, _ = p.client.Exec(context.Background(), "ip", "neigh", "flush", "to", vip)
					ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
					defer cancel()
					_, err := p.client.Exec(ctx, "ping", "-c1", "-W1", vip)
					neigh, _ := p.client.Exec(context.Background(), "ip", "neigh", "show", vip)
					mac := linkMAC(who, ifname)
					return err == nil && strings.Contains(neigh, "lladdr "+mac), fmt.Sprintf("client: ping %s: %v; neighbour %q, want lladdr %s (%s)", vip, err, strings.TrimSpace(neigh), mac, who.Name)
				}
			}
			netns.Eventually(t, converge, holder(p.master, p.backup))
			// The backup hears the master (gokeepalived shows from where).
			netns.Eventually(t, converge, pings(p.master))
			if p.backup.Sock != "" {
				netns.Eventually(t, converge, func() (bool, string) {
					is, why := instanceOf(p.backup, "VI_1")
					return why == "" && is.State == "BACKUP" && is.Master == "192.0.2.1", fmt.Sprintf("backup: %s master %q (%s)", is.State, is.Master, why)
				})
			}
			if err := p.master.D.Stop(); err != nil {
				t.Errorf("stopping the master's daemon: %v", err)
			}
			took := netns.Eventually(t, converge, holder(p.backup, p.master))
			t.Logf("%s: the backup took over after %.3fs", kind, took.Seconds())
			netns.Eventually(t, converge, pings(p.backup))
			if err := p.backup.D.Stop(); err != nil {
				t.Errorf("stopping the backup's daemon: %v", err)
			}
		})
	}
}
