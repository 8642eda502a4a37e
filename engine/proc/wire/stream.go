package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/arrowipc"
)

// Encoder writes messages to a byte stream. It buffers its output: call Flush
// once a message the other side waits for is complete. An Encoder is used by
// one goroutine at a time.
type Encoder struct {
	cw   countWriter
	w    *bufio.Writer
	mem  memory.Allocator
	buf  []byte
	sbuf bytes.Buffer // one IPC stream, written whole once its checksum is known

	maxFrame int
}

// NewEncoder returns an encoder writing to w. mem allocates the scratch
// buffers of IPC encoding (nil: the default allocator).
func NewEncoder(w io.Writer, mem memory.Allocator) *Encoder {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	e := &Encoder{cw: countWriter{w: w}, mem: mem, maxFrame: DefaultMaxFrame}
	e.w = bufio.NewWriterSize(&e.cw, 64<<10)
	return e
}

// WriteMsg writes a control frame carrying msg (a Hello, Ready, Task, Result,
// Error or Shutdown, or a pointer to one).
func (e *Encoder) WriteMsg(msg any) error {
	k, err := KindOf(msg)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("wire: encoding %s frame: %w", k, err)
	}
	if len(payload) > e.maxFrame {
		return fmt.Errorf("wire: %s frame of %d bytes: %w (%d)", k, len(payload), ErrTooLarge, e.maxFrame)
	}
	e.buf = AppendFrame(e.buf[:0], k, payload)
	_, err = e.w.Write(e.buf)
	return err
}

// WriteStream writes recs, which must all have schema schema, as one complete
// Arrow IPC stream (schema, dictionaries, batches, end-of-stream) behind a
// stream header (see StreamHeaderSize). It does not take ownership of the
// records.
func (e *Encoder) WriteStream(schema *arrow.Schema, recs []arrow.Record) error {
	e.sbuf.Reset()
	e.sbuf.Write(make([]byte, StreamHeaderSize))
	iw := ipc.NewWriter(&e.sbuf, ipc.WithSchema(schema), ipc.WithAllocator(e.mem))
	for _, r := range recs {
		if err := iw.Write(r); err != nil {
			iw.Close()
			return fmt.Errorf("wire: writing IPC stream: %w", err)
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("wire: writing IPC stream: %w", err)
	}
	b := e.sbuf.Bytes()
	copy(b, streamMagic[:])
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[StreamHeaderSize:], castagnoli))
	binary.LittleEndian.PutUint64(b[8:], uint64(len(b)-StreamHeaderSize))
	_, err := e.w.Write(b)
	if e.sbuf.Cap() > 64<<20 {
		e.sbuf = bytes.Buffer{}
	}
	return err
}

// BucketStreams returns how many IPC streams WriteBuckets writes for each
// bucket: one per run of consecutive records with equal schemas (nil records
// are skipped), zero for an empty bucket.
func BucketStreams(buckets [][]arrow.Record) []int {
	out := make([]int, len(buckets))
	for i, recs := range buckets {
		eachStream([][]arrow.Record{recs}, func(int, []arrow.Record) error {
			out[i]++
			return nil
		})
	}
	return out
}

// WriteBuckets writes every bucket's records as the IPC streams that
// BucketStreams counts. It does not take ownership of the records.
func (e *Encoder) WriteBuckets(buckets [][]arrow.Record) error {
	return e.WriteResultStreams(buckets, nil)
}

// WriteResultStreams writes the IPC streams of buckets that files (a
// Result's Files, see Spiller) does not put in a file.
func (e *Encoder) WriteResultStreams(buckets [][]arrow.Record, files []string) error {
	return eachStream(buckets, func(k int, recs []arrow.Record) error {
		if k < len(files) && files[k] != "" {
			return nil
		}
		return e.WriteStream(recs[0].Schema(), recs)
	})
}

// Flush writes buffered bytes to the underlying writer.
func (e *Encoder) Flush() error { return e.w.Flush() }

// BytesWritten returns the number of bytes written so far, buffered ones included.
func (e *Encoder) BytesWritten() int64 { return e.cw.n.Load() + int64(e.w.Buffered()) }

type countWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// Decoder reads messages from a byte stream, treating it as untrusted (see
// the package documentation). A Decoder is used by one goroutine at a time.
type Decoder struct {
	r       countReader
	lim     Limits
	payload []byte
	scratch []byte // IPC streams, reused
}

// NewDecoder returns a decoder reading from r, within lim.
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	return &Decoder{r: countReader{r: bufio.NewReaderSize(r, 64<<10)}, lim: lim.withDefaults()}
}

// BytesRead returns the number of bytes consumed so far.
func (d *Decoder) BytesRead() int64 { return d.r.n.Load() }

// ReadFrame reads a control frame; see the package function ReadFrame. The
// payload is valid until the next call.
func (d *Decoder) ReadFrame() (Kind, []byte, error) {
	k, p, err := ReadFrame(&d.r, d.payload, d.lim.MaxFrame)
	if cap(p) <= 1<<20 {
		d.payload = p[:0]
	}
	return k, p, err
}

// ReadMsg reads a control frame and decodes it into a new *Hello, *Ready,
// *Task, *Result, *Error or *Shutdown. At the end of input it returns io.EOF.
func (d *Decoder) ReadMsg() (any, error) {
	k, p, err := d.ReadFrame()
	if err != nil {
		return nil, err
	}
	return DecodeMsg(k, p)
}

// StreamHeaderSize is the size of the header before each IPC stream: magic
// "dfqs", CRC-32C of the stream bytes (uint32), stream length (uint64), both
// little endian. Arrow's IPC decoder trusts the lengths inside its metadata
// (a corrupt schema can make it allocate gigabytes), so the stream is read
// whole, within Limits.MaxMessage, and its checksum verified, before Arrow
// parses it.
const StreamHeaderSize = 16

var streamMagic = [4]byte{'d', 'f', 'q', 's'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ReadStream reads one IPC stream (header, then a complete Arrow IPC stream)
// and returns its records, allocated from mem and owned by the caller, with
// the stream's schema. It consumes exactly the stream's bytes. Errors are
// classified as ReadFrame's are: input ending early wraps
// io.ErrUnexpectedEOF, malformed bytes wrap ErrProtocol.
func (d *Decoder) ReadStream(mem memory.Allocator) (recs []arrow.Record, schema *arrow.Schema, err error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	var hdr [StreamHeaderSize]byte
	if _, err := io.ReadFull(&d.r, hdr[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, fmt.Errorf("wire: IPC stream header: %w", err)
	}
	if [4]byte(hdr[:4]) != streamMagic {
		return nil, nil, protof("wire: IPC stream header %q: %w", hdr[:], ErrBadMagic)
	}
	size := binary.LittleEndian.Uint64(hdr[8:])
	if size > uint64(d.lim.MaxMessage) {
		return nil, nil, protof("wire: IPC stream of %d bytes: %w (%d)", size, ErrTooLarge, d.lim.MaxMessage)
	}
	data, err := readN(&d.r, d.scratch, int(size))
	if cap(data) <= 64<<20 {
		d.scratch = data[:0]
	} else {
		d.scratch = nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("wire: IPC stream: %w", err)
	}
	if sum := crc32.Checksum(data, castagnoli); sum != binary.LittleEndian.Uint32(hdr[4:]) {
		return nil, nil, protof("wire: IPC stream of %d bytes: checksum %08x, header says %08x", size, sum, binary.LittleEndian.Uint32(hdr[4:]))
	}
	return parseStream(data, mem)
}

// parseStream decodes a complete IPC stream held in data.
func parseStream(data []byte, mem memory.Allocator) (recs []arrow.Record, schema *arrow.Schema, err error) {
	alloc := &boundAlloc{mem: mem, max: 64}
	mr := &msgReader{data: data, alloc: alloc, refs: 1}
	defer mr.Release()
	defer func() {
		if err != nil {
			for _, r := range recs {
				r.Release()
			}
			recs, schema = nil, nil
		}
	}()
	rd, err := ipc.NewReaderFromMessageReader(mr, ipc.WithAllocator(alloc))
	if err != nil {
		return nil, nil, ipcErr(mr, err)
	}
	// The IPC reader releases its message reader when released.
	mr.Retain()
	defer rd.Release()
	schema = rd.Schema()
	for rd.Next() {
		rec := rd.Record()
		if err := validateRecord(rec); err != nil {
			return recs, nil, protof("wire: IPC stream: record %d: %w", len(recs), err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rd.Err(); err != nil {
		return recs, nil, ipcErr(mr, err)
	}
	if !mr.eos {
		return recs, nil, protof("wire: IPC stream ended without an end-of-stream marker")
	}
	if mr.pos != len(data) {
		return recs, nil, protof("wire: IPC stream: %d bytes after the end-of-stream marker", len(data)-mr.pos)
	}
	return recs, schema, nil
}

// ipcErr prefers the message reader's own (protocol) error over the IPC
// reader's rewording of it.
func ipcErr(mr *msgReader, err error) error {
	if mr.err != nil {
		return mr.err
	}
	return protof("wire: IPC stream: %w", err)
}

// ReadBuckets reads the IPC streams a Result announces (streams[i] for
// bucket i) from the pipe and returns each bucket's records, owned by the
// caller. On error it releases everything it read.
func (d *Decoder) ReadBuckets(streams []int, mem memory.Allocator) ([][]arrow.Record, error) {
	b, _, err := d.ReadResult(&Result{Streams: streams}, nil, mem)
	return b, err
}

// ReadResult reads the IPC streams res announces and returns each bucket's
// records, owned by the caller, with the bytes of the files read. Streams
// listed in res.Files are read from their files, which accept must approve
// first (it returns an error for a path the worker had no business naming)
// and which are removed once read; the others follow on the pipe. On error
// it releases everything read and removes the files listed that accept
// approves (never others: the list comes from the worker). A file that is
// malformed, or that accept refuses, is a protocol error; one that cannot be
// read is not (the worker may be retried).
func (d *Decoder) ReadResult(res *Result, accept func(path string) error, mem memory.Allocator) (out [][]arrow.Record, fileBytes int64, err error) {
	defer func() {
		if err != nil {
			ReleaseBuckets(out)
			out = nil
			if accept != nil {
				for _, f := range res.Files {
					if f != "" && accept(f) == nil {
						os.Remove(f)
					}
				}
			}
		}
	}()
	total := 0
	for i, n := range res.Streams {
		if n < 0 || n > 1<<20 {
			return nil, 0, protof("wire: bucket %d: %d streams", i, n)
		}
		total += n
	}
	if res.Files != nil && len(res.Files) != total {
		return nil, 0, protof("wire: %d files listed for %d streams", len(res.Files), total)
	}
	out = make([][]arrow.Record, len(res.Streams))
	k := 0
	for i, n := range res.Streams {
		for j := 0; j < n; j++ {
			var recs []arrow.Record
			if k < len(res.Files) && res.Files[k] != "" {
				path := res.Files[k]
				if accept == nil {
					return out, fileBytes, protof("wire: bucket %d stream %d: in file %s, which was not asked for", i, j, path)
				}
				if err := accept(path); err != nil {
					return out, fileBytes, protof("wire: bucket %d stream %d: %w", i, j, err)
				}
				var size int64
				_, recs, size, err = arrowipc.ReadStreamFile(path)
				os.Remove(path)
				res.Files[k] = ""
				if errors.Is(err, arrowipc.ErrCorrupt) || errors.Is(err, arrowipc.ErrNotInPlace) {
					return out, fileBytes, protof("wire: bucket %d stream %d: %w", i, j, err)
				}
				if err != nil {
					return out, fileBytes, fmt.Errorf("wire: bucket %d stream %d: %w", i, j, err)
				}
				fileBytes += size
			} else {
				recs, _, err = d.ReadStream(mem)
				if err != nil {
					return out, fileBytes, fmt.Errorf("bucket %d stream %d: %w", i, j, err)
				}
			}
			out[i] = append(out[i], recs...)
			k++
		}
	}
	return out, fileBytes, nil
}

// ReleaseBuckets releases every record of buckets.
func ReleaseBuckets(buckets [][]arrow.Record) {
	for _, recs := range buckets {
		for _, r := range recs {
			if r != nil {
				r.Release()
			}
		}
	}
}

type countReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// msgReader is an ipc.MessageReader over a complete IPC stream in memory.
// It checks every message's framing and lengths before handing it to Arrow,
// and stops exactly at the end-of-stream marker.
type msgReader struct {
	data  []byte
	pos   int
	alloc *boundAlloc
	msg   *ipc.Message
	refs  int64
	eos   bool
	err   error
}

const continuation = 0xFFFFFFFF

func (m *msgReader) Message() (*ipc.Message, error) {
	if m.msg != nil {
		m.msg.Release()
		m.msg = nil
	}
	if m.eos {
		return nil, io.EOF
	}
	if m.err != nil {
		return nil, m.err
	}
	msg, err := m.next()
	if err != nil {
		m.err = err
		return nil, err
	}
	m.msg = msg
	return msg, nil
}

// take returns the next n bytes of the stream.
func (m *msgReader) take(n int64, what string) ([]byte, error) {
	if n < 0 || n > int64(len(m.data)-m.pos) {
		return nil, protof("wire: IPC %s of %d bytes, %d left in the stream: %w", what, n, len(m.data)-m.pos, io.ErrUnexpectedEOF)
	}
	b := m.data[m.pos : m.pos+int(n)]
	m.pos += int(n)
	return b, nil
}

func (m *msgReader) next() (*ipc.Message, error) {
	pre, err := m.take(8, "message prefix")
	if err != nil {
		return nil, err
	}
	if c := binary.LittleEndian.Uint32(pre); c != continuation {
		return nil, protof("wire: IPC message prefix %q: %w (no continuation marker)", pre, ErrBadMagic)
	}
	size := int32(binary.LittleEndian.Uint32(pre[4:]))
	if size == 0 {
		m.eos = true
		return nil, io.EOF
	}
	if size < 0 {
		return nil, protof("wire: IPC message metadata of %d bytes: %w", size, ErrTooLarge)
	}
	meta, err := m.take(int64(size), "message metadata")
	if err != nil {
		return nil, err
	}
	typ, bodyLen, err := parseMeta(meta)
	if err != nil {
		return nil, err
	}
	switch typ {
	case ipc.MessageSchema, ipc.MessageDictionaryBatch, ipc.MessageRecordBatch:
	default:
		return nil, protof("wire: unexpected IPC message type %s", typ)
	}
	body, err := m.take(bodyLen, "message body")
	if err != nil {
		return nil, err
	}
	// Arrays are copied out of the body into allocations no larger than the
	// bytes seen so far.
	m.alloc.max += len(body)
	return ipc.NewMessage(memory.NewBufferBytes(meta), memory.NewBufferBytes(body)), nil
}

// parseMeta reads an IPC message's type and body length from its metadata
// flatbuffer, which may be garbage.
func parseMeta(meta []byte) (typ ipc.MessageType, bodyLen int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = protof("wire: IPC message metadata unreadable: %v", r)
		}
	}()
	if len(meta) < 8 {
		return 0, 0, protof("wire: IPC message metadata of %d bytes", len(meta))
	}
	msg := ipc.NewMessage(memory.NewBufferBytes(meta), memory.NewBufferBytes(nil))
	defer msg.Release()
	return msg.Type(), msg.BodyLen(), nil
}

func (m *msgReader) Retain() { atomic.AddInt64(&m.refs, 1) }

func (m *msgReader) Release() {
	if atomic.AddInt64(&m.refs, -1) == 0 && m.msg != nil {
		m.msg.Release()
		m.msg = nil
	}
}

// boundAlloc refuses (by panicking, which the IPC reader recovers into an
// error) any allocation larger than max bytes, the IPC bytes received so far
// plus padding: a lying buffer length in a record batch cannot make the
// reader allocate more than it was sent.
type boundAlloc struct {
	mem memory.Allocator
	max int
}

func (b *boundAlloc) Allocate(n int) []byte {
	b.check(n)
	return b.mem.Allocate(n)
}

func (b *boundAlloc) Reallocate(n int, p []byte) []byte {
	b.check(n)
	return b.mem.Reallocate(n, p)
}

func (b *boundAlloc) Free(p []byte) { b.mem.Free(p) }

func (b *boundAlloc) check(n int) {
	if n < 0 || n > b.max+64 {
		panic(fmt.Sprintf("wire: IPC buffer of %d bytes in a stream of %d", n, b.max))
	}
}
