package expr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
)

// ParseType returns the Arrow type for a SQL type name, case-insensitively:
// BOOLEAN/BOOL, TINYINT/INT1, SMALLINT/INT2, INTEGER/INT/INT4, BIGINT/INT8/LONG,
// UTINYINT, USMALLINT, UINTEGER, UBIGINT, FLOAT/REAL/FLOAT4, DOUBLE/FLOAT8,
// VARCHAR/TEXT/STRING (an optional length such as VARCHAR(10) is ignored),
// BLOB/BYTEA, DATE, TIMESTAMP (microseconds), TIMESTAMP_MS, TIMESTAMP_NS,
// TIMESTAMP_S, TIMESTAMPTZ (microseconds, UTC), DECIMAL(p,s)/NUMERIC(p,s)
// (DECIMAL alone is DECIMAL(18,3), DECIMAL(p) is DECIMAL(p,0)). Arrow's own
// names (int8..uint64, float32, float64, utf8, binary, date32,
// timestamp[s|ms|us|ns], decimal128(p,s)) are accepted as well.
func ParseType(name string) (arrow.DataType, error) {
	s := strings.ToLower(strings.Join(strings.Fields(name), " "))
	base, params, hasParams, err := splitParams(s)
	if err != nil {
		return nil, fmt.Errorf("type %q: %w", name, err)
	}
	switch base {
	case "decimal", "numeric", "decimal128", "dec":
		p, sc := int32(18), int32(3)
		if hasParams {
			switch len(params) {
			case 1:
				p, sc = params[0], 0
			case 2:
				p, sc = params[0], params[1]
			default:
				return nil, fmt.Errorf("type %q: DECIMAL takes (precision[, scale])", name)
			}
		}
		if p < 1 || p > 38 || sc < 0 || sc > p {
			return nil, fmt.Errorf("type %q: DECIMAL precision must be 1..38 and scale 0..precision", name)
		}
		return &arrow.Decimal128Type{Precision: p, Scale: sc}, nil
	case "varchar", "text", "string", "char", "bpchar", "utf8", "character varying":
		return arrow.BinaryTypes.String, nil
	}
	if hasParams {
		return nil, fmt.Errorf("unknown type %q", name)
	}
	if t, ok := typeNames[base]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

func splitParams(s string) (base string, params []int32, has bool, err error) {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return s, nil, false, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", nil, false, fmt.Errorf("missing )")
	}
	base = strings.TrimSpace(s[:i])
	for _, p := range strings.Split(s[i+1:len(s)-1], ",") {
		v, perr := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if perr != nil {
			return "", nil, false, fmt.Errorf("bad type parameter %q", strings.TrimSpace(p))
		}
		params = append(params, int32(v))
	}
	return base, params, true, nil
}

var typeNames = map[string]arrow.DataType{
	"boolean": arrow.FixedWidthTypes.Boolean, "bool": arrow.FixedWidthTypes.Boolean, "logical": arrow.FixedWidthTypes.Boolean,
	"tinyint": arrow.PrimitiveTypes.Int8, "int1": arrow.PrimitiveTypes.Int8, "int8_t": arrow.PrimitiveTypes.Int8,
	"smallint": arrow.PrimitiveTypes.Int16, "int2": arrow.PrimitiveTypes.Int16, "short": arrow.PrimitiveTypes.Int16, "int16": arrow.PrimitiveTypes.Int16,
	"integer": arrow.PrimitiveTypes.Int32, "int": arrow.PrimitiveTypes.Int32, "int4": arrow.PrimitiveTypes.Int32, "signed": arrow.PrimitiveTypes.Int32, "int32": arrow.PrimitiveTypes.Int32,
	"bigint": arrow.PrimitiveTypes.Int64, "int8": arrow.PrimitiveTypes.Int64, "long": arrow.PrimitiveTypes.Int64, "int64": arrow.PrimitiveTypes.Int64,
	"utinyint": arrow.PrimitiveTypes.Uint8, "uint8": arrow.PrimitiveTypes.Uint8,
	"usmallint": arrow.PrimitiveTypes.Uint16, "uint16": arrow.PrimitiveTypes.Uint16,
	"uinteger": arrow.PrimitiveTypes.Uint32, "uint32": arrow.PrimitiveTypes.Uint32,
	"ubigint": arrow.PrimitiveTypes.Uint64, "uint64": arrow.PrimitiveTypes.Uint64,
	"float": arrow.PrimitiveTypes.Float32, "real": arrow.PrimitiveTypes.Float32, "float4": arrow.PrimitiveTypes.Float32, "float32": arrow.PrimitiveTypes.Float32,
	"double": arrow.PrimitiveTypes.Float64, "float8": arrow.PrimitiveTypes.Float64, "float64": arrow.PrimitiveTypes.Float64, "double precision": arrow.PrimitiveTypes.Float64,
	"blob": arrow.BinaryTypes.Binary, "bytea": arrow.BinaryTypes.Binary, "binary": arrow.BinaryTypes.Binary, "varbinary": arrow.BinaryTypes.Binary,
	"date": arrow.FixedWidthTypes.Date32, "date32": arrow.FixedWidthTypes.Date32,
	"timestamp": &arrow.TimestampType{Unit: arrow.Microsecond}, "datetime": &arrow.TimestampType{Unit: arrow.Microsecond},
	"timestamp_us": &arrow.TimestampType{Unit: arrow.Microsecond}, "timestamp[us]": &arrow.TimestampType{Unit: arrow.Microsecond},
	"timestamp_ms": &arrow.TimestampType{Unit: arrow.Millisecond}, "timestamp[ms]": &arrow.TimestampType{Unit: arrow.Millisecond},
	"timestamp_ns": &arrow.TimestampType{Unit: arrow.Nanosecond}, "timestamp[ns]": &arrow.TimestampType{Unit: arrow.Nanosecond},
	"timestamp_s": &arrow.TimestampType{Unit: arrow.Second}, "timestamp[s]": &arrow.TimestampType{Unit: arrow.Second},
	"timestamptz": &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, "timestamp with time zone": &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
}

func isInt(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

func isUnsigned(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

func isFloat(t arrow.DataType) bool   { return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64 }
func isDecimal(t arrow.DataType) bool { return t.ID() == arrow.DECIMAL128 }
func isNumeric(t arrow.DataType) bool { return isInt(t) || isFloat(t) || isDecimal(t) }
func isString(t arrow.DataType) bool  { return t.ID() == arrow.STRING || t.ID() == arrow.BINARY }
func isTemporal(t arrow.DataType) bool {
	return t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP
}
func isNull(t arrow.DataType) bool { return t.ID() == arrow.NULL }

// supported reports whether t is a logical type expressions handle.
func supported(t arrow.DataType) bool {
	return isNumeric(t) || isString(t) || isTemporal(t) || t.ID() == arrow.BOOL || isNull(t)
}

// logical returns the logical type of a physical one (a dictionary's values).
func logical(t arrow.DataType) arrow.DataType {
	if d, ok := t.(*arrow.DictionaryType); ok {
		return d.ValueType
	}
	return t
}

var (
	tBool    = arrow.FixedWidthTypes.Boolean
	tInt64   = arrow.PrimitiveTypes.Int64
	tFloat64 = arrow.PrimitiveTypes.Float64
	tString  = arrow.BinaryTypes.String
	tDate    = arrow.FixedWidthTypes.Date32
	tNull    = arrow.Null
)

func tsUnit(t arrow.DataType) arrow.TimeUnit { return t.(*arrow.TimestampType).Unit }

// unitsPerSecond of a timestamp unit.
func unitsPerSecond(u arrow.TimeUnit) int64 {
	return [...]int64{1, 1_000, 1_000_000, 1_000_000_000}[u&3]
}

func intBits(t arrow.DataType) int {
	return t.(arrow.FixedWidthDataType).BitWidth()
}

// commonType returns the type two values are compared or combined in (for
// CASE, COALESCE, IN and comparisons), or nil when none exists. NULL yields to
// the other type. Strings become dates, timestamps, numbers or booleans only
// when the string side is a constant (checked by the caller through
// constStr).
func commonType(a, b arrow.DataType) arrow.DataType {
	switch {
	case isNull(a):
		return b
	case isNull(b):
		return a
	case arrow.TypeEqual(a, b):
		return a
	case isInt(a) && isInt(b):
		return commonInt(a, b)
	case isDecimal(a) && isDecimal(b):
		da, db := a.(*arrow.Decimal128Type), b.(*arrow.Decimal128Type)
		s := max(da.Scale, db.Scale)
		p := min(38, max(da.Precision-da.Scale, db.Precision-db.Scale)+s)
		return &arrow.Decimal128Type{Precision: p, Scale: s}
	case isDecimal(a) && isInt(b):
		return decWithInt(a.(*arrow.Decimal128Type), b)
	case isInt(a) && isDecimal(b):
		return decWithInt(b.(*arrow.Decimal128Type), a)
	case isNumeric(a) && isNumeric(b):
		if a.ID() == arrow.FLOAT32 && b.ID() == arrow.FLOAT32 {
			return a
		}
		return tFloat64
	case isString(a) && isString(b):
		return tString
	case a.ID() == arrow.DATE32 && b.ID() == arrow.TIMESTAMP:
		return b
	case a.ID() == arrow.TIMESTAMP && b.ID() == arrow.DATE32:
		return a
	case a.ID() == arrow.TIMESTAMP && b.ID() == arrow.TIMESTAMP:
		ua, ub := tsUnit(a), tsUnit(b)
		if ua >= ub {
			return a
		}
		return b
	}
	return nil
}

func commonInt(a, b arrow.DataType) arrow.DataType {
	ua, ub := isUnsigned(a), isUnsigned(b)
	wa, wb := intBits(a), intBits(b)
	switch {
	case ua == ub:
		if wa >= wb {
			return a
		}
		return b
	case ua && wa < wb: // unsigned narrower than the signed side fits in it
		return b
	case ub && wb < wa:
		return a
	}
	// unsigned at least as wide as the signed side
	w := max(wa, wb) * 2
	switch {
	case w <= 16:
		return arrow.PrimitiveTypes.Int16
	case w <= 32:
		return arrow.PrimitiveTypes.Int32
	case w <= 64:
		return tInt64
	}
	return tFloat64 // uint64 with a signed type: no exact integer type
}

func decWithInt(d *arrow.Decimal128Type, i arrow.DataType) arrow.DataType {
	digits := map[int]int32{8: 3, 16: 5, 32: 10, 64: 19}[intBits(i)]
	p := max(d.Precision-d.Scale, digits) + d.Scale
	if p > 38 {
		return tFloat64
	}
	return &arrow.Decimal128Type{Precision: p, Scale: d.Scale}
}
