package parquet

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// conv says how a column's Parquet values become Arrow values.
type conv uint8

const (
	convBool    conv = iota
	convInt8         // INT32 -> int8
	convInt16        // INT32 -> int16
	convInt32        // INT32 -> int32 (also date32)
	convUint8        // INT32 -> uint8
	convUint16       // INT32 -> uint16
	convUint32       // INT32 -> uint32 (bit cast)
	convInt64        // INT64 -> int64 (also timestamps)
	convUint64       // INT64 -> uint64 (bit cast)
	convFloat32      // FLOAT
	convFloat64      // DOUBLE
	convInt96        // INT96 -> timestamp[ns]
	convBytes        // BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY -> utf8 or binary
	convDecimal      // INT32 / INT64 / FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY -> decimal128
)

// statKind is the domain in which a column's statistics are compared.
type statKind uint8

const (
	statNone  statKind = iota // statistics not used (decimal, INT96, unknown order)
	statInt                   // signed integers, dates, timestamps
	statUint                  // unsigned integers
	statFloat                 // FLOAT, DOUBLE
	statBytes                 // strings and binary, bytewise unsigned
	statBool
)

// column describes one flat leaf column of a Parquet file.
type column struct {
	name      string
	leaf      int // leaf (column chunk) index in the file
	phys      format.Type
	conv      conv
	typ       arrow.DataType // logical Arrow type
	nullable  bool
	maxDef    byte
	typeLen   int // FIXED_LEN_BYTE_ARRAY length
	scale     int32
	precision int32
	stat      statKind
	logical   string // logical or converted type annotation, for display
}

// fileSchema maps a file's Parquet schema to flat columns and an Arrow schema.
// Nested and repeated columns are rejected.
func fileSchema(md *format.FileMetaData) ([]column, *arrow.Schema, error) {
	elems := md.Schema
	if len(elems) == 0 {
		return nil, nil, fmt.Errorf("missing schema")
	}
	root := elems[0]
	n := 0
	if root.NumChildren.Valid {
		n = int(root.NumChildren.V)
	}
	cols := make([]column, 0, n)
	fields := make([]arrow.Field, 0, n)
	i := 1
	for k := 0; k < n; k++ {
		if i >= len(elems) {
			return nil, nil, fmt.Errorf("schema ends after %d of %d columns", k, n)
		}
		e := &elems[i]
		if (e.NumChildren.Valid && e.NumChildren.V > 0) || !e.Type.Valid {
			return nil, nil, fmt.Errorf("nested column %s is not supported", e.Name)
		}
		rep := format.Required
		if e.RepetitionType.Valid {
			rep = e.RepetitionType.V
		}
		if rep == format.Repeated {
			return nil, nil, fmt.Errorf("nested column %s is not supported (repeated)", e.Name)
		}
		c, err := leafColumn(e)
		if err != nil {
			return nil, nil, fmt.Errorf("column %s: %w", e.Name, err)
		}
		c.leaf = k
		if rep == format.Optional {
			c.nullable, c.maxDef = true, 1
		}
		cols = append(cols, c)
		fields = append(fields, arrow.Field{Name: c.name, Type: c.typ, Nullable: true})
		i++
	}
	if i != len(elems) {
		return nil, nil, fmt.Errorf("nested columns are not supported (schema has %d elements for %d columns)", len(elems)-1, n)
	}
	return cols, arrow.NewSchema(fields, nil), nil
}

// leafColumn maps one primitive schema element.
func leafColumn(e *format.SchemaElement) (column, error) {
	c := column{name: e.Name, phys: e.Type.V}
	if e.TypeLength.Valid {
		c.typeLen = int(e.TypeLength.V)
	}
	lt := e.LogicalType.Value
	ct, hasCT := e.ConvertedType.V, e.ConvertedType.Valid
	if lt != nil {
		c.logical = lt.String()
	} else if hasCT {
		c.logical = convertedName(ct)
	}

	// Decimal first: it applies to several physical types.
	if d, ok := lt.(*format.DecimalType); ok || (hasCT && ct == deprecated.Decimal) {
		if ok {
			c.scale, c.precision = d.Scale, d.Precision
		} else {
			c.scale, c.precision = e.Scale.V, e.Precision.V
		}
		if c.precision < 1 || c.precision > 38 || c.scale < 0 || c.scale > c.precision {
			return c, fmt.Errorf("unsupported decimal(%d,%d)", c.precision, c.scale)
		}
		switch c.phys {
		case format.Int32, format.Int64, format.ByteArray:
		case format.FixedLenByteArray:
			if c.typeLen < 1 || c.typeLen > 16 {
				return c, fmt.Errorf("unsupported decimal width %d bytes", c.typeLen)
			}
		default:
			return c, fmt.Errorf("decimal on %s is not supported", c.phys)
		}
		c.conv, c.stat = convDecimal, statNone
		c.typ = &arrow.Decimal128Type{Precision: c.precision, Scale: c.scale}
		return c, nil
	}

	switch c.phys {
	case format.Boolean:
		c.conv, c.typ, c.stat = convBool, arrow.FixedWidthTypes.Boolean, statBool
	case format.Int32:
		c.conv, c.typ, c.stat = convInt32, arrow.PrimitiveTypes.Int32, statInt
		width, signed := 32, true
		if it, ok := lt.(*format.IntType); ok {
			width, signed = int(it.BitWidth), it.IsSigned
		} else if hasCT {
			switch ct {
			case deprecated.Int8:
				width = 8
			case deprecated.Int16:
				width = 16
			case deprecated.Uint8:
				width, signed = 8, false
			case deprecated.Uint16:
				width, signed = 16, false
			case deprecated.Uint32:
				width, signed = 32, false
			}
		}
		switch {
		case isDate(lt, ct, hasCT):
			c.typ = arrow.FixedWidthTypes.Date32
		case width == 8 && signed:
			c.conv, c.typ = convInt8, arrow.PrimitiveTypes.Int8
		case width == 16 && signed:
			c.conv, c.typ = convInt16, arrow.PrimitiveTypes.Int16
		case width == 8:
			c.conv, c.typ, c.stat = convUint8, arrow.PrimitiveTypes.Uint8, statUint
		case width == 16:
			c.conv, c.typ, c.stat = convUint16, arrow.PrimitiveTypes.Uint16, statUint
		case width == 32 && !signed:
			c.conv, c.typ, c.stat = convUint32, arrow.PrimitiveTypes.Uint32, statUint
		case width != 32:
			return c, fmt.Errorf("INT(%d) on INT32 is not supported", width)
		}
	case format.Int64:
		c.conv, c.typ, c.stat = convInt64, arrow.PrimitiveTypes.Int64, statInt
		if unit, utc, ok := timestampOf(lt, ct, hasCT); ok {
			tz := ""
			if utc {
				tz = "UTC"
			}
			c.typ = &arrow.TimestampType{Unit: unit, TimeZone: tz}
			break
		}
		unsigned := hasCT && ct == deprecated.Uint64
		if it, ok := lt.(*format.IntType); ok {
			if it.BitWidth != 64 {
				return c, fmt.Errorf("INT(%d) on INT64 is not supported", it.BitWidth)
			}
			unsigned = !it.IsSigned
		}
		if unsigned {
			c.conv, c.typ, c.stat = convUint64, arrow.PrimitiveTypes.Uint64, statUint
		}
	case format.Int96:
		c.conv, c.typ, c.stat = convInt96, &arrow.TimestampType{Unit: arrow.Nanosecond}, statNone
	case format.Float:
		c.conv, c.typ, c.stat = convFloat32, arrow.PrimitiveTypes.Float32, statFloat
	case format.Double:
		c.conv, c.typ, c.stat = convFloat64, arrow.PrimitiveTypes.Float64, statFloat
	case format.ByteArray, format.FixedLenByteArray:
		if c.phys == format.FixedLenByteArray && c.typeLen < 0 {
			return c, fmt.Errorf("invalid fixed length %d", c.typeLen)
		}
		c.conv, c.typ, c.stat = convBytes, arrow.BinaryTypes.Binary, statBytes
		if isText(lt, ct, hasCT) {
			c.typ = arrow.BinaryTypes.String
		}
	default:
		return c, fmt.Errorf("unsupported physical type %s", c.phys)
	}
	return c, nil
}

func isDate(lt format.LogicalTypeValue, ct deprecated.ConvertedType, hasCT bool) bool {
	if _, ok := lt.(*format.DateType); ok {
		return true
	}
	return lt == nil && hasCT && ct == deprecated.Date
}

func isText(lt format.LogicalTypeValue, ct deprecated.ConvertedType, hasCT bool) bool {
	switch lt.(type) {
	case *format.StringType, *format.EnumType, *format.JsonType:
		return true
	case nil:
		return hasCT && (ct == deprecated.UTF8 || ct == deprecated.Enum || ct == deprecated.Json)
	}
	return false
}

func timestampOf(lt format.LogicalTypeValue, ct deprecated.ConvertedType, hasCT bool) (arrow.TimeUnit, bool, bool) {
	if ts, ok := lt.(*format.TimestampType); ok {
		switch ts.Unit.Value.(type) {
		case *format.MilliSeconds:
			return arrow.Millisecond, ts.IsAdjustedToUTC, true
		case *format.MicroSeconds:
			return arrow.Microsecond, ts.IsAdjustedToUTC, true
		case *format.NanoSeconds:
			return arrow.Nanosecond, ts.IsAdjustedToUTC, true
		}
		return 0, false, false
	}
	if lt == nil && hasCT {
		// Legacy converted types are UTC-normalised by definition.
		switch ct {
		case deprecated.TimestampMillis:
			return arrow.Millisecond, true, true
		case deprecated.TimestampMicros:
			return arrow.Microsecond, true, true
		}
	}
	return 0, false, false
}

var convertedNames = [...]string{
	deprecated.UTF8: "UTF8", deprecated.Map: "MAP", deprecated.MapKeyValue: "MAP_KEY_VALUE",
	deprecated.List: "LIST", deprecated.Enum: "ENUM", deprecated.Decimal: "DECIMAL",
	deprecated.Date: "DATE", deprecated.TimeMillis: "TIME_MILLIS", deprecated.TimeMicros: "TIME_MICROS",
	deprecated.TimestampMillis: "TIMESTAMP_MILLIS", deprecated.TimestampMicros: "TIMESTAMP_MICROS",
	deprecated.Uint8: "UINT_8", deprecated.Uint16: "UINT_16", deprecated.Uint32: "UINT_32",
	deprecated.Uint64: "UINT_64", deprecated.Int8: "INT_8", deprecated.Int16: "INT_16",
	deprecated.Int32: "INT_32", deprecated.Int64: "INT_64", deprecated.Json: "JSON",
	deprecated.Bson: "BSON", deprecated.Interval: "INTERVAL",
}

func convertedName(ct deprecated.ConvertedType) string {
	if int(ct) >= 0 && int(ct) < len(convertedNames) {
		return convertedNames[ct]
	}
	return fmt.Sprintf("CONVERTED(%d)", int(ct))
}
