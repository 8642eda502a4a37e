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
	for j := range t.cols {
		a, err := t.keyColumn(mem, j)
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

func (t *Table) keyColumn(mem memory.Allocator, j int) (arrow.Array, error) {
	c := &t.cols[j]
	v := t.view(j)
	n := t.n
	var bufs []*memory.Buffer
	defer func() {
		for _, b := range bufs {
			if b != nil {
				b.Release()
			}
		}
	}()
	nulls := 0
	for g := range n {
		if _, null := v.at(g); null {
			nulls++
		}
	}
	var valid *memory.Buffer
	if nulls > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		vb := valid.Bytes()
		clear(vb)
		for g := range n {
			if _, null := v.at(g); !null {
				bitutil.SetBit(vb, g)
			}
		}
	}
	bufs = append(bufs, valid)
	switch c.kind {
	case kindBytes, kindDecimal:
		total := 16 * n
		if c.kind == kindBytes {
			total = 0
			for g := range n {
				if w, null := v.at(g); !null {
					total += len(c.strs.value(uint32(w)))
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
		for g := range n {
			w, null := v.at(g)
			if null {
				if c.kind == kindDecimal {
					clear(db[at : at+16])
					at += 16
				}
			} else {
				at += copy(db[at:], c.strs.value(uint32(w)))
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
		for g := range n {
			if w, null := v.at(g); !null && w != 0 {
				bitutil.SetBit(bb, g)
			}
		}
		bufs = append(bufs, b)
	default:
		b := memory.NewResizableBuffer(mem)
		b.Resize(c.width * n)
		switch c.width {
		case 1:
			narrow[uint8](b.Bytes(), &v, n)
		case 2:
			narrow[uint16](b.Bytes(), &v, n)
		case 4:
			narrow[uint32](b.Bytes(), &v, n)
		default:
			narrow[uint64](b.Bytes(), &v, n)
		}
		bufs = append(bufs, b)
	}
	d := array.NewData(c.typ, n, bufs, nil, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// narrow writes the low bytes of every group's word (0 for NULL) to buf.
func narrow[T uint8 | uint16 | uint32 | uint64](buf []byte, v *colView, n int) {
	if n == 0 {
		return
	}
	out := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf))), n)
	for g := range out {
		w, null := v.at(g)
		if null {
			w = 0
		}
		out[g] = T(w)
	}
}
