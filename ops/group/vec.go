package group

import (
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// vec is a growable slice of plain (pointer-free) values whose memory comes
// from an Allocator, so that Release gives it back. Slot arrays, which must
// start zeroed, are plain Go slices instead (make zeroes them for free).
type vec[T any] struct{ s []T }

func (v *vec[T]) size() int { var x T; return int(unsafe.Sizeof(x)) }

// reserve makes room for at least n elements, keeping the contents.
func (v *vec[T]) reserve(mem memory.Allocator, n int) {
	if n <= cap(v.s) {
		return
	}
	c := max(n, 2*cap(v.s), 64/v.size())
	ns := alloc[T](mem, c)[:len(v.s)]
	copy(ns, v.s)
	v.free(mem)
	v.s = ns
}

// push appends x.
func (v *vec[T]) push(mem memory.Allocator, x T) {
	if len(v.s) == cap(v.s) {
		v.reserve(mem, len(v.s)+1)
	}
	v.s = append(v.s, x)
}

func (v *vec[T]) free(mem memory.Allocator) {
	if cap(v.s) > 0 {
		mem.Free(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v.s))), cap(v.s)*v.size()))
	}
	v.s = nil
}

func (v *vec[T]) bytes() int64 { return int64(cap(v.s) * v.size()) }

// alloc returns n elements of allocator memory (contents undefined).
func alloc[T any](mem memory.Allocator, n int) []T {
	var x T
	b := mem.Allocate(n * int(unsafe.Sizeof(x)))
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// chunkShift sets the groups per chunk of a keyStore.
const chunkShift = 14

// keyStore holds w words per group in fixed-size chunks, so growing never
// copies.
type keyStore struct {
	w      int
	n      int
	chunks [][]uint64
}

func (k *keyStore) at(g int) []uint64 {
	c := k.chunks[g>>chunkShift]
	o := (g & (1<<chunkShift - 1)) * k.w
	return c[o : o+k.w : o+k.w]
}

func (k *keyStore) push(mem memory.Allocator, row []uint64) {
	ci := k.n >> chunkShift
	o := (k.n & (1<<chunkShift - 1)) * k.w
	full := k.w << chunkShift
	switch {
	case ci == len(k.chunks):
		size := full
		if ci == 0 {
			size = 64 * k.w
		}
		k.chunks = append(k.chunks, alloc[uint64](mem, size))
	case o+k.w > len(k.chunks[ci]):
		// only the first chunk starts short and doubles up to full size
		c := alloc[uint64](mem, min(2*len(k.chunks[ci]), full))
		copy(c, k.chunks[ci][:o])
		freeWords(mem, k.chunks[ci])
		k.chunks[ci] = c
	}
	copy(k.chunks[ci][o:o+k.w], row)
	k.n++
}

func freeWords(mem memory.Allocator, c []uint64) {
	mem.Free(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c))), len(c)*8))
}

func (k *keyStore) bytes() int64 {
	var n int64
	for _, c := range k.chunks {
		n += int64(8 * len(c))
	}
	return n
}

func (k *keyStore) free(mem memory.Allocator) {
	for _, c := range k.chunks {
		freeWords(mem, c)
	}
	k.chunks = nil
	k.n = 0
}
