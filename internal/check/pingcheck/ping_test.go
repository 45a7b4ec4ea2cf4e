package pingcheck

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/icmp"

	"gokeepalived/internal/check/probe"
)

// canPing reports whether this host lets us open an ICMP socket at all.
func canPing(t *testing.T) {
	t.Helper()
	if pc, err := icmp.ListenPacket("udp4", ""); err == nil {
		pc.Close()
		return
	}
	if pc, err := icmp.ListenPacket("ip4:icmp", ""); err == nil {
		pc.Close()
		return
	}
	if os.Getenv("GOKEEPALIVED_REQUIRE_ROOT") == "1" {
		t.Fatal("no ICMP socket available and GOKEEPALIVED_REQUIRE_ROOT=1")
	}
	t.Skip("no ping socket (ping_group_range) and no CAP_NET_RAW")
}

func TestPingLoopback(t *testing.T) {
	canPing(t)
	for _, a := range []string{"127.0.0.1", "::1"} {
		r := New(Config{Conn: probe.Conn{Addr: netip.AddrPortFrom(netip.MustParseAddr(a), 0)}}).Check(context.Background())
		if strings.Contains(r.Reason, "open ICMP socket") && a == "::1" {
			continue // no IPv6 on this host
		}
		if !r.OK {
			t.Errorf("ping %s: %+v", a, r)
		}
	}
}
