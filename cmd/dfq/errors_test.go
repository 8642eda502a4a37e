package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// TestBadInput checks that mistakes give a clear message on stderr and the
// right exit code, with nothing on stdout and no panic.
func TestBadInput(t *testing.T) {
	pq, _ := writeFixture(t)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.parquet")
	b, err := os.ReadFile(pq)
	require.NoError(t, err)
	// Keep both magics, break the footer in between.
	for i := len(b) - 200; i < len(b)-8; i++ {
		b[i] ^= 0x5a
	}
	require.NoError(t, os.WriteFile(corrupt, b, 0o644))
	truncated := filepath.Join(dir, "truncated.parquet")
	require.NoError(t, os.WriteFile(truncated, b[:len(b)/2], 0o644))
	sqlFile := filepath.Join(dir, "bad.sql")
	require.NoError(t, os.WriteFile(sqlFile, []byte("SELECT 1;\nSELECT id, nope\n  FROM '"+pq+"';\n"), 0o644))

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string // substrings of stderr, in order
	}{
		{"syntax error with caret", "", []string{"SELECT id FROM '" + pq + "' WHERE"}, 1,
			[]string{"line 1, column", "expected", "  SELECT id FROM", "\n  ", "^"}},
		{"misspelt keyword", "", []string{"SELECT id FORM 'x.parquet'"}, 1,
			[]string{"line 1, column 11: unexpected FORM", "  SELECT id FORM", "            ^", "hint: did you mean FROM?"}},
		{"unknown column", "", []string{"SELECT xyzzy FROM '" + pq + "'"}, 1,
			[]string{"line 1, column 8: unknown column xyzzy", "         ^", "hint: columns: id, name"}},
		{"unknown column with suggestion", "", []string{"SELECT nmae FROM '" + pq + "'"}, 1,
			[]string{"unknown column nmae", "did you mean name?"}},
		{"unknown function", "", []string{"SELECT frobnicate(id) FROM '" + pq + "'"}, 1,
			[]string{"line 1, column 8", "frobnicate", "^"}},
		{"misspelt aggregate", "", []string{"SELECT sun(id) FROM '" + pq + "'"}, 1,
			[]string{"line 1, column 8: unknown function", "sun", "^", "hint: "}},
		{"sum of strings", "", []string{"SELECT sum(name) FROM '" + pq + "'"}, 1,
			[]string{"line 1, column 12", "sum needs a numeric argument", "^"}},
		{"missing file", "", []string{"SELECT * FROM 'no/such/file.parquet'"}, 1,
			[]string{"no/such/file.parquet", "no such file"}},
		{"corrupt file", "", []string{"SELECT * FROM '" + corrupt + "'"}, 1,
			[]string{"corrupt.parquet"}},
		{"truncated file", "", []string{"SELECT count(*) FROM '" + truncated + "'"}, 1,
			[]string{"truncated.parquet", "PAR1"}},
		{"missing SQL file", "", []string{"query", "-f", filepath.Join(dir, "none.sql")}, 1,
			[]string{"reading SQL", "none.sql"}},
		{"unknown flag", "", []string{"query", "--bogus", "SELECT 1"}, 2,
			[]string{"query: flag provided but not defined: -bogus", "dfq help"}},
		{"bad flag value", "", []string{"query", "--workers", "many", "SELECT 1"}, 2,
			[]string{"invalid value \"many\" for flag -workers"}},
		{"bad mode", "", []string{"query", "--mode", "gpu", "SELECT 1"}, 2,
			[]string{`--mode "gpu": want seq, threads or procs`}},
		{"bad format", "", []string{"--format", "xml", "SELECT 1"}, 2,
			[]string{`--format "xml"`}},
		{"bad memory limit", "", []string{"--memory-limit", "lots", "SELECT 1"}, 2,
			[]string{`invalid size "lots"`}},
		{"unknown -o extension", "", []string{"-o", filepath.Join(dir, "out.xyz"), "SELECT 1"}, 2,
			[]string{"cannot tell the format"}},
		{"binary output of several statements", "", []string{"-o", filepath.Join(dir, "two.parquet"), "SELECT 1; SELECT 2"}, 2,
			[]string{"holds one result"}},
		{"no SQL", "", []string{"query"}, 2, []string{"no SQL given"}},
		{"blank SQL on stdin", "  \n", []string{"query", "-"}, 2, []string{"no SQL given"}},
		{"SQL twice", "", []string{"query", "-f", sqlFile, "SELECT 1"}, 2, []string{"not both"}},
		{"no command", "", nil, 2, []string{"no command given"}},
		{"unknown command", "", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"misspelt command", "", []string{"descibe"}, 2, []string{"did you mean describe?"}},
		{"describe without files", "", []string{"describe"}, 2, []string{"describe: no file given"}},
		{"describe a missing file", "", []string{"describe", filepath.Join(dir, "none.parquet")}, 1, []string{"none.parquet"}},
		{"meta of a CSV file", "", []string{"meta", filepath.Join(dir, "bad.sql")}, 1, []string{"bad.sql"}},
		{"explain of two statements", "", []string{"explain", "SELECT 1; SELECT 2"}, 2, []string{"want one query"}},
		{"explain error points into the query", "", []string{"explain", "SELECT nope FROM '" + pq + "'"}, 1,
			[]string{"line 1, column 8: unknown column nope", "  SELECT nope FROM", "         ^"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := dfq(t, tc.stdin, tc.args...)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			require.Empty(t, r.stdout)
			require.True(t, strings.HasPrefix(r.stderr, "dfq: "), r.stderr)
			rest := r.stderr
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				require.GreaterOrEqual(t, i, 0, "stderr lacks %q (in order):\n%s", w, r.stderr)
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestScriptError checks that statements before a failing one have run and
// that the error points at the line and column of the script.
func TestScriptError(t *testing.T) {
	pq, _ := writeFixture(t)
	sqlFile := filepath.Join(t.TempDir(), "bad.sql")
	require.NoError(t, os.WriteFile(sqlFile, []byte("SELECT 1 AS one;\nSELECT id, nope\n  FROM '"+pq+"';\n"), 0o644))
	r := dfq(t, "", "-f", sqlFile)
	require.Equal(t, 1, r.code)
	require.Equal(t, "one\n1\n", r.stdout)
	require.True(t, strings.HasPrefix(r.stderr, "dfq: line 2, column 12: unknown column nope\n  SELECT id, nope\n             ^\n"), r.stderr)
}

// TestMemoryLimit checks that a query that needs more Arrow memory than
// --memory-limit fails with the limit's error on every executor, and that a
// generous limit changes nothing.
func TestMemoryLimit(t *testing.T) {
	path := h2oData(t)
	query := "SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM '" + path + "' GROUP BY id3 ORDER BY v1 DESC LIMIT 3"
	want := ok(t, "", query)
	for _, mode := range []string{"seq", "threads", "procs"} {
		// 64 KiB fails at the first column read; 2 MiB later, in the
		// aggregation into N groups or (procs) in the merge.
		for _, tc := range []struct{ limit, query string }{
			{"64KiB", query},
			{"2MiB", "SELECT id2, id3, id6, sum(v3) AS v3 FROM '" + path + "' GROUP BY id2, id3, id6 ORDER BY v3 DESC LIMIT 3"},
		} {
			limit := tc.limit
			t.Run(mode+"/too small/"+limit, func(t *testing.T) {
				// Buffers of a query stopped by a panic are left to the
				// garbage collector, so this run's allocator is not checked.
				r := dfqWith(t, memory.NewGoAllocator(), "", "--mode", mode, "--workers", "2", "--memory-limit", limit, tc.query)
				require.Equal(t, 1, r.code, r.stderr)
				n, _ := parseSize(limit)
				require.Contains(t, r.stderr, "dfq: memory limit "+formatBytes(n)+" exceeded (allocating ")
				require.Contains(t, r.stderr, "raise --memory-limit")
				require.Empty(t, r.stdout)
			})
		}
		t.Run(mode+"/large enough", func(t *testing.T) {
			require.Equal(t, want, ok(t, "", "--mode", mode, "--workers", "2", "--memory-limit", "4GiB", query))
		})
	}
}

// TestInterrupt checks that a cancelled context stops a query on every
// executor promptly, with exit status 130 and no leaked workers.
func TestInterrupt(t *testing.T) {
	path := h2oData(t)
	// q10: a million groups, which takes over a second.
	query := "SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS n FROM '" + path +
		"' GROUP BY id1, id2, id3, id4, id5, id6"
	for _, mode := range []string{"seq", "threads", "procs"} {
		for _, after := range []time.Duration{0, 30 * time.Millisecond} {
			t.Run(mode+"/after "+after.String(), func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				if after == 0 {
					cancel()
				} else {
					time.AfterFunc(after, cancel)
				}
				defer cancel()
				var out, errb strings.Builder
				start := time.Now()
				err := run(ctx, []string{"--mode", mode, "--workers", "2", query}, strings.NewReader(""), &out, &errb)
				require.Less(t, time.Since(start), 10*time.Second)
				require.Error(t, err)
				require.Equal(t, 130, exitCode(err, &errb))
				require.Contains(t, errb.String(), "dfq: interrupted")
			})
		}
	}
}

// TestInternalError checks that a panic in dfq is an internal error with
// exit status 1 and no stack trace.
func TestInternalError(t *testing.T) {
	prev := workerCommand
	workerCommand = func() ([]string, error) { panic("boom") }
	defer func() { workerCommand = prev }()
	r := dfq(t, "", "--mode", "procs", "SELECT 1")
	require.Equal(t, 1, r.code)
	require.Equal(t, "dfq: internal error: boom (please report this bug)\n", r.stderr)
}

// TestNoSQLOnATerminal checks that dfq query does not wait for SQL typed on
// a terminal: it says that none was given.
func TestNoSQLOnATerminal(t *testing.T) {
	prev := isTerminal
	isTerminal = func(any) bool { return true }
	defer func() { isTerminal = prev }()
	r := dfq(t, "SELECT 1", "query")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "no SQL given")
}
