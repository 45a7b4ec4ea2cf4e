package vrrp

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/vrrp/packet"
)

var (
	t0     = time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)
	ours   = netip.MustParseAddr("192.0.2.10")
	lower  = netip.MustParseAddr("192.0.2.5")  // a peer with a lower address
	higher = netip.MustParseAddr("192.0.2.20") // a peer with a higher address
	vip    = netip.MustParseAddr("198.51.100.1")
)

// baseConfig is a v2 instance, priority prio, 1s adverts, keepalived's GARP
// defaults (5 now, 5 more after 5s).
func baseConfig(version, prio uint8) Config {
	return Config{
		VRID: 51, Version: version, Priority: prio, AdverInt: time.Second,
		PrimaryAddr: ours, VIPs: []netip.Addr{vip},
		GARPMasterRepeat: 5, GARPMasterDelay: 5 * time.Second,
	}
}

func mustInstance(t testing.TB, c Config) *Instance {
	t.Helper()
	i, err := NewInstance(c)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// advert returns an advert from src. interval is in the wire unit of version
// (seconds for v2, centiseconds for v3).
func advert(version uint8, src netip.Addr, prio uint8, interval uint16) AdvertReceived {
	return AdvertReceived{Src: src, Advert: packet.Advert{
		Version: version, Type: 1, VRID: 51, Priority: prio, AdverInt: interval, Addrs: []netip.Addr{vip},
	}}
}

// render turns actions into short strings for cmp.Diff.
func render(acts []Action) []string {
	var s []string
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			s = append(s, fmt.Sprintf("SendAdvert(%d)", a.Priority))
		case AcquireVIPs:
			s = append(s, "AcquireVIPs")
		case ReleaseVIPs:
			s = append(s, "ReleaseVIPs")
		case SendGratuitous:
			s = append(s, fmt.Sprintf("SendGratuitous(%d)", a.Repeat))
		case Notify:
			s = append(s, "Notify("+a.State.String()+")")
		case SplitBrainSuspect:
			s = append(s, fmt.Sprintf("SplitBrainSuspect(%s,%d)", a.Peer, a.PeerPriority))
		case NoMasterHeard:
			s = append(s, "NoMasterHeard")
		default:
			s = append(s, fmt.Sprintf("%T", a))
		}
	}
	return s
}

// startBackup starts a non-owner and checks it is BACKUP.
func startBackup(t *testing.T, c Config) *Instance {
	t.Helper()
	i := mustInstance(t, c)
	i.Handle(t0, Startup{})
	if i.State() != StateBackup {
		t.Fatalf("after Startup: state %v, want BACKUP", i.State())
	}
	return i
}

// startMaster starts an instance and drives it to MASTER via its timer.
func startMaster(t *testing.T, c Config) (*Instance, time.Time) {
	t.Helper()
	i := mustInstance(t, c)
	out := i.Handle(t0, Startup{})
	now := t0
	if i.State() == StateBackup {
		now = out.Deadline
		i.Handle(now, TimerFired{})
	}
	if i.State() != StateMaster {
		t.Fatalf("state %v, want MASTER", i.State())
	}
	return i, now
}

func wantState(t *testing.T, i *Instance, want State) {
	t.Helper()
	if i.State() != want {
		t.Fatalf("state %v, want %v", i.State(), want)
	}
}

func wantReason(t *testing.T, out Output, substr string) {
	t.Helper()
	if out.Transition == nil {
		t.Fatalf("no transition; want reason containing %q", substr)
	}
	if !strings.Contains(out.Transition.Reason, substr) {
		t.Fatalf("reason %q does not contain %q", out.Transition.Reason, substr)
	}
}
