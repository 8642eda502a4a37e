package h2o

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/dfq/dfq/io/parquet"
)

// Generate produces the dataset's chunks in order on up to workers goroutines
// (chunks are generated ahead in parallel, at most 2*workers in memory) and
// hands each to emit, which must not keep it after returning.
func (c Config) Generate(ctx context.Context, mem memory.Allocator, workers int, emit func(arrow.Record) error) error {
	if err := c.Validate(); err != nil {
		return err
	}
	workers = max(workers, 1)
	n := c.Chunks()
	slots := make([]chan arrow.Record, n)
	for i := range slots {
		slots[i] = make(chan arrow.Record, 1)
	}
	g, gctx := errgroup.WithContext(ctx)
	sem := make(chan struct{}, 2*workers)
	g.Go(func() error {
		// Producer: bounded look-ahead so memory stays O(workers) chunks.
		pg, pctx := errgroup.WithContext(gctx)
		pg.SetLimit(workers)
		for i := 0; i < n; i++ {
			select {
			case sem <- struct{}{}:
			case <-pctx.Done():
				return pg.Wait()
			}
			pg.Go(func() error {
				rec := c.Chunk(mem, i)
				select {
				case slots[i] <- rec:
					return nil
				case <-pctx.Done():
					rec.Release()
					return pctx.Err()
				}
			})
		}
		return pg.Wait()
	})
	g.Go(func() error {
		for i := 0; i < n; i++ {
			var rec arrow.Record
			select {
			case rec = <-slots[i]:
			case <-gctx.Done():
				return gctx.Err()
			}
			err := emit(rec)
			rec.Release()
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
		case rec := <-s:
			rec.Release()
		default:
		}
	}
	return err
}

// WriteParquet writes the dataset to path as snappy Parquet with one row
// group per chunk (about 1M rows). It writes to a temporary file first and
// renames it into place, so an interrupted run leaves no partial file.
func (c Config) WriteParquet(ctx context.Context, path string, workers int) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".h2o-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w, err := parquet.NewWriter(tmp, Schema(), parquet.WriteOptions{Compression: "snappy", RowGroupRows: ChunkRows})
	if err != nil {
		return err
	}
	if err := c.Generate(ctx, memory.DefaultAllocator, workers, w.Write); err != nil {
		w.Close()
		return fmt.Errorf("h2o: generating %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("h2o: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
