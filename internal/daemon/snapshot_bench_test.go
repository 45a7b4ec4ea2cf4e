package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gokeepalived/internal/metrics"
)

// manyInstances is a configuration of n instances on eth0 (VRIDs 1..n).
func manyInstances(n int) string {
	var b strings.Builder
	b.WriteString("global_defs {\n    vrrp_version 3\n}\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "vrrp_instance VI_%03d {\n    interface eth0\n    virtual_router_id %d\n    priority 100\n    advert_int 1\n"+
			"    virtual_ipaddress {\n        198.18.%d.%d/32\n    }\n}\n", i, i, i/250, i%250+1)
	}
	return b.String()
}

// BenchmarkMetricsScrape200 is one Prometheus scrape of a running daemon
// with 200 instances, the HTTP handler included. It reads the published
// snapshot: the loop does nothing per scrape (TestReadersDoNotEnterTheLoop).
func BenchmarkMetricsScrape200(b *testing.B) {
	d, stop := startDaemon(b, loadRaw(b, manyInstances(200)), newFakeEnv())
	defer stop()
	ctx := context.Background()
	if _, err := d.Status(ctx); err != nil { // waits for the first snapshot
		b.Fatal(err)
	}
	h := metrics.Handler(d.Snapshot)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	scrape := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	body := scrape()
	if len(body) < 200*1000 {
		b.Fatalf("scrape returned %d bytes: the daemon is not running its 200 instances", len(body))
	}
	series := 0
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "gokeepalived_vrrp_") {
			series++
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		scrape()
	}
	b.ReportMetric(float64(series), "vrrp-series")
}

// BenchmarkStatus200 is one status read of a running daemon with 200
// instances (what gokeepalivedctl status asks for).
func BenchmarkStatus200(b *testing.B) {
	d, stop := startDaemon(b, loadRaw(b, manyInstances(200)), newFakeEnv())
	defer stop()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if st, err := d.Status(ctx); err != nil || len(st.Instances) != 200 {
			b.Fatalf("status: %v", err)
		}
	}
}

// BenchmarkPublish200 is the loop's side: publishing a snapshot of 200
// instances after one of them changed (a transition), and after all did (a
// reload, a tracker change).
func BenchmarkPublish200(b *testing.B) {
	d := New(loadRaw(b, manyInstances(200)), Options{Ports: newFakeEnv().ports()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cleanup, err := d.start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		d.finish()
		cleanup()
	}()
	b.Run("one-changed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			d.instances[i%len(d.instances)].pub = nil
			d.snapDirty = true
			d.publish()
		}
	})
	b.Run("all-changed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d.snapshotAll()
			d.publish()
		}
	})
}
