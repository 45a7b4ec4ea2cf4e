package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// TestLVSNetNamespaceIPVS: net_namespace_ipvs through the real daemon on
// the nftables backend. gokeepalived runs in node "ctl" (its health checks
// leave from there) and programs the load-balancer table in node
// "director", named by net_namespace_ipvs: the client's requests to the VIP
// are balanced by the director; ctl has no table; a real server that stops
// leaves the director's table (the checks from ctl see it); SIGTERM removes
// the director's services.
func TestLVSNetNamespaceIPVS(t *testing.T) {
	netns.RequireRoot(t)
	topo := netns.New(t, "lvsnsipvs")
	front, back := topo.Switch("front"), topo.Switch("back")
	client, dir, ctlNode := topo.Node("client"), topo.Node("director"), topo.Node("ctl")
	rs1, rs2 := topo.Node("rs1"), topo.Node("rs2")
	topo.Link(client, front, "ens33", "192.0.2.10/24")
	topo.Link(dir, front, "ens33", "192.0.2.1/24")
	topo.Link(dir, back, "ens34", "198.18.0.1/24")
	topo.Link(ctlNode, back, "ens33", "198.18.0.9/24")
	topo.Link(rs1, back, "ens33", "198.18.0.2/24")
	topo.Link(rs2, back, "ens33", "198.18.0.3/24")
	client.MustExec("ip", "route", "add", "default", "via", "192.0.2.1")
	for _, n := range []*netns.Node{rs1, rs2} {
		n.MustExec("ip", "route", "add", "default", "via", "198.18.0.1")
	}
	dir.MustExec("sysctl", "-qw", "net.ipv4.ip_forward=1")
	dir.MustExec("ip", "addr", "add", "192.0.2.100/32", "dev", "ens33")
	startLVSWeb(t, rs1, "rs1")
	startLVSWeb(t, rs2, "rs2")

	bin, err := netns.GokeepalivedBinary()
	if err != nil {
		t.Fatal(err)
	}
	gdir := ctlNode.Dir("gokeepalived")
	conf := filepath.Join(gdir, "keepalived.conf")
	text := "net_namespace_ipvs " + dir.NS + `
virtual_server 192.0.2.100 1358 {
    delay_loop 1
    lb_algo rr
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
        }
    }
}
`
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	gk := ctlNode.Start(bin, "-n", "-l", "-D", "--lb-backend=nft", "-f", conf, "-p", filepath.Join(gdir, "keepalived.pid"),
		"-r", filepath.Join(gdir, "vrrp.pid"), "-c", filepath.Join(gdir, "checkers.pid"),
		"--control-socket", filepath.Join(gdir, "ctl.sock"))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gokeepalived output:\n%s", gk.Output())
		}
	})
	table := func(n *netns.Node) string {
		out, _ := n.Exec(context.Background(), "nft", "list", "table", "inet", "gokeepalived")
		return out
	}
	get := func() string {
		out, err := client.Exec(context.Background(), "curl", "-s", "--max-time", "2", "http://192.0.2.100:1358/")
		if err != nil {
			return "error"
		}
		return strings.TrimSpace(out)
	}
	netns.Eventually(t, 30*time.Second, func() (bool, string) {
		if gk.Exited() {
			t.Fatalf("gokeepalived exited:\n%s", gk.Output())
		}
		seen := map[string]bool{}
		for range 4 {
			seen[get()] = true
		}
		return seen["rs1"] && seen["rs2"], "answers " + strings.Join(mapKeys(seen), ",")
	})
	if out := table(ctlNode); strings.Contains(out, "192.0.2.100") {
		t.Errorf("the daemon's own namespace got the table:\n%s", out)
	}
	// rs2 goes away: the checks (from ctl) take it out of the director's table.
	rs2.LinkDown("ens33")
	netns.Eventually(t, 30*time.Second, func() (bool, string) {
		out := table(dir)
		return !strings.Contains(out, "198.18.0.3"), out
	})
	for range 3 {
		if got := get(); got != "rs1" {
			t.Errorf("with rs2 down: answer %q, want rs1", got)
		}
	}
	if err := gk.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		out := table(dir)
		return gk.Exited() && !strings.Contains(out, "192.0.2.100"), out
	})
}

func mapKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
