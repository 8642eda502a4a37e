package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/proc"
	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/engine/sql"
	"github.com/dfq/dfq/io/sink"
)

// newAllocator returns the allocator queries draw Arrow memory from (under
// the --memory-limit budget). Tests replace it with a checked allocator.
var newAllocator = func() memory.Allocator { return recycle.Default }

// workerCommand returns the command that starts a worker process for --mode
// procs: this executable with the "worker" argument. Tests replace it with
// the test binary, whose TestMain serves as a worker.
var workerCommand = func() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("procs mode: finding this program to start workers: %w", err)
	}
	return []string{exe, "worker"}, nil
}

// session runs statements with the execution flags and reports on stderr.
type session struct {
	flags  execFlags
	stderr io.Writer
	bar    bool // show a progress bar
}

func newSession(f execFlags, stderr io.Writer) *session {
	bar := f.progress == "on" || f.progress == "auto" && isTerminal(stderr)
	return &session{flags: f, stderr: stderr, bar: bar}
}

// run runs fn with engine options for one statement: a memory budget, a
// worker pool for procs (closed before run returns, so that the workers'
// peak memory is known), a progress bar stopped before fn's output is
// written (fn calls done once the engine has finished), and a timer line.
// A memory limit hit on this goroutine is returned as an error.
func (s *session) run(ctx context.Context, fn func(o engine.Options, done func()) (*report, error)) (err error) {
	mem := newBudget(newAllocator(), s.flags.memLimit.bytes)
	o := engine.Options{Mode: engine.Mode(s.flags.mode), Workers: s.flags.workers, Mem: mem}
	start := time.Now()
	var rep *report
	err = func() (err error) {
		if o.Mode == engine.Procs {
			cmd, err := workerCommand()
			if err != nil {
				return err
			}
			pool, err := proc.NewPool(proc.Options{Workers: o.Workers, Command: cmd, Mem: mem, Log: s.stderr})
			if err != nil {
				return err
			}
			defer pool.Close()
			o.Pool = pool
		}
		var bar *progress
		stopBar := func() {
			if bar != nil {
				bar.Stop()
				bar = nil
			}
		}
		if s.bar {
			bar = startProgress(s.stderr)
			o.Progress = bar.Update
		}
		defer stopBar()
		defer func() {
			if r := recover(); r != nil {
				lim, ok := r.(*memLimitError)
				if !ok {
					panic(r)
				}
				err = lim
			}
		}()
		rep, err = fn(o, stopBar)
		return err
	}()
	if err != nil {
		if lim := mem.Refused(); lim != nil {
			// However the engine reported it, the limit is the cause.
			return lim
		}
		return err
	}
	if s.flags.timer && rep != nil {
		rep.elapsed = time.Since(start)
		rep.arrowPeak = mem.Peak()
		fmt.Fprintln(s.stderr, rep.String())
	}
	return nil
}

// report is what --timer prints for a statement.
type report struct {
	elapsed   time.Duration
	rows      int64 // -1: not a row result
	stats     *exec.Stats
	arrowPeak int64
}

func (r *report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run Time: %.3f s", r.elapsed.Seconds())
	if r.rows >= 0 {
		fmt.Fprintf(&b, " · %d row%s", r.rows, plural(r.rows))
	}
	if st := r.stats; st != nil && st.Splits > 0 {
		fmt.Fprintf(&b, " · %s read", formatBytes(st.Scan.BytesRead))
		if st.Scan.RowGroups > 0 {
			fmt.Fprintf(&b, " · row groups: %d read, %d pruned", st.Scan.RowGroups-st.Scan.RowGroupsPruned, st.Scan.RowGroupsPruned)
		}
	}
	fmt.Fprintf(&b, " · peak memory: Arrow %s", formatBytes(r.arrowPeak))
	if self, children, ok := peakRSS(); ok {
		fmt.Fprintf(&b, ", RSS %s", formatBytes(self))
		if children > 0 {
			fmt.Fprintf(&b, ", largest worker RSS %s", formatBytes(children))
		}
	}
	return b.String()
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// queryFlags are the flags of dfq query.
type queryFlags struct {
	execFlags
	file    string
	format  string
	out     string
	maxRows int
}

func runQuery(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var q queryFlags
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	q.register(fs)
	fs.StringVar(&q.file, "f", "", "read the SQL from this file ('-': standard input)")
	fs.StringVar(&q.format, "format", "auto", "output format")
	fs.StringVar(&q.out, "o", "", "write the result to this file")
	fs.IntVar(&q.maxRows, "max-rows", sink.DefaultMaxRows, "rows the table shows (-1: all)")
	pos, err := parseArgs(fs, "query", args, stdout)
	if err != nil {
		return err
	}
	if err := q.check(); err != nil {
		return err
	}
	if q.maxRows == 0 || q.maxRows < -1 {
		return usagef("--max-rows %d: want a positive number, or -1 for all rows", q.maxRows)
	}
	format, err := outputFormat(q.format, q.out, stdout)
	if err != nil {
		return err
	}
	src, err := readSQL("query", pos, q.file, stdin)
	if err != nil {
		return err
	}
	stmts, err := splitScript(src)
	if err != nil {
		return err
	}
	if q.out != "" && binaryFormat(format) && len(stmts) > 1 {
		return usagef("-o %s: a %s file holds one result, but the script has %d statements", q.out, format, len(stmts))
	}
	out, err := openOutput(q.out, stdout)
	if err != nil {
		return err
	}
	defer out.abort()
	so := sink.Options{MaxRows: q.maxRows}
	if q.out == "" && format == sink.Table {
		so.Width = termWidth(stdout)
		so.Color = useColor(stdout)
	}
	s := newSession(q.execFlags, stderr)
	for _, text := range stmts {
		err := s.run(ctx, func(o engine.Options, done func()) (*report, error) {
			res, err := engine.Exec(ctx, text, engine.QueryOptions{}, o)
			done()
			if err != nil {
				return nil, err
			}
			defer res.Close()
			so.Mem = o.Mem
			rep, err := writeResult(ctx, res, format, out.w, so, stderr)
			if err != nil {
				return nil, err
			}
			// Flushed before the timer line, so the two do not interleave.
			if err := out.w.Flush(); err != nil {
				return nil, fmt.Errorf("writing the result: %w", err)
			}
			return rep, nil
		})
		if err != nil {
			return err
		}
	}
	return out.commit()
}

// writeResult writes one statement's result and says what it did.
func writeResult(ctx context.Context, res *engine.Result, format string, w io.Writer, so sink.Options, stderr io.Writer) (*report, error) {
	switch res.Kind {
	case engine.ResultRows:
		n, err := writeRows(ctx, res.Rows, format, w, so)
		return &report{rows: n, stats: res.Rows.Stats()}, err
	case engine.ResultText:
		if !textFormat(format) {
			return &report{rows: -1}, writeLines(res.Text, format, w, so)
		}
		_, err := io.WriteString(w, strings.TrimRight(res.Text, "\n")+"\n")
		return &report{rows: -1}, err
	case engine.ResultCopy:
		fmt.Fprintf(stderr, "Wrote %d row%s to %s\n", res.Copied, plural(res.Copied), res.Path)
		return &report{rows: res.Copied}, nil
	}
	return nil, fmt.Errorf("unexpected result kind %q", res.Kind)
}

// writeRows streams rows into a writer of format and returns their count.
func writeRows(ctx context.Context, rows *engine.Rows, format string, w io.Writer, so sink.Options) (int64, error) {
	sw, err := sink.NewWriter(format, w, rows.Schema(), so)
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		rec, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			sw.Close()
			return n, err
		}
		n += rec.NumRows()
		err = sw.Write(rec)
		rec.Release()
		if err != nil {
			sw.Close()
			return n, err
		}
	}
	return n, sw.Close()
}

// writeLines writes text (an EXPLAIN plan) as a one-column result "plan",
// a row per line, for the formats that are not plain text.
func writeLines(text, format string, w io.Writer, so sink.Options) error {
	b := array.NewStringBuilder(so.Mem)
	defer b.Release()
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.Append(l)
	}
	col := b.NewArray()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "plan", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecord(schema, []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	sw, err := sink.NewWriter(format, w, schema, so)
	if err != nil {
		return err
	}
	if err := sw.Write(rec); err != nil {
		sw.Close()
		return err
	}
	return sw.Close()
}

// textFormat reports formats in which an EXPLAIN plan is printed as is.
func textFormat(f string) bool {
	return f == sink.Table || f == sink.CSV || f == sink.TSV || f == sink.Markdown
}

func binaryFormat(f string) bool { return f == sink.Parquet || f == sink.Arrow || f == sink.Arrows }

// outputFormat resolves --format: auto is the extension of -o, else a table
// on a terminal and CSV otherwise.
func outputFormat(flagFormat, out string, stdout io.Writer) (string, error) {
	f := strings.ToLower(flagFormat)
	if f == "auto" || f == "" {
		if out != "" {
			ff, ok := sink.FormatFromPath(out)
			if !ok {
				return "", usagef("-o %s: cannot tell the format from the extension; give --format (%s)", out, strings.Join(sink.Formats, ", "))
			}
			return ff, nil
		}
		if isTerminal(stdout) {
			return sink.Table, nil
		}
		return sink.CSV, nil
	}
	if !slices.Contains(sink.Formats, f) {
		return "", usagef("--format %q: want auto or one of %s", flagFormat, strings.Join(sink.Formats, ", "))
	}
	if out == "" && binaryFormat(f) && isTerminal(stdout) {
		return "", usagef("--format %s writes binary data: redirect standard output or use -o FILE", f)
	}
	return f, nil
}

// output is where results go: stdout, or a temporary file renamed to the
// -o path once every statement has succeeded.
type output struct {
	w    *bufio.Writer
	file *os.File
	path string
	done bool
}

func openOutput(path string, stdout io.Writer) (*output, error) {
	if path == "" {
		return &output{w: bufio.NewWriterSize(stdout, 64<<10)}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("-o %s: %w", path, err)
	}
	return &output{w: bufio.NewWriterSize(f, 64<<10), file: f, path: path}, nil
}

// commit flushes the output and moves a file into place.
func (o *output) commit() error {
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	if o.file == nil {
		o.done = true
		return nil
	}
	if err := o.file.Close(); err != nil {
		return fmt.Errorf("-o %s: %w", o.path, err)
	}
	if err := os.Rename(o.file.Name(), o.path); err != nil {
		return fmt.Errorf("-o %s: %w", o.path, err)
	}
	o.done = true
	return nil
}

// abort removes the temporary file unless commit succeeded; what was
// written to stdout stays written.
func (o *output) abort() {
	if o.done {
		return
	}
	if o.file == nil {
		o.w.Flush()
		return
	}
	o.file.Close()
	os.Remove(o.file.Name())
}

// explainFlags are the flags of dfq explain.
type explainFlags struct {
	execFlags
	analyze bool
	file    string
}

func runExplain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var e explainFlags
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	e.register(fs)
	fs.BoolVar(&e.analyze, "analyze", false, "run the query and report what each stage did")
	fs.StringVar(&e.file, "f", "", "read the SQL from this file")
	pos, err := parseArgs(fs, "explain", args, stdout)
	if err != nil {
		return err
	}
	if err := e.check(); err != nil {
		return err
	}
	src, err := readSQL("explain", pos, e.file, stdin)
	if err != nil {
		return err
	}
	stmts, err := splitScript(src)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		return usagef("explain: want one query, got %d statements", len(stmts))
	}
	text := stmts[0]
	st, err := sql.Parse(text)
	if err != nil {
		return err
	}
	prefix := ""
	switch st.(type) {
	case *sql.Explain:
	case *sql.Select:
		prefix = "EXPLAIN "
		if e.analyze {
			prefix = "EXPLAIN ANALYZE "
		}
	default:
		return usagef("explain: want a SELECT query")
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	s := newSession(e.execFlags, stderr)
	return s.run(ctx, func(o engine.Options, done func()) (*report, error) {
		res, err := engine.Exec(ctx, prefix+text, engine.QueryOptions{}, o)
		done()
		if err != nil {
			return nil, unprefix(err, prefix)
		}
		defer res.Close()
		if res.Kind != engine.ResultText {
			return nil, fmt.Errorf("explain: unexpected %s result", res.Kind)
		}
		if _, err := io.WriteString(w, strings.TrimRight(res.Text, "\n")+"\n"); err != nil {
			return nil, err
		}
		return &report{rows: -1}, w.Flush()
	})
}

// unprefix makes a query error's position refer to the query as the user
// wrote it, without the EXPLAIN prefix dfq added.
func unprefix(err error, prefix string) error {
	var se *sql.Error
	if prefix == "" || !errors.As(err, &se) || !strings.HasPrefix(se.SQL, prefix) {
		return err
	}
	se.SQL = se.SQL[len(prefix):]
	if se.Pos >= 0 {
		se.Pos = max(se.Pos-len(prefix), 0)
	}
	return err
}
