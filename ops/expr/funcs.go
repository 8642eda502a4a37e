package expr

import (
	"math"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
)

// scalarFuncs are the named scalar functions.
var scalarFuncs = map[string]funcDef{
	"abs":         {1, 1, bindAbs},
	"round":       {1, 2, bindRound},
	"floor":       {1, 1, bindFloorCeil},
	"ceil":        {1, 1, bindFloorCeil},
	"ceiling":     {1, 1, bindFloorCeil},
	"sqrt":        {1, 1, bindMath},
	"ln":          {1, 1, bindMath},
	"exp":         {1, 1, bindMath},
	"pow":         {2, 2, bindPow},
	"power":       {2, 2, bindPow},
	"lower":       {1, 1, bindCaseFold},
	"upper":       {1, 1, bindCaseFold},
	"length":      {1, 1, bindLength},
	"char_length": {1, 1, bindLength},
	"year":        {1, 1, bindDatePart},
	"month":       {1, 1, bindDatePart},
	"day":         {1, 1, bindDatePart},
}

// numArg casts a numeric argument to int64 (integers) or float64 (floats and
// decimals), or to float64 when toFloat.
func (b *binder) numArg(e *Expr, n node, toFloat bool) (node, error) {
	t := n.typ()
	switch {
	case isNull(t):
		if toFloat {
			return newConst(konst{t: tFloat64}, e.Pos), nil
		}
		return newConst(konst{t: tInt64}, e.Pos), nil
	case isInt(t) && !toFloat:
		return b.cast(n, tInt64, e.Pos)
	case isNumeric(t):
		return b.cast(n, tFloat64, e.Pos)
	}
	return nil, errf(e.Pos, "%s expects a number, got %s", e.Name, typeName(t))
}

// mathNode applies a float64 -> float64 function, or an int64 -> int64 one
// for abs, floor and ceil of integers.
type mathNode struct {
	base
	fn string
}

func bindMath(b *binder, e *Expr, a []node) (node, error) {
	x, err := b.numArg(e, a[0], true)
	if err != nil {
		return nil, err
	}
	return &mathNode{base: base{kids: []node{x}, t: tFloat64, pos: e.Pos}, fn: e.Name}, nil
}

func bindAbs(b *binder, e *Expr, a []node) (node, error) {
	if isDecimal(a[0].typ()) {
		return &mathNode{base: base{kids: []node{a[0]}, t: a[0].typ(), pos: e.Pos}, fn: "abs"}, nil
	}
	x, err := b.numArg(e, a[0], false)
	if err != nil {
		return nil, err
	}
	return &mathNode{base: base{kids: []node{x}, t: x.typ(), pos: e.Pos}, fn: "abs"}, nil
}

func bindFloorCeil(b *binder, e *Expr, a []node) (node, error) {
	x, err := b.numArg(e, a[0], false)
	if err != nil {
		return nil, err
	}
	fn := e.Name
	if fn == "ceiling" {
		fn = "ceil"
	}
	if x.typ().ID() == arrow.INT64 {
		return x, nil
	}
	return &mathNode{base: base{kids: []node{x}, t: tFloat64, pos: e.Pos}, fn: fn}, nil
}

func (n *mathNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(n.t), nil
	}
	defer a.Release()
	valid, nulls := validity(c.mem, c.n, vec{a: a})
	fail := func(msg string) (vec, error) {
		if valid != nil {
			valid.Release()
		}
		return vec{}, errf(n.pos, "%s", msg)
	}
	switch n.t.ID() {
	case arrow.INT64: // abs
		buf, out := newFixed[int64](c.mem, c.n)
		for i, v := range vals[int64](a) {
			if v == math.MinInt64 && a.IsValid(i) {
				buf.Release()
				return fail("integer overflow in abs(-9223372036854775808)")
			}
			if v < 0 {
				v = -v
			}
			out[i] = v
		}
		return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
	case arrow.DECIMAL128: // abs
		buf, out := newFixed[decimal128.Num](c.mem, c.n)
		for i, v := range vals[decimal128.Num](a) {
			out[i] = v.Abs()
		}
		return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
	}
	src := vals[float64](a)
	buf, out := newFixed[float64](c.mem, c.n)
	switch n.fn {
	case "abs":
		for i, v := range src {
			out[i] = math.Abs(v)
		}
	case "floor":
		for i, v := range src {
			out[i] = math.Floor(v)
		}
	case "ceil":
		for i, v := range src {
			out[i] = math.Ceil(v)
		}
	case "exp":
		for i, v := range src {
			out[i] = math.Exp(v)
		}
	case "sqrt":
		for i, v := range src {
			if v < 0 && a.IsValid(i) {
				buf.Release()
				return fail("cannot take the square root of a negative number")
			}
			out[i] = math.Sqrt(v)
		}
	case "ln":
		for i, v := range src {
			if v <= 0 && a.IsValid(i) {
				buf.Release()
				if v == 0 {
					return fail("cannot take the logarithm of zero")
				}
				return fail("cannot take the logarithm of a negative number")
			}
			out[i] = math.Log(v)
		}
	}
	return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
}

// powNode is pow(x, y) over float64.
type powNode struct{ base }

func bindPow(b *binder, e *Expr, a []node) (node, error) {
	x, err := b.numArg(e, a[0], true)
	if err != nil {
		return nil, err
	}
	y, err := b.numArg(e, a[1], true)
	if err != nil {
		return nil, err
	}
	return &powNode{base: base{kids: []node{x, y}, t: tFloat64, pos: e.Pos}}, nil
}

func (n *powNode) eval(c *ctx) (vec, error) {
	l, r, err := evalPair(c, &n.base)
	if err != nil {
		return vec{}, err
	}
	defer l.release()
	defer r.release()
	if l.constNull() || r.constNull() {
		return nullVec(n.t), nil
	}
	x, xs := operand[float64](l)
	y, ys := operand[float64](r)
	buf, out := newFixed[float64](c.mem, c.n)
	for i := range out {
		a, b := xs, ys
		if x != nil {
			a = x[i]
		}
		if y != nil {
			b = y[i]
		}
		out[i] = math.Pow(a, b)
	}
	valid, nulls := validity(c.mem, c.n, l, r)
	return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
}

// roundNode is round(x[, digits]), rounding half away from zero. Integers
// stay int64 (negative digits round to tens, hundreds, ...); floats and
// decimals give float64.
type roundNode struct{ base }

func bindRound(b *binder, e *Expr, a []node) (node, error) {
	x, err := b.numArg(e, a[0], false)
	if err != nil {
		return nil, err
	}
	var d node = newConst(konst{t: tInt64, v: int64(0)}, e.Pos)
	if len(a) == 2 {
		if !isInt(a[1].typ()) && !isNull(a[1].typ()) {
			return nil, errf(e.Pos, "round digits must be an integer, got %s", typeName(a[1].typ()))
		}
		if d, err = b.cast(a[1], tInt64, e.Pos); err != nil {
			return nil, err
		}
	}
	return &roundNode{base: base{kids: []node{x, d}, t: x.typ(), pos: e.Pos}}, nil
}

func (n *roundNode) eval(c *ctx) (vec, error) {
	l, r, err := evalPair(c, &n.base)
	if err != nil {
		return vec{}, err
	}
	defer l.release()
	defer r.release()
	if l.constNull() || r.constNull() {
		return nullVec(n.t), nil
	}
	if l.isConst() {
		a, err := c.materialize(l)
		if err != nil {
			return vec{}, err
		}
		defer a.Release()
		l = vec{a: a}
	}
	d, ds := operand[int64](r)
	digits := func(i int) int64 {
		if d != nil {
			return d[i]
		}
		return ds
	}
	valid, nulls := validity(c.mem, c.n, l, r)
	if n.t.ID() == arrow.INT64 {
		buf, out := newFixed[int64](c.mem, c.n)
		for i, v := range vals[int64](l.a) {
			k := digits(i)
			if k >= 0 {
				out[i] = v
				continue
			}
			if k < -18 {
				out[i] = 0
				continue
			}
			p := int64(math.Pow10(int(-k)))
			q := v / p
			if rem := v % p; rem*2 >= p {
				q++
			} else if -rem*2 >= p {
				q--
			}
			res, ovf := mul64(q, p)
			if ovf != 0 && l.a.IsValid(i) {
				buf.Release()
				if valid != nil {
					valid.Release()
				}
				return vec{}, errf(n.pos, "integer overflow in round(%d, %d)", v, k)
			}
			out[i] = res
		}
		return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
	}
	buf, out := newFixed[float64](c.mem, c.n)
	for i, v := range vals[float64](l.a) {
		out[i] = roundFloat(v, digits(i))
	}
	return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
}

func roundFloat(v float64, d int64) float64 {
	switch {
	case d == 0:
		return math.Round(v)
	case d > 0:
		if d > 308 {
			return v
		}
		p := math.Pow10(int(d))
		r := math.Round(v*p) / p
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return v
		}
		return r
	default:
		if d < -308 {
			return 0
		}
		p := math.Pow10(int(-d))
		return math.Round(v/p) * p
	}
}

// caseFoldNode is lower(s) or upper(s).
type caseFoldNode struct {
	base
	upper bool
}

func bindCaseFold(b *binder, e *Expr, a []node) (node, error) {
	t := a[0].typ()
	if isNull(t) {
		return newConst(konst{t: tString}, e.Pos), nil
	}
	if !isString(t) {
		return nil, errf(e.Pos, "%s expects a string, got %s", e.Name, typeName(t))
	}
	return &caseFoldNode{base: base{kids: []node{a[0]}, t: t, pos: e.Pos}, upper: e.Name == "upper"}, nil
}

func (n *caseFoldNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(n.t), nil
	}
	defer a.Release()
	o, d := strs(a)
	sb := newStrBuilder(c.mem, c.n, int(o[c.n]-o[0]))
	var tmp []byte
	for i := 0; i < c.n; i++ {
		s := d[o[i]:o[i+1]]
		tmp = tmp[:0]
		if n.upper {
			tmp = upperInto(tmp, bstr(s))
		} else {
			tmp = lowerInto(tmp, bstr(s))
		}
		sb.appendBytes(tmp)
	}
	valid, nulls := validity(c.mem, c.n, vec{a: a})
	out := sb.finish(n.t, valid, nulls)
	if valid != nil {
		valid.Release()
	}
	return vec{a: out}, nil
}

func upperInto(buf []byte, s string) []byte {
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			if 'a' <= ch && ch <= 'z' {
				ch -= 'a' - 'A'
			}
			buf = append(buf, ch)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[i])
		} else {
			buf = utf8.AppendRune(buf, toUpper(r))
		}
		i += size
	}
	return buf
}

// lengthNode is length(s) in characters.
type lengthNode struct{ base }

func bindLength(b *binder, e *Expr, a []node) (node, error) {
	t := a[0].typ()
	if isNull(t) {
		return newConst(konst{t: tInt64}, e.Pos), nil
	}
	if !isString(t) {
		return nil, errf(e.Pos, "%s expects a string, got %s", e.Name, typeName(t))
	}
	return &lengthNode{base: base{kids: []node{a[0]}, t: tInt64, pos: e.Pos}}, nil
}

func (n *lengthNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(n.t), nil
	}
	defer a.Release()
	o, d := strs(a)
	buf, out := newFixed[int64](c.mem, c.n)
	binary := a.DataType().ID() == arrow.BINARY
	for i := range out {
		if binary {
			out[i] = int64(o[i+1] - o[i])
		} else {
			out[i] = int64(utf8.RuneCount(d[o[i]:o[i+1]]))
		}
	}
	valid, nulls := validity(c.mem, c.n, vec{a: a})
	return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
}

// datePartNode is year/month/day of a date or timestamp (UTC).
type datePartNode struct {
	base
	part string
}

func bindDatePart(b *binder, e *Expr, a []node) (node, error) {
	t := a[0].typ()
	if isNull(t) {
		return newConst(konst{t: tInt64}, e.Pos), nil
	}
	if !isTemporal(t) {
		return nil, errf(e.Pos, "%s expects a date or timestamp, got %s", e.Name, typeName(t))
	}
	return &datePartNode{base: base{kids: []node{a[0]}, t: tInt64, pos: e.Pos}, part: e.Name}, nil
}

func (n *datePartNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(n.t), nil
	}
	defer a.Release()
	buf, out := newFixed[int64](c.mem, c.n)
	part := 0
	switch n.part {
	case "month":
		part = 1
	case "day":
		part = 2
	}
	set := func(i int, days int64) {
		y, m, d := civilFromDays(days)
		out[i] = [3]int64{y, m, d}[part]
	}
	if a.DataType().ID() == arrow.DATE32 {
		for i, v := range vals[int32](a) {
			set(i, int64(v))
		}
	} else {
		per := unitsPerSecond(tsUnit(a.DataType())) * 86400
		for i, v := range vals[int64](a) {
			set(i, floorDiv(v, per))
		}
	}
	valid, nulls := validity(c.mem, c.n, vec{a: a})
	return vec{a: makeArray(n.t, c.n, nulls, valid, buf)}, nil
}
