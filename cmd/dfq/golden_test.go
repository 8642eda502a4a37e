package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// interop is the directory of files written by DuckDB and Polars.
const interop = "../../testdata/interop/"

// TestGolden compares the output of describe, meta and explain with the
// files in testdata (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	query := "SELECT color, count(*) AS n, sum(f64) AS f FROM '" + interop + "duckdb_snappy.parquet' " +
		"WHERE k >= 4500 AND n_bool IS NOT NULL GROUP BY color ORDER BY n DESC, color LIMIT 3"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"describe", []string{"describe", interop + "duckdb_snappy.parquet", interop + "duckdb.csv", interop + "polars.arrows", interop + "polars_lz4.arrow"}},
		{"describe_csv", []string{"describe", "--format", "csv", interop + "duckdb_zstd_v2.parquet"}},
		{"meta", []string{"meta", interop + "duckdb_zstd_v2.parquet"}},
		{"meta_json", []string{"meta", "--format", "jsonl", interop + "polars_lz4.parquet"}},
		{"explain", []string{"explain", query}},
		{"explain_statement", []string{"query", "EXPLAIN " + query}},
		{"query_table", []string{"query", "--format", "table", query}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ok(t, "", tc.args...)
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestGolden -update to create it")
			require.Equal(t, string(want), got)
		})
	}
}

// TestExplainAnalyze checks that explain --analyze runs the query on each
// executor and reports what the stages did (timings make it unfit for a
// golden file).
func TestExplainAnalyze(t *testing.T) {
	query := "SELECT color, count(*) AS n FROM '" + interop + "duckdb_*.parquet' WHERE k < 100 GROUP BY color"
	for _, mode := range []string{"seq", "threads", "procs"} {
		t.Run(mode, func(t *testing.T) {
			out := ok(t, "", "explain", "--analyze", "--mode", mode, "--workers", "2", query)
			require.Contains(t, out, "Scan parquet: 4 file(s)")
			require.Contains(t, out, "-> ")
			require.Contains(t, out, "rows out")
			require.Contains(t, out, "pruned")
			same := ok(t, "", "--mode", mode, "EXPLAIN ANALYZE "+query)
			cut := func(s string) string { return s[:strings.Index(s, "Stage 1")] }
			require.Equal(t, cut(out), cut(same))
		})
	}
}
