package proc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/engine/proc/wire"
	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/expr"
)

// conn is the parent's side of an in-process Serve over pipes.
type conn struct {
	t      *testing.T
	in     *io.PipeWriter
	enc    *wire.Encoder
	dec    *wire.Decoder
	done   chan error
	stderr *syncBuffer
}

func startServe(t *testing.T, ctx context.Context, mem memory.Allocator) *conn {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &conn{t: t, in: inW, enc: wire.NewEncoder(inW, nil), dec: wire.NewDecoder(outR, wire.Limits{}),
		done: make(chan error, 1), stderr: &syncBuffer{}}
	go func() {
		err := serve(ctx, inR, outW, c.stderr, mem)
		outW.Close()
		c.done <- err
	}()
	t.Cleanup(func() {
		inW.Close()
		outR.Close()
	})
	return c
}

func (c *conn) send(m any) {
	c.t.Helper()
	require.NoError(c.t, c.enc.WriteMsg(m))
	require.NoError(c.t, c.enc.Flush())
}

func (c *conn) recv() any {
	c.t.Helper()
	m, err := c.dec.ReadMsg()
	require.NoError(c.t, err)
	return m
}

func (c *conn) handshake() {
	c.t.Helper()
	c.send(&wire.Hello{Version: wire.Version})
	require.Equal(c.t, &wire.Ready{Version: wire.Version, PID: os.Getpid()}, c.recv())
}

func TestServeHandshake(t *testing.T) {
	tests := []struct {
		name    string
		first   func(c *conn)
		reply   any    // expected first message back (nil: none)
		wantErr error  // Serve's error (nil: returns nil)
		code    string // expected Error code when reply is an Error
	}{
		{name: "shutdown", first: func(c *conn) { c.handshake(); c.send(&wire.Shutdown{}) }},
		{name: "end of input", first: func(c *conn) { c.handshake(); c.in.Close() }},
		{name: "version mismatch", first: func(c *conn) { c.send(&wire.Hello{Version: wire.Version + 1}) },
			reply: &wire.Error{}, code: wire.CodeVersion, wantErr: wire.ErrVersion},
		{name: "task before hello", first: func(c *conn) { c.send(&wire.Task{ID: 1}) },
			reply: &wire.Error{}, code: wire.CodeProtocol, wantErr: errAny},
		{name: "junk before hello", first: func(c *conn) { c.in.Write([]byte("GET / HTTP/1.1\r\n\r\n")) },
			reply: &wire.Error{}, code: wire.CodeProtocol, wantErr: wire.ErrProtocol},
		{name: "junk after hello", first: func(c *conn) { c.handshake(); c.in.Write([]byte("GET / HTTP/1.1\r\n\r\n")) },
			reply: &wire.Error{}, code: wire.CodeProtocol, wantErr: errAny},
		{name: "nothing at all", first: func(c *conn) { c.in.Close() }, wantErr: io.EOF},
		{name: "hello twice", first: func(c *conn) { c.handshake(); c.send(&wire.Hello{Version: wire.Version}) },
			reply: &wire.Error{}, code: wire.CodeProtocol, wantErr: errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			c := startServe(t, context.Background(), mem)
			tc.first(c)
			if tc.reply != nil {
				m := c.recv()
				require.IsType(t, tc.reply, m)
				require.Equal(t, tc.code, m.(*wire.Error).Code)
			}
			err := <-c.done
			switch {
			case tc.wantErr == nil:
				require.NoError(t, err)
			case tc.wantErr == errAny:
				require.Error(t, err)
			default:
				require.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
}

// errAny in a test table means "some error".
var errAny = errors.New("any error")

func TestServeTasks(t *testing.T) {
	ds := openData(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)

	frag := func(f *exec.Fragment) json.RawMessage {
		b, err := json.Marshal(f)
		require.NoError(t, err)
		return b
	}
	collect := &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"id", "k"}}, Buckets: 1,
		Pipe: []plan.Node{{Kind: plan.KindFilter, Filter: &ops.Filter{Pred: expr.Col("id").Ge(expr.Int(1600))}}}}
	missing := ds.Splits[0]
	missing.Path = filepath.Join(t.TempDir(), "missing.parquet")

	defer func() { taskHook = nil }()
	c := startServe(t, context.Background(), mem)
	c.handshake()
	tests := []struct {
		name  string
		task  *wire.Task
		hook  func(int, io.Writer)
		code  string // "" for a Result
		error string
	}{
		{name: "collect", task: &wire.Task{ID: 1, Fragment: frag(collect), Split: ds.Splits[1], Buckets: 1}},
		{name: "collect, nothing passes", task: &wire.Task{ID: 2, Fragment: frag(collect), Split: ds.Splits[0], Buckets: 1}},
		{name: "bad fragment", task: &wire.Task{ID: 3, Fragment: json.RawMessage(`{"read": 5}`), Split: ds.Splits[0]},
			code: wire.CodeTask, error: "bad fragment"},
		{name: "missing file", task: &wire.Task{ID: 4, Fragment: frag(collect), Split: missing},
			code: wire.CodeTask, error: "missing.parquet"},
		{name: "panic", task: &wire.Task{ID: 5, Fragment: frag(collect), Split: ds.Splits[1]},
			hook: func(int, io.Writer) { panic("kaboom") }, code: wire.CodePanic, error: "kaboom"},
		{name: "after a panic", task: &wire.Task{ID: 6, Fragment: frag(collect), Split: ds.Splits[2], Buckets: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			taskHook = tc.hook
			c.t = t
			c.send(tc.task)
			m := c.recv()
			if tc.code != "" {
				e, ok := m.(*wire.Error)
				require.True(t, ok, "got %#v", m)
				require.Equal(t, tc.task.ID, e.ID)
				require.Equal(t, tc.code, e.Code)
				require.Contains(t, e.Message, tc.error)
				return
			}
			res, ok := m.(*wire.Result)
			require.True(t, ok, "got %#v", m)
			require.Equal(t, tc.task.ID, res.ID)
			got, err := c.dec.ReadBuckets(res.Streams, mem)
			require.NoError(t, err)
			defer wire.ReleaseBuckets(got)

			var f exec.Fragment
			require.NoError(t, json.Unmarshal(tc.task.Fragment, &f))
			want, st, err := exec.RunSplit(context.Background(), &f, tc.task.Split, mem)
			require.NoError(t, err)
			defer wire.ReleaseBuckets(want)
			require.Equal(t, st, res.Stats)
			require.Equal(t, flatRows(want), flatRows(got))
		})
	}
	c.t = t
	c.send(&wire.Shutdown{})
	require.NoError(t, <-c.done)
	require.Contains(t, c.stderr.String(), "kaboom")
}

// flatRows renders every record of every bucket, bucket by bucket.
func flatRows(b [][]arrow.Record) []string {
	var out []string
	for i, recs := range b {
		for _, r := range recs {
			for row := 0; row < int(r.NumRows()); row++ {
				s := string(rune('0' + i))
				for _, col := range r.Columns() {
					s += "|" + valueStr(col, row)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

func TestServeCancel(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	c := startServe(t, ctx, mem)
	c.handshake()
	cancel()
	require.ErrorIs(t, <-c.done, context.Canceled)
}

func TestDecodeFragmentExactNumbers(t *testing.T) {
	big := int64(1)<<53 + 1
	f := &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"a"}, Preds: []source.Pred{
		{Column: "a", Op: source.OpEq, Values: []any{big}},
		{Column: "b", Op: source.OpBetween, Values: []any{int32(-3), uint64(math.MaxUint64)}},
		{Column: "c", Op: source.OpIn, Values: []any{1.5, "x", true}},
		{Column: "d", Op: source.OpIsNull},
	}}, Buckets: 2}
	raw, err := json.Marshal(f)
	require.NoError(t, err)
	got, err := decodeFragment(raw)
	require.NoError(t, err)
	require.Equal(t, []source.Pred{
		{Column: "a", Op: source.OpEq, Values: []any{big}},
		{Column: "b", Op: source.OpBetween, Values: []any{int64(-3), uint64(math.MaxUint64)}},
		{Column: "c", Op: source.OpIn, Values: []any{1.5, "x", true}},
		{Column: "d", Op: source.OpIsNull},
	}, got.Read.Preds)

	_, err = decodeFragment([]byte(`{"read": {"preds": 7}}`))
	require.Error(t, err)
	_, err = decodeFragment(bytes.Repeat([]byte("["), 10))
	require.Error(t, err)
}

func TestCountingAlloc(t *testing.T) {
	a := &countingAlloc{mem: memory.NewGoAllocator()}
	b := array.NewInt64Builder(a)
	b.AppendValues([]int64{1, 2, 3}, nil)
	arr := b.NewArray()
	b.Release()
	require.Positive(t, a.live.Load())
	arr.Release()
	require.Zero(t, a.live.Load())

	// AllocateUninit is passed on and counted.
	r := &countingAlloc{mem: recycle.New(recycle.Options{})}
	buf := r.AllocateUninit(5000)
	require.Len(t, buf, 5000)
	require.Equal(t, int64(5000), r.live.Load())
	r.Free(buf)
	require.Zero(t, r.live.Load())
}

// TestServeGroups: tasks of a group answer with statistics only; the flush
// returns the partial result of all of them (equal to accumulating them in
// this process); a flush of a group not held, a new group and a failed task
// each drop what was held; nothing leaks.
func TestServeGroups(t *testing.T) {
	ds := openData(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	f := &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"k", "v"}}, Buckets: 3,
		Breaker: &plan.Node{Kind: plan.KindAggregate, Aggregate: &ops.Aggregate{
			Keys: []ops.Column{{Name: "k", Expr: expr.Col("k")}},
			Aggs: []ops.Agg{aggOf("n", "count_star"), aggOf("s", "sum", expr.Col("v"))}}}}
	raw, err := json.Marshal(f)
	require.NoError(t, err)
	missing := ds.Splits[0]
	missing.Path = filepath.Join(t.TempDir(), "missing.parquet")

	c := startServe(t, context.Background(), mem)
	c.handshake()
	id := uint64(0)
	task := func(group uint64, sp source.Split) any {
		id++
		c.send(&wire.Task{ID: id, Fragment: raw, Split: sp, Buckets: 3, Group: group})
		return c.recv()
	}
	flush := func(group uint64) any {
		id++
		c.send(&wire.Flush{ID: id, Group: group})
		return c.recv()
	}
	// Group 1 over three splits.
	for _, sp := range ds.Splits[:3] {
		res, ok := task(1, sp).(*wire.Result)
		require.True(t, ok)
		require.Empty(t, res.Streams, "rows come with the flush")
		require.Positive(t, res.Stats.Rows)
	}
	res, ok := flush(1).(*wire.Result)
	require.True(t, ok)
	require.Equal(t, id, res.ID)
	got, err := c.dec.ReadBuckets(res.Streams, mem)
	require.NoError(t, err)
	defer wire.ReleaseBuckets(got)
	acc := exec.NewAccumulator(f, mem)
	for _, sp := range ds.Splits[:3] {
		_, err := acc.Add(context.Background(), sp)
		require.NoError(t, err)
	}
	want, err := acc.Finish(context.Background())
	require.NoError(t, err)
	defer wire.ReleaseBuckets(want)
	require.Equal(t, flatRows(want), flatRows(got))

	// The group is gone after its flush.
	e, ok := flush(1).(*wire.Error)
	require.True(t, ok)
	require.Contains(t, e.Message, "no partial result held for group 1")

	// A task of group 3 drops group 2; group 2 cannot be flushed.
	require.IsType(t, &wire.Result{}, task(2, ds.Splits[0]))
	require.IsType(t, &wire.Result{}, task(3, ds.Splits[1]))
	e, ok = flush(2).(*wire.Error)
	require.True(t, ok)
	require.Contains(t, e.Message, "holding group 3")

	// A failed task drops its group.
	require.IsType(t, &wire.Result{}, task(4, ds.Splits[0]))
	e, ok = task(4, missing).(*wire.Error)
	require.True(t, ok)
	require.Contains(t, e.Message, "missing.parquet")
	e, ok = flush(4).(*wire.Error)
	require.True(t, ok)
	require.Contains(t, e.Message, "no partial result held for group 4")

	c.send(&wire.Shutdown{})
	require.NoError(t, <-c.done)
	require.NotContains(t, c.stderr.String(), "not released")
}
