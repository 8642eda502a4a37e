package group

import (
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// validity returns the validity bitmap (nil when the array has no NULLs) and
// the array's offset into it.
func validity(a arrow.Array) ([]byte, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	return a.NullBitmapBytes(), a.Data().Offset()
}

// useDict makes d's dictionary the column's cached dictionary, keeping the
// cache when it is the same dictionary as last time.
func (c *column) useDict(d *array.Dictionary) error {
	vals := d.Dictionary()
	if c.dict != nil && sameArray(c.dict, vals) {
		return nil
	}
	offs, data, err := bytesView(vals.Data())
	if err != nil {
		return fmt.Errorf("dictionary: %w", err)
	}
	if c.dict != nil {
		c.dict.Release()
	}
	vals.Retain()
	c.dict, c.dOffs, c.dData = vals, offs, data
	n := vals.Len()
	if cap(c.dictIDs) < n {
		c.dictIDs = make([]uint32, n)
	} else {
		c.dictIDs = c.dictIDs[:n]
		clear(c.dictIDs)
	}
	c.dictGen++
	return nil
}

// sameArray reports whether a and b view the same buffers the same way. a is
// retained by the caller, so its buffers cannot have been reused.
func sameArray(a, b arrow.Array) bool {
	da, db := a.Data(), b.Data()
	if da == db {
		return true
	}
	if da.Offset() != db.Offset() || da.Len() != db.Len() || da.Len() == 0 {
		return false
	}
	ba, bb := da.Buffers(), db.Buffers()
	if len(ba) != len(bb) {
		return false
	}
	for i := range ba {
		if ba[i] != bb[i] {
			return false
		}
	}
	return true
}

// resolve interns dictionary entry code of column c and caches the result:
// its id+1, or for a NULL entry nullMark (several keys) or the NULL group's
// id+1 (single key).
func (t *Table) resolve(c *column, code int) uint32 {
	var v uint32
	if c.dict.IsNull(code) {
		v = nullMark
		if t.mode == modeBytes {
			v = t.nullID() + 1
		}
	} else {
		b := c.dData[c.dOffs[code]:c.dOffs[code+1]]
		v = c.strs.intern(b, hashBytes(b)) + 1
	}
	c.dictIDs[code] = v
	return v
}

func codeError(row int, code int64, n int) error {
	return fmt.Errorf("row %d: dictionary index %d out of range [0, %d)", row, code, n)
}

// addBytes is the single string-like key path; group ids are string ids.
func (t *Table) addBytes(a arrow.Array, ids []uint32) error {
	c := &t.cols[0]
	defer func() { t.n = c.strs.len() }()
	if d, ok := a.(*array.Dictionary); ok {
		if err := c.useDict(d); err != nil {
			return err
		}
		switch x := d.Indices().(type) {
		case *array.Int32:
			return addDictSingle(t, c, x.Int32Values(), a, ids)
		case *array.Int8:
			return addDictSingle(t, c, x.Int8Values(), a, ids)
		case *array.Int16:
			return addDictSingle(t, c, x.Int16Values(), a, ids)
		case *array.Int64:
			return addDictSingle(t, c, x.Int64Values(), a, ids)
		case *array.Uint8:
			return addDictSingle(t, c, x.Uint8Values(), a, ids)
		case *array.Uint16:
			return addDictSingle(t, c, x.Uint16Values(), a, ids)
		case *array.Uint32:
			return addDictSingle(t, c, x.Uint32Values(), a, ids)
		case *array.Uint64:
			return addDictSingle(t, c, x.Uint64Values(), a, ids)
		}
		return fmt.Errorf("unexpected dictionary indices %T", d.Indices())
	}
	valid, off := validity(a)
	var offs []int32
	var data []byte
	var err error
	if c.kind == kindDecimal {
		data, err = decimalBytes(a)
	} else {
		offs, data, err = bytesView(a.Data())
	}
	if err != nil {
		return err
	}
	c.strs.internRows(offs, data, valid, off, &t.nullGroup, ids)
	return nil
}

// decimalBytes returns the 16-byte values of a decimal128 array's rows.
func decimalBytes(a arrow.Array) ([]byte, error) {
	d := a.Data()
	bufs := d.Buffers()
	lo, hi := 16*d.Offset(), 16*(d.Offset()+d.Len())
	if len(bufs) < 2 || bufs[1] == nil || bufs[1].Len() < hi {
		if d.Len() == 0 {
			return nil, nil
		}
		return nil, errors.New("malformed decimal128 array: short values")
	}
	return bufs[1].Bytes()[lo:hi], nil
}

func addDictSingle[I integer](t *Table, c *column, codes []I, a arrow.Array, ids []uint32) error {
	codes = codes[:len(ids)]
	valid, off := validity(a)
	m := c.dictIDs
	for i, code := range codes {
		if valid != nil && !bitutil.BitIsSet(valid, off+i) {
			ids[i] = t.nullID()
			continue
		}
		if uint64(code) >= uint64(len(m)) {
			return codeError(i, int64(code), len(m))
		}
		g := m[code]
		if g == 0 {
			g = t.resolve(c, int(code))
		}
		ids[i] = g - 1
	}
	return nil
}
