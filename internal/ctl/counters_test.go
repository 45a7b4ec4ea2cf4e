package ctl

import (
	"regexp"
	"sync"
	"testing"
	"time"

	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Every counter has one distinct snake_case name and a description.
func TestCounterNames(t *testing.T) {
	seen := map[string]Counter{}
	for c := range NumCounters {
		name := c.String()
		if !snakeCase.MatchString(name) || c.Description() == "" {
			t.Errorf("counter %d: name %q (want snake_case), description %q", c, name, c.Description())
		}
		if o, dup := seen[name]; dup {
			t.Errorf("counters %d and %d are both named %q", o, c, name)
		}
		seen[name] = c
	}
	if got := NumCounters.String(); got != "Counter(28)" {
		t.Errorf("out of range: %q", got)
	}
}

// Each reason the VRRP core can ignore an input for has its own counter,
// named after the reason's one spelling.
func TestIgnoredCounter(t *testing.T) {
	reasons := []vrrp.IgnoreReason{vrrp.IgnoreNotRunning, vrrp.IgnoreWrongVRID, vrrp.IgnoreWrongVersion,
		vrrp.IgnoreIntervalV2, vrrp.IgnoreZeroInterval, vrrp.IgnoreOwnAdvert, vrrp.IgnoreOwner,
		vrrp.IgnoreLowerPriority, vrrp.IgnoreAlreadyInSt}
	used := map[Counter]bool{}
	for _, r := range reasons {
		c := IgnoredCounter(r)
		got, ok := c.IgnoreReason()
		if c == IgnoredOther || used[c] || !ok || got != string(r) || c.String() != "ignored_"+string(r) {
			t.Errorf("reason %q → counter %v (reason %q, %v)", r, c, got, ok)
		}
		used[c] = true
	}
	if c := IgnoredCounter("something-new"); c != IgnoredOther {
		t.Errorf("an unknown reason is counted as %v, want %v", c, IgnoredOther)
	}
	if _, ok := AdvertsSent.IgnoreReason(); ok {
		t.Error("adverts_sent claims to be an ignored-input counter")
	}
}

// Counters are written by the loop and the socket readers while renderers
// read them (go test -race); nil reads as zero.
func TestInstanceCountersConcurrent(t *testing.T) {
	var c InstanceCounters
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				c.Inc(AdvertsSent)
				c.Drop(packet.DropTTL)
				_ = (&InstanceSnapshot{Counters: &c}).Status(time.Now())
			}
		})
	}
	wg.Wait()
	if c.Get(AdvertsSent) != 4000 || c.Dropped(packet.DropTTL) != 4000 {
		t.Errorf("counts %d %d, want 4000", c.Get(AdvertsSent), c.Dropped(packet.DropTTL))
	}
	var none *InstanceCounters
	if none.Get(AdvertsSent) != 0 || none.Dropped(packet.DropTTL) != 0 || !none.LastAdvert().IsZero() {
		t.Error("nil counters do not read as zero")
	}
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c.SetLastAdvert(at)
	if !c.LastAdvert().Equal(at) {
		t.Errorf("last advert %v, want %v", c.LastAdvert(), at)
	}
}
