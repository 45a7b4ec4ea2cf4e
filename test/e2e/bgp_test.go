package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// BGP e2e: a top-of-rack router (FRR bgpd+zebra+bfdd, or BIRD 2) and two
// gokeepalived nodes peering with it over one LAN. The router's kernel
// table (ip route in its namespace) shows what it learned.
//
//	  n1 192.0.2.1 ──┐
//	                 ├── lan ── router 192.0.2.254 (AS 65000)
//	  n2 192.0.2.2 ──┘
//
// Both nodes are AS 65001. The anycast VIP is 198.51.100.10, the
// active/standby VIP 203.0.113.10.

const (
	bgpRouter  = "192.0.2.254"
	bgpAnycast = "198.51.100.10"
	bgpVIP     = "203.0.113.10"
	// bgpBFDms is the BFD interval of the e2e sessions (x 3): 100 ms
	// holds on this shared, busy machine where 50 ms sessions flap; the
	// benchmark (bench/bgp) measures 50 ms x 3.
	bgpBFDms = 100
)

// bgpRouterDaemon is a router implementation under test.
type bgpRouterDaemon struct {
	name string
	// start runs the router on n, peering with o.nodes; it returns a
	// function printing the BGP view of prefix (for failure messages and
	// community checks) and the router's processes (their logs).
	start func(t *testing.T, n *netns.Node, o bgpRouterOpts) (show func(prefix string) string, procs []*netns.Proc)
}

// bgpRouterOpts is what the router is configured with.
type bgpRouterOpts struct {
	nodes []string
	bfd   map[string]bool // the neighbors with BFD (bfdMS x 3)
	bfdMS int
	// gshut: an import policy that honours GRACEFUL_SHUTDOWN (65535:0 →
	// local-pref 0), as docs/bgp.md shows; without it the community is
	// only carried (eBGP carries no LOCAL_PREF) and the withdrawal is what
	// moves the traffic.
	gshut bool
	// debug: BFD and BGP session events logged with microsecond
	// timestamps (the benchmark's breakdown).
	debug bool
}

var bgpRouters = []bgpRouterDaemon{{name: "frr", start: startFRR}, {name: "bird", start: startBIRD}}

// frrDir makes a short directory the frr user can reach (pid files, vty
// and zserv sockets).
func frrDir(t *testing.T, n *netns.Node) string {
	dir, err := os.MkdirTemp("", "gkfrr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := n.Exec(context.Background(), "chown", "frr:frr", dir); err != nil {
		t.Fatalf("chown %s: %v", dir, out)
	}
	return dir
}

func startFRR(t *testing.T, n *netns.Node, o bgpRouterOpts) (func(string) string, []*netns.Proc) {
	for _, d := range []string{"zebra", "bgpd", "bfdd"} {
		if _, err := os.Stat("/usr/lib/frr/" + d); err != nil {
			t.Skipf("FRR %s not installed (%v): scripts/deps.sh installs frr", d, err)
		}
	}
	dir := frrDir(t, n)
	conf := filepath.Join(dir, "frr.conf")
	if err := os.WriteFile(conf, []byte(frrConf(o)), 0o644); err != nil {
		t.Fatal(err)
	}
	common := func(d string) []string {
		return []string{"/usr/lib/frr/" + d, "-f", conf, "-i", filepath.Join(dir, d+".pid"), "-z", filepath.Join(dir, "zserv.api"),
			"--vty_socket", dir, "-u", "frr", "-g", "frr", "-P", "0", "--log", "stdout"}
	}
	zebra := n.Start(common("zebra")...)
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		_, err := os.Stat(filepath.Join(dir, "zserv.api"))
		return err == nil, "zebra's zserv socket"
	})
	bfdd := n.Start(append(common("bfdd"), "--bfdctl", filepath.Join(dir, "bfdd.sock"))...)
	bgpd := n.Start(common("bgpd")...)
	return func(prefix string) string {
		out, _ := n.Exec(context.Background(), "vtysh", "--vty_socket", dir, "-c", "show ip bgp "+prefix)
		return out
	}, []*netns.Proc{zebra, bfdd, bgpd}
}

// frrConf is the FRR configuration the e2e and the benchmark run.
func frrConf(o bgpRouterOpts) string {
	var b strings.Builder
	b.WriteString("frr defaults datacenter\nhostname tor\n")
	if o.debug {
		b.WriteString("log timestamp precision 6\ndebug bfd peer\ndebug bgp bfd\n")
	}
	fmt.Fprintf(&b, "!\nbfd\n profile fast\n  receive-interval %d\n  transmit-interval %d\n  detect-multiplier 3\n !\n!\n", o.bfdMS, o.bfdMS)
	if o.gshut {
		b.WriteString("bgp community-list standard gshut seq 5 permit graceful-shutdown\n" +
			"route-map nodes-in permit 10\n match community gshut\n set local-preference 0\nexit\n" +
			"route-map nodes-in permit 20\nexit\n!\n")
	}
	fmt.Fprintf(&b, "router bgp 65000\n bgp router-id %s\n no bgp ebgp-requires-policy\n bgp bestpath as-path multipath-relax\n", bgpRouter)
	for _, a := range o.nodes {
		fmt.Fprintf(&b, " neighbor %s remote-as 65001\n neighbor %s timers 1 3\n neighbor %s timers connect 1\n neighbor %s passive\n", a, a, a, a)
		if o.bfd[a] {
			fmt.Fprintf(&b, " neighbor %s bfd profile fast\n", a)
		}
	}
	b.WriteString(" address-family ipv4 unicast\n  maximum-paths 4\n")
	if o.gshut {
		for _, a := range o.nodes {
			fmt.Fprintf(&b, "  neighbor %s route-map nodes-in in\n", a)
		}
	}
	b.WriteString(" exit-address-family\n!\n")
	return b.String()
}

func startBIRD(t *testing.T, n *netns.Node, o bgpRouterOpts) (func(string) string, []*netns.Proc) {
	if _, err := os.Stat("/usr/sbin/bird"); err != nil {
		t.Skipf("BIRD 2 not installed (%v): scripts/deps.sh installs bird2", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(conf, []byte(birdConf(o)), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "bird.ctl")
	p := n.Start("/usr/sbin/bird", "-f", "-c", conf, "-s", sock, "-P", filepath.Join(dir, "bird.pid"))
	return func(prefix string) string {
		out, _ := n.Exec(context.Background(), "birdc", "-s", sock, "show", "route", prefix, "all")
		return out
	}, []*netns.Proc{p}
}

// birdConf is the BIRD configuration the e2e and the benchmark run.
func birdConf(o bgpRouterOpts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "router id %s;\n", bgpRouter)
	if o.debug {
		b.WriteString("log stderr all;\ntimeformat log \"%F %T.%6f\";\n")
	}
	b.WriteString("protocol device {}\nprotocol kernel { ipv4 { export all; }; merge paths on; }\n")
	dbg := ""
	if o.debug {
		dbg = " debug { states, events };"
	}
	fmt.Fprintf(&b, "protocol bfd {%s interface \"*\" { min rx interval %d ms; min tx interval %d ms; multiplier 3; }; }\n", dbg, o.bfdMS, o.bfdMS)
	imp := "import all;"
	if o.gshut {
		imp = "import filter { if (65535, 0) ~ bgp_community then bgp_local_pref = 0; accept; };"
	}
	for i, a := range o.nodes {
		fmt.Fprintf(&b, "protocol bgp n%d {\n local %s as 65000;\n neighbor %s as 65001;\n hold time 3;\n keepalive time 1;\n connect retry time 1;\n error wait time 1, 2;\n", i+1, bgpRouter, a)
		if o.debug {
			b.WriteString(" debug { states, events };\n")
		}
		if o.bfd[a] {
			b.WriteString(" bfd on;\n")
		}
		fmt.Fprintf(&b, " ipv4 { %s export none; };\n}\n", imp)
	}
	return b.String()
}

// bgpNodeConf is a node's keepalived.conf: a vrrp_instance for the
// active/standby VIP, a virtual server for the anycast VIP whose quorum a
// MISC_CHECK holds while the file up exists, a bfd_instance to the router
// if bfd, and the bgp block.
func bgpNodeConf(self string, prio int, bfd bool, upFile string, gshut string, bfdMS int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority %d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        %s/32
    }
}
virtual_server %s 80 {
    delay_loop 1
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 192.0.2.100 80 {
        MISC_CHECK {
            misc_path "/usr/bin/test -f %s"
        }
    }
}
`, prio, bgpVIP, bgpAnycast, upFile)
	track := ""
	if bfd {
		fmt.Fprintf(&b, "bfd_instance tor {\n    neighbor_ip %s\n    source_ip %s\n    min_rx %d\n    min_tx %d\n    multiplier 3\n}\n", bgpRouter, self, bfdMS, bfdMS)
		track = "        track_bfd tor\n"
	}
	fmt.Fprintf(&b, `bgp {
    router_id %s
    local_as 65001
    graceful_shutdown_delay %s
    neighbor %s {
        remote_as 65000
        hold_time 3
        keepalive_time 1
%s    }
    announce_vrrp VI_1 {
        backup prepend 2
    }
    announce_virtual_server %s 80 {
        community 65001:80
    }
}
`, self, gshut, bgpRouter, track, bgpAnycast)
	return b.String()
}

type bgpNode struct {
	node   *netns.Node
	addr   string
	proc   *netns.Proc
	socket string
	upFile string
}

func startBGPNode(t *testing.T, n *netns.Node, addr string, prio int, bfd bool, bfdMS int) *bgpNode {
	return startBGPNodeConf(t, n, addr, func(upFile string) string { return bgpNodeConf(addr, prio, bfd, upFile, "2", bfdMS) })
}

// startBGPNodeConf runs gokeepalived on n with the configuration conf
// returns (given the node's quorum file, which exists at the start).
func startBGPNodeConf(t *testing.T, n *netns.Node, addr string, conf func(upFile string) string) *bgpNode {
	bin, err := netns.GokeepalivedBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := n.Dir("gokeepalived")
	sdir, err := os.MkdirTemp("", "gkctl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sdir) })
	bn := &bgpNode{node: n, addr: addr, socket: filepath.Join(sdir, "ctl.sock"), upFile: filepath.Join(dir, "up")}
	if err := os.WriteFile(bn.upFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf(bn.upFile)), 0o644); err != nil {
		t.Fatal(err)
	}
	bn.proc = n.Start(bin, "-n", "-l", "-D", "--lb-backend=nft", "-f", path, "-p", filepath.Join(dir, "k.pid"),
		"-r", filepath.Join(dir, "v.pid"), "--control-socket", bn.socket)
	return bn
}

func (bn *bgpNode) status() (*ctl.BGPStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := ctl.Call(ctx, bn.socket, ctl.Request{Cmd: ctl.CmdStatus})
	if err != nil {
		return nil, err
	}
	if resp.Status == nil || resp.Status.BGP == nil {
		return nil, fmt.Errorf("no bgp status")
	}
	return resp.Status.BGP, nil
}

// routeVia returns the next hops of the router's kernel route to prefix.
var nexthopRE = regexp.MustCompile(`via (\S+)`)

func routeVia(n *netns.Node, prefix string) []string {
	out, _ := n.Exec(context.Background(), "ip", "-4", "route", "show", prefix)
	var hops []string
	for _, m := range nexthopRE.FindAllStringSubmatch(out, -1) {
		hops = append(hops, m[1])
	}
	return hops
}

func sameSet(a []string, b ...string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range b {
		found := false
		for _, y := range a {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

// TestBGPAnycast runs the anycast scenarios against each router: both
// nodes announce the virtual server's address while its quorum is up,
// the router installs a multipath route; n1 (BFD 100 ms x 3) cut off →
// its path leaves within the BFD detection time; n2 (no BFD: the session
// falls back to the 3 s hold time) cut off → its path leaves only after
// the hold time; quorum lost → withdrawn; SIGTERM → GRACEFUL_SHUTDOWN
// seen at the router, then withdrawn.
func TestBGPAnycast(t *testing.T) {
	for _, r := range bgpRouters {
		t.Run(r.name, func(t *testing.T) { bgpAnycastWith(t, r) })
	}
}

func bgpTopo(t *testing.T, tag string) (*netns.Topo, *netns.Node, *netns.Node, *netns.Node) {
	topo := netns.New(t, tag)
	lan := topo.Switch("lan")
	router, n1, n2 := topo.Node("tor"), topo.Node("n1"), topo.Node("n2")
	topo.Link(router, lan, "eth0", bgpRouter+"/24")
	topo.Link(n1, lan, "eth0", "192.0.2.1/24")
	topo.Link(n2, lan, "eth0", "192.0.2.2/24")
	return topo, router, n1, n2
}

func bgpAnycastWith(t *testing.T, r bgpRouterDaemon) {
	_, router, n1n, n2n := bgpTopo(t, "bgpa"+r.name[:2])
	show, _ := r.start(t, router, bgpRouterOpts{nodes: []string{"192.0.2.1", "192.0.2.2"}, bfd: map[string]bool{"192.0.2.1": true}, bfdMS: bgpBFDms})
	n1 := startBGPNode(t, n1n, "192.0.2.1", 150, true, bgpBFDms)
	n2 := startBGPNode(t, n2n, "192.0.2.2", 100, false, bgpBFDms)
	pfx := bgpAnycast + "/32"
	diag := func() string {
		s1, e1 := n1.status()
		s2, e2 := n2.status()
		return fmt.Sprintf("router route: %v\nrouter bgp:\n%s\nn1: %+v %v\nn2: %+v %v\n--- n1 log:\n%s", routeVia(router, pfx), show(pfx), s1, e1, s2, e2, lastLines(n1.proc.Output(), 15))
	}
	netns.Eventually(t, 30*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.1", "192.0.2.2"), "want a multipath route via both nodes\n" + diag()
	})
	// The node's own status says why.
	st, err := n1.status()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Prefixes {
		if p.Prefix == pfx && (p.State != "announced" || p.Reason != "quorum up") {
			t.Errorf("n1 status for %s: %+v", pfx, p)
		}
	}
	if len(st.Peers) != 1 || !st.Peers[0].Up || st.Peers[0].Sent == 0 {
		t.Errorf("n1 peer status: %+v", st.Peers)
	}

	// Quorum lost on n2 → its path withdrawn; back → announced again.
	os.Remove(n2.upFile)
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.1"), "want n2's path gone after its quorum loss\n" + diag()
	})
	if err := os.WriteFile(n2.upFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.1", "192.0.2.2"), "want ECMP back after the quorum returned\n" + diag()
	})

	// Both nodes cut off at once: n1's path (BFD 100 ms x 3) leaves within
	// the BFD detection time, n2's (no BFD: the session falls back to the
	// 3 s hold time) only after the hold time.
	cut := time.Now()
	n1n.LinkDown("eth0")
	n2n.LinkDown("eth0")
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		return len(routeVia(router, pfx)) < 2, "want n1's path gone (BFD)\n" + diag()
	})
	bfdGone := time.Since(cut)
	if hops := routeVia(router, pfx); !sameSet(hops, "192.0.2.2") {
		t.Errorf("after the first path left the router has %v, want n2's path still there (no BFD: hold time)", hops)
	}
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		return len(routeVia(router, pfx)) == 0, "want n2's path gone (hold time)\n" + diag()
	})
	holdGone := time.Since(cut)
	t.Logf("both cut off: n1's path (BFD 100 ms x 3) withdrawn at the router after %v; n2's (no BFD: falls back to the 3 s hold time) after %v",
		bfdGone.Round(time.Millisecond), holdGone.Round(time.Millisecond))
	if bfdGone >= 2*time.Second {
		t.Errorf("n1's path left after %v, near the 3 s hold time: BFD did not take it down", bfdGone)
	}
	if holdGone < 2*time.Second {
		t.Errorf("n2's path left after %v, before the hold time (3 s, keepalive 1 s): something else than the hold time took it down", holdGone)
	}
	n1n.LinkUp("eth0")
	n2n.LinkUp("eth0")
	netns.Eventually(t, 40*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.1", "192.0.2.2"), "want ECMP back after both returned\n" + diag()
	})

	// SIGTERM on n1: GRACEFUL_SHUTDOWN at the router for the delay (2 s), then withdrawn.
	if err := n1.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		out := show(pfx)
		return strings.Contains(out, "65535:0") || strings.Contains(strings.ToLower(out), "graceful-shutdown") || strings.Contains(out, "(65535,0)"),
			"want the GRACEFUL_SHUTDOWN community on n1's path at the router\n" + diag()
	})
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.2"), "want n1's path withdrawn after the drain\n" + diag()
	})
	if err := n1.proc.Wait(15 * time.Second); err != nil {
		t.Errorf("n1 did not stop after SIGTERM: %v", err)
	}
	if !strings.Contains(n1.proc.Output(), "bgp: graceful shutdown") {
		t.Errorf("n1 did not log the graceful shutdown:\n%s", lastLines(n1.proc.Output(), 20))
	}
}

// TestBGPActiveStandby: the VRRP master announces the VIP plainly, the
// backup with its AS path prepended twice; the router prefers the master.
// The master killed (kill -9) → the router drops its path (BFD) and the
// backup, now master, announces without the prepend.
func TestBGPActiveStandby(t *testing.T) {
	for _, r := range bgpRouters {
		t.Run(r.name, func(t *testing.T) { bgpActiveStandbyWith(t, r) })
	}
}

func bgpActiveStandbyWith(t *testing.T, r bgpRouterDaemon) {
	_, router, n1n, n2n := bgpTopo(t, "bgps"+r.name[:2])
	show, _ := r.start(t, router, bgpRouterOpts{nodes: []string{"192.0.2.1", "192.0.2.2"}, bfd: map[string]bool{"192.0.2.1": true, "192.0.2.2": true}, bfdMS: bgpBFDms})
	n1 := startBGPNode(t, n1n, "192.0.2.1", 150, true, bgpBFDms)
	n2 := startBGPNode(t, n2n, "192.0.2.2", 100, true, bgpBFDms)
	pfx := bgpVIP + "/32"
	diag := func() string {
		s1, _ := n1.status()
		s2, _ := n2.status()
		return fmt.Sprintf("router route: %v\nrouter bgp:\n%s\nn1: %+v\nn2: %+v", routeVia(router, pfx), show(pfx), s1, s2)
	}
	prepended := func(bn *bgpNode) (bool, string) {
		st, err := bn.status()
		if err != nil {
			return false, err.Error()
		}
		for _, p := range st.Prefixes {
			if p.Prefix == pfx {
				return p.State == "less-preferred" && p.Reason == "VI_1 is BACKUP: AS path prepended 2 times", fmt.Sprintf("%+v", p)
			}
		}
		return false, "no prefix"
	}
	start := time.Now()
	defer func() { t.Logf("scenario took %v", time.Since(start)) }()
	took := netns.Eventually(t, 30*time.Second, func() (bool, string) {
		ok, why := prepended(n2)
		out := show(pfx)
		// The router knows both paths (the backup's prepended) and uses the master's.
		return ok && sameSet(routeVia(router, pfx), "192.0.2.1") && strings.Contains(out, "192.0.2.2"),
			"want the master's path used and the backup's prepended path known: n2 " + why + "\n" + diag()
	})
	t.Logf("converged after %v", took)
	n1.proc.Kill()
	took = netns.Eventually(t, 20*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.2"), "want the backup's path after the master died\n" + diag()
	})
	t.Logf("master killed: the router uses the backup's path after %v", took)
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		st, err := n2.status()
		if err != nil {
			return false, err.Error()
		}
		for _, p := range st.Prefixes {
			if p.Prefix == pfx {
				return p.State == "announced" && p.Reason == "VI_1 is MASTER", fmt.Sprintf("%+v", p)
			}
		}
		return false, "no prefix"
	})
}
