package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/snmp/snmptest"
	"gokeepalived/test/e2e/netns"
)

const (
	kaCheck = kaOID + ".3."
	kaVS    = kaCheck + "3.1."
	kaRS    = kaCheck + "4.1."
)

// TestSNMPChecker: gokeepalived (nftables backend) runs a virtual server
// with two TCP-checked real servers and enable_snmp_checker, enable_traps
// and snmp_socket pointing at a private snmpd. snmpwalk reads the check
// tree: the snmp_name of the virtual and of the first real server, both
// real servers up, quorum (2) met. The second real server's listener is
// killed: the walk shows it down with one failed check, one server up
// and the quorum not met, and snmptrapd records keepalived's
// notifications: virtualServerQuorumStateChange at start (quorum met),
// realServerStateChange for rs2, virtualServerQuorumStateChange (not met).
func TestSNMPChecker(t *testing.T) {
	netns.RequireRoot(t)
	snmptest.Need(t, "snmpd", "snmpwalk", "snmptrapd")
	trapd := snmptest.StartTrapd(t)
	s := snmptest.StartSnmpd(t, trapd.Addr)

	topo := netns.New(t, "snmpchk")
	back := topo.Switch("back")
	dir, rs1, rs2 := topo.Node("director"), topo.Node("rs1"), topo.Node("rs2")
	topo.Link(dir, back, "ens34", "198.18.0.1/24")
	topo.Link(rs1, back, "ens33", "198.18.0.2/24")
	topo.Link(rs2, back, "ens33", "198.18.0.3/24")
	listen := func(n *netns.Node) *netns.Proc {
		p := n.Start("/usr/bin/python3", "-c", `import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 1358))
s.listen(16)
while True:
    c, _ = s.accept()
    c.close()
`)
		t.Cleanup(p.Kill)
		return p
	}
	listen(rs1)
	l2 := listen(rs2)

	bin, err := netns.GokeepalivedBinary()
	if err != nil {
		t.Fatal(err)
	}
	gdir := dir.Dir("gokeepalived")
	conf := filepath.Join(gdir, "keepalived.conf")
	text := fmt.Sprintf(`global_defs {
    router_id snmp-lb
    enable_snmp_checker
    enable_traps
    snmp_socket unix:%s
}
virtual_server 192.0.2.100 1358 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 2
    snmp_name web-vip
    real_server 198.18.0.2 1358 {
        snmp_name web-1
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
`, s.Socket)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	gk := dir.Start(bin, "-n", "-l", "-D", "--lb-backend=nft", "-f", conf, "-p", filepath.Join(gdir, "keepalived.pid"),
		"-r", filepath.Join(gdir, "vrrp.pid"), "-c", filepath.Join(gdir, "checkers.pid"),
		"--control-socket", filepath.Join(gdir, "ctl.sock"))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gokeepalived output:\n%s\nsnmpd: %s", lastLines(gk.Output(), 40), s.LogTail())
		}
	})
	// walkUntil waits for the check tree to hold every want (OID suffix
	// under the check tree -> snmpwalk's "TYPE: value").
	walkUntil := func(step string, want map[string]string) map[string]string {
		t.Helper()
		var w map[string]string
		netns.Eventually(t, 40*time.Second, func() (bool, string) {
			if gk.Exited() {
				t.Fatalf("gokeepalived exited:\n%s", gk.Output())
			}
			var err error
			if w, err = s.Walk(kaOID + ".3"); err != nil {
				return false, err.Error()
			}
			for k, v := range want {
				if w[k] != v {
					return false, fmt.Sprintf("%s: %s = %q, want %q; walk:\n%v", step, k, w[k], v, w)
				}
			}
			return true, ""
		})
		return w
	}
	w := walkUntil("both up", map[string]string{
		kaVS + "2.1":    "INTEGER: 2", // virtualServerType ip
		kaVS + "6.1":    "Hex-STRING: C0 00 02 64 ",
		kaVS + "7.1":    "Gauge32: 1358",
		kaVS + "9.1":    "INTEGER: 1", // rr
		kaVS + "11.1":   "INTEGER: 1", // programmed
		kaVS + "20.1":   "Gauge32: 2",
		kaVS + "21.1":   "Gauge32: 2",
		kaVS + "22.1":   "Gauge32: 2",
		kaVS + "23.1":   "INTEGER: 1",
		kaVS + "71.1":   `STRING: "web-vip"`,
		kaRS + "4.1.1":  "Hex-STRING: C6 12 00 02 ",
		kaRS + "6.1.1":  "INTEGER: 1",
		kaRS + "6.1.2":  "INTEGER: 1",
		kaRS + "13.1.2": "Gauge32: 0",
		kaRS + "55.1.1": `STRING: "web-1"`,
	})
	if v, ok := w[kaRS+"55.1.2"]; ok {
		t.Errorf("realServerName of a server without snmp_name: %s", v)
	}
	vsBinds := `.1.3.6.1.4.1.9586.100.5.3.3.1.2 = INTEGER: 2|.1.3.6.1.4.1.9586.100.5.3.3.1.5 = INTEGER: 1|.1.3.6.1.4.1.9586.100.5.3.3.1.6 = Hex-STRING: C0 00 02 64 |.1.3.6.1.4.1.9586.100.5.3.3.1.7 = Gauge32: 1358|.1.3.6.1.4.1.9586.100.5.3.3.1.8 = INTEGER: 1`
	quorumTrap := func(status, up int) string {
		return fmt.Sprintf(`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.3.5.0.2|%s|.1.3.6.1.4.1.9586.100.5.3.3.1.23 = INTEGER: %d|.1.3.6.1.4.1.9586.100.5.3.3.1.22 = Gauge32: 2|.1.3.6.1.4.1.9586.100.5.3.3.1.21 = Gauge32: %d|.1.3.6.1.4.1.9586.100.5.3.3.1.20 = Gauge32: 2|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "snmp-lb"`, vsBinds, status, up)
	}
	// At start, keepalived's "starting with quorum up" (sent once snmpd
	// is there, though the load balancer started first).
	want := []string{quorumTrap(1, 2)}
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		got := checkerTraps(trapd.Traps())
		return strings.Join(got, "\n") == strings.Join(want, "\n"),
			fmt.Sprintf("at start snmptrapd received\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	})

	l2.Kill()
	walkUntil("rs2 down", map[string]string{
		kaRS + "6.1.2":  "INTEGER: 2",
		kaRS + "13.1.2": "Gauge32: 1",
		kaRS + "6.1.1":  "INTEGER: 1",
		kaVS + "21.1":   "Gauge32: 1",
		kaVS + "23.1":   "INTEGER: 2",
	})
	want = []string{
		quorumTrap(1, 2),
		`.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.3.5.0.1|.1.3.6.1.4.1.9586.100.5.3.4.1.3 = INTEGER: 1|.1.3.6.1.4.1.9586.100.5.3.4.1.4 = Hex-STRING: C6 12 00 03 |.1.3.6.1.4.1.9586.100.5.3.4.1.5 = Gauge32: 1358|.1.3.6.1.4.1.9586.100.5.3.4.1.6 = INTEGER: 2|` +
			vsBinds + `|.1.3.6.1.4.1.9586.100.5.3.3.1.21 = Gauge32: 1|.1.3.6.1.4.1.9586.100.5.3.3.1.20 = Gauge32: 2|.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "snmp-lb"`,
		quorumTrap(2, 1),
	}
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		got := checkerTraps(trapd.Traps())
		return strings.Join(got, "\n") == strings.Join(want, "\n"),
			fmt.Sprintf("snmptrapd received\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	})
	if out, err := dir.Exec(context.Background(), "nft", "list", "table", "inet", "gokeepalived"); err != nil || strings.Contains(out, "198.18.0.3") {
		t.Errorf("rs2 still in the nft table (err %v):\n%s", err, out)
	}
}

// checkerTraps are the notifications of the check tree among traps.
func checkerTraps(traps []string) []string {
	var out []string
	for _, tr := range traps {
		if strings.Contains(tr, "OID: .1.3.6.1.4.1.9586.100.5.3.5.") {
			out = append(out, tr)
		}
	}
	return out
}
