package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/source"
)

const benchRows = 1_000_000

// benchColumn builds a 1e6-row column of one kind.
func benchColumn(kind string) (arrow.Field, arrow.Array, WriteOptions) {
	mem := memory.DefaultAllocator
	switch kind {
	case "int64", "int64_nulls", "int64_uncompressed":
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for i := 0; i < benchRows; i++ {
			if kind == "int64_nulls" && i%10 == 0 {
				b.AppendNull()
				continue
			}
			b.Append(int64(i) * 2654435761 % 1_000_000_007)
		}
		opts := WriteOptions{}
		if kind == "int64_uncompressed" {
			opts.Compression = "none"
		}
		return arrow.Field{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, b.NewArray(), opts
	case "float64":
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for i := 0; i < benchRows; i++ {
			b.Append(float64(int64(i)*2654435761%1_000_003) / 7)
		}
		return arrow.Field{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true}, b.NewArray(), WriteOptions{}
	case "dict_string", "plain_string":
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i := 0; i < benchRows; i++ {
			if kind == "dict_string" {
				b.Append(fmt.Sprintf("id%03d", int64(i)*2654435761%100))
			} else {
				b.Append(fmt.Sprintf("id%010d", int64(i)*2654435761%1_000_000_007))
			}
		}
		return arrow.Field{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}, b.NewArray(), WriteOptions{Plain: kind == "plain_string"}
	}
	panic(kind)
}

// h2oRecord builds 1e6 rows shaped like the h2o group-by table: id1..id3
// strings of 100 / 100 / 10000 values, id4..id6 and v1, v2 int64, v3 float64.
func h2oRecord() arrow.Record {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id1", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id2", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id3", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id4", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "id5", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "id6", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v1", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v2", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v3", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	x := uint64(42)
	next := func(n uint64) uint64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x % n
	}
	for i := 0; i < benchRows; i++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("id%03d", 1+next(100)))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("id%03d", 1+next(100)))
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("id%010d", 1+next(10000)))
		b.Field(3).(*array.Int64Builder).Append(int64(1 + next(100)))
		b.Field(4).(*array.Int64Builder).Append(int64(1 + next(100)))
		b.Field(5).(*array.Int64Builder).Append(int64(1 + next(10000)))
		b.Field(6).(*array.Int64Builder).Append(int64(1 + next(5)))
		b.Field(7).(*array.Int64Builder).Append(int64(1 + next(15)))
		b.Field(8).(*array.Float64Builder).Append(float64(next(10000000)) / 100000)
	}
	return b.NewRecord()
}

var benchFiles struct {
	sync.Mutex
	dir   string
	paths map[string]string
}

// benchFile writes (once per process) the benchmark file of a kind.
func benchFile(b *testing.B, kind string) string {
	benchFiles.Lock()
	defer benchFiles.Unlock()
	if p, ok := benchFiles.paths[kind]; ok {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if benchFiles.paths == nil {
		benchFiles.paths = map[string]string{}
	}
	rec, opts := benchRecord(kind)
	defer rec.Release()
	schema := rec.Schema()
	path := filepath.Join(b.TempDir(), kind+".parquet")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, schema, opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	benchFiles.paths[kind] = path
	return path
}

// benchRecord returns the benchmark data of a kind.
func benchRecord(kind string) (arrow.Record, WriteOptions) {
	if kind == "h2o" {
		return h2oRecord(), WriteOptions{}
	}
	field, col, opts := benchColumn(kind)
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{field}, nil)
	return array.NewRecord(schema, []arrow.Array{col}, int64(col.Len())), opts
}

// BenchmarkDecode reads a 1e6-row snappy file per type (single column, or
// the nine h2o columns), reporting rows per second.
func BenchmarkDecode(b *testing.B) {
	for _, kind := range []string{"int64", "int64_nulls", "int64_uncompressed", "float64", "dict_string", "plain_string", "h2o"} {
		b.Run(kind, func(b *testing.B) {
			path := benchFile(b, kind)
			info, err := Inspect(path)
			if err != nil {
				b.Fatal(err)
			}
			splits := PlanSplits(path, info, 1<<40)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var rows int64
				for _, s := range splits {
					r, err := Open(context.Background(), s, source.ReadOptions{})
					if err != nil {
						b.Fatal(err)
					}
					for {
						rec, err := r.Next(context.Background())
						if errors.Is(err, io.EOF) {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						rows += rec.NumRows()
						rec.Release()
					}
					r.Close()
				}
				if rows != benchRows {
					b.Fatalf("read %d rows", rows)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkWrite writes 1e6 rows of each type, reporting rows per second.
func BenchmarkWrite(b *testing.B) {
	for _, kind := range []string{"int64", "float64", "dict_string", "plain_string", "h2o"} {
		b.Run(kind, func(b *testing.B) {
			rec, opts := benchRecord(kind)
			defer rec.Release()
			schema := rec.Schema()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w, err := NewWriter(io.Discard, schema, opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Write(rec); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
