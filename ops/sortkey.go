package ops

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// rowOrder compares rows of one record by a sort's keys. When the first key
// has a fixed-width numeric, temporal or boolean type, it is also given as
// unsigned integers that order as the key does (direction included) and a
// NULL rank, so that sorting compares those in place and calls the general
// comparison only for the other keys of rows whose first keys tie.
type rowOrder struct {
	full func(a, b int) int // every key
	rest func(a, b int) int // every key but the first (nil: there are none)
	keys []uint64           // the first key as integers (nil: no such form)
	rank []uint8            // the first key's NULL rank (nil: no NULLs)
	buf  []keyRow
}

// keyRow is a row being sorted: its first key's NULL rank and integer form.
type keyRow struct {
	k    uint64
	row  int32
	rank uint8
}

// sort orders idx (row numbers) by the keys, ties by row number.
func (o *rowOrder) sort(idx []int32) { o.top(idx, len(idx)) }

// top puts the first k rows of idx in order (by the keys, ties by row
// number) at its start; the rest are left in no particular order.
func (o *rowOrder) top(idx []int32, k int) {
	k = min(k, len(idx))
	if o.keys == nil {
		byRow := func(a, b int32) int {
			if c := o.full(int(a), int(b)); c != 0 {
				return c
			}
			return int(a - b)
		}
		selectFirst(idx, k, byRow)
		slices.SortFunc(idx[:k], byRow)
		return
	}
	if cap(o.buf) < len(idx) {
		o.buf = make([]keyRow, len(idx))
	}
	rows := o.buf[:len(idx)]
	for i, r := range idx {
		rows[i] = keyRow{k: o.keys[r], row: r}
		if o.rank != nil {
			rows[i].rank = o.rank[r]
		}
	}
	rest := o.rest
	byKey := func(x, y keyRow) int {
		switch {
		case x.rank != y.rank:
			return cmp.Compare(x.rank, y.rank)
		case x.k < y.k:
			return -1
		case x.k > y.k:
			return 1
		}
		if rest != nil {
			if c := rest(int(x.row), int(y.row)); c != 0 {
				return c
			}
		}
		return int(x.row - y.row)
	}
	selectFirst(rows, k, byKey)
	slices.SortFunc(rows[:k], byKey)
	for i, r := range rows {
		idx[i] = r.row
	}
}

// selectFirst reorders v so that its first k elements are the k smallest by
// cmp (a strict order: no two elements compare equal), in no particular
// order: introselect, Hoare partitions around a median of three, sorting
// small or stubborn ranges.
func selectFirst[T any](v []T, k int, cmp func(a, b T) int) {
	if k <= 0 || k >= len(v) {
		return
	}
	lo, hi := 0, len(v)-1
	depth := 2 * bits.Len(uint(len(v)))
	for hi > lo {
		if hi-lo < 16 || depth == 0 {
			slices.SortFunc(v[lo:hi+1], cmp)
			return
		}
		depth--
		mid := lo + (hi-lo)/2
		if cmp(v[mid], v[lo]) < 0 {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if cmp(v[hi], v[lo]) < 0 {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if cmp(v[hi], v[mid]) < 0 {
			v[hi], v[mid] = v[mid], v[hi]
		}
		p := v[mid]
		i, j := lo, hi
		for i <= j {
			for cmp(v[i], p) < 0 {
				i++
			}
			for cmp(v[j], p) > 0 {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		// v[lo..j] <= p <= v[i..hi]; between them only p itself.
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// intKeys returns a's values as unsigned integers in the order compareFunc
// gives them (NaN after every number, -0 equal to 0; reversed when desc),
// and the NULL rank of each row (0 before values, 1 values, 2 after; nil
// without NULLs). ok is false for types with no such form.
func intKeys(a arrow.Array, desc, nullsFirst bool) (keys []uint64, rank []uint8, ok bool) {
	n := a.Len()
	keys = make([]uint64, n)
	switch a := a.(type) {
	case *array.Int8:
		signedKeys(keys, a.Int8Values())
	case *array.Int16:
		signedKeys(keys, a.Int16Values())
	case *array.Int32:
		signedKeys(keys, a.Int32Values())
	case *array.Int64:
		signedKeys(keys, a.Int64Values())
	case *array.Date32:
		signedKeys(keys, a.Date32Values())
	case *array.Date64:
		signedKeys(keys, a.Date64Values())
	case *array.Timestamp:
		signedKeys(keys, a.TimestampValues())
	case *array.Uint8:
		unsignedKeys(keys, a.Uint8Values())
	case *array.Uint16:
		unsignedKeys(keys, a.Uint16Values())
	case *array.Uint32:
		unsignedKeys(keys, a.Uint32Values())
	case *array.Uint64:
		unsignedKeys(keys, a.Uint64Values())
	case *array.Float32:
		floatKeys(keys, a.Float32Values())
	case *array.Float64:
		floatKeys(keys, a.Float64Values())
	case *array.Boolean:
		for i := range keys {
			if a.Value(i) {
				keys[i] = 1
			}
		}
	default:
		return nil, nil, false
	}
	if desc {
		for i, k := range keys {
			keys[i] = ^k
		}
	}
	if a.NullN() > 0 {
		rank = make([]uint8, n)
		nullRank := uint8(2)
		if nullsFirst {
			nullRank = 0
		}
		for i := range rank {
			rank[i] = 1
			if a.IsNull(i) {
				rank[i] = nullRank
			}
		}
	}
	return keys, rank, true
}

func signedKeys[T int8 | int16 | int32 | int64 | arrow.Date32 | arrow.Date64 | arrow.Timestamp](dst []uint64, v []T) {
	for i, x := range v[:len(dst)] {
		dst[i] = uint64(int64(x)) ^ 1<<63
	}
}

func unsignedKeys[T uint8 | uint16 | uint32 | uint64](dst []uint64, v []T) {
	for i, x := range v[:len(dst)] {
		dst[i] = uint64(x)
	}
}

// floatKeys maps floats to integers in IEEE order with the sign folded in:
// negative numbers have every bit flipped, others the sign bit set. Zeros
// are one key, and NaNs, all alike, the largest.
func floatKeys[T float32 | float64](dst []uint64, v []T) {
	for i, x := range v[:len(dst)] {
		f := float64(x)
		switch {
		case f != f:
			dst[i] = math.MaxUint64
		case f == 0:
			dst[i] = 1 << 63
		default:
			b := math.Float64bits(f)
			if b>>63 != 0 {
				dst[i] = ^b
			} else {
				dst[i] = b | 1<<63
			}
		}
	}
}
