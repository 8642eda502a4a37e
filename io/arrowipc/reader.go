package arrowipc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/source"
)

// Open returns a reader over the record batches of split (Format source.Arrow).
// Only opts.Columns are returned, in that order (nil: all; empty: none, the
// records then carry only a row count), in records of at most opts.BatchSize
// rows, with types normalised as described in the package doc. Buffers are
// allocated from opts.Mem. opts.Preds are ignored: IPC files carry no
// statistics.
func Open(ctx context.Context, split source.Split, opts source.ReadOptions) (source.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := open(split, opts)
	if err != nil {
		return nil, fmt.Errorf("arrowipc: %s: %w", split.Path, err)
	}
	return r, nil
}

type reader struct {
	path      string
	f         *os.File
	mr        *msgReader
	ipcr      *ipc.Reader
	cols      []int         // selected stored columns
	schema    *arrow.Schema // logical, selected
	out       *arrow.Schema // physical, selected
	mem       memory.Allocator
	stats     *source.ScanStats
	batchSize int64
	pending   arrow.Record // converted batch being sliced
	off       int64        // rows of pending already returned
	bytes     int64        // msgReader bytes already counted
	batch     int          // record batches read
	done      bool

	// Mapped files (source.Split.Mmap): the in-place decoder and the record
	// batch blocks still to read; ipcr and mr are then nil.
	mp     *mapped
	blocks []block
}

func open(split source.Split, opts source.ReadOptions) (_ *reader, err error) {
	if split.Format != "" && split.Format != source.Arrow {
		return nil, fmt.Errorf("split format is %q, not %q: %w", split.Format, source.Arrow, source.ErrFormat)
	}
	f, err := os.Open(split.Path)
	if err != nil {
		return nil, err
	}
	r := &reader{path: split.Path, f: f, mem: opts.Mem, stats: opts.Stats, batchSize: int64(opts.BatchSize)}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	if r.batchSize <= 0 {
		r.batchSize = source.DefaultBatchSize
	}
	l, err := readLayout(f)
	if err != nil {
		return nil, err
	}
	if err := checkSchemaAt(f, l); err != nil {
		return nil, err
	}
	var stored *arrow.Schema
	if split.Mmap && l.format == FormatFile {
		if stored, err = r.openMapped(split, l); err != nil {
			return nil, err
		}
	}
	if r.mp == nil {
		if stored, err = r.openCopying(split, l); err != nil {
			return nil, err
		}
	}
	if opts.Columns == nil {
		r.cols = make([]int, stored.NumFields())
		for i := range r.cols {
			r.cols[i] = i
		}
	} else {
		r.cols = make([]int, len(opts.Columns))
		for i, name := range opts.Columns {
			idx := stored.FieldIndices(name)
			if len(idx) == 0 {
				return nil, fmt.Errorf("no column %q (columns: %s)", name, columnNames(stored))
			}
			r.cols[i] = idx[0]
		}
	}
	logical := make([]arrow.Field, len(r.cols))
	physical := make([]arrow.Field, len(r.cols))
	for i, c := range r.cols {
		sf := stored.Field(c)
		lt, err := logicalType(sf.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", sf.Name, err)
		}
		pt, _ := physicalType(sf.Type)
		logical[i] = arrow.Field{Name: sf.Name, Type: lt, Nullable: sf.Nullable}
		physical[i] = arrow.Field{Name: sf.Name, Type: pt, Nullable: sf.Nullable}
	}
	r.schema = arrow.NewSchema(logical, nil)
	r.out = arrow.NewSchema(physical, nil)
	return r, nil
}

// openMapped prepares to read split in place from a memory map. It leaves
// r.mp nil, without error, when the file does not qualify (see mapped).
func (r *reader) openMapped(split source.Split, l layout) (*arrow.Schema, error) {
	stored, err := readSchema(r.f, l)
	if err != nil {
		return nil, err
	}
	blocks, err := selectBlocks(split, l.foot.batches)
	if err != nil {
		return nil, err
	}
	mp, err := openMapped(r.f, l, stored)
	if errors.Is(err, errNotMappable) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if _, _, err := mp.message(b, msgRecordBatch); err != nil {
			mp.release()
			if errors.Is(err, errNotMappable) {
				return nil, nil
			}
			return nil, err
		}
	}
	r.mp, r.blocks = mp, blocks
	return stored, nil
}

// selectBlocks returns the record batch blocks a split reads.
func selectBlocks(split source.Split, batches []block) ([]block, error) {
	if split.Batches == nil {
		return batches, nil
	}
	out := make([]block, 0, len(split.Batches))
	for _, b := range split.Batches {
		if b < 0 || b >= len(batches) {
			return nil, fmt.Errorf("split asks for record batch %d, the file has %d", b, len(batches))
		}
		out = append(out, batches[b])
	}
	return out, nil
}

// openCopying prepares to read split through arrow/go's ipc reader, which
// copies every buffer.
func (r *reader) openCopying(split source.Split, l layout) (*arrow.Schema, error) {
	switch l.format {
	case FormatFile:
		sel, err := selectBlocks(split, l.foot.batches)
		if err != nil {
			return nil, err
		}
		blocks := append(append([]block(nil), l.foot.dicts...), sel...)
		r.mr = newFileMsgReader(r.f, l.size, blocks, r.mem)
	case FormatStream:
		if len(split.Batches) > 0 {
			return nil, fmt.Errorf("split asks for record batches %v of a stream, which has no batch index", split.Batches)
		}
		r.mr = newStreamMsgReader(r.f, 0, l.size, r.mem)
	}
	var err error
	r.ipcr, err = ipc.NewReaderFromMessageReader(r.mr, ipc.WithAllocator(r.mem))
	if err != nil {
		r.mr.Release()
		r.mr = nil
		return nil, fmt.Errorf("schema: %w", err)
	}
	return r.ipcr.Schema(), nil
}

func columnNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// Schema returns the logical schema of the selected columns.
func (r *reader) Schema() *arrow.Schema { return r.schema }

// Next returns the next record (owned by the caller) or (nil, io.EOF).
func (r *reader) Next(ctx context.Context) (arrow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		if r.pending != nil {
			rows := r.pending.NumRows()
			if r.off < rows {
				n := min(r.batchSize, rows-r.off)
				var rec arrow.Record
				if r.off == 0 && n == rows {
					rec, r.pending = r.pending, nil
				} else {
					rec = r.pending.NewSlice(r.off, r.off+n)
					r.off += n
				}
				if r.stats != nil {
					r.stats.Rows += n
				}
				return rec, nil
			}
			r.pending.Release()
			r.pending = nil
		}
		if r.mp != nil {
			if r.done || len(r.blocks) == 0 {
				r.done = true
				return nil, io.EOF
			}
			rec, n, err := r.mp.batch(r.blocks[0], r.cols, r.out)
			if err != nil {
				r.done = true
				return nil, fmt.Errorf("arrowipc: %s: record batch %d: %w", r.path, r.batch, err)
			}
			r.blocks = r.blocks[1:]
			if r.stats != nil {
				r.stats.BytesRead += n
			}
			r.batch++
			r.pending, r.off = rec, 0
			continue
		}
		if r.done || r.ipcr == nil {
			return nil, io.EOF
		}
		ok := r.ipcr.Next()
		r.countBytes()
		if !ok {
			r.done = true
			if err := r.ipcr.Err(); err != nil {
				return nil, fmt.Errorf("arrowipc: %s: record batch %d: %w", r.path, r.batch, err)
			}
			return nil, io.EOF
		}
		rec, err := r.convert(r.ipcr.Record())
		if err != nil {
			r.done = true
			return nil, fmt.Errorf("arrowipc: %s: record batch %d: %w", r.path, r.batch, err)
		}
		r.batch++
		r.pending, r.off = rec, 0
	}
}

func (r *reader) countBytes() {
	if r.stats != nil {
		r.stats.BytesRead += r.mr.bytes - r.bytes
	}
	r.bytes = r.mr.bytes
}

// Close releases the reader's resources; it may be called more than once.
func (r *reader) Close() error {
	if r.pending != nil {
		r.pending.Release()
		r.pending = nil
	}
	if r.ipcr != nil {
		r.ipcr.Release() // releases r.mr too
		r.ipcr = nil
		r.mr = nil
	}
	if r.mp != nil {
		// The mapping stays until the last array over it is released.
		r.mp.release()
		r.mp = nil
	}
	if r.f != nil {
		err := r.f.Close()
		r.f = nil
		return err
	}
	return nil
}

// convert projects rec (valid until the next ipc Next) onto the selected
// columns with normalised types; the result is owned by the caller.
func (r *reader) convert(rec arrow.Record) (_ arrow.Record, err error) {
	cols := make([]arrow.Array, len(r.cols))
	defer func() {
		// arrow/go does not validate offsets and views read from a file; a
		// corrupt one makes the copy above index out of range.
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt column data: %v", p)
		}
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range r.cols {
		a, err := normalise(rec.Column(c), r.mem)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", r.out.Field(i).Name, err)
		}
		cols[i] = a
	}
	return array.NewRecord(r.out, cols, rec.NumRows()), nil
}

// normalise returns a (new reference to an) array of a's physical output
// type; the caller releases it.
func normalise(a arrow.Array, mem memory.Allocator) (arrow.Array, error) {
	switch a := a.(type) {
	case *array.LargeString, *array.StringView:
		if err := checkViews(a); err != nil {
			return nil, err
		}
		return normaliseBytes(a, mem, true), nil
	case *array.LargeBinary, *array.BinaryView:
		if err := checkViews(a); err != nil {
			return nil, err
		}
		return normaliseBytes(a, mem, false), nil
	case *array.Dictionary:
		return normaliseDict(a, mem)
	case *array.String:
		if err := checkOffsets(a.ValueOffsets(), a.Data().Buffers()[2]); err != nil {
			return nil, err
		}
	case *array.Binary:
		if err := checkOffsets(a.ValueOffsets(), a.Data().Buffers()[2]); err != nil {
			return nil, err
		}
	}
	if _, err := logicalType(a.DataType()); err != nil {
		return nil, err
	}
	a.Retain()
	return a, nil
}

// checkOffsets checks what arrow/go does not when it reads a file: that the
// offsets of a string or binary array increase and stay within its data.
func checkOffsets(offs []int32, data *memory.Buffer) error {
	if len(offs) == 0 {
		return nil
	}
	size := 0
	if data != nil {
		size = data.Len()
	}
	prev := offs[0]
	if prev < 0 {
		return fmt.Errorf("corrupt string offsets: %d", prev)
	}
	for _, o := range offs[1:] {
		if o < prev {
			return fmt.Errorf("corrupt string offsets: %d after %d", o, prev)
		}
		prev = o
	}
	if int(prev) > size {
		return fmt.Errorf("corrupt string offsets: %d beyond %d bytes of data", prev, size)
	}
	return nil
}

// checkViews bounds the total length of a view or large array's values by
// the size of its buffers, so that a corrupt length cannot make us allocate
// without bound (the values themselves are checked as they are copied).
func checkViews(a arrow.Array) error {
	limit := 12 * a.Len() // inline view values
	for _, b := range a.Data().Buffers()[1:] {
		if b != nil {
			limit += b.Len()
		}
	}
	total := 0
	switch a := a.(type) {
	case *array.StringView:
		for i := 0; i < a.Len(); i++ {
			total += a.ValueLen(i)
		}
	case *array.BinaryView:
		for i := 0; i < a.Len(); i++ {
			total += a.ValueLen(i)
		}
	default:
		return nil // large arrays: ValueBytes checks the offsets' range
	}
	if total < 0 || total > limit {
		return fmt.Errorf("corrupt view lengths: %d bytes of values in %d bytes of buffers", total, limit)
	}
	return nil
}

// normaliseBytes copies a large or view string/binary array into a plain
// utf8 (str) or binary array.
func normaliseBytes(a arrow.Array, mem memory.Allocator, str bool) arrow.Array {
	var (
		b  array.Builder
		bb *array.BinaryBuilder
	)
	if str {
		sb := array.NewStringBuilder(mem)
		b, bb = sb, sb.BinaryBuilder
	} else {
		bb = array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		b = bb
	}
	defer b.Release()
	bb.Reserve(a.Len())
	switch a := a.(type) {
	case *array.LargeString:
		appendLarge(bb, a, a.ValueOffsets(), a.ValueBytes())
	case *array.LargeBinary:
		appendLarge(bb, a, a.ValueOffsets(), a.ValueBytes())
	case *array.StringView:
		total := 0
		for i := 0; i < a.Len(); i++ {
			total += a.ValueLen(i)
		}
		bb.ReserveData(total)
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) {
				s := a.Value(i)
				bb.UnsafeAppend(unsafe.Slice(unsafe.StringData(s), len(s)))
			} else {
				bb.AppendNull()
			}
		}
	case *array.BinaryView:
		total := 0
		for i := 0; i < a.Len(); i++ {
			total += a.ValueLen(i)
		}
		bb.ReserveData(total)
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) {
				bb.UnsafeAppend(a.Value(i))
			} else {
				bb.AppendNull()
			}
		}
	}
	return b.NewArray()
}

func appendLarge(bb *array.BinaryBuilder, a arrow.Array, offs []int64, data []byte) {
	base := offs[0]
	bb.ReserveData(int(offs[len(offs)-1] - base))
	for i := 0; i < a.Len(); i++ {
		if a.IsValid(i) {
			bb.UnsafeAppend(data[offs[i]-base : offs[i+1]-base])
		} else {
			bb.AppendNull()
		}
	}
}

// normaliseDict returns a dictionary array with int32 indices and utf8 values.
func normaliseDict(d *array.Dictionary, mem memory.Allocator) (arrow.Array, error) {
	if _, err := logicalType(d.DataType()); err != nil {
		return nil, err
	}
	values, err := normalise(d.Dictionary(), mem)
	if err != nil {
		return nil, err
	}
	defer values.Release()
	indices, err := int32Indices(d.Indices(), values.Len(), mem)
	if err != nil {
		return nil, err
	}
	defer indices.Release()
	return array.NewDictionaryArray(dictType, indices, values), nil
}

type indexType interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// int32Indices checks that every valid index is in [0, n) and returns the
// indices as an int32 array (a new reference to idx when it already is one).
func int32Indices(idx arrow.Array, n int, mem memory.Allocator) (arrow.Array, error) {
	switch a := idx.(type) {
	case *array.Int8:
		return widen(a, a.Int8Values(), n, mem)
	case *array.Int16:
		return widen(a, a.Int16Values(), n, mem)
	case *array.Int32:
		if err := checkIndices(a, a.Int32Values(), n); err != nil {
			return nil, err
		}
		a.Retain()
		return a, nil
	case *array.Int64:
		return widen(a, a.Int64Values(), n, mem)
	case *array.Uint8:
		return widen(a, a.Uint8Values(), n, mem)
	case *array.Uint16:
		return widen(a, a.Uint16Values(), n, mem)
	case *array.Uint32:
		return widen(a, a.Uint32Values(), n, mem)
	case *array.Uint64:
		return widen(a, a.Uint64Values(), n, mem)
	}
	return nil, fmt.Errorf("dictionary index type %s is not supported", idx.DataType())
}

func checkIndices[T indexType](a arrow.Array, v []T, n int) error {
	for i, x := range v {
		if (x < 0 || uint64(x) >= uint64(n)) && a.IsValid(i) {
			return fmt.Errorf("dictionary index %d out of range [0, %d) at row %d", x, n, i)
		}
	}
	return nil
}

func widen[T indexType](a arrow.Array, v []T, n int, mem memory.Allocator) (arrow.Array, error) {
	buf := memory.NewResizableBuffer(mem)
	defer buf.Release()
	buf.Resize(arrow.Int32Traits.BytesRequired(len(v)))
	out := arrow.Int32Traits.CastFromBytes(buf.Bytes())
	for i, x := range v {
		if x < 0 || uint64(x) >= uint64(n) {
			if a.IsValid(i) {
				return nil, fmt.Errorf("dictionary index %d out of range [0, %d) at row %d", x, n, i)
			}
			x = 0
		}
		out[i] = int32(x)
	}
	var valid *memory.Buffer
	if a.NullN() > 0 {
		valid = memory.NewResizableBuffer(mem)
		defer valid.Release()
		valid.Resize(int(bitutil.BytesForBits(int64(len(v)))))
		bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), len(v), valid.Bytes(), 0)
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, len(v), []*memory.Buffer{valid, buf}, nil, a.NullN(), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}
