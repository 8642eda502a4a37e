// Package recycle provides an Arrow allocator that reuses freed buffers.
//
// A query allocates its scan batches, filtered columns and partial results
// again and again, each freed after one batch: with the Go allocator every one
// is fresh memory that the kernel must fault in and zero and that the garbage
// collector must later find. An Allocator keeps freed buffers of 4 KiB to
// 64 MiB in size classes (four per power of two) and hands them out again,
// zeroed, so a scan over millions of rows runs in the same few megabytes, hot
// in cache, with few collections. Code that writes a whole buffer before
// reading it (decoded column values, gathered rows) asks for it with
// AllocateUninit, or NewBuffer for any allocator, and skips the clearing;
// wrappers that count or limit memory pass the call on (see Uninit).
//
// The pools are sync.Pools: what is not reused is returned to the garbage
// collector within two collections, so an idle process holds nothing. The
// contract is Arrow's own: memory must not be used after it is freed (after
// the last Release of the array or record that holds it), strings returned by
// String.Value included. Options.Poison fills freed buffers with a pattern so
// that tests catch a use after release, or a byte that AllocateUninit's
// caller failed to write, as a wrong answer.
package recycle
