package group

import "github.com/apache/arrow/go/v17/arrow/bitutil"

// maxShort is the longest string the short index holds: 15 bytes and the
// length fit in two words.
const maxShort = 15

// maxShortKeys bounds the strings a short index holds: 16Ki of them take
// 768 KiB of slots at most.
const maxShortKeys = 1 << 14

// shortSlot maps a packed short string (see pack) to its id+1 (0: empty).
type shortSlot struct {
	w0, w1 uint64
	id     uint32
}

// shortIndex finds the ids of strings of up to maxShort bytes by their
// packed words: one multiply and a word compare per row instead of hashing
// and comparing bytes (plain-string columns of short keys, such as h2o's
// "id001", from CSV or in-memory records). It holds ids of its strTable, a
// cache of it: a string missing here is interned there first.
type shortIndex struct {
	slots        []shortSlot
	shift        uint
	count        int
	hits, misses int64
	hashed       int64 // rows interned through the hash table
	off          bool  // given up: too many strings (see internShort)
}

// worth says whether the string table, holding n strings, should use the
// index: while it is in use, and not given up; before that, once the hash
// table has seen rows repeat (at least 4 rows a string over 4Ki rows) among
// few strings. A merge of partial states, whose keys repeat once per
// partial at most, never starts it.
func (x *shortIndex) worth(n int) bool {
	switch {
	case x.off:
		return false
	case x.slots != nil:
		return true
	}
	return x.hashed >= 1<<12 && x.hashed >= 4*int64(n) && n < maxShortKeys
}

// pack returns the words of data[s:e] (at most maxShort bytes): the first
// eight bytes, then the rest with the length in the top byte.
func pack(data []byte, s, e int) (w0, w1 uint64) {
	n := e - s
	if s+16 <= len(data) {
		w0, w1 = le64(data[s:]), le64(data[s+8:])
		if n < 8 {
			w0 &= 1<<(8*uint(n)) - 1
			w1 = 0
		} else {
			w1 &= 1<<(8*uint(n-8)) - 1
		}
	} else {
		for i, c := range data[s:e] {
			if i < 8 {
				w0 |= uint64(c) << (8 * uint(i))
			} else {
				w1 |= uint64(c) << (8 * uint(i-8))
			}
		}
	}
	return w0, w1 | uint64(n)<<56
}

func shortHash(w0, w1 uint64) uint64 { return mum(w0^k1, w1^k2) }

// get returns the id+1 of the packed string, or 0.
func (x *shortIndex) get(w0, w1, h uint64) uint32 {
	mask := uint64(len(x.slots) - 1)
	for pos := h >> x.shift; ; pos = (pos + 1) & mask {
		sl := &x.slots[pos]
		if sl.id == 0 || sl.w0 == w0 && sl.w1 == w1 {
			return sl.id
		}
	}
}

// put records id for the packed string, which get did not find.
func (x *shortIndex) put(w0, w1, h uint64, id uint32) {
	mask := uint64(len(x.slots) - 1)
	pos := h >> x.shift
	for x.slots[pos].id != 0 {
		pos = (pos + 1) & mask
	}
	x.slots[pos] = shortSlot{w0: w0, w1: w1, id: id + 1}
	x.count++
	if 2*x.count > len(x.slots) {
		old := x.slots
		x.slots = make([]shortSlot, 2*len(old))
		x.shift--
		mask = uint64(len(x.slots) - 1)
		for _, sl := range old {
			if sl.id == 0 {
				continue
			}
			p := shortHash(sl.w0, sl.w1) >> x.shift
			for x.slots[p].id != 0 {
				p = (p + 1) & mask
			}
			x.slots[p] = sl
		}
	}
}

// shortable reports whether every string of the batch is at most maxShort
// bytes long.
func shortable(offs []int32, n int) bool {
	for i := 0; i < n; i++ {
		if offs[i+1]-offs[i] > maxShort {
			return false
		}
	}
	return true
}

// internShort interns the rows of a string array whose strings are all
// short (see internRows) through the short index.
func (s *strTable) internShort(offs []int32, data, valid []byte, off int, null *int, dst []uint32) {
	x := &s.short
	if x.slots == nil {
		x.slots, x.shift = make([]shortSlot, 64), 64-6
	}
	for i := range dst {
		if valid != nil && !bitutil.BitIsSet(valid, off+i) {
			dst[i] = s.nullID(null)
			continue
		}
		lo, hi := int(offs[i]), int(offs[i+1])
		w0, w1 := pack(data, lo, hi)
		h := shortHash(w0, w1)
		if id := x.get(w0, w1, h); id != 0 {
			dst[i] = id - 1
			x.hits++
			continue
		}
		b := data[lo:hi]
		id := s.intern(b, hashBytes(b))
		if x.count < maxShortKeys {
			x.put(w0, w1, h, id)
		}
		x.misses++
		dst[i] = id
	}
	// The index pays while it stays in cache: once full (maxShortKeys
	// strings), or when most rows are new strings, the hash table, whose
	// probes overlap their cache misses, is faster.
	if x.count >= maxShortKeys || x.misses > 1<<16 && x.misses > x.hits {
		x.off, x.slots = true, nil
	}
}
