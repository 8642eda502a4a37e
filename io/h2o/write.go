package h2o

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/sink"
)

// The file formats Write produces; each is also the file's extension.
const (
	Parquet = "parquet" // snappy, one row group per chunk
	CSV     = "csv"     // with a header; NULL is an empty field
	Arrow   = "arrow"   // Arrow IPC file, one record batch per chunk
)

// Formats lists the formats Write accepts.
var Formats = []string{Parquet, CSV, Arrow}

// WriteOptions say how Write works.
type WriteOptions struct {
	// Workers is the number of goroutines generating chunks (and, for CSV,
	// formatting them); 0 means runtime.NumCPU().
	Workers int
	// Progress, when set, is called from one goroutine after each chunk is
	// written, with the rows written so far and the total.
	Progress func(rows, total int64)
}

// FileName is the dataset's file name in format, such as
// G1_1e7_1e2_0_0.parquet.
func (c Config) FileName(format string) string { return c.Name() + "." + format }

// Generate produces the dataset's chunks in order on up to workers goroutines
// (chunks are generated ahead in parallel, at most 2*workers in memory) and
// hands each to emit, which must not keep it after returning.
func (c Config) Generate(ctx context.Context, mem memory.Allocator, workers int, emit func(arrow.Record) error) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return ordered(ctx, c.Chunks(), workers,
		func(i int) (arrow.Record, error) { return c.Chunk(mem, i), nil },
		func(rec arrow.Record) error {
			defer rec.Release()
			return emit(rec)
		},
		func(rec arrow.Record) { rec.Release() })
}

// ordered computes produce(0..n-1) on up to workers goroutines, with at most
// 2*workers results computed ahead, and hands the results to consume in
// order, on one goroutine. consume owns what it is given; results never
// consumed (after an error or cancellation) are given to drop.
func ordered[T any](ctx context.Context, n, workers int, produce func(int) (T, error), consume func(T) error, drop func(T)) error {
	workers = max(workers, 1)
	slots := make([]chan T, n)
	for i := range slots {
		slots[i] = make(chan T, 1)
	}
	g, gctx := errgroup.WithContext(ctx)
	sem := make(chan struct{}, 2*workers)
	g.Go(func() error {
		// Producer: bounded look-ahead so memory stays O(workers) results.
		pg, pctx := errgroup.WithContext(gctx)
		pg.SetLimit(workers)
		for i := 0; i < n; i++ {
			select {
			case sem <- struct{}{}:
			case <-pctx.Done():
				return pg.Wait()
			}
			pg.Go(func() error {
				v, err := produce(i)
				if err != nil {
					return err
				}
				select {
				case slots[i] <- v:
					return nil
				case <-pctx.Done():
					drop(v)
					return pctx.Err()
				}
			})
		}
		return pg.Wait()
	})
	g.Go(func() error {
		for i := 0; i < n; i++ {
			var v T
			select {
			case v = <-slots[i]:
			case <-gctx.Done():
				return gctx.Err()
			}
			err := consume(v)
			<-sem
			if err != nil {
				return err
			}
		}
		return nil
	})
	err := g.Wait()
	for _, s := range slots {
		select {
		case v := <-s:
			drop(v)
		default:
		}
	}
	return err
}

// WriteParquet writes the dataset to path as snappy Parquet with one row
// group per chunk (about 1M rows), generating on workers goroutines. See
// Write.
func (c Config) WriteParquet(ctx context.Context, path string, workers int) error {
	return c.Write(ctx, path, Parquet, WriteOptions{Workers: workers})
}

// Write writes the dataset to path in format (see Formats), streaming: chunks
// are generated in parallel a few at a time and written in order, so memory
// stays bounded whatever the number of rows. The output is the same for a
// seed whatever the number of workers. It writes to a temporary file in the
// same directory first and renames it into place, so an interrupted run
// leaves no partial file.
func (c Config) Write(ctx context.Context, path, format string, o WriteOptions) (err error) {
	if err := c.Validate(); err != nil {
		return err
	}
	switch format {
	case Parquet, CSV, Arrow:
	default:
		return fmt.Errorf("h2o: unknown format %q (want parquet, csv or arrow)", format)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("h2o: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".h2o-*.tmp")
	if err != nil {
		return fmt.Errorf("h2o: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	var written int64
	progress := func(rows int64) {
		written += rows
		if o.Progress != nil {
			o.Progress(written, c.Rows)
		}
	}
	if o.Progress != nil {
		o.Progress(0, c.Rows)
	}
	switch format {
	case CSV:
		err = c.writeCSV(ctx, bw, workers, progress)
	default:
		err = c.writeRecords(ctx, bw, format, workers, progress)
	}
	if err != nil {
		return fmt.Errorf("h2o: writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("h2o: writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("h2o: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("h2o: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("h2o: %w", err)
	}
	return nil
}

// writeRecords writes Parquet or Arrow IPC, the encoding on one goroutine.
func (c Config) writeRecords(ctx context.Context, w io.Writer, format string, workers int, progress func(int64)) error {
	var sw interface {
		Write(arrow.Record) error
		Close() error
	}
	var err error
	if format == Parquet {
		sw, err = parquet.NewWriter(w, Schema(), parquet.WriteOptions{Compression: "snappy", RowGroupRows: int(c.chunkRows())})
	} else {
		sw, err = sink.NewWriter(sink.Arrow, w, Schema(), sink.Options{})
	}
	if err != nil {
		return err
	}
	err = c.Generate(ctx, memory.DefaultAllocator, workers, func(rec arrow.Record) error {
		if err := sw.Write(rec); err != nil {
			return err
		}
		progress(rec.NumRows())
		return nil
	})
	if err != nil {
		sw.Close()
		return err
	}
	return sw.Close()
}

// csvChunk is one chunk formatted as CSV lines.
type csvChunk struct {
	text []byte
	rows int64
}

// writeCSV writes CSV with a header; chunks are generated and formatted in
// parallel, then written in order.
func (c Config) writeCSV(ctx context.Context, w io.Writer, workers int, progress func(int64)) error {
	var header []byte
	for i, f := range Schema().Fields() {
		if i > 0 {
			header = append(header, ',')
		}
		header = append(header, f.Name...)
	}
	if _, err := w.Write(append(header, '\n')); err != nil {
		return err
	}
	return ordered(ctx, c.Chunks(), workers,
		func(i int) (csvChunk, error) {
			rec := c.Chunk(memory.DefaultAllocator, i)
			defer rec.Release()
			text, err := appendCSV(make([]byte, 0, int(rec.NumRows())*64), rec)
			if err != nil {
				return csvChunk{}, fmt.Errorf("chunk %d: %w", i, err)
			}
			return csvChunk{text, rec.NumRows()}, nil
		},
		func(ch csvChunk) error {
			if _, err := w.Write(ch.text); err != nil {
				return err
			}
			progress(ch.rows)
			return nil
		},
		func(csvChunk) {})
}

// appendCSV formats a chunk (of Schema()) as CSV lines: NULL is an empty
// field; the strings never need quoting (they are ids such as id042); v3 is
// written with the fewest digits that read back as the same float64, always
// with a decimal point.
func appendCSV(dst []byte, rec arrow.Record) ([]byte, error) {
	var strs [3]*array.String
	var ints [5]*array.Int32
	for i := range strs {
		s, ok := rec.Column(i).(*array.String)
		if !ok {
			return nil, fmt.Errorf("column %d is %s, want utf8", i, rec.Column(i).DataType())
		}
		strs[i] = s
	}
	for i := range ints {
		a, ok := rec.Column(3 + i).(*array.Int32)
		if !ok {
			return nil, fmt.Errorf("column %d is %s, want int32", 3+i, rec.Column(3+i).DataType())
		}
		ints[i] = a
	}
	v3, ok := rec.Column(8).(*array.Float64)
	if !ok {
		return nil, fmt.Errorf("column 8 is %s, want float64", rec.Column(8).DataType())
	}
	var ivals [5][]int32
	for i, a := range ints {
		ivals[i] = a.Int32Values()
	}
	fvals := v3.Float64Values()
	for r := range int(rec.NumRows()) {
		for _, s := range strs {
			if s.IsValid(r) {
				dst = append(dst, s.Value(r)...)
			}
			dst = append(dst, ',')
		}
		for i, a := range ints {
			if a.IsValid(r) {
				dst = strconv.AppendInt(dst, int64(ivals[i][r]), 10)
			}
			dst = append(dst, ',')
		}
		if v3.IsValid(r) {
			n := len(dst)
			dst = strconv.AppendFloat(dst, fvals[r], 'f', -1, 64)
			if bytes.IndexByte(dst[n:], '.') < 0 {
				dst = append(dst, ".0"...)
			}
		}
		dst = append(dst, '\n')
	}
	return dst, nil
}
