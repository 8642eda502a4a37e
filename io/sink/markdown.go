package sink

import (
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
)

// markdownWriter writes a GitHub table, row by row: a header row, an
// alignment row (numbers right-aligned) and one line per row. NULL is an empty
// cell; | is escaped as \| and line breaks become <br>.
type markdownWriter struct {
	w       io.Writer
	out     *arrow.Schema
	kinds   []kind
	started bool
	closed  bool
	b       batch
	buf     []byte
}

func newMarkdownWriter(w io.Writer, out *arrow.Schema) *markdownWriter {
	return &markdownWriter{w: w, out: out, kinds: kinds(out)}
}

func (m *markdownWriter) start() {
	m.started = true
	if m.out.NumFields() == 0 {
		return
	}
	m.buf = append(m.buf, '|')
	for _, f := range m.out.Fields() {
		m.buf = append(m.buf, ' ')
		m.buf = appendMarkdown(m.buf, []byte(f.Name))
		m.buf = append(m.buf, " |"...)
	}
	m.buf = append(m.buf, "\n|"...)
	for j := range m.out.Fields() {
		if m.kinds[j] == kindNumber {
			m.buf = append(m.buf, " ---: |"...)
		} else {
			m.buf = append(m.buf, " --- |"...)
		}
	}
	m.buf = append(m.buf, '\n')
}

func (m *markdownWriter) Write(rec arrow.Record) error {
	if m.closed {
		return ErrClosed
	}
	if err := check(Markdown, m.out, rec); err != nil {
		return err
	}
	m.buf = m.buf[:0]
	if !m.started {
		m.start()
	}
	if err := m.b.format(Markdown, m.out, rec, false); err != nil {
		return err
	}
	cols := m.b.cols
	if len(cols) > 0 {
		for i := 0; i < int(rec.NumRows()); i++ {
			m.buf = append(m.buf, '|')
			for j := range cols {
				c := &cols[j]
				if c.null[i] {
					m.buf = append(m.buf, "  |"...)
					continue
				}
				m.buf = append(m.buf, ' ')
				if m.kinds[j] == kindText {
					m.buf = appendMarkdown(m.buf, c.cell(i))
				} else {
					m.buf = append(m.buf, c.cell(i)...)
				}
				m.buf = append(m.buf, " |"...)
			}
			m.buf = append(m.buf, '\n')
		}
	}
	if len(m.buf) == 0 {
		return nil
	}
	if _, err := m.w.Write(m.buf); err != nil {
		return fmt.Errorf("sink: %s: %w", Markdown, err)
	}
	return nil
}

func (m *markdownWriter) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if m.started {
		return nil
	}
	m.buf = m.buf[:0]
	m.start()
	if len(m.buf) == 0 {
		return nil
	}
	if _, err := m.w.Write(m.buf); err != nil {
		return fmt.Errorf("sink: %s: %w", Markdown, err)
	}
	return nil
}

func appendMarkdown(dst, v []byte) []byte {
	for k := 0; k < len(v); k++ {
		switch c := v[k]; c {
		case '|':
			dst = append(dst, '\\', '|')
		case '\r':
			if k+1 < len(v) && v[k+1] == '\n' {
				k++
			}
			dst = append(dst, "<br>"...)
		case '\n':
			dst = append(dst, "<br>"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
