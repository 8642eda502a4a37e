package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dfq/dfq/engine/proc/wire"
)

// process is one worker process and the parent's ends of its pipes. Its
// methods are called by one goroutine at a time (the query driver owning its
// slot), except interrupt, which may be called at any time.
type process struct {
	id      int
	pid     int
	cmd     *osexec.Cmd
	stdin   *os.File // the parent's write end of the worker's stdin
	stdout  *os.File // the parent's read end of the worker's stdout
	enc     *wire.Encoder
	dec     *wire.Decoder
	tail    *tail
	startup time.Duration
	nextID  uint64
	sendErr error // the first failed write to stdin
	// results starts the paths of the worker's result files (the pool's
	// prefix, the process's number, "-"); "" when it sends none.
	results string

	closeIn   sync.Once
	exited    chan struct{} // closed once the process is reaped
	waitErr   error         // valid once exited is closed
	stderrEOF chan struct{} // closed when the stderr forwarder is done
	stopped   bool
}

// tailSize is how much of a worker's stderr is kept for error messages.
const tailSize = 4 << 10

// tail keeps the last tailSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.mu.Unlock()
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.buf
	if len(s) == tailSize {
		// Start at a line boundary when the tail was cut.
		for i, c := range s {
			if c == '\n' && i < len(s)-1 {
				s = s[i+1:]
				break
			}
		}
	}
	return string(s)
}

// startProcess starts worker number id and performs the handshake.
func (p *Pool) startProcess(ctx context.Context, id int) (pr *process, err error) {
	t0 := time.Now()
	var files []*os.File // closed on failure
	defer func() {
		if err != nil {
			for _, f := range files {
				f.Close()
			}
		}
	}()
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	inR, inW, err := pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := pipe()
	if err != nil {
		return nil, err
	}
	growPipe(outR)
	errR, errW, err := pipe()
	if err != nil {
		return nil, err
	}
	cmd := osexec.Command(p.command[0], p.command[1:]...)
	cmd.Env = append(os.Environ(), EnvWorker+"="+strconv.Itoa(wire.Version))
	if p.procs > 0 && os.Getenv("GOMAXPROCS") == "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(p.procs))
	}
	cmd.Env = append(cmd.Env, p.opts.Env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, &WorkerError{Worker: id, Err: fmt.Errorf("starting %q: %w", p.command, err)}
	}
	inR.Close()
	outW.Close()
	errW.Close()
	files = nil
	pr = &process{
		id: id, pid: cmd.Process.Pid, cmd: cmd, stdin: inW, stdout: outR,
		enc:       wire.NewEncoder(inW, nil),
		dec:       wire.NewDecoder(outR, p.opts.Limits),
		tail:      &tail{},
		exited:    make(chan struct{}),
		stderrEOF: make(chan struct{}),
	}
	go func() {
		pr.waitErr = cmd.Wait()
		close(pr.exited)
	}()
	go p.forwardStderr(pr, errR)

	fail := func(err error) (*process, error) {
		pr.kill()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, pr.failure(nil, 0, fmt.Errorf("starting: %w", err))
	}
	// The handshake is bounded by StartTimeout and ctx.
	pr.stdout.SetReadDeadline(time.Now().Add(p.opts.StartTimeout))
	stop := context.AfterFunc(ctx, pr.interrupt)
	defer stop()
	// A failed write means the worker is gone; what it wrote before going
	// (junk, or nothing) says more than the broken pipe, so read anyway.
	if p.results != "" {
		p.sweepOnce.Do(func() { removeStale(filepath.Dir(p.results)) })
		// A prefix of its own for every process started (not its pid,
		// which a later worker may get while this one's files are
		// being removed).
		pr.results = p.results + strconv.FormatInt(p.starts.Add(1), 10) + "-"
	}
	if err := pr.enc.WriteMsg(&wire.Hello{Version: wire.Version, Results: pr.results, ResultBytes: p.opts.ResultFileBytes}); err == nil {
		pr.enc.Flush()
	}
	m, err := pr.dec.ReadMsg()
	if !stop() || ctx.Err() != nil {
		pr.kill()
		return nil, ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fail(fmt.Errorf("%w: no answer to the handshake within %v", ErrWorkerDied, p.opts.StartTimeout))
	}
	if err != nil {
		return fail(pr.readError("handshake", err))
	}
	switch m := m.(type) {
	case *wire.Ready:
		if m.Version != wire.Version {
			return fail(fmt.Errorf("worker speaks protocol version %d, want %d: %w", m.Version, wire.Version, wire.ErrVersion))
		}
	case *wire.Error:
		return fail(fmt.Errorf("worker refused the handshake: %w", m))
	default:
		return fail(fmt.Errorf("%w: expected ready, got %T", wire.ErrProtocol, m))
	}
	pr.stdout.SetReadDeadline(time.Time{})
	pr.stdin.SetWriteDeadline(time.Time{})
	pr.startup = time.Since(t0)
	return pr, nil
}

// forwardStderr copies a worker's stderr to the pool's log, each line
// prefixed with "[worker N] ", and keeps its tail.
func (p *Pool) forwardStderr(pr *process, r *os.File) {
	defer close(pr.stderrEOF)
	defer r.Close()
	br := bufio.NewReaderSize(r, 4096)
	prefix := []byte("[worker " + strconv.Itoa(pr.id) + "] ")
	atStart := true
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			pr.tail.Write(chunk)
			line = line[:0]
			if atStart {
				line = append(line, prefix...)
			}
			line = append(line, chunk...)
			atStart = chunk[len(chunk)-1] == '\n'
			if err != nil && err != bufio.ErrBufferFull && !atStart {
				line = append(line, '\n')
			}
			p.logMu.Lock()
			p.log.Write(line)
			p.logMu.Unlock()
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// interrupt makes blocked reads and writes on the process's pipes return at
// once. Safe for concurrent use.
func (pr *process) interrupt() {
	now := time.Now()
	pr.stdout.SetReadDeadline(now)
	pr.stdin.SetWriteDeadline(now)
}

// clearDeadlines undoes interrupt for a process that is healthy.
func (pr *process) clearDeadlines() {
	pr.stdout.SetReadDeadline(time.Time{})
	pr.stdin.SetWriteDeadline(time.Time{})
}

// alive reports whether the process has not exited.
func (pr *process) alive() bool {
	select {
	case <-pr.exited:
		return false
	default:
		return !pr.stopped
	}
}

// stop ends the process: it closes its stdin (after sending Shutdown when
// polite), waits up to grace for it to exit, then kills it. It returns once
// the process is reaped and its stderr drained.
func (pr *process) stop(grace time.Duration, polite bool) {
	if pr.stopped {
		return
	}
	if polite {
		pr.stdin.SetWriteDeadline(time.Now().Add(grace))
		if pr.enc.WriteMsg(&wire.Shutdown{}) == nil {
			pr.enc.Flush()
		}
	}
	pr.closeIn.Do(func() { pr.stdin.Close() })
	t := time.NewTimer(grace)
	select {
	case <-pr.exited:
		t.Stop()
	case <-t.C:
	}
	pr.kill()
}

// kill kills the process (if still running), reaps it, waits (briefly) for
// its stderr to drain and closes the parent's pipe ends.
func (pr *process) kill() {
	if pr.stopped {
		return
	}
	pr.stopped = true
	pr.cmd.Process.Kill()
	<-pr.exited
	// The stderr pipe ends when every holder of its write end has exited; a
	// grandchild could hold it, so do not wait forever.
	t := time.NewTimer(time.Second)
	select {
	case <-pr.stderrEOF:
		t.Stop()
	case <-t.C:
	}
	pr.closeIn.Do(func() { pr.stdin.Close() })
	pr.stdout.Close()
	if pr.results != "" {
		// Files it wrote but never announced, or announced in an answer
		// that was not read.
		removeMatching(pr.results)
	}
}

// acceptResult approves a result file the worker names: it must be one of
// its own (see wire.Spiller).
func (pr *process) acceptResult(path string) error {
	rest, ok := strings.CutPrefix(path, pr.results)
	if pr.results == "" || !ok || strings.ContainsAny(rest, "/\\") || !strings.HasSuffix(rest, ".arrows") {
		return fmt.Errorf("result file %q is not one this worker may write", path)
	}
	return nil
}

// exitStatus describes how the process ended; call after kill or stop.
func (pr *process) exitStatus() string {
	if pr.waitErr == nil {
		return "exited with status 0"
	}
	return pr.waitErr.Error()
}

// readError turns an error reading the process's stdout into a description.
func (pr *process) readError(what string, err error) error {
	if errors.Is(err, wire.ErrProtocol) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w during %s (%v)", ErrWorkerDied, what, err)
}

// failure builds the error for a process that failed; the process must be
// stopped (so its stderr tail is complete).
func (pr *process) failure(split *splitRef, attempts int, err error) error {
	we := &WorkerError{Worker: pr.id, PID: pr.pid, Attempts: attempts, Err: err, Stderr: pr.tail.String()}
	if split != nil {
		s := split.split
		we.Split = &s
	}
	if !errors.Is(err, wire.ErrProtocol) {
		we.Err = fmt.Errorf("%w; %s", err, pr.exitStatus())
	}
	return we
}
