package proc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

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
// partition is one record batch, and a split covers consecutive batches. The
// splits are marked Mmap:
// a worker maps the file read-only and its arrays point into the map
// (io/arrowipc decodes such files in place), so the pages written by the
// parent are the only copy, shared by every worker. The files are kept for
// later queries over the same partitions (within Options.ShareCache bytes)
// and removed when the pool closes; a worker's mapping lives until its
// arrays are released.

// sharedTable is a table written for workers, kept for later queries.
type sharedTable struct {
	key    string
	splits []source.Split
	files  []string
	bytes  int64          // size of the files
	held   []arrow.Record // the parts, retained: their buffers stay theirs
	users  int            // queries running over it
}

func (st *sharedTable) free() {
	for _, f := range st.files {
		os.Remove(f)
	}
	for _, r := range st.held {
		r.Release()
	}
	st.files, st.held = nil, nil
}

// defaultShareCache bounds the shared files kept between queries.
const defaultShareCache = 1 << 30

// ShareTable implements exec.TableSharer: it writes parts to shared memory
// (one file per run of parts with the same dictionaries, one record batch
// per part) and returns splits of consecutive parts, about eight per worker
// of 64Ki to 1Mi rows each.
//
// A file that cannot be written (no space in /dev/shm, say) is reported as
// exec.ErrNotShareable, so the query runs in the parent instead of failing.
//
// Files are kept for later queries over the same partitions (the same
// arrays, identified by their buffers, which the pool retains meanwhile so
// that their memory cannot be reused for other data), up to
// Options.ShareCache bytes, least recently used first out; Close removes
// them.
func (p *Pool) ShareTable(ctx context.Context, schema *arrow.Schema, parts []arrow.Record) ([]source.Split, func(), error) {
	for _, f := range schema.Fields() {
		if !arrowipc.Mappable(f.Type) {
			return nil, nil, fmt.Errorf("proc: column %q of type %s cannot be shared with workers: %w", f.Name, f.Type, exec.ErrNotShareable)
		}
	}
	key := shareKey(schema, parts)
	p.shareMu.Lock()
	if p.closed {
		p.shareMu.Unlock()
		return nil, nil, ErrClosed
	}
	for i, st := range p.shared {
		if st.key == key {
			st.users++
			// Most recently used last.
			p.shared = append(append(p.shared[:i:i], p.shared[i+1:]...), st)
			p.shareMu.Unlock()
			return st.splits, p.unshare(st), nil
		}
	}
	p.shareMu.Unlock()

	st, err := p.writeShared(ctx, schema, parts)
	if err != nil {
		return nil, nil, err
	}
	st.key, st.users = key, 1
	for _, r := range parts {
		r.Retain()
		st.held = append(st.held, r)
	}
	p.shareMu.Lock()
	if p.closed {
		// Closed while writing: nothing would remove the files later.
		p.shareMu.Unlock()
		st.free()
		return nil, nil, ErrClosed
	}
	p.shared = append(p.shared, st)
	p.shareBytes += st.bytes
	p.shareMu.Unlock()
	return st.splits, p.unshare(st), nil
}

// unshare returns the function that ends a query's use of st and trims the
// cache.
func (p *Pool) unshare(st *sharedTable) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			p.shareMu.Lock()
			defer p.shareMu.Unlock()
			st.users--
			limit := p.opts.ShareCache
			if limit == 0 {
				limit = defaultShareCache
			}
			// Evict idle tables, least recently used first, while over the
			// limit.
			for i := 0; i < len(p.shared) && (p.shareBytes > limit || limit < 0); {
				if s := p.shared[i]; s.users == 0 {
					s.free()
					p.shareBytes -= s.bytes
					p.shared = append(p.shared[:i], p.shared[i+1:]...)
					continue
				}
				i++
			}
		})
	}
}

// closeShared frees every shared table (the pool is closing).
func (p *Pool) closeShared() {
	p.shareMu.Lock()
	defer p.shareMu.Unlock()
	for _, s := range p.shared {
		s.free()
	}
	p.shared, p.shareBytes = nil, 0
}

// shareKey identifies partitions by schema and by the addresses, offsets
// and lengths of their arrays' buffers.
func shareKey(schema *arrow.Schema, parts []arrow.Record) string {
	var b strings.Builder
	b.WriteString(schema.String())
	var data func(d arrow.ArrayData)
	data = func(d arrow.ArrayData) {
		fmt.Fprintf(&b, "|%d+%d", d.Offset(), d.Len())
		for _, buf := range d.Buffers() {
			if buf == nil || buf.Len() == 0 {
				b.WriteString(",-")
				continue
			}
			fmt.Fprintf(&b, ",%p:%d", &buf.Bytes()[0], buf.Len())
		}
		for _, c := range d.Children() {
			data(c)
		}
		if d.DataType().ID() == arrow.DICTIONARY {
			b.WriteString("|dict")
			data(d.Dictionary())
		}
	}
	for _, r := range parts {
		fmt.Fprintf(&b, "\n%d", r.NumRows())
		for _, c := range r.Columns() {
			data(c.Data())
		}
	}
	return b.String()
}

// writeShared writes parts to new files in the share directory.
func (p *Pool) writeShared(ctx context.Context, schema *arrow.Schema, parts []arrow.Record) (st *sharedTable, err error) {
	dir := p.opts.ShareDir
	if dir == "" {
		dir = shareDir()
	}
	p.sweepOnce.Do(func() { removeStale(dir) })
	var rows int64
	for _, r := range parts {
		rows += r.NumRows()
	}
	// About 8 splits per worker for balance, each of 64Ki to 1Mi rows.
	target := min(max(rows/int64(8*p.opts.Workers), 1<<16), 1<<20)
	made := &sharedTable{}
	st = made
	defer func() {
		if err != nil {
			made.free() // st is nil by now
		}
	}()
	for start := 0; start < len(parts); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := start + 1
		for end < len(parts) && sameDictionaries(parts[start], parts[end]) {
			end++
		}
		f, err := os.CreateTemp(dir, fmt.Sprintf("%s%d-*.arrow", sharePrefix, os.Getpid()))
		if err != nil {
			return nil, fmt.Errorf("proc: sharing an in-memory table: %w: %w", exec.ErrNotShareable, err)
		}
		st.files = append(st.files, f.Name())
		n, err := writeIPCFile(f, schema, parts[start:end])
		if err != nil {
			return nil, fmt.Errorf("proc: sharing an in-memory table in %s: %w: %w", f.Name(), exec.ErrNotShareable, err)
		}
		st.bytes += n
		// Consecutive batches form splits of about target rows: one task
		// per 64Ki-row partition would cost a round trip each.
		var sp *source.Split
		for i, r := range parts[start:end] {
			if sp == nil || sp.Rows+r.NumRows() > target {
				st.splits = append(st.splits, source.Split{Index: len(st.splits), Format: source.Arrow, Path: f.Name(), Mmap: true})
				sp = &st.splits[len(st.splits)-1]
			}
			sp.Batches = append(sp.Batches, i)
			sp.Rows += r.NumRows()
			sp.Bytes += n / int64(end-start)
		}
		start = end
	}
	return st, nil
}

// sharePrefix starts the name of every shared file, followed by the pid of
// the process that wrote it; resultPrefix that of every result file (see
// Options.PipeResults), followed by the pid of the parent it is for.
const (
	sharePrefix  = "dfq-table-"
	resultPrefix = "dfq-result-"
)

// removeStale removes the shared files in dir left by processes that no
// longer exist (killed before their pool could close): in /dev/shm they
// would hold memory until the machine restarts.
func removeStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), sharePrefix)
		if !ok {
			if rest, ok = strings.CutPrefix(e.Name(), resultPrefix); !ok {
				continue
			}
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if processGone(pid) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// shmDir is Linux's shared memory file system.
const shmDir = "/dev/shm"

// shareDir is /dev/shm when it is a writable directory, else the temporary
// directory.
func shareDir() string {
	const shm = shmDir
	if st, err := os.Stat(shm); err == nil && st.IsDir() {
		if f, err := os.CreateTemp(shm, "dfq-probe-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return shm
		}
	}
	return os.TempDir()
}

// writeIPCFile writes recs to f, uncompressed, closes f and returns its size.
func writeIPCFile(f *os.File, schema *arrow.Schema, recs []arrow.Record) (size int64, err error) {
	defer func() {
		if err == nil {
			var st os.FileInfo
			if st, err = f.Stat(); err == nil {
				size = st.Size()
			}
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		if !r.Schema().Equal(schema) {
			// Same columns, metadata aside: rebuild on the shared schema.
			r = array.NewRecord(schema, r.Columns(), r.NumRows())
			defer r.Release()
		}
		if err := w.Write(r); err != nil {
			w.Close()
			return 0, err
		}
	}
	return 0, w.Close()
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
