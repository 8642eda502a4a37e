package ops

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// rowOrder compares rows of one record by a sort's keys. When the first key
// has an integer, float, date, timestamp or boolean type, it is also given as
// unsigned integers that order as the key does (direction included) and a
// NULL rank (see intKeys), and so are the keys after it up to the first one
// of another type. Sorting then compares the first key (and the second,
// when it has that form) in place, carried with each row, looks the other
// integer keys up only for rows that tie, and calls the general comparison
// only for the keys after those.
type rowOrder struct {
	full func(a, b int) int // every key
	rest func(a, b int) int // the keys after the first and next (nil: none)
	keys []uint64           // the first key as integers (nil: no such form)
	rank []uint8            // the first key's NULL rank (nil: no NULLs)
	next []intKey           // the keys after the first that have the form, up to one without
	buf  []keyRow
	buf2 []keyRow2
}

// intKey is a sort key as rowOrder's integers and NULL ranks.
type intKey struct {
	keys []uint64
	rank []uint8 // nil: no NULLs
}

// compare orders rows a and b by k.
func (k intKey) compare(a, b int32) int {
	if k.rank != nil && k.rank[a] != k.rank[b] {
		return cmp.Compare(k.rank[a], k.rank[b])
	}
	return cmp.Compare(k.keys[a], k.keys[b])
}

// keyRow is a row being sorted: its first key's NULL rank and integer form.
// Rows are compared by value: a few fields keep both in registers.
type keyRow struct {
	k    uint64
	row  int32
	rank uint8
}

// keyRow2 is a row being sorted by two keys with integer forms: the NULL
// ranks (the first key's in the high byte) and integer forms of both.
type keyRow2 struct {
	k, k2 uint64
	row   int32
	ranks uint16
}

func (r keyRow) rowNum() int32  { return r.row }
func (r keyRow2) rowNum() int32 { return r.row }

// compare orders rows a and b by the keys, ties by row number.
func (o *rowOrder) compare(a, b int) int {
	if o.keys == nil {
		if c := o.full(a, b); c != 0 {
			return c
		}
		return a - b
	}
	if c := (intKey{keys: o.keys, rank: o.rank}).compare(int32(a), int32(b)); c != 0 {
		return c
	}
	return o.after(int32(a), int32(b), o.next)
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
	next := o.next
	if len(next) == 0 {
		o.buf = topRows(o.buf, idx, k, func(r int32) keyRow {
			x := keyRow{k: o.keys[r], row: r}
			if o.rank != nil {
				x.rank = o.rank[r]
			}
			return x
		}, o.keyRowCmp())
		return
	}
	second := next[0]
	o.buf2 = topRows(o.buf2, idx, k, func(r int32) keyRow2 {
		x := keyRow2{k: o.keys[r], k2: second.keys[r], row: r}
		if o.rank != nil {
			x.ranks = uint16(o.rank[r]) << 8
		}
		if second.rank != nil {
			x.ranks |= uint16(second.rank[r])
		}
		return x
	}, func(x, y keyRow2) int {
		switch {
		case x.ranks>>8 != y.ranks>>8:
			return cmp.Compare(x.ranks>>8, y.ranks>>8)
		case x.k != y.k:
			return cmp.Compare(x.k, y.k)
		case x.ranks != y.ranks:
			return cmp.Compare(x.ranks, y.ranks)
		case x.k2 != y.k2:
			return cmp.Compare(x.k2, y.k2)
		}
		return o.after(x.row, y.row, next[1:])
	})
}

// keyRowCmp orders keyRows by the first key, then as after does.
func (o *rowOrder) keyRowCmp() func(x, y keyRow) int {
	return func(x, y keyRow) int {
		switch {
		case x.rank != y.rank:
			return cmp.Compare(x.rank, y.rank)
		case x.k != y.k:
			return cmp.Compare(x.k, y.k)
		}
		return o.after(x.row, y.row, o.next)
	}
}

// after orders rows a and b whose leading integer keys tie: by the integer
// keys next, then the other keys, then row number.
func (o *rowOrder) after(a, b int32, next []intKey) int {
	for _, k := range next {
		if c := k.compare(a, b); c != 0 {
			return c
		}
	}
	if o.rest != nil {
		if c := o.rest(int(a), int(b)); c != 0 {
			return c
		}
	}
	return int(a - b)
}

// topRows puts the first k of idx's rows in order at its start, sorting the
// rows' keys in place (form makes a row's, in buf when it is large enough;
// the buffer used is returned for reuse).
func topRows[R interface{ rowNum() int32 }](buf []R, idx []int32, k int, form func(int32) R, cmp func(x, y R) int) []R {
	if cap(buf) < len(idx) {
		buf = make([]R, len(idx))
	}
	rows := buf[:len(idx)]
	for i, r := range idx {
		rows[i] = form(r)
	}
	selectFirst(rows, k, cmp)
	slices.SortFunc(rows[:k], cmp)
	for i, r := range rows {
		idx[i] = r.rowNum()
	}
	return buf
}

// partitionTops returns the row numbers of the first keep rows (all when
// there are fewer) of each partition, in order, partition after partition:
// ids[i] is row i's partition (dense ids). A counting sort groups the rows
// by partition; with one key in integer form the rows' keys are gathered
// in that same sequential pass.
func (o *rowOrder) partitionTops(ctx context.Context, ids []uint32, keep int) ([]int32, error) {
	groups := 0
	for _, g := range ids {
		groups = max(groups, int(g)+1)
	}
	starts := make([]int32, groups+1)
	for _, g := range ids {
		starts[g+1]++
	}
	for g := 1; g <= groups; g++ {
		starts[g] += starts[g-1]
	}
	fill := slices.Clone(starts[:groups])
	idx := make([]int32, len(ids))
	var rows []keyRow
	if o.keys != nil && len(o.next) == 0 {
		rows = make([]keyRow, len(ids))
		for i, g := range ids {
			r := keyRow{k: o.keys[i], row: int32(i)}
			if o.rank != nil {
				r.rank = o.rank[i]
			}
			rows[fill[g]] = r
			fill[g]++
		}
	} else {
		for i, g := range ids {
			idx[fill[g]] = int32(i)
			fill[g]++
		}
	}
	byKey := o.keyRowCmp()
	kept := idx[:0]
	for g := 0; g < groups; g++ {
		if g%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		lo, hi := int(starts[g]), int(starts[g+1])
		k := min(keep, hi-lo)
		if rows == nil {
			part := idx[lo:hi]
			o.top(part, k)
			// Kept rows move down over dropped ones, never past their
			// own partition's start.
			kept = append(kept, part[:k]...)
			continue
		}
		part := rows[lo:hi]
		selectFirst(part, k, byKey)
		slices.SortFunc(part[:k], byKey)
		for _, r := range part[:k] {
			kept = append(kept, r.row)
		}
	}
	return kept, ctx.Err()
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
				// NULLs tie with each other: whatever the slot holds (an
				// expression computes every slot) must not order them.
				rank[i], keys[i] = nullRank, 0
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
