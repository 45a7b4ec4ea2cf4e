package metrics

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// WithVersion sets the version gokeepalived_build_info reports: the
// binary's (internal/cli.Version), "0.1.0-dev+a71afb48defd" when the .deb
// build stamped its git revision after the "+".
func WithVersion(v string) Option { return func(c *Collector) { c.version = v } }

// buildLabels splits a stamped version into version and revision; without
// a stamped revision it takes the one the Go toolchain recorded (a build
// in a git checkout), else "unknown".
func buildLabels(stamped string) (version, revision, goversion string) {
	version, revision, _ = strings.Cut(stamped, "+")
	if version == "" {
		version = "unknown"
	}
	if revision == "" {
		revision = "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && s.Value != "" {
					revision = s.Value
				}
			}
		}
	}
	return version, revision, runtime.Version()
}

// buildInfo is gokeepalived_build_info, registered beside the Collector.
func buildInfo(stamped string) prometheus.Collector {
	v, r, g := buildLabels(stamped)
	gauge := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
		Help:        "Always 1; the labels say which gokeepalived runs: its version, git revision and Go version.",
		ConstLabels: prometheus.Labels{"version": v, "revision": r, "goversion": g}})
	gauge.Set(1)
	return gauge
}
