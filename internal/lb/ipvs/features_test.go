package ipvs

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/internal/lbnet"
	"gokeepalived/internal/linux/netnstest"
)

func nsRun(t *testing.T, ns *lbnet.NS, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// squash collapses runs of blanks, for matching ipvsadm's columns.
func squash(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(out, "\n")
}

// TestIPVSKeywordsInKernel: the issue-12 keywords as the kernel shows them
// through ipvsadm: one-packet scheduling and the SIP persistence engine,
// the sh and mh scheduler flags, real-server thresholds, lvs_timeouts, and
// the sync daemons; and the read-back equals what was written (a second
// reconcile has nothing to do).
func TestIPVSKeywordsInKernel(t *testing.T) {
	requireVM(t)
	ns := lbnet.NewNS(t, "kw")
	peer := lbnet.NewNS(t, "kwp")
	lbnet.Veth(t, ns, "sync0", peer, "eth0")
	b := open(t, ns)
	a := netip.MustParseAddr
	desired := []lb.Service{
		{Key: lb.Key{Addr: a("192.0.2.10"), Port: 5060, Proto: lb.UDP, Family: lb.Inet}, Scheduler: "rr",
			Persistence: 60 * time.Second, Flags: lb.FlagOnePacket, PEName: "sip", Dests: []lb.Dest{
				{Addr: a("198.18.0.2"), Port: 5060, Weight: 1, UThreshold: 1000, LThreshold: 800}}},
		{Key: lb.Key{Addr: a("192.0.2.11"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "sh",
			Flags: lb.FlagSched1 | lb.FlagSched2, Dests: []lb.Dest{{Addr: a("198.18.0.3"), Port: 80, Weight: 2}}},
		{Key: lb.Key{Addr: a("192.0.2.12"), Port: 80, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "mh",
			Flags: lb.FlagSched1 | lb.FlagSched2, Dests: []lb.Dest{{Addr: a("198.18.0.4"), Port: 80, Weight: 3}}},
		{Key: lb.Key{FWMark: 9, Family: lb.Inet}, Scheduler: "rr", Persistence: 30 * time.Second, PEName: "sip",
			Dests: []lb.Dest{{Addr: a("198.18.0.5"), Weight: 1}}},
	}
	rec := lb.NewReconciler(b, nil)
	if _, err := rec.Reconcile(desired); err != nil {
		t.Fatal(err)
	}
	got := nsRun(t, ns, "ipvsadm", "-Ln")
	t.Logf("ipvsadm -Ln:\n%s", got)
	for _, want := range []string{
		"UDP 192.0.2.10:5060 rr persistent 60 pe sip ops",
		"TCP 192.0.2.11:80 sh (sh-fallback,sh-port)",
		"TCP 192.0.2.12:80 mh (mh-fallback,mh-port)",
		"FWM 9 rr persistent 30 pe sip",
	} {
		if !strings.Contains(squash(got), want) {
			t.Errorf("ipvsadm -Ln lacks %q", want)
		}
	}
	th := nsRun(t, ns, "ipvsadm", "-Ln", "--thresholds")
	t.Logf("ipvsadm -Ln --thresholds:\n%s", th)
	if !strings.Contains(squash(th), "-> 198.18.0.2:5060 1000 800") {
		t.Errorf("thresholds 1000/800 not shown")
	}
	if ops, err := rec.Reconcile(desired); err != nil || len(ops) != 0 {
		t.Errorf("second reconcile: %v %v, want nothing to do (flags, engine and thresholds read back)", ops, err)
	}
	// Dropping the engine and the flags is an update the kernel takes.
	desired[0].PEName, desired[0].Flags = "", 0
	if _, err := rec.Reconcile(desired); err != nil {
		t.Fatal(err)
	}
	if got := squash(nsRun(t, ns, "ipvsadm", "-Ln")); !strings.Contains(got, "UDP 192.0.2.10:5060 rr persistent 60\n") {
		t.Errorf("after removing ops and the engine:\n%s", got)
	}

	if err := b.SetTimeouts(lb.Timeouts{TCP: 7200 * time.Second, UDP: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	to := nsRun(t, ns, "ipvsadm", "-L", "--timeout")
	t.Logf("ipvsadm -L --timeout: %s", to)
	if !strings.Contains(to, "Timeout (tcp tcpfin udp): 7200 120 30") {
		t.Errorf("timeouts: %q, want tcp 7200, tcpfin unchanged (120), udp 30", to)
	}
	if got, err := b.Timeouts(); err != nil || got != (lb.Timeouts{TCP: 7200 * time.Second, TCPFin: 120 * time.Second, UDP: 30 * time.Second}) {
		t.Errorf("Timeouts() = %+v, %v", got, err)
	}

	master := lb.SyncDaemon{State: lb.SyncMaster, Interface: "sync0", SyncID: 9, MaxLen: 1400, Port: 8849, TTL: 2, Group: a("239.1.1.9")}
	if err := b.StartSyncDaemon(master); err != nil {
		t.Fatal(err)
	}
	backup := lb.SyncDaemon{State: lb.SyncBackup, Interface: "sync0", SyncID: 9}
	if err := b.StartSyncDaemon(backup); err != nil {
		t.Fatal(err)
	}
	dm := nsRun(t, ns, "ipvsadm", "-L", "--daemon")
	t.Logf("ipvsadm -L --daemon:\n%s", dm)
	if !strings.Contains(dm, "master sync daemon (mcast=sync0, syncid=9") || !strings.Contains(dm, "backup sync daemon (mcast=sync0, syncid=9") {
		t.Errorf("sync daemons not shown")
	}
	ds, err := b.SyncDaemons()
	if err != nil || len(ds) != 2 {
		t.Fatalf("SyncDaemons() = %+v, %v", ds, err)
	}
	for _, d := range ds {
		if d.State == lb.SyncMaster && d != master {
			t.Errorf("master read back %+v, want %+v", d, master)
		}
	}
	if err := b.StartSyncDaemon(master); err == nil {
		t.Error("a second master daemon started (the kernel says EEXIST)")
	}
	for _, s := range []lb.SyncState{lb.SyncMaster, lb.SyncBackup} {
		if err := b.StopSyncDaemon(s); err != nil {
			t.Fatal(err)
		}
	}
	if ds, err := b.SyncDaemons(); err != nil || len(ds) != 0 {
		t.Errorf("after stopping: %+v, %v", ds, err)
	}
	if _, err := rec.Flush(lb.FlushAll); err != nil {
		t.Fatal(err)
	}
}

const (
	syncVIP  = "192.0.2.100"
	syncPort = 80
)

// syncTopo is one segment (a bridge in sw) joining a client (192.0.2.1),
// two directors A (.2) and B (.3) and a DR real server (.4, the VIP on lo)
// that echoes lines.
type syncTopo struct{ cl, dA, dB, rs *lbnet.NS }

func newSyncTopo(t *testing.T) *syncTopo {
	t.Helper()
	sw := lbnet.NewNS(t, "sw")
	tp := &syncTopo{cl: lbnet.NewNS(t, "cl"), dA: lbnet.NewNS(t, "dA"), dB: lbnet.NewNS(t, "dB"), rs: lbnet.NewNS(t, "rs")}
	lbnet.Veth(t, sw, "p-cl", tp.cl, "eth0")
	lbnet.Veth(t, sw, "p-a", tp.dA, "eth0")
	lbnet.Veth(t, sw, "p-b", tp.dB, "eth0")
	lbnet.Veth(t, sw, "p-rs", tp.rs, "eth0")
	sw.Bridge(t, "br0", "p-cl", "p-a", "p-b", "p-rs")
	sw.LinkUp(t, "br0")
	tp.cl.AddAddr(t, "eth0", "192.0.2.1/24")
	tp.dA.AddAddr(t, "eth0", "192.0.2.2/24")
	tp.dB.AddAddr(t, "eth0", "192.0.2.3/24")
	rs := tp.rs
	rs.AddAddr(t, "eth0", "192.0.2.4/24")
	rs.AddAddr(t, "lo", syncVIP+"/32")
	rs.Sysctl(t, "net.ipv4.conf.all.arp_ignore", "1")
	rs.Sysctl(t, "net.ipv4.conf.all.arp_announce", "2")
	var ln net.Listener
	rs.Must(t, "listen", func() (err error) { ln, err = net.Listen("tcp", fmt.Sprintf(":%d", syncPort)); return err })
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte("echo " + l)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return tp
}

// dial opens the long-lived connection from the client to the VIP and
// returns it with a function that sends line i and checks its echo.
func (tp *syncTopo) dial(t *testing.T) (net.Conn, func(i int) error) {
	t.Helper()
	var c net.Conn
	tp.cl.Must(t, "dial", func() (err error) {
		c, err = net.DialTimeout("tcp", fmt.Sprintf("%s:%d", syncVIP, syncPort), 5*time.Second)
		return err
	})
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	return c, func(i int) error {
		_ = c.SetDeadline(time.Now().Add(8 * time.Second))
		if _, err := fmt.Fprintf(c, "line %d\n", i); err != nil {
			return err
		}
		l, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if l != fmt.Sprintf("echo line %d\n", i) {
			return fmt.Errorf("answer %q", l)
		}
		return nil
	}
}

// TestIPVSDaemonPairSync: the same failover with two gokeepalived daemons
// (VRRP and the load balancer, lvs_sync_daemon ... inst VI_1): A (priority
// 150) is MASTER with the master sync daemon, B BACKUP with the backup
// daemon; a long-lived connection through A is synced to B; A is stopped
// (SIGTERM: it sends priority 0 and releases the VIP); B becomes MASTER,
// turns its daemon to master, and the connection continues through it.
func TestIPVSDaemonPairSync(t *testing.T) {
	requireVM(t)
	bin, err := exec.LookPath("gokeepalived")
	if err != nil {
		t.Fatalf("gokeepalived not on PATH (run-ipvs-tests.sh builds it into /extra/bin): %v", err)
	}
	tp := newSyncTopo(t)
	dir := t.TempDir()
	start := func(ns *lbnet.NS, name string, prio int) *exec.Cmd {
		conf := fmt.Sprintf(`global_defs {
    router_id %[1]s
    lvs_sync_daemon eth0 inst VI_1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority %[2]d
    advert_int 1
    virtual_ipaddress {
        %[3]s/32
    }
}
virtual_server %[3]s %[4]d {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 192.0.2.4 %[4]d {
        weight 1
    }
}
`, name, prio, syncVIP, syncPort)
		f := dir + "/" + name
		if err := os.WriteFile(f+".conf", []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		log, err := os.Create(f + ".log")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("ip", "netns", "exec", ns.Name, bin, "-n", "-l", "-D", "--lb-backend=ipvs", "-f", f+".conf",
			"-p", f+".pid", "-r", f+"-vrrp.pid", "-c", f+"-chk.pid", "--control-socket", f+".sock")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				b, _ := os.ReadFile(f + ".log")
				t.Logf("%s log:\n%s", name, b)
			}
		})
		return cmd
	}
	daemon := func(ns *lbnet.NS, role string) func() error {
		return func() error {
			out := nsRun(t, ns, "ipvsadm", "-L", "--daemon")
			if !strings.Contains(out, role+" sync daemon (mcast=eth0, syncid=51") || strings.Count(out, "sync daemon") != 1 {
				return fmt.Errorf("%s: want only the %s daemon, ipvsadm -L --daemon says %q", ns.Name, role, out)
			}
			return nil
		}
	}
	hasVIP := func(ns *lbnet.NS) func() error {
		return func() error {
			if out := nsRun(t, ns, "ip", "-4", "addr", "show", "dev", "eth0"); !strings.Contains(out, syncVIP+"/32") {
				return fmt.Errorf("%s has no VIP yet", ns.Name)
			}
			return nil
		}
	}
	a := start(tp.dA, "A", 150)
	netnstest.Eventually(t, 20*time.Second, hasVIP(tp.dA))
	netnstest.Eventually(t, 10*time.Second, daemon(tp.dA, "master"))
	start(tp.dB, "B", 100)
	netnstest.Eventually(t, 20*time.Second, daemon(tp.dB, "backup"))
	netnstest.Eventually(t, 20*time.Second, func() error {
		if out := nsRun(t, tp.dB, "ipvsadm", "-Ln"); !strings.Contains(out, "192.0.2.4:80") {
			return fmt.Errorf("B's table: %s", out)
		}
		return nil
	})

	c, say := tp.dial(t)
	for i := range 5 {
		if err := say(i); err != nil {
			t.Fatalf("through A, line %d: %v", i, err)
		}
	}
	entry := fmt.Sprintf("192.0.2.1:%d", c.LocalAddr().(*net.TCPAddr).Port)
	netnstest.Eventually(t, 15*time.Second, func() error {
		out := nsRun(t, tp.dB, "ipvsadm", "-Lnc")
		if !strings.Contains(out, entry) {
			_ = say(99)
			return fmt.Errorf("B's table has no synced entry for %s yet:\n%s", entry, out)
		}
		t.Logf("B (BACKUP): ipvsadm -Lnc before the failover:\n%s", out)
		return nil
	})

	if err := a.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	netnstest.Eventually(t, 20*time.Second, hasVIP(tp.dB))
	netnstest.Eventually(t, 10*time.Second, daemon(tp.dB, "master"))
	for i := 100; i < 105; i++ {
		if err := say(i); err != nil {
			t.Fatalf("the connection did not survive the failover to B (line %d): %v\nB: ipvsadm -Lnc:\n%s", i, err, nsRun(t, tp.dB, "ipvsadm", "-Lnc"))
		}
	}
	t.Logf("B (MASTER): ipvsadm -Lnc after the failover:\n%s", nsRun(t, tp.dB, "ipvsadm", "-Lnc"))
}
