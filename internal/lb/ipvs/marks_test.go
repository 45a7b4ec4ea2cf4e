package ipvs

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"gokeepalived/internal/lb"
	"gokeepalived/internal/linux/netnstest"
	"gokeepalived/internal/testutil/poll"
)

var marksTable = lb.MarkTable{Name: "keepalived_ipvs", Priority: -1, Ranges: []lb.MarkRange{
	{First: netip.MustParseAddr("192.0.2.20"), Last: netip.MustParseAddr("192.0.2.29"), Port: 80, Proto: lb.TCP, Mark: 1000},
	{First: netip.MustParseAddr("192.0.2.53"), Last: netip.MustParseAddr("192.0.2.53"), Port: 53, Proto: lb.UDP, Mark: 1001},
	{First: netip.MustParseAddr("2001:db8::20"), Last: netip.MustParseAddr("2001:db8::2f"), Port: 443, Proto: lb.TCP, Mark: 1002},
}}

// TestMarkRules: the nftables_ipvs ruleset as data, as keepalived 2.2.7's
// check_nftables.c builds it: per family an input-hook filter chain "in"
// at the configured priority, one interval map per protocol keyed by
// address . port with the mark as data (host order, as meta mark reads
// it), and a rule per map: l4proto, daddr into register 1, dport into the
// next 32-bit register, lookup, meta mark set, counter, return.
func TestMarkRules(t *testing.T) {
	fams, err := markRules(marksTable)
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 2 || fams[0].family != nftables.TableFamilyIPv4 || fams[1].family != nftables.TableFamilyIPv6 {
		t.Fatalf("families %+v, want ip then ip6", fams)
	}
	for _, f := range fams {
		c := f.chain
		if c.Name != "in" || c.Table.Name != "keepalived_ipvs" || c.Type != nftables.ChainTypeFilter ||
			*c.Hooknum != *nftables.ChainHookInput || *c.Priority != -1 || *c.Policy != nftables.ChainPolicyAccept {
			t.Errorf("%v chain %+v", f.family, c)
		}
	}
	v4 := fams[0]
	if len(v4.maps) != 2 || v4.maps[0].set.Name != "tcp_map" || v4.maps[1].set.Name != "udp_map" {
		t.Fatalf("ip maps: %+v", v4.maps)
	}
	tcp := v4.maps[0]
	s := tcp.set
	if !s.IsMap || !s.Interval || !s.Concatenation || s.KeyType.Name != "ipv4_addr . inet_service" || s.KeyType.Bytes != 8 ||
		s.DataType != nftables.TypeMark {
		t.Errorf("tcp_map %+v", s)
	}
	e := tcp.elems[0]
	if string(e.Key) != "\xc0\x00\x02\x14\x00\x50\x00\x00" || string(e.KeyEnd) != "\xc0\x00\x02\x1d\x00\x50\x00\x00" ||
		binary.NativeEndian.Uint32(e.Val) != 1000 {
		t.Errorf("tcp element key %x end %x val %x", e.Key, e.KeyEnd, e.Val)
	}
	r := tcp.rule
	want := []string{"meta", "cmp", "payload", "payload", "lookup", "meta", "counter", "immediate"}
	if len(r) != len(want) {
		t.Fatalf("rule %d expressions, want %d", len(r), len(want))
	}
	if m := r[0].(*expr.Meta); m.Key != expr.MetaKeyL4PROTO || r[1].(*expr.Cmp).Data[0] != 6 {
		t.Errorf("l4proto match %+v %+v", r[0], r[1])
	}
	if p := r[2].(*expr.Payload); p.Offset != 16 || p.Len != 4 || p.DestRegister != 1 || p.Base != expr.PayloadBaseNetworkHeader {
		t.Errorf("daddr %+v", p)
	}
	if p := r[3].(*expr.Payload); p.Offset != 2 || p.Len != 2 || p.DestRegister != 9 || p.Base != expr.PayloadBaseTransportHeader {
		t.Errorf("dport %+v", p)
	}
	if l := r[4].(*expr.Lookup); l.SetName != "tcp_map" || l.SourceRegister != 1 || !l.IsDestRegSet || l.DestRegister != 1 {
		t.Errorf("lookup %+v", l)
	}
	if m := r[5].(*expr.Meta); m.Key != expr.MetaKeyMARK || !m.SourceRegister {
		t.Errorf("mark set %+v", m)
	}
	if v := r[7].(*expr.Verdict); v.Kind != expr.VerdictReturn {
		t.Errorf("verdict %+v", v)
	}
	v6 := fams[1].maps
	if len(v6) != 1 || v6[0].set.KeyType.Bytes != 20 || v6[0].rule[2].(*expr.Payload).Offset != 24 ||
		v6[0].rule[2].(*expr.Payload).Len != 16 || v6[0].rule[3].(*expr.Payload).DestRegister != 2 {
		t.Errorf("ip6 map %+v rule %+v", v6[0].set, v6[0].rule)
	}
	if _, err := markRules(lb.MarkTable{Name: "x", Ranges: []lb.MarkRange{{First: netip.MustParseAddr("192.0.2.9"),
		Last: netip.MustParseAddr("192.0.2.1"), Proto: lb.TCP, Mark: 1}}}); err == nil {
		t.Error("a reversed range was accepted")
	}
}

// TestMarksInKernel: the table written in a namespace of this machine's
// kernel (nftables needs no IPVS): `nft list` shows keepalived's ruleset,
// a TCP SYN to an address of the range (local, so it reaches the input
// hook) leaves with mark 1000 (a later chain counts packets so marked),
// one to an address outside it is not marked; rewriting changes the
// priority; RemoveMarks deletes both tables.
func TestMarksInKernel(t *testing.T) {
	netnstest.RequireRootFor(t, "nftables in a network namespace")
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed")
	}
	ns := netnstest.New(t)
	ns.Run(t, "ip", "link", "set", "lo", "up")
	ns.Run(t, "ip", "addr", "add", "192.0.2.25/32", "dev", "lo")
	ns.Run(t, "ip", "addr", "add", "192.0.2.40/32", "dev", "lo")
	b := NewWith(Options{NetNSFd: int(ns.Handle())})
	if err := b.SetMarks(marksTable); err != nil {
		t.Fatal(err)
	}
	out := squash(ns.Run(t, "nft", "list", "table", "ip", "keepalived_ipvs"))
	t.Logf("nft list table ip keepalived_ipvs:\n%s", out)
	// nft shows a mark as it reads the map's bytes without the data
	// byte-order annotation keepalived's libnftnl code adds (google/nftables
	// cannot write it): 1000 in host order, printed big-endian. The kernel
	// marks 1000 (checked below); nft infers "tcp" from the l4proto match
	// and leaves the match out of the listing.
	mark1000 := fmt.Sprintf("0x%08x", binary.BigEndian.Uint32(binary.NativeEndian.AppendUint32(nil, 1000)))
	for _, want := range []string{
		"type ipv4_addr . inet_service : mark",
		"flags interval",
		"192.0.2.20-192.0.2.29 . 80 : " + mark1000,
		"type filter hook input priority filter - 1; policy accept;",
		"meta mark set ip daddr . tcp dport map @tcp_map counter packets 0 bytes 0 return",
		"meta mark set ip daddr . udp dport map @udp_map counter",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ruleset lacks %q", want)
		}
	}
	if out6 := squash(ns.Run(t, "nft", "list", "table", "ip6", "keepalived_ipvs")); !strings.Contains(out6, "2001:db8::20/124 . 443 : ") ||
		!strings.Contains(out6, "meta mark set ip6 daddr . tcp dport map @tcp_map counter") {
		t.Errorf("ip6 table:\n%s", out6)
	}
	// Count packets marked 1000 after the mark chain (priority 0 > -1).
	ns.Run(t, "nft", "add", "table", "ip", "gktest")
	ns.Run(t, "nft", "add chain ip gktest seen { type filter hook input priority 0; policy accept; }")
	ns.Run(t, "nft", "add rule ip gktest seen meta mark 1000 tcp dport 80 counter")
	syn := func(addr string) {
		// A refused connection is fine: its SYN went through the input hook.
		_, _ = exec.Command("ip", "netns", "exec", ns.Name, "bash", "-c", "exec 3<>/dev/tcp/"+addr+"/80").CombinedOutput()
	}
	syn("192.0.2.40") // outside the range: not marked
	syn("192.0.2.25")
	poll.Until(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		got := squash(ns.Run(t, "nft", "list", "chain", "ip", "gktest", "seen"))
		return strings.Contains(got, "counter packets 1 "), got
	})
	if out := squash(ns.Run(t, "nft", "list", "table", "ip", "keepalived_ipvs")); !strings.Contains(out, "@tcp_map counter packets 1 ") {
		t.Errorf("the mark rule did not count the one SYN in range:\n%s", out)
	}
	mt := marksTable
	mt.Priority = 7
	if err := b.SetMarks(mt); err != nil {
		t.Fatal(err)
	}
	if out := squash(ns.Run(t, "nft", "list", "table", "ip", "keepalived_ipvs")); !strings.Contains(out, "hook input priority filter + 7;") {
		t.Errorf("rewritten priority:\n%s", out)
	}
	if err := b.RemoveMarks("keepalived_ipvs"); err != nil {
		t.Fatal(err)
	}
	if out := ns.Run(t, "nft", "list", "tables"); strings.Contains(out, "keepalived_ipvs") {
		t.Errorf("tables left after RemoveMarks:\n%s", out)
	}
	if err := b.RemoveMarks("keepalived_ipvs"); err != nil {
		t.Errorf("removing an absent table: %v", err)
	}
}
