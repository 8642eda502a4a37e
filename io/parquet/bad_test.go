package parquet

import (
	"context"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

// readErr opens path as one split of all its row groups (or row group 0 when
// the footer cannot be read) and drains it, returning the first error.
func readErr(t testing.TB, mem memory.Allocator, path string, groups []int) error {
	r, err := Open(context.Background(), source.Split{Path: path, RowGroups: groups}, source.ReadOptions{Mem: mem, BatchSize: 100})
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		rec, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rec.Release()
	}
}

func TestBadFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := genRecord(mem, 0, 1000)
	defer rec.Release()
	good := writeFile(t, allTypes, WriteOptions{RowGroupRows: 500}, rec)
	data, err := os.ReadFile(good)
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	cases := []struct {
		name     string
		path     string
		format   bool // errors.Is(err, source.ErrFormat)
		contains string
	}{
		{"empty", write("empty.parquet", nil), true, "too small"},
		{"text", write("text.parquet", []byte("id,name\n1,alice\n2,bob\n")), true, "missing PAR1 magic at start"},
		{"truncated", write("truncated.parquet", data[:len(data)/2]), true, "missing PAR1 magic at end"},
		{"truncated footer", write("short_footer.parquet", append(append([]byte{}, data[:4]...), data[len(data)-8:]...)), true, "footer length"},
		{"missing", filepath.Join(dir, "nope.parquet"), false, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Inspect(tc.path)
			require.Error(t, err)
			require.ErrorContains(t, err, tc.path)
			require.ErrorContains(t, err, tc.contains)
			require.Equal(t, tc.format, errors.Is(err, source.ErrFormat))
			err = readErr(t, mem, tc.path, []int{0})
			require.ErrorContains(t, err, tc.path)
			require.ErrorContains(t, err, tc.contains)
		})
	}

	t.Run("row group out of range", func(t *testing.T) {
		require.ErrorContains(t, readErr(t, mem, good, []int{2}), "row group 2 out of range [0, 2)")
	})
	t.Run("unknown column", func(t *testing.T) {
		_, err := Open(context.Background(), source.Split{Path: good}, source.ReadOptions{Columns: []string{"i64", "nope"}})
		require.ErrorContains(t, err, `unknown column "nope"`)
	})
	t.Run("wrong format", func(t *testing.T) {
		_, err := Open(context.Background(), source.Split{Path: good, Format: source.CSV}, source.ReadOptions{})
		require.ErrorContains(t, err, "split of format")
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		r, err := Open(ctx, source.Split{Path: good, RowGroups: []int{0}}, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		defer r.Close()
		cancel()
		_, err = r.Next(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("next after close", func(t *testing.T) {
		r, err := Open(context.Background(), source.Split{Path: good, RowGroups: []int{0}}, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		require.NoError(t, r.Close())
		_, err = r.Next(context.Background())
		require.ErrorContains(t, err, "reader closed")
	})
}

// TestCorruptPages damages column chunk bytes: reading must fail with an
// error naming the file, row group and column, or succeed, never panic.
func TestCorruptPages(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := genRecord(mem, 0, 400)
	defer rec.Release()
	for _, comp := range []string{"snappy", "none", "lz4"} {
		t.Run(comp, func(t *testing.T) {
			good := writeFile(t, allTypes, WriteOptions{RowGroupRows: 200, Compression: comp}, rec)
			data, err := os.ReadFile(good)
			require.NoError(t, err)
			info, err := Inspect(good)
			require.NoError(t, err)
			md, _ := mustFooter(t, good)
			path := filepath.Join(t.TempDir(), "bad.parquet")

			// A destroyed page header always fails, with the place.
			bad := append([]byte{}, data...)
			col := md.RowGroups[1].Columns[4].MetaData
			for i := col.DataPageOffset; i < col.DataPageOffset+8; i++ {
				bad[i] = 0xff
			}
			require.NoError(t, os.WriteFile(path, bad, 0o644))
			err = readErr(t, mem, path, []int{0, 1})
			require.Error(t, err)
			require.ErrorContains(t, err, path+" row group 1 column i64:")

			// Random damage anywhere in the data: an error or a result.
			rng := rand.New(rand.NewSource(1))
			end := md.RowGroups[1].Columns[len(info.Columns)-1].MetaData.DataPageOffset
			for iter := 0; iter < 30; iter++ {
				bad := append([]byte{}, data...)
				for k := 0; k < 1+iter%4; k++ {
					bad[4+rng.Int63n(end-4)] ^= byte(1 + rng.Intn(255))
				}
				require.NoError(t, os.WriteFile(path, bad, 0o644))
				if err := readErr(t, mem, path, []int{0, 1}); err != nil {
					require.ErrorContains(t, err, path)
				}
			}
		})
	}
}

func TestNestedColumn(t *testing.T) {
	type row struct {
		ID   int64   `parquet:"id"`
		Tags []int64 `parquet:"tags,list"`
	}
	path := filepath.Join(t.TempDir(), "nested.parquet")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := pq.NewGenericWriter[row](f)
	_, err = w.Write([]row{{ID: 1, Tags: []int64{1, 2}}})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	_, err = Inspect(path)
	require.ErrorContains(t, err, "nested column tags is not supported")
	_, err = Open(context.Background(), source.Split{Path: path}, source.ReadOptions{})
	require.ErrorContains(t, err, "nested column tags is not supported")
}
