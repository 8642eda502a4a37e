package group

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Keys returns the key columns of groups 0..Len()-1 in group-id order, one
// plain array per key column of its logical type (strings as *array.String,
// never dictionaries), NULL where the key is NULL. The arrays are allocated
// from mem and owned by the caller, who releases them; they stay valid after
// the Table is released. With no key columns it returns an empty slice.
func (t *Table) Keys(mem memory.Allocator) ([]arrow.Array, error) {
	if t.released {
		return nil, ErrReleased
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	out := make([]arrow.Array, 0, len(t.cols))
	// Several key columns live interleaved in the key store: gathering them
	// together reads it once instead of once per column, when their words
	// together take at most gatherAllBytes.
	var all [][]uint64
	if t.mode == modeMulti && t.w*t.n*8 <= gatherAllBytes {
		all = make([][]uint64, t.w)
		for j := range all {
			all[j] = alloc[uint64](mem, t.n)
		}
		defer func() {
			for _, w := range all {
				freeWords(mem, w)
			}
		}()
		t.gatherAll(all)
	}
	for j := range t.cols {
		a, err := t.keyColumn(mem, j, all)
		if err != nil {
			for _, a := range out {
				a.Release()
			}
			return nil, fmt.Errorf("group: key column %d: %w", j, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// gatherAllBytes bounds the words Keys gathers for all key columns at once
// (a variable for tests).
var gatherAllBytes = 64 << 20

// gatherAll writes word k of every group's key (a column's value or NULL
// bits) to all[k], in one pass over the key store (modeMulti).
func (t *Table) gatherAll(all [][]uint64) {
	st := t.keys.w
	g := 0
	for _, ch := range t.keys.chunks {
		for o := 0; o+st <= len(ch) && g < t.n; o += st {
			for k, w := range ch[o : o+st] {
				all[k][g] = w
			}
			g++
		}
	}
}

// keyColumn builds key column j; all, when not nil, holds every key word as
// gatherAll wrote them (and is modified).
func (t *Table) keyColumn(mem memory.Allocator, j int, all [][]uint64) (arrow.Array, error) {
	c := &t.cols[j]
	n := t.n
	var bufs []*memory.Buffer
	defer func() {
		for _, b := range bufs {
			if b != nil {
				b.Release()
			}
		}
	}()
	// One pass gathers the column's words (0 for NULL) and its validity;
	// the typed passes below read them sequentially.
	var words []uint64
	if all != nil {
		words = all[j]
	} else {
		words = alloc[uint64](mem, n)
		defer freeWords(mem, words)
	}
	valid, nulls := t.gatherColumn(j, words, all, mem)
	bufs = append(bufs, valid)
	switch c.kind {
	case kindBytes, kindDecimal:
		total := 16 * n
		var vb []byte
		if valid != nil {
			vb = valid.Bytes()
		}
		if c.kind == kindBytes {
			total = 0
			offs := c.strs.offs.s
			for g, w := range words {
				if vb == nil || bitutil.BitIsSet(vb, g) {
					total += int(offs[w+1] - offs[w])
				}
			}
		}
		if c.kind == kindBytes && total > math.MaxInt32 {
			return nil, errors.New("more than 2 GiB of key bytes in one column")
		}
		data := memory.NewResizableBuffer(mem)
		data.Resize(total)
		db := data.Bytes()
		var offs []int32
		if c.kind == kindBytes {
			ob := memory.NewResizableBuffer(mem)
			ob.Resize(4 * (n + 1))
			bufs = append(bufs, ob)
			offs = arrow.Int32Traits.CastFromBytes(ob.Bytes())
			offs[0] = 0
		}
		at := 0
		arena, aoffs := c.strs.arena.s, c.strs.offs.s
		for g, w := range words {
			if vb != nil && !bitutil.BitIsSet(vb, g) {
				if c.kind == kindDecimal {
					clear(db[at : at+16])
					at += 16
				}
			} else if lo, hi := int(aoffs[w]), int(aoffs[w+1]); hi-lo <= 16 && lo+16 <= len(arena) && at+16 <= len(db) {
				// A short key moves as one 16-byte block, not a call to
				// memmove; the bytes past it are overwritten by the next.
				*(*[16]byte)(db[at : at+16]) = *(*[16]byte)(arena[lo : lo+16])
				at += hi - lo
			} else {
				at += copy(db[at:], arena[lo:hi])
			}
			if offs != nil {
				offs[g+1] = int32(at)
			}
		}
		bufs = append(bufs, data)
	case kindBool:
		b := memory.NewResizableBuffer(mem)
		b.Resize(int(bitutil.BytesForBits(int64(n))))
		bb := b.Bytes()
		clear(bb)
		for g, w := range words {
			if w != 0 {
				bitutil.SetBit(bb, g)
			}
		}
		bufs = append(bufs, b)
	default:
		b := memory.NewResizableBuffer(mem)
		b.Resize(c.width * n)
		switch c.width {
		case 1:
			narrow[uint8](b.Bytes(), words)
		case 2:
			narrow[uint16](b.Bytes(), words)
		case 4:
			narrow[uint32](b.Bytes(), words)
		default:
			narrow[uint64](b.Bytes(), words)
		}
		bufs = append(bufs, b)
	}
	d := array.NewData(c.typ, n, bufs, nil, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// gatherColumn writes key column j's word of every group to words (0 where
// the key is NULL) and returns its validity bitmap, allocated from mem, and
// NULL count; the bitmap is nil when no key is NULL. When all is not nil
// (see gatherAll), words is all[j] and the NULL bits are read from all.
func (t *Table) gatherColumn(j int, words []uint64, all [][]uint64, mem memory.Allocator) (*memory.Buffer, int) {
	v := t.view(j)
	var valid *memory.Buffer
	var vb []byte
	nulls := 0
	setNull := func(g int) {
		if valid == nil {
			valid = memory.NewResizableBuffer(mem)
			valid.Resize(int(bitutil.BytesForBits(int64(len(words)))))
			vb = valid.Bytes()
			bitutil.SetBitsTo(vb, 0, int64(len(words)), true)
		}
		bitutil.ClearBit(vb, g)
		words[g] = 0
		nulls++
	}
	switch {
	case v.ident:
		for g := range words {
			words[g] = uint64(g)
		}
	case all != nil:
		// The words are in place; the NULL bits too.
		for g, b := range all[v.nullOff][:len(words)] {
			if b&v.nullMask != 0 {
				setNull(g)
			}
		}
	default:
		// Strided reads of the key store's chunks.
		st := v.keys.w
		g := 0
		for _, ch := range v.keys.chunks {
			for o := 0; o+st <= len(ch) && g < len(words); o += st {
				words[g] = ch[o+v.off]
				if v.nullMask != 0 && ch[o+v.nullOff]&v.nullMask != 0 {
					setNull(g)
				}
				g++
			}
		}
	}
	if v.nullGroup >= 0 && v.nullGroup < len(words) {
		setNull(v.nullGroup)
	}
	return valid, nulls
}

// narrow writes the low bytes of every word to buf.
func narrow[T uint8 | uint16 | uint32 | uint64](buf []byte, words []uint64) {
	if len(words) == 0 {
		return
	}
	out := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf))), len(words))
	for g, w := range words {
		out[g] = T(w)
	}
}
