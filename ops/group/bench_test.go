package group

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

const (
	benchRows  = 1_000_000
	benchBatch = 64 << 10
)

// benchInts returns benchRows int64 values drawn from card distinct values
// (card == benchRows: every value once, in random order).
func benchInts(rng *rand.Rand, card int) []int64 {
	out := make([]int64, benchRows)
	if card == benchRows {
		for i, p := range rng.Perm(benchRows) {
			out[i] = int64(p)*7919 + 1
		}
		return out
	}
	for i := range out {
		out[i] = int64(rng.IntN(card)) + 1
	}
	return out
}

func benchIntArray(mem memory.Allocator, vals []int64) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

// benchStrings returns benchRows strings like h2o's id columns.
func benchStrings(rng *rand.Rand, card int, format string) []string {
	out := make([]string, benchRows)
	for i := range out {
		out[i] = fmt.Sprintf(format, rng.IntN(card)+1)
	}
	return out
}

func benchPlain(mem memory.Allocator, vals []string) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

// benchDict encodes vals with one dictionary, as a Parquet row group would.
func benchDict(mem memory.Allocator, vals []string) arrow.Array {
	b := array.NewDictionaryBuilder(mem, dictUtf8).(*array.BinaryDictionaryBuilder)
	defer b.Release()
	for _, v := range vals {
		if err := b.AppendString(v); err != nil {
			panic(err)
		}
	}
	return b.NewArray()
}

func BenchmarkAdd(b *testing.B) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		name string
		cols func() []arrow.Array
	}{
		{"int64_100", func() []arrow.Array { return []arrow.Array{benchIntArray(mem, benchInts(rng, 100))} }},
		{"int64_1e6", func() []arrow.Array { return []arrow.Array{benchIntArray(mem, benchInts(rng, benchRows))} }},
		{"dict_100", func() []arrow.Array { return []arrow.Array{benchDict(mem, benchStrings(rng, 100, "id%03d"))} }},
		{"string_1e5", func() []arrow.Array { return []arrow.Array{benchPlain(mem, benchStrings(rng, 100000, "id%010d"))} }},
		{"two_dict", func() []arrow.Array {
			return []arrow.Array{benchDict(mem, benchStrings(rng, 100, "id%03d")), benchDict(mem, benchStrings(rng, 100, "id%03d"))}
		}},
		{"six_mixed", func() []arrow.Array {
			return []arrow.Array{
				benchDict(mem, benchStrings(rng, 100, "id%03d")),
				benchDict(mem, benchStrings(rng, 100, "id%03d")),
				benchDict(mem, benchStrings(rng, benchRows/100, "id%010d")),
				benchIntArray(mem, benchInts(rng, 100)),
				benchIntArray(mem, benchInts(rng, 100)),
				benchIntArray(mem, benchInts(rng, benchRows/100)),
			}
		}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			cols := bc.cols()
			types := make([]arrow.DataType, len(cols))
			for j, c := range cols {
				types[j] = c.DataType()
				if d, ok := types[j].(*arrow.DictionaryType); ok {
					types[j] = d.ValueType
				}
			}
			var batches [][]arrow.Array
			for at := 0; at < benchRows; at += benchBatch {
				var bt []arrow.Array
				for _, c := range cols {
					bt = append(bt, array.NewSlice(c, int64(at), int64(min(at+benchBatch, benchRows))))
				}
				batches = append(batches, bt)
			}
			for _, c := range cols {
				c.Release()
			}
			defer releaseAll(batches)
			ids := make([]uint32, benchBatch)
			groups := 0
			// Thread CPU time is reported too: wall time is unreliable on a
			// shared machine.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := threadCPU()
			b.ResetTimer()
			for range b.N {
				tbl, err := New(types, mem)
				if err != nil {
					b.Fatal(err)
				}
				for _, bt := range batches {
					if err := tbl.Add(bt, ids[:bt[0].Len()]); err != nil {
						b.Fatal(err)
					}
				}
				groups = tbl.Len()
				tbl.Release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
			b.ReportMetric(float64(threadCPU()-cpu0)/float64(b.N)/benchRows, "cpu-ns/row")
			b.ReportMetric(float64(groups), "groups")
		})
	}
}

// threadCPU returns the CPU time of the calling OS thread in nanoseconds.
func threadCPU() int64 {
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkKeys: the key columns of 10^6 groups of (string, string, int64)
// keys, as h2o q10's output builds them for 10^7.
func BenchmarkKeys(b *testing.B) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(3, 4))
	s1 := benchPlain(mem, benchStrings(rng, 100, "id%03d"))
	s3 := benchPlain(mem, benchStrings(rng, 100_000, "id%010d"))
	ints := benchIntArray(mem, benchInts(rng, benchRows))
	defer s1.Release()
	defer s3.Release()
	defer ints.Release()
	tbl, err := New([]arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64}, mem)
	if err != nil {
		b.Fatal(err)
	}
	defer tbl.Release()
	ids := make([]uint32, benchRows)
	if err := tbl.Add([]arrow.Array{s1, s3, ints}, ids); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		keys, err := tbl.Keys(mem)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			k.Release()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tbl.Len()), "ns/group")
}
