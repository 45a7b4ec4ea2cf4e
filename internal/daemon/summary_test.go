package daemon

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gokeepalived/internal/ctl"
)

// A reload's summary names what it kept, restarted (with why), added and
// removed, and the priority changes.
func TestReloadSummary(t *testing.T) {
	f := newFakeEnv()
	d, stop := startDaemon(t, load(t, fmt.Sprintf(twoInstances, "eth1")), f)
	defer stop()
	waitMaster(t, d, "VI_2")
	ctx := context.Background()

	// VI_1: priority only (in place); VI_2: its VIP (in place) and its
	// advert interval (a restart) changed.
	next := strings.Replace(fmt.Sprintf(twoInstances, "eth1"), "priority 100", "priority 120", 1)
	next = strings.Replace(next, "198.51.100.100", "198.51.100.101", 1)
	i := strings.LastIndex(next, "advert_int 0.05") // VI_2's
	next = next[:i] + "advert_int 0.1" + next[i+len("advert_int 0.05"):]
	sum, err := d.ReloadSummary(ctx, load(t, next))
	if err != nil {
		t.Fatal(err)
	}
	want := ctl.ReloadSummary{Kept: []string{"VI_1"}, ChangedInPlace: []ctl.InPlaceChange{{Instance: "VI_1", What: []string{"priority"}}}, Restarted: []ctl.Restart{{Instance: "VI_2", Reason: "its configuration changed"}},
		Added: []string{}, Removed: []string{}, Priorities: []ctl.PriorityChange{{Instance: "VI_1", From: 100, To: 120, InPlace: true}}}
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("summary = %+v\nwant      %+v", sum, want)
	}

	// VI_2 removed, VI_3 added, VI_1 unchanged.
	third := strings.Replace(next, "VI_2", "VI_3", 1)
	sum, err = d.ReloadSummary(ctx, load(t, third))
	if err != nil {
		t.Fatal(err)
	}
	want = ctl.ReloadSummary{Kept: []string{"VI_1"}, Restarted: []ctl.Restart{}, Added: []string{"VI_3"}, Removed: []string{"VI_2"},
		Priorities: []ctl.PriorityChange{}}
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("summary = %+v\nwant      %+v", sum, want)
	}
}
