package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/ctl"
)

const subBFD = "bfd"

// bfdDescs are the descriptors of the BFD sessions (bfd_instance). The
// session label is the bfd_instance name, from the configuration; state,
// diag and reason are bfd.State, bfd.Diag and bfd.DropReason names.
type bfdDescs struct {
	state, up, diag                        *prometheus.Desc
	localDiscr, remoteDiscr                *prometheus.Desc
	txInterval, rxInterval, detectTime     *prometheus.Desc
	ups, downs, lastChange                 *prometheus.Desc
	rxPackets, txPackets, sendErrors, drop *prometheus.Desc
	allDrops                               *prometheus.Desc
}

func newBFDDescs() bfdDescs {
	s := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, subBFD, name), help, append([]string{"session"}, extra...), nil)
	}
	return bfdDescs{
		state: s("session_state", "1 for the BFD session's current state (AdminDown, Down, Init, Up), 0 for the others.", "state"),
		up:    s("session_up", "1 while the BFD session is Up, else 0."),
		diag: s("session_diag",
			"1 for the session's last local diagnostic (RFC 5880 names, e.g. Control Detection Time Expired), 0 for the others.", "diag"),
		localDiscr:  s("session_local_discriminator", "The session's local discriminator."),
		remoteDiscr: s("session_remote_discriminator", "The peer's discriminator; 0 while the peer is not known."),
		txInterval:  s("session_tx_interval_seconds", "Negotiated transmit interval (before jitter); 0 while the peer asks for no packets."),
		rxInterval:  s("session_rx_interval_seconds", "Negotiated receive interval: the peer's packets are expected this often; 0 before the peer is heard."),
		detectTime: s("session_detection_time_seconds",
			"Detection time: without a packet from the peer for this long, the session goes Down; 0 before the peer is heard."),
		ups:        s("session_ups_total", "Transitions of the session to Up."),
		downs:      s("session_downs_total", "Transitions of the session from Up."),
		lastChange: s("session_last_change_timestamp_seconds", "Unix time of the session's last state change; absent if none yet."),
		rxPackets:  s("session_packets_received_total", "Control packets from the peer the session accepted."),
		txPackets:  s("session_packets_sent_total", "Control packets sent to the peer."),
		sendErrors: s("session_send_errors_total", "Control packets that could not be sent."),
		drop:       s("session_drops_total", "Packets from the peer dropped after they were matched to the session, by reason.", "reason"),
		allDrops: prometheus.NewDesc(prometheus.BuildFQName(namespace, subBFD, "drops_total"),
			"Received BFD packets dropped, by reason: every session's and those matched to no session.", []string{"reason"}, nil),
	}
}

func (d *bfdDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.state, d.up, d.diag, d.localDiscr, d.remoteDiscr, d.txInterval, d.rxInterval, d.detectTime,
		d.ups, d.downs, d.lastChange, d.rxPackets, d.txPackets, d.sendErrors, d.drop, d.allDrops}
}

var bfdStates = []bfd.State{bfd.StateAdminDown, bfd.StateDown, bfd.StateInit, bfd.StateUp}

// collect exports the BFD sessions. Every drop reason is present from the
// start, at zero.
func (d *bfdDescs) collect(ch chan<- prometheus.Metric, b *ctl.BFDStatus) {
	if b == nil {
		return
	}
	seen := make(map[string]bool, len(b.Sessions))
	for i := range b.Sessions {
		s := &b.Sessions[i]
		if seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		gauge := func(desc *prometheus.Desc, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, append([]string{s.Name}, extra...)...)
		}
		counter := func(desc *prometheus.Desc, v uint64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), append([]string{s.Name}, extra...)...)
		}
		for _, st := range bfdStates {
			gauge(d.state, b2f(st.String() == s.State), st.String())
		}
		gauge(d.up, b2f(s.State == bfd.StateUp.String()))
		for dg := bfd.DiagNone; dg <= bfd.DiagReverseConcatenatedPathDn; dg++ {
			gauge(d.diag, b2f(dg.String() == s.LocalDiag), dg.String())
		}
		gauge(d.localDiscr, float64(s.LocalDiscr))
		gauge(d.remoteDiscr, float64(s.RemoteDiscr))
		gauge(d.txInterval, float64(s.TxIntervalUS)/1e6)
		gauge(d.rxInterval, float64(s.RxIntervalUS)/1e6)
		gauge(d.detectTime, float64(s.DetectionTimeUS)/1e6)
		counter(d.ups, s.Ups)
		counter(d.downs, s.Downs)
		if !s.LastChange.IsZero() {
			gauge(d.lastChange, unixSeconds(s.LastChange))
		}
		counter(d.rxPackets, s.PacketsReceived)
		counter(d.txPackets, s.PacketsSent)
		counter(d.sendErrors, s.SendErrors)
		for r := bfd.DropReason(1); r < bfd.NumDropReasons; r++ {
			counter(d.drop, s.Drops[r.String()], r.String())
		}
	}
	for r := bfd.DropReason(1); r < bfd.NumDropReasons; r++ {
		ch <- prometheus.MustNewConstMetric(d.allDrops, prometheus.CounterValue, float64(b.Drops[r.String()]), r.String())
	}
}
