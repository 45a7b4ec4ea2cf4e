package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// A virtual_server without lb_algo (keepalived's default, wlc) on the
// nftables backend. rs2 starts down (alpha, nothing listening).
const lvsNftWLCConf = `virtual_server 192.0.2.100 1358 {
    delay_loop 1
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 1358 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.18.0.3 1358 {
        TCP_CHECK {
            connect_timeout 1
            alpha
        }
    }
}
`

// TestLVSNftDefaultWLC runs gokeepalived --lb-backend=nft with a
// virtual_server that names no lb_algo: -t passes (stating the backend), the
// daemon programs it (wlc) and it serves. Then wlc under real traffic: four
// long-lived connections are held on rs1 while rs2 is down; rs2 comes up,
// and new (short) connections all go to rs2, the server with the fewest
// connections, as documented (conntrack counts, re-planned every 500 ms).
func TestLVSNftDefaultWLC(t *testing.T) {
	netns.RequireRoot(t)
	topo := netns.New(t, "lvswlc")
	front, back := topo.Switch("front"), topo.Switch("back")
	client, dir := topo.Node("client"), topo.Node("director")
	rs1, rs2 := topo.Node("rs1"), topo.Node("rs2")
	topo.Link(client, front, "ens33", "192.0.2.10/24")
	topo.Link(dir, front, "ens33", "192.0.2.1/24")
	topo.Link(dir, back, "ens34", "198.18.0.1/24")
	topo.Link(rs1, back, "ens33", "198.18.0.2/24")
	topo.Link(rs2, back, "ens33", "198.18.0.3/24")
	client.MustExec("ip", "route", "add", "default", "via", "192.0.2.1")
	for _, n := range []*netns.Node{rs1, rs2} {
		n.MustExec("ip", "route", "add", "default", "via", "198.18.0.1")
	}
	dir.MustExec("sysctl", "-qw", "net.ipv4.ip_forward=1")
	dir.MustExec("ip", "addr", "add", "192.0.2.100/32", "dev", "ens33")
	startLVSWeb(t, rs1, "rs1")

	runner := &netns.GokeepalivedRunner{KeepalivedRunner: netns.KeepalivedRunner{Node: dir, Config: lvsNftWLCConf,
		AllProcesses: true, Args: []string{"--lb-backend=nft"}}}
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	gk, sock := runner.Proc, runner.Socket
	bin, err := netns.GokeepalivedBinary()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(runner.Dir, "keepalived.conf")
	out, err := dir.Exec(context.Background(), bin, "-t", "--lb-backend=nft", "-f", conf)
	if err != nil || !strings.Contains(out, "load-balancer backend: nft") || !strings.Contains(out, "configuration OK") {
		t.Fatalf("-t: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gokeepalived output:\n%s", gk.Output())
			out, _ := dir.Exec(context.Background(), "nft", "list", "table", "inet", "gokeepalived")
			t.Logf("nft table:\n%s", out)
		}
	})
	// inTable waits until the status shows the virtual server (wlc, no
	// error) with exactly these real servers in the table.
	inTable := func(want ...string) {
		t.Helper()
		netns.Eventually(t, 30*time.Second, func() (bool, string) {
			if gk.Exited() {
				t.Fatalf("gokeepalived exited:\n%s", gk.Output())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			resp, err := ctl.Call(ctx, sock, ctl.Request{Cmd: ctl.CmdStatus})
			if err != nil {
				return false, err.Error()
			}
			var b strings.Builder
			ctl.WriteVirtualServers(&b, resp.Status.VirtualServers)
			if len(resp.Status.VirtualServers) != 1 {
				return false, b.String()
			}
			vs := resp.Status.VirtualServers[0]
			if vs.Algo != "wlc" || vs.Backend != "nft" || vs.Error != "" {
				return false, b.String()
			}
			var got []string
			for _, rs := range vs.RealServers {
				if rs.InTable {
					got = append(got, rs.Addr)
				}
			}
			return strings.Join(got, ",") == strings.Join(want, ","), b.String()
		})
	}
	get := func() string {
		out, err := client.Exec(context.Background(), "curl", "-s", "--max-time", "2", "http://192.0.2.100:1358/")
		if err != nil {
			return "error: " + err.Error()
		}
		return strings.TrimSpace(out)
	}
	inTable("198.18.0.2:1358")
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		got := get()
		return got == "rs1", "answer " + got
	})

	// Four long-lived connections, all on rs1 (rs2 is down).
	hold := client.Start("/usr/bin/python3", "-c", `import socket, sys, time
ss = [socket.create_connection(("192.0.2.100", 1358), timeout=3) for _ in range(4)]
print("held", flush=True)
time.sleep(120)
`)
	t.Cleanup(hold.Kill)
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		if hold.Exited() {
			t.Fatalf("holder exited: %s", hold.Output())
		}
		return strings.Contains(hold.Output(), "held"), hold.Output()
	})

	startLVSWeb(t, rs2, "rs2")
	inTable("198.18.0.2:1358", "198.18.0.3:1358")
	// Six short connections: rs2 has none open, rs1 four, so wlc sends the
	// first four to rs2 (the plan written when rs2 entered the table already
	// counted them); the next ones go to rs2 too if a re-plan (every 500 ms)
	// has seen the short ones end, else one alternates to rs1. rr would
	// give 3 and 3.
	got := map[string]int{}
	for range 6 {
		got[get()]++
	}
	if got["rs2"] < 5 || got["rs2"]+got["rs1"] != 6 {
		t.Errorf("with four connections held on rs1, six new connections went %v; want at least five on rs2 (wlc)", got)
	}
	// Without the held connections the servers are even: new connections alternate.
	hold.Kill()
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		n := map[string]int{}
		for range 4 {
			n[get()]++
		}
		return n["rs1"] > 0 && n["rs2"] > 0, fmt.Sprintf("after closing the held connections: %v", n)
	})
}
