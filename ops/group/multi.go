package group

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// memoMax bounds the code-tuple memo of all-dictionary batches (entries).
const memoMax = 1 << 20

func (t *Table) addMulti(keys []arrow.Array, ids []uint32) error {
	n := len(ids)
	for j := range t.cw {
		if cap(t.cw[j]) < n {
			t.cw[j] = make([]uint64, n)
		}
		t.cw[j] = t.cw[j][:n]
	}
	t.nullsClear = false
	filled, err := t.tryMemo(keys, ids)
	if filled == nil || err != nil {
		return err
	}
	for j, a := range keys {
		if !filled[j] {
			if err := t.fill(j, a); err != nil {
				return fmt.Errorf("key column %d: %w", j, err)
			}
		}
	}
	t.probeRows(ids)
	return nil
}

// fill writes column j's words to t.cw[j] and its NULLs to the NULL words.
func (t *Table) fill(j int, a arrow.Array) error {
	c := &t.cols[j]
	dst := t.cw[j]
	if !t.nullsClear {
		for _, w := range t.cw[len(t.cols):] {
			clear(w)
		}
		t.nullsClear = true
	}
	nulls, bit := t.cw[len(t.cols)+j/64], uint64(1)<<(j%64)
	valid, off := validity(a)
	if d, ok := a.(*array.Dictionary); ok {
		if err := t.useDict(c, d, len(dst)); err != nil {
			return err
		}
		switch x := d.Indices().(type) {
		case *array.Int32:
			return fillDict(t, c, x.Int32Values(), valid, off, dst, nulls, bit)
		case *array.Int8:
			return fillDict(t, c, x.Int8Values(), valid, off, dst, nulls, bit)
		case *array.Int16:
			return fillDict(t, c, x.Int16Values(), valid, off, dst, nulls, bit)
		case *array.Int64:
			return fillDict(t, c, x.Int64Values(), valid, off, dst, nulls, bit)
		case *array.Uint8:
			return fillDict(t, c, x.Uint8Values(), valid, off, dst, nulls, bit)
		case *array.Uint16:
			return fillDict(t, c, x.Uint16Values(), valid, off, dst, nulls, bit)
		case *array.Uint32:
			return fillDict(t, c, x.Uint32Values(), valid, off, dst, nulls, bit)
		case *array.Uint64:
			return fillDict(t, c, x.Uint64Values(), valid, off, dst, nulls, bit)
		}
		return fmt.Errorf("unexpected dictionary indices %T", d.Indices())
	}
	if c.interned() {
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
		if cap(t.ids32) < len(dst) {
			t.ids32 = make([]uint32, len(dst))
		}
		tmp := t.ids32[:len(dst)]
		c.strs.internRows(offs, data, valid, off, nil, tmp)
		for i, id := range tmp {
			if id == nullMark {
				dst[i] = 0
				nulls[i] |= bit
				continue
			}
			dst[i] = uint64(id)
		}
		return nil
	}
	if err := loadWords(a, dst); err != nil {
		return err
	}
	if valid != nil {
		for i := range dst {
			if !bitutil.BitIsSet(valid, off+i) {
				dst[i] = 0
				nulls[i] |= bit
			}
		}
	}
	return nil
}

func fillDict[I integer](t *Table, c *column, codes []I, valid []byte, off int, dst, nulls []uint64, bit uint64) error {
	codes = codes[:len(dst)]
	m := c.dictIDs
	for i, code := range codes {
		if valid != nil && !bitutil.BitIsSet(valid, off+i) {
			dst[i] = 0
			nulls[i] |= bit
			continue
		}
		if uint64(code) >= uint64(len(m)) {
			return codeError(i, int64(code), len(m))
		}
		v := m[code]
		if v == 0 {
			v = t.resolve(c, int(code))
		}
		if v == nullMark {
			dst[i] = 0
			nulls[i] |= bit
			continue
		}
		dst[i] = uint64(v - 1)
	}
	return nil
}

// probeRows looks up (adding as needed) the tuple of every row of t.cw.
func (t *Table) probeRows(ids []uint32) {
	cw, row, seeds := t.cw, t.row, t.pseeds
	var hs [blk]uint64
	n := len(ids)
	for base := 0; base < n; base += blk {
		end := min(base+blk, n)
		for i := base; i < end; i++ {
			var h uint64
			for j, col := range cw {
				h += term(col[i], seeds[j])
			}
			hs[i-base] = h
		}
		if slots := t.mslots; len(slots) >= warmSlots {
			var sink uint64
			for _, h := range hs[:end-base] {
				if s := slots[h>>t.mshift]; s != 0 && (s^h)&hiMask == 0 {
					sink += t.keys.at(int(uint32(s) - 1))[0]
				}
			}
			t.sink += sink
		}
		for i := base; i < end; i++ {
			for j, col := range cw {
				row[j] = col[i]
			}
			ids[i] = t.findOrInsert(row, hs[i-base])
		}
	}
}

// tupleHash is the probe hash of a tuple of words (as computed by probeRows).
func (t *Table) tupleHash(row []uint64) uint64 {
	var h uint64
	for j, x := range row {
		h += term(x, t.pseeds[j])
	}
	return h
}

// findOrInsert returns the group of the tuple row, whose probe hash is h.
func (t *Table) findOrInsert(row []uint64, h uint64) uint32 {
	slots := t.mslots
	mask := uint64(len(slots) - 1)
	pos := h >> t.mshift
	for {
		s := slots[pos]
		if s == 0 {
			break
		}
		if (s^h)&hiMask == 0 && equalWords(t.keys.at(int(uint32(s)-1)), row) {
			return uint32(s) - 1
		}
		pos = (pos + 1) & mask
	}
	g := uint32(t.n)
	t.n++
	t.keys.push(t.mem, row)
	slots[pos] = h&hiMask | uint64(g+1)
	if 4*t.n > 3*len(slots) {
		t.mslots, t.mshift = regrow(t.mslots, t.mshift)
	}
	return g
}

func equalWords(a, b []uint64) bool {
	b = b[:len(a)]
	for i, x := range a {
		if x != b[i] {
			return false
		}
	}
	return true
}

// tryMemo handles a batch whose key columns all have small domains:
// dictionary columns (int32 indices) with small dictionaries and fixed-width
// columns whose values span a small range. Each row's tuple of codes is one
// index into a memo of group ids, so each distinct tuple is looked up in the
// hash table once. It returns nil when it handled the batch, or else which
// columns it already filled into t.cw.
func (t *Table) tryMemo(keys []arrow.Array, ids []uint32) ([]bool, error) {
	k := len(keys)
	filled := make([]bool, k)
	size := 1
	for _, a := range keys {
		if d, ok := a.(*array.Dictionary); ok {
			if _, ok := d.Indices().(*array.Int32); !ok {
				return filled, nil
			}
			size *= d.Dictionary().Len() + 1
			if size > memoMax {
				return filled, nil
			}
		}
	}
	if len(t.memoKey) != 2*k {
		t.memoKey = make([]int64, 2*k)
		t.memoOK = false
	}
	bases := make([]int64, k)
	for j, a := range keys {
		c := &t.cols[j]
		if _, ok := a.(*array.Dictionary); ok {
			continue
		}
		if c.interned() {
			return filled, nil
		}
		if err := t.fill(j, a); err != nil {
			return nil, fmt.Errorf("key column %d: %w", j, err)
		}
		filled[j] = true
		lo, hi := minMax(t.cw[j])
		if uint64(hi-lo) >= memoMax {
			return filled, nil
		}
		size *= int(hi-lo) + 2
		if size > memoMax {
			return filled, nil
		}
		bases[j] = lo
		if t.memoKey[2*j] != lo || t.memoKey[2*j+1] != hi {
			t.memoKey[2*j], t.memoKey[2*j+1] = lo, hi
			t.memoOK = false
		}
	}
	n := len(ids)
	codes := make([][]int32, k)
	strides := make([]uint32, k)
	stride := 1
	for j, a := range keys {
		c := &t.cols[j]
		strides[j] = uint32(stride)
		d, ok := a.(*array.Dictionary)
		if !ok {
			stride *= int(t.memoKey[2*j+1]-bases[j]) + 2
			continue
		}
		if err := t.useDict(c, d, n); err != nil {
			return nil, fmt.Errorf("key column %d: %w", j, err)
		}
		if gen := int64(c.dictGen); t.memoKey[2*j] != gen || t.memoKey[2*j+1] != -1 {
			t.memoKey[2*j], t.memoKey[2*j+1] = gen, -1
			t.memoOK = false
		}
		codes[j] = d.Indices().(*array.Int32).Int32Values()[:n]
		stride *= len(c.dictIDs) + 1
	}
	if !t.memoOK || len(t.memo) != size {
		if cap(t.memo) < size {
			t.memo = make([]uint32, size)
		}
		t.memo = t.memo[:size]
		clear(t.memo)
		t.memoOK = true
	}
	memo := t.memo
	var buf [memoBlock]uint32
	for base := 0; base < n; base += memoBlock {
		end := min(base+memoBlock, n)
		at := buf[:end-base]
		clear(at)
		for j, a := range keys {
			valid, off := validity(a)
			if codes[j] != nil {
				if err := memoCodes(at, codes[j][base:end], valid, off+base, base, len(t.cols[j].dictIDs), strides[j]); err != nil {
					return nil, fmt.Errorf("key column %d: %w", j, err)
				}
			} else {
				memoWords(at, t.cw[j][base:end], valid, off+base, bases[j], strides[j])
			}
		}
		for i, x := range at {
			g := memo[x]
			if g == 0 {
				g = t.memoRow(keys, codes, base+i) + 1
				memo[x] = g
			}
			ids[base+i] = g - 1
		}
	}
	return nil, nil
}

// memoBlock is the number of rows whose memo indexes are computed together.
const memoBlock = 2048

// memoCodes adds (code+1)*stride for the rows of a dictionary column to at
// (NULL rows add nothing), checking the codes.
func memoCodes(at []uint32, codes []int32, valid []byte, off, row0, n int, stride uint32) error {
	codes = codes[:len(at)]
	if valid == nil {
		for i, x := range codes {
			if uint32(x) >= uint32(n) {
				return codeError(row0+i, int64(x), n)
			}
			at[i] += (uint32(x) + 1) * stride
		}
		return nil
	}
	for i, x := range codes {
		if !bitutil.BitIsSet(valid, off+i) {
			continue
		}
		if uint32(x) >= uint32(n) {
			return codeError(row0+i, int64(x), n)
		}
		at[i] += (uint32(x) + 1) * stride
	}
	return nil
}

// memoWords adds (word-lo+1)*stride for the rows of a fixed-width column.
func memoWords(at []uint32, words []uint64, valid []byte, off int, lo int64, stride uint32) {
	words = words[:len(at)]
	if valid == nil {
		for i, w := range words {
			at[i] += uint32(int64(w)-lo+1) * stride
		}
		return
	}
	for i, w := range words {
		if bitutil.BitIsSet(valid, off+i) {
			at[i] += uint32(int64(w)-lo+1) * stride
		}
	}
}

// memoRow builds the tuple of row i of a memo batch (fixed-width columns are
// in t.cw) and finds its group.
func (t *Table) memoRow(keys []arrow.Array, codes [][]int32, i int) uint32 {
	row := t.row
	k := len(t.cols)
	for j := k; j < t.w; j++ {
		row[j] = 0
		if t.nullsClear {
			row[j] = t.cw[j][i]
		}
	}
	for j := range t.cols {
		if codes[j] == nil {
			row[j] = t.cw[j][i]
			continue
		}
		row[j] = 0
		if keys[j].IsNull(i) {
			row[k+j/64] |= 1 << (j % 64)
			continue
		}
		c := &t.cols[j]
		code := codes[j][i]
		v := c.dictIDs[code]
		if v == 0 {
			v = t.resolve(c, int(code))
		}
		if v == nullMark {
			row[k+j/64] |= 1 << (j % 64)
			continue
		}
		row[j] = uint64(v - 1)
	}
	return t.findOrInsert(row, t.tupleHash(row))
}
