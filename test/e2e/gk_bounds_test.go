package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// TestReloadEmptyRefused (issue 10 faults 7 and 5) on a running gokeepalived master:
//  1. the configuration file emptied, `gokeepalivedctl reload` is refused with the reason and
//     --allow-empty named; the master keeps its instance and the VIP;
//  2. the same by SIGHUP: the refusal is logged, nothing changes;
//  3. a control request over 64 KiB is answered with an error, and the daemon still answers;
//  4. `gokeepalivedctl reload --allow-empty` applies the empty configuration: the instance
//     stops and the VIP leaves the node.
func TestReloadEmptyRefused(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "re", vip, clientAddr)
	m := c.add("master", netns.Gokeepalived, vrrpConf{State: "MASTER", Priority: 100, VIPs: []string{vip}}.String(), masterAddr)
	c.start(m)
	netns.Eventually(t, converge, c.only(m))
	g := m.gk()
	holds := func(step string) {
		t.Helper()
		in, ok := g.Instance("VI_1")
		if !ok || in.State != "MASTER" || !in.VIPsHeld || !m.node.HasAddr(vip) {
			t.Errorf("%s: VI_1 %+v (present %v), node has %s: %v; want MASTER holding it", step, in, ok, vip, m.node.HasAddr(vip))
		}
	}
	call := func(req ctl.Request) (ctl.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return ctl.Call(ctx, g.Socket, req)
	}

	// 1. ctl reload of an empty file.
	if err := g.Rewrite(""); err != nil {
		t.Fatal(err)
	}
	resp, err := call(ctl.Request{Cmd: ctl.CmdReload})
	if err == nil || !strings.Contains(err.Error(), "no vrrp_instance and no virtual_server") || !strings.Contains(err.Error(), "gokeepalivedctl reload --allow-empty") {
		t.Errorf("reload of an empty file = %+v, %v; want it refused, naming --allow-empty", resp, err)
	}
	holds("ctl reload refused")

	// 2. SIGHUP.
	if err := g.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	netns.Eventually(t, converge, func() (bool, string) {
		logs := g.Logs()
		return strings.Contains(logs, "reload failed") && strings.Contains(logs, "no vrrp_instance and no virtual_server"),
			"no refusal logged after SIGHUP:\n" + lastLines(logs, 6)
	})
	holds("SIGHUP refused")

	// 3. An oversized request.
	conn, err := net.Dial("unix", g.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = fmt.Fprintf(conn, `{"cmd":"%s"}`, strings.Repeat("x", 1<<20)) }()
	var big ctl.Response
	if err := json.NewDecoder(conn).Decode(&big); err != nil || !strings.Contains(big.Error, "request too large") {
		t.Errorf("1 MiB request answered %+v, %v; want request too large", big, err)
	}
	holds("after a 1 MiB request")

	// 4. Asked for explicitly.
	if resp, err := call(ctl.Request{Cmd: ctl.CmdReload, AllowEmpty: true}); err != nil || resp.Message != "configuration reloaded" {
		t.Fatalf("reload --allow-empty = %+v, %v", resp, err)
	}
	netns.Eventually(t, converge, func() (bool, string) {
		st, err := g.TryStatus()
		return err == nil && len(st.Instances) == 0 && !m.node.HasAddr(vip),
			fmt.Sprintf("after --allow-empty: status err %v, node has %s: %v", err, vip, m.node.HasAddr(vip))
	})
}
