package agg

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// newMinMax resolves min and max: the result and the state are the argument's
// type (NULL for a group without non-NULL values). Floats order NaN above every
// number, as in DuckDB and PostgreSQL; strings and binary compare bytewise.
// DISTINCT is accepted and changes nothing.
func newMinMax(c *call) (Func, error) {
	t := c.args[0]
	isMax := c.name == "max"
	f := &fn{c: c, result: t, state: []arrow.DataType{t}}
	switch t.ID() {
	case arrow.INT8:
		f.newAcc = mmInt[int8](isMax)
	case arrow.INT16:
		f.newAcc = mmInt[int16](isMax)
	case arrow.INT32, arrow.DATE32:
		f.newAcc = mmInt[int32](isMax)
	case arrow.INT64, arrow.TIMESTAMP:
		f.newAcc = mmInt[int64](isMax)
	case arrow.UINT8:
		f.newAcc = mmInt[uint8](isMax)
	case arrow.UINT16:
		f.newAcc = mmInt[uint16](isMax)
	case arrow.UINT32:
		f.newAcc = mmInt[uint32](isMax)
	case arrow.UINT64:
		f.newAcc = mmInt[uint64](isMax)
	case arrow.FLOAT32:
		f.newAcc = mmFloat[float32](isMax)
	case arrow.FLOAT64:
		f.newAcc = mmFloat[float64](isMax)
	case arrow.BOOL:
		f.newAcc = func(f *fn, _ memory.Allocator) Acc {
			kern, init := minKernel[uint8], uint8(1)
			if isMax {
				kern, init = maxKernel[uint8], 0
			}
			return &mmAcc[uint8]{f: f, init: init, kern: kern, isBool: true}
		}
	case arrow.DECIMAL128:
		f.newAcc = func(f *fn, _ memory.Allocator) Acc {
			kern, init := minDecimal, decimal128.New(math.MaxInt64, math.MaxUint64)
			if isMax {
				kern, init = maxDecimal, decimal128.New(math.MinInt64, 0)
			}
			return &mmAcc[decimal128.Num]{f: f, init: init, kern: kern}
		}
	case arrow.STRING, arrow.BINARY:
		f.newAcc = func(f *fn, _ memory.Allocator) Acc { return &mmBytesAcc{f: f, max: isMax} }
	default:
		return nil, c.errorf("%s needs a number, bool, string, binary, date, timestamp or decimal argument", c.name)
	}
	return f, nil
}

func mmInt[T integer](isMax bool) func(*fn, memory.Allocator) Acc {
	lo, hi := limits[T]()
	return func(f *fn, _ memory.Allocator) Acc {
		if isMax {
			return &mmAcc[T]{f: f, init: lo, kern: maxKernel[T]}
		}
		return &mmAcc[T]{f: f, init: hi, kern: minKernel[T]}
	}
}

func mmFloat[T float32 | float64](isMax bool) func(*fn, memory.Allocator) Acc {
	return func(f *fn, _ memory.Allocator) Acc {
		if isMax {
			return &mmAcc[T]{f: f, init: T(math.Inf(-1)), kern: maxFloat[T]}
		}
		return &mmAcc[T]{f: f, init: T(math.NaN()), kern: minFloat[T]}
	}
}

// limits returns the smallest and largest values of T.
func limits[T integer]() (lo, hi T) {
	var z T
	hi = ^z
	if hi < 0 {
		hi = T(uint64(1)<<(unsafe.Sizeof(z)*8-1) - 1)
		lo = -hi - 1
	}
	return lo, hi
}

// slot is one group's running extreme; ok says a value was seen.
type slot[T any] struct {
	v  T
	ok bool
}

// A kernel folds v into st[groups[i]]; it returns the index of the first row
// whose group is out of range, or -1.
type kernel[T any] func(st []slot[T], groups []uint32, v []T) int

func minKernel[T integer](st []slot[T], groups []uint32, v []T) int {
	v = v[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return i
		}
		e := &st[g]
		e.ok = true
		if x := v[i]; x < e.v {
			e.v = x
		}
	}
	return -1
}

func maxKernel[T integer](st []slot[T], groups []uint32, v []T) int {
	v = v[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return i
		}
		e := &st[g]
		e.ok = true
		if x := v[i]; x > e.v {
			e.v = x
		}
	}
	return -1
}

// minFloat starts from NaN, the largest value.
func minFloat[T float32 | float64](st []slot[T], groups []uint32, v []T) int {
	v = v[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return i
		}
		e := &st[g]
		e.ok = true
		if x := v[i]; x < e.v || e.v != e.v {
			e.v = x
		}
	}
	return -1
}

func maxFloat[T float32 | float64](st []slot[T], groups []uint32, v []T) int {
	v = v[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return i
		}
		e := &st[g]
		e.ok = true
		if x := v[i]; x > e.v || x != x {
			e.v = x
		}
	}
	return -1
}

func minDecimal(st []slot[decimal128.Num], groups []uint32, v []decimal128.Num) int {
	v = v[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return i
		}
		e := &st[g]
		e.ok = true
		if x := v[i]; x.Less(e.v) {
			e.v = x
		}
	}
	return -1
}

func maxDecimal(st []slot[decimal128.Num], groups []uint32, v []decimal128.Num) int {
	v = v[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return i
		}
		e := &st[g]
		e.ok = true
		if x := v[i]; x.Greater(e.v) {
			e.v = x
		}
	}
	return -1
}

// mmAcc is min or max over fixed-width values (bool as 0/1 bytes).
type mmAcc[T any] struct {
	f      *fn
	init   T
	kern   kernel[T]
	isBool bool
	st     []slot[T]
	gbuf   []uint32
	vbuf   []uint64
	bbuf   []uint64
	mbuf   []byte
}

func (a *mmAcc[T]) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	return a.fold(groups, n, args[0], "update")
}

// Merge folds states, which have the argument's type: it is Update.
func (a *mmAcc[T]) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	return a.fold(groups, n, state[0], "merge")
}

func (a *mmAcc[T]) fold(groups []uint32, n int, col arrow.Array, op string) error {
	a.st = resize(a.st, n, slot[T]{v: a.init})
	var v []T
	var err error
	if a.isBool {
		v, err = boolBytes[T](col, &a.bbuf)
	} else {
		v, err = values[T](col)
	}
	if err != nil {
		return a.f.errorf("%s: %v", op, err)
	}
	m, err := maskOf(col, &a.mbuf)
	if err != nil {
		return a.f.errorf("%s: %v", op, err)
	}
	gs, vs := dropNulls(groups, v, m, &a.gbuf, &a.vbuf)
	if i := a.kern(a.st, gs, vs); i >= 0 {
		return a.f.badGroup(gs[i], len(a.st))
	}
	return nil
}

// boolBytes unpacks a bool column into one byte per row (0 or 1) in *buf, as
// []T with T a one-byte type.
func boolBytes[T any](col arrow.Array, buf *[]uint64) ([]T, error) {
	b, ok := col.(*array.Boolean)
	if !ok {
		return nil, fmt.Errorf("%s is not a bool column", col.DataType())
	}
	n := b.Len()
	out := scratchAs[T](buf, n)
	o := unsafe.Slice((*uint8)(unsafe.Pointer(unsafe.SliceData(out))), n)
	for i := range o {
		o[i] = 0
		if b.Value(i) {
			o[i] = 1
		}
	}
	return out, nil
}

func (a *mmAcc[T]) State(mem memory.Allocator) ([]arrow.Array, error) {
	f, err := a.Final(mem)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{f}, nil
}

func (a *mmAcc[T]) Final(mem memory.Allocator) (arrow.Array, error) {
	if a.isBool {
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(len(a.st))
		for _, e := range a.st {
			if !e.ok {
				b.UnsafeAppendBoolToBitmap(false)
				continue
			}
			b.UnsafeAppend(*(*uint8)(unsafe.Pointer(&e.v)) != 0)
		}
		return b.NewArray(), nil
	}
	o := newOut[T](mem, len(a.st))
	for i, e := range a.st {
		if e.ok {
			o.vals[i] = e.v
		} else {
			o.null(i)
		}
	}
	return o.array(a.f.result), nil
}

func (a *mmAcc[T]) Bytes() int64 {
	var e slot[T]
	return int64(cap(a.st))*int64(unsafe.Sizeof(e)) + int64(cap(a.gbuf))*4 + int64(cap(a.vbuf)+cap(a.bbuf))*8 + int64(cap(a.mbuf))
}

func (a *mmAcc[T]) Release() { a.st, a.gbuf, a.vbuf, a.bbuf, a.mbuf = nil, nil, nil, nil, nil }

// bslot is one group's extreme string: arena[off:off+n], with room for size
// bytes in place; pre holds its first 8 bytes (big-endian, zero padded), which
// decide most comparisons without touching the arena.
type bslot struct {
	pre     uint64
	off     int
	n, size int32
	ok      bool
}

// prefix returns the first 8 bytes of data[lo:hi] as a big-endian number,
// zero padded, reading 8 bytes at once when data allows.
func prefix(data []byte, lo, hi int) uint64 {
	n := hi - lo
	if lo+8 <= len(data) {
		w := binary.BigEndian.Uint64(data[lo:])
		if n >= 8 {
			return w
		}
		return w &^ (math.MaxUint64 >> (8 * n))
	}
	var p uint64
	for i, c := range data[lo:hi] {
		p |= uint64(c) << (56 - 8*i)
	}
	return p
}

// mmBytesAcc is min or max over utf8 or binary values, plain or dictionary
// encoded. Values live in one arena; a new extreme overwrites the old one in
// place when it fits and is appended otherwise, and the arena is compacted when
// more than half of it is garbage.
type mmBytesAcc struct {
	f       *fn
	max     bool
	st      []bslot
	arena   []byte
	garbage int
	// dictionary fast path: per-batch best rank of each touched group.
	stamp   []uint32
	bestR   []int32
	epoch   uint32
	touched []uint32
	rank    []int32
	order   []int32
	cbuf    []int32
	mbuf    []byte
}

func (a *mmBytesAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	return a.fold(groups, n, args[0], "update")
}

func (a *mmBytesAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	return a.fold(groups, n, state[0], "merge")
}

func (a *mmBytesAcc) fold(groups []uint32, n int, col arrow.Array, op string) error {
	a.st = resize(a.st, n, bslot{})
	m, err := maskOf(col, &a.mbuf)
	if err != nil {
		return a.f.errorf("%s: %v", op, err)
	}
	if d, ok := col.(*array.Dictionary); ok {
		err = a.foldDict(groups, d, m)
	} else {
		err = a.foldPlain(groups, col, m)
	}
	if err != nil {
		return a.f.errorf("%s: %v", op, err)
	}
	if a.garbage > len(a.arena)/2 && len(a.arena) > 1<<16 {
		a.compact()
	}
	return nil
}

func (a *mmBytesAcc) foldPlain(groups []uint32, col arrow.Array, m mask) error {
	offs, data, err := bytesCol(col)
	if err != nil {
		return err
	}
	st := a.st
	for i, g := range groups {
		if !m.valid(i) {
			continue
		}
		if int(g) >= len(st) {
			return a.f.badGroup(g, len(st))
		}
		lo, hi := int(offs[i]), int(offs[i+1])
		a.offer(g, data[lo:hi], prefix(data, lo, hi))
	}
	return nil
}

// foldDict folds a dictionary column. When the dictionary is no longer than
// the batch and groups are few (several rows per group), it ranks the
// dictionary once and finds each group's best code by rank, comparing bytes
// once per touched group; otherwise it compares the values row by row.
func (a *mmBytesAcc) foldDict(groups []uint32, d *array.Dictionary, m mask) error {
	codes, err := dictCodes(d, &a.cbuf)
	if err != nil {
		return err
	}
	offs, data, err := bytesCol(d.Dictionary())
	if err != nil {
		return err
	}
	value := func(c int32) []byte { return data[offs[c]:offs[c+1]] }
	pre := func(c int32) uint64 { return prefix(data, int(offs[c]), int(offs[c+1])) }
	st := a.st
	dn := len(offs) - 1
	if dn > len(groups) || dn == 0 || 4*len(st) > len(groups) {
		for i, g := range groups {
			if !m.valid(i) {
				continue
			}
			if int(g) >= len(st) {
				return a.f.badGroup(g, len(st))
			}
			c := codes[i]
			a.offer(g, value(c), pre(c))
		}
		return nil
	}
	order := grow(&a.order, dn)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return bytes.Compare(value(x), value(y)) })
	rank := grow(&a.rank, dn)
	for r, c := range order {
		rank[c] = int32(r)
	}
	a.stamp = resize(a.stamp, len(st), 0)
	a.bestR = resize(a.bestR, len(st), 0)
	a.epoch++
	if a.epoch == 0 {
		clear(a.stamp)
		a.epoch = 1
	}
	stamp, bestR, epoch := a.stamp[:len(st)], a.bestR[:len(st)], a.epoch
	touched := a.touched[:0]
	codes = codes[:len(groups)]
	for i, g := range groups {
		if !m.valid(i) {
			continue
		}
		if int(g) >= len(stamp) {
			return a.f.badGroup(g, len(st))
		}
		r := rank[codes[i]]
		switch {
		case stamp[g] != epoch:
			stamp[g] = epoch
			bestR[g] = r
			touched = append(touched, g)
		case a.max && r > bestR[g], !a.max && r < bestR[g]:
			bestR[g] = r
		}
	}
	for _, g := range touched {
		c := order[bestR[g]]
		a.offer(g, value(c), pre(c))
	}
	a.touched = touched
	return nil
}

// offer makes b (with prefix p) group g's extreme if it is better.
func (a *mmBytesAcc) offer(g uint32, b []byte, p uint64) {
	e := &a.st[g]
	if e.ok {
		var c int
		switch {
		case p != e.pre:
			c = cmp.Compare(p, e.pre)
		case len(b) <= 8 && e.n <= 8:
			c = cmp.Compare(len(b), int(e.n))
		default:
			c = bytes.Compare(b, a.arena[e.off:e.off+int(e.n)])
		}
		if a.max {
			c = -c
		}
		if c >= 0 {
			return
		}
	}
	e.ok, e.pre = true, p
	if len(b) <= int(e.size) {
		copy(a.arena[e.off:], b)
		e.n = int32(len(b))
		return
	}
	a.garbage += int(e.size)
	e.off = len(a.arena)
	e.n, e.size = int32(len(b)), int32(len(b))
	a.arena = append(a.arena, b...)
}

func (a *mmBytesAcc) compact() {
	live := 0
	for _, e := range a.st {
		live += int(e.n)
	}
	arena := make([]byte, 0, live+live/4)
	for i := range a.st {
		e := &a.st[i]
		if !e.ok {
			continue
		}
		off := len(arena)
		arena = append(arena, a.arena[e.off:e.off+int(e.n)]...)
		e.off, e.size = off, e.n
	}
	a.arena, a.garbage = arena, 0
}

func (a *mmBytesAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	f, err := a.Final(mem)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{f}, nil
}

func (a *mmBytesAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	return bytesArray(mem, a.f.result, len(a.st), func(i int) ([]byte, bool) {
		e := a.st[i]
		return a.arena[e.off : e.off+int(e.n)], e.ok
	})
}

func (a *mmBytesAcc) Bytes() int64 {
	return int64(cap(a.st))*32 + int64(cap(a.arena)) + int64(cap(a.stamp))*4 + int64(cap(a.bestR))*4 +
		int64(cap(a.touched))*4 + int64(cap(a.rank))*4 + int64(cap(a.order))*4 + int64(cap(a.cbuf))*4 + int64(cap(a.mbuf))
}

func (a *mmBytesAcc) Release() {
	*a = mmBytesAcc{f: a.f, max: a.max}
}

// bytesArray builds a utf8 or binary column of n rows from get (false: NULL).
// The caller releases it.
func bytesArray(mem memory.Allocator, dt arrow.DataType, n int, get func(i int) ([]byte, bool)) (arrow.Array, error) {
	total := 0
	for i := 0; i < n; i++ {
		b, _ := get(i)
		total += len(b)
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("%s column of %d bytes exceeds the 2 GiB offset range", dt, total)
	}
	offs := newOut[int32](mem, n+1)
	data := memory.NewResizableBuffer(mem)
	data.Resize(total)
	var valid *memory.Buffer
	nulls := 0
	pos := 0
	db := data.Bytes()
	for i := 0; i < n; i++ {
		offs.vals[i] = int32(pos)
		b, ok := get(i)
		if !ok {
			if valid == nil {
				valid = memory.NewResizableBuffer(mem)
				valid.Resize(int(bitutil.BytesForBits(int64(n))))
				bitutil.SetBitsTo(valid.Bytes(), 0, int64(n), true)
			}
			bitutil.ClearBit(valid.Bytes(), i)
			nulls++
			continue
		}
		pos += copy(db[pos:], b)
	}
	offs.vals[n] = int32(pos)
	d := array.NewData(dt, n, []*memory.Buffer{valid, offs.data, data}, nil, nulls, 0)
	offs.data.Release()
	data.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr, nil
}
