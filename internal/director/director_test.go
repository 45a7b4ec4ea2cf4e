package director

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gokeepalived/internal/check"
	"gokeepalived/internal/check/dnscheck"
	"gokeepalived/internal/check/filecheck"
	"gokeepalived/internal/check/httpget"
	"gokeepalived/internal/check/misccheck"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/check/smtpcheck"
	"gokeepalived/internal/check/udpcheck"
	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/lbtest"
	"gokeepalived/internal/lb/nft"
	"gokeepalived/internal/testutil/poll"
	"gokeepalived/internal/testutil/tcpserve"
	"gokeepalived/internal/vrrp"
)

func load(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, ds := config.LoadBytes("lvs_test.conf", []byte(text), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("config: %v", ds)
	}
	return cfg
}

const everyKindConf = `
track_file tf1 {
    file /run/gk-test-weight
    weight 2
}
virtual_server 192.0.2.100 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 80 {
        HTTP_GET {
            url {
              path /testurl/test.jsp
              digest 640205b7b0fc66c1ea91c463fac6334d
              status_code 200-299 404
            }
            connect_timeout 3
            retry 3
            delay_before_retry 2
        }
        SSL_GET {
            url {
              path /
            }
            connect_port 443
        }
        TCP_CHECK {
            connect_ip 198.51.100.9
            connect_port 8080
        }
        SMTP_CHECK {
            helo_name lb.example.test
        }
        MISC_CHECK {
            misc_path "/usr/bin/test -e /run/ok"
            misc_timeout 4
            misc_dynamic
        }
        DNS_CHECK {
            type A
            name example.test
        }
        UDP_CHECK {
            connect_port 53
        }
        PING_CHECK {
        }
        FILE_CHECK {
            track_file tf1
        }
    }
}
`

// TestJobsEveryKind maps one checker of each kind and checks what the
// check package receives: kind config, connection and resolved timing.
func TestJobsEveryKind(t *testing.T) {
	cfg := load(t, everyKindConf)
	built, errs := jobs(cfg, check.Build)
	if len(errs) > 0 {
		t.Fatalf("jobs errors: %v", errs)
	}
	if len(built) != 9 {
		t.Fatalf("got %d jobs, want 9", len(built))
	}
	byKind := map[string]job{}
	for _, j := range built {
		kind := string(j.Spec.ID)
		kind = kind[strings.LastIndex(kind, " ")+1 : strings.LastIndex(kind, "#")]
		byKind[kind] = j
		if j.Spec.Server != "192.0.2.100:80/TCP 198.51.100.2:80" {
			t.Errorf("%s: server %q", kind, j.Spec.Server)
		}
		if j.Checker == nil || j.Spec.Timeout <= 0 || j.Spec.Params.DelayLoop.Seconds() != 6 {
			t.Errorf("%s: checker %v timeout %v params %+v", kind, j.Checker, j.Spec.Timeout, j.Spec.Params)
		}
	}
	http := byKind["HTTP_GET"]
	if p := http.Spec.Params; p.Retry != 3 || p.DelayBeforeRetry.Seconds() != 2 {
		t.Errorf("HTTP_GET params %+v, want retry 3, delay_before_retry 2s", p)
	}
	if want := "640205b7b0fc66c1ea91c463fac6334d"; !strings.Contains(http.fingerprint, want) || !strings.Contains(http.fingerprint, `"Lo":404`) {
		t.Errorf("HTTP_GET fingerprint lacks the url: %s", http.fingerprint)
	}
	if !strings.Contains(byKind["TCP_CHECK"].fingerprint, "198.51.100.9:8080") {
		t.Errorf("TCP_CHECK connect_ip/port not used: %s", byKind["TCP_CHECK"].fingerprint)
	}
	if !strings.Contains(byKind["SSL_GET"].fingerprint, "198.51.100.2:443") {
		t.Errorf("SSL_GET connect_port not used: %s", byKind["SSL_GET"].fingerprint)
	}
	if p := byKind["MISC_CHECK"].Spec.Params; p.Retry != 0 {
		t.Errorf("MISC_CHECK retry %d, want keepalived's 0", p.Retry)
	}
	if p := byKind["DNS_CHECK"].Spec.Params; p.Retry != 3 || p.DelayBeforeRetry.Seconds() != 6 {
		t.Errorf("DNS_CHECK params %+v, want retry 3 and delay_before_retry = delay_loop", p)
	}
	// The kind configs the registry builds from (checked through a rebuild
	// of the spec each mapping produced).
	for kind, want := range map[string]string{
		"SMTP_CHECK": "lb.example.test", "MISC_CHECK": `"/usr/bin/test","-e","/run/ok"`, "DNS_CHECK": "example.test",
		"FILE_CHECK": "/run/gk-test-weight", "UDP_CHECK": "198.51.100.2:53",
	} {
		if !strings.Contains(byKind[kind].fingerprint, want) {
			t.Errorf("%s fingerprint %s lacks %s", kind, byKind[kind].fingerprint, want)
		}
	}
	for kind, want := range map[string]any{"HTTP_GET": httpget.Config{}, "SSL_GET": httpget.Config{}, "SMTP_CHECK": smtpcheck.Config{},
		"MISC_CHECK": misccheck.Config{}, "DNS_CHECK": dnscheck.Config{}, "UDP_CHECK": udpcheck.Config{}, "FILE_CHECK": filecheck.Config{}} {
		if e, ok := check.Lookup(check.Kind(kind)); !ok || e.Config == nil || fmt.Sprintf("%T", e.Config) != fmt.Sprintf("%T", want) {
			t.Errorf("%s: registry config type %T, mapping builds %T", kind, e.Config, want)
		}
	}
}

func TestJobsUnknownTrackFile(t *testing.T) {
	cfg := load(t, everyKindConf)
	cfg.VirtualServers[0].RealServers[0].Checkers[8].File.TrackFile = "nope"
	_, errs := jobs(cfg, check.Build)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `track_file "nope" is not defined`) {
		t.Fatalf("errs = %v", errs)
	}
}

// bed runs a director on a fake clock over the lbtest table, with fake
// checkers (a real server's checks fail while down names it) run inline:
// every scenario steps the loop, nothing sleeps.
type bed struct {
	t      *testing.T
	d      *Director
	fake   *lbtest.Fake
	now    time.Time
	down   map[netip.AddrPort]string // checked address → failure reason
	probes map[netip.AddrPort][]time.Time
	local  bool
}

type fakeBackend struct {
	*lbtest.Fake
	name  string
	check func(lb.Service) error
	table lb.Backend // if set, what Table returns (a fake with more)
}

func (b fakeBackend) Table() lb.Backend {
	if b.table != nil {
		return b.table
	}
	return b.Fake
}
func (b fakeBackend) Name() string { return b.name }
func (b fakeBackend) Why() string  { return "test" }
func (b fakeBackend) Close() error { return nil }
func (b fakeBackend) Check(s lb.Service) error {
	if b.check == nil {
		return nil
	}
	return b.check(s)
}

type fakeChecker struct {
	b    *bed
	addr netip.AddrPort
}

func (c fakeChecker) Check(context.Context) probe.Result {
	c.b.probes[c.addr] = append(c.b.probes[c.addr], c.b.now)
	if why, ok := c.b.down[c.addr]; ok {
		return probe.Failf("%s", why)
	}
	return probe.Result{OK: true, Reason: "ok"}
}

// inlineProber runs a check at once on the loop (its result is taken in
// the same step).
type inlineProber struct{}

func (inlineProber) Start(ctx context.Context, c probe.Checker, _ time.Duration, done func(probe.Result)) {
	done(c.Check(ctx))
}
func (inlineProber) Wait() {}

func (b *bed) Now() time.Time { return b.now }

func newBed(t *testing.T, conf string, edit ...func(*Options, *fakeBackend)) *bed {
	t.Helper()
	b := &bed{t: t, fake: lbtest.New(), now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), down: map[netip.AddrPort]string{},
		probes: map[netip.AddrPort][]time.Time{}, local: true}
	fb := &fakeBackend{Fake: b.fake, name: "fake"}
	opts := Options{Clock: b, LocalAddr: func(netip.Addr) bool { return b.local }, Prober: inlineProber{},
		Build: func(s check.Spec, _ check.Params) (probe.Checker, time.Duration, error) {
			return fakeChecker{b, s.Conn.Addr}, 10 * time.Second, nil
		}}
	for _, e := range edit {
		e(&opts, fb)
	}
	opts.Open = func(string, lb.OpenOptions) (Backend, error) { return fb, nil }
	b.d = New(opts)
	if err := b.d.start(b.now, load(t, conf)); err != nil {
		t.Fatal(err)
	}
	return b
}

// advance steps the loop at every deadline up to now+dur.
func (b *bed) advance(dur time.Duration) {
	b.t.Helper()
	target := b.now.Add(dur)
	for range 100000 {
		next := b.d.nextDeadline()
		if next.IsZero() || next.After(target) {
			b.now = target
			b.d.step(target)
			return
		}
		if next.After(b.now) {
			b.now = next
		}
		b.d.step(b.now)
	}
	b.t.Fatal("advance: the loop never got to its target")
}

// until steps deadline by deadline until cond holds, at most limit.
func (b *bed) until(what string, limit time.Duration, cond func() bool) {
	b.t.Helper()
	end := b.now.Add(limit)
	for range 100000 {
		if cond() {
			return
		}
		next := b.d.nextDeadline()
		if next.IsZero() || next.After(end) {
			b.t.Fatalf("%s: not within %v", what, limit)
		}
		if next.After(b.now) {
			b.now = next
		}
		b.d.step(b.now)
	}
	b.t.Fatalf("%s: the loop never got there", what)
}

// dests lists the destinations of the table's service on addr:port.
func (b *bed) dests(vip string) []string {
	b.t.Helper()
	ss, err := b.fake.Services()
	if err != nil {
		b.t.Fatal(err)
	}
	var out []string
	for _, s := range ss {
		if netip.AddrPortFrom(s.Addr, s.Port).String() == vip {
			for _, d := range s.Dests {
				out = append(out, fmt.Sprintf("%s w%d", d.AddrPort(), d.Weight))
			}
		}
	}
	return out
}

func (b *bed) wantDests(step, vip string, want ...string) {
	b.t.Helper()
	if diff := cmp.Diff(want, b.dests(vip)); diff != "" {
		b.t.Errorf("%s: %s destinations (-want +got):\n%s\n%s", step, vip, diff, b.fake)
	}
}

func (b *bed) vs(name string) ctl.VirtualServerStatus {
	b.t.Helper()
	for _, v := range b.d.VirtualServers() {
		if v.Name == name {
			return v
		}
	}
	b.t.Fatalf("virtual server %s not in the status", name)
	return ctl.VirtualServerStatus{}
}

const twoRSConf = `
virtual_server 192.0.2.100 80 {
    delay_loop 3
    lb_algo rr
    lb_kind NAT
    protocol TCP
    sorry_server 198.18.0.9 80
    real_server 198.18.0.2 80 {
        weight 1
        TCP_CHECK {
            retry 2
            delay_before_retry 1
        }
    }
    real_server 198.18.0.3 80 {
        weight 2
        TCP_CHECK {
            retry 2
            delay_before_retry 1
        }
    }
}
`

var (
	rs2 = netip.MustParseAddrPort("198.18.0.2:80")
	rs3 = netip.MustParseAddrPort("198.18.0.3:80")
)

// TestCheckerFallAndRise: a failing checker is retried `retry` times
// delay_before_retry apart, then its real server leaves the table (the
// others stay); one success brings it back after delay_loop.
func TestCheckerFallAndRise(t *testing.T) {
	b := newBed(t, twoRSConf)
	const vip = "192.0.2.100:80"
	b.wantDests("start", vip, "198.18.0.2:80 w1", "198.18.0.3:80 w2")
	b.until("first checks", 4*time.Second, func() bool { return len(b.probes[rs2]) > 0 && len(b.probes[rs3]) > 0 })
	b.down[rs2] = "connection refused"
	n := len(b.probes[rs2])
	for i := 1; i <= 2; i++ {
		b.until(fmt.Sprintf("failure %d", i), 4*time.Second, func() bool { return len(b.probes[rs2]) == n+i })
		b.advance(10 * time.Millisecond)
		b.wantDests(fmt.Sprintf("after %d failure(s): still in", i), vip, "198.18.0.2:80 w1", "198.18.0.3:80 w2")
	}
	b.until("third failure", 2*time.Second, func() bool { return len(b.probes[rs2]) == n+3 })
	if p := b.probes[rs2]; p[n+1].Sub(p[n]) != time.Second || p[n+2].Sub(p[n+1]) != time.Second {
		t.Errorf("retries at %v, %v after the first failure; want delay_before_retry 1s apart", p[n+1].Sub(p[n]), p[n+2].Sub(p[n]))
	}
	failedAt := b.now
	b.until("rs2 out of the table", time.Second, func() bool { return len(b.dests(vip)) == 1 })
	if took := b.now.Sub(failedAt); took != healthCoalesce {
		t.Errorf("removed %v after the last failure, want the %v coalescing", took, healthCoalesce)
	}
	b.wantDests("fallen", vip, "198.18.0.3:80 w2")
	r := b.vs("192.0.2.100:80/TCP").RealServers[0]
	if r.Up || r.InTable || r.Reason != "connection refused (after 2 retries)" {
		t.Errorf("rs2 status %+v, want down, out of the table, with the reason", r)
	}
	// Failures while down are not retried: the next check is delay_loop later.
	b.until("check while down", 4*time.Second, func() bool { return len(b.probes[rs2]) == n+4 })
	if gap := b.probes[rs2][n+3].Sub(b.probes[rs2][n+2]); gap != 3*time.Second {
		t.Errorf("check while down %v after the last, want delay_loop 3s", gap)
	}
	delete(b.down, rs2)
	b.until("rise", 4*time.Second, func() bool { return len(b.probes[rs2]) == n+5 })
	b.advance(healthCoalesce)
	b.wantDests("risen", vip, "198.18.0.2:80 w1", "198.18.0.3:80 w2")
	if r := b.vs("192.0.2.100:80/TCP").RealServers[0]; !r.Up || !r.InTable {
		t.Errorf("rs2 status %+v, want up and in the table", r)
	}
}

// TestSorryServerWhenAllDown: quorum is lost when every real server is
// down; the sorry server replaces them, and leaves when one comes back.
func TestSorryServerWhenAllDown(t *testing.T) {
	b := newBed(t, twoRSConf)
	const vip = "192.0.2.100:80"
	b.down[rs2], b.down[rs3] = "timeout", "timeout"
	b.until("both down", 20*time.Second, func() bool { return len(b.dests(vip)) == 1 && b.dests(vip)[0] == "198.18.0.9:80 w1" })
	if vs := b.vs("192.0.2.100:80/TCP"); vs.Quorum || !vs.Sorry || vs.WeightSum != 0 {
		t.Errorf("status quorum %v sorry %v weight %d, want quorum lost and the sorry server", vs.Quorum, vs.Sorry, vs.WeightSum)
	}
	delete(b.down, rs3)
	b.until("rs3 back", 10*time.Second, func() bool { return b.vs("192.0.2.100:80/TCP").Quorum })
	b.wantDests("rs3 back", vip, "198.18.0.3:80 w2")
	if vs := b.vs("192.0.2.100:80/TCP"); vs.Sorry {
		t.Error("sorry server still in use with quorum back")
	}
}

const seedConf = `
virtual_server 192.0.2.100 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP
    sorry_server 198.18.0.9 80
    ha_suspend
    real_server 198.18.0.2 80 {
        weight 1
        TCP_CHECK {
        }
    }
    real_server 198.18.0.3 80 {
        weight 1
        TCP_CHECK {
        }
    }
}
`

func down(server, reason string) check.Change {
	return check.Change{Server: check.ServerID(server), ServerChanged: true, ServerUp: false, Reason: reason}
}

func up(server string) check.Change {
	return check.Change{Server: check.ServerID(server), CheckUp: true, ServerChanged: true, ServerUp: true, Reason: "ok"}
}

// TestHealthDrivesTable feeds checker changes as the scheduler reports
// them and follows the table and the status.
func TestHealthDrivesTable(t *testing.T) {
	b := newBed(t, seedConf)
	const r2, r3 = "192.0.2.100:80/TCP 198.18.0.2:80", "192.0.2.100:80/TCP 198.18.0.3:80"
	for _, st := range []struct {
		name    string
		changes []check.Change
		want    []string
		quorum  bool
	}{
		{"start: all up", nil, []string{"198.18.0.2:80 w1", "198.18.0.3:80 w1"}, true},
		{"rs2 digest mismatch", []check.Change{down(r2, "digest mismatch on /testurl")}, []string{"198.18.0.3:80 w1"}, true},
		{"rs3 down too: sorry server", []check.Change{down(r3, "connection refused")}, []string{"198.18.0.9:80 w1"}, false},
		{"rs2 back", []check.Change{up(r2)}, []string{"198.18.0.2:80 w1"}, true},
		{"unknown server ignored", []check.Change{down("other 192.0.2.1:1", "x")}, []string{"198.18.0.2:80 w1"}, true},
	} {
		if b.d.applyChanges(b.now, st.changes) {
			b.d.reconcile("health change")
		}
		b.wantDests(st.name, "192.0.2.100:80", st.want...)
		if vs := b.vs("192.0.2.100:80/TCP"); vs.Quorum != st.quorum || vs.Sorry == st.quorum {
			t.Errorf("%s: status quorum %v sorry %v, want quorum %v", st.name, vs.Quorum, vs.Sorry, st.quorum)
		}
	}
	vs := b.vs("192.0.2.100:80/TCP")
	if vs.RealServers[1].Up || vs.RealServers[1].Reason != "connection refused" || vs.RealServers[1].InTable {
		t.Errorf("rs3 status %+v, want down with its reason, out of the table", vs.RealServers[1])
	}
	if !strings.Contains(b.fake.String(), "persistent 50") {
		t.Errorf("persistence lost:\n%s", b.fake)
	}
}

// TestHASuspendFollowsVRRP: a virtual server whose address a VRRP
// instance holds runs its checkers only while that instance is MASTER, as
// the VRRP runtime's events say; once no instance holds the address, its
// presence on the host decides (polled).
func TestHASuspendFollowsVRRP(t *testing.T) {
	b := newBed(t, seedConf)
	b.local = false
	const name = "192.0.2.100:80/TCP"
	vip := []netip.Addr{netip.MustParseAddr("192.0.2.100")}
	event := func(state vrrp.State) {
		b.d.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: state, Addrs: vip})
		b.d.step(b.now)
	}
	checking := func(step string, want bool) {
		t.Helper()
		if got := !b.vs(name).Suspended; got != want {
			t.Errorf("%s: checking %v, want %v", step, got, want)
		}
		if got := len(b.d.running) == 2; got != want {
			t.Errorf("%s: %d checkers scheduled, want them %v", step, len(b.d.running), map[bool]string{true: "all", false: "none"}[want])
		}
		n := len(b.probes[rs2])
		b.advance(13 * time.Second)
		if ran := len(b.probes[rs2]) > n; ran != want {
			t.Errorf("%s: rs2 checked %v, want %v", step, ran, want)
		}
	}
	event(vrrp.StateBackup)
	checking("BACKUP", false)
	// Changes still arriving for a suspended VS (its checkers removed) are ignored.
	if b.d.applyChanges(b.now, []check.Change{down(name+" 198.18.0.2:80", "checker removed")}) {
		t.Error("change of a suspended VS applied")
	}
	event(vrrp.StateMaster)
	checking("MASTER", true)
	event(vrrp.StateFault)
	checking("FAULT", false)
	// The instance stops (removed by a reload): the address is looked up
	// on the host, and its appearance there is seen within a poll.
	event(vrrp.StateStop)
	checking("instance gone, address not local", false)
	b.local = true
	b.advance(suspendPoll)
	checking("address local", true)
}

// otherVSConf is a second virtual server without checkers.
const otherVSConf = `
virtual_server 192.0.2.101 443 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.5 443 {
        weight 4
    }
}
`

// TestReloadVirtualServers: a reload adds, changes and removes virtual
// servers through the loop's input; unchanged checkers keep running with
// their state and real servers that stay keep their health.
func TestReloadVirtualServers(t *testing.T) {
	b := newBed(t, twoRSConf)
	b.down[rs2] = "refused"
	b.until("rs2 down", 20*time.Second, func() bool { return !b.vs("192.0.2.100:80/TCP").RealServers[0].Up })
	before := map[check.CheckID]*runJob{}
	for id, j := range b.d.running {
		before[id] = j
	}
	second := otherVSConf
	// Changed: rs3's weight; added: 192.0.2.101:443.
	b.d.Reload(load(t, strings.Replace(twoRSConf, "weight 2", "weight 5", 1)+second))
	b.d.step(b.now)
	b.wantDests("changed", "192.0.2.100:80", "198.18.0.3:80 w5")
	b.wantDests("added", "192.0.2.101:443", "198.18.0.5:443 w4")
	if h := b.d.health["192.0.2.100:80/TCP 198.18.0.2:80"]; h == nil || h.up {
		t.Errorf("rs2 health after reload = %+v, want kept (down)", h)
	}
	for id, j := range b.d.running {
		if old, ok := before[id]; ok && old != j && old.fingerprint == j.fingerprint {
			t.Errorf("unchanged checker %s restarted", id)
		}
	}
	if len(b.d.running) != 2 {
		t.Errorf("%d checkers, want 2", len(b.d.running))
	}
	// Removed: the first virtual server, with its checkers.
	b.d.Reload(load(t, second))
	b.d.step(b.now)
	if b.dests("192.0.2.100:80") != nil {
		t.Errorf("removed virtual server still in the table:\n%s", b.fake)
	}
	b.wantDests("kept", "192.0.2.101:443", "198.18.0.5:443 w4")
	if len(b.d.running) != 0 || len(b.d.health) != 1 {
		t.Errorf("after removal: %d checkers, %d real servers with health; want 0 and 1", len(b.d.running), len(b.d.health))
	}
	if st := b.d.VirtualServers(); len(st) != 1 || st[0].Name != "192.0.2.101:443/TCP" {
		t.Errorf("status %+v, want the remaining virtual server only", st)
	}
}

// TestIncrementalAndFullReconcile: a health change reads back and changes
// only its own service; drift elsewhere waits for the periodic full pass,
// which reads the whole table and repairs it.
func TestIncrementalAndFullReconcile(t *testing.T) {
	b := newBed(t, twoRSConf+otherVSConf, func(o *Options, _ *fakeBackend) { o.ReconcileInterval = time.Hour })
	other := lb.Key{Addr: netip.MustParseAddr("192.0.2.101"), Port: 443, Proto: lb.TCP, Family: lb.Inet}
	b.fake.Read()
	b.fake.Mutate(func(m map[lb.Key]*lb.Service) { m[other].Dests[0].Weight = 100 })
	b.down[rs2] = "refused"
	b.until("rs2 removed", 10*time.Second, func() bool { return b.d.coalesce.After(b.now) })
	b.fake.Read()
	b.advance(healthCoalesce)
	if n := b.fake.Read(); n != 1 {
		t.Errorf("the health change read back %d services, want its own 1", n)
	}
	b.wantDests("rs2 removed", "192.0.2.100:80", "198.18.0.3:80 w2")
	b.wantDests("drift left to the full pass", "192.0.2.101:443", "198.18.0.5:443 w100")
	b.fake.Read()
	b.advance(b.d.nextFull.Sub(b.now))
	if n := b.fake.Read(); n != 2 {
		t.Errorf("the periodic pass read back %d services, want the whole table (2)", n)
	}
	b.wantDests("drift repaired", "192.0.2.101:443", "198.18.0.5:443 w4")
}

// TestFirstVirtualServerByReload: a reload hands the configuration over
// and returns; the loop's goroutine opens the backend (modprobe may take
// seconds), so whoever reloads (the VRRP side's wiring) never waits for it.
func TestFirstVirtualServerByReload(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	fake := lbtest.New()
	d := New(Options{Open: func(string, lb.OpenOptions) (Backend, error) {
		close(entered)
		<-release
		return fakeBackend{Fake: fake, name: "fake"}, nil
	}})
	if err := d.Start(load(t, "global_defs {\n router_id a\n}\n")); err != nil {
		t.Fatal(err)
	}
	d.Reload(load(t, `
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 80 {
        weight 1
    }
}
`))
	// Reload has returned while the backend is still opening.
	<-entered
	if d.VirtualServers() != nil {
		t.Error("status published before the backend opened")
	}
	close(release)
	d.Stop() // the step that opened the backend completes first
	if st := d.VirtualServers(); len(st) != 1 || len(st[0].RealServers) != 1 || !st[0].RealServers[0].InTable {
		t.Errorf("status after the first virtual server = %+v", st)
	}
	if ss, _ := fake.Services(); len(ss) != 0 {
		t.Errorf("table not cleared on exit:\n%s", lbtest.Format(ss))
	}
}

func TestStopFlush(t *testing.T) {
	for _, tt := range []struct {
		name        string
		global      string
		dontRelease bool
		foreign     bool // a service another tool made survives
		ours        bool
	}{
		{"default removes ours only", "", false, true, false},
		{"-I keeps all", "", true, true, true},
		{"lvs_flush_on_stop clears all", "global_defs {\n lvs_flush_on_stop\n}\n", false, false, false},
		{"lvs_flush_on_stop VS removes ours", "global_defs {\n lvs_flush_on_stop VS\n}\n", false, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBed(t, tt.global+seedConf, func(o *Options, _ *fakeBackend) { o.DontRelease = tt.dontRelease })
			foreign := lb.Key{Addr: netip.MustParseAddr("203.0.113.1"), Port: 443, Proto: lb.TCP, Family: lb.Inet}
			if err := b.fake.Apply([]lb.Op{{Kind: lb.AddService, Service: lb.Service{Key: foreign, Scheduler: "rr"}}}); err != nil {
				t.Fatal(err)
			}
			b.d.finish()
			tab := b.fake.String()
			if got := strings.Contains(tab, "203.0.113.1:443"); got != tt.foreign {
				t.Errorf("foreign service kept = %v, want %v\n%s", got, tt.foreign, tab)
			}
			if got := strings.Contains(tab, "192.0.2.100:80"); got != tt.ours {
				t.Errorf("our service kept = %v, want %v\n%s", got, tt.ours, tab)
			}
		})
	}
}

// TestBackendRefusesOneVS: a scheduler the backend cannot do (lblc on
// nftables; -t and start refuse it before, this is the runtime's guard) keeps that virtual server out with its error in the status,
// and the others are still programmed.
func TestBackendRefusesOneVS(t *testing.T) {
	conf := seedConf + strings.NewReplacer("192.0.2.100 80", "192.0.2.101 80", "lb_algo rr", "lb_algo lblc").Replace(seedConf)
	b := newBed(t, conf, func(_ *Options, fb *fakeBackend) { fb.name, fb.check = "nft", nft.Check })
	if b.dests("192.0.2.100:80") == nil || b.dests("192.0.2.101:80") != nil {
		t.Errorf("table:\n%s", b.fake)
	}
	if e0, e1 := b.vs("192.0.2.100:80/TCP").Error, b.vs("192.0.2.101:80/TCP").Error; e0 != "" || !strings.Contains(e1, "lblc") {
		t.Errorf("status errors %q, %q; want none and one naming lblc", e0, e1)
	}
}

// bigGroupConf is a virtual server whose group range is too large to
// expand.
const bigGroupConf = `
virtual_server_group big {
    198.18.0.0/15 80
}
virtual_server group big {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 80 {
        weight 1
    }
}
`

// TestTranslate checks the configuration → load-balancer translation of
// the typed options (TUN encapsulation, granularity, groups, fwmark
// family) and that a virtual server that cannot be translated is left out
// with its error while the others run.
func TestTranslate(t *testing.T) {
	cfg := load(t, `
virtual_server 192.0.2.100 80 {
    lb_algo wrr
    lb_kind TUN type gue port 6080 csum
    protocol UDP
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    sorry_server 198.18.0.9 8080
    real_server 198.18.0.2 80 {
        weight 3
        inhibit_on_failure
    }
    real_server 198.18.0.3 80 {
        lvs_method DR
    }
}
virtual_server fwmark 7 {
    lb_algo sh
    lb_kind NAT
    real_server 2001:db8::2 {
        weight 1
    }
}
`+bigGroupConf)
	a := netip.MustParseAddr
	got, err := VirtualServer(cfg.VirtualServers[0], cfg.VirtualServerGroups, nil)
	if err != nil {
		t.Fatal(err)
	}
	gue := lb.Tunnel{Type: "gue", Port: 6080, Checksum: "csum"}
	want := &lb.VirtualServer{Name: "192.0.2.100:80/UDP", Keys: []lb.Key{{Addr: a("192.0.2.100"), Port: 80, Proto: lb.UDP, Family: lb.Inet}},
		Scheduler: "wrr", Persistence: 300 * time.Second, PersistenceBits: 24, Quorum: 1,
		Reals: []lb.Real{{Dest: lb.Dest{Addr: a("198.18.0.2"), Port: 80, Weight: 3, Method: lb.TUN, Tunnel: gue}, InhibitOnFailure: true},
			{Dest: lb.Dest{Addr: a("198.18.0.3"), Port: 80, Weight: 1, Method: lb.DR}}},
		Sorry: &lb.Dest{Addr: a("198.18.0.9"), Port: 8080, Weight: 1, Method: lb.TUN,
			Tunnel: lb.Tunnel{Type: "gue", Port: 6080, Checksum: "csum"}}} // the virtual server's tunnel, as keepalived's alloc_ssvr
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("translation (-want +got):\n%s", diff)
	}
	if got, err := VirtualServer(cfg.VirtualServers[1], nil, nil); err != nil || got.Keys[0] != (lb.Key{FWMark: 7, Family: lb.Inet6}) {
		t.Errorf("fwmark over IPv6 real servers: keys %v, err %v; want family inet6", got, err)
	}
	if _, err := VirtualServer(cfg.VirtualServers[2], cfg.VirtualServerGroups, nil); err == nil || !strings.Contains(err.Error(), "more than 65536 addresses") {
		t.Errorf("oversized group range: err %v", err)
	}
	b := newBed(t, strings.Replace(seedConf, "ha_suspend", "", 1)+bigGroupConf)
	if b.dests("192.0.2.100:80") == nil || !strings.Contains(b.vs("group big").Error, "more than 65536") {
		t.Errorf("one bad virtual server: status %q, table\n%s", b.vs("group big").Error, b.fake)
	}
}

// TestUDPReplyPattern: the pattern the configuration parsed at load is the
// one udpcheck's own parser reads from the same words.
func TestUDPReplyPattern(t *testing.T) {
	cfg := load(t, `
virtual_server 192.0.2.100 53 {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 198.18.0.2 53 {
        UDP_CHECK {
            payload 00 01
            require_reply 0aXb 3
        }
    }
}
`)
	var spec check.Spec
	if _, errs := jobs(cfg, func(s check.Spec, _ check.Params) (probe.Checker, time.Duration, error) {
		spec = s
		return nil, time.Second, nil
	}); len(errs) > 0 {
		t.Fatal(errs)
	}
	want, err := udpcheck.ParseHex("0aXb 3", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := spec.Config.(udpcheck.Config).ReplyPattern; !slices.Equal(got.Value, want.Value) || !slices.Equal(got.Mask, want.Mask) {
		t.Errorf("reply pattern %x/%x, want %x/%x", got.Value, got.Mask, want.Value, want.Mask)
	}
}

type countingChecker struct{ n *atomic.Int64 }

func (c countingChecker) Check(context.Context) probe.Result {
	c.n.Add(1)
	return probe.Result{OK: true, Reason: "ok"}
}

// TestRealLoopConcurrentInputs runs the real loop (wall clock, checks on
// their own goroutines) while reloads, VRRP events and status reads arrive
// from other goroutines; go test -race checks that they share nothing
// unguarded. Stop then clears the table.
func TestRealLoopConcurrentInputs(t *testing.T) {
	var checks atomic.Int64
	fake := lbtest.New()
	d := New(Options{Open: func(string, lb.OpenOptions) (Backend, error) { return fakeBackend{Fake: fake, name: "fake"}, nil },
		Build: func(check.Spec, check.Params) (probe.Checker, time.Duration, error) {
			return countingChecker{&checks}, time.Second, nil
		}})
	conf := strings.ReplaceAll(twoRSConf, "delay_loop 3", "delay_loop 0.001\n    warmup 0")
	if err := d.Start(load(t, conf)); err != nil {
		t.Fatal(err)
	}
	var cfgs []*config.Config
	for w := range 3 {
		cfgs = append(cfgs, load(t, strings.Replace(conf, "weight 2", fmt.Sprintf("weight %d", 2+w), 1)))
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := range 50 {
			d.Reload(cfgs[i%3])
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 200 {
			d.VRRPState(vrrp.StateEvent{Instance: "VI_1", State: vrrp.State(1 + i%3), Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100")}})
		}
	}()
	go func() {
		defer wg.Done()
		for range 200 {
			for _, vs := range d.VirtualServers() {
				_ = vs.RealServers[0].Up
			}
		}
	}()
	wg.Wait()
	d.Stop()
	if st := d.VirtualServers(); len(st) != 1 || len(st[0].RealServers) != 2 {
		t.Errorf("status after stop: %+v", st)
	}
	if ss, _ := fake.Services(); len(ss) != 0 {
		t.Errorf("table not cleared on exit:\n%s", lbtest.Format(ss))
	}
}

// TestLBEvents: with Options.Events the loop reports the quorum up at
// start (keepalived's "Starting with quorum up"), each real server state
// change (with the live and configured counts, keepalived's trap
// varbinds) and each quorum change, in that order; the status counts the
// checkers that fail (realServerFailedChecks).
func TestLBEvents(t *testing.T) {
	var evs []ctl.LBEvent
	b := newBed(t, twoRSConf, func(o *Options, _ *fakeBackend) { o.Events = func(ev ctl.LBEvent) { evs = append(evs, ev) } })
	const vs = "192.0.2.100:80/TCP"
	b.down[rs2] = "timeout"
	b.until("rs2 down", 20*time.Second, func() bool { return !b.vs(vs).RealServers[0].Up })
	if got := b.vs(vs).RealServers[0].FailedCheckers; got != 1 {
		t.Errorf("rs2 failed checkers %d, want 1", got)
	}
	if got := b.vs(vs).RealServers[1].FailedCheckers; got != 0 {
		t.Errorf("rs3 failed checkers %d, want 0", got)
	}
	b.down[rs3] = "timeout"
	b.until("quorum lost", 20*time.Second, func() bool { return !b.vs(vs).Quorum })
	delete(b.down, rs2)
	b.until("rs2 up", 20*time.Second, func() bool { return b.vs(vs).RealServers[0].Up })
	if got := b.vs(vs).RealServers[0].FailedCheckers; got != 0 {
		t.Errorf("rs2 back: failed checkers %d, want 0", got)
	}
	want := []ctl.LBEvent{
		{VS: vs, RSIndex: -1, Up: true, RealUp: 2, RealTotal: 2}, // starting with quorum up
		{VS: vs, RS: "198.18.0.2:80", RSIndex: 0, Up: false, RealUp: 1, RealTotal: 2},
		{VS: vs, RS: "198.18.0.3:80", RSIndex: 1, Up: false, RealUp: 0, RealTotal: 2},
		{VS: vs, RSIndex: -1, Up: false, RealUp: 0, RealTotal: 2},
		{VS: vs, RS: "198.18.0.2:80", RSIndex: 0, Up: true, RealUp: 1, RealTotal: 2},
		{VS: vs, RSIndex: -1, Up: true, RealUp: 1, RealTotal: 2},
	}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestHealthChangeRecomputesOnlyItsVS: a health change recomputes
// lb.Desired for the virtual server whose real server changed and reuses
// the others' last result; the periodic pass recomputes every one.
func TestHealthChangeRecomputesOnlyItsVS(t *testing.T) {
	b := newBed(t, twoRSConf+otherVSConf, func(o *Options, _ *fakeBackend) { o.ReconcileInterval = time.Hour })
	b.down[rs2] = "refused"
	b.until("rs2 about to be removed", 10*time.Second, func() bool { return b.d.coalesce.After(b.now) })
	before := b.d.desiredRuns
	b.advance(healthCoalesce)
	b.wantDests("rs2 removed", "192.0.2.100:80", "198.18.0.3:80 w2")
	b.wantDests("the other VS kept", "192.0.2.101:443", "198.18.0.5:443 w4")
	if n := b.d.desiredRuns - before; n != 1 {
		t.Errorf("the health change computed lb.Desired %d times, want once (its own virtual server)", n)
	}
	before = b.d.desiredRuns
	b.advance(b.d.nextFull.Sub(b.now))
	if n := b.d.desiredRuns - before; n != 2 {
		t.Errorf("the periodic pass computed lb.Desired %d times, want 2 (every virtual server)", n)
	}
	b.wantDests("after the periodic pass", "192.0.2.100:80", "198.18.0.3:80 w2")
}

// TestRealLoopTCPCheckOnPoller runs the real loop with real TCP_CHECKs
// (the default prober: a connect poller) on loopback: the real server
// whose port is closed leaves the table after its retry, the listening
// one stays; Stop ends the attempts in flight.
func TestRealLoopTCPCheckOnPoller(t *testing.T) {
	l := tcpserve.AcceptClose(t, "tcp4")
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upAP, downAP := netip.MustParseAddrPort(l.Addr().String()), netip.MustParseAddrPort(closed.Addr().String())
	closed.Close()
	conf := fmt.Sprintf(`
virtual_server 192.0.2.100 80 {
    delay_loop 0.05
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server %s %d {
        TCP_CHECK {
            warmup 0
            retry 1
            delay_before_retry 0.05
        }
    }
    real_server %s %d {
        TCP_CHECK {
            warmup 0
            retry 1
            delay_before_retry 0.05
        }
    }
}
`, upAP.Addr(), upAP.Port(), downAP.Addr(), downAP.Port())
	fake := lbtest.New()
	d := New(Options{Open: func(string, lb.OpenOptions) (Backend, error) { return fakeBackend{Fake: fake, name: "fake"}, nil }})
	if _, ok := d.opts.Prober.(*pollProber); !ok {
		t.Fatalf("default prober %T, want the connect poller", d.opts.Prober)
	}
	if err := d.Start(load(t, conf)); err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	poll.Until(t, 20*time.Second, 10*time.Millisecond, func() (bool, string) {
		st := d.VirtualServers()
		if len(st) != 1 || len(st[0].RealServers) != 2 {
			return false, fmt.Sprintf("status %+v", st)
		}
		u, dn := st[0].RealServers[0], st[0].RealServers[1]
		want := "connect " + downAP.String() + ": connection refused (after 1 retries)"
		return u.Up && u.InTable && !dn.Up && !dn.InTable && dn.Reason == want, fmt.Sprintf("up %+v down %+v", u, dn)
	})
	ss, _ := fake.Services()
	if len(ss) != 1 || len(ss[0].Dests) != 1 || ss[0].Dests[0].AddrPort() != upAP {
		t.Errorf("table:\n%s", lbtest.Format(ss))
	}
}
