package engine_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/internal/check"
	"github.com/dfq/dfq/engine/sql"
	"github.com/dfq/dfq/io/h2o"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/ops/expr"
)

// hrow is one row of the h2o test data; nil is NULL.
type hrow struct {
	id1, id2, id3         *string
	id4, id5, id6, v1, v2 *int64
	v3                    *float64
}

// sqlFixture is h2o data (with NULLs) as Parquet (several row groups), CSV and
// in memory, plus the rows as Go values for computing expected results.
type sqlFixture struct {
	dir     string
	parquet string
	csv     string
	rec     arrow.Record
	rows    []hrow
}

const sqlRows = 2000

func newSQLFixture(t *testing.T, mem memory.Allocator) *sqlFixture {
	t.Helper()
	cfg := h2o.Config{Rows: sqlRows, K: 10, NAs: 5, Seed: 7}
	rec := cfg.Chunk(mem, 0)
	fx := &sqlFixture{dir: t.TempDir(), rec: rec}
	fx.parquet = filepath.Join(fx.dir, "x.parquet")
	f, err := os.Create(fx.parquet)
	require.NoError(t, err)
	w, err := parquet.NewWriter(f, rec.Schema(), parquet.WriteOptions{RowGroupRows: 700})
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())

	strAt := func(c int, i int) *string {
		a := rec.Column(c).(*array.String)
		if a.IsNull(i) {
			return nil
		}
		s := a.Value(i)
		return &s
	}
	num := func(c int, i int) *int64 {
		a := rec.Column(c).(*array.Int32)
		if a.IsNull(i) {
			return nil
		}
		v := int64(a.Value(i))
		return &v
	}
	var b strings.Builder
	b.WriteString("id1;id2;id3;id4;id5;id6;v1;v2;v3\n")
	for i := 0; i < int(rec.NumRows()); i++ {
		r := hrow{strAt(0, i), strAt(1, i), strAt(2, i), num(3, i), num(4, i), num(5, i), num(6, i), num(7, i), nil}
		if a := rec.Column(8).(*array.Float64); !a.IsNull(i) {
			v := a.Value(i)
			r.v3 = &v
		}
		fx.rows = append(fx.rows, r)
		cells := []string{ps(r.id1), ps(r.id2), ps(r.id3), pi(r.id4), pi(r.id5), pi(r.id6), pi(r.v1), pi(r.v2), "NA"}
		if r.v3 != nil {
			cells[8] = strconv.FormatFloat(*r.v3, 'g', -1, 64)
		}
		b.WriteString(strings.Join(cells, ";") + "\n")
	}
	fx.csv = filepath.Join(fx.dir, "x.csv")
	require.NoError(t, os.WriteFile(fx.csv, []byte(b.String()), 0o644))
	return fx
}

func ps(p *string) string {
	if p == nil {
		return "NA"
	}
	return *p
}

func pi(p *int64) string {
	if p == nil {
		return "NA"
	}
	return strconv.FormatInt(*p, 10)
}

// Expected-value constructors.
func vs(p *string) check.Value {
	if p == nil {
		return check.Value{Null: true}
	}
	return check.Value{S: *p}
}

func vi(p *int64) check.Value {
	if p == nil {
		return check.Value{Null: true}
	}
	return check.Value{S: strconv.FormatInt(*p, 10)}
}

func vf(p *float64) check.Value {
	if p == nil {
		return check.Value{Null: true, IsFloat: true}
	}
	return check.Value{IsFloat: true, F: *p}
}

func i64(v int64) check.Value   { return check.Value{S: strconv.FormatInt(v, 10)} }
func f64(v float64) check.Value { return check.Value{IsFloat: true, F: v} }
func qstr(v string) check.Value { return check.Value{S: v} }
func qnull() check.Value        { return check.Value{Null: true} }
func qbool(v bool) check.Value  { return check.Value{S: strconv.FormatBool(v)} }
func nullF(ok bool, v float64) check.Value {
	if !ok {
		return check.Value{Null: true, IsFloat: true}
	}
	return f64(v)
}

// qkey renders a nullable value for grouping.
func qkey[T any](p *T) string {
	if p == nil {
		return "\x00NULL"
	}
	return fmt.Sprint(*p)
}

// group groups rows by key, keeping first-seen order of keys.
func qgroup(rows []hrow, key func(hrow) string) (keys []string, groups map[string][]hrow) {
	groups = map[string][]hrow{}
	for _, r := range rows {
		k := key(r)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	return keys, groups
}

func qints(rows []hrow, f func(hrow) *int64) []int64 {
	var out []int64
	for _, r := range rows {
		if p := f(r); p != nil {
			out = append(out, *p)
		}
	}
	return out
}

func qfloats(rows []hrow, f func(hrow) *float64) []float64 {
	var out []float64
	for _, r := range rows {
		if p := f(r); p != nil {
			out = append(out, *p)
		}
	}
	return out
}

func sumI(xs []int64) (int64, bool) {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s, len(xs) > 0
}

func sumF(xs []float64) (float64, bool) {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s, len(xs) > 0
}

func qmean[T int64 | float64](xs []T) (float64, bool) {
	var s float64
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs)), len(xs) > 0
}

func qvariance[T int64 | float64](xs []T, sample bool) (float64, bool) {
	m, ok := qmean(xs)
	n := float64(len(xs))
	if !ok || sample && n < 2 {
		return 0, false
	}
	var ss float64
	for _, x := range xs {
		ss += (float64(x) - m) * (float64(x) - m)
	}
	if sample {
		return ss / (n - 1), true
	}
	return ss / n, true
}

func qquantile(xs []float64, q float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo)), true
}

func qcorr(rows []hrow) (float64, bool) {
	var xs, ys []float64
	for _, r := range rows {
		if r.v1 != nil && r.v2 != nil {
			xs = append(xs, float64(*r.v1))
			ys = append(ys, float64(*r.v2))
		}
	}
	if len(xs) < 2 {
		return 0, false
	}
	mx, _ := qmean(xs)
	my, _ := qmean(ys)
	var sxy, sxx, syy float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
		syy += (ys[i] - my) * (ys[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return math.NaN(), true
	}
	return sxy / math.Sqrt(sxx*syy), true
}

func maxI(xs []int64) (int64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	return slices.Max(xs), true
}

func minI(xs []int64) (int64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	return slices.Min(xs), true
}

func optI(v int64, ok bool) check.Value {
	if !ok {
		return qnull()
	}
	return i64(v)
}

// cmpNullsLast compares nullable values, NULLs last.
func cmpNullsLast[T cmp.Ordered](a, b *T) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}

type sqlCase struct {
	name    string
	query   string // {src} stands for the source
	ordered bool
	want    func(rows []hrow) []check.Row
}

var sqlCases = []sqlCase{
	{"filter", "SELECT id1, id6, v3 FROM {src} WHERE id6 = 42", false, func(rows []hrow) []check.Row {
		var out []check.Row
		for _, r := range rows {
			if r.id6 != nil && *r.id6 == 42 {
				out = append(out, check.Row{vs(r.id1), vi(r.id6), vf(r.v3)})
			}
		}
		return out
	}},
	{"star", "SELECT * FROM {src} WHERE id6 = 42 AND v1 >= 3", false, func(rows []hrow) []check.Row {
		var out []check.Row
		for _, r := range rows {
			if r.id6 != nil && *r.id6 == 42 && r.v1 != nil && *r.v1 >= 3 {
				out = append(out, check.Row{vs(r.id1), vs(r.id2), vs(r.id3), vi(r.id4), vi(r.id5), vi(r.id6), vi(r.v1), vi(r.v2), vf(r.v3)})
			}
		}
		return out
	}},
	{"qualified star", "SELECT t.*, t.v1 * 10 AS ten FROM {src} AS t WHERE t.id6 = 42", false, func(rows []hrow) []check.Row {
		var out []check.Row
		for _, r := range rows {
			if r.id6 != nil && *r.id6 == 42 {
				ten := qnull()
				if r.v1 != nil {
					ten = i64(*r.v1 * 10)
				}
				out = append(out, check.Row{vs(r.id1), vs(r.id2), vs(r.id3), vi(r.id4), vi(r.id5), vi(r.id6), vi(r.v1), vi(r.v2), vf(r.v3), ten})
			}
		}
		return out
	}},
	{"global aggregates", "SELECT count(*) AS n, sum(v3) AS sum_v3, avg(v1) AS avg_v1, count(v1) AS c FROM {src} WHERE v2 > 10 AND id4 < 5", false, func(rows []hrow) []check.Row {
		var sel []hrow
		for _, r := range rows {
			if r.v2 != nil && *r.v2 > 10 && r.id4 != nil && *r.id4 < 5 {
				sel = append(sel, r)
			}
		}
		s, ok := sumF(qfloats(sel, func(r hrow) *float64 { return r.v3 }))
		a, aok := qmean(qints(sel, func(r hrow) *int64 { return r.v1 }))
		return []check.Row{{i64(int64(len(sel))), nullF(ok, s), nullF(aok, a), i64(int64(len(qints(sel, func(r hrow) *int64 { return r.v1 }))))}}
	}},
	{"global aggregates of nothing", "SELECT count(*) AS n, sum(v1) AS s, max(v3) AS m FROM {src} WHERE v1 > 100", false, func([]hrow) []check.Row {
		return []check.Row{{i64(0), qnull(), qnull()}}
	}},
	{"group by ordered", "SELECT id1, sum(v1) AS s, count(*) AS n, count(v1) AS nv FROM {src} GROUP BY id1 ORDER BY id1", true, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id1) })
		slices.SortFunc(keys, func(a, b string) int { return cmpNullsLast(groups[a][0].id1, groups[b][0].id1) })
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			v1 := qints(g, func(r hrow) *int64 { return r.v1 })
			s, ok := sumI(v1)
			out = append(out, check.Row{vs(g[0].id1), optI(s, ok), i64(int64(len(g))), i64(int64(len(v1)))})
		}
		return out
	}},
	{"group by position and alias", "SELECT id1 AS k, id4, max(v1) - min(v2) AS r FROM {src} GROUP BY 1, id4", false, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id1) + "|" + qkey(r.id4) })
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			mx, ok1 := maxI(qints(g, func(r hrow) *int64 { return r.v1 }))
			mn, ok2 := minI(qints(g, func(r hrow) *int64 { return r.v2 }))
			out = append(out, check.Row{vs(g[0].id1), vi(g[0].id4), optI(mx-mn, ok1 && ok2)})
		}
		return out
	}},
	{"group by alias of expression", "SELECT CASE WHEN v1 >= 4 THEN 'hi' WHEN v1 >= 2 THEN 'mid' ELSE 'lo' END AS band, count(*) AS n FROM {src} WHERE id3 LIKE 'id00000001%' GROUP BY band", false, func(rows []hrow) []check.Row {
		counts := map[string]int64{}
		for _, r := range rows {
			if r.id3 == nil || !strings.HasPrefix(*r.id3, "id00000001") {
				continue
			}
			band := "lo"
			switch {
			case r.v1 != nil && *r.v1 >= 4:
				band = "hi"
			case r.v1 != nil && *r.v1 >= 2:
				band = "mid"
			}
			counts[band]++
		}
		var out []check.Row
		for b, n := range counts {
			out = append(out, check.Row{qstr(b), i64(n)})
		}
		return out
	}},
	{"group by all", "SELECT id1, id4 > 5 AS big, sum(v1) AS s FROM {src} GROUP BY ALL", false, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string {
			big := "\x00NULL"
			if r.id4 != nil {
				big = strconv.FormatBool(*r.id4 > 5)
			}
			return qkey(r.id1) + "|" + big
		})
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			big := qnull()
			if g[0].id4 != nil {
				big = qbool(*g[0].id4 > 5)
			}
			s, ok := sumI(qints(g, func(r hrow) *int64 { return r.v1 }))
			out = append(out, check.Row{vs(g[0].id1), big, optI(s, ok)})
		}
		return out
	}},
	{"having", "SELECT id2, sum(v2) AS s FROM {src} GROUP BY id2 HAVING sum(v2) > 1500 AND count(*) > 5 AND s < 1650", false, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id2) })
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			s, ok := sumI(qints(g, func(r hrow) *int64 { return r.v2 }))
			if ok && s > 1500 && s < 1650 && len(g) > 5 {
				out = append(out, check.Row{vs(g[0].id2), i64(s)})
			}
		}
		return out
	}},
	{"order by unselected aggregate", "SELECT id3 FROM {src} WHERE id3 IS NOT NULL GROUP BY id3 ORDER BY sum(v3) DESC, id3 LIMIT 5", true, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id3) })
		type kv struct {
			id string
			s  float64
			ok bool
		}
		var all []kv
		for _, k := range keys {
			g := groups[k]
			if g[0].id3 == nil {
				continue
			}
			s, ok := sumF(qfloats(g, func(r hrow) *float64 { return r.v3 }))
			all = append(all, kv{*g[0].id3, s, ok})
		}
		slices.SortFunc(all, func(a, b kv) int {
			switch {
			case a.ok != b.ok: // NULL sums last
				if a.ok {
					return -1
				}
				return 1
			case a.s != b.s:
				return cmp.Compare(b.s, a.s)
			}
			return cmp.Compare(a.id, b.id)
		})
		var out []check.Row
		for _, x := range all[:5] {
			out = append(out, check.Row{qstr(x.id)})
		}
		return out
	}},
	{"order by position and alias", "SELECT id2, sum(v1) AS s FROM {src} GROUP BY id2 ORDER BY 2 DESC, id2 LIMIT 4", true, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id2) })
		type kv struct {
			id *string
			s  int64
		}
		var all []kv
		for _, k := range keys {
			s, _ := sumI(qints(groups[k], func(r hrow) *int64 { return r.v1 }))
			all = append(all, kv{groups[k][0].id2, s})
		}
		slices.SortFunc(all, func(a, b kv) int {
			if a.s != b.s {
				return cmp.Compare(b.s, a.s)
			}
			return cmpNullsLast(a.id, b.id)
		})
		var out []check.Row
		for _, x := range all[:4] {
			out = append(out, check.Row{vs(x.id), i64(x.s)})
		}
		return out
	}},
	{"distinct ordered", "SELECT DISTINCT id1, v1 FROM {src} WHERE v1 IS NOT NULL ORDER BY id1 DESC NULLS FIRST, v1", true, func(rows []hrow) []check.Row {
		seen := map[string]bool{}
		type kv struct{ id1, v1 *int64 }
		var all []hrow
		for _, r := range rows {
			if r.v1 == nil {
				continue
			}
			k := qkey(r.id1) + "|" + qkey(r.v1)
			if !seen[k] {
				seen[k] = true
				all = append(all, r)
			}
		}
		slices.SortFunc(all, func(a, b hrow) int {
			switch {
			case a.id1 == nil && b.id1 != nil:
				return -1
			case a.id1 != nil && b.id1 == nil:
				return 1
			case a.id1 != nil && *a.id1 != *b.id1:
				return cmp.Compare(*b.id1, *a.id1)
			}
			return cmp.Compare(*a.v1, *b.v1)
		})
		var out []check.Row
		for _, r := range all {
			out = append(out, check.Row{vs(r.id1), vi(r.v1)})
		}
		return out
	}},
	{"count distinct", "SELECT id1, count(DISTINCT id2) AS d FROM {src} GROUP BY id1", false, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id1) })
		var out []check.Row
		for _, k := range keys {
			d := map[string]bool{}
			for _, r := range groups[k] {
				if r.id2 != nil {
					d[*r.id2] = true
				}
			}
			out = append(out, check.Row{vs(groups[k][0].id1), i64(int64(len(d)))})
		}
		return out
	}},
	{"distinct sum avg count", "SELECT id4 AS k, count(DISTINCT v2 % 7) AS c, sum(DISTINCT v2 % 7) AS s, avg(DISTINCT v2 % 7) AS a FROM {src} GROUP BY id4", false, func(rows []hrow) []check.Row {
		// Run as two group-bys (the planner splits them): NULL values,
		// groups with only NULLs and an expression argument.
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id4) })
		var out []check.Row
		for _, k := range keys {
			d := map[int64]bool{}
			for _, r := range groups[k] {
				if r.v2 != nil {
					d[*r.v2%7] = true
				}
			}
			var vals []int64
			for v := range d {
				vals = append(vals, v)
			}
			sum, ok := sumI(vals)
			mean, mok := qmean(vals)
			out = append(out, check.Row{vi(groups[k][0].id4), i64(int64(len(d))), optI(sum, ok), nullF(mok, mean)})
		}
		return out
	}},
	{"distinct global", "SELECT count(DISTINCT id3) AS c, sum(DISTINCT id6) AS s FROM {src} WHERE id3 IS NULL OR id3 < 'id0000000050'", false, func(rows []hrow) []check.Row {
		// Two different arguments: kept as one aggregate of sets.
		c, s := map[string]bool{}, map[int64]bool{}
		for _, r := range rows {
			if r.id3 == nil || *r.id3 < "id0000000050" {
				if r.id3 != nil {
					c[*r.id3] = true
				}
				if r.id6 != nil {
					s[*r.id6] = true
				}
			}
		}
		var vals []int64
		for v := range s {
			vals = append(vals, v)
		}
		sum, ok := sumI(vals)
		return []check.Row{{i64(int64(len(c))), optI(sum, ok)}}
	}},
	{"distinct global split", "SELECT count(DISTINCT id3) AS c FROM {src} WHERE v1 > 100", false, func(rows []hrow) []check.Row {
		// No rows: a global aggregate still has its one row.
		return []check.Row{{i64(0)}}
	}},
	{"expressions order by hidden column", "SELECT id6, v1 * 2 + v2 AS x, v3 / 2 AS h FROM {src} WHERE v3 BETWEEN 10 AND 20 AND id1 IN ('id001', 'id002') AND id6 IS NOT NULL ORDER BY id6 DESC, v3 LIMIT 7 OFFSET 2", true, func(rows []hrow) []check.Row {
		var sel []hrow
		for _, r := range rows {
			if r.v3 != nil && *r.v3 >= 10 && *r.v3 <= 20 && r.id1 != nil && (*r.id1 == "id001" || *r.id1 == "id002") && r.id6 != nil {
				sel = append(sel, r)
			}
		}
		slices.SortFunc(sel, func(a, b hrow) int {
			if *a.id6 != *b.id6 {
				return cmp.Compare(*b.id6, *a.id6)
			}
			return cmp.Compare(*a.v3, *b.v3)
		})
		var out []check.Row
		for _, r := range sel[2:9] {
			x := qnull()
			if r.v1 != nil && r.v2 != nil {
				x = i64(*r.v1*2 + *r.v2)
			}
			out = append(out, check.Row{vi(r.id6), x, f64(*r.v3 / 2)})
		}
		return out
	}},
	{"three-valued logic", "SELECT count(*) AS n FROM {src} WHERE id1 NOT IN ('id001') AND v2 NOT BETWEEN 3 AND 12 OR v3 IS NULL", false, func(rows []hrow) []check.Row {
		n := 0
		for _, r := range rows {
			a := r.id1 != nil && *r.id1 != "id001"
			b := r.v2 != nil && (*r.v2 < 3 || *r.v2 > 12)
			if a && b || r.v3 == nil {
				n++
			}
		}
		return []check.Row{{i64(int64(n))}}
	}},
	{"cast and functions", "SELECT CAST(v3 AS BIGINT) AS i, v1::double / 4 AS q, upper(id1) AS u, length(id3) AS l, abs(v1 - v2) AS d, coalesce(v1, -1) AS c FROM {src} WHERE id6 <= 3", false, func(rows []hrow) []check.Row {
		var out []check.Row
		for _, r := range rows {
			if r.id6 == nil || *r.id6 > 3 {
				continue
			}
			row := check.Row{qnull(), qnull(), qnull(), qnull(), qnull(), i64(-1)}
			if r.v3 != nil {
				row[0] = i64(int64(math.RoundToEven(*r.v3)))
			}
			if r.v1 != nil {
				row[1] = f64(float64(*r.v1) / 4)
				row[5] = i64(*r.v1)
			}
			if r.id1 != nil {
				row[2] = qstr(strings.ToUpper(*r.id1))
			}
			if r.id3 != nil {
				row[3] = i64(int64(len(*r.id3)))
			}
			if r.v1 != nil && r.v2 != nil {
				d := *r.v1 - *r.v2
				row[4] = i64(max(d, -d))
			}
			out = append(out, row)
		}
		return out
	}},
	{"statistics", "SELECT id4, median(v3) AS med, quantile_cont(v3, 0.25) AS q1, stddev_samp(v3) AS sd, var_pop(v1) AS vp, corr(v1, v2) AS c, mean(v2) AS m FROM {src} GROUP BY id4", false, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id4) })
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			v3 := qfloats(g, func(r hrow) *float64 { return r.v3 })
			med, ok1 := qquantile(v3, 0.5)
			q1, ok2 := qquantile(v3, 0.25)
			sd, ok3 := qvariance(v3, true)
			vp, ok4 := qvariance(qints(g, func(r hrow) *int64 { return r.v1 }), false)
			c, ok5 := qcorr(g)
			m, ok6 := qmean(qints(g, func(r hrow) *int64 { return r.v2 }))
			out = append(out, check.Row{vi(g[0].id4), nullF(ok1, med), nullF(ok2, q1), nullF(ok3, math.Sqrt(sd)), nullF(ok4, vp), nullF(ok5, c), nullF(ok6, m)})
		}
		return out
	}},
	{"aggregate inside expression", "SELECT id2, pow(corr(v1, v2), 2) AS r2, sum(v1) * 2 + count(*) AS z FROM {src} GROUP BY id2", false, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id2) })
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			c, ok := qcorr(g)
			s, sok := sumI(qints(g, func(r hrow) *int64 { return r.v1 }))
			out = append(out, check.Row{vs(g[0].id2), nullF(ok, c*c), optI(s*2+int64(len(g)), sok)})
		}
		return out
	}},
	{"window top two", "SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM {src} WHERE v3 IS NOT NULL) s WHERE order_v3 <= 2", false, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id6) })
		var out []check.Row
		for _, k := range keys {
			v3 := qfloats(groups[k], func(r hrow) *float64 { return r.v3 })
			slices.Sort(v3)
			slices.Reverse(v3)
			for _, v := range v3[:min(2, len(v3))] {
				out = append(out, check.Row{vi(groups[k][0].id6), f64(v)})
			}
		}
		return out
	}},
	{"window numbering", "SELECT id1, v3, row_number() OVER (PARTITION BY id1 ORDER BY v3 NULLS FIRST, id6) AS n FROM {src} WHERE id4 = 3 AND v3 IS NOT NULL AND id6 IS NOT NULL", false, func(rows []hrow) []check.Row {
		var sel []hrow
		for _, r := range rows {
			if r.id4 != nil && *r.id4 == 3 && r.v3 != nil && r.id6 != nil {
				sel = append(sel, r)
			}
		}
		keys, groups := qgroup(sel, func(r hrow) string { return qkey(r.id1) })
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			slices.SortFunc(g, func(a, b hrow) int {
				if c := cmp.Compare(*a.v3, *b.v3); c != 0 {
					return c
				}
				return cmp.Compare(*a.id6, *b.id6)
			})
			for i, r := range g {
				out = append(out, check.Row{vs(r.id1), vf(r.v3), i64(int64(i + 1))})
			}
		}
		return out
	}},
	{"window kept rows", "SELECT id1, v3, m FROM (SELECT id1, v3, n AS m FROM (SELECT id1, v3, row_number() OVER (PARTITION BY id1 ORDER BY v3 NULLS FIRST, id6 DESC) AS n FROM {src} WHERE id4 = 3 AND id6 IS NOT NULL) s) t WHERE 3 > m AND (v3 IS NULL OR v3 > 10)", false, func(rows []hrow) []check.Row {
		// The bound on the number (turned around, through a rename) and a
		// filter applied after the numbering.
		var sel []hrow
		for _, r := range rows {
			if r.id4 != nil && *r.id4 == 3 && r.id6 != nil {
				sel = append(sel, r)
			}
		}
		keys, groups := qgroup(sel, func(r hrow) string { return qkey(r.id1) })
		var out []check.Row
		for _, k := range keys {
			g := groups[k]
			slices.SortFunc(g, func(a, b hrow) int {
				switch {
				case a.v3 == nil && b.v3 != nil:
					return -1
				case a.v3 != nil && b.v3 == nil:
					return 1
				case a.v3 != nil:
					if c := cmp.Compare(*a.v3, *b.v3); c != 0 {
						return c
					}
				}
				return cmp.Compare(*b.id6, *a.id6)
			})
			for i, r := range g[:min(2, len(g))] {
				if r.v3 == nil || *r.v3 > 10 {
					out = append(out, check.Row{vs(r.id1), vf(r.v3), i64(int64(i + 1))})
				}
			}
		}
		return out
	}},
	{"subquery with qualified columns", "SELECT s.k, s.total FROM (SELECT id4 AS k, sum(v1) AS total FROM {src} GROUP BY id4) AS s WHERE s.total > 550 ORDER BY s.k", true, func(rows []hrow) []check.Row {
		keys, groups := qgroup(rows, func(r hrow) string { return qkey(r.id4) })
		slices.SortFunc(keys, func(a, b string) int { return cmpNullsLast(groups[a][0].id4, groups[b][0].id4) })
		var out []check.Row
		for _, k := range keys {
			s, ok := sumI(qints(groups[k], func(r hrow) *int64 { return r.v1 }))
			if ok && s > 550 {
				out = append(out, check.Row{vi(groups[k][0].id4), i64(s)})
			}
		}
		return out
	}},
	{"with", "WITH t AS (SELECT id5, v3 FROM {src} WHERE v3 > 50) SELECT id5, count(*) AS n, avg(v3) AS a FROM t GROUP BY id5", false, func(rows []hrow) []check.Row {
		var sel []hrow
		for _, r := range rows {
			if r.v3 != nil && *r.v3 > 50 {
				sel = append(sel, r)
			}
		}
		keys, groups := qgroup(sel, func(r hrow) string { return qkey(r.id5) })
		var out []check.Row
		for _, k := range keys {
			a, _ := qmean(qfloats(groups[k], func(r hrow) *float64 { return r.v3 }))
			out = append(out, check.Row{vi(groups[k][0].id5), i64(int64(len(groups[k]))), f64(a)})
		}
		return out
	}},
	{"alias in where", "SELECT v1 + v2 AS s FROM {src} WHERE s > 18", false, func(rows []hrow) []check.Row {
		var out []check.Row
		for _, r := range rows {
			if r.v1 != nil && r.v2 != nil && *r.v1+*r.v2 > 18 {
				out = append(out, check.Row{i64(*r.v1 + *r.v2)})
			}
		}
		return out
	}},
	{"offset without limit", "SELECT id6 FROM {src} WHERE id6 IS NOT NULL AND v3 IS NOT NULL ORDER BY id6 DESC, v3 OFFSET 1700", true, func(rows []hrow) []check.Row {
		var sel []hrow
		for _, r := range rows {
			if r.id6 != nil && r.v3 != nil {
				sel = append(sel, r)
			}
		}
		slices.SortFunc(sel, func(a, b hrow) int {
			if *a.id6 != *b.id6 {
				return cmp.Compare(*b.id6, *a.id6)
			}
			return cmp.Compare(*a.v3, *b.v3)
		})
		var out []check.Row
		for _, r := range sel[min(1700, len(sel)):] {
			out = append(out, check.Row{vi(r.id6)})
		}
		return out
	}},
}

// runSQL runs query on opts with a checked allocator and returns its rows.
func runSQL(t *testing.T, query string, qo engine.QueryOptions, o engine.Options) []check.Row {
	t.Helper()
	mem, done := check.Mem(t)
	o.Mem = mem
	res, err := engine.Exec(context.Background(), query, qo, o)
	require.NoError(t, err, query)
	require.Equal(t, engine.ResultRows, res.Kind)
	var rows []check.Row
	for {
		rec, err := res.Rows.Next(context.Background())
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		rows = append(rows, check.RecordRows(t, rec)...)
		rec.Release()
	}
	require.NoError(t, res.Close())
	done()
	if rows == nil {
		rows = []check.Row{}
	}
	return rows
}

var sqlExecutors = []engine.Options{
	{Mode: engine.Sequential},
	{Mode: engine.Threads, Workers: 3, BatchSize: 256},
}

func TestSQLQueries(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	fx := newSQLFixture(t, mem)
	defer fx.rec.Release()
	tables := map[string]*engine.Frame{"h2o": engine.FromRecords(fx.rec.Schema(), fx.rec)}
	sources := []struct{ name, src string }{
		{"parquet", "'" + fx.parquet + "'"},
		{"csv", "read_csv('" + fx.csv + "', delim => ';', nullstr => 'NA', header => true)"},
		{"memory", "h2o"},
	}
	for _, tc := range sqlCases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want(fx.rows)
			if want == nil {
				want = []check.Row{}
			}
			if !tc.ordered {
				want = check.Sorted(want)
			}
			for i, src := range sources {
				for j, o := range sqlExecutors {
					if i > 0 && j == 0 { // the other sources on the parallel executor only
						continue
					}
					q := strings.ReplaceAll(tc.query, "{src}", src.src)
					got := runSQL(t, q, engine.QueryOptions{Tables: tables}, o)
					if !tc.ordered {
						got = check.Sorted(got)
					}
					check.Equal(t, want, got, 1e-9, src.name, o.Mode)
				}
			}
		})
	}
}

// h2oQuestions are the benchmark's questions (table x), with the same query
// built with the frame builder.
var h2oQuestions = []struct {
	name     string
	sql      string
	build    func(*engine.Frame) *engine.Frame
	samePlan bool // the SQL plan is the builder's plan
}{
	{"q1", "SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1"))
	}, true},
	{"q2", "SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1", "id2").Agg(engine.Sum(expr.Col("v1")).As("v1"))
	}, true},
	{"q3", "SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id3").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Avg(expr.Col("v3")).As("v3"))
	}, true},
	{"q4", "SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id4").Agg(engine.Avg(expr.Col("v1")).As("v1"), engine.Avg(expr.Col("v2")).As("v2"), engine.Avg(expr.Col("v3")).As("v3"))
	}, true},
	{"q5", "SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id6").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Sum(expr.Col("v2")).As("v2"), engine.Sum(expr.Col("v3")).As("v3"))
	}, true},
	{"q6", "SELECT id4, id5, median(v3) AS median_v3, stddev_samp(v3) AS sd_v3 FROM x GROUP BY id4, id5", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id4", "id5").Agg(engine.Median(expr.Col("v3")).As("median_v3"), engine.StddevSamp(expr.Col("v3")).As("sd_v3"))
	}, true},
	{"q7", "SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id3").Agg(engine.Max(expr.Col("v1")).As("max_v1"), engine.Min(expr.Col("v2")).As("min_v2")).
			Select("id3", engine.As(expr.Col("max_v1").Sub(expr.Col("min_v2")), "range_v1_v2"))
	}, false},
	{"q8", `SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER
		(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) s
		WHERE order_v3 <= 2`, func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v3").IsNotNull()).
			RowNumber("order_v3", []*expr.Expr{expr.Col("id6")}, engine.Desc(expr.Col("v3"))).
			Filter(expr.Col("order_v3").Le(expr.Int(2))).
			Select("id6", engine.As(expr.Col("v3"), "largest2_v3"))
	}, false},
	{"q9", "SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id2", "id4").Agg(engine.Corr(expr.Col("v1"), expr.Col("v2")).As("r")).
			Select("id2", "id4", engine.As(expr.Call("pow", expr.Col("r"), expr.Int(2)), "r2"))
	}, false},
	{"q10", `SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count
		FROM x GROUP BY id1, id2, id3, id4, id5, id6`, func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("id1", "id2", "id3", "id4", "id5", "id6").Agg(engine.Sum(expr.Col("v3")).As("v3"), engine.Count().As("count"))
	}, true},
	{"f1", "SELECT count(*) AS n, sum(v3) AS sum_v3, avg(v1) AS avg_v1 FROM x WHERE v2 > 10 AND id4 < 50", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v2").Gt(expr.Int(10)).And(expr.Col("id4").Lt(expr.Int(50)))).
			Agg(engine.Count().As("n"), engine.Sum(expr.Col("v3")).As("sum_v3"), engine.Avg(expr.Col("v1")).As("avg_v1"))
	}, true},
	{"f2", "SELECT id1, sum(v1) AS v1, count(*) AS n FROM x WHERE v3 > 50 GROUP BY id1", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("v3").Gt(expr.Int(50))).GroupBy("id1").Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Count().As("n"))
	}, true},
	{"f3", "SELECT * FROM x WHERE id6 = 4242", func(f *engine.Frame) *engine.Frame {
		return f.Filter(expr.Col("id6").Eq(expr.Int(4242)))
	}, true},
}

func TestSQLH2OQuestions(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	fx := newSQLFixture(t, mem)
	defer fx.rec.Release()
	for _, q := range h2oQuestions {
		t.Run(q.name, func(t *testing.T) {
			// The query reads the file directly and through a registered table.
			direct := strings.ReplaceAll(q.sql, "FROM x", "FROM '"+fx.parquet+"'")
			f, err := engine.SQL(direct, engine.QueryOptions{})
			require.NoError(t, err)
			b := q.build(engine.Scan(fx.parquet))
			require.NoError(t, b.Err())
			require.Equal(t, b.Schema().String(), f.Schema().String())
			if q.samePlan {
				require.Equal(t, b.String(), f.String())
			}
			tables := map[string]*engine.Frame{"x": engine.Scan(fx.parquet)}
			for i, o := range sqlExecutors {
				want := collectSorted(t, b, o)
				check.Equal(t, want, collectSorted(t, f, o), 1e-9, "direct", o.Mode)
				if i == 0 {
					got := check.Sorted(runSQL(t, q.sql, engine.QueryOptions{Tables: tables}, o))
					check.Equal(t, want, got, 1e-9, "table", o.Mode)
				}
			}
		})
	}
}

// collect runs a frame with a checked allocator and returns its sorted rows.
func collectSorted(t *testing.T, f *engine.Frame, o engine.Options) []check.Row {
	t.Helper()
	mem, done := check.Mem(t)
	o.Mem = mem
	tbl, err := f.Collect(context.Background(), o)
	require.NoError(t, err)
	rows := check.Rows(t, tbl)
	tbl.Release()
	done()
	if rows == nil {
		rows = []check.Row{}
	}
	return check.Sorted(rows)
}

func TestSQLNoFrom(t *testing.T) {
	got := runSQL(t, "SELECT 1 + 2 AS three, NULL IS NULL AS x, 7 / 2 AS half", engine.QueryOptions{}, engine.Options{Mode: engine.Sequential})
	check.Equal(t, []check.Row{{i64(3), qbool(true), f64(3.5)}}, got, 0)
}

func TestSQLCSVOptions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "people.txt")
	require.NoError(t, os.WriteFile(path, []byte("name|age|score\nann|30|1.5\nbob|NA|2\n-|41|NA\n"), 0o644))
	o := engine.Options{Mode: engine.Sequential}
	q := fmt.Sprintf(`SELECT name, age, score * 2 AS s2 FROM read_csv('%s', delim => '|', nullstr => 'NA', columns => {'age': 'BIGINT'}) ORDER BY age NULLS FIRST`, path)
	got := runSQL(t, q, engine.QueryOptions{}, o)
	check.Equal(t, []check.Row{{qstr("bob"), qnull(), f64(4)}, {qstr("ann"), i64(30), f64(3)}, {qstr("-"), i64(41), qnull()}}, got, 0)

	q = fmt.Sprintf(`DESCRIBE read_csv_auto('%s', sep => '|', nullstr => 'NA', columns => {'score': 'VARCHAR'})`, path)
	got = runSQL(t, q, engine.QueryOptions{}, o)
	check.Equal(t, []check.Row{{qstr("name"), qstr("VARCHAR"), qstr("YES")}, {qstr("age"), qstr("BIGINT"), qstr("YES")}, {qstr("score"), qstr("VARCHAR"), qstr("YES")}}, got, 0)

	q = fmt.Sprintf(`SELECT count(*) AS n FROM read_csv('%s', header => false, delimiter => '|')`, path)
	check.Equal(t, []check.Row{{i64(4)}}, runSQL(t, q, engine.QueryOptions{}, o), 0)

	_, err := engine.SQL(fmt.Sprintf("SELECT * FROM read_csv('%s') AS p(a, b)", path), engine.QueryOptions{})
	require.ErrorContains(t, err, "column aliases in FROM are not supported")
}

func TestSQLSources(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	fx := newSQLFixture(t, mem)
	defer fx.rec.Release()
	// A directory of two copies of the file.
	dir := filepath.Join(fx.dir, "parts")
	require.NoError(t, os.Mkdir(dir, 0o755))
	data, err := os.ReadFile(fx.parquet)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.parquet"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.parquet"), data, 0o644))
	want := []check.Row{{i64(2 * sqlRows)}}
	for _, src := range []string{
		"'" + dir + "/*.parquet'",
		"'" + dir + "/'",
		"read_parquet('" + dir + "/*.parquet')",
		"read_parquet(['" + filepath.Join(dir, "a.parquet") + "', '" + filepath.Join(dir, "b.parquet") + "'])",
		"parquet_scan('" + dir + "')",
	} {
		t.Run(src, func(t *testing.T) {
			got := runSQL(t, "SELECT count(*) AS n FROM "+src, engine.QueryOptions{}, engine.Options{})
			check.Equal(t, want, got, 0)
		})
	}
}

func TestSQLTables(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "K", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"K": "a", "v": 1}, {"K": "b", "v": 2}, {"K": "a", "v": null}, {"K": null, "v": 5}]`))
	require.NoError(t, err)
	defer rec.Release()
	qo := engine.QueryOptions{Tables: map[string]*engine.Frame{"T": engine.FromRecords(schema, rec)}}
	tests := []struct {
		name, sql string
		want      []check.Row
	}{
		{"case-insensitive names", "SELECT k, sum(V) AS s FROM t GROUP BY K ORDER BY k", []check.Row{{qstr("a"), i64(1)}, {qstr("b"), i64(2)}, {qnull(), i64(5)}}},
		{"cte shadows table", "WITH t AS (SELECT k AS k2 FROM T WHERE v > 1) SELECT * FROM t ORDER BY 1", []check.Row{{qstr("b")}, {qnull()}}},
		{"nested cte", "WITH a AS (SELECT v FROM t), b AS (SELECT v * 2 AS w FROM a WHERE v IS NOT NULL) SELECT max(w) AS m FROM b", []check.Row{{i64(10)}}},
		{"empty result", "SELECT * FROM t WHERE v > 100", []check.Row{}},
		{"limit zero", "SELECT * FROM t LIMIT 0", []check.Row{}},
		{"distinct", "SELECT DISTINCT k FROM t ORDER BY k NULLS FIRST", []check.Row{{qnull()}, {qstr("a")}, {qstr("b")}}},
		{"order by expression", "SELECT k FROM t ORDER BY -v NULLS FIRST, k", []check.Row{{qstr("a")}, {qnull()}, {qstr("b")}, {qstr("a")}}},
		{"one row", "SELECT v FROM t WHERE k = 'b'", []check.Row{{i64(2)}}},
		{"all null aggregate", "SELECT sum(v) AS s, count(v) AS c, avg(v) AS a FROM t WHERE v IS NULL", []check.Row{{qnull(), i64(0), qnull()}}},
		{"having without group by", "SELECT count(*) AS n FROM t HAVING count(*) > 10", []check.Row{}},
		{"grouped having on alias", "SELECT k, count(*) AS n FROM t GROUP BY k HAVING n > 1", []check.Row{{qstr("a"), i64(2)}}},
		{"from first", "FROM t WHERE v = 5", []check.Row{{qnull(), i64(5)}}},
		{"duplicate names sorted", "SELECT k AS x, v AS x FROM t ORDER BY v NULLS FIRST", []check.Row{{qstr("a"), qnull()}, {qstr("a"), i64(1)}, {qstr("b"), i64(2)}, {qnull(), i64(5)}}},
		{"duplicate names distinct", "SELECT DISTINCT v AS x, k AS x FROM t WHERE v < 5 ORDER BY 1", []check.Row{{i64(1), qstr("a")}, {i64(2), qstr("b")}}},
		// A subquery's duplicate names stay unique (x, x_2): the query
		// around sees both columns.
		{"duplicate names in a subquery", "SELECT * FROM (SELECT v AS x, v * 10 AS X FROM t) s ORDER BY 1", []check.Row{{i64(1), i64(10)}, {i64(2), i64(20)}, {i64(5), i64(50)}, {qnull(), qnull()}}},
		{"duplicate names in a cte, by name", "WITH s AS (SELECT k AS x, v AS x FROM t) SELECT x_2 FROM s WHERE x_2 > 1 ORDER BY x_2", []check.Row{{i64(2)}, {i64(5)}}},
		{"row number under a taken name", "SELECT * FROM (SELECT k AS n, v, row_number() OVER (PARTITION BY k ORDER BY v) AS n FROM t) s WHERE n_2 <= 1 ORDER BY 2 NULLS FIRST", []check.Row{{qstr("a"), i64(1), i64(1)}, {qstr("b"), i64(2), i64(1)}, {qnull(), i64(5), i64(1)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, o := range sqlExecutors {
				check.Equal(t, tc.want, runSQL(t, tc.sql, qo, o), 0, o.Mode)
			}
		})
	}
}

func TestSQLFrameExtends(t *testing.T) {
	mem, done := check.Mem(t)
	defer done()
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"v": 1}, {"v": 2}, {"v": 3}]`))
	require.NoError(t, err)
	defer rec.Release()
	f, err := engine.SQL("SELECT v * 10 AS w FROM t", engine.QueryOptions{Tables: map[string]*engine.Frame{"t": engine.FromRecords(schema, rec)}})
	require.NoError(t, err)
	tbl, err := f.Filter(expr.Col("w").Gt(expr.Int(15))).Collect(context.Background(), engine.Options{Mem: mem})
	require.NoError(t, err)
	defer tbl.Release()
	check.Equal(t, []check.Row{{i64(20)}, {i64(30)}}, check.Rows(t, tbl), 0)

	_, err = engine.SQL("EXPLAIN SELECT 1", engine.QueryOptions{})
	require.ErrorContains(t, err, "SQL wants a SELECT query")
}

func TestSQLExplainDescribe(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	fx := newSQLFixture(t, mem)
	defer fx.rec.Release()
	q := "SELECT id1, sum(v1) AS v1 FROM '" + fx.parquet + "' WHERE v3 > 50 GROUP BY id1"
	ctx := context.Background()

	res, err := engine.Exec(ctx, "EXPLAIN "+q, engine.QueryOptions{}, engine.Options{Mem: mem})
	require.NoError(t, err)
	require.Equal(t, engine.ResultText, res.Kind)
	f, err := engine.SQL(q, engine.QueryOptions{})
	require.NoError(t, err)
	want, err := f.Explain()
	require.NoError(t, err)
	require.Equal(t, want, res.Text)
	require.Contains(t, res.Text, "Aggregate")
	require.NoError(t, res.Close())

	res, err = engine.Exec(ctx, "EXPLAIN ANALYZE "+q, engine.QueryOptions{}, engine.Options{Mem: mem})
	require.NoError(t, err)
	require.Contains(t, res.Text, "Ran with")
	require.NoError(t, res.Close())

	// Query renders EXPLAIN as one row per line.
	tbl, err := engine.Query(ctx, "EXPLAIN "+q, engine.Options{Mem: mem})
	require.NoError(t, err)
	require.Equal(t, "plan", tbl.Schema().Field(0).Name)
	require.Equal(t, int64(strings.Count(strings.TrimRight(want, "\n"), "\n")+1), tbl.NumRows())
	tbl.Release()

	tests := []struct {
		name, sql string
		want      []check.Row
	}{
		{"file", "DESCRIBE '" + fx.parquet + "'", []check.Row{
			{qstr("id1"), qstr("VARCHAR"), qstr("YES")}, {qstr("id2"), qstr("VARCHAR"), qstr("YES")}, {qstr("id3"), qstr("VARCHAR"), qstr("YES")},
			{qstr("id4"), qstr("INTEGER"), qstr("YES")}, {qstr("id5"), qstr("INTEGER"), qstr("YES")}, {qstr("id6"), qstr("INTEGER"), qstr("YES")},
			{qstr("v1"), qstr("INTEGER"), qstr("YES")}, {qstr("v2"), qstr("INTEGER"), qstr("YES")}, {qstr("v3"), qstr("DOUBLE"), qstr("YES")},
		}},
		{"query", "DESCRIBE " + q, []check.Row{{qstr("id1"), qstr("VARCHAR"), qstr("YES")}, {qstr("v1"), qstr("BIGINT"), qstr("YES")}}},
		{"expressions", "DESCRIBE SELECT DATE '2024-01-02' AS d, TIMESTAMP '2024-01-02 03:04:05' AS ts, 1.5 AS f, TRUE AS b, CAST(1 AS DECIMAL(10,2)) AS dec", []check.Row{
			{qstr("d"), qstr("DATE"), qstr("YES")}, {qstr("ts"), qstr("TIMESTAMP"), qstr("YES")}, {qstr("f"), qstr("DOUBLE"), qstr("YES")},
			{qstr("b"), qstr("BOOLEAN"), qstr("YES")}, {qstr("dec"), qstr("DECIMAL(10,2)"), qstr("YES")},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check.Equal(t, tc.want, runSQL(t, tc.sql, engine.QueryOptions{}, engine.Options{}), 0)
		})
	}
}

func TestSQLCopy(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	fx := newSQLFixture(t, mem)
	defer fx.rec.Release()
	ctx := context.Background()
	q := "SELECT id1, id4, v3, v1 > 2 AS big FROM '" + fx.parquet + "' WHERE id6 < 50"
	want := check.Sorted(runSQL(t, q, engine.QueryOptions{}, engine.Options{}))
	tests := []struct {
		name, file, opts string
		readBack         string // how to read the file back; "" to only count lines
	}{
		{"parquet", "out.parquet", "", "'%s'"},
		{"parquet zstd", "out.bin", "(FORMAT parquet, COMPRESSION zstd)", "read_parquet('%s')"},
		{"csv", "out.csv", "(HEADER)", "read_csv('%s', columns => {'big': 'BOOLEAN'})"},
		{"arrow", "out.arrow", "(FORMAT 'arrow')", "read_arrow('%s')"},
		{"json", "out.json", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(fx.dir, tc.file)
			res, err := engine.Exec(ctx, fmt.Sprintf("COPY (%s) TO '%s' %s", q, path, tc.opts), engine.QueryOptions{}, engine.Options{Mem: mem})
			require.NoError(t, err)
			require.Equal(t, engine.ResultCopy, res.Kind)
			require.Equal(t, int64(len(want)), res.Copied)
			require.Equal(t, path, res.Path)
			require.NoError(t, res.Close())
			if tc.readBack == "" {
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				require.Equal(t, len(want), strings.Count(string(data), "\n"))
				return
			}
			got := check.Sorted(runSQL(t, "SELECT * FROM "+fmt.Sprintf(tc.readBack, path), engine.QueryOptions{}, engine.Options{}))
			check.Equal(t, want, got, 1e-15)
		})
	}
	t.Run("query returns the count", func(t *testing.T) {
		path := filepath.Join(fx.dir, "n.csv")
		tbl, err := engine.Query(ctx, fmt.Sprintf("COPY (%s) TO '%s'", q, path), engine.Options{Mem: mem})
		require.NoError(t, err)
		defer tbl.Release()
		require.Equal(t, "Count", tbl.Schema().Field(0).Name)
		check.Equal(t, []check.Row{{i64(int64(len(want)))}}, check.Rows(t, tbl), 0)
	})
	t.Run("failed copy leaves no file", func(t *testing.T) {
		path := filepath.Join(fx.dir, "bad.csv")
		_, err := engine.Exec(ctx, fmt.Sprintf("COPY (SELECT CAST(id1 AS INTEGER) AS n FROM '%s') TO '%s'", fx.parquet, path), engine.QueryOptions{}, engine.Options{Mem: mem})
		require.Error(t, err)
		_, statErr := os.Stat(path)
		require.True(t, errors.Is(statErr, os.ErrNotExist), "%v", statErr)
		entries, err := os.ReadDir(fx.dir)
		require.NoError(t, err)
		for _, e := range entries {
			require.False(t, strings.HasSuffix(e.Name(), ".tmp"), e.Name())
		}
	})
}

func TestSQLErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	fx := newSQLFixture(t, mem)
	defer fx.rec.Release()
	t.Chdir(fx.dir) // short relative names keep positions predictable
	x := "'x.parquet'"
	tests := []struct {
		name, sql string
		at        string // the error points at the first occurrence of at
		msg, hint string
	}{
		{"syntax", "SELECT id1 FORM " + x, "FORM", "unexpected FORM", "did you mean FROM?"},
		{"unknown column", "SELECT id7, v1 FROM " + x, "id7", `unknown column id7`, "did you mean id1?"},
		{"unknown column in where", "SELECT id1 FROM " + x + " WHERE vv3 > 1", "vv3", "unknown column vv3", "did you mean v3?"},
		{"unknown column in group by", "SELECT count(*) FROM " + x + " GROUP BY idd1", "idd1", "unknown column idd1", "did you mean id1?"},
		{"unknown function", "SELECT lowr(id1) FROM " + x, "lowr", `unknown function "lowr"`, "did you mean lower?"},
		{"misspelt aggregate", "SELECT sun(v1) FROM " + x, "sun", `unknown function "sun"`, "did you mean sum?"},
		{"unknown aggregate", "SELECT summ(v1) FROM " + x, "summ", `unknown function "summ"`, "did you mean sum?"},
		{"sum of strings", "SELECT sum(id1) FROM " + x, "id1)", "sum", ""},
		{"non-grouped column", "SELECT id1, v1, sum(v2) FROM " + x + " GROUP BY id1", "v1,", "column v1 must appear in the GROUP BY clause or be used in an aggregate function", ""},
		{"non-grouped in having", "SELECT id1 FROM " + x + " GROUP BY id1 HAVING v2 > 1", "v2 >", "column v2 must appear in the GROUP BY clause", ""},
		{"non-grouped in order by", "SELECT id1, count(*) FROM " + x + " GROUP BY id1 ORDER BY v3", "v3", "column v3 must appear in the GROUP BY clause", ""},
		{"aggregate without group by", "SELECT id1, count(*) FROM " + x, "id1", "column id1 must appear in the GROUP BY clause", ""},
		{"aggregate in where", "SELECT id1 FROM " + x + " WHERE sum(v1) > 1", "sum", "aggregate functions are not allowed in WHERE", ""},
		{"aggregate in group by", "SELECT count(*) FROM " + x + " GROUP BY sum(v1)", "sum", "aggregate functions are not allowed in GROUP BY", ""},
		{"group by aggregate position", "SELECT id1, sum(v1) FROM " + x + " GROUP BY 2", "2", "contains an aggregate", ""},
		{"nested aggregate", "SELECT sum(max(v1)) FROM " + x, "max", "aggregate function calls cannot be nested", ""},
		{"position out of range", "SELECT id1 FROM " + x + " ORDER BY 3", "3", "ORDER BY position 3 is not in the select list", ""},
		{"missing file", "SELECT * FROM 'nope.parquet'", "'", "nope.parquet", ""},
		{"missing file in function", "SELECT * FROM read_csv('nope.csv')", "'", "nope.csv", ""},
		{"unknown table", "SELECT * FROM h2o", "h2o", "unknown table h2o", "quote its name"},
		{"unknown table function", "SELECT * FROM read_parqet('x')", "read_parqet", "unknown table function read_parqet", "did you mean read_parquet?"},
		{"unknown csv option", "SELECT * FROM read_csv('x.csv', delimitr => ';')", "delimitr", "read_csv has no option delimitr", "did you mean delimiter?"},
		{"parquet option", "SELECT * FROM read_parquet('x', header => true)", "header", "read_parquet has no option header", ""},
		{"bad quantile", "SELECT quantile_cont(v3, 2) FROM " + x, "2)", "the quantile must be a constant between 0 and 1", ""},
		{"wrong arity", "SELECT corr(v1) FROM " + x, "corr", "corr takes 2 argument(s), got 1", ""},
		{"distinct median", "SELECT median(DISTINCT v1) FROM " + x, "median", "median does not take DISTINCT", ""},
		{"window in where", "SELECT id1 FROM " + x + " WHERE row_number() OVER () > 1", "row_number", "window functions are not allowed in WHERE", ""},
		{"unsupported window", "SELECT rank() OVER (ORDER BY v1) FROM " + x, "rank", "window function rank is not supported", ""},
		{"window in aggregate query", "SELECT count(*), row_number() OVER () FROM " + x, "row_number", "window functions in aggregate queries are not supported", ""},
		{"bad limit", "SELECT * FROM " + x + " LIMIT -1", "-1", "LIMIT wants a non-negative integer constant", ""},
		{"unknown qualifier", "SELECT s.id1 FROM " + x + " AS t", "s.id1", "unknown table s", "the source is named t"},
		{"type mismatch", "SELECT id1 + 1 FROM " + x, "+", "", ""},
		{"non-boolean where", "SELECT id1 FROM " + x + " WHERE v1", "v1", "not boolean", ""},
		{"distinct order by", "SELECT DISTINCT id1 FROM " + x + " ORDER BY v1", "v1", "for SELECT DISTINCT, ORDER BY expressions must appear in the select list", ""},
		{"star without from", "SELECT *", "*", "SELECT * needs a FROM clause", ""},
		{"copy format", "COPY (SELECT 1) TO 'x.unknown'", "'x.unknown'", "cannot tell the output format", "FORMAT parquet"},
		{"copy bad format", "COPY (SELECT 1) TO 'x' (FORMAT xml)", "xml", "unknown COPY format xml", ""},
		{"copy bad option", "COPY (SELECT 1) TO 'x.csv' (ROW_GROUP_SIZE 5)", "ROW_GROUP_SIZE", "unknown COPY option ROW_GROUP_SIZE", ""},
		{"copy to missing dir", "COPY (SELECT 1) TO 'no/x.csv'", "'", "cannot write", ""},
		{"concat unsupported", "SELECT id1 || id2 FROM " + x, "||", "operator || is not supported", ""},
		{"bad cast type", "SELECT CAST(v1 AS widget) FROM " + x, "CAST", "widget", ""},
		{"runtime cast error", "SELECT CAST(id1 AS INTEGER) FROM " + x, "CAST", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			res, err := engine.Exec(ctx, tc.sql, engine.QueryOptions{}, engine.Options{Mem: mem})
			if err == nil {
				res.Close()
			}
			require.Error(t, err)
			var se *sql.Error
			require.True(t, errors.As(err, &se), "%T: %v", err, err)
			pos := strings.Index(tc.sql, tc.at)
			require.GreaterOrEqual(t, pos, 0)
			require.Equal(t, pos, se.Pos, "%v", err)
			require.Contains(t, se.Msg, tc.msg)
			require.Contains(t, se.Hint, tc.hint)
			// The rendering carries the caret under the position.
			lines := strings.Split(err.Error(), "\n")
			require.GreaterOrEqual(t, len(lines), 3)
			require.Equal(t, strings.Repeat(" ", 2+pos)+"^", lines[2])
		})
	}
}

// TestSQLDuplicateNames: the outermost query gives back duplicate output
// names as written; a subquery's stay unique, so that the query around can
// name each column.
func TestSQLDuplicateNames(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	qo := engine.QueryOptions{Tables: map[string]*engine.Frame{"t": engine.FromRecords(schema)}}
	names := func(sql string) []string {
		f, err := engine.SQL(sql, qo)
		require.NoError(t, err, sql)
		var out []string
		for _, fd := range f.Schema().Fields() {
			out = append(out, fd.Name)
		}
		return out
	}
	require.Equal(t, []string{"x", "X"}, names("SELECT v AS x, v * 10 AS X FROM t"))
	require.Equal(t, []string{"x", "X_2"}, names("SELECT * FROM (SELECT v AS x, v * 10 AS X FROM t) s"))
	require.Equal(t, []string{"x", "x_2", "x_3"}, names("WITH s AS (SELECT v AS x, v AS x, v AS x FROM t) SELECT * FROM s"))
}
