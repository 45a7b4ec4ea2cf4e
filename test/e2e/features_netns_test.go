package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gokeepalived/test/e2e/netns"
)

// TestNetNamespace: gokeepalived started in the test's own network namespace runs in a
// named one, given by -s/--namespace or by the top-level net_namespace keyword: the VIP
// appears on that namespace's interface, the process's /proc/PID/ns/net is that
// namespace, and `-t` checks the interfaces there (ens33 exists only in it). Each node's
// daemon is started through the harness (`ip netns exec NODE`), then nsenter takes it back
// to the test's namespace before it runs, so it is the daemon that enters NODE.
func TestNetNamespace(t *testing.T) {
	t.Parallel()
	bin, err := netns.GokeepalivedBinary()
	if err != nil {
		t.Fatal(err)
	}
	home := fmt.Sprintf("/proc/%d/ns/net", os.Getpid())
	for _, mode := range []string{"flag", "config"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			topo := netns.New(t, "ns"+mode[:2])
			lan := topo.Switch("lan")
			n := topo.Node("node")
			topo.Link(n, lan, ifname, masterAddr)
			conf := vrrpConf{State: "MASTER", Priority: 100, VIPs: []string{vip + "/24"}}.String()
			var extra []string
			if mode == "flag" {
				extra = []string{"-s", n.NS}
			} else {
				conf = "net_namespace " + n.NS + "\n" + conf
			}
			dir := n.Dir("gk")
			path := filepath.Join(dir, "keepalived.conf")
			if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			sock, err := os.MkdirTemp("", "gkns-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(sock) })

			// -t from outside: the interface is only in the namespace.
			check := exec.Command(bin, append([]string{"-t", "-f", path}, extra...)...)
			if out, err := check.CombinedOutput(); err != nil {
				t.Errorf("gokeepalived -t %v: %v\n%s", extra, err, out)
			}

			argv := append([]string{"nsenter", "--net=" + home, bin, "-P", "-n", "-l", "-D", "-f", path,
				"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"),
				"--control-socket", filepath.Join(sock, "ctl")}, extra...)
			p := n.Start(argv...)
			netns.Eventually(t, converge, func() (bool, string) {
				return n.HasAddr(vip), "want the VIP on " + n.NS + "'s " + ifname + ":\n" + lastLines(p.Output(), 10)
			})
			var want, got syscall.Stat_t
			if err := syscall.Stat(filepath.Join("/var/run/netns", n.NS), &want); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", p.PID()), &got); err != nil {
				t.Fatal(err)
			}
			if got.Ino != want.Ino {
				t.Errorf("the daemon's network namespace is inode %d, want %s's %d", got.Ino, n.NS, want.Ino)
			}
			if !strings.Contains(p.Output(), "running in network namespace "+n.NS) {
				t.Errorf("no start-up line naming the namespace:\n%s", lastLines(p.Output(), 20))
			}
			if err := p.Stop(converge); err != nil {
				t.Error(err)
			}
			if out, _ := n.Exec(context.Background(), "ip", "-o", "addr"); strings.Contains(out, vip+"/") {
				t.Errorf("VIP left after stop:\n%s", out)
			}
		})
	}
}
