package parquet

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/recycle"
)

// FuzzRead reads damaged Parquet files: Inspect and reading every row group
// must give data or an error naming the file, never a crash, a hang or
// leaked Arrow memory. The seeds are small files of every supported type in
// several row groups, one per compression (the fuzzer mutates large inputs
// slowly, so testdata/interop's files, read by TestInterop, are not seeds).
//
//	go test -run '^$' -fuzz FuzzRead -fuzztime 5m -fuzzminimizetime 2s ./io/parquet
//
// (With the default minimisation of each new input, which can take minutes
// on these files, the fuzzer looks stuck.)
func FuzzRead(f *testing.F) {
	mem := memory.NewGoAllocator()
	rec := genRecord(mem, 0, 60)
	for _, comp := range []string{"snappy", "none", "zstd", "lz4"} {
		path := writeFile(f, allTypes, WriteOptions{RowGroupRows: 25, Compression: comp}, rec)
		require.NoError(f, readErr(f, mem, path, []int{0, 1, 2}), "undamaged seed %s", comp)
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	rec.Release()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		// A hang fails the input: the fuzzer keeps it as a crasher.
		wd := time.AfterFunc(10*time.Second, func() {
			debug.SetTraceback("all")
			panic("parquet: reading a damaged file did not finish in 10s")
		})
		defer wd.Stop()
		path := filepath.Join(dir, "fuzz.parquet")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		info, err := Inspect(path)
		if err != nil {
			require.ErrorContains(t, err, path)
			return
		}
		groups := make([]int, len(info.RowGroups))
		for i := range groups {
			groups[i] = i
		}
		if err := readErr(t, mem, path, groups); err != nil {
			require.ErrorContains(t, err, path)
		}
	})
}
