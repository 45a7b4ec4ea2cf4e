package addr_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"gokeepalived/internal/linux/addr"
	"gokeepalived/internal/linux/netnstest"
)

// node is a fresh namespace with veth0 (192.0.2.1/24 with a broadcast, as
// netnstest adds it, and 2001:db8::1/64) up.
func node(t *testing.T) *netnstest.NS {
	t.Helper()
	ns := netnstest.New(t)
	netnstest.Veth(t, ns, "veth0", ns, "veth1")
	ns.AddAddr(t, "veth0", "192.0.2.1/24")
	ns.AddAddr(t, "veth0", "2001:db8::1/64")
	return ns
}

func list(t *testing.T, dev string) []string {
	t.Helper()
	as, err := addr.List(dev)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		if !a.Prefix.Addr().IsLinkLocalUnicast() {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return out
}

func TestAddressLifecycle(t *testing.T) {
	ns := node(t)
	ns.Do(t, func() {
		vip4 := addr.Host(netip.MustParseAddr("192.0.2.100"), "veth0")
		vip4.Label = "veth0:vip"
		vip6 := addr.Host(netip.MustParseAddr("2001:db8::100"), "veth0")
		wide := addr.Address{Prefix: netip.MustParsePrefix("198.51.100.7/24"), Broadcast: netip.MustParseAddr("198.51.100.255"), Dev: "veth0", Scope: addr.ScopeLink}

		for _, a := range []addr.Address{vip4, vip6, wide, vip4, vip6} { // twice: idempotent
			if err := addr.Add(a); err != nil {
				t.Fatalf("Add(%v): %v", a, err)
			}
		}
		want := []string{
			"192.0.2.1/24 brd 192.0.2.255 dev veth0 scope global",
			"192.0.2.100/32 dev veth0 scope global label veth0:vip",
			"198.51.100.7/24 brd 198.51.100.255 dev veth0 scope link",
			"2001:db8::1/64 dev veth0 scope global nodad",
			"2001:db8::100/128 dev veth0 scope global nodad",
		}
		if got := list(t, "veth0"); !slices.Equal(got, want) {
			t.Errorf("after Add:\n got %q\nwant %q", got, want)
		}

		// The IPv6 VIP is usable at once: not tentative, as keepalived's nodad.
		l, _ := netlink.LinkByName("veth0")
		nas, err := netlink.AddrList(l, netlink.FAMILY_V6)
		if err != nil {
			t.Fatal(err)
		}
		for _, na := range nas {
			if na.IP.String() == "2001:db8::100" && (na.Flags&unix.IFA_F_NODAD == 0 || na.Flags&unix.IFA_F_TENTATIVE != 0) {
				t.Errorf("IPv6 VIP flags %#x: want nodad, not tentative", na.Flags)
			}
		}

		for _, a := range []addr.Address{vip4, vip6, wide, vip4, vip6} { // twice: absent is fine
			if err := addr.Del(a); err != nil {
				t.Fatalf("Del(%v): %v", a, err)
			}
		}
		want = []string{"192.0.2.1/24 brd 192.0.2.255 dev veth0 scope global", "2001:db8::1/64 dev veth0 scope global nodad"}
		if got := list(t, "veth0"); !slices.Equal(got, want) {
			t.Errorf("after Del:\n got %q\nwant %q", got, want)
		}
	})
}

func TestAddressErrors(t *testing.T) {
	ns := node(t)
	ns.Do(t, func() {
		err := addr.Add(addr.Host(netip.MustParseAddr("192.0.2.100"), "nosuch0"))
		if err == nil || !strings.Contains(err.Error(), "nosuch0") {
			t.Errorf("Add on a missing device: %v, want an error naming it", err)
		}
		if _, err := addr.List("nosuch0"); err == nil {
			t.Error("List on a missing device succeeded")
		}
	})
}

func routes(t *testing.T, table int) []string {
	t.Helper()
	var out []string
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := netlink.RouteListFiltered(fam, &netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Dst != nil && r.Dst.IP.IsLinkLocalUnicast() || r.Dst != nil && r.Dst.IP.IsMulticast() {
				continue
			}
			dst := "default"
			if r.Dst != nil {
				dst = r.Dst.String()
			}
			s := dst + " type " + addr.RouteType(r.Type).String()
			if r.Gw != nil {
				s += " via " + r.Gw.String()
			}
			if r.Src != nil {
				s += " src " + r.Src.String()
			}
			s += " metric " + strconv.Itoa(r.Priority) + " scope " + addr.Scope(r.Scope).String()
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func TestRouteLifecycle(t *testing.T) {
	ns := node(t)
	ns.Do(t, func() {
		p, a := netip.MustParsePrefix, netip.MustParseAddr
		rs := []addr.Route{
			{Dst: p("198.51.100.0/24"), Via: a("192.0.2.254"), Src: a("192.0.2.1"), Dev: "veth0", Table: 100, Metric: 5},
			{Dst: p("203.0.113.0/25"), Dev: "veth0", Table: 100},
			{Type: addr.Blackhole, Dst: p("203.0.113.128/25"), Table: 100},
			{Dst: p("0.0.0.0/0"), Via: a("192.0.2.254"), Table: 100, Metric: 10},
			{Dst: p("2001:db8:1::/48"), Via: a("2001:db8::fe"), Dev: "veth0", Table: 100, Metric: 1024},
		}
		for _, r := range append(rs, rs...) {
			if err := addr.AddRoute(r); err != nil {
				t.Fatalf("AddRoute(%v): %v", r, err)
			}
		}
		want := []string{
			"0.0.0.0/0 type unicast via 192.0.2.254 metric 10 scope global",
			"198.51.100.0/24 type unicast via 192.0.2.254 src 192.0.2.1 metric 5 scope global",
			"2001:db8:1::/48 type unicast via 2001:db8::fe metric 1024 scope global",
			"203.0.113.0/25 type unicast metric 0 scope link",
			"203.0.113.128/25 type blackhole metric 0 scope global",
		}
		if got := routes(t, 100); !slices.Equal(got, want) {
			t.Errorf("table 100 after AddRoute:\n got %q\nwant %q", got, want)
		}
		for _, r := range append(rs, rs...) {
			if err := addr.DelRoute(r); err != nil {
				t.Fatalf("DelRoute(%v): %v", r, err)
			}
		}
		if got := routes(t, 100); len(got) != 0 {
			t.Errorf("table 100 after DelRoute: %q, want empty", got)
		}
	})
}

func rules(t *testing.T, table int) []string {
	t.Helper()
	var out []string
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := netlink.RuleList(fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Table == table {
				s := strconv.Itoa(r.Priority) + ": " + r.String()
				if r.Mask != nil {
					s += fmt.Sprintf(" fwmark %#x/%#x", r.Mark, *r.Mask)
				}
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestRuleLifecycle(t *testing.T) {
	ns := node(t)
	ns.Do(t, func() {
		p := netip.MustParsePrefix
		rs := []addr.Rule{
			{From: p("192.0.2.100/32"), Table: 100, Priority: 100},
			{From: p("192.0.2.101/32"), To: p("198.51.100.0/24"), Table: 100, Priority: 101},
			{To: p("2001:db8:1::/48"), Table: 100, Priority: 102},
			{From: p("203.0.113.0/24"), Table: 100}, // kernel-chosen priority
			{FWMark: 7, Table: 100},                 // kernel-chosen priority, any address
			{From: p("203.0.113.0/24"), FWMark: 0x10, FWMask: 0xf0, Table: 100, Priority: 103},
		}
		for _, r := range append(rs, rs...) {
			if err := addr.AddRule(r); err != nil {
				t.Fatalf("AddRule(%v): %v", r, err)
			}
		}
		got := rules(t, 100)
		if len(got) != len(rs) {
			t.Fatalf("rules for table 100 after adding each twice: %q, want %d rules", got, len(rs))
		}
		for _, want := range []string{"fwmark 0x7/0xffffffff", "fwmark 0x10/0xf0"} {
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, want) }) {
				t.Errorf("rules for table 100: %q, want one with %q", got, want)
			}
		}
		for _, r := range append(rs, rs...) {
			if err := addr.DelRule(r); err != nil {
				t.Fatalf("DelRule(%v): %v", r, err)
			}
		}
		if got := rules(t, 100); len(got) != 0 {
			t.Errorf("rules for table 100 after DelRule: %q", got)
		}
	})
}

// TestAddressBatch: AddBatch and DelBatch give what Add and Del give,
// over more requests than one window, with a result per address.
func TestAddressBatch(t *testing.T) {
	ns := node(t)
	ns.Do(t, func() {
		vip4 := addr.Host(netip.MustParseAddr("192.0.2.100"), "veth0")
		vip4.Label = "veth0:vip"
		vip6 := addr.Host(netip.MustParseAddr("2001:db8::100"), "veth0")
		wide := addr.Address{Prefix: netip.MustParsePrefix("198.51.100.7/24"), Broadcast: netip.MustParseAddr("198.51.100.255"), Dev: "veth0", Scope: addr.ScopeLink}
		missing := addr.Host(netip.MustParseAddr("192.0.2.101"), "nosuch0")
		as := []addr.Address{vip4, vip6, wide, vip4, missing}
		want := []string{
			"192.0.2.1/24 brd 192.0.2.255 dev veth0 scope global",
			"192.0.2.100/32 dev veth0 scope global label veth0:vip",
			"198.51.100.7/24 brd 198.51.100.255 dev veth0 scope link",
			"2001:db8::1/64 dev veth0 scope global nodad",
			"2001:db8::100/128 dev veth0 scope global nodad",
		}
		// More than one window (128) of /32s in 198.18.0.0/15.
		for i := range 300 {
			a := addr.Host(netip.AddrFrom4([4]byte{198, 18, byte(i / 200), byte(1 + i%200)}), "veth0")
			as = append(as, a)
			want = append(want, a.String())
		}
		slices.Sort(want)
		check := func(what string, errs []error) {
			t.Helper()
			if len(errs) != len(as) {
				t.Fatalf("%s: %d results for %d addresses", what, len(errs), len(as))
			}
			for i, err := range errs {
				if as[i] == missing {
					if err == nil || !strings.Contains(err.Error(), "nosuch0") {
						t.Errorf("%s on a missing device: %v, want an error naming it", what, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s(%v): %v", what, as[i], err)
				}
			}
		}
		check("AddBatch", addr.AddBatch(as))
		check("AddBatch again", addr.AddBatch(as)) // idempotent
		if got := list(t, "veth0"); !slices.Equal(got, want) {
			t.Errorf("after AddBatch:\n got %q\nwant %q", got, want)
		}
		check("DelBatch", addr.DelBatch(as))
		check("DelBatch again", addr.DelBatch(as)) // absent is fine
		want = []string{"192.0.2.1/24 brd 192.0.2.255 dev veth0 scope global", "2001:db8::1/64 dev veth0 scope global nodad"}
		if got := list(t, "veth0"); !slices.Equal(got, want) {
			t.Errorf("after DelBatch:\n got %q\nwant %q", got, want)
		}
	})
}
