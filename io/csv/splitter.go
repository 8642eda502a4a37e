package csv

import (
	"bytes"
	"fmt"
)

// splitter cuts the records in a buffer into fields. It records, for each
// selected field (slot) of each row, the field's [start, end) in the buffer,
// column-major: starts[slot*cap+row]. end is -1 for NULL (an unquoted empty
// field or the null string). Quoted fields are unescaped in place, so the
// buffer is modified; field positions stay valid until the buffer is
// refilled.
type splitter struct {
	o      options
	ncols  int
	slot   []int32 // field index -> slot, -1 when not recorded
	nslots int
	cap    int // rows per call

	starts, ends []int32
	rowNL        []int64 // newlines before each row (since the range start)
	rowOff       []int   // buffer position of each row

	nl         int64 // newlines consumed since the range start
	skipRagged bool  // sampling: skip records with the wrong field count
}

func newSplitter(o options, ncols int, slot []int32, nslots, rows int) *splitter {
	return &splitter{
		o: o, ncols: ncols, slot: slot, nslots: nslots, cap: rows,
		starts: make([]int32, nslots*rows),
		ends:   make([]int32, nslots*rows),
		rowNL:  make([]int64, rows),
		rowOff: make([]int, rows),
	}
}

// recordError is a malformed record at buffer position pos, after nl
// newlines of the range.
type recordError struct {
	pos int
	nl  int64
	msg string
}

func (e *recordError) Error() string { return e.msg }

// split parses complete records from buf[pos:], at most min(maxRows, cap).
// eof says that no data follows buf. It returns the number of rows recorded
// and the position after the last record consumed; it stops early at an
// incomplete record (which starts at the returned position).
func (s *splitter) split(buf []byte, pos int, eof bool, maxRows int) (int, int, error) {
	maxRows = min(maxRows, s.cap)
	rows := 0
	n := len(buf)
	o := s.o
	for rows < maxRows && pos < n {
		start := pos
		nlAt := s.nl
		lineEnd, next := n, n
		if k := bytes.IndexByte(buf[pos:], '\n'); k >= 0 {
			lineEnd, next = pos+k, pos+k+1
		} else if !eof {
			break
		}
		if bytes.IndexByte(buf[pos:lineEnd], o.quote) >= 0 {
			end, nx, lines, ok, err := s.extent(buf, pos, eof)
			if err != nil {
				return rows, start, err
			}
			if !ok {
				break
			}
			nf, err := s.fieldsQuoted(buf, pos, end, rows)
			if err != nil {
				return rows, start, err
			}
			s.nl += lines
			pos = nx
			if nf != s.ncols {
				if s.skipRagged {
					continue
				}
				return rows, start, s.ragged(start, nlAt, nf)
			}
		} else {
			e := lineEnd
			if e > pos && buf[e-1] == '\r' {
				e--
			}
			if next > lineEnd {
				s.nl++
			}
			if e == pos { // blank line
				pos = next
				continue
			}
			nf := s.fieldsPlain(buf, pos, e, rows)
			pos = next
			if nf != s.ncols {
				if s.skipRagged {
					continue
				}
				return rows, start, s.ragged(start, nlAt, nf)
			}
		}
		s.rowNL[rows] = nlAt
		s.rowOff[rows] = start
		rows++
	}
	return rows, pos, nil
}

func (s *splitter) ragged(pos int, nl int64, got int) error {
	return &recordError{pos: pos, nl: nl, msg: fmt.Sprintf("record has %d fields, expected %d", got, s.ncols)}
}

// put records field fi of row as [fs, fe), or NULL when null is set.
func (s *splitter) put(fi, row, fs, fe int, null bool) {
	if fi >= s.ncols {
		return
	}
	sl := s.slot[fi]
	if sl < 0 {
		return
	}
	i := int(sl)*s.cap + row
	s.starts[i] = int32(fs)
	if null {
		s.ends[i] = -1
	} else {
		s.ends[i] = int32(fe)
	}
}

func (s *splitter) isNull(f []byte) bool {
	return len(f) == 0 || (s.o.null != nil && bytes.Equal(f, s.o.null))
}

// fieldsPlain splits buf[pos:end), a line without quote characters.
func (s *splitter) fieldsPlain(buf []byte, pos, end, row int) int {
	d := s.o.delim
	fi := 0
	for {
		k := bytes.IndexByte(buf[pos:end], d)
		fe := end
		if k >= 0 {
			fe = pos + k
		}
		s.put(fi, row, pos, fe, s.isNull(buf[pos:fe]))
		fi++
		if k < 0 {
			return fi
		}
		pos = fe + 1
	}
}

// extent finds the end of the record at pos, honouring quotes: end is the
// position of its terminating newline (or len(buf) at eof), next the position
// after it, lines the number of newlines it spans. ok is false when the
// record is incomplete and more data may follow.
func (s *splitter) extent(buf []byte, pos int, eof bool) (end, next int, lines int64, ok bool, err error) {
	q, d := s.o.quote, s.o.delim
	n := len(buf)
	atStart := true
	p := pos
	for p < n {
		c := buf[p]
		switch {
		case atStart && c == q:
			p++
			for {
				k := bytes.IndexByte(buf[p:], q)
				if k < 0 {
					if eof {
						return 0, 0, 0, false, &recordError{pos: pos, nl: s.nl, msg: "quoted field is not terminated"}
					}
					return 0, 0, 0, false, nil
				}
				lines += int64(bytes.Count(buf[p:p+k], []byte{'\n'}))
				p += k + 1
				if p < n && buf[p] == q {
					p++
					continue
				}
				if p == n && !eof {
					return 0, 0, 0, false, nil
				}
				break
			}
			atStart = false
		case c == '\n':
			return p, p + 1, lines + 1, true, nil
		default:
			atStart = c == d
			p++
		}
	}
	if !eof {
		return 0, 0, 0, false, nil
	}
	return n, n, lines, true, nil
}

// fieldsQuoted splits the complete record buf[pos:end) (end excludes the
// newline), unescaping quoted fields in place.
func (s *splitter) fieldsQuoted(buf []byte, pos, end, row int) (int, error) {
	q, d := s.o.quote, s.o.delim
	fi := 0
	p := pos
	for {
		if p < end && buf[p] == q {
			w := p
			r := p + 1
			for {
				k := bytes.IndexByte(buf[r:end], q)
				if k < 0 { // cannot happen after extent
					return fi, &recordError{pos: pos, nl: s.nl, msg: "quoted field is not terminated"}
				}
				copy(buf[w:], buf[r:r+k])
				w += k
				r += k + 1
				if r < end && buf[r] == q {
					buf[w] = q
					w++
					r++
					continue
				}
				break
			}
			s.put(fi, row, p, w, false)
			fi++
			p = r
			if p+1 == end && buf[p] == '\r' {
				p = end
			}
			if p >= end {
				return fi, nil
			}
			if buf[p] != d {
				return fi, &recordError{pos: pos, nl: s.nl, msg: fmt.Sprintf("unexpected %q after the closing quote of field %d", buf[p], fi)}
			}
			p++
			continue
		}
		fe := end
		if k := bytes.IndexByte(buf[p:end], d); k >= 0 {
			fe = p + k
		} else if fe > p && buf[fe-1] == '\r' {
			fe--
		}
		s.put(fi, row, p, fe, s.isNull(buf[p:fe]))
		fi++
		if fe >= end || buf[fe] != d {
			return fi, nil
		}
		p = fe + 1
	}
}
