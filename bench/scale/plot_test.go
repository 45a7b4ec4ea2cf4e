package scale

import (
	"fmt"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// The plots' file names, and where the markdown section (in docs/) finds
// them: run.sh draws them into docs/img.
const (
	cpuPlot  = "scale-cpu.png"
	flapPlot = "scale-flaps.png"
	plotRef  = "img"
)

// plots draws the runs into dir: CPU (% of a core, master and backup)
// against N, and the backup's entries to MASTER in the window against N,
// one line per daemon (and node).
func plots(rs []result, dir string) error {
	cpu := plot.New()
	cpu.Title.Text = "VRRP process CPU over the window"
	cpu.X.Label.Text = "instances (N)"
	cpu.Y.Label.Text = "% of one core"
	flaps := plot.New()
	flaps.Title.Text = "backup entries to MASTER in the window"
	flaps.X.Label.Text = "instances (N)"
	flaps.Y.Label.Text = "entries"
	var cpuLines, flapLines []any
	for _, d := range []string{"keepalived", "gokeepalived"} {
		var m, b, f plotter.XYs
		for _, r := range rs {
			if r.daemon != d || r.err != "" {
				continue
			}
			m = append(m, plotter.XY{X: float64(r.n), Y: r.cpuM})
			b = append(b, plotter.XY{X: float64(r.n), Y: r.cpuB})
			f = append(f, plotter.XY{X: float64(r.n), Y: float64(r.entries)})
		}
		if len(m) == 0 {
			continue
		}
		for _, xy := range []plotter.XYs{m, b, f} {
			slices.SortFunc(xy, func(a, b plotter.XY) int { return int(a.X - b.X) })
		}
		cpuLines = append(cpuLines, d+" master", m, d+" backup", b)
		flapLines = append(flapLines, d, f)
	}
	if len(cpuLines) == 0 {
		return fmt.Errorf("plots: no successful run to draw")
	}
	if err := plotutil.AddLinePoints(cpu, cpuLines...); err != nil {
		return err
	}
	if err := plotutil.AddLinePoints(flaps, flapLines...); err != nil {
		return err
	}
	cpu.Legend.Top, flaps.Legend.Top = true, true
	cpu.Y.Min, flaps.Y.Min = 0, 0
	if err := cpu.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(dir, cpuPlot)); err != nil {
		return err
	}
	return flaps.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(dir, flapPlot))
}
