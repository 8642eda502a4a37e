package proc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/proc/wire"
	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/io/source"
)

// Serve is a worker's main loop. It answers the parent's Hello on stdin with
// Ready on stdout, then runs each Task it reads (exec.RunSplit, or, for a task
// of a group, exec.Accumulator.Add) and writes its Result or Error, answers
// each Flush with the group's partial result, until it reads Shutdown or
// stdin ends. It writes protocol
// bytes only to stdout and log lines only to stderr.
//
// The end of stdin cancels the task running: the parent has gone or wants
// the worker to stop. A panic in a task is recovered and reported as an
// Error (code "panic"); the worker keeps serving. Serve returns nil after
// Shutdown or end of input, ctx.Err() when ctx is cancelled, and an error
// when the handshake fails, stdin carries something that is not a protocol
// message, or stdout cannot be written (the connection is then unusable).
//
// Serve reads stdin on a goroutine of its own. When Serve returns for any
// other reason than Shutdown or the end of stdin, that goroutine may still be
// blocked reading; it ends when stdin is closed.
func Serve(ctx context.Context, stdin io.Reader, stdout io.Writer, stderr io.Writer) error {
	mem := &countingAlloc{mem: recycle.Default}
	return serve(ctx, stdin, stdout, stderr, mem)
}

// taskHook, when set (by tests, in worker processes), runs before each task
// with the task's 1-based number in this worker and the raw protocol output.
var taskHook func(n int, proto io.Writer)

// flushHook, when set (by tests, in worker processes), runs before each
// flush of a group held.
var flushHook func()

// spillHook, when set (by tests, in worker processes), runs after a result's
// streams are written to files and before it is announced.
var spillHook func()

// countingAlloc counts live bytes so the worker can report leaks.
type countingAlloc struct {
	mem  memory.Allocator
	live atomic.Int64
}

func (a *countingAlloc) Allocate(n int) []byte {
	a.live.Add(int64(n))
	return a.mem.Allocate(n)
}

// AllocateUninit is Allocate without clearing, when the base allocator can
// (see recycle.Uninit).
func (a *countingAlloc) AllocateUninit(n int) []byte {
	a.live.Add(int64(n))
	return recycle.AllocateUninit(a.mem, n)
}

func (a *countingAlloc) Reallocate(n int, b []byte) []byte {
	a.live.Add(int64(n - len(b)))
	return a.mem.Reallocate(n, b)
}

func (a *countingAlloc) Free(b []byte) {
	a.live.Add(-int64(len(b)))
	a.mem.Free(b)
}

type server struct {
	spill *wire.Spiller // nil: results go through the pipe
	// spillLogged: the first failure to write a result file was logged.
	spillLogged bool
	enc         *wire.Encoder
	raw         io.Writer
	stderr      io.Writer
	mem         memory.Allocator
	tasks       int

	// The group of tasks being accumulated (see wire.Task), if any: its id,
	// its accumulator, the splits added and the live Arrow bytes before it
	// started (for the leak check once it is flushed or dropped).
	group     uint64
	acc       *exec.Accumulator
	groupN    int
	groupLive int64
}

func serve(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, mem memory.Allocator) error {
	s := &server{enc: wire.NewEncoder(stdout, mem), raw: stdout, stderr: stderr, mem: mem}
	dec := wire.NewDecoder(stdin, wire.Limits{})
	if err := s.handshake(dec); err != nil {
		return err
	}
	defer s.dropGroup()

	// The reader goroutine keeps stdin drained (so the parent never blocks
	// writing the next task) and cancels the running task at end of input.
	tctx, cancelTask := context.WithCancel(ctx)
	defer cancelTask()
	msgs := make(chan any)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(msgs)
		for {
			m, err := dec.ReadMsg()
			if err != nil {
				readErr <- err
				cancelTask()
				return
			}
			select {
			case msgs <- m:
			case <-done:
				return
			}
			if _, ok := m.(*wire.Shutdown); ok {
				return
			}
		}
	}()

	for {
		var m any
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok = <-msgs:
		}
		if !ok {
			err := <-readErr
			if errors.Is(err, io.EOF) {
				return nil
			}
			s.send(&wire.Error{Code: wire.CodeProtocol, Message: err.Error()})
			return fmt.Errorf("proc: worker: reading input: %w", err)
		}
		switch m := m.(type) {
		case *wire.Task:
			if err := s.task(tctx, m); err != nil {
				return err
			}
		case *wire.Flush:
			if err := s.flush(tctx, m); err != nil {
				return err
			}
		case *wire.Shutdown:
			return nil
		default:
			err := fmt.Errorf("proc: worker: unexpected %T message", m)
			s.send(&wire.Error{Code: wire.CodeProtocol, Message: err.Error()})
			return err
		}
	}
}

func (s *server) send(m any) error {
	if err := s.enc.WriteMsg(m); err != nil {
		return err
	}
	return s.enc.Flush()
}

func (s *server) handshake(dec *wire.Decoder) error {
	m, err := dec.ReadMsg()
	if err != nil {
		if errors.Is(err, wire.ErrProtocol) {
			s.send(&wire.Error{Code: wire.CodeProtocol, Message: err.Error()})
		}
		return fmt.Errorf("proc: worker: reading hello: %w", err)
	}
	h, ok := m.(*wire.Hello)
	if !ok {
		err := fmt.Errorf("proc: worker: expected a hello message, got %T", m)
		s.send(&wire.Error{Code: wire.CodeProtocol, Message: err.Error()})
		return err
	}
	if h.Version != wire.Version {
		err := fmt.Errorf("proc: worker speaks protocol version %d, the parent %d: %w", wire.Version, h.Version, wire.ErrVersion)
		s.send(&wire.Error{Code: wire.CodeVersion, Message: err.Error()})
		return err
	}
	if h.Results != "" {
		s.spill = &wire.Spiller{Prefix: h.Results, MinBytes: h.ResultBytes}
	}
	if err := s.send(&wire.Ready{Version: wire.Version, PID: os.Getpid()}); err != nil {
		return fmt.Errorf("proc: worker: writing ready: %w", err)
	}
	return nil
}

func (s *server) live() int64 {
	if c, ok := s.mem.(*countingAlloc); ok {
		return c.live.Load()
	}
	return 0
}

// checkLeak reports Arrow bytes still live since before (when the allocator
// counts them).
func (s *server) checkLeak(before int64, what string) {
	if _, ok := s.mem.(*countingAlloc); !ok {
		return
	}
	if leaked := s.live() - before; leaked != 0 {
		fmt.Fprintf(s.stderr, "%s: %d bytes of Arrow memory not released\n", what, leaked)
	}
}

// dropGroup discards the group held, if any.
func (s *server) dropGroup() {
	if s.acc == nil {
		return
	}
	s.acc.Release()
	s.checkLeak(s.groupLive, fmt.Sprintf("group %d (%d splits)", s.group, s.groupN))
	s.acc, s.group, s.groupN = nil, 0, 0
}

// task runs one task and writes its answer. Only a failure to write is
// returned: it leaves the connection unusable.
func (s *server) task(ctx context.Context, t *wire.Task) error {
	s.tasks++
	start := time.Now()
	if t.Group != s.group {
		s.dropGroup()
	}
	live := s.live()
	buckets, st, code, err := s.run(ctx, t)
	if err != nil {
		if code == wire.CodePanic {
			fmt.Fprintf(s.stderr, "task %d (%s) panicked: %v\n", t.ID, describeSplit(t.Split), err)
		}
		// A failed split leaves its group's partial result undefined.
		s.dropGroup()
		if werr := s.send(&wire.Error{ID: t.ID, Code: code, Message: err.Error()}); werr != nil {
			return fmt.Errorf("proc: worker: writing error of task %d: %w", t.ID, werr)
		}
		return nil
	}
	if t.Group != 0 {
		// Accumulated: statistics only; the buckets come with the flush.
		res := &wire.Result{ID: t.ID, Stats: st, Nanos: time.Since(start).Nanoseconds()}
		if err := s.send(res); err != nil {
			return fmt.Errorf("proc: worker: writing result of task %d: %w", t.ID, err)
		}
		return nil
	}
	defer func() {
		wire.ReleaseBuckets(buckets)
		s.checkLeak(live, fmt.Sprintf("task %d (%s)", t.ID, describeSplit(t.Split)))
	}()
	compactBuckets(buckets, s.mem)
	res := &wire.Result{ID: t.ID, Stats: st, Streams: wire.BucketStreams(buckets), Nanos: time.Since(start).Nanoseconds()}
	return s.sendBuckets(res, buckets, "task", t.ID)
}

// sendBuckets writes a result and its buckets: large streams to files when
// the parent allows (see wire.Spiller), the rest through the pipe.
func (s *server) sendBuckets(res *wire.Result, buckets exec.Buckets, what string, id uint64) error {
	if s.spill != nil {
		res.Files = s.spill.Spill(buckets, s.mem)
		if spillHook != nil && res.Files != nil {
			spillHook()
		}
		if s.spill.Err != nil && !s.spillLogged {
			s.spillLogged = true
			fmt.Fprintf(s.stderr, "sending results through the pipe from now on: %v\n", s.spill.Err)
		}
	}
	err := s.enc.WriteMsg(res)
	if err == nil {
		err = s.enc.WriteResultStreams(buckets, res.Files)
	}
	if err == nil {
		err = s.enc.Flush()
	}
	if err != nil {
		// The parent is gone or stopped reading: the files are litter.
		wire.RemoveFiles(res.Files)
		return fmt.Errorf("proc: worker: writing result of %s %d: %w", what, id, err)
	}
	return nil
}

// flush finishes the group held and writes its buckets. Only a failure to
// write is returned.
func (s *server) flush(ctx context.Context, f *wire.Flush) error {
	start := time.Now()
	if s.acc == nil || s.group != f.Group {
		msg := fmt.Sprintf("proc: worker: flush %d: no partial result held for group %d", f.ID, f.Group)
		if s.acc != nil {
			msg += fmt.Sprintf(" (holding group %d)", s.group)
		}
		s.dropGroup()
		if err := s.send(&wire.Error{ID: f.ID, Code: wire.CodeTask, Message: msg}); err != nil {
			return fmt.Errorf("proc: worker: writing error of flush %d: %w", f.ID, err)
		}
		return nil
	}
	if flushHook != nil {
		flushHook()
	}
	buckets, err := s.finishGroup(ctx)
	if err != nil {
		s.dropGroup()
		code := wire.CodeTask
		var pe panicError
		if errors.As(err, &pe) {
			code = wire.CodePanic
			fmt.Fprintf(s.stderr, "flush %d panicked: %v\n", f.ID, err)
		}
		if werr := s.send(&wire.Error{ID: f.ID, Code: code, Message: err.Error()}); werr != nil {
			return fmt.Errorf("proc: worker: writing error of flush %d: %w", f.ID, werr)
		}
		return nil
	}
	defer func() {
		wire.ReleaseBuckets(buckets)
		s.dropGroup()
		releaseMemory()
	}()
	res := &wire.Result{ID: f.ID, Streams: wire.BucketStreams(buckets), Nanos: time.Since(start).Nanoseconds()}
	return s.sendBuckets(res, buckets, "flush", f.ID)
}

type panicError struct{ error }

// finishGroup finishes the accumulator, turning a panic into an error.
func (s *server) finishGroup(ctx context.Context) (b exec.Buckets, err error) {
	defer func() {
		if r := recover(); r != nil {
			wire.ReleaseBuckets(b)
			b = nil
			err = panicError{fmt.Errorf("proc: worker: finishing group %d panicked: %v\n%s", s.group, r, debug.Stack())}
		}
	}()
	return s.acc.Finish(ctx)
}

// run decodes and runs a task, turning a panic into an error. A task of a
// group adds its split to the group's accumulator and returns no buckets.
func (s *server) run(ctx context.Context, t *wire.Task) (b exec.Buckets, st source.ScanStats, code string, err error) {
	code = wire.CodeTask
	defer func() {
		if r := recover(); r != nil {
			wire.ReleaseBuckets(b)
			b, code = nil, wire.CodePanic
			err = fmt.Errorf("proc: worker: task %d panicked: %v\n%s", t.ID, r, debug.Stack())
		}
	}()
	if t.Group == 0 || s.acc == nil {
		// A group's fragment is decoded with its first task only.
		f, err := decodeFragment(t.Fragment)
		if err != nil {
			return nil, st, code, fmt.Errorf("proc: worker: task %d: %w", t.ID, err)
		}
		if t.Buckets > 0 {
			f.Buckets = t.Buckets
		}
		if taskHook != nil {
			taskHook(s.tasks, s.raw)
		}
		if t.Group == 0 {
			out, st, err := exec.RunSplit(ctx, f, t.Split, s.mem)
			return out, st, code, err
		}
		s.group, s.groupLive = t.Group, s.live()
		s.acc = exec.NewAccumulator(f, s.mem)
	} else if taskHook != nil {
		taskHook(s.tasks, s.raw)
	}
	st, err = s.acc.Add(ctx, t.Split)
	if err == nil {
		s.groupN++
	}
	return nil, st, code, err
}

// decodeFragment decodes a fragment. Pruning predicate values are held in
// `any`, which JSON would turn into float64 for every number (losing int64
// precision past 2^53, enough to prune a row group wrongly): they are decoded
// again as exact numbers, integers as int64 or uint64.
func decodeFragment(raw []byte) (*exec.Fragment, error) {
	f := &exec.Fragment{}
	if err := json.Unmarshal(raw, f); err != nil {
		return nil, fmt.Errorf("bad fragment: %w", err)
	}
	if len(f.Read.Preds) == 0 {
		return f, nil
	}
	var exact struct {
		Read struct {
			Preds []struct {
				Values []any `json:"values"`
			} `json:"preds"`
		} `json:"read"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&exact); err != nil {
		return nil, fmt.Errorf("bad fragment: %w", err)
	}
	if len(exact.Read.Preds) != len(f.Read.Preds) {
		return nil, fmt.Errorf("bad fragment: predicates decode inconsistently")
	}
	for i, p := range exact.Read.Preds {
		for j, v := range p.Values {
			n, ok := v.(json.Number)
			if !ok || j >= len(f.Read.Preds[i].Values) {
				continue
			}
			if x, ok := exactNumber(n); ok {
				f.Read.Preds[i].Values[j] = x
			}
		}
	}
	return f, nil
}

// exactNumber returns a JSON number as an int64, a uint64 or a float64.
func exactNumber(n json.Number) (any, bool) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		return u, true
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil {
		return f, true
	}
	return nil, false
}
