package agg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/ops/internal/cachetest"
)

// evict streams 64 MiB through the caches between batches (see cachetest).
var evict = cachetest.Evict

// BenchmarkScatter mimics h2o q3/q5: 1M rows in 64Ki-row batches, 1e5 groups
// in random order, with the caches flushed between batches (not timed).
func BenchmarkScatter(b *testing.B) {
	const rows, batch, ng = 1 << 20, 64 << 10, 100_000
	cases := []struct {
		name string
		spec Spec
		typ  arrow.DataType
	}{
		{"sum_int32", Spec{Func: "sum"}, arrow.PrimitiveTypes.Int32},
		{"avg_int32", Spec{Func: "avg"}, arrow.PrimitiveTypes.Int32},
		{"sum_float64", Spec{Func: "sum"}, arrow.PrimitiveTypes.Float64},
		{"avg_float64", Spec{Func: "avg"}, arrow.PrimitiveTypes.Float64},
		{"count_star", Spec{Func: "count_star"}, nil},
	}
	for _, bc := range cases {
		for _, evicted := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/evict=%v", bc.name, evicted), func(b *testing.B) {
				mem := memory.NewGoAllocator()
				r := rand.New(rand.NewPCG(3, 4))
				var col arrow.Array
				var types []arrow.DataType
				switch bc.typ {
				case arrow.PrimitiveTypes.Int32:
					bl := array.NewInt32Builder(mem)
					for range rows {
						bl.Append(int32(r.IntN(5) + 1))
					}
					col = bl.NewArray()
					bl.Release()
				case arrow.PrimitiveTypes.Float64:
					bl := array.NewFloat64Builder(mem)
					for range rows {
						bl.Append(r.Float64() * 100)
					}
					col = bl.NewArray()
					bl.Release()
				}
				if col != nil {
					defer col.Release()
					types = []arrow.DataType{bc.typ}
				}
				groups := make([]uint32, rows)
				for i := range groups {
					groups[i] = uint32(r.IntN(ng))
				}
				f, err := New(bc.spec, types)
				if err != nil {
					b.Fatal(err)
				}
				var slices [][]arrow.Array
				for at := 0; at < rows; at += batch {
					if col == nil {
						slices = append(slices, nil)
						continue
					}
					slices = append(slices, []arrow.Array{array.NewSlice(col, int64(at), int64(at+batch))})
				}
				defer func() {
					for _, s := range slices {
						releaseAll(s)
					}
				}()
				var sink uint64
				b.ResetTimer()
				for range b.N {
					acc := f.NewAcc(mem)
					for k, at := 0, 0; at < rows; k, at = k+1, at+batch {
						if evicted {
							b.StopTimer()
							sink += evict()
							b.StartTimer()
						}
						if err := acc.Update(groups[at:at+batch], ng, slices[k]); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					acc.Release()
					b.StartTimer()
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
				if sink == 1 {
					b.Log(sink)
				}
			})
		}
	}
}
