package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"gokeepalived/internal/linux/vrrpconn"
	"gokeepalived/internal/vrrp/packet"
)

// floodConn's Recv returns adverts for VRID 51 with a wrong password, so the
// reader goroutine drops (and logs) them while the loop reloads.
type floodConn struct {
	fakeConn
	pkt []byte
}

func (c *floodConn) Recv(b []byte) (int, vrrpconn.Meta, error) {
	select {
	case <-c.closed:
		return 0, vrrpconn.Meta{}, net.ErrClosed
	case <-time.After(100 * time.Microsecond):
	}
	return copy(b, c.pkt), vrrpconn.Meta{Src: netip.MustParseAddr("192.0.2.9"), Dst: netip.MustParseAddr("224.0.0.18"), TTL: 255}, nil
}

// Defect: a reload swapped in.cfg while the socket reader read it to log a
// drop (go test -race reported it). The reader now reads only fields fixed
// at construction. Every other reload also adds or removes VI_2 on eth1, so
// sockets are opened (off the loop, with their readers), swapped in, and
// closed (off the loop) while the eth0 reader drops adverts.
func TestReloadDoesNotRaceReader(t *testing.T) {
	conf := func(prio int) string {
		return pairConf(prio, "    authentication {\n        auth_type PASS\n        auth_pass right\n    }")
	}
	bad := packet.Advert{Version: 2, Type: 1, VRID: 51, Priority: 200, AdverInt: 1, AuthType: 1,
		AuthData: packet.PassAuth("wrong"), Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.10")}}
	raw, err := bad.AppendBinary(nil, netip.MustParseAddr("192.0.2.9"), netip.MustParseAddr("224.0.0.18"), packet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeEnv()
	ports := f.ports()
	var mu sync.Mutex
	var conns []*floodConn
	ports.Sockets = openFunc(func(cfg vrrpconn.Config) (Conn, error) {
		c := &floodConn{fakeConn: fakeConn{f: f, iface: cfg.Interface, closed: make(chan struct{}), groups: map[netip.Addr]bool{}}, pkt: raw}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return c, nil
	})
	d := New(loadRaw(t, conf(100)), Options{Ports: ports})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	vi2 := strings.NewReplacer("VI_1", "VI_2", "virtual_router_id 51", "virtual_router_id 52", "eth0", "eth1",
		"203.0.113.10", "203.0.113.20").Replace(conf(100))
	for i := range 40 {
		text := conf(100 + i%2)
		if i%4 >= 2 {
			text += vi2
		}
		if err := d.Reload(context.Background(), loadRaw(t, text)); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	opened := len(conns)
	mu.Unlock()
	if opened < 10 {
		t.Errorf("%d sockets opened over 40 reloads, want eth1's reopened every fourth", opened)
	}
	// The reloads can all finish before the reader has read a packet for
	// the current instance: wait for its first drop.
	eventually(t, 5*time.Second, func() (bool, string) {
		st, ok := instanceStatus(t, d, "VI_1")
		return ok && st.Dropped(packet.DropAuthMismatch) > 0,
			fmt.Sprintf("reader dropped nothing (drops %v): the test did not exercise it", st.Drops)
	})
}
