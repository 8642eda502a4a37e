package dataset

import (
	"fmt"
	"os"

	"github.com/dfq/dfq/io/arrowipc"
	"github.com/dfq/dfq/io/csv"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/source"
)

// FileSummary describes one input file, for DESCRIBE-style output.
type FileSummary struct {
	Path    string
	Format  source.Format
	Size    int64 // bytes
	Rows    int64 // -1 when unknown (CSV, Arrow streams)
	Columns []ColumnSummary
	// RowGroups is the number of Parquet row groups; Batches the number of
	// Arrow record batches (-1 for a stream). Each is 0 for other formats.
	RowGroups int
	Batches   int
	// Layout details: "stream" or "file" for Arrow, and the compression of
	// Arrow bodies or Parquet column chunks ("" when not applicable).
	Layout      string
	Compression string
	// The format's own inspection result, for callers that want more.
	Parquet *parquet.FileInfo
	Arrow   *arrowipc.FileInfo
}

// ColumnSummary is one column of a FileSummary.
type ColumnSummary struct {
	Name     string
	Type     string // Arrow type name of the logical type
	Nullable bool
}

// Info describes the file at path; opts gives its format (or "" to detect)
// and, for CSV, how to parse it (its types are inferred as by Open).
func Info(path string, opts Options) (FileSummary, error) {
	format := opts.Format
	if format == "" {
		var err error
		if format, err = Detect(path); err != nil {
			return FileSummary{}, err
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return FileSummary{}, fmt.Errorf("dataset: %w", err)
	}
	s := FileSummary{Path: path, Format: format, Size: st.Size(), Rows: -1}
	switch format {
	case source.Parquet:
		info, err := parquet.Inspect(path)
		if err != nil {
			return FileSummary{}, fmt.Errorf("dataset: %w", err)
		}
		s.Parquet = info
		s.Rows = info.Rows
		s.RowGroups = len(info.RowGroups)
		if len(info.RowGroups) > 0 && len(info.RowGroups[0].Columns) > 0 {
			s.Compression = info.RowGroups[0].Columns[0].Compression
		}
		for i, f := range info.Schema.Fields() {
			c := ColumnSummary{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable}
			if i < len(info.Columns) {
				c.Nullable = info.Columns[i].Nullable
			}
			s.Columns = append(s.Columns, c)
		}
	case source.Arrow:
		info, err := arrowipc.Inspect(path)
		if err != nil {
			return FileSummary{}, fmt.Errorf("dataset: %w", err)
		}
		s.Arrow = info
		s.Rows = info.Rows
		s.Batches = info.NumBatches
		s.Layout = string(info.Format)
		s.Compression = info.Compression
		for _, f := range info.Schema.Fields() {
			s.Columns = append(s.Columns, ColumnSummary{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable})
		}
	case source.CSV:
		o := opts.CSV
		if o.Delim == "" && allExt([]string{path}, ".tsv") {
			o.Delim = "\t"
		}
		schema, _, err := csv.Infer([]string{path}, o)
		if err != nil {
			return FileSummary{}, fmt.Errorf("dataset: %w", err)
		}
		for _, f := range schema.Fields() {
			s.Columns = append(s.Columns, ColumnSummary{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable})
		}
	default:
		return FileSummary{}, fmt.Errorf("dataset: format %q: %w", format, source.ErrFormat)
	}
	return s, nil
}
