package column

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Repeat returns an array of type dt holding the constant v in each of its n
// rows, owned by the caller. v is nil (every row NULL) or a Go value matching
// dt: bool for boolean; int64 or uint64 for integers, date32/64, time32/64,
// timestamps and durations (the raw value, checked to fit); float64 for
// floats; string or []byte for utf8 and binary types; decimal128.Num for
// decimal128.
func Repeat(mem memory.Allocator, dt arrow.DataType, v any, n int) (arrow.Array, error) {
	if n < 0 {
		return nil, fmt.Errorf("column: repeat: negative length %d", n)
	}
	if v == nil || dt.ID() == arrow.NULL {
		return array.MakeArrayOfNull(mem, dt, n), nil
	}
	var bufs []*memory.Buffer
	bad := func() (arrow.Array, error) {
		return nil, fmt.Errorf("column: repeat: value %v (%T) for type %s: %w", v, v, dt, ErrUnsupported)
	}
	switch dt.ID() {
	case arrow.BOOL:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		buf := newZeroBuf(mem, int(bitutil.BytesForBits(int64(n))))
		if b {
			bitutil.SetBitsTo(buf.Bytes(), 0, int64(n), true)
		}
		bufs = []*memory.Buffer{nil, buf}
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION:
		var x int64
		var ux uint64
		neg := false
		switch t := v.(type) {
		case int64:
			x, ux, neg = t, uint64(t), t < 0
		case uint64:
			x, ux = int64(t), t
			if t > math.MaxInt64 && dt.ID() != arrow.UINT64 {
				return bad()
			}
		default:
			return bad()
		}
		w := dt.(arrow.FixedWidthDataType).BitWidth() / 8
		if !fitsInt(dt.ID(), x, ux, neg) {
			return nil, fmt.Errorf("column: repeat: value %v out of range for %s", v, dt)
		}
		buf := newBuf(mem, n*w)
		b := buf.Bytes()
		switch w {
		case 1:
			fill(b, uint8(ux))
		case 2:
			fill(cast[uint16](b), uint16(ux))
		case 4:
			fill(cast[uint32](b), uint32(ux))
		default:
			fill(cast[uint64](b), ux)
		}
		bufs = []*memory.Buffer{nil, buf}
	case arrow.FLOAT32, arrow.FLOAT64:
		f, ok := v.(float64)
		if !ok {
			return bad()
		}
		if dt.ID() == arrow.FLOAT32 {
			buf := newBuf(mem, n*4)
			fill(cast[float32](buf.Bytes()), float32(f))
			bufs = []*memory.Buffer{nil, buf}
		} else {
			buf := newBuf(mem, n*8)
			fill(cast[float64](buf.Bytes()), f)
			bufs = []*memory.Buffer{nil, buf}
		}
	case arrow.DECIMAL128:
		d, ok := v.(decimal128.Num)
		if !ok {
			return bad()
		}
		buf := newBuf(mem, n*16)
		fill(cast[decimal128.Num](buf.Bytes()), d)
		bufs = []*memory.Buffer{nil, buf}
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case []byte:
			s = string(t)
		default:
			return bad()
		}
		large := dt.ID() == arrow.LARGE_STRING || dt.ID() == arrow.LARGE_BINARY
		total := int64(len(s)) * int64(n)
		if !large && total > math.MaxInt32 {
			return nil, fmt.Errorf("column: repeat: %d bytes of string data exceed the int32 offsets limit", total)
		}
		data := newBuf(mem, int(total))
		db := data.Bytes()
		for i := 0; i < n; i++ {
			copy(db[i*len(s):], s)
		}
		var offs *memory.Buffer
		if large {
			offs = newBuf(mem, (n+1)*8)
			o := cast[int64](offs.Bytes())
			for i := range n + 1 {
				o[i] = int64(i * len(s))
			}
		} else {
			offs = newBuf(mem, (n+1)*4)
			o := cast[int32](offs.Bytes())
			for i := range n + 1 {
				o[i] = int32(i * len(s))
			}
		}
		bufs = []*memory.Buffer{nil, offs, data}
	default:
		return bad()
	}
	d := array.NewData(dt, n, bufs, nil, 0, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

func fitsInt(id arrow.Type, x int64, ux uint64, neg bool) bool {
	switch id {
	case arrow.INT8:
		return x >= math.MinInt8 && x <= math.MaxInt8
	case arrow.INT16:
		return x >= math.MinInt16 && x <= math.MaxInt16
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		return x >= math.MinInt32 && x <= math.MaxInt32
	case arrow.UINT8:
		return !neg && ux <= math.MaxUint8
	case arrow.UINT16:
		return !neg && ux <= math.MaxUint16
	case arrow.UINT32:
		return !neg && ux <= math.MaxUint32
	case arrow.UINT64:
		return !neg
	}
	return true
}
