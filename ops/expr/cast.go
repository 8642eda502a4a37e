package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// castable reports whether CAST(from AS to) exists.
func castable(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to), isNull(from):
		return true
	case isString(to):
		return supported(from)
	case isString(from):
		return supported(to) && !isNull(to)
	case isNumeric(to) || to.ID() == arrow.BOOL:
		return isNumeric(from) || from.ID() == arrow.BOOL
	case to.ID() == arrow.DATE32 || to.ID() == arrow.TIMESTAMP:
		return isTemporal(from)
	}
	return false
}

// castNode is CAST(kid AS t).
type castNode struct {
	base
}

func (n *castNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(n.t), nil
	}
	defer a.Release()
	out, err := castArray(c, a, n.t, n.pos)
	if err != nil {
		return vec{}, err
	}
	ob, ab := out.Data().Buffers(), a.Data().Buffers()
	own := len(ob) == 2 && len(ab) >= 2 && ob[1] != ab[1]
	return vec{a: out, own: own}, nil
}

// castArray converts a plain array to type to.
func castArray(c *ctx, a arrow.Array, to arrow.DataType, pos int) (arrow.Array, error) {
	from := a.DataType()
	n := a.Len()
	switch {
	case arrow.TypeEqual(from, to):
		a.Retain()
		return a, nil
	case isNull(from) || a.NullN() == n:
		return array.MakeArrayOfNull(c.mem, to, n), nil
	case isString(from) && isString(to):
		d := array.NewData(to, n, a.Data().Buffers(), nil, a.NullN(), a.Data().Offset())
		defer d.Release()
		return array.MakeFromData(d), nil
	case isString(to):
		return castToString(c, a, to)
	case isString(from):
		return castFromString(c, a, to, pos)
	case isDecimal(from) || isDecimal(to):
		return castDecimal(c, a, to, pos)
	case to.ID() == arrow.BOOL:
		return castToBool(c, a)
	case isNumeric(to):
		switch from.ID() {
		case arrow.BOOL:
			b := a.(*array.Boolean)
			tmp := make([]uint8, n)
			for i := range tmp {
				if b.Value(i) {
					tmp[i] = 1
				}
			}
			return castFrom(c, tmp, a, to, pos)
		case arrow.INT8:
			return castFrom(c, vals[int8](a), a, to, pos)
		case arrow.INT16:
			return castFrom(c, vals[int16](a), a, to, pos)
		case arrow.INT32:
			return castFrom(c, vals[int32](a), a, to, pos)
		case arrow.INT64:
			return castFrom(c, vals[int64](a), a, to, pos)
		case arrow.UINT8:
			return castFrom(c, vals[uint8](a), a, to, pos)
		case arrow.UINT16:
			return castFrom(c, vals[uint16](a), a, to, pos)
		case arrow.UINT32:
			return castFrom(c, vals[uint32](a), a, to, pos)
		case arrow.UINT64:
			return castFrom(c, vals[uint64](a), a, to, pos)
		case arrow.FLOAT32:
			return castFrom(c, vals[float32](a), a, to, pos)
		case arrow.FLOAT64:
			return castFrom(c, vals[float64](a), a, to, pos)
		}
	case to.ID() == arrow.DATE32 && from.ID() == arrow.TIMESTAMP:
		ups := unitsPerSecond(tsUnit(from)) * 86400
		buf, dst := newFixed[int32](c.mem, n)
		for i, v := range vals[int64](a) {
			dst[i] = int32(floorDiv(v, ups))
		}
		return withValidity(c, a, to, buf), nil
	case to.ID() == arrow.TIMESTAMP && from.ID() == arrow.DATE32:
		mul := unitsPerSecond(tsUnit(to)) * 86400
		buf, dst := newFixed[int64](c.mem, n)
		for i, v := range vals[int32](a) {
			dst[i] = int64(v) * mul // |days| < 2^31 and mul <= 8.64e13 can overflow only for ns
			if mul > 86400_000_000 && (int64(v) > 106751 || int64(v) < -106752) && a.IsValid(i) {
				buf.Release()
				return nil, errf(pos, "date %s is out of range for %s", FormatDate(v), typeName(to))
			}
		}
		return withValidity(c, a, to, buf), nil
	case to.ID() == arrow.TIMESTAMP && from.ID() == arrow.TIMESTAMP:
		fu, tu := unitsPerSecond(tsUnit(from)), unitsPerSecond(tsUnit(to))
		buf, dst := newFixed[int64](c.mem, n)
		src := vals[int64](a)
		if tu >= fu {
			mul := tu / fu
			lim := math.MaxInt64 / mul
			for i, v := range src {
				dst[i] = v * mul
				if (v > lim || v < -lim) && a.IsValid(i) {
					buf.Release()
					return nil, errf(pos, "timestamp value %d is out of range for %s", v, typeName(to))
				}
			}
		} else {
			div := fu / tu
			for i, v := range src {
				dst[i] = floorDiv(v, div)
			}
		}
		return withValidity(c, a, to, buf), nil
	}
	return nil, errf(pos, "cannot cast %s to %s", typeName(from), typeName(to))
}

// withValidity wraps a value buffer with a copy of a's validity.
func withValidity(c *ctx, a arrow.Array, to arrow.DataType, buf *memory.Buffer) arrow.Array {
	v, nulls := validity(c.mem, a.Len(), vec{a: a})
	return makeArray(to, a.Len(), nulls, v, buf)
}

func isIntT[T number]() bool   { var h T = 1; return h/2 == 0 }
func isFloatT[T number]() bool { return !isIntT[T]() }

func castFrom[S number](c *ctx, src []S, a arrow.Array, to arrow.DataType, pos int) (arrow.Array, error) {
	switch to.ID() {
	case arrow.INT8:
		return convert[S, int8](c, src, a, to, pos)
	case arrow.INT16:
		return convert[S, int16](c, src, a, to, pos)
	case arrow.INT32:
		return convert[S, int32](c, src, a, to, pos)
	case arrow.INT64:
		return convert[S, int64](c, src, a, to, pos)
	case arrow.UINT8:
		return convert[S, uint8](c, src, a, to, pos)
	case arrow.UINT16:
		return convert[S, uint16](c, src, a, to, pos)
	case arrow.UINT32:
		return convert[S, uint32](c, src, a, to, pos)
	case arrow.UINT64:
		return convert[S, uint64](c, src, a, to, pos)
	case arrow.FLOAT32:
		return convert[S, float32](c, src, a, to, pos)
	case arrow.FLOAT64:
		return convert[S, float64](c, src, a, to, pos)
	}
	return nil, errf(pos, "cannot cast %s to %s", typeName(a.DataType()), typeName(to))
}

// convert casts numbers: integer targets are range checked and floats are
// rounded half to even (as PostgreSQL and DuckDB do for DOUBLE -> INTEGER).
func convert[S, D number](c *ctx, src []S, a arrow.Array, to arrow.DataType, pos int) (arrow.Array, error) {
	buf, dst := newFixed[D](c.mem, len(src))
	bad := -1
	switch {
	case isIntT[D]() && isFloatT[S]():
		for i, v := range src {
			r := math.RoundToEven(float64(v))
			d := D(r)
			dst[i] = d
			if float64(d) != r && bad < 0 && a.IsValid(i) {
				bad = i
			}
		}
	case isIntT[D]():
		for i, v := range src {
			d := D(v)
			dst[i] = d
			if (S(d) != v || (v < 0) != (d < 0)) && bad < 0 && a.IsValid(i) {
				bad = i
			}
		}
	default:
		for i, v := range src {
			dst[i] = D(v)
		}
	}
	if bad >= 0 {
		buf.Release()
		return nil, errf(pos, "value %v is out of range for %s", src[bad], typeName(to))
	}
	return withValidity(c, a, to, buf), nil
}

func castToBool(c *ctx, a arrow.Array) (arrow.Array, error) {
	n := a.Len()
	buf := newZeroBuf(c.mem, bitmapBytes(n))
	out := buf.Bytes()
	switch a.DataType().ID() {
	case arrow.INT8:
		nonZero(vals[int8](a), out)
	case arrow.INT16:
		nonZero(vals[int16](a), out)
	case arrow.INT32:
		nonZero(vals[int32](a), out)
	case arrow.INT64:
		nonZero(vals[int64](a), out)
	case arrow.UINT8:
		nonZero(vals[uint8](a), out)
	case arrow.UINT16:
		nonZero(vals[uint16](a), out)
	case arrow.UINT32:
		nonZero(vals[uint32](a), out)
	case arrow.UINT64:
		nonZero(vals[uint64](a), out)
	case arrow.FLOAT32:
		nonZero(vals[float32](a), out)
	case arrow.FLOAT64:
		nonZero(vals[float64](a), out)
	default:
		buf.Release()
		return nil, errf(-1, "cannot cast %s to boolean", typeName(a.DataType()))
	}
	return withValidity(c, a, tBool, buf), nil
}

func nonZero[T number](src []T, out []byte) {
	for i, v := range src {
		if v != 0 {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

// castToString formats any supported type as text.
func castToString(c *ctx, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	n := a.Len()
	sb := newStrBuilder(c.mem, n, n*8)
	var tmp []byte
	from := a.DataType()
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			sb.appendNull()
			continue
		}
		tmp = appendValue(tmp[:0], a, from, i)
		sb.appendBytes(tmp)
	}
	return sb.finish(to, nil, 0), nil
}

// appendValue formats row i of a (valid, plain) as SQL text.
func appendValue(b []byte, a arrow.Array, t arrow.DataType, i int) []byte {
	switch x := a.(type) {
	case *array.Boolean:
		return strconv.AppendBool(b, x.Value(i))
	case *array.Int8:
		return strconv.AppendInt(b, int64(x.Value(i)), 10)
	case *array.Int16:
		return strconv.AppendInt(b, int64(x.Value(i)), 10)
	case *array.Int32:
		return strconv.AppendInt(b, int64(x.Value(i)), 10)
	case *array.Int64:
		return strconv.AppendInt(b, x.Value(i), 10)
	case *array.Uint8:
		return strconv.AppendUint(b, uint64(x.Value(i)), 10)
	case *array.Uint16:
		return strconv.AppendUint(b, uint64(x.Value(i)), 10)
	case *array.Uint32:
		return strconv.AppendUint(b, uint64(x.Value(i)), 10)
	case *array.Uint64:
		return strconv.AppendUint(b, x.Value(i), 10)
	case *array.Float32:
		return appendFloat(b, float64(x.Value(i)), 32)
	case *array.Float64:
		return appendFloat(b, x.Value(i), 64)
	case *array.Decimal128:
		return append(b, x.Value(i).ToString(t.(*arrow.Decimal128Type).Scale)...)
	case *array.Date32:
		return appendDate(b, int64(x.Value(i)))
	case *array.Timestamp:
		return appendTimestamp(b, int64(x.Value(i)), unitsPerSecond(tsUnit(t)))
	case *array.String:
		return append(b, x.Value(i)...)
	case *array.Binary:
		return append(b, x.Value(i)...)
	}
	return append(b, a.ValueStr(i)...)
}

// appendFloat formats like DuckDB: shortest round-trip digits, integral
// values with ".0", exponent form for very large or small magnitudes.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs >= 1e16 || abs < 1e-5) {
		return strconv.AppendFloat(b, f, 'e', -1, bits)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, bits)
	if !strings.ContainsRune(bstr(b[start:]), '.') {
		b = append(b, ".0"...)
	}
	return b
}

// castFromString parses text into to; an unparseable value is an error
// naming the value and the target type.
func castFromString(c *ctx, a arrow.Array, to arrow.DataType, pos int) (arrow.Array, error) {
	n := a.Len()
	offs, data := strs(a)
	str := func(i int) string { return bstr(data[offs[i]:offs[i+1]]) }
	fail := func(i int) error {
		return errf(pos, "could not convert string '%s' to %s", str(i), typeName(to))
	}
	valid := func(i int) bool { return a.IsValid(i) }
	switch to.ID() {
	case arrow.BOOL:
		buf := newZeroBuf(c.mem, bitmapBytes(n))
		out := buf.Bytes()
		for i := 0; i < n; i++ {
			if !valid(i) {
				continue
			}
			b, ok := parseBool(str(i))
			if !ok {
				buf.Release()
				return nil, fail(i)
			}
			if b {
				out[i>>3] |= 1 << (i & 7)
			}
		}
		return withValidity(c, a, to, buf), nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		tmp := make([]int64, n)
		for i := 0; i < n; i++ {
			if !valid(i) {
				continue
			}
			v, err := strconv.ParseInt(trimSpace(str(i)), 10, 64)
			if err != nil {
				if f, ferr := strconv.ParseFloat(trimSpace(str(i)), 64); ferr == nil && !math.IsInf(f, 0) && isDecimalText(trimSpace(str(i))) {
					v = int64(math.RoundToEven(f))
					if math.RoundToEven(f) != float64(v) {
						return nil, fail(i)
					}
				} else {
					return nil, fail(i)
				}
			}
			tmp[i] = v
		}
		return castFrom(c, tmp, a, to, pos)
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		tmp := make([]uint64, n)
		for i := 0; i < n; i++ {
			if !valid(i) {
				continue
			}
			v, err := strconv.ParseUint(trimSpace(str(i)), 10, 64)
			if err != nil {
				return nil, fail(i)
			}
			tmp[i] = v
		}
		return castFrom(c, tmp, a, to, pos)
	case arrow.FLOAT32, arrow.FLOAT64:
		tmp := make([]float64, n)
		for i := 0; i < n; i++ {
			if !valid(i) {
				continue
			}
			v, err := strconv.ParseFloat(trimSpace(str(i)), 64)
			if err != nil && !isRangeErr(err) {
				return nil, fail(i)
			}
			tmp[i] = v
		}
		return castFrom(c, tmp, a, to, pos)
	case arrow.DECIMAL128:
		dt := to.(*arrow.Decimal128Type)
		buf, dst := newFixed[decimal128.Num](c.mem, n)
		for i := 0; i < n; i++ {
			dst[i] = decimal128.Num{}
			if !valid(i) {
				continue
			}
			s := trimSpace(str(i))
			if !isDecimalText(s) {
				buf.Release()
				return nil, fail(i)
			}
			d, err := decimal128.FromString(s, dt.Precision, dt.Scale)
			if err != nil {
				buf.Release()
				return nil, errf(pos, "value '%s' is out of range for %s", s, typeName(to))
			}
			dst[i] = d
		}
		return withValidity(c, a, to, buf), nil
	case arrow.DATE32:
		buf, dst := newFixed[int32](c.mem, n)
		for i := 0; i < n; i++ {
			dst[i] = 0
			if !valid(i) {
				continue
			}
			d, ok := parseDate(str(i))
			if !ok {
				// a timestamp text casts to its date
				sec, _, tok := parseTimestamp(str(i))
				if !tok {
					buf.Release()
					return nil, fail(i)
				}
				d = int32(floorDiv(sec, 86400))
			}
			dst[i] = d
		}
		return withValidity(c, a, to, buf), nil
	case arrow.TIMESTAMP:
		ups := unitsPerSecond(tsUnit(to))
		buf, dst := newFixed[int64](c.mem, n)
		for i := 0; i < n; i++ {
			dst[i] = 0
			if !valid(i) {
				continue
			}
			sec, nsec, ok := parseTimestamp(str(i))
			if !ok {
				buf.Release()
				return nil, fail(i)
			}
			v, ok := toUnit(sec, nsec, ups)
			if !ok {
				buf.Release()
				return nil, errf(pos, "value '%s' is out of range for %s", str(i), typeName(to))
			}
			dst[i] = v
		}
		return withValidity(c, a, to, buf), nil
	}
	return nil, errf(pos, "cannot cast %s to %s", typeName(a.DataType()), typeName(to))
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isDecimalText reports whether s is [+-]digits[.digits] or [+-].digits with
// an optional exponent.
func isDecimalText(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ed := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return false
		}
	}
	return i == len(s)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(trimSpace(s)) {
	case "true", "t", "yes", "y", "1", "on":
		return true, true
	case "false", "f", "no", "n", "0", "off":
		return false, true
	}
	return false, false
}

var bigTen = big.NewInt(10)

func pow10Big(n int32) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil) }

// decFromBig converts when the value fits in precision p.
func decFromBig(v *big.Int, p int32) (decimal128.Num, bool) {
	if v.BitLen() > 127 {
		return decimal128.Num{}, false
	}
	d := decimal128.FromBigInt(v)
	return d, d.FitsInPrecision(p)
}

// rescale changes a decimal's scale, rounding half away from zero when the
// scale shrinks, and checks the target precision.
func rescale(d decimal128.Num, from, to, p int32) (decimal128.Num, bool) {
	if from == to {
		return d, d.FitsInPrecision(p)
	}
	v := d.BigInt()
	if to > from {
		v.Mul(v, pow10Big(to-from))
		return decFromBig(v, p)
	}
	div := pow10Big(from - to)
	q, r := new(big.Int).QuoRem(v, div, new(big.Int))
	r.Abs(r).Mul(r, big.NewInt(2))
	if r.Cmp(div) >= 0 {
		q.Add(q, big.NewInt(int64(v.Sign())))
	}
	return decFromBig(q, p)
}

// castDecimal converts to or from decimal128.
func castDecimal(c *ctx, a arrow.Array, to arrow.DataType, pos int) (arrow.Array, error) {
	from := a.DataType()
	n := a.Len()
	valid := func(i int) bool { return a.IsValid(i) }
	if isDecimal(from) {
		fs := from.(*arrow.Decimal128Type).Scale
		src := vals[decimal128.Num](a)
		switch {
		case isDecimal(to):
			dt := to.(*arrow.Decimal128Type)
			buf, dst := newFixed[decimal128.Num](c.mem, n)
			for i, d := range src {
				dst[i] = decimal128.Num{}
				if !valid(i) {
					continue
				}
				r, ok := rescale(d, fs, dt.Scale, dt.Precision)
				if !ok {
					buf.Release()
					return nil, errf(pos, "value %s is out of range for %s", d.ToString(fs), typeName(to))
				}
				dst[i] = r
			}
			return withValidity(c, a, to, buf), nil
		case isFloat(to):
			tmp := make([]float64, n)
			for i, d := range src {
				tmp[i] = d.ToFloat64(fs)
			}
			return castFrom(c, tmp, a, to, pos)
		case isInt(to):
			tmp := make([]int64, n)
			for i, d := range src {
				if !valid(i) {
					continue
				}
				r, ok := rescale(d, fs, 0, 38)
				bi := r.BigInt()
				if !ok || !bi.IsInt64() {
					if isUnsigned(to) && bi.IsUint64() && to.ID() == arrow.UINT64 {
						return castUint64Dec(c, src, fs, a, to, pos)
					}
					return nil, errf(pos, "value %s is out of range for %s", d.ToString(fs), typeName(to))
				}
				tmp[i] = bi.Int64()
			}
			return castFrom(c, tmp, a, to, pos)
		}
		return nil, errf(pos, "cannot cast %s to %s", typeName(from), typeName(to))
	}
	dt, ok := to.(*arrow.Decimal128Type)
	if !ok {
		return nil, errf(pos, "cannot cast %s to %s", typeName(from), typeName(to))
	}
	buf, dst := newFixed[decimal128.Num](c.mem, n)
	fail := func(i int) (arrow.Array, error) {
		buf.Release()
		var tmp []byte
		return nil, errf(pos, "value %s is out of range for %s", appendValue(tmp, a, from, i), typeName(to))
	}
	mul := pow10Big(dt.Scale)
	for i := 0; i < n; i++ {
		dst[i] = decimal128.Num{}
		if !valid(i) {
			continue
		}
		var v *big.Int
		switch x := a.(type) {
		case *array.Float32, *array.Float64:
			var f float64
			if f32, ok := x.(*array.Float32); ok {
				f = float64(f32.Value(i))
			} else {
				f = x.(*array.Float64).Value(i)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fail(i)
			}
			bf := new(big.Float).SetFloat64(f)
			bf.Mul(bf, new(big.Float).SetInt(mul))
			if f < 0 {
				bf.Sub(bf, big.NewFloat(0.5))
			} else {
				bf.Add(bf, big.NewFloat(0.5))
			}
			v, _ = bf.Int(nil)
		case *array.Boolean:
			v = big.NewInt(0)
			if x.Value(i) {
				v.Set(mul)
			}
		default:
			k := konstAt(a, i)
			switch t := k.v.(type) {
			case int64:
				v = big.NewInt(t)
			case uint64:
				v = new(big.Int).SetUint64(t)
			default:
				buf.Release()
				return nil, errf(pos, "cannot cast %s to %s", typeName(from), typeName(to))
			}
			v.Mul(v, mul)
		}
		d, ok := decFromBig(v, dt.Precision)
		if !ok {
			return fail(i)
		}
		dst[i] = d
	}
	return withValidity(c, a, to, buf), nil
}

func castUint64Dec(c *ctx, src []decimal128.Num, fs int32, a arrow.Array, to arrow.DataType, pos int) (arrow.Array, error) {
	tmp := make([]uint64, len(src))
	for i, d := range src {
		if !a.IsValid(i) {
			continue
		}
		r, _ := rescale(d, fs, 0, 38)
		bi := r.BigInt()
		if !bi.IsUint64() {
			return nil, errf(pos, "value %s is out of range for %s", d.ToString(fs), typeName(to))
		}
		tmp[i] = bi.Uint64()
	}
	return castFrom(c, tmp, a, to, pos)
}
