package bench

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/dfq/dfq/io/sink"
)

// Tolerances used to compare float cells across executors: two values agree
// when they are within RelTol of the larger magnitude, or within AbsTol
// (for results that should be zero but come out as rounding noise), or are
// both NaN.
const (
	RelTol = 1e-9
	AbsTol = 1e-12
)

// canon is a query result in a canonical, order-free form: for every row an
// exact key (every non-float cell, NULLs marked, in a binary encoding) and
// its float cells, with rows sorted by key hash, key, then floats.
type canon struct {
	names  []string
	types  []string
	rows   int
	nf     int         // float columns per row
	arena  []byte      // keys, back to back
	offs   []int       // row i's key is arena[offs[i]:offs[i+1]]
	floats []float64   // row i's floats are floats[i*nf:(i+1)*nf]
	order  []sortKey   // sorted rows
	tbl    arrow.Table // the result, retained for error messages
}

type sortKey struct {
	h   uint64
	row int32
}

var canonSeed = maphash.MakeSeed()

// canonicalize converts tbl to its canonical form.
func canonicalize(tbl arrow.Table) (*canon, error) {
	schema := tbl.Schema()
	n := int(tbl.NumRows())
	c := &canon{rows: n}
	if int64(n) != tbl.NumRows() || n > math.MaxInt32 {
		return nil, fmt.Errorf("bench: result of %d rows is too large to compare", tbl.NumRows())
	}
	isFloat := make([]bool, schema.NumFields())
	for i, f := range schema.Fields() {
		c.names = append(c.names, f.Name)
		dt := f.Type
		if d, ok := dt.(*arrow.DictionaryType); ok {
			dt = d.ValueType
		}
		c.types = append(c.types, dt.String())
		isFloat[i] = dt.ID() == arrow.FLOAT64 || dt.ID() == arrow.FLOAT32
		if isFloat[i] {
			c.nf++
		}
	}
	// Two passes over the columns: the first sizes every row's key, the
	// second writes the keys back to back into one arena.
	k := &keyBuf{size: make([]int, n)}
	c.floats = make([]float64, n*c.nf)
	for pass := range 2 {
		fi := 0
		for col := 0; col < schema.NumFields(); col++ {
			row := 0
			for _, chunk := range tbl.Column(col).Data().Chunks() {
				if isFloat[col] {
					k.floats(c.floats, c.nf, fi, row, chunk)
				} else if err := k.column(row, chunk); err != nil {
					return nil, fmt.Errorf("bench: column %q: %w", schema.Field(col).Name, err)
				}
				row += chunk.Len()
			}
			if isFloat[col] {
				fi++
			}
		}
		if pass == 0 {
			c.offs = make([]int, n+1)
			for i, sz := range k.size {
				c.offs[i+1] = c.offs[i] + sz
			}
			c.arena = make([]byte, c.offs[n])
			k.size, k.arena, k.cur = nil, c.arena, slices.Clone(c.offs[:n])
		}
	}
	c.order = make([]sortKey, n)
	for i := range c.order {
		c.order[i] = sortKey{maphash.Bytes(canonSeed, c.key(i)), int32(i)}
	}
	slices.SortFunc(c.order, func(a, b sortKey) int {
		if x := cmp.Compare(a.h, b.h); x != 0 {
			return x
		}
		if x := bytes.Compare(c.key(int(a.row)), c.key(int(b.row))); x != 0 {
			return x
		}
		fa, fb := c.row(int(a.row)), c.row(int(b.row))
		for j := range fa {
			if x := cmp.Compare(fa[j], fb[j]); x != 0 {
				return x
			}
		}
		return 0
	})
	tbl.Retain()
	c.tbl = tbl
	return c, nil
}

// release releases the result the canonical form quotes from.
func (c *canon) release() {
	if c.tbl != nil {
		c.tbl.Release()
		c.tbl = nil
	}
}

func (c *canon) key(i int) []byte    { return c.arena[c.offs[i]:c.offs[i+1]] }
func (c *canon) row(i int) []float64 { return c.floats[i*c.nf : (i+1)*c.nf] }
func (c *canon) sortedRow(k int) int { return int(c.order[k].row) }

// keyBuf builds the rows' keys: with size set it only adds up each row's
// key length; with arena set it writes each row's key at cur[row].
type keyBuf struct {
	size  []int
	arena []byte
	cur   []int
}

// bytesVal adds a length-prefixed value (or NULL) to row r's key.
func (k *keyBuf) bytesVal(r int, tag byte, null bool, v []byte) {
	if k.arena == nil {
		if null {
			k.size[r] += 2
		} else {
			k.size[r] += 2 + uvarintLen(uint64(len(v))) + len(v)
		}
		return
	}
	p := k.cur[r]
	k.arena[p] = tag
	if null {
		k.arena[p+1] = 1
		k.cur[r] = p + 2
		return
	}
	k.arena[p+1] = 0
	p += 2
	p += binary.PutUvarint(k.arena[p:], uint64(len(v)))
	k.cur[r] = p + copy(k.arena[p:], v)
}

// intVal adds an integer (as 8 bytes, so that equal values of different
// widths agree; types are compared apart) or NULL to row r's key.
func (k *keyBuf) intVal(r int, null bool, v uint64) {
	if k.arena == nil {
		if null {
			k.size[r] += 2
		} else {
			k.size[r] += 10
		}
		return
	}
	p := k.cur[r]
	k.arena[p] = 'i'
	if null {
		k.arena[p+1] = 1
		k.cur[r] = p + 2
		return
	}
	k.arena[p+1] = 0
	binary.BigEndian.PutUint64(k.arena[p+2:], v)
	k.cur[r] = p + 10
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// floats stores a float column's values in dst (column fi of nf per row);
// NULL is NaN there and a marker in the key, so NULL never matches a number
// or a NaN.
func (k *keyBuf) floats(dst []float64, nf, fi, row int, arr arrow.Array) {
	switch a := arr.(type) {
	case *array.Float64:
		floatCol(k, dst, nf, fi, row, a, a.Float64Values())
	case *array.Float32:
		floatCol(k, dst, nf, fi, row, a, a.Float32Values())
	}
}

func floatCol[T float32 | float64](k *keyBuf, dst []float64, nf, fi, row int, a arrow.Array, vals []T) {
	for i, v := range vals {
		null := a.IsNull(i)
		if k.arena == nil {
			k.size[row+i] += 2
			continue
		}
		f := float64(v)
		m := byte(0)
		if null {
			f, m = math.NaN(), 1
		}
		dst[(row+i)*nf+fi] = f
		p := k.cur[row+i]
		k.arena[p], k.arena[p+1] = 'f', m
		k.cur[row+i] = p + 2
	}
}

// column adds every value of a non-float column to its row's key: strings
// as bytes, integers as 8 bytes, other types as their text.
func (k *keyBuf) column(row int, arr arrow.Array) error {
	switch a := arr.(type) {
	case *array.String:
		for i := 0; i < a.Len(); i++ {
			k.bytesVal(row+i, 's', a.IsNull(i), a.ValueBytes()[a.ValueOffset(i):a.ValueOffset(i+1)])
		}
	case *array.Dictionary:
		dict, ok := a.Dictionary().(*array.String)
		if !ok {
			return k.text(row, arr)
		}
		for i := 0; i < a.Len(); i++ {
			var v []byte
			null := a.IsNull(i)
			if !null {
				j := a.GetValueIndex(i)
				v = dict.ValueBytes()[dict.ValueOffset(j):dict.ValueOffset(j+1)]
			}
			k.bytesVal(row+i, 's', null, v)
		}
	case *array.Int64:
		intCol(k, row, a, a.Int64Values())
	case *array.Int32:
		intCol(k, row, a, a.Int32Values())
	case *array.Int16:
		intCol(k, row, a, a.Int16Values())
	case *array.Int8:
		intCol(k, row, a, a.Int8Values())
	case *array.Uint64:
		intCol(k, row, a, a.Uint64Values())
	case *array.Uint32:
		intCol(k, row, a, a.Uint32Values())
	case *array.Uint16:
		intCol(k, row, a, a.Uint16Values())
	case *array.Uint8:
		intCol(k, row, a, a.Uint8Values())
	default:
		return k.text(row, arr)
	}
	return nil
}

func intCol[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](k *keyBuf, row int, a arrow.Array, vals []T) {
	for i, v := range vals {
		k.intVal(row+i, a.IsNull(i), uint64(v))
	}
}

func (k *keyBuf) text(row int, arr arrow.Array) error {
	for i := 0; i < arr.Len(); i++ {
		k.bytesVal(row+i, 't', arr.IsNull(i), []byte(sink.FormatValue(arr, i)))
	}
	return nil
}

// rowText renders row i of tbl for error messages.
func rowText(tbl arrow.Table, i int) string {
	var b bytes.Buffer
	b.WriteByte('(')
	for c := 0; c < int(tbl.NumCols()); c++ {
		if c > 0 {
			b.WriteString(", ")
		}
		off := i
		for _, chunk := range tbl.Column(c).Data().Chunks() {
			if off < chunk.Len() {
				if chunk.IsNull(off) {
					b.WriteString("NULL")
				} else {
					b.WriteString(sink.FormatValue(chunk, off))
				}
				break
			}
			off -= chunk.Len()
		}
	}
	b.WriteByte(')')
	return b.String()
}

// closeEnough reports whether two float cells agree (see RelTol, AbsTol).
func closeEnough(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	d := math.Abs(a - b)
	return d <= RelTol*math.Max(math.Abs(a), math.Abs(b)) || d <= AbsTol
}

// diff returns "" when got holds the same multiset of rows as want (floats
// within tolerance), else a description of the first difference. Both
// tables must still be alive: the description quotes their rows.
func diff(want, got *canon) string {
	if !slices.Equal(want.names, got.names) || !slices.Equal(want.types, got.types) {
		return fmt.Sprintf("columns differ: want %v %v, got %v %v", want.names, want.types, got.names, got.types)
	}
	var parts []string
	// Both are sorted by key hash, key, then floats: walk them together and
	// note the first row of each kind of difference.
	var differs, unexpected, missing string
	i, j := 0, 0
	for i < want.rows || j < got.rows {
		var c int
		switch {
		case i == want.rows:
			c = 1
		case j == got.rows:
			c = -1
		default:
			c = cmp.Compare(want.order[i].h, got.order[j].h)
			if c == 0 {
				c = bytes.Compare(want.key(want.sortedRow(i)), got.key(got.sortedRow(j)))
			}
		}
		switch {
		case c < 0:
			if missing == "" {
				missing = "missing row " + rowText(want.tbl, want.sortedRow(i))
			}
			i++
		case c > 0:
			if unexpected == "" {
				unexpected = "unexpected row " + rowText(got.tbl, got.sortedRow(j))
			}
			j++
		default:
			wr, gr := want.sortedRow(i), got.sortedRow(j)
			wf, gf := want.row(wr), got.row(gr)
			for k := range wf {
				if !closeEnough(wf[k], gf[k]) && differs == "" {
					differs = fmt.Sprintf("row %s differs from the expected %s", rowText(got.tbl, gr), rowText(want.tbl, wr))
				}
			}
			i++
			j++
		}
	}
	for _, p := range []string{differs, unexpected, missing} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	d := strings.Join(parts, "; ")
	if want.rows != got.rows {
		d = fmt.Sprintf("want %d rows, got %d: %s", want.rows, got.rows, d)
	}
	return d
}
