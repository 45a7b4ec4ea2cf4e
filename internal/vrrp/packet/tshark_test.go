package packet

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTsharkDecodes writes our encoded adverts into a pcap (Ethernet + IP +
// VRRP) and asks Wireshark's dissector, an independent implementation, to
// decode them with checksum validation on. Every advert must decode as VRRP
// with the fields we encoded, a good VRRP (and IPv4 header) checksum, and no
// malformed or expert warnings. A corrupted control packet must come out Bad,
// which proves the validation is really on.
func TestTsharkDecodes(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install tshark); skipping the Wireshark cross-check")
	}
	type pkt struct {
		name     string
		adv      Advert
		src, dst netip.Addr
		corrupt  bool // flip a checksum bit: the control
	}
	v6src := netip.MustParseAddr("fe80::1")
	defaultForm := []pkt{
		{name: "v2 PASS 3 VIPs", src: ka4, dst: mcast4, adv: Advert{Version: 2, Type: 1, VRID: 51, Priority: 150,
			AuthType: AuthPass, AdverInt: 1, Addrs: addrs("192.0.2.51", "192.0.2.52", "198.51.100.51"), AuthData: secret12}},
		{name: "v2 no auth prio 0", src: ka4, dst: mcast4, adv: Advert{Version: 2, Type: 1, VRID: 54, Priority: 0,
			AdverInt: 2, Addrs: addrs("203.0.113.54")}},
		{name: "v3 IPv4 pseudo-header checksum", src: ka4, dst: mcast4, adv: Advert{Version: 3, Type: 1, VRID: 52,
			Priority: 200, AdverInt: 50, Addrs: addrs("192.0.2.20", "192.0.2.21", "203.0.113.20")}},
		{name: "v3 IPv4 unicast", src: ka4, dst: peer4, adv: Advert{Version: 3, Type: 1, VRID: 55, Priority: 100,
			AdverInt: 4095, Addrs: addrs("198.51.100.55")}},
		{name: "v3 IPv6", src: v6src, dst: mcast6, adv: Advert{Version: 3, Type: 1, VRID: 53, Priority: 255,
			AdverInt: 75, Addrs: addrs("fe80::53", "2001:db8::53", "2001:db8:1::53")}},
		{name: "v3 IPv4 control", corrupt: true, src: ka4, dst: mcast4, adv: Advert{Version: 3, Type: 1, VRID: 52,
			Priority: 200, AdverInt: 50, Addrs: addrs("192.0.2.20")}},
	}
	asV2Form := []pkt{
		{name: "v3 IPv4 message-only checksum", src: ka4, dst: mcast4, adv: Advert{Version: 3, Type: 1, VRID: 52,
			Priority: 200, AdverInt: 50, Addrs: addrs("192.0.2.20", "192.0.2.21", "203.0.113.20")}},
		{name: "v3 IPv4 message-only checksum, prio 0", src: ka4, dst: mcast4, adv: Advert{Version: 3, Type: 1, VRID: 1,
			Priority: 0, AdverInt: 100, Addrs: addrs("198.51.100.1")}},
		{name: "v3 IPv4 control", corrupt: true, src: ka4, dst: mcast4, adv: Advert{Version: 3, Type: 1, VRID: 52,
			Priority: 200, AdverInt: 50, Addrs: addrs("192.0.2.20")}},
	}

	for _, run := range []struct {
		pref  string // vrrp.v3_checksum_as_in_v2
		opts  Options
		pkts  []pkt
		label string
	}{
		{"FALSE", Options{}, defaultForm, "keepalived default form"},
		{"TRUE", Options{ChecksumAsV2: true}, asV2Form, "v3_checksum_as_v2 form"},
	} {
		t.Run(run.label, func(t *testing.T) {
			var frames [][]byte
			for _, p := range run.pkts {
				msg, err := p.adv.Marshal(p.src, p.dst, run.opts)
				if err != nil {
					t.Fatalf("%s: Marshal: %v", p.name, err)
				}
				if p.corrupt {
					msg[7] ^= 0x01
				}
				frames = append(frames, ethernetFrame(p.adv.VRID, p.src, p.dst, msg))
			}
			file := filepath.Join(t.TempDir(), "adverts.pcap")
			if err := os.WriteFile(file, pcap(frames), 0o644); err != nil {
				t.Fatal(err)
			}
			fields := []string{"frame.number", "vrrp.checksum.status", "ip.checksum.status", "_ws.malformed",
				"_ws.expert.severity", "vrrp.version", "vrrp.type", "vrrp.virt_rtr_id", "vrrp.prio",
				"vrrp.addr_count", "vrrp.adver_int", "vrrp.short_adver_int", "vrrp.auth_type",
				"vrrp.ip_addr", "vrrp.ipv6_addr", "vrrp.auth_string"}
			args := []string{"-r", file, "-n",
				"-o", "vrrp.v3_checksum_as_in_v2:" + run.pref,
				"-o", "ip.check_checksum:TRUE",
				"-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"}
			for _, f := range fields {
				args = append(args, "-e", f)
			}
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(tshark, args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if len(lines) != len(run.pkts) {
				t.Fatalf("tshark decoded %d frames, wrote %d:\n%s", len(lines), len(run.pkts), stdout.String())
			}
			for i, p := range run.pkts {
				got := strings.Split(lines[i], "|")
				if len(got) != len(fields) {
					t.Fatalf("%s: tshark line %q has %d fields, want %d", p.name, lines[i], len(got), len(fields))
				}
				f := make(map[string]string, len(fields))
				for j, name := range fields {
					f[name] = got[j]
				}
				checkTshark(t, p.name, p.adv, p.corrupt, f)
			}
		})
	}
}

// checkTshark compares tshark's fields for one frame with the advert.
func checkTshark(t *testing.T, name string, a Advert, corrupt bool, f map[string]string) {
	t.Helper()
	// Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
	wantStatus := "1"
	if corrupt {
		wantStatus = "0"
	}
	if f["vrrp.checksum.status"] != wantStatus {
		t.Errorf("%s: vrrp.checksum.status = %q, want %q", name, f["vrrp.checksum.status"], wantStatus)
	}
	if a.Addrs[0].Is4() && f["ip.checksum.status"] != "1" {
		t.Errorf("%s: IPv4 header checksum status %q, want good (1)", name, f["ip.checksum.status"])
	}
	if f["_ws.malformed"] != "" {
		t.Errorf("%s: tshark says malformed", name)
	}
	if !corrupt && f["_ws.expert.severity"] != "" {
		t.Errorf("%s: tshark expert info severity %q", name, f["_ws.expert.severity"])
	}
	var ips []string
	for _, ip := range a.Addrs {
		ips = append(ips, ip.String())
	}
	want := map[string]string{
		"vrrp.version":     strconv.Itoa(int(a.Version)),
		"vrrp.type":        strconv.Itoa(int(a.Type)),
		"vrrp.virt_rtr_id": strconv.Itoa(int(a.VRID)),
		"vrrp.prio":        strconv.Itoa(int(a.Priority)),
		"vrrp.addr_count":  strconv.Itoa(len(a.Addrs)),
	}
	if a.Addrs[0].Is4() {
		want["vrrp.ip_addr"] = strings.Join(ips, ",")
	} else {
		want["vrrp.ipv6_addr"] = strings.Join(ips, ",")
	}
	if a.Version == 2 {
		want["vrrp.adver_int"] = strconv.Itoa(int(a.AdverInt))
		want["vrrp.auth_type"] = strconv.Itoa(int(a.AuthType))
		if a.AuthType == AuthPass {
			want["vrrp.auth_string"] = string(bytes.TrimRight(a.AuthData[:], "\x00"))
		}
	} else {
		want["vrrp.short_adver_int"] = strconv.Itoa(int(a.AdverInt))
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s: tshark %s = %q, want %q", name, k, f[k], v)
		}
	}
}

// ethernetFrame wraps msg in the IP header keepalived sends (IPv4) or the
// kernel builds (IPv6: traffic class 0xc0, hop limit 255) and an Ethernet
// header from the VRRP virtual MAC (RFC 9568 §7.3) to the group's MAC.
func ethernetFrame(vrid uint8, src, dst netip.Addr, msg []byte) []byte {
	var b []byte
	if src.Is4() {
		d := dst.As4()
		dmac := []byte{0x01, 0x00, 0x5e, d[1] & 0x7f, d[2], d[3]}
		if !dst.IsMulticast() {
			dmac = []byte{0x02, 0, 0, 0, 0, 0x02}
		}
		b = append(b, dmac...)
		b = append(b, 0x00, 0x00, 0x5e, 0x00, 0x01, vrid, 0x08, 0x00)
		b = AppendIPv4Header(b, src, dst, 1, len(msg))
	} else {
		d := dst.As16()
		b = append(b, 0x33, 0x33, d[12], d[13], d[14], d[15])
		b = append(b, 0x00, 0x00, 0x5e, 0x00, 0x02, vrid, 0x86, 0xdd)
		b = append(b, 0x6c, 0x00, 0x00, 0x00, byte(len(msg)>>8), byte(len(msg)), Protocol, TTL)
		s := src.As16()
		b = append(b, s[:]...)
		b = append(b, d[:]...)
	}
	return append(b, msg...)
}

// pcap is a classic libpcap file with Ethernet link type.
func pcap(frames [][]byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint32(b, 0)     // thiszone
	b = binary.LittleEndian.AppendUint32(b, 0)     // sigfigs
	b = binary.LittleEndian.AppendUint32(b, 65535) // snaplen
	b = binary.LittleEndian.AppendUint32(b, 1)     // LINKTYPE_ETHERNET
	for i, f := range frames {
		b = binary.LittleEndian.AppendUint32(b, uint32(i+1)) // ts sec
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}
