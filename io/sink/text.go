package sink

import (
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
)

// batch is the text of every column of one record.
type batch struct {
	cols []cells
}

func (b *batch) format(format string, out *arrow.Schema, rec arrow.Record, jsonFloats bool) error {
	if len(b.cols) != int(rec.NumCols()) {
		b.cols = make([]cells, rec.NumCols())
	}
	for j := range b.cols {
		if err := b.cols[j].format(rec.Column(j), jsonFloats); err != nil {
			return fmt.Errorf("sink: %s: column %d %q: %w", format, j, out.Field(j).Name, err)
		}
	}
	return nil
}

// kinds returns the kind of each field of a schema the text formats accept.
func kinds(s *arrow.Schema) []kind {
	ks := make([]kind, s.NumFields())
	for i, f := range s.Fields() {
		ks[i], _ = supported(f.Type)
	}
	return ks
}

// textWriter writes CSV (RFC 4180) or TSV.
type textWriter struct {
	w       io.Writer
	format  string
	out     *arrow.Schema
	kinds   []kind
	delim   byte
	header  bool
	started bool
	closed  bool
	buf     []byte
	slicer  slicer
}

func newTextWriter(w io.Writer, out *arrow.Schema, delim byte, header bool) *textWriter {
	format := CSV
	if delim == '\t' {
		format = TSV
	}
	return &textWriter{w: w, format: format, out: out, kinds: kinds(out), delim: delim, header: header}
}

func (t *textWriter) start() {
	t.started = true
	if !t.header {
		return
	}
	for j, f := range t.out.Fields() {
		if j > 0 {
			t.buf = append(t.buf, t.delim)
		}
		t.buf = t.appendField(t.buf, []byte(f.Name))
	}
	t.buf = append(t.buf, '\n')
}

// appendField appends a non-NULL text value, quoted when needed: for CSV when
// it is empty (to tell it from NULL), has a leading or trailing space, or holds
// the delimiter, a quote, CR or LF; for TSV the same except for spaces.
func (t *textWriter) appendField(dst, v []byte) []byte {
	quote := len(v) == 0 || (t.delim != '\t' && (v[0] == ' ' || v[len(v)-1] == ' '))
	if !quote {
		for _, c := range v {
			if c == t.delim || c == '"' || c == '\n' || c == '\r' {
				quote = true
				break
			}
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, c := range v {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func (t *textWriter) Write(rec arrow.Record) error {
	if t.closed {
		return ErrClosed
	}
	if err := check(t.format, t.out, rec); err != nil {
		return err
	}
	t.buf = t.buf[:0]
	if !t.started {
		t.start()
	}
	var err error
	t.buf, err = t.slicer.write(t.w, t.format, t.buf, rec, func(b *batch, dst []byte, sl arrow.Record, _ bool) ([]byte, error) {
		return t.rows(b, dst, sl)
	})
	return err
}

// parallelRows is the fewest rows per slice a record is cut into to be
// formatted in parallel (a variable for tests).
var parallelRows = 8192

// slicer formats the rows of a long record a slice per core, each on its
// own goroutine into its own buffer, and writes the buffers in order once
// all are done, so that no goroutine outlives the call.
type slicer struct {
	b     batch
	parts []textPart
}

// textPart is the state of one slice of a record formatted in parallel.
type textPart struct {
	b   batch
	buf []byte
	err error
}

// write writes head (text before the record's rows), then the rows of rec
// formatted by rows (first: the slice is the record's first), to w; it
// returns head's buffer for reuse.
func (s *slicer) write(w io.Writer, format string, head []byte, rec arrow.Record,
	rows func(b *batch, dst []byte, sl arrow.Record, first bool) ([]byte, error)) ([]byte, error) {
	n := int(rec.NumRows())
	parts := min(runtime.GOMAXPROCS(0), n/parallelRows)
	if parts <= 1 {
		buf, err := rows(&s.b, head, rec, true)
		if err != nil {
			return buf, err
		}
		if len(buf) > 0 {
			if _, err := w.Write(buf); err != nil {
				return buf, fmt.Errorf("sink: %s: %w", format, err)
			}
		}
		return buf, nil
	}
	if len(s.parts) < parts {
		s.parts = make([]textPart, parts)
	}
	var wg sync.WaitGroup
	for k := range parts {
		lo, hi := int64(n*k/parts), int64(n*(k+1)/parts)
		p := &s.parts[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					p.err = fmt.Errorf("sink: %s: internal error: %v", format, r)
				}
			}()
			sl := rec.NewSlice(lo, hi)
			defer sl.Release()
			p.buf, p.err = rows(&p.b, p.buf[:0], sl, k == 0)
		}()
	}
	wg.Wait()
	for _, p := range s.parts[:parts] {
		if p.err != nil {
			return head, p.err
		}
	}
	if len(head) > 0 {
		if _, err := w.Write(head); err != nil {
			return head, fmt.Errorf("sink: %s: %w", format, err)
		}
	}
	for _, p := range s.parts[:parts] {
		if _, err := w.Write(p.buf); err != nil {
			return head, fmt.Errorf("sink: %s: %w", format, err)
		}
	}
	return head, nil
}

// rows appends rec's rows as text to dst, formatting them in b.
func (t *textWriter) rows(b *batch, dst []byte, rec arrow.Record) ([]byte, error) {
	if err := b.format(t.format, t.out, rec, false); err != nil {
		return dst, err
	}
	n := int(rec.NumRows())
	cols := b.cols
	for i := 0; i < n; i++ {
		for j := range cols {
			if j > 0 {
				dst = append(dst, t.delim)
			}
			c := &cols[j]
			if c.null[i] {
				continue
			}
			if t.kinds[j] == kindText {
				dst = t.appendField(dst, c.cell(i))
			} else {
				dst = append(dst, c.cell(i)...)
			}
		}
		dst = append(dst, '\n')
	}
	return dst, nil
}

func (t *textWriter) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	if t.started {
		return nil
	}
	t.buf = t.buf[:0]
	t.start()
	if len(t.buf) == 0 {
		return nil
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return fmt.Errorf("sink: %s: %w", t.format, err)
	}
	return nil
}
