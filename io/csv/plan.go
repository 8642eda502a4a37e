package csv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dfq/dfq/io/source"
)

// DefaultSplitBytes is the split size PlanSplits uses when targetBytes <= 0.
const DefaultSplitBytes = 32 << 20

// PlanSplits cuts the CSV file at path into byte ranges of about targetBytes,
// each starting at a record start (the first one after the header) and each
// carrying opts, which must name every column (as Infer returns them). The
// whole file is scanned once with quote state, so no split starts inside a
// quoted field, and every split's FirstLine is set. A file without data rows
// gives one empty split. Split indexes start at 0.
func PlanSplits(path string, opts source.CSVOptions, targetBytes int64) ([]source.Split, error) {
	splits, err := planSplits(path, opts, targetBytes)
	if err != nil {
		return nil, fmt.Errorf("csv: %s: %w", path, err)
	}
	return splits, nil
}

func planSplits(path string, opts source.CSVOptions, targetBytes int64) ([]source.Split, error) {
	if targetBytes <= 0 {
		targetBytes = DefaultSplitBytes
	}
	o, err := parseOptions(opts)
	if err != nil {
		return nil, err
	}
	names, _, err := columnTypes(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := readHead(f, o)
	if err != nil {
		return nil, err
	}
	if len(h.fields) != len(names) {
		return nil, fmt.Errorf("%w: %d columns, the options have %d (%s, ...)", source.ErrSchemaMismatch, len(h.fields), len(names), names[0])
	}
	sc := scanner{quote: o.quote, delim: o.delim, target: targetBytes, next: h.start + targetBytes, prev: '\n'}
	buf := make([]byte, 4<<20)
	for off := h.start; off < h.size; {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), h.size-off)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("file shrank while being read")
		}
		sc.chunk(buf[:n], off)
		off += int64(n)
	}
	shared := opts
	var splits []source.Split
	add := func(from, to, nl int64) {
		splits = append(splits, source.Split{
			Index: len(splits), Format: source.CSV, Path: path,
			Offset: from, Length: to - from, FirstLine: h.firstLine + nl,
			CSV: &shared, Rows: -1, Bytes: to - from,
		})
	}
	from, nl := h.start, int64(0)
	for _, c := range sc.cuts {
		if c.off >= h.size {
			break
		}
		add(from, c.off, nl)
		from, nl = c.off, c.lines
	}
	if from < h.size || len(splits) == 0 {
		add(from, h.size, nl)
	}
	return splits, nil
}

type cut struct {
	off   int64 // record start
	lines int64 // newlines between the data start and off
}

// scanner finds record starts near every target bytes of a file, tracking
// quote state (a quote opens a quoted field only at a field start).
type scanner struct {
	quote, delim byte
	target       int64
	next         int64 // the next cut is at the first record start >= next
	inQ          bool
	pendingQ     bool // in quotes and the previous chunk ended with a quote
	prev         byte // last byte of the previous chunk
	lines        int64
	cuts         []cut
}

func (s *scanner) chunk(buf []byte, base int64) {
	i := 0
	if s.pendingQ {
		s.pendingQ = false
		if buf[0] == s.quote {
			i = 1 // an escaped quote: still quoted
		} else {
			s.inQ = false
		}
	}
	for i < len(buf) {
		if s.inQ {
			k := bytes.IndexByte(buf[i:], s.quote)
			if k < 0 {
				s.lines += int64(bytes.Count(buf[i:], nlByte))
				i = len(buf)
				break
			}
			s.lines += int64(bytes.Count(buf[i:i+k], nlByte))
			j := i + k + 1
			switch {
			case j == len(buf):
				s.pendingQ = true
				i = j
			case buf[j] == s.quote:
				i = j + 1
			default:
				s.inQ = false
				i = j
			}
			continue
		}
		end := len(buf)
		k := bytes.IndexByte(buf[i:], s.quote)
		if k >= 0 {
			end = i + k
		}
		for s.next-1 < base+int64(end) {
			from := max(i, int(s.next-1-base))
			j := bytes.IndexByte(buf[from:end], '\n')
			if j < 0 {
				break
			}
			p := from + j + 1
			s.cuts = append(s.cuts, cut{off: base + int64(p), lines: s.lines + int64(bytes.Count(buf[i:p], nlByte))})
			s.next = base + int64(p) + s.target
		}
		s.lines += int64(bytes.Count(buf[i:end], nlByte))
		if k < 0 {
			break
		}
		before := s.prev
		if end > 0 {
			before = buf[end-1]
		}
		if before == s.delim || before == '\n' {
			s.inQ = true
		}
		i = end + 1
	}
	s.prev = buf[len(buf)-1]
}

var nlByte = []byte{'\n'}
