package director

import (
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/bfd"
)

const bfdCheckConf = `
bfd_instance nbr2 {
    neighbor_ip 198.18.0.2
}
bfd_instance nbr3 {
    neighbor_ip 198.18.0.3
    checker
}
virtual_server 192.0.2.100 80 {
    delay_loop 3
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 80 {
        weight 1
        BFD_CHECK {
            name nbr2
        }
    }
    real_server 198.18.0.3 80 {
        weight 2
        BFD_CHECK {
            name nbr3
        }
        TCP_CHECK {
        }
    }
}
`

// TestBFDCheck: a real server followed by BFD_CHECK is out of the table
// until its session is Up, leaves it when the session goes Down (at once,
// not at the next delay_loop), and comes back when it is Up again; a real
// server with BFD_CHECK and TCP_CHECK needs both. Nothing is ever run for
// a BFD_CHECK.
func TestBFDCheck(t *testing.T) {
	b := newBed(t, bfdCheckConf)
	const vip = "192.0.2.100:80"
	ev := func(session string, from, to bfd.State, diag bfd.Diag) {
		b.d.BFDState(bfd.StateEvent{Session: session, From: from, To: to, Diag: diag, Reason: "test"})
		b.d.step(b.now)
	}
	b.advance(2 * time.Second)
	b.wantDests("sessions not reported", vip)
	if rs := b.vs("192.0.2.100:80/TCP").RealServers[0]; rs.Up || !strings.Contains(rs.Reason, "alpha") && !strings.Contains(rs.Reason, "BFD") {
		t.Errorf("before any session: %+v", rs)
	}
	ev("nbr2", bfd.StateInit, bfd.StateUp, bfd.DiagNone)
	b.advance(10 * time.Millisecond)
	b.wantDests("nbr2 Up", vip, "198.18.0.2:80 w1")
	ev("nbr3", bfd.StateInit, bfd.StateUp, bfd.DiagNone)
	b.advance(10 * time.Millisecond)
	b.wantDests("nbr3 Up too (its TCP_CHECK passes)", vip, "198.18.0.2:80 w1", "198.18.0.3:80 w2")

	// Down: out within the 5 ms coalesce, with the diagnostic as reason.
	ev("nbr2", bfd.StateUp, bfd.StateDown, bfd.DiagControlDetectionExpired)
	b.advance(10 * time.Millisecond)
	b.wantDests("nbr2 Down", vip, "198.18.0.3:80 w2")
	if rs := b.vs("192.0.2.100:80/TCP").RealServers[0]; rs.Up || !strings.Contains(rs.Reason, "Control Detection Time Expired") {
		t.Errorf("after Down: %+v", rs)
	}
	// The TCP_CHECK failing takes nbr3's server out although its session is Up.
	b.down[rs3] = "connection refused"
	b.advance(10 * time.Second)
	b.wantDests("nbr3's TCP_CHECK down", vip)
	delete(b.down, rs3)
	ev("nbr2", bfd.StateDown, bfd.StateUp, bfd.DiagNone)
	b.advance(4 * time.Second)
	b.wantDests("both back", vip, "198.18.0.2:80 w1", "198.18.0.3:80 w2")
	if n := len(b.probes[rs2]); n != 0 {
		t.Errorf("a BFD_CHECK ran %d probes", n)
	}

	// A reload that keeps the BFD_CHECK keeps its state; one that adds a
	// BFD_CHECK to a session already Up starts it up at once.
	b.d.Reload(load(t, bfdCheckConf))
	b.d.step(b.now)
	b.advance(10 * time.Millisecond)
	b.wantDests("reloaded, unchanged", vip, "198.18.0.2:80 w1", "198.18.0.3:80 w2")
	moved := strings.Replace(bfdCheckConf, "name nbr2", "name nbr3", 1)
	moved = strings.Replace(moved, "    checker\n", "", 1)
	b.d.Reload(load(t, moved))
	b.d.step(b.now)
	b.advance(10 * time.Millisecond)
	b.wantDests("198.18.0.2 now follows nbr3 (Up)", vip, "198.18.0.2:80 w1", "198.18.0.3:80 w2")
	ev("nbr3", bfd.StateUp, bfd.StateAdminDown, bfd.DiagAdminDown)
	b.advance(10 * time.Millisecond)
	b.wantDests("nbr3 AdminDown takes both out", vip)
	for id, j := range b.d.running {
		if j.bfd != "" && j.Checker != nil {
			t.Errorf("%s: a BFD_CHECK has a checker to run", id)
		}
	}
}
