package sink

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
)

// jsonWriter writes a JSON array of objects, or one object per line (JSONL).
type jsonWriter struct {
	w       io.Writer
	format  string
	out     *arrow.Schema
	kinds   []kind
	keys    [][]byte // `"name":` per column, `,"name":` after the first
	lines   bool
	started bool
	closed  bool
	b       batch
	buf     []byte
}

func newJSONWriter(w io.Writer, out *arrow.Schema, lines bool) *jsonWriter {
	format := JSON
	if lines {
		format = JSONL
	}
	keys := make([][]byte, out.NumFields())
	for j, f := range out.Fields() {
		var k []byte
		if j > 0 {
			k = append(k, ',')
		}
		k = appendJSONString(k, []byte(f.Name))
		keys[j] = append(k, ':')
	}
	return &jsonWriter{w: w, format: format, out: out, kinds: kinds(out), keys: keys, lines: lines}
}

func (t *jsonWriter) Write(rec arrow.Record) error {
	if t.closed {
		return ErrClosed
	}
	if err := check(t.format, t.out, rec); err != nil {
		return err
	}
	if err := t.b.format(t.format, t.out, rec, true); err != nil {
		return err
	}
	t.buf = t.buf[:0]
	n := int(rec.NumRows())
	cols := t.b.cols
	for i := 0; i < n; i++ {
		if !t.lines {
			if t.started {
				t.buf = append(t.buf, ',', '\n')
			} else {
				t.buf = append(t.buf, '[', '\n')
			}
		}
		t.started = true
		t.buf = append(t.buf, '{')
		for j := range cols {
			t.buf = append(t.buf, t.keys[j]...)
			c := &cols[j]
			switch {
			case c.null[i]:
				t.buf = append(t.buf, "null"...)
			case t.kinds[j] == kindText || t.kinds[j] == kindTime:
				t.buf = appendJSONString(t.buf, c.cell(i))
			default:
				t.buf = append(t.buf, c.cell(i)...)
			}
		}
		t.buf = append(t.buf, '}')
		if t.lines {
			t.buf = append(t.buf, '\n')
		}
	}
	if len(t.buf) == 0 {
		return nil
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return fmt.Errorf("sink: %s: %w", t.format, err)
	}
	return nil
}

func (t *jsonWriter) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	if t.lines {
		return nil
	}
	end := "\n]\n"
	if !t.started {
		end = "[]\n"
	}
	if _, err := io.WriteString(t.w, end); err != nil {
		return fmt.Errorf("sink: %s: %w", t.format, err)
	}
	return nil
}

// appendJSONString appends v as a JSON string: quote, backslash and control
// characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst, v []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, v[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, v[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, v[start:]...)
	return append(dst, '"')
}
