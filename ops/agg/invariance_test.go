package agg

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// propCase is one function for the partition-invariance property.
type propCase struct {
	spec  Spec
	types []arrow.DataType
	dict  bool // utf8 arguments arrive dictionary-encoded
	small bool // draw from few distinct values
}

func propCases() []propCase {
	dec := &arrow.Decimal128Type{Precision: 12, Scale: 2}
	i32, date := arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Date32
	one := func(name string, t arrow.DataType) propCase {
		return propCase{spec: Spec{Func: name}, types: []arrow.DataType{t}}
	}
	distinct := func(name string, t arrow.DataType, dict bool) propCase {
		return propCase{spec: Spec{Func: name, Distinct: true}, types: []arrow.DataType{t}, dict: dict, small: true}
	}
	dictOf := func(c propCase) propCase { c.dict = true; return c }
	return []propCase{
		{spec: Spec{Func: "count_star"}},
		one("count", i64), dictOf(one("count", utf8)),
		distinct("count", i64, false), distinct("count", utf8, false), distinct("count", utf8, true),
		distinct("count", f64, false), distinct("count", dec, false),
		one("sum", i64), one("sum", i32), one("sum", f64), one("sum", dec),
		distinct("sum", i64, false), distinct("sum", f64, false),
		one("avg", i64), one("avg", f64), one("avg", dec), distinct("avg", i64, false),
		one("min", i64), one("max", i64), one("min", f64), one("max", f64),
		one("min", utf8), one("max", utf8), dictOf(one("min", utf8)), dictOf(one("max", utf8)),
		one("min", dec), one("max", dec), one("min", date), one("max", date),
		one("var_samp", f64), one("var_pop", f64), one("stddev_samp", f64), one("stddev_pop", f64), one("var_samp", i64),
		one("median", f64), one("median", i64),
		{spec: Spec{Func: "quantile_cont", Param: 0.9}, types: []arrow.DataType{f64}},
		{spec: Spec{Func: "quantile_cont", Param: 0}, types: []arrow.DataType{i64}},
		{spec: Spec{Func: "corr"}, types: []arrow.DataType{f64, f64}},
		{spec: Spec{Func: "corr"}, types: []arrow.DataType{i64, f64}},
	}
}

// genValue draws a value for type t (nil for NULL): int64 for integers,
// dates and unscaled decimals, float64, or string.
func genValue(r *rand.Rand, t arrow.DataType, small bool) any {
	if r.IntN(10) == 0 {
		return nil
	}
	switch t.ID() {
	case arrow.INT64, arrow.INT32, arrow.DATE32, arrow.DECIMAL128:
		if small {
			return int64(r.IntN(15) - 7)
		}
		return int64(r.IntN(2_000_001) - 1_000_000)
	case arrow.FLOAT64:
		if small {
			return float64(r.IntN(9)) / 4
		}
		return r.NormFloat64()*100 + 10
	case arrow.STRING:
		n := 40
		if small {
			n = 8
		}
		return strings.Repeat("ab", r.IntN(3)) + fmt.Sprint("w", r.IntN(n))
	}
	panic("genValue: " + t.String())
}

// build makes an Arrow column of type t from generated values.
func build(t testing.TB, mem memory.Allocator, dt arrow.DataType, vals []any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.Int64Builder:
			b.Append(v.(int64))
		case *array.Int32Builder:
			b.Append(int32(v.(int64)))
		case *array.Date32Builder:
			b.Append(arrow.Date32(v.(int64)))
		case *array.Float64Builder:
			b.Append(v.(float64))
		case *array.StringBuilder:
			b.Append(v.(string))
		case *array.Decimal128Builder:
			b.Append(decimal128.FromI64(v.(int64)))
		default:
			t.Fatalf("build: %T", b)
		}
	}
	return b.NewArray()
}

// columns builds the argument columns of rows (optionally dictionary encoding
// utf8 with a random number of unused dictionary entries).
func columns(t testing.TB, mem memory.Allocator, r *rand.Rand, pc propCase, rows [][]any) []arrow.Array {
	t.Helper()
	var cols []arrow.Array
	for j, dt := range pc.types {
		vals := make([]any, len(rows))
		for i, row := range rows {
			vals[i] = row[j]
		}
		a := build(t, mem, dt, vals)
		if pc.dict && dt.ID() == arrow.STRING {
			d := toDict(t, mem, a, r.IntN(2)*r.IntN(200))
			a.Release()
			a = d
		}
		cols = append(cols, a)
	}
	return cols
}

// feed updates acc with rows in random-sized batches.
func feed(t testing.TB, mem memory.Allocator, r *rand.Rand, pc propCase, acc Acc, groups []uint32, rows [][]any, n int) {
	t.Helper()
	for lo := 0; lo < len(rows) || lo == 0; {
		hi := min(len(rows), lo+1+r.IntN(700))
		cols := columns(t, mem, r, pc, rows[lo:hi])
		err := acc.Update(groups[lo:hi], n, cols)
		releaseAll(cols)
		require.NoError(t, err)
		lo = hi
		if lo == len(rows) {
			break
		}
	}
}

// TestPartitionInvariance: random data split into k random partitions, each
// updated in its own accumulator with its own group numbering, the states
// merged (in slices, in random order, under a shuffled group mapping) into a
// fresh accumulator, give the same Final as one accumulator and as a plain Go
// reference.
func TestPartitionInvariance(t *testing.T) {
	const rows, groups = 3000, 40 // group 38: all NULL, group 39: no rows
	for ci, pc := range propCases() {
		name := fmt.Sprintf("%s/%v", pc.spec.Func, pc.types)
		if pc.spec.Distinct {
			name = "distinct " + name
		}
		if pc.dict {
			name += "/dict"
		}
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			r := rand.New(rand.NewPCG(uint64(ci), 7))
			f, err := New(pc.spec, pc.types)
			require.NoError(t, err)

			gids := make([]uint32, rows)
			data := make([][]any, rows)
			for i := range data {
				gids[i] = uint32(r.IntN(groups - 1))
				row := make([]any, len(pc.types))
				for j, dt := range pc.types {
					if gids[i] != groups-2 {
						row[j] = genValue(r, dt, pc.small)
					}
				}
				data[i] = row
			}
			want := reference(t, pc, gids, data, groups)

			single := f.NewAcc(mem)
			defer single.Release()
			feed(t, mem, r, pc, single, gids, data, groups)
			requireCells(t, want, final(t, mem, single), "single accumulator vs reference")

			for _, k := range []int{1, 3, 8} {
				perm := r.Perm(groups) // final group of global group g
				part := make([]int, rows)
				for i := range part {
					part[i] = r.IntN(k)
				}
				merged := f.NewAcc(mem)
				var states [][]arrow.Array
				var maps [][]uint32
				for p := 0; p < k; p++ {
					var pg []uint32
					var prows [][]any
					local := map[uint32]uint32{}
					order := r.Perm(groups) // local ids assigned in a shuffled order
					for i := range data {
						if part[i] != p {
							continue
						}
						pg = append(pg, gids[i])
						prows = append(prows, data[i])
					}
					var seen []uint32
					for _, g := range pg {
						if _, ok := local[g]; !ok {
							local[g] = 0
							seen = append(seen, g)
						}
					}
					slices.SortFunc(seen, func(a, b uint32) int { return order[a] - order[b] })
					back := make([]uint32, len(seen))
					for l, g := range seen {
						local[g] = uint32(l)
						back[l] = uint32(perm[g])
					}
					lg := make([]uint32, len(pg))
					for i, g := range pg {
						lg[i] = local[g]
					}
					acc := f.NewAcc(mem)
					feed(t, mem, r, pc, acc, lg, prows, len(seen))
					st, err := acc.State(mem)
					require.NoError(t, err)
					acc.Release()
					states = append(states, st)
					maps = append(maps, back)
				}
				for _, p := range r.Perm(k) {
					st, back := states[p], maps[p]
					cut := 0
					if len(back) > 0 {
						cut = r.IntN(len(back) + 1)
					}
					for _, rng := range [][2]int{{0, cut}, {cut, len(back)}} {
						var sl []arrow.Array
						for _, s := range st {
							sl = append(sl, array.NewSlice(s, int64(rng[0]), int64(rng[1])))
						}
						err := merged.Merge(back[rng[0]:rng[1]], groups, sl)
						releaseAll(sl)
						require.NoError(t, err)
					}
					releaseAll(st)
				}
				got := final(t, mem, merged)
				merged.Release()
				unperm := make([]any, groups)
				for g := range unperm {
					unperm[g] = got[perm[g]]
				}
				requireCells(t, want, unperm, fmt.Sprintf("%d partitions vs reference", k))
			}
		})
	}
}

// reference computes the expected results in plain Go.
func reference(t testing.TB, pc propCase, gids []uint32, data [][]any, n int) []any {
	t.Helper()
	byGroup := make([][][]any, n)
	for i, g := range gids {
		byGroup[g] = append(byGroup[g], data[i])
	}
	out := make([]any, n)
	var scale int32
	if len(pc.types) > 0 {
		if d, ok := pc.types[0].(*arrow.Decimal128Type); ok {
			scale = d.Scale
		}
	}
	for g, rows := range byGroup {
		if pc.spec.Func == "count_star" {
			out[g] = int64(len(rows))
			continue
		}
		var vals []any
		var xs, ys []float64
		for _, row := range rows {
			if row[0] == nil || len(row) > 1 && row[1] == nil {
				continue
			}
			vals = append(vals, row[0])
			xs = append(xs, toF(row[0], scale))
			if len(row) > 1 {
				ys = append(ys, toF(row[1], 0))
			}
		}
		if pc.spec.Distinct {
			var uniq []any
			seen := map[any]bool{}
			for _, v := range vals {
				if !seen[v] {
					seen[v] = true
					uniq = append(uniq, v)
				}
			}
			vals, xs = uniq, nil
			for _, v := range vals {
				xs = append(xs, toF(v, scale))
			}
		}
		out[g] = refValue(pc, vals, xs, ys, scale)
	}
	return out
}

func toF(v any, scale int32) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v) / math.Pow10(int(scale))
	case float64:
		return v
	}
	return math.NaN()
}

func refValue(pc propCase, vals []any, xs, ys []float64, scale int32) any {
	isDec := len(pc.types) > 0 && pc.types[0].ID() == arrow.DECIMAL128
	n := len(vals)
	switch pc.spec.Func {
	case "count":
		return int64(n)
	case "sum", "avg":
		if n == 0 {
			return nil
		}
		if _, ok := vals[0].(int64); ok && pc.spec.Func == "sum" {
			s := new(big.Int)
			for _, v := range vals {
				s.Add(s, big.NewInt(v.(int64)))
			}
			if isDec {
				return decimal128.FromBigInt(s).ToString(scale)
			}
			return s.Int64()
		}
		s := new(big.Float).SetPrec(256)
		for _, x := range xs {
			s.Add(s, new(big.Float).SetFloat64(x))
		}
		if pc.spec.Func == "avg" {
			s.Quo(s, new(big.Float).SetInt64(int64(n)))
		}
		v, _ := s.Float64()
		return v
	case "min", "max":
		if n == 0 {
			return nil
		}
		best := vals[0]
		for _, v := range vals[1:] {
			var less bool
			switch v := v.(type) {
			case int64:
				less = v < best.(int64)
			case float64:
				less = v < best.(float64)
			case string:
				less = v < best.(string)
			}
			if less == (pc.spec.Func == "min") && v != best {
				best = v
			}
		}
		if isDec {
			return decimal128.FromI64(best.(int64)).ToString(scale)
		}
		return best
	case "var_samp", "var_pop", "stddev_samp", "stddev_pop":
		samp := strings.HasSuffix(pc.spec.Func, "samp")
		if n == 0 || samp && n < 2 {
			return nil
		}
		mean := 0.0
		for _, x := range xs {
			mean += x
		}
		mean /= float64(n)
		ss := 0.0
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		d := float64(n)
		if samp {
			d--
		}
		if strings.HasPrefix(pc.spec.Func, "stddev") {
			return math.Sqrt(ss / d)
		}
		return ss / d
	case "median", "quantile_cont":
		if n == 0 {
			return nil
		}
		q := pc.spec.Param
		if pc.spec.Func == "median" {
			q = 0.5
		}
		s := slices.Clone(xs)
		slices.Sort(s)
		h := q * float64(n-1)
		lo, hi := int(math.Floor(h)), int(math.Ceil(h))
		return s[lo] + (h-float64(lo))*(s[hi]-s[lo])
	case "corr":
		if n < 2 {
			return nil
		}
		var mx, my float64
		for i := range xs {
			mx += xs[i]
			my += ys[i]
		}
		mx /= float64(n)
		my /= float64(n)
		var sxx, syy, sxy float64
		for i := range xs {
			sxx += (xs[i] - mx) * (xs[i] - mx)
			syy += (ys[i] - my) * (ys[i] - my)
			sxy += (xs[i] - mx) * (ys[i] - my)
		}
		if sxx == 0 || syy == 0 {
			return nil
		}
		return sxy / math.Sqrt(sxx*syy)
	}
	panic("refValue: " + pc.spec.Func)
}
