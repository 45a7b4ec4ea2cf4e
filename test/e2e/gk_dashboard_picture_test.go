package e2e

import (
	"bufio"
	"context"
	"image/color"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"gokeepalived/test/e2e/netns"
)

// EnvDashboardPNG names the PNG TestDashboardPicture writes; without it the
// test is skipped (it is how docs/grafana/gokeepalived.png is made, not a check).
const EnvDashboardPNG = "GOKEEPALIVED_DASHBOARD_PNG"

// scrape reads m's /metrics into series name{labels} → value.
func scrape(m *member) map[string]float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := m.node.Exec(ctx, "curl", "-sS", "--max-time", "2", "http://"+diagMetrics+"/metrics")
	if err != nil {
		return nil
	}
	got := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "gokeepalived_vrrp_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			got[line[:i]] = v
		}
	}
	return got
}

type sample struct {
	at     float64 // seconds since the start
	series map[string]float64
}

// TestDashboardPicture runs the seed's nginx pair (gokeepalived on both nodes, metrics on),
// scrapes both /metrics every 250 ms while the master's link goes down at 4 s and up at 10 s,
// and renders four of the Grafana dashboard's panels from those samples with gonum/plot into
// $GOKEEPALIVED_DASHBOARD_PNG (docs/grafana/gokeepalived.png).
func TestDashboardPicture(t *testing.T) {
	out := os.Getenv(EnvDashboardPNG)
	if out == "" {
		t.Skip("set " + EnvDashboardPNG + "=FILE.png to render the dashboard picture from a real run")
	}
	c := newCluster(t, "dash", vip, clientAddr)
	m := c.add("master", netns.Gokeepalived, readConf(t, "master.conf"), masterAddr)
	b := c.add("backup", netns.Gokeepalived, readConf(t, "backup.conf"), backupAddr)
	for _, x := range []*member{m, b} {
		x.gk().Args = []string{"--metrics-listen", diagMetrics}
	}
	c.start(m)
	netns.Eventually(t, converge, c.state(m, "MASTER"))
	c.start(b)
	netns.Eventually(t, converge, c.state(b, "BACKUP"))

	samples := map[*member][]sample{}
	var mu sync.Mutex
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, x := range []*member{m, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(250 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					s := sample{at: time.Since(start).Seconds(), series: scrape(x)}
					mu.Lock()
					samples[x] = append(samples[x], s)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(4 * time.Second) // the picture's timeline: plain waits are its point
	m.node.LinkDown(ifname)
	netns.Eventually(t, converge, c.state(b, "MASTER"))
	time.Sleep(time.Until(start.Add(10 * time.Second)))
	m.node.LinkUp(ifname)
	netns.Eventually(t, converge, c.state(m, "MASTER"))
	time.Sleep(time.Until(start.Add(16 * time.Second)))
	close(stop)
	wg.Wait()

	key := func(metric string) string {
		return metric + `{instance="VI_1",interface="ens33",vrid="51"}`
	}
	colors := map[*member]color.Color{m: color.RGBA{R: 31, G: 119, B: 180, A: 255}, b: color.RGBA{R: 255, G: 127, B: 14, A: 255}}
	panel := func(title, unit string, value func(ss []sample, i int) (float64, bool)) *plot.Plot {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "s since the start of the run"
		p.Y.Label.Text = unit
		p.Add(plotter.NewGrid())
		for _, x := range []*member{m, b} {
			var xys plotter.XYs
			ss := samples[x]
			for i := 1; i < len(ss); i++ {
				if v, ok := value(ss, i); ok {
					xys = append(xys, plotter.XY{X: ss[i].at, Y: v})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				t.Fatal(err)
			}
			l.Color = colors[x]
			l.Width = vg.Points(2)
			l.StepStyle = plotter.PostStep
			p.Add(l)
			p.Legend.Add(x.name+" ("+x.addr+")", l)
		}
		p.Legend.Top = true
		return p
	}
	gauge := func(metric string) func(ss []sample, i int) (float64, bool) {
		return func(ss []sample, i int) (float64, bool) {
			v, ok := ss[i].series[key(metric)]
			return v, ok
		}
	}
	// rate is over the last second, as Prometheus' rate() over a short window.
	rate := func(metric string) func(ss []sample, i int) (float64, bool) {
		return func(ss []sample, i int) (float64, bool) {
			j := i
			for j > 0 && ss[i].at-ss[j].at < 1 {
				j--
			}
			a, ok1 := ss[j].series[key(metric)]
			z, ok2 := ss[i].series[key(metric)]
			return (z - a) / (ss[i].at - ss[j].at), ok1 && ok2 && ss[i].at-ss[j].at >= 1
		}
	}
	plots := [][]*plot.Plot{
		{panel("VRRP state (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT)", "vrrp_state_code", gauge("gokeepalived_vrrp_state_code")),
			panel("Transitions (total)", "vrrp_transitions_total", gauge("gokeepalived_vrrp_transitions_total"))},
		{panel("Adverts sent per second", "rate(adverts_sent_total)", rate("gokeepalived_vrrp_adverts_sent_total")),
			panel("Adverts received per second", "rate(adverts_received_total)", rate("gokeepalived_vrrp_adverts_received_total"))},
	}
	const w, h = 30 * vg.Centimeter, 18 * vg.Centimeter
	img := vgimg.New(w, h)
	dc := draw.New(img)
	// A caption that says what this is: a real run, not a screenshot.
	const captionH = 1.6 * vg.Centimeter
	captionFont := plot.DefaultFont
	captionFont.Size = vg.Points(10)
	sty := draw.TextStyle{Color: color.Black, Font: captionFont, Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YCenter}
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: captionH + vg.Millimeter*2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	// Drawn last, on white, so that no plot's title covers it.
	dc.SetColor(color.White)
	dc.Fill(vg.Rectangle{Min: vg.Point{X: dc.Min.X, Y: dc.Max.Y - captionH}, Max: dc.Max}.Path())
	mid := (dc.Min.X + dc.Max.X) / 2
	dc.FillText(sty, vg.Point{X: mid, Y: dc.Max.Y - captionH/3},
		"Four panels of docs/grafana/gokeepalived.json, rendered with gonum/plot from the /metrics of a real run (TestDashboardPicture),")
	dc.FillText(sty, vg.Point{X: mid, Y: dc.Max.Y - 2*captionH/3},
		"not a Grafana screenshot: the seed's nginx pair, both nodes gokeepalived; the master's link goes down at 4 s and up at 10 s.")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s from %d+%d samples", out, len(samples[m]), len(samples[b]))
}
