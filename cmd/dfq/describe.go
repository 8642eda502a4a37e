package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/sink"
	"github.com/dfq/dfq/io/source"
)

// inspectFlags are the flags of describe and meta.
type inspectFlags struct {
	format string
}

func parseInspect(name string, args []string, stdout io.Writer) (inspectFlags, []string, error) {
	var f inspectFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&f.format, "format", sink.Table, "output format")
	pos, err := parseArgs(fs, name, args, stdout)
	if err != nil {
		return f, nil, err
	}
	f.format = strings.ToLower(f.format)
	if !slices.Contains([]string{sink.Table, sink.CSV, sink.TSV, sink.JSON, sink.JSONL, sink.Markdown}, f.format) {
		return f, nil, usagef("%s: --format %q: want table, csv, tsv, json, jsonl or markdown", name, f.format)
	}
	if len(pos) == 0 {
		return f, nil, usagef("%s: no file given", name)
	}
	files, err := expandFiles(pos)
	return f, files, err
}

// expandFiles expands glob patterns (in case the shell did not), keeping
// other names as given.
func expandFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if !strings.ContainsAny(a, "*?[") {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, usagef("bad pattern %q: %v", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("no files match %s", a)
		}
		out = append(out, m...)
	}
	return out, nil
}

// runDescribe prints each file's summary and columns.
func runDescribe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl, files, err := parseInspect("describe", args, stdout)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	for i, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := dataset.Info(path, dataset.Options{CSV: source.CSVOptions{Header: true}})
		if err != nil {
			return err
		}
		// The types a query sees (CSV inferred as queries infer it).
		f := engine.Scan(path)
		if err := f.Err(); err != nil {
			return err
		}
		schema := f.Schema()
		if fl.format == sink.Table {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s\n  %s\n", path, summary(s))
		}
		cols := newRows("column_name", "column_type", "null")
		for j, c := range s.Columns {
			typ := c.Type
			if j < schema.NumFields() {
				typ = engine.SQLType(schema.Field(j).Type)
			}
			null := "NO"
			if c.Nullable {
				null = "YES"
			}
			cols.add(c.Name, typ, null)
		}
		if err := cols.write(w, fl.format, stdout); err != nil {
			return err
		}
	}
	return nil
}

// summary is a file's one-line description.
func summary(s dataset.FileSummary) string {
	parts := []string{string(s.Format)}
	if s.Layout != "" {
		parts[0] += " " + s.Layout
	}
	if s.Rows >= 0 {
		parts = append(parts, fmt.Sprintf("%d row%s", s.Rows, plural(s.Rows)))
	}
	switch s.Format {
	case source.Parquet:
		parts = append(parts, fmt.Sprintf("%d row group%s", s.RowGroups, plural(int64(s.RowGroups))))
	case source.Arrow:
		if s.Batches == 1 {
			parts = append(parts, "1 record batch")
		} else if s.Batches >= 0 {
			parts = append(parts, fmt.Sprintf("%d record batches", s.Batches))
		}
	}
	parts = append(parts, fmt.Sprintf("%d column%s", len(s.Columns), plural(int64(len(s.Columns)))))
	parts = append(parts, formatBytes(s.Size))
	if s.Compression != "" {
		parts = append(parts, strings.ToLower(s.Compression))
	}
	if s.Parquet != nil && s.Parquet.CreatedBy != "" {
		parts = append(parts, "written by "+s.Parquet.CreatedBy)
	}
	return strings.Join(parts, " · ")
}

// runMeta prints a Parquet file's row groups and column chunks.
func runMeta(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl, files, err := parseInspect("meta", args, stdout)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	for i, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := dataset.Info(path, dataset.Options{})
		if err != nil {
			return err
		}
		if s.Parquet == nil {
			return fmt.Errorf("meta: %s is %s, not Parquet (dfq describe shows any file)", path, s.Format)
		}
		info := s.Parquet
		if fl.format == sink.Table {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s\n  %s\n", path, summary(s))
			for g, rg := range info.RowGroups {
				fmt.Fprintf(w, "  row group %d: %d row%s, %s compressed, %s uncompressed\n",
					g, rg.Rows, plural(rg.Rows), formatBytes(rg.CompressedBytes), formatBytes(rg.UncompressedBytes))
			}
		}
		t := newRows("row_group", "column", "type", "encodings", "compression", "compressed", "uncompressed", "values", "nulls", "min", "max")
		for g, rg := range info.RowGroups {
			for j, c := range rg.Columns {
				typ := c.Physical
				if j < len(info.Columns) && info.Columns[j].Logical != "" {
					typ += " " + info.Columns[j].Logical
				}
				var lo, hi any
				if c.HasStats {
					lo, hi = c.MinText, c.MaxText
				}
				t.add(int64(g), c.Column, typ, strings.Join(c.Encodings, ","), strings.ToLower(c.Compression),
					c.CompressedBytes, c.UncompressedBytes, c.Values, c.NullCount, lo, hi)
			}
		}
		if err := t.write(w, fl.format, stdout); err != nil {
			return err
		}
	}
	return nil
}

// rows is a small result built from Go values (string, int64 or nil for
// NULL), written through io/sink.
type rows struct {
	names []string
	vals  [][]any
}

func newRows(names ...string) *rows { return &rows{names: names} }

func (r *rows) add(vals ...any) { r.vals = append(r.vals, vals) }

// write renders the rows in format; every row is shown. tty is the
// standard output, whose terminal (if it is one) sizes the table.
func (r *rows) write(w io.Writer, format string, tty io.Writer) error {
	mem := memory.DefaultAllocator
	fields := make([]arrow.Field, len(r.names))
	for i, n := range r.names {
		fields[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
		for _, row := range r.vals {
			if _, ok := row[i].(int64); ok {
				fields[i].Type = arrow.PrimitiveTypes.Int64
				break
			}
		}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range r.vals {
		for i, v := range row {
			switch v := v.(type) {
			case nil:
				b.Field(i).AppendNull()
			case string:
				b.Field(i).(*array.StringBuilder).Append(v)
			case int64:
				b.Field(i).(*array.Int64Builder).Append(v)
			default:
				return fmt.Errorf("internal: value %T in a result", v)
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	so := sink.Options{MaxRows: -1}
	if isTerminal(tty) {
		so.Width, so.Color = termWidth(tty), useColor(tty)
	}
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
