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
// State: the count (int64). Updates count in uint32 (cnt, or the rows it
// shares, less the NULLs skipped); Merge and counts that might pass
// MaxUint32 switch to int64 (c) for good.
type countAcc struct {
	f    *fn
	star bool
	lim  narrowing
	cnt  narrowCounts
	ng   int // groups, in the narrow layout
	res  int // groups reserved (see Reserve)
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
	a.ng = max(a.ng, n)
	a.cnt.resize(n)
	if a.cnt.rows != nil {
		for _, g := range groups {
			if int(g) >= n {
				return a.f.badGroup(g, n)
			}
		}
		a.cnt.skip(groups, m, n)
		return nil
	}
	return countRows(a.f, a.cnt.own, groups, m)
}

func countRows[C uint32 | int64](f *fn, c []C, groups []uint32, m mask) error {
	if oneGroup(groups, len(c)) {
		c[0] += C(setBits(m, len(groups)))
		return nil
	}
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
	a.c = make([]int64, a.ng, max(a.ng, a.res))
	for g := range a.c {
		a.c[g] = a.cnt.at(g)
	}
	a.cnt = narrowCounts{}
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
	o := newOut[int64](mem, a.ng)
	for g := range o.vals {
		o.vals[g] = a.cnt.at(g)
	}
	return o.array(arrow.PrimitiveTypes.Int64), nil
}

// Reserve makes room for n groups (see Reserver).
func (a *countAcc) Reserve(n int) {
	a.res = max(a.res, n)
	if a.lim.wide {
		a.c = reserveCap(a.c, n)
	} else if a.cnt.rows == nil {
		a.cnt.own = reserveCap(a.cnt.own, n)
	}
}

// ShareRows takes the counts from r (see RowSharer): count(*) then does no
// work per row, count(x) only counts the NULLs it skips.
func (a *countAcc) ShareRows(r *Rows) bool {
	if a.lim.wide || a.ng > 0 {
		return false
	}
	a.cnt.share(r)
	return true
}

func (a *countAcc) Bytes() int64 { return int64(cap(a.c))*8 + a.cnt.bytes() + int64(cap(a.mbuf)) }

func (a *countAcc) Release() {
	a.c, a.mbuf = nil, nil
	a.cnt.release()
	a.ng = 0
}
