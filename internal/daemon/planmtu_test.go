package daemon

import (
	"context"
	"net/netip"
	"testing"

	"gokeepalived/internal/linux/link"
)

// countingLinks is a Links port that counts MTU look-ups.
type countingLinks struct {
	mtu   map[string]int
	calls map[string]int
}

func (c *countingLinks) Primary(string, bool) (netip.Addr, error) { return netip.Addr{}, nil }
func (c *countingLinks) Up(string) (bool, error)                  { return true, nil }
func (c *countingLinks) Watch(context.Context, func()) (<-chan link.Event, error) {
	return nil, nil
}
func (c *countingLinks) SetPromoteSecondaries(string, bool) (bool, error) { return false, nil }
func (c *countingLinks) MTU(ifname string) (int, error) {
	c.calls[ifname]++
	return c.mtu[ifname], nil
}

// A plan asks each interface's MTU once, however many instances use it
// (1,000 instances on 20 interfaces made 1,000 link look-ups at start).
func TestPlanMTUOncePerInterface(t *testing.T) {
	links := &countingLinks{mtu: map[string]int{"eth0": 9000, "eth1": 1500}, calls: map[string]int{}}
	p := &reloadPlan{}
	for range 50 {
		for _, ifname := range []string{"eth0", "eth1", "eth2"} {
			want := map[string]int{"eth0": 9000, "eth1": 1500, "eth2": defaultMTU}[ifname] // eth2: 0 → the default
			if got := p.mtu(links, ifname); got != want {
				t.Fatalf("mtu(%s) = %d, want %d", ifname, got, want)
			}
		}
	}
	for ifname, n := range links.calls {
		if n != 1 {
			t.Errorf("%s: %d MTU look-ups, want 1", ifname, n)
		}
	}
	if len(links.calls) != 3 {
		t.Errorf("look-ups %v, want one per interface", links.calls)
	}
}
