// Package metrics exposes the daemon's status snapshot to Prometheus. A
// Collector reads the snapshot at scrape time (gobgp's pkg/metrics shape), so
// the daemon keeps no metric objects and the advert path never touches a
// Prometheus lock. Nothing is registered globally: Handler builds its own
// registry.
//
// Labels come from the configuration only: instance (vrrp_instance name),
// vrid, interface, plus reason (a drop reason from a fixed list), state (one
// of the state names), and kind/tracker for tracked objects; for the load
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
//	gokeepalived_vrrp_adverts_sent_total                     counter "adverts_sent"
//	gokeepalived_vrrp_adverts_received_total                 counter "adverts_received"
//	gokeepalived_vrrp_transitions_total                      counter "transitions"
//	gokeepalived_vrrp_split_brain_suspected_total            counter "split_brain_suspected"
//	gokeepalived_vrrp_priority_zero_{sent,received}_total    counters "priority_zero_sent", "priority_zero_received"
//	gokeepalived_vrrp_{became,released}_master_total          counters "became_master", "released_master"
//	gokeepalived_vrrp_no_master_heard_total                  counter "no_master_heard"
//	gokeepalived_vrrp_advert_send_errors_total               counter "send_errors"
//	gokeepalived_vrrp_vip_errors_total                       counter "vip_errors"
//	gokeepalived_vrrp_garp_{sent,errors}_total               counters "garp_sent", "garp_errors"
//	gokeepalived_vrrp_inputs_ignored_total{…,reason}         counters "ignored_<reason>"
//	gokeepalived_vrrp_drops_total{…,reason}                  received adverts dropped, per reason
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
//
// A counter whose key is missing from InstanceStatus.Counters is not exported
// (absent, not zero), so a daemon that does not count something yet does not
// claim a zero. Drops are exported for every packet.DropReason, zero when
// absent, so rate() works from the first scrape.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp/packet"
)

// Keys of ctl.InstanceStatus.Counters that this package exports. The daemon
// fills the map with these names.
const (
	CounterAdvertsSent         = "adverts_sent"
	CounterAdvertsReceived     = "adverts_received"
	CounterTransitions         = "transitions"
	CounterSplitBrainSuspected = "split_brain_suspected"
	CounterPriorityZeroSent    = "priority_zero_sent"
	CounterPriorityZeroRecv    = "priority_zero_received"
	CounterBecameMaster        = "became_master"
	CounterReleasedMaster      = "released_master"
	CounterNoMasterHeard       = "no_master_heard"
	CounterSendErrors          = "send_errors"
	CounterVIPErrors           = "vip_errors"
	CounterGARPSent            = "garp_sent"
	CounterGARPErrors          = "garp_errors"
	// CounterIgnoredPrefix starts the keys "ignored_<vrrp.IgnoreReason>":
	// inputs the VRRP core ignored, exported with a reason label.
	CounterIgnoredPrefix = "ignored_"
)

const (
	namespace = "gokeepalived"
	subVRRP   = "vrrp"
	subDaemon = "daemon"
)

// stateCodes is keepalived's numeric state (keepalived/include/vrrp.h, the
// "state" field of /tmp/keepalived.json), used by gokeepalived_vrrp_state_code.
var stateCodes = map[string]float64{
	"INIT":   0,
	"BACKUP": 1,
	"MASTER": 2,
	"FAULT":  3,
	"STOP":   98,
}

// stateNames are the states exported by gokeepalived_vrrp_state, in
// keepalived's numeric order.
var stateNames = []string{"INIT", "BACKUP", "MASTER", "FAULT", "STOP"}

var instanceLabels = []string{"instance", "vrid", "interface"}

func instanceDesc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, subVRRP, name), help,
		append(slices.Clone(instanceLabels), extra...), nil)
}

// counterSpec maps one Counters key to a metric.
type counterSpec struct {
	key  string
	desc *prometheus.Desc
}

// Collector is a prometheus.Collector over a snapshot function. It holds no
// metric state of its own; every Collect calls the snapshot once.
type Collector struct {
	snapshot func() *ctl.Status
	now      func() time.Time

	state, stateCode      *prometheus.Desc
	basePrio, effPrio     *prometheus.Desc
	vipsHeld              *prometheus.Desc
	counters              []counterSpec
	drops, ignored        *prometheus.Desc
	lastAdvertAge         *prometheus.Desc
	lastTransition        *prometheus.Desc
	trackerUp             *prometheus.Desc
	startTime, lastReload *prometheus.Desc
	lvs                   lvsDescs
}

// Option configures a Collector.
type Option func(*Collector)

// WithClock sets the clock used for gokeepalived_vrrp_last_advert_age_seconds
// (default time.Now). Tests pass a fixed time.
func WithClock(now func() time.Time) Option { return func(c *Collector) { c.now = now } }

// New returns a Collector that reads snapshot at every scrape. snapshot must
// be safe to call from the HTTP server's goroutines and may return nil (the
// daemon is not ready): then no metric is exported.
func New(snapshot func() *ctl.Status, opts ...Option) *Collector {
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
		drops: instanceDesc("drops_total",
			"Received advertisements dropped, by reason.", "reason"),
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
	}
	for _, s := range []struct{ key, name, help string }{
		{CounterAdvertsSent, "adverts_sent_total", "Advertisements sent."},
		{CounterAdvertsReceived, "adverts_received_total", "Valid advertisements received."},
		{CounterTransitions, "transitions_total", "VRRP state changes."},
		{CounterSplitBrainSuspected, "split_brain_suspected_total",
			"Adverts from another master while this instance was MASTER and out-ranked it: both held the virtual addresses."},
		{CounterPriorityZeroSent, "priority_zero_sent_total", "Priority 0 adverts sent (giving up mastership)."},
		{CounterPriorityZeroRecv, "priority_zero_received_total", "Priority 0 adverts received (the master gave up)."},
		{CounterBecameMaster, "became_master_total", "Transitions into MASTER."},
		{CounterReleasedMaster, "released_master_total", "Transitions out of MASTER."},
		{CounterNoMasterHeard, "no_master_heard_total",
			"Master down timer expiries with no advert heard since start: alone, or cut off from the peers (firewall, unicast_peer, VRID)."},
		{CounterSendErrors, "advert_send_errors_total", "Adverts that could not be sent."},
		{CounterVIPErrors, "vip_errors_total", "Failures adding or removing virtual addresses, routes or rules."},
		{CounterGARPSent, "garp_sent_total", "Gratuitous ARPs / unsolicited neighbour advertisements sent."},
		{CounterGARPErrors, "garp_errors_total", "Gratuitous ARP / NA send failures."},
	} {
		c.counters = append(c.counters, counterSpec{key: s.key, desc: instanceDesc(s.name, s.help)})
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.stateCode, c.basePrio, c.effPrio, c.vipsHeld,
		c.drops, c.ignored, c.lastAdvertAge, c.lastTransition, c.trackerUp, c.startTime, c.lastReload} {
		ch <- d
	}
	for _, s := range c.counters {
		ch <- s.desc
	}
	for _, d := range c.lvs.all() {
		ch <- d
	}
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
	for i := range st.Instances {
		c.collectInstance(ch, &st.Instances[i], now)
	}
	c.lvs.collect(ch, st.VirtualServers)
}

func (c *Collector) collectInstance(ch chan<- prometheus.Metric, in *ctl.InstanceStatus, now time.Time) {
	lv := []string{in.Name, strconv.Itoa(in.VRID), in.Interface}
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(slices.Clone(lv), extra...)...)
	}
	counter := func(d *prometheus.Desc, v uint64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append(slices.Clone(lv), extra...)...)
	}

	state := strings.ToUpper(in.State)
	for _, s := range stateNames {
		gauge(c.state, b2f(s == state), s)
	}
	if code, ok := stateCodes[state]; ok {
		gauge(c.stateCode, code)
	}
	gauge(c.basePrio, float64(in.BasePriority))
	gauge(c.effPrio, float64(in.EffectivePriority))
	gauge(c.vipsHeld, b2f(in.VIPsHeld))

	for _, s := range c.counters {
		if v, ok := in.Counters[s.key]; ok {
			counter(s.desc, v)
		}
	}
	for _, d := range dropCounts(in.Drops) {
		counter(c.drops, d.n, d.reason)
	}
	for _, d := range ignoredCounts(in.Counters) {
		counter(c.ignored, d.n, d.reason)
	}
	if !in.LastAdvert.IsZero() {
		gauge(c.lastAdvertAge, max(now.Sub(in.LastAdvert).Seconds(), 0))
	}
	if in.LastTransition != nil && !in.LastTransition.At.IsZero() {
		gauge(c.lastTransition, unixSeconds(in.LastTransition.At))
	}
	for _, t := range in.Trackers {
		gauge(c.trackerUp, b2f(t.OK), t.Kind, t.Name)
	}
}

type dropCount struct {
	reason string
	n      uint64
}

// dropCounts returns one count per packet.DropReason (zero when absent) plus
// any other key the daemon reports, with reasons in snake_case ("TTL" →
// "ttl", "VRIDMismatch" → "vrid_mismatch"). Keys may be given in either
// form; both forms of one reason are summed.
func dropCounts(m map[string]uint64) []dropCount {
	sum := make(map[string]uint64, int(packet.NumDropReasons)+len(m))
	for r := packet.DropReason(1); r < packet.NumDropReasons; r++ {
		sum[snake(r.String())] = 0
	}
	for k, v := range m {
		sum[snake(k)] += v
	}
	out := make([]dropCount, 0, len(sum))
	for k, v := range sum {
		out = append(out, dropCount{k, v})
	}
	slices.SortFunc(out, func(a, b dropCount) int { return strings.Compare(a.reason, b.reason) })
	return out
}

// ignoredCounts returns the "ignored_<reason>" counters, reason in
// snake_case, sorted.
func ignoredCounts(m map[string]uint64) []dropCount {
	var out []dropCount
	for k, v := range m {
		if r, ok := strings.CutPrefix(k, CounterIgnoredPrefix); ok && r != "" {
			out = append(out, dropCount{snake(r), v})
		}
	}
	slices.SortFunc(out, func(a, b dropCount) int { return strings.Compare(a.reason, b.reason) })
	return out
}

// snake turns a CamelCase name into snake_case, keeping acronyms together:
// "VRIDMismatch" → "vrid_mismatch", "ChecksumV2Form" → "checksum_v2_form".
// Hyphens become underscores; snake_case input is returned unchanged.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && r[i-1] != '_' {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte('_')
			}
		}
		if c == '-' {
			c = '_'
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
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
func NewRegistry(snapshot func() *ctl.Status, opts ...Option) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		New(snapshot, opts...),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves the metrics of NewRegistry(snapshot) at /metrics; every
// other path is 404. Mount it on the daemon's metrics listener.
func Handler(snapshot func() *ctl.Status, opts ...Option) http.Handler {
	reg := NewRegistry(snapshot, opts...)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return mux
}
