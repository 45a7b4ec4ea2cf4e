package netns_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// TestTopology drives the builder end to end without any VRRP daemon: nginx on two nodes,
// a client probing them over IPv4 and IPv6, a link fault and its repair.
func TestTopology(t *testing.T) {
	t.Parallel()
	topo := netns.New(t, "topo")
	lan := topo.Switch("lan")
	web1, web2, client := topo.Node("web1"), topo.Node("web2"), topo.Node("client")
	topo.Link(web1, lan, "ens33", "192.0.2.1/24", "2001:db8::1/64")
	topo.Link(web2, lan, "ens33", "192.0.2.2/24", "2001:db8::2/64")
	topo.Link(client, lan, "eth0", "192.0.2.10/24", "2001:db8::10/64")
	web1.StartNginx("web1")
	web2.StartNginx("web2")

	if !web1.HasAddr("192.0.2.1/24") || !web1.HasAddr("192.0.2.1") || web1.HasAddr("192.0.2.1/32") || web1.HasAddr("192.0.2.2") {
		t.Fatalf("HasAddr on web1 disagrees with its addresses %v", web1.Addrs())
	}

	p4 := client.Probe("192.0.2.1", 100*time.Millisecond)
	p6 := client.Probe("2001:db8::2", 100*time.Millisecond)
	start := time.Now().Add(-time.Second)
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		_, ok4 := p4.FirstAnswerFrom(web1, start)
		_, ok6 := p6.FirstAnswerFrom(web2, start)
		return ok4 && ok6, fmt.Sprintf("no answer yet; ipv4 probe:\n%sipv6 probe:\n%s", p4, p6)
	})

	down := time.Now()
	web1.LinkDown("ens33")
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		s, ok := p4.Last()
		return ok && s.At.After(down) && s.Err != nil, "web1 still answers with its link down:\n" + p4.String()
	})
	up := time.Now()
	web1.LinkUp("ens33")
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		_, ok := p4.FirstAnswerFrom(web1, up)
		return ok, "web1 does not answer after link up:\n" + p4.String()
	})
	gaps := p4.Gaps()
	if len(gaps) == 0 || gaps[len(gaps)-1].To.IsZero() || gaps[len(gaps)-1].From.Before(down) {
		t.Fatalf("want one closed gap after %s, got %+v\n%s", down.Format("15:04:05.000"), gaps, p4)
	}
	t.Logf("probe timeline:\n%s", p4)
}

// TestDropVRRP shows the fault injection works on real VRRP: keepalived runs on both nodes;
// b's nftables table drops a's adverts (the counters prove it), so b, hearing nothing,
// becomes master too; AllowVRRP removes the table. Multicast adverts only reach the input
// hook of a node that joined 224.0.0.18, which is why b runs keepalived as well.
func TestDropVRRP(t *testing.T) {
	t.Parallel()
	topo := netns.New(t, "drop")
	lan := topo.Switch("lan")
	a, b := topo.Node("a"), topo.Node("b")
	topo.Link(a, lan, "ens33", "192.0.2.1/24")
	topo.Link(b, lan, "ens33", "192.0.2.2/24")
	b.DropVRRP()
	b.DropVRRP() // idempotent
	conf := `vrrp_instance VI_1 {
    state BACKUP
    interface ens33
    virtual_router_id 51
    priority %d
    advert_int 1
    virtual_ipaddress {
        192.0.2.100
    }
}
`
	ka, kb := netns.Keepalived(a, fmt.Sprintf(conf, 100)), netns.Keepalived(b, fmt.Sprintf(conf, 90))
	for _, d := range []netns.Daemon{ka, kb} {
		if err := d.Start(); err != nil {
			t.Fatal(err)
		}
	}
	netns.Eventually(t, 15*time.Second, func() (bool, string) {
		return b.DroppedVRRP() >= 2, fmt.Sprintf("b dropped %d VRRP packets; keepalived on a:\n%s", b.DroppedVRRP(), ka.Logs())
	})
	b.AllowVRRP()
	if n := b.DroppedVRRP(); n != 0 {
		t.Fatalf("after AllowVRRP the drop table still counts %d packets", n)
	}
	if err := ka.Stop(); err != nil {
		t.Fatalf("keepalived did not stop on SIGTERM: %v", err)
	}
	if !strings.Contains(ka.Logs(), "sent 0 priority") {
		t.Errorf("keepalived on a did not send priority 0 on SIGTERM:\n%s", ka.Logs())
	}
}

// TestProcStopKillsChildren checks that Stop ends what the process forked, by PID group.
func TestProcStopKillsChildren(t *testing.T) {
	t.Parallel()
	topo := netns.New(t, "proc")
	n := topo.Node("n")
	p := n.Start("sh", "-c", "sleep 300 & echo child=$!; wait")
	var child int
	netns.Eventually(t, 5*time.Second, func() (bool, string) {
		out := p.Output()
		i := strings.Index(out, "child=")
		if i < 0 {
			return false, "no child pid yet: " + out
		}
		child, _ = strconv.Atoi(strings.TrimSpace(out[i+len("child="):]))
		return child > 0, "bad child pid: " + out
	})
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, 5*time.Second, func() (bool, string) {
		err := syscall.Kill(child, 0)
		return errors.Is(err, syscall.ESRCH), fmt.Sprintf("child %d still exists after Stop (kill 0: %v)", child, err)
	})
}

// TestRemoveStale leaves a namespace as a crashed run would and removes it.
func TestRemoveStale(t *testing.T) {
	netns.RequireRoot(t)
	// PID 0 never names a live process, so this namespace looks like a crashed run's.
	name := netns.NamePrefix + "0x" + fmt.Sprintf("%04x", os.Getpid()&0xffff) + "-stale"
	topo := netns.New(t, "stale") // makes sure the package's own one-time sweep has run
	if out, err := exec(t, "ip", "netns", "add", name); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = exec(t, "ip", "netns", "del", name) })
	var removed []string
	netns.RemoveStale(func(f string, args ...any) { removed = append(removed, fmt.Sprintf(f, args...)) })
	if _, err := os.Stat("/run/netns/" + name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale namespace %s still exists (stat: %v); log: %q", name, err, removed)
	}
	// Our own live topology must survive a sweep.
	n := topo.Node("live")
	netns.RemoveStale(t.Logf)
	if _, err := os.Stat("/run/netns/" + n.NS); err != nil {
		t.Fatalf("RemoveStale removed the live namespace %s: %v", n.NS, err)
	}
}

// TestTimeline: runs of equal outcomes, with the last error of an error run.
func TestTimeline(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	refused := errors.New("connection refused")
	samples := []netns.Sample{
		{At: at(0), Answer: "master"}, {At: at(10), Answer: "master"},
		{At: at(20), Err: errors.New("timeout")}, {At: at(30), Err: refused},
		{At: at(40), Answer: "backup"},
	}
	want := "15:04:05.000 +10ms master x2\n15:04:05.020 +10ms error x2 (connection refused)\n15:04:05.040 +0s backup x1\n"
	if got := netns.Timeline(samples); got != want {
		t.Errorf("Timeline =\n%s\nwant\n%s", got, want)
	}
	if s := (netns.Sample{At: t0, Took: time.Second}); !s.Done().Equal(t0.Add(time.Second)) {
		t.Errorf("Done = %v", s.Done())
	}
}
