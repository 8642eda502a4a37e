package parquet

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dfq/dfq/io/source"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeFile writes recs to a new Parquet file in t's temp dir.
func writeFile(t testing.TB, schema *arrow.Schema, opts WriteOptions, recs ...arrow.Record) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.parquet")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w, err := NewWriter(f, schema, opts)
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
	return path
}

// readAll reads every split of path (one per row group unless splits is
// given) and returns the records, owned by the caller.
func readAll(t testing.TB, path string, opts source.ReadOptions, splits ...source.Split) []arrow.Record {
	t.Helper()
	if splits == nil {
		info, err := Inspect(path)
		require.NoError(t, err)
		for g := range info.RowGroups {
			splits = append(splits, source.Split{Format: source.Parquet, Path: path, RowGroups: []int{g}})
		}
	}
	batch := opts.BatchSize
	if batch == 0 {
		batch = source.DefaultBatchSize
	}
	var out []arrow.Record
	for _, s := range splits {
		r, err := Open(context.Background(), s, opts)
		require.NoError(t, err)
		for {
			rec, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			require.LessOrEqual(t, rec.NumRows(), int64(batch))
			out = append(out, rec)
		}
		require.NoError(t, r.Close())
		require.NoError(t, r.Close())
	}
	return out
}

// concat materialises the records' columns as plain (dictionary decoded)
// arrays and releases the records.
func concat(t testing.TB, mem memory.Allocator, recs []arrow.Record) []arrow.Array {
	t.Helper()
	if len(recs) == 0 {
		return nil
	}
	ncol := int(recs[0].NumCols())
	out := make([]arrow.Array, ncol)
	for c := 0; c < ncol; c++ {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = decodeDict(t, mem, r.Column(c))
		}
		var err error
		out[c], err = array.Concatenate(parts, mem)
		require.NoError(t, err)
		for _, p := range parts {
			p.Release()
		}
	}
	for _, r := range recs {
		r.Release()
	}
	return out
}

// decodeDict returns a plain copy of a dictionary string array, or a with
// one more reference.
func decodeDict(t testing.TB, mem memory.Allocator, a arrow.Array) arrow.Array {
	d, ok := a.(*array.Dictionary)
	if !ok {
		a.Retain()
		return a
	}
	dict := d.Dictionary().(*array.String)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := 0; i < d.Len(); i++ {
		if d.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(dict.Value(d.GetValueIndex(i)))
		}
	}
	return b.NewArray()
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}
