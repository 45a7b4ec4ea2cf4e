package packet

import (
	"net/netip"
	"testing"
)

// The receive path (ParseInto with a reused Advert, Validate) and the send
// path (AppendBinary into a reused buffer) must not allocate: DESIGN.md
// "Timing under load".

func benchInput(b *testing.B) (Meta, []byte, Expect) {
	g := goldens[0] // v2 PASS, 3 VIPs
	meta, msg := splitIP(b, readHex(b, g.file))
	return meta, msg, expectFor(g)
}

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"v2-ipv4-pass.hex", "v3-ipv6.hex"} {
		b.Run(name, func(b *testing.B) {
			meta, msg := splitIP(b, readHex(b, name))
			a := Advert{Addrs: make([]netip.Addr, 0, MaxAddrs)}
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if err := ParseInto(&a, msg, meta.Family); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	meta, msg, want := benchInput(b)
	a := Advert{Addrs: make([]netip.Addr, 0, MaxAddrs)}
	if err := ParseInto(&a, msg, meta.Family); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := Validate(a, msg, meta, want); r != OK {
			b.Fatal(r)
		}
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	for _, name := range []string{"v3-ipv4.hex", "v3-ipv6.hex"} {
		b.Run(name, func(b *testing.B) {
			meta, msg := splitIP(b, readHex(b, name))
			a, err := Parse(msg, meta.Family)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 1500)
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if buf, err = a.AppendBinary(buf[:0], meta.Src, meta.Dst, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestReceivePathAllocs makes the zero-allocation promise a test, not only a
// benchmark number.
func TestReceivePathAllocs(t *testing.T) {
	for _, g := range goldens {
		pkt := readHex(t, g.file)
		meta, msg := splitIP(t, pkt)
		want := expectFor(g)
		a := Advert{Addrs: make([]netip.Addr, 0, MaxAddrs)}
		buf := make([]byte, 0, 1500)
		n := testing.AllocsPerRun(100, func() {
			m, payload := meta, msg
			if meta.Family == IPv4 {
				var err error
				if m, payload, err = SplitIPv4(pkt); err != nil {
					t.Fatal(err)
				}
			}
			if err := ParseInto(&a, payload, m.Family); err != nil {
				t.Fatal(err)
			}
			if r := Validate(a, payload, m, want); r != OK {
				t.Fatal(r)
			}
			buf, _ = a.AppendBinary(buf[:0], m.Src, m.Dst, Options{})
			// A dropped garbage packet must not allocate either.
			_ = ParseInto(&a, payload[:3], m.Family)
			_ = Validate(a, payload[:len(payload)-1], m, want)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per receive+send, want 0", g.file, n)
		}
	}
}
