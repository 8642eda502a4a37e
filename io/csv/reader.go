package csv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/source"
)

// ParseError is a record or value of a CSV file that does not fit the schema.
type ParseError struct {
	Path   string
	Line   int64  // 1-based line of the record, 0 when unknown
	Offset int64  // byte offset of the record in the file
	Column string // the column, "" for an error about the whole record
	Value  string // the value that did not parse
	Type   string // the column's type
	Msg    string // what is wrong with the record (when Column is "")
}

// Error names the file, the line (or byte offset), the column and the value,
// with a hint for values that do not parse.
func (e *ParseError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.Line <= 0 {
		where = fmt.Sprintf("byte offset %d", e.Offset)
	}
	if e.Column == "" {
		return fmt.Sprintf("csv: %s %s: %s", e.Path, where, e.Msg)
	}
	v := e.Value
	if len(v) > 80 {
		v = v[:77] + "..."
	}
	return fmt.Sprintf("csv: %s %s column %q: cannot parse %q as %s (the type was inferred from samples; give the column's type explicitly, e.g. columns => {'%s': 'VARCHAR'})",
		e.Path, where, e.Column, v, e.Type, e.Column)
}

const (
	chunkRows = 8192    // rows split before converting
	bufBytes  = 1 << 20 // initial read buffer
	maxRecord = 1 << 30 // longest record
)

// Open returns a reader over the records in split's byte range (Format
// source.CSV, with split.CSV naming every column). Only opts.Columns are
// converted and returned, in that order (nil: all; empty: none, the records
// then carry only a row count), in records of at most opts.BatchSize rows.
// String columns are plain *array.String. opts.Preds are ignored.
func Open(ctx context.Context, split source.Split, opts source.ReadOptions) (source.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := open(split, opts)
	if err != nil {
		return nil, fmt.Errorf("csv: %s: %w", split.Path, err)
	}
	return r, nil
}

type column struct {
	name string
	typ  colType
	i64  *array.Int64Builder
	f64  *array.Float64Builder
	bl   *array.BooleanBuilder
	d32  *array.Date32Builder
	ts   *array.TimestampBuilder
	str  *array.StringBuilder
	b    array.Builder
}

type reader struct {
	path      string
	f         *os.File
	src       *io.SectionReader
	sp        *splitter
	slotOf    []int // output column -> splitter slot
	cols      []column
	schema    *arrow.Schema
	batchSize int
	stats     *source.ScanStats

	buf       []byte
	lo, hi    int
	eof, done bool
	base      int64 // file offset of buf[0]
	firstLine int64
	start     int64 // the split's range
	length    int64
	rows      int64 // rows returned so far
}

func open(split source.Split, opts source.ReadOptions) (_ *reader, err error) {
	if split.Format != "" && split.Format != source.CSV {
		return nil, fmt.Errorf("split format is %q, not %q: %w", split.Format, source.CSV, source.ErrFormat)
	}
	if split.CSV == nil {
		return nil, fmt.Errorf("split has no CSV options (plan it with csv.PlanSplits)")
	}
	o, err := parseOptions(*split.CSV)
	if err != nil {
		return nil, err
	}
	names, types, err := columnTypes(*split.CSV)
	if err != nil {
		return nil, err
	}
	if split.Offset < 0 || split.Length < 0 {
		return nil, fmt.Errorf("bad byte range [%d, +%d)", split.Offset, split.Length)
	}
	mem := opts.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	sel := make([]int, 0, len(names))
	if opts.Columns == nil {
		for i := range names {
			sel = append(sel, i)
		}
	}
	for _, c := range opts.Columns {
		k := -1
		for i, n := range names {
			if n == c {
				k = i
				break
			}
		}
		if k < 0 {
			return nil, fmt.Errorf("no column %q (columns: %s)", c, strings.Join(names, ", "))
		}
		sel = append(sel, k)
	}
	slot := make([]int32, len(names))
	for i := range slot {
		slot[i] = -1
	}
	// a column selected twice is split once and converted twice
	slotOf := make([]int, len(sel))
	nslots := 0
	for j, k := range sel {
		if slot[k] < 0 {
			slot[k] = int32(nslots)
			nslots++
		}
		slotOf[j] = int(slot[k])
	}
	r := &reader{path: split.Path, batchSize: opts.BatchSize, stats: opts.Stats, firstLine: split.FirstLine,
		base: split.Offset, start: split.Offset, length: split.Length}
	if r.batchSize <= 0 {
		r.batchSize = source.DefaultBatchSize
	}
	r.sp = newSplitter(o, len(names), slot, nslots, min(r.batchSize, chunkRows))
	fields := make([]arrow.Field, len(sel))
	r.cols = make([]column, len(sel))
	for j, k := range sel {
		fields[j] = arrow.Field{Name: names[k], Type: types[k].arrow(), Nullable: true}
		r.cols[j] = newColumn(names[k], types[k], mem)
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	r.schema = arrow.NewSchema(fields, nil)
	r.slotOf = slotOf
	if r.f, err = os.Open(split.Path); err != nil {
		return nil, err
	}
	r.src = io.NewSectionReader(r.f, split.Offset, split.Length)
	r.buf = make([]byte, min(int64(bufBytes), split.Length+1))
	return r, nil
}

func newColumn(name string, t colType, mem memory.Allocator) column {
	c := column{name: name, typ: t}
	switch t {
	case tBool:
		c.bl = array.NewBooleanBuilder(mem)
		c.b = c.bl
	case tInt64:
		c.i64 = array.NewInt64Builder(mem)
		c.b = c.i64
	case tFloat64:
		c.f64 = array.NewFloat64Builder(mem)
		c.b = c.f64
	case tDate32:
		c.d32 = array.NewDate32Builder(mem)
		c.b = c.d32
	case tTimestamp:
		c.ts = array.NewTimestampBuilder(mem, timestampType)
		c.b = c.ts
	default:
		c.str = array.NewStringBuilder(mem)
		c.b = c.str
	}
	return c
}

// Schema returns the schema of the selected columns.
func (r *reader) Schema() *arrow.Schema { return r.schema }

// Close releases the reader's resources; it may be called more than once.
func (r *reader) Close() error {
	for i := range r.cols {
		if r.cols[i].b != nil {
			r.cols[i].b.Release()
			r.cols[i].b = nil
		}
	}
	r.done = true
	if r.f != nil {
		err := r.f.Close()
		r.f = nil
		return err
	}
	return nil
}

// Next returns the next record (owned by the caller) or (nil, io.EOF).
func (r *reader) Next(ctx context.Context) (arrow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.done {
		return nil, io.EOF
	}
	r.reserve()
	rows := 0
	for rows < r.batchSize {
		want := min(r.sp.cap, r.batchSize-rows)
		n, next, err := r.sp.split(r.buf[:r.hi], r.lo, r.eof, want)
		if n > 0 {
			if cerr := r.convert(n); cerr != nil {
				return nil, r.fail(cerr)
			}
			rows += n
		}
		if err != nil {
			return nil, r.fail(r.recordError(err))
		}
		r.lo = next
		if n == want {
			continue
		}
		if r.eof {
			r.done = true
			break
		}
		if err := r.fill(); err != nil {
			return nil, r.fail(fmt.Errorf("csv: %s: %w", r.path, err))
		}
	}
	if rows == 0 {
		return nil, io.EOF
	}
	r.rows += int64(rows)
	if r.stats != nil {
		r.stats.Rows += int64(rows)
	}
	cols := make([]arrow.Array, len(r.cols))
	for j := range r.cols {
		cols[j] = r.cols[j].b.NewArray()
		defer cols[j].Release()
	}
	return array.NewRecord(r.schema, cols, int64(rows)), nil
}

// reserve sizes the builders for the rows the next batch likely holds,
// estimated from the bytes per row so far, to spare them repeated growth.
func (r *reader) reserve() {
	done := r.base + int64(r.lo) - r.start
	if r.rows == 0 || done <= 0 {
		return
	}
	est := int64(float64(r.length-done)*float64(r.rows)/float64(done)) + 1
	est = min(est, int64(r.batchSize))
	for j := range r.cols {
		r.cols[j].b.Reserve(int(est))
	}
}

// fail stops the reader after an error, dropping the partial batch.
func (r *reader) fail(err error) error {
	r.done = true
	for j := range r.cols {
		if b := r.cols[j].b; b != nil {
			a := b.NewArray()
			a.Release()
		}
	}
	return err
}

// fill moves the unparsed tail to the front of the buffer and reads more.
func (r *reader) fill() error {
	if r.lo > 0 {
		copy(r.buf, r.buf[r.lo:r.hi])
		r.base += int64(r.lo)
		r.hi -= r.lo
		r.lo = 0
	}
	if r.hi == len(r.buf) {
		if len(r.buf) >= maxRecord {
			return fmt.Errorf("byte offset %d: record longer than %d bytes", r.base, maxRecord)
		}
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.hi])
		r.buf = nb
	}
	n, err := io.ReadFull(r.src, r.buf[r.hi:])
	r.hi += n
	if r.stats != nil {
		r.stats.BytesRead += int64(n)
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		r.eof = true
	case err != nil:
		return err
	}
	return nil
}

func (r *reader) where(nl int64, pos int) (line, off int64) {
	off = r.base + int64(pos)
	if r.firstLine > 0 {
		line = r.firstLine + nl
	}
	return line, off
}

func (r *reader) recordError(err error) error {
	var re *recordError
	if !errors.As(err, &re) {
		return err
	}
	line, off := r.where(re.nl, re.pos)
	return &ParseError{Path: r.path, Line: line, Offset: off, Msg: re.msg}
}

// convert appends the n rows the splitter recorded to the column builders.
func (r *reader) convert(n int) error {
	sp := r.sp
	for j := range r.cols {
		c := &r.cols[j]
		sl := r.slotOf[j]
		st := sp.starts[sl*sp.cap : sl*sp.cap+n]
		en := sp.ends[sl*sp.cap : sl*sp.cap+n]
		bad := -1
		switch c.typ {
		case tInt64:
			bad = conv(c.i64, parseInt, r.buf, st, en)
		case tFloat64:
			bad = conv(c.f64, parseFloat, r.buf, st, en)
		case tBool:
			bad = conv(c.bl, parseBool, r.buf, st, en)
		case tDate32:
			bad = conv(c.d32, parseDate32, r.buf, st, en)
		case tTimestamp:
			bad = conv(c.ts, parseTimestampValue, r.buf, st, en)
		default:
			convString(c.str, r.buf, st, en)
		}
		if bad >= 0 {
			line, off := r.where(sp.rowNL[bad], sp.rowOff[bad])
			return &ParseError{Path: r.path, Line: line, Offset: off, Column: c.name,
				Value: string(r.buf[st[bad]:en[bad]]), Type: c.typ.String()}
		}
	}
	return nil
}

// The conversion loops return the index of the first row that does not
// parse, or -1. An empty field is NULL for every type but string.

// fixedBuilder is what conv needs of a fixed-width Arrow builder.
type fixedBuilder[T any] interface {
	Reserve(int)
	UnsafeAppendBoolToBitmap(bool)
	UnsafeAppend(T)
}

// conv parses the fields [st[i], en[i]) of buf into b.
func conv[T any, B fixedBuilder[T]](b B, parse func([]byte) (T, bool), buf []byte, st, en []int32) int {
	b.Reserve(len(st))
	for i, e := range en {
		s := st[i]
		if e <= s {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v, ok := parse(buf[s:e])
		if !ok {
			return i
		}
		b.UnsafeAppend(v)
	}
	return -1
}

func parseDate32(b []byte) (arrow.Date32, bool) {
	v, ok := parseDate(b)
	return arrow.Date32(v), ok
}

func parseTimestampValue(b []byte) (arrow.Timestamp, bool) {
	v, ok := parseTimestamp(b)
	return arrow.Timestamp(v), ok
}

func convString(b *array.StringBuilder, buf []byte, st, en []int32) {
	total := 0
	for i, e := range en {
		if e > st[i] {
			total += int(e - st[i])
		}
	}
	b.Reserve(len(st))
	if need := b.DataLen() + total; need > b.DataCap() {
		b.ReserveData(max(total, 2*need-b.DataLen())) // grow geometrically
	}
	for i, e := range en {
		if e < 0 {
			b.AppendNull()
			continue
		}
		b.BinaryBuilder.UnsafeAppend(buf[st[i]:e])
	}
}
