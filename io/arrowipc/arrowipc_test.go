package arrowipc

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

// rowsOf renders a record's rows as text, NULL as "NULL". The text is copied:
// strings of a mapped file's arrays are invalid once they are released.
func rowsOf(rec arrow.Record) [][]string {
	out := make([][]string, rec.NumRows())
	for r := range out {
		row := make([]string, rec.NumCols())
		for c, col := range rec.Columns() {
			if col.IsNull(r) {
				row[c] = "NULL"
			} else {
				row[c] = strings.Clone(col.ValueStr(r))
			}
		}
		out[r] = row
	}
	return out
}

// readAll reads every split and checks the physical types of what it gets.
func readAll(t *testing.T, splits []source.Split, ropts source.ReadOptions) ([][]string, error) {
	t.Helper()
	var rows [][]string
	for _, sp := range splits {
		r, err := Open(context.Background(), sp, ropts)
		if err != nil {
			return rows, err
		}
		for {
			rec, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				require.NoError(t, r.Close())
				return rows, err
			}
			if ropts.BatchSize > 0 {
				require.LessOrEqual(t, rec.NumRows(), int64(ropts.BatchSize))
			}
			require.Equal(t, r.Schema().NumFields(), int(rec.NumCols()))
			for i, f := range rec.Schema().Fields() {
				lf := r.Schema().Field(i)
				require.Equal(t, lf.Name, f.Name)
				checkPhysical(t, lf.Type, rec.Column(i))
			}
			if ropts.Columns != nil && len(ropts.Columns) == 0 {
				for i := int64(0); i < rec.NumRows(); i++ {
					rows = append(rows, []string{})
				}
			} else {
				rows = append(rows, rowsOf(rec)...)
			}
			rec.Release()
		}
		require.NoError(t, r.Close())
		require.NoError(t, r.Close())
	}
	return rows, nil
}

// checkPhysical: a column is of its logical type, or a utf8 column is a
// dictionary with int32 indices and utf8 values.
func checkPhysical(t *testing.T, logical arrow.DataType, a arrow.Array) {
	t.Helper()
	if d, ok := a.(*array.Dictionary); ok {
		require.Equal(t, arrow.STRING, logical.ID())
		require.Equal(t, arrow.INT32, d.Indices().DataType().ID())
		require.IsType(t, &array.String{}, d.Dictionary())
		return
	}
	require.True(t, arrow.TypeEqual(logical, a.DataType()), "logical %s, physical %s", logical, a.DataType())
}

func TestInteropFiles(t *testing.T) {
	var want [][]string
	for _, name := range []string{"polars.arrow", "polars_lz4.arrow", "polars.arrows"} {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			path := filepath.Join("../../testdata/interop", name)
			info, err := Inspect(path)
			require.NoError(t, err)
			require.Equal(t, 16, info.Schema.NumFields())
			// Polars writes string_view to files and large_string to streams
			require.Contains(t, []arrow.Type{arrow.STRING_VIEW, arrow.LARGE_STRING}, info.Stored.Field(5).Type.ID())
			require.Equal(t, "color", info.Schema.Field(5).Name)
			require.Equal(t, arrow.STRING, info.Schema.Field(5).Type.ID())
			splits := PlanSplits(path, info, 1)
			if strings.HasSuffix(name, ".arrows") {
				require.Equal(t, FormatStream, info.Format)
				require.EqualValues(t, -1, info.Rows)
				require.Equal(t, -1, info.NumBatches)
				require.Len(t, splits, 1)
				require.Nil(t, splits[0].Batches)
			} else {
				require.Equal(t, FormatFile, info.Format)
				require.EqualValues(t, 5000, info.Rows)
				require.Equal(t, 3, info.NumBatches)
				require.Len(t, splits, 3)
				wantComp := "none"
				if strings.Contains(name, "lz4") {
					wantComp = "lz4"
				}
				require.Equal(t, wantComp, info.Compression)
			}
			var stats source.ScanStats
			rows, err := readAll(t, splits, source.ReadOptions{Mem: mem, BatchSize: 1500, Stats: &stats})
			require.NoError(t, err)
			require.Len(t, rows, 5000)
			require.EqualValues(t, 5000, stats.Rows)
			require.Positive(t, stats.BytesRead)
			for i, r := range rows {
				require.Equal(t, fmt.Sprint(i), r[0])
			}
			if want == nil {
				want = rows
			} else {
				require.Equal(t, want, rows, "same data as polars.arrow")
			}
		})
	}
}

func writeIPC(t *testing.T, path string, stream bool, schema *arrow.Schema, recs []arrow.Record, opts ...ipc.Option) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	opts = append(opts, ipc.WithSchema(schema))
	var w interface {
		Write(arrow.Record) error
		Close() error
	}
	if stream {
		w = ipc.NewWriter(f, opts...)
	} else {
		w, err = ipc.NewFileWriter(f, opts...)
		require.NoError(t, err)
	}
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
}

func fromJSON(t testing.TB, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	require.NoError(t, err)
	return a
}

// testBatches builds three batches (one empty) covering every supported
// stored type, including those that are normalised.
func testBatches(t testing.TB, mem memory.Allocator) (*arrow.Schema, []arrow.Record) {
	ts := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	dec := &arrow.Decimal128Type{Precision: 10, Scale: 3}
	dict8 := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	dictU32 := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint32, ValueType: arrow.BinaryTypes.LargeString}
	dict32 := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "sv", Type: arrow.BinaryTypes.StringView, Nullable: true},
		{Name: "lb", Type: arrow.BinaryTypes.LargeBinary, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: ts, Nullable: true},
		{Name: "dec", Type: dec, Nullable: true},
		{Name: "d8", Type: dict8, Nullable: true},
		{Name: "du32", Type: dictU32, Nullable: true},
		{Name: "d32", Type: dict32, Nullable: true},
	}, nil)
	batch := func(n int, ints, strs, bools, dates, decs, idx string) arrow.Record {
		var cols []arrow.Array
		add := func(a arrow.Array) { cols = append(cols, a) }
		add(fromJSON(t, mem, arrow.PrimitiveTypes.Int64, ints))
		add(fromJSON(t, mem, arrow.PrimitiveTypes.Uint8, ints))
		add(fromJSON(t, mem, arrow.PrimitiveTypes.Float32, ints))
		add(fromJSON(t, mem, arrow.FixedWidthTypes.Boolean, bools))
		add(fromJSON(t, mem, arrow.BinaryTypes.String, strs))
		add(fromJSON(t, mem, arrow.BinaryTypes.LargeString, strs))
		add(fromJSON(t, mem, arrow.BinaryTypes.StringView, strs))
		add(fromJSON(t, mem, arrow.BinaryTypes.LargeBinary, base64JSON(t, strs)))
		add(fromJSON(t, mem, arrow.FixedWidthTypes.Date32, dates))
		add(fromJSON(t, mem, ts, ints))
		add(fromJSON(t, mem, dec, decs))
		for _, dt := range []*arrow.DictionaryType{dict8, dictU32, dict32} {
			// arrow/go's FileWriter keeps a reference to dictionaries it
			// writes, so they come from an unchecked allocator.
			values := fromJSON(t, memory.DefaultAllocator, dt.ValueType, `["red", "a much longer dictionary value", "blue"]`)
			indices := fromJSON(t, mem, dt.IndexType, idx)
			add(array.NewDictionaryArray(dt, indices, values))
			values.Release()
			indices.Release()
		}
		rec := array.NewRecord(schema, cols, int64(n))
		for _, c := range cols {
			c.Release()
		}
		return rec
	}
	return schema, []arrow.Record{
		batch(3, `[1, null, 3]`, `["x", null, "a string longer than twelve bytes"]`, `[true, false, null]`,
			`[0, 19000, null]`, `["0.584", null, "-12.500"]`, `[0, 1, null]`),
		batch(0, `[]`, `[]`, `[]`, `[]`, `[]`, `[]`),
		batch(4, `[4, 5, null, 7]`, `["", "y", "z", null]`, `[null, true, true, false]`,
			`[1, 2, 3, null]`, `["1.000", "2.000", null, "9999.999"]`, `[2, null, 1, 0]`),
	}
}

// base64JSON re-encodes a JSON array of strings as base64 (binary JSON).
func base64JSON(t testing.TB, js string) string {
	t.Helper()
	var vals []*string
	require.NoError(t, json.Unmarshal([]byte(js), &vals))
	out := make([]*string, len(vals))
	for i, v := range vals {
		if v != nil {
			e := base64.StdEncoding.EncodeToString([]byte(*v))
			out[i] = &e
		}
	}
	b, err := json.Marshal(out)
	require.NoError(t, err)
	return string(b)
}

func TestWrittenFiles(t *testing.T) {
	cases := []struct {
		name   string
		stream bool
		opts   []ipc.Option
		comp   string
	}{
		{name: "file", comp: "none"},
		{name: "file lz4", opts: []ipc.Option{ipc.WithLZ4()}, comp: "lz4"},
		{name: "file zstd", opts: []ipc.Option{ipc.WithZstd()}, comp: "zstd"},
		{name: "stream", stream: true},
		{name: "stream lz4", stream: true, opts: []ipc.Option{ipc.WithLZ4()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			schema, recs := testBatches(t, mem)
			var want [][]string
			for _, r := range recs {
				want = append(want, rowsOf(r)...)
			}
			path := filepath.Join(t.TempDir(), "t.arrow")
			writeIPC(t, path, tc.stream, schema, recs, append(tc.opts, ipc.WithAllocator(mem))...)
			for _, r := range recs {
				r.Release()
			}
			info, err := Inspect(path)
			require.NoError(t, err)
			require.Equal(t, "i:int64 u8:uint8 f:float32 b:bool s:utf8 ls:utf8 sv:utf8 lb:binary d:date32 ts:timestamp[ns, tz=UTC] dec:decimal(10, 3) d8:utf8 du32:utf8 d32:utf8",
				typesOf(info.Schema))
			if !tc.stream {
				require.EqualValues(t, 7, info.Rows)
				require.Equal(t, []int64{3, 0, 4}, []int64{info.Batches[0].Rows, info.Batches[1].Rows, info.Batches[2].Rows})
				require.Equal(t, tc.comp, info.Compression)
			}
			for _, target := range []int64{1, 1 << 30} {
				splits := PlanSplits(path, info, target)
				if !tc.stream && target == 1 {
					require.Len(t, splits, 3)
					for i, sp := range splits {
						require.Equal(t, i, sp.Index)
						require.Equal(t, []int{i}, sp.Batches)
						require.Equal(t, info.Batches[i].Rows, sp.Rows)
					}
				} else {
					require.Len(t, splits, 1)
				}
				for _, bs := range []int{1, 2, 100} {
					t.Run(fmt.Sprintf("target=%d/batch=%d", target, bs), func(t *testing.T) {
						var stats source.ScanStats
						got, err := readAll(t, splits, source.ReadOptions{Mem: mem, BatchSize: bs, Stats: &stats})
						require.NoError(t, err)
						require.Equal(t, want, got)
						require.EqualValues(t, 7, stats.Rows)
					})
				}
			}
			// projection: a subset, reordered
			splits := PlanSplits(path, info, 0)
			got, err := readAll(t, splits, source.ReadOptions{Mem: mem, Columns: []string{"du32", "i"}})
			require.NoError(t, err)
			var wantProj [][]string
			for _, r := range want {
				wantProj = append(wantProj, []string{r[12], r[0]})
			}
			require.Equal(t, wantProj, got)
			// no columns: row counts only
			got, err = readAll(t, splits, source.ReadOptions{Mem: mem, Columns: []string{}, BatchSize: 2})
			require.NoError(t, err)
			require.Len(t, got, 7)
		})
	}
}

func typesOf(s *arrow.Schema) string {
	var parts []string
	for _, f := range s.Fields() {
		parts = append(parts, f.Name+":"+f.Type.String())
	}
	return strings.Join(parts, " ")
}

func TestEmptyFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	for _, stream := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "empty.arrow")
		writeIPC(t, path, stream, schema, nil)
		info, err := Inspect(path)
		require.NoError(t, err)
		require.Equal(t, "a:int64", typesOf(info.Schema))
		splits := PlanSplits(path, info, 0)
		require.Len(t, splits, 1)
		got, err := readAll(t, splits, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		require.Empty(t, got)
	}
}

func TestErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	a := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1, 2]`)
	rec := array.NewRecord(schema, []arrow.Array{a}, 2)
	a.Release()
	good := filepath.Join(dir, "good.arrow")
	writeIPC(t, good, false, schema, []arrow.Record{rec})
	rec.Release()
	data, err := os.ReadFile(good)
	require.NoError(t, err)

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	badFooterLen := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(badFooterLen[len(badFooterLen)-10:], 1<<30)

	listSchema := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	listPath := filepath.Join(dir, "list.arrow")
	writeIPC(t, listPath, false, listSchema, nil)

	inspectCases := []struct {
		name, path, err string
		format          bool
	}{
		{name: "missing", path: filepath.Join(dir, "nope.arrow"), err: "no such file"},
		{name: "empty", path: write("empty.arrow", nil), err: "too short", format: true},
		{name: "text", path: write("text.arrow", []byte("a,b\n1,2\n")), err: "not an Arrow IPC file", format: true},
		{name: "truncated", path: write("trunc.arrow", data[:len(data)-20]), err: "does not end with", format: true},
		{name: "bad footer length", path: write("footer.arrow", badFooterLen), err: "footer length 1073741824 out of range"},
		{name: "unsupported type", path: listPath, err: `column "l": type list<item: int64, nullable> is not supported`},
	}
	for _, tc := range inspectCases {
		t.Run("inspect/"+tc.name, func(t *testing.T) {
			_, err := Inspect(tc.path)
			require.ErrorContains(t, err, tc.err)
			require.ErrorContains(t, err, "arrowipc: ")
			if tc.format {
				require.ErrorIs(t, err, source.ErrFormat)
			}
			_, err = Open(context.Background(), source.Split{Format: source.Arrow, Path: tc.path}, source.ReadOptions{Mem: mem})
			require.ErrorContains(t, err, tc.err)
		})
	}
	openCases := []struct {
		name  string
		split source.Split
		ropts source.ReadOptions
		err   string
	}{
		{name: "unknown column", split: source.Split{Format: source.Arrow, Path: good}, ropts: source.ReadOptions{Columns: []string{"zz"}}, err: `no column "zz" (columns: a)`},
		{name: "batch out of range", split: source.Split{Format: source.Arrow, Path: good, Batches: []int{1}}, err: "record batch 1, the file has 1"},
		{name: "negative batch", split: source.Split{Format: source.Arrow, Path: good, Batches: []int{-1}}, err: "record batch -1"},
		{name: "wrong format", split: source.Split{Format: source.CSV, Path: good}, err: "unrecognised file format"},
	}
	for _, tc := range openCases {
		t.Run("open/"+tc.name, func(t *testing.T) {
			tc.ropts.Mem = mem
			_, err := Open(context.Background(), tc.split, tc.ropts)
			require.ErrorContains(t, err, tc.err)
		})
	}
	t.Run("open/stream with batches", func(t *testing.T) {
		sp := filepath.Join(dir, "s.arrows")
		writeIPC(t, sp, true, schema, nil)
		_, err := Open(context.Background(), source.Split{Format: source.Arrow, Path: sp, Batches: []int{0}}, source.ReadOptions{Mem: mem})
		require.ErrorContains(t, err, "no batch index")
	})
	t.Run("open/cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Open(ctx, source.Split{Format: source.Arrow, Path: good}, source.ReadOptions{Mem: mem})
		require.ErrorIs(t, err, context.Canceled)
		r, err := Open(context.Background(), source.Split{Format: source.Arrow, Path: good}, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		_, err = r.Next(ctx)
		require.ErrorIs(t, err, context.Canceled)
		require.NoError(t, r.Close())
	})
	t.Run("open/truncated body", func(t *testing.T) {
		// a stream cut in the middle of its record batch
		sp := filepath.Join(dir, "cut.arrows")
		a := fromJSON(t, mem, arrow.PrimitiveTypes.Int64, `[1, 2, 3, 4, 5, 6, 7, 8]`)
		rec := array.NewRecord(schema, []arrow.Array{a}, 8)
		a.Release()
		writeIPC(t, sp, true, schema, []arrow.Record{rec})
		rec.Release()
		b, err := os.ReadFile(sp)
		require.NoError(t, err)
		cut := write("cut2.arrows", b[:len(b)-30])
		r, err := Open(context.Background(), source.Split{Format: source.Arrow, Path: cut}, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		_, err = r.Next(context.Background())
		require.ErrorContains(t, err, "record batch 0")
		require.ErrorContains(t, err, "beyond the end of the file")
		require.NoError(t, r.Close())
	})
}

func TestXXH32(t *testing.T) {
	for in, want := range map[string]uint32{
		"":    0x02CC5D05,
		"a":   0x550D7456,
		"abc": 0x32D153FF,
		"Nobody inspects the spammish repetition": 0xE2293B2F,
	} {
		require.Equalf(t, want, xxh32([]byte(in)), "%q", in)
	}
}

func TestStripBlockChecksums(t *testing.T) {
	// A frame with block checksums holding one stored (uncompressed) block.
	desc := []byte{0x50, 0x40} // version 01, block checksums; 64 KiB blocks
	frame := binary.LittleEndian.AppendUint32(nil, lz4Magic)
	frame = append(frame, desc...)
	frame = append(frame, byte(xxh32(desc)>>8))
	frame = binary.LittleEndian.AppendUint32(frame, 5|1<<31)
	frame = append(frame, "hello"...)
	frame = binary.LittleEndian.AppendUint32(frame, 0xDEADBEEF) // block checksum
	frame = binary.LittleEndian.AppendUint32(frame, 0)          // end mark
	frame = append(frame, 0xAA, 0xAA)                           // padding after the frame

	got := append([]byte(nil), frame...)
	require.NoError(t, stripBlockChecksums(got))
	want := binary.LittleEndian.AppendUint32(nil, lz4Magic)
	want = append(want, 0x40, 0x40, byte(xxh32([]byte{0x40, 0x40})>>8))
	want = binary.LittleEndian.AppendUint32(want, 5|1<<31)
	want = append(want, "hello"...)
	want = binary.LittleEndian.AppendUint32(want, 0)
	want = append(want, 0, 0, 0, 0, 0xAA, 0xAA)
	require.Equal(t, want, got)

	// frames without block checksums, and non-frames, are left alone
	again := append([]byte(nil), got...)
	require.NoError(t, stripBlockChecksums(again))
	require.Equal(t, got, again)
	other := []byte("not a frame at all")
	require.NoError(t, stripBlockChecksums(other))
	require.Equal(t, []byte("not a frame at all"), other)

	// truncated frames are errors, not panics
	for n := 7; n < len(frame)-2; n++ {
		b := append([]byte(nil), frame[:n]...)
		require.Error(t, stripBlockChecksums(b), "cut at %d", n)
	}
}

// mappableBatches are testBatches restricted to the columns a mapped file
// reads in place (no large, view or non-int32 dictionary types).
func mappableBatches(t testing.TB, mem memory.Allocator) (*arrow.Schema, []arrow.Record) {
	schema, recs := testBatches(t, mem)
	keep := []int{0, 1, 2, 3, 4, 8, 9, 10, 13}
	fields := make([]arrow.Field, len(keep))
	for i, k := range keep {
		fields[i] = schema.Field(k)
	}
	out := arrow.NewSchema(fields, nil)
	var proj []arrow.Record
	for _, r := range recs {
		cols := make([]arrow.Array, len(keep))
		for i, k := range keep {
			cols[i] = r.Column(k)
		}
		proj = append(proj, array.NewRecord(out, cols, r.NumRows()))
		r.Release()
	}
	return out, proj
}

func TestMappedFiles(t *testing.T) {
	cases := []struct {
		name     string
		mappable bool
		opts     []ipc.Option
		inPlace  bool // read without allocating
	}{
		{name: "flat types", mappable: true, inPlace: true},
		{name: "lz4 falls back to copying", mappable: true, opts: []ipc.Option{ipc.WithLZ4()}},
		{name: "large and view types fall back to copying"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			var schema *arrow.Schema
			var recs []arrow.Record
			if tc.mappable {
				schema, recs = mappableBatches(t, mem)
			} else {
				schema, recs = testBatches(t, mem)
			}
			var want [][]string
			for _, r := range recs {
				want = append(want, rowsOf(r)...)
			}
			path := filepath.Join(t.TempDir(), "t.arrow")
			writeIPC(t, path, false, schema, recs, append(tc.opts, ipc.WithAllocator(mem))...)
			for _, r := range recs {
				r.Release()
			}
			info, err := Inspect(path)
			require.NoError(t, err)
			for _, target := range []int64{1, 1 << 30} {
				splits := PlanSplits(path, info, target)
				for i := range splits {
					splits[i].Mmap = true
				}
				got, err := readAll(t, splits, source.ReadOptions{Mem: mem, BatchSize: 2})
				require.NoError(t, err)
				require.Equal(t, want, got)
			}
			// Records outlive their reader; in place, nothing is allocated.
			sp := PlanSplits(path, info, 1<<30)[0]
			sp.Mmap = true
			r, err := Open(context.Background(), sp, source.ReadOptions{Mem: mem})
			require.NoError(t, err)
			var kept []arrow.Record
			for {
				rec, err := r.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				kept = append(kept, rec)
			}
			if tc.inPlace {
				require.Zero(t, mem.CurrentAlloc(), "buffers of a mapped file are not copied")
			} else {
				require.NotZero(t, mem.CurrentAlloc())
			}
			require.NoError(t, r.Close())
			var got [][]string
			for _, rec := range kept {
				got = append(got, rowsOf(rec)...)
				rec.Release()
			}
			require.Equal(t, want, got)
		})
	}
}

// TestMappedCorrupt: a mapped file with bad offsets, indices or sizes gives
// an error, never a panic.
func TestMappedCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, recs := mappableBatches(t, mem)
	path := filepath.Join(t.TempDir(), "t.arrow")
	writeIPC(t, path, false, schema, recs, ipc.WithAllocator(mem))
	for _, r := range recs {
		r.Release()
	}
	orig, err := os.ReadFile(path)
	require.NoError(t, err)
	info, err := Inspect(path)
	require.NoError(t, err)
	// Overwrite every 4-byte word of the record batch bodies in turn with a
	// large value: whatever it hits must be caught or harmless.
	l, err := func() (layout, error) {
		f, err := os.Open(path)
		if err != nil {
			return layout{}, err
		}
		defer f.Close()
		return readLayout(f)
	}()
	require.NoError(t, err)
	bad := filepath.Join(t.TempDir(), "bad.arrow")
	errorsSeen := 0
	for _, b := range l.foot.batches {
		start := b.Offset + int64(b.Meta)
		for off := start; off+4 <= start+b.Body; off += 4 {
			data := append([]byte(nil), orig...)
			binary.LittleEndian.PutUint32(data[off:], 0x7fff0000)
			require.NoError(t, os.WriteFile(bad, data, 0o600))
			splits := PlanSplits(bad, info, 1<<30)
			splits[0].Mmap = true
			if _, err := readAll(t, splits, source.ReadOptions{Mem: mem}); err != nil {
				require.ErrorContains(t, err, "record batch")
				errorsSeen++
			}
		}
	}
	require.NotZero(t, errorsSeen, "some corruption is detected")
}

// TestMappingReused: readers of the same mapped file share one mapping,
// which stays (idle) after they close, and is made anew once the file
// changes.
func TestMappingReused(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, recs := mappableBatches(t, mem)
	path := filepath.Join(t.TempDir(), "t.arrow")
	writeIPC(t, path, false, schema, recs, ipc.WithAllocator(mem))
	info, err := Inspect(path)
	require.NoError(t, err)
	sp := PlanSplits(path, info, 1<<30)[0]
	sp.Mmap = true
	open := func() *mapping {
		r, err := Open(context.Background(), sp, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		defer r.Close()
		m := r.(*reader).mp.m
		require.NotNil(t, m)
		return m
	}
	first := open()
	require.Same(t, first, open())
	require.EqualValues(t, 1, first.refs.Load(), "idle: only the cache holds it")
	// Rewritten with another size: another mapping.
	writeIPC(t, path, false, schema, recs[:1], ipc.WithAllocator(mem))
	for _, r := range recs {
		r.Release()
	}
	info, err = Inspect(path)
	require.NoError(t, err)
	sp = PlanSplits(path, info, 1<<30)[0]
	sp.Mmap = true
	second := open()
	require.NotSame(t, first, second)
	require.Nil(t, first.data, "the replaced file's idle mapping is unmapped")
	// A removed file's idle mapping goes when another file is mapped.
	require.NoError(t, os.Remove(path))
	other := filepath.Join(t.TempDir(), "other.arrow")
	_, recs = mappableBatches(t, mem)
	writeIPC(t, other, false, schema, recs, ipc.WithAllocator(mem))
	for _, r := range recs {
		r.Release()
	}
	info, err = Inspect(other)
	require.NoError(t, err)
	sp = PlanSplits(other, info, 1<<30)[0]
	sp.Mmap = true
	open()
	require.Nil(t, second.data, "the removed file's idle mapping is unmapped")
}
