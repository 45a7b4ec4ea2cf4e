package daemon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/vrrp"
)

// FIFOState records a FIFO-only state line in events.
func (r *stateRecorder) FIFOState(in *config.Instance, g *config.SyncGroup, st vrrp.State, prio int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g != nil {
		r.events = append(r.events, fmt.Sprintf("FIFO GROUP %s %s %d", g.Name, st, prio))
		return
	}
	r.events = append(r.events, fmt.Sprintf("FIFO INSTANCE %s %s %d", in.Name, st, prio))
}

// TestSegmentFIFOStatesOnReload: with fifo_write_vrrp_states_on_reload a
// reload writes the state of each instance and sync group it kept to the
// FIFOs (keepalived's vrrp_init_state); without it, nothing.
func TestSegmentFIFOStatesOnReload(t *testing.T) {
	group := "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
	vi2 := strings.Replace(strings.Replace(pairConf(150, ""), "VI_1", "VI_2", 1), "virtual_router_id 51", "virtual_router_id 52", 1)
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			global := ""
			if on {
				global = "global_defs {\n    fifo_write_vrrp_states_on_reload\n}\n"
			}
			conf := global + group + pairConf(150, "") + vi2
			h := newHarness(t)
			a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, conf)
			a.start()
			h.advance(10 * time.Second)
			if err := a.reload(conf); err != nil {
				t.Fatal(err)
			}
			h.settle()
			var want []string
			if on {
				want = []string{"FIFO GROUP G MASTER 0", "FIFO INSTANCE VI_1 MASTER 150", "FIFO INSTANCE VI_2 MASTER 150"}
			}
			if got := a.rec.getEvents(); !slices.Equal(got, want) {
				t.Errorf("after reload: %q, want %q", got, want)
			}
		})
	}
}
