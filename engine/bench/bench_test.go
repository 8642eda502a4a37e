package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/io/h2o"
	"github.com/dfq/dfq/io/parquet"
)

// testRows is the size of the tests' h2o dataset.
const testRows = 20_000

var testDataConfig = h2o.Config{Rows: testRows, K: 100, Seed: 11}

var (
	dataOnce sync.Once
	dataPath string
	dataErr  error
)

// testData writes a small h2o dataset once per test binary: Parquet with
// row groups of 4096 rows, read with tiny splits so that every executor
// sees several partitions.
func testData(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dfq-bench-test-")
		if err != nil {
			dataErr = err
			return
		}
		tempDirs = append(tempDirs, dir)
		dataPath = filepath.Join(dir, testDataConfig.FileName(h2o.Parquet))
		dataErr = writeParquet(testDataConfig, dataPath, 4096)
	})
	require.NoError(t, dataErr)
	return dataPath
}

func writeParquet(cfg h2o.Config, path string, rowGroup int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := parquet.NewWriter(f, h2o.Schema(), parquet.WriteOptions{Compression: "snappy", RowGroupRows: rowGroup})
	if err != nil {
		return err
	}
	if err := cfg.Generate(context.Background(), memory.DefaultAllocator, 2, w.Write); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

// testConfig is a small benchmark over the test data.
func testConfig(t *testing.T, mem memory.Allocator, queries []Query) Config {
	return Config{
		Data: []string{testData(t)}, Read: engine.ReadOptions{TargetSplitBytes: 64 << 10},
		Queries: queries, Workers: []int{1, 2}, Runs: 2, WorkerLog: io.Discard, Mem: mem,
	}
}

// suiteQueries picks queries of each shape from the suite: low and high
// cardinality groups, a window, a global aggregate, filters. (The whole
// suite runs end to end in cmd/dfq's tests.)
func suiteQueries() []Query {
	var qs []Query
	for _, q := range Suite() {
		switch q.Name {
		case "q1", "q8", "q10", "f2":
			qs = append(qs, q)
		}
	}
	return qs
}

func TestRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	cfg := testConfig(t, mem, suiteQueries())
	cfg.Runs = 1
	var steps []Progress
	cfg.Progress = func(p Progress) { steps = append(steps, p) }
	rep, err := Run(context.Background(), cfg)
	require.NoError(t, err)

	t.Run("progress", func(t *testing.T) {
		require.NotEmpty(t, steps)
		for i, p := range steps {
			require.Equal(t, i+1, p.Step)
			require.Equal(t, len(steps), p.Steps)
		}
	})
	t.Run("data and machine", func(t *testing.T) {
		require.Equal(t, int64(testRows), rep.Data.Rows)
		require.Equal(t, "parquet", rep.Data.Format)
		require.Greater(t, rep.Data.Splits, 2)
		require.Equal(t, runtime.NumCPU(), rep.Machine.Cores)
		require.Equal(t, runtime.Version(), rep.Machine.GoVersion)
		require.Greater(t, rep.Machine.Memory, int64(0))
		require.Equal(t, []string{"seq", "threads", "procs"}, rep.Modes)
		require.Len(t, rep.ColdStarts, 2)
		for _, cs := range rep.ColdStarts {
			require.Greater(t, cs.Startup, 0.0)
			require.Greater(t, cs.FirstQuery, cs.Startup)
			require.Greater(t, cs.WarmQuery, 0.0)
		}
	})
	t.Run("measurements", func(t *testing.T) {
		require.Len(t, rep.Results, len(suiteQueries())*5)
		seq := map[string]Measurement{}
		for _, m := range rep.Results {
			if m.Mode == "seq" {
				seq[m.Query] = m
			}
		}
		for _, m := range rep.Results {
			s, ok := seq[m.Query]
			require.True(t, ok, m.Query)
			require.Len(t, m.Times, 1)
			require.LessOrEqual(t, m.Min, m.Median)
			require.LessOrEqual(t, m.Median, m.Max)
			require.Greater(t, m.Min, 0.0)
			require.InDelta(t, s.Median/m.Median, m.Speedup, 1e-12)
			require.InDelta(t, m.Speedup/float64(m.Workers), m.Efficiency, 1e-12)
			require.InDelta(t, testRows/m.Median, m.RowsPerSec, 1e-6*m.RowsPerSec)
			require.Equal(t, s.ResultRows, m.ResultRows, "%s %s %d", m.Query, m.Mode, m.Workers)
			require.Len(t, m.PeakRSSRuns, 1)
			require.Greater(t, m.PeakRSS, int64(0))
			require.Equal(t, m.PeakRSS, m.PeakRSSParent+m.PeakRSSWorkers)
			if m.Mode == "procs" {
				require.Greater(t, m.PeakRSSWorkers, int64(0))
				require.NotNil(t, m.Shipped)
				require.Positive(t, m.Shipped.ToWorkers)
				require.Positive(t, m.Shipped.FromWorkers)
			} else {
				require.Zero(t, m.PeakRSSWorkers)
				require.Nil(t, m.Shipped)
			}
		}
		// Group counts computed from the generator's output.
		id1, tuples, id1v3 := map[string]bool{}, map[string]bool{}, map[string]bool{}
		err := testDataConfig.Generate(context.Background(), memory.DefaultAllocator, 1, func(rec arrow.Record) error {
			v3 := rec.Column(8).(*array.Float64)
			for i := 0; i < int(rec.NumRows()); i++ {
				var key []string
				for c := range 6 {
					key = append(key, rec.Column(c).ValueStr(i))
				}
				id1[key[0]] = true
				tuples[strings.Join(key, "|")] = true
				if v3.Value(i) > 50 {
					id1v3[key[0]] = true
				}
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, int64(len(id1)), seq["q1"].ResultRows)
		require.Equal(t, int64(len(tuples)), seq["q10"].ResultRows)
		require.Equal(t, int64(len(id1v3)), seq["f2"].ResultRows)
	})
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, rep.WriteJSON(&buf))
		var back Report
		require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
		require.True(t, rep.Started.Equal(back.Started))
		back.Started = rep.Started
		require.Equal(t, *rep, back)
		var raw map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
		for _, k := range []string{"machine", "data", "results", "cold_starts", "memory", "check"} {
			require.Contains(t, raw, k)
		}
	})
	t.Run("text", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, rep.WriteText(&buf))
		out := buf.String()
		for _, q := range suiteQueries() {
			require.Contains(t, out, " "+q.Name+" ")
		}
		require.Contains(t, out, "speedup")
		require.Contains(t, out, "procs cold start, 2 worker(s)")
		require.Contains(t, out, "bytes between dfq and its workers per query")
		require.Regexp(t, `\n  q1: 1 worker\(s\) [0-9.]+ [KM]?i?B / [0-9.]+ [KM]?i?B, 2 worker\(s\) `, out)
	})
	t.Run("plot", func(t *testing.T) {
		// PNG of a one-query report: rasterising all panels is slow under -race.
		small := &Report{Machine: rep.Machine, Data: rep.Data, Queries: rep.Queries[:1]}
		for _, m := range rep.Results {
			if m.Query == rep.Queries[0].Name {
				small.Results = append(small.Results, m)
			}
		}
		dir := t.TempDir()
		svg := filepath.Join(dir, "speedup.svg")
		require.NoError(t, Plot(rep, svg))
		requireSVG(t, svg)
		png := filepath.Join(dir, "speedup.png")
		require.NoError(t, Plot(small, png))
		f, err := os.Open(png)
		require.NoError(t, err)
		defer f.Close()
		img, format, err := image.Decode(f)
		require.NoError(t, err)
		require.Equal(t, "png", format)
		require.Greater(t, img.Bounds().Dx(), 200)
		require.ErrorContains(t, Plot(rep, filepath.Join(dir, "x.pdf")), "want a .svg or .png")
	})
}

// requireSVG parses path as XML and requires an <svg> root.
func requireSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	require.Equal(t, "svg", root)
}

// scaleFirstFloat returns a copy of tbl (as one record) whose first float64
// value is multiplied by factor; it releases tbl.
func scaleFirstFloat(t *testing.T, mem memory.Allocator, tbl arrow.Table, factor float64) arrow.Table {
	defer tbl.Release()
	cols := make([]arrow.Array, tbl.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	done := false
	for i := range cols {
		c, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
		require.NoError(t, err)
		cols[i] = c
		if f, ok := c.(*array.Float64); ok && !done && f.Len() > 0 {
			b := array.NewFloat64Builder(mem)
			vals := append([]float64(nil), f.Float64Values()...)
			vals[0] *= factor
			b.AppendValues(vals, nil)
			cols[i] = b.NewArray()
			b.Release()
			c.Release()
			done = true
		}
	}
	require.True(t, done, "no float column")
	out := array.NewRecord(tbl.Schema(), cols, tbl.NumRows())
	defer out.Release()
	return array.NewTableFromRecords(tbl.Schema(), []arrow.Record{out})
}

func TestMismatch(t *testing.T) {
	q := Query{Name: "avg", SQL: "SELECT id1, avg(v3) AS v3, count(*) AS n FROM x GROUP BY id1"}
	tests := []struct {
		name    string
		mode    engine.Mode
		workers int
		hook    func(t *testing.T, mem memory.Allocator, tbl arrow.Table) arrow.Table
		wantErr string
	}{
		{"value off by 1e-6 on threads", engine.Threads, 2, func(t *testing.T, mem memory.Allocator, tbl arrow.Table) arrow.Table {
			return scaleFirstFloat(t, mem, tbl, 1+1e-6)
		}, "bench: query avg: threads with 2 worker(s) disagrees with seq: row "},
		{"row lost on procs", engine.Procs, 1, func(t *testing.T, mem memory.Allocator, tbl arrow.Table) arrow.Table {
			defer tbl.Release()
			cols := make([]arrow.Column, tbl.NumCols())
			for i := range cols {
				ch := array.NewChunkedSlice(tbl.Column(i).Data(), 0, tbl.NumRows()-1)
				cols[i] = *arrow.NewColumn(tbl.Schema().Field(i), ch)
				ch.Release()
			}
			out := array.NewTable(tbl.Schema(), cols, tbl.NumRows()-1)
			for i := range cols {
				cols[i].Release()
			}
			return out
		}, "bench: query avg: procs with 1 worker(s) disagrees with seq: want 100 rows, got 99"},
		{"within tolerance", engine.Threads, 1, func(t *testing.T, mem memory.Allocator, tbl arrow.Table) arrow.Table {
			return scaleFirstFloat(t, mem, tbl, 1+1e-13)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			cfg := testConfig(t, mem, []Query{q})
			cfg.Runs = 1
			hooked := 0
			ResultHook = func(query string, mode engine.Mode, workers int, tbl arrow.Table) arrow.Table {
				if mode == tt.mode && workers == tt.workers {
					hooked++
					return tt.hook(t, mem, tbl)
				}
				return tbl
			}
			defer func() { ResultHook = nil }()
			rep, err := Run(context.Background(), cfg)
			require.Equal(t, 1, hooked)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Len(t, rep.Results, 5)
				return
			}
			require.Nil(t, rep)
			var me *MismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, "avg", me.Query)
			require.Equal(t, tt.mode, me.Mode)
			require.Equal(t, tt.workers, me.Workers)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestRunOptions(t *testing.T) {
	q1 := Suite()[0]
	t.Run("no seq: no speedup, first configuration is the reference", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		cfg := testConfig(t, mem, []Query{q1})
		cfg.Modes = []engine.Mode{engine.Threads}
		cfg.Runs = 3
		rep, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		require.Len(t, rep.Results, 2)
		require.Empty(t, rep.ColdStarts)
		for _, m := range rep.Results {
			require.Zero(t, m.Speedup)
			require.Len(t, m.Times, 3)
		}
		require.ErrorContains(t, Plot(rep, filepath.Join(t.TempDir(), "p.svg")), "a seq run is needed")
		var buf bytes.Buffer
		require.NoError(t, rep.WriteText(&buf))
		require.Contains(t, buf.String(), "-")
	})
	t.Run("seq runs first whatever the order given", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		cfg := testConfig(t, mem, []Query{q1})
		cfg.Modes = []engine.Mode{engine.Threads, engine.Sequential, engine.Threads}
		cfg.Workers = []int{2, 1, 2}
		cfg.Runs = 1
		rep, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		var got []string
		for _, m := range rep.Results {
			got = append(got, configName(engine.Mode(m.Mode), m.Workers))
		}
		require.Equal(t, []string{"seq", "threads with 1 worker(s)", "threads with 2 worker(s)"}, got)
		require.Equal(t, []int{1, 2}, rep.Workers)
	})
	t.Run("CSV input counts its rows", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		c := h2o.Config{Rows: 3000, K: 10, Seed: 2}
		path := filepath.Join(t.TempDir(), c.FileName(h2o.CSV))
		require.NoError(t, c.Write(context.Background(), path, h2o.CSV, h2o.WriteOptions{Workers: 2}))
		cfg := Config{Data: []string{path}, Queries: []Query{q1}, Modes: []engine.Mode{engine.Sequential, engine.Procs},
			Workers: []int{2}, Runs: 1, WorkerLog: io.Discard, Mem: mem}
		rep, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		require.Equal(t, int64(3000), rep.Data.Rows)
		require.Equal(t, "csv", rep.Data.Format)
		require.Equal(t, int64(10), rep.Results[1].ResultRows)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Run(ctx, testConfig(t, nil, []Query{q1}))
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestRunErrors(t *testing.T) {
	path := testData(t)
	q := []Query{{Name: "q", SQL: "SELECT count(*) FROM x"}}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no data", Config{Queries: q}, "no data given"},
		{"no queries", Config{Data: []string{path}}, "no queries given"},
		{"bad mode", Config{Data: []string{path}, Queries: q, Modes: []engine.Mode{"gpu"}}, `unknown executor "gpu"`},
		{"bad workers", Config{Data: []string{path}, Queries: q, Workers: []int{2, 0}}, "worker counts must be positive"},
		{"bad runs", Config{Data: []string{path}, Queries: q, Runs: -1}, "runs must be positive"},
		{"duplicate names", Config{Data: []string{path}, Queries: append(q, q...)}, "unique"},
		{"missing file", Config{Data: []string{filepath.Join(t.TempDir(), "nope.parquet")}, Queries: q}, "nope.parquet"},
		{"bad SQL", Config{Data: []string{path}, Queries: []Query{{Name: "bad", SQL: "SELECT FROM x WHERE"}}, Modes: []engine.Mode{engine.Sequential}}, "bench: query bad (seq)"},
		{"unknown column", Config{Data: []string{path}, Queries: []Query{{Name: "col", SQL: "SELECT nope FROM x"}}, Modes: []engine.Mode{engine.Sequential}}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.WorkerLog = io.Discard
			rep, err := Run(context.Background(), tt.cfg)
			require.Nil(t, rep)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestDefaultWorkers(t *testing.T) {
	tests := []struct {
		n    int
		want []int
	}{{0, []int{1}}, {1, []int{1}}, {2, []int{1, 2}}, {6, []int{1, 2, 4, 6}}, {8, []int{1, 2, 4, 8}}, {64, []int{1, 2, 4, 8, 16, 32, 64}}}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			require.Equal(t, tt.want, DefaultWorkers(tt.n))
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name          string
		xs            []float64
		med, min, max float64
	}{
		{"empty", nil, 0, 0, 0},
		{"one", []float64{2}, 2, 2, 2},
		{"odd", []float64{3, 1, 2}, 2, 1, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5, 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			med, lo, hi := summarize(tt.xs)
			require.Equal(t, []float64{tt.med, tt.min, tt.max}, []float64{med, lo, hi})
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{seconds(2.5), "2.5s"}, {seconds(0.0123), "12.3ms"}, {seconds(4e-5), "40µs"},
		{bytesText(512), "512 B"}, {bytesText(3 << 20), "3 MiB"}, {bytesText(0), "?"}, {bytesText(1536 << 20), "1.5 GiB"}, {bytesText(1010 << 20), "1010 MiB"}, {seconds(0.9996), "1000ms"},
		{rateText(0), "-"}, {rateText(2.5e7), "25M"}, {rateText(1500), "1.5k"}, {rateText(3e9), "3G"},
		{shortCount(10_000_000), "1e7"}, {shortCount(20_000), "20000"}, {shortCount(1), "1"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) { require.Equal(t, tt.want, tt.got) })
	}
}

func TestTicks(t *testing.T) {
	labels := func(ts []plot.Tick) []string {
		var out []string
		for _, t := range ts {
			if t.Label != "" {
				out = append(out, t.Label)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		ticks  []plot.Tick
		labels []string
	}{
		{"speedup to 2.2", speedupTicks{}.Ticks(0, 2.2), []string{"0", "0.5", "1", "1.5", "2"}},
		{"speedup to 12", speedupTicks{}.Ticks(0, 12), []string{"0", "2", "4", "6", "8", "10", "12"}},
		{"workers 1..2", workerTicks(2).Ticks(0.8, 2.2), []string{"1", "2"}},
		{"workers 1..64", workerTicks(64).Ticks(0.8, 64.2), []string{"1", "8", "16", "24", "32", "40", "48", "56", "64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { require.Equal(t, tt.labels, labels(tt.ticks)) })
	}
}

func TestMachine(t *testing.T) {
	m := ThisMachine()
	require.Equal(t, runtime.NumCPU(), m.Cores)
	require.Equal(t, runtime.GOOS, m.OS)
	if runtime.GOOS == "linux" {
		require.NotEmpty(t, m.CPU)
		require.Greater(t, m.Memory, int64(0))
	}
	if runtime.GOARCH == "amd64" {
		require.True(t, strings.HasPrefix(m.GOAMD64, "v"), m.GOAMD64)
	}
}
