package h2o

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/source"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testRows is the size of the distribution checks' dataset; testChunk makes
// it span many chunks, so parallelism and chunk order matter.
const (
	testRows  = 100_000
	testChunk = 1 << 14
)

// table is a generated dataset as text cells, column by column ("" is NULL).
type table struct {
	cols [][]string
}

func (t *table) rows() int { return len(t.cols[0]) }

// cellText renders cell i of a (a string, any integer or a float64).
func cellText(t *testing.T, a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch a := a.(type) {
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.Dictionary:
		return strings.Clone(a.Dictionary().(*array.String).Value(a.GetValueIndex(i)))
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	}
	require.Failf(t, "unexpected type", "%s", a.DataType())
	return ""
}

func (tb *table) append(t *testing.T, rec arrow.Record) {
	if tb.cols == nil {
		tb.cols = make([][]string, rec.NumCols())
	}
	require.Equal(t, len(tb.cols), int(rec.NumCols()))
	for c, col := range rec.Columns() {
		for i := 0; i < col.Len(); i++ {
			tb.cols[c] = append(tb.cols[c], cellText(t, col, i))
		}
	}
}

// generate runs Generate into a table with a checked allocator.
func generate(t *testing.T, c Config, workers int) *table {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	tb := &table{cols: make([][]string, Schema().NumFields())}
	err := c.Generate(context.Background(), mem, workers, func(rec arrow.Record) error {
		require.True(t, rec.Schema().Equal(Schema()))
		tb.append(t, rec)
		return nil
	})
	require.NoError(t, err)
	return tb
}

// readBack reads every split of a file through io/dataset.
func readBack(t *testing.T, path string) *table {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	ds, err := dataset.Open([]string{path}, dataset.Options{CSV: source.CSVOptions{Header: true}})
	require.NoError(t, err)
	require.Equal(t, Schema().NumFields(), ds.Schema.NumFields())
	for i, f := range ds.Schema.Fields() {
		require.Equal(t, Schema().Field(i).Name, f.Name)
	}
	tb := &table{cols: make([][]string, Schema().NumFields())}
	for _, sp := range ds.Splits {
		r, err := dataset.OpenSplit(context.Background(), sp, source.ReadOptions{Mem: mem})
		require.NoError(t, err)
		for {
			rec, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			tb.append(t, rec)
			rec.Release()
		}
		require.NoError(t, r.Close())
	}
	return tb
}

func TestDistribution(t *testing.T) {
	const k = 100
	groups := testRows / k
	c := Config{Rows: testRows, K: k, Seed: 7, chunk: testChunk}
	require.Greater(t, c.Chunks(), 4)
	tb := generate(t, c, 3)
	require.Equal(t, testRows, tb.rows())

	distinct := func(col int) map[string]int {
		m := map[string]int{}
		for _, v := range tb.cols[col] {
			m[v]++
		}
		return m
	}
	idRange := func(col, width, hi int, wantAll bool) {
		t.Helper()
		m := distinct(col)
		for v := range m {
			require.Len(t, v, 2+width, "column %d value %q", col, v)
			require.True(t, strings.HasPrefix(v, "id"), "column %d value %q", col, v)
			n, err := strconv.Atoi(v[2:])
			require.NoError(t, err)
			require.True(t, n >= 1 && n <= hi, "column %d value %q outside 1..%d", col, v, hi)
		}
		if wantAll {
			require.Len(t, m, hi, "column %d distinct values", col)
		} else {
			// Draws with replacement: expect hi*(1-e^(-N/hi)) distinct.
			want := float64(hi) * (1 - math.Exp(-float64(testRows)/float64(hi)))
			require.InDelta(t, want, float64(len(m)), 0.02*want, "column %d distinct values", col)
		}
	}
	intRange := func(col, hi int, wantAll bool) {
		t.Helper()
		m := distinct(col)
		for v := range m {
			n, err := strconv.Atoi(v)
			require.NoError(t, err, "column %d", col)
			require.True(t, n >= 1 && n <= hi, "column %d value %d outside 1..%d", col, n, hi)
		}
		if wantAll {
			require.Len(t, m, hi, "column %d distinct values", col)
		}
		// Uniform: the mean is (1+hi)/2 within a few standard errors.
		var sum float64
		for v, cnt := range m {
			n, _ := strconv.Atoi(v)
			sum += float64(n * cnt)
		}
		mean := sum / testRows
		sd := math.Sqrt((float64(hi)*float64(hi) - 1) / 12 / testRows)
		require.InDelta(t, float64(1+hi)/2, mean, 5*sd, "column %d mean", col)
	}
	t.Run("id1", func(t *testing.T) { idRange(0, 3, k, true) })
	t.Run("id2", func(t *testing.T) { idRange(1, 3, k, true) })
	t.Run("id3", func(t *testing.T) { idRange(2, 10, groups, false) })
	t.Run("id4", func(t *testing.T) { intRange(3, k, true) })
	t.Run("id5", func(t *testing.T) { intRange(4, k, true) })
	t.Run("id6", func(t *testing.T) { intRange(5, groups, false) })
	t.Run("v1", func(t *testing.T) { intRange(6, 5, true) })
	t.Run("v2", func(t *testing.T) { intRange(7, 15, true) })
	t.Run("v3", func(t *testing.T) {
		var sum float64
		for _, s := range tb.cols[8] {
			v, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			require.True(t, v >= 0 && v < 100, "v3 %v outside [0, 100)", v)
			require.InDelta(t, math.Round(v*1e6)/1e6, v, 1e-9, "v3 %v has more than 6 decimals", v)
			sum += v
		}
		sd := 100 / math.Sqrt(12*testRows)
		require.InDelta(t, 50, sum/testRows, 5*sd)
	})
}

// records runs Generate and keeps its records (the caller releases them).
func records(t *testing.T, mem memory.Allocator, c Config, workers int) []arrow.Record {
	var out []arrow.Record
	err := c.Generate(context.Background(), mem, workers, func(rec arrow.Record) error {
		rec.Retain()
		out = append(out, rec)
		return nil
	})
	require.NoError(t, err)
	return out
}

func release(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

func TestDeterminism(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	base := Config{Rows: testRows, K: 100, Seed: 3, chunk: testChunk}
	ref := records(t, mem, base, 1)
	defer release(ref)
	require.Len(t, ref, base.Chunks())
	equal := func(got []arrow.Record) bool {
		if len(got) != len(ref) {
			return false
		}
		for i := range ref {
			if !array.RecordEqual(ref[i], got[i]) {
				return false
			}
		}
		return true
	}
	t.Run("same seed", func(t *testing.T) {
		got := records(t, mem, base, 1)
		defer release(got)
		require.True(t, equal(got))
	})
	t.Run("any worker count", func(t *testing.T) {
		for _, w := range []int{2, 5} {
			got := records(t, mem, base, w)
			require.True(t, equal(got), "%d workers", w)
			release(got)
		}
	})
	t.Run("other seed", func(t *testing.T) {
		other := base
		other.Seed = 4
		got := records(t, mem, other, 2)
		defer release(got)
		require.False(t, equal(got))
		// Column by column: values agree only by chance (1 in 5 for v1).
		for c := range Schema().NumFields() {
			same := 0
			for i := range ref {
				same += sameCells(t, ref[i].Column(c), got[i].Column(c))
			}
			require.Less(t, same, testRows/4, "column %d", c)
		}
	})
}

// sameCells counts the positions where a and b (of one h2o type, no NULLs)
// hold equal values.
func sameCells(t *testing.T, a, b arrow.Array) int {
	n := 0
	switch a := a.(type) {
	case *array.String:
		b := b.(*array.String)
		for i := 0; i < a.Len(); i++ {
			if a.Value(i) == b.Value(i) {
				n++
			}
		}
	case *array.Int32:
		bv := b.(*array.Int32).Int32Values()
		for i, v := range a.Int32Values() {
			if v == bv[i] {
				n++
			}
		}
	case *array.Float64:
		bv := b.(*array.Float64).Float64Values()
		for i, v := range a.Float64Values() {
			if v == bv[i] {
				n++
			}
		}
	default:
		require.Failf(t, "unexpected type", "%s", a.DataType())
	}
	return n
}

func TestNAs(t *testing.T) {
	tests := []struct {
		name string
		nas  int
	}{{"none", 0}, {"ten percent", 10}, {"all", 100}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			recs := records(t, mem, Config{Rows: testRows, K: 100, NAs: tt.nas, Seed: 1, chunk: testChunk}, 2)
			defer release(recs)
			for c := range Schema().NumFields() {
				nulls := 0
				for _, r := range recs {
					nulls += r.Column(c).NullN()
				}
				p := float64(tt.nas) / 100
				sd := math.Sqrt(p * (1 - p) / testRows)
				require.InDelta(t, p, float64(nulls)/testRows, 5*sd+1e-12, "column %d", c)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		c    Config
		want string
	}{
		{Config{Rows: 1e7, K: 100}, "G1_1e7_1e2_0_0"},
		{Config{Rows: 1e8}, "G1_1e8_1e2_0_0"},
		{Config{Rows: 1e7, K: 10, NAs: 5}, "G1_1e7_1e1_5_0"},
		{Config{Rows: 12345, K: 7}, "G1_12345_7_0_0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, tt.c.Name())
			require.Equal(t, tt.want+".csv", tt.c.FileName(CSV))
		})
	}
}

// TestFormats writes every format and reads each back through io/dataset:
// all hold the same rows as the generator's output.
func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		c    Config
	}{
		{"many chunks with NULLs", Config{Rows: 20_000, K: 10, NAs: 10, Seed: 5, chunk: 1 << 12}},
		{"one row", Config{Rows: 1, K: 100, Seed: 1}},
		{"all NULL", Config{Rows: 100, K: 100, NAs: 100, Seed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := generate(t, tt.c, 1)
			dir := t.TempDir()
			for _, f := range Formats {
				t.Run(f, func(t *testing.T) {
					path := filepath.Join(dir, tt.c.FileName(f))
					var calls []int64
					err := tt.c.Write(context.Background(), path, f, WriteOptions{Workers: 3, Progress: func(rows, total int64) {
						require.Equal(t, tt.c.Rows, total)
						calls = append(calls, rows)
					}})
					require.NoError(t, err)
					require.True(t, slices.IsSorted(calls))
					require.Equal(t, []int64{0, tt.c.Rows}, []int64{calls[0], calls[len(calls)-1]})
					if tt.c.NAs == 100 && f == CSV {
						// Every field is empty: CSV cannot tell NULL strings
						// from the empty ones nor infer types; check the text.
						b, err := os.ReadFile(path)
						require.NoError(t, err)
						lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
						require.Len(t, lines, int(tt.c.Rows)+1)
						require.Equal(t, "id1,id2,id3,id4,id5,id6,v1,v2,v3", lines[0])
						for _, l := range lines[1:] {
							require.Equal(t, ",,,,,,,,", l)
						}
						return
					}
					got := readBack(t, path)
					require.Equal(t, want.cols, got.cols)
				})
			}
		})
	}
}

func TestWriteDeterministicFiles(t *testing.T) {
	c := Config{Rows: 20_000, K: 100, NAs: 5, Seed: 9, chunk: 1 << 12}
	dir := t.TempDir()
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var files [][]byte
			for _, w := range []int{1, 4} {
				path := filepath.Join(dir, fmt.Sprintf("w%d.%s", w, f))
				require.NoError(t, c.Write(context.Background(), path, f, WriteOptions{Workers: w}))
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				files = append(files, b)
			}
			require.Equal(t, files[0], files[1], "output depends on the worker count")
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		c      Config
		path   string
		format string
		want   string
	}{
		{"unknown format", context.Background(), Config{Rows: 10}, filepath.Join(dir, "a.xlsx"), "xlsx", `unknown format "xlsx"`},
		{"negative rows", context.Background(), Config{Rows: -1}, filepath.Join(dir, "b.csv"), CSV, "rows must be >= 0"},
		{"bad NAs", context.Background(), Config{Rows: 10, NAs: 101}, filepath.Join(dir, "c.csv"), CSV, "nas must be a percentage"},
		{"negative k", context.Background(), Config{Rows: 10, K: -3}, filepath.Join(dir, "d.csv"), CSV, "k must be >= 1"},
		{"cancelled", cancelled, Config{Rows: 100_000, chunk: 1 << 10}, filepath.Join(dir, "e.parquet"), Parquet, "context canceled"},
		{"directory is a file", context.Background(), Config{Rows: 10}, filepath.Join(dir, "f.csv", "x.csv"), CSV, "h2o:"},
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f.csv"), nil, 0o644))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Write(tt.ctx, tt.path, tt.format, WriteOptions{Workers: 2})
			require.ErrorContains(t, err, tt.want)
			_, serr := os.Stat(tt.path)
			require.True(t, errors.Is(serr, os.ErrNotExist) || errors.Is(serr, syscall.ENOTDIR), "%v", serr)
		})
	}
	// No temporary files are left behind.
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		require.False(t, strings.HasPrefix(e.Name(), ".h2o-"), "left %s", e.Name())
	}
}

func TestEmpty(t *testing.T) {
	c := Config{Rows: 0, K: 100, Seed: 1}
	require.Equal(t, 0, c.Chunks())
	dir := t.TempDir()
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			path := filepath.Join(dir, c.FileName(f))
			require.NoError(t, c.Write(context.Background(), path, f, WriteOptions{}))
			if f == CSV {
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				require.Equal(t, "id1,id2,id3,id4,id5,id6,v1,v2,v3\n", string(b))
				return
			}
			require.Equal(t, 0, readBack(t, path).rows())
		})
	}
}
