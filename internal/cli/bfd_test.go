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
