package ipvs

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

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

// TestIPVSConnectionSync: an established TCP connection survives a director
// failover because the backup's sync daemon had the entry. Two directors
// (A, B), a client and a real server on one segment; DR to the real
// server, which holds the VIP on lo. A runs the master sync daemon and
// holds the VIP, B the backup daemon (as lvs_sync_daemon does for the
// VRRP MASTER and BACKUP). A long-lived connection through A exchanges
// lines; B's table shows the synced entry; A dies (its link goes down);
// B takes the VIP and turns its daemon to master (what the director does
// on MASTER), and the same connection keeps exchanging lines through B.
// Without the synced entry B's stack would answer the next segment with a
// reset (net.ipv4.vs.sloppy_tcp is 0: IPVS schedules only SYNs).
func TestIPVSConnectionSync(t *testing.T) {
	requireVM(t)
	const vip, port = "192.0.2.100", 80
	sw := lbnet.NewNS(t, "sw")
	cl, dA, dB, rs := lbnet.NewNS(t, "cl"), lbnet.NewNS(t, "dA"), lbnet.NewNS(t, "dB"), lbnet.NewNS(t, "rs")
	lbnet.Veth(t, sw, "p-cl", cl, "eth0")
	lbnet.Veth(t, sw, "p-a", dA, "eth0")
	lbnet.Veth(t, sw, "p-b", dB, "eth0")
	lbnet.Veth(t, sw, "p-rs", rs, "eth0")
	sw.Bridge(t, "br0", "p-cl", "p-a", "p-b", "p-rs")
	sw.LinkUp(t, "br0")
	cl.AddAddr(t, "eth0", "192.0.2.1/24")
	dA.AddAddr(t, "eth0", "192.0.2.2/24")
	dB.AddAddr(t, "eth0", "192.0.2.3/24")
	rs.AddAddr(t, "eth0", "192.0.2.4/24")
	rs.AddAddr(t, "lo", vip+"/32")
	rs.Sysctl(t, "net.ipv4.conf.all.arp_ignore", "1")
	rs.Sysctl(t, "net.ipv4.conf.all.arp_announce", "2")
	dA.AddAddr(t, "eth0", vip+"/32")

	// The real server echoes lines, on one connection for as long as it lasts.
	var ln net.Listener
	rs.Must(t, "listen", func() (err error) { ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port)); return err })
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

	svc := []lb.Service{{Key: lb.Key{Addr: netip.MustParseAddr(vip), Port: port, Proto: lb.TCP, Family: lb.Inet}, Scheduler: "rr",
		Dests: []lb.Dest{{Addr: netip.MustParseAddr("192.0.2.4"), Port: port, Weight: 1, Method: lb.DR}}}}
	bA, bB := open(t, dA), open(t, dB)
	for _, b := range []*Backend{bA, bB} {
		if _, err := lb.NewReconciler(b, nil).Reconcile(svc); err != nil {
			t.Fatal(err)
		}
	}
	sd := lb.SyncDaemon{Interface: "eth0", SyncID: 51}
	sd.State = lb.SyncMaster
	if err := bA.StartSyncDaemon(sd); err != nil {
		t.Fatal(err)
	}
	sd.State = lb.SyncBackup
	if err := bB.StartSyncDaemon(sd); err != nil {
		t.Fatal(err)
	}

	var c net.Conn
	cl.Must(t, "dial", func() (err error) {
		c, err = net.DialTimeout("tcp", fmt.Sprintf("%s:%d", vip, port), 5*time.Second)
		return err
	})
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	say := func(i int) error {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
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
	for i := range 5 {
		if err := say(i); err != nil {
			t.Fatalf("through A, line %d: %v", i, err)
		}
	}
	entry := fmt.Sprintf("192.0.2.1:%d", c.LocalAddr().(*net.TCPAddr).Port)
	t.Logf("A: ipvsadm -Lnc:\n%s", nsRun(t, dA, "ipvsadm", "-Lnc"))
	netnstest.Eventually(t, 15*time.Second, func() error {
		out := nsRun(t, dB, "ipvsadm", "-Lnc")
		if !strings.Contains(out, entry) || !strings.Contains(out, "ESTABLISHED") {
			// Keep the connection talking: the master syncs a connection
			// every few packets (net.ipv4.vs.sync_threshold).
			_ = say(99)
			return fmt.Errorf("B's table has no synced entry for %s yet:\n%s", entry, out)
		}
		t.Logf("B (backup): ipvsadm -Lnc before the failover:\n%s", out)
		return nil
	})

	// A dies; B becomes master.
	dA.Must(t, "A's link down", func() error {
		l, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		return netlink.LinkSetDown(l)
	})
	if err := bB.StopSyncDaemon(lb.SyncBackup); err != nil {
		t.Fatal(err)
	}
	sd.State = lb.SyncMaster
	if err := bB.StartSyncDaemon(sd); err != nil {
		t.Fatal(err)
	}
	dB.AddAddr(t, "eth0", vip+"/32")
	nsRun(t, cl, "ip", "neigh", "flush", "dev", "eth0") // what B's gratuitous ARP would do
	for i := 100; i < 105; i++ {
		if err := say(i); err != nil {
			t.Fatalf("the connection did not survive the failover to B (line %d): %v\nB: ipvsadm -Lnc:\n%s", i, err, nsRun(t, dB, "ipvsadm", "-Lnc"))
		}
	}
	t.Logf("B (now master): ipvsadm -Lnc after the failover:\n%s", nsRun(t, dB, "ipvsadm", "-Lnc"))
	for _, b := range []*Backend{bA, bB} {
		_ = b.StopSyncDaemon(lb.SyncMaster)
	}
}
