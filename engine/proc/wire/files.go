package wire

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/arrowipc"
)

// Large results may travel as files rather than on the pipe. When the
// parent's Hello names a path prefix (Hello.Results, a directory in shared
// memory and a name prefix of its own for that worker), a worker may write
// an IPC stream of a result to a file named prefix + a sequence number +
// ".arrows" and list it in Result.Files instead of sending it. The parent
// maps the file, decodes it in place (arrowipc.ReadStreamFile) and removes
// it. Only streams whose columns can be decoded in place qualify. Through
// the pipe a stream is copied into the pipe, out of it, through a checksum
// and out of the IPC framing into arrays; through a file in shared memory
// it is written once and read where it lies.

// Spiller writes a worker's large streams to files (see Hello.Results).
type Spiller struct {
	// Prefix starts every file's path: Hello.Results.
	Prefix string
	// MinBytes is the least a stream's buffers must hold to go to a file.
	MinBytes int64
	seq      int
	off      bool // a file could not be written: use the pipe from now on
	// Err is the first error writing a file (the stream went on the pipe).
	Err error
}

// Spill writes each stream of buckets (as BucketStreams counts them) of at
// least MinBytes whose columns are all arrowipc.Mappable to a file, and
// returns Result.Files: per stream its file, or "" for a stream that stays
// on the pipe; nil when every stream does. A stream whose file cannot be
// written (a full /dev/shm, say) stays on the pipe, and so do all later
// ones; Err records why.
func (s *Spiller) Spill(buckets [][]arrow.Record, mem memory.Allocator) []string {
	if s == nil || s.Prefix == "" || s.off {
		return nil
	}
	var files []string // one per stream, in order
	written := false
	eachStream(buckets, func(_ int, recs []arrow.Record) error {
		path := ""
		if !s.off && mappable(recs[0].Schema()) && streamBytes(recs) >= s.MinBytes {
			var err error
			if path, err = s.write(recs, mem); err != nil {
				s.off, s.Err = true, err
			}
		}
		files = append(files, path)
		written = written || path != ""
		return nil
	})
	if !written {
		return nil
	}
	return files
}

// write writes recs as one IPC stream to a new file.
func (s *Spiller) write(recs []arrow.Record, mem memory.Allocator) (path string, err error) {
	s.seq++
	path = s.Prefix + strconv.Itoa(s.seq) + ".arrows"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := ipc.NewWriter(bw, ipc.WithSchema(recs[0].Schema()), ipc.WithAllocator(mem))
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			w.Close()
			return "", fmt.Errorf("wire: writing %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("wire: writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("wire: writing %s: %w", path, err)
	}
	return path, nil
}

// mappable says whether every column of schema is decoded in place.
func mappable(schema *arrow.Schema) bool {
	for _, f := range schema.Fields() {
		if !arrowipc.Mappable(f.Type) {
			return false
		}
	}
	return true
}

// streamBytes is the size of the buffers of recs (dictionaries included).
func streamBytes(recs []arrow.Record) int64 {
	var n int64
	var data func(d arrow.ArrayData)
	data = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			data(c)
		}
		if d.DataType().ID() == arrow.DICTIONARY {
			// (Dictionary returns a typed nil for other types.)
			data(d.Dictionary())
		}
	}
	for _, r := range recs {
		for _, c := range r.Columns() {
			data(c.Data())
		}
	}
	return n
}

// eachStream calls fn for every IPC stream of buckets in order (k counts
// them from 0): a run of consecutive records of one bucket with equal
// schemas, nil records skipped.
func eachStream(buckets [][]arrow.Record, fn func(k int, recs []arrow.Record) error) error {
	k := 0
	var run []arrow.Record
	for _, recs := range buckets {
		run = run[:0]
		for _, r := range recs {
			if r == nil {
				continue
			}
			if len(run) > 0 && !r.Schema().Equal(run[0].Schema()) {
				if err := fn(k, run); err != nil {
					return err
				}
				k++
				run = run[:0]
			}
			run = append(run, r)
		}
		if len(run) > 0 {
			if err := fn(k, run); err != nil {
				return err
			}
			k++
		}
	}
	return nil
}

// RemoveFiles removes the files a Result lists (for a result that will not
// be read).
func RemoveFiles(files []string) {
	for _, f := range files {
		if f != "" {
			os.Remove(f)
		}
	}
}
