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
	buf     []byte
	slicer  slicer
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
	started := t.started
	var err error
	t.buf, err = t.slicer.write(t.w, t.format, t.buf[:0], rec, func(b *batch, dst []byte, sl arrow.Record, first bool) ([]byte, error) {
		return t.rows(b, dst, sl, first && !started)
	})
	t.started = started || rec.NumRows() > 0
	return err
}

// rows appends rec's rows as JSON objects to dst, formatting them in b;
// opening says whether the first row opens the array (JSON).
func (t *jsonWriter) rows(b *batch, dst []byte, rec arrow.Record, opening bool) ([]byte, error) {
	if err := b.format(t.format, t.out, rec, true); err != nil {
		return dst, err
	}
	n := int(rec.NumRows())
	cols := b.cols
	for i := 0; i < n; i++ {
		if !t.lines {
			if i == 0 && opening {
				dst = append(dst, '[', '\n')
			} else {
				dst = append(dst, ',', '\n')
			}
		}
		dst = append(dst, '{')
		for j := range cols {
			dst = append(dst, t.keys[j]...)
			c := &cols[j]
			switch {
			case c.null[i]:
				dst = append(dst, "null"...)
			case t.kinds[j] == kindText || t.kinds[j] == kindTime:
				dst = appendJSONString(dst, c.cell(i))
			default:
				dst = append(dst, c.cell(i)...)
			}
		}
		dst = append(dst, '}')
		if t.lines {
			dst = append(dst, '\n')
		}
	}
	return dst, nil
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
