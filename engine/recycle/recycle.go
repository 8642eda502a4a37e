package recycle

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

const (
	// minPooled and maxPooled bound the buffer sizes that are recycled;
	// smaller and larger ones come from, and go back to, the Go runtime.
	minPooled = 4 << 10
	maxPooled = 64 << 20
	// alignment of every buffer's start, as memory.GoAllocator gives.
	alignment = 64
	// PoisonByte is what Options.Poison fills freed buffers with.
	PoisonByte = 0xA5
)

// nClasses is the number of size classes: four per power of two from
// minPooled to maxPooled inclusive.
var nClasses = classFor(maxPooled) + 1

// Options configure an Allocator.
type Options struct {
	// Poison fills every freed buffer, of any size, with PoisonByte, so
	// that a use after release reads garbage instead of the old values. For
	// tests: it costs a write of every freed byte.
	Poison bool
}

// Allocator is a memory.Allocator that reuses freed buffers. It is safe for
// concurrent use; the zero value is not usable: call New.
type Allocator struct {
	poison  bool
	classes []sync.Pool // of *[]byte, len 0, cap the class size
	allocs  atomic.Int64
	reuses  atomic.Int64
}

// New returns an empty Allocator.
func New(o Options) *Allocator {
	return &Allocator{poison: o.Poison, classes: make([]sync.Pool, nClasses)}
}

// Default is the process-wide Allocator the engine uses when it is given none.
var Default = New(Options{})

// Stats are an Allocator's counts since it was made.
type Stats struct {
	// Allocs counts allocations of a pooled size; Reuses those served from
	// a freed buffer.
	Allocs, Reuses int64
}

// Stats returns the allocator's counts.
func (a *Allocator) Stats() Stats {
	return Stats{Allocs: a.allocs.Load(), Reuses: a.reuses.Load()}
}

// classSize is the capacity of buffers of class c: (4+j) << (e-2) for the
// power of two 1<<e and quarter step j.
func classSize(c int) int {
	e, j := c/4+bits.Len(minPooled)-1, c%4
	return (4 + j) << (e - 2)
}

// classFor returns the smallest class whose size is at least n (n >=
// minPooled).
func classFor(n int) int {
	e := bits.Len(uint(n-1)) - 1 // 1<<e < n <= 1<<(e+1)
	step := 1 << (e - 2)
	j := (n - 1<<e + step - 1) / step // 1..4 quarter steps above 1<<e
	return (e-(bits.Len(minPooled)-1))*4 + j
}

// classOf returns the largest class whose size is at most c (c >= minPooled).
func classOf(c int) int {
	e := bits.Len(uint(c)) - 1 // 1<<e <= c < 1<<(e+1)
	j := (c - 1<<e) >> (e - 2)
	return (e-(bits.Len(minPooled)-1))*4 + j
}

// Allocate returns a zeroed buffer of size bytes, aligned to 64 bytes.
func (a *Allocator) Allocate(size int) []byte { return a.get(size, true) }

// AllocateUninit is Allocate for a caller that writes every byte before it
// reads any: a reused buffer comes back as it was freed (filled with
// PoisonByte under Options.Poison) instead of cleared, which saves writing
// it twice. The buffer is freed with Free, like any other.
func (a *Allocator) AllocateUninit(size int) []byte { return a.get(size, false) }

// Uninit is an allocator that can hand out memory without clearing it, as
// Allocator does. Wrappers (counting, limiting) implement it by passing the
// call on with AllocateUninit.
type Uninit interface {
	memory.Allocator
	AllocateUninit(size int) []byte
}

// AllocateUninit asks mem for size bytes its caller will write in full:
// uncleared when mem implements Uninit, else through Allocate.
func AllocateUninit(mem memory.Allocator, size int) []byte {
	if u, ok := mem.(Uninit); ok {
		return u.AllocateUninit(size)
	}
	return mem.Allocate(size)
}

// NewBuffer returns a buffer of size bytes, owned by the caller, for contents
// the caller writes in full: uncleared when mem implements Uninit, else
// cleared (memory.NewResizableBuffer).
func NewBuffer(mem memory.Allocator, size int) *memory.Buffer {
	if u, ok := mem.(Uninit); ok && size > 0 {
		return memory.NewBufferWithAllocator(u.AllocateUninit(size), mem)
	}
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	return b
}

func (a *Allocator) get(size int, zero bool) []byte {
	if size < minPooled || size > maxPooled {
		return alloc(size, size)
	}
	a.allocs.Add(1)
	c := classFor(size)
	if v := a.classes[c].Get(); v != nil {
		a.reuses.Add(1)
		b := (*(v.(*[]byte)))[:size]
		if zero {
			clear(b)
		}
		return b
	}
	return alloc(size, classSize(c))
}

// alloc returns a new zeroed buffer of length size and capacity c.
func alloc(size, c int) []byte {
	if size == 0 {
		return []byte{}
	}
	buf := make([]byte, c+alignment)
	shift := int(-uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & (alignment - 1))
	return buf[shift : shift+size : shift+c]
}

// Reallocate resizes b to size bytes, keeping its content; new bytes are
// zero. b must come from a (or be nil).
func (a *Allocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

// Free returns b to the pool of its size class; b must not be used
// afterwards.
func (a *Allocator) Free(b []byte) {
	c := cap(b)
	b = b[:c]
	if a.poison {
		for i := range b {
			b[i] = PoisonByte
		}
	}
	if c < minPooled || c > maxPooled {
		return
	}
	k := classOf(c)
	if k >= len(a.classes) {
		return
	}
	b = b[:0:classSize(k)]
	a.classes[k].Put(&b)
}
