package sink

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ipcWriter is what arrowWriter needs of ipc.FileWriter and ipc.Writer.
type ipcWriter interface {
	Write(rec arrow.Record) error
	Close() error
}

// arrowWriter writes an Arrow IPC file or stream with the logical schema:
// dictionary columns are unpacked to plain utf8 first.
type arrowWriter struct {
	format string
	out    *arrow.Schema
	mem    memory.Allocator
	w      ipcWriter
	closed bool
}

func newArrowWriter(w io.Writer, out *arrow.Schema, o Options, file bool) (Writer, error) {
	opts := []ipc.Option{ipc.WithSchema(out), ipc.WithAllocator(o.Mem)}
	if !file {
		return &arrowWriter{format: Arrows, out: out, mem: o.Mem, w: ipc.NewWriter(w, opts...)}, nil
	}
	fw, err := ipc.NewFileWriter(&countingWriter{w: w}, opts...)
	if err != nil {
		return nil, fmt.Errorf("sink: %s: %w", Arrow, err)
	}
	return &arrowWriter{format: Arrow, out: out, mem: o.Mem, w: fw}, nil
}

func (a *arrowWriter) Write(rec arrow.Record) error {
	if a.closed {
		return ErrClosed
	}
	plain, err := unpack(a.format, a.out, rec, a.mem)
	if err != nil {
		return err
	}
	defer plain.Release()
	// A zero-row batch adds nothing, and arrow/ipc v17 panics encoding a
	// zero-length slice of a binary array; the schema is written anyway.
	if plain.NumRows() == 0 {
		return nil
	}
	return a.write(plain)
}

// write hands rec to the IPC writer; ipc.FileWriter does not recover from
// panics in its encoder, so a bug there becomes an error here.
func (a *arrowWriter) write(rec arrow.Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sink: %s: encoding a record: %v", a.format, p)
		}
	}()
	if err := a.w.Write(rec); err != nil {
		return fmt.Errorf("sink: %s: %w", a.format, err)
	}
	return nil
}

func (a *arrowWriter) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	if err := a.w.Close(); err != nil {
		return fmt.Errorf("sink: %s: %w", a.format, err)
	}
	return nil
}

// countingWriter gives ipc.FileWriter the only Seek it makes: asking for the
// current position, which is the number of bytes written so far.
type countingWriter struct {
	w   io.Writer
	pos int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.pos += int64(n)
	return n, err
}

func (c *countingWriter) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekCurrent {
		return 0, errors.New("output is not seekable")
	}
	return c.pos, nil
}

// unpack checks rec against out and returns a record with schema out in which
// every dictionary column is a plain utf8 array. The caller releases it.
func unpack(format string, out *arrow.Schema, rec arrow.Record, mem memory.Allocator) (arrow.Record, error) {
	if err := check(format, out, rec); err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for j := range cols {
		col := rec.Column(j)
		d, ok := col.(*array.Dictionary)
		if !ok {
			col.Retain()
			cols[j] = col
			continue
		}
		plain, err := unpackDict(d, mem)
		if err != nil {
			return nil, fmt.Errorf("sink: %s: column %d %q: %w", format, j, out.Field(j).Name, err)
		}
		cols[j] = plain
	}
	return array.NewRecord(out, cols, rec.NumRows()), nil
}

// unpackDict returns the utf8 array of a dictionary<utf8> array's values.
func unpackDict(d *array.Dictionary, mem memory.Allocator) (arrow.Array, error) {
	dict, ok := d.Dictionary().(*array.String)
	if !ok {
		return nil, fmt.Errorf("dictionary values are %s, want utf8", d.Dictionary().DataType())
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	var err error
	switch idx := d.Indices().(type) {
	case *array.Int8:
		err = gatherStrings(b, dict, idx.Int8Values(), d)
	case *array.Int16:
		err = gatherStrings(b, dict, idx.Int16Values(), d)
	case *array.Int32:
		err = gatherStrings(b, dict, idx.Int32Values(), d)
	case *array.Int64:
		err = gatherStrings(b, dict, idx.Int64Values(), d)
	case *array.Uint8:
		err = gatherStrings(b, dict, idx.Uint8Values(), d)
	case *array.Uint16:
		err = gatherStrings(b, dict, idx.Uint16Values(), d)
	case *array.Uint32:
		err = gatherStrings(b, dict, idx.Uint32Values(), d)
	case *array.Uint64:
		err = gatherStrings(b, dict, idx.Uint64Values(), d)
	default:
		err = fmt.Errorf("unsupported dictionary index type %s", d.Indices().DataType())
	}
	if err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

func gatherStrings[T integer](b *array.StringBuilder, dict *array.String, idx []T, a arrow.Array) error {
	valid, off := validity(a)
	n := dict.Len()
	size := 0
	for i, k := range idx {
		if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
			continue
		}
		if int64(k) < 0 || uint64(k) >= uint64(n) {
			return fmt.Errorf("row %d: dictionary index %d out of range [0, %d)", i, k, n)
		}
		size += dict.ValueLen(int(k))
	}
	b.Reserve(len(idx))
	b.ReserveData(size)
	for i, k := range idx {
		if (valid != nil && bitutil.BitIsNotSet(valid, off+i)) || dict.IsNull(int(k)) {
			b.AppendNull()
			continue
		}
		b.Append(dict.Value(int(k)))
	}
	return nil
}
