package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gokeepalived/internal/config"
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
	cfg, ds := config.LoadBytes("bench.conf", []byte(manyInstances(200)), config.LoadOptions{})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	d := New(cfg, Options{Env: newFakeEnv().env()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	if _, err := d.Status(ctx); err != nil { // waits for the first snapshot
		b.Fatal(err)
	}
	h := metrics.Handler(d.Snapshot)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	scrape := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		n, _ := io.Copy(io.Discard, rec.Body)
		return int(n)
	}
	if n := scrape(); n < 200*1000 {
		b.Fatalf("scrape returned %d bytes: the daemon is not running its 200 instances", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		scrape()
	}
}

// BenchmarkStatus200 is one status read of a running daemon with 200
// instances (what gokeepalivedctl status asks for).
func BenchmarkStatus200(b *testing.B) {
	cfg, ds := config.LoadBytes("bench.conf", []byte(manyInstances(200)), config.LoadOptions{})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	d := New(cfg, Options{Env: newFakeEnv().env()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
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
	cfg, ds := config.LoadBytes("bench.conf", []byte(manyInstances(200)), config.LoadOptions{})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	d := New(cfg, Options{Env: newFakeEnv().env()})
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
