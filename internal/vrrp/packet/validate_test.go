package packet

import (
	"errors"
	"net/netip"
	"testing"
)

// A valid advert and receiving instance per base; each case changes one thing.
type base struct {
	adv  Advert
	meta Meta
	want Expect
}

func bases() map[string]base {
	v2 := Advert{Version: 2, Type: 1, VRID: 51, Priority: 150, AuthType: AuthPass, AdverInt: 1,
		Addrs: addrs("192.0.2.51", "192.0.2.52"), AuthData: secret12}
	v3 := Advert{Version: 3, Type: 1, VRID: 52, Priority: 200, AdverInt: 50, Addrs: addrs("192.0.2.20", "203.0.113.20")}
	v6 := Advert{Version: 3, Type: 1, VRID: 53, Priority: 100, AdverInt: 100, Addrs: addrs("fe80::53", "2001:db8::53")}
	m4 := Meta{Family: IPv4, TTL: 255, Src: peer4, Dst: mcast4}
	m6 := Meta{Family: IPv6, TTL: 255, Src: netip.MustParseAddr("fe80::2"), Dst: mcast6}
	own4 := addrs("192.0.2.1")
	own6 := addrs("fe80::1")
	return map[string]base{
		"v2": {v2, m4, Expect{VRID: 51, Version: 2, AuthType: AuthPass, AuthPass: secret12, AdverInt: 1, VIPs: v2.Addrs, OwnAddrs: own4}},
		"v3": {v3, m4, Expect{VRID: 52, Version: 3, VIPs: v3.Addrs, OwnAddrs: own4}},
		"v6": {v6, m6, Expect{VRID: 53, Version: 3, VIPs: v6.Addrs, OwnAddrs: own6}},
	}
}

type validateCase struct {
	name   string // RFC or keepalived section: what is checked
	base   string
	opts   Options               // encoding options of the sender
	adv    func(a *Advert)       // change the advert before encoding
	raw    func(b []byte) []byte // change the bytes after encoding
	meta   func(m *Meta)         // change the packet's IP header (before encoding)
	recv   func(m *Meta)         // change only what the receiver is told
	want   func(e *Expect)       // change the receiver's configuration
	reason DropReason
}

var validateCases = []validateCase{
	{name: "RFC3768-7.1: a valid v2 PASS advert is accepted", base: "v2", reason: OK},
	{name: "RFC9568-7.1: a valid v3 IPv4 advert is accepted", base: "v3", reason: OK},
	{name: "RFC9568-7.1: a valid v3 IPv6 advert is accepted", base: "v6", reason: OK},
	{name: "RFC9568-6.4.2: priority 0 (master stopping) is accepted", base: "v3", adv: func(a *Advert) { a.Priority = 0 }, reason: OK},

	// TTL / Hop Limit.
	{name: "RFC3768-7.1-1: TTL must be 255", base: "v2", meta: func(m *Meta) { m.TTL = 254 }, reason: DropTTL},
	{name: "RFC9568-7.1-1: TTL must be 255", base: "v3", meta: func(m *Meta) { m.TTL = 1 }, reason: DropTTL},
	{name: "RFC9568-7.1-1: IPv6 Hop Limit must be 255", base: "v6", meta: func(m *Meta) { m.TTL = 64 }, reason: DropTTL},
	{name: "keepalived: TTL not checked for unicast peers", base: "v3",
		meta: func(m *Meta) { m.TTL = 63; m.Dst = netip.MustParseAddr("192.0.2.9") },
		want: func(e *Expect) { e.Unicast = true }, reason: OK},

	// Length.
	{name: "RFC9568-7.1-2: trailing byte after the addresses", base: "v3", raw: func(b []byte) []byte { return append(b, 0) }, reason: DropLength},
	{name: "RFC9568-7.1-2: count says more addresses than sent", base: "v3", raw: func(b []byte) []byte { return b[:len(b)-4] }, reason: DropLength},
	{name: "RFC3768-7.1-2: v2 without its 8 bytes of auth data", base: "v2", raw: func(b []byte) []byte { return b[:len(b)-8] }, reason: DropLength},
	{name: "RFC9568-7.1-2: shorter than the fixed header", base: "v3", raw: func(b []byte) []byte { return b[:7] }, reason: DropLength},
	{name: "RFC9568-7.1-2: IPv6 address cut short", base: "v6", raw: func(b []byte) []byte { return b[:len(b)-1] }, reason: DropLength},

	// Version.
	{name: "RFC9568-7.1-3: v3 advert to a v2 instance", base: "v3", want: func(e *Expect) { e.Version = 2 }, reason: DropVersion},
	{name: "RFC3768-7.1-3: v2 advert to a v3 instance", base: "v2", want: func(e *Expect) { e.Version = 3 }, reason: DropVersion},
	{name: "RFC9568-7.1-3: unknown version 4", base: "v3", raw: func(b []byte) []byte { b[0] = 0x41; return b }, reason: DropVersion},

	// Checksum.
	{name: "RFC3768-7.1-4: v2 checksum wrong", base: "v2", raw: func(b []byte) []byte { b[7] ^= 1; return b }, reason: DropChecksum},
	{name: "RFC3768-5.3.8: v2 checksum covers the auth data", base: "v2", raw: func(b []byte) []byte { b[len(b)-1] ^= 0x20; return b }, reason: DropChecksum},
	{name: "RFC9568-7.1-4: v3 IPv4 checksum wrong in both forms", base: "v3", raw: func(b []byte) []byte { b[9] ^= 1; return b }, reason: DropChecksum},
	{name: "RFC9568-7.1-4: v3 IPv4 pseudo-header covers the source", base: "v3", recv: func(m *Meta) { m.Src = netip.MustParseAddr("192.0.2.3") }, reason: DropChecksum},
	{name: "RFC9568-7.1-4: IPv6 checksum wrong", base: "v6", raw: func(b []byte) []byte { b[6] ^= 0x80; return b }, reason: DropChecksum},
	{name: "RFC9568-5.2.8: IPv6 always uses the pseudo-header, even with v3_checksum_as_v2", base: "v6",
		opts: Options{ChecksumAsV2: true}, want: func(e *Expect) { e.ChecksumAsV2 = true }, reason: OK},
	{name: "RFC9568-5.2.8: message-only checksum received by a default (pseudo-header) instance", base: "v3",
		opts: Options{ChecksumAsV2: true}, reason: DropChecksumV2Form},
	{name: "keepalived v3_checksum_as_v2: pseudo-header checksum received by an as-v2 instance", base: "v3",
		want: func(e *Expect) { e.ChecksumAsV2 = true }, reason: DropChecksumPseudoHeaderForm},
	{name: "keepalived v3_checksum_as_v2: both sides message-only", base: "v3",
		opts: Options{ChecksumAsV2: true}, want: func(e *Expect) { e.ChecksumAsV2 = true }, reason: OK},
	{name: "RFC3768-5.3.8: v2 has no pseudo-header, v3_checksum_as_v2 changes nothing", base: "v2",
		opts: Options{ChecksumAsV2: true}, want: func(e *Expect) { e.ChecksumAsV2 = true }, reason: OK},

	// Type.
	{name: "RFC9568-5.2.2: unknown type 2 must be discarded", base: "v3", adv: func(a *Advert) { a.Type = 2 }, reason: DropType},
	{name: "RFC3768-5.3.2: unknown type 0 must be discarded", base: "v2", adv: func(a *Advert) { a.Type = 0 }, reason: DropType},

	// Source and destination.
	{name: "keepalived: our own advert looped back", base: "v3", meta: func(m *Meta) { m.Src = ka4 }, reason: DropOwnAddress},
	{name: "keepalived: our own IPv6 advert looped back (zone ignored)", base: "v6",
		meta: func(m *Meta) { m.Src = ka6 }, want: func(e *Expect) { e.OwnAddrs = addrs("fe80::1%gkpkt-v0") }, reason: DropOwnAddress},
	{name: "keepalived: unicast advert to a multicast instance", base: "v3",
		meta: func(m *Meta) { m.Dst = ka4 }, reason: DropDestination},
	{name: "keepalived: multicast advert to a unicast instance", base: "v3",
		want: func(e *Expect) { e.Unicast = true }, reason: DropDestination},
	{name: "keepalived old_unicast_checksum: checksum over the multicast group, not the packet's destination", base: "v3",
		want: func(e *Expect) { e.ChecksumDst = netip.MustParseAddr("224.0.0.19") }, reason: DropChecksum},
	{name: "keepalived mcast_dst_ip: advert to another group than the instance's", base: "v3",
		want: func(e *Expect) { e.Group = netip.MustParseAddr("224.0.0.19") }, reason: DropDestination},
	{name: "keepalived mcast_dst_ip: advert to the instance's group", base: "v3",
		meta: func(m *Meta) { m.Dst = netip.MustParseAddr("224.0.0.19") },
		want: func(e *Expect) { e.Group = netip.MustParseAddr("224.0.0.19") }, reason: OK},

	// VRID.
	{name: "RFC9568-7.1-5: VRID not configured", base: "v3", want: func(e *Expect) { e.VRID = 7 }, reason: DropVRIDMismatch},
	{name: "RFC3768-7.1-5: VRID not configured", base: "v2", adv: func(a *Advert) { a.VRID = 250 }, reason: DropVRIDMismatch},
	{name: "RFC9568-7.1-5 erratum 8298: advert to the address owner is not dropped", base: "v3",
		adv: func(a *Advert) { a.Priority = 255 }, reason: OK},

	// Count.
	{name: "keepalived 2.2.x: count differs from configured VIPs", base: "v3",
		adv: func(a *Advert) { a.Addrs = a.Addrs[:1] }, reason: DropAddrCount},
	{name: "keepalived vrrp_skip_check_adv_addr: count not checked either", base: "v3",
		adv: func(a *Advert) { a.Addrs = a.Addrs[:1] }, want: func(e *Expect) { e.SkipCheckAdvAddr = true }, reason: OK},
	{name: "RFC9568-erratum-8299: count 0 dropped under vrrp_strict, even with vrrp_skip_check_adv_addr", base: "v3",
		adv: func(a *Advert) { a.Addrs = nil }, want: func(e *Expect) { e.VIPs = nil; e.Strict = true; e.SkipCheckAdvAddr = true }, reason: DropAddrCount},
	{name: "RFC9568-erratum-8299: count 0 dropped under vrrp_strict", base: "v3",
		adv: func(a *Advert) { a.Addrs = nil }, want: func(e *Expect) { e.VIPs = nil; e.Strict = true }, reason: DropAddrCount},
	{name: "keepalived: count 0 accepted by an instance with no VIPs", base: "v3",
		adv: func(a *Advert) { a.Addrs = nil }, want: func(e *Expect) { e.VIPs = nil }, reason: OK},

	// Authentication (v2).
	{name: "RFC3768-7.1-6 (RFC2338-7.1-6): auth type must match (none received, PASS configured)", base: "v2",
		adv: func(a *Advert) { a.AuthType = AuthNone; a.AuthData = [8]byte{} }, reason: DropAuthType},
	{name: "RFC3768-7.1-6 (RFC2338-7.1-6): auth type must match (PASS received, none configured)", base: "v2",
		want: func(e *Expect) { e.AuthType = AuthNone }, reason: DropAuthType},
	{name: "RFC3768-7.1-6 (RFC2338-7.1-6): unknown auth type 7", base: "v2", adv: func(a *Advert) { a.AuthType = 7 }, reason: DropAuthType},
	{name: "RFC2338-5.3.6.2: PASS password must match", base: "v2",
		want: func(e *Expect) { e.AuthPass = PassAuth("secret13") }, reason: DropAuthMismatch},
	{name: "RFC2338-5.3.6.2: PASS compares all 8 bytes (NUL padding)", base: "v2",
		adv: func(a *Advert) { a.AuthData = PassAuth("secret1") }, reason: DropAuthMismatch},
	{name: "keepalived: IPsec AH cannot be verified here", base: "v2",
		adv: func(a *Advert) { a.AuthType = AuthAH }, want: func(e *Expect) { e.AuthType = AuthAH }, reason: DropAuthUnsupported},
	{name: "RFC9568-9: v3 has no authentication, auth settings ignored", base: "v3",
		want: func(e *Expect) { e.AuthType = AuthPass; e.AuthPass = secret12 }, reason: OK},

	// Interval.
	{name: "RFC3768-7.1-7: v2 Adver Int must equal advert_int", base: "v2",
		want: func(e *Expect) { e.AdverInt = 2 }, reason: DropIntervalMismatch},
	{name: "RFC9568-7.1: v3 Max Adver Int need not match (backup adopts it)", base: "v3",
		adv: func(a *Advert) { a.AdverInt = 300 }, want: func(e *Expect) { e.AdverInt = 1 }, reason: OK},
	{name: "RFC9568-erratum-8301: v3 Max Adver Int 0 is discarded", base: "v3",
		adv: func(a *Advert) { a.AdverInt = 0 }, reason: DropIntervalZero},

	// Address list.
	{name: "RFC3768-7.1-8 / keepalived 2.2.x: configured VIP missing from the advert", base: "v2",
		adv: func(a *Advert) { a.Addrs = addrs("192.0.2.51", "192.0.2.99") }, reason: DropAddrList},
	{name: "RFC9568-7.1-8: VIP list checked for IPv6", base: "v6",
		adv: func(a *Advert) { a.Addrs = addrs("fe80::53", "2001:db8::99") }, reason: DropAddrList},
	{name: "keepalived vrrp_skip_check_adv_addr: list not checked", base: "v3",
		adv: func(a *Advert) { a.Addrs = addrs("192.0.2.20", "192.0.2.99") }, want: func(e *Expect) { e.SkipCheckAdvAddr = true }, reason: OK},
	{name: "RFC9568-7.1-8: the order of the addresses does not matter", base: "v3",
		adv: func(a *Advert) { a.Addrs = addrs("203.0.113.20", "192.0.2.20") }, reason: OK},
	{name: "RFC9568-7.1-7 (and RFC9568-6.1-7) erratum 8300, §5.2.9: first IPv6 address must be link-local (vrrp_strict)", base: "v6",
		adv:  func(a *Advert) { a.Addrs = addrs("2001:db8::53", "fe80::53") },
		want: func(e *Expect) { e.Strict = true }, reason: DropAddrList},
	{name: "keepalived: first IPv6 address not link-local is accepted without vrrp_strict", base: "v6",
		adv: func(a *Advert) { a.Addrs = addrs("2001:db8::53", "fe80::53") }, reason: OK},

	// Malformed.
	{name: "Meta with no family", base: "v3", meta: func(m *Meta) { m.Family = 0 }, reason: DropMalformed},
}

// receive runs what a receiver does with raw: Parse, then Validate. A parse
// error is counted under its DropReason.
func receive(dst *Advert, raw []byte, meta Meta, want Expect) DropReason {
	if err := ParseInto(dst, raw, meta.Family); err != nil {
		var pe ParseError
		if !errors.As(err, &pe) {
			return DropMalformed
		}
		return pe.Reason()
	}
	return Validate(*dst, raw, meta, want)
}

func TestValidate(t *testing.T) {
	seen := make(map[DropReason]bool)
	for _, tt := range validateCases {
		t.Run(tt.name, func(t *testing.T) {
			b := bases()[tt.base]
			adv, meta, want := b.adv, b.meta, b.want
			adv.Addrs = append([]netip.Addr(nil), adv.Addrs...)
			if tt.adv != nil {
				tt.adv(&adv)
			}
			if tt.meta != nil {
				tt.meta(&meta)
			}
			src, dst := meta.Src, meta.Dst
			raw, err := adv.Marshal(src, dst, tt.opts)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if tt.raw != nil {
				raw = tt.raw(raw)
			}
			if tt.recv != nil {
				tt.recv(&meta)
			}
			if tt.want != nil {
				tt.want(&want)
			}
			var got Advert
			if r := receive(&got, raw, meta, want); r != tt.reason {
				t.Errorf("got %v (%s), want %v (%s)", r, r.Description(), tt.reason, tt.reason.Description())
			}
		})
		seen[tt.reason] = true
	}
	for r := range DropReason(NumDropReasons) {
		if !seen[r] && r != DropUnicastSrc { // the receiver's own check, not Validate's
			t.Errorf("no case for %v", r)
		}
	}
}

func TestDropReasonString(t *testing.T) {
	names := make(map[string]bool)
	for r := range DropReason(NumDropReasons) {
		s := r.String()
		if s == "" || names[s] || r.Description() == "" {
			t.Errorf("DropReason %d: name %q (duplicate or empty) or no description", r, s)
		}
		// One spelling everywhere, usable as a Prometheus label value and a
		// slog value as it is: snake_case.
		for _, c := range s {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
				t.Errorf("DropReason %d: name %q is not snake_case", r, s)
				break
			}
		}
		names[s] = true
	}
	if got, want := DropReason(NumDropReasons).String(), "DropReason(20)"; got != want {
		t.Errorf("out of range: got %q, want %q", got, want)
	}
	if got := DropChecksumV2Form.Description(); !contains(got, "v3_checksum_as_v2") {
		t.Errorf("ChecksumV2Form description %q does not name the knob", got)
	}
	if got := DropChecksumPseudoHeaderForm.Description(); !contains(got, "v3_checksum_as_v2") {
		t.Errorf("ChecksumPseudoHeaderForm description %q does not name the knob", got)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestSplitIPv4(t *testing.T) {
	msg := make([]byte, 20)
	good := AppendIPv4Header(nil, ka4, mcast4, 1, len(msg))
	good = append(good, msg...)
	tests := []struct {
		name string
		b    []byte
		err  error
	}{
		{"valid", good, nil},
		{"too short for a header", good[:19], ErrIPv4Header},
		{"not version 4", func() []byte { b := clone(good); b[0] = 0x65; return b }(), ErrIPv4Header},
		{"IHL below 5", func() []byte { b := clone(good); b[0] = 0x44; return b }(), ErrIPv4Header},
		{"IHL beyond the packet", func() []byte { b := clone(good); b[0] = 0x4f; return b[:30] }(), ErrIPv4Header},
		{"keepalived: ip_tot_len mismatch against received length", append(clone(good), 0), ErrIPv4Header},
		{"IPsec AH (protocol 51) not supported", func() []byte { b := clone(good); b[9] = 51; return b }(), ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, payload, err := SplitIPv4(tt.b)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && (m.TTL != 255 || m.Src != ka4 || m.Dst != mcast4 || m.Family != IPv4 || len(payload) != 20) {
				t.Errorf("got %+v, %d payload bytes", m, len(payload))
			}
		})
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		b      []byte
		f      Family
		err    ParseError
		reason DropReason
	}{
		{"empty", nil, IPv4, ErrShort, DropLength},
		{"7 bytes", make([]byte, 7), IPv4, ErrShort, DropLength},
		{"version 0", make([]byte, 8), IPv4, ErrVersion, DropVersion},
		{"version 15", []byte{0xf1, 1, 1, 0, 0, 1, 0, 0}, IPv4, ErrVersion, DropVersion},
		{"v3 count 1 without the address", []byte{0x31, 1, 1, 1, 0, 1, 0, 0}, IPv4, ErrTruncated, DropLength},
		{"v2 count 0 without auth data", []byte{0x21, 1, 1, 0, 0, 1, 0, 0}, IPv4, ErrTruncated, DropLength},
		{"IPv6 count 1 with an IPv4-sized address", []byte{0x31, 1, 1, 1, 0, 1, 0, 0, 1, 2, 3, 4}, IPv6, ErrTruncated, DropLength},
		{"no family", make([]byte, 8), 0, ErrFamily, DropMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.b, tt.f)
			if err != tt.err {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if r := tt.err.Reason(); r != tt.reason {
				t.Errorf("Reason = %v, want %v", r, tt.reason)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name     string
		adv      Advert
		src, dst netip.Addr
	}{
		{"version 1", Advert{Version: 1, Type: 1}, ka4, mcast4},
		{"type 16", Advert{Version: 3, Type: 16, AdverInt: 100}, ka4, mcast4},
		{"v2 interval 256 s", Advert{Version: 2, Type: 1, AdverInt: 256}, ka4, mcast4},
		{"v3 interval 4096 cs", Advert{Version: 3, Type: 1, AdverInt: 4096}, ka4, mcast4},
		{"v3 with auth", Advert{Version: 3, Type: 1, AdverInt: 100, AuthType: AuthPass}, ka4, mcast4},
		{"256 addresses", Advert{Version: 3, Type: 1, AdverInt: 100, Addrs: make([]netip.Addr, 256)}, ka4, mcast4},
		{"IPv6 VIP over IPv4", Advert{Version: 3, Type: 1, AdverInt: 100, Addrs: addrs("2001:db8::1")}, ka4, mcast4},
		{"IPv4 VIP over IPv6", Advert{Version: 3, Type: 1, AdverInt: 100, Addrs: addrs("192.0.2.1")}, ka6, mcast6},
		{"mixed source and destination", Advert{Version: 3, Type: 1, AdverInt: 100}, ka4, mcast6},
		{"no source", Advert{Version: 3, Type: 1, AdverInt: 100}, netip.Addr{}, mcast4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.adv.AppendBinary([]byte{0xaa}, tt.src, tt.dst, Options{})
			if !errors.Is(err, ErrMarshal) {
				t.Errorf("err = %v, want ErrMarshal", err)
			}
			if len(b) != 1 {
				t.Errorf("appended %d bytes on error", len(b)-1)
			}
		})
	}
}
