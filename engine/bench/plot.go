package bench

import (
	"bufio"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/dfq/dfq/engine"
)

// modeStyle is how an executor is drawn.
var modeStyle = map[string]struct {
	color color.Color
	dash  []vg.Length
	shape draw.GlyphDrawer
}{
	string(engine.Sequential): {color.RGBA{R: 0x44, G: 0x44, B: 0x44, A: 0xff}, nil, draw.BoxGlyph{}},
	string(engine.Threads):    {color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, nil, draw.CircleGlyph{}},
	string(engine.Procs):      {color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, []vg.Length{vg.Points(4), vg.Points(2)}, draw.TriangleGlyph{}},
}

// Plot draws the report's speedups: one panel per query with speedup over
// the sequential executor against workers for each executor, and the ideal
// (speedup = workers) as a dashed grey line. The format follows the file's
// extension: .svg or .png. It needs a seq measurement for every query.
func Plot(rep *Report, path string) (err error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".svg" && ext != ".png" {
		return fmt.Errorf("bench: plot %s: want a .svg or .png file", path)
	}
	panels, err := speedupPlots(rep)
	if err != nil {
		return err
	}
	cols := min(4, len(panels))
	rows := (len(panels) + cols - 1) / cols
	if len(panels) < rows*cols {
		// A free tile: the legend goes there rather than over a panel.
		legend := plot.New()
		legend.HideAxes()
		legend.Legend = panels[0].Legend
		legend.Legend.Top, legend.Legend.Left = true, true
		legend.Legend.TextStyle.Font.Size = vg.Points(14)
		panels[0].Legend = plot.NewLegend()
		panels = append(panels, legend)
	}
	grid := make([][]*plot.Plot, rows)
	for j := range grid {
		grid[j] = make([]*plot.Plot, cols)
		for i := range cols {
			if k := j*cols + i; k < len(panels) {
				grid[j][i] = panels[k]
			}
		}
	}
	w, h := vg.Points(230)*vg.Length(cols), vg.Points(190)*vg.Length(rows)+vg.Points(24)
	var canvas vg.CanvasWriterTo
	switch ext {
	case ".svg":
		canvas = vgsvg.New(w, h)
	default:
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))}
	}
	dc := draw.New(canvas)
	title := fmt.Sprintf("dfq speedup over sequential: %s, %s rows, %d cores", filepath.Base(firstOr(rep.Data.Files, "data")), shortCount(rep.Data.Rows), rep.Machine.Cores)
	dc.FillText(draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 12), XAlign: draw.XCenter,
		YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}, vg.Point{X: w / 2, Y: h - vg.Points(12)}, title)
	body := draw.Crop(dc, 0, 0, 0, -vg.Points(24))
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(8), PadY: vg.Points(8),
		PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(grid, tiles, body)
	for j := range grid {
		for i, p := range grid[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("bench: plot: %w", cerr)
		}
	}()
	bw := bufio.NewWriter(f)
	if _, err := canvas.WriteTo(bw); err != nil {
		return fmt.Errorf("bench: plot %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("bench: plot %s: %w", path, err)
	}
	return nil
}

func firstOr(xs []string, def string) string {
	if len(xs) == 0 {
		return def
	}
	if len(xs) > 1 {
		return xs[0] + ", ..."
	}
	return xs[0]
}

// speedupPlots makes one plot per query, in the report's query order.
func speedupPlots(rep *Report) ([]*plot.Plot, error) {
	type series struct {
		mode string
		xys  plotter.XYs
	}
	var out []*plot.Plot
	maxW := 1
	for _, m := range rep.Results {
		maxW = max(maxW, m.Workers)
	}
	for qi, q := range rep.Queries {
		var ss []*series
		top := float64(maxW)
		seen := false
		for _, m := range rep.Results {
			if m.Query != q.Name {
				continue
			}
			seen = true
			if m.Speedup <= 0 {
				return nil, fmt.Errorf("bench: plot: query %s has no speedup (a seq run is needed)", q.Name)
			}
			var s *series
			for _, x := range ss {
				if x.mode == m.Mode {
					s = x
				}
			}
			if s == nil {
				s = &series{mode: m.Mode}
				ss = append(ss, s)
			}
			s.xys = append(s.xys, plotter.XY{X: float64(m.Workers), Y: m.Speedup})
			top = max(top, m.Speedup)
		}
		if !seen {
			continue
		}
		p := plot.New()
		p.Title.Text = q.Name
		p.X.Label.Text = "workers"
		p.Y.Label.Text = "speedup"
		p.X.Min, p.X.Max = 0.8, float64(maxW)+0.2
		p.Y.Min, p.Y.Max = 0, top*1.1
		p.X.Tick.Marker = workerTicks(maxW)
		p.Y.Tick.Marker = speedupTicks{}
		p.Add(plotter.NewGrid())
		ideal, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 1}, {X: float64(maxW), Y: float64(maxW)}})
		if err != nil {
			return nil, err
		}
		ideal.Color = color.Gray{Y: 0x99}
		ideal.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(ideal)
		if qi == 0 {
			p.Legend.Add("ideal", ideal)
			p.Legend.Top, p.Legend.Left = true, true
		}
		for _, s := range ss {
			st := modeStyle[s.mode]
			l, pts, err := plotter.NewLinePoints(s.xys)
			if err != nil {
				return nil, err
			}
			l.Color, l.Dashes = st.color, st.dash
			pts.Color, pts.Shape = st.color, st.shape
			p.Add(l, pts)
			if qi == 0 {
				p.Legend.Add(s.mode, l, pts)
			}
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: plot: no measurements")
	}
	return out, nil
}

// workerTicks puts a tick at every measured worker count's power of two.
type workerTicks int

func (n workerTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	step := 1
	for int(n)/step > 8 {
		step *= 2
	}
	for w := 1; w <= int(n); w++ {
		if w == 1 || w%step == 0 || w == int(n) {
			ts = append(ts, plot.Tick{Value: float64(w), Label: fmt.Sprint(w)})
		}
	}
	return ts
}

// speedupTicks labels the speedup axis at round steps: 0.5 up to 4, then
// whole numbers, with unlabelled minor ticks between.
type speedupTicks struct{}

func (speedupTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 0.5
	for hi/step > 8 {
		step *= 2
	}
	var ts []plot.Tick
	for v := 0.0; v <= hi+1e-9; v += step / 2 {
		t := plot.Tick{Value: v}
		if math.Mod(v, step) < 1e-9 {
			t.Label = strconv.FormatFloat(v, 'f', -1, 64)
		}
		if v >= lo-1e-9 {
			ts = append(ts, t)
		}
	}
	return ts
}

// shortCount writes n as 1e7 when it is a power of ten, else as a number.
func shortCount(n int64) string {
	if n > 0 {
		e, v := 0, n
		for v%10 == 0 {
			v /= 10
			e++
		}
		if v == 1 && e > 0 {
			return fmt.Sprintf("1e%d", e)
		}
	}
	return fmt.Sprint(n)
}
