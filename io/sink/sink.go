package sink

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Writer writes a query result in one format.
//
// Write may be called any number of times (also with zero-row records); the
// caller keeps ownership of rec, which the writer neither retains nor releases
// after Write returns. Every record must match the writer's schema, except that
// a utf8 column may arrive as a dictionary array (integer indices, utf8
// values). Close flushes buffered output (and for the table format renders the
// whole table); it does not close the underlying io.Writer. Write after Close
// is an error; a second Close returns nil. A Writer is used by one goroutine at
// a time.
type Writer interface {
	Write(rec arrow.Record) error
	Close() error
}

// The output formats.
const (
	Table    = "table"
	CSV      = "csv"
	TSV      = "tsv"
	JSON     = "json"
	JSONL    = "jsonl"
	Markdown = "markdown"
	Parquet  = "parquet"
	Arrow    = "arrow"  // Arrow IPC file
	Arrows   = "arrows" // Arrow IPC stream
)

// Formats lists the output formats NewWriter accepts.
var Formats = []string{Table, CSV, TSV, JSON, JSONL, Markdown, Parquet, Arrow, Arrows}

// DefaultMaxRows is the number of rows the table format shows when
// Options.MaxRows is 0.
const DefaultMaxRows = 40

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("sink: writer is closed")

// Options tune the writers; the zero value gives the defaults.
type Options struct {
	// MaxRows is the number of rows the table format shows: 0 means
	// DefaultMaxRows and a negative value all rows. When a result has more
	// rows, the table shows the first half and the last half of MaxRows with
	// a ⋮ row between them.
	MaxRows int
	// NoHeader omits the header row of csv and tsv (written by default).
	NoHeader bool
	// TotalRows, when larger than the number of rows written, is the size of
	// the whole result of which the caller wrote only a prefix: the table
	// format then shows the first rows written and reports TotalRows in its
	// footer. Other formats ignore it.
	TotalRows int64
	// Color makes the table format use ANSI styles (bold names, dim types
	// and NULLs). Off by default.
	Color bool
	// Width is the terminal width for the table format; when > 0, wide
	// columns are truncated with … (and, if still too wide, middle columns
	// are hidden) so that every line fits. 0 means no limit.
	Width int
	// Compression is the Parquet compression codec passed to io/parquet
	// (for example "snappy", "zstd", "gzip", "none"); "" is its default.
	Compression string
	// Mem allocates what the arrow and arrows formats build: plain utf8
	// columns unpacked from dictionary columns and IPC buffers; nil means
	// memory.DefaultAllocator.
	Mem memory.Allocator
}

// NewWriter returns a Writer of format (one of Formats) writing to w. schema is
// the logical schema of the result: the output schema, with dictionary<utf8>
// fields written as plain utf8. Text formats accept only the types FormatValue
// supports; the arrow formats accept any type.
func NewWriter(format string, w io.Writer, schema *arrow.Schema, o Options) (Writer, error) {
	if w == nil {
		return nil, fmt.Errorf("sink: %s: nil io.Writer", format)
	}
	if schema == nil {
		return nil, fmt.Errorf("sink: %s: nil schema", format)
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	out := logicalSchema(schema)
	switch format {
	case Table, CSV, TSV, JSON, JSONL, Markdown:
		for i, f := range out.Fields() {
			if _, ok := supported(f.Type); !ok {
				return nil, fmt.Errorf("sink: %s: column %d %q: unsupported type %s", format, i, f.Name, f.Type)
			}
		}
	}
	switch format {
	case Table:
		return newTableWriter(w, out, o), nil
	case CSV:
		return newTextWriter(w, out, ',', !o.NoHeader), nil
	case TSV:
		return newTextWriter(w, out, '\t', !o.NoHeader), nil
	case JSON:
		return newJSONWriter(w, out, false), nil
	case JSONL:
		return newJSONWriter(w, out, true), nil
	case Markdown:
		return newMarkdownWriter(w, out), nil
	case Parquet:
		return newParquetWriter(w, out, o)
	case Arrow:
		return newArrowWriter(w, out, o, true)
	case Arrows:
		return newArrowWriter(w, out, o, false)
	}
	return nil, fmt.Errorf("sink: unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// FormatFromPath returns the format a file name's extension implies: .csv,
// .tsv, .json, .jsonl/.ndjson, .md, .parquet, .arrow/.feather/.ipc (Arrow IPC
// file) and .arrows (Arrow IPC stream), case-insensitively. ok is false for
// any other extension.
func FormatFromPath(path string) (format string, ok bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, true
	case ".tsv":
		return TSV, true
	case ".json":
		return JSON, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	case ".md":
		return Markdown, true
	case ".parquet":
		return Parquet, true
	case ".arrow", ".feather", ".ipc":
		return Arrow, true
	case ".arrows":
		return Arrows, true
	}
	return "", false
}

// logicalSchema returns s with every dictionary<utf8> field turned into utf8.
func logicalSchema(s *arrow.Schema) *arrow.Schema {
	var fields []arrow.Field
	for i, f := range s.Fields() {
		if d, ok := f.Type.(*arrow.DictionaryType); ok && d.ValueType.ID() == arrow.STRING {
			if fields == nil {
				fields = s.Fields()
			}
			fields[i].Type = arrow.BinaryTypes.String
		}
	}
	if fields == nil {
		return s
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

// check verifies that rec's columns match the logical schema out: each column
// has the field's type, or is a dictionary with utf8 values for a utf8 field.
func check(format string, out *arrow.Schema, rec arrow.Record) error {
	if rec == nil {
		return fmt.Errorf("sink: %s: nil record", format)
	}
	if int(rec.NumCols()) != out.NumFields() {
		return fmt.Errorf("sink: %s: record has %d columns, schema has %d", format, rec.NumCols(), out.NumFields())
	}
	for i, f := range out.Fields() {
		col := rec.Column(i)
		if col.Len() != int(rec.NumRows()) {
			return fmt.Errorf("sink: %s: column %d %q: %d values in a record of %d rows", format, i, f.Name, col.Len(), rec.NumRows())
		}
		dt := col.DataType()
		if arrow.TypeEqual(dt, f.Type) {
			continue
		}
		if d, ok := dt.(*arrow.DictionaryType); ok && f.Type.ID() == arrow.STRING && d.ValueType.ID() == arrow.STRING {
			continue
		}
		return fmt.Errorf("sink: %s: column %d %q: record has type %s, schema says %s", format, i, f.Name, dt, f.Type)
	}
	return nil
}
