package source

import (
	"context"
	"errors"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Format names an input file format.
type Format string

// The input formats dfq reads.
const (
	Parquet Format = "parquet"
	Arrow   Format = "arrow" // Arrow IPC file or stream
	CSV     Format = "csv"
)

// Split is one unit of input work. It is small and serialises to JSON so that a
// child process or an MPI rank can open exactly the split the parent planned.
type Split struct {
	// Index is the split's position in its dataset's split list.
	Index  int    `json:"index"`
	Format Format `json:"format"`
	Path   string `json:"path"`

	// Parquet: the row groups to read, in order. When RowCount > 0 only rows
	// [RowOffset, RowOffset+RowCount) of the concatenation of these row groups
	// are read (a huge row group cut into several splits).
	RowGroups []int `json:"row_groups,omitempty"`
	RowOffset int64 `json:"row_offset,omitempty"`
	RowCount  int64 `json:"row_count,omitempty"`

	// Arrow IPC: the record batches to read (file format). A stream-format file
	// is a single split with Batches nil.
	Batches []int `json:"batches,omitempty"`
	// Arrow IPC: read the file in place through a read-only memory map
	// instead of copying its buffers (uncompressed files of flat types; others
	// are copied anyway). Records then point into the map, which stays until
	// the last of them is released: the file must not be truncated or
	// rewritten meanwhile. dfq sets it on the shared-memory files through
	// which the process executor hands in-memory tables to its workers.
	Mmap bool `json:"mmap,omitempty"`

	// CSV: the byte range [Offset, Offset+Length) of the file; Offset is at a line
	// start (after the header for the first split) and the range ends at a line end.
	Offset int64 `json:"offset,omitempty"`
	Length int64 `json:"length,omitempty"`
	// CSV: the 1-based line number of the first line in the range, when known
	// (for error messages); 0 when unknown.
	FirstLine int64 `json:"first_line,omitempty"`
	// CSV: how to parse the file.
	CSV *CSVOptions `json:"csv,omitempty"`

	// Rows is the number of rows in the split when known from metadata, else -1.
	Rows int64 `json:"rows"`
	// Bytes is the estimated number of bytes read for the split.
	Bytes int64 `json:"bytes"`
}

// Op is a comparison operator usable for statistics-based pruning.
type Op string

// Pruning operators.
const (
	OpEq      Op = "="
	OpNe      Op = "!="
	OpLt      Op = "<"
	OpLe      Op = "<="
	OpGt      Op = ">"
	OpGe      Op = ">="
	OpBetween Op = "between" // Values[0] <= col <= Values[1]
	OpIn      Op = "in"
	OpIsNull  Op = "is null"
	OpNotNull Op = "is not null"
)

// Pred is a conjunct `Column Op Values` of a query's filter that a reader may use
// to skip whole row groups: a row group may be skipped only when its statistics
// prove the predicate false (or NULL) for every row. Values hold Go values:
// int64, uint64, float64, string, bool, or for dates int32 days since the epoch
// (Date32) and for timestamps int64 in the column's unit. A reader that cannot
// decide simply reads the data; predicates are still evaluated by the Filter
// operator above it.
type Pred struct {
	Column string `json:"column"`
	Op     Op     `json:"op"`
	Values []any  `json:"values,omitempty"`
}

// ReadOptions controls how a split is read.
type ReadOptions struct {
	// Columns lists the columns to decode, by name, in output order. Nil means
	// all columns; an empty non-nil slice means none (only the row count matters,
	// records then have zero columns and a row count).
	Columns []string
	// BatchSize is the maximum number of rows per record (default 64Ki).
	BatchSize int
	// Preds are pruning predicates (see Pred).
	Preds []Pred
	// Mem allocates the Arrow buffers of returned records.
	Mem memory.Allocator
	// Stats, when non-nil, is updated as the split is read.
	Stats *ScanStats
}

// DefaultBatchSize is the batch size used when ReadOptions.BatchSize is 0.
const DefaultBatchSize = 64 * 1024

// ScanStats counts what a reader did. Fields are updated by one reader at a
// time; aggregate several with Add.
type ScanStats struct {
	RowGroups       int64 `json:"row_groups"`        // row groups considered
	RowGroupsPruned int64 `json:"row_groups_pruned"` // skipped by statistics
	Rows            int64 `json:"rows"`              // rows produced
	BytesRead       int64 `json:"bytes_read"`        // compressed bytes read from storage
}

// Add adds o to s.
func (s *ScanStats) Add(o ScanStats) {
	s.RowGroups += o.RowGroups
	s.RowGroupsPruned += o.RowGroupsPruned
	s.Rows += o.Rows
	s.BytesRead += o.BytesRead
}

// Reader streams the records of one split.
//
// Next returns the next record, owned by the caller, who must Release it; it
// stays valid after later calls. At the end it returns (nil, io.EOF). ctx is
// checked at least once per record. Close releases the reader's resources and
// may be called at any time, more than once. A Reader is not safe for
// concurrent use.
type Reader interface {
	Schema() *arrow.Schema
	Next(ctx context.Context) (arrow.Record, error)
	Close() error
}

// ErrSchemaMismatch is returned (wrapped) when the files of one dataset do not
// share a schema.
var ErrSchemaMismatch = errors.New("schema mismatch")

// ErrFormat is returned (wrapped) when a file is not of the format expected.
var ErrFormat = errors.New("unrecognised file format")

// CSVOptions describes how a CSV file is parsed. It travels with each CSV split
// so that a worker process parses exactly as the planner decided.
type CSVOptions struct {
	Header  bool   `json:"header"`            // the first line names the columns
	Delim   string `json:"delim,omitempty"`   // one character; default ","
	Quote   string `json:"quote,omitempty"`   // one character; default `"`
	NullStr string `json:"nullstr,omitempty"` // text read as NULL (an empty field is always NULL for non-strings)
	// Columns, when set, are the columns' names and types in file order. Before
	// planning a user may set some of them (by name) to override inference; after
	// planning every column is here. Types: "bool", "int64", "float64", "string",
	// "date32", "timestamp[us]".
	Columns []ColumnType `json:"columns,omitempty"`
}

// ColumnType names a column and its type (see CSVOptions.Columns).
type ColumnType struct {
	Name string `json:"name"`
	Type string `json:"type"`
}
