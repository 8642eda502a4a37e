package agg

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// fn is the one Func implementation: a resolved call with its types and an
// accumulator constructor.
type fn struct {
	c      *call
	result arrow.DataType
	state  []arrow.DataType
	newAcc func(f *fn, mem memory.Allocator) Acc
}

func (f *fn) Result() arrow.DataType                 { return f.result }
func (f *fn) State() []arrow.DataType                { return f.state }
func (f *fn) NewAcc(mem memory.Allocator) Acc        { return f.newAcc(f, mem) }
func (f *fn) errorf(format string, a ...any) error   { return f.c.errorf(format, a...) }
func (f *fn) overflow(format string, a ...any) error { return f.c.overflow(format, a...) }

// maxGroups bounds n: group ids are uint32.
const maxGroups = math.MaxUint32 + 1

// checkUpdate validates the arguments of Update against the declared types.
func (f *fn) checkUpdate(groups []uint32, n int, args []arrow.Array) error {
	if len(args) != len(f.c.args) {
		return f.errorf("update: got %d argument columns, want %d", len(args), len(f.c.args))
	}
	for i, a := range args {
		if a == nil {
			return f.errorf("update: argument %d is nil", i+1)
		}
		if !arrow.TypeEqual(logical(a.DataType()), f.c.args[i]) {
			return f.errorf("update: argument %d has type %s, want %s", i+1, a.DataType(), f.c.args[i])
		}
		if a.Len() != len(groups) {
			return f.errorf("update: argument %d has %d rows, groups has %d", i+1, a.Len(), len(groups))
		}
	}
	return checkN(f, n)
}

// checkMerge validates the state columns given to Merge.
func (f *fn) checkMerge(groups []uint32, n int, state []arrow.Array) error {
	if len(state) != len(f.state) {
		return f.errorf("merge: got %d state columns, want %d", len(state), len(f.state))
	}
	for i, a := range state {
		if a == nil {
			return f.errorf("merge: state column %d is nil", i+1)
		}
		if !arrow.TypeEqual(a.DataType(), f.state[i]) {
			return f.errorf("merge: state column %d has type %s, want %s", i+1, a.DataType(), f.state[i])
		}
		if a.Len() != len(groups) {
			return f.errorf("merge: state column %d has %d rows, groups has %d", i+1, a.Len(), len(groups))
		}
	}
	return checkN(f, n)
}

func checkN(f *fn, n int) error {
	if n < 0 || n > maxGroups {
		return f.errorf("group count %d out of range", n)
	}
	return nil
}

// badGroup is the error for a group id at or past the group count.
func (f *fn) badGroup(g uint32, n int) error {
	return f.errorf("group id %d out of range: %d groups", g, n)
}

// checkGroups verifies every id < n, for accumulators that do not index state
// while updating.
func checkGroups(f *fn, groups []uint32, n int) error {
	var hi uint32
	for _, g := range groups {
		hi = max(hi, g)
	}
	if len(groups) > 0 && int(hi) >= n {
		return f.badGroup(hi, n)
	}
	return nil
}

// resize returns s with length n (never shorter than it was), new elements set
// to init; growth is amortised.
func resize[T any](s []T, n int, init T) []T {
	old := len(s)
	if n <= old {
		return s
	}
	if n > cap(s) {
		// Double, so growing one batch of groups at a time stays linear.
		grown := make([]T, old, max(n, 2*cap(s)))
		copy(grown, s)
		s = grown
	}
	s = s[:n]
	for i := old; i < n; i++ {
		s[i] = init
	}
	return s
}

// resizeZero is resize with zero-valued new elements, which growing gets
// from make and reslicing from the never-written tail (lengths only grow).
func resizeZero[T any](s []T, n int) []T {
	old := len(s)
	if n <= old {
		return s
	}
	if n > cap(s) {
		grown := make([]T, n, max(n, 2*cap(s)))
		copy(grown, s)
		return grown
	}
	return s[:n]
}

// mask is the validity of a column: bits == nil means no NULLs.
type mask struct {
	bits []byte
	off  int
}

func (m mask) valid(i int) bool { return m.bits == nil || bitutil.BitIsSet(m.bits, m.off+i) }

// maskOf returns a's validity. For a dictionary array whose dictionary holds
// NULLs it builds the combined validity in *buf.
func maskOf(a arrow.Array, buf *[]byte) (mask, error) {
	n := a.Len()
	if d, ok := a.(*array.Dictionary); ok && d.Dictionary().NullN() > 0 {
		codes, err := dictCodes(d, nil)
		if err != nil {
			return mask{}, err
		}
		dict := d.Dictionary()
		m := grow(buf, int(bitutil.BytesForBits(int64(n))))
		for i := 0; i < n; i++ {
			bitutil.SetBitTo(m, i, d.IsValid(i) && dict.IsValid(int(codes[i])))
		}
		return mask{bits: m}, nil
	}
	if a.NullN() == 0 {
		return mask{}, nil
	}
	m := mask{bits: a.NullBitmapBytes(), off: a.Data().Offset()}
	if int64(len(m.bits)) < bitutil.BytesForBits(int64(m.off+n)) {
		return mask{}, fmt.Errorf("validity bitmap too short: %d bytes for %d rows", len(m.bits), m.off+n)
	}
	return m, nil
}

// values returns the fixed-width values of a primitive array as a []T aliasing
// its buffer.
func values[T any](a arrow.Array) ([]T, error) {
	d := a.Data()
	n, off := d.Len(), d.Offset()
	if n == 0 {
		return nil, nil
	}
	bufs := d.Buffers()
	if len(bufs) < 2 || bufs[1] == nil {
		return nil, fmt.Errorf("%s array without a value buffer", a.DataType())
	}
	b := bufs[1].Bytes()
	var z T
	if len(b)/int(unsafe.Sizeof(z)) < off+n {
		return nil, fmt.Errorf("%s value buffer too short: %d bytes for %d rows", a.DataType(), len(b), off+n)
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), off+n)[off:], nil
}

// bytesCol returns the offsets (absolute into data) and the data of a utf8 or
// binary array.
func bytesCol(a arrow.Array) (offs []int32, data []byte, err error) {
	switch a := a.(type) {
	case *array.String:
		offs = a.ValueOffsets()
	case *array.Binary:
		offs = a.ValueOffsets()
	default:
		return nil, nil, fmt.Errorf("%s is not a string column", a.DataType())
	}
	if bufs := a.Data().Buffers(); len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	if len(offs) > 0 && (offs[0] < 0 || int(offs[len(offs)-1]) > len(data) || offs[0] > offs[len(offs)-1]) {
		return nil, nil, fmt.Errorf("%s offsets out of range", a.DataType())
	}
	return offs, data, nil
}

// dictCodes returns the indices of d as int32, converting into *buf when the
// index type is not int32, and checks them against the dictionary length.
func dictCodes(d *array.Dictionary, buf *[]int32) ([]int32, error) {
	idx := d.Indices()
	var codes []int32
	var err error
	switch idx.DataType().ID() {
	case arrow.INT32:
		codes, err = values[int32](idx)
	case arrow.INT8:
		codes, err = convertCodes[int8](idx, buf)
	case arrow.UINT8:
		codes, err = convertCodes[uint8](idx, buf)
	case arrow.INT16:
		codes, err = convertCodes[int16](idx, buf)
	case arrow.UINT16:
		codes, err = convertCodes[uint16](idx, buf)
	case arrow.UINT32:
		codes, err = convertCodes[uint32](idx, buf)
	case arrow.INT64:
		codes, err = convertCodes[int64](idx, buf)
	case arrow.UINT64:
		codes, err = convertCodes[uint64](idx, buf)
	default:
		return nil, fmt.Errorf("dictionary index type %s not supported", idx.DataType())
	}
	if err != nil {
		return nil, err
	}
	dn := uint32(d.Dictionary().Len())
	if idx.NullN() == 0 {
		var hi uint32
		for _, c := range codes {
			hi = max(hi, uint32(c))
		}
		if len(codes) > 0 && hi >= dn {
			return nil, fmt.Errorf("dictionary index %d out of range: %d values", int32(hi), dn)
		}
		return codes, nil
	}
	m, err := maskOf(idx, nil)
	if err != nil {
		return nil, err
	}
	for i, c := range codes {
		if uint32(c) >= dn && m.valid(i) {
			return nil, fmt.Errorf("dictionary index %d out of range: %d values", c, dn)
		}
	}
	return codes, nil
}

func convertCodes[T int8 | uint8 | int16 | uint16 | uint32 | int64 | uint64](idx arrow.Array, buf *[]int32) ([]int32, error) {
	v, err := values[T](idx)
	if err != nil {
		return nil, err
	}
	var local []int32
	if buf == nil {
		buf = &local
	}
	out := grow(buf, len(v))
	for i, c := range v {
		if uint64(c) > math.MaxInt32 {
			out[i] = -1
		} else {
			out[i] = int32(c)
		}
	}
	return out, nil
}

// grow returns (*buf)[:n], reallocating with amortised growth.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n, n+n/4)
	}
	return (*buf)[:n]
}

// scratchAs returns n elements of T backed by *buf (8-byte aligned).
func scratchAs[T any](buf *[]uint64, n int) []T {
	var z T
	words := (n*int(unsafe.Sizeof(z)) + 7) / 8
	w := grow(buf, words)
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(w))), n)
}

// dropNulls returns the rows of (groups, v) that are valid in m, compacted into
// scratch; without NULLs it returns its inputs.
func dropNulls[T any](groups []uint32, v []T, m mask, gbuf *[]uint32, vbuf *[]uint64) ([]uint32, []T) {
	if m.bits == nil {
		return groups, v
	}
	gs := grow(gbuf, len(groups))
	vs := scratchAs[T](vbuf, len(groups))
	v = v[:len(groups)]
	k := 0
	for i, g := range groups {
		if bitutil.BitIsSet(m.bits, m.off+i) {
			gs[k] = g
			vs[k] = v[i]
			k++
		}
	}
	return gs[:k], vs[:k]
}

// out is an output column of n fixed-width values, written in place.
type out[T any] struct {
	mem   memory.Allocator
	n     int
	data  *memory.Buffer
	vals  []T
	valid *memory.Buffer
	nulls int
}

func newOut[T any](mem memory.Allocator, n int) *out[T] {
	var z T
	o := &out[T]{mem: mem, n: n, data: memory.NewResizableBuffer(mem)}
	o.data.Resize(n * int(unsafe.Sizeof(z)))
	if n > 0 {
		o.vals = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(o.data.Bytes()))), n)
	}
	return o
}

// null marks row i NULL (and zeroes its value).
func (o *out[T]) null(i int) {
	if o.valid == nil {
		o.valid = memory.NewResizableBuffer(o.mem)
		o.valid.Resize(int(bitutil.BytesForBits(int64(o.n))))
		bitutil.SetBitsTo(o.valid.Bytes(), 0, int64(o.n), true)
	}
	bitutil.ClearBit(o.valid.Bytes(), i)
	var z T
	o.vals[i] = z
	o.nulls++
}

// array finishes the column as type dt. The caller releases it.
func (o *out[T]) array(dt arrow.DataType) arrow.Array {
	d := array.NewData(dt, o.n, []*memory.Buffer{o.valid, o.data}, nil, o.nulls, 0)
	o.data.Release()
	if o.valid != nil {
		o.valid.Release()
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// release frees an unfinished column.
func (o *out[T]) release() {
	o.data.Release()
	if o.valid != nil {
		o.valid.Release()
	}
}

// listArray assembles a list<elem> column from n+1 int32 offsets and its
// child values. It takes over offsets; the list holds its own reference to
// child, which the caller still releases. The caller releases the result.
func listArray(offsets *out[int32], child arrow.Array) arrow.Array {
	dt := arrow.ListOf(child.DataType())
	n := offsets.n - 1
	d := array.NewData(dt, n, []*memory.Buffer{nil, offsets.data}, []arrow.ArrayData{child.Data()}, 0, 0)
	offsets.data.Release()
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// releaseAll releases every non-nil array.
func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// listSpans returns, for a list column, the offsets into its child (absolute)
// and the child.
func listSpans(a arrow.Array) (offs []int32, child arrow.Array, m mask, err error) {
	l, ok := a.(*array.List)
	if !ok {
		return nil, nil, mask{}, fmt.Errorf("%s is not a list column", a.DataType())
	}
	// List.Offsets is the whole buffer: cut it to this (possibly sliced) array.
	all, off, n := l.Offsets(), l.Data().Offset(), l.Len()
	if n > 0 {
		if len(all) < off+n+1 {
			return nil, nil, mask{}, fmt.Errorf("list offsets too short: %d for %d rows", len(all), off+n)
		}
		offs = all[off : off+n+1]
	}
	child = l.ListValues()
	if len(offs) > 0 && (offs[0] < 0 || int(offs[len(offs)-1]) > child.Len() || offs[0] > offs[len(offs)-1]) {
		return nil, nil, mask{}, fmt.Errorf("list offsets out of range")
	}
	m, err = maskOf(a, nil)
	return offs, child, m, err
}

// expandGroups maps list rows to their elements: element j of row i goes to
// groups[i]. It returns the group of each child element in [offs[0],
// offs[len-1]) and which elements to keep: those of valid lists (lm) that are
// themselves valid (cm, indexed from offs[0]).
func expandGroups(groups []uint32, offs []int32, lm, cm mask, buf *[]uint32, keep *[]byte) ([]uint32, mask) {
	base := int(offs[0])
	total := int(offs[len(offs)-1]) - base
	eg := grow(buf, total)
	var kb []byte
	if lm.bits != nil || cm.bits != nil {
		kb = grow(keep, int(bitutil.BytesForBits(int64(total))))
		for j := 0; j < total; j++ {
			bitutil.SetBitTo(kb, j, cm.valid(j))
		}
	}
	for i, g := range groups {
		lo, hi := int(offs[i])-base, int(offs[i+1])-base
		for j := lo; j < hi; j++ {
			eg[j] = g
		}
		if lm.bits != nil && !lm.valid(i) {
			for j := lo; j < hi; j++ {
				bitutil.ClearBit(kb, j)
			}
		}
	}
	if kb != nil {
		return eg, mask{bits: kb}
	}
	return eg, mask{}
}

// listElems flattens a list column for Merge: the child values spanned by its
// rows (a slice the caller releases), the group of each element and which
// elements to keep.
func listElems(a arrow.Array, groups []uint32, gbuf *[]uint32, kbuf *[]byte) (arrow.Array, []uint32, mask, error) {
	offs, child, lm, err := listSpans(a)
	if err != nil {
		return nil, nil, mask{}, err
	}
	if len(offs) == 0 {
		offs = []int32{0}
	}
	sub := array.NewSlice(child, int64(offs[0]), int64(offs[len(offs)-1]))
	cm, err := maskOf(sub, nil)
	if err != nil {
		sub.Release()
		return nil, nil, mask{}, err
	}
	eg, km := expandGroups(groups, offs, lm, cm, gbuf, kbuf)
	return sub, eg, km, nil
}

// reserveCap returns s with capacity for at least n elements, its content
// kept.
func reserveCap[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s
	}
	grown := make([]T, len(s), n)
	copy(grown, s)
	return grown
}
