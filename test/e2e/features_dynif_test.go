package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gokeepalived/test/e2e/netns"
)

// withGlobals adds lines to a vrrpConf's global_defs.
func withGlobals(conf string, lines ...string) string {
	return strings.Replace(conf, "    router_id LVS_DEVEL\n", "    router_id LVS_DEVEL\n    "+strings.Join(lines, "\n    ")+"\n", 1)
}

// TestDynamicInterfaces (issue 11): with dynamic_interfaces the master's
// configuration names an interface that does not exist when it starts
// (gkdyn0): it starts anyway, the instance in FAULT with the reason, and
// the backup serves the VIP. The interface created on the LAN, the
// instance gets its socket and takes the VIP (it has the higher priority).
// Deleted: FAULT again, the backup takes over; re-created: the master
// again. vrrp_rx_bufs_policy MTU with vrrp_rx_bufs_multiplier 3: the real
// VRRP socket's receive buffer (ss -m) is 3 x 1500 bytes, doubled by the
// kernel.
func TestDynamicInterfaces(t *testing.T) {
	t.Parallel()
	const dyn = "gkdyn0"
	c := newCluster(t, "dyn", vip, clientAddr)
	mconf := withGlobals(vrrpConf{State: "MASTER", Priority: 150, Iface: dyn, Auth: true, VIPs: []string{vip + "/24"}}.String(),
		"dynamic_interfaces", "vrrp_rx_bufs_policy MTU", "vrrp_rx_bufs_multiplier 3")
	// The master's own ens33 is on the LAN with another address; the
	// instance's interface comes later.
	m := c.add("master", netns.Gokeepalived, mconf, "198.18.0.1/24")
	b := c.add("backup", netns.Gokeepalived, vrrpConf{State: "BACKUP", Priority: 100, Auth: true, VIPs: []string{vip + "/24"}}.String(), backupAddr)
	c.start(m, b)
	netns.Eventually(t, converge, c.state(m, "FAULT"))
	netns.Eventually(t, converge, c.only(b))
	if st, _ := c.status(m); !strings.Contains(strings.Join(st.Warnings, "\n"), dyn+" does not exist") ||
		st.LastTransition == nil || !strings.Contains(st.LastTransition.Reason, dyn+" does not exist") {
		t.Errorf("the master's status does not say %s is missing: warnings %q, last transition %+v", dyn, st.Warnings, st.LastTransition)
	}

	c.topo.Link(m.node, c.lan, dyn, masterAddr)
	m.addr = strings.SplitN(masterAddr, "/", 2)[0] // its adverts' source now
	netns.Eventually(t, converge, c.only(m))
	netns.Eventually(t, converge, c.hears(b, m))

	// The daemon's VRRP socket (raw, protocol 112): SO_RCVBUF as the
	// policy says (the kernel reports twice what was set), read with
	// getsockopt on the socket itself (pidfd_getfd).
	want := 2 * 3 * 1500
	netns.Eventually(t, converge, func() (bool, string) {
		bufs := vrrpRcvBufs(t, m.gk().Proc.PID())
		for _, n := range bufs {
			if n == want {
				return true, ""
			}
		}
		return false, fmt.Sprintf("the daemon's VRRP sockets have SO_RCVBUF %v, want one with %d", bufs, want)
	})

	m.node.MustExec("ip", "link", "del", dyn)
	netns.Eventually(t, converge, c.state(m, "FAULT"))
	netns.Eventually(t, converge, c.only(b))
	c.topo.Link(m.node, c.lan, dyn, masterAddr)
	netns.Eventually(t, converge, c.only(m))
}

// TestReloadTimeFile (issue 11): reload_time_file schedules a reload at
// the time written in the file: the configuration rewritten with a second
// VIP is not applied before that time, is applied at it, and the file is
// removed (no reload_repeat).
func TestReloadTimeFile(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "rtf", vip, clientAddr)
	n := c.topo.Node("solo")
	c.topo.Link(n, c.lan, ifname, masterAddr)
	file := filepath.Join(n.Dir("reload"), "reload-at")
	conf := func(vips ...string) string {
		return withGlobals(vrrpConf{State: "MASTER", Priority: 150, Auth: true, VIPs: vips}.String(), "reload_time_file "+file)
	}
	m := &member{name: "solo", node: n, addr: "192.0.2.1", d: netns.Gokeepalived(n, conf(vip+"/24"))}
	c.members = append(c.members, m)
	c.start(m)
	netns.Eventually(t, converge, c.only(m))

	const vip2 = "192.0.2.101"
	if err := m.gk().Rewrite(conf(vip+"/24", vip2+"/24")); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(4 * time.Second).UTC().Truncate(time.Second)
	if err := os.WriteFile(file, []byte(at.Format("2006-01-02 15:04:05")+"Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, converge, func() (bool, string) {
		logs := m.gk().Logs()
		return strings.Contains(logs, "reload scheduled"), "no \"reload scheduled\" in the log:\n" + lastLines(logs, 8)
	})
	if n.HasAddr(vip2) {
		t.Fatalf("%s added before the scheduled reload (%s)", vip2, at)
	}
	netns.Eventually(t, converge, func() (bool, string) {
		return n.HasAddr(vip2), fmt.Sprintf("%s not added by the reload scheduled at %s:\n%s", vip2, at, lastLines(m.gk().Logs(), 8))
	})
	if now := time.Now(); now.Before(at) {
		t.Errorf("the reload happened at %s, before its time %s", now, at)
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("the reload time file is still there after its reload")
	}
}

// vrrpRcvBufs is SO_RCVBUF of each raw VRRP socket (IPPROTO 112) process
// pid holds, read on a duplicate of the socket (pidfd_getfd).
func vrrpRcvBufs(t *testing.T, pid int) []int {
	t.Helper()
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", pid, err)
	}
	defer unix.Close(pidfd)
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if err != nil || !strings.HasPrefix(target, "socket:") {
			continue
		}
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fd, err := unix.PidfdGetfd(pidfd, n, 0)
		if err != nil {
			continue
		}
		typ, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		proto, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
		if typ == unix.SOCK_RAW && proto == 112 {
			if b, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
				out = append(out, b)
			}
		}
		unix.Close(fd)
	}
	return out
}
