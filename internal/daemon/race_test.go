package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
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
// at construction.
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
	env := f.env()
	var mu sync.Mutex
	var conns []*floodConn
	env.OpenConn = func(cfg vrrpconn.Config) (Conn, error) {
		c := &floodConn{fakeConn: fakeConn{f: f, iface: cfg.Interface, closed: make(chan struct{}), groups: map[netip.Addr]bool{}}, pkt: raw}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return c, nil
	}
	d := New(loadRaw(t, conf(100)), Options{Env: env})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	for i := range 40 {
		if err := d.Reload(context.Background(), loadRaw(t, conf(100+i%2))); err != nil {
			t.Fatal(err)
		}
	}
	// The reloads can all finish before the reader has read a packet for
	// the current instance: wait for its first drop.
	eventually(t, 5*time.Second, func() (bool, string) {
		st, ok := instanceStatus(t, d, "VI_1")
		return ok && st.Dropped(packet.DropAuthMismatch) > 0,
			fmt.Sprintf("reader dropped nothing (drops %v): the test did not exercise it", st.Drops)
	})
}
