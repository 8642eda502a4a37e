package sink

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
)

// kind is how a column's text is treated by the writers.
type kind uint8

const (
	kindNumber kind = iota // integers, floats, decimals: JSON numbers, right-aligned
	kindBool               // JSON true/false
	kindText               // strings and binary: may need quoting or escaping
	kindTime               // dates and timestamps: JSON strings, never need CSV quoting
)

// cells holds the text of one column of a batch: cell i is buf[end[i-1]:end[i]]
// (with end[-1] = 0), and null[i] says whether the value is NULL (its text is
// empty). The slices are reused from batch to batch.
type cells struct {
	buf  []byte
	end  []int
	null []bool
	dict *cells // scratch for a dictionary's values
}

func (c *cells) reset() {
	c.buf = c.buf[:0]
	c.end = c.end[:0]
	c.null = c.null[:0]
}

func (c *cells) len() int { return len(c.end) }

func (c *cells) cell(i int) []byte {
	start := 0
	if i > 0 {
		start = c.end[i-1]
	}
	return c.buf[start:c.end[i]]
}

func (c *cells) pushNull() {
	c.end = append(c.end, len(c.buf))
	c.null = append(c.null, true)
}

func (c *cells) push() {
	c.end = append(c.end, len(c.buf))
	c.null = append(c.null, false)
}

// supported reports whether a column of type dt can be formatted as text, and
// its kind. A dictionary is supported when its values are.
func supported(dt arrow.DataType) (kind, bool) {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128:
		return kindNumber, true
	case arrow.BOOL:
		return kindBool, true
	case arrow.STRING, arrow.BINARY:
		return kindText, true
	case arrow.DATE32, arrow.TIMESTAMP:
		return kindTime, true
	case arrow.DICTIONARY:
		d := dt.(*arrow.DictionaryType)
		if !arrow.IsInteger(d.IndexType.ID()) {
			return 0, false
		}
		return supported(d.ValueType)
	}
	return 0, false
}

// validity returns the array's null bitmap and offset, or nil when it has no NULLs.
func validity(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	return arr.NullBitmapBytes(), arr.Data().Offset()
}

// format appends the text of every value of arr to c (after resetting it).
// With jsonFloats, NaN and infinities become NULL (JSON has no such numbers).
// It returns an error for a type that supported rejects.
func (c *cells) format(arr arrow.Array, jsonFloats bool) error {
	c.reset()
	switch a := arr.(type) {
	case *array.Boolean:
		valid, off := validity(a)
		for i := 0; i < a.Len(); i++ {
			if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
				c.pushNull()
				continue
			}
			c.buf = strconv.AppendBool(c.buf, a.Value(i))
			c.push()
		}
	case *array.Int8:
		formatInts(c, a.Int8Values(), a)
	case *array.Int16:
		formatInts(c, a.Int16Values(), a)
	case *array.Int32:
		formatInts(c, a.Int32Values(), a)
	case *array.Int64:
		formatInts(c, a.Int64Values(), a)
	case *array.Uint8:
		formatUints(c, a.Uint8Values(), a)
	case *array.Uint16:
		formatUints(c, a.Uint16Values(), a)
	case *array.Uint32:
		formatUints(c, a.Uint32Values(), a)
	case *array.Uint64:
		formatUints(c, a.Uint64Values(), a)
	case *array.Float32:
		formatFloats(c, a.Float32Values(), 32, jsonFloats, a)
	case *array.Float64:
		formatFloats(c, a.Float64Values(), 64, jsonFloats, a)
	case *array.String:
		formatBytes(c, a.ValueOffsets(), a.ValueBytes(), false, a)
	case *array.Binary:
		formatBytes(c, a.ValueOffsets(), a.ValueBytes(), true, a)
	case *array.Date32:
		valid, off := validity(a)
		for i, v := range a.Date32Values() {
			if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
				c.pushNull()
				continue
			}
			c.buf = appendDate(c.buf, int64(v))
			c.push()
		}
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		var dc dateCache
		valid, off := validity(a)
		for i, v := range a.TimestampValues() {
			if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
				c.pushNull()
				continue
			}
			c.buf = appendTimestamp(c.buf, int64(v), t.Unit, t.TimeZone != "", &dc)
			c.push()
		}
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		valid, off := validity(a)
		for i, v := range a.Values() {
			if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
				c.pushNull()
				continue
			}
			c.buf = appendDecimal(c.buf, v, scale)
			c.push()
		}
	case *array.Dictionary:
		return c.formatDict(a, jsonFloats)
	default:
		return fmt.Errorf("unsupported type %s", arr.DataType())
	}
	return nil
}

// formatDict formats a dictionary's values once, then copies the text of each
// row's entry.
func (c *cells) formatDict(a *array.Dictionary, jsonFloats bool) error {
	if c.dict == nil {
		c.dict = new(cells)
	}
	dict := c.dict
	if err := dict.format(a.Dictionary(), jsonFloats); err != nil {
		return err
	}
	switch idx := a.Indices().(type) {
	case *array.Int8:
		return gatherDict(c, dict, idx.Int8Values(), a)
	case *array.Int16:
		return gatherDict(c, dict, idx.Int16Values(), a)
	case *array.Int32:
		return gatherDict(c, dict, idx.Int32Values(), a)
	case *array.Int64:
		return gatherDict(c, dict, idx.Int64Values(), a)
	case *array.Uint8:
		return gatherDict(c, dict, idx.Uint8Values(), a)
	case *array.Uint16:
		return gatherDict(c, dict, idx.Uint16Values(), a)
	case *array.Uint32:
		return gatherDict(c, dict, idx.Uint32Values(), a)
	case *array.Uint64:
		return gatherDict(c, dict, idx.Uint64Values(), a)
	}
	return fmt.Errorf("unsupported dictionary index type %s", a.Indices().DataType())
}

func gatherDict[T integer](c *cells, dict *cells, idx []T, a arrow.Array) error {
	valid, off := validity(a)
	n := dict.len()
	for i, k := range idx {
		if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
			c.pushNull()
			continue
		}
		if int64(k) < 0 || uint64(k) >= uint64(n) {
			return fmt.Errorf("row %d: dictionary index %d out of range [0, %d)", i, k, n)
		}
		if dict.null[k] {
			c.pushNull()
			continue
		}
		c.buf = append(c.buf, dict.cell(int(k))...)
		c.push()
	}
	return nil
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

func formatInts[T ~int8 | ~int16 | ~int32 | ~int64](c *cells, vals []T, a arrow.Array) {
	valid, off := validity(a)
	for i, v := range vals {
		if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
			c.pushNull()
			continue
		}
		c.buf = strconv.AppendInt(c.buf, int64(v), 10)
		c.push()
	}
}

func formatUints[T ~uint8 | ~uint16 | ~uint32 | ~uint64](c *cells, vals []T, a arrow.Array) {
	valid, off := validity(a)
	for i, v := range vals {
		if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
			c.pushNull()
			continue
		}
		c.buf = strconv.AppendUint(c.buf, uint64(v), 10)
		c.push()
	}
}

func formatFloats[T ~float32 | ~float64](c *cells, vals []T, bits int, jsonFloats bool, a arrow.Array) {
	valid, off := validity(a)
	for i, v := range vals {
		if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
			c.pushNull()
			continue
		}
		f := float64(v)
		if jsonFloats && (math.IsNaN(f) || math.IsInf(f, 0)) {
			c.pushNull()
			continue
		}
		c.buf = appendFloat(c.buf, f, bits)
		c.push()
	}
}

func formatBytes(c *cells, offs []int32, data []byte, hex bool, a arrow.Array) {
	if len(offs) == 0 {
		return
	}
	valid, off := validity(a)
	base := offs[0]
	for i := 0; i+1 < len(offs); i++ {
		if valid != nil && bitutil.BitIsNotSet(valid, off+i) {
			c.pushNull()
			continue
		}
		v := data[offs[i]-base : offs[i+1]-base]
		if hex {
			c.buf = appendHex(c.buf, v)
		} else {
			c.buf = append(c.buf, v...)
		}
		c.push()
	}
}

// FormatValue returns the CSV text of arr's value at row i: "" for NULL (and
// for i out of range); true/false; integers in decimal; floats as appendFloat
// documents (shortest text that round-trips, "26.0", "1e+20", "nan", "inf",
// "-inf"); decimals exactly with the column's scale ("8946.090"); dates as
// YYYY-MM-DD; timestamps as "YYYY-MM-DD HH:MM:SS" plus a fraction when it is
// non-zero (up to 3, 6 or 9 digits for ms, µs and ns, trailing zeros trimmed)
// plus "+00" when the column has a time zone (the instant is shown in UTC);
// binary as \x followed by lowercase hex digits; strings as they are;
// dictionary values as their entry's text. A type outside those above is
// shown with arrow's ValueStr.
func FormatValue(arr arrow.Array, i int) string {
	if i < 0 || i >= arr.Len() || arr.IsNull(i) {
		return ""
	}
	if d, ok := arr.(*array.Dictionary); ok {
		return FormatValue(d.Dictionary(), d.GetValueIndex(i))
	}
	if _, ok := supported(arr.DataType()); !ok {
		return arr.ValueStr(i)
	}
	one := array.NewSlice(arr, int64(i), int64(i+1))
	defer one.Release()
	var c cells
	if err := c.format(one, false); err != nil || c.len() != 1 {
		return arr.ValueStr(i)
	}
	return string(c.cell(0))
}

// appendFloat appends the shortest decimal text that parses back to f: plain
// notation with at least one digit after the point ("0.1", "26.0", "-0.0") for
// magnitudes in [1e-5, 1e16) and zero, else exponent notation ("1e+20",
// "1.5e-07"); NaN, +Inf and -Inf as nan, inf and -inf.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-5 || abs >= 1e16) {
		return strconv.AppendFloat(dst, f, 'e', -1, bits)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, bits)
	for _, b := range dst[start:] {
		if b == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

const hexDigits = "0123456789abcdef"

func appendHex(dst, v []byte) []byte {
	dst = append(dst, '\\', 'x')
	for _, b := range v {
		dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
	}
	return dst
}

func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// appendDate appends days since 1970-01-01 as YYYY-MM-DD (proleptic Gregorian,
// astronomical years: year 0 is 1 BC, a negative year is -YYYY, a year past
// 9999 has all its digits).
func appendDate(dst []byte, days int64) []byte {
	// Howard Hinnant's civil_from_days.
	era, doe := floorDiv(days+719468, 146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	if y <= 9999 {
		dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	} else {
		dst = strconv.AppendInt(dst, y, 10)
	}
	return append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// dateCache remembers the text of the last date formatted: consecutive
// timestamps mostly fall on the same day.
type dateCache struct {
	days int64
	n    int
	text [16]byte
}

func (dc *dateCache) append(dst []byte, days int64) []byte {
	if dc.n == 0 || dc.days != days {
		b := appendDate(dc.text[:0], days)
		if len(b) > len(dc.text) {
			return append(dst, b...)
		}
		dc.days, dc.n = days, len(b)
	}
	return append(dst, dc.text[:dc.n]...)
}

// appendTimestamp appends v (in unit since the epoch, UTC) as
// "YYYY-MM-DD HH:MM:SS[.fraction][+00]".
func appendTimestamp(dst []byte, v int64, unit arrow.TimeUnit, tz bool, dc *dateCache) []byte {
	var perSec int64
	var digits int
	switch unit {
	case arrow.Second:
		perSec, digits = 1, 0
	case arrow.Millisecond:
		perSec, digits = 1e3, 3
	case arrow.Microsecond:
		perSec, digits = 1e6, 6
	default:
		perSec, digits = 1e9, 9
	}
	sec, frac := floorDiv(v, perSec)
	days, sod := floorDiv(sec, 86400)
	dst = dc.append(dst, days)
	h, mi, s := sod/3600, sod/60%60, sod%60
	dst = append(dst, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10),
		':', byte('0'+s/10), byte('0'+s%10))
	if frac != 0 {
		var tmp [9]byte
		for k := digits - 1; k >= 0; k-- {
			tmp[k] = byte('0' + frac%10)
			frac /= 10
		}
		n := digits
		for tmp[n-1] == '0' {
			n--
		}
		dst = append(dst, '.')
		dst = append(dst, tmp[:n]...)
	}
	if tz {
		dst = append(dst, '+', '0', '0')
	}
	return dst
}

// appendDecimal appends the exact value of the unscaled integer n with scale
// digits after the point ("8946.090", "-0.05"); a negative scale appends zeros.
func appendDecimal(dst []byte, n decimal128.Num, scale int32) []byte {
	lo, hi := n.LowBits(), n.HighBits()
	var tmp [48]byte
	var digits []byte
	neg := false
	if hi == int64(lo)>>63 {
		v := int64(lo)
		neg = v < 0
		u := uint64(v)
		if neg {
			u = -u
		}
		digits = strconv.AppendUint(tmp[:0], u, 10)
	} else {
		b := n.BigInt()
		neg = b.Sign() < 0
		digits = b.Abs(b).Append(tmp[:0], 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		for ; scale < 0; scale++ {
			dst = append(dst, '0')
		}
		return dst
	}
	s := int(scale)
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for k := len(digits); k < s; k++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-s]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-s:]...)
}
