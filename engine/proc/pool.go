package proc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/proc/wire"
	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/io/source"
)

// Options configure a Pool. The zero value is usable.
type Options struct {
	// Workers is the number of worker processes (0: runtime.NumCPU()). Each
	// runs with GOMAXPROCS = NumCPU/Workers (at least 1) unless GOMAXPROCS
	// is set in the environment or Env.
	Workers int
	// Command runs a worker, e.g. {"/usr/bin/dfq", "worker"}. Nil re-executes
	// this program (os.Executable()), which must then call IsWorker and
	// RunWorker first thing in main. EnvWorker is set either way.
	Command []string
	// Env is added to the workers' environment (after os.Environ()).
	Env []string
	// Log receives the workers' stderr, line by line, each prefixed with
	// "[worker N] " (nil: os.Stderr). Writes are serialised.
	Log io.Writer
	// Mem allocates the result records read from workers (nil: the default
	// allocator).
	Mem memory.Allocator
	// Grace is how long a stopping worker has to exit once its stdin is
	// closed before it is killed (0: 300ms).
	Grace time.Duration
	// StartTimeout bounds a worker's start-up and handshake (0: 30s).
	StartTimeout time.Duration
	// Limits bound what the pool accepts from a worker (zero: wire's defaults).
	Limits wire.Limits
	// ShareDir is where in-memory tables are written for workers to map
	// (see ShareTable; "": /dev/shm when writable, else os.TempDir()).
	ShareDir string
	// ShareCache bounds the bytes of shared tables kept for later queries
	// (0: 1 GiB; negative: none, files are removed after each query).
	ShareCache int64
	// PipeResults makes workers send every result through their pipe. By
	// default, when ShareDir is set or /dev/shm is writable, results of
	// ResultFileBytes or more come back as files there (see package wire).
	PipeResults bool
	// ResultFileBytes is the smallest result stream sent as a file (0:
	// 4 MiB; below that the pipe costs no more).
	ResultFileBytes int64
}

// defaultResultFileBytes is Options.ResultFileBytes's default.
const defaultResultFileBytes = 4 << 20

// Pool is a set of long-lived worker processes that run fragments over
// splits: the process executor. It implements exec.LeafRunner. Workers start
// on first use and are reused by later queries; a worker that dies or
// misbehaves is replaced by a fresh one when next needed. Queries on one pool
// run one at a time (RunLeaf serialises them). Close stops the workers.
//
// Each worker runs one task at a time and has the next one already queued on
// its stdin, so it never waits for the parent between splits.
type Pool struct {
	opts    Options
	command []string
	procs   int // GOMAXPROCS for each worker
	log     io.Writer
	logMu   sync.Mutex

	mu     sync.Mutex // held by a running query and by Close
	closed bool
	slots  []*slot
	nextID int
	groups uint64 // task groups handed out (wire.Task.Group)

	statsMu sync.Mutex
	stats   PoolStats

	shareMu    sync.Mutex // guards shared, shareBytes (and reads closed)
	shared     []*sharedTable
	shareBytes int64
	sweepOnce  sync.Once // removeStale before the first shared file

	// results is the path prefix of the workers' result files (see
	// wire.Hello), "" when results come through the pipes; starts numbers
	// the processes started, each adding its number to the prefix.
	results string
	starts  atomic.Int64
}

// pools numbers the pools of this process (their result file names).
var pools atomic.Int64

// slot holds the process of one worker position; interrupt may read it while
// its query driver replaces it.
type slot struct {
	mu sync.Mutex
	pr *process
}

func (s *slot) get() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pr
}

func (s *slot) set(pr *process) {
	s.mu.Lock()
	s.pr = pr
	s.mu.Unlock()
}

func (s *slot) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pr != nil {
		s.pr.interrupt()
	}
}

// PoolStats describes a pool's activity.
type PoolStats struct {
	Workers int `json:"workers"` // pool size
	// Started counts worker processes started, replacements included;
	// StartupTotal and StartupMax are their start-up times (process start
	// to handshake done).
	Started      int           `json:"started"`
	StartupTotal time.Duration `json:"startup_total"`
	StartupMax   time.Duration `json:"startup_max"`
	// LastQuery describes the last RunLeaf.
	LastQuery QueryStats `json:"last_query"`
}

// QueryStats describes one RunLeaf.
type QueryStats struct {
	Splits  int `json:"splits"`
	Tasks   int `json:"tasks"`   // tasks sent, retries included
	Retries int `json:"retries"` // splits retried after a worker died
	Started int `json:"started"` // workers started for this query
	// Startup is the wall time spent starting workers before the first task
	// could be sent (starts run in parallel).
	Startup time.Duration `json:"startup"`
	// BytesSent and BytesReceived count bytes to and from workers: the
	// protocol's, and those of the result files read (ResultFiles of them).
	BytesSent     int64         `json:"bytes_sent"`
	BytesReceived int64         `json:"bytes_received"`
	ResultFiles   int           `json:"result_files"`
	Elapsed       time.Duration `json:"elapsed"`
}

// NewPool returns a pool; no process starts until the first query.
func NewPool(o Options) (*Pool, error) {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Grace <= 0 {
		o.Grace = 300 * time.Millisecond
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	p := &Pool{opts: o, log: o.Log, command: o.Command}
	if p.log == nil {
		p.log = os.Stderr
	}
	if len(p.command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("proc: locating this program to run workers: %w", err)
		}
		p.command = []string{exe}
	}
	p.procs = max(1, runtime.NumCPU()/o.Workers)
	p.slots = make([]*slot, o.Workers)
	for i := range p.slots {
		p.slots[i] = &slot{}
	}
	p.stats.Workers = o.Workers
	if o.ResultFileBytes <= 0 {
		p.opts.ResultFileBytes = defaultResultFileBytes
	}
	if !o.PipeResults {
		dir := o.ShareDir
		if dir == "" {
			dir = shareDir()
		}
		if o.ShareDir != "" || dir == shmDir {
			p.results = filepath.Join(dir, fmt.Sprintf("%s%d-%d-", resultPrefix, os.Getpid(), pools.Add(1)))
		}
	}
	return p, nil
}

// Options returns the options the pool was made with, defaults applied.
func (p *Pool) Options() Options { return p.opts }

// Stats returns the pool's statistics so far.
func (p *Pool) Stats() PoolStats {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	return p.stats
}

// Close stops every worker (Shutdown, then end of input, then SIGKILL after
// the grace period) and waits until all are reaped. It waits for a running
// query to finish. It is safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.shareMu.Lock()
	p.closed = true
	p.shareMu.Unlock()
	p.closeShared()
	var wg sync.WaitGroup
	for _, s := range p.slots {
		pr := s.get()
		if pr == nil {
			continue
		}
		s.set(nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr.stop(p.opts.Grace, true)
		}()
	}
	wg.Wait()
	if p.results != "" {
		removeMatching(p.results)
	}
	return nil
}

// removeMatching removes the files whose paths start with prefix.
func removeMatching(prefix string) {
	dir, base := filepath.Split(prefix)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), base) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// splitRef is one split of a query, as a task.
type splitRef struct {
	idx      int
	split    source.Split
	attempts int    // times sent to a worker that then died
	id       uint64 // task id on the worker it was last sent to
	counted  bool   // its scan statistics were added (a re-run adds none)
}

// query is one RunLeaf in progress.
type query struct {
	p       *Pool
	frag    []byte
	buckets int
	mem     memory.Allocator
	stats   *exec.Stats
	// group is non-zero when the fragment accumulates (exec.Accumulates):
	// each worker then adds all its splits into one partial result, flushed
	// once it has no more work, and results holds one entry per flush.
	// Otherwise results holds each split's output at its index.
	group   uint64
	results []exec.Buckets

	mu    sync.Mutex
	queue []*splitRef // splits not yet sent
	qs    QueryStats
}

func (q *query) take() *splitRef {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		return nil
	}
	s := q.queue[0]
	q.queue = q.queue[1:]
	return s
}

// RunLeaf runs f over every split in the pool's workers and returns their
// phase-one outputs, which the caller releases: when exec.Accumulates(f),
// one per worker that ran splits (each worker adds all its splits of the
// query into one partial result, sent back once, so neither the pipes nor
// the parent carry one partial result per split); otherwise, per split in
// order, the buckets exec.RunSplit produced. It adds each split's scan
// statistics to stats once.
//
// A split whose worker dies (exits, is killed) is retried once on a fresh
// worker, together with the splits whose partial result that worker held; a
// second death fails the query with a *WorkerError naming the worker, the
// split and the tail of its stderr. A task that fails inside a
// healthy worker fails the query with a *TaskError; a worker that breaks the
// protocol fails it with a *WorkerError wrapping ErrProtocol, and is killed.
// When ctx is cancelled, every worker with work in flight is stopped (its
// stdin closed, SIGKILL after the grace period) and RunLeaf returns an error
// wrapping ctx.Err() once they are reaped. On any error nothing is returned:
// results already received are released.
func (p *Pool) RunLeaf(ctx context.Context, f *exec.Fragment, splits []source.Split, stats *exec.Stats, mem memory.Allocator) (out []exec.Buckets, err error) {
	start := time.Now()
	frag, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("proc: encoding fragment: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("proc: %w", err)
	}
	q := &query{p: p, frag: frag, buckets: f.Buckets, mem: mem, stats: stats}
	if exec.Accumulates(f) {
		p.groups++
		q.group = p.groups
	} else {
		q.results = make([]exec.Buckets, len(splits))
	}
	if q.mem == nil {
		q.mem = p.opts.Mem
	}
	if q.mem == nil {
		q.mem = recycle.Default
	}
	q.qs.Splits = len(splits)
	for i, s := range splits {
		q.queue = append(q.queue, &splitRef{idx: i, split: s})
	}
	defer func() {
		q.qs.Elapsed = time.Since(start)
		p.statsMu.Lock()
		p.stats.LastQuery = q.qs
		p.statsMu.Unlock()
		if err != nil {
			for _, b := range q.results {
				wire.ReleaseBuckets(b)
			}
			out = nil
		}
	}()
	n := min(len(p.slots), len(splits))
	// The first failure cancels gctx, which interrupts every worker's pipes;
	// once the query is over (finished), a late interrupt must not touch
	// workers that the next query may already be using.
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var imu sync.Mutex
	finished := false
	stop := context.AfterFunc(gctx, func() {
		imu.Lock()
		defer imu.Unlock()
		if !finished {
			for _, s := range p.slots[:n] {
				s.interrupt()
			}
		}
	})
	var g errgroup.Group
	for i := 0; i < n; i++ {
		g.Go(func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("proc: internal error driving worker slot %d: %v", i, r)
				}
				if err != nil {
					cancel()
				}
			}()
			return q.drive(gctx, p.slots[i])
		})
	}
	err = g.Wait()
	stop()
	imu.Lock()
	finished = true
	imu.Unlock()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("proc: query stopped: %w", ctx.Err())
	}
	if err != nil {
		return nil, err
	}
	return q.results, nil
}

// drive runs splits from the queue on one worker slot until the queue is
// empty, keeping one task running and the next queued; in a grouped query it
// then flushes the worker's partial result.
func (q *query) drive(ctx context.Context, s *slot) (err error) {
	p := q.p
	pr := s.get()
	if pr != nil {
		if pr.alive() {
			pr.clearDeadlines()
		} else {
			pr.kill()
			s.set(nil)
			pr = nil
		}
	}
	// inflight: sent, not answered; held: answered, their partial result
	// held by the worker (grouped queries); retry: to send again.
	var inflight, held, retry []*splitRef
	flushDeaths := 0
	defer func() {
		// A worker left with work in flight or a partial result cannot be
		// reused: stop it (it cancels its task at end of input, and is
		// killed after the grace period otherwise).
		if pr != nil && (len(inflight) > 0 || len(held) > 0) {
			pr.stop(p.opts.Grace, false)
			s.set(nil)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if pr == nil {
			if len(retry) == 0 && q.empty() {
				return nil
			}
			if pr, err = q.start(ctx, s); err != nil {
				return err
			}
		}
		// Keep two tasks in flight, one running and one queued, while the
		// queue holds a split for every worker; then one, so that no worker
		// sits on a queued split while another has run out.
		for len(inflight) < q.depth() {
			t := q.next(&retry)
			if t == nil {
				break
			}
			inflight = append(inflight, t)
			if err := q.send(pr, t); err != nil {
				// The worker is gone or interrupted; reading says which.
				break
			}
		}
		if len(inflight) == 0 {
			if len(held) == 0 {
				return nil
			}
			err := q.flush(ctx, pr, held)
			if err == nil {
				held = nil
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var te *TaskError
			if errors.As(err, &te) {
				held = nil // the worker dropped the group and stays usable
				return err
			}
			if errors.Is(err, wire.ErrProtocol) {
				return err
			}
			pr.kill()
			s.set(nil)
			flushDeaths++
			if flushDeaths > 1 {
				held = nil
				return pr.failure(nil, flushDeaths, fmt.Errorf("sending the partial result of %d splits: %w", len(held), err))
			}
			fmt.Fprintf(q.p.logWriter(), "[worker %d] died sending the partial result of %d splits (%s); retrying them on a fresh worker\n", pr.id, len(held), pr.exitStatus())
			q.mu.Lock()
			q.qs.Retries += len(held)
			q.mu.Unlock()
			retry, held, pr = held, nil, nil
			continue
		}
		t := inflight[0]
		err := q.recv(ctx, pr, t)
		if err == nil {
			inflight = inflight[1:]
			if q.group != 0 {
				held = append(held, t)
			}
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var te *TaskError
		if errors.As(err, &te) {
			// The worker is healthy (and dropped its group); it stays in the
			// pool unless it has another task in flight.
			inflight, held = inflight[1:], nil
			return err
		}
		if errors.Is(err, wire.ErrProtocol) {
			return err
		}
		// The worker died: retry its splits, those it held included, on a
		// fresh one, unless the running split already killed one.
		pr.kill()
		s.set(nil)
		t.attempts++
		if t.attempts > 1 {
			inflight, held = nil, nil
			return pr.failure(t, t.attempts, err)
		}
		fmt.Fprintf(q.p.logWriter(), "[worker %d] died running %s (%s); retrying on a fresh worker\n", pr.id, describeSplit(t.split), pr.exitStatus())
		q.mu.Lock()
		q.qs.Retries += len(inflight) + len(held)
		q.mu.Unlock()
		retry = append(append(append([]*splitRef(nil), inflight...), held...), retry...)
		inflight, held = nil, nil
		pr = nil
	}
}

func (p *Pool) logWriter() io.Writer { return lockedWriter{p} }

type lockedWriter struct{ p *Pool }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.logMu.Lock()
	defer w.p.logMu.Unlock()
	return w.p.log.Write(b)
}

func (q *query) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue) == 0
}

// depth returns how many tasks a worker should have in flight: two while
// the queue holds a split for every worker, one after that.
func (q *query) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) >= len(q.p.slots) {
		return 2
	}
	return 1
}

// next returns the next split to send: a retried one first.
func (q *query) next(retry *[]*splitRef) *splitRef {
	if len(*retry) > 0 {
		t := (*retry)[0]
		*retry = (*retry)[1:]
		return t
	}
	return q.take()
}

// start starts a worker process for slot s.
func (q *query) start(ctx context.Context, s *slot) (*process, error) {
	p := q.p
	p.statsMu.Lock()
	p.nextID++
	id := p.nextID
	p.statsMu.Unlock()
	t0 := time.Now()
	pr, err := p.startProcess(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	s.set(pr)
	p.statsMu.Lock()
	p.stats.Started++
	p.stats.StartupTotal += pr.startup
	p.stats.StartupMax = max(p.stats.StartupMax, pr.startup)
	p.statsMu.Unlock()
	q.mu.Lock()
	q.qs.Started++
	q.qs.Startup = max(q.qs.Startup, time.Since(t0))
	q.mu.Unlock()
	// An interrupt that fired before s.set found no process to interrupt.
	if err := ctx.Err(); err != nil {
		pr.stop(p.opts.Grace, true)
		s.set(nil)
		return nil, err
	}
	return pr, nil
}

// send writes a task for t to the worker. After a failed write (the worker
// is gone, or interrupted) nothing more is written to it.
func (q *query) send(pr *process, t *splitRef) error {
	if pr.sendErr != nil {
		return pr.sendErr
	}
	pr.nextID++
	t.id = pr.nextID
	q.mu.Lock()
	q.qs.Tasks++
	q.mu.Unlock()
	return q.write(pr, &wire.Task{ID: t.id, Fragment: q.frag, Split: t.split, Buckets: q.buckets, Group: q.group})
}

// write sends one message and counts its bytes; a failure is remembered in
// pr.sendErr.
func (q *query) write(pr *process, m any) error {
	before := pr.enc.BytesWritten()
	err := pr.enc.WriteMsg(m)
	if err == nil {
		err = pr.enc.Flush()
	}
	q.mu.Lock()
	q.qs.BytesSent += pr.enc.BytesWritten() - before
	q.mu.Unlock()
	pr.sendErr = err
	return err
}

// answer reads the worker's answer to message id: its Result and buckets,
// or its Error. Anything else is a protocol error (the worker is killed);
// failures name split t (may be nil) as tried attempts times.
func (q *query) answer(ctx context.Context, pr *process, id uint64, t *splitRef, attempts int, what string) (*wire.Result, exec.Buckets, *wire.Error, error) {
	before := pr.dec.BytesRead()
	defer func() {
		q.mu.Lock()
		q.qs.BytesReceived += pr.dec.BytesRead() - before
		q.mu.Unlock()
	}()
	m, err := pr.dec.ReadMsg()
	if err != nil {
		return nil, nil, nil, pr.readFailed(ctx, t, attempts, what, err)
	}
	switch m := m.(type) {
	case *wire.Result:
		if m.ID != id {
			pr.kill()
			return nil, nil, nil, pr.failure(t, attempts, fmt.Errorf("%w: result for message %d, expected %d", wire.ErrProtocol, m.ID, id))
		}
		files := 0
		for _, f := range m.Files {
			if f != "" {
				files++
			}
		}
		b, fileBytes, err := pr.dec.ReadResult(m, pr.acceptResult, q.mem)
		q.mu.Lock()
		q.qs.BytesReceived += fileBytes
		if err == nil {
			q.qs.ResultFiles += files
		}
		q.mu.Unlock()
		if err != nil {
			return nil, nil, nil, pr.readFailed(ctx, t, attempts, what, err)
		}
		return m, b, nil, nil
	case *wire.Error:
		if m.ID != id {
			pr.kill()
			return nil, nil, nil, pr.failure(t, attempts, fmt.Errorf("%w: error for message %d, expected %d: %v", wire.ErrProtocol, m.ID, id, m))
		}
		return nil, nil, m, nil
	}
	pr.kill()
	return nil, nil, nil, pr.failure(t, attempts, fmt.Errorf("%w: unexpected %T message", wire.ErrProtocol, m))
}

// recv reads the answer to task t and stores its buckets.
func (q *query) recv(ctx context.Context, pr *process, t *splitRef) error {
	res, b, werr, err := q.answer(ctx, pr, t.id, t, t.attempts+1, "reading the result")
	if err != nil {
		return err
	}
	if werr != nil {
		return &TaskError{Worker: pr.id, Split: t.split, Code: werr.Code, Msg: werr.Message}
	}
	if q.group != 0 {
		if len(b) > 0 {
			wire.ReleaseBuckets(b)
			pr.kill()
			return pr.failure(t, t.attempts+1, fmt.Errorf("%w: rows sent for task %d of a group", wire.ErrProtocol, t.id))
		}
	} else {
		q.results[t.idx] = b
	}
	if q.stats != nil && !t.counted {
		q.stats.AddScan(res.Stats)
	}
	t.counted = true
	return nil
}

// readFailed turns an error reading the worker's answer into the query's:
// the context's error when cancelled; for bytes that are not the protocol,
// a *WorkerError naming split t (may be nil) after killing the worker;
// otherwise the worker died (see drive).
func (pr *process) readFailed(ctx context.Context, t *splitRef, attempts int, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, wire.ErrProtocol) {
		pr.kill()
		return pr.failure(t, attempts, pr.readError(what, err))
	}
	return pr.readError(what, err)
}

// flush asks the worker for the partial result of the splits it held and
// stores it.
func (q *query) flush(ctx context.Context, pr *process, held []*splitRef) error {
	if pr.sendErr != nil {
		return pr.readError("flushing", pr.sendErr)
	}
	pr.nextID++
	id := pr.nextID
	// After a failed write the worker is gone or interrupted; reading says
	// which.
	q.write(pr, &wire.Flush{ID: id, Group: q.group})
	_, b, werr, err := q.answer(ctx, pr, id, nil, 1, fmt.Sprintf("reading the partial result of %d splits", len(held)))
	if err != nil {
		return err
	}
	if werr != nil {
		return &TaskError{Worker: pr.id, Held: len(held), Code: werr.Code, Msg: werr.Message}
	}
	q.mu.Lock()
	q.results = append(q.results, b)
	q.mu.Unlock()
	return nil
}

var _ exec.LeafRunner = (*Pool)(nil)
