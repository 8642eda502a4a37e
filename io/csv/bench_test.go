package csv

import (
	"bufio"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/source"
)

// writeH2O writes an h2o-groupby-like CSV of n rows.
func writeH2O(tb testing.TB, dir string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, "h2o.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(1, 2))
	fmt.Fprintln(w, "id1,id2,id3,id4,id5,id6,v1,v2,v3")
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "id%03d,id%03d,id%010d,%d,%d,%d,%d,%d,%.6f\n", rng.IntN(100)+1, rng.IntN(100)+1, rng.IntN(n/100+1)+1,
			rng.IntN(100)+1, rng.IntN(100)+1, rng.IntN(n/100+1)+1, rng.IntN(5)+1, rng.IntN(15)+1, rng.Float64()*100)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func BenchmarkRead(b *testing.B) {
	path := writeH2O(b, b.TempDir(), 1_000_000)
	st, _ := os.Stat(path)
	_, o, err := Infer([]string{path}, source.CSVOptions{Header: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("dfq", func(b *testing.B) {
		b.SetBytes(st.Size())
		for i := 0; i < b.N; i++ {
			splits, err := PlanSplits(path, o, 1<<40)
			if err != nil {
				b.Fatal(err)
			}
			r, err := Open(context.Background(), splits[0], source.ReadOptions{Mem: memory.DefaultAllocator})
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
				rec.Release()
			}
			r.Close()
		}
	})
	b.Run("plan", func(b *testing.B) {
		b.SetBytes(st.Size())
		for i := 0; i < b.N; i++ {
			if _, err := PlanSplits(path, o, 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(st.Size())
		for i := 0; i < b.N; i++ {
			f, _ := os.Open(path)
			r := stdcsv.NewReader(bufio.NewReaderSize(f, 1<<20))
			r.ReuseRecord = true
			for {
				_, err := r.Read()
				if err == io.EOF {
					break
				}
			}
			f.Close()
		}
	})
}
