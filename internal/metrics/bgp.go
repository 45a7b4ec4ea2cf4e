package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"gokeepalived/internal/ctl"
)

const subBGP = "bgp"

// bgpDescs are the BGP speaker's series (the gokeepalived-only bgp block).
// neighbor is a configured neighbor address, prefix and source a
// configured announcement: never values from the wire.
type bgpDescs struct {
	peerUp, peerSent, peerReceived, peerFlaps, prefixAnnounced, prefixLessPreferred, draining *prometheus.Desc
}

func newBGPDescs() bgpDescs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, subBGP, name), help, labels, nil)
	}
	return bgpDescs{
		peerUp:       d("peer_up", "1 while the BGP session to the neighbor is established, else 0.", "neighbor"),
		peerSent:     d("peer_prefixes_sent", "Prefixes advertised to the neighbor.", "neighbor"),
		peerReceived: d("peer_prefixes_received", "Prefixes received from the neighbor.", "neighbor"),
		peerFlaps:    d("peer_flaps_total", "Times the BGP session to the neighbor left the established state.", "neighbor"),
		prefixAnnounced: d("prefix_announced",
			"1 while the prefix is announced (plainly, less preferred or draining), 0 while withdrawn.", "prefix", "source"),
		prefixLessPreferred: d("prefix_less_preferred",
			"1 while the prefix is announced less preferred (a BACKUP instance's prepend, local_pref or med), else 0.", "prefix", "source"),
		draining: d("draining", "1 while the speaker drains (graceful shutdown: GRACEFUL_SHUTDOWN announced, or everything withdrawn), else 0."),
	}
}

func (b bgpDescs) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{b.peerUp, b.peerSent, b.peerReceived, b.peerFlaps, b.prefixAnnounced, b.prefixLessPreferred, b.draining} {
		ch <- d
	}
}

func (b bgpDescs) collect(ch chan<- prometheus.Metric, st *ctl.BGPStatus) {
	if st == nil {
		return
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, p := range st.Peers {
		g(b.peerUp, b01(p.Up), p.Address)
		g(b.peerSent, float64(p.Sent), p.Address)
		g(b.peerReceived, float64(p.Received), p.Address)
		ch <- prometheus.MustNewConstMetric(b.peerFlaps, prometheus.CounterValue, float64(p.Flaps), p.Address)
	}
	for _, p := range st.Prefixes {
		g(b.prefixAnnounced, b01(p.State != "withdrawn"), p.Prefix, p.Source)
		g(b.prefixLessPreferred, b01(p.State == "less-preferred"), p.Prefix, p.Source)
	}
	g(b.draining, b01(st.Drain != "running"))
}

func b01(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
