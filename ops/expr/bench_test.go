package expr

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

const benchRows = 64 * 1024

// benchRecord: v1 int64, f1/f2 float64, id1 dictionary utf8 (100 values),
// s plain utf8.
func benchRecord(b testing.TB, mem memory.Allocator) arrow.Record {
	r := rand.New(rand.NewPCG(1, 2))
	ib := array.NewInt64Builder(mem)
	f1 := array.NewFloat64Builder(mem)
	f2 := array.NewFloat64Builder(mem)
	sb := array.NewStringBuilder(mem)
	db := array.NewDictionaryBuilder(mem, dictT).(*array.BinaryDictionaryBuilder)
	for i := 0; i < benchRows; i++ {
		ib.Append(int64(r.IntN(10)))
		f1.Append(r.Float64() * 100)
		f2.Append(r.Float64())
		sb.Append(fmt.Sprintf("id%06d-%s", r.IntN(1_000_000), []string{"abc", "xyz", "qqq"}[r.IntN(3)]))
		_ = db.AppendString(fmt.Sprintf("id%03d", r.IntN(100)))
	}
	cols := []arrow.Array{ib.NewArray(), f1.NewArray(), f2.NewArray(), db.NewArray(), sb.NewArray()}
	for _, bl := range []interface{ Release() }{ib, f1, f2, sb, db} {
		bl.Release()
	}
	rec := newRecord(b, []string{"v1", "f1", "f2", "id1", "s"}, cols)
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func BenchmarkEval(b *testing.B) {
	mem := memory.NewGoAllocator()
	rec := benchRecord(b, mem)
	defer rec.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "v1", Type: i64}, {Name: "f1", Type: f64}, {Name: "f2", Type: f64}, {Name: "id1", Type: tUTF8}, {Name: "s", Type: tUTF8},
	}, nil)
	cases := []struct {
		name string
		e    *Expr
	}{
		{"int64_gt_literal", Col("v1").Gt(Int(3))},
		{"float_arith", Col("f1").Mul(Float(2.5)).Add(Col("f2"))},
		{"dict_string_eq", Col("id1").Eq(Str("id042"))},
		{"dict_lower_like", Call("lower", Col("id1")).Like("id0%")},
		{"dict_in", Col("id1").In(Str("id001"), Str("id002"), Str("id003"))},
		{"like_plain_contains", Col("s").Like("%abc%")},
		{"like_plain_prefix", Col("s").Like("id00%")},
		{"int64_arith_checked", Col("v1").Mul(Int(3)).Add(Int(1))},
		{"and_of_comparisons", Col("v1").Gt(Int(3)).And(Col("f1").Lt(Float(50)))},
	}
	for _, tc := range cases {
		bound, err := Bind(tc.e, schema)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(benchRows)
			for b.Loop() {
				out, err := bound.Eval(rec, mem)
				if err != nil {
					b.Fatal(err)
				}
				out.Release()
			}
		})
	}
}
