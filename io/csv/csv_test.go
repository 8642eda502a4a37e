package csv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// rowsOf renders a record's rows as text, NULL as "NULL".
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

// readSplits reads every split and returns all rows and the number of records.
func readSplits(t *testing.T, splits []source.Split, ropts source.ReadOptions) ([][]string, int, error) {
	t.Helper()
	var rows [][]string
	recs := 0
	for _, sp := range splits {
		r, err := Open(context.Background(), sp, ropts)
		if err != nil {
			return rows, recs, err
		}
		for {
			rec, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				require.NoError(t, r.Close())
				return rows, recs, err
			}
			recs++
			if ropts.BatchSize > 0 {
				require.LessOrEqual(t, rec.NumRows(), int64(ropts.BatchSize))
			}
			if len(ropts.Columns) == 0 && ropts.Columns != nil {
				require.Zero(t, rec.NumCols())
				for i := int64(0); i < rec.NumRows(); i++ {
					rows = append(rows, []string{})
				}
			} else {
				rows = append(rows, rowsOf(rec)...)
			}
			rec.Release()
		}
		require.NoError(t, r.Close())
		require.NoError(t, r.Close(), "Close twice")
	}
	return rows, recs, nil
}

// readCSV infers, plans (splits of target bytes) and reads content.
func readCSV(t *testing.T, content string, opts source.CSVOptions, target int64, ropts source.ReadOptions) (*arrow.Schema, [][]string, error) {
	t.Helper()
	path := writeFile(t, t.TempDir(), "data.csv", content)
	schema, planned, err := Infer([]string{path}, opts)
	if err != nil {
		return nil, nil, err
	}
	splits, err := PlanSplits(path, planned, target)
	if err != nil {
		return schema, nil, err
	}
	rows, _, err := readSplits(t, splits, ropts)
	return schema, rows, err
}

func typesOf(s *arrow.Schema) string {
	var parts []string
	for _, f := range s.Fields() {
		parts = append(parts, f.Name+":"+f.Type.String())
	}
	return strings.Join(parts, " ")
}

func TestInfer(t *testing.T) {
	cases := []struct {
		name    string
		content string
		opts    source.CSVOptions
		want    string
		err     string
	}{
		{name: "ints", content: "a,b\n1,-2\n3,+4\n", want: "a:int64 b:int64"},
		{name: "int and float widen to float", content: "a\n1\n2.5\n", want: "a:float64"},
		{name: "exponent float", content: "a\n1e3\n", want: "a:float64"},
		{name: "int overflow is float", content: "a\n99999999999999999999\n", want: "a:float64"},
		{name: "bool", content: "a\ntrue\nFALSE\nTrue\n", want: "a:bool"},
		{name: "bool and int is string", content: "a\ntrue\n1\n", want: "a:utf8"},
		{name: "date", content: "a\n2024-02-29\n1970-01-01\n", want: "a:date32"},
		{name: "bad date is string", content: "a\n2023-02-29\n", want: "a:utf8"},
		{name: "timestamp", content: "a,b,c\n2022-06-01 10:20:32.752995,2022-06-01T10:20:32,2022-06-01 00:00:00.5\n", want: "a:timestamp[us] b:timestamp[us] c:timestamp[us]"},
		{name: "date and timestamp widen to timestamp", content: "a\n2022-06-01\n2022-06-01 01:02:03\n", want: "a:timestamp[us]"},
		{name: "date and int is string", content: "a\n2022-06-01\n5\n", want: "a:utf8"},
		{name: "all null is string", content: "a,b\n,1\n,2\n", want: "a:utf8 b:int64"},
		{name: "quoted empty is null for inference", content: "a\n\"\"\n7\n", want: "a:int64"},
		{name: "null string", content: "a\nNA\n7\n", opts: source.CSVOptions{NullStr: "NA"}, want: "a:int64"},
		{name: "without null string NA is text", content: "a\nNA\n7\n", want: "a:utf8"},
		{name: "no header", content: "1,x\n2,y\n", opts: source.CSVOptions{}, want: "column0:int64 column1:utf8"},
		{name: "duplicate and empty names made unique", content: "a,a,,a_1\n1,2,3,4\n", want: "a:int64 a_1:int64 column2:int64 a_1_1:int64"},
		{name: "override by name", content: "a,b\n1,2\n", opts: source.CSVOptions{Columns: []source.ColumnType{{Name: "b", Type: "VARCHAR"}}}, want: "a:int64 b:utf8"},
		{name: "override positional without header", content: "1,2\n", opts: source.CSVOptions{Columns: []source.ColumnType{{Name: "x", Type: "double"}, {Name: "y"}}}, want: "x:float64 y:int64"},
		{name: "override unknown column", content: "a\n1\n", opts: source.CSVOptions{Columns: []source.ColumnType{{Name: "zz", Type: "int64"}}}, err: `no column "zz" in the file (columns: a)`},
		{name: "override unknown type", content: "a\n1\n", opts: source.CSVOptions{Columns: []source.ColumnType{{Name: "a", Type: "blob"}}}, err: `unknown column type "blob"`},
		{name: "tab delimiter", content: "a\tb\n1\tx\n", opts: source.CSVOptions{Delim: "\t"}, want: "a:int64 b:utf8"},
		{name: "bom and crlf", content: "\xEF\xBB\xBFa,b\r\n1,2\r\n", want: "a:int64 b:int64"},
		{name: "header only", content: "a,b\n", want: "a:utf8 b:utf8"},
		{name: "empty file", content: "", err: "file is empty"},
		{name: "bad delimiter", content: "a\n1\n", opts: source.CSVOptions{Delim: ";;"}, err: `delimiter ";;" must be one ASCII character`},
		{name: "unterminated quote in header", content: "\"a,b\n", err: "line 1: quoted field is not terminated"},
		{name: "malformed data is left to the reader", content: "a,b\n1,x\n2,\"y\n", want: "a:int64 b:utf8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if tc.name != "no header" && tc.name != "override positional without header" {
				opts.Header = true
			}
			path := writeFile(t, t.TempDir(), "in.csv", tc.content)
			schema, planned, err := Infer([]string{path}, opts)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, typesOf(schema))
			require.Len(t, planned.Columns, schema.NumFields())
			for i, c := range planned.Columns {
				dt, err := DataType(c.Type)
				require.NoError(t, err)
				require.True(t, arrow.TypeEqual(dt, schema.Field(i).Type))
				require.Equal(t, schema.Field(i).Name, c.Name)
			}
		})
	}
}

func TestInferSamplesWholeFile(t *testing.T) {
	// 40,000 rows (~1 MiB): a float only at the very end, a string only in
	// the middle sample; both must widen the column types.
	var b strings.Builder
	b.WriteString("a,b\n")
	const n = 40000
	for i := 0; i < n; i++ {
		a, c := fmt.Sprint(i), fmt.Sprint(i)
		if i == n-1 {
			a = "0.5"
		}
		if i == n/2 {
			c = "text"
		}
		fmt.Fprintf(&b, "%s,%s\n", a, c)
	}
	path := writeFile(t, t.TempDir(), "big.csv", b.String())
	schema, _, err := Infer([]string{path}, source.CSVOptions{Header: true})
	require.NoError(t, err)
	require.Equal(t, "a:float64 b:utf8", typesOf(schema))
}

func TestInferSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", "x,y\n1,2\n")
	b := writeFile(t, dir, "b.csv", "x,y\n1.5,2\n")
	c := writeFile(t, dir, "c.csv", "x,z\n1,2\n")
	d := writeFile(t, dir, "d.csv", "x\n1\n")
	schema, _, err := Infer([]string{a, b}, source.CSVOptions{Header: true})
	require.NoError(t, err)
	require.Equal(t, "x:float64 y:int64", typesOf(schema))

	_, _, err = Infer([]string{a, c}, source.CSVOptions{Header: true})
	require.ErrorIs(t, err, source.ErrSchemaMismatch)
	require.ErrorContains(t, err, `c.csv: schema mismatch: column 2 is "z", the first file `+a+` has "y"`)
	_, _, err = Infer([]string{a, d}, source.CSVOptions{Header: true})
	require.ErrorIs(t, err, source.ErrSchemaMismatch)
	require.ErrorContains(t, err, "1 columns, the first file")
	_, _, err = Infer(nil, source.CSVOptions{Header: true})
	require.Error(t, err)
	_, _, err = Infer([]string{filepath.Join(dir, "missing.csv")}, source.CSVOptions{Header: true})
	require.ErrorContains(t, err, "missing.csv")
}

func TestRead(t *testing.T) {
	cases := []struct {
		name    string
		content string
		opts    source.CSVOptions
		ropts   source.ReadOptions
		want    [][]string
		types   string
		noHead  bool
	}{
		{name: "no header", content: "1,x\n2,y", noHead: true, want: [][]string{{"1", "x"}, {"2", "y"}}, types: "column0:int64 column1:utf8"},
		{name: "no header quoted first field", content: "\"a\nb\",1\n", noHead: true, want: [][]string{{"a\nb", "1"}}},
		{name: "plain", content: "a,b,c\n1,x,1.5\n2,y,2\n", want: [][]string{{"1", "x", "1.5"}, {"2", "y", "2"}}},
		{name: "one row", content: "a\n42\n", want: [][]string{{"42"}}},
		{name: "header only", content: "a,b\n", want: nil},
		{name: "no final newline", content: "a,b\n1,2\n3,4", want: [][]string{{"1", "2"}, {"3", "4"}}},
		{name: "crlf", content: "a,b\r\n1,x\r\n2,\r\n", want: [][]string{{"1", "x"}, {"2", "NULL"}}},
		{name: "crlf quoted last field", content: "a,b\r\n1,\"x\"\r\n", want: [][]string{{"1", "x"}}},
		{name: "quotes and escapes", content: "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"\",\"\"\"\"\n",
			want: [][]string{{"x,y", `say "hi"`}, {"", `"`}}},
		{name: "embedded newline", content: "a,b\n\"line1\nline2\",1\n\"x\r\ny\",2\n",
			want: [][]string{{"line1\nline2", "1"}, {"x\r\ny", "2"}}},
		{name: "quote inside unquoted field is literal", content: "a,b\nab\"c,1\n", want: [][]string{{`ab"c`, "1"}}},
		{name: "nulls", content: "s,i,f,b,d,t\n,,,,,\n\"\",\"\",\"\",\"\",\"\",\"\"\nx,1,1,true,2020-01-01,2020-01-01 00:00:01\n",
			want: [][]string{
				{"NULL", "NULL", "NULL", "NULL", "NULL", "NULL"},
				{"", "NULL", "NULL", "NULL", "NULL", "NULL"},
				{"x", "1", "1", "true", "2020-01-01", "2020-01-01 00:00:01Z"},
			}},
		{name: "all null", content: "a,b\n,\n,\n", want: [][]string{{"NULL", "NULL"}, {"NULL", "NULL"}}, types: "a:utf8 b:utf8"},
		{name: "null string", content: "a,b\nNA,NA\n1,\"NA\"\n", opts: source.CSVOptions{NullStr: "NA"},
			want: [][]string{{"NULL", "NULL"}, {"1", "NA"}}},
		{name: "blank lines skipped", content: "a,b\n\n1,2\n\r\n3,4\n\n", want: [][]string{{"1", "2"}, {"3", "4"}}},
		{name: "bom", content: "\xEF\xBB\xBFa\n1\n", want: [][]string{{"1"}}, types: "a:int64"},
		{name: "tab", content: "a\tb\n1\tx y\n", opts: source.CSVOptions{Delim: "\t"}, want: [][]string{{"1", "x y"}}},
		{name: "semicolon and single quote", content: "a;b\n'x;y';2\n", opts: source.CSVOptions{Delim: ";", Quote: "'"}, want: [][]string{{"x;y", "2"}}},
		{name: "trailing delimiter is an empty field", content: "a,b\n1,\n", want: [][]string{{"1", "NULL"}}},
		{name: "timestamps", content: "t\n2022-06-01 10:20:32.752995\n2022-06-01T00:00:00.1234567\n1969-12-31 23:59:59\n2022-06-01\n",
			want: [][]string{{"2022-06-01 10:20:32.752995Z"}, {"2022-06-01 00:00:00.123456Z"}, {"1969-12-31 23:59:59Z"}, {"2022-06-01 00:00:00Z"}}},
		{name: "min int", content: "a\n-9223372036854775808\n9223372036854775807\n", want: [][]string{{"-9223372036854775808"}, {"9223372036854775807"}}, types: "a:int64"},
		{name: "bool spellings with explicit type", content: "a\nt\nF\n1\n0\nyes\nNo\n",
			opts: source.CSVOptions{Columns: []source.ColumnType{{Name: "a", Type: "bool"}}},
			want: [][]string{{"true"}, {"false"}, {"true"}, {"false"}, {"true"}, {"false"}}},
		{name: "projection reorders", content: "a,b,c\n1,x,2\n3,y,4\n", ropts: source.ReadOptions{Columns: []string{"c", "a"}},
			want: [][]string{{"2", "1"}, {"4", "3"}}},
		{name: "projection twice", content: "a,b\n1,x\n", ropts: source.ReadOptions{Columns: []string{"b", "b"}},
			want: [][]string{{"x", "x"}}},
		{name: "empty projection counts rows", content: "a,b\n1,x\n2,y\n3,z\n", ropts: source.ReadOptions{Columns: []string{}},
			want: [][]string{{}, {}, {}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			opts := tc.opts
			opts.Header = !tc.noHead
			ropts := tc.ropts
			ropts.Mem = mem
			schema, rows, err := readCSV(t, tc.content, opts, 0, ropts)
			require.NoError(t, err)
			require.Equal(t, tc.want, rows)
			if tc.types != "" {
				require.Equal(t, tc.types, typesOf(schema))
			}
		})
	}
}

// TestSplitsAndBatches reads the same content with many split sizes and batch
// sizes; every combination must give the same rows in the same order.
func TestSplitsAndBatches(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,s,v\n")
	var want [][]string
	for i := 0; i < 300; i++ {
		s := fmt.Sprintf("plain%d", i)
		field := s
		switch i % 7 {
		case 1:
			s = fmt.Sprintf("multi\nline\n%d", i)
			field = `"` + s + `"`
		case 2:
			s = fmt.Sprintf(`q"uote,%d`, i)
			field = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		case 3:
			s = fmt.Sprintf("\"\n,\"%d", i)
			field = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		v := fmt.Sprint(i * 3)
		if i%11 == 0 {
			v = "NULL"
			fmt.Fprintf(&b, "%d,%s,\r\n", i, field)
		} else {
			fmt.Fprintf(&b, "%d,%s,%s\n", i, field, v)
		}
		want = append(want, []string{fmt.Sprint(i), s, v})
	}
	path := writeFile(t, t.TempDir(), "multi.csv", b.String())
	schema, planned, err := Infer([]string{path}, source.CSVOptions{Header: true})
	require.NoError(t, err)
	require.Equal(t, "id:int64 s:utf8 v:int64", typesOf(schema))
	for _, target := range []int64{1, 7, 64, 500, 1 << 20} {
		splits, err := PlanSplits(path, planned, target)
		require.NoError(t, err)
		if target < 10 {
			require.Greater(t, len(splits), 250)
		}
		var end int64
		for i, sp := range splits {
			require.Equal(t, i, sp.Index)
			if i == 0 {
				require.EqualValues(t, len("id,s,v\n"), sp.Offset)
				require.EqualValues(t, 2, sp.FirstLine)
			} else {
				require.Equal(t, end, sp.Offset, "contiguous")
			}
			end = sp.Offset + sp.Length
		}
		require.EqualValues(t, b.Len(), end)
		for _, bs := range []int{1, 3, 1000} {
			t.Run(fmt.Sprintf("target=%d/batch=%d", target, bs), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
				defer mem.AssertSize(t, 0)
				var stats source.ScanStats
				rows, _, err := readSplits(t, splits, source.ReadOptions{Mem: mem, BatchSize: bs, Stats: &stats})
				require.NoError(t, err)
				require.Equal(t, want, rows)
				require.EqualValues(t, 300, stats.Rows)
				require.EqualValues(t, b.Len()-len("id,s,v\n"), stats.BytesRead)
			})
		}
	}
}

// TestFirstLine checks that every split knows its line numbers, even after
// multi-line records.
func TestFirstLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n")
	line := 2
	badLine := 0
	for i := 0; i < 200; i++ {
		switch {
		case i == 150:
			badLine = line
			b.WriteString("oops,x\n")
			line++
		case i%5 == 0:
			fmt.Fprintf(&b, "%d,\"two\nlines\"\n", i)
			line += 2
		default:
			fmt.Fprintf(&b, "%d,x\n", i)
			line++
		}
	}
	path := writeFile(t, t.TempDir(), "lines.csv", b.String())
	opts := source.CSVOptions{Header: true, Columns: []source.ColumnType{{Name: "a", Type: "int64"}, {Name: "b", Type: "string"}}}
	_, planned, err := Infer([]string{path}, opts)
	require.NoError(t, err)
	for _, target := range []int64{16, 1 << 20} {
		splits, err := PlanSplits(path, planned, target)
		require.NoError(t, err)
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		_, _, err = readSplits(t, splits, source.ReadOptions{Mem: mem, BatchSize: 7})
		mem.AssertSize(t, 0)
		var pe *ParseError
		require.ErrorAs(t, err, &pe)
		require.EqualValues(t, badLine, pe.Line)
		require.Equal(t, fmt.Sprintf(`csv: %s line %d column "a": cannot parse "oops" as int64 (the type was inferred from samples; give the column's type explicitly, e.g. columns => {'a': 'VARCHAR'})`, path, badLine), err.Error())
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name    string
		content string
		cols    []source.ColumnType
		err     string
	}{
		{name: "ragged short", content: "a,b\n1,2\n3\n", err: "line 3: record has 1 fields, expected 2"},
		{name: "ragged long", content: "a,b\n1,2\n3,4\n5,6,7\n", err: "line 4: record has 3 fields, expected 2"},
		{name: "ragged quoted", content: "a,b\n\"x\ny\"\n", err: "line 2: record has 1 fields, expected 2"},
		{name: "unterminated quote", content: "a,b\n1,\"abc\n2,3\n", err: "line 2: quoted field is not terminated"},
		{name: "junk after quote", content: "a,b\n1,\"abc\"x\n", err: `line 2: unexpected 'x' after the closing quote of field 2`},
		{name: "bad int", content: "a\n1\nabc\n", cols: []source.ColumnType{{Name: "a", Type: "int64"}},
			err: `line 3 column "a": cannot parse "abc" as int64 (the type was inferred from samples; give the column's type explicitly, e.g. columns => {'a': 'VARCHAR'})`},
		{name: "bad float", content: "a\n1.5x\n", cols: []source.ColumnType{{Name: "a", Type: "float64"}}, err: `line 2 column "a": cannot parse "1.5x" as float64`},
		{name: "bad bool", content: "a\nmaybe\n", cols: []source.ColumnType{{Name: "a", Type: "bool"}}, err: `line 2 column "a": cannot parse "maybe" as bool`},
		{name: "bad date", content: "a\n2021-13-01\n", cols: []source.ColumnType{{Name: "a", Type: "date"}}, err: `line 2 column "a": cannot parse "2021-13-01" as date32`},
		{name: "bad timestamp", content: "a\n2021-01-01 25:00:00\n", cols: []source.ColumnType{{Name: "a", Type: "timestamp"}}, err: `line 2 column "a": cannot parse "2021-01-01 25:00:00" as timestamp[us]`},
		{name: "int overflow", content: "a\n9223372036854775808\n", cols: []source.ColumnType{{Name: "a", Type: "bigint"}}, err: `line 2 column "a": cannot parse "9223372036854775808" as int64`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			_, _, err := readCSV(t, tc.content, source.CSVOptions{Header: true, Columns: tc.cols}, 0, source.ReadOptions{Mem: mem})
			require.Error(t, err)
			require.Contains(t, err.Error(), "data.csv "+tc.err)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
		})
	}
}

// TestBadValueOutsideSamples: a value the samples did not see fails with the
// line and the hint to give the type.
func TestBadValueOutsideSamples(t *testing.T) {
	var b strings.Builder
	b.WriteString("k,v1\n")
	const n = 100000
	badLine := 0
	for i := 0; i < n; i++ {
		if i == n/10 {
			badLine = i + 2
			fmt.Fprintf(&b, "%d,abc\n", i)
			continue
		}
		fmt.Fprintf(&b, "%d,%d\n", i, i%97)
	}
	path := writeFile(t, t.TempDir(), "data.csv", b.String())
	schema, planned, err := Infer([]string{path}, source.CSVOptions{Header: true})
	require.NoError(t, err)
	require.Equal(t, "k:int64 v1:int64", typesOf(schema))
	splits, err := PlanSplits(path, planned, 256<<10)
	require.NoError(t, err)
	require.Greater(t, len(splits), 2)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	_, _, err = readSplits(t, splits, source.ReadOptions{Mem: mem})
	require.EqualError(t, err, fmt.Sprintf(`csv: %s line %d column "v1": cannot parse "abc" as int64 (the type was inferred from samples; give the column's type explicitly, e.g. columns => {'v1': 'VARCHAR'})`, path, badLine))

	// Without a known line the error names the byte offset.
	sp := splits[0]
	sp.FirstLine = 0
	_, _, err = readSplits(t, []source.Split{sp}, source.ReadOptions{Mem: mem})
	off := strings.Index(b.String(), fmt.Sprintf("\n%d,abc", n/10)) + 1
	require.ErrorContains(t, err, fmt.Sprintf(`data.csv byte offset %d column "v1"`, off))
}

func TestOpenErrors(t *testing.T) {
	path := writeFile(t, t.TempDir(), "x.csv", "a\n1\n")
	planned := &source.CSVOptions{Header: true, Columns: []source.ColumnType{{Name: "a", Type: "int64"}}}
	cases := []struct {
		name  string
		split source.Split
		ropts source.ReadOptions
		err   string
	}{
		{name: "no options", split: source.Split{Format: source.CSV, Path: path, Offset: 2, Length: 2}, err: "split has no CSV options"},
		{name: "no columns", split: source.Split{Format: source.CSV, Path: path, CSV: &source.CSVOptions{}}, err: "no column types"},
		{name: "unknown column", split: source.Split{Format: source.CSV, Path: path, CSV: planned, Offset: 2, Length: 2},
			ropts: source.ReadOptions{Columns: []string{"b"}}, err: `no column "b" (columns: a)`},
		{name: "wrong format", split: source.Split{Format: source.Parquet, Path: path, CSV: planned}, err: "unrecognised file format"},
		{name: "missing file", split: source.Split{Format: source.CSV, Path: path + ".gone", CSV: planned}, err: "no such file"},
		{name: "bad type", split: source.Split{Format: source.CSV, Path: path, CSV: &source.CSVOptions{Columns: []source.ColumnType{{Name: "a", Type: "list"}}}}, err: `column "a": unknown column type "list"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			tc.ropts.Mem = mem
			_, err := Open(context.Background(), tc.split, tc.ropts)
			require.ErrorContains(t, err, tc.err)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Open(ctx, source.Split{Format: source.CSV, Path: path, CSV: planned}, source.ReadOptions{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestPlanErrors(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "x.csv", "a,b\n1,2\n")
	_, err := PlanSplits(path, source.CSVOptions{Header: true}, 0)
	require.ErrorContains(t, err, "run csv.Infer first")
	_, err = PlanSplits(path, source.CSVOptions{Header: true, Columns: []source.ColumnType{{Name: "a", Type: "int64"}}}, 0)
	require.ErrorIs(t, err, source.ErrSchemaMismatch)
	_, err = PlanSplits(filepath.Join(dir, "nope.csv"), source.CSVOptions{Header: true, Columns: []source.ColumnType{{Name: "a", Type: "int64"}}}, 0)
	require.ErrorContains(t, err, "nope.csv")
}

func TestInteropCSV(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	path := "../../testdata/interop/duckdb.csv"
	schema, planned, err := Infer([]string{path}, source.CSVOptions{Header: true})
	require.NoError(t, err)
	require.Equal(t, "k:int64 i32:int64 n_i64:int64 f64:float64 f32:float64 color:utf8 n_str:utf8 n_bool:bool day:date32 ts_us:timestamp[us] dec:float64 i8:int64 i16:int64 u32:int64", typesOf(schema))
	one, err := PlanSplits(path, planned, 0)
	require.NoError(t, err)
	require.Len(t, one, 1)
	many, err := PlanSplits(path, planned, 50<<10)
	require.NoError(t, err)
	require.Greater(t, len(many), 5)
	want, _, err := readSplits(t, one, source.ReadOptions{Mem: mem})
	require.NoError(t, err)
	require.Len(t, want, 5000)
	got, recs, err := readSplits(t, many, source.ReadOptions{Mem: mem, BatchSize: 1000})
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.GreaterOrEqual(t, recs, 5)
	// k is 0..4999 in order; n_str is NULL where the file has an empty field
	nulls := 0
	for i, r := range got {
		require.Equal(t, fmt.Sprint(i), r[0])
		if r[6] == "NULL" {
			nulls++
		}
	}
	require.Equal(t, 593, nulls)
}

func TestParsers(t *testing.T) {
	ints := []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"+17", 17, true}, {"007", 7, true},
		{"9223372036854775807", 1<<63 - 1, true}, {"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"1.0", 0, false}, {" 1", 0, false}, {"1e3", 0, false},
	}
	for _, c := range ints {
		t.Run("int/"+c.in, func(t *testing.T) {
			v, ok := parseInt([]byte(c.in))
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.v, v)
		})
	}
	dates := []struct {
		in string
		v  int32
		ok bool
	}{
		{"1970-01-01", 0, true}, {"1969-12-31", -1, true}, {"2000-03-01", 11017, true}, {"2024-02-29", 19782, true},
		{"0001-01-01", -719162, true}, {"2023-02-29", 0, false}, {"2023-04-31", 0, false}, {"2023-00-10", 0, false},
		{"2023-1-10", 0, false}, {"2023/01/10", 0, false},
	}
	for _, c := range dates {
		t.Run("date/"+c.in, func(t *testing.T) {
			v, ok := parseDate([]byte(c.in))
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.v, v)
		})
	}
	tss := []struct {
		in string
		v  int64
		ok bool
	}{
		{"1970-01-01 00:00:00", 0, true}, {"1970-01-01T00:00:01.5", 1_500_000, true},
		{"1970-01-01 00:00:00.000001", 1, true}, {"1970-01-01 00:00:00.123456789", 123456, true},
		{"1969-12-31 23:59:59.999999", -1, true}, {"1970-01-02", 86_400_000_000, true},
		{"1970-01-01 24:00:00", 0, false}, {"1970-01-01 00:60:00", 0, false}, {"1970-01-01 00:00:00.", 0, false},
		{"1970-01-01 00:00:00.1234567890", 0, false}, {"1970-01-01x00:00:00", 0, false}, {"1970-01-01 00:00", 0, false},
	}
	for _, c := range tss {
		t.Run("timestamp/"+c.in, func(t *testing.T) {
			v, ok := parseTimestamp([]byte(c.in))
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.v, v)
		})
	}
}

func TestFastFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := []string{"0", "-0", "+1", "1.", ".5", "0.005", "123456789012345", "1234567890.12345",
		"0.1", "0.3", "999.84", "-473.93", "0.0000000000000000000001", "00012.500"}
	for i := 0; i < 20000; i++ {
		inputs = append(inputs, strconv.FormatFloat(rng.Float64()*math.Pow(10, float64(rng.IntN(16)-4)), 'f', rng.IntN(10), 64))
	}
	for _, in := range inputs {
		want, err := strconv.ParseFloat(in, 64)
		require.NoError(t, err)
		got, ok := parseFloat([]byte(in))
		require.True(t, ok, in)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), in)
	}
	for _, in := range []string{"", ".", "-", "1..2", "1e5x", "abc", "1,5", "--1"} {
		_, ok := parseFloat([]byte(in))
		require.False(t, ok, in)
	}
	for _, in := range []string{"1e5", "NaN", "inf", "-Infinity", "1234567890123456789"} {
		_, ok := parseFloat([]byte(in))
		require.True(t, ok, in)
	}
}

func TestDataType(t *testing.T) {
	for name, want := range map[string]arrow.DataType{
		"VARCHAR": arrow.BinaryTypes.String, "bigint": arrow.PrimitiveTypes.Int64, "DOUBLE": arrow.PrimitiveTypes.Float64,
		"boolean": arrow.FixedWidthTypes.Boolean, "date": arrow.FixedWidthTypes.Date32, "timestamp[us]": timestampType,
	} {
		got, err := DataType(name)
		require.NoError(t, err)
		require.True(t, arrow.TypeEqual(want, got), name)
	}
	_, err := DataType("struct")
	require.Error(t, err)
}

// Make sure the reader's output arrays are what the schema says.
func TestOutputTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	path := writeFile(t, t.TempDir(), "t.csv", "b,i,f,s,d,t\ntrue,1,1.5,x,2020-01-01,2020-01-01 00:00:00\n")
	schema, planned, err := Infer([]string{path}, source.CSVOptions{Header: true})
	require.NoError(t, err)
	splits, err := PlanSplits(path, planned, 0)
	require.NoError(t, err)
	r, err := Open(context.Background(), splits[0], source.ReadOptions{Mem: mem})
	require.NoError(t, err)
	defer r.Close()
	require.True(t, schema.Equal(r.Schema()))
	rec, err := r.Next(context.Background())
	require.NoError(t, err)
	defer rec.Release()
	require.True(t, schema.Equal(rec.Schema()))
	require.IsType(t, &array.Boolean{}, rec.Column(0))
	require.IsType(t, &array.Int64{}, rec.Column(1))
	require.IsType(t, &array.Float64{}, rec.Column(2))
	require.IsType(t, &array.String{}, rec.Column(3))
	require.IsType(t, &array.Date32{}, rec.Column(4))
	require.IsType(t, &array.Timestamp{}, rec.Column(5))
	_, err = r.Next(context.Background())
	require.ErrorIs(t, err, io.EOF)
	_, err = r.Next(context.Background())
	require.ErrorIs(t, err, io.EOF)
}
