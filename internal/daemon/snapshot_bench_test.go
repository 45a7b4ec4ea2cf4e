package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/config"
	"gokeepalived/internal/ctl"
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
// with 200 instances, the HTTP handler included.
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
	snap := func() *ctl.Status {
		sctx, c := context.WithTimeout(ctx, time.Second)
		defer c()
		st, _ := d.Status(sctx)
		return st
	}
	h := metrics.Handler(snap)
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
