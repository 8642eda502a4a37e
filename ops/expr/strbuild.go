package expr

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// strBuilder builds a utf8 or binary array of a known row count directly in
// allocator memory.
type strBuilder struct {
	offs  *memory.Buffer
	o     []int32
	data  *memory.Buffer
	d     []byte // data.Buf(), full capacity
	size  int
	row   int
	valid *memory.Buffer // nil until a NULL is appended
	nulls int
	mem   memory.Allocator
	n     int
}

func newStrBuilder(mem memory.Allocator, n, dataHint int) *strBuilder {
	b := &strBuilder{mem: mem, n: n}
	b.offs, b.o = newFixed[int32](mem, n+1)
	b.o = b.o[:n+1]
	b.o[0] = 0
	b.data = memory.NewResizableBuffer(mem)
	b.data.Reserve(max(dataHint, 64))
	b.d = b.data.Buf()
	return b
}

func (b *strBuilder) grow(need int) {
	if need > len(b.d) {
		b.data.Reserve(max(need, 2*len(b.d)))
		b.d = b.data.Buf()
	}
}

func (b *strBuilder) appendString(s string) {
	b.grow(b.size + len(s))
	copy(b.d[b.size:], s)
	b.size += len(s)
	b.row++
	b.o[b.row] = int32(b.size)
}

func (b *strBuilder) appendBytes(s []byte) { b.appendString(bstr(s)) }

// appendNull appends a NULL row.
func (b *strBuilder) appendNull() {
	if b.valid == nil {
		b.valid = newBuf(b.mem, bitmapBytes(b.n))
		bs := b.valid.Bytes()
		for i := range bs {
			bs[i] = 0xff
		}
	}
	bs := b.valid.Bytes()
	bs[b.row>>3] &^= 1 << (b.row & 7)
	b.nulls++
	b.row++
	b.o[b.row] = int32(b.size)
}

// finish returns the array; validity, when non-nil, replaces the builder's
// own (it is retained, not consumed).
func (b *strBuilder) finish(dt arrow.DataType, validity *memory.Buffer, nulls int) arrow.Array {
	b.data.Resize(b.size)
	v, nn := b.valid, b.nulls
	if validity != nil {
		if v != nil {
			v.Release()
		}
		validity.Retain()
		v, nn = validity, nulls
	}
	return makeArray(dt, b.n, nn, v, b.offs, b.data)
}
