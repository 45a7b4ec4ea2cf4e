package e2e

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	vnetns "github.com/vishvananda/netns"

	"gokeepalived/test/e2e/netns"
)

// The rows of docs/rfc-ledger.md that only the kernel's answers on a real
// link can show (the subtests are named by their ledger IDs): who answers
// ARP and Neighbor Solicitations for the VIP, with which MAC and flags, and
// that no Router Advertisement is sent. The pair is gokeepalived master and
// backup; then the roles swap (the master restarted with a lower priority)
// and the probes run again, so "the backup does not answer" is checked on
// both nodes.
func TestRFCLedgerNeighbours(t *testing.T) {
	t.Parallel()
	t.Run("ipv4", func(t *testing.T) {
		t.Parallel()
		conf := func(prio int) string {
			return vrrpConf{State: "BACKUP", Priority: prio, Version: 3, AdvertInt: "0.5", VIPs: []string{vip + "/24"}}.String()
		}
		c := newCluster(t, "rla", vip, clientAddr)
		m := c.add("master", netns.Gokeepalived, conf(100), masterAddr)
		b := c.add("backup", netns.Gokeepalived, conf(90), backupAddr)
		c.start(m, b)
		roles := func(master, backup *member, phase string) {
			netns.Eventually(t, converge, c.only(master))
			mmac, bmac := memberMAC(t, master), memberMAC(t, backup)
			// RFC9568-6.4.2-1 / RFC3768-6.4-1: a backup MUST NOT answer
			// ARP for the VIPs; RFC9568-6.4.3-1 (deviation, as keepalived):
			// the master answers with its interface MAC, not the virtual
			// MAC, unless use_vmac (TestFeatureUseVMAC).
			t.Run("RFC9568-6.4.2-1_backup_does_not_answer_ARP_"+phase, func(t *testing.T) {
				netns.Eventually(t, converge, func() (bool, string) {
					macs := arpWhoHas(t, c.client, "eth0", netip.MustParseAddr(strings.Split(clientAddr, "/")[0]), netip.MustParseAddr(vip))
					return slices.Equal(macs, []string{mmac}), fmt.Sprintf("ARP replies for %s from %v; want only the master's %s (backup %s)", vip, macs, mmac, bmac)
				})
			})
			// RFC9568-6.4.2-5: the backup does not accept packets for the
			// VIPs: its kernel does not have them.
			t.Run("RFC9568-6.4.2-5_backup_does_not_accept_"+phase, func(t *testing.T) {
				if backup.node.HasAddr(vip) {
					t.Errorf("the backup %s has %s: it would accept packets for it", backup, vip)
				}
			})
			// RFC9568-6.4.3-6: the master accepts packets for the VIPs
			// (Accept_Mode, keepalived's default): its nginx answers.
			t.Run("RFC9568-6.4.3-6_master_accepts_"+phase, func(t *testing.T) {
				netns.Eventually(t, converge, func() (bool, string) {
					out, err := c.client.Exec(context.Background(), "curl", "-fsS", "-m", "1", "http://"+vip+"/")
					return err == nil && strings.TrimSpace(out) == master.name, fmt.Sprintf("GET http://%s/: %q %v, want %q", vip, out, err, master.name)
				})
			})
		}
		roles(m, b, "initial")
		swap(t, c, m, conf(50))
		roles(b, m, "swapped")
	})
	t.Run("ipv6", func(t *testing.T) {
		t.Parallel()
		const vip6 = "2001:db8::100"
		conf := func(prio int) string {
			return vrrpConf{State: "BACKUP", Priority: prio, Version: 3, AdvertInt: "0.5",
				VIPs: []string{"fe80::5e:51/64", vip6 + "/64"}}.String()
		}
		c := newCluster(t, "rln", vip6, "2001:db8::10/64")
		m := c.add("master", netns.Gokeepalived, conf(100), "2001:db8::1/64")
		b := c.add("backup", netns.Gokeepalived, conf(90), "2001:db8::2/64")
		for _, n := range []*member{m, b} {
			// VRRP nodes are routers: the kernel sets the NA Router flag
			// on an interface that forwards.
			n.node.MustExec("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
		}
		nd := listenND(t, c.client, "eth0")
		c.start(m, b)
		roles := func(master, backup *member, phase string) {
			netns.Eventually(t, converge, c.only(master))
			mmac, bmac := memberMAC(t, master), memberMAC(t, backup)
			var nas []naSeen
			// RFC9568-6.4.2-2: a backup MUST NOT answer NS for the VIPs.
			t.Run("RFC9568-6.4.2-2_backup_does_not_answer_NS_"+phase, func(t *testing.T) {
				netns.Eventually(t, converge, func() (bool, string) {
					nas = nd.solicit(t, c.client, netip.MustParseAddr(vip6))
					var macs []string
					for _, na := range nas {
						if na.solicited {
							macs = append(macs, na.mac)
						}
					}
					return slices.Equal(macs, []string{mmac}), fmt.Sprintf("NA answers for %s from %v; want only the master's %s (backup %s)", vip6, macs, mmac, bmac)
				})
			})
			// RFC9568-6.4.3-2: the master joined the VIP's solicited-node
			// group (the kernel does, with the address): the client's NS,
			// sent to that group, is answered.
			t.Run("RFC9568-6.4.3-2_master_answers_NS_to_the_solicited-node_group_"+phase, func(t *testing.T) {
				if len(nas) == 0 {
					t.Fatalf("no NA from the master for %s", vip6)
				}
			})
			// RFC9568-6.4.3-3: the master answers NS with the Router flag
			// (the kernel's answer on a forwarding interface).
			t.Run("RFC9568-6.4.3-3_master_answers_NS_with_Router_flag_"+phase, func(t *testing.T) {
				if len(nas) == 0 {
					t.Fatalf("no NA from the master for %s", vip6)
				}
				for _, na := range nas {
					if na.solicited && !na.router {
						t.Errorf("the master's NA for %s has no Router flag: %+v", vip6, na)
					}
				}
			})
			t.Run("RFC9568-6.4.2-5_backup_does_not_accept_"+phase, func(t *testing.T) {
				if backup.node.HasAddr(vip6) {
					t.Errorf("the backup %s has %s: it would accept packets for it", backup, vip6)
				}
			})
		}
		roles(m, b, "initial")
		swap(t, c, m, conf(50))
		roles(b, m, "swapped")
		// RFC9568-6.4.2-3 (backup) and RFC9568-6.4.3-4 (deviation:
		// the master neither): no Router Advertisement for the virtual
		// router was seen during the whole scenario.
		t.Run("RFC9568-6.4.2-3_no_router_advertisements", func(t *testing.T) {
			if n := nd.routerAdverts(); n != 0 {
				t.Errorf("%d Router Advertisements seen on the LAN", n)
			}
		})
		// The unsolicited NAs the new master sent at the swap (RFC9568-8.1.2-4
		// and 8.2.2's ND form) carry the Router flag and Override.
		t.Run("RFC9568-6.4.3-3_unsolicited_NA_has_Router_flag", func(t *testing.T) {
			found := false
			for _, na := range nd.unsolicited() {
				if na.target == netip.MustParseAddr(vip6) {
					found = true
					if !na.router || !na.override {
						t.Errorf("unsolicited NA for %s: %+v; want Router and Override", vip6, na)
					}
				}
			}
			if !found {
				t.Errorf("no unsolicited NA for %s seen at the takeover", vip6)
			}
		})
	})
}

// swap stops m's daemon, restarts it with conf (a lower priority) and
// leaves the other member master.
func swap(t *testing.T, c *cluster, m *member, conf string) {
	t.Helper()
	g := m.gk()
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := g.Rewrite(conf); err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
}

func memberMAC(t *testing.T, m *member) string {
	t.Helper()
	ifi, err := inNS(m.node.NS, func() (*net.Interface, error) { return net.InterfaceByName(ifname) })
	if err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	return ifi.HardwareAddr.String()
}

// inNS runs f on an OS thread moved into namespace ns (sockets opened there
// stay in ns when the thread moves back).
func inNS[T any](ns string, f func() (T, error)) (T, error) {
	var zero T
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := vnetns.Get()
	if err != nil {
		return zero, err
	}
	defer orig.Close()
	target, err := vnetns.GetFromName(ns)
	if err != nil {
		return zero, err
	}
	defer target.Close()
	if err := vnetns.Set(target); err != nil {
		return zero, err
	}
	defer func() {
		if err := vnetns.Set(orig); err != nil {
			panic(fmt.Sprintf("cannot move the thread back to its namespace: %v", err)) // never reuse a thread left in ns
		}
	}()
	return f()
}

// arpWhoHas broadcasts one ARP request for target from the client and
// returns the sender MACs of the replies seen within 600 ms, sorted.
func arpWhoHas(t *testing.T, client *netns.Node, dev string, src, target netip.Addr) []string {
	t.Helper()
	type sock struct {
		c   *packet.Conn
		ifi *net.Interface
	}
	s, err := inNS(client.NS, func() (sock, error) {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return sock{}, err
		}
		c, err := packet.Listen(ifi, packet.Raw, 0x0806, nil)
		return sock{c, ifi}, err
	})
	if err != nil {
		t.Fatalf("ARP socket on the client: %v", err)
	}
	defer s.c.Close()
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	frame := make([]byte, 0, 42)
	frame = append(frame, bcast...)
	frame = append(frame, s.ifi.HardwareAddr...)
	frame = binary.BigEndian.AppendUint16(frame, 0x0806)
	frame = append(frame, 0, 1, 8, 0, 6, 4, 0, 1) // Ethernet, IPv4, request
	frame = append(frame, s.ifi.HardwareAddr...)
	frame = append(frame, src.AsSlice()...)
	frame = append(frame, make([]byte, 6)...)
	frame = append(frame, target.AsSlice()...)
	if _, err := s.c.WriteTo(frame, &packet.Addr{HardwareAddr: bcast}); err != nil {
		t.Fatalf("send ARP request: %v", err)
	}
	var macs []string
	buf := make([]byte, 1500)
	deadline := time.Now().Add(600 * time.Millisecond)
	for time.Now().Before(deadline) {
		_ = s.c.SetReadDeadline(deadline)
		n, _, err := s.c.ReadFrom(buf)
		if err != nil {
			break
		}
		p := buf[:n]
		if len(p) < 42 || binary.BigEndian.Uint16(p[20:22]) != 2 { // a reply
			continue
		}
		if spa, _ := netip.AddrFromSlice(p[28:32]); spa == target {
			macs = append(macs, net.HardwareAddr(p[22:28]).String())
		}
	}
	slices.Sort(macs)
	return macs
}

// ndWatch is an NDP socket on the client that records every message.
type ndWatch struct {
	c    *ndp.Conn
	ifi  *net.Interface
	msgs chan ndMsg
	seen []ndMsg
}

type ndMsg struct {
	m  ndp.Message
	at time.Time
}

type naSeen struct {
	target                      netip.Addr
	mac                         string
	router, solicited, override bool
}

func listenND(t *testing.T, client *netns.Node, dev string) *ndWatch {
	t.Helper()
	var w *ndWatch
	// The link-local address is usable once DAD is done (about a second).
	netns.Eventually(t, converge, func() (bool, string) {
		var err error
		w, err = inNS(client.NS, func() (*ndWatch, error) {
			ifi, err := net.InterfaceByName(dev)
			if err != nil {
				return nil, err
			}
			c, _, err := ndp.Listen(ifi, ndp.Unspecified) // bound to "::": the answers to the global address too
			return &ndWatch{c: c, ifi: ifi, msgs: make(chan ndMsg, 4096)}, err
		})
		return err == nil, fmt.Sprintf("NDP socket on the client: %v", err)
	})
	t.Cleanup(func() { w.c.Close() })
	go func() {
		for {
			m, _, _, err := w.c.ReadFrom()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					close(w.msgs)
					return
				}
				continue // malformed or our own
			}
			select {
			case w.msgs <- ndMsg{m, time.Now()}:
			default:
			}
		}
	}()
	return w
}

// drain moves the messages received so far into seen.
func (w *ndWatch) drain() {
	for {
		select {
		case m, ok := <-w.msgs:
			if !ok {
				return
			}
			w.seen = append(w.seen, m)
		default:
			return
		}
	}
}

// solicit makes the client's kernel send an NS for target (no neighbour
// entry, one HTTP request) and returns the solicited NAs for it seen within 600 ms.
func (w *ndWatch) solicit(t *testing.T, client *netns.Node, target netip.Addr) []naSeen {
	t.Helper()
	w.drain()
	start := len(w.seen)
	_, _ = client.Exec(context.Background(), "ip", "-6", "neigh", "flush", "to", target.String())
	_, _ = client.Exec(context.Background(), "curl", "-sS", "-g", "-m", "1", "http://["+target.String()+"]/")
	time.Sleep(600 * time.Millisecond) // the answer window (a probe, not a wait for a result)
	w.drain()
	var out []naSeen
	for _, m := range w.seen[start:] {
		if na := asNA(m.m); na != nil && na.target == target && na.solicited {
			out = append(out, *na)
		}
	}
	return out
}

func asNA(m ndp.Message) *naSeen {
	na, ok := m.(*ndp.NeighborAdvertisement)
	if !ok {
		return nil
	}
	s := &naSeen{target: na.TargetAddress, router: na.Router, solicited: na.Solicited, override: na.Override}
	for _, o := range na.Options {
		if lla, ok := o.(*ndp.LinkLayerAddress); ok && lla.Direction == ndp.Target {
			s.mac = lla.Addr.String()
		}
	}
	return s
}

func (w *ndWatch) unsolicited() []naSeen {
	w.drain()
	var out []naSeen
	for _, m := range w.seen {
		if na := asNA(m.m); na != nil && !na.solicited {
			out = append(out, *na)
		}
	}
	return out
}

func (w *ndWatch) routerAdverts() int {
	w.drain()
	n := 0
	for _, m := range w.seen {
		if _, ok := m.m.(*ndp.RouterAdvertisement); ok {
			n++
		}
	}
	return n
}
