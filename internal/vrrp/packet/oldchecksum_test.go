package packet

import (
	"net/netip"
	"testing"
)

// keepalived's old_unicast_checksum (before 1.3.6): a unicast VRRPv3 IPv4
// advert's checksum covers a pseudo-header naming the multicast group
// 224.0.0.18, not the peer it is sent to. Encoding with the group as the
// destination gives those bytes; ChecksumDst verifies them, and only them.
func TestOldUnicastChecksum(t *testing.T) {
	src, peer, group := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("224.0.0.18")
	a := Advert{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 100, AdverInt: 100,
		Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100")}}
	old, err := a.AppendBinary(nil, src, group, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := a.AppendBinary(nil, src, peer, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(old) == string(cur) {
		t.Fatal("the old and new unicast checksums are the same; the test cannot tell them apart")
	}
	meta := Meta{Family: IPv4, TTL: 255, Src: src, Dst: peer}
	want := Expect{VRID: 51, Version: 3, VIPs: a.Addrs, Unicast: true}
	parse := func(raw []byte) Advert {
		p, err := Parse(raw, IPv4)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name   string
		raw    []byte
		cdst   netip.Addr
		reason DropReason
	}{
		{"new form, new check", cur, netip.Addr{}, OK},
		{"old form, new check", old, netip.Addr{}, DropChecksum},
		{"old form, old check", old, group, OK},
		{"new form, old check", cur, group, DropChecksum},
	} {
		w := want
		w.ChecksumDst = c.cdst
		if got := Validate(parse(c.raw), c.raw, meta, w); got != c.reason {
			t.Errorf("%s: %v, want %v", c.name, got, c.reason)
		}
	}
}
