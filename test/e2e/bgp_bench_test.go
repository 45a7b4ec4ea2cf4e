package e2e

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gokeepalived/test/e2e/netns"
)

// TestBGPWithdrawBench (a benchmark, run with GOKEEPALIVED_BGP_BENCH=1,
// `make bench-bgp`): the anycast topology with BFD at 50 ms x 3 on n1 and
// none on n2 (hold time 3 s, keepalive 1 s). Both nodes are cut off at
// once (link down: a dead node whose TCP sessions cannot say goodbye);
// the time until the router's kernel route loses each node's path is
// polled every 5 ms. Prints a markdown table per router: min, median and
// max over GOKEEPALIVED_BGP_BENCH_RUNS runs (default 5).
func TestBGPWithdrawBench(t *testing.T) {
	if os.Getenv("GOKEEPALIVED_BGP_BENCH") != "1" {
		t.Skip("a benchmark: set GOKEEPALIVED_BGP_BENCH=1 (make bench-bgp)")
	}
	runs := 5
	if v, err := strconv.Atoi(os.Getenv("GOKEEPALIVED_BGP_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	var table strings.Builder
	table.WriteString("| router | session | runs | min | median | max |\n|---|---|---|---|---|---|\n")
	for _, r := range bgpRouters {
		t.Run(r.name, func(t *testing.T) {
			_, router, n1n, n2n := bgpTopo(t, "bgpb"+r.name[:2])
			r.start(t, router, []string{"192.0.2.1", "192.0.2.2"}, map[string]bool{"192.0.2.1": true}, 50)
			startBGPNode(t, n1n, "192.0.2.1", 150, true, 50)
			startBGPNode(t, n2n, "192.0.2.2", 100, false, 50)
			pfx := bgpAnycast + "/32"
			var bfd, hold []time.Duration
			for i := 0; i < runs; i++ {
				netns.Eventually(t, 60*time.Second, func() (bool, string) {
					return sameSet(routeVia(router, pfx), "192.0.2.1", "192.0.2.2"), fmt.Sprintf("want ECMP before run %d: %v", i, routeVia(router, pfx))
				})
				time.Sleep(2 * time.Second) // let both BFD sessions settle at 50 ms after a reconnect
				cut := time.Now()
				n1n.LinkDown("eth0")
				n2n.LinkDown("eth0")
				var tb, th time.Duration
				for deadline := cut.Add(20 * time.Second); time.Now().Before(deadline) && th == 0; time.Sleep(5 * time.Millisecond) {
					hops := routeVia(router, pfx)
					if tb == 0 && !slices.Contains(hops, "192.0.2.1") {
						tb = time.Since(cut)
					}
					if !slices.Contains(hops, "192.0.2.2") {
						th = time.Since(cut)
					}
				}
				n1n.LinkUp("eth0")
				n2n.LinkUp("eth0")
				if tb == 0 || th == 0 {
					t.Fatalf("run %d: paths not withdrawn within 20 s (bfd %v, hold %v)", i, tb, th)
				}
				bfd, hold = append(bfd, tb), append(hold, th)
				t.Logf("run %d: BFD %v, hold time %v", i, tb.Round(time.Millisecond), th.Round(time.Millisecond))
			}
			row := func(what string, d []time.Duration) {
				slices.Sort(d)
				fmt.Fprintf(&table, "| %s | %s | %d | %v | %v | %v |\n", r.name, what, len(d),
					d[0].Round(time.Millisecond), d[len(d)/2].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
			}
			row("BFD 50 ms x 3", bfd)
			row("no BFD, hold time 3 s", hold)
		})
	}
	fmt.Printf("\nFailure (link cut) to the path withdrawn from the router's kernel table:\n\n%s\n", table.String())
}
