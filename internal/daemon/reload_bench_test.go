package daemon

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// manyVMACInstances is n use_vmac instances on eth0 (VRIDs 1..n) with the
// given advert interval.
func manyVMACInstances(n int, advertInt int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `vrrp_instance VI_%d {
    interface eth0
    use_vmac
    virtual_router_id %d
    priority 100
    advert_int %d
    virtual_ipaddress {
        198.18.%d.%d/32
    }
}
`, i, i, advertInt, i/256, i%256)
	}
	return b.String()
}

// BenchmarkReloadLoopSteps measures the VRRP loop while a reload that
// restarts 200 use_vmac instances (every advert_int changed) is applied:
// each step() that had work is timed, and the longest and the 99th
// percentile and the median are reported (max-step-µs, p99-step-µs,
// p50-step-µs). The fake kernel can
// charge each socket open or close and each VMAC create or delete a delay,
// as a real one does (closing a raw socket waits for an RCU grace period).
// Run with: go test -run '^$' -bench ReloadLoopSteps -benchtime 5x ./internal/daemon/
func BenchmarkReloadLoopSteps(b *testing.B) {
	for _, delay := range []time.Duration{0, 200 * time.Microsecond} {
		b.Run(fmt.Sprintf("kernel=%v", delay), func(b *testing.B) { benchReloadSteps(b, 200, delay) })
	}
}

func benchReloadSteps(b *testing.B, count int, delay time.Duration) {
	h := newHarness(b)
	h.quiet = true
	confs := []string{manyVMACInstances(count, 1), manyVMACInstances(count, 2)}
	n := h.node("a", map[string]string{"eth0": "lan 192.0.2.1"}, confs[0])
	n.kernelDelay = delay
	n.start()
	h.advance(5 * time.Second)
	if st := n.state("VI_1"); st != "MASTER" {
		b.Fatalf("VI_1 is %s before the reload, want MASTER", st)
	}
	var steps []time.Duration
	b.ResetTimer()
	for i := range b.N {
		cfg := h.load(confs[(i+1)%2])
		done := make(chan error, 1)
		go func() { done <- n.d.Reload(context.Background(), cfg) }()
		if err := n.stepUntil(done, func(d time.Duration) { steps = append(steps, d) }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		h.advance(10 * time.Second)
		if st := n.state(fmt.Sprintf("VI_%d", count)); st != "MASTER" {
			b.Fatalf("VI_%d is %s after the reload, want MASTER", count, st)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(steps)
	if len(steps) == 0 {
		b.Fatal("no loop step had work")
	}
	p99 := steps[min(len(steps)-1, len(steps)*99/100)]
	b.ReportMetric(float64(steps[len(steps)-1].Microseconds()), "max-step-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-step-µs")
	b.ReportMetric(float64(steps[len(steps)/2].Microseconds()), "p50-step-µs")
	b.ReportMetric(float64(len(steps))/float64(b.N), "steps/op")
}
