package agg

import (
	"math"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// newSum resolves sum and avg. Both keep the same state; they differ in Final.
//
//   - integers: an exact 128-bit sum and a count, state (decimal128(38,0),
//     int64). sum returns int64 and fails with ErrOverflow when the total does
//     not fit; avg returns float64 and cannot overflow (2^64 rows would be
//     needed).
//   - decimal128(p,s): an exact 128-bit sum and a count, state
//     (decimal128(38,s), int64); sum returns decimal128(38,s) and fails with
//     ErrOverflow past 38 digits.
//   - floats: a Neumaier-compensated sum (TwoSum error terms), state (sum,
//     compensation float64, count int64).
//
// A group without non-NULL values sums to NULL; the count carries that
// through Merge. avg counts its values; sum only needs whether a group has
// one, so its count is nonzero exactly when the group has a value, and it is
// not kept per value while every group has one (see narrowCounts).
func newSum(c *call) (Func, error) {
	if c.spec.Distinct {
		return newDistinct(c)
	}
	t := c.args[0]
	avg := c.name == "avg"
	f := &fn{c: c, result: arrow.PrimitiveTypes.Float64}
	switch {
	case isInt(t) || isUint(t):
		f.state = []arrow.DataType{&arrow.Decimal128Type{Precision: 38}, arrow.PrimitiveTypes.Int64}
		if !avg {
			f.result = arrow.PrimitiveTypes.Int64
		}
		small := fitsInt32(t)
		f.newAcc = func(f *fn, _ memory.Allocator) Acc {
			return &intSumAcc{f: f, avg: avg, small: small, cnt: narrowCounts{presence: !avg}}
		}
	case t.ID() == arrow.DECIMAL128:
		scale := t.(*arrow.Decimal128Type).Scale
		dt := &arrow.Decimal128Type{Precision: 38, Scale: scale}
		f.state = []arrow.DataType{dt, arrow.PrimitiveTypes.Int64}
		if !avg {
			f.result = dt
		}
		f.newAcc = func(f *fn, _ memory.Allocator) Acc { return &intSumAcc{f: f, avg: avg, dec: true, scale: scale} }
	case isFloat(t):
		f.state = []arrow.DataType{arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64}
		f.newAcc = func(f *fn, _ memory.Allocator) Acc {
			return &floatSumAcc{f: f, avg: avg, cnt: narrowCounts{presence: !avg}}
		}
	default:
		return nil, c.errorf("%s needs a numeric argument", c.name)
	}
	return f, nil
}

func isInt(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func isUint(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

// fitsInt32 reports whether every value of integer type t fits int32.
func fitsInt32(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16:
		return true
	}
	return false
}

func isFloat(t arrow.DataType) bool { return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64 }

func isNumeric(t arrow.DataType) bool {
	return isInt(t) || isUint(t) || isFloat(t) || t.ID() == arrow.DECIMAL128
}

// i128 is a 128-bit two's complement sum and a count.
type i128 struct {
	lo uint64
	hi int64
	n  int64
}

// intSumAcc sums integers or decimals exactly in 128 bits.
//
// Integer updates use a narrow layout: the sum modulo 2^64 as a wrapping
// int64 (s), and for avg a uint32 count (cnt, usually taken from row counts
// shared with the grouping's other accumulators); sum keeps only whether a
// group has a value (see narrowCounts). The carries of int64 overflows go to
// ovf, allocated at the first one, so the exact sum of group g is
// s[g] + ovf[g]*2^64. Arguments of 32 bits or fewer that fit int32 (small)
// keep the sum modulo 2^32 in s32 instead, with carries of 2^32 in ovf: 4
// bytes a group instead of 8, and a grouping over many groups touches half
// the memory. Decimals, Merge and counts that might pass MaxUint32 use the
// wide layout st (i128), to which the narrow one converts once.
type intSumAcc struct {
	f     *fn
	avg   bool
	dec   bool
	small bool
	scale int32
	lim   narrowing
	s     []int64
	s32   []int32
	ovf   []int64
	cnt   narrowCounts
	st    []i128
	gbuf  []uint32
	vbuf  []uint64
	mbuf  []byte
}

func (a *intSumAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	if a.dec || !a.lim.admit(len(groups)) {
		a.widen()
	}
	a.resize(n)
	var err error
	switch args[0].DataType().ID() {
	case arrow.INT8:
		err = sumInts[int8](a, groups, args[0], false)
	case arrow.INT16:
		err = sumInts[int16](a, groups, args[0], false)
	case arrow.INT32:
		err = sumInts[int32](a, groups, args[0], false)
	case arrow.INT64:
		err = sumInts[int64](a, groups, args[0], false)
	case arrow.UINT8:
		err = sumInts[uint8](a, groups, args[0], false)
	case arrow.UINT16:
		err = sumInts[uint16](a, groups, args[0], false)
	case arrow.UINT32:
		err = sumInts[uint32](a, groups, args[0], false)
	case arrow.UINT64:
		err = sumInts[uint64](a, groups, args[0], true)
	case arrow.DECIMAL128:
		v, m, verr := colValues[decimal128.Num](args[0], &a.mbuf)
		if verr != nil {
			return a.f.errorf("update: %v", verr)
		}
		gs, vs := dropNulls(groups, v, m, &a.gbuf, &a.vbuf)
		err = a.addDecimals(gs, vs, nil)
	default:
		err = a.f.errorf("update: unexpected argument type %s", args[0].DataType())
	}
	return err
}

// resize makes room for n groups in the current layout.
func (a *intSumAcc) resize(n int) {
	if a.lim.wide {
		a.st = resizeZero(a.st, n)
		return
	}
	if a.small {
		a.s32 = resizeZero(a.s32, n)
	} else {
		a.s = resizeZero(a.s, n)
	}
	a.cnt.resize(n)
	if a.ovf != nil {
		a.ovf = resizeZero(a.ovf, n)
	}
}

// widen converts the narrow layout to the wide one, for good.
func (a *intSumAcc) widen() {
	if a.lim.wide {
		return
	}
	a.lim.wide = true
	st := make([]i128, max(len(a.s), len(a.s32)), max(cap(a.s), cap(a.s32)))
	for g := range st {
		st[g] = a.narrowAt(g)
	}
	a.st, a.s, a.s32, a.ovf = st, nil, nil, nil
	a.cnt = narrowCounts{}
}

// narrowAt is group g's state in the narrow layout.
func (a *intSumAcc) narrowAt(g int) i128 {
	if a.small {
		s := int64(a.s32[g])
		e := i128{lo: uint64(s), hi: s >> 63, n: a.cnt.at(g)}
		if a.ovf != nil {
			// Add ovf[g]*2^32 in 128 bits.
			o := a.ovf[g]
			var c uint64
			e.lo, c = bits.Add64(e.lo, uint64(o)<<32, 0)
			e.hi += o>>32 + int64(c)
		}
		return e
	}
	s := a.s[g]
	hi := s >> 63
	if a.ovf != nil {
		hi += a.ovf[g]
	}
	return i128{lo: uint64(s), hi: hi, n: a.cnt.at(g)}
}

// at is group g's state in either layout.
func (a *intSumAcc) at(g int) i128 {
	if a.lim.wide {
		return a.st[g]
	}
	return a.narrowAt(g)
}

func (a *intSumAcc) groups() int {
	switch {
	case a.lim.wide:
		return len(a.st)
	case a.small:
		return len(a.s32)
	}
	return len(a.s)
}

// add32 adds x to group g's narrow 32-bit sum, carrying into ovf.
func (a *intSumAcc) add32(g uint32, x int64) {
	full := int64(a.s32[g]) + x
	lo := int32(full)
	a.s32[g] = lo
	if d := (full - int64(lo)) >> 32; d != 0 {
		if a.ovf == nil {
			a.ovf = make([]int64, len(a.s32), cap(a.s32))
		}
		a.ovf[g] += d
	}
}

// carry records that adding x (as uint64 when u64) to group g's narrow sum
// old overflowed int64.
func (a *intSumAcc) carry(g uint32, old, x int64, u64 bool) {
	if a.ovf == nil {
		a.ovf = make([]int64, len(a.s), cap(a.s))
	}
	sum := old + x
	if (old^sum)&(x^sum) < 0 {
		if x < 0 {
			a.ovf[g]--
		} else {
			a.ovf[g]++
		}
	}
	if u64 && x < 0 {
		a.ovf[g]++ // x stood for x + 2^64
	}
}

// colValues returns a primitive column's values and validity.
func colValues[T any](col arrow.Array, mbuf *[]byte) ([]T, mask, error) {
	v, err := values[T](col)
	if err != nil {
		return nil, mask{}, err
	}
	m, err := maskOf(col, mbuf)
	return v, m, err
}

// sumInts adds an integer column; u64 says T is uint64, whose values past
// MaxInt64 read as negative int64.
func sumInts[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](a *intSumAcc, groups []uint32, col arrow.Array, u64 bool) error {
	v, m, err := colValues[T](col, &a.mbuf)
	if err != nil {
		return a.f.errorf("update: %v", err)
	}
	if !a.lim.wide {
		a.cnt.skip(groups, m, a.groups())
	}
	groups, v = dropNulls(groups, v, m, &a.gbuf, &a.vbuf)
	v = v[:len(groups)]
	if a.lim.wide {
		st := a.st
		for i, g := range groups {
			if int(g) >= len(st) {
				return a.f.badGroup(g, len(st))
			}
			e := &st[g]
			x := int64(v[i])
			lo, c := bits.Add64(e.lo, uint64(x), 0)
			e.lo = lo
			if u64 {
				e.hi += int64(c)
			} else {
				e.hi += x>>63 + int64(c)
			}
			e.n++
		}
		return nil
	}
	if a.small {
		return sumInts32(a, groups, v)
	}
	s := a.s
	if oneGroup(groups, len(s)) {
		if x, ok := narrowTotal(v); ok {
			old := s[0]
			sum := old + x
			if (old^sum)&(x^sum) < 0 {
				a.carry(0, old, x, false)
			}
			s[0] = sum
			if a.cnt.own != nil {
				a.cnt.own[0] += uint32(len(groups))
			}
			return nil
		}
	}
	if a.cnt.own == nil {
		// The shared rows count the values, or nothing needs counting.
		for i, g := range groups {
			if int(g) >= len(s) {
				return a.f.badGroup(g, len(s))
			}
			x := int64(v[i])
			old := s[g]
			sum := old + x
			if (old^sum)&(x^sum) < 0 || (u64 && x < 0) {
				a.carry(g, old, x, u64)
			}
			s[g] = sum
		}
		return nil
	}
	cnt := a.cnt.own[:len(s)]
	for i, g := range groups {
		if int(g) >= len(s) {
			return a.f.badGroup(g, len(s))
		}
		x := int64(v[i])
		old := s[g]
		sum := old + x
		if (old^sum)&(x^sum) < 0 || (u64 && x < 0) {
			a.carry(g, old, x, u64)
		}
		s[g] = sum
		cnt[g]++
	}
	return nil
}

// sumInts32 adds values that fit int32 to the narrow 32-bit sums.
func sumInts32[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](a *intSumAcc, groups []uint32, v []T) error {
	s := a.s32
	if oneGroup(groups, len(s)) {
		if x, ok := narrowTotal(v); ok {
			a.add32(0, x)
			if a.cnt.own != nil {
				a.cnt.own[0] += uint32(len(groups))
			}
			return nil
		}
	}
	var cnt []uint32
	if a.cnt.own != nil {
		cnt = a.cnt.own[:len(s)]
	}
	for i, g := range groups {
		if int(g) >= len(s) {
			return a.f.badGroup(g, len(s))
		}
		x := int32(v[i])
		old := s[g]
		sum := old + x
		if (old^sum)&(x^sum) < 0 {
			a.add32(g, int64(x))
		} else {
			s[g] = sum
		}
		if cnt != nil {
			cnt[g]++
		}
	}
	return nil
}

// Reserve makes room for n groups (see Reserver).
func (a *intSumAcc) Reserve(n int) {
	if a.lim.wide {
		a.st = reserveCap(a.st, n)
		return
	}
	if a.small {
		a.s32 = reserveCap(a.s32, n)
	} else {
		a.s = reserveCap(a.s, n)
	}
	if a.cnt.rows == nil && !a.cnt.presence {
		a.cnt.own = reserveCap(a.cnt.own, n)
	}
	if a.ovf != nil {
		a.ovf = reserveCap(a.ovf, n)
	}
}

// ShareRows takes the accumulator's counts from r (see RowSharer); sums of
// decimals, which keep the wide layout, count for themselves, and sum needs
// no counts.
func (a *intSumAcc) ShareRows(r *Rows) bool {
	if a.dec || a.lim.wide || a.cnt.presence || a.groups() > 0 {
		return false
	}
	a.cnt.share(r)
	return true
}

// addDecimals adds 128-bit values (and counts, when cnt is not nil; else one
// per value), failing on 128-bit overflow.
func (a *intSumAcc) addDecimals(groups []uint32, v []decimal128.Num, cnt []int64) error {
	st := a.st
	v = v[:len(groups)]
	var ovf int64
	for i, g := range groups {
		if int(g) >= len(st) {
			return a.f.badGroup(g, len(st))
		}
		e := &st[g]
		x := v[i]
		lo, c := bits.Add64(e.lo, x.LowBits(), 0)
		hi := e.hi + x.HighBits() + int64(c)
		ovf |= (e.hi ^ hi) & (x.HighBits() ^ hi)
		e.lo, e.hi = lo, hi
		if cnt == nil {
			e.n++
		} else {
			e.n += cnt[i]
		}
	}
	if ovf < 0 {
		return a.f.overflow("the sum exceeds 128 bits")
	}
	return nil
}

func (a *intSumAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	if err := noNulls(a.f, state); err != nil {
		return err
	}
	a.widen()
	a.resize(n)
	v, err := values[decimal128.Num](state[0])
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	cnt, err := values[int64](state[1])
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	return a.addDecimals(groups, v, cnt[:len(groups)])
}

// noNulls rejects state columns with NULLs, for states that never have them.
func noNulls(f *fn, state []arrow.Array) error {
	for i, s := range state {
		if s.NullN() > 0 {
			return f.errorf("merge: state column %d has NULLs", i+1)
		}
	}
	return nil
}

func (a *intSumAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	ng := a.groups()
	s := newOut[decimal128.Num](mem, ng)
	c := newOut[int64](mem, ng)
	for i := range ng {
		e := a.at(i)
		s.vals[i] = decimal128.New(e.hi, e.lo)
		c.vals[i] = e.n
	}
	return []arrow.Array{s.array(a.f.state[0]), c.array(a.f.state[1])}, nil
}

func (a *intSumAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	ng := a.groups()
	if a.avg {
		o := newOut[float64](mem, ng)
		for i := range ng {
			e := a.at(i)
			if e.n == 0 {
				o.null(i)
				continue
			}
			var total float64
			switch {
			case a.dec:
				total = decimal128.New(e.hi, e.lo).ToFloat64(a.scale)
			case e.hi == int64(e.lo)>>63:
				total = float64(int64(e.lo))
			default:
				total = decimal128.New(e.hi, e.lo).ToFloat64(0)
			}
			o.vals[i] = total / float64(e.n)
		}
		return o.array(a.f.result), nil
	}
	if a.dec {
		o := newOut[decimal128.Num](mem, ng)
		for i, e := range a.st {
			if e.n == 0 {
				o.null(i)
				continue
			}
			num := decimal128.New(e.hi, e.lo)
			if !num.FitsInPrecision(38) {
				o.release()
				return nil, a.f.overflow("the sum of group %d exceeds 38 digits", i)
			}
			o.vals[i] = num
		}
		return o.array(a.f.result), nil
	}
	o := newOut[int64](mem, ng)
	for i := range ng {
		e := a.at(i)
		if e.n == 0 {
			o.null(i)
			continue
		}
		if e.hi != int64(e.lo)>>63 {
			o.release()
			return nil, a.f.overflow("the sum of group %d is out of int64 range", i)
		}
		o.vals[i] = int64(e.lo)
	}
	return o.array(a.f.result), nil
}

func (a *intSumAcc) Bytes() int64 {
	return int64(cap(a.st))*24 + int64(cap(a.s)+cap(a.ovf))*8 + int64(cap(a.s32))*4 + a.cnt.bytes() +
		int64(cap(a.gbuf))*4 + int64(cap(a.vbuf))*8 + int64(cap(a.mbuf))
}

func (a *intSumAcc) Release() {
	a.st, a.s, a.s32, a.ovf, a.gbuf, a.vbuf, a.mbuf = nil, nil, nil, nil, nil, nil, nil
	a.cnt.release()
}

// fsum is a compensated float sum: the total is s + c.
type fsum struct {
	s, c float64
	n    int64
}

func (e fsum) total() float64 {
	if math.IsInf(e.s, 0) || math.IsNaN(e.s) {
		return e.s
	}
	return e.s + e.c
}

// fpair is the sum and compensation of a narrow float sum.
type fpair struct{ s, c float64 }

// floatSumAcc sums floats with Neumaier compensation. Updates use a narrow
// layout: sum and compensation (sc), 16 bytes per group, and for avg a
// uint32 count (cnt, usually shared row counts); sum keeps only whether a
// group has a value (see narrowCounts). Merge and counts that might pass
// MaxUint32 use the wide layout st, to which the narrow one converts once.
type floatSumAcc struct {
	f    *fn
	avg  bool
	lim  narrowing
	sc   []fpair
	cnt  narrowCounts
	st   []fsum
	gbuf []uint32
	vbuf []uint64
	mbuf []byte
}

func (a *floatSumAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	if !a.lim.admit(len(groups)) {
		a.widen()
	}
	a.resize(n)
	if args[0].DataType().ID() == arrow.FLOAT32 {
		return sumFloats[float32](a, groups, args[0])
	}
	return sumFloats[float64](a, groups, args[0])
}

func (a *floatSumAcc) resize(n int) {
	if a.lim.wide {
		a.st = resizeZero(a.st, n)
		return
	}
	a.sc = resizeZero(a.sc, n)
	a.cnt.resize(n)
}

// widen converts the narrow layout to the wide one, for good.
func (a *floatSumAcc) widen() {
	if a.lim.wide {
		return
	}
	a.lim.wide = true
	st := make([]fsum, len(a.sc), cap(a.sc))
	for g, p := range a.sc {
		st[g] = fsum{s: p.s, c: p.c, n: a.cnt.at(g)}
	}
	a.st, a.sc = st, nil
	a.cnt = narrowCounts{}
}

// at is group g's state in either layout.
func (a *floatSumAcc) at(g int) fsum {
	if a.lim.wide {
		return a.st[g]
	}
	return fsum{s: a.sc[g].s, c: a.sc[g].c, n: a.cnt.at(g)}
}

func (a *floatSumAcc) groups() int {
	if a.lim.wide {
		return len(a.st)
	}
	return len(a.sc)
}

func sumFloats[T float32 | float64](a *floatSumAcc, groups []uint32, col arrow.Array) error {
	v, m, err := colValues[T](col, &a.mbuf)
	if err != nil {
		return a.f.errorf("update: %v", err)
	}
	if !a.lim.wide {
		a.cnt.skip(groups, m, len(a.sc))
	}
	groups, v = dropNulls(groups, v, m, &a.gbuf, &a.vbuf)
	v = v[:len(groups)]
	if a.lim.wide {
		st := a.st
		if oneGroup(groups, len(st)) {
			s, c := floatTotal(v)
			e := &st[0]
			e.s, e.c = twoSum(e.s, e.c+c, s)
			e.n += int64(len(groups))
			return nil
		}
		for i, g := range groups {
			if int(g) >= len(st) {
				return a.f.badGroup(g, len(st))
			}
			e := &st[g]
			e.s, e.c = twoSum(e.s, e.c, float64(v[i]))
			e.n++
		}
		return nil
	}
	sc := a.sc
	if oneGroup(groups, len(sc)) {
		s, c := floatTotal(v)
		e := &sc[0]
		e.s, e.c = twoSum(e.s, e.c+c, s)
		if a.cnt.own != nil {
			a.cnt.own[0] += uint32(len(groups))
		}
		return nil
	}
	if a.cnt.own == nil {
		// The shared rows count the values, or nothing needs counting.
		for i, g := range groups {
			if int(g) >= len(sc) {
				return a.f.badGroup(g, len(sc))
			}
			e := &sc[g]
			e.s, e.c = twoSum(e.s, e.c, float64(v[i]))
		}
		return nil
	}
	cnt := a.cnt.own[:len(sc)]
	for i, g := range groups {
		if int(g) >= len(sc) {
			return a.f.badGroup(g, len(sc))
		}
		e := &sc[g]
		e.s, e.c = twoSum(e.s, e.c, float64(v[i]))
		cnt[g]++
	}
	return nil
}

// Reserve makes room for n groups (see Reserver).
func (a *floatSumAcc) Reserve(n int) {
	if a.lim.wide {
		a.st = reserveCap(a.st, n)
		return
	}
	a.sc = reserveCap(a.sc, n)
	if a.cnt.rows == nil && !a.cnt.presence {
		a.cnt.own = reserveCap(a.cnt.own, n)
	}
}

// ShareRows takes the accumulator's counts from r (see RowSharer); sum needs
// no counts.
func (a *floatSumAcc) ShareRows(r *Rows) bool {
	if a.lim.wide || a.cnt.presence || a.groups() > 0 {
		return false
	}
	a.cnt.share(r)
	return true
}

func (a *floatSumAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	if err := noNulls(a.f, state); err != nil {
		return err
	}
	a.widen()
	a.resize(n)
	s, err1 := values[float64](state[0])
	c, err2 := values[float64](state[1])
	cnt, err3 := values[int64](state[2])
	if err := firstErr(err1, err2, err3); err != nil {
		return a.f.errorf("merge: %v", err)
	}
	st := a.st
	s, c, cnt = s[:len(groups)], c[:len(groups)], cnt[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return a.f.badGroup(g, len(st))
		}
		e := &st[g]
		x := s[i]
		t := e.s + x
		bp := t - e.s
		e.c += (e.s - (t - bp)) + (x - bp) + c[i]
		e.s = t
		e.n += cnt[i]
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *floatSumAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	ng := a.groups()
	s := newOut[float64](mem, ng)
	c := newOut[float64](mem, ng)
	cnt := newOut[int64](mem, ng)
	for i := range ng {
		e := a.at(i)
		s.vals[i], c.vals[i], cnt.vals[i] = e.s, e.c, e.n
	}
	return []arrow.Array{s.array(a.f.state[0]), c.array(a.f.state[1]), cnt.array(a.f.state[2])}, nil
}

func (a *floatSumAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	ng := a.groups()
	o := newOut[float64](mem, ng)
	for i := range ng {
		e := a.at(i)
		switch {
		case e.n == 0:
			o.null(i)
		case a.avg:
			o.vals[i] = e.total() / float64(e.n)
		default:
			o.vals[i] = e.total()
		}
	}
	return o.array(a.f.result), nil
}

func (a *floatSumAcc) Bytes() int64 {
	return int64(cap(a.st))*24 + int64(cap(a.sc))*16 + a.cnt.bytes() +
		int64(cap(a.gbuf))*4 + int64(cap(a.vbuf))*8 + int64(cap(a.mbuf))
}

func (a *floatSumAcc) Release() {
	a.st, a.sc, a.gbuf, a.vbuf, a.mbuf = nil, nil, nil, nil, nil
	a.cnt.release()
}
