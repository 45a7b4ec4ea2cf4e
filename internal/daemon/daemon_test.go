package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/testutil/poll"
	"gokeepalived/internal/vrrp/packet"
)

// fakeEnv records what the daemon does to the "kernel". Its sockets are
// silent (no peers), so a lone instance becomes MASTER after its master
// down interval.
type fakeEnv struct {
	mu    sync.Mutex
	ops   []string
	sent  map[string]int // iface → adverts sent
	last  []byte         // the last advert sent
	addrs map[string]bool
}

func newFakeEnv() *fakeEnv { return &fakeEnv{sent: map[string]int{}, addrs: map[string]bool{}} }

func (f *fakeEnv) record(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, op)
}

func (f *fakeEnv) opsSnapshot() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ops...)
}

type fakeConn struct {
	f      *fakeEnv
	iface  string
	closed chan struct{}
	once   sync.Once
	groups map[netip.Addr]bool // joined, as the kernel tracks them per socket
}

// JoinGroup fails on a second join of the same group, as the kernel does.
func (c *fakeConn) JoinGroup(g netip.Addr) error {
	if c.groups[g] {
		return fmt.Errorf("join %v on %s: address already in use", g, c.iface)
	}
	c.groups[g] = true
	return nil
}

func (c *fakeConn) Send(p []byte, dst netip.Addr) error { return c.SendFrom(p, netip.Addr{}, dst) }
func (c *fakeConn) SendFrom(p []byte, src, dst netip.Addr) error {
	if _, err := packet.Parse(p, packet.IPv4); err != nil {
		return fmt.Errorf("daemon sent an unparsable advert: %w", err)
	}
	c.f.mu.Lock()
	c.f.sent[c.iface]++
	c.f.last = append(c.f.last[:0], p...)
	c.f.mu.Unlock()
	return nil
}
func (c *fakeConn) Recv([]byte) (int, vrrpconn.Meta, error) {
	<-c.closed
	return 0, vrrpconn.Meta{}, net.ErrClosed
}
func (c *fakeConn) Close() error { c.once.Do(func() { close(c.closed) }); return nil }

func (f *fakeEnv) ports() Ports {
	return Ports{Clock: wallClock{}, Thread: testThread{}, Sockets: f, Links: fakeLinks{}, Addresses: fakeAddrs{f},
		Routes: nopRoutes{}, Rules: nopRules{}, Announcer: nopAnnouncer{}, VMACs: nopVMACs{}, Firewall: nopFirewall{}}
}

func (f *fakeEnv) Open(cfg vrrpconn.Config) (Conn, error) {
	f.record("open " + cfg.Interface)
	c := &fakeConn{f: f, iface: cfg.Interface, closed: make(chan struct{}), groups: map[netip.Addr]bool{}}
	for _, g := range cfg.Groups {
		c.groups[g] = true
	}
	return c, nil
}

type fakeAddrs struct{ f *fakeEnv }

func (a fakeAddrs) Add(p addr.Address) error {
	a.f.record("add " + p.Prefix.String())
	a.f.mu.Lock()
	a.f.addrs[p.Prefix.String()] = true
	a.f.mu.Unlock()
	return nil
}

func (a fakeAddrs) Del(p addr.Address) error {
	a.f.record("del " + p.Prefix.String())
	a.f.mu.Lock()
	delete(a.f.addrs, p.Prefix.String())
	a.f.mu.Unlock()
	return nil
}

func (a fakeAddrs) List(dev string) ([]addr.Address, error) {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	var out []addr.Address
	for p := range a.f.addrs {
		out = append(out, addr.Address{Prefix: netip.MustParsePrefix(p), Dev: dev})
	}
	return out, nil
}

func (fakeAddrs) Watch(context.Context, func()) (<-chan addr.Event, error) {
	return make(chan addr.Event), nil
}

// fakeLinks: eth0 and eth1 have addresses and are up; no link changes.
type fakeLinks struct{}

func (fakeLinks) Primary(ifname string, ipv6 bool) (netip.Addr, error) {
	switch ifname {
	case "eth0":
		return netip.MustParseAddr("192.0.2.1"), nil
	case "eth1":
		return netip.MustParseAddr("198.51.100.1"), nil
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address", ifname)
}

func (fakeLinks) Up(string) (bool, error) { return true, nil }

func (fakeLinks) SetPromoteSecondaries(string, bool) (bool, error) { return false, nil }

func (fakeLinks) Watch(context.Context, func()) (<-chan link.Event, error) {
	return make(chan link.Event), nil
}

// Ports that do nothing, for the tests that do not look at them.
type (
	nopRoutes    struct{}
	nopRules     struct{}
	nopAnnouncer struct{}
	nopVMACs     struct{}
	wallClock    struct{}
)

func (nopRoutes) Add(addr.Route) error { return nil }
func (nopRoutes) Del(addr.Route) error { return nil }
func (nopRoutes) Watch(context.Context, func()) (<-chan addr.RouteEvent, error) {
	return make(chan addr.RouteEvent), nil
}
func (nopRules) Add(addr.Rule) error                       { return nil }
func (nopRules) Del(addr.Rule) error                       { return nil }
func (nopAnnouncer) Gratuitous(string, []netip.Addr) error { return nil }
func (nopVMACs) Create(VMACSpec) error                     { return nil }
func (nopVMACs) Delete(string) error                       { return nil }

type nopFirewall struct{}

func (nopFirewall) Sync(FirewallSpec) error { return nil }
func (nopFirewall) Remove() error           { return nil }
func (wallClock) Now() time.Time            { return time.Now() }

// testThread keeps the calling thread's scheduling and sleeps on a channel
// (the tests that use Run sleep on the wall clock).
type testThread struct{}

func (testThread) Setup(ThreadSettings) error { return nil }

func (testThread) NewWaker() (Waker, error) { return chanWaker(make(chan struct{}, 1)), nil }

type chanWaker chan struct{}

func (w chanWaker) Kick() {
	select {
	case w <- struct{}{}:
	default:
	}
}

func (w chanWaker) Wait(deadline, now time.Time) {
	if deadline.IsZero() {
		<-w
		return
	}
	t := time.NewTimer(deadline.Sub(now))
	defer t.Stop()
	select {
	case <-w:
	case <-t.C:
	}
}

// openFunc is a Sockets port made of a function.
type openFunc func(vrrpconn.Config) (Conn, error)

func (o openFunc) Open(cfg vrrpconn.Config) (Conn, error) { return o(cfg) }

const oneInstance = `
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.05
    virtual_ipaddress {
        192.0.2.100
    }
}
`

const twoInstances = oneInstance + `
vrrp_instance VI_2 {
    interface %s
    virtual_router_id 52
    priority 100
    advert_int 0.05
    virtual_ipaddress {
        198.51.100.100
    }
}
`

func load(t *testing.T, text string) *config.Config {
	t.Helper()
	return loadRaw(t, "global_defs {\n    vrrp_version 3\n}\n"+text)
}

// loadRaw loads text as it is (keepalived's defaults: VRRPv2).
func loadRaw(t testing.TB, text string) *config.Config {
	t.Helper()
	cfg, ds := config.LoadBytes("test.conf", []byte(text), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatalf("config: %v", ds)
	}
	return cfg
}

func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	poll.Until(t, timeout, 10*time.Millisecond, cond)
}

func instanceStatus(t *testing.T, d *Daemon, name string) (ctl.InstanceStatus, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := d.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Instances {
		if in.Name == name {
			return in, true
		}
	}
	return ctl.InstanceStatus{}, false
}

func startDaemon(t testing.TB, cfg *config.Config, f *fakeEnv) (*Daemon, func()) {
	d := New(cfg, Options{Ports: f.ports()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	return d, stop
}

func waitMaster(t *testing.T, d *Daemon, name string) ctl.InstanceStatus {
	var st ctl.InstanceStatus
	eventually(t, 5*time.Second, func() (bool, string) {
		var ok bool
		st, ok = instanceStatus(t, d, name)
		return ok && st.State == "MASTER" && st.VIPsHeld, fmt.Sprintf("%s: %+v", name, st)
	})
	return st
}

// A lone instance becomes MASTER, adds its VIP, advertises; a graceful stop
// sends priority 0 and removes the VIP.
func TestLoneInstanceBecomesMasterAndReleasesOnStop(t *testing.T) {
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, oneInstance), f)
	st := waitMaster(t, d, "VI_1")
	if st.LastTransition == nil || !strings.Contains(st.LastTransition.Reason, "master down interval") {
		t.Errorf("last transition = %+v, want a master-down-interval reason", st.LastTransition)
	}
	if !strings.Contains(strings.Join(st.Warnings, "\n"), "protocol 112") {
		t.Errorf("warnings = %q, want the no-master-heard hint about IP protocol 112", st.Warnings)
	}
	stop()
	ops := f.opsSnapshot()
	if got := strings.Join(ops, "; "); got != "open eth0; add 192.0.2.100/32; del 192.0.2.100/32" {
		t.Errorf("kernel operations = %s", got)
	}
}

// STYLE rule 14: a reload leaves an unchanged instance untouched (no VIP
// flap, no transition), starts an added one, and a reload whose new
// instance cannot be built changes nothing.
func TestReloadByDiff(t *testing.T) {
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, oneInstance), f)
	defer stop()
	before := waitMaster(t, d, "VI_1")

	ctx := context.Background()
	if err := d.Reload(ctx, load(t, fmt.Sprintf(twoInstances, "eth1"))); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	waitMaster(t, d, "VI_2")
	after, _ := instanceStatus(t, d, "VI_1")
	if after.Counters["transitions"] != before.Counters["transitions"] || after.State != "MASTER" {
		t.Errorf("VI_1 changed across reload: before %v transitions, after %v (%s)", before.Counters["transitions"], after.Counters["transitions"], after.State)
	}
	for _, op := range f.opsSnapshot() {
		if op == "del 192.0.2.100/32" {
			t.Errorf("reload removed VI_1's VIP (ops %q)", f.opsSnapshot())
		}
	}

	// eth9 has no address: the reload must fail and keep everything running.
	err := d.Reload(ctx, load(t, fmt.Sprintf(twoInstances, "eth9")))
	if err == nil || !strings.Contains(err.Error(), "eth9 has no IPv4 address") {
		t.Fatalf("Reload with a broken instance: err = %v", err)
	}
	for _, name := range []string{"VI_1", "VI_2"} {
		st, ok := instanceStatus(t, d, name)
		if !ok || st.State != "MASTER" || !st.VIPsHeld {
			t.Errorf("%s after failed reload: %+v", name, st)
		}
	}

	// Removing VI_2 releases its VIP and keeps VI_1.
	if err := d.Reload(ctx, load(t, oneInstance)); err != nil {
		t.Fatal(err)
	}
	if _, ok := instanceStatus(t, d, "VI_2"); ok {
		t.Error("VI_2 still present after it was removed")
	}
	f.mu.Lock()
	held := f.addrs["198.51.100.100/32"]
	f.mu.Unlock()
	if held {
		t.Error("VI_2's VIP still held after VI_2 was removed")
	}
}

func TestPriorityOnlyReloadKeepsState(t *testing.T) {
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, oneInstance), f)
	defer stop()
	before := waitMaster(t, d, "VI_1")
	if err := d.Reload(context.Background(), load(t, strings.Replace(oneInstance, "priority 100", "priority 120", 1))); err != nil {
		t.Fatal(err)
	}
	st, _ := instanceStatus(t, d, "VI_1")
	if st.EffectivePriority != 120 || st.BasePriority != 120 || st.State != "MASTER" || st.Counters["transitions"] != before.Counters["transitions"] {
		t.Errorf("after priority reload: prio %d/%d state %s transitions %d→%d", st.BasePriority, st.EffectivePriority, st.State,
			before.Counters["transitions"], st.Counters["transitions"])
	}
}

// The JSON dump keeps keepalived's field names (third-party exporters parse it).
func TestJSONDumpKeepsKeepalivedFields(t *testing.T) {
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, oneInstance), f)
	defer stop()
	waitMaster(t, d, "VI_1")
	path := t.TempDir() + "/keepalived.json"
	if err := d.WriteDump(context.Background(), DumpJSON, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Data  map[string]any    `json:"data"`
		Stats map[string]uint64 `json:"stats"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if len(got) != 1 || got[0].Data["iname"] != "VI_1" || got[0].Data["state"] != float64(2) || got[0].Data["vrid"] != float64(51) ||
		got[0].Stats["become_master"] != 1 || got[0].Stats["advert_sent"] == 0 {
		t.Errorf("dump = %s", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if err := d.WriteDump(context.Background(), DumpStats, path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n") {
		t.Errorf("stats = %s", b)
	}
}

// A node configured with state MASTER that hears nobody at startup is a cold
// start of the cluster, not a fault: it counts no_master_heard but puts no
// "firewall?" warning in its status (a BACKUP-configured node still does, see
// TestLoneInstanceBecomesMasterAndReleasesOnStop).
func TestConfiguredMasterHearingNobodyDoesNotWarn(t *testing.T) {
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, strings.Replace(oneInstance, "interface eth0", "state MASTER\n    interface eth0", 1)), f)
	defer stop()
	st := waitMaster(t, d, "VI_1")
	if len(st.Warnings) != 0 {
		t.Errorf("warnings = %q, want none for a configured MASTER that starts alone", st.Warnings)
	}
	if st.Counters["no_master_heard"] != 1 {
		t.Errorf("no_master_heard = %d, want 1", st.Counters["no_master_heard"])
	}
}

// Warnings are published with their expiry; the reader drops the expired
// ones at its own now.
func TestWarningsExpire(t *testing.T) {
	in := &instance{warnUntil: map[string]time.Time{}}
	t0 := time.Unix(1000, 0)
	active := func(now time.Time) []string {
		return (&ctl.InstanceSnapshot{Warnings: in.warningSnapshot()}).Status(now).Warnings
	}
	in.warn(t0, "split brain", 4*time.Second)
	in.warn(t0.Add(2*time.Second), "split brain", 4*time.Second) // raised again by the next advert
	in.warn(t0, "no master", time.Minute)
	if got := active(t0.Add(5 * time.Second)); len(got) != 2 {
		t.Errorf("at +5s: %q, want both (split brain refreshed at +2s)", got)
	}
	if got := active(t0.Add(7 * time.Second)); len(got) != 1 || got[0] != "no master" {
		t.Errorf("at +7s: %q, want only the no-master warning", got)
	}
	in.clearWarnings()
	if got := active(t0); len(got) != 0 {
		t.Errorf("after a state change: %q", got)
	}
}

// v3_checksum_as_v2 (a keepalived >= 2.3 knob, for RFC 9568 / Cisco / Juniper
// peers) changes the VRRPv3 IPv4 checksum our adverts carry.
func TestV3ChecksumAsV2(t *testing.T) {
	for _, asV2 := range []bool{false, true} {
		t.Run(fmt.Sprint(asV2), func(t *testing.T) {
			text := oneInstance
			if asV2 {
				text = strings.Replace(text, "    priority 100\n", "    priority 100\n    v3_checksum_as_v2\n", 1)
			}
			f := newFakeEnv()
			d, stop := startDaemon(t, load(t, text), f)
			defer stop()
			waitMaster(t, d, "VI_1")
			f.mu.Lock()
			raw := append([]byte(nil), f.last...)
			f.mu.Unlock()
			adv, err := packet.Parse(raw, packet.IPv4)
			if err != nil {
				t.Fatal(err)
			}
			meta := packet.Meta{Family: packet.IPv4, TTL: 255, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("224.0.0.18")}
			want := packet.Expect{VRID: 51, Version: 3, VIPs: []netip.Addr{netip.MustParseAddr("192.0.2.100")}, ChecksumAsV2: asV2}
			if r := packet.Validate(adv, raw, meta, want); r != packet.OK {
				t.Errorf("advert fails validation in its own form: %v", r)
			}
			want.ChecksumAsV2 = !asV2
			if r := packet.Validate(adv, raw, meta, want); r == packet.OK {
				t.Errorf("advert also validates in the other checksum form")
			}
		})
	}
}

// Two multicast instances on one interface share its socket and group
// (the usual two-VIP-groups setup); the group is joined once.
func TestTwoInstancesOneInterface(t *testing.T) {
	text := oneInstance + strings.NewReplacer("VI_1", "VI_3", "virtual_router_id 51", "virtual_router_id 53", "192.0.2.100", "192.0.2.103").Replace(oneInstance)
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, text), f)
	defer stop()
	waitMaster(t, d, "VI_1")
	waitMaster(t, d, "VI_3")
	if ops := f.opsSnapshot(); strings.Count(strings.Join(ops, ";"), "open eth0") != 1 {
		t.Errorf("want one socket for eth0, ops %q", ops)
	}
}

// Run refuses an incomplete set of ports instead of failing on a nil one later.
func TestRunNamesMissingPort(t *testing.T) {
	p := newFakeEnv().ports()
	p.VMACs = nil
	err := New(load(t, oneInstance), Options{Ports: p}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "VMACs") {
		t.Errorf("Run with no VMACs port: %v", err)
	}
}
