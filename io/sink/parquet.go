package sink

import (
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/dfq/dfq/io/parquet"
)

// parquetWriter writes a Parquet file through io/parquet, which accepts
// dictionary columns for utf8 fields as they are.
type parquetWriter struct {
	out    *arrow.Schema
	w      *parquet.Writer
	closed bool
}

func newParquetWriter(w io.Writer, out *arrow.Schema, o Options) (Writer, error) {
	pw, err := parquet.NewWriter(w, out, parquet.WriteOptions{Compression: o.Compression})
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	return &parquetWriter{out: out, w: pw}, nil
}

func (p *parquetWriter) Write(rec arrow.Record) error {
	if p.closed {
		return ErrClosed
	}
	if err := check(Parquet, p.out, rec); err != nil {
		return err
	}
	for j, col := range rec.Columns() {
		if d, ok := col.(*array.Dictionary); ok {
			if err := checkIndices(d); err != nil {
				return fmt.Errorf("sink: %s: column %d %q: %w", Parquet, j, p.out.Field(j).Name, err)
			}
		}
	}
	if err := p.w.Write(rec); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	return nil
}

func (p *parquetWriter) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	return nil
}

// checkIndices verifies that every non-NULL index of d is within its dictionary.
func checkIndices(d *array.Dictionary) error {
	n := d.Dictionary().Len()
	switch idx := d.Indices().(type) {
	case *array.Int8:
		return indicesInRange(idx.Int8Values(), n, d)
	case *array.Int16:
		return indicesInRange(idx.Int16Values(), n, d)
	case *array.Int32:
		return indicesInRange(idx.Int32Values(), n, d)
	case *array.Int64:
		return indicesInRange(idx.Int64Values(), n, d)
	case *array.Uint8:
		return indicesInRange(idx.Uint8Values(), n, d)
	case *array.Uint16:
		return indicesInRange(idx.Uint16Values(), n, d)
	case *array.Uint32:
		return indicesInRange(idx.Uint32Values(), n, d)
	case *array.Uint64:
		return indicesInRange(idx.Uint64Values(), n, d)
	}
	return fmt.Errorf("unsupported dictionary index type %s", d.Indices().DataType())
}

func indicesInRange[T integer](idx []T, n int, a arrow.Array) error {
	valid, off := validity(a)
	for i, k := range idx {
		if int64(k) < 0 || uint64(k) >= uint64(n) {
			if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
				continue
			}
			return fmt.Errorf("row %d: dictionary index %d out of range [0, %d)", i, k, n)
		}
	}
	return nil
}
