package main

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/dfq/dfq/engine/recycle"
)

// budget is a memory.Allocator that counts the bytes its base allocator
// holds, remembers the peak and, with a limit, refuses allocations past it.
//
// Arrow allocators cannot return an error: like the Go allocator when the
// heap is exhausted, budget panics, with a *memLimitError. The engine turns
// panics at its goroutine roots into errors that wrap the panic value, and
// the query command recovers the panics that happen on its own goroutine, so
// the user sees the error and exit status 1 instead of the kernel's OOM
// killer. Scope: Arrow buffers only (the Go heap behind hash table indexes,
// plans and strings is not counted), in this process only.
//
// Some layers turn a panic into an error of their own (a Parquet decoder
// reports "panic while decoding"), so the budget also remembers its first
// refusal (Refused): a query that failed after one failed because of it.
type budget struct {
	base    memory.Allocator
	limit   int64 // 0: none
	used    atomic.Int64
	peak    atomic.Int64
	refused atomic.Pointer[memLimitError]
}

func newBudget(base memory.Allocator, limit int64) *budget {
	if base == nil {
		base = recycle.Default
	}
	return &budget{base: base, limit: limit}
}

// memLimitError is the panic value, and then the error, of an allocation
// past the limit.
type memLimitError struct {
	limit, inUse int64
	size         int64
}

func (e *memLimitError) Error() string {
	return fmt.Sprintf("memory limit %s exceeded (allocating %s with %s in use); raise --memory-limit or use a smaller query",
		formatBytes(e.limit), formatBytes(e.size), formatBytes(e.inUse))
}

// reserve accounts for delta more bytes, panicking past the limit.
func (b *budget) reserve(delta int64) {
	n := b.used.Add(delta)
	if b.limit > 0 && delta > 0 && n > b.limit {
		b.used.Add(-delta)
		e := &memLimitError{limit: b.limit, inUse: n - delta, size: delta}
		b.refused.CompareAndSwap(nil, e)
		panic(e)
	}
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (b *budget) Allocate(size int) []byte {
	b.reserve(int64(size))
	return b.base.Allocate(size)
}

// AllocateUninit is Allocate without clearing, when the base allocator can
// (see recycle.Uninit).
func (b *budget) AllocateUninit(size int) []byte {
	b.reserve(int64(size))
	return recycle.AllocateUninit(b.base, size)
}

func (b *budget) Reallocate(size int, buf []byte) []byte {
	b.reserve(int64(size - len(buf)))
	return b.base.Reallocate(size, buf)
}

func (b *budget) Free(buf []byte) {
	b.used.Add(-int64(len(buf)))
	b.base.Free(buf)
}

// Refused returns the first allocation refused, or nil.
func (b *budget) Refused() *memLimitError { return b.refused.Load() }

// Peak returns the most bytes held at once.
func (b *budget) Peak() int64 { return b.peak.Load() }

var _ recycle.Uninit = (*budget)(nil)
