package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/source"
)

func TestGen(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"parquet", "csv", "arrow"} {
		t.Run(format, func(t *testing.T) {
			out := ok(t, "", "gen", "h2o", "--rows", "2e4", "--k", "10", "--nas", "5", "--seed", "3", "--format", format, "-o", dir, "--workers", "3")
			path := filepath.Join(dir, "G1_20000_1e1_5_0."+format)
			require.True(t, strings.HasPrefix(out, path+": 20000 rows, "), out)
			ds, err := dataset.Open([]string{path}, dataset.Options{CSV: source.CSVOptions{Header: true}})
			require.NoError(t, err)
			require.Equal(t, []string{"id1", "id2", "id3", "id4", "id5", "id6", "v1", "v2", "v3"}, fieldNames(ds))
			if format == "csv" {
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				require.Equal(t, 20001, bytes.Count(b, []byte("\n")))
			} else {
				require.Equal(t, int64(20000), ds.Rows)
			}

			// The same seed gives the same file whatever the worker count;
			// another seed another file.
			first, err := os.ReadFile(path)
			require.NoError(t, err)
			ok(t, "", "gen", "h2o", "--rows", "20_000", "--k", "1e1", "--nas", "5", "--seed", "3", "--format", format, "-o", dir, "--workers", "1", "--force")
			again, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, bytes.Equal(first, again), "output depends on --workers")
			ok(t, "", "gen", "h2o", "--rows", "20000", "--k", "10", "--nas", "5", "--seed", "4", "--format", format, "-o", dir, "--force")
			other, err := os.ReadFile(path)
			require.NoError(t, err)
			require.False(t, bytes.Equal(first, other), "--seed changes nothing")

			// An existing file is kept unless --force.
			r := dfq(t, "", "gen", "h2o", "--rows", "20000", "--k", "10", "--nas", "5", "--format", format, "-o", dir)
			require.Equal(t, 1, r.code)
			require.Contains(t, r.stderr, "exists (use --force to overwrite)")
		})
	}
	t.Run("defaults name the file", func(t *testing.T) {
		d := t.TempDir()
		out := ok(t, "", "gen", "--rows", "1000", "h2o", "-o", d)
		require.Contains(t, out, filepath.Join(d, "G1_1e3_1e2_0_0.parquet"))
	})
	t.Run("zero rows", func(t *testing.T) {
		d := t.TempDir()
		ok(t, "", "gen", "h2o", "--rows", "0", "--format", "csv", "-o", d)
		b, err := os.ReadFile(filepath.Join(d, "G1_0_1e2_0_0.csv"))
		require.NoError(t, err)
		require.Equal(t, "id1,id2,id3,id4,id5,id6,v1,v2,v3\n", string(b))
	})
	t.Run("help", func(t *testing.T) {
		out := ok(t, "", "gen", "-h")
		require.Contains(t, out, "dfq gen h2o")
		require.Contains(t, out, "--rows N")
		require.Contains(t, ok(t, "", "help"), "gen ")
	})
}

func fieldNames(ds *dataset.Dataset) []string {
	var names []string
	for _, f := range ds.Schema.Fields() {
		names = append(names, f.Name)
	}
	return names
}

func TestGenUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no dataset", []string{"gen", "-o", dir}, "name a dataset"},
		{"unknown dataset", []string{"gen", "tpch", "-o", dir}, `unknown dataset "tpch"`},
		{"two datasets", []string{"gen", "h2o", "h2o", "-o", dir}, "unknown dataset"},
		{"bad rows", []string{"gen", "h2o", "--rows", "lots", "-o", dir}, "not a number"},
		{"fractional rows", []string{"gen", "h2o", "--rows", "1.5", "-o", dir}, "not a whole number"},
		{"negative rows", []string{"gen", "h2o", "--rows", "-5", "-o", dir}, "negative"},
		{"huge exponent", []string{"gen", "h2o", "--rows", "1e99999", "-o", dir}, "out of range"},
		{"too many rows", []string{"gen", "h2o", "--rows", "1e30", "-o", dir}, "too large"},
		{"bad nas", []string{"gen", "h2o", "--nas", "101", "-o", dir}, "nas must be a percentage"},
		{"zero k", []string{"gen", "h2o", "--k", "0", "-o", dir}, "--k must be at least 1"},
		{"bad format", []string{"gen", "h2o", "--format", "xlsx", "-o", dir}, "--format must be parquet, csv or arrow"},
		{"bad workers", []string{"gen", "h2o", "--workers", "0", "-o", dir}, "--workers must be positive"},
		{"unknown flag", []string{"gen", "h2o", "--color", "-o", dir}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := dfq(t, "", tt.args...)
			require.Equal(t, 2, r.code, r.stderr)
			require.Contains(t, r.stderr, tt.want)
		})
	}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, ents, "a failed gen left files")
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"10000000", 10_000_000, ""},
		{"10_000_000", 10_000_000, ""},
		{"1e7", 10_000_000, ""},
		{"1E7", 10_000_000, ""},
		{"2.5e6", 2_500_000, ""},
		{"1e+3", 1000, ""},
		{"0", 0, ""},
		{" 42 ", 42, ""},
		{"9223372036854775807", 9223372036854775807, ""},
		{"9223372036854775808", 0, "too large"},
		{"1.5", 0, "not a whole number"},
		{"1e-1", 0, "not a whole number"},
		{"-1", 0, "negative"},
		{"", 0, "not a number"},
		{"1e", 0, "not a number"},
		{"e7", 0, "not a number"},
		{"0x10", 0, "not a number"},
		{"1/2", 0, "not a number"},
		{"ten", 0, "not a number"},
		{"1e31", 0, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseCount(tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
