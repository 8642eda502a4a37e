package agg

import (
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// Rows counts the rows of every group of one grouping once, for all the
// accumulators that share it (see RowSharer). It is used by one goroutine at
// a time, like the accumulators.
type Rows struct {
	lim narrowing
	n32 []uint32 // while every count fits
	n   []int64  // once a count might pass MaxUint32
}

// Add counts the rows of a batch: groups[i] is the group of row i and n the
// number of groups after the batch (every id < n). Call it after passing the
// batch to the sharing accumulators' Update.
func (r *Rows) Add(groups []uint32, n int) {
	if !r.lim.admit(len(groups)) && !r.lim.wide {
		r.lim.wide = true
		r.n = make([]int64, len(r.n32), cap(r.n32))
		for g, x := range r.n32 {
			r.n[g] = int64(x)
		}
		r.n32 = nil
	}
	if r.lim.wide {
		r.n = resizeZero(r.n, n)
		if oneGroup(groups, n) {
			r.n[0] += int64(len(groups))
			return
		}
		addRows(r.n, groups)
		return
	}
	r.n32 = resizeZero(r.n32, n)
	if oneGroup(groups, n) {
		r.n32[0] += uint32(len(groups))
		return
	}
	addRows(r.n32, groups)
}

func addRows[C uint32 | int64](c []C, groups []uint32) {
	for _, g := range groups {
		c[g]++
	}
}

// At returns the rows counted for group g (0 for a group not seen).
func (r *Rows) At(g int) int64 {
	if r.lim.wide {
		if g < len(r.n) {
			return r.n[g]
		}
		return 0
	}
	if g < len(r.n32) {
		return int64(r.n32[g])
	}
	return 0
}

// Reserve makes room for n groups (see Reserver).
func (r *Rows) Reserve(n int) {
	if r.lim.wide {
		r.n = reserveCap(r.n, n)
		return
	}
	r.n32 = reserveCap(r.n32, n)
}

// Bytes estimates the memory held.
func (r *Rows) Bytes() int64 { return int64(cap(r.n32))*4 + int64(cap(r.n))*8 }

// RowSharer is an Acc that can take its per-group count of non-NULL values
// from Rows that the caller keeps once for all the accumulators of a
// grouping, instead of counting every value in a state array of its own: a
// grouping over many groups then touches one count per row rather than one
// per accumulator. After ShareRows(r), called on an empty accumulator before
// its first Update, the caller must add every batch it passes to Update to r
// (Rows.Add, after the Updates); the accumulator counts only the NULL
// arguments it skips. ShareRows reports whether the accumulator shares: one
// that cannot (it already holds groups, keeps a layout that counts for
// itself, or needs no counts) does nothing and reports false, and the caller
// need not keep Rows for it. Merge ends the sharing: the accumulator counts
// for itself from then on.
type RowSharer interface {
	Acc
	ShareRows(r *Rows) bool
}

// narrowCounts is the per-group count of an accumulator's narrow layout:
// every value counted in own, or, when rows is set, the shared row counts
// less the NULL arguments skipped (nulls, allocated at the first).
//
// With presence set (sum, whose result needs only whether a group has a
// value) nothing is counted: every group has a value until the first NULL
// argument, since every group comes from a row of a batch the accumulator
// saw (checked: a caller may make groups without rows); from the first NULL
// or group without a row on, has[g] records it. at then returns 1 or 0.
type narrowCounts struct {
	own   []uint32
	rows  *Rows
	nulls []uint32

	presence bool
	has      []byte // presence: nil until a group might lack a value
	known    int    // presence: the groups when has was last brought up to date
}

// share starts taking counts from r.
func (c *narrowCounts) share(r *Rows) { c.rows, c.own = r, nil }

func (c *narrowCounts) resize(n int) {
	switch {
	case c.presence:
		if c.has != nil {
			c.has = resizeZero(c.has, n)
		}
	case c.rows == nil:
		c.own = resizeZero(c.own, n)
	case c.nulls != nil:
		c.nulls = resizeZero(c.nulls, n)
	}
}

// at returns group g's count (with presence: 1 when it has a value, else 0).
func (c *narrowCounts) at(g int) int64 {
	if c.presence {
		if c.has == nil || c.has[g] != 0 {
			return 1
		}
		return 0
	}
	if c.rows == nil {
		return int64(c.own[g])
	}
	n := c.rows.At(g)
	if c.nulls != nil {
		n -= int64(c.nulls[g])
	}
	return n
}

// skip notes the rows whose argument is NULL (m's unset bits): counts them
// when sharing, or marks the groups with a value under presence; n is the
// number of groups. Accumulators that count in own count in their loops.
func (c *narrowCounts) skip(groups []uint32, m mask, n int) {
	if c.presence {
		c.mark(groups, m, n)
		return
	}
	if c.rows == nil || m.bits == nil {
		return
	}
	if oneGroup(groups, n) {
		if k := len(groups) - setBits(m, len(groups)); k > 0 {
			if c.nulls == nil {
				c.nulls = make([]uint32, n)
			}
			c.nulls[0] += uint32(k)
		}
		return
	}
	for i, g := range groups {
		if !bitutil.BitIsSet(m.bits, m.off+i) && int(g) < n {
			if c.nulls == nil {
				c.nulls = make([]uint32, n)
			}
			c.nulls[g]++
		}
	}
}

// mark records which groups of a batch have a value, under presence.
func (c *narrowCounts) mark(groups []uint32, m mask, n int) {
	known := c.known
	c.known = max(known, n)
	switch {
	case c.has != nil:
		c.has = resizeZero(c.has, n)
	case m.bits == nil && c.allAppear(groups, known, n):
		return
	default:
		// The first NULL, or a group without a row: the groups known so
		// far all have values.
		c.has = make([]byte, n)
		for g := range min(known, n) {
			c.has[g] = 1
		}
	}
	has := c.has
	for i, g := range groups {
		if int(g) < len(has) && (m.bits == nil || bitutil.BitIsSet(m.bits, m.off+i)) {
			has[g] = 1
		}
	}
}

// allAppear reports whether every group in [known, n) has a row in groups.
// A group table numbers new groups in the order their first rows come, so it
// looks for known, known+1, ... in that order: one compare per row, and a
// caller that numbers them otherwise only loses the shortcut (mark then
// keeps has).
func (c *narrowCounts) allAppear(groups []uint32, known, n int) bool {
	if n <= known {
		return true
	}
	next, end := uint32(known), uint32(n)
	for _, g := range groups {
		if g == next {
			next++
			if next == end {
				return true
			}
		}
	}
	return false
}

func (c *narrowCounts) bytes() int64 { return int64(cap(c.own)+cap(c.nulls))*4 + int64(cap(c.has)) }

func (c *narrowCounts) release() { c.own, c.nulls, c.has = nil, nil, nil }

// Reserver is an Acc that can make room for n groups up front, so that
// growing to them copies nothing. It is a hint: a caller that knows about
// how many groups it will make (a merge of partial results) calls it before
// the first Update or Merge.
type Reserver interface {
	Acc
	Reserve(n int)
}
