package sink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
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

	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/source"
)

// jsonWant is the value a JSON object holds for row i of arr: nil for NULL and
// non-finite floats, json.Number for numbers, else the FormatValue text.
func jsonWant(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Float32:
		if v := float64(a.Value(i)); math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	case *array.Float64:
		if v := a.Value(i); math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	case *array.Boolean:
		return a.Value(i)
	}
	if k, _ := supported(arr.DataType()); k == kindNumber {
		return json.Number(FormatValue(arr, i))
	}
	return FormatValue(arr, i)
}

func decodeObjects(t *testing.T, data []byte, lines bool) []map[string]any {
	t.Helper()
	var objs []map[string]any
	if !lines {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		require.NoError(t, d.Decode(&objs))
		_, err := d.Token()
		require.ErrorIs(t, err, io.EOF, "trailing data after the array")
		return objs
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		var o map[string]any
		require.NoError(t, d.Decode(&o), sc.Text())
		objs = append(objs, o)
	}
	require.NoError(t, sc.Err())
	return objs
}

func TestJSONValid(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	// Strings that need escaping, including invalid UTF-8.
	sschema := arrow.NewSchema([]arrow.Field{{Name: "we\"ird\n", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	sb := array.NewStringBuilder(mem)
	odd := []string{"tab\there", "ctl\x00\x01\x1f", `back\slash "q"`, "<html>&", "\u2028", "bad\xffutf8", "", "世界"}
	sb.AppendValues(odd, nil)
	sb.AppendNull()
	sarr := sb.NewArray()
	sb.Release()
	srec := array.NewRecord(sschema, []arrow.Array{sarr}, int64(sarr.Len()))
	sarr.Release()
	defer srec.Release()

	for _, lines := range []bool{false, true} {
		format := JSON
		if lines {
			format = JSONL
		}
		t.Run(format+"/all_types", func(t *testing.T) {
			objs := decodeObjects(t, writeAll(t, format, schema, Options{}, rec), lines)
			require.Len(t, objs, int(rec.NumRows()))
			for i, o := range objs {
				require.Len(t, o, schema.NumFields())
				for j, f := range schema.Fields() {
					require.Equal(t, jsonWant(rec.Column(j), i), o[f.Name], "row %d column %s", i, f.Name)
				}
			}
		})
		t.Run(format+"/escaping", func(t *testing.T) {
			objs := decodeObjects(t, writeAll(t, format, sschema, Options{}, srec), lines)
			require.Len(t, objs, len(odd)+1)
			for i, s := range odd {
				require.Equal(t, strings.ToValidUTF8(s, "\ufffd"), objs[i]["we\"ird\n"])
			}
			require.Nil(t, objs[len(odd)]["we\"ird\n"])
		})
		t.Run(format+"/empty", func(t *testing.T) {
			empty := rec.NewSlice(0, 0)
			defer empty.Release()
			require.Empty(t, decodeObjects(t, writeAll(t, format, schema, Options{}, empty), lines))
		})
	}
}

// cellTexts returns FormatValue of every cell of recs, row by row.
func cellTexts(recs ...arrow.Record) [][]string {
	var rows [][]string
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]string, r.NumCols())
			for j := range row {
				row[j] = FormatValue(r.Column(j), i)
				if r.Column(j).IsNull(i) {
					row[j] = "<NULL>"
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func TestArrowRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	a, b := halves(rec, 3)
	defer a.Release()
	defer b.Release()
	empty := rec.NewSlice(0, 0)
	defer empty.Release()
	want := cellTexts(rec)

	read := func(t *testing.T, format string, data []byte) (*arrow.Schema, [][]string) {
		if format == Arrow {
			r, err := ipc.NewFileReader(bytes.NewReader(data), ipc.WithAllocator(mem))
			require.NoError(t, err)
			defer r.Close()
			var rows [][]string
			for k := 0; k < r.NumRecords(); k++ {
				rec, err := r.RecordAt(k)
				require.NoError(t, err)
				rows = append(rows, cellTexts(rec)...)
				rec.Release()
			}
			return r.Schema(), rows
		}
		r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem))
		require.NoError(t, err)
		defer r.Release()
		var rows [][]string
		for r.Next() {
			rows = append(rows, cellTexts(r.Record())...)
		}
		require.NoError(t, r.Err())
		return r.Schema(), rows
	}
	for _, format := range []string{Arrow, Arrows} {
		t.Run(format, func(t *testing.T) {
			data := writeAll(t, format, schema, Options{Mem: mem}, a, empty, b)
			got, rows := read(t, format, data)
			require.True(t, got.Equal(schema), "schema %s", got)
			require.Equal(t, arrow.BinaryTypes.String, got.Field(schema.NumFields()-1).Type, "dictionary column written as utf8")
			require.Equal(t, want, rows)
		})
		t.Run(format+"/empty", func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(format, &buf, schema, Options{Mem: mem})
			require.NoError(t, err)
			require.NoError(t, w.Close())
			got, rows := read(t, format, buf.Bytes())
			require.True(t, got.Equal(schema))
			require.Empty(t, rows)
		})
	}
	t.Run("file_at_offset", func(t *testing.T) {
		// The IPC file's offsets are relative to where the writer starts.
		var buf bytes.Buffer
		buf.WriteString("prefix")
		w, err := NewWriter(Arrow, &buf, schema, Options{Mem: mem})
		require.NoError(t, err)
		require.NoError(t, w.Write(rec))
		require.NoError(t, w.Close())
		_, rows := read(t, Arrow, buf.Bytes()[len("prefix"):])
		require.Equal(t, want, rows)
	})
}

func TestParquetRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	a, b := halves(rec, 2)
	defer a.Release()
	defer b.Release()
	empty := rec.NewSlice(0, 0)
	defer empty.Release()

	readFile := func(t *testing.T, path string) [][]string {
		info, err := parquet.Inspect(path)
		require.NoError(t, err)
		require.Equal(t, schema.NumFields(), info.Schema.NumFields())
		for j, f := range schema.Fields() {
			require.Equal(t, f.Name, info.Schema.Field(j).Name)
		}
		var rows [][]string
		for _, split := range parquet.PlanSplits(path, info, 0) {
			r, err := parquet.Open(context.Background(), split, source.ReadOptions{Mem: mem})
			require.NoError(t, err)
			for {
				got, err := r.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				rows = append(rows, cellTexts(got)...)
				got.Release()
			}
			require.NoError(t, r.Close())
		}
		return rows
	}
	for _, codec := range []string{"", "zstd", "none"} {
		t.Run("codec_"+codec, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.parquet")
			f, err := os.Create(path)
			require.NoError(t, err)
			w, err := NewWriter(Parquet, f, schema, Options{Compression: codec, Mem: mem})
			require.NoError(t, err)
			require.NoError(t, w.Write(a))
			require.NoError(t, w.Write(empty))
			require.NoError(t, w.Write(b))
			require.NoError(t, w.Close())
			require.NoError(t, f.Close())
			// Seconds are stored as milliseconds; their text is the same.
			require.Equal(t, cellTexts(rec), readFile(t, path))
		})
	}
	t.Run("bad_codec", func(t *testing.T) {
		_, err := NewWriter(Parquet, &bytes.Buffer{}, schema, Options{Compression: "rot13"})
		require.ErrorContains(t, err, "rot13")
	})
}
