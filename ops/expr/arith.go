package expr

import (
	"math"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// arithNode is + - * / % over two operands of its own type (int64 or
// float64). Integer + - * fail on overflow; division or modulo by zero gives
// NULL.
type arithNode struct {
	base
	op string
}

func evalPair(c *ctx, n *base) (l, r vec, err error) {
	if l, err = evalPlain(c, n.kids[0]); err != nil {
		return
	}
	if r, err = evalPlain(c, n.kids[1]); err != nil {
		l.release()
		return
	}
	if l.isConst() && r.isConst() && !l.constNull() && !r.constNull() {
		a, merr := c.materialize(l)
		if merr != nil {
			r.release()
			return l, r, merr
		}
		l = vec{a: a}
	}
	return
}

func (n *arithNode) eval(c *ctx) (vec, error) {
	l, r, err := evalPair(c, &n.base)
	if err != nil {
		return vec{}, err
	}
	defer l.release()
	defer r.release()
	if l.constNull() || r.constNull() {
		return nullVec(n.t), nil
	}
	if n.t.ID() == arrow.INT64 {
		return n.ints(c, l, r)
	}
	return n.floats(c, l, r)
}

// operand returns the values of an array operand, or nil and the constant.
func operand[T any](v vec) ([]T, T) {
	if v.a != nil {
		var z T
		return vals[T](v.a), z
	}
	return nil, v.k.v.(T)
}

func (n *arithNode) ints(c *ctx, l, r vec) (vec, error) {
	x, xs := operand[int64](l)
	y, ys := operand[int64](r)
	if n.op == OpMod && y == nil && ys == 0 {
		return nullVec(n.t), nil
	}
	aliasX, aliasY := false, false
	var buf *memory.Buffer
	var out []int64
	switch {
	case n.op == OpMul:
		buf, out = newFixed[int64](c.mem, c.n)
	case reusable(l):
		buf, out, aliasX = reuse[int64](l), x, true
	case reusable(r) && n.op != OpMod:
		buf, out, aliasY = reuse[int64](r), y, true
	default:
		buf, out = newFixed[int64](c.mem, c.n)
	}
	valid, nulls := validity(c.mem, c.n, l, r)
	var flag int64
	switch n.op {
	case OpAdd:
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				s := x[i] + y[i]
				flag |= (x[i] ^ s) & (y[i] ^ s)
				out[i] = s
			}
		case x != nil:
			flag = addS(x, ys, out)
		default:
			flag = addS(y, xs, out)
		}
	case OpSub:
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				s := x[i] - y[i]
				flag |= (x[i] ^ y[i]) & (x[i] ^ s)
				out[i] = s
			}
		case x != nil:
			out = out[:len(x)]
			for i, v := range x {
				s := v - ys
				flag |= (v ^ ys) & (v ^ s)
				out[i] = s
			}
		default:
			out = out[:len(y)]
			for i, v := range y {
				s := xs - v
				flag |= (xs ^ v) & (xs ^ s)
				out[i] = s
			}
		}
	case OpMul:
		var f int64
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				p, o := mul64(x[i], y[i])
				f |= o
				out[i] = p
			}
		case x != nil:
			f = mulS(x, ys, out)
		default:
			f = mulS(y, xs, out)
		}
		if f != 0 {
			flag = -1
		}
	case OpMod:
		zero := false
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				d := y[i]
				z := d == 0
				zero = zero || z
				d |= int64(b2u(z))
				out[i] = x[i] % d
			}
		case x != nil:
			out = out[:len(x)]
			for i, v := range x {
				out[i] = v % ys
			}
		default:
			out = out[:len(y)]
			for i, d := range y {
				z := d == 0
				zero = zero || z
				d |= int64(b2u(z))
				out[i] = xs % d
			}
		}
		if zero {
			valid, nulls = nullWhereZero(c.mem, c.n, y, valid)
		}
	}
	if flag < 0 {
		for i := 0; i < c.n; i++ {
			if !validAt(l, i) || !validAt(r, i) {
				continue
			}
			a, b := xs, ys
			if x != nil {
				a = x[i]
			}
			if y != nil {
				b = y[i]
			}
			// an operand overwritten in place is recovered from the wrapped result
			switch {
			case aliasX && n.op == OpAdd:
				a = out[i] - b
			case aliasX && n.op == OpSub:
				a = out[i] + b
			case aliasY && n.op == OpAdd:
				b = out[i] - a
			case aliasY && n.op == OpSub:
				b = a - out[i]
			}
			if _, ok := checkedInt(n.op, a, b); !ok {
				buf.Release()
				if valid != nil {
					valid.Release()
				}
				return vec{}, errf(n.pos, "integer overflow in %s: %d %s %d", n.op, a, n.op, b)
			}
		}
	}
	return vec{a: makeArray(n.t, c.n, nulls, valid, buf), own: true}, nil
}

func addS(x []int64, s int64, out []int64) int64 {
	var flag int64
	out = out[:len(x)]
	for i, v := range x {
		r := v + s
		flag |= (v ^ r) & (s ^ r)
		out[i] = r
	}
	return flag
}

func mulS(x []int64, s int64, out []int64) int64 {
	var f int64
	out = out[:len(x)]
	for i, v := range x {
		p, o := mul64(v, s)
		f |= o
		out[i] = p
	}
	return f
}

// mul64 returns a*b and a value that is non-zero when the product overflows.
func mul64(a, b int64) (int64, int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	hi -= uint64(a>>63) & uint64(b)
	hi -= uint64(b>>63) & uint64(a)
	return int64(lo), int64(hi) ^ (int64(lo) >> 63)
}

func checkedInt(op string, a, b int64) (int64, bool) {
	switch op {
	case OpAdd:
		s := a + b
		return s, (a^s)&(b^s) >= 0
	case OpSub:
		s := a - b
		return s, (a^b)&(a^s) >= 0
	case OpMul:
		p, o := mul64(a, b)
		return p, o == 0
	}
	return 0, true
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// nullWhereZero clears the validity of rows whose divisor is zero (y nil:
// a constant, non-zero divisor).
func nullWhereZero[T int64 | float64](mem memory.Allocator, n int, y []T, valid *memory.Buffer) (*memory.Buffer, int) {
	if y == nil {
		if valid == nil {
			return nil, 0
		}
		return valid, n - bitutil.CountSetBits(valid.Bytes(), 0, n)
	}
	if valid == nil {
		valid = newBuf(mem, bitmapBytes(n))
		bitutil.SetBitsTo(valid.Bytes(), 0, int64(n), true)
	}
	vb := valid.Bytes()
	for i, d := range y {
		if d == 0 {
			vb[i>>3] &^= 1 << (i & 7)
		}
	}
	return valid, n - bitutil.CountSetBits(vb, 0, n)
}

func (n *arithNode) floats(c *ctx, l, r vec) (vec, error) {
	x, xs := operand[float64](l)
	y, ys := operand[float64](r)
	if (n.op == OpDiv || n.op == OpMod) && y == nil && ys == 0 {
		return nullVec(n.t), nil
	}
	var buf *memory.Buffer
	var out []float64
	switch {
	case reusable(l):
		buf, out = reuse[float64](l), x
	case reusable(r) && n.op != OpDiv && n.op != OpMod:
		buf, out = reuse[float64](r), y
	default:
		buf, out = newFixed[float64](c.mem, c.n)
	}
	valid, nulls := validity(c.mem, c.n, l, r)
	switch n.op {
	case OpAdd:
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				out[i] = x[i] + y[i]
			}
		case x != nil:
			addFS(x, ys, out)
		default:
			addFS(y, xs, out)
		}
	case OpSub:
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				out[i] = x[i] - y[i]
			}
		case x != nil:
			addFS(x, -ys, out)
		default:
			out = out[:len(y)]
			for i, v := range y {
				out[i] = xs - v
			}
		}
	case OpMul:
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				out[i] = x[i] * y[i]
			}
		case x != nil:
			mulFS(x, ys, out)
		default:
			mulFS(y, xs, out)
		}
	case OpDiv:
		switch {
		case x != nil && y != nil:
			y = y[:len(x)]
			out = out[:len(x)]
			for i := range x {
				out[i] = x[i] / y[i]
			}
		case x != nil:
			out = out[:len(x)]
			for i, v := range x {
				out[i] = v / ys
			}
		default:
			out = out[:len(y)]
			for i, v := range y {
				out[i] = xs / v
			}
		}
		if y != nil {
			valid, nulls = nullWhereZero(c.mem, c.n, y, valid)
		}
	case OpMod:
		switch {
		case x != nil && y != nil:
			for i := range x {
				out[i] = math.Mod(x[i], y[i])
			}
		case x != nil:
			for i, v := range x {
				out[i] = math.Mod(v, ys)
			}
		default:
			for i, v := range y {
				out[i] = math.Mod(xs, v)
			}
		}
		if y != nil {
			valid, nulls = nullWhereZero(c.mem, c.n, y, valid)
		}
	}
	return vec{a: makeArray(n.t, c.n, nulls, valid, buf), own: true}, nil
}

// reusable reports whether v is a fresh, unshared, unsliced array whose value
// buffer a kernel may overwrite with its result.
func reusable(v vec) bool {
	return v.own && v.a != nil && v.a.Data().Offset() == 0 && len(v.a.Data().Buffers()) == 2
}

// reuse returns v's value buffer, retained, for in-place output.
func reuse[T any](v vec) *memory.Buffer {
	b := v.a.Data().Buffers()[1]
	b.Retain()
	return b
}

func addFS(x []float64, s float64, out []float64) {
	out = out[:len(x)]
	for i, v := range x {
		out[i] = v + s
	}
}

func mulFS(x []float64, s float64, out []float64) {
	out = out[:len(x)]
	for i, v := range x {
		out[i] = v * s
	}
}

// negNode is unary minus over int64 (overflow checked), float64 or decimal.
type negNode struct{ base }

func (n *negNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(n.t), nil
	}
	defer a.Release()
	valid, nulls := validity(c.mem, c.n, vec{a: a})
	switch n.t.ID() {
	case arrow.INT64:
		buf, out := newFixed[int64](c.mem, c.n)
		for i, x := range vals[int64](a) {
			if x == math.MinInt64 && a.IsValid(i) {
				buf.Release()
				if valid != nil {
					valid.Release()
				}
				return vec{}, errf(n.pos, "integer overflow in unary -: -(%d)", x)
			}
			out[i] = -x
		}
		return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
	case arrow.FLOAT64:
		buf, out := newFixed[float64](c.mem, c.n)
		for i, x := range vals[float64](a) {
			out[i] = -x
		}
		return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
	default:
		buf, out := newFixed[decimal128.Num](c.mem, c.n)
		for i, x := range vals[decimal128.Num](a) {
			out[i] = x.Negate()
		}
		return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
	}
}
