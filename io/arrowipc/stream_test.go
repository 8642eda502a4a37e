package arrowipc

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/io/source"
)

// streamBytes writes recs as one Arrow IPC stream.
func streamBytes(t testing.TB, schema *arrow.Schema, recs []arrow.Record, opts ...ipc.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, append([]ipc.Option{ipc.WithSchema(schema)}, opts...)...)
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// mappableStream returns mappableBatches as one IPC stream, with its
// schema and rows.
func mappableStream(t testing.TB, mem memory.Allocator) (*arrow.Schema, [][]string, []byte) {
	t.Helper()
	schema, recs := mappableBatches(t, mem)
	var want [][]string
	for _, r := range recs {
		want = append(want, rowsOf(r)...)
	}
	data := streamBytes(t, schema, recs, ipc.WithAllocator(mem))
	for _, r := range recs {
		r.Release()
	}
	return schema, want, data
}

// freeCounter counts calls of its free function.
type freeCounter struct{ n int }

func (f *freeCounter) free() { f.n++ }

func TestDecodeStream(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, want, data := mappableStream(t, mem)
	var fc freeCounter
	got, gotRecs, err := DecodeStream(data, fc.free)
	require.NoError(t, err)
	require.True(t, got.Equal(schema), "schema %s, want %s", got, schema)
	require.Greater(t, len(gotRecs), 1, "several record batches")
	var rows [][]string
	for _, r := range gotRecs {
		rows = append(rows, rowsOf(r)...)
	}
	require.Equal(t, want, rows)
	// The records are views of data, which is freed with the last of them.
	require.Zero(t, fc.n)
	for i, r := range gotRecs {
		require.Zero(t, fc.n, "freed with records %d.. alive", i)
		r.Release()
	}
	require.Equal(t, 1, fc.n)

	// Dictionary replacement between batches: each batch keeps its own.
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	ds := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dt, Nullable: true}}, nil)
	batch := func(vals, idx string) arrow.Record {
		d := fromJSON(t, mem, arrow.BinaryTypes.String, vals)
		defer d.Release()
		i := fromJSON(t, mem, arrow.PrimitiveTypes.Int32, idx)
		defer i.Release()
		a := array.NewDictionaryArray(dt, i, d)
		defer a.Release()
		return array.NewRecord(ds, []arrow.Array{a}, int64(a.Len()))
	}
	r1, r2 := batch(`["a","b"]`, `[1,0,null]`), batch(`["x","y","z"]`, `[2,2]`)
	data = streamBytes(t, ds, []arrow.Record{r1, r2}, ipc.WithAllocator(mem))
	want = append(rowsOf(r1), rowsOf(r2)...)
	r1.Release()
	r2.Release()
	fc = freeCounter{}
	_, gotRecs, err = DecodeStream(data, fc.free)
	require.NoError(t, err)
	rows = nil
	for _, r := range gotRecs {
		rows = append(rows, rowsOf(r)...)
		r.Release()
	}
	require.Equal(t, [][]string{{"b"}, {"a"}, {"NULL"}, {"z"}, {"z"}}, want)
	require.Equal(t, want, rows)
	require.Equal(t, 1, fc.n)

	// No record batch: freed at once.
	fc = freeCounter{}
	data = streamBytes(t, ds, nil)
	got, gotRecs, err = DecodeStream(data, fc.free)
	require.NoError(t, err)
	require.Empty(t, gotRecs)
	require.True(t, got.Equal(ds))
	require.Equal(t, 1, fc.n)
}

// TestDecodeStreamNotInPlace: compressed bodies and types that are not
// Mappable are refused (for the caller to copy), data left to the caller.
func TestDecodeStreamNotInPlace(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, recs := mappableBatches(t, mem)
	lz4 := streamBytes(t, schema, recs, ipc.WithAllocator(mem), ipc.WithLZ4())
	for _, r := range recs {
		r.Release()
	}
	schema, recs = testBatches(t, mem) // large and view types
	wide := streamBytes(t, schema, recs, ipc.WithAllocator(mem))
	for _, r := range recs {
		r.Release()
	}
	for name, data := range map[string][]byte{"lz4": lz4, "large types": wide} {
		var fc freeCounter
		_, got, err := DecodeStream(data, fc.free)
		require.ErrorIs(t, err, ErrNotInPlace, name)
		require.Nil(t, got)
		require.Zero(t, fc.n, name)
	}
}

// TestDecodeStreamCorrupt: cut short anywhere, with bytes after its end, or
// with any word of it overwritten, a stream decodes or fails cleanly: no
// panic, data freed exactly when records came back.
func TestDecodeStreamCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, recs := mappableBatches(t, mem)
	orig := streamBytes(t, schema, recs, ipc.WithAllocator(mem))
	for _, r := range recs {
		r.Release()
	}
	try := func(data []byte) error {
		var fc freeCounter
		_, got, err := DecodeStream(data, fc.free)
		if err != nil {
			require.Nil(t, got)
			require.Zero(t, fc.n)
			return err
		}
		for _, r := range got {
			rowsOf(r)
			r.Release()
		}
		require.Equal(t, 1, fc.n)
		return nil
	}
	_, err := func() (*arrow.Schema, error) {
		data := append(append([]byte(nil), orig...), 0, 0, 0, 0, 0, 0, 0, 0)
		s, _, err := DecodeStream(data, nil)
		return s, err
	}()
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "after the end-of-stream marker")
	require.ErrorIs(t, try(nil), ErrCorrupt)
	failed := 0
	for n := 1; n < len(orig); n++ {
		if try(append([]byte(nil), orig[:n]...)) != nil {
			failed++
		}
	}
	require.Greater(t, failed, len(orig)/2, "most cuts fail")
	failed = 0
	for off := 0; off+4 <= len(orig); off += 4 {
		data := append([]byte(nil), orig...)
		binary.LittleEndian.PutUint32(data[off:], 0x7fff0000)
		if try(data) != nil {
			failed++
		}
	}
	require.NotZero(t, failed)
}

// FuzzDecodeStream: no input makes DecodeStream panic, and every value of
// what it returns can be read.
func FuzzDecodeStream(f *testing.F) {
	mem := recycle.New(recycle.Options{})
	schema, recs := mappableBatches(f, mem)
	f.Add(streamBytes(f, schema, recs))
	for _, r := range recs {
		r.Release()
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, got, err := DecodeStream(data, nil)
		if err != nil {
			return
		}
		for _, r := range got {
			rowsOf(r)
			r.Release()
		}
	})
}

// TestCorruptSchemaFiles: files and streams whose schema message has any
// word overwritten with a large count are read or refused, never a crash
// (arrow/go would allocate by such counts) or a type arrow/go cannot print.
func TestCorruptSchemaFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, recs := mappableBatches(t, mem)
	dir := t.TempDir()
	for _, stream := range []bool{false, true} {
		path := filepath.Join(dir, "t.arrow")
		writeIPC(t, path, stream, schema, recs, ipc.WithAllocator(mem))
		orig, err := os.ReadFile(path)
		require.NoError(t, err)
		start := 0
		if !stream {
			start = 8
		}
		metaLen := int(binary.LittleEndian.Uint32(orig[start+4:]))
		bad := filepath.Join(dir, "bad.arrow")
		refused := 0
		for off := start + 8; off+4 <= start+8+metaLen; off += 4 {
			data := append([]byte(nil), orig...)
			binary.LittleEndian.PutUint32(data[off:], 0x7fff0000)
			require.NoError(t, os.WriteFile(bad, data, 0o600))
			info, err := Inspect(bad)
			if err != nil {
				refused++
				continue
			}
			splits := PlanSplits(bad, info, 1<<30)
			if _, err := readAll(t, splits, source.ReadOptions{Mem: mem}); err != nil {
				refused++
			}
		}
		require.NotZero(t, refused, "stream %v", stream)
	}
	for _, r := range recs {
		r.Release()
	}
}

// TestReadStreamFile: a stream file is read in place, its records outlive
// the file's removal; a bad file gives an error naming it.
func TestReadStreamFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, want, data := mappableStream(t, mem)
	path := filepath.Join(t.TempDir(), "r.arrows")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	got, gotRecs, size, err := ReadStreamFile(path)
	require.NoError(t, err)
	require.EqualValues(t, len(data), size)
	require.True(t, got.Equal(schema))
	require.NoError(t, os.Remove(path))
	var rows [][]string
	for _, r := range gotRecs {
		rows = append(rows, rowsOf(r)...)
		r.Release()
	}
	require.Equal(t, want, rows)
	require.Zero(t, mem.CurrentAlloc(), "nothing copied")

	require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o600))
	_, _, _, err = ReadStreamFile(path)
	require.ErrorContains(t, err, path)
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	_, _, _, err = ReadStreamFile(path)
	require.ErrorIs(t, err, ErrCorrupt)
	_, _, _, err = ReadStreamFile(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestDecodeStreamRowBound: a record batch without columns says how many
// rows it has and nothing checks it: more than an array can hold is refused.
func TestDecodeStreamRowBound(t *testing.T) {
	schema := arrow.NewSchema(nil, nil)
	for _, tc := range []struct {
		rows int64
		ok   bool
	}{{5, true}, {1 << 50, false}} {
		rec := array.NewRecord(schema, nil, tc.rows)
		data := streamBytes(t, schema, []arrow.Record{rec})
		_, recs, err := DecodeStream(data, nil)
		if !tc.ok {
			require.ErrorIs(t, err, ErrCorrupt)
			continue
		}
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.EqualValues(t, tc.rows, recs[0].NumRows())
		recs[0].Release()
	}
}
