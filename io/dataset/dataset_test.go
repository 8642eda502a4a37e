package dataset

import (
	"context"
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

func write(t *testing.T, path, content string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func copyFile(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	return write(t, to, string(b))
}

// tree makes a directory of small CSV files and returns its root.
func tree(t *testing.T) string {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.csv"), "k,v\n1,a\n2,b\n")
	write(t, filepath.Join(root, "b.csv"), "k,v\n3,c\n")
	write(t, filepath.Join(root, "sub", "c.csv"), "k,v\n4,d\n")
	write(t, filepath.Join(root, "sub", "deep", "d.csv"), "k,v\n5,e\n6,f\n")
	write(t, filepath.Join(root, "sub", "notes.md"), "# not data\n")
	write(t, filepath.Join(root, ".hidden", "e.csv"), "k,v\n99,z\n")
	write(t, filepath.Join(root, "x.dat"), "k,v\n7,g\n")
	require.NoError(t, os.Mkdir(filepath.Join(root, "empty"), 0o755))
	return root
}

func TestExpand(t *testing.T) {
	root := tree(t)
	p := func(rel string) string { return filepath.Join(root, rel) }
	cases := []struct {
		name   string
		inputs []string
		want   []string
		err    string
	}{
		{name: "file", inputs: []string{p("a.csv")}, want: []string{p("a.csv")}},
		{name: "file with unknown extension", inputs: []string{p("x.dat")}, want: []string{p("x.dat")}},
		{name: "glob", inputs: []string{p("*.csv")}, want: []string{p("a.csv"), p("b.csv")}},
		{name: "glob question mark", inputs: []string{p("?.csv")}, want: []string{p("a.csv"), p("b.csv")}},
		{name: "recursive glob", inputs: []string{p("**/*.csv")}, want: []string{p("a.csv"), p("b.csv"), p("sub/c.csv"), p("sub/deep/d.csv")}},
		{name: "recursive glob in the middle", inputs: []string{p("sub/**/d.csv")}, want: []string{p("sub/deep/d.csv")}},
		{name: "recursive glob matches zero directories", inputs: []string{p("**/a.csv")}, want: []string{p("a.csv")}},
		{name: "directory", inputs: []string{root}, want: []string{p("a.csv"), p("b.csv"), p("sub/c.csv"), p("sub/deep/d.csv")}},
		{name: "list keeps order and drops repeats", inputs: []string{p("b.csv"), p("a.csv"), p("*.csv"), p("sub")},
			want: []string{p("b.csv"), p("a.csv"), p("sub/c.csv"), p("sub/deep/d.csv")}},
		{name: "no match", inputs: []string{p("*.parquet")}, err: fmt.Sprintf("dataset: no files match %q", p("*.parquet"))},
		{name: "no match recursive", inputs: []string{p("nowhere/**/*.csv")}, err: "no files match"},
		{name: "missing file", inputs: []string{p("missing.csv")}, err: "no such file or directory"},
		{name: "empty directory", inputs: []string{p("empty")}, err: "no .parquet, .arrow or .csv files"},
		{name: "bad pattern", inputs: []string{p("[.csv")}, err: "syntax error in pattern"},
		{name: "bad recursive pattern", inputs: []string{p("**/[.csv")}, err: "syntax error in pattern"},
		{name: "nothing", inputs: nil, err: "no input files"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(tc.inputs)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// readKeys reads column k of every split of ds, in split order.
func readKeys(t *testing.T, ds *Dataset, mem memory.Allocator) []string {
	t.Helper()
	var keys []string
	for i, sp := range ds.Splits {
		require.Equal(t, i, sp.Index)
		r, err := OpenSplit(context.Background(), sp, source.ReadOptions{Mem: mem, Columns: []string{"k"}, BatchSize: 2})
		require.NoError(t, err)
		for {
			rec, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			for j := 0; j < int(rec.NumRows()); j++ {
				keys = append(keys, rec.Column(0).ValueStr(j))
			}
			rec.Release()
		}
		require.NoError(t, r.Close())
	}
	return keys
}

func TestOpenCSVTree(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	root := tree(t)
	ds, err := Open([]string{root}, Options{CSV: source.CSVOptions{Header: true}, TargetSplitBytes: 4})
	require.NoError(t, err)
	require.Equal(t, source.CSV, ds.Format)
	require.Len(t, ds.Files, 4)
	require.EqualValues(t, -1, ds.Rows)
	require.Equal(t, "k:int64 v:utf8", typesOf(ds.Schema))
	require.Len(t, ds.Splits, 6, "one split per row with a tiny target")
	var size int64
	for _, f := range ds.Files {
		st, err := os.Stat(f)
		require.NoError(t, err)
		size += st.Size()
	}
	require.Equal(t, size, ds.Bytes)
	require.Equal(t, []string{"1", "2", "3", "4", "5", "6"}, readKeys(t, ds, mem))

	// the same with one split per file
	ds, err = Open([]string{filepath.Join(root, "**", "*.csv")}, Options{CSV: source.CSVOptions{Header: true}})
	require.NoError(t, err)
	require.Len(t, ds.Splits, 4)
	for i, sp := range ds.Splits {
		require.Equal(t, ds.Files[i], sp.Path)
	}
	require.Equal(t, []string{"1", "2", "3", "4", "5", "6"}, readKeys(t, ds, mem))
}

func TestFormats(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	pq := copyFile(t, filepath.Join(interopDir, "duckdb_snappy.parquet"), filepath.Join(dir, "pq.bin"))
	af := copyFile(t, filepath.Join(interopDir, "polars.arrow"), filepath.Join(dir, "file.bin"))
	as := copyFile(t, filepath.Join(interopDir, "polars.arrows"), filepath.Join(dir, "stream.bin"))
	txt := write(t, filepath.Join(dir, "text.bin"), "k,v\n1,2\n")
	tsv := write(t, filepath.Join(dir, "t.tsv"), "k\tv\n1\tx y\n")
	csvFile := write(t, filepath.Join(dir, "c.csv"), "k,v\n1,2\n")
	for path, want := range map[string]source.Format{pq: source.Parquet, af: source.Arrow, as: source.Arrow, tsv: source.CSV} {
		got, err := Detect(path)
		require.NoError(t, err)
		require.Equal(t, want, got, path)
	}
	_, err := Detect(txt)
	require.ErrorIs(t, err, source.ErrFormat)
	require.ErrorContains(t, err, "cannot tell the format")

	ds, err := Open([]string{pq}, Options{})
	require.NoError(t, err)
	require.Equal(t, source.Parquet, ds.Format)
	require.EqualValues(t, 5000, ds.Rows)
	ds, err = Open([]string{as}, Options{})
	require.NoError(t, err)
	require.Equal(t, source.Arrow, ds.Format)
	require.EqualValues(t, -1, ds.Rows)

	// an explicit format wins over the name
	ds, err = Open([]string{txt}, Options{Format: source.CSV, CSV: source.CSVOptions{Header: true}})
	require.NoError(t, err)
	require.Equal(t, "k:int64 v:int64", typesOf(ds.Schema))
	_, err = Open([]string{txt}, Options{Format: "orc"})
	require.ErrorIs(t, err, source.ErrFormat)

	// .tsv defaults to tabs
	ds, err = Open([]string{tsv}, Options{CSV: source.CSVOptions{Header: true}})
	require.NoError(t, err)
	require.Equal(t, "k:int64 v:utf8", typesOf(ds.Schema))
	require.Equal(t, "\t", ds.Splits[0].CSV.Delim)

	_, err = Open([]string{csvFile, pq}, Options{})
	require.EqualError(t, err, fmt.Sprintf("dataset: mixed formats: %s is csv, %s is parquet", csvFile, pq))
	_, err = Open([]string{af, pq}, Options{})
	require.ErrorContains(t, err, "mixed formats")
}

func writeArrow(t *testing.T, path string, fields []arrow.Field, cols ...string) string {
	t.Helper()
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema(fields, nil)
	arrs := make([]arrow.Array, len(fields))
	for i, f := range fields {
		a, _, err := array.FromJSON(mem, f.Type, strings.NewReader(cols[i]))
		require.NoError(t, err)
		arrs[i] = a
		defer a.Release()
	}
	rec := array.NewRecord(schema, arrs, int64(arrs[0].Len()))
	defer rec.Release()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	return path
}

func TestSchemaMismatch(t *testing.T) {
	dir := t.TempDir()
	i64 := arrow.PrimitiveTypes.Int64
	f64 := arrow.PrimitiveTypes.Float64
	a := writeArrow(t, filepath.Join(dir, "a.arrow"), []arrow.Field{{Name: "k", Type: i64}, {Name: "s", Type: arrow.BinaryTypes.String}, {Name: "v2", Type: i64}}, `[1]`, `["x"]`, `[2]`)
	b := writeArrow(t, filepath.Join(dir, "b.arrow"), []arrow.Field{{Name: "k", Type: i64}, {Name: "s", Type: arrow.BinaryTypes.LargeString}, {Name: "v2", Type: f64}}, `[1]`, `["x"]`, `[2.5]`)
	c := writeArrow(t, filepath.Join(dir, "c.arrow"), []arrow.Field{{Name: "k", Type: i64}, {Name: "t", Type: arrow.BinaryTypes.String}, {Name: "v2", Type: i64}}, `[1]`, `["x"]`, `[2]`)
	d := writeArrow(t, filepath.Join(dir, "d.arrow"), []arrow.Field{{Name: "k", Type: i64}}, `[1]`)
	e := writeArrow(t, filepath.Join(dir, "e.arrow"), []arrow.Field{{Name: "k", Type: i64, Nullable: true}, {Name: "s", Type: arrow.BinaryTypes.String}, {Name: "v2", Type: i64}}, `[null]`, `["y"]`, `[3]`)
	cases := []struct {
		name  string
		files []string
		err   string
	}{
		{name: "type", files: []string{a, b}, err: fmt.Sprintf(`dataset: schema mismatch: %s: column 3 is "v2" float64, the first file %s has "v2" int64`, b, a)},
		{name: "name", files: []string{a, c}, err: fmt.Sprintf(`dataset: schema mismatch: %s: column 2 is "t" utf8, the first file %s has "s" utf8`, c, a)},
		{name: "count", files: []string{a, d}, err: fmt.Sprintf(`dataset: schema mismatch: %s has 1 columns, the first file %s has 3`, d, a)},
		{name: "third file", files: []string{a, e, b}, err: fmt.Sprintf(`dataset: schema mismatch: %s: column 3 is "v2" float64`, b)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.files, Options{})
			require.ErrorIs(t, err, source.ErrSchemaMismatch)
			require.ErrorContains(t, err, tc.err)
		})
	}
	t.Run("nullability is merged", func(t *testing.T) {
		ds, err := Open([]string{a, e}, Options{})
		require.NoError(t, err)
		require.True(t, ds.Schema.Field(0).Nullable)
		require.EqualValues(t, 2, ds.Rows)
	})
	t.Run("csv", func(t *testing.T) {
		x := write(t, filepath.Join(dir, "x.csv"), "k,v\n1,2\n")
		y := write(t, filepath.Join(dir, "y.csv"), "k,w\n1,2\n")
		_, err := Open([]string{x, y}, Options{CSV: source.CSVOptions{Header: true}})
		require.ErrorIs(t, err, source.ErrSchemaMismatch)
		require.ErrorContains(t, err, `y.csv: schema mismatch: column 2 is "w"`)
	})
}

// TestSplitsOverFiles plans all Parquet (and all Arrow) interop files as one
// dataset and reads every row exactly once.
func TestSplitsOverFiles(t *testing.T) {
	for _, tc := range []struct {
		glob  string
		files int
	}{
		{glob: "*.parquet", files: 6},
		{glob: "*.arrow*", files: 3},
	} {
		t.Run(tc.glob, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			ds, err := Open([]string{filepath.Join(interopDir, tc.glob)}, Options{TargetSplitBytes: 64 << 10})
			require.NoError(t, err)
			require.Len(t, ds.Files, tc.files)
			require.Greater(t, len(ds.Splits), tc.files)
			fileIdx := 0
			for i, sp := range ds.Splits {
				require.Equal(t, i, sp.Index)
				for ds.Files[fileIdx] != sp.Path {
					fileIdx++
					require.Less(t, fileIdx, len(ds.Files), "splits follow file order")
				}
			}
			keys := readKeys(t, ds, mem)
			require.Len(t, keys, 5000*tc.files)
			for i, k := range keys {
				require.Equal(t, fmt.Sprint(i%5000), k)
			}
		})
	}
}

func TestOpenSplitErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	_, err := OpenSplit(context.Background(), source.Split{Format: "orc", Path: "x.orc"}, source.ReadOptions{Mem: mem})
	require.ErrorIs(t, err, source.ErrFormat)
	require.ErrorContains(t, err, `split 0 of x.orc: format "orc"`)
	_, err = OpenSplit(context.Background(), source.Split{Format: source.Parquet, Path: filepath.Join(t.TempDir(), "gone.parquet")}, source.ReadOptions{Mem: mem})
	require.ErrorContains(t, err, "gone.parquet")
}

func TestInfo(t *testing.T) {
	cases := []struct {
		file      string
		format    source.Format
		rows      int64
		rowGroups int
		batches   int
		layout    string
		cols      int
	}{
		{file: "duckdb_snappy.parquet", format: source.Parquet, rows: 5000, rowGroups: 3, cols: 16},
		{file: "polars_lz4.arrow", format: source.Arrow, rows: 5000, batches: 3, layout: "file", cols: 16},
		{file: "polars.arrows", format: source.Arrow, rows: -1, batches: -1, layout: "stream", cols: 16},
		{file: "duckdb.csv", format: source.CSV, rows: -1, cols: 14},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(interopDir, tc.file)
			s, err := Info(path, Options{CSV: source.CSVOptions{Header: true}})
			require.NoError(t, err)
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, st.Size(), s.Size)
			require.Equal(t, tc.format, s.Format)
			require.Equal(t, tc.rows, s.Rows)
			require.Equal(t, tc.rowGroups, s.RowGroups)
			require.Equal(t, tc.batches, s.Batches)
			require.Equal(t, tc.layout, s.Layout)
			require.Len(t, s.Columns, tc.cols)
			require.Equal(t, "k", s.Columns[0].Name)
			require.Equal(t, "int64", s.Columns[0].Type)
			require.Equal(t, "color", s.Columns[5].Name)
			require.Equal(t, "utf8", s.Columns[5].Type)
		})
	}
	_, err := Info(filepath.Join(t.TempDir(), "nope.parquet"), Options{})
	require.ErrorContains(t, err, "nope.parquet")
}

func typesOf(s *arrow.Schema) string {
	var parts []string
	for _, f := range s.Fields() {
		parts = append(parts, f.Name+":"+f.Type.String())
	}
	return strings.Join(parts, " ")
}
