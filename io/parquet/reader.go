package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/dfq/dfq/io/source"
)

// Open returns a reader over the rows of a Parquet split. See the package
// documentation for projection, pruning and the physical types of records.
func Open(ctx context.Context, split source.Split, opts source.ReadOptions) (rd source.Reader, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := split.Path
	if split.Format != "" && split.Format != source.Parquet {
		return nil, fmt.Errorf("parquet: %s: split of format %q", path, split.Format)
	}
	if split.RowOffset < 0 || split.RowCount < 0 {
		return nil, fmt.Errorf("parquet: %s: invalid row range offset %d count %d", path, split.RowOffset, split.RowCount)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	r := &reader{path: path, f: f, rg: -1, col: -1}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquet: %s: panic while opening: %v: %w", path, p, ErrCorrupt)
		}
		if err != nil {
			r.Close()
			rd = nil
		}
	}()
	pf, _, err := openFile(path, f)
	if err != nil {
		return nil, err
	}
	r.md = pf.Metadata()
	r.groupsMeta = pf.RowGroups()
	cols, schema, err := fileSchema(r.md)
	if err != nil {
		return nil, fmt.Errorf("parquet: %s: %w", path, err)
	}
	r.cols = cols
	if err := r.project(schema, opts.Columns); err != nil {
		return nil, err
	}
	for _, g := range split.RowGroups {
		if g < 0 || g >= len(r.md.RowGroups) || g >= len(r.groupsMeta) {
			return nil, fmt.Errorf("parquet: %s: row group %d out of range [0, %d)", path, g, len(r.md.RowGroups))
		}
	}
	r.groups = split.RowGroups
	r.lo, r.hi = 0, math.MaxInt64
	if split.RowCount > 0 {
		r.lo, r.hi = split.RowOffset, split.RowOffset+split.RowCount
	}
	r.mem = opts.Mem
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	r.batch = opts.BatchSize
	if r.batch <= 0 {
		r.batch = source.DefaultBatchSize
	}
	r.preds = bindPreds(r.cols, opts.Preds)
	r.stats = opts.Stats
	if r.stats == nil {
		r.stats = &source.ScanStats{}
	}
	return r, nil
}

// reader implements source.Reader over one split.
type reader struct {
	path       string
	f          *os.File
	md         *format.FileMetaData
	groupsMeta []pq.RowGroup
	cols       []column // all columns of the file
	sel        []int    // projected columns, indexes into cols
	readers    []colReader
	schema     *arrow.Schema // logical schema of the projection
	mem        memory.Allocator
	batch      int
	preds      []boundPred
	stats      *source.ScanStats

	groups []int // row groups of the split
	gi     int   // next entry of groups
	start  int64 // split row number of the next row group's first row
	lo, hi int64 // split rows to read: [lo, hi)
	rg     int   // row group being read, -1 when none
	left   int64 // rows left to read in rg
	col    int   // projected column being decoded, -1 when none

	recSchema *arrow.Schema // physical schema of the last record
	recDict   []bool
	err       error
	closed    bool
}

func (r *reader) project(schema *arrow.Schema, names []string) error {
	if names == nil {
		r.sel = make([]int, len(r.cols))
		for i := range r.sel {
			r.sel[i] = i
		}
	} else {
		r.sel = make([]int, 0, len(names))
		for _, name := range names {
			idx := schema.FieldIndices(name)
			if len(idx) == 0 {
				all := make([]string, len(r.cols))
				for i := range r.cols {
					all[i] = r.cols[i].name
				}
				return fmt.Errorf("parquet: %s: unknown column %q (columns: %s)", r.path, name, strings.Join(all, ", "))
			}
			r.sel = append(r.sel, idx[0])
		}
	}
	fields := make([]arrow.Field, len(r.sel))
	r.readers = make([]colReader, len(r.sel))
	for i, j := range r.sel {
		fields[i] = schema.Field(j)
		r.readers[i] = newColReader(&r.cols[j])
	}
	r.schema = arrow.NewSchema(fields, nil)
	r.recDict = make([]bool, len(r.sel))
	return nil
}

// Schema returns the logical schema of the records (strings are utf8 even when
// records carry them dictionary encoded).
func (r *reader) Schema() *arrow.Schema { return r.schema }

// wrap adds the file, row group and column to err.
func (r *reader) wrap(err error) error {
	var b strings.Builder
	b.WriteString("parquet: ")
	b.WriteString(r.path)
	if r.rg >= 0 {
		fmt.Fprintf(&b, " row group %d", r.rg)
	}
	if r.col >= 0 && r.col < len(r.sel) {
		fmt.Fprintf(&b, " column %s", r.cols[r.sel[r.col]].name)
	}
	return fmt.Errorf("%s: %w", b.String(), err)
}

// Next returns the next record, owned by the caller, or (nil, io.EOF).
func (r *reader) Next(ctx context.Context) (rec arrow.Record, err error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.closed {
		return nil, fmt.Errorf("parquet: %s: reader closed", r.path)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			rec = nil
			err = r.wrap(fmt.Errorf("panic while decoding: %v: %w", p, ErrCorrupt))
			r.err = err
			r.closeChunks()
		}
	}()
	for r.left == 0 {
		ok, err := r.nextGroup()
		if err != nil {
			r.err = r.wrap(err)
			r.closeChunks()
			return nil, r.err
		}
		if !ok {
			r.rg, r.col = -1, -1
			return nil, io.EOF
		}
	}
	n := int(min(int64(r.batch), r.left))
	arrs := make([]arrow.Array, len(r.readers))
	for i, cr := range r.readers {
		r.col = i
		a, err := cr.read(r.mem, n)
		if err != nil {
			for _, x := range arrs[:i] {
				x.Release()
			}
			r.err = r.wrap(err)
			r.closeChunks()
			return nil, r.err
		}
		arrs[i] = a
	}
	r.col = -1
	r.left -= int64(n)
	if r.left == 0 {
		r.closeChunks()
	}
	rec = array.NewRecord(r.physicalSchema(arrs), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	r.stats.Rows += int64(n)
	return rec, nil
}

// physicalSchema returns the schema of a record made of arrs.
func (r *reader) physicalSchema(arrs []arrow.Array) *arrow.Schema {
	same := r.recSchema != nil
	for i, a := range arrs {
		if isDict := a.DataType().ID() == arrow.DICTIONARY; isDict != r.recDict[i] {
			r.recDict[i] = isDict
			same = false
		}
	}
	if same {
		return r.recSchema
	}
	fields := make([]arrow.Field, len(arrs))
	for i := range arrs {
		fields[i] = r.schema.Field(i)
		if r.recDict[i] {
			fields[i].Type = dictStringType
		}
	}
	r.recSchema = arrow.NewSchema(fields, nil)
	return r.recSchema
}

// nextGroup opens the next row group of the split holding rows to read and
// not pruned. It reports false at the end of the split.
func (r *reader) nextGroup() (bool, error) {
	r.closeChunks()
	for r.gi < len(r.groups) {
		g := r.groups[r.gi]
		r.gi++
		rg := &r.md.RowGroups[g]
		n := rg.NumRows
		s := r.start
		r.start += n
		if s >= r.hi {
			r.gi = len(r.groups)
			break
		}
		lo, hi := max(r.lo-s, 0), min(r.hi-s, n)
		if lo >= hi {
			continue
		}
		r.rg = g
		r.stats.RowGroups++
		if pruneRowGroup(rg, r.preds) {
			r.stats.RowGroupsPruned++
			continue
		}
		chunks := r.groupsMeta[g].ColumnChunks()
		for i, cr := range r.readers {
			r.col = i
			c := &r.cols[r.sel[i]]
			if c.leaf >= len(chunks) || c.leaf >= len(rg.Columns) {
				return false, fmt.Errorf("missing column chunk: %w", ErrCorrupt)
			}
			md := &rg.Columns[c.leaf].MetaData
			if err := cr.open(chunks[c.leaf], lo, md); err != nil {
				return false, err
			}
			r.stats.BytesRead += md.TotalCompressedSize
		}
		r.col = -1
		r.left = hi - lo
		return true, nil
	}
	return false, nil
}

// closeChunks releases the pages and dictionaries of the open row group.
func (r *reader) closeChunks() {
	r.left = 0
	for _, cr := range r.readers {
		func() {
			defer func() { _ = recover() }()
			cr.close()
		}()
	}
}

// Close releases the reader's resources; it may be called more than once.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.closeChunks()
	if r.f != nil {
		err := r.f.Close()
		r.f = nil
		if err != nil && !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("parquet: %s: %w", r.path, err)
		}
	}
	return nil
}
