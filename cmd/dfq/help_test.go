package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHelp(t *testing.T) {
	t.Run("lists every command with an example", func(t *testing.T) {
		for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
			out := ok(t, "", args...)
			for _, c := range commands {
				require.Contains(t, out, "\n  "+c.name+" ", "help lacks %s", c.name)
				require.Contains(t, out, c.summary)
				require.NotEmpty(t, c.examples, c.name)
			}
			require.Contains(t, out, "Examples:\n  dfq ")
		}
	})
	for _, c := range commands {
		if c.name == "help" {
			continue
		}
		t.Run(c.name+" -h", func(t *testing.T) {
			for _, flagArg := range []string{"-h", "--help"} {
				r := dfq(t, "", c.name, flagArg)
				require.Equal(t, 0, r.code, r.stderr)
				require.Empty(t, r.stderr)
				require.True(t, strings.HasPrefix(r.stdout, "dfq "+c.name+": "), r.stdout)
				require.Contains(t, r.stdout, "Usage:\n  dfq "+c.name)
				require.Equal(t, r.stdout, ok(t, "", "help", c.name))
			}
		})
	}
	t.Run("help of an unknown command", func(t *testing.T) {
		r := dfq(t, "", "help", "nope")
		require.Equal(t, 2, r.code)
		require.Contains(t, r.stderr, `unknown command "nope"`)
	})
}

// TestFlagHelp checks that every flag a command defines is in its help.
func TestFlagHelp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		register func(fs *flag.FlagSet)
	}{
		{"query", func(fs *flag.FlagSet) {
			var q queryFlags
			q.register(fs)
			// The flags runQuery adds.
			fs.String("f", "", "")
			fs.String("format", "", "")
			fs.String("o", "", "")
			fs.Int("max-rows", 0, "")
		}},
		{"demo", func(fs *flag.FlagSet) {
			fs.Int64("rows", 0, "")
			fs.String("dir", "", "")
			fs.Int("workers", 0, "")
		}},
		{"explain", func(fs *flag.FlagSet) {
			var e explainFlags
			e.register(fs)
			fs.Bool("analyze", false, "")
			fs.String("f", "", "")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet(tc.name, flag.ContinueOnError)
			tc.register(fs)
			help := commandHelp(tc.name)
			n := 0
			fs.VisitAll(func(f *flag.Flag) {
				n++
				dash := "--"
				if len(f.Name) == 1 {
					dash = "-"
				}
				require.Contains(t, help, "\n  "+dash+f.Name+" ", "help of %s lacks %s%s", tc.name, dash, f.Name)
			})
			require.GreaterOrEqual(t, n, 3)
		})
	}
	t.Run("the flags runQuery defines", func(t *testing.T) {
		// Every flag in the help is accepted by the command.
		for _, args := range [][]string{
			{"query", "-f", "-", "--format", "csv", "-o", "", "--max-rows", "5", "--mode", "seq", "--workers", "1",
				"--memory-limit", "1GiB", "--timer", "--progress", "off"},
			{"explain", "--analyze", "-f", "-", "--mode", "seq", "--workers", "1", "--memory-limit", "1GiB", "--timer", "--progress", "off"},
		} {
			r := dfq(t, "SELECT 1 AS a", args...)
			require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		}
	})
}

func TestLooksLikeSQL(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want bool
	}{
		{"SELECT 1", true},
		{"  select * from 'x'", true},
		{"WITH t AS (SELECT 1) SELECT * FROM t", true},
		{"EXPLAIN SELECT 1", true},
		{"explain", true},
		{"describe 'x.parquet'", true},
		{"COPY (SELECT 1) TO 'x.csv'", true},
		{"(SELECT 1)", true},
		{"-- note\nSELECT 1", true},
		{"/* note */ SELECT 1", true},
		{"-- only a comment", false},
		{"selection", false},
		{"query", false},
		{"data.parquet", false},
		{"", false},
		{"--mode", false},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			require.Equal(t, tc.want, looksLikeSQL(tc.arg))
		})
	}
}
