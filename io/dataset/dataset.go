package dataset

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/io/arrowipc"
	"github.com/dfq/dfq/io/csv"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/source"
)

// DefaultTargetSplitBytes is the split size used when
// Options.TargetSplitBytes is 0.
const DefaultTargetSplitBytes = 32 << 20

// Options controls how a dataset is opened.
type Options struct {
	// Format of every file; "" detects it from extensions or magic bytes.
	Format source.Format
	// CSV options for CSV input (see csv.Infer); Delim defaults to a tab when
	// every file ends in .tsv.
	CSV source.CSVOptions
	// TargetSplitBytes is the approximate size of a split.
	TargetSplitBytes int64
}

// Dataset is a resolved input: its files, their one schema, and the splits
// that cover them (Index 0..n-1, in file order).
type Dataset struct {
	Format source.Format
	Files  []string
	Schema *arrow.Schema
	Splits []source.Split
	Rows   int64 // -1 when unknown (CSV, Arrow streams)
	Bytes  int64 // total size of the files
}

// Open resolves paths (files, globs, directories; see the package doc),
// checks that all files share one format and schema, and plans their splits.
func Open(paths []string, opts Options) (*Dataset, error) {
	files, err := expand(paths)
	if err != nil {
		return nil, err
	}
	format := opts.Format
	if format == "" {
		if format, err = detectAll(files); err != nil {
			return nil, err
		}
	}
	target := opts.TargetSplitBytes
	if target <= 0 {
		target = DefaultTargetSplitBytes
	}
	d := &Dataset{Format: format, Files: files}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		d.Bytes += st.Size()
	}
	switch format {
	case source.Parquet:
		err = d.planParquet(target)
	case source.Arrow:
		err = d.planArrow(target)
	case source.CSV:
		err = d.planCSV(opts.CSV, target)
	default:
		err = fmt.Errorf("dataset: format %q: %w", format, source.ErrFormat)
	}
	if err != nil {
		return nil, err
	}
	for i := range d.Splits {
		d.Splits[i].Index = i
	}
	return d, nil
}

func (d *Dataset) planParquet(target int64) error {
	schemas := make([]*arrow.Schema, len(d.Files))
	for i, f := range d.Files {
		info, err := parquet.Inspect(f)
		if err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		schemas[i] = info.Schema
		d.Rows += info.Rows
		d.Splits = append(d.Splits, parquet.PlanSplits(f, info, target)...)
	}
	return d.unify(schemas)
}

func (d *Dataset) planArrow(target int64) error {
	schemas := make([]*arrow.Schema, len(d.Files))
	for i, f := range d.Files {
		info, err := arrowipc.Inspect(f)
		if err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		schemas[i] = info.Schema
		if info.Rows < 0 || d.Rows < 0 {
			d.Rows = -1
		} else {
			d.Rows += info.Rows
		}
		d.Splits = append(d.Splits, arrowipc.PlanSplits(f, info, target)...)
	}
	return d.unify(schemas)
}

func (d *Dataset) planCSV(opts source.CSVOptions, target int64) error {
	if opts.Delim == "" && allExt(d.Files, ".tsv") {
		opts.Delim = "\t"
	}
	schema, planned, err := csv.Infer(d.Files, opts)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	d.Schema = schema
	d.Rows = -1
	for _, f := range d.Files {
		splits, err := csv.PlanSplits(f, planned, target)
		if err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		d.Splits = append(d.Splits, splits...)
	}
	return nil
}

func allExt(files []string, ext string) bool {
	for _, f := range files {
		if !strings.EqualFold(filepath.Ext(f), ext) {
			return false
		}
	}
	return true
}

// unify checks that every schema matches the first (names and types, in
// order) and sets d.Schema; a column is nullable when it is in any file.
func (d *Dataset) unify(schemas []*arrow.Schema) error {
	first := schemas[0]
	fields := append([]arrow.Field(nil), first.Fields()...)
	for i, s := range schemas[1:] {
		path := d.Files[i+1]
		if s.NumFields() != first.NumFields() {
			return fmt.Errorf("dataset: %w: %s has %d columns, the first file %s has %d",
				source.ErrSchemaMismatch, path, s.NumFields(), d.Files[0], first.NumFields())
		}
		for k, f := range s.Fields() {
			g := fields[k]
			if f.Name != g.Name || !arrow.TypeEqual(f.Type, g.Type) {
				return fmt.Errorf("dataset: %w: %s: column %d is %q %s, the first file %s has %q %s",
					source.ErrSchemaMismatch, path, k+1, f.Name, f.Type, d.Files[0], g.Name, g.Type)
			}
			fields[k].Nullable = g.Nullable || f.Nullable
		}
	}
	d.Schema = arrow.NewSchema(fields, nil)
	return nil
}

// OpenSplit opens a reader over split with the reader of its format.
func OpenSplit(ctx context.Context, split source.Split, opts source.ReadOptions) (source.Reader, error) {
	switch split.Format {
	case source.Parquet:
		return parquet.Open(ctx, split, opts)
	case source.Arrow:
		return arrowipc.Open(ctx, split, opts)
	case source.CSV:
		return csv.Open(ctx, split, opts)
	}
	return nil, fmt.Errorf("dataset: split %d of %s: format %q: %w", split.Index, split.Path, split.Format, source.ErrFormat)
}

// formatByExt maps a file name's extension to its format.
func formatByExt(path string) (source.Format, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet", ".parq", ".pq":
		return source.Parquet, true
	case ".arrow", ".feather", ".ipc", ".arrows":
		return source.Arrow, true
	case ".csv", ".tsv", ".txt":
		return source.CSV, true
	}
	return "", false
}

// Detect returns the format of the file at path, from its extension or else
// its first bytes.
func Detect(path string) (source.Format, error) {
	if f, ok := formatByExt(path); ok {
		return f, nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	defer fh.Close()
	var head [8]byte
	n, err := io.ReadFull(fh, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("dataset: %s: %w", path, err)
	}
	b := head[:n]
	switch {
	case bytes.HasPrefix(b, []byte("PAR1")):
		return source.Parquet, nil
	case bytes.HasPrefix(b, []byte("ARROW1")):
		return source.Arrow, nil
	case n >= 4 && binary.LittleEndian.Uint32(b) == 0xFFFFFFFF:
		return source.Arrow, nil
	}
	return "", fmt.Errorf("dataset: %s: cannot tell the format from the name or the first bytes (give the format explicitly): %w", path, source.ErrFormat)
}

func detectAll(files []string) (source.Format, error) {
	var format source.Format
	for i, f := range files {
		ff, err := Detect(f)
		if err != nil {
			return "", err
		}
		if i == 0 {
			format = ff
		} else if ff != format {
			return "", fmt.Errorf("dataset: mixed formats: %s is %s, %s is %s", files[0], format, f, ff)
		}
	}
	return format, nil
}
