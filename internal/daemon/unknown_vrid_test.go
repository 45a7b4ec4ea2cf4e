package daemon

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuf is a log sink safe for the readers and the loop.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSegmentLogUnknownVRIDs: a hears b's adverts for VRID 52, which it
// does not run. With log_unknown_vrids it logs them (keepalived's "Unknown
// VRID"); without, it only counts them.
func TestSegmentLogUnknownVRIDs(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			h := newHarness(t)
			global := ""
			if on {
				global = "global_defs {\n    log_unknown_vrids\n}\n"
			}
			a := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, global+pairConf(150, ""))
			b := h.node("b", map[string]string{"eth0": "lan 192.0.2.2"},
				strings.Replace(pairConf(100, ""), "virtual_router_id 51", "virtual_router_id 52", 1))
			var logs lockedBuf
			a.d.log = slog.New(slog.NewTextHandler(&logs, nil))
			a.start()
			b.start()
			h.advance(10 * time.Second)
			h.expect("VI_1", vip1, "MASTER", "MASTER") // two different routers
			got := strings.Contains(logs.String(), "unknown VRID received; ignoring (log_unknown_vrids)") &&
				strings.Contains(logs.String(), "vrid=52") && strings.Contains(logs.String(), "from=192.0.2.2")
			if got != on {
				t.Errorf("log_unknown_vrids %v: logged %v:\n%s", on, got, logs.String())
			}
		})
	}
}
