package agg

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

func newCountStar(c *call) (Func, error) {
	return &fn{c: c, result: arrow.PrimitiveTypes.Int64, state: []arrow.DataType{arrow.PrimitiveTypes.Int64},
		newAcc: func(f *fn, _ memory.Allocator) Acc { return &countAcc{f: f, star: true} }}, nil
}

func newCount(c *call) (Func, error) {
	if c.spec.Distinct {
		return newDistinct(c)
	}
	return &fn{c: c, result: arrow.PrimitiveTypes.Int64, state: []arrow.DataType{arrow.PrimitiveTypes.Int64},
		newAcc: func(f *fn, _ memory.Allocator) Acc { return &countAcc{f: f} }}, nil
}

// countAcc counts rows (count_star) or non-NULL values (count) per group.
// State: the count (int64). Updates count in uint32 (c32); Merge and counts
// that might pass MaxUint32 switch to int64 (c) for good.
type countAcc struct {
	f    *fn
	star bool
	lim  narrowing
	c32  []uint32
	c    []int64
	mbuf []byte
}

func (a *countAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	if !a.lim.admit(len(groups)) {
		a.widen()
	}
	m := mask{}
	if !a.star {
		var err error
		if m, err = maskOf(args[0], &a.mbuf); err != nil {
			return a.f.errorf("update: %v", err)
		}
	}
	if a.lim.wide {
		a.c = resizeZero(a.c, n)
		return countRows(a.f, a.c, groups, m)
	}
	a.c32 = resizeZero(a.c32, n)
	return countRows(a.f, a.c32, groups, m)
}

func countRows[C uint32 | int64](f *fn, c []C, groups []uint32, m mask) error {
	if m.bits == nil {
		for _, g := range groups {
			if int(g) >= len(c) {
				return f.badGroup(g, len(c))
			}
			c[g]++
		}
		return nil
	}
	for i, g := range groups {
		if int(g) >= len(c) {
			return f.badGroup(g, len(c))
		}
		if bitutil.BitIsSet(m.bits, m.off+i) {
			c[g]++
		}
	}
	return nil
}

// widen switches to int64 counts for good.
func (a *countAcc) widen() {
	if a.lim.wide {
		return
	}
	a.lim.wide = true
	a.c = make([]int64, len(a.c32), cap(a.c32))
	for g, x := range a.c32 {
		a.c[g] = int64(x)
	}
	a.c32 = nil
}

func (a *countAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	a.widen()
	a.c = resizeZero(a.c, n)
	v, err := values[int64](state[0])
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	m, err := maskOf(state[0], nil)
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	c := a.c
	v = v[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(c) {
			return a.f.badGroup(g, len(c))
		}
		if m.valid(i) {
			c[g] += v[i]
		}
	}
	return nil
}

func (a *countAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	f, err := a.Final(mem)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{f}, nil
}

func (a *countAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	if a.lim.wide {
		o := newOut[int64](mem, len(a.c))
		copy(o.vals, a.c)
		return o.array(arrow.PrimitiveTypes.Int64), nil
	}
	o := newOut[int64](mem, len(a.c32))
	for g, x := range a.c32 {
		o.vals[g] = int64(x)
	}
	return o.array(arrow.PrimitiveTypes.Int64), nil
}

func (a *countAcc) Bytes() int64 { return int64(cap(a.c))*8 + int64(cap(a.c32))*4 + int64(cap(a.mbuf)) }

func (a *countAcc) Release() { a.c, a.c32, a.mbuf = nil, nil, nil }
