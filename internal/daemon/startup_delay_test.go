package daemon

import (
	"testing"
	"time"
)

// TestSegmentStartupDelay: with vrrp_startup_delay 5 a lone node stays out
// of MASTER for the delay plus its master down interval (3.61 s at
// priority 100, advert_int 1), as keepalived; without it, only for the
// interval. Another node's adverts during the delay are heard once the
// instance has started.
func TestSegmentStartupDelay(t *testing.T) {
	for _, c := range []struct {
		global  string
		waitFor time.Duration // still not MASTER after this
		master  time.Duration // MASTER by then
	}{
		{"", 3500 * time.Millisecond, 3700 * time.Millisecond},
		{"global_defs {\n    vrrp_startup_delay 5\n}\n", 8500 * time.Millisecond, 8700 * time.Millisecond},
		{"global_defs {\n    vrrp_startup_delay 0.5\n}\n", 4000 * time.Millisecond, 4200 * time.Millisecond},
	} {
		t.Run(c.global, func(t *testing.T) {
			h := newHarness(t)
			a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, c.global+pairConf(100, ""))
			a.start()
			h.advance(c.waitFor)
			if st := a.state("VI_1"); st == "MASTER" {
				t.Fatalf("MASTER after %v", c.waitFor)
			}
			h.advance(c.master - c.waitFor)
			if st := a.state("VI_1"); st != "MASTER" {
				t.Fatalf("%s after %v, want MASTER", st, c.master)
			}
		})
	}
}

// TestSegmentStartupDelayHearsMaster: a higher-priority node already
// master keeps the delayed node in BACKUP once it starts.
func TestSegmentStartupDelayHearsMaster(t *testing.T) {
	h := newHarness(t)
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(200, ""))
	b.start()
	h.advance(5 * time.Second)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, "global_defs {\n    vrrp_startup_delay 2\n}\n"+pairConf(100, ""))
	a.start()
	h.advance(time.Second)
	if st := a.state("VI_1"); st == "BACKUP" || st == "MASTER" {
		t.Fatalf("a is %s during its startup delay, want not started", st)
	}
	h.advance(10 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP") // b, a
}
