package main

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
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/bench"
)

// benchTestData writes a small h2o dataset with dfq gen.
func benchTestData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ok(t, "", "gen", "h2o", "--rows", "1e4", "--k", "10", "-o", dir)
	return filepath.Join(dir, "G1_1e4_1e1_0_0.parquet")
}

func TestBenchSuite(t *testing.T) {
	data := benchTestData(t)
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out", "results.json")
	svgPath := filepath.Join(dir, "out", "speedup.svg")
	// Under the race detector, one worker count: the suite runs 13 queries
	// on every configuration, and each procs query starts fresh workers.
	workers, configs := "1,2", 5
	if raceEnabled {
		workers, configs = "2", 3
	}
	out := ok(t, "", "bench", "--suite", "h2o", "--data", data, "--workers", workers, "--runs", "1",
		"--modes", "seq,threads,procs", "--json", jsonPath, "--plot", svgPath)

	t.Run("table", func(t *testing.T) {
		require.Contains(t, out, "machine: ")
		require.Contains(t, out, "procs cold start, 2 worker(s)")
		for _, q := range bench.Suite() {
			require.Contains(t, out, " "+q.Name+" ", "no line for %s", q.Name)
		}
		require.Equal(t, 13*configs, strings.Count(out, "%  "), "one line per query and configuration")
	})
	t.Run("json", func(t *testing.T) {
		b, err := os.ReadFile(jsonPath)
		require.NoError(t, err)
		var rep bench.Report
		require.NoError(t, json.Unmarshal(b, &rep))
		require.Equal(t, runtime.NumCPU(), rep.Machine.Cores)
		require.Equal(t, runtime.Version(), rep.Machine.GoVersion)
		require.Equal(t, int64(10_000), rep.Data.Rows)
		require.Equal(t, []string{data}, rep.Data.Files)
		require.Len(t, rep.Workers, configs/2)
		require.Equal(t, bench.Suite(), rep.Queries)
		require.Len(t, rep.ColdStarts, configs/2)
		require.Len(t, rep.Results, 13*configs)
		for _, m := range rep.Results {
			require.Len(t, m.Times, 1)
			require.Greater(t, m.Median, 0.0)
			require.Greater(t, m.Speedup, 0.0)
			require.Greater(t, m.RowsPerSec, 0.0)
			require.Greater(t, m.PeakRSS, int64(0))
		}
	})
	t.Run("svg", func(t *testing.T) {
		b, err := os.ReadFile(svgPath)
		require.NoError(t, err)
		dec := xml.NewDecoder(bytes.NewReader(b))
		var root string
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
	})
}

func TestBenchQuery(t *testing.T) {
	data := benchTestData(t)
	dir := t.TempDir()
	png := filepath.Join(dir, "speedup.png")
	saved := filepath.Join(dir, "r.json")
	out := ok(t, "", "bench", "--data", data, "--workers", "2", "--runs", "2", "--modes", "threads,seq", "--name", "sums",
		"SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1", "--plot", png, "--json", saved)
	require.Contains(t, out, " sums ")
	require.NotContains(t, out, "cold start")
	requirePNG(t, png)

	// A saved report shows again, and draws, without running.
	png2 := filepath.Join(dir, "again.png")
	require.Equal(t, out, ok(t, "", "bench", "--from", saved, "--plot", png2))
	requirePNG(t, png2)
}

func requirePNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, format, err := image.Decode(f)
	require.NoError(t, err)
	require.Equal(t, "png", format)
}

// TestBenchRefusesWrongResults: when one executor's result differs, bench
// reports nothing and fails naming the query and the executor.
func TestBenchRefusesWrongResults(t *testing.T) {
	data := benchTestData(t)
	jsonPath := filepath.Join(t.TempDir(), "results.json")
	bench.ResultHook = func(query string, mode engine.Mode, workers int, tbl arrow.Table) arrow.Table {
		if mode != engine.Procs || workers != 2 {
			return tbl
		}
		// Add one to the first v1: a wrong sum.
		defer tbl.Release()
		mem := memory.DefaultAllocator
		cols := make([]arrow.Array, tbl.NumCols())
		for i := range cols {
			c, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
			require.NoError(t, err)
			cols[i] = c
		}
		v := cols[1].(*array.Int64)
		vals := append([]int64(nil), v.Int64Values()...)
		vals[0]++
		b := array.NewInt64Builder(mem)
		b.AppendValues(vals, nil)
		cols[1].Release()
		cols[1] = b.NewArray()
		b.Release()
		rec := array.NewRecord(tbl.Schema(), cols, tbl.NumRows())
		for _, c := range cols {
			c.Release()
		}
		defer rec.Release()
		return array.NewTableFromRecords(tbl.Schema(), []arrow.Record{rec})
	}
	defer func() { bench.ResultHook = nil }()
	r := dfqWith(t, memory.DefaultAllocator, "", "bench", "--data", data, "--workers", "1,2", "--runs", "1", "--name", "q1",
		"SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1", "--json", jsonPath)
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "bench: query q1: procs with 2 worker(s) disagrees with seq: unexpected row (")
	require.Contains(t, r.stderr, "; missing row (")
	_, err := os.Stat(jsonPath)
	require.True(t, errors.Is(err, os.ErrNotExist), "a JSON report was written")
	var me *bench.MismatchError
	require.ErrorAs(t, r.err, &me)
}

func TestBenchUsage(t *testing.T) {
	data := benchTestData(t)
	q := "SELECT count(*) FROM x"
	emptyJSON := filepath.Join(t.TempDir(), "empty.json")
	require.NoError(t, os.WriteFile(emptyJSON, []byte(`{"results": []}`), 0o644))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing to run", []string{"bench", "--data", data}, 2, "give a SQL query or --suite h2o"},
		{"both", []string{"bench", "--suite", "h2o", "--data", data, q}, 2, "not both"},
		{"unknown suite", []string{"bench", "--suite", "tpch", "--data", data}, 2, `unknown suite "tpch"`},
		{"two queries", []string{"bench", "--data", data, q, q}, 2, "one SQL query at a time"},
		{"no data", []string{"bench", q}, 2, "--data is required"},
		{"bad mode", []string{"bench", "--data", data, "--modes", "seq,gpu", q}, 2, `unknown executor "gpu"`},
		{"bad workers", []string{"bench", "--data", data, "--workers", "1,two", q}, 2, "--workers wants positive counts"},
		{"zero workers", []string{"bench", "--data", data, "--workers", "0", q}, 2, "--workers wants positive counts"},
		{"zero runs", []string{"bench", "--data", data, "--runs", "0", q}, 2, "--runs and --warmup must be at least 1"},
		{"bad plot", []string{"bench", "--data", data, "--plot", "x.pdf", q}, 2, "--plot wants a .svg or .png"},
		{"plot without seq", []string{"bench", "--data", data, "--modes", "threads", "--plot", "x.svg", q}, 2, "needs the seq executor"},
		{"missing data", []string{"bench", "--data", filepath.Join(t.TempDir(), "none.parquet"), q}, 1, "none.parquet"},
		{"bad SQL", []string{"bench", "--data", data, "--modes", "seq", "SELECT nope FROM x"}, 1, "nope"},
		{"from with a query", []string{"bench", "--from", "r.json", q}, 2, "--from shows a saved report"},
		{"from a missing file", []string{"bench", "--from", filepath.Join(t.TempDir(), "r.json")}, 1, "r.json"},
		{"from a non-report", []string{"bench", "--from", data}, 1, "is not a saved report"},
		{"from an empty report", []string{"bench", "--from", emptyJSON}, 1, "holds no measurements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := dfq(t, "", tt.args...)
			require.Equal(t, tt.code, r.code, r.stderr)
			require.Contains(t, r.stderr, tt.want)
			require.Empty(t, r.stdout)
		})
	}
	t.Run("help", func(t *testing.T) {
		out := ok(t, "", "bench", "--help")
		require.Contains(t, out, "--suite h2o")
	})
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr bytes.Buffer
		err := run(ctx, []string{"bench", "--data", data, q}, strings.NewReader(""), &stdout, &stderr)
		require.Equal(t, exitInterrupt, exitCode(err, &stderr))
	})
}
