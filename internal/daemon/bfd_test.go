package daemon

import (
	"fmt"
	"testing"
	"time"

	"gokeepalived/internal/bfd"
)

const trackBFDConf = `bfd_instance nbr {
    neighbor_ip 198.51.100.2
}
bfd_instance nbr2 {
    neighbor_ip 198.51.100.3
    weight -5
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.05
    virtual_ipaddress {
        198.51.100.100
    }
    track_bfd {
        nbr
    }
}
vrrp_sync_group G {
    group {
        VI_2
    }
    track_bfd {
        nbr weight -20
        nbr2
    }
}
vrrp_instance VI_2 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 0.05
    virtual_ipaddress {
        198.51.100.101
    }
}
`

// TestTrackBFD: track_bfd (keepalived vrrp_track.c): a weight-0 session
// that is not Up puts the instance in FAULT (it starts down, as in
// keepalived, until the BFD runtime reports Up); a weighted one (here in a
// sync group) moves the priority instead. BFDState carries the runtime's
// events. A line without a weight takes the bfd_instance's (nbr2: -5).
func TestTrackBFD(t *testing.T) {
	d, stop := startDaemon(t, load(t, trackBFDConf), newFakeEnv())
	defer stop()
	want := func(what, state1 string, prio2 int) {
		t.Helper()
		eventually(t, 5*time.Second, func() (bool, string) {
			s1, ok1 := instanceStatus(t, d, "VI_1")
			s2, ok2 := instanceStatus(t, d, "VI_2")
			return ok1 && ok2 && s1.State == state1 && s2.EffectivePriority == prio2,
				fmt.Sprintf("%s: want VI_1 %s and VI_2 priority %d; VI_1 %+v, VI_2 %+v", what, state1, prio2, s1, s2)
		})
	}
	want("before any BFD event", "FAULT", 75)
	d.BFDState(bfd.StateEvent{Session: "nbr2", From: bfd.StateInit, To: bfd.StateUp})
	want("nbr2 Up", "FAULT", 80)
	d.BFDState(bfd.StateEvent{Session: "nbr", From: bfd.StateInit, To: bfd.StateUp, Reason: "test"})
	want("session Up", "MASTER", 100)
	if st, _ := instanceStatus(t, d, "VI_1"); len(st.Trackers) == 0 || st.Trackers[len(st.Trackers)-1].Kind != "bfd" || !st.Trackers[len(st.Trackers)-1].OK {
		t.Errorf("trackers %+v, want bfd nbr OK", st.Trackers)
	}
	d.BFDState(bfd.StateEvent{Session: "nbr", From: bfd.StateUp, To: bfd.StateDown, Diag: bfd.DiagControlDetectionExpired, Reason: "test"})
	want("session Down", "FAULT", 80)
	// Another session's events change nothing.
	d.BFDState(bfd.StateEvent{Session: "other", From: bfd.StateInit, To: bfd.StateUp})
	want("other session Up", "FAULT", 80)
}
