package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/sink"
)

// TestGlob queries several files through one glob: the interop Parquet
// files written by DuckDB and Polars, and fixture files split three ways.
func TestGlob(t *testing.T) {
	t.Run("interop", func(t *testing.T) {
		files, err := filepath.Glob(interop + "*.parquet")
		require.NoError(t, err)
		require.Greater(t, len(files), 2)
		var rows int64
		for _, f := range files {
			info, err := parquet.Inspect(f)
			require.NoError(t, err)
			rows += info.Rows
		}
		// Every file holds k = 0..4999 once.
		out := ok(t, "", "SELECT count(*) AS n, sum(k) AS s, count(DISTINCT k) AS d FROM '"+interop+"*.parquet'")
		require.Equal(t, fmt.Sprintf("n,s,d\n%d,%d,5000\n", rows, int64(len(files))*4999*5000/2), out)
	})
	t.Run("fixture parts", func(t *testing.T) {
		dir := t.TempDir()
		rec := fixtureRecord(memory.DefaultAllocator)
		defer rec.Release()
		var sum int64
		for i, part := range [][2]int64{{0, 2}, {2, 3}, {3, 7}} {
			s := rec.NewSlice(part[0], part[1])
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i)))
			require.NoError(t, err)
			w, err := parquet.NewWriter(f, fixtureSchema, parquet.WriteOptions{})
			require.NoError(t, err)
			require.NoError(t, w.Write(s))
			require.NoError(t, w.Close())
			require.NoError(t, f.Close())
			for _, v := range s.Column(0).(*array.Int64).Int64Values() {
				sum += v
			}
			s.Release()
		}
		out := ok(t, "", "--mode", "seq", "SELECT count(*) AS n, sum(id) AS s FROM '"+dir+"/*.parquet'")
		require.Equal(t, fmt.Sprintf("n,s\n%d,%d\n", rec.NumRows(), sum), out)
		// The whole rows come back in order.
		require.Equal(t, fixtureCSV, ok(t, "", "SELECT * FROM '"+dir+"/part-*.parquet' ORDER BY id"))
	})
}

// TestCSVInput reads CSV with NULLs (empty fields, and a NULL string) and
// checks aggregates against the values computed from the fixture.
func TestCSVInput(t *testing.T) {
	_, csvPath := writeFixture(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := fixtureRecord(mem)
	defer rec.Release()
	x := rec.Column(2).(*array.Float64)
	var n, nulls int
	var sum float64
	for i := 0; i < x.Len(); i++ {
		if x.IsNull(i) {
			nulls++
			continue
		}
		n++
		sum += x.Value(i)
	}
	want := fmt.Sprintf("rows,x_values,x_nulls,names,sum_x\n%d,%d,%d,%d,%s\n", x.Len(), n, nulls,
		rec.Column(1).Len()-rec.Column(1).NullN(), formatFloat(sum))
	query := "SELECT count(*) AS rows, count(x) AS x_values, count(*) - count(x) AS x_nulls, count(name) AS names, sum(x) AS sum_x FROM %s"
	t.Run("empty fields", func(t *testing.T) {
		require.Equal(t, want, ok(t, "", fmt.Sprintf(query, "'"+csvPath+"'")))
	})
	t.Run("NULL string", func(t *testing.T) {
		// The same file with NA for NULL: replace the empty x fields.
		na := filepath.Join(t.TempDir(), "na.csv")
		text := strings.Replace(fixtureCSV, "\"line\nbreak\",,false", "\"line\nbreak\",NA,false", 1)
		require.NoError(t, os.WriteFile(na, []byte(text), 0o644))
		require.Equal(t, want, ok(t, "", fmt.Sprintf(query, "read_csv('"+na+"', nullstr => 'NA')")))
	})
}

// formatFloat is the CSV text of a double.
func formatFloat(f float64) string {
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Append(f)
	a := b.NewArray()
	defer a.Release()
	return sink.FormatValue(a, 0)
}

// TestProcs runs queries on the process executor (the test binary is the
// worker) and requires the same output as the other executors.
func TestProcs(t *testing.T) {
	path := h2oData(t)
	pq, _ := writeFixture(t)
	for _, query := range []string{
		"SELECT id1, id2, sum(v1) AS v1 FROM '" + path + "' GROUP BY id1, id2 ORDER BY id1, id2",
		"SELECT id4, median(v3) AS m, stddev_samp(v3) AS sd FROM '" + path + "' WHERE v2 > 7 GROUP BY id4 ORDER BY id4",
		"SELECT * FROM '" + path + "' WHERE id6 = 42 ORDER BY id3, v3",
		fmt.Sprintf(fixtureQuery, pq),
	} {
		t.Run(query[:30], func(t *testing.T) {
			want := ok(t, "", "--mode", "seq", query)
			require.Greater(t, strings.Count(want, "\n"), 2)
			for _, workers := range []string{"1", "3"} {
				got := ok(t, "", "--mode", "procs", "--workers", workers, query)
				require.Equal(t, strings.Count(want, "\n"), strings.Count(got, "\n"))
				wantRows, gotRows := parseCSV(t, want), parseCSV(t, got)
				// Same order (ORDER BY), floats to 1e-9.
				for i := range wantRows {
					for c := range wantRows[i] {
						if w, g := wantRows[i][c], gotRows[i][c]; w != g && !closeFloats(w, g) {
							t.Fatalf("row %d column %d: want %q, got %q", i, c, w, g)
						}
					}
				}
			}
		})
	}
}

// TestScripts checks where SQL comes from and how statements run.
func TestScripts(t *testing.T) {
	pq, _ := writeFixture(t)
	dir := t.TempDir()
	script := "-- two statements; the ';' in strings and comments do not split\n" +
		"SELECT count(*) AS n FROM '" + pq + "' WHERE name <> ';';\n" +
		"/* ; */ SELECT max(id) AS m FROM '" + pq + "';\n"
	file := filepath.Join(dir, "q.sql")
	require.NoError(t, os.WriteFile(file, []byte(script), 0o644))
	const want = "n\n6\nm\n7\n"
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"argument", "", []string{"query", script}, want},
		{"shorthand", "", []string{script}, want},
		{"shorthand with flags first", "", []string{"--mode", "seq", "--format", "csv", script}, want},
		{"flags after the SQL", "", []string{"query", script, "--workers", "1"}, want},
		{"-f", "", []string{"query", "-f", file}, want},
		{"-f -", script, []string{"query", "-f", "-"}, want},
		{"-", script, []string{"query", "-"}, want},
		{"stdin not a terminal", script, []string{"query"}, want},
		{"shorthand -f", "", []string{"-f", file}, want},
		{"unquoted words", "", []string{"query", "SELECT", "1", "AS", "a"}, "a\n1\n"},
		{"after --", "", []string{"query", "--", "SELECT 2 AS b"}, "b\n2\n"},
		{"leading comment", "", []string{"-- hello\nSELECT 3 AS c"}, "c\n3\n"},
		{"trailing semicolons and blanks", "", []string{"SELECT 4 AS d;; ;\n"}, "d\n4\n"},
		{"describe statement", "", []string{"DESCRIBE SELECT name, x * 2 AS y FROM '" + pq + "'"},
			"column_name,column_type,null\nname,VARCHAR,YES\ny,DOUBLE,YES\n"},
		{"json", "", []string{"--format", "json", "SELECT 1 AS a, 'x' AS b"}, "[\n{\"a\":1,\"b\":\"x\"}\n]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ok(t, tc.stdin, tc.args...))
		})
	}
}

// TestCopy runs COPY through the command line.
func TestCopy(t *testing.T) {
	pq, _ := writeFixture(t)
	out := filepath.Join(t.TempDir(), "copy.parquet")
	r := dfq(t, "", "COPY (SELECT * FROM '"+pq+"' WHERE id > 2) TO '"+out+"' (FORMAT parquet)")
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stdout)
	require.Equal(t, "Wrote 5 rows to "+out+"\n", r.stderr)
	require.Equal(t, "n\n5\n", ok(t, "", "SELECT count(*) AS n FROM '"+out+"'"))
}

// TestTimer checks the --timer line on each executor.
func TestTimer(t *testing.T) {
	query := "SELECT count(*) AS n FROM '" + interop + "duckdb_snappy.parquet' WHERE k >= 4500"
	re := regexp.MustCompile(`^Run Time: \d+\.\d{3} s · 1 row · [0-9.]+ (B|KiB|MiB) read · row groups: 1 read, 2 pruned · ` +
		`peak memory: Arrow [0-9.]+ (B|KiB|MiB), RSS [0-9.]+ (KiB|MiB|GiB)(, largest worker RSS [0-9.]+ (KiB|MiB|GiB))?\n$`)
	for _, mode := range []string{"seq", "threads", "procs"} {
		t.Run(mode, func(t *testing.T) {
			r := dfq(t, "", "--timer", "--mode", mode, query)
			require.Equal(t, 0, r.code, r.stderr)
			require.Equal(t, "n\n500\n", r.stdout)
			require.Regexp(t, re, r.stderr)
			if mode == "procs" {
				require.Contains(t, r.stderr, "largest worker RSS")
			}
		})
	}
	t.Run("explain", func(t *testing.T) {
		r := dfq(t, "", "--timer", "EXPLAIN "+query)
		require.Equal(t, 0, r.code, r.stderr)
		require.Regexp(t, `^Run Time: \d+\.\d{3} s · peak memory: Arrow `, r.stderr)
	})
}

// TestTableOutput checks the terminal table: at most --max-rows rows with a
// footer, and the terminal's width.
func TestTableOutput(t *testing.T) {
	path := h2oData(t)
	prevTerm, prevWidth := isTerminal, termWidth
	isTerminal = func(any) bool { return true }
	termWidth = func(any) int { return 60 }
	defer func() { isTerminal, termWidth = prevTerm, prevWidth }()
	t.Setenv("NO_COLOR", "1")
	query := "SELECT * FROM '" + path + "'"
	rows := h2oRows()
	for _, tc := range []struct {
		name  string
		args  []string
		shown int
	}{
		{"default", nil, 40},
		{"max rows", []string{"--max-rows", "10"}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"query", "--progress", "off", query}, tc.args...)
			out := ok(t, "", args...)
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			// Nine columns do not fit in 60 characters: some are hidden.
			require.Equal(t, fmt.Sprintf("%d rows, %d shown (use --max-rows to show more), 5 of 9 columns shown", rows, tc.shown),
				lines[len(lines)-1])
			// Top border, names, types, separator, rows, the ⋮ row, bottom.
			require.Len(t, lines, 4+tc.shown+1+1+1)
			for _, l := range lines[:len(lines)-1] {
				require.LessOrEqual(t, len([]rune(l)), 60, l)
			}
			require.Contains(t, lines[2], "varchar")
		})
	}
}
