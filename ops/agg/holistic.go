package agg

import (
	"math"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// chunks is an append-only sequence stored in fixed-size blocks, so growing
// it never copies what it holds.
type chunks[T any] struct {
	blocks [][]T
	n      int
}

const chunkLen = 1 << 16

func (c *chunks[T]) append(v []T) {
	for len(v) > 0 {
		if len(c.blocks) == 0 || len(c.blocks[len(c.blocks)-1]) == chunkLen {
			c.blocks = append(c.blocks, make([]T, 0, chunkLen))
		}
		b := &c.blocks[len(c.blocks)-1]
		k := min(len(v), chunkLen-len(*b))
		*b = append(*b, v[:k]...)
		v = v[k:]
		c.n += k
	}
}

func (c *chunks[T]) bytes() int64 {
	var z T
	return int64(len(c.blocks)) * chunkLen * int64(unsafe.Sizeof(z))
}

// byGroupChunks is byGroup over chunked pairs.
func byGroupChunks[T any](n int, pg *chunks[uint32], pv *chunks[T], dst []T) []int {
	if n == 1 {
		// One group (ids are checked on the way in): the values in order.
		at := 0
		for k, b := range pg.blocks {
			at += copy(dst[at:], pv.blocks[k][:len(b)])
		}
		return []int{0, at}
	}
	offs := make([]int, n+1)
	for _, b := range pg.blocks {
		for _, g := range b {
			offs[g+1]++
		}
	}
	for g := 1; g <= n; g++ {
		offs[g] += offs[g-1]
	}
	for k, b := range pg.blocks {
		v := pv.blocks[k][:len(b)]
		for i, g := range b {
			dst[offs[g]] = v[i]
			offs[g]++
		}
	}
	copy(offs[1:], offs[:n])
	offs[0] = 0
	return offs
}

// byGroup arranges the values pv (of groups pg) by group into dst, keeping
// their order within a group, and returns the n+1 group offsets into dst.
func byGroup[T any](n int, pg []uint32, pv []T, dst []T) []int {
	if n == 1 {
		// One group (ids are checked on the way in): the values in order.
		return []int{0, copy(dst, pv[:len(pg)])}
	}
	offs := make([]int, n+1)
	for _, g := range pg {
		offs[g+1]++
	}
	for g := 1; g <= n; g++ {
		offs[g] += offs[g-1]
	}
	pv = pv[:len(pg)]
	for i, g := range pg {
		dst[offs[g]] = pv[i]
		offs[g]++
	}
	copy(offs[1:], offs[:n])
	offs[0] = 0
	return offs
}

// listOffsets converts group offsets to an int32 list-offsets column.
func listOffsets(mem memory.Allocator, f *fn, offs []int) (*out[int32], error) {
	if offs[len(offs)-1] > math.MaxInt32 {
		return nil, f.errorf("state of %d values exceeds the list offset range", offs[len(offs)-1])
	}
	o := newOut[int32](mem, len(offs))
	for i, x := range offs {
		o.vals[i] = int32(x)
	}
	return o, nil
}

// newQuantile resolves median and quantile_cont over a numeric argument
// (taken as float64). It is holistic: the partial state is the list of the
// group's non-NULL values (list<float64>); Final selects the two neighbouring
// order statistics and interpolates linearly at q*(n-1), as DuckDB's
// quantile_cont. NaN sorts above every number.
func newQuantile(c *call) (Func, error) {
	if !isNumeric(c.args[0]) {
		return nil, c.errorf("%s needs a numeric argument", c.name)
	}
	q := c.spec.Param
	if c.name == "median" {
		q = 0.5
	}
	return &fn{c: c, result: arrow.PrimitiveTypes.Float64,
		state:  []arrow.DataType{arrow.ListOf(arrow.PrimitiveTypes.Float64)},
		newAcc: func(f *fn, _ memory.Allocator) Acc { return &quantAcc{f: f, q: q} }}, nil
}

// quantAcc collects (group, value) pairs in arrival order.
type quantAcc struct {
	f    *fn
	q    float64
	n    int
	pg   chunks[uint32]
	pv   chunks[float64]
	fbuf []float64
	gbuf []uint32
	vbuf []uint64
	mbuf []byte
	kbuf []byte
}

func (a *quantAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	a.n = max(a.n, n)
	v, m, err := floats(args[0], &a.fbuf, &a.mbuf)
	if err != nil {
		return a.f.errorf("update: %v", err)
	}
	return a.add(groups, v, m)
}

func (a *quantAcc) add(groups []uint32, v []float64, m mask) error {
	groups, v = dropNulls(groups, v, m, &a.gbuf, &a.vbuf)
	if err := checkGroups(a.f, groups, a.n); err != nil {
		return err
	}
	a.pg.append(groups)
	a.pv.append(v)
	return nil
}

func (a *quantAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	a.n = max(a.n, n)
	child, eg, km, err := listElems(state[0], groups, &a.gbuf, &a.kbuf)
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	defer child.Release()
	v, err := values[float64](child)
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	// eg lives in a.gbuf, which dropNulls compacts in place: safe, as it only
	// writes rows it has read.
	return a.add(eg, v, km)
}

func (a *quantAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	child := newOut[float64](mem, a.pv.n)
	offs, err := listOffsets(mem, a.f, byGroupChunks(a.n, &a.pg, &a.pv, child.vals))
	if err != nil {
		child.release()
		return nil, err
	}
	c := child.array(arrow.PrimitiveTypes.Float64)
	defer c.Release()
	return []arrow.Array{listArray(offs, c)}, nil
}

func (a *quantAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	sorted := make([]float64, a.pv.n)
	offs := byGroupChunks(a.n, &a.pg, &a.pv, sorted)
	o := newOut[float64](mem, a.n)
	for g := 0; g < a.n; g++ {
		v, ok := quantile(sorted[offs[g]:offs[g+1]], a.q)
		if !ok {
			o.null(g)
			continue
		}
		o.vals[g] = v
	}
	return o.array(a.f.result), nil
}

func (a *quantAcc) Bytes() int64 {
	return a.pg.bytes() + a.pv.bytes() + int64(cap(a.fbuf))*8 + int64(cap(a.gbuf))*4 +
		int64(cap(a.vbuf))*8 + int64(cap(a.mbuf)+cap(a.kbuf))
}

func (a *quantAcc) Release() { *a = quantAcc{f: a.f, q: a.q} }

// quantile returns the q-quantile of v (reordering v), interpolating between
// the order statistics around q*(len-1); false when v is empty.
func quantile(v []float64, q float64) (float64, bool) {
	n := len(v)
	if n == 0 {
		return 0, false
	}
	k := n // NaNs go to v[k:], above every number
	for i := 0; i < k; {
		if v[i] != v[i] {
			k--
			v[i], v[k] = v[k], v[i]
		} else {
			i++
		}
	}
	h := q * float64(n-1)
	lo := int(math.Floor(h))
	hi := min(int(math.Ceil(h)), n-1)
	if lo >= k || hi >= k {
		return math.NaN(), true
	}
	selectK(v[:k], lo)
	a := v[lo]
	if hi == lo {
		return a, true
	}
	b := slices.Min(v[lo+1 : k])
	if a == b {
		return a, true
	}
	return a + (h-float64(lo))*(b-a), true
}

// selectK reorders v (no NaNs) so that v[k] is its k-th smallest value, the
// values before it are no larger and those after no smaller (introselect).
func selectK(v []float64, k int) {
	lo, hi := 0, len(v)-1
	depth := 2 * bits.Len(uint(len(v)))
	for hi > lo {
		if hi-lo < 16 || depth == 0 {
			slices.Sort(v[lo : hi+1])
			return
		}
		depth--
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		p := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

type distinctKind int

const (
	distinctCount distinctKind = iota
	distinctSum
	distinctAvg
)

// newDistinct resolves count, sum and avg with DISTINCT. They are holistic:
// the partial state is each group's set of distinct non-NULL values as
// list<T>, T the argument's logical type; Merge takes the union and Final
// counts, or runs the plain sum/avg over the set.
func newDistinct(c *call) (Func, error) {
	t := c.args[0]
	f := &fn{c: c, result: arrow.PrimitiveTypes.Int64, state: []arrow.DataType{arrow.ListOf(t)}}
	kind := distinctCount
	var inner Func
	if c.name != "count" {
		var err error
		if inner, err = newSum(&call{name: c.name, args: c.args}); err != nil {
			return nil, c.errorf("%s needs a numeric argument", c.name)
		}
		f.result = inner.Result()
		kind = distinctSum
		if c.name == "avg" {
			kind = distinctAvg
		}
	}
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16,
		arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.TIMESTAMP,
		arrow.DECIMAL128, arrow.STRING, arrow.BINARY:
	default:
		return nil, c.errorf("%s(DISTINCT) does not support %s", c.name, t)
	}
	f.newAcc = func(f *fn, _ memory.Allocator) Acc {
		return &distinctAcc{f: f, kind: kind, inner: inner}
	}
	return f, nil
}

// pairSet is an open-addressing (linear probing) hash set of (group, value
// key) pairs. Values of up to 64 bits are their own keys (floats normalised:
// -0 as 0, one NaN); strings, binary and decimals are interned to dense ids.
type pairSet struct {
	slots []pslot
	n     int
}

type pslot struct {
	v    uint64
	g    uint32
	full bool
}

func hashPair(g uint32, v uint64) uint64 {
	h := v ^ (uint64(g)+1)*0x9E3779B97F4A7C15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// add inserts (g, v) and reports whether it was new.
func (s *pairSet) add(g uint32, v uint64) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	m := uint64(len(s.slots) - 1)
	for i := hashPair(g, v) & m; ; i = (i + 1) & m {
		e := &s.slots[i]
		if !e.full {
			*e = pslot{v: v, g: g, full: true}
			s.n++
			return true
		}
		if e.v == v && e.g == g {
			return false
		}
	}
}

func (s *pairSet) grow() {
	old := s.slots
	s.slots = make([]pslot, max(64, 2*len(old)))
	s.n = 0
	for _, e := range old {
		if e.full {
			s.add(e.g, e.v)
		}
	}
}

type distinctAcc struct {
	f     *fn
	kind  distinctKind
	inner Func
	n     int
	set   pairSet
	pg    []uint32 // the set's pairs in insertion order
	pk    []uint64
	// interned strings: value id i is arena[soff[i]:soff[i+1]]
	strs  map[string]uint32
	soff  []int
	arena []byte
	// interned decimals
	decs  map[decimal128.Num]uint32
	dvals []decimal128.Num

	keys []uint64
	dict arrow.Array // the dictionary ids caches the value ids of (retained)
	ids  []int64     // value id of each entry of dict, -1 until used
	cbuf []int32
	gbuf []uint32
	mbuf []byte
	kbuf []byte
}

func (a *distinctAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	a.n = max(a.n, n)
	m, err := maskOf(args[0], &a.mbuf)
	if err != nil {
		return a.f.errorf("update: %v", err)
	}
	return a.insert(groups, args[0], m, "update")
}

func (a *distinctAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	a.n = max(a.n, n)
	child, eg, km, err := listElems(state[0], groups, &a.gbuf, &a.kbuf)
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	defer child.Release()
	return a.insert(eg, child, km, "merge")
}

func (a *distinctAcc) insert(groups []uint32, col arrow.Array, m mask, op string) error {
	keys, err := a.encode(col, m)
	if err != nil {
		return a.f.errorf("%s: %v", op, err)
	}
	keys = keys[:len(groups)]
	for i, g := range groups {
		if !m.valid(i) {
			continue
		}
		if int(g) >= a.n {
			return a.f.badGroup(g, a.n)
		}
		if a.set.add(g, keys[i]) {
			a.pg = append(a.pg, g)
			a.pk = append(a.pk, keys[i])
		}
	}
	return nil
}

// encode returns the key of every row of col (any key for NULL rows).
func (a *distinctAcc) encode(col arrow.Array, m mask) ([]uint64, error) {
	n := col.Len()
	keys := grow(&a.keys, n)
	var err error
	switch col.DataType().ID() {
	case arrow.INT8:
		err = intKeys[int8](col, keys)
	case arrow.INT16:
		err = intKeys[int16](col, keys)
	case arrow.INT32, arrow.DATE32:
		err = intKeys[int32](col, keys)
	case arrow.INT64, arrow.TIMESTAMP:
		err = intKeys[int64](col, keys)
	case arrow.UINT8:
		err = intKeys[uint8](col, keys)
	case arrow.UINT16:
		err = intKeys[uint16](col, keys)
	case arrow.UINT32:
		err = intKeys[uint32](col, keys)
	case arrow.UINT64:
		err = intKeys[uint64](col, keys)
	case arrow.FLOAT32:
		var v []float32
		if v, err = values[float32](col); err == nil {
			for i, x := range v {
				keys[i] = uint64(math.Float32bits(normF32(x)))
			}
		}
	case arrow.FLOAT64:
		var v []float64
		if v, err = values[float64](col); err == nil {
			for i, x := range v {
				keys[i] = math.Float64bits(normF64(x))
			}
		}
	case arrow.BOOL:
		b := col.(*array.Boolean)
		for i := range keys {
			keys[i] = 0
			if b.Value(i) {
				keys[i] = 1
			}
		}
	case arrow.DECIMAL128:
		var v []decimal128.Num
		if v, err = values[decimal128.Num](col); err == nil {
			if a.decs == nil {
				a.decs = map[decimal128.Num]uint32{}
			}
			for i, x := range v {
				if !m.valid(i) {
					continue
				}
				id, ok := a.decs[x]
				if !ok {
					id = uint32(len(a.dvals))
					a.decs[x] = id
					a.dvals = append(a.dvals, x)
				}
				keys[i] = uint64(id)
			}
		}
	case arrow.STRING, arrow.BINARY:
		err = a.bytesKeys(col, m, keys)
	case arrow.DICTIONARY:
		err = a.dictKeys(col.(*array.Dictionary), m, keys)
	default:
		err = a.f.errorf("unexpected column type %s", col.DataType())
	}
	return keys, err
}

func intKeys[T integer](col arrow.Array, keys []uint64) error {
	v, err := values[T](col)
	if err != nil {
		return err
	}
	for i, x := range v {
		keys[i] = uint64(x)
	}
	return nil
}

func normF64(x float64) float64 {
	switch {
	case x == 0:
		return 0
	case x != x:
		return math.NaN()
	}
	return x
}

func normF32(x float32) float32 {
	switch {
	case x == 0:
		return 0
	case x != x:
		return float32(math.NaN())
	}
	return x
}

func (a *distinctAcc) intern(b []byte) uint64 {
	if id, ok := a.strs[string(b)]; ok {
		return uint64(id)
	}
	if a.strs == nil {
		a.strs = map[string]uint32{}
		a.soff = append(a.soff[:0], 0)
	}
	id := uint32(len(a.soff) - 1)
	a.strs[string(b)] = id
	a.arena = append(a.arena, b...)
	a.soff = append(a.soff, len(a.arena))
	return uint64(id)
}

func (a *distinctAcc) bytesKeys(col arrow.Array, m mask, keys []uint64) error {
	offs, data, err := bytesCol(col)
	if err != nil {
		return err
	}
	for i := range keys {
		if m.valid(i) {
			keys[i] = a.intern(data[offs[i]:offs[i+1]])
		}
	}
	return nil
}

// dictKeys gives the rows of a dictionary-encoded batch their value ids:
// each entry of the dictionary is interned when a row first uses it, and
// the entries' ids are kept for the next batches over the same dictionary.
func (a *distinctAcc) dictKeys(d *array.Dictionary, m mask, keys []uint64) error {
	codes, err := dictCodes(d, &a.cbuf)
	if err != nil {
		return err
	}
	dict := d.Dictionary()
	offs, data, err := bytesCol(dict)
	if err != nil {
		return err
	}
	// The batches of a Parquet row group share one dictionary: its entries'
	// ids are kept while it lasts, each looked up once, when first used.
	if a.dict == nil || a.dict.Data() != dict.Data() {
		if a.dict != nil {
			a.dict.Release()
		}
		dict.Retain()
		a.dict = dict
		a.ids = grow(&a.ids, len(offs)-1)
		for i := range a.ids {
			a.ids[i] = -1
		}
	}
	ids := a.ids
	for i := range keys {
		if !m.valid(i) {
			continue
		}
		c := codes[i]
		if ids[c] < 0 {
			ids[c] = int64(a.intern(data[offs[c]:offs[c+1]]))
		}
		keys[i] = uint64(ids[c])
	}
	return nil
}

// decode builds a column of the argument's type from value keys. The caller
// releases it.
func (a *distinctAcc) decode(mem memory.Allocator, keys []uint64) (arrow.Array, error) {
	t := a.f.c.args[0]
	switch t.ID() {
	case arrow.INT8:
		return decodeInts[int8](mem, t, keys), nil
	case arrow.INT16:
		return decodeInts[int16](mem, t, keys), nil
	case arrow.INT32, arrow.DATE32:
		return decodeInts[int32](mem, t, keys), nil
	case arrow.INT64, arrow.TIMESTAMP:
		return decodeInts[int64](mem, t, keys), nil
	case arrow.UINT8:
		return decodeInts[uint8](mem, t, keys), nil
	case arrow.UINT16:
		return decodeInts[uint16](mem, t, keys), nil
	case arrow.UINT32:
		return decodeInts[uint32](mem, t, keys), nil
	case arrow.UINT64:
		return decodeInts[uint64](mem, t, keys), nil
	case arrow.FLOAT32:
		o := newOut[float32](mem, len(keys))
		for i, k := range keys {
			o.vals[i] = math.Float32frombits(uint32(k))
		}
		return o.array(t), nil
	case arrow.FLOAT64:
		o := newOut[float64](mem, len(keys))
		for i, k := range keys {
			o.vals[i] = math.Float64frombits(k)
		}
		return o.array(t), nil
	case arrow.BOOL:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(len(keys))
		for _, k := range keys {
			b.UnsafeAppend(k != 0)
		}
		return b.NewArray(), nil
	case arrow.DECIMAL128:
		o := newOut[decimal128.Num](mem, len(keys))
		for i, k := range keys {
			o.vals[i] = a.dvals[k]
		}
		return o.array(t), nil
	default: // STRING, BINARY
		return bytesArray(mem, t, len(keys), func(i int) ([]byte, bool) {
			k := keys[i]
			return a.arena[a.soff[k]:a.soff[k+1]], true
		})
	}
}

func decodeInts[T integer](mem memory.Allocator, t arrow.DataType, keys []uint64) arrow.Array {
	o := newOut[T](mem, len(keys))
	for i, k := range keys {
		o.vals[i] = T(k)
	}
	return o.array(t)
}

func (a *distinctAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	sorted := make([]uint64, len(a.pk))
	offs, err := listOffsets(mem, a.f, byGroup(a.n, a.pg, a.pk, sorted))
	if err != nil {
		return nil, err
	}
	child, err := a.decode(mem, sorted)
	if err != nil {
		offs.release()
		return nil, a.f.errorf("state: %v", err)
	}
	defer child.Release()
	return []arrow.Array{listArray(offs, child)}, nil
}

func (a *distinctAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	if a.kind == distinctCount {
		o := newOut[int64](mem, a.n)
		clear(o.vals)
		for _, g := range a.pg {
			o.vals[g]++
		}
		return o.array(a.f.result), nil
	}
	vals, err := a.decode(mem, a.pk)
	if err != nil {
		return nil, a.f.errorf("final: %v", err)
	}
	defer vals.Release()
	acc := a.inner.NewAcc(mem)
	defer acc.Release()
	if err := acc.Update(a.pg, a.n, []arrow.Array{vals}); err != nil {
		return nil, err
	}
	return acc.Final(mem)
}

func (a *distinctAcc) Bytes() int64 {
	return int64(cap(a.set.slots))*16 + int64(cap(a.pg))*4 + int64(cap(a.pk))*8 + int64(len(a.strs))*48 +
		int64(cap(a.soff))*8 + int64(cap(a.arena)) + int64(len(a.decs))*40 + int64(cap(a.dvals))*16 +
		int64(cap(a.keys)+cap(a.ids))*8 + int64(cap(a.cbuf)+cap(a.gbuf))*4 + int64(cap(a.mbuf)+cap(a.kbuf)) +
		arrayBytes(a.dict)
}

// arrayBytes is the size of a's buffers (0 for nil).
func arrayBytes(a arrow.Array) int64 {
	if a == nil {
		return 0
	}
	var n int64
	for _, b := range a.Data().Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	return n
}

func (a *distinctAcc) Release() {
	if a.dict != nil {
		a.dict.Release()
	}
	*a = distinctAcc{f: a.f, kind: a.kind, inner: a.inner}
}
