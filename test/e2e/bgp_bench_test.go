package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"

	"gokeepalived/test/e2e/netns"
)

// TestBGPWithdrawBench (a benchmark, run with GOKEEPALIVED_BGP_BENCH=1,
// `make bench-bgp`): the anycast topology with BFD at 50 ms x 3 on n1 and
// none on n2 (hold time 3 s, keepalive 1 s). Both nodes are cut off at
// once (link down: a dead node whose TCP sessions cannot say goodbye).
// Where the time goes, each step timed from the cut:
//
//   - last BFD packet: the last BFD packet of n1 the LAN carried (the
//     switch's capture; the detection time runs from it);
//   - BFD down: the router's BFD session to n1 declared down (its log,
//     microsecond timestamps);
//   - BGP down: the router's BGP session to n1 closed (its log);
//   - route: n1's path left the router's kernel table (a netlink route
//     event in the router's namespace, not polling);
//   - hold: n2's path left (no BFD: the 3 s hold time).
//
// Prints, per router, every run and a table of medians and maxima over
// GOKEEPALIVED_BGP_BENCH_RUNS runs (default 5), with the load average:
// numbers from a loaded machine are not final.
func TestBGPWithdrawBench(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_BGP_BENCH") != "1" {
		t.Skip("a benchmark: set GOKEEPALIVED_BGP_BENCH=1 (make bench-bgp)")
	}
	runs := 5
	if v, err := strconv.Atoi(os.Getenv("GOKEEPALIVED_BGP_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	loadBefore := loadAvg()
	var table strings.Builder
	table.WriteString("| router | runs | last BFD packet | BFD down | detection (BFD down - last packet) | BGP down | route gone from the kernel | after BFD down | no BFD: hold time |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range bgpRouters {
		t.Run(r.name, func(t *testing.T) {
			topo, router, n1n, n2n := bgpTopo(t, "bgpb"+r.name[:2])
			_, procs := r.start(t, router, bgpRouterOpts{nodes: []string{"192.0.2.1", "192.0.2.2"}, bfd: map[string]bool{"192.0.2.1": true}, bfdMS: 50, debug: true})
			startBGPNode(t, n1n, "192.0.2.1", 150, true, 50)
			startBGPNode(t, n2n, "192.0.2.2", 100, false, 50)
			pfx := bgpAnycast + "/32"
			w := watchRoute(t, router.NS, bgpAnycast)
			pcap := topo.Dir() + "/lan.pcap"
			var rows []bgpBenchRun
			for i := 0; i < runs; i++ {
				netns.Eventually(t, 60*time.Second, func() (bool, string) {
					return sameSet(routeVia(router, pfx), "192.0.2.1", "192.0.2.2"), fmt.Sprintf("want ECMP before run %d: %v", i, routeVia(router, pfx))
				})
				settle := time.Now().Add(3 * time.Second) // both BFD sessions at 50 ms after a reconnect
				netns.Eventually(t, 10*time.Second, func() (bool, string) { return time.Now().After(settle), "settling" })
				logStart := make([]int, len(procs))
				for j, p := range procs {
					logStart[j] = len(p.Output())
				}
				cut := time.Now()
				n1n.LinkDown("eth0")
				n2n.LinkDown("eth0")
				var run bgpBenchRun
				netns.Eventually(t, 20*time.Second, func() (bool, string) {
					run.route, run.hold = w.gone(cut, "192.0.2.1"), w.gone(cut, "192.0.2.2")
					return run.route > 0 && run.hold > 0, fmt.Sprintf("run %d: paths not withdrawn (n1 %v, n2 %v): %v", i, run.route, run.hold, routeVia(router, pfx))
				})
				var logs strings.Builder
				for j, p := range procs {
					logs.WriteString(p.Output()[logStart[j]:])
				}
				run.bfdDown, run.bgpDown = routerEvents(r.name, logs.String(), cut)
				run.lastPkt = lastBFDPacket(pcap, "192.0.2.1", cut)
				n1n.LinkUp("eth0")
				n2n.LinkUp("eth0")
				rows = append(rows, run)
				t.Logf("run %d: last BFD packet %s, router BFD down %s, BGP down %s, route gone %s; no BFD: %s", i,
					ms(run.lastPkt), ms(run.bfdDown), ms(run.bgpDown), ms(run.route), ms(run.hold))
				if run.bfdDown == 0 || run.bgpDown == 0 {
					t.Logf("run %d: router events not found in its log:\n%s", i, lastLines(logs.String(), 40))
				}
			}
			col := func(f func(bgpBenchRun) time.Duration) string {
				var d []time.Duration
				for _, r := range rows {
					if v := f(r); v != 0 {
						d = append(d, v)
					}
				}
				if len(d) == 0 {
					return "-"
				}
				slices.Sort(d)
				return fmt.Sprintf("%s (max %s)", ms(d[len(d)/2]), ms(d[len(d)-1]))
			}
			fmt.Fprintf(&table, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.name, len(rows),
				col(func(r bgpBenchRun) time.Duration { return r.lastPkt }),
				col(func(r bgpBenchRun) time.Duration { return r.bfdDown }),
				col(func(r bgpBenchRun) time.Duration {
					if r.bfdDown == 0 || r.lastPkt == 0 {
						return 0
					}
					return r.bfdDown - r.lastPkt
				}),
				col(func(r bgpBenchRun) time.Duration { return r.bgpDown }),
				col(func(r bgpBenchRun) time.Duration { return r.route }),
				col(func(r bgpBenchRun) time.Duration {
					if r.bfdDown == 0 {
						return 0
					}
					return r.route - r.bfdDown
				}),
				col(func(r bgpBenchRun) time.Duration { return r.hold }))
		})
	}
	fmt.Printf("\nBFD 50 ms x 3 on n1, none on n2 (hold time 3 s); both cut off (link down) at 0; "+
		"times from the cut, median (max):\n\n%s\nload average before: %s, after: %s (2 cores)\n", table.String(), loadBefore, loadAvg())
}

type bgpBenchRun struct {
	lastPkt, bfdDown, bgpDown, route, hold time.Duration
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// routeWatch records, at each netlink route event for a host route in a
// namespace, when it arrived and the route's next hops then.
type routeWatch struct {
	mu  sync.Mutex
	obs []routeObs
}

type routeObs struct {
	at   time.Time
	hops []string
}

func watchRoute(t *testing.T, ns, dst string) *routeWatch {
	h, err := vnetns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	nh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nh.Close)
	updates, done := make(chan netlink.RouteUpdate, 1024), make(chan struct{})
	if err := netlink.RouteSubscribeWithOptions(updates, done, netlink.RouteSubscribeOptions{Namespace: &h, ReceiveBufferSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP(dst).To4()
	w := &routeWatch{}
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped })
	go func() {
		defer close(stopped)
		for {
			var u netlink.RouteUpdate
			var ok bool
			select {
			case u, ok = <-updates:
			case <-done:
				return
			}
			if !ok {
				return
			}
			at := time.Now()
			if u.Dst == nil || !u.Dst.IP.Equal(ip) {
				continue
			}
			var hops []string
			rs, err := nh.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: &net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)}}, netlink.RT_FILTER_DST)
			if err == nil {
				for _, r := range rs {
					if r.Gw != nil {
						hops = append(hops, r.Gw.String())
					}
					for _, m := range r.MultiPath {
						hops = append(hops, m.Gw.String())
					}
				}
			}
			w.mu.Lock()
			w.obs = append(w.obs, routeObs{at: at, hops: hops})
			w.mu.Unlock()
		}
	}()
	return w
}

// gone is how long after cut the first event came after which the route
// had no path via hop (0: not yet).
func (w *routeWatch) gone(cut time.Time, hop string) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, o := range w.obs {
		if o.at.After(cut) && !slices.Contains(o.hops, hop) {
			return o.at.Sub(cut)
		}
	}
	return 0
}

// The router's log lines for n1's BFD session and BGP session going down.
var (
	frrBFDDown  = regexp.MustCompile(`(?m)^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+) .*(?:state-change|session).*192\.0\.2\.1.*(?:up -> down|[Dd]own)`)
	frrBGPDown  = regexp.MustCompile(`(?m)^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+) .*ADJCHANGE: neighbor 192\.0\.2\.1.* Down`)
	birdBFDDown = regexp.MustCompile(`(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*bfd\d*: Session to 192\.0\.2\.1 .*[Dd]own`)
	birdBGPDown = regexp.MustCompile(`(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*n1: (?:BFD session down|State changed to stop|Error)`)
)

// routerEvents finds, in the router's log since the cut, when it declared
// n1's BFD session and BGP session down (0: not found).
func routerEvents(router, logs string, cut time.Time) (bfdDown, bgpDown time.Duration) {
	bre, gre, layout := frrBFDDown, frrBGPDown, "2006/01/02 15:04:05.999999"
	if router == "bird" {
		bre, gre, layout = birdBFDDown, birdBGPDown, "2006-01-02 15:04:05.999999"
	}
	at := func(re *regexp.Regexp) time.Duration {
		for _, m := range re.FindAllStringSubmatch(logs, -1) {
			ts, err := time.ParseInLocation(layout, m[1], time.Local)
			if err == nil && !ts.Before(cut.Add(-time.Millisecond)) {
				return ts.Sub(cut)
			}
		}
		return 0
	}
	return at(bre), at(gre)
}

// lastBFDPacket is when (from the cut) the LAN last carried a BFD control
// packet from src, read from the switch's capture (0: none found).
func lastBFDPacket(pcap, src string, cut time.Time) time.Duration {
	out, err := runOut("tcpdump", "-r", pcap, "-tt", "-n", "udp dst port 3784 and src host "+src)
	if err != nil {
		return 0
	}
	var last time.Time
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		sec, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		ts := time.Unix(0, int64(sec*1e9))
		if ts.Before(cut.Add(time.Second)) {
			last = ts
		}
	}
	if last.IsZero() {
		return 0
	}
	d := last.Sub(cut)
	if d == 0 {
		d = time.Nanosecond
	}
	return d
}

func runOut(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, name, args...).Output()
	return string(b), err
}
