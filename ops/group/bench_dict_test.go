package group

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/ops/internal/cachetest"
)

// evict streams 64 MiB through the caches between batches (see cachetest).
var evict = cachetest.Evict

// rowGroupDicts returns groups row groups of rows rows each, drawn from card
// strings formatted like h2o's id3; each row group has its own dictionary of
// every string, in random order, as a Parquet row group does. Each row group
// is cut into slices of batch rows that share its dictionary.
func rowGroupDicts(mem memory.Allocator, rng *rand.Rand, groups, rows, batch, card int) [][]arrow.Array {
	var out [][]arrow.Array
	for range groups {
		perm := rng.Perm(card)
		db := array.NewStringBuilder(mem)
		for _, p := range perm {
			db.Append(fmt.Sprintf("id%010d", p+1))
		}
		dict := db.NewArray()
		db.Release()
		ib := array.NewInt32Builder(mem)
		for range rows {
			ib.Append(int32(rng.IntN(card)))
		}
		idx := ib.NewArray()
		ib.Release()
		d := array.NewDictionaryArray(dictUtf8, idx, dict)
		idx.Release()
		dict.Release()
		for at := 0; at < rows; at += batch {
			out = append(out, []arrow.Array{array.NewSlice(d, int64(at), int64(min(at+batch, rows)))})
		}
		d.Release()
	}
	return out
}

// BenchmarkAddRowGroups mimics GROUP BY id3 of h2o q3: 4 row groups of 1M
// rows in 64Ki-row batches, 1e5 distinct strings, a dictionary per row group.
func BenchmarkAddRowGroups(b *testing.B) {
	const groups, rows, batch, card = 4, 1 << 20, 64 << 10, 100_000
	for _, evicted := range []bool{false, true} {
		b.Run(fmt.Sprintf("evict=%v", evicted), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			rng := rand.New(rand.NewPCG(5, 6))
			batches := rowGroupDicts(mem, rng, groups, rows, batch, card)
			defer releaseAll(batches)
			types := []arrow.DataType{arrow.BinaryTypes.String}
			ids := make([]uint32, batch)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var sink uint64
			var cpu int64
			b.ResetTimer()
			for range b.N {
				tbl, err := New(types, mem)
				if err != nil {
					b.Fatal(err)
				}
				for _, bt := range batches {
					if evicted {
						b.StopTimer()
						sink += evict()
						b.StartTimer()
					}
					c0 := threadCPU()
					if err := tbl.Add(bt, ids[:bt[0].Len()]); err != nil {
						b.Fatal(err)
					}
					cpu += threadCPU() - c0
				}
				b.StopTimer()
				if tbl.Len() != card {
					b.Fatalf("%d groups, want %d", tbl.Len(), card)
				}
				tbl.Release()
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(groups*rows), "ns/row")
			b.ReportMetric(float64(cpu)/float64(b.N)/(groups*rows), "cpu-ns/row")
			if sink == 1 {
				b.Log(sink)
			}
		})
	}
}

// BenchmarkResolveDict looks a fresh 1e5-entry dictionary up in a table
// holding all its strings, with the caches flushed before each lookup.
func BenchmarkResolveDict(b *testing.B) {
	const card = 100_000
	for _, evicted := range []bool{false, true} {
		b.Run(fmt.Sprintf("evict=%v", evicted), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			rng := rand.New(rand.NewPCG(7, 8))
			batches := rowGroupDicts(mem, rng, 2, card, card, card)
			defer releaseAll(batches)
			tbl, err := New([]arrow.DataType{arrow.BinaryTypes.String}, mem)
			if err != nil {
				b.Fatal(err)
			}
			defer tbl.Release()
			ids := make([]uint32, card)
			if err := tbl.Add([]arrow.Array{batches[0][0].(*array.Dictionary).Dictionary()}, ids); err != nil {
				b.Fatal(err)
			}
			c := &tbl.cols[0]
			d := batches[1][0].(*array.Dictionary)
			var sink uint64
			b.ResetTimer()
			for range b.N {
				if evicted {
					b.StopTimer()
					sink += evict()
					b.StartTimer()
				}
				if c.dict != nil {
					c.dict.Release()
					c.dict = nil
				}
				if err := tbl.useDict(c, d, card); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, g := range c.dictIDs {
				if g == 0 {
					b.Fatal("entry not resolved")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/card, "ns/entry")
			if sink == 1 {
				b.Log(sink)
			}
		})
	}
}
