package e2e

// garp_group, garp_extra_if, interface_up_down_delays and linkbeat_interfaces, with real
// keepalived as the reference on the same topology: the gratuitous ARPs are counted in the
// switch captures, link changes are made by taking the switch's port down (the node's veth
// loses its carrier).

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// garpTimes reads a switch capture and returns when each gratuitous ARP for ip was seen.
func garpTimes(t *testing.T, p *trackPair, sw, ip string) []time.Time {
	t.Helper()
	pcap := filepath.Join(p.topo.Dir(), sw+".pcap")
	out, err := exec.Command("tcpdump", "-r", pcap, "-n", "-tt", "arp").Output()
	if err != nil {
		t.Fatalf("reading %s: %v", pcap, err)
	}
	var ts []time.Time
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		// 1700000000.123456 ARP, Request who-has 192.0.2.100 (ff:ff:ff:ff:ff:ff) tell 192.0.2.100, length 28
		if len(f) < 6 || !strings.Contains(line, "who-has "+ip+" ") || !strings.Contains(line, "tell "+ip+",") {
			continue
		}
		sec, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		ts = append(ts, time.Unix(0, int64(sec*1e9)))
	}
	return ts
}

// holds is a condition: the master node holds the VIP (want) or not.
func holds(p *trackPair, want bool) func() (bool, string) {
	return func() (bool, string) {
		has := p.master.HasAddr(vip)
		return has == want, fmt.Sprintf("master holds %s: %v, want %v\n--- daemon:\n%s", vip, has, want, lastLines(p.master.D.Logs(), 15))
	}
}

// switchPort sets the switch's port of the n-th linked node up or down (its carrier).
func switchPort(t *testing.T, p *trackPair, sw, port string, up bool) {
	t.Helper()
	state := "down"
	if up {
		state = "up"
	}
	if out, err := exec.Command("ip", "-n", p.topo.Prefix()+sw, "link", "set", port, state).CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s %s: %v: %s", port, state, err, out)
	}
}

// TestFeatureGARPGroup: with garp_group { garp_interval 0.5; interface ens33 } the new
// master's gratuitous ARPs on ens33 leave at least 0.5 s apart, in keepalived's order
// (the first address at once; then, as each repeat finds an address already waiting,
// one more for the first address and one for each other; none less than 0.3 s apart
// in the capture); with garp_extra_if all 2 the address on ens34 gets one more ARP at
// the first advert 2 s after the last.
func TestFeatureGARPGroup(t *testing.T) {
	t.Parallel()
	vips := []string{vip, "192.0.2.101", "192.0.2.102"}
	runBoth(t, func(t *testing.T, kind string) struct{} {
		p := newFeatPair(t, "gg"+kind[:1], kind, true)
		extra := "    garp_master_delay 0\n    garp_master_repeat 5\n    garp_extra_if all 2\n"
		conf := featConf("master", "MASTER", 150, "", "garp_group {\n    garp_interval 0.5\n    interface "+ifname+"\n}\n",
			featInst{VIP: vips[0] + "/24\n        " + vips[1] + "/24\n        " + vips[2] + "/24\n        " + vip2 + "/24 dev " + ifname2,
				Extra: extra})
		p.startDaemon(t, p.master, conf, "")
		// ens34 first: its second extra ARP comes about 6 s after the new master's burst,
		// long after the paced ARPs on ens33 (1.5 s) are all out, so counting those then
		// sees every one of them.
		netns.Eventually(t, converge, func() (bool, string) {
			ts := garpTimes(t, p, "lan2", vip2)
			return len(ts) >= 7, fmt.Sprintf("%d gratuitous ARPs for %s on lan2, want the burst of 5 and 2 from garp_extra_if\n--- daemon:\n%s",
				len(ts), vip2, lastLines(p.master.D.Logs(), 15))
		})
		var all []time.Time
		var seq []string
		for _, ip := range vips {
			n := len(garpTimes(t, p, "lan", ip))
			seq = append(seq, fmt.Sprintf("%s x%d", ip, n))
			all = append(all, garpTimes(t, p, "lan", ip)...)
		}
		if got, want := strings.Join(seq, ", "), vips[0]+" x2, "+vips[1]+" x1, "+vips[2]+" x1"; got != want {
			t.Errorf("%s: gratuitous ARPs on the paced interface: %s, want %s", kind, got, want)
		}
		for i := range all {
			for j := range all {
				// 0.5 s paced; unpaced they leave together. The margin is for capture timestamps under load.
				if d := all[j].Sub(all[i]); i != j && d >= 0 && d < 300*time.Millisecond {
					t.Errorf("%s: two gratuitous ARPs on the paced interface %v apart (garp_interval 0.5)", kind, d)
				}
			}
		}
		// ens34: the first burst (5 at once, no group there), then one every ~3 s.
		ts := garpTimes(t, p, "lan2", vip2)
		if d := ts[4].Sub(ts[0]); d > 400*time.Millisecond {
			t.Errorf("%s: the unpaced burst on ens34 took %v", kind, d)
		}
		if d := ts[5].Sub(ts[4]); d < 2*time.Second {
			t.Errorf("%s: garp_extra_if 2: the first extra ARP %v after the burst", kind, d)
		}
		t.Logf("%s: paced ARPs %v; ens34 ARPs at %v", kind, seq, ts)
		return struct{}{}
	})
}

// TestFeatureLinkDelaysAndLinkbeat: interface_up_down_delays { ens33 3 1 } keeps the
// VIP through a carrier loss shorter than 3 s and drops it after 3 s; with
// linkbeat_interfaces { ens33 } the daemon learns the carrier loss by polling (its log
// says so) and acts on it.
func TestFeatureLinkDelaysAndLinkbeat(t *testing.T) {
	t.Parallel()
	runBoth(t, func(t *testing.T, kind string) struct{} {
		p := newFeatPair(t, "ld"+kind[:1], kind, false)
		// advert_int 2 allows delays below 4 s. The kernel reports a carrier coming back up
		// to a second late (linkwatch), so the flap lasts 0.3 s and the down delay is 3 s.
		conf := featConf("master", "MASTER", 150, "", "interface_up_down_delays {\n    "+ifname+" 3 1\n}\n",
			featInst{Extra: "    advert_int 2\n"})
		p.startDaemon(t, p.master, conf, "")
		netns.Eventually(t, converge, holds(p, true))
		// A flap shorter than the delay: the VIP stays (sampled every 50 ms for 4 s).
		switchPort(t, p, "lan", "p1", false)
		time.Sleep(300 * time.Millisecond) // the flap's length
		switchPort(t, p, "lan", "p1", true)
		for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if !p.master.HasAddr(vip) {
				t.Fatalf("%s: a 0.3 s carrier loss released the VIP despite the 3 s down delay\n%s", kind, lastLines(p.master.D.Logs(), 20))
			}
		}
		// A longer loss: still held 0.5 s in, gone after the delay.
		switchPort(t, p, "lan", "p1", false)
		down := time.Now()
		time.Sleep(500 * time.Millisecond)
		if !p.master.HasAddr(vip) {
			t.Errorf("%s: VIP released 0.5 s into a carrier loss (down delay 3 s)", kind)
		}
		netns.Eventually(t, converge, holds(p, false))
		if d := time.Since(down); d < 2900*time.Millisecond {
			t.Errorf("%s: VIP released %v after the carrier loss, before the 3 s delay", kind, d)
		}
		switchPort(t, p, "lan", "p1", true)
		netns.Eventually(t, converge, holds(p, true))
		if err := p.master.D.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}

		// linkbeat: the same carrier loss, learnt by polling.
		conf = featConf("master", "MASTER", 150, "", "linkbeat_interfaces {\n    "+ifname+"\n}\n", featInst{})
		p.startDaemon(t, p.master, conf, "")
		netns.Eventually(t, converge, holds(p, true))
		switchPort(t, p, "lan", "p1", false)
		netns.Eventually(t, converge, holds(p, false))
		switchPort(t, p, "lan", "p1", true)
		netns.Eventually(t, converge, holds(p, true))
		logs := p.master.D.Logs()
		want := "linkbeat reports a link change"
		if kind == "keepalived" {
			want = "Linkbeat reports " + ifname + " down"
		}
		if !strings.Contains(logs, want) {
			t.Errorf("%s: the log does not say the poll saw the change (%q):\n%s", kind, want, lastLines(logs, 30))
		}
		return struct{}{}
	})
}
