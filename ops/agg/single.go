package agg

import (
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// A global aggregate (no GROUP BY) puts every row in group 0. The scatter
// loops would then add into one memory cell row after row, each addition
// waiting for the store of the one before; the functions here sum such a
// batch in registers, over independent lanes, and add the total once.

// oneGroup reports whether every row of the batch is in group 0 of n = 1
// groups. A batch that claims one group but names another id is left to
// the general loops, which report it.
func oneGroup(groups []uint32, n int) bool {
	if n != 1 {
		return false
	}
	var o0, o1, o2, o3 uint32
	i := 0
	for ; i+4 <= len(groups); i += 4 {
		o0 |= groups[i]
		o1 |= groups[i+1]
		o2 |= groups[i+2]
		o3 |= groups[i+3]
	}
	for ; i < len(groups); i++ {
		o0 |= groups[i]
	}
	return o0|o1|o2|o3 == 0
}

// setBits counts the rows of a batch of n whose bit in m is set (all of
// them without a mask).
func setBits(m mask, n int) int {
	if m.bits == nil {
		return n
	}
	return bitutil.CountSetBits(m.bits, m.off, n)
}

// twoSum adds x to the compensated sum (s, c): Neumaier's step, written as
// Knuth's branch-free 2Sum. Float sums add their values through it.
func twoSum(s, c, x float64) (float64, float64) {
	t := s + x
	bp := t - s
	return t, c + ((s - (t - bp)) + (x - bp))
}

// floatTotal is the compensated sum of v: (s, c) with s + c the total.
func floatTotal[T float32 | float64](v []T) (s, c float64) { return shiftedTotal(v, 0) }

// shiftedTotal is the compensated sum of v's values less k, summed over
// four lanes so that consecutive additions do not wait on each other. Lane
// totals are combined with the same compensation.
func shiftedTotal[T float32 | float64](v []T, k float64) (s, c float64) {
	var s0, s1, s2, s3, c0, c1, c2, c3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0, c0 = twoSum(s0, c0, float64(v[i])-k)
		s1, c1 = twoSum(s1, c1, float64(v[i+1])-k)
		s2, c2 = twoSum(s2, c2, float64(v[i+2])-k)
		s3, c3 = twoSum(s3, c3, float64(v[i+3])-k)
	}
	for ; i < len(v); i++ {
		s0, c0 = twoSum(s0, c0, float64(v[i])-k)
	}
	s, c = twoSum(s0, c0+c1+c2+c3, s1)
	s, c = twoSum(s, c, s2)
	return twoSum(s, c, s3)
}

// intTotal is the sum of v, whose values are narrower than 64 bits: fewer
// than 2^31 of them (a batch) cannot overflow an int64.
func intTotal[T int8 | int16 | int32 | uint8 | uint16 | uint32](v []T) int64 {
	var s0, s1, s2, s3 int64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += int64(v[i])
		s1 += int64(v[i+1])
		s2 += int64(v[i+2])
		s3 += int64(v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += int64(v[i])
	}
	return s0 + s1 + s2 + s3
}

// narrowTotal is intTotal(v) for the integer types it takes; ok is false
// for 64-bit values, which need the overflow check of every addition.
func narrowTotal[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](v []T) (total int64, ok bool) {
	switch x := any(v).(type) {
	case []int8:
		return intTotal(x), true
	case []int16:
		return intTotal(x), true
	case []int32:
		return intTotal(x), true
	case []uint8:
		return intTotal(x), true
	case []uint16:
		return intTotal(x), true
	case []uint32:
		return intTotal(x), true
	}
	return 0, false
}
