package link_test

import (
	"fmt"
	"testing"
	"time"

	"gokeepalived/internal/linux/link"
	"gokeepalived/internal/linux/netnstest"
)

// TestProbe: the polled link state of a veth follows its carrier (the
// peer's state) and its admin state, through ETHTOOL (veth has no MII),
// and IOCTL reads the flags only.
func TestProbe(t *testing.T) {
	p := netnstest.NewPair(t)
	probe := func(method string) (bool, string) {
		t.Helper()
		var up bool
		var used string
		p.B.Do(t, func() {
			var err error
			if up, used, err = link.Probe(p.BIf, method); err != nil {
				t.Fatal(err)
			}
		})
		return up, used
	}
	for _, m := range []string{"", "MII", "ETHTOOL"} {
		if up, used := probe(m); !up || used != link.PollEthtool {
			t.Errorf("method %q: up %v by %s, want up by ETHTOOL", m, up, used)
		}
	}
	if up, used := probe("IOCTL"); !up || used != link.PollIoctl {
		t.Errorf("IOCTL: up %v by %s", up, used)
	}
	// The kernel sets the carrier (IFF_RUNNING) asynchronously.
	becomes := func(want bool, what string) {
		t.Helper()
		netnstest.Eventually(t, 5*time.Second, func() error {
			if up, _ := probe(""); up != want {
				return fmt.Errorf("%s: probed up %v", what, up)
			}
			return nil
		})
	}
	p.A.SetLinkUp(t, p.AIf, false) // carrier lost
	becomes(false, "peer down")
	p.A.SetLinkUp(t, p.AIf, true)
	becomes(true, "peer back")
	p.B.Run(t, "ip", "link", "set", p.BIf, "down")
	becomes(false, "admin down")
	p.B.Do(t, func() {
		if _, _, err := link.Probe("nosuch0", ""); err == nil {
			t.Error("a missing interface probed without error")
		}
	})
}
