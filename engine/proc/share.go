package proc

import (
	"context"
	"fmt"
	"os"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/io/arrowipc"
	"github.com/dfq/dfq/io/source"
)

// In-memory inputs. Workers cannot see the parent's Arrow records, and
// piping the records to each worker would copy them once per worker through
// the kernel. Instead ShareTable writes them once, uncompressed, as Arrow IPC
// files in shared memory (/dev/shm, a tmpfs, when there is one); each
// partition is one record batch and one split. The splits are marked Mmap:
// a worker maps the file read-only and its arrays point into the map
// (io/arrowipc decodes such files in place), so the pages written by the
// parent are the only copy, shared by every worker. The files are removed
// when the query ends; a worker's mapping lives until its arrays are
// released.

// ShareTable implements exec.TableSharer.
func (p *Pool) ShareTable(ctx context.Context, schema *arrow.Schema, parts []arrow.Record) (splits []source.Split, done func(), err error) {
	for _, f := range schema.Fields() {
		if !arrowipc.Mappable(f.Type) {
			return nil, nil, fmt.Errorf("proc: column %q of type %s cannot be shared with workers: %w", f.Name, f.Type, exec.ErrNotShareable)
		}
	}
	dir := p.opts.ShareDir
	if dir == "" {
		dir = shareDir()
	}
	var files []string
	done = func() {
		for _, f := range files {
			os.Remove(f)
		}
	}
	defer func() {
		if err != nil {
			done()
		}
	}()
	// One file per run of partitions whose dictionaries agree: the IPC file
	// format cannot replace a dictionary.
	for start := 0; start < len(parts); {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		end := start + 1
		for end < len(parts) && sameDictionaries(parts[start], parts[end]) {
			end++
		}
		f, err := os.CreateTemp(dir, "dfq-table-*.arrow")
		if err != nil {
			return nil, nil, fmt.Errorf("proc: sharing an in-memory table: %w", err)
		}
		files = append(files, f.Name())
		if err := writeShared(f, schema, parts[start:end]); err != nil {
			return nil, nil, fmt.Errorf("proc: sharing an in-memory table in %s: %w", f.Name(), err)
		}
		for i, r := range parts[start:end] {
			splits = append(splits, source.Split{
				Index: len(splits), Format: source.Arrow, Path: f.Name(), Batches: []int{i},
				Rows: r.NumRows(), Bytes: recordBytes(r), Mmap: true,
			})
		}
		start = end
	}
	return splits, done, nil
}

// shareDir is /dev/shm when it is a writable directory, else the temporary
// directory.
func shareDir() string {
	const shm = "/dev/shm"
	if st, err := os.Stat(shm); err == nil && st.IsDir() {
		if f, err := os.CreateTemp(shm, "dfq-probe-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return shm
		}
	}
	return os.TempDir()
}

func writeShared(f *os.File, schema *arrow.Schema, recs []arrow.Record) (err error) {
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return err
	}
	for _, r := range recs {
		if !r.Schema().Equal(schema) {
			// Same columns, metadata aside: rebuild on the shared schema.
			r = array.NewRecord(schema, r.Columns(), r.NumRows())
			defer r.Release()
		}
		if err := w.Write(r); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// sameDictionaries says whether every dictionary column of a and b has the
// same dictionary.
func sameDictionaries(a, b arrow.Record) bool {
	for i, c := range a.Columns() {
		da, ok := c.(*array.Dictionary)
		if !ok {
			continue
		}
		db, ok := b.Column(i).(*array.Dictionary)
		if !ok {
			return false
		}
		x, y := da.Dictionary(), db.Dictionary()
		if x != y && !array.Equal(x, y) {
			return false
		}
	}
	return true
}

// recordBytes estimates the size of a record as 8 bytes per value.
func recordBytes(r arrow.Record) int64 { return r.NumRows() * r.NumCols() * 8 }
