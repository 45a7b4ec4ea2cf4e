package ipvs

// The IPVS generic-netlink commands github.com/cloudflare/ipvs does not
// speak: the connection-synchronisation daemons (IPVS_CMD_NEW_DAEMON,
// DEL_DAEMON, GET_DAEMON), the timeouts (SET_CONFIG, GET_CONFIG: the
// library's SetConfig treats the kernel's bare acknowledgement as an
// error), and services with a persistence engine (the pe_name attribute,
// which the library neither writes nor reads). The message encoding is
// pure (tested without a kernel); conn carries it over a genetlink socket
// of its own, opened next to the library's on the same thread.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"gokeepalived/internal/lb"
)

// linux/ip_vs.h.
const (
	genlName    = "IPVS"
	genlVersion = 1

	cmdNewService = 1
	cmdSetService = 2
	cmdGetService = 4
	cmdNewDaemon  = 9
	cmdDelDaemon  = 10
	cmdGetDaemon  = 11
	cmdSetConfig  = 12
	cmdGetConfig  = 13

	cmdAttrService       = 1
	cmdAttrDaemon        = 3
	cmdAttrTimeoutTCP    = 4
	cmdAttrTimeoutTCPFin = 5
	cmdAttrTimeoutUDP    = 6

	svcAttrAF        = 1
	svcAttrProtocol  = 2
	svcAttrAddr      = 3
	svcAttrPort      = 4
	svcAttrFWMark    = 5
	svcAttrSchedName = 6
	svcAttrFlags     = 7
	svcAttrTimeout   = 8
	svcAttrNetmask   = 9
	svcAttrPEName    = 11

	daemonAttrState       = 1
	daemonAttrMcastIfn    = 2
	daemonAttrSyncID      = 3
	daemonAttrSyncMaxLen  = 4
	daemonAttrMcastGroup  = 5
	daemonAttrMcastGroup6 = 6
	daemonAttrMcastPort   = 7
	daemonAttrMcastTTL    = 8

	svcFlagPersistent = 0x0001

	afInet  = 2
	afInet6 = 10

	// ipvsPENameMax is IP_VS_PENAME_MAXLEN (with its NUL).
	ipvsPENameMax = 16
	// ifNameMax is IP_VS_IFNAME_MAXLEN (with its NUL).
	ifNameMax = 16
)

// encodeDaemon is the CMD_NEW_DAEMON payload for one sync daemon; the
// kernel requires state, interface and sync id, the rest is optional
// (zero leaves the kernel's default).
func encodeDaemon(d lb.SyncDaemon) ([]byte, error) {
	if d.Interface == "" || len(d.Interface) >= ifNameMax {
		return nil, fmt.Errorf("sync daemon interface %q: want 1 to %d characters", d.Interface, ifNameMax-1)
	}
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrDaemon, func(n *netlink.AttributeEncoder) error {
		n.Uint32(daemonAttrState, uint32(d.State))
		n.String(daemonAttrMcastIfn, d.Interface)
		n.Uint32(daemonAttrSyncID, uint32(d.SyncID))
		if d.MaxLen != 0 {
			n.Uint16(daemonAttrSyncMaxLen, d.MaxLen)
		}
		if d.Port != 0 {
			n.Uint16(daemonAttrMcastPort, d.Port)
		}
		if d.TTL != 0 {
			n.Uint8(daemonAttrMcastTTL, d.TTL)
		}
		switch g := d.Group.Unmap(); {
		case g.Is4():
			b := g.As4()
			n.Bytes(daemonAttrMcastGroup, b[:])
		case g.Is6():
			b := g.As16()
			n.Bytes(daemonAttrMcastGroup6, b[:])
		}
		return nil
	})
	return ae.Encode()
}

// encodeDaemonState is the CMD_DEL_DAEMON payload: the kernel needs only
// the state to stop.
func encodeDaemonState(s lb.SyncState) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrDaemon, func(n *netlink.AttributeEncoder) error {
		n.Uint32(daemonAttrState, uint32(s))
		return nil
	})
	return ae.Encode()
}

// decodeDaemon reads one CMD_GET_DAEMON answer.
func decodeDaemon(b []byte) (lb.SyncDaemon, error) {
	var d lb.SyncDaemon
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return d, err
	}
	for ad.Next() {
		if ad.Type() != cmdAttrDaemon {
			continue
		}
		ad.Nested(func(n *netlink.AttributeDecoder) error {
			for n.Next() {
				switch n.Type() {
				case daemonAttrState:
					d.State = lb.SyncState(n.Uint32())
				case daemonAttrMcastIfn:
					d.Interface = n.String()
				case daemonAttrSyncID:
					d.SyncID = uint8(n.Uint32())
				case daemonAttrSyncMaxLen:
					d.MaxLen = n.Uint16()
				case daemonAttrMcastPort:
					d.Port = n.Uint16()
				case daemonAttrMcastTTL:
					d.TTL = n.Uint8()
				case daemonAttrMcastGroup:
					if a, ok := netip.AddrFromSlice(n.Bytes()); ok && a.Unmap() != netip.IPv4Unspecified() {
						d.Group = a.Unmap()
					}
				case daemonAttrMcastGroup6:
					if a, ok := netip.AddrFromSlice(n.Bytes()); ok && a != netip.IPv6Unspecified() {
						d.Group = a
					}
				}
			}
			return nil
		})
	}
	return d, ad.Err()
}

// encodeTimeouts is the CMD_SET_CONFIG payload; a zero timeout leaves the
// kernel's value as it is (as the kernel reads zero).
func encodeTimeouts(t lb.Timeouts) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(cmdAttrTimeoutTCP, secs(t.TCP))
	ae.Uint32(cmdAttrTimeoutTCPFin, secs(t.TCPFin))
	ae.Uint32(cmdAttrTimeoutUDP, secs(t.UDP))
	return ae.Encode()
}

func secs(d time.Duration) uint32 { return uint32(d / time.Second) }

// decodeTimeouts reads the CMD_GET_CONFIG answer.
func decodeTimeouts(b []byte) (lb.Timeouts, error) {
	var t lb.Timeouts
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return t, err
	}
	for ad.Next() {
		v := time.Duration(ad.Uint32()) * time.Second
		switch ad.Type() {
		case cmdAttrTimeoutTCP:
			t.TCP = v
		case cmdAttrTimeoutTCPFin:
			t.TCPFin = v
		case cmdAttrTimeoutUDP:
			t.UDP = v
		}
	}
	return t, ad.Err()
}

// encodeService is the CMD_NEW_SERVICE / CMD_SET_SERVICE payload of a
// whole service, the persistence engine included.
func encodeService(s lb.Service) ([]byte, error) {
	if len(s.PEName) >= ipvsPENameMax {
		return nil, fmt.Errorf("persistence engine %q longer than %d characters", s.PEName, ipvsPENameMax-1)
	}
	ae := netlink.NewAttributeEncoder()
	ae.Nested(cmdAttrService, func(n *netlink.AttributeEncoder) error {
		af, total := uint16(afInet), 32
		if s.Family == lb.Inet6 {
			af, total = afInet6, 128
		}
		n.Uint16(svcAttrAF, af)
		if s.FWMark != 0 {
			n.Uint32(svcAttrFWMark, s.FWMark)
		} else {
			n.Uint16(svcAttrProtocol, protoNumber(s.Proto))
			n.Bytes(svcAttrAddr, s.Addr.Unmap().AsSlice())
			port := make([]byte, 2)
			binary.BigEndian.PutUint16(port, s.Port)
			n.Bytes(svcAttrPort, port)
		}
		n.String(svcAttrSchedName, s.Scheduler)
		flags := uint32(s.Flags & lb.SettableFlags)
		if s.Persistence > 0 {
			flags |= svcFlagPersistent
		}
		fl := make([]byte, 8)
		binary.NativeEndian.PutUint32(fl[0:4], flags)
		binary.NativeEndian.PutUint32(fl[4:8], 0xffffffff)
		n.Bytes(svcAttrFlags, fl)
		n.Uint32(svcAttrTimeout, secs(s.Persistence))
		bits := s.PersistenceBits
		if bits == 0 || bits > total {
			bits = total
		}
		mask := make([]byte, 4)
		if total == 32 {
			binary.BigEndian.PutUint32(mask, ^uint32(0)<<(32-bits))
		} else {
			binary.NativeEndian.PutUint32(mask, uint32(bits))
		}
		n.Bytes(svcAttrNetmask, mask)
		if s.PEName != "" {
			n.String(svcAttrPEName, s.PEName)
		}
		return nil
	})
	return ae.Encode()
}

func protoNumber(p lb.Proto) uint16 {
	switch p {
	case lb.TCP:
		return 6
	case lb.UDP:
		return 17
	case lb.SCTP:
		return 132
	}
	return 0
}

// peKey is what identifies a service in a GET_SERVICE answer, for pairing
// a persistence engine with the library's read-back.
type peKey struct {
	fwmark uint32
	af     uint16 // fwmark services only
	proto  uint16
	addr   netip.Addr
	port   uint16
}

// decodeServicePE reads one GET_SERVICE answer's identity and pe_name.
func decodeServicePE(b []byte) (peKey, string, error) {
	var k peKey
	var pe string
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return k, "", err
	}
	for ad.Next() {
		if ad.Type() != cmdAttrService {
			continue
		}
		ad.Nested(func(n *netlink.AttributeDecoder) error {
			var af uint16
			var addr []byte
			for n.Next() {
				switch n.Type() {
				case svcAttrAF:
					af = n.Uint16()
				case svcAttrFWMark:
					k.fwmark = n.Uint32()
				case svcAttrProtocol:
					k.proto = n.Uint16()
				case svcAttrAddr:
					addr = n.Bytes()
				case svcAttrPort:
					if p := n.Bytes(); len(p) == 2 {
						k.port = binary.BigEndian.Uint16(p)
					}
				case svcAttrPEName:
					pe = n.String()
				}
			}
			if af == afInet && len(addr) >= 4 {
				addr = addr[:4]
			}
			if k.fwmark != 0 {
				k.af = af
			} else if a, ok := netip.AddrFromSlice(addr); ok {
				k.addr = a.Unmap()
			}
			return nil
		})
	}
	return k, pe, ad.Err()
}

// keyOf is the peKey of a service as the library reports it back
// (IPv4 addresses in a 16-byte field are unmapped by both sides).
func keyOf(s lb.Service) peKey {
	if s.FWMark != 0 {
		af := uint16(afInet)
		if s.Family == lb.Inet6 {
			af = afInet6
		}
		return peKey{fwmark: s.FWMark, af: af}
	}
	return peKey{proto: protoNumber(s.Proto), addr: s.Addr.Unmap(), port: s.Port}
}

// conn is a genetlink socket on the IPVS family.
type conn struct {
	c      *genetlink.Conn
	family uint16
}

func dialConn() (*conn, error) {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return nil, err
	}
	f, err := c.GetFamily(genlName)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return &conn{c: c, family: f.ID}, nil
}

func (c *conn) close() error { return c.c.Close() }

func (c *conn) do(cmd uint8, data []byte, flags netlink.HeaderFlags) ([]genetlink.Message, error) {
	msg := genetlink.Message{Header: genetlink.Header{Command: cmd, Version: genlVersion}, Data: data}
	return c.c.Execute(msg, c.family, netlink.Request|flags)
}

// peNames maps every service with a persistence engine to its name.
func (c *conn) peNames() (map[peKey]string, error) {
	msgs, err := c.do(cmdGetService, nil, netlink.Dump)
	if err != nil {
		return nil, err
	}
	out := map[peKey]string{}
	for _, m := range msgs {
		k, pe, err := decodeServicePE(m.Data)
		if err != nil {
			return nil, err
		}
		if pe != "" {
			out[k] = pe
		}
	}
	return out, nil
}

func (c *conn) writeService(cmd uint8, s lb.Service) error {
	b, err := encodeService(s)
	if err != nil {
		return err
	}
	_, err = c.do(cmd, b, netlink.Acknowledge)
	return err
}

// errNotOpen is returned by the extra commands before Open.
var errNotOpen = errors.New("ipvs: backend not open")
