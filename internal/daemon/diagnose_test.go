package daemon

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp/packet"
)

// instStatus is the full status of instance name on n.
func instStatus(t *testing.T, n *node, name string) ctl.InstanceStatus {
	t.Helper()
	st, err := n.d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range st.Instances {
		if is.Name == name {
			return is
		}
	}
	t.Fatalf("%s: no instance %s", n.name, name)
	return ctl.InstanceStatus{}
}

// diagPair starts a (192.0.2.1, priority 150, confA) and b (192.0.2.2,
// priority 100, confB), each logging into a buffer, and runs 10 s.
func diagPair(t *testing.T, extraA, extraB string, edit func(string) string) (h *harness, a, b *node, la, lb *lockedBuf) {
	h = newHarness(t)
	a = h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(150, extraA))
	confB := pairConf(100, extraB)
	if edit != nil {
		confB = edit(confB)
	}
	b = h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, confB)
	la, lb = &lockedBuf{}, &lockedBuf{}
	a.d.log = slog.New(slog.NewTextHandler(la, nil))
	b.d.log = slog.New(slog.NewTextHandler(lb, nil))
	a.start()
	b.start()
	h.advance(10 * time.Second)
	return
}

func hasWarning(is ctl.InstanceStatus, substr string) bool {
	for _, w := range is.Warnings {
		if strings.Contains(w, substr) {
			return true
		}
	}
	return false
}

// TestDiagnoseVRIDMismatch: b runs VRID 52 with a's virtual address. Both
// become MASTER; each names the other's VRID in its log (once per 10 s),
// its status (heard_dropped and a warning) and drops_total{vrid_mismatch};
// b's no-master diagnosis names a instead of "cannot hear".
func TestDiagnoseVRIDMismatch(t *testing.T) {
	h, a, b, la, lb := diagPair(t, "", "", func(s string) string {
		return strings.Replace(s, "virtual_router_id 51", "virtual_router_id 52", 1)
	})
	h.expect("VI_1", vip1, "MASTER", "MASTER")
	wantA := "192.0.2.2 advertises VRID 52 on eth0; we run 51: same cluster? the VRIDs must match"
	wantB := "192.0.2.1 advertises VRID 51 on eth0; we run 52: same cluster? the VRIDs must match"
	sa, sb := instStatus(t, a, "VI_1"), instStatus(t, b, "VI_1")
	if sa.Dropped(ctlDropVRID) == 0 || sb.Dropped(ctlDropVRID) == 0 {
		t.Errorf("vrid_mismatch drops: a %d, b %d; want both > 0", sa.Dropped(ctlDropVRID), sb.Dropped(ctlDropVRID))
	}
	if sa.HeardDropped == nil || sa.HeardDropped.Text != wantA || sa.HeardDropped.Reason != "vrid_mismatch" || sa.HeardDropped.From != "192.0.2.2" {
		t.Errorf("a's heard_dropped = %+v, want %q", sa.HeardDropped, wantA)
	}
	if !hasWarning(sa, wantA) {
		t.Errorf("a's warnings %q lack %q", sa.Warnings, wantA)
	}
	if !hasWarning(sb, "became MASTER without accepting an advert from another router since ") || !hasWarning(sb, wantB) {
		t.Errorf("b's warnings %q lack the no-master diagnosis naming %q", sb.Warnings, wantB)
	}
	if hasWarning(sb, "cannot hear") {
		t.Errorf("b claims it cannot hear a peer it heard: %q", sb.Warnings)
	}
	for _, c := range []struct {
		logs *lockedBuf
		want string
	}{{la, wantA}, {lb, wantB}} {
		if n := strings.Count(c.logs.String(), "msg=\""+c.want+"\""); n != 1 {
			t.Errorf("logged %d times in 10 s, want once: %q\n%s", n, c.want, c.logs.String())
		}
	}
}

// TestDiagnoseForeignCluster: b runs VRID 52 for another address (another
// cluster on the same segment). a counts it but neither warns about it nor
// records it (alone in its cluster, it keeps the usual no-master warning);
// its log says so at info level.
func TestDiagnoseForeignCluster(t *testing.T) {
	h, a, _, la, _ := diagPair(t, "", "", func(s string) string {
		s = strings.Replace(s, "virtual_router_id 51", "virtual_router_id 52", 1)
		return strings.Replace(s, "203.0.113.10/32", "203.0.113.20/32", 1)
	})
	h.expect("VI_1", "", "MASTER", "MASTER")
	sa := instStatus(t, a, "VI_1")
	if sa.Dropped(ctlDropVRID) == 0 {
		t.Error("a did not count the foreign VRID")
	}
	if sa.HeardDropped != nil || hasWarning(sa, "advertises VRID") {
		t.Errorf("a warns about another cluster: heard_dropped %+v, warnings %q", sa.HeardDropped, sa.Warnings)
	}
	if !strings.Contains(la.String(), `level=INFO msg="192.0.2.2 advertises VRID 52 on eth0; we run 51: same cluster? the VRIDs must match"`) {
		t.Errorf("a's log lacks the info line:\n%s", la.String())
	}
}

// TestDiagnoseAuthMismatch: b's auth_pass differs. b hears a and drops
// every advert: its no-master diagnosis says so instead of "cannot hear ...
// firewall", and a, hearing b's adverts as MASTER, names b.
func TestDiagnoseAuthMismatch(t *testing.T) {
	auth := func(pass string) string {
		return "    authentication {\n        auth_type PASS\n        auth_pass " + pass + "\n    }\n"
	}
	h, a, b, _, lb := diagPair(t, auth("1111"), auth("2222"), nil)
	h.expect("VI_1", vip1, "MASTER", "MASTER")
	want := "heard 192.0.2.1 but dropped its adverts (auth_mismatch): VRRPv2 PASS authentication data does not match auth_pass; the two nodes' configurations must agree"
	sb := instStatus(t, b, "VI_1")
	if !hasWarning(sb, "became MASTER without accepting an advert from another router since ") || !hasWarning(sb, want) {
		t.Errorf("b's warnings %q lack %q", sb.Warnings, want)
	}
	if hasWarning(sb, "cannot hear") || strings.Contains(lb.String(), "cannot hear") {
		t.Errorf("b claims it cannot hear a peer it heard: %q\n%s", sb.Warnings, lb.String())
	}
	if !strings.Contains(lb.String(), want) {
		t.Errorf("b's log lacks %q:\n%s", want, lb.String())
	}
	sa := instStatus(t, a, "VI_1")
	if sa.HeardDropped == nil || sa.HeardDropped.From != "192.0.2.2" || sa.HeardDropped.Reason != "auth_mismatch" {
		t.Errorf("a's heard_dropped = %+v", sa.HeardDropped)
	}
	if sa.Drops["auth_mismatch"] == 0 {
		t.Errorf("a's drops %v", sa.Drops)
	}
}

// TestDiagnoseIntervalMismatch: b's advert_int is 2. Its drop line has
// both values, as keepalived's "mine=2 sec rcv'd=1 sec".
func TestDiagnoseIntervalMismatch(t *testing.T) {
	h, _, b, _, lb := diagPair(t, "", "", func(s string) string {
		return strings.Replace(s, "advert_int 1", "advert_int 2", 1)
	})
	h.expect("VI_1", vip1, "MASTER", "MASTER")
	want := "dropped VRRP advertisement: VRRPv2 advertisement interval differs from advert_int (RFC 3768 §7.1): mine=2s received=1s"
	if !strings.Contains(lb.String(), want) {
		t.Errorf("b's log lacks %q:\n%s", want, lb.String())
	}
	sb := instStatus(t, b, "VI_1")
	if sb.HeardDropped == nil || sb.HeardDropped.Detail != "mine=2s received=1s" {
		t.Errorf("b's heard_dropped = %+v", sb.HeardDropped)
	}
}

const ctlDropVRID = packet.DropVRIDMismatch
