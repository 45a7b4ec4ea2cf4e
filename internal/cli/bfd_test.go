package cli

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/bfdrun"
	"gokeepalived/internal/config"
	"gokeepalived/internal/daemon"
)

// TestBFDSessions: every bfd_instance keyword reaches the runtime's
// session (their effects are tested in internal/bfd and internal/bfdrun).
func TestBFDSessions(t *testing.T) {
	cfg, ds := config.LoadBytes("t.conf", []byte(`
bfd_instance a {
    neighbor_ip 192.0.2.2
    source_ip 192.0.2.1
    min_rx 50
    min_tx 20
    idle_tx 2000
    multiplier 4
    passive
    ttl 250
    max_hops 3
}
bfd_instance b {
    neighbor_ip 2001:db8::2
}
`), config.LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	want := []bfdrun.Session{
		{Name: "a", Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"), TTL: 250, MaxHops: 3,
			Params: bfd.Config{DesiredMinTx: 20 * time.Millisecond, RequiredMinRx: 50 * time.Millisecond, IdleTx: 2 * time.Second,
				DetectMult: 4, Passive: true}},
		{Name: "b", Remote: netip.MustParseAddr("2001:db8::2"), TTL: 64,
			Params: bfd.Config{DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond, IdleTx: time.Second, DetectMult: 5}},
	}
	if diff := cmp.Diff(want, bfdSessions(cfg), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	o := Options{NoBFD: true}
	if got := subsystems(o, cfg); len(got.BFDInstances) != 0 {
		t.Error("-B left the bfd_instance blocks")
	}
	if got := subsystems(Options{VRRPOnly: true}, cfg); len(got.BFDInstances) != 2 {
		t.Error("-P dropped the bfd_instance blocks (keepalived keeps BFD)")
	}
}

// TestBFDDispatch: a bfd_instance with neither vrrp nor checker is told to
// both track_bfd and BFD_CHECK; with vrrp only to the VRRP loop, with
// checker only to the load balancer, with both to both; a reload changes
// who hears what.
func TestBFDDispatch(t *testing.T) {
	load := func(text string) *config.Config {
		cfg, ds := config.LoadBytes("t.conf", []byte(text), config.LoadOptions{})
		if ds.HasErrors() {
			t.Fatal(ds.Error())
		}
		return cfg
	}
	var toVRRP, toCheckers []string
	h := &bfdHost{vrrp: func(e bfd.StateEvent) { toVRRP = append(toVRRP, e.Session) },
		checkers: func(e bfd.StateEvent) { toCheckers = append(toCheckers, e.Session) }}
	h.setAudience(load(`
bfd_instance both {
    neighbor_ip 192.0.2.2
}
bfd_instance v {
    neighbor_ip 192.0.2.3
    vrrp
}
bfd_instance c {
    neighbor_ip 192.0.2.4
    checker
}
bfd_instance vc {
    neighbor_ip 192.0.2.5
    vrrp
    checker
}
`))
	for _, s := range []string{"both", "v", "c", "vc"} {
		h.dispatch(bfd.StateEvent{Session: s, To: bfd.StateUp})
	}
	if diff := cmp.Diff([]string{"both", "v", "vc"}, toVRRP); diff != "" {
		t.Errorf("VRRP heard (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]string{"both", "c", "vc"}, toCheckers); diff != "" {
		t.Errorf("checkers heard (-want +got)\n%s", diff)
	}
	toVRRP, toCheckers = nil, nil
	h.setAudience(load("bfd_instance both {\n neighbor_ip 192.0.2.2\n checker\n}\n"))
	h.dispatch(bfd.StateEvent{Session: "both", To: bfd.StateDown})
	if len(toVRRP) != 0 || len(toCheckers) != 1 {
		t.Errorf("after a reload: VRRP heard %v, checkers %v", toVRRP, toCheckers)
	}
}

// TestBFDThreadSettings: bfd_rt_priority, else SCHED_RR at the default
// priority unless bfd_priority asks for a nice value; bfd_cpu_affinity
// either way. RLIMIT_RTTIME is the largest limit of the real-time roles.
func TestBFDThreadSettings(t *testing.T) {
	load := func(globals string) *config.Global {
		cfg, ds := config.LoadBytes("t.conf", []byte("global_defs {\n"+globals+"\n}\n"), config.LoadOptions{})
		if ds.HasErrors() {
			t.Fatal(ds.Error())
		}
		return &cfg.Global
	}
	for _, tc := range []struct {
		globals string
		want    daemon.ThreadSettings
		limit   int64
	}{
		{"", daemon.ThreadSettings{RTPriority: daemon.DefaultRTPriority}, 0},
		{"bfd_rt_priority 40\n bfd_cpu_affinity 0", daemon.ThreadSettings{RTPriority: 40, CPUs: []int{0}}, 10000},
		{"bfd_priority -5", daemon.ThreadSettings{Nice: -5}, 0},
		{"bfd_priority -5\n bfd_rt_priority 3\n bfd_rlimit_rttime 50000", daemon.ThreadSettings{RTPriority: 3, Nice: -5}, 50000},
		{"vrrp_rt_priority 20\n vrrp_rlimit_rttime 30000\n bfd_rt_priority 3\n bfd_rlimit_rttime 5000",
			daemon.ThreadSettings{RTPriority: 3}, 30000},
		{"vrrp_rt_priority 20\n bfd_rlimit_rttime 90000", daemon.ThreadSettings{RTPriority: daemon.DefaultRTPriority}, 10000},
	} {
		g := load(tc.globals)
		if diff := cmp.Diff(tc.want, bfdThreadSettings(g)); diff != "" {
			t.Errorf("%q: (-want +got)\n%s", tc.globals, diff)
		}
		if got, _ := rtTimeLimit(g); got != tc.limit {
			t.Errorf("%q: RLIMIT_RTTIME %d, want %d", tc.globals, got, tc.limit)
		}
	}
}
