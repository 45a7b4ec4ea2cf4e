package director

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/check"
	"gokeepalived/internal/check/probe"
	"gokeepalived/internal/lb"
	"gokeepalived/internal/lb/lbtest"
)

// balTable is a fake table that is an lb.Balancer for lc and wlc.
type balTable struct {
	*lbtest.Fake
	calls []time.Time
	now   func() time.Time
}

func (t *balTable) Balance() (int, error)       { t.calls = append(t.calls, t.now()); return 0, nil }
func (t *balTable) Balances(sched string) bool  { return sched == "lc" || sched == "wlc" }
func (t *balTable) BalanceEvery() time.Duration { return 500 * time.Millisecond }
func (t balBackend) Table() lb.Backend          { return t.tab }
func (t balBackend) Check(s lb.Service) error   { return nil }
func (t balBackend) Name() string               { return "nft" }
func (t balBackend) Why() string                { return "test" }
func (t balBackend) Close() error               { return nil }

type balBackend struct{ tab *balTable }

// TestBalanceTimer: with a connection-count scheduler on a Balancer
// backend, the loop re-plans every BalanceEvery; with rr it never does.
func TestBalanceTimer(t *testing.T) {
	for _, tc := range []struct {
		algo string
		want bool
	}{{"wlc", true}, {"rr", false}} {
		b := &bed{t: t, fake: lbtest.New(), now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), down: map[netip.AddrPort]string{},
			probes: map[netip.AddrPort][]time.Time{}, local: true}
		tab := &balTable{Fake: b.fake, now: func() time.Time { return b.now }}
		opts := Options{Clock: b, LocalAddr: func(netip.Addr) bool { return true }, Prober: inlineProber{},
			Build: func(s check.Spec, _ check.Params) (probe.Checker, time.Duration, error) {
				return fakeChecker{b, s.Conn.Addr}, 10 * time.Second, nil
			},
			Open: func(string, lb.OpenOptions) (Backend, error) { return balBackend{tab}, nil }}
		b.d = New(opts)
		if err := b.d.start(b.now, load(t, strings.Replace(seedConf, "lb_algo rr", "lb_algo "+tc.algo, 1))); err != nil {
			t.Fatal(err)
		}
		b.advance(3 * time.Second)
		n := len(tab.calls)
		switch {
		case tc.want && (n < 5 || n > 8):
			t.Errorf("%s: %d Balance calls in 3 s, want one per 500 ms", tc.algo, n)
		case !tc.want && n != 0:
			t.Errorf("%s: %d Balance calls, want none", tc.algo, n)
		}
	}
}
