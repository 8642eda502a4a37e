package sink

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
)

// tcell is one displayed table value: its sanitised text, or NULL.
type tcell struct {
	s    string
	null bool
}

// tableWriter renders a box table for terminals. It keeps the text of the
// first MaxRows rows and of the last MaxRows/2 rows seen; Close renders.
type tableWriter struct {
	w       io.Writer
	out     *arrow.Schema
	o       Options
	kinds   []kind
	maxRows int // < 0: all rows
	bottom  int // rows shown after the ⋮ row when the result is cut
	head    [][]tcell
	tail    [][]tcell // ring of the last `bottom` rows, oldest at tail[tailAt]
	tailAt  int
	total   int64
	closed  bool
	b       batch
}

func newTableWriter(w io.Writer, out *arrow.Schema, o Options) *tableWriter {
	max := o.MaxRows
	if max == 0 {
		max = DefaultMaxRows
	}
	t := &tableWriter{w: w, out: out, o: o, kinds: kinds(out), maxRows: max}
	if max > 0 {
		t.bottom = max / 2
	}
	return t
}

func (t *tableWriter) Write(rec arrow.Record) error {
	if t.closed {
		return ErrClosed
	}
	if err := check(Table, t.out, rec); err != nil {
		return err
	}
	n := rec.NumRows()
	h := n
	if t.maxRows >= 0 {
		h = min(n, int64(t.maxRows-len(t.head)))
	}
	if h > 0 {
		if err := t.keep(rec, 0, h, false); err != nil {
			return err
		}
	}
	if t.bottom > 0 && n > 0 {
		if err := t.keep(rec, max(0, n-int64(t.bottom)), n, true); err != nil {
			return err
		}
	}
	t.total += n
	return nil
}

// keep formats rows [i, j) of rec and appends them to the head or the tail.
func (t *tableWriter) keep(rec arrow.Record, i, j int64, tail bool) error {
	part := rec
	if i != 0 || j != rec.NumRows() {
		part = rec.NewSlice(i, j)
		defer part.Release()
	}
	if err := t.b.format(Table, t.out, part, false); err != nil {
		return err
	}
	for r := 0; r < int(j-i); r++ {
		row := make([]tcell, len(t.b.cols))
		for c := range t.b.cols {
			col := &t.b.cols[c]
			if col.null[r] {
				row[c].null = true
			} else {
				row[c].s = sanitize(col.cell(r))
			}
		}
		if !tail {
			t.head = append(t.head, row)
		} else if len(t.tail) < t.bottom {
			t.tail = append(t.tail, row)
		} else {
			t.tail[t.tailAt] = row
			t.tailAt = (t.tailAt + 1) % t.bottom
		}
	}
	return nil
}

func (t *tableWriter) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	var sb strings.Builder
	t.render(&sb)
	if _, err := io.WriteString(t.w, sb.String()); err != nil {
		return fmt.Errorf("sink: %s: %w", Table, err)
	}
	return nil
}

// tcol is one displayed column; field < 0 is the … column standing for
// hidden columns.
type tcol struct {
	field int
	name  string
	typ   string
	right bool
	width int
}

const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

func (t *tableWriter) render(sb *strings.Builder) {
	// Rows to show; nil marks the ⋮ row.
	var rows [][]tcell
	reported := t.total
	if t.o.TotalRows > reported {
		reported = t.o.TotalRows
	}
	prefix := reported > t.total // the caller wrote only the first rows
	if t.maxRows < 0 || t.total <= int64(t.maxRows) || prefix {
		rows = append(rows, t.head...)
	} else {
		rows = append(rows, t.head[:t.maxRows-t.bottom]...)
		rows = append(rows, nil)
		rows = append(rows, t.tail[t.tailAt:]...)
		rows = append(rows, t.tail[:t.tailAt]...)
	}
	if prefix && len(rows) > 0 {
		rows = append(rows, nil)
	}
	shown := int64(len(rows))
	for _, r := range rows {
		if r == nil {
			shown--
		}
	}

	nf := t.out.NumFields()
	cols := make([]tcol, nf)
	for j, f := range t.out.Fields() {
		c := tcol{field: j, name: sanitize([]byte(f.Name)), typ: typeName(f.Type), right: t.kinds[j] == kindNumber}
		c.width = max(1, strWidth(c.name), strWidth(c.typ))
		for _, r := range rows {
			if r == nil {
				continue
			}
			w := 4 // NULL
			if !r[j].null {
				w = strWidth(r[j].s)
			}
			c.width = max(c.width, w)
		}
		cols[j] = c
	}
	cols = fit(cols, t.o.Width)

	if nf > 0 {
		t.border(sb, cols, "┌", "┬", "┐")
		t.line(sb, cols, func(c tcol) (string, string, int) { return c.name, ansiBold, 0 })
		t.line(sb, cols, func(c tcol) (string, string, int) { return c.typ, ansiDim, 0 })
		if len(rows) > 0 {
			t.border(sb, cols, "├", "┼", "┤")
		}
		for _, r := range rows {
			if r == nil {
				t.line(sb, cols, func(c tcol) (string, string, int) { return "⋮", "", 0 })
				continue
			}
			t.line(sb, cols, func(c tcol) (string, string, int) {
				align := -1
				if c.right {
					align = 1
				}
				switch {
				case c.field < 0:
					return "…", "", 0
				case r[c.field].null:
					return "NULL", ansiDim, align
				}
				return r[c.field].s, "", align
			})
		}
		t.border(sb, cols, "└", "┴", "┘")
	}

	sb.WriteString(strconv.FormatInt(reported, 10))
	if reported == 1 {
		sb.WriteString(" row")
	} else {
		sb.WriteString(" rows")
	}
	if shown < reported {
		fmt.Fprintf(sb, ", %d shown (use --max-rows to show more)", shown)
	}
	if visible := countVisible(cols); visible < nf {
		fmt.Fprintf(sb, ", %d of %d columns shown", visible, nf)
	}
	sb.WriteByte('\n')
}

func countVisible(cols []tcol) int {
	n := 0
	for _, c := range cols {
		if c.field >= 0 {
			n++
		}
	}
	return n
}

func (t *tableWriter) border(sb *strings.Builder, cols []tcol, left, mid, right string) {
	sb.WriteString(left)
	for j, c := range cols {
		if j > 0 {
			sb.WriteString(mid)
		}
		sb.WriteString(strings.Repeat("─", c.width+2))
	}
	sb.WriteString(right)
	sb.WriteByte('\n')
}

// line writes one row of the box; cell returns a column's text, its ANSI
// style and its alignment (-1 left, 0 centre, 1 right).
func (t *tableWriter) line(sb *strings.Builder, cols []tcol, cell func(tcol) (string, string, int)) {
	sb.WriteString("│")
	for _, c := range cols {
		s, style, align := cell(c)
		s = truncate(s, c.width)
		pad := c.width - strWidth(s)
		var lp int
		switch align {
		case 0:
			lp = pad / 2
		case 1:
			lp = pad
		}
		sb.WriteByte(' ')
		sb.WriteString(strings.Repeat(" ", lp))
		if t.o.Color && style != "" && s != "" {
			sb.WriteString(style)
			sb.WriteString(s)
			sb.WriteString(ansiReset)
		} else {
			sb.WriteString(s)
		}
		sb.WriteString(strings.Repeat(" ", pad-lp))
		sb.WriteString(" │")
	}
	sb.WriteByte('\n')
}

// minColWidth is the narrowest a truncated column gets (a date fits).
const minColWidth = 10

// lineWidth is the display width of a box line with these columns.
func lineWidth(cols []tcol, capw int) int {
	w := 1
	for _, c := range cols {
		cw := c.width
		if capw > 0 {
			cw = min(cw, capw)
		}
		w += cw + 3
	}
	return w
}

// fit narrows columns (widest first, down to minColWidth) and then hides
// middle columns behind a … column until a line fits in width; width <= 0
// means no limit. A single column narrower than the box is kept as it is.
func fit(cols []tcol, width int) []tcol {
	if width <= 0 || len(cols) == 0 || lineWidth(cols, 0) <= width {
		return cols
	}
	floor := func(cs []tcol) int { // line width with every column at its minimum
		w := 1
		for _, c := range cs {
			w += min(c.width, minColWidth) + 3
		}
		return w
	}
	if len(cols) > 1 && floor(cols) > width {
		hidden := tcol{field: -1, name: "…", width: 1}
		vis := append([]tcol(nil), cols...)
		for len(vis) > 1 && floor(vis)+hidden.width+3 > width {
			vis = append(vis[:len(vis)/2], vis[len(vis)/2+1:]...)
		}
		mid := (len(vis) + 1) / 2
		out := make([]tcol, 0, len(vis)+1)
		out = append(out, vis[:mid]...)
		out = append(out, hidden)
		out = append(out, vis[mid:]...)
		cols = out
	}
	// Largest cap T with the line fitting, then hand out the slack.
	maxw := 0
	for _, c := range cols {
		maxw = max(maxw, c.width)
	}
	lo, hi := minColWidth, maxw
	for lo < hi {
		m := (lo + hi + 1) / 2
		if lineWidth(cols, m) <= width {
			lo = m
		} else {
			hi = m - 1
		}
	}
	slack := width - lineWidth(cols, lo)
	for j := range cols {
		if cols[j].width > lo {
			cols[j].width = lo
			if slack > 0 {
				cols[j].width++
				slack--
			}
		}
	}
	return cols
}

// sanitize makes text safe for one terminal cell: newlines, tabs and other
// control characters are escaped, invalid UTF-8 becomes U+FFFD.
func sanitize(b []byte) string {
	clean := true
	for _, c := range b {
		if c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// runeWidth is the number of terminal columns r takes: 2 for East Asian wide
// and fullwidth characters and most emoji, 0 for combining marks, else 1.
func runeWidth(r rune) int {
	switch {
	case r >= 0x0300 && r <= 0x036f, r >= 0x200b && r <= 0x200f, r >= 0xfe00 && r <= 0xfe0f:
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0x303e, r >= 0x3041 && r <= 0x33ff,
		r >= 0x3400 && r <= 0x4dbf, r >= 0x4e00 && r <= 0x9fff, r >= 0xa000 && r <= 0xa4cf,
		r >= 0xac00 && r <= 0xd7a3, r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60, r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1f64f,
		r >= 0x1f900 && r <= 0x1f9ff, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

func strWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			w = i
			for _, r := range s[i:] {
				w += runeWidth(r)
			}
			return w
		}
	}
	return len(s)
}

// truncate cuts s to at most w columns, ending it with … when cut.
func truncate(s string, w int) string {
	if strWidth(s) <= w {
		return s
	}
	used := 0
	for i, r := range s {
		rw := runeWidth(r)
		if used+rw > w-1 {
			return s[:i] + "…"
		}
		used += rw
	}
	return s
}

// typeName is the SQL name of a column type shown under its name (DuckDB's
// names: bigint, double, varchar, timestamp, ...).
func typeName(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.BOOL:
		return "boolean"
	case arrow.INT8:
		return "tinyint"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "integer"
	case arrow.INT64:
		return "bigint"
	case arrow.UINT8:
		return "utinyint"
	case arrow.UINT16:
		return "usmallint"
	case arrow.UINT32:
		return "uinteger"
	case arrow.UINT64:
		return "ubigint"
	case arrow.FLOAT32:
		return "float"
	case arrow.FLOAT64:
		return "double"
	case arrow.STRING:
		return "varchar"
	case arrow.BINARY:
		return "blob"
	case arrow.DATE32:
		return "date"
	case arrow.TIMESTAMP:
		ts := dt.(*arrow.TimestampType)
		name := "timestamp"
		if ts.TimeZone != "" {
			name = "timestamptz"
		}
		switch ts.Unit {
		case arrow.Second:
			name += "_s"
		case arrow.Millisecond:
			name += "_ms"
		case arrow.Nanosecond:
			name += "_ns"
		}
		return name
	case arrow.DECIMAL128:
		d := dt.(*arrow.Decimal128Type)
		return fmt.Sprintf("decimal(%d,%d)", d.Precision, d.Scale)
	case arrow.DICTIONARY:
		return typeName(dt.(*arrow.DictionaryType).ValueType)
	}
	return dt.String()
}
