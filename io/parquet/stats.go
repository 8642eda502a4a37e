package parquet

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/parquet-go/parquet-go/format"
)

// statValue is one decoded min or max statistic in its comparison domain.
type statValue struct {
	i int64
	u uint64
	f float64
	s []byte
	b bool
}

// chunkBounds returns a column chunk's min and max in c's comparison domain;
// ok is false when the statistics are missing or cannot be trusted for
// pruning (NaN, unknown order, decimal, INT96).
func chunkBounds(c *column, md *format.ColumnMetaData) (lo, hi statValue, ok bool) {
	if c.stat == statNone {
		return lo, hi, false
	}
	minRaw, maxRaw := rawBounds(c, &md.Statistics)
	if minRaw == nil || maxRaw == nil {
		return lo, hi, false
	}
	lo, ok1 := decodeStat(c, minRaw)
	hi, ok2 := decodeStat(c, maxRaw)
	return lo, hi, ok1 && ok2
}

// rawBounds picks min_value/max_value, or the legacy min/max fields for the
// types whose legacy (signed) order is the right one.
func rawBounds(c *column, st *format.Statistics) (lo, hi []byte) {
	if st.MinValue != nil && st.MaxValue != nil {
		return st.MinValue, st.MaxValue
	}
	switch c.stat {
	case statInt, statFloat, statBool:
		if st.Min != nil && st.Max != nil {
			return st.Min, st.Max
		}
	case statNone:
		if c.conv == convDecimal && (c.phys == format.Int32 || c.phys == format.Int64) && st.Min != nil && st.Max != nil {
			return st.Min, st.Max
		}
	}
	return nil, nil
}

func decodeStat(c *column, raw []byte) (v statValue, ok bool) {
	switch c.stat {
	case statInt:
		switch {
		case c.phys == format.Int32 && len(raw) == 4:
			v.i = int64(int32(binary.LittleEndian.Uint32(raw)))
		case c.phys == format.Int64 && len(raw) == 8:
			v.i = int64(binary.LittleEndian.Uint64(raw))
		default:
			return v, false
		}
	case statUint:
		switch {
		case c.phys == format.Int32 && len(raw) == 4:
			v.u = uint64(binary.LittleEndian.Uint32(raw))
		case c.phys == format.Int64 && len(raw) == 8:
			v.u = binary.LittleEndian.Uint64(raw)
		default:
			return v, false
		}
	case statFloat:
		switch {
		case c.phys == format.Float && len(raw) == 4:
			v.f = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw)))
		case c.phys == format.Double && len(raw) == 8:
			v.f = math.Float64frombits(binary.LittleEndian.Uint64(raw))
		default:
			return v, false
		}
		if math.IsNaN(v.f) {
			return v, false
		}
	case statBytes:
		v.s = raw
	case statBool:
		if len(raw) != 1 {
			return v, false
		}
		v.b = raw[0]&1 != 0
	default:
		return v, false
	}
	return v, true
}

// displayStat turns a raw statistic into a Go value (in the Pred value domain:
// int64, uint64, float64, string, []byte, bool, int32 days for dates, int64 in
// the column's unit for timestamps; nil for decimals) and text.
func displayStat(c *column, raw []byte) (any, string, bool) {
	switch c.conv {
	case convDecimal:
		n, ok := decimalFromRaw(c, raw)
		if !ok {
			return nil, "", false
		}
		return nil, n.ToString(c.scale), true
	case convInt96:
		if len(raw) != 12 {
			return nil, "", false
		}
		ns := int96ToNanos(raw)
		return ns, formatTimestamp(ns, arrow.Nanosecond), true
	}
	if c.stat == statNone {
		return nil, "", false
	}
	v, ok := decodeStat(c, raw)
	if !ok && !(c.stat == statFloat && len(raw) > 0) {
		return nil, "", false
	}
	switch c.stat {
	case statInt:
		switch t := c.typ.(type) {
		case *arrow.Date32Type:
			return int32(v.i), formatDate(int32(v.i)), true
		case *arrow.TimestampType:
			return v.i, formatTimestamp(v.i, t.Unit), true
		}
		return v.i, strconv.FormatInt(v.i, 10), true
	case statUint:
		return v.u, strconv.FormatUint(v.u, 10), true
	case statFloat:
		if c.phys == format.Float && len(raw) == 4 {
			f := math.Float32frombits(binary.LittleEndian.Uint32(raw))
			return float64(f), strconv.FormatFloat(float64(f), 'g', -1, 32), true
		}
		if len(raw) == 8 {
			f := math.Float64frombits(binary.LittleEndian.Uint64(raw))
			return f, strconv.FormatFloat(f, 'g', -1, 64), true
		}
		return nil, "", false
	case statBytes:
		s := bytes.Clone(raw)
		if c.typ.ID() == arrow.STRING {
			return string(s), string(s), true
		}
		if utf8.Valid(s) {
			return s, string(s), true
		}
		return s, "0x" + hex.EncodeToString(s), true
	case statBool:
		return v.b, strconv.FormatBool(v.b), true
	}
	return nil, "", false
}

// decimalFromRaw decodes a decimal statistic (plain encoded).
func decimalFromRaw(c *column, raw []byte) (decimal128.Num, bool) {
	switch c.phys {
	case format.Int32:
		if len(raw) != 4 {
			return decimal128.Num{}, false
		}
		return decimal128.FromI64(int64(int32(binary.LittleEndian.Uint32(raw)))), true
	case format.Int64:
		if len(raw) != 8 {
			return decimal128.Num{}, false
		}
		return decimal128.FromI64(int64(binary.LittleEndian.Uint64(raw))), true
	default:
		if len(raw) == 0 || len(raw) > 16 {
			return decimal128.Num{}, false
		}
		return decimalFromBigEndian(raw), true
	}
}

// decimalFromBigEndian decodes a big-endian two's complement integer of 1 to
// 16 bytes.
func decimalFromBigEndian(b []byte) decimal128.Num {
	var buf [16]byte
	fill := byte(0)
	if len(b) > 0 && b[0]&0x80 != 0 {
		fill = 0xff
	}
	for i := 0; i < 16-len(b); i++ {
		buf[i] = fill
	}
	copy(buf[16-len(b):], b)
	return decimal128.New(int64(binary.BigEndian.Uint64(buf[:8])), binary.BigEndian.Uint64(buf[8:]))
}

const (
	julianUnixEpoch = 2440588
	nanosPerDay     = 86400 * 1e9
)

// int96ToNanos converts a legacy INT96 timestamp (nanoseconds of day, then
// Julian day, little endian) to nanoseconds since the Unix epoch.
func int96ToNanos(b []byte) int64 {
	nanos := int64(binary.LittleEndian.Uint64(b[:8]))
	day := int64(binary.LittleEndian.Uint32(b[8:12]))
	return (day-julianUnixEpoch)*nanosPerDay + nanos
}

// TimestampLayout is the text layout of timestamps in statistics text.
const TimestampLayout = "2006-01-02 15:04:05.000000"

// DateLayout is the text layout of dates in statistics text.
const DateLayout = "2006-01-02"

func formatTimestamp(v int64, unit arrow.TimeUnit) string {
	return arrow.Timestamp(v).ToTime(unit).UTC().Format(TimestampLayout)
}

func formatDate(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format(DateLayout)
}
