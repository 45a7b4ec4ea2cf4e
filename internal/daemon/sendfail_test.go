package daemon

import (
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func (n *node) failSends(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sendErr = err
}

// TestSegmentOwnSendFailureFirst: a master whose adverts stop leaving (the
// IPv6 use_vmac defect: EINVAL from the kernel) counts them, says so first in
// its status, and when the backup then takes over blames its own sends for
// the split brain, not a firewall on the peer. Once adverts leave again the
// warning goes and the backup yields.
func TestSegmentOwnSendFailureFirst(t *testing.T) {
	h, a, b := pair(t, pairConf(150, ""), pairConf(100, ""))
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	before := a.status("VI_1").Counters["send_errors"]
	a.failSends(syscall.EINVAL)
	h.advance(5 * time.Second) // b's master down interval is 3.61 s
	h.expect("VI_1", "", "MASTER", "MASTER")

	st := a.status("VI_1")
	n := st.Counters["send_errors"] - before
	if n < 5 {
		t.Errorf("send_errors grew by %d in 5 s of failing sends, want 5 or more", n)
	}
	if len(st.Warnings) < 2 {
		t.Fatalf("a's warnings %q: want the send failure, then the split brain", st.Warnings)
	}
	// a became MASTER at 3.414 s: its first failed advert was at 5.414 s.
	wantSend := "our adverts cannot be sent: " + strconv.FormatUint(n, 10) + " send errors since 12:00:05.414, last error: "
	if !strings.HasPrefix(st.Warnings[0], wantSend) || !strings.Contains(st.Warnings[0], "invalid argument") {
		t.Errorf("a's first warning %q, want it to start %q and name the error", st.Warnings[0], wantSend)
	}
	split := ""
	for _, w := range st.Warnings {
		if strings.HasPrefix(w, "split brain suspected") {
			split = w
		}
	}
	if !strings.Contains(split, "this node fails to send them") || !strings.Contains(split, "invalid argument") ||
		!strings.Contains(split, "a firewall on that host is not the likely cause") {
		t.Errorf("a's split-brain warning %q does not name its own failed sends as the cause", split)
	}

	a.failSends(nil)
	h.advance(3 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	st = a.status("VI_1")
	for _, w := range st.Warnings {
		if strings.HasPrefix(w, "our adverts cannot be sent") {
			t.Errorf("a still warns %q after its adverts leave again", w)
		}
	}
	if got := st.Counters["send_errors"] - before; got != n {
		t.Errorf("send_errors grew by %d after sends recovered", got-n)
	}
	if b.status("VI_1").Counters["adverts_received"] == 0 {
		t.Error("b never heard a")
	}
}

// TestSegmentNoMasterHeardBlamesOwnSends: a lone BACKUP becoming MASTER
// without hearing anyone suspects a firewall; when its own adverts failed
// recently (before a link flap) it names those instead.
func TestSegmentNoMasterHeardBlamesOwnSends(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(100, ""))
	a.start()
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER")
	if w := a.status("VI_1").Warnings; len(w) != 1 || !strings.Contains(w[0], "firewall") || strings.Contains(w[0], "send") {
		t.Errorf("no send errors: warnings %q, want one suspecting a firewall", w)
	}

	a.failSends(syscall.EPERM)
	h.advance(3 * time.Second)
	a.setLink("eth0", false)
	a.setLink("eth0", true)
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER")
	w := a.status("VI_1").Warnings
	var noMaster string
	for _, x := range w {
		if strings.HasPrefix(x, "became MASTER without ever hearing") {
			noMaster = x
		}
	}
	if !strings.Contains(noMaster, "this node fails to send its own adverts") || !strings.Contains(noMaster, "operation not permitted") ||
		!strings.Contains(noMaster, "not a firewall on a peer") {
		t.Errorf("after failed sends: warnings %q, want the no-master warning to name them", w)
	}
	if len(w) == 0 || !strings.HasPrefix(w[0], "our adverts cannot be sent") {
		t.Errorf("warnings %q: want the send failure first", w)
	}
}

// TestSegmentIPv6VMACPair: an IPv6 use_vmac pair. Each sends through its
// VMAC from the VMAC's copy of the parent's link-local address (the fake,
// like the kernel, refuses a link-local source of another interface), so
// the backup hears the master and the VIP is on one node only, with no send
// error on either.
func TestSegmentIPv6VMACPair(t *testing.T) {
	conf := func(prio int) string {
		return `vrrp_instance VI_6 {
    interface eth0
    use_vmac
    version 3
    virtual_router_id 61
    priority ` + strconv.Itoa(prio) + `
    advert_int 1
    virtual_ipaddress {
        2001:db8::61/64
    }
}
`
	}
	h, a, b := pair6(t, conf(150), conf(100))
	h.advance(20 * time.Second)
	h.expect("VI_6", "2001:db8::61/64", "MASTER", "BACKUP")
	for _, n := range []*node{a, b} {
		if got := n.d.find("VI_6").conn.key.iface; got != "vrrp.61" {
			t.Errorf("%s's VI_6 socket is on %s, want vrrp.61", n.name, got)
		}
		st := n.status("VI_6")
		if st.Counters["send_errors"] != 0 || slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, "send") }) {
			t.Errorf("%s: send_errors %d, warnings %q", n.name, st.Counters["send_errors"], st.Warnings)
		}
	}
	if n := b.status("VI_6").Counters["adverts_received"]; n < 15 {
		t.Errorf("b received %d adverts from a in 20 s", n)
	}
	if st := a.status("VI_6"); st.Counters["adverts_sent"] < 15 {
		t.Errorf("a sent %d adverts in 20 s", st.Counters["adverts_sent"])
	}
}
