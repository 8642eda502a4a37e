package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dfq/dfq/io/source"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMessagesRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	msgs := []any{
		&Hello{Version: Version},
		&Ready{Version: Version, PID: 4242},
		&Task{ID: 7, Fragment: json.RawMessage(`{"read":{"columns":["a"]},"buckets":3}`), Buckets: 3,
			Split: source.Split{Index: 2, Format: source.Parquet, Path: "x.parquet", RowGroups: []int{1, 2}, RowOffset: 5, RowCount: 10, Rows: 10, Bytes: 99}},
		&Task{ID: 8, Fragment: json.RawMessage(`{}`), Split: source.Split{Format: source.CSV, Path: "a.csv", Offset: 10, Length: 20,
			CSV: &source.CSVOptions{Header: true, Columns: []source.ColumnType{{Name: "a", Type: "int64"}}}, Rows: -1}},
		&Result{ID: 7, Stats: source.ScanStats{RowGroups: 2, RowGroupsPruned: 1, Rows: 10, BytesRead: 1000}, Streams: []int{0, 1, 2}, Nanos: 123},
		&Result{ID: 9, Streams: []int{}},
		&Error{ID: 7, Code: CodeTask, Message: "parquet: x.parquet row group 1: boom"},
		&Error{Code: CodeVersion, Message: "want 1, got 2"},
		&Task{ID: 10, Fragment: json.RawMessage(`{}`), Buckets: 8, Group: 3,
			Split: source.Split{Format: source.Arrow, Path: "/dev/shm/t.arrow", Batches: []int{4, 5}, Mmap: true, Rows: 7}},
		&Flush{ID: 11, Group: 3},
		&Shutdown{},
	}
	pr, pw := io.Pipe()
	go func() {
		enc := NewEncoder(pw, mem)
		for _, m := range msgs {
			if err := enc.WriteMsg(m); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(enc.Flush())
	}()
	dec := NewDecoder(pr, Limits{})
	var got []any
	for {
		m, err := dec.ReadMsg()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		got = append(got, m)
	}
	require.Equal(t, msgs, got)
}

// sampleBuckets builds buckets covering the supported types, NULLs, zero-row
// records, empty buckets, dictionary columns with differing dictionaries, and
// a bucket mixing two schemas.
func sampleBuckets(t *testing.T, mem memory.Allocator) [][]arrow.Record {
	t.Helper()
	wide := arrow.NewSchema([]arrow.Field{
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	}, nil)
	rec := func(s *arrow.Schema, js string) arrow.Record {
		r, _, err := array.RecordFromJSON(mem, s, strings.NewReader(js))
		require.NoError(t, err)
		return r
	}
	w1 := rec(wide, `[
		{"b": true, "i8": -1, "u16": 65535, "i64": -9223372036854775808, "u64": 18446744073709551615, "f32": 1.5, "f64": -2.25,
		 "s": "héllo", "bin": "AAE=", "d": 19000, "ts": "2024-01-02T03:04:05Z", "dec": "123.45"},
		{"b": null, "i8": null, "u16": null, "i64": null, "u64": null, "f32": null, "f64": null,
		 "s": null, "bin": null, "d": null, "ts": null, "dec": null},
		{"b": false, "i8": 127, "u16": 0, "i64": 42, "u64": 0, "f32": 0, "f64": 1e300, "s": "", "bin": "", "d": 0, "ts": "1970-01-01T00:00:00Z", "dec": "-0.01"}
	]`)
	w0 := rec(wide, `[]`)
	dictSchema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	dictRec := func(idx, dict string, vals string) arrow.Record {
		ia, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int32, strings.NewReader(idx))
		require.NoError(t, err)
		defer ia.Release()
		da, _, err := array.FromJSON(mem, arrow.BinaryTypes.String, strings.NewReader(dict))
		require.NoError(t, err)
		defer da.Release()
		va, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int64, strings.NewReader(vals))
		require.NoError(t, err)
		defer va.Release()
		d := array.NewDictionaryArray(dictSchema.Field(0).Type, ia, da)
		defer d.Release()
		return array.NewRecord(dictSchema, []arrow.Array{d, va}, int64(ia.Len()))
	}
	d1 := dictRec(`[0, 1, null, 1]`, `["x", "y"]`, `[1, 2, 3, null]`)
	d2 := dictRec(`[2, 0]`, `["p", "q", "r"]`, `[4, 5]`)
	plain := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	p1 := rec(plain, `[{"k": "z", "v": 9}, {"k": null, "v": null}]`)
	noCols := array.NewRecord(arrow.NewSchema(nil, nil), nil, 5)
	// Holistic aggregate state: list<float64> per group, with NULL lists and
	// NULL elements.
	state := rec(arrow.NewSchema([]arrow.Field{
		{Name: "k0", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "a0_0", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	}, nil), `[{"k0": 1, "a0_0": [1.5, null, 2]}, {"k0": 2, "a0_0": null}, {"k0": 3, "a0_0": []}]`)
	// A sliced record: offsets and bitmaps not starting at zero.
	sl := w1.NewSlice(1, 3)
	return [][]arrow.Record{
		{w1, w0, sl},
		nil,
		{},
		{d1, d2, p1, d1.NewSlice(1, 3)},
		{noCols},
		{state, state.NewSlice(1, 3)},
	}
}

func TestBucketsRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	buckets := sampleBuckets(t, mem)
	defer ReleaseBuckets(buckets)
	streams := BucketStreams(buckets)
	require.Equal(t, []int{1, 0, 0, 3, 1, 1}, streams)

	// Two results back to back with a frame between and after, on a pipe:
	// the decoder must stop exactly at each stream's end.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		enc := NewEncoder(pw, mem)
		err := enc.WriteMsg(&Result{ID: 1, Streams: streams})
		if err == nil {
			err = enc.WriteBuckets(buckets)
		}
		if err == nil {
			err = enc.WriteMsg(&Result{ID: 2, Streams: streams})
		}
		if err == nil {
			err = enc.WriteBuckets(buckets)
		}
		if err == nil {
			err = enc.WriteMsg(&Shutdown{})
		}
		if err == nil {
			err = enc.Flush()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	dec := NewDecoder(pr, Limits{})
	for id := uint64(1); id <= 2; id++ {
		m, err := dec.ReadMsg()
		require.NoError(t, err)
		res := m.(*Result)
		require.Equal(t, id, res.ID)
		got, err := dec.ReadBuckets(res.Streams, mem)
		require.NoError(t, err)
		requireBucketsEqual(t, buckets, got)
		ReleaseBuckets(got)
	}
	m, err := dec.ReadMsg()
	require.NoError(t, err)
	require.Equal(t, &Shutdown{}, m)
	_, err = dec.ReadMsg()
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, <-done)
}

func requireBucketsEqual(t *testing.T, want, got [][]arrow.Record) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		var w []arrow.Record
		for _, r := range want[i] {
			if r != nil {
				w = append(w, r)
			}
		}
		require.Len(t, got[i], len(w), "bucket %d", i)
		for j := range w {
			require.Truef(t, w[j].Schema().Equal(got[i][j].Schema()), "bucket %d record %d: schema %s, want %s", i, j, got[i][j].Schema(), w[j].Schema())
			require.Truef(t, array.RecordEqual(w[j], got[i][j]), "bucket %d record %d:\n got %v\nwant %v", i, j, got[i][j], w[j])
		}
	}
}

// TestNoReadAhead checks the property the protocol relies on, for arrow's own
// stream reader as well as ours: reading one IPC stream consumes exactly its
// bytes, so what follows on the pipe is left intact.
func TestNoReadAhead(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	buckets := sampleBuckets(t, mem)
	defer ReleaseBuckets(buckets)
	var buf bytes.Buffer
	enc := NewEncoder(&buf, mem)
	require.NoError(t, enc.WriteStream(buckets[0][0].Schema(), buckets[0]))
	require.NoError(t, enc.Flush())
	one := buf.Len()
	require.Equal(t, int64(one), enc.BytesWritten())
	require.NoError(t, enc.WriteMsg(&Shutdown{}))
	require.NoError(t, enc.Flush())
	data := buf.Bytes()

	t.Run("arrow", func(t *testing.T) {
		r := bytes.NewReader(data[StreamHeaderSize:])
		rd, err := ipc.NewReader(r, ipc.WithAllocator(mem))
		require.NoError(t, err)
		n := 0
		for rd.Next() {
			n++
		}
		require.NoError(t, rd.Err())
		rd.Release()
		require.Equal(t, 3, n)
		require.Equal(t, len(data)-one, r.Len(), "arrow's reader read past the end-of-stream marker")
	})
	t.Run("decoder", func(t *testing.T) {
		dec := NewDecoder(bytes.NewReader(data), Limits{})
		recs, schema, err := dec.ReadStream(mem)
		require.NoError(t, err)
		require.True(t, schema.Equal(buckets[0][0].Schema()))
		require.Len(t, recs, 3)
		for _, r := range recs {
			r.Release()
		}
		require.Equal(t, int64(one), dec.BytesRead())
		m, err := dec.ReadMsg()
		require.NoError(t, err)
		require.Equal(t, &Shutdown{}, m)
	})
}

func frame(k Kind, payload string) []byte { return AppendFrame(nil, k, []byte(payload)) }

func TestReadFrameErrors(t *testing.T) {
	long := binary.LittleEndian.AppendUint32(append(Magic[:4:4], byte(KindTask)), 1<<31)
	tests := []struct {
		name  string
		in    []byte
		want  []error
		text  string
		limit int
	}{
		{name: "empty input", in: nil, want: []error{io.EOF}},
		{name: "junk", in: []byte("hello world\n"), want: []error{ErrProtocol, ErrBadMagic}, text: `"hello wor"`},
		{name: "short junk", in: []byte("hi"), want: []error{ErrProtocol, ErrBadMagic}},
		{name: "magic cut short", in: []byte("dfq"), want: []error{io.ErrUnexpectedEOF}},
		{name: "header cut short", in: frame(KindHello, "{}")[:7], want: []error{io.ErrUnexpectedEOF}},
		{name: "unknown kind", in: frame(Kind(99), "{}"), want: []error{ErrProtocol, ErrBadKind}},
		{name: "kind zero", in: frame(Kind(0), "{}"), want: []error{ErrProtocol, ErrBadKind}},
		{name: "too large", in: long, want: []error{ErrProtocol, ErrTooLarge}},
		{name: "over a small limit", in: frame(KindTask, strings.Repeat("x", 100)), want: []error{ErrProtocol, ErrTooLarge}, limit: 99},
		{name: "payload cut short", in: frame(KindTask, `{"id": 1}`)[:12], want: []error{io.ErrUnexpectedEOF}},
		{name: "bad json", in: frame(KindTask, `{"id": "x"}`), want: []error{ErrProtocol}, text: "task frame"},
		{name: "not json", in: frame(KindReady, `nope`), want: []error{ErrProtocol}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dec := NewDecoder(bytes.NewReader(tc.in), Limits{MaxFrame: tc.limit})
			m, err := dec.ReadMsg()
			require.Nil(t, m)
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorIs(t, err, w)
			}
			// Bytes that are there but wrong are protocol errors; missing
			// ones are not.
			require.Equal(t, !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF), errors.Is(err, ErrProtocol))
			require.Contains(t, err.Error(), tc.text)
		})
	}
}

func TestReadStreamErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	buckets := sampleBuckets(t, mem)
	var buf bytes.Buffer
	enc := NewEncoder(&buf, mem)
	require.NoError(t, enc.WriteStream(buckets[0][0].Schema(), buckets[0]))
	require.NoError(t, enc.Flush())
	good := bytes.Clone(buf.Bytes())
	buf.Reset()
	require.NoError(t, enc.WriteStream(buckets[3][0].Schema(), buckets[3][:2]))
	require.NoError(t, enc.Flush())
	dict := bytes.Clone(buf.Bytes())
	ReleaseBuckets(buckets)
	mem.AssertSize(t, 0)

	// badIndex is a dictionary stream whose valid slot points past the dictionary.
	badIndex := func() []byte {
		ia, _, _ := array.FromJSON(mem, arrow.PrimitiveTypes.Int32, strings.NewReader(`[0, 5]`))
		da, _, _ := array.FromJSON(mem, arrow.BinaryTypes.String, strings.NewReader(`["a"]`))
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
		d := array.NewDictionaryArray(dt, ia, da)
		s := arrow.NewSchema([]arrow.Field{{Name: "k", Type: dt}}, nil)
		r := array.NewRecord(s, []arrow.Array{d}, 2)
		var b bytes.Buffer
		e := NewEncoder(&b, mem)
		require.NoError(t, e.WriteStream(s, []arrow.Record{r}))
		require.NoError(t, e.Flush())
		for _, x := range []interface{ Release() }{ia, da, d, r} {
			x.Release()
		}
		return b.Bytes()
	}()
	mem.AssertSize(t, 0)

	// reseal recomputes a stream's length and checksum after b's IPC bytes
	// were changed, so that the IPC-level checks are reached.
	reseal := func(b []byte) []byte {
		binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[StreamHeaderSize:], castagnoli))
		binary.LittleEndian.PutUint64(b[8:], uint64(len(b)-StreamHeaderSize))
		return b
	}
	// tamper sets the uint32 at offset at of the IPC bytes.
	tamper := func(b []byte, at int, v uint32) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint32(b[StreamHeaderSize+at:], v)
		return reseal(b)
	}
	ipcBytes := func(b ...[]byte) []byte {
		return reseal(append(make([]byte, StreamHeaderSize), bytes.Join(b, nil)...))
	}
	flip := func(b []byte, at int) []byte {
		b = bytes.Clone(b)
		b[at] ^= 1
		return b
	}
	eos := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{name: "empty", in: nil, want: io.ErrUnexpectedEOF},
		{name: "header cut short", in: good[:10], want: io.ErrUnexpectedEOF},
		{name: "bad stream magic", in: flip(good, 0), want: ErrBadMagic},
		{name: "stream too large", in: append(append(streamMagic[:4:4], 0, 0, 0, 0), binary.LittleEndian.AppendUint64(nil, 1<<40)...), want: ErrTooLarge},
		{name: "cut in the middle", in: good[:len(good)/2], want: io.ErrUnexpectedEOF},
		{name: "bad checksum", in: flip(good, len(good)/2), want: ErrProtocol},
		{name: "no end of stream", in: reseal(bytes.Clone(good[:len(good)-8])), want: io.ErrUnexpectedEOF},
		{name: "bytes after end of stream", in: ipcBytes(good[StreamHeaderSize:], eos), want: ErrProtocol},
		{name: "no continuation marker", in: tamper(good, 0, 0x12345678), want: ErrBadMagic},
		{name: "negative metadata length", in: tamper(good, 4, 0x80000000), want: ErrTooLarge},
		{name: "huge metadata length", in: tamper(good, 4, 0x7fffffff), want: io.ErrUnexpectedEOF},
		{name: "only end of stream", in: ipcBytes(eos), want: ErrProtocol},
		{name: "garbage metadata", in: ipcBytes([]byte{0xff, 0xff, 0xff, 0xff, 16, 0, 0, 0}, bytes.Repeat([]byte{0xee}, 16)), want: ErrProtocol},
		{name: "dictionary index out of range", in: badIndex, want: ErrProtocol},
		{name: "dictionary stream cut", in: dict[:len(dict)-20], want: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dec := NewDecoder(bytes.NewReader(tc.in), Limits{MaxMessage: 1 << 20})
			recs, _, err := dec.ReadStream(memory.NewGoAllocator())
			require.Nil(t, recs)
			require.ErrorIs(t, err, tc.want)
			require.True(t, errors.Is(err, ErrProtocol) || errors.Is(err, io.ErrUnexpectedEOF), "error %v", err)
		})
	}
	// Every single-byte corruption of a valid stream is an error or a
	// structurally valid result, never a panic.
	for _, src := range [][]byte{good, dict} {
		for i := range src {
			b := bytes.Clone(src)
			b[i] ^= 0xa5
			dec := NewDecoder(bytes.NewReader(b), Limits{MaxMessage: 1 << 20})
			recs, _, err := dec.ReadStream(memory.NewGoAllocator())
			if err == nil {
				for _, r := range recs {
					r.Release()
				}
			}
		}
	}
}

func TestEncoderRefusesNonMessages(t *testing.T) {
	enc := NewEncoder(io.Discard, nil)
	require.Error(t, enc.WriteMsg(42))
	enc.maxFrame = 100
	require.ErrorIs(t, enc.WriteMsg(&Task{Fragment: json.RawMessage(strings.Repeat("1", 101))}), ErrTooLarge)
}

// FuzzReadFrame feeds arbitrary bytes to the frame decoder: it never panics,
// never returns a payload over its bound, and never allocates much more than
// the bytes it was given, whatever length a header claims.
func FuzzReadFrame(f *testing.F) {
	f.Add(frame(KindHello, `{"version":1}`))
	f.Add(frame(KindTask, `{"id":1,"fragment":{},"split":{"path":"x"},"buckets":2}`))
	f.Add(frame(KindShutdown, `{}`))
	f.Add([]byte("dfqw\x03\xff\xff\xff\x7f"))
	f.Add([]byte("dfqw\x04\x00\x00\x10\x00{}"))
	f.Add([]byte("junk junk junk"))
	const bound = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		dec := NewDecoder(bytes.NewReader(data), Limits{MaxFrame: bound})
		for i := 0; i < 4; i++ {
			k, p, err := dec.ReadFrame()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrProtocol) {
					t.Fatalf("error %v is neither end of input nor a protocol error", err)
				}
				break
			}
			if len(p) > bound || !k.valid() {
				t.Fatalf("frame kind %d with %d bytes", k, len(p))
			}
			_, _ = DecodeMsg(k, p)
		}
		runtime.ReadMemStats(&after)
		// The decoder's fixed buffers (64 KiB read buffer) plus twice the
		// input, plus JSON decoding of what was received.
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(256<<10+8*len(data)); got > limit {
			t.Fatalf("allocated %d bytes for %d bytes of input", got, len(data))
		}
	})
}

// TestResultFiles: large streams go to files (those that can be decoded in
// place), the rest on the pipe; the reader gets the same buckets, removes
// the files, and refuses (removing them too) files it did not agree to.
func TestResultFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	buckets := sampleBuckets(t, mem)
	defer ReleaseBuckets(buckets)
	streams := BucketStreams(buckets)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "r-")
	accept := func(path string) error {
		if !strings.HasPrefix(path, prefix) {
			return errors.New("not ours")
		}
		return nil
	}
	inDir := func() int {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		return len(entries)
	}
	// send encodes res and the streams it keeps on the pipe.
	send := func(res *Result) *Decoder {
		var buf bytes.Buffer
		enc := NewEncoder(&buf, mem)
		require.NoError(t, enc.WriteMsg(res))
		require.NoError(t, enc.WriteResultStreams(buckets, res.Files))
		require.NoError(t, enc.Flush())
		dec := NewDecoder(&buf, Limits{})
		m, err := dec.ReadMsg()
		require.NoError(t, err)
		require.Equal(t, res, m)
		return dec
	}

	sp := &Spiller{Prefix: prefix, MinBytes: 0}
	files := sp.Spill(buckets, mem)
	require.NoError(t, sp.Err)
	require.Len(t, files, 6)
	require.Empty(t, files[5], "list columns are not decoded in place: on the pipe")
	written := 0
	for _, f := range files {
		if f != "" {
			require.FileExists(t, f)
			written++
		}
	}
	require.GreaterOrEqual(t, written, 3)
	require.Equal(t, written, inDir())
	res := &Result{ID: 1, Streams: streams, Files: files}
	dec := send(res)
	got, n, err := dec.ReadResult(res, accept, mem)
	require.NoError(t, err)
	require.Positive(t, n)
	requireBucketsEqual(t, buckets, got)
	ReleaseBuckets(got)
	require.Zero(t, inDir(), "files removed once read")

	// A threshold above every stream: all on the pipe.
	sp.MinBytes = 1 << 40
	require.Nil(t, sp.Spill(buckets, mem))

	// Files the reader does not agree to are refused and left alone: the
	// list comes from the worker, which could name anything.
	precious := filepath.Join(t.TempDir(), "precious.parquet")
	require.NoError(t, os.WriteFile(precious, []byte("keep"), 0o600))
	sp.MinBytes = 0
	res = &Result{ID: 2, Streams: streams, Files: sp.Spill(buckets, mem)}
	orphan := res.Files[0]
	res.Files[0] = precious
	dec = send(res)
	_, _, err = dec.ReadResult(res, accept, mem)
	require.ErrorIs(t, err, ErrProtocol)
	require.ErrorContains(t, err, "not ours")
	require.FileExists(t, precious)
	// Its own files it removes, read or not.
	require.NoError(t, os.Remove(orphan))
	require.Zero(t, inDir())
	res = &Result{ID: 3, Streams: streams, Files: sp.Spill(buckets, mem)}
	_, _, err = send(res).ReadResult(res, nil, mem)
	require.ErrorIs(t, err, ErrProtocol, "no file was asked for")
	require.NotZero(t, inDir())
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.Mkdir(dir, 0o700))
	// A file that cannot be read is not a protocol error (the worker may
	// be tried again); the others are removed.
	res = &Result{ID: 4, Streams: streams, Files: sp.Spill(buckets, mem)}
	require.NoError(t, os.Remove(res.Files[0]))
	_, _, err = send(res).ReadResult(res, accept, mem)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NotErrorIs(t, err, ErrProtocol)
	require.Zero(t, inDir())
	// A file list that does not match the streams.
	_, _, err = NewDecoder(&bytes.Buffer{}, Limits{}).ReadResult(&Result{Streams: []int{1}, Files: []string{"", ""}}, accept, mem)
	require.ErrorIs(t, err, ErrProtocol)

	// Files that cannot be written: the pipe, from then on.
	bad := &Spiller{Prefix: filepath.Join(dir, "missing", "r-")}
	require.Nil(t, bad.Spill(buckets, mem))
	require.Error(t, bad.Err)
	require.Nil(t, bad.Spill(buckets, mem))
}

// TestSpillSkips: streams below the threshold between ones above it stay
// on the pipe, each file at its stream's place.
func TestSpillSkips(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	ints := func(n int) arrow.Record {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for i := range n {
			b.Append(int64(i))
		}
		a := b.NewArray()
		defer a.Release()
		return array.NewRecord(schema, []arrow.Array{a}, int64(n))
	}
	// Streams of 8000, 8, 8, 8 and 8000 bytes, then 8 again.
	buckets := [][]arrow.Record{{ints(1000)}, {ints(1)}, {ints(1)}, {ints(1)}, {ints(1000)}, {ints(1)}}
	defer ReleaseBuckets(buckets)
	dir := t.TempDir()
	sp := &Spiller{Prefix: filepath.Join(dir, "r-"), MinBytes: 1000}
	files := sp.Spill(buckets, mem)
	require.NoError(t, sp.Err)
	require.Len(t, files, 6)
	for k, f := range files {
		require.Equal(t, k == 0 || k == 4, f != "", "stream %d", k)
	}
	var buf bytes.Buffer
	enc := NewEncoder(&buf, mem)
	res := &Result{Streams: BucketStreams(buckets), Files: files}
	require.NoError(t, enc.WriteResultStreams(buckets, files))
	require.NoError(t, enc.Flush())
	got, _, err := NewDecoder(&buf, Limits{}).ReadResult(res, func(string) error { return nil }, mem)
	require.NoError(t, err)
	requireBucketsEqual(t, buckets, got)
	ReleaseBuckets(got)
}
