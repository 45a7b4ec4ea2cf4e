package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// TestBGPDrainTraffic: client traffic through the router while a node
// drains. Two gokeepalived directors announce the anycast VIP (a
// virtual_server whose real server is the node's own nginx, DNAT by the
// nftables backend) to the router, which spreads flows over both (ECMP,
// L4 hash); a client behind the router sends requests without pause, each
// on a new connection, and over a few long-lived keep-alive connections.
//
//	client 198.18.0.2 ── router 198.18.0.1 | 192.0.2.254 ── n1 192.0.2.1 (VIP on lo, nginx :8080)
//	                                                    └── n2 192.0.2.2 (VIP on lo, nginx :8080)
//
// Then (a) `maintenance on --all` on n1 and (b) SIGTERM on n1: RFC 8326
// graceful shutdown (GRACEFUL_SHUTDOWN, graceful_shutdown_delay, withdraw,
// keep serving while the router updates, stop). No request may fail, and
// once n1's path has left the router every request is answered by n2.
//
// FRR runs the import policy that honours GRACEFUL_SHUTDOWN (local-pref 0:
// the traffic moves at the start of the delay; FRR 8.4 does the same for
// eBGP paths without it); BIRD runs none (eBGP carries no LOCAL_PREF: the
// traffic moves at the withdrawal, and the node serving on after it
// keeps new connections from being refused).
//
// A connection whose flow the router moves to the other node (a
// long-lived one, or a new one whose handshake went to n1 an instant before
// the route changed) is reset by that node (stateless ECMP: it has no state
// for it): the client sends the request again on a new connection, as HTTP
// clients do for an idempotent request on a reused connection. Those
// resets are counted and reported, not failures. A failure is a request
// refused (a node the router still sends to no longer serves), timed out
// (blackholed), answered with an error, or failing again.
func TestBGPDrainTraffic(t *testing.T) {
	for _, r := range bgpRouters {
		t.Run(r.name, func(t *testing.T) { bgpDrainTrafficWith(t, r, r.name == "frr") })
	}
}

const bgpClient = "198.18.0.2"

// bgpTrafficConf is a director's keepalived.conf: the anycast virtual
// server (its real server the node's own nginx on :8080) and the bgp
// block. No BFD: what is tested is the drain, and at this machine's load
// BFD at 100 ms x 3 has false Downs (a 425 ms gap in a node's BFD
// transmissions was seen: the router took the other node's session down
// in the middle of a drain, and its path with it).
func bgpTrafficConf(self string) string {
	return fmt.Sprintf(`virtual_server %[3]s 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server %[2]s 8080 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
bgp {
    router_id %[2]s
    local_as 65001
    graceful_shutdown_delay 2
    neighbor %[1]s {
        remote_as 65000
        hold_time 3
        keepalive_time 1
    }
    announce_virtual_server %[3]s 80 {
        community 65001:80
    }
}
`, bgpRouter, self, bgpAnycast)
}

func bgpDrainTrafficWith(t *testing.T, r bgpRouterDaemon, gshut bool) {
	t0 := time.Now()
	t.Cleanup(func() { t.Logf("scenario took %v (before cleanup)", time.Since(t0).Round(time.Millisecond)) })
	topo, router, n1n, n2n := bgpTopo(t, "bgpt"+r.name[:2])
	cli := topo.Switch("cli")
	client := topo.Node("client")
	topo.Link(router, cli, "eth1", "198.18.0.1/24")
	topo.Link(client, cli, "eth0", bgpClient+"/24")
	client.MustExec("ip", "route", "add", "default", "via", "198.18.0.1")
	// The router forwards, and hashes flows on their ports too (the
	// default, L3 only, would send every flow of the one client the same way).
	router.MustExec("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1")
	for _, n := range []struct {
		node *netns.Node
		addr string
	}{{n1n, "192.0.2.1"}, {n2n, "192.0.2.2"}} {
		n.node.MustExec("ip", "addr", "add", bgpAnycast+"/32", "dev", "lo")
		n.node.MustExec("ip", "route", "add", "198.18.0.0/24", "via", bgpRouter)
		dir := n.node.Dir("nginx")
		argv, err := netns.NginxConf{Dir: dir, Node: n.node.Name, Page: n.node.Name, Listen: []string{n.addr + ":8080"}}.Write()
		if err != nil {
			t.Fatal(err)
		}
		n.node.Start(argv...)
	}
	show, _ := r.start(t, router, bgpRouterOpts{nodes: []string{"192.0.2.1", "192.0.2.2"}, bfdMS: bgpBFDms, gshut: gshut})
	n1 := startBGPNodeConf(t, n1n, "192.0.2.1", func(string) string { return bgpTrafficConf("192.0.2.1") })
	startBGPNodeConf(t, n2n, "192.0.2.2", func(string) string { return bgpTrafficConf("192.0.2.2") })
	pfx := bgpAnycast + "/32"
	diag := func() string {
		s1, e1 := n1.status()
		return fmt.Sprintf("router route: %v\nrouter bgp:\n%s\nn1: %+v %v\n--- n1 log:\n%s", routeVia(router, pfx), show(pfx), s1, e1, lastLines(n1.proc.Output(), 15))
	}
	took := netns.Eventually(t, 40*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.1", "192.0.2.2"), "want a multipath route via both nodes\n" + diag()
	})
	t.Logf("multipath route via both nodes after %v", took.Round(time.Millisecond))

	load := startBGPLoad(t, client, 3, 4)
	defer load.stop()
	both := func(since time.Time, what string) {
		netns.Eventually(t, 20*time.Second, func() (bool, string) {
			by := load.byNode(since, time.Now())
			return by["n1"] >= 5 && by["n2"] >= 5, fmt.Sprintf("want requests answered by both nodes %s: %v\n%s", what, by, diag())
		})
	}
	both(time.Now(), "(ECMP)")

	// onlyN2 waits for n1's path to leave the router's kernel table, then
	// for requests started after that (and a margin for those in flight)
	// and checks every one was answered by n2.
	onlyN2 := func(from time.Time, what string) time.Duration {
		left := netns.Eventually(t, 20*time.Second, func() (bool, string) {
			return sameSet(routeVia(router, pfx), "192.0.2.2"), "want n1's path gone " + what + "\n" + diag()
		})
		after := from.Add(left + 200*time.Millisecond)
		netns.Eventually(t, 20*time.Second, func() (bool, string) {
			n := load.byNode(after, time.Now())
			return n["n2"] >= 40, fmt.Sprintf("want 40 requests answered after n1's path left: %v", n)
		})
		if by := load.byNode(after, time.Now()); by["n2"] == 0 || len(by) != 1 {
			t.Errorf("%s: requests started after n1's path left the router (+200 ms) were answered by %v, want n2 only", what, by)
		}
		return left
	}

	// (a) Maintenance on n1: GRACEFUL_SHUTDOWN for 2 s, then withdrawn;
	// its load balancer keeps serving throughout.
	tA := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	resp, err := ctl.Call(ctx, n1.socket, ctl.Request{Cmd: ctl.CmdMaintenance, On: true, All: true})
	cancel()
	if err != nil || resp.Error != "" {
		t.Fatalf("maintenance on --all: %v %s", err, resp.Error)
	}
	left := onlyN2(tA, "after maintenance on")
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		st, err := n1.status()
		return err == nil && st.Drain == "drained", fmt.Sprintf("want n1 drained (withdrawn): %+v %v", st, err)
	})
	t.Logf("maintenance on n1: its path left the router's kernel table after %v (%s)", left.Round(time.Millisecond),
		map[bool]string{true: "the router honours GRACEFUL_SHUTDOWN: moved at its arrival", false: "no GRACEFUL_SHUTDOWN policy: moved at the withdrawal after the 2 s delay"}[gshut])
	maintEnd := time.Now()

	tOff := time.Now()
	t.Logf("maintenance off at %v", tOff.Sub(t0).Round(time.Millisecond))
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	resp, err = ctl.Call(ctx, n1.socket, ctl.Request{Cmd: ctl.CmdMaintenance, On: false, All: true})
	cancel()
	if err != nil || resp.Error != "" {
		t.Fatalf("maintenance off --all: %v %s", err, resp.Error)
	}
	netns.Eventually(t, 20*time.Second, func() (bool, string) {
		return sameSet(routeVia(router, pfx), "192.0.2.1", "192.0.2.2"), "want ECMP back after maintenance off\n" + diag()
	})
	both(tOff, "after maintenance off")

	// (b) SIGTERM on n1: the same drain, then the node keeps serving
	// while the router updates, then stops.
	tS := time.Now()
	t.Logf("SIGTERM at %v", tS.Sub(t0).Round(time.Millisecond))
	if err := n1.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	left = onlyN2(tS, "after SIGTERM")
	if err := n1.proc.Wait(15 * time.Second); err != nil {
		t.Errorf("n1 did not stop after SIGTERM: %v", err)
	}
	stopped := time.Since(tS)
	// Traffic on after the stop: nothing may still go to n1.
	end := time.Now().Add(time.Second)
	netns.Eventually(t, 10*time.Second, func() (bool, string) {
		return time.Now().After(end), "traffic after n1 stopped"
	})
	load.stop()
	t.Logf("SIGTERM on n1: its path left the router's kernel table after %v, the process exited after %v", left.Round(time.Millisecond), stopped.Round(time.Millisecond))

	t.Logf("requests:\n%s", load.summary([]bgpPhase{{"ECMP", time.Time{}, tA}, {"maintenance on", tA, maintEnd},
		{"maintenance off", tOff, tS}, {"SIGTERM", tS, time.Now()}}))
	if fails := load.failures(); len(fails) > 0 {
		var b strings.Builder
		for _, f := range fails[:min(len(fails), 10)] {
			fmt.Fprintf(&b, "  %s %s after %v: %v\n", f.at.Format("15:04:05.000"), f.kind, f.took.Round(time.Millisecond), f.err)
		}
		t.Errorf("%d requests failed (first ones):\n%s\n--- n1 log:\n%s", len(fails), b.String(), lastLines(n1.proc.Output(), 25))
	}
	if !strings.Contains(n1.proc.Output(), "still serving while the routers update") {
		t.Errorf("n1 did not log that it kept serving after the withdrawal:\n%s", lastLines(n1.proc.Output(), 20))
	}
}

// bgpReq is one request of the load.
type bgpReq struct {
	at    time.Time
	took  time.Duration
	kind  string // "new" (a connection per request) or "keep-alive"
	node  string // who answered
	reset bool   // the connection was up and was reset (its flow moved to the other node): the request was sent again on a new one
	err   error
}

// bgpLoad sends HTTP requests to the anycast VIP from the client node.
type bgpLoad struct {
	t    *testing.T
	mu   sync.Mutex
	reqs []bgpReq
	quit chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// startBGPLoad starts fresh workers (a new connection per request) and
// keep workers (one long-lived keep-alive connection each), each sending
// its next request as soon as the last one ended (10 ms apart). Every
// worker runs on its own OS thread in the client's namespace and ends on
// stop, at cleanup, or after 3 minutes.
func startBGPLoad(t *testing.T, client *netns.Node, fresh, keep int) *bgpLoad {
	l := &bgpLoad{t: t, quit: make(chan struct{})}
	ready := make(chan error, fresh+keep)
	for i := 0; i < fresh+keep; i++ {
		l.wg.Add(1)
		go l.worker(client.NS, i >= fresh, ready)
	}
	for i := 0; i < fresh+keep; i++ {
		if err := <-ready; err != nil {
			l.stop()
			t.Fatalf("load worker: %v", err)
		}
	}
	t.Cleanup(l.stop)
	return l
}

func (l *bgpLoad) stop() {
	l.once.Do(func() { close(l.quit) })
	l.wg.Wait()
}

func (l *bgpLoad) worker(ns string, keep bool, ready chan<- error) {
	defer l.wg.Done()
	// The thread joins the namespace and is never unlocked: the runtime
	// ends it when the goroutine returns.
	runtime.LockOSThread()
	d, err := netns.JoinDialer(ns, 2*time.Second)
	ready <- err
	if err != nil {
		return
	}
	kind := map[bool]string{false: "new", true: "keep-alive"}[keep]
	var conn net.Conn
	var br *bufio.Reader
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		start := time.Now()
		rq := bgpReq{at: start, kind: kind}
		if !keep {
			var dialed bool
			rq.node, _, dialed, rq.err = bgpGet(d, nil, nil, false)
			if rq.err != nil && (dialed || errors.Is(rq.err, syscall.ECONNRESET)) {
				// Connected, then reset (also before the dialer saw the
				// handshake complete: ECONNRESET, where a SYN answered with
				// RST is ECONNREFUSED): the flow moved to the other node
				// during the handshake or just after.
				rq.reset = true
				rq.node, _, _, rq.err = bgpGet(d, nil, nil, false)
			}
		} else {
			reused := conn != nil
			if conn == nil {
				conn, err = d.Dial("tcp", bgpAnycast+":80")
				if err == nil {
					br = bufio.NewReader(conn)
				}
			}
			closing := false
			if err == nil {
				rq.node, closing, _, rq.err = bgpGet(d, conn, br, true)
			} else {
				rq.err = err
			}
			if (rq.err != nil || closing) && conn != nil {
				// Failed, or the server closes it (nginx's keepalive_requests).
				conn.Close()
				conn = nil
			}
			if rq.err != nil && reused {
				// The reused connection was reset: send the request again on a new one.
				rq.reset = true
				conn, err = d.Dial("tcp", bgpAnycast+":80")
				if err != nil {
					rq.err = err
				} else {
					br = bufio.NewReader(conn)
					rq.node, closing, _, rq.err = bgpGet(d, conn, br, true)
					if rq.err != nil || closing {
						conn.Close()
						conn = nil
					}
				}
			}
		}
		rq.took = time.Since(start)
		l.mu.Lock()
		l.reqs = append(l.reqs, rq)
		l.mu.Unlock()
		select {
		case <-l.quit:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// bgpGet sends GET / and returns the page (the node's name), whether the
// server closes the connection and whether the connection was up (an
// error after it: reset, not refused): on conn if given (keep-alive), else
// on a new connection (Connection: close).
func bgpGet(d *net.Dialer, conn net.Conn, br *bufio.Reader, keep bool) (string, bool, bool, error) {
	if conn == nil {
		c, err := d.Dial("tcp", bgpAnycast+":80")
		if err != nil {
			return "", true, false, err
		}
		defer c.Close()
		conn, br = c, bufio.NewReader(c)
	}
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	hdr := "Connection: close\r\n"
	if keep {
		hdr = ""
	}
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\n%s\r\n", bgpAnycast, hdr); err != nil {
		return "", true, true, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", true, true, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if err != nil {
		return "", true, true, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", true, false, fmt.Errorf("HTTP %s", resp.Status)
	}
	return strings.TrimSpace(string(body)), resp.Close, true, nil
}

// byNode counts the successful requests started in [from, to) by the node that answered.
func (l *bgpLoad) byNode(from, to time.Time) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, r := range l.reqs {
		if r.err == nil && !r.at.Before(from) && r.at.Before(to) {
			out[r.node]++
		}
	}
	return out
}

func (l *bgpLoad) failures() []bgpReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []bgpReq
	for _, r := range l.reqs {
		if r.err != nil {
			out = append(out, r)
		}
	}
	return out
}

type bgpPhase struct {
	name     string
	from, to time.Time
}

// summary is a table per phase: requests by kind and node, resets,
// failures and the slowest request.
func (l *bgpLoad) summary(phases []bgpPhase) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	b.WriteString("| phase | kind | requests | by node | resets: flow moved, sent again | failed | slowest |\n|---|---|---|---|---|---|---|\n")
	for _, p := range phases {
		for _, kind := range []string{"new", "keep-alive"} {
			n, resets, failed := 0, 0, 0
			var slowest time.Duration
			by := map[string]int{}
			for _, r := range l.reqs {
				if r.kind != kind || r.at.Before(p.from) || !r.at.Before(p.to) {
					continue
				}
				n++
				if r.reset {
					resets++
				}
				if r.err != nil {
					failed++
				} else {
					by[r.node]++
				}
				slowest = max(slowest, r.took)
			}
			var nodes []string
			for k, v := range by {
				nodes = append(nodes, fmt.Sprintf("%s %d", k, v))
			}
			sort.Strings(nodes)
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | %d | %v |\n", p.name, kind, n, strings.Join(nodes, ", "), resets, failed, slowest.Round(time.Millisecond))
		}
	}
	return b.String()
}
