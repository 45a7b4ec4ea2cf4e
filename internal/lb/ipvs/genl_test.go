package ipvs

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/netlink"

	"gokeepalived/internal/lb"
)

// attrs flattens one level of netlink attributes into type → payload.
func attrs(t *testing.T, b []byte) map[uint16][]byte {
	t.Helper()
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint16][]byte{}
	for ad.Next() {
		out[ad.Type()] = ad.Bytes()
	}
	if err := ad.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func nested(t *testing.T, b []byte, typ uint16) map[uint16][]byte {
	t.Helper()
	top := attrs(t, b)
	inner, ok := top[typ]
	if !ok || len(top) != 1 {
		t.Fatalf("want exactly attribute %d at the top, got %v", typ, top)
	}
	return attrs(t, inner)
}

func u32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }
func u16(b []byte) uint16 { return binary.NativeEndian.Uint16(b) }

// TestEncodeDaemon: the NEW_DAEMON payload carries what the kernel's
// ip_vs_genl_new_daemon reads: state, NUL-terminated interface, sync id,
// and the optional maxlen, port, ttl and group, all in host byte order
// except the IPv4 group (network order).
func TestEncodeDaemon(t *testing.T) {
	b, err := encodeDaemon(lb.SyncDaemon{State: lb.SyncBackup, Interface: "eth1", SyncID: 42, MaxLen: 1400,
		Port: 8848, TTL: 3, Group: netip.MustParseAddr("239.1.2.3")})
	if err != nil {
		t.Fatal(err)
	}
	a := nested(t, b, cmdAttrDaemon)
	if got := u32(a[daemonAttrState]); got != 2 {
		t.Errorf("state %d, want 2 (backup)", got)
	}
	if got := a[daemonAttrMcastIfn]; !bytes.Equal(got, []byte("eth1\x00")) {
		t.Errorf("interface %q, want eth1 and a NUL", got)
	}
	if got := u32(a[daemonAttrSyncID]); got != 42 {
		t.Errorf("sync id %d", got)
	}
	if got := u16(a[daemonAttrSyncMaxLen]); got != 1400 {
		t.Errorf("maxlen %d", got)
	}
	if got := u16(a[daemonAttrMcastPort]); got != 8848 {
		t.Errorf("port %d", got)
	}
	if got := a[daemonAttrMcastTTL]; !bytes.Equal(got, []byte{3}) {
		t.Errorf("ttl %v", got)
	}
	if got := a[daemonAttrMcastGroup]; !bytes.Equal(got, []byte{239, 1, 2, 3}) {
		t.Errorf("group %v", got)
	}
	d, err := decodeDaemon(b)
	if err != nil {
		t.Fatal(err)
	}
	if d != (lb.SyncDaemon{State: lb.SyncBackup, Interface: "eth1", SyncID: 42, MaxLen: 1400, Port: 8848, TTL: 3,
		Group: netip.MustParseAddr("239.1.2.3")}) {
		t.Errorf("decoded back %+v", d)
	}

	// Defaults: only the three required attributes.
	b, err = encodeDaemon(lb.SyncDaemon{State: lb.SyncMaster, Interface: "eth0"})
	if err != nil {
		t.Fatal(err)
	}
	if a := nested(t, b, cmdAttrDaemon); len(a) != 3 {
		t.Errorf("minimal daemon has attributes %v, want state, interface, sync id", a)
	}
	b, _ = encodeDaemon(lb.SyncDaemon{State: lb.SyncMaster, Interface: "eth0", Group: netip.MustParseAddr("ff02::1:2")})
	if got := nested(t, b, cmdAttrDaemon)[daemonAttrMcastGroup6]; len(got) != 16 {
		t.Errorf("IPv6 group %v", got)
	}
	if _, err := encodeDaemon(lb.SyncDaemon{State: lb.SyncMaster, Interface: "an-interface-name"}); err == nil {
		t.Error("a 17-character interface name was encoded")
	}
	b, _ = encodeDaemonState(lb.SyncMaster)
	if a := nested(t, b, cmdAttrDaemon); len(a) != 1 || u32(a[daemonAttrState]) != 1 {
		t.Errorf("DEL_DAEMON payload %v", a)
	}
}

func TestEncodeTimeouts(t *testing.T) {
	b, err := encodeTimeouts(lb.Timeouts{TCP: 900 * time.Second, UDP: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a := attrs(t, b)
	if u32(a[cmdAttrTimeoutTCP]) != 900 || u32(a[cmdAttrTimeoutTCPFin]) != 0 || u32(a[cmdAttrTimeoutUDP]) != 30 {
		t.Errorf("timeouts %v", a)
	}
	got, err := decodeTimeouts(b)
	if err != nil || got != (lb.Timeouts{TCP: 900 * time.Second, UDP: 30 * time.Second}) {
		t.Errorf("decoded %+v, %v", got, err)
	}
}

// TestEncodeService: a service with a persistence engine, as the kernel's
// ip_vs_genl_parse_service reads it; and the identity read back pairs
// with the library's service (keyOf).
func TestEncodeService(t *testing.T) {
	s := lb.Service{Key: lb.Key{Addr: netip.MustParseAddr("192.0.2.10"), Port: 5060, Proto: lb.UDP, Family: lb.Inet},
		Scheduler: "rr", Persistence: 300 * time.Second, PersistenceBits: 24, Flags: lb.FlagOnePacket, PEName: "sip"}
	b, err := encodeService(s)
	if err != nil {
		t.Fatal(err)
	}
	a := nested(t, b, cmdAttrService)
	if u16(a[svcAttrAF]) != 2 || u16(a[svcAttrProtocol]) != 17 {
		t.Errorf("af/protocol %v %v", a[svcAttrAF], a[svcAttrProtocol])
	}
	if !bytes.Equal(a[svcAttrAddr], []byte{192, 0, 2, 10}) || !bytes.Equal(a[svcAttrPort], []byte{0x13, 0xc4}) {
		t.Errorf("addr/port %v %v", a[svcAttrAddr], a[svcAttrPort])
	}
	if string(a[svcAttrSchedName]) != "rr\x00" || string(a[svcAttrPEName]) != "sip\x00" {
		t.Errorf("sched/pe %q %q", a[svcAttrSchedName], a[svcAttrPEName])
	}
	if f := a[svcAttrFlags]; len(f) != 8 || u32(f[:4]) != 0x5 || u32(f[4:]) != 0xffffffff {
		t.Errorf("flags %v, want persistent|one-packet with a full mask", f)
	}
	if u32(a[svcAttrTimeout]) != 300 || !bytes.Equal(a[svcAttrNetmask], []byte{255, 255, 255, 0}) {
		t.Errorf("timeout/netmask %v %v", a[svcAttrTimeout], a[svcAttrNetmask])
	}

	// The kernel answers with a 16-byte address field for IPv4.
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrService, func(n *netlink.AttributeEncoder) error {
		n.Uint16(svcAttrAF, afInet)
		n.Uint16(svcAttrProtocol, 17)
		n.Bytes(svcAttrAddr, append([]byte{192, 0, 2, 10}, make([]byte, 12)...))
		n.Bytes(svcAttrPort, []byte{0x13, 0xc4})
		n.String(svcAttrPEName, "sip")
		return nil
	})
	ans, _ := ae.Encode()
	k, pe, err := decodeServicePE(ans)
	if err != nil || pe != "sip" || k != keyOf(s) {
		t.Errorf("read back %+v %q %v, want %+v sip", k, pe, err, keyOf(s))
	}

	fw := lb.Service{Key: lb.Key{FWMark: 7, Family: lb.Inet6}, Scheduler: "sh", Flags: lb.FlagSched1 | lb.FlagSched2, PEName: "sip"}
	b, _ = encodeService(fw)
	a = nested(t, b, cmdAttrService)
	if u32(a[svcAttrFWMark]) != 7 || a[svcAttrAddr] != nil || u16(a[svcAttrAF]) != 10 || u32(a[svcAttrNetmask]) != 128 {
		t.Errorf("fwmark service %v", a)
	}
	if _, err := encodeService(lb.Service{PEName: "a-very-long-engine"}); err == nil {
		t.Error("a 18-character engine name was encoded")
	}
}
