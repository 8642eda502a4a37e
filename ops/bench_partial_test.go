package ops_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

// h2oBatches returns rows of h2o-like columns in batches of 64Ki: k (int32
// in 1..groups), s (string "id%010d" of the same draw, as a dictionary array
// over all groups' strings, one dictionary for every batch as in a Parquet
// row group), v1 (int32 1..5), v2 (int32 1..15), v3 (float64 in [0, 100)).
func h2oBatches(mem memory.Allocator, rows, groups int, seed uint64) (*arrow.Schema, []arrow.Record) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "v1", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "v2", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "v3", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	rng := rand.New(rand.NewPCG(seed, 1))
	db := array.NewStringBuilder(mem)
	for k := 1; k <= groups; k++ {
		db.Append(fmt.Sprintf("id%010d", k))
	}
	dict := db.NewArray()
	db.Release()
	defer dict.Release()
	var recs []arrow.Record
	for lo := 0; lo < rows; lo += 1 << 16 {
		n := min(1<<16, rows-lo)
		kb := array.NewInt32Builder(mem)
		ib := array.NewInt32Builder(mem)
		v1 := array.NewInt32Builder(mem)
		v2 := array.NewInt32Builder(mem)
		v3 := array.NewFloat64Builder(mem)
		for i := 0; i < n; i++ {
			k := rng.IntN(groups) + 1
			kb.Append(int32(k))
			ib.Append(int32(k - 1))
			v1.Append(int32(rng.IntN(5) + 1))
			v2.Append(int32(rng.IntN(15) + 1))
			v3.Append(float64(rng.IntN(100_000_000)) / 1e6)
		}
		idx := ib.NewArray()
		cols := []arrow.Array{kb.NewArray(), array.NewDictionaryArray(schema.Field(1).Type, idx, dict), v1.NewArray(), v2.NewArray(), v3.NewArray()}
		idx.Release()
		recs = append(recs, array.NewRecord(schema, cols, int64(n)))
		for _, c := range cols {
			c.Release()
		}
		for _, b := range []array.Builder{kb, ib, v1, v2, v3} {
			b.Release()
		}
	}
	return schema, recs
}

// benchQuery is an h2o group-by over h2oBatches' columns.
type benchQuery struct {
	name string
	a    ops.Aggregate
}

// benchQueries are h2o q5 (int key, three sums) and q3 (string key, sum
// and avg).
func benchQueries() []benchQuery {
	sum := func(c string) ops.Agg {
		return ops.Agg{Name: c, Spec: agg.Spec{Func: "sum"}, Args: []*expr.Expr{expr.Col(c)}}
	}
	avg := ops.Agg{Name: "a", Spec: agg.Spec{Func: "avg"}, Args: []*expr.Expr{expr.Col("v3")}}
	return []benchQuery{
		{"q5", ops.Aggregate{Keys: []ops.Column{{Name: "k", Expr: expr.Col("k")}}, Aggs: []ops.Agg{sum("v1"), sum("v2"), sum("v3")}}},
		{"q3", ops.Aggregate{Keys: []ops.Column{{Name: "s", Expr: expr.Col("s")}}, Aggs: []ops.Agg{sum("v1"), avg}}},
	}
}

// BenchmarkPartial measures phase one of two h2o group-bys over 10^5 groups
// (q5: int key, three sums; q3: string key, sum and avg), in one partial
// and in two partials on two goroutines at once, each over the same number
// of rows (so "x2" ideally takes as long as "x1"): ns/row per partial.
func BenchmarkPartial(b *testing.B) {
	const rows, groups = 1 << 20, 100_000
	mem := recycle.New(recycle.Options{})
	schema, recs := h2oBatches(mem, rows, groups, 1)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	queries := benchQueries()
	run := func(b *testing.B, a ops.Aggregate) {
		p, err := a.NewPartial(schema, 8, mem)
		if err != nil {
			b.Error(err)
			return
		}
		defer p.Release()
		for _, r := range recs {
			if err := p.Consume(context.Background(), r); err != nil {
				b.Error(err)
				return
			}
		}
	}
	for _, q := range queries {
		for _, par := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/x%d", q.name, par), func(b *testing.B) {
				for b.Loop() {
					var wg sync.WaitGroup
					for range par {
						wg.Add(1)
						go func() {
							defer wg.Done()
							run(b, q.a)
						}()
					}
					wg.Wait()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
			})
		}
	}
}

// BenchmarkMerge measures what follows phase one for the same two h2o
// group-bys as BenchmarkPartial: two partials over 10^5 groups each build
// their 8 buckets (finish), then each bucket's states are merged (final),
// one after the other on one goroutine.
func BenchmarkMerge(b *testing.B) {
	const rows, groups, buckets = 1 << 20, 100_000, 8
	mem := recycle.New(recycle.Options{})
	schema, recs := h2oBatches(mem, rows, groups, 1)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	queries := benchQueries()
	ctx := context.Background()
	for _, q := range queries {
		var parts []*ops.Partial
		for range 2 {
			p, err := q.a.NewPartial(schema, buckets, mem)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Release()
			for _, r := range recs {
				if err := p.Consume(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
			parts = append(parts, p)
		}
		finish := func(b *testing.B) [][][]arrow.Record {
			var outs [][][]arrow.Record
			for _, p := range parts {
				o, err := p.Finish()
				if err != nil {
					b.Fatal(err)
				}
				outs = append(outs, o)
			}
			return outs
		}
		release := func(outs [][][]arrow.Record) {
			for _, o := range outs {
				for _, rs := range o {
					for _, r := range rs {
						r.Release()
					}
				}
			}
		}
		b.Run(q.name+"/finish", func(b *testing.B) {
			for b.Loop() {
				release(finish(b))
			}
		})
		outs := finish(b)
		b.Run(q.name+"/final", func(b *testing.B) {
			for b.Loop() {
				for k := range buckets {
					var in []arrow.Record
					for _, o := range outs {
						in = append(in, o[k]...)
					}
					rec, err := q.a.Final(ctx, schema, in, mem)
					if err != nil {
						b.Fatal(err)
					}
					rec.Release()
				}
			}
		})
		release(outs)
	}
}
