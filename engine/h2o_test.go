//go:build !race

// The h2o differential test runs 1e6 rows through every question on three
// executors; under the race detector that alone would take many minutes, so
// it is built without -race (make test runs it in a separate pass). The same
// executor code runs under -race in the partition-invariance tests.

package engine_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/internal/check"
	"github.com/dfq/dfq/io/h2o"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/ops/expr"
)

// h2oRows is the size of the differential test's dataset.
const h2oRows = 1_000_000

// h2oData holds the generated dataset as plain Go columns for the reference.
type h2oData struct {
	id1, id2, id3         []string
	id4, id5, id6, v1, v2 []int64
	v3                    []float64
	path                  string
}

var h2oCache *h2oData

// loadH2O generates the dataset once per test binary: a Parquet file with
// row groups of 128Ki rows (so queries see several splits) and Go slices.
func loadH2O(t *testing.T) *h2oData {
	t.Helper()
	if h2oCache != nil {
		return h2oCache
	}
	dir, err := os.MkdirTemp("", "dfq-h2o-")
	require.NoError(t, err)
	t.Cleanup(func() {}) // the directory is removed in TestMain
	h2oDirs = append(h2oDirs, dir)
	cfg := h2o.Config{Rows: h2oRows, K: 100, Seed: 42}
	d := &h2oData{path: filepath.Join(dir, cfg.Name()+".parquet")}
	f, err := os.Create(d.path)
	require.NoError(t, err)
	w, err := parquet.NewWriter(f, h2o.Schema(), parquet.WriteOptions{Compression: "snappy", RowGroupRows: 1 << 17})
	require.NoError(t, err)
	err = cfg.Generate(context.Background(), memory.DefaultAllocator, 2, func(rec arrow.Record) error {
		d.append(rec)
		return w.Write(rec)
	})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	h2oCache = d
	return d
}

func (d *h2oData) append(rec arrow.Record) {
	strs := func(c int) []string {
		a := rec.Column(c).(*array.String)
		out := make([]string, a.Len())
		for i := range out {
			out[i] = a.Value(i)
		}
		return out
	}
	ints := func(c int) []int64 {
		a := rec.Column(c).(*array.Int32)
		out := make([]int64, a.Len())
		for i := range out {
			out[i] = int64(a.Value(i))
		}
		return out
	}
	d.id1 = append(d.id1, strs(0)...)
	d.id2 = append(d.id2, strs(1)...)
	d.id3 = append(d.id3, strs(2)...)
	d.id4 = append(d.id4, ints(3)...)
	d.id5 = append(d.id5, ints(4)...)
	d.id6 = append(d.id6, ints(5)...)
	d.v1 = append(d.v1, ints(6)...)
	d.v2 = append(d.v2, ints(7)...)
	d.v3 = append(d.v3, rec.Column(8).(*array.Float64).Float64Values()...)
}

// Reference helpers: rows as check.Row values.
func s(v string) check.Value   { return check.Value{S: v} }
func i(v int64) check.Value    { return check.Value{S: strconv.FormatInt(v, 10)} }
func fl(v float64) check.Value { return check.Value{IsFloat: true, F: v} }
func null() check.Value        { return check.Value{Null: true, IsFloat: true} }

type acc struct {
	n          int64
	sum1, sum2 int64
	sum3       float64
	min2, max1 int64
	vals       []float64
	x, y       []float64
}

func groupBy[K comparable](d *h2oData, key func(i int) K, keep func(i int) bool) (map[K]*acc, []K) {
	m := map[K]*acc{}
	var order []K
	for r := range d.v1 {
		if keep != nil && !keep(r) {
			continue
		}
		k := key(r)
		a := m[k]
		if a == nil {
			a = &acc{min2: math.MaxInt64, max1: math.MinInt64}
			m[k] = a
			order = append(order, k)
		}
		a.n++
		a.sum1 += d.v1[r]
		a.sum2 += d.v2[r]
		a.sum3 += d.v3[r]
		a.min2 = min(a.min2, d.v2[r])
		a.max1 = max(a.max1, d.v1[r])
		a.vals = append(a.vals, d.v3[r])
		a.x = append(a.x, float64(d.v1[r]))
		a.y = append(a.y, float64(d.v2[r]))
	}
	return m, order
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func stddev(v []float64) check.Value {
	if len(v) < 2 {
		return null()
	}
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return fl(math.Sqrt(ss / float64(len(v)-1)))
}

func corr(x, y []float64) check.Value {
	n := float64(len(x))
	if len(x) < 2 {
		return null()
	}
	var mx, my float64
	for k := range x {
		mx += x[k]
		my += y[k]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for k := range x {
		sxy += (x[k] - mx) * (y[k] - my)
		sxx += (x[k] - mx) * (x[k] - mx)
		syy += (y[k] - my) * (y[k] - my)
	}
	if sxx == 0 || syy == 0 {
		return null()
	}
	return fl(sxy / math.Sqrt(sxx*syy))
}

type h2oCase struct {
	name  string
	query func(f *engine.Frame) *engine.Frame
	want  func(d *h2oData) []check.Row
}

func sq(e *expr.Expr) *expr.Expr { return expr.Call("pow", e, expr.Int(2)) }

var h2oCases = []h2oCase{
	{"q1", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) string { return d.id1[r] }, nil)
		for _, k := range ks {
			out = append(out, check.Row{s(k), i(m[k].sum1)})
		}
		return
	}},
	{"q2", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1", "id2").Agg(engine.Sum(expr.Col("v1")).As("v1"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) [2]string { return [2]string{d.id1[r], d.id2[r]} }, nil)
		for _, k := range ks {
			out = append(out, check.Row{s(k[0]), s(k[1]), i(m[k].sum1)})
		}
		return
	}},
	{"q3", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id3").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Avg(expr.Col("v3")).As("v3"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) string { return d.id3[r] }, nil)
		for _, k := range ks {
			out = append(out, check.Row{s(k), i(m[k].sum1), fl(m[k].sum3 / float64(m[k].n))})
		}
		return
	}},
	{"q4", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id4").Agg(engine.Avg(expr.Col("v1")).As("v1"), engine.Avg(expr.Col("v2")).As("v2"), engine.Avg(expr.Col("v3")).As("v3"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) int64 { return d.id4[r] }, nil)
		for _, k := range ks {
			a := m[k]
			n := float64(a.n)
			out = append(out, check.Row{i(k), fl(float64(a.sum1) / n), fl(float64(a.sum2) / n), fl(a.sum3 / n)})
		}
		return
	}},
	{"q5", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id6").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Sum(expr.Col("v2")).As("v2"), engine.Sum(expr.Col("v3")).As("v3"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) int64 { return d.id6[r] }, nil)
		for _, k := range ks {
			a := m[k]
			out = append(out, check.Row{i(k), i(a.sum1), i(a.sum2), fl(a.sum3)})
		}
		return
	}},
	{"q6", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id4", "id5").Agg(engine.Median(expr.Col("v3")).As("median_v3"), engine.StddevSamp(expr.Col("v3")).As("sd_v3"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) [2]int64 { return [2]int64{d.id4[r], d.id5[r]} }, nil)
		for _, k := range ks {
			a := m[k]
			out = append(out, check.Row{i(k[0]), i(k[1]), fl(median(a.vals)), stddev(a.vals)})
		}
		return
	}},
	{"q7", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id3").Agg(engine.Max(expr.Col("v1")).As("mx"), engine.Min(expr.Col("v2")).As("mn")).
			Select("id3", engine.As(expr.Col("mx").Sub(expr.Col("mn")), "range_v1_v2"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) string { return d.id3[r] }, nil)
		for _, k := range ks {
			out = append(out, check.Row{s(k), i(m[k].max1 - m[k].min2)})
		}
		return
	}},
	{"q9", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id2", "id4").Agg(engine.Corr(expr.Col("v1"), expr.Col("v2")).As("r")).
			Select("id2", "id4", engine.As(sq(expr.Col("r")), "r2"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) struct {
			a string
			b int64
		} {
			return struct {
				a string
				b int64
			}{d.id2[r], d.id4[r]}
		}, nil)
		for _, k := range ks {
			r := corr(m[k].x, m[k].y)
			if !r.Null {
				r.F *= r.F
			}
			out = append(out, check.Row{s(k.a), i(k.b), r})
		}
		return
	}},
	{"q10", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1", "id2", "id3", "id4", "id5", "id6").Agg(engine.Sum(expr.Col("v3")).As("v3"), engine.Count().As("count"))
	}, func(d *h2oData) (out []check.Row) {
		type key struct {
			a, b, c string
			x, y, z int64
		}
		m, ks := groupBy(d, func(r int) key { return key{d.id1[r], d.id2[r], d.id3[r], d.id4[r], d.id5[r], d.id6[r]} }, nil)
		for _, k := range ks {
			out = append(out, check.Row{s(k.a), s(k.b), s(k.c), i(k.x), i(k.y), i(k.z), fl(m[k].sum3), i(m[k].n)})
		}
		return
	}},
	{"f1", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v2").Gt(expr.Int(10)).And(expr.Col("id4").Lt(expr.Int(50)))).
			Agg(engine.Count().As("n"), engine.Sum(expr.Col("v3")).As("sum_v3"), engine.Avg(expr.Col("v1")).As("avg_v1"))
	}, func(d *h2oData) []check.Row {
		m, _ := groupBy(d, func(int) int { return 0 }, func(r int) bool { return d.v2[r] > 10 && d.id4[r] < 50 })
		a := m[0]
		return []check.Row{{i(a.n), fl(a.sum3), fl(float64(a.sum1) / float64(a.n))}}
	}},
	{"f2", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v3").Gt(expr.Int(50))).GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Count().As("n"))
	}, func(d *h2oData) (out []check.Row) {
		m, ks := groupBy(d, func(r int) string { return d.id1[r] }, func(r int) bool { return d.v3[r] > 50 })
		for _, k := range ks {
			out = append(out, check.Row{s(k), i(m[k].sum1), i(m[k].n)})
		}
		return
	}},
	{"f3", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("id6").Eq(expr.Int(4242)))
	}, func(d *h2oData) (out []check.Row) {
		for r := range d.v1 {
			if d.id6[r] == 4242 {
				out = append(out, check.Row{s(d.id1[r]), s(d.id2[r]), s(d.id3[r]), i(d.id4[r]), i(d.id5[r]), i(d.id6[r]), i(d.v1[r]), i(d.v2[r]), fl(d.v3[r])})
			}
		}
		return
	}},
}

// TestH2ODifferential runs the h2o questions on every executor and compares
// with a naive row-at-a-time reference.
func TestH2ODifferential(t *testing.T) {
	d := loadH2O(t)
	for _, c := range h2oCases {
		t.Run(c.name, func(t *testing.T) {
			want := c.want(d)
			require.NotEmpty(t, want)
			for _, o := range h2oExecutors() {
				mem, done := check.Mem(t)
				o.Mem = mem
				tbl, err := c.query(engine.Scan(d.path)).Collect(context.Background(), o)
				require.NoError(t, err)
				got := check.Rows(t, tbl)
				tbl.Release()
				done()
				check.EqualMultiset(t, want, got, 1e-9, fmt.Sprintf("%s %s/%d", c.name, o.Mode, o.Workers))
			}
		})
	}
}

// h2oExecutors are the executors the differential test compares with the
// reference: the baseline, goroutines and processes (the invariance harness
// covers the other worker counts).
func h2oExecutors() []engine.Options {
	var out []engine.Options
	for _, o := range check.Executors {
		if o.Workers <= 1 && o.Mode != engine.Sequential || o.Workers == 3 {
			continue
		}
		out = append(out, o)
	}
	return out
}
