package recycle

import (
	"bytes"
	"sync"
	"testing"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestClasses(t *testing.T) {
	require.Equal(t, minPooled, classSize(0))
	require.Equal(t, maxPooled, classSize(nClasses-1))
	for c := 0; c < nClasses; c++ {
		s := classSize(c)
		require.Equal(t, c, classFor(s), "class %d size %d", c, s)
		require.Equal(t, c, classOf(s), "class %d size %d", c, s)
		if c > 0 {
			prev := classSize(c - 1)
			require.Less(t, prev, s)
			require.LessOrEqual(t, s, prev+prev/4+1, "steps are at most a quarter")
			require.Equal(t, c, classFor(prev+1), "just above class %d", c-1)
			require.Equal(t, c-1, classOf(s-1), "just below class %d", c)
		}
	}
}

func TestAllocate(t *testing.T) {
	for _, size := range []int{0, 1, 100, minPooled - 1, minPooled, minPooled + 1, 5000, 1 << 16, 1<<16 + 4, maxPooled, maxPooled + 1} {
		a := New(Options{})
		b := a.Allocate(size)
		require.Len(t, b, size)
		if size > 0 {
			require.Zero(t, uintptr(unsafe.Pointer(unsafe.SliceData(b)))%alignment, "size %d aligned", size)
		}
		// sync.Pool may drop what is put (always possible, and often under
		// the race detector): free and allocate until a buffer comes back.
		reused := false
		tries := 100
		if size > 1<<20 {
			tries = 3
		}
		for try := 0; try < tries; try++ {
			copy(b, bytes.Repeat([]byte{7}, len(b)))
			a.Free(b)
			c := a.Allocate(size)
			require.Len(t, c, size)
			require.Equal(t, len(c), bytes.Count(c, []byte{0}), "size %d zeroed", size)
			if size > 0 && unsafe.SliceData(b) == unsafe.SliceData(c) {
				reused = true
				break
			}
			b = c
		}
		pooled := size >= minPooled && size <= maxPooled
		st := a.Stats()
		if pooled {
			require.True(t, reused, "size %d reused", size)
			require.Positive(t, st.Reuses, "size %d", size)
		} else {
			require.False(t, reused, "size %d not pooled", size)
			require.Equal(t, Stats{}, st, "size %d", size)
		}
	}
}

func TestReallocate(t *testing.T) {
	a := New(Options{})
	b := a.Allocate(5000)
	for i := range b {
		b[i] = byte(i)
	}
	// Growing within the class keeps the buffer; the new bytes are zero.
	g := a.Reallocate(5100, b)
	require.Equal(t, unsafe.SliceData(b), unsafe.SliceData(g))
	require.Equal(t, b, g[:5000])
	require.Equal(t, make([]byte, 100), g[5000:])
	// Shrinking and growing again zeroes what the shrink dropped.
	s := a.Reallocate(10, g)
	s = a.Reallocate(5100, s)
	require.Equal(t, b[:10], s[:10])
	require.Equal(t, make([]byte, 5090), s[10:])
	// Growing past the class moves the content to a bigger buffer and frees
	// the old one.
	big := a.Reallocate(1<<20, s)
	require.Equal(t, b[:10], big[:10])
	require.Equal(t, make([]byte, 1<<20-10), big[10:])
	a.Free(big)
	require.Len(t, a.Reallocate(100, nil), 100)
}

func TestPoison(t *testing.T) {
	a := New(Options{Poison: true})
	for _, size := range []int{10, 8000, maxPooled + 1} {
		b := a.Allocate(size)
		b[0] = 1
		view := b[:cap(b)]
		a.Free(b)
		require.Equal(t, len(view), bytes.Count(view, []byte{PoisonByte}), "size %d poisoned", size)
	}
	// A use after release of an Arrow array reads the pattern.
	mem := memory.NewCheckedAllocator(a)
	bld := array.NewInt64Builder(mem)
	for i := 0; i < 2000; i++ {
		bld.Append(int64(i))
	}
	arr := bld.NewInt64Array()
	bld.Release()
	vals := arr.Int64Values()
	require.Equal(t, int64(1999), vals[1999])
	arr.Release()
	require.Equal(t, int64(-0x5a5a5a5a5a5a5a5b), vals[1999])
	mem.AssertSize(t, 0)
}

func TestConcurrent(t *testing.T) {
	a := New(Options{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				size := minPooled + (i*7919+g*104729)%(1<<16)
				b := a.Allocate(size)
				for k := range b {
					if b[k] != 0 {
						panic("not zeroed")
					}
				}
				b[0], b[len(b)-1] = byte(g), byte(g)
				a.Free(b)
			}
		}()
	}
	wg.Wait()
	st := a.Stats()
	require.Equal(t, int64(4000), st.Allocs)
	require.Positive(t, st.Reuses)
}

// TestAllocateUninit: a reused buffer comes back as it was freed, poisoned
// under Options.Poison and not cleared; a fresh one is zero; both are pooled
// like Allocate's.
func TestAllocateUninit(t *testing.T) {
	a := New(Options{Poison: true})
	b := a.AllocateUninit(5000)
	require.Len(t, b, 5000)
	require.Equal(t, len(b), bytes.Count(b, []byte{0}), "fresh memory is zero")
	reused := false
	for try := 0; try < 100 && !reused; try++ {
		a.Free(b)
		c := a.AllocateUninit(5000)
		require.Len(t, c, 5000)
		if unsafe.SliceData(c) == unsafe.SliceData(b) {
			reused = true
			require.Equal(t, len(c), bytes.Count(c, []byte{PoisonByte}), "handed out as freed")
		}
		b = c
	}
	require.True(t, reused)
	a.Free(b)
	require.Positive(t, a.Stats().Reuses)
	require.Len(t, a.AllocateUninit(maxPooled+1), maxPooled+1, "too large to pool")
	require.Empty(t, a.AllocateUninit(0))
}
