// Package metrics exposes the daemon's status snapshot (ctl.Snapshot) to
// Prometheus. A Collector reads the latest published snapshot at scrape time
// (gobgp's pkg/metrics shape), so the daemon keeps no metric objects, the
// advert path never touches a Prometheus lock, and a scrape never enters the
// VRRP loop. Nothing is registered globally: Handler builds its own registry.
//
// Labels come from the configuration only: instance (vrrp_instance name),
// vrid, interface, plus reason (a packet.DropReason or an ignored input's
// reason, spelled as in the status and the logs), state (a vrrp.State), and
// kind/tracker for tracked objects; for the load
// balancer vs (virtual server name as configured), rs (real server IP:PORT)
// and backend (ipvs or nft, on the virtual server series only).
//
// Metric names (all with namespace "gokeepalived"):
//
//	gokeepalived_vrrp_state{instance,vrid,interface,state}   1 for the current state, 0 for the others
//	gokeepalived_vrrp_state_code{instance,vrid,interface}    keepalived's numeric state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP
//	gokeepalived_vrrp_base_priority                          configured priority
//	gokeepalived_vrrp_effective_priority                     priority after tracker weights
//	gokeepalived_vrrp_vips_held                              1 while the instance holds its virtual addresses
//	gokeepalived_vrrp_<counter>_total                        one per ctl.Counter: adverts_sent, adverts_received,
//	                                                         priority_zero_{sent,received}, transitions,
//	                                                         {became,released}_master, split_brain_suspected,
//	                                                         master_rx_lower_pri, no_master_heard, vip_errors,
//	                                                         garp_{sent,errors}, {vips,routes,rules}_restored,
//	                                                         stale_vips_removed; send_errors is advert_send_errors_total
//	gokeepalived_vrrp_inputs_ignored_total{…,reason}         the ignored-input counters (ignored_<reason>), when non-zero
//	gokeepalived_vrrp_drops_total{…,reason}                  received adverts dropped, per packet.DropReason
//	gokeepalived_vrrp_socket_drops_total{interface,family,reason}  dropped by a shared socket before an instance
//	                                                         was named, per ctl.SocketCounter
//	gokeepalived_vrrp_last_advert_age_seconds                time since the last advert was received
//	gokeepalived_vrrp_last_transition_timestamp_seconds      when the state last changed
//	gokeepalived_vrrp_tracker_up{…,kind,tracker}             1 when a tracked object is OK
//	gokeepalived_daemon_start_time_seconds                   when the daemon started
//	gokeepalived_daemon_last_reload_timestamp_seconds        when the configuration was last reloaded
//	gokeepalived_lvs_virtual_server_up{vs,backend}           1 while quorum is met
//	gokeepalived_lvs_virtual_server_sorry_active             1 while the sorry_server serves
//	gokeepalived_lvs_virtual_server_suspended                1 while ha_suspend holds the checkers
//	gokeepalived_lvs_virtual_server_real_servers{…,state}    real servers up / down
//	gokeepalived_lvs_virtual_server_live_weight              live real servers' weight, compared with quorum
//	gokeepalived_lvs_real_server_up{vs,rs}                   1 while the health checks pass
//	gokeepalived_lvs_real_server_weight                      current weight
//	gokeepalived_lvs_real_server_in_table                    1 while in the kernel table
//	gokeepalived_lvs_real_server_last_change_timestamp_seconds  when the health state last changed
//	gokeepalived_build_info{version,revision,goversion}     always 1
//	gokeepalived_bfd_session_*{session,…}                   each bfd_instance: state, up, diag, discriminators,
//	                                                         negotiated intervals and detection time, ups/downs,
//	                                                         last change, packets received/sent, send errors, drops
//	gokeepalived_bfd_drops_total{reason}                     every BFD packet dropped, matched to a session or not
//
// Every counter and every drop reason is exported from the first scrape, at
// zero, so rate() works from the start; the ignored-input counters only once
// non-zero (they are diagnostics, and many). The names come from one
// definition: ctl.Counter and packet.DropReason's String.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp"
	"gokeepalived/internal/vrrp/packet"
)

// metricNames are the metric names (before _total) that differ from their
// counter's name; every other counter's metric is named after it.
var metricNames = map[ctl.Counter]string{
	ctl.SendErrors: "advert_send_errors", // named before the counter; kept for dashboards
}

const (
	namespace = "gokeepalived"
	subVRRP   = "vrrp"
	subDaemon = "daemon"
)

var instanceLabels = []string{"instance", "vrid", "interface"}

func instanceDesc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, subVRRP, name), help,
		append(slices.Clone(instanceLabels), extra...), nil)
}

// counterSpec maps one counter to a metric.
type counterSpec struct {
	c    ctl.Counter
	desc *prometheus.Desc
}

// Collector is a prometheus.Collector over a snapshot function. It holds no
// metric state of its own; every Collect calls the snapshot once.
type Collector struct {
	snapshot func() *ctl.Snapshot
	now      func() time.Time
	version  string // gokeepalived_build_info (WithVersion)

	state, stateCode      *prometheus.Desc
	basePrio, effPrio     *prometheus.Desc
	vipsHeld, maintenance *prometheus.Desc
	counters              []counterSpec
	drops, ignored        *prometheus.Desc
	socketDrops           *prometheus.Desc
	lastAdvertAge         *prometheus.Desc
	lastTransition        *prometheus.Desc
	trackerUp             *prometheus.Desc
	startTime, lastReload *prometheus.Desc
	lvs                   lvsDescs
	bfd                   bfdDescs
	bgp                   bgpDescs
}

// Option configures a Collector.
type Option func(*Collector)

// WithClock sets the clock used for gokeepalived_vrrp_last_advert_age_seconds
// (default time.Now). Tests pass a fixed time.
func WithClock(now func() time.Time) Option { return func(c *Collector) { c.now = now } }

// New returns a Collector that reads snapshot at every scrape. snapshot must
// be safe to call from the HTTP server's goroutines and may return nil (the
// daemon is not ready): then no metric is exported.
func New(snapshot func() *ctl.Snapshot, opts ...Option) *Collector {
	c := &Collector{
		snapshot: snapshot,
		now:      time.Now,
		state: instanceDesc("state",
			"1 for the instance's current VRRP state, 0 for the other states.", "state"),
		stateCode: instanceDesc("state_code",
			"Current VRRP state as keepalived numbers it: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP."),
		basePrio: instanceDesc("base_priority",
			"Configured priority (0-255)."),
		effPrio: instanceDesc("effective_priority",
			"Priority after tracker weights, as sent in adverts."),
		vipsHeld: instanceDesc("vips_held",
			"1 while the instance holds its virtual addresses on the interface, else 0."),
		maintenance: instanceDesc("maintenance",
			"1 while gokeepalivedctl maintenance holds the instance out (it never becomes MASTER), else 0."),
		drops: instanceDesc("drops_total",
			"Received advertisements dropped, by reason.", "reason"),
		socketDrops: prometheus.NewDesc(prometheus.BuildFQName(namespace, subVRRP, "socket_drops_total"),
			"Packets a shared VRRP socket dropped before an instance could be named, by reason (ctl.SocketCounter).",
			[]string{"interface", "family", "reason"}, nil),
		ignored: instanceDesc("inputs_ignored_total",
			"Inputs (mostly adverts) the VRRP state machine ignored, by reason.", "reason"),
		lastAdvertAge: instanceDesc("last_advert_age_seconds",
			"Seconds since the last valid advertisement was received; absent if none yet."),
		lastTransition: instanceDesc("last_transition_timestamp_seconds",
			"Unix time of the instance's last state change; absent if none yet."),
		trackerUp: instanceDesc("tracker_up",
			"1 when a tracked object (script, interface, file, process) is OK, else 0.", "kind", "tracker"),
		startTime: prometheus.NewDesc(prometheus.BuildFQName(namespace, subDaemon, "start_time_seconds"),
			"Unix time the daemon started.", nil, nil),
		lastReload: prometheus.NewDesc(prometheus.BuildFQName(namespace, subDaemon, "last_reload_timestamp_seconds"),
			"Unix time of the last successful configuration reload; absent if never reloaded.", nil, nil),
		lvs: newLVSDescs(),
		bfd: newBFDDescs(),
		bgp: newBGPDescs(),
	}
	for k := range ctl.NumCounters {
		if _, ignored := k.IgnoreReason(); ignored {
			continue // one series per reason of inputs_ignored_total
		}
		name, ok := metricNames[k]
		if !ok {
			name = k.String()
		}
		c.counters = append(c.counters, counterSpec{c: k, desc: instanceDesc(name+"_total", k.Description())})
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.stateCode, c.basePrio, c.effPrio, c.vipsHeld, c.maintenance,
		c.drops, c.ignored, c.socketDrops, c.lastAdvertAge, c.lastTransition, c.trackerUp, c.startTime, c.lastReload} {
		ch <- d
	}
	for _, s := range c.counters {
		ch <- s.desc
	}
	for _, d := range c.lvs.all() {
		ch <- d
	}
	for _, d := range c.bfd.all() {
		ch <- d
	}
	c.bgp.describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.snapshot()
	if st == nil {
		return
	}
	if !st.StartedAt.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.startTime, prometheus.GaugeValue, unixSeconds(st.StartedAt))
	}
	if !st.ReloadedAt.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.lastReload, prometheus.GaugeValue, unixSeconds(st.ReloadedAt))
	}
	now := c.now()
	for _, in := range st.Instances {
		c.collectInstance(ch, in, now)
	}
	for _, so := range st.Sockets {
		for k := range ctl.NumSocketCounters {
			ch <- prometheus.MustNewConstMetric(c.socketDrops, prometheus.CounterValue, float64(so.Counters.SocketCount(k)),
				so.Interface, so.Family(), k.String())
		}
	}
	c.lvs.collect(ch, st.VirtualServers)
	c.bfd.collect(ch, st.BFD)
	c.bgp.collect(ch, st.BGP)
}

func (c *Collector) collectInstance(ch chan<- prometheus.Metric, in *ctl.InstanceSnapshot, now time.Time) {
	lv := []string{in.Name, strconv.Itoa(in.VRID), in.Interface}
	with := func(extra string) []string { return append(lv[:len(lv):len(lv)], extra) }
	gauge := func(d *prometheus.Desc, v float64, labels []string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels []string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}

	// The states, and MAINTENANCE (a BACKUP held out: its BACKUP series
	// is then 0), as the status shows them.
	shown := in.StateName()
	for s := range vrrp.NumStates {
		gauge(c.state, b2f(s.String() == shown), with(s.String()))
	}
	gauge(c.state, b2f(shown == ctl.MaintenanceState), with(ctl.MaintenanceState))
	gauge(c.maintenance, b2f(in.Maintenance), lv)
	if in.State < vrrp.NumStates {
		gauge(c.stateCode, float64(in.State.KeepalivedCode()), lv)
	}
	gauge(c.basePrio, float64(in.BasePriority), lv)
	gauge(c.effPrio, float64(in.EffectivePriority), lv)
	gauge(c.vipsHeld, b2f(in.VIPsHeld), lv)

	for _, s := range c.counters {
		counter(s.desc, in.Counters.Get(s.c), lv)
	}
	for k := range ctl.NumCounters {
		if r, ok := k.IgnoreReason(); ok {
			if n := in.Counters.Get(k); n > 0 {
				counter(c.ignored, n, with(r))
			}
		}
	}
	for r := packet.DropReason(1); r < packet.NumDropReasons; r++ {
		counter(c.drops, in.Counters.Dropped(r), with(r.String()))
	}
	if last := in.Counters.LastAdvert(); !last.IsZero() {
		gauge(c.lastAdvertAge, max(now.Sub(last).Seconds(), 0), lv)
	}
	if in.LastTransition != nil && !in.LastTransition.At.IsZero() {
		gauge(c.lastTransition, unixSeconds(in.LastTransition.At), lv)
	}
	for _, t := range in.Trackers {
		gauge(c.trackerUp, b2f(t.OK), append(lv[:len(lv):len(lv)], t.Kind, t.Name))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// NewRegistry returns a fresh registry holding a Collector over snapshot plus
// the Go runtime and process collectors (memory, GC, CPU, file descriptors).
func NewRegistry(snapshot func() *ctl.Snapshot, opts ...Option) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	c := New(snapshot, opts...)
	reg.MustRegister(
		c, buildInfo(c.version),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves the metrics of NewRegistry(snapshot) at /metrics; every
// other path is 404. Mount it on the daemon's metrics listener.
func Handler(snapshot func() *ctl.Snapshot, opts ...Option) http.Handler {
	reg := NewRegistry(snapshot, opts...)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return mux
}
