package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// bfdCheckConf: the real server 192.0.2.2:80 follows bfd_instance rs1
// (told to the checkers only), a session to keepalived's BFD process on
// the real server at 100 ms x 3.
const bfdCheckConf = `bfd_instance rs1 {
    neighbor_ip 192.0.2.2
    source_ip 192.0.2.1
    min_rx 100
    min_tx 100
    multiplier 3
    checker
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.2 80 {
        weight 1
        BFD_CHECK {
            name rs1
        }
    }
}
`

// TestBFDCheckTakesRealServerOut runs gokeepalived (checkers and load
// balancer, --lb-backend=nft) with a real server followed by BFD_CHECK;
// keepalived's BFD process on the real server is the peer. The real
// server is out of the table until the session is Up, leaves it when a cut
// of UDP 3784 takes the session Down ("Control Detection Time Expired"),
// and comes back when the cut heals.
func TestBFDCheckTakesRealServerOut(t *testing.T) {
	netns.RequireRoot(t)
	topo := netns.New(t, "bfdck")
	lan := topo.Switch("lan")
	dir, rs := topo.Node("dir"), topo.Node("rs")
	topo.Link(dir, lan, "eth0", "192.0.2.1/24")
	topo.Link(rs, lan, "eth0", "192.0.2.2/24")
	peerLogs := bfdPeers[1].start(t, rs, "192.0.2.2", "192.0.2.1") // keepalived

	runner := &netns.GokeepalivedRunner{KeepalivedRunner: netns.KeepalivedRunner{Node: dir, Config: bfdCheckConf,
		AllProcesses: true, Args: []string{"--lb-backend=nft"}}}
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	gk, sock := runner.Proc, runner.Socket
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gokeepalived output:\n%s\n--- keepalived:\n%s", lastLines(gk.Output(), 30), lastLines(peerLogs(), 15))
		}
	})
	// rsIs waits until the real server is up (and in the table) or down
	// with a reason containing reason, and the BFD session in state.
	rsIs := func(up bool, reason, state string) {
		t.Helper()
		netns.Eventually(t, converge, func() (bool, string) {
			if gk.Exited() {
				t.Fatalf("gokeepalived exited:\n%s", gk.Output())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			resp, err := ctl.Call(ctx, sock, ctl.Request{Cmd: ctl.CmdStatus})
			if err != nil || resp.Status == nil {
				return false, fmt.Sprintf("status: %v", err)
			}
			st := resp.Status
			var b strings.Builder
			if err := ctl.WriteTable(&b, st); err != nil {
				return false, err.Error()
			}
			if len(st.VirtualServers) != 1 || len(st.VirtualServers[0].RealServers) != 1 || st.BFD == nil || len(st.BFD.Sessions) != 1 {
				return false, b.String()
			}
			r, s := st.VirtualServers[0].RealServers[0], st.BFD.Sessions[0]
			ok := r.Up == up && r.InTable == up && s.State == state && (up || strings.Contains(r.Reason, reason))
			return ok, fmt.Sprintf("want real server up=%v (%q), session %s; status:\n%s", up, reason, state, b.String())
		})
	}
	rsIs(true, "", "Up")
	// The table: the real server is a destination of the nft backend.
	if out := dir.MustExec("nft", "list", "ruleset"); !strings.Contains(out, "192.0.2.2") {
		t.Errorf("the real server is not in the nft ruleset:\n%s", out)
	}
	cut := "table inet gke2e_bfd {\n chain bfd_in {\n  type filter hook input priority 0;\n  udp dport 3784 drop\n }\n}\n"
	for _, n := range []*netns.Node{dir, rs} {
		n.MustExec("nft", "-f", writeTemp(t, cut))
	}
	rsIs(false, "Control Detection Time Expired", "Down")
	if out := dir.MustExec("nft", "list", "table", "inet", "gokeepalived"); strings.Contains(out, "192.0.2.2") {
		t.Errorf("the real server is still in the nft table after the session went Down:\n%s", out)
	}
	for _, n := range []*netns.Node{dir, rs} {
		n.MustExec("nft", "delete", "table", "inet", "gke2e_bfd")
	}
	rsIs(true, "", "Up")
	if !strings.Contains(gk.Output(), "real server 192.0.2.2:80 of VS 192.0.2.100:80/TCP down: BFD session rs1 is Down") {
		t.Errorf("no real-server transition logged with the BFD reason:\n%s", lastLines(gk.Output(), 30))
	}
}
