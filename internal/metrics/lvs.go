package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"gokeepalived/internal/ctl"
)

const subLVS = "lvs"

// Labels of the load-balancer series. vs is the virtual server's name as the
// configuration spells it ("192.0.2.100:80/TCP", "fwmark 1", "group NAME"),
// rs a real server's IP:PORT, backend "ipvs" or "nft". All three come from
// the configuration, never from traffic.
var (
	vsLabels = []string{"vs", "backend"}
	rsLabels = []string{"vs", "rs"}
)

// Real-server states counted by gokeepalived_lvs_virtual_server_real_servers.
const (
	rsStateUp   = "up"
	rsStateDown = "down"
)

// lvsDescs are the descriptors of the load-balancer subsystem.
type lvsDescs struct {
	vsUp, vsSorry, vsSuspended, vsRealServers, vsLiveWeight *prometheus.Desc
	rsUp, rsWeight, rsInTable, rsLastChange                 *prometheus.Desc
}

func newLVSDescs() lvsDescs {
	vs := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, subLVS, name), help,
			append(append([]string(nil), vsLabels...), extra...), nil)
	}
	rs := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, subLVS, name), help, rsLabels, nil)
	}
	return lvsDescs{
		vsUp: vs("virtual_server_up",
			"1 while the virtual server's quorum is met (the live real servers' weight reaches quorum), else 0."),
		vsSorry: vs("virtual_server_sorry_active",
			"1 while the sorry_server is in the table in place of the real servers, else 0."),
		vsSuspended: vs("virtual_server_suspended",
			"1 while ha_suspend holds the virtual server's checkers (its address is not local), else 0."),
		vsRealServers: vs("virtual_server_real_servers",
			"Real servers of the virtual server, by health state (up or down).", "state"),
		// Not "weight_sum": a _sum suffix belongs to summaries and
		// histograms (promlint).
		vsLiveWeight: vs("virtual_server_live_weight",
			"Sum of the weights of the live real servers, as compared with quorum."),
		rsUp: rs("real_server_up",
			"1 while the real server's health checks pass, else 0."),
		rsWeight: rs("real_server_weight",
			"The real server's weight: the configured one, or the one a MISC_CHECK or FILE_CHECK set."),
		rsInTable: rs("real_server_in_table",
			"1 while the real server is in the kernel table (at weight 0 under inhibit_on_failure), else 0."),
		rsLastChange: rs("real_server_last_change_timestamp_seconds",
			"Unix time the real server's health state last changed; absent if it has not changed yet."),
	}
}

func (d *lvsDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.vsUp, d.vsSorry, d.vsSuspended, d.vsRealServers, d.vsLiveWeight,
		d.rsUp, d.rsWeight, d.rsInTable, d.rsLastChange}
}

// collectLVS exports the virtual and real servers. The configuration rejects
// a virtual server or a real server defined twice; a repeat that reaches the
// snapshot anyway is skipped, since a duplicate series would fail the whole
// scrape.
func (d *lvsDescs) collect(ch chan<- prometheus.Metric, vss []ctl.VirtualServerStatus) {
	seenVS := make(map[string]bool, len(vss))
	for i := range vss {
		vs := &vss[i]
		if seenVS[vs.Name] {
			continue
		}
		seenVS[vs.Name] = true
		gauge := func(desc *prometheus.Desc, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, append([]string{vs.Name, vs.Backend}, extra...)...)
		}
		var up, down int
		seenRS := make(map[string]bool, len(vs.RealServers))
		for j := range vs.RealServers {
			rs := &vs.RealServers[j]
			if seenRS[rs.Addr] {
				continue
			}
			seenRS[rs.Addr] = true
			if rs.Up {
				up++
			} else {
				down++
			}
			rsGauge := func(desc *prometheus.Desc, v float64) {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, vs.Name, rs.Addr)
			}
			rsGauge(d.rsUp, b2f(rs.Up))
			rsGauge(d.rsWeight, float64(rs.Weight))
			rsGauge(d.rsInTable, b2f(rs.InTable))
			if !rs.LastChange.IsZero() {
				rsGauge(d.rsLastChange, unixSeconds(rs.LastChange))
			}
		}
		gauge(d.vsUp, b2f(vs.Quorum))
		gauge(d.vsSorry, b2f(vs.Sorry))
		gauge(d.vsSuspended, b2f(vs.Suspended))
		gauge(d.vsRealServers, float64(up), rsStateUp)
		gauge(d.vsRealServers, float64(down), rsStateDown)
		gauge(d.vsLiveWeight, float64(vs.WeightSum))
	}
}
