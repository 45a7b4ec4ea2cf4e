package daemon

import (
	"strings"
	"testing"

	"gokeepalived/internal/ctl"
)

// The stats dump (SIGUSR2) carries each BFD session's counters.
func TestStatsDumpBFD(t *testing.T) {
	snap := &ctl.Snapshot{BFD: &ctl.BFDStatus{Sessions: []ctl.BFDSessionStatus{{Name: "r1", State: "Up", RemoteState: "Up",
		LocalDiscr: 0x1f, RemoteDiscr: 0x2e, LocalDiag: "No Diagnostic", RemoteDiag: "No Diagnostic", TxIntervalUS: 10000,
		Ups: 3, Downs: 2, PacketsReceived: 40, PacketsSent: 41, Drops: map[string]uint64{"ttl": 5}}}}}
	out := statsDump(snap, nil)
	for _, want := range []string{"BFD Instance: r1\n", "  State: Up\n", "  Local discriminator: 0x1f\n", "  Remote discriminator: 0x2e\n",
		"  TX interval: 10000 us\n", "    Up: 3\n    Down: 2\n", "    Received: 40\n    Sent: 41\n", "    ttl: 5\n", "    no_session: 0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats dump lacks %q:\n%s", want, out)
		}
	}
	if out := statsDump(&ctl.Snapshot{}, nil); strings.Contains(out, "BFD") {
		t.Errorf("no BFD, yet: %s", out)
	}
}
