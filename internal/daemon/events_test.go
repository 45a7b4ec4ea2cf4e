package daemon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/vrrp"
)

// stateEvents records what the daemon publishes to other runtimes.
type stateEvents struct{ got []string }

func (s *stateEvents) VRRPState(ev vrrp.StateEvent) {
	s.got = append(s.got, fmt.Sprintf("%s %s %v", ev.Instance, ev.State, ev.Addrs))
}

// TestStateEventsPublished: every state change of an instance reaches the
// StateSink as a typed event carrying the addresses it holds as MASTER
// (what the load balancer's ha_suspend follows), shutdown included.
func TestStateEventsPublished(t *testing.T) {
	h := newHarness(t)
	a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, pairConf(150, ""))
	b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"}, pairConf(100, "    virtual_ipaddress_excluded {\n        203.0.113.11/32\n    }"))
	evA, evB := &stateEvents{}, &stateEvents{}
	a.d.opts.States, b.d.opts.States = evA, evB
	b.start()
	h.advance(5 * time.Second)
	a.start()
	h.advance(5 * time.Second)
	h.expect("VI_1", vip1, "MASTER", "BACKUP")
	b.stop()
	want := []string{"VI_1 BACKUP [203.0.113.10 203.0.113.11]", "VI_1 MASTER [203.0.113.10 203.0.113.11]",
		"VI_1 BACKUP [203.0.113.10 203.0.113.11]", "VI_1 STOP [203.0.113.10 203.0.113.11]"}
	if !slices.Equal(evB.got, want) {
		t.Errorf("b published\n%s\nwant\n%s", strings.Join(evB.got, "\n"), strings.Join(want, "\n"))
	}
	if want := []string{"VI_1 BACKUP [203.0.113.10]", "VI_1 MASTER [203.0.113.10]"}; !slices.Equal(evA.got, want) {
		t.Errorf("a published %q, want %q", evA.got, want)
	}
}
