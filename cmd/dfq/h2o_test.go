package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/io/h2o"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/sink"
	"github.com/dfq/dfq/ops/expr"
)

// h2oRows is the size of the h2o dataset the CLI is checked on: 1e6 rows,
// or 2e5 under the race detector, which makes q10 (a million groups) alone
// take 40 s.
func h2oRows() int64 {
	if raceEnabled {
		return 200_000
	}
	return 1_000_000
}

var (
	h2oOnce sync.Once
	h2oPath string
	h2oErr  error
)

// h2oData writes the h2o dataset once per test binary, as Parquet with row
// groups of 128Ki rows so that queries see several splits.
func h2oData(t *testing.T) string {
	t.Helper()
	h2oOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dfq-cli-h2o-")
		if err != nil {
			h2oErr = err
			return
		}
		tempDirs = append(tempDirs, dir)
		cfg := h2o.Config{Rows: h2oRows(), K: 100, Seed: 7}
		h2oPath = filepath.Join(dir, cfg.Name()+".parquet")
		f, err := os.Create(h2oPath)
		if err != nil {
			h2oErr = err
			return
		}
		defer f.Close()
		w, err := parquet.NewWriter(f, h2o.Schema(), parquet.WriteOptions{Compression: "snappy", RowGroupRows: 1 << 17})
		if err != nil {
			h2oErr = err
			return
		}
		if h2oErr = cfg.Generate(context.Background(), memory.DefaultAllocator, 2, w.Write); h2oErr != nil {
			return
		}
		h2oErr = w.Close()
	})
	require.NoError(t, h2oErr)
	return h2oPath
}

// h2oQuery is a benchmark question in SQL (from shared/bench/README.md, x
// standing for the file) and the same question built with the frame API.
type h2oQuery struct {
	name  string
	sql   string
	frame func(f *engine.Frame) *engine.Frame
}

var h2oQueries = []h2oQuery{
	{"q1", "SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1"))
	}},
	{"q2", "SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1", "id2").Agg(engine.Sum(expr.Col("v1")).As("v1"))
	}},
	{"q3", "SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id3").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Avg(expr.Col("v3")).As("v3"))
	}},
	{"q4", "SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id4").Agg(engine.Avg(expr.Col("v1")).As("v1"), engine.Avg(expr.Col("v2")).As("v2"), engine.Avg(expr.Col("v3")).As("v3"))
	}},
	{"q5", "SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id6").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Sum(expr.Col("v2")).As("v2"), engine.Sum(expr.Col("v3")).As("v3"))
	}},
	{"q6", "SELECT id4, id5, median(v3) AS median_v3, stddev_samp(v3) AS sd_v3 FROM x GROUP BY id4, id5", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id4", "id5").Agg(engine.Median(expr.Col("v3")).As("median_v3"), engine.StddevSamp(expr.Col("v3")).As("sd_v3"))
	}},
	{"q7", "SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id3").Agg(engine.Max(expr.Col("v1")).As("mx"), engine.Min(expr.Col("v2")).As("mn")).
			Select("id3", engine.As(expr.Col("mx").Sub(expr.Col("mn")), "range_v1_v2"))
	}},
	{"q8", `SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER
		(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) s
		WHERE order_v3 <= 2`, func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v3").IsNotNull()).
			RowNumber("order_v3", []*expr.Expr{expr.Col("id6")}, engine.Desc(expr.Col("v3"))).
			Filter(expr.Col("order_v3").Le(expr.Int(2))).
			Select("id6", engine.As(expr.Col("v3"), "largest2_v3"))
	}},
	{"q9", "SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id2", "id4").Agg(engine.Corr(expr.Col("v1"), expr.Col("v2")).As("r")).
			Select("id2", "id4", engine.As(expr.Call("pow", expr.Col("r"), expr.Int(2)), "r2"))
	}},
	{"q10", `SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count
		FROM x GROUP BY id1, id2, id3, id4, id5, id6`, func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1", "id2", "id3", "id4", "id5", "id6").Agg(engine.Sum(expr.Col("v3")).As("v3"), engine.Count().As("count"))
	}},
	{"f1", "SELECT count(*) AS n, sum(v3) AS sum_v3, avg(v1) AS avg_v1 FROM x WHERE v2 > 10 AND id4 < 50", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v2").Gt(expr.Int(10)).And(expr.Col("id4").Lt(expr.Int(50)))).
			Agg(engine.Count().As("n"), engine.Sum(expr.Col("v3")).As("sum_v3"), engine.Avg(expr.Col("v1")).As("avg_v1"))
	}},
	{"f2", "SELECT id1, sum(v1) AS v1, count(*) AS n FROM x WHERE v3 > 50 GROUP BY id1", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v3").Gt(expr.Int(50))).GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Count().As("n"))
	}},
	// f3 with id6 = 42 rather than 4242: id6 only reaches N/100 = 2000 at
	// 2e5 rows.
	{"f3", "SELECT * FROM x WHERE id6 = 42", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("id6").Eq(expr.Int(42)))
	}},
}

// TestH2O runs every benchmark question through the command line (CSV to
// stdout, threads executor) and compares the rows with the frame builder's
// result on the same file.
func TestH2O(t *testing.T) {
	path := h2oData(t)
	for _, q := range h2oQueries {
		t.Run(q.name, func(t *testing.T) {
			query := strings.ReplaceAll(q.sql, "FROM x", "FROM '"+path+"'")
			out := ok(t, "", "query", "--mode", "threads", "--workers", "2", query)
			got := parseCSV(t, out)

			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			tbl, err := q.frame(engine.Scan(path)).Collect(context.Background(), engine.Options{Mode: engine.Threads, Workers: 2, Mem: mem})
			require.NoError(t, err)
			want := tableCSV(t, tbl)
			tbl.Release()

			require.Equal(t, want[0], got[0], "header")
			require.Greater(t, len(want), 1, "the question has rows")
			sameRows(t, want[1:], got[1:])
		})
	}
}

func parseCSV(t *testing.T, text string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	require.NoError(t, err)
	return rows
}

// tableCSV renders a table through the CSV writer the command line uses
// and parses it back: a header row, then the cells.
func tableCSV(t *testing.T, tbl arrow.Table) [][]string {
	t.Helper()
	var b strings.Builder
	w, err := sink.NewWriter(sink.CSV, &b, tbl.Schema(), sink.Options{})
	require.NoError(t, err)
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	for tr.Next() {
		require.NoError(t, w.Write(tr.Record()))
	}
	require.NoError(t, w.Close())
	return parseCSV(t, b.String())
}

// sameRows requires two multisets of rows to match, floats to 1e-9
// relative (partial sums meet in a different order on each run).
func sameRows(t *testing.T, want, got [][]string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "row count")
	sortRows(want)
	sortRows(got)
	for i := range want {
		require.Equal(t, len(want[i]), len(got[i]))
		for c := range want[i] {
			if w, g := want[i][c], got[i][c]; w != g && !closeFloats(w, g) {
				require.Fail(t, fmt.Sprintf("row %d column %d: want %q, got %q\nwant row %q\ngot row  %q", i, c, w, g, want[i], got[i]))
			}
		}
	}
}

// sortRows sorts rows by their cells, in place.
func sortRows(rows [][]string) {
	type keyed struct {
		key string
		row []string
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		ks[i] = keyed{strings.Join(r, "\x00"), r}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i := range ks {
		rows[i] = ks[i].row
	}
}

func closeFloats(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}
