package expr

import (
	"cmp"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
)

// cmpNode compares two operands of the same type.
type cmpNode struct {
	base
	op string
}

var flipOp = map[string]string{OpEq: OpEq, OpNe: OpNe, OpLt: OpGt, OpLe: OpGe, OpGt: OpLt, OpGe: OpLe}

// cmpTable[op][c+1] is the result of op for a three-way comparison c.
var cmpTable = map[string][3]uint8{
	OpEq: {0, 1, 0}, OpNe: {1, 0, 1}, OpLt: {1, 0, 0}, OpLe: {1, 1, 0}, OpGt: {0, 0, 1}, OpGe: {0, 1, 1},
}

func (n *cmpNode) eval(c *ctx) (vec, error) {
	l, r, err := evalPair(c, &n.base)
	if err != nil {
		return vec{}, err
	}
	defer l.release()
	defer r.release()
	if l.constNull() || r.constNull() {
		return nullVec(tBool), nil
	}
	op := n.op
	if l.isConst() {
		l, r = r, l
		op = flipOp[op]
	}
	buf := newZeroBuf(c.mem, bitmapBytes(c.n))
	out := buf.Bytes()
	t := l.a.DataType()
	switch t.ID() {
	case arrow.INT8:
		cmpOrd[int8](op, l, r, out)
	case arrow.INT16:
		cmpOrd[int16](op, l, r, out)
	case arrow.INT32, arrow.DATE32:
		cmpOrd[int32](op, l, r, out)
	case arrow.INT64, arrow.TIMESTAMP:
		cmpOrd[int64](op, l, r, out)
	case arrow.UINT8:
		cmpOrd[uint8](op, l, r, out)
	case arrow.UINT16:
		cmpOrd[uint16](op, l, r, out)
	case arrow.UINT32:
		cmpOrd[uint32](op, l, r, out)
	case arrow.UINT64:
		cmpOrd[uint64](op, l, r, out)
	case arrow.FLOAT32:
		cmpOrd[float32](op, l, r, out)
	case arrow.FLOAT64:
		cmpOrd[float64](op, l, r, out)
	case arrow.STRING, arrow.BINARY:
		cmpStrings(op, l, r, out)
	case arrow.BOOL:
		cmpBools(c, op, l, r, out)
	case arrow.DECIMAL128:
		tbl := cmpTable[op]
		x := vals[decimal128.Num](l.a)
		if r.isConst() {
			s := r.k.v.(decimal128.Num)
			for i, v := range x {
				out[i>>3] |= tbl[decCmp(v, s)+1] << (i & 7)
			}
		} else {
			y := vals[decimal128.Num](r.a)
			for i, v := range x {
				out[i>>3] |= tbl[decCmp(v, y[i])+1] << (i & 7)
			}
		}
	default:
		buf.Release()
		return vec{}, errf(n.pos, "cannot compare values of type %s", typeName(t))
	}
	valid, nulls := validity(c.mem, c.n, l, r)
	return vec{a: makeArray(tBool, c.n, nulls, valid, buf)}, nil
}

func decCmp(a, b decimal128.Num) int {
	ah, bh := a.HighBits(), b.HighBits()
	if ah != bh {
		if ah < bh {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.LowBits(), b.LowBits())
}

func cmpOrd[T cmp.Ordered](op string, l, r vec, out []byte) {
	x := vals[T](l.a)
	if r.isConst() {
		s := konstAs[T](r.k)
		switch op {
		case OpEq:
			eqS(x, s, out)
		case OpNe:
			neS(x, s, out)
		case OpLt:
			ltS(x, s, out)
		case OpLe:
			leS(x, s, out)
		case OpGt:
			gtS(x, s, out)
		case OpGe:
			geS(x, s, out)
		}
		return
	}
	y := vals[T](r.a)
	switch op {
	case OpEq:
		eqA(x, y, out)
	case OpNe:
		neA(x, y, out)
	case OpLt:
		ltA(x, y, out)
	case OpLe:
		leA(x, y, out)
	case OpGt:
		gtA(x, y, out)
	case OpGe:
		geA(x, y, out)
	}
}

// konstAs converts a non-NULL numeric or temporal constant to T.
func konstAs[T cmp.Ordered](k konst) T {
	var z T
	switch v := k.v.(type) {
	case int64:
		return convertTo(v, z)
	case uint64:
		return convertTo(v, z)
	case float64:
		return convertTo(v, z)
	}
	return z
}

func convertTo[T cmp.Ordered, S int64 | uint64 | float64](v S, z T) T {
	switch any(z).(type) {
	case int8:
		return any(int8(v)).(T)
	case int16:
		return any(int16(v)).(T)
	case int32:
		return any(int32(v)).(T)
	case int64:
		return any(int64(v)).(T)
	case uint8:
		return any(uint8(v)).(T)
	case uint16:
		return any(uint16(v)).(T)
	case uint32:
		return any(uint32(v)).(T)
	case uint64:
		return any(uint64(v)).(T)
	case float32:
		return any(float32(v)).(T)
	case float64:
		return any(float64(v)).(T)
	}
	return z
}

func cmpStrings(op string, l, r vec, out []byte) {
	xo, xd := strs(l.a)
	n := len(xo) - 1
	if r.isConst() {
		s := r.k.v.(string)
		switch op {
		case OpEq, OpNe:
			want := op == OpEq
			for i := 0; i < n; i++ {
				if (bstr(xd[xo[i]:xo[i+1]]) == s) == want {
					out[i>>3] |= 1 << (i & 7)
				}
			}
		default:
			tbl := cmpTable[op]
			for i := 0; i < n; i++ {
				out[i>>3] |= tbl[strings.Compare(bstr(xd[xo[i]:xo[i+1]]), s)+1] << (i & 7)
			}
		}
		return
	}
	yo, yd := strs(r.a)
	tbl := cmpTable[op]
	for i := 0; i < n; i++ {
		out[i>>3] |= tbl[strings.Compare(bstr(xd[xo[i]:xo[i+1]]), bstr(yd[yo[i]:yo[i+1]]))+1] << (i & 7)
	}
}

// alignedBits returns the data bits of a boolean array starting at bit 0 of
// the returned slice (copied when the array's offset is not byte-aligned).
func alignedBits(a arrow.Array) []byte {
	d := a.Data()
	n := d.Len()
	b := d.Buffers()[1].Bytes()
	off := d.Offset()
	if off%8 == 0 {
		return b[off/8 : off/8+bitmapBytes(n)]
	}
	out := make([]byte, bitmapBytes(n))
	bitutil.CopyBitmap(b, off, n, out, 0)
	return out
}

func cmpBools(c *ctx, op string, l, r vec, out []byte) {
	x := alignedBits(l.a)
	var y []byte
	if r.isConst() {
		y = make([]byte, len(x))
		if r.k.v.(bool) {
			for i := range y {
				y[i] = 0xff
			}
		}
	} else {
		y = alignedBits(r.a)
	}
	for i := range out {
		a, b := x[i], y[i]
		var v byte
		switch op {
		case OpEq:
			v = ^(a ^ b)
		case OpNe:
			v = a ^ b
		case OpLt:
			v = ^a & b
		case OpLe:
			v = ^a | b
		case OpGt:
			v = a &^ b
		case OpGe:
			v = a | ^b
		}
		out[i] = v
	}
}

// valueSet is the constant list of an IN, in the type x is compared in.
type valueSet struct {
	ints   hashSet[int64]
	uints  hashSet[uint64]
	floats hashSet[float64]
	strs   hashSet[string]
	decs   hashSet[decimal128.Num]
	bools  [2]bool
}

type hashSet[K comparable] struct {
	small []K
	m     map[K]struct{}
}

func (s *hashSet[K]) add(k K) {
	if s.m != nil {
		s.m[k] = struct{}{}
		return
	}
	s.small = append(s.small, k)
	if len(s.small) > 8 {
		s.m = map[K]struct{}{}
		for _, x := range s.small {
			s.m[x] = struct{}{}
		}
		s.small = nil
	}
}

func (s *hashSet[K]) has(k K) bool {
	if s.m != nil {
		_, ok := s.m[k]
		return ok
	}
	for _, x := range s.small {
		if x == k {
			return true
		}
	}
	return false
}

func newValueSet(t arrow.DataType, ks []konst) *valueSet {
	s := &valueSet{}
	for _, k := range ks {
		switch v := k.v.(type) {
		case int64:
			s.ints.add(v)
		case uint64:
			s.uints.add(v)
		case float64:
			if t.ID() == arrow.FLOAT32 {
				v = float64(float32(v))
			}
			s.floats.add(v)
		case string:
			s.strs.add(v)
		case decimal128.Num:
			s.decs.add(v)
		case bool:
			s.bools[b2u(v)] = true
		}
	}
	return s
}

// inNode is x IN (constants).
type inNode struct {
	base
	set     *valueSet
	hasNull bool
}

func (n *inNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(tBool), nil
	}
	defer a.Release()
	buf := newZeroBuf(c.mem, bitmapBytes(c.n))
	out := buf.Bytes()
	s := n.set
	switch a.DataType().ID() {
	case arrow.INT8:
		inInts(vals[int8](a), &s.ints, out)
	case arrow.INT16:
		inInts(vals[int16](a), &s.ints, out)
	case arrow.INT32, arrow.DATE32:
		inInts(vals[int32](a), &s.ints, out)
	case arrow.INT64, arrow.TIMESTAMP:
		inInts(vals[int64](a), &s.ints, out)
	case arrow.UINT8:
		inUints(vals[uint8](a), &s.uints, out)
	case arrow.UINT16:
		inUints(vals[uint16](a), &s.uints, out)
	case arrow.UINT32:
		inUints(vals[uint32](a), &s.uints, out)
	case arrow.UINT64:
		inUints(vals[uint64](a), &s.uints, out)
	case arrow.FLOAT32:
		for i, v := range vals[float32](a) {
			out[i>>3] |= b2u(s.floats.has(float64(v))) << (i & 7)
		}
	case arrow.FLOAT64:
		for i, v := range vals[float64](a) {
			out[i>>3] |= b2u(s.floats.has(v)) << (i & 7)
		}
	case arrow.STRING, arrow.BINARY:
		o, d := strs(a)
		for i := 0; i < c.n; i++ {
			out[i>>3] |= b2u(s.strs.has(bstr(d[o[i]:o[i+1]]))) << (i & 7)
		}
	case arrow.DECIMAL128:
		for i, v := range vals[decimal128.Num](a) {
			out[i>>3] |= b2u(s.decs.has(v)) << (i & 7)
		}
	case arrow.BOOL:
		bits := alignedBits(a)
		for i := 0; i < c.n; i++ {
			out[i>>3] |= b2u(s.bools[b2u(bits[i>>3]&(1<<(i&7)) != 0)]) << (i & 7)
		}
	default:
		buf.Release()
		return vec{}, errf(n.pos, "IN is not supported for %s", typeName(a.DataType()))
	}
	valid, nulls := validity(c.mem, c.n, vec{a: a})
	if n.hasNull {
		// not found and the list holds NULL: the result is NULL
		if valid == nil {
			valid = newBuf(c.mem, bitmapBytes(c.n))
			copy(valid.Bytes(), out)
		} else {
			vb := valid.Bytes()
			for i := range vb {
				vb[i] &= out[i]
			}
		}
		nulls = c.n - bitutil.CountSetBits(valid.Bytes(), 0, c.n)
	}
	return vec{a: makeArray(tBool, c.n, nulls, valid, buf)}, nil
}

func inInts[T int8 | int16 | int32 | int64](x []T, s *hashSet[int64], out []byte) {
	for i, v := range x {
		out[i>>3] |= b2u(s.has(int64(v))) << (i & 7)
	}
}

func inUints[T uint8 | uint16 | uint32 | uint64](x []T, s *hashSet[uint64], out []byte) {
	for i, v := range x {
		out[i>>3] |= b2u(s.has(uint64(v))) << (i & 7)
	}
}
