package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dfq/dfq/io/source"
)

// Version is the protocol version. Parent and worker must agree on it exactly;
// it changes whenever a message, a frame or the meaning of a field changes.
const Version = 2

// Magic starts every control frame.
var Magic = [4]byte{'d', 'f', 'q', 'w'}

// HeaderSize is the size of a control frame's header: magic, kind, length.
const HeaderSize = 9

// Kind is the kind of a control frame.
type Kind uint8

// Frame kinds.
const (
	KindHello    Kind = 1
	KindReady    Kind = 2
	KindTask     Kind = 3
	KindResult   Kind = 4
	KindError    Kind = 5
	KindShutdown Kind = 6
	KindFlush    Kind = 7
)

var kindNames = [...]string{
	KindHello: "hello", KindReady: "ready", KindTask: "task", KindResult: "result",
	KindError: "error", KindShutdown: "shutdown", KindFlush: "flush",
}

func (k Kind) valid() bool { return k >= KindHello && k <= KindFlush }

func (k Kind) String() string {
	if k.valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Errors returned (wrapped) by the decoder. Every decoding error wraps
// ErrProtocol; the others say more precisely what was wrong.
var (
	ErrProtocol = errors.New("protocol error")
	ErrBadMagic = errors.New("bad magic")
	ErrBadKind  = errors.New("unknown frame kind")
	ErrTooLarge = errors.New("length over limit")
	ErrVersion  = errors.New("protocol version mismatch")
)

// protoErr wraps errors as protocol errors: errors.Is finds ErrProtocol and
// every wrapped cause.
type protoErr struct{ err error }

func (e protoErr) Error() string   { return e.err.Error() }
func (e protoErr) Unwrap() []error { return []error{ErrProtocol, e.err} }

func protof(format string, a ...any) error { return protoErr{fmt.Errorf(format, a...)} }

// Limits bound what a Decoder accepts. Zero fields take the defaults.
type Limits struct {
	// MaxFrame is the largest control frame payload (default 16 MiB).
	MaxFrame int
	// MaxMessage is the largest IPC stream (default 1 GiB).
	MaxMessage int64
}

// Default limits.
const (
	DefaultMaxFrame   = 16 << 20
	DefaultMaxMessage = 1 << 30
)

func (l Limits) withDefaults() Limits {
	if l.MaxFrame <= 0 {
		l.MaxFrame = DefaultMaxFrame
	}
	if l.MaxMessage <= 0 {
		l.MaxMessage = DefaultMaxMessage
	}
	return l
}

// Hello opens a connection: the parent's protocol version.
type Hello struct {
	Version int `json:"version"`
	// Results, when set, lets the worker send large result streams as
	// files whose paths start with it, a prefix for this worker alone
	// (see Spiller and Result.Files).
	Results string `json:"results,omitempty"`
	// ResultBytes is the least a stream must hold to go to a file.
	ResultBytes int64 `json:"result_bytes,omitempty"`
}

// Ready answers Hello: the worker's protocol version and process id.
type Ready struct {
	Version int `json:"version"`
	PID     int `json:"pid"`
}

// Task asks a worker to run a fragment over one split. Fragment is the JSON
// of an exec.Fragment (kept raw so this package does not depend on the
// engine); Buckets is the number of hash buckets partial results are split
// into.
//
// Tasks with the same non-zero Group accumulate into one partial result held
// by the worker (for fragments whose breaker does not care about split
// order: aggregate, sort, window): the Result of each carries statistics
// only, and a Flush of the group returns the partial result of all of them.
// A worker holds one group at a time; a task of another group, or a failed
// task, discards the group held.
type Task struct {
	ID       uint64          `json:"id"`
	Fragment json.RawMessage `json:"fragment"`
	Split    source.Split    `json:"split"`
	Buckets  int             `json:"buckets"`
	Group    uint64          `json:"group,omitempty"`
}

// Flush asks a worker for the partial result accumulated by the tasks of
// Group, answered by a Result (ID is the flush's) followed by its streams, or
// an Error. The worker then forgets the group.
type Flush struct {
	ID    uint64 `json:"id"`
	Group uint64 `json:"group"`
}

// Result reports a finished task. Streams[i] IPC streams follow the frame for
// bucket i, in order (a bucket's records are grouped into one stream per run
// of records sharing a schema; an empty bucket has none).
type Result struct {
	ID      uint64           `json:"id"`
	Stats   source.ScanStats `json:"stats"`
	Streams []int            `json:"streams"`
	// Files, when not nil, has an entry per stream (in order): the file
	// holding it, or "" for a stream that follows on the pipe.
	Files []string `json:"files,omitempty"`
	// Nanos is the time the worker spent on the task, writing excluded.
	Nanos int64 `json:"nanos"`
}

// Error codes.
const (
	CodeTask     = "task"     // the task failed (bad input, plan error)
	CodePanic    = "panic"    // the task panicked: a bug
	CodeVersion  = "version"  // handshake refused: protocol versions differ
	CodeProtocol = "protocol" // the worker received something it cannot read
)

// Error reports a failed task (ID set) or a refused connection. It is also
// an error value.
type Error struct {
	ID      uint64 `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Shutdown asks a worker to exit once its current task is done.
type Shutdown struct{}

// KindOf returns the frame kind of a message value.
func KindOf(msg any) (Kind, error) {
	switch msg.(type) {
	case *Hello, Hello:
		return KindHello, nil
	case *Ready, Ready:
		return KindReady, nil
	case *Task, Task:
		return KindTask, nil
	case *Result, Result:
		return KindResult, nil
	case *Error, Error:
		return KindError, nil
	case *Shutdown, Shutdown:
		return KindShutdown, nil
	case *Flush, Flush:
		return KindFlush, nil
	}
	return 0, fmt.Errorf("wire: %T is not a message", msg)
}

// newMsg returns a pointer to a zero message of kind k.
func newMsg(k Kind) any {
	switch k {
	case KindHello:
		return &Hello{}
	case KindReady:
		return &Ready{}
	case KindTask:
		return &Task{}
	case KindResult:
		return &Result{}
	case KindError:
		return &Error{}
	case KindFlush:
		return &Flush{}
	}
	return &Shutdown{}
}

// AppendFrame appends a control frame of kind k with the given payload.
func AppendFrame(dst []byte, k Kind, payload []byte) []byte {
	dst = append(dst, Magic[:]...)
	dst = append(dst, byte(k))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...)
}

// ReadFrame reads one control frame from r. It returns io.EOF when r is at
// its end before the first byte of a frame, an error wrapping
// io.ErrUnexpectedEOF when it ends inside one, other read errors wrapped, and
// an error wrapping ErrProtocol for bytes that are not a frame. buf is
// reused for the payload when large enough; the payload is valid until buf is
// reused. A length over maxFrame is refused before anything is allocated, and
// the payload buffer grows only as bytes arrive.
func ReadFrame(r io.Reader, buf []byte, maxFrame int) (Kind, []byte, error) {
	var hdr [HeaderSize]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		if !isMagicPrefix(hdr[:min(n, len(Magic))]) {
			return 0, nil, protof("wire: frame header %q: %w", hdr[:n], ErrBadMagic)
		}
		return 0, nil, fmt.Errorf("wire: frame header: %w", err)
	}
	if [4]byte(hdr[:4]) != Magic {
		return 0, nil, protof("wire: frame header %q: %w", hdr[:], ErrBadMagic)
	}
	k := Kind(hdr[4])
	if !k.valid() {
		return 0, nil, protof("wire: frame header: %w %d", ErrBadKind, hdr[4])
	}
	size := binary.LittleEndian.Uint32(hdr[5:])
	if uint64(size) > uint64(maxFrame) {
		return 0, nil, protof("wire: %s frame of %d bytes: %w (%d)", k, size, ErrTooLarge, maxFrame)
	}
	payload, err := readN(r, buf, int(size))
	if err != nil {
		return 0, nil, fmt.Errorf("wire: %s frame payload: %w", k, err)
	}
	return k, payload, nil
}

// isMagicPrefix says whether b (at most 4 bytes) starts the magic.
func isMagicPrefix(b []byte) bool { return string(b) == string(Magic[:len(b)]) }

// readN reads exactly n bytes into buf (reused when large enough). Beyond
// buf's capacity it grows geometrically as data arrives, so a short input
// never causes an allocation much larger than itself. A short read gives
// io.ErrUnexpectedEOF.
func readN(r io.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) >= n {
		buf = buf[:n]
		_, err := io.ReadFull(r, buf)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf, err
	}
	const step = 64 << 10
	buf = buf[:0]
	for len(buf) < n {
		want := min(n-len(buf), max(step, len(buf)))
		if cap(buf)-len(buf) < want {
			nb := make([]byte, len(buf), len(buf)+want)
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+want])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// DecodeMsg decodes the payload of a frame of kind k into a new message
// (*Hello, *Ready, *Task, *Result, *Error, *Shutdown or *Flush).
func DecodeMsg(k Kind, payload []byte) (any, error) {
	if !k.valid() {
		return nil, protof("wire: %w %d", ErrBadKind, uint8(k))
	}
	m := newMsg(k)
	if err := json.Unmarshal(payload, m); err != nil {
		return nil, protof("wire: %s frame: %w", k, err)
	}
	return m, nil
}
