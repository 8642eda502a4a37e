package column

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

const benchRows = 64 * 1024

func benchArrays(mem memory.Allocator) map[string]arrow.Array {
	r := rand.New(rand.NewPCG(1, 2))
	ib := array.NewInt64Builder(mem)
	sb := array.NewStringBuilder(mem)
	db := array.NewDictionaryBuilder(mem, dictStr).(*array.BinaryDictionaryBuilder)
	for i := 0; i < benchRows; i++ {
		ib.Append(r.Int64())
		sb.Append(fmt.Sprintf("id%09d", r.IntN(1_000_000)))
		_ = db.AppendString(fmt.Sprintf("id%03d", r.IntN(100)))
	}
	out := map[string]arrow.Array{"int64": ib.NewArray(), "string": sb.NewArray(), "dict": db.NewArray()}
	ib.Release()
	sb.Release()
	db.Release()
	return out
}

func BenchmarkTake(b *testing.B) {
	mem := memory.NewGoAllocator()
	arrs := benchArrays(mem)
	r := rand.New(rand.NewPCG(3, 4))
	idx := make([]int32, benchRows)
	for i := range idx {
		idx[i] = int32(r.IntN(benchRows))
	}
	for _, name := range []string{"int64", "string", "dict"} {
		arr := arrs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := Take(mem, arr, idx)
				if err != nil {
					b.Fatal(err)
				}
				out.Release()
			}
		})
		arr.Release()
	}
}

func BenchmarkSelection(b *testing.B) {
	mem := memory.NewGoAllocator()
	r := rand.New(rand.NewPCG(5, 6))
	bb := array.NewBooleanBuilder(mem)
	for i := 0; i < benchRows; i++ {
		bb.Append(r.IntN(2) == 0)
	}
	m := bb.NewArray()
	bb.Release()
	defer m.Release()
	sel := make([]int32, 0, benchRows)
	b.ResetTimer()
	for b.Loop() {
		sel = Selection(m, sel)
	}
}
