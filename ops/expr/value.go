package expr

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/dfq/dfq/ops/column"
)

// konst is a constant of a logical type. v is nil for NULL, else bool,
// int64 (signed integers, date32 days, timestamps in the type's unit),
// uint64 (unsigned integers), float64 (floats), string (utf8, binary) or
// decimal128.Num.
type konst struct {
	t arrow.DataType
	v any
}

func (k konst) null() bool { return k.v == nil }

// vec is an evaluated operand: an array of ctx.n rows (owned, released by the
// consumer) or, when a is nil, a constant broadcast lazily.
type vec struct {
	a arrow.Array
	k konst
	// own is set when a is fresh kernel output referenced only here: its
	// buffers may be reused in place by the consumer.
	own bool
}

func (v vec) release() {
	if v.a != nil {
		v.a.Release()
	}
}

func (v vec) isConst() bool { return v.a == nil }

func (v vec) typ() arrow.DataType {
	if v.a != nil {
		return v.a.DataType()
	}
	return v.k.t
}

// constNull reports whether v is the constant NULL.
func (v vec) constNull() bool { return v.a == nil && v.k.v == nil }

// ctx is the per-Eval state: the batch's columns by bound index.
type ctx struct {
	cols []arrow.Array
	n    int
	mem  memory.Allocator
	// inDict is set while evaluating over a dictionary's values.
	inDict bool
}

// materialize turns a constant into an array of c.n rows.
func (c *ctx) materialize(v vec) (arrow.Array, error) {
	if v.a != nil {
		v.a.Retain()
		return v.a, nil
	}
	return column.Repeat(c.mem, v.k.t, v.k.v, c.n)
}

// konstAt returns row i of a plain (non-dictionary) array as a constant.
func konstAt(a arrow.Array, i int) konst {
	k := konst{t: a.DataType()}
	if a.IsNull(i) {
		return k
	}
	switch x := a.(type) {
	case *array.Boolean:
		k.v = x.Value(i)
	case *array.Int8:
		k.v = int64(x.Value(i))
	case *array.Int16:
		k.v = int64(x.Value(i))
	case *array.Int32:
		k.v = int64(x.Value(i))
	case *array.Int64:
		k.v = x.Value(i)
	case *array.Uint8:
		k.v = uint64(x.Value(i))
	case *array.Uint16:
		k.v = uint64(x.Value(i))
	case *array.Uint32:
		k.v = uint64(x.Value(i))
	case *array.Uint64:
		k.v = x.Value(i)
	case *array.Float32:
		k.v = float64(x.Value(i))
	case *array.Float64:
		k.v = x.Value(i)
	case *array.String:
		k.v = x.Value(i)
	case *array.Binary:
		k.v = string(x.Value(i))
	case *array.Date32:
		k.v = int64(x.Value(i))
	case *array.Timestamp:
		k.v = int64(x.Value(i))
	case *array.Decimal128:
		k.v = x.Value(i)
	case *array.Dictionary:
		return konstAt(x.Dictionary(), x.GetValueIndex(i))
	}
	return k
}

// vals returns the fixed-width values of a plain array as []T, offset applied.
func vals[T any](a arrow.Array) []T {
	d := a.Data()
	if d.Len() == 0 {
		return nil
	}
	b := d.Buffers()[1].Bytes()
	var z T
	w := int(unsafe.Sizeof(z))
	s := unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/w)
	return s[d.Offset() : d.Offset()+d.Len()]
}

// strs returns the offsets (len n+1, offset applied) and data of a utf8 or
// binary array.
func strs(a arrow.Array) ([]int32, []byte) {
	d := a.Data()
	if d.Len() == 0 {
		return []int32{0}, nil
	}
	ob := d.Buffers()[1].Bytes()
	o := unsafe.Slice((*int32)(unsafe.Pointer(&ob[0])), len(ob)/4)[d.Offset() : d.Offset()+d.Len()+1]
	var data []byte
	if b := d.Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	return o, data
}

// bstr views b as a string without copying; the result must not outlive b.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// newBuf allocates a buffer of n bytes with undefined contents.
func newBuf(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n)
	return b
}

func newZeroBuf(mem memory.Allocator, n int) *memory.Buffer {
	b := newBuf(mem, n)
	clear(b.Bytes())
	return b
}

// newFixed allocates a buffer for n values of T.
func newFixed[T any](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var z T
	w := int(unsafe.Sizeof(z))
	b := newBuf(mem, n*w)
	if n == 0 {
		return b, nil
	}
	bs := b.Bytes()
	return b, unsafe.Slice((*T)(unsafe.Pointer(&bs[0])), n)
}

func bitmapBytes(n int) int { return int(bitutil.BytesForBits(int64(n))) }

// makeArray builds an array from buffers, taking over the references.
func makeArray(dt arrow.DataType, n int, nulls int, bufs ...*memory.Buffer) arrow.Array {
	if nulls == 0 && bufs[0] != nil {
		bufs[0].Release()
		bufs[0] = nil
	}
	d := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer d.Release()
	return array.MakeFromData(d)
}

// validity returns the AND of the validity of the array operands as a new
// bitmap of n bits and its NULL count; nil, 0 when every row is valid.
// Constant operands are ignored (the caller handles constant NULL).
func validity(mem memory.Allocator, n int, vs ...vec) (*memory.Buffer, int) {
	var out *memory.Buffer
	for _, v := range vs {
		if v.a == nil || v.a.NullN() == 0 {
			continue
		}
		bm := v.a.NullBitmapBytes()
		off := int64(v.a.Data().Offset())
		if out == nil {
			out = newBuf(mem, bitmapBytes(n))
			bitutil.CopyBitmap(bm, int(off), n, out.Bytes(), 0)
			continue
		}
		ob := out.Bytes()
		bitutil.BitmapAnd(ob, bm, 0, off, ob, 0, int64(n))
	}
	if out == nil {
		return nil, 0
	}
	nulls := n - bitutil.CountSetBits(out.Bytes(), 0, n)
	if nulls == 0 {
		out.Release()
		return nil, 0
	}
	return out, nulls
}

// validAt reports whether row i of v is valid.
func validAt(v vec, i int) bool {
	if v.a == nil {
		return v.k.v != nil
	}
	return v.a.IsValid(i)
}

// nullVec is the constant NULL of type t.
func nullVec(t arrow.DataType) vec { return vec{k: konst{t: t}} }

// plain unpacks a dictionary-encoded vec; it consumes v.
func (c *ctx) plain(v vec) (vec, error) {
	if v.a == nil || v.a.DataType().ID() != arrow.DICTIONARY {
		return v, nil
	}
	p, err := column.Unpack(c.mem, v.a)
	v.a.Release()
	if err != nil {
		return vec{}, err
	}
	return vec{a: p}, nil
}

func typeName(t arrow.DataType) string {
	if t == nil {
		return "<nil>"
	}
	if t.ID() == arrow.NULL {
		return "NULL"
	}
	if d, ok := t.(*arrow.DictionaryType); ok {
		return typeName(d.ValueType)
	}
	return t.String()
}

func errf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
