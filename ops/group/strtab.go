package group

import (
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

const (
	// maxArena bounds the distinct key bytes of one column (offsets are uint32).
	maxArena = 1<<32 - 1
	// hiMask selects the top half of a hash: slot tags and positions.
	hiMask = ^uint64(0xffffffff)
	// blk is the number of rows whose slots are loaded ahead of probing, so
	// that their cache misses overlap.
	blk = 16
	// dictBlk is blk for resolving dictionary entries, which miss the
	// cache far more often than rows do (each entry is looked up once):
	// 64 took 16-29% off BenchmarkResolveDict against 16.
	dictBlk = 64
)

// strTable interns byte strings: each distinct string gets a dense id, its
// bytes are appended to one arena and its hash is kept. Entries made by
// addNull hold no bytes and are never found by lookup.
//
// Slots hold the top 32 bits of the hash and id+1 (0 is empty); a string's
// home slot is given by the top bits of its hash, so growing needs neither
// the strings nor their hashes.
type strTable struct {
	mem    memory.Allocator
	arena  vec[byte]
	offs   vec[uint32] // n+1 entries: entry i is arena[offs[i]:offs[i+1]]
	hashes vec[uint64] // hashBytes of each entry
	// packs holds each entry packed as by pack when at most maxShort bytes
	// long, else {0, longPack}: lookups compare a short string with one
	// 16-byte load instead of reading its offsets and then its bytes.
	packs vec[[2]uint64]
	slots []uint64
	shift uint
	count int // entries in slots
	sink  uint64
	short shortIndex // plain strings of up to maxShort bytes
}

func newStrTable(mem memory.Allocator) *strTable {
	s := &strTable{mem: mem, slots: make([]uint64, 64), shift: 64 - 6}
	s.offs.push(mem, 0)
	return s
}

func (s *strTable) len() int { return len(s.offs.s) - 1 }

func (s *strTable) value(id uint32) []byte {
	return s.arena.s[s.offs.s[id]:s.offs.s[id+1]]
}

// intern returns the id of b, whose hashBytes is h, adding it if new.
func (s *strTable) intern(b []byte, h uint64) uint32 {
	w0, w1 := packBytes(b)
	slots := s.slots
	mask := uint64(len(slots) - 1)
	pos := h >> s.shift
	for {
		sl := slots[pos]
		if sl == 0 {
			return s.insert(pos, b, h)
		}
		if (sl^h)&hiMask == 0 {
			if id := uint32(sl) - 1; s.same(id, b, w0, w1) {
				return id
			}
		}
		pos = (pos + 1) & mask
	}
}

// same reports whether entry id is b, packed as w0, w1 (see packBytes).
func (s *strTable) same(id uint32, b []byte, w0, w1 uint64) bool {
	if len(b) <= maxShort {
		p := &s.packs.s[id]
		return p[0] == w0 && p[1] == w1
	}
	// Long strings and 16-byte decimals: the bytes (a short entry differs
	// in length).
	o := s.offs.s
	return string(s.arena.s[o[id]:o[id+1]]) == string(b)
}

// longPack marks the packed form of an entry longer than maxShort bytes: no
// packed short string has it (their top byte is the length, at most 15).
const longPack = uint64(0xff) << 56

// packBytes returns b packed as by pack when it is at most maxShort bytes
// long (reading up to 16 bytes of its capacity at once), else {0, longPack}.
// Its fast path repeats pack's so that it inlines into the lookups: calling
// pack(b[:cap(b)], 0, len(b)) instead made them 5-10% slower.
func packBytes(b []byte) (uint64, uint64) {
	n := len(b)
	if n > maxShort {
		return 0, longPack
	}
	if cap(b) >= 16 {
		b16 := b[:16]
		w0, w1 := le64(b16), le64(b16[8:])
		if n < 8 {
			w0 &= 1<<(8*uint(n)) - 1
			w1 = 0
		} else {
			w1 &= 1<<(8*uint(n-8)) - 1
		}
		return w0, w1 | uint64(n)<<56
	}
	return pack(b, 0, n)
}

// find returns the id of b, whose hashBytes is h, plus one, or 0 when b is
// not interned.
func (s *strTable) find(b []byte, h uint64) uint32 {
	w0, w1 := packBytes(b)
	slots := s.slots
	mask := uint64(len(slots) - 1)
	pos := h >> s.shift
	for {
		sl := slots[pos]
		if sl == 0 {
			return 0
		}
		if (sl^h)&hiMask == 0 {
			if id := uint32(sl) - 1; s.same(id, b, w0, w1) {
				return id + 1
			}
		}
		pos = (pos + 1) & mask
	}
}

// resolveDict maps the entries of a string dictionary (offs, data, validity
// valid at off) to id+1 in dst, in blocks whose cache misses overlap. With
// insert, new entries are interned; without, they are left 0. NULL entries
// get nullV.
func (s *strTable) resolveDict(offs []int32, data, valid []byte, off int, insert bool, nullV uint32, dst []uint32) {
	var hs [dictBlk]uint64
	n := len(dst)
	for base := 0; base < n; base += dictBlk {
		end := min(base+dictBlk, n)
		for i := base; i < end; i++ {
			hs[i-base] = hashBytes(data[offs[i]:offs[i+1]])
		}
		s.warm(hs[:end-base])
		for i := base; i < end; i++ {
			if valid != nil && !bitutil.BitIsSet(valid, off+i) {
				dst[i] = nullV
				continue
			}
			b := data[offs[i]:offs[i+1]]
			if insert {
				dst[i] = s.intern(b, hs[i-base]) + 1
			} else {
				dst[i] = s.find(b, hs[i-base])
			}
		}
	}
}

// warm loads the home slots and packed entries of the strings hashed by hs.
func (s *strTable) warm(hs []uint64) {
	slots, shift, packs := s.slots, s.shift, s.packs.s
	var sink uint64
	for _, h := range hs {
		sl := slots[h>>shift]
		if sl != 0 && (sl^h)&hiMask == 0 {
			if id := int(uint32(sl) - 1); id < len(packs) {
				sink += packs[id][1]
			}
		}
	}
	s.sink += sink
}

func (s *strTable) insert(pos uint64, b []byte, h uint64) uint32 {
	id := s.add(b, h)
	s.slots[pos] = h&hiMask | uint64(id+1)
	s.count++
	if 4*s.count > 3*len(s.slots) {
		s.grow()
	}
	return id
}

func (s *strTable) add(b []byte, h uint64) uint32 {
	id := uint32(s.len())
	n := len(s.arena.s)
	s.arena.reserve(s.mem, n+len(b))
	s.arena.s = append(s.arena.s, b...)
	s.offs.push(s.mem, uint32(len(s.arena.s)))
	s.hashes.push(s.mem, h)
	w0, w1 := packBytes(b)
	s.packs.push(s.mem, [2]uint64{w0, w1})
	return id
}

// addNull adds an empty entry that lookups never find (a NULL group).
func (s *strTable) addNull() uint32 { return s.add(nil, 0) }

func (s *strTable) grow() {
	s.slots, s.shift = regrow(s.slots, s.shift)
}

// regrow doubles a table of hash-tagged slots (see strTable).
func regrow(old []uint64, shift uint) ([]uint64, uint) {
	return regrowBy(old, shift, 1)
}

// regrowFor grows a table of hash-tagged slots, at once, until n entries
// keep it at most 3/4 full. Slots address at most 2^32 positions (shift
// stays at least 32), so n is capped at 3/4 of that.
func regrowFor(old []uint64, shift uint, n int) ([]uint64, uint) {
	n = min(n, 3<<30)
	k := uint(0)
	for 4*n > 3*(len(old)<<k) {
		k++
	}
	if k == 0 {
		return old, shift
	}
	return regrowBy(old, shift, k)
}

// regrowBy multiplies the size of a table of hash-tagged slots by 2^k.
func regrowBy(old []uint64, shift, k uint) ([]uint64, uint) {
	slots := make([]uint64, len(old)<<k)
	shift -= k
	mask := uint64(len(slots) - 1)
	for _, sl := range old {
		if sl == 0 {
			continue
		}
		pos := sl >> shift
		for slots[pos] != 0 {
			pos = (pos + 1) & mask
		}
		slots[pos] = sl
	}
	return slots, shift
}

// internRows interns the rows of a string array (offs non-nil) or of a
// 16-byte decimal array (offs nil) into dst. A NULL row gets nullMark, or,
// when null is not nil, the id *null of an entry made by addNull on the
// first NULL (single-key tables, where ids are group ids in first-seen order).
func (s *strTable) internRows(offs []int32, data, valid []byte, off int, null *int, dst []uint32) {
	n := len(dst)
	if offs != nil && s.short.worth(s.len()) && shortable(offs, n) {
		s.internShort(offs, data, valid, off, null, dst)
		return
	}
	s.short.hashed += int64(n)
	var hs [blk]uint64
	for base := 0; base < n; base += blk {
		end := min(base+blk, n)
		for i := base; i < end; i++ {
			if offs != nil {
				hs[i-base] = hashBytes(data[offs[i]:offs[i+1]])
			} else {
				hs[i-base] = hashBytes(data[16*i : 16*i+16])
			}
		}
		s.warm(hs[:end-base])
		for i := base; i < end; i++ {
			if valid != nil && !bitutil.BitIsSet(valid, off+i) {
				dst[i] = s.nullID(null)
				continue
			}
			var b []byte
			if offs != nil {
				b = data[offs[i]:offs[i+1]]
			} else {
				b = data[16*i : 16*i+16]
			}
			dst[i] = s.intern(b, hs[i-base])
		}
	}
}

// nullID is the id of a NULL row for internRows: nullMark, or, when null is
// not nil, the id *null of the entry addNull makes at the first NULL.
func (s *strTable) nullID(null *int) uint32 {
	if null == nil {
		return nullMark
	}
	if *null < 0 {
		*null = int(s.addNull())
	}
	return uint32(*null)
}

func (s *strTable) bytes() int64 {
	return s.arena.bytes() + s.offs.bytes() + s.hashes.bytes() + s.packs.bytes() + int64(8*len(s.slots)) + int64(24*len(s.short.slots))
}

func (s *strTable) free() {
	s.arena.free(s.mem)
	s.offs.free(s.mem)
	s.hashes.free(s.mem)
	s.packs.free(s.mem)
	s.slots = nil
	s.short = shortIndex{}
}
