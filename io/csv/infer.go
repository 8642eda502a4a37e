package csv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/io/source"
)

// Sampling parameters of Infer.
const (
	sampleCount = 8
	sampleBytes = 64 << 10
	maxHeader   = 16 << 20 // longest first record we look for
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// head is what the first record of a file tells.
type head struct {
	fields    []string // the first record's fields
	start     int64    // offset of the first data record
	firstLine int64    // 1-based line number of the first data record
	size      int64
}

// readHead reads the first record of f (the header when o.header is set).
func readHead(f *os.File, o options) (head, error) {
	st, err := f.Stat()
	if err != nil {
		return head{}, err
	}
	h := head{size: st.Size(), firstLine: 1}
	for n := int64(64 << 10); ; n *= 2 {
		buf := make([]byte, min(n, h.size))
		if _, err := f.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
			return head{}, err
		}
		eof := int64(len(buf)) == h.size
		skip := 0
		if bytes.HasPrefix(buf, bom) {
			skip = len(bom)
		}
		sp := &splitter{o: o}
		p := skip
		for p < len(buf) && (buf[p] == '\n' || (buf[p] == '\r' && p+1 < len(buf) && buf[p+1] == '\n')) {
			p++ // leading blank lines
		}
		if p == len(buf) && eof {
			return head{}, fmt.Errorf("file is empty (no header or data line)")
		}
		end, next, lines, ok, err := sp.extent(buf, p, eof)
		if err != nil {
			return head{}, fmt.Errorf("line 1: %w", err)
		}
		if !ok {
			if n >= maxHeader {
				return head{}, fmt.Errorf("first record is longer than %d bytes", maxHeader)
			}
			continue
		}
		if h.fields, err = splitRecord(buf[p:end], o); err != nil {
			return head{}, fmt.Errorf("line 1: %w", err)
		}
		if !o.header {
			h.start = int64(skip)
			return h, nil
		}
		h.start = int64(next)
		h.firstLine = 1 + int64(bytes.Count(buf[:p], []byte{'\n'})) + lines
		return h, nil
	}
}

// splitRecord splits one complete record (without its newline) into fields.
func splitRecord(rec []byte, o options) ([]string, error) {
	rec = bytes.TrimSuffix(rec, []byte{'\r'})
	var out []string
	var field []byte
	p := 0
	for {
		field = field[:0]
		if p < len(rec) && rec[p] == o.quote {
			p++
			for {
				k := bytes.IndexByte(rec[p:], o.quote)
				if k < 0 {
					return nil, fmt.Errorf("quoted field is not terminated")
				}
				field = append(field, rec[p:p+k]...)
				p += k + 1
				if p < len(rec) && rec[p] == o.quote {
					field = append(field, o.quote)
					p++
					continue
				}
				break
			}
			if p < len(rec) && rec[p] != o.delim {
				return nil, fmt.Errorf("unexpected %q after the closing quote of field %d", rec[p], len(out)+1)
			}
		} else {
			k := bytes.IndexByte(rec[p:], o.delim)
			if k < 0 {
				k = len(rec) - p
			}
			field = append(field, rec[p:p+k]...)
			p += k
		}
		out = append(out, string(field))
		if p >= len(rec) {
			return out, nil
		}
		p++ // delimiter
	}
}

// headerNames makes the header's names unique: an empty name becomes
// column<i>, a repeated one gets _1, _2, ...
func headerNames(fields []string) []string {
	names := make([]string, len(fields))
	used := make(map[string]bool, len(fields))
	for i, f := range fields {
		if f == "" {
			f = "column" + strconv.Itoa(i)
		}
		name := f
		for k := 1; used[name]; k++ {
			name = f + "_" + strconv.Itoa(k)
		}
		used[name] = true
		names[i] = name
	}
	return names
}

// Infer returns the one schema of the CSV files at paths and opts with
// Columns filled in for every column, in file order (see the package doc for
// the rules). Types named in opts.Columns override inference; they are
// matched by name, or by position when the files have no header and
// opts.Columns lists every column (then its names name the columns and an
// empty type means "infer").
func Infer(paths []string, opts source.CSVOptions) (*arrow.Schema, source.CSVOptions, error) {
	o, err := parseOptions(opts)
	if err != nil {
		return nil, opts, err
	}
	if len(paths) == 0 {
		return nil, opts, fmt.Errorf("csv: no files to infer a schema from")
	}
	var (
		names []string
		masks []uint8
		seen  []bool
	)
	for i, path := range paths {
		err := func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			h, err := readHead(f, o)
			if err != nil {
				return err
			}
			fileNames := headerNames(h.fields)
			if !o.header {
				for k := range fileNames {
					fileNames[k] = "column" + strconv.Itoa(k)
				}
			}
			if i == 0 {
				names = fileNames
				masks = make([]uint8, len(names))
				for k := range masks {
					masks[k] = cAll
				}
				seen = make([]bool, len(names))
			} else if err := sameColumns(fileNames, names, paths[0]); err != nil {
				return err
			}
			return sample(f, h, o, masks, seen)
		}()
		if err != nil {
			return nil, opts, fmt.Errorf("csv: %s: %w", path, err)
		}
	}
	types := make([]colType, len(names))
	for k := range types {
		types[k] = inferredType(masks[k], seen[k])
	}
	if err := applyOverrides(opts.Columns, o.header, names, types); err != nil {
		return nil, opts, err
	}
	out := opts
	out.Columns = make([]source.ColumnType, len(names))
	for k := range names {
		out.Columns[k] = source.ColumnType{Name: names[k], Type: types[k].String()}
	}
	return schemaOf(names, types), out, nil
}

func sameColumns(got, want []string, firstPath string) error {
	if len(got) != len(want) {
		return fmt.Errorf("%w: %d columns, the first file %s has %d", source.ErrSchemaMismatch, len(got), firstPath, len(want))
	}
	for k := range got {
		if got[k] != want[k] {
			return fmt.Errorf("%w: column %d is %q, the first file %s has %q", source.ErrSchemaMismatch, k+1, got[k], firstPath, want[k])
		}
	}
	return nil
}

// applyOverrides applies user-given column types (and, positionally without
// a header, names) to names and types.
func applyOverrides(cols []source.ColumnType, header bool, names []string, types []colType) error {
	if len(cols) == 0 {
		return nil
	}
	if !header && len(cols) == len(names) {
		for k, c := range cols {
			if c.Name != "" {
				names[k] = c.Name
			}
			if c.Type != "" {
				t, err := parseTypeName(c.Type)
				if err != nil {
					return fmt.Errorf("csv: column %q: %w", names[k], err)
				}
				types[k] = t
			}
		}
		return nil
	}
	for _, c := range cols {
		k := -1
		for j, n := range names {
			if n == c.Name {
				k = j
				break
			}
		}
		if k < 0 {
			return fmt.Errorf("csv: columns: no column %q in the file (columns: %s)", c.Name, strings.Join(names, ", "))
		}
		if c.Type == "" {
			continue
		}
		t, err := parseTypeName(c.Type)
		if err != nil {
			return fmt.Errorf("csv: column %q: %w", c.Name, err)
		}
		types[k] = t
	}
	return nil
}

// sample narrows the candidate types of every column from samples of f.
func sample(f *os.File, h head, o options, masks []uint8, seen []bool) error {
	ncols := len(masks)
	slot := make([]int32, ncols)
	for k := range slot {
		slot[k] = int32(k)
	}
	sp := newSplitter(o, ncols, slot, ncols, 1024)
	sp.skipRagged = true
	data := h.size - h.start
	type span struct{ off, n int64 }
	var spans []span
	if data <= sampleCount*sampleBytes {
		spans = append(spans, span{h.start, data})
	} else {
		for i := int64(0); i < sampleCount; i++ {
			spans = append(spans, span{h.start + i*(data-sampleBytes)/(sampleCount-1), sampleBytes})
		}
	}
	buf := make([]byte, min(data, sampleCount*sampleBytes))
	for i, s := range spans {
		b := buf[:s.n]
		if _, err := f.ReadAt(b, s.off); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pos := 0
		if i > 0 { // align to the next line start
			k := bytes.IndexByte(b, '\n')
			if k < 0 {
				continue
			}
			pos = k + 1
		}
		eof := s.off+s.n >= h.size
		for pos < len(b) {
			rows, next, err := sp.split(b, pos, eof, sp.cap)
			classifyRows(sp, b, rows, masks, seen)
			if err != nil {
				// Malformed data is reported by the reader, with its line;
				// and a sample may start inside a quoted field.
				break
			}
			if next == pos {
				break
			}
			pos = next
		}
	}
	return nil
}

func classifyRows(sp *splitter, b []byte, rows int, masks []uint8, seen []bool) {
	for c := range masks {
		st := sp.starts[c*sp.cap : c*sp.cap+rows]
		en := sp.ends[c*sp.cap : c*sp.cap+rows]
		m := masks[c]
		for r, e := range en {
			s := st[r]
			if e <= s {
				continue
			}
			m &= classify(b[s:e])
			seen[c] = true
		}
		masks[c] = m
	}
}
