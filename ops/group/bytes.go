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

// eagerRatio bounds the dictionaries resolved eagerly: a new dictionary with
// at most eagerRatio entries per row of the batch that brings it is resolved
// whole, in blocks whose cache misses overlap. Larger ones (an Arrow IPC
// stream may share one big dictionary between all its batches) are resolved
// lazily, entry by entry as rows use them.
const eagerRatio = 4

// useDict makes d's dictionary column c's cached dictionary, keeping the
// cache when it is the same dictionary as last time, and resolves a new one
// eagerly when it is small enough for a batch of rows rows.
//
// In a single-key table group ids are string ids, given in first-seen row
// order, so only entries already interned are resolved then; new entries and
// NULL are left to the rows that use them.
func (t *Table) useDict(c *column, d *array.Dictionary, rows int) error {
	fresh, err := c.useDict(d)
	if err != nil || !fresh {
		return err
	}
	n := len(c.dictIDs)
	if n == 0 || n > eagerRatio*rows {
		return nil
	}
	valid, off := validity(c.dict)
	if t.mode != modeBytes {
		c.strs.resolveDict(c.dOffs, c.dData, valid, off, true, nullMark, c.dictIDs)
		return nil
	}
	if c.strs.count == 0 {
		return nil
	}
	var nullV uint32
	if t.nullGroup >= 0 {
		nullV = uint32(t.nullGroup) + 1
	}
	c.strs.resolveDict(c.dOffs, c.dData, valid, off, false, nullV, c.dictIDs)
	return nil
}

// useDict makes d's dictionary the column's cached dictionary, keeping the
// cache when it is the same dictionary as last time. It reports whether the
// dictionary is new (its entries are all unresolved).
func (c *column) useDict(d *array.Dictionary) (bool, error) {
	vals := d.Dictionary()
	if c.dict != nil && sameArray(c.dict, vals) {
		return false, nil
	}
	offs, data, err := bytesView(vals.Data())
	if err != nil {
		return false, fmt.Errorf("dictionary: %w", err)
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
	return true, nil
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
	b := c.dData[c.dOffs[code]:c.dOffs[code+1]]
	return t.resolveHashed(c, code, hashBytes(b))
}

// resolveHashed is resolve with the entry's hashBytes h given.
func (t *Table) resolveHashed(c *column, code int, h uint64) uint32 {
	var v uint32
	if c.dict.IsNull(code) {
		v = nullMark
		if t.mode == modeBytes {
			v = t.nullID() + 1
		}
	} else {
		v = c.strs.intern(c.dData[c.dOffs[code]:c.dOffs[code+1]], h) + 1
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
		if err := t.useDict(c, d, len(ids)); err != nil {
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

// addDictSingle looks every row's code up in the column's dictionary cache.
// Rows whose code is not resolved yet (and NULL rows before the NULL group
// exists) are collected and resolved afterwards, in row order so that new
// groups keep first-seen order, in blocks whose cache misses overlap.
func addDictSingle[I integer](t *Table, c *column, codes []I, a arrow.Array, ids []uint32) error {
	codes = codes[:len(ids)]
	valid, off := validity(a)
	m := c.dictIDs
	miss := t.miss[:0]
	if valid == nil {
		for i, code := range codes {
			if uint64(code) >= uint64(len(m)) {
				return codeError(i, int64(code), len(m))
			}
			g := m[code]
			ids[i] = g - 1
			if g == 0 {
				miss = append(miss, uint32(i))
			}
		}
	} else {
		for i, code := range codes {
			if !bitutil.BitIsSet(valid, off+i) {
				ids[i] = uint32(t.nullGroup)
				if t.nullGroup < 0 {
					miss = append(miss, uint32(i))
				}
				continue
			}
			if uint64(code) >= uint64(len(m)) {
				return codeError(i, int64(code), len(m))
			}
			g := m[code]
			ids[i] = g - 1
			if g == 0 {
				miss = append(miss, uint32(i))
			}
		}
	}
	t.miss = miss
	if len(miss) > 0 {
		resolveMisses(t, c, codes, valid, off, miss, ids)
	}
	return nil
}

// resolveMisses resolves the rows listed in miss (see addDictSingle). It
// first lists the distinct unresolved codes in first-seen row order (a NULL
// row as -1), so that each is hashed and interned once however many of the
// rows repeat it, in blocks whose cache misses overlap; then it gives every
// listed row its id.
func resolveMisses[I integer](t *Table, c *column, codes []I, valid []byte, off int, miss []uint32, ids []uint32) {
	m := c.dictIDs
	fresh := t.fresh[:0]
	sawNull := false
	for _, i := range miss {
		if valid != nil && !bitutil.BitIsSet(valid, off+int(i)) {
			if !sawNull {
				sawNull = true
				fresh = append(fresh, -1)
			}
			continue
		}
		if code := codes[i]; m[code] == 0 {
			m[code] = pending // listed; resolved below
			fresh = append(fresh, int(code))
		}
	}
	t.fresh = fresh
	var hs [dictBlk]uint64
	for base := 0; base < len(fresh); base += dictBlk {
		blk := fresh[base:min(base+dictBlk, len(fresh))]
		for k, code := range blk {
			hs[k] = 0
			if code >= 0 {
				hs[k] = hashBytes(c.dData[c.dOffs[code]:c.dOffs[code+1]])
			}
		}
		c.strs.warm(hs[:len(blk)])
		for k, code := range blk {
			if code < 0 {
				t.nullID()
				continue
			}
			t.resolveHashed(c, code, hs[k])
		}
	}
	for _, i := range miss {
		if valid != nil && !bitutil.BitIsSet(valid, off+int(i)) {
			ids[i] = t.nullID()
			continue
		}
		ids[i] = m[codes[i]] - 1
	}
}
