package sink

import (
	"fmt"
	"io"

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
	b       batch
	buf     []byte
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
	if err := t.b.format(t.format, t.out, rec, false); err != nil {
		return err
	}
	n := int(rec.NumRows())
	cols := t.b.cols
	for i := 0; i < n; i++ {
		for j := range cols {
			if j > 0 {
				t.buf = append(t.buf, t.delim)
			}
			c := &cols[j]
			if c.null[i] {
				continue
			}
			if t.kinds[j] == kindText {
				t.buf = t.appendField(t.buf, c.cell(i))
			} else {
				t.buf = append(t.buf, c.cell(i)...)
			}
		}
		t.buf = append(t.buf, '\n')
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return fmt.Errorf("sink: %s: %w", t.format, err)
	}
	return nil
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
