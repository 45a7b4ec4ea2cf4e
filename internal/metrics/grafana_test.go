package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/internal/vrrp/packet"
)

// dashboardQueries reads docs/grafana/gokeepalived.json and returns every
// panel's query expressions.
func dashboardQueries(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../docs/grafana/gokeepalived.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("docs/grafana/gokeepalived.json: %v", err)
	}
	out := map[string][]string{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out[p.Title] = append(out[p.Title], tg.Expr)
		}
	}
	if len(out) < 8 {
		t.Fatalf("read only %d panels with queries", len(out))
	}
	return out
}

// TestGrafanaDashboardMetrics: every metric the Grafana dashboard queries
// is in docs/operations.md's metrics table and exported by a daemon (a
// fresh one, or, for the series absent at first, one that has heard an
// advert and dropped one), and every label it filters or groups by is one
// of that metric's.
func TestGrafanaDashboardMetrics(t *testing.T) {
	documented := documentedMetrics(t)
	snap := freshSnapshot()
	in := snap.Instances[0]
	in.Counters.SetLastAdvert(fixedNow().Add(-time.Second))
	in.Counters.Drop(packet.DropVRIDMismatch)
	reg := NewRegistry(func() *ctl.Snapshot { return snap }, WithClock(fixedNow), WithVersion("1.2.3"))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]map[string]bool{}
	for _, mf := range mfs {
		ls := map[string]bool{"job": true, "instance": true, "exported_instance": true} // added by the scrape
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				ls[l.GetName()] = true
			}
		}
		labels[mf.GetName()] = ls
	}
	metric := regexp.MustCompile(`\b(gokeepalived_[a-z0-9_]+)(\{[^}]*\})?`)
	label := regexp.MustCompile(`([a-z_]+)\s*(=~|!~|!=|=)`)
	by := regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	n := 0
	for title, exprs := range dashboardQueries(t) {
		for _, e := range exprs {
			ms := metric.FindAllStringSubmatch(e, -1)
			if len(ms) == 0 {
				t.Errorf("panel %q: %q queries no gokeepalived metric", title, e)
			}
			for _, m := range ms {
				n++
				name := m[1]
				if _, ok := documented[name]; !ok {
					t.Errorf("panel %q queries %s, which is not in docs/operations.md's metrics table", title, name)
				}
				have, ok := labels[name]
				if !ok {
					t.Errorf("panel %q queries %s, which the daemon does not export", title, name)
					continue
				}
				for _, l := range label.FindAllStringSubmatch(m[2], -1) {
					if !have[l[1]] {
						t.Errorf("panel %q filters %s on label %q, which it does not have", title, name, l[1])
					}
				}
				for _, g := range by.FindAllStringSubmatch(e, -1) {
					for _, l := range regexp.MustCompile(`[a-z_]+`).FindAllString(g[1], -1) {
						if !have[l] {
							t.Errorf("panel %q groups %s by %q, which it does not have", title, name, l)
						}
					}
				}
			}
		}
	}
	t.Logf("%d metric references checked", n)
}
