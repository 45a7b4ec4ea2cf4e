package link

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResync(t *testing.T) {
	last := map[int]Event{
		1: {Name: "lo", Index: 1, Up: true},
		2: {Name: "eth0", Index: 2, Up: true},
		3: {Name: "eth1", Index: 3, Up: true},
	}
	now := []Event{
		{Name: "lo", Index: 1, Up: true},      // unchanged: silent
		{Name: "eth1", Index: 3, Up: false},   // went down during the gap
		{Name: "vrrp.51", Index: 9, Up: true}, // appeared
	}
	want := []Event{
		{Name: "eth1", Index: 3},
		{Name: "vrrp.51", Index: 9, Up: true},
		{Name: "eth0", Index: 2, Deleted: true}, // vanished
	}
	if diff := cmp.Diff(want, resync(last, now)); diff != "" {
		t.Errorf("resync (-want +got):\n%s", diff)
	}
	wantLast := map[int]Event{
		1: {Name: "lo", Index: 1, Up: true},
		3: {Name: "eth1", Index: 3},
		9: {Name: "vrrp.51", Index: 9, Up: true},
	}
	if diff := cmp.Diff(wantLast, last); diff != "" {
		t.Errorf("state after resync (-want +got):\n%s", diff)
	}
	if got := resync(last, now); len(got) != 0 {
		t.Errorf("second resync with no change = %v, want nothing", got)
	}
}

func TestApply(t *testing.T) {
	last := map[int]Event{}
	steps := []struct {
		e    Event
		news bool
	}{
		{Event{Name: "eth0", Index: 2, Up: true}, true},
		{Event{Name: "eth0", Index: 2, Up: true}, false}, // e.g. an MTU change: same verdict
		{Event{Name: "eth0", Index: 2}, true},
		{Event{Name: "eth0", Index: 2, Deleted: true}, true},
		{Event{Name: "eth0", Index: 2, Deleted: true}, false},
	}
	for i, s := range steps {
		if got := apply(last, s.e); got != s.news {
			t.Errorf("step %d apply(%v) = %v, want %v", i, s.e, got, s.news)
		}
	}
}
