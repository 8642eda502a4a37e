package arrowipc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/source"
)

// fileMagic opens and closes an IPC file; a stream starts with the
// continuation marker 0xFFFFFFFF (or, before Arrow 0.15, a message length).
const fileMagic = "ARROW1"

const continuation = 0xFFFFFFFF

// maxMeta bounds a message's metadata length (a corrupt length must not make
// us allocate gigabytes).
const maxMeta = 256 << 20

// layout is an opened file's format and, for the file format, its index.
type layout struct {
	format Format
	size   int64
	foot   footer // file format only
}

// readLayout detects the format of f and reads the footer of a file-format file.
func readLayout(f *os.File) (layout, error) {
	st, err := f.Stat()
	if err != nil {
		return layout{}, err
	}
	l := layout{size: st.Size()}
	var head [8]byte
	n, err := f.ReadAt(head[:], 0)
	if n < len(head) {
		if err == nil || errors.Is(err, io.EOF) {
			err = fmt.Errorf("file of %d bytes is too short for Arrow IPC: %w", l.size, source.ErrFormat)
		}
		return layout{}, err
	}
	switch {
	case string(head[:6]) == fileMagic:
		l.format = FormatFile
	case binary.LittleEndian.Uint32(head[:4]) == continuation:
		l.format = FormatStream
		return l, nil
	default:
		if m := int32(binary.LittleEndian.Uint32(head[:4])); m > 0 && int64(m) < l.size {
			// pre-0.15 stream: a bare metadata length
			l.format = FormatStream
			return l, nil
		}
		return layout{}, fmt.Errorf("not an Arrow IPC file or stream (starts with %q): %w", head[:], source.ErrFormat)
	}
	const tail = 10 // int32 footer length + magic
	if l.size < int64(8+tail) {
		return layout{}, fmt.Errorf("file of %d bytes is too short for the Arrow IPC file format: %w", l.size, source.ErrFormat)
	}
	var end [tail]byte
	if _, err := f.ReadAt(end[:], l.size-tail); err != nil {
		return layout{}, err
	}
	if string(end[4:]) != fileMagic {
		return layout{}, fmt.Errorf("Arrow IPC file does not end with %q (truncated?): %w", fileMagic, source.ErrFormat)
	}
	flen := int64(int32(binary.LittleEndian.Uint32(end[:4])))
	if flen <= 0 || flen > l.size-8-tail {
		return layout{}, fmt.Errorf("footer length %d out of range: %w", flen, errCorrupt)
	}
	buf := make([]byte, flen)
	if _, err := f.ReadAt(buf, l.size-tail-flen); err != nil {
		return layout{}, err
	}
	if l.foot, err = parseFooter(buf); err != nil {
		return layout{}, fmt.Errorf("footer: %w", err)
	}
	for _, blocks := range [][]block{l.foot.dicts, l.foot.batches} {
		for i, b := range blocks {
			if b.Offset < 8 || b.Offset+int64(b.Meta)+b.Body > l.size {
				return layout{}, fmt.Errorf("footer block %d [%d, +%d) beyond the file (%d bytes): %w", i, b.Offset, int64(b.Meta)+b.Body, l.size, errCorrupt)
			}
		}
	}
	return l, nil
}

// readMessageHeader reads a message's length prefix and metadata from r. It
// returns io.EOF at an end-of-stream marker or at the end of r.
func readMessageHeader(r io.Reader, limit int64) ([]byte, error) {
	var pre [4]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated message prefix: %w", errCorrupt)
		}
		return nil, err // io.EOF: end of a stream without an end marker
	}
	n := binary.LittleEndian.Uint32(pre[:])
	if n == continuation {
		if _, err := io.ReadFull(r, pre[:]); err != nil {
			return nil, fmt.Errorf("truncated message prefix: %w", errCorrupt)
		}
		n = binary.LittleEndian.Uint32(pre[:])
	}
	if n == 0 {
		return nil, io.EOF
	}
	if int64(int32(n)) < 0 || int64(n) > limit || n > maxMeta {
		return nil, fmt.Errorf("message metadata length %d out of range: %w", int32(n), errCorrupt)
	}
	meta := make([]byte, n)
	if _, err := io.ReadFull(r, meta); err != nil {
		return nil, fmt.Errorf("truncated message metadata: %w", errCorrupt)
	}
	return meta, nil
}

// msgReader feeds arrow/go's ipc.Reader: for a stream, every message in
// order; for a file, the schema message, every dictionary batch, then the
// selected record batches. It allocates bodies from mem, repairs LZ4 frames
// (see fixLZ4Body) and counts the bytes it reads. It implements
// ipc.MessageReader.
type msgReader struct {
	mem    memory.Allocator
	stream *bufio.Reader // stream format, or the file's schema message
	limit  int64         // bytes left in the file after the stream's start
	f      io.ReaderAt
	file   bool    // file format: the stream part holds only the schema
	blocks []block // file format: the blocks still to read
	cur    *ipc.Message
	refs   int64
	n      int   // messages read
	bytes  int64 // bytes read
}

func newStreamMsgReader(f io.ReaderAt, start, size int64, mem memory.Allocator) *msgReader {
	return &msgReader{
		mem:    mem,
		stream: bufio.NewReaderSize(io.NewSectionReader(f, start, size-start), 1<<16),
		limit:  size - start,
		f:      f,
		refs:   1,
	}
}

// newFileMsgReader reads the schema message at offset 8, then blocks.
func newFileMsgReader(f io.ReaderAt, size int64, blocks []block, mem memory.Allocator) *msgReader {
	m := newStreamMsgReader(f, 8, size, mem)
	m.stream = bufio.NewReaderSize(io.NewSectionReader(f, 8, size-8), 4096)
	m.file = true
	m.blocks = blocks
	return m
}

func (m *msgReader) Retain() { atomic.AddInt64(&m.refs, 1) }

func (m *msgReader) Release() {
	if atomic.AddInt64(&m.refs, -1) == 0 && m.cur != nil {
		m.cur.Release()
		m.cur = nil
	}
}

// Message returns the next message, valid until the next call; io.EOF at the end.
func (m *msgReader) Message() (*ipc.Message, error) {
	if m.cur != nil {
		m.cur.Release()
		m.cur = nil
	}
	var (
		r     io.Reader
		limit int64
	)
	switch {
	case m.stream != nil:
		r, limit = m.stream, m.limit
		if m.file {
			m.stream = nil
		}
	case len(m.blocks) > 0:
		b := m.blocks[0]
		m.blocks = m.blocks[1:]
		limit = int64(b.Meta) + b.Body
		r = io.NewSectionReader(m.f, b.Offset, limit)
	default:
		return nil, io.EOF
	}
	msg, err := m.read(r, limit)
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("message %d: %w", m.n, err)
	}
	m.n++
	m.cur = msg
	return msg, nil
}

func (m *msgReader) read(r io.Reader, limit int64) (*ipc.Message, error) {
	meta, err := readMessageHeader(r, limit)
	if err != nil {
		return nil, err
	}
	info, err := parseMessage(meta, true)
	if err != nil {
		return nil, err
	}
	if info.bodyLen > limit-int64(len(meta)) {
		return nil, fmt.Errorf("message body of %d bytes beyond the end of the file: %w", info.bodyLen, errCorrupt)
	}
	body := memory.NewResizableBuffer(m.mem)
	defer body.Release()
	body.Resize(int(info.bodyLen))
	if _, err := io.ReadFull(r, body.Bytes()); err != nil {
		return nil, fmt.Errorf("truncated message body: %w", errCorrupt)
	}
	if !m.file {
		m.limit -= 8 + int64(len(meta)) + info.bodyLen
	}
	m.bytes += 8 + int64(len(meta)) + info.bodyLen
	if info.codec == codecLZ4 {
		if err := fixLZ4Body(body.Bytes(), info.buffers); err != nil {
			return nil, err
		}
	}
	if info.kind == msgRecordBatch || info.kind == msgDictionaryBatch {
		for i, bf := range info.buffers {
			if bf[0] < 0 || bf[1] < 0 || bf[0] > info.bodyLen || bf[1] > info.bodyLen-bf[0] {
				return nil, fmt.Errorf("buffer %d [%d, +%d) outside the body (%d bytes): %w", i, bf[0], bf[1], info.bodyLen, errCorrupt)
			}
		}
	}
	return ipc.NewMessage(memory.NewBufferBytes(meta), body), nil
}
