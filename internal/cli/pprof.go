package cli

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves the runtime profiles (net/http/pprof) on addr, a
// loopback address Parse has checked, until the returned stop is called.
// It is the hidden --pprof-listen flag: bench/scale fetches CPU profiles of
// both nodes with it, e.g.
//
//	curl -o cpu.pprof 'http://127.0.0.1:6060/debug/pprof/profile?seconds=30'
//	go tool pprof -top gokeepalived cpu.pprof
func servePprof(addr string, log *slog.Logger) (stop func()) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		log.Info("serving runtime profiles (--pprof-listen)", "address", addr, "path", "/debug/pprof/")
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof endpoint failed", "err", err)
		}
	}()
	return func() { srv.Close() }
}
