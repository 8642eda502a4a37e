package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/sink"
	"github.com/dfq/dfq/io/source"
)

var fixtureSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 3}, Nullable: true},
}, nil)

// fixtureRecord is a small table with the values the text formats treat
// specially: NULLs, strings that need quoting, floats of every shape.
func fixtureRecord(mem memory.Allocator) arrow.Record {
	day := func(y int, m time.Month, d int) arrow.Date32 {
		return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	ts := func(y int, m time.Month, d, hh, mm, ss, ns int) arrow.Timestamp {
		return arrow.Timestamp(time.Date(y, m, d, hh, mm, ss, ns, time.UTC).UnixMicro())
	}
	b := array.NewRecordBuilder(mem, fixtureSchema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4, 5, 6, 7}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"plain", "a,b", `say "hi"`, "", " lead", "line\nbreak", ""},
		[]bool{true, true, true, true, true, true, false})
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{0.1, 26, -1.25, 1e20, 1.5e-7, 0, 3.141592653589793},
		[]bool{true, true, true, true, true, false, true})
	b.Field(3).(*array.BooleanBuilder).AppendValues([]bool{true, false, true, false, true, false, false},
		[]bool{true, true, true, false, true, true, false})
	b.Field(4).(*array.Date32Builder).AppendValues([]arrow.Date32{day(2024, 1, 2), day(2024, 2, 29), day(1970, 1, 1),
		day(2000, 1, 1), day(1969, 12, 31), 0, day(2038, 1, 19)}, []bool{true, true, true, true, true, false, true})
	b.Field(5).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{
		ts(2022, 6, 1, 0, 0, 6, 180053000), ts(2022, 6, 1, 12, 0, 0, 0), ts(1999, 12, 31, 23, 59, 59, 500000000),
		ts(2022, 6, 1, 0, 0, 0, 0), 0, ts(2001, 2, 3, 4, 5, 6, 7000), ts(1970, 1, 1, 0, 0, 0, 1000000)},
		[]bool{true, true, true, true, false, true, true})
	b.Field(6).(*array.Decimal128Builder).AppendValues([]decimal128.Num{
		decimal128.FromI64(8946090), decimal128.FromI64(-1500), decimal128.FromI64(0), {}, decimal128.FromI64(1),
		decimal128.FromI64(123456789), decimal128.FromI64(-5)}, []bool{true, true, true, false, true, true, true})
	return b.NewRecord()
}

// fixtureCSV is the CSV contract for the fixture: a header; NULL as an empty
// field; true/false; dates YYYY-MM-DD; timestamps with a fraction only when
// non-zero; the shortest floats with a fractional digit; decimals with their
// scale; RFC 4180 quoting (empty strings, leading spaces, commas, quotes and
// line breaks quoted, quotes doubled).
const fixtureCSV = `id,name,x,flag,day,ts,dec
1,plain,0.1,true,2024-01-02,2022-06-01 00:00:06.180053,8946.090
2,"a,b",26.0,false,2024-02-29,2022-06-01 12:00:00,-1.500
3,"say ""hi""",-1.25,true,1970-01-01,1999-12-31 23:59:59.5,0.000
4,"",1e+20,,2000-01-01,2022-06-01 00:00:00,
5," lead",1.5e-07,true,1969-12-31,,0.001
6,"line
break",,false,,2001-02-03 04:05:06.000007,123456.789
7,,3.141592653589793,,2038-01-19,1970-01-01 00:00:00.001,-0.005
`

// writeFixture writes the fixture as Parquet (two row groups) and CSV in a
// new directory and returns their paths.
func writeFixture(t *testing.T) (pq, csvPath string) {
	t.Helper()
	dir := t.TempDir()
	rec := fixtureRecord(memory.DefaultAllocator)
	defer rec.Release()
	pq = filepath.Join(dir, "fixture.parquet")
	f, err := os.Create(pq)
	require.NoError(t, err)
	w, err := parquet.NewWriter(f, fixtureSchema, parquet.WriteOptions{RowGroupRows: 4})
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	csvPath = filepath.Join(dir, "fixture.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte(fixtureCSV), 0o644))
	return pq, csvPath
}

// cells returns the fixture's expected text per row and column, with ok
// false for NULL.
func fixtureCells(t *testing.T) (want [][]string, valid [][]bool) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := fixtureRecord(mem)
	defer rec.Release()
	return recordCells(rec)
}

func recordCells(rec arrow.Record) (cells [][]string, valid [][]bool) {
	for r := 0; r < int(rec.NumRows()); r++ {
		var row []string
		var ok []bool
		for _, c := range rec.Columns() {
			ok = append(ok, c.IsValid(r))
			if c.IsValid(r) {
				row = append(row, sink.FormatValue(c, r))
			} else {
				row = append(row, "")
			}
		}
		cells = append(cells, row)
		valid = append(valid, ok)
	}
	return cells, valid
}

const fixtureQuery = "SELECT * FROM '%s' ORDER BY id"

func TestCSVContract(t *testing.T) {
	pq, csvPath := writeFixture(t)
	for _, tc := range []struct{ name, src string }{
		{"from parquet", pq},
		{"from csv", csvPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := ok(t, "", fmt.Sprintf(fixtureQuery, tc.src))
			if tc.name == "from csv" {
				// The decimal column is inferred as a double.
				want := strings.NewReplacer(",8946.090\n", ",8946.09\n", ",-1.500\n", ",-1.5\n", ",0.000\n", ",0.0\n").
					Replace(fixtureCSV)
				require.Equal(t, want, out)
				return
			}
			require.Equal(t, fixtureCSV, out)
		})
	}
}

func TestFormats(t *testing.T) {
	pq, _ := writeFixture(t)
	query := fmt.Sprintf(fixtureQuery, pq)
	want, valid := fixtureCells(t)
	names := fixtureSchema.Fields()
	dir := t.TempDir()

	// checkText compares parsed rows of text cells with the fixture; NULL
	// is "" in CSV and TSV.
	checkText := func(t *testing.T, rows [][]string) {
		require.Len(t, rows, len(want)+1)
		for i, f := range names {
			require.Equal(t, f.Name, rows[0][i])
		}
		require.Equal(t, want, rows[1:])
	}
	readCSV := func(t *testing.T, text string, comma rune) [][]string {
		r := csv.NewReader(strings.NewReader(text))
		r.Comma = comma
		rows, err := r.ReadAll()
		require.NoError(t, err)
		return rows
	}
	// checkJSON compares JSON objects with the fixture: numbers by their
	// text, NULL as null.
	checkJSON := func(t *testing.T, objs []map[string]any) {
		require.Len(t, objs, len(want))
		for r, o := range objs {
			require.Len(t, o, len(names))
			for c, f := range names {
				v, ok := o[f.Name]
				require.True(t, ok, "row %d lacks %s", r, f.Name)
				if !valid[r][c] {
					require.Nil(t, v, "row %d %s", r, f.Name)
					continue
				}
				var got string
				switch v := v.(type) {
				case string:
					got = v
				case json.Number:
					got = v.String()
				case bool:
					got = map[bool]string{true: "true", false: "false"}[v]
				default:
					t.Fatalf("row %d %s: unexpected JSON value %T", r, f.Name, v)
				}
				require.Equal(t, want[r][c], got, "row %d %s", r, f.Name)
			}
		}
	}
	decodeJSON := func(t *testing.T, text string, lines bool) []map[string]any {
		var objs []map[string]any
		if !lines {
			d := json.NewDecoder(strings.NewReader(text))
			d.UseNumber()
			require.NoError(t, d.Decode(&objs))
			return objs
		}
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			d := json.NewDecoder(strings.NewReader(l))
			d.UseNumber()
			var o map[string]any
			require.NoError(t, d.Decode(&o))
			objs = append(objs, o)
		}
		return objs
	}
	// checkRecords compares Arrow records read back with the fixture.
	checkRecords := func(t *testing.T, schema *arrow.Schema, recs []arrow.Record) {
		require.Equal(t, len(names), schema.NumFields())
		for i, f := range names {
			require.Equal(t, f.Name, schema.Field(i).Name)
			require.True(t, arrow.TypeEqual(f.Type, schema.Field(i).Type), "%s: %s vs %s", f.Name, f.Type, schema.Field(i).Type)
		}
		var cells [][]string
		var ok [][]bool
		for _, r := range recs {
			c, v := recordCells(r)
			cells, ok = append(cells, c...), append(ok, v...)
		}
		require.Equal(t, want, cells)
		require.Equal(t, valid, ok)
	}

	text := map[string]func(t *testing.T, out string){
		"csv": func(t *testing.T, out string) { checkText(t, readCSV(t, out, ',')) },
		"tsv": func(t *testing.T, out string) { checkText(t, readCSV(t, out, '\t')) },
		"json": func(t *testing.T, out string) {
			require.True(t, strings.HasPrefix(out, "["))
			checkJSON(t, decodeJSON(t, out, false))
		},
		"jsonl": func(t *testing.T, out string) { checkJSON(t, decodeJSON(t, out, true)) },
		"markdown": func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			// The string with a line break is escaped, so one line per row.
			require.Len(t, lines, len(want)+2)
			require.Equal(t, "| id | name | x | flag | day | ts | dec |", lines[0])
			require.Contains(t, out, "| 1 | plain | 0.1 | true | 2024-01-02 | 2022-06-01 00:00:06.180053 | 8946.090 |")
		},
		"table": func(t *testing.T, out string) {
			for _, f := range names {
				require.Contains(t, out, f.Name)
			}
			for _, typ := range []string{"bigint", "varchar", "double", "boolean", "date", "timestamp", "decimal(10,3)"} {
				require.Contains(t, out, typ)
			}
			require.Contains(t, out, "NULL")
			require.True(t, strings.HasSuffix(out, "7 rows\n"), out)
		},
	}
	for format, check := range text {
		t.Run("stdout/"+format, func(t *testing.T) {
			check(t, ok(t, "", "--format", format, query))
		})
	}
	t.Run("stdout/auto is csv when piped", func(t *testing.T) {
		require.Equal(t, fixtureCSV, ok(t, "", "query", "--format", "auto", query))
	})
	t.Run("stdout/auto is a table on a terminal", func(t *testing.T) {
		prev := isTerminal
		isTerminal = func(any) bool { return true }
		defer func() { isTerminal = prev }()
		t.Setenv("NO_COLOR", "1")
		out := ok(t, "", query)
		text["table"](t, out)
	})

	readArrowFile := func(t *testing.T, path string) {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		require.NoError(t, err)
		defer r.Close()
		var recs []arrow.Record
		for i := 0; i < r.NumRecords(); i++ {
			rec, err := r.Record(i)
			require.NoError(t, err)
			rec.Retain()
			recs = append(recs, rec)
		}
		defer releaseAll(recs)
		checkRecords(t, r.Schema(), recs)
	}
	readArrowStream := func(t *testing.T, path string) {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		r, err := ipc.NewReader(f, ipc.WithAllocator(mem))
		require.NoError(t, err)
		defer r.Release()
		var recs []arrow.Record
		for r.Next() {
			rec := r.Record()
			rec.Retain()
			recs = append(recs, rec)
		}
		require.NoError(t, r.Err())
		defer releaseAll(recs)
		checkRecords(t, r.Schema(), recs)
	}
	readParquet := func(t *testing.T, path string) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		schema, recs := readParquetFile(t, mem, path)
		defer releaseAll(recs)
		checkRecords(t, schema, recs)
	}
	files := map[string]func(t *testing.T, path string){
		"out.csv": func(t *testing.T, path string) { checkText(t, readCSV(t, readFile(t, path), ',')) },
		"out.tsv": func(t *testing.T, path string) { checkText(t, readCSV(t, readFile(t, path), '\t')) },
		"out.json": func(t *testing.T, path string) {
			checkJSON(t, decodeJSON(t, readFile(t, path), false))
		},
		"out.jsonl":   func(t *testing.T, path string) { checkJSON(t, decodeJSON(t, readFile(t, path), true)) },
		"out.md":      func(t *testing.T, path string) { text["markdown"](t, readFile(t, path)) },
		"out.parquet": readParquet,
		"out.arrow":   readArrowFile,
		"out.arrows":  readArrowStream,
	}
	for name, check := range files {
		t.Run("file/"+name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			require.Empty(t, ok(t, "", query, "-o", path))
			check(t, path)
			leftovers, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
			require.NoError(t, err)
			require.Empty(t, leftovers)
		})
	}
	t.Run("file/--format overrides the extension", func(t *testing.T) {
		path := filepath.Join(dir, "parquet.data")
		ok(t, "", "--format", "parquet", "-o", path, query)
		readParquet(t, path)
	})
	t.Run("file/binary formats to stdout", func(t *testing.T) {
		path := filepath.Join(dir, "stdout.arrows")
		out := ok(t, "", "--format", "arrows", query)
		require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
		readArrowStream(t, path)
	})
	t.Run("file/a failed query leaves no file", func(t *testing.T) {
		path := filepath.Join(dir, "failed.parquet")
		r := dfq(t, "", "SELECT nope FROM '"+pq+"'", "-o", path)
		require.Equal(t, 1, r.code)
		_, err := os.Stat(path)
		require.True(t, errors.Is(err, os.ErrNotExist))
		leftovers, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
		require.NoError(t, err)
		require.Empty(t, leftovers)
	})
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// readParquetFile reads a whole Parquet file with io/parquet; the caller
// releases the records.
func readParquetFile(t *testing.T, mem memory.Allocator, path string) (*arrow.Schema, []arrow.Record) {
	info, err := parquet.Inspect(path)
	require.NoError(t, err)
	var recs []arrow.Record
	for _, split := range parquet.PlanSplits(path, info, 1<<40) {
		r, err := parquet.Open(context.Background(), split, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		for {
			rec, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			recs = append(recs, rec)
		}
		require.NoError(t, r.Close())
	}
	return info.Schema, recs
}

func releaseAll(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}
