package group

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// islot is a slot of the single-key table: key and id+1 (0 is empty).
type islot struct {
	key uint64
	g   uint32
}

const canonNaN64 = 0x7ff8000000000001

func normF64(v float64) uint64 {
	switch {
	case v == 0:
		return 0
	case v != v:
		return canonNaN64
	}
	return math.Float64bits(v)
}

func normF32(v float32) uint64 {
	switch {
	case v == 0:
		return 0
	case v != v:
		return uint64(math.Float32bits(float32(math.NaN())))
	}
	return uint64(math.Float32bits(v))
}

func widen[T integer](dst []uint64, src []T) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = uint64(v)
	}
}

// loadWords writes the key word of every row of a fixed-width column to dst
// (whatever the row's validity).
func loadWords(a arrow.Array, dst []uint64) error {
	switch a := a.(type) {
	case *array.Int8:
		widen(dst, a.Int8Values())
	case *array.Int16:
		widen(dst, a.Int16Values())
	case *array.Int32:
		widen(dst, a.Int32Values())
	case *array.Int64:
		widen(dst, a.Int64Values())
	case *array.Uint8:
		widen(dst, a.Uint8Values())
	case *array.Uint16:
		widen(dst, a.Uint16Values())
	case *array.Uint32:
		widen(dst, a.Uint32Values())
	case *array.Uint64:
		widen(dst, a.Uint64Values())
	case *array.Date32:
		widen(dst, a.Date32Values())
	case *array.Timestamp:
		widen(dst, a.TimestampValues())
	case *array.Float32:
		for i, v := range a.Float32Values()[:len(dst)] {
			dst[i] = normF32(v)
		}
	case *array.Float64:
		for i, v := range a.Float64Values()[:len(dst)] {
			dst[i] = normF64(v)
		}
	case *array.Boolean:
		for i := range dst {
			dst[i] = 0
			if a.Value(i) {
				dst[i] = 1
			}
		}
	default:
		return fmt.Errorf("unexpected array %T for type %s", a, a.DataType())
	}
	return nil
}

func (t *Table) addInt(a arrow.Array, ids []uint32) error {
	switch a := a.(type) {
	case *array.Int8:
		addInts(t, a.Int8Values(), a, ids)
	case *array.Int16:
		addInts(t, a.Int16Values(), a, ids)
	case *array.Int32:
		addInts(t, a.Int32Values(), a, ids)
	case *array.Int64:
		addInts(t, a.Int64Values(), a, ids)
	case *array.Uint8:
		addInts(t, a.Uint8Values(), a, ids)
	case *array.Uint16:
		addInts(t, a.Uint16Values(), a, ids)
	case *array.Uint32:
		addInts(t, a.Uint32Values(), a, ids)
	case *array.Uint64:
		addInts(t, a.Uint64Values(), a, ids)
	case *array.Date32:
		addInts(t, a.Date32Values(), a, ids)
	case *array.Timestamp:
		addInts(t, a.TimestampValues(), a, ids)
	default:
		if cap(t.scratch) < len(ids) {
			t.scratch = make([]uint64, len(ids))
		}
		w := t.scratch[:len(ids)]
		if err := loadWords(a, w); err != nil {
			return err
		}
		addInts(t, w, a, ids)
	}
	return nil
}

// warmSlots is the table size (slots) from which slots are loaded ahead of
// probing; smaller tables stay in cache.
const warmSlots = 1 << 14

// denseMax is the largest key range a single integer key is grouped over
// with a direct array instead of the hash table.
const denseMax = 1 << 17

// addInts is the single fixed-width key loop.
func addInts[T integer](t *Table, vals []T, a arrow.Array, ids []uint32) {
	vals = vals[:len(ids)]
	valid, off := validity(a)
	if t.dense && t.widenDense(minMax(vals)) {
		addDense(t, vals, valid, off, ids)
		return
	}
	var hs [blk]uint64
	for base := 0; base < len(vals); base += blk {
		end := min(base+blk, len(vals))
		for i := base; i < end; i++ {
			hs[i-base] = mixInt(uint64(vals[i]))
		}
		slots, shift := t.islots, t.ishift
		if len(slots) >= warmSlots {
			var sink uint64
			for _, h := range hs[:end-base] {
				sink += slots[h>>shift].key
			}
			t.sink += sink
		}
		mask := uint64(len(slots) - 1)
		for i := base; i < end; i++ {
			if valid != nil && !bitutil.BitIsSet(valid, off+i) {
				ids[i] = t.nullID()
				continue
			}
			k := uint64(vals[i])
			pos := hs[i-base] >> shift
			for {
				s := &slots[pos]
				if s.g == 0 {
					ids[i] = t.insertInt(s, k)
					slots, shift = t.islots, t.ishift
					mask = uint64(len(slots) - 1)
					break
				}
				if s.key == k {
					ids[i] = s.g - 1
					break
				}
				pos = (pos + 1) & mask
			}
		}
	}
}

func (t *Table) insertInt(s *islot, k uint64) uint32 {
	g := uint32(t.n)
	t.n++
	s.key, s.g = k, g+1
	t.keys.push(t.mem, []uint64{k})
	t.icount++
	if 2*t.icount > len(t.islots) {
		t.growInts()
	}
	return g
}

func (t *Table) growInts() {
	old := t.islots
	t.islots = make([]islot, 2*len(old))
	t.ishift--
	slots, shift := t.islots, t.ishift
	mask := uint64(len(slots) - 1)
	for _, s := range old {
		if s.g == 0 {
			continue
		}
		pos := mixInt(s.key) >> shift
		for slots[pos].g != 0 {
			pos = (pos + 1) & mask
		}
		slots[pos] = s
	}
}

// minMax returns the smallest and largest key word of vals as int64.
func minMax[T integer](vals []T) (int64, int64) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, v := range vals {
		w := int64(uint64(v))
		lo = min(lo, w)
		hi = max(hi, w)
	}
	return lo, hi
}

// widenDense makes the direct array cover [lo, hi], or, when the keys seen
// span too wide a range, leaves the direct mode for the hash table for good.
// The array grows by doubling (within denseMax) so that keys arriving in a
// slowly widening range cost amortised constant time; the range test uses
// the keys seen, not the array's length.
func (t *Table) widenDense(lo, hi int64) bool {
	if lo > hi {
		return true
	}
	if len(t.dmap) > 0 {
		lo = min(lo, t.dbase)
		hi = max(hi, t.dhi)
	}
	if uint64(hi-lo) >= denseMax {
		t.dense = false
		t.dmap = nil
		for g := range t.n {
			if g != t.nullGroup {
				t.insertHashed(t.keys.at(g)[0], uint32(g))
			}
		}
		return false
	}
	t.dhi = hi
	if len(t.dmap) == 0 || lo < t.dbase || hi-t.dbase >= int64(len(t.dmap)) {
		size := int(hi-lo) + 1
		m := make([]uint32, min(max(size, 2*len(t.dmap)), max(size, denseMax)))
		if len(t.dmap) > 0 {
			copy(m[t.dbase-lo:], t.dmap)
		}
		t.dmap, t.dbase = m, lo
	}
	return true
}

func addDense[T integer](t *Table, vals []T, valid []byte, off int, ids []uint32) {
	m, base := t.dmap, t.dbase
	for i, v := range vals {
		if valid != nil && !bitutil.BitIsSet(valid, off+i) {
			ids[i] = t.nullID()
			continue
		}
		at := uint64(int64(uint64(v)) - base)
		g := m[at]
		if g == 0 {
			g = uint32(t.n) + 1
			t.n++
			t.keys.push(t.mem, []uint64{uint64(v)})
			m[at] = g
		}
		ids[i] = g - 1
	}
}

// insertHashed adds key k of group g to the hash table.
func (t *Table) insertHashed(k uint64, g uint32) {
	slots := t.islots
	mask := uint64(len(slots) - 1)
	pos := mixInt(k) >> t.ishift
	for slots[pos].g != 0 {
		pos = (pos + 1) & mask
	}
	t.icount++
	slots[pos] = islot{key: k, g: g + 1}
	if 2*t.icount > len(slots) {
		t.growInts()
	}
}
