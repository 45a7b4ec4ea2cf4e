package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// bfdPeer starts a BFD peer on a node: FRR's bfdd or keepalived's BFD process.
type bfdPeer struct {
	name  string
	start func(t *testing.T, n *netns.Node, self, gk string) func() string // returns the peer's logs
}

const frrBfdd = "/usr/lib/frr/bfdd"

var bfdPeers = []bfdPeer{
	{name: "frr", start: func(t *testing.T, n *netns.Node, self, gk string) func() string {
		if _, err := os.Stat(frrBfdd); err != nil {
			t.Skipf("FRR bfdd not installed (%v): apt-get install frr, with a policy-rc.d that keeps the service from starting", err)
		}
		// bfdd drops to the frr user and writes its pid file and sockets
		// here: a short directory of its own that the frr user can reach
		// (test scratch directories are private to root).
		dir, err := os.MkdirTemp("", "gkbfdd-")
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
		conf := fmt.Sprintf("bfd\n peer %s local-address %s\n  receive-interval 100\n  transmit-interval 100\n  detect-multiplier 3\n !\n!\n", gk, self)
		if err := os.WriteFile(filepath.Join(dir, "bfdd.conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		p := n.Start(frrBfdd, "-f", filepath.Join(dir, "bfdd.conf"), "-i", filepath.Join(dir, "bfdd.pid"),
			"-z", filepath.Join(dir, "zserv.api"), "--vty_socket", dir, "--bfdctl", filepath.Join(dir, "bfdd.sock"),
			"-u", "frr", "-g", "frr", "-P", "0", "--log", "stdout")
		return p.Output
	}},
	{name: "keepalived", start: func(t *testing.T, n *netns.Node, self, gk string) func() string {
		d := netns.Keepalived(n, bfdConf(gk, self))
		if err := d.Start(); err != nil {
			t.Fatal(err)
		}
		return d.Logs
	}},
}

// bfdConf is a bfd_instance "peer" at 100 ms x 3; extra lines go inside.
func bfdConf(neighbor, source string, extra ...string) string {
	return fmt.Sprintf(`bfd_instance peer {
    neighbor_ip %s
    source_ip %s
    min_rx 100
    min_tx 100
    multiplier 3
%s}
`, neighbor, source, strings.Join(extra, ""))
}

var bfdStateLine = regexp.MustCompile(`bfd: session state change.*session=peer from=(\w+) to=(\w+) diag="([^"]*)"`)

var bfdDownAt = regexp.MustCompile(`time=(\S+) level=INFO msg="bfd: session state change" session=peer from=Up to=Down diag="Control Detection Time Expired"`)

// bfdStates returns the state changes of session "peer" in gokeepalived's log.
func bfdStates(logs string) []string {
	var out []string
	for _, m := range bfdStateLine.FindAllStringSubmatch(logs, -1) {
		out = append(out, m[1]+">"+m[2]+" ("+m[3]+")")
	}
	return out
}

// TestBFDInterop runs a gokeepalived bfd_instance against FRR's bfdd and
// against keepalived's BFD process (100 ms x 3): the session comes Up, a
// cut of the link in both directions (nftables drops UDP 3784 on both
// nodes) takes it Down with "Control Detection Time Expired", and it comes
// Up again when the cut heals.
//
// Over IPv6 keepalived sends hop limit 64 by default and gokeepalived does
// the same (keepalived's default, so a keepalived pair keeps working); FRR
// insists on 255 (RFC 5881 §5), so the FRR case sets hoplimit 255.
func TestBFDInterop(t *testing.T) {
	for _, peer := range bfdPeers {
		for _, v6 := range []bool{false, true} {
			fam, gkAddr, peerAddr, plen := "ipv4", "192.0.2.1", "192.0.2.2", "/24"
			var extra []string
			if v6 {
				fam, gkAddr, peerAddr, plen = "ipv6", "2001:db8::1", "2001:db8::2", "/64"
				if peer.name == "frr" {
					extra = append(extra, "    hoplimit 255\n")
				}
			}
			t.Run(peer.name+"/"+fam, func(t *testing.T) {
				bfdInterop(t, peer, fam, gkAddr, peerAddr, plen, extra)
			})
		}
	}
}

func bfdInterop(t *testing.T, peer bfdPeer, fam, gkAddr, peerAddr, plen string, extra []string) {
	topo := netns.New(t, "bfd"+peer.name[:2]+fam[3:])
	lan := topo.Switch("lan")
	gkNode, peerNode := topo.Node("gk"), topo.Node("peer")
	topo.Link(gkNode, lan, "eth0", gkAddr+plen)
	topo.Link(peerNode, lan, "eth0", peerAddr+plen)
	gk := netns.Gokeepalived(gkNode, bfdConf(peerAddr, gkAddr, extra...))
	if err := gk.Start(); err != nil {
		t.Fatal(err)
	}
	peerLogs := peer.start(t, peerNode, peerAddr, gkAddr)
	have := func(what string, want func(states []string) bool) func() (bool, string) {
		return func() (bool, string) {
			st := bfdStates(gk.Logs())
			return want(st), fmt.Sprintf("want %s; gokeepalived's session went %s\n--- gokeepalived:\n%s\n--- %s:\n%s",
				what, strings.Join(st, ", "), lastLines(gk.Logs(), 10), peer.name, lastLines(peerLogs(), 10))
		}
	}
	count := func(suffix string) func([]string) int {
		return func(st []string) int {
			n := 0
			for _, s := range st {
				if strings.HasPrefix(s, suffix) {
					n++
				}
			}
			return n
		}
	}
	ups, downs := count("Init>Up"), count("Up>Down (Control Detection Time Expired)")
	upsAny := func(st []string) int { return ups(st) + count("Down>Up")(st) }
	netns.Eventually(t, converge, have("Up", func(st []string) bool { return upsAny(st) == 1 }))
	// Cut once both sides have left the 1 s pace (their Poll Sequences).
	netns.Eventually(t, converge, func() (bool, string) {
		return strings.Contains(gk.Logs(), "detection_time=300ms"), "want the 100 ms x 3 timers negotiated\n" + lastLines(gk.Logs(), 10)
	})
	// gokeepalivedctl status shows the session as the peer sees it.
	runner := gk.(*netns.GokeepalivedRunner)
	netns.Eventually(t, converge, bfdSessionIs(runner, "Up with the peer's discriminator, 100 ms x 3 negotiated, packets counted",
		func(s ctl.BFDSessionStatus) bool {
			return s.State == "Up" && s.RemoteState == "Up" && s.RemoteDiscr != 0 && s.LocalDiscr != 0 && s.TxIntervalUS == 100000 &&
				s.RxIntervalUS == 100000 && s.DetectionTimeUS == 300000 && s.Ups == 1 && s.PacketsReceived > 0 && s.PacketsSent > 0
		}))

	cut := "table inet gke2e_bfd {\n chain bfd_in {\n  type filter hook input priority 0;\n  udp dport 3784 drop\n }\n}\n"
	cutAt := time.Now()
	for _, n := range []*netns.Node{gkNode, peerNode} {
		n.MustExec("nft", "-f", writeTemp(t, cut))
	}
	netns.Eventually(t, converge, have("Down by detection time", func(st []string) bool { return downs(st) == 1 }))
	netns.Eventually(t, converge, bfdSessionIs(runner, "Down, diagnostic named, one down counted", func(s ctl.BFDSessionStatus) bool {
		return s.State == "Down" && s.LocalDiag == "Control Detection Time Expired" && s.Downs == 1 && !s.LastChange.IsZero()
	}))
	// For the record only (timing is the benchmark's business).
	if m := bfdDownAt.FindStringSubmatch(gk.Logs()); m != nil {
		if at, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
			t.Logf("Down %v after the cut (detection time 3 x 100 ms)", at.Sub(cutAt).Round(time.Millisecond))
		}
	}
	for _, n := range []*netns.Node{gkNode, peerNode} {
		n.MustExec("nft", "delete", "table", "inet", "gke2e_bfd")
	}
	netns.Eventually(t, converge, have("Up again", func(st []string) bool { return upsAny(st) == 2 }))
	if err := gk.Stop(); err != nil {
		t.Error(err)
	}
}

// bfdSessionIs is an Eventually condition on session "peer" in the
// daemon's status (gokeepalivedctl status --json).
func bfdSessionIs(r *netns.GokeepalivedRunner, what string, ok func(ctl.BFDSessionStatus) bool) func() (bool, string) {
	return func() (bool, string) {
		st, err := r.TryStatus()
		if err != nil {
			return false, what + ": " + err.Error()
		}
		if st.BFD == nil || len(st.BFD.Sessions) == 0 {
			return false, what + ": no BFD session in the status"
		}
		s := st.BFD.Sessions[0]
		return ok(s), fmt.Sprintf("want %s; status: %+v", what, s)
	}
}

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "nft")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestTrackBFDMovesVIP: two gokeepalived nodes share VIP .100; the master
// (priority 150) tracks a BFD session to an FRR bfdd neighbor with
// track_bfd (weight 0). Cutting that session (UDP 3784 dropped on the
// master) puts the master in FAULT and the backup takes the VIP; when the
// session comes back the master takes it back.
func TestTrackBFDMovesVIP(t *testing.T) {
	topo := netns.New(t, "tbfd")
	lan := topo.Switch("lan")
	m, b, nbr := topo.Node("m"), topo.Node("b"), topo.Node("nbr")
	topo.Link(m, lan, "eth0", "192.0.2.1/24")
	topo.Link(b, lan, "eth0", "192.0.2.2/24")
	topo.Link(nbr, lan, "eth0", "192.0.2.3/24")
	inst := func(prio int, track string) string {
		return fmt.Sprintf(`vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority %d
    version 3
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
%s}
`, prio, track)
	}
	md := netns.Gokeepalived(m, bfdConf("192.0.2.3", "192.0.2.1")+inst(150, "    track_bfd {\n        peer\n    }\n"))
	bd := netns.Gokeepalived(b, inst(100, ""))
	for _, d := range []netns.Daemon{md, bd} {
		if err := d.Start(); err != nil {
			t.Fatal(err)
		}
	}
	nbrLogs := bfdPeers[0].start(t, nbr, "192.0.2.3", "192.0.2.1")
	holder := func(want *netns.Node) func() (bool, string) {
		return func() (bool, string) {
			hm, hb := m.HasAddr("192.0.2.100"), b.HasAddr("192.0.2.100")
			return hm == (want == m) && hb == (want == b), fmt.Sprintf("want the VIP on %s only; master has it: %v, backup: %v\n--- master:\n%s\n--- backup:\n%s\n--- bfdd:\n%s",
				want.Name, hm, hb, lastLines(md.Logs(), 12), lastLines(bd.Logs(), 6), lastLines(nbrLogs(), 6))
		}
	}
	netns.Eventually(t, converge, holder(m))
	cut := "table inet gke2e_bfd {\n chain bfd_in {\n  type filter hook input priority 0;\n  udp dport 3784 drop\n }\n}\n"
	m.MustExec("nft", "-f", writeTemp(t, cut))
	netns.Eventually(t, converge, holder(b))
	if !strings.Contains(md.Logs(), "bfd peer is DOWN") {
		t.Errorf("the master's log does not say why it left MASTER:\n%s", lastLines(md.Logs(), 12))
	}
	m.MustExec("nft", "delete", "table", "inet", "gke2e_bfd")
	netns.Eventually(t, converge, holder(m))
}
