package csv

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/dfq/dfq/io/source"
)

// colType is a column type of a CSV file.
type colType uint8

// Column types, in inference preference order (string last).
const (
	tBool colType = iota
	tInt64
	tFloat64
	tDate32
	tTimestamp
	tString
)

var typeNames = [...]string{
	tBool:      "bool",
	tInt64:     "int64",
	tFloat64:   "float64",
	tDate32:    "date32",
	tTimestamp: "timestamp[us]",
	tString:    "string",
}

func (t colType) String() string { return typeNames[t] }

// timestampType is the type of timestamp columns: microseconds, no time zone.
var timestampType = &arrow.TimestampType{Unit: arrow.Microsecond}

func (t colType) arrow() arrow.DataType {
	switch t {
	case tBool:
		return arrow.FixedWidthTypes.Boolean
	case tInt64:
		return arrow.PrimitiveTypes.Int64
	case tFloat64:
		return arrow.PrimitiveTypes.Float64
	case tDate32:
		return arrow.FixedWidthTypes.Date32
	case tTimestamp:
		return timestampType
	}
	return arrow.BinaryTypes.String
}

// parseTypeName accepts the canonical type names of source.CSVOptions and
// common SQL spellings, case-insensitively.
func parseTypeName(name string) (colType, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "bool", "boolean":
		return tBool, nil
	case "int64", "int", "integer", "bigint", "long", "int8", "int16", "int32", "smallint", "tinyint":
		return tInt64, nil
	case "float64", "float", "double", "real", "float32", "decimal", "numeric":
		return tFloat64, nil
	case "date32", "date":
		return tDate32, nil
	case "timestamp[us]", "timestamp", "datetime":
		return tTimestamp, nil
	case "string", "varchar", "text", "utf8", "str":
		return tString, nil
	}
	return 0, fmt.Errorf("unknown column type %q (use bool, int64, float64, date32, timestamp[us] or string)", name)
}

// DataType returns the Arrow type of a CSV column type name: one of bool,
// int64, float64, date32, timestamp[us], string, or a SQL spelling such as
// BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP.
func DataType(name string) (arrow.DataType, error) {
	t, err := parseTypeName(name)
	if err != nil {
		return nil, err
	}
	return t.arrow(), nil
}

// options are CSVOptions checked and decoded for the parser.
type options struct {
	header bool
	delim  byte
	quote  byte
	null   []byte // nil: no null string
}

func parseOptions(o source.CSVOptions) (options, error) {
	p := options{header: o.Header, delim: ',', quote: '"'}
	var err error
	if p.delim, err = oneByte("delimiter", o.Delim, ','); err != nil {
		return p, err
	}
	if p.quote, err = oneByte("quote", o.Quote, '"'); err != nil {
		return p, err
	}
	if p.delim == p.quote {
		return p, fmt.Errorf("csv: delimiter and quote are both %q", p.delim)
	}
	if o.NullStr != "" {
		p.null = []byte(o.NullStr)
	}
	return p, nil
}

func oneByte(what, s string, def byte) (byte, error) {
	switch {
	case s == "":
		return def, nil
	case s == `\t`:
		return '\t', nil
	case len(s) != 1 || s[0] >= utf8.RuneSelf:
		return 0, fmt.Errorf("csv: %s %q must be one ASCII character", what, s)
	case s[0] == '\n' || s[0] == '\r':
		return 0, fmt.Errorf("csv: %s cannot be a line break", what)
	}
	return s[0], nil
}

// columnTypes decodes o.Columns (all columns, as planned).
func columnTypes(o source.CSVOptions) ([]string, []colType, error) {
	if len(o.Columns) == 0 {
		return nil, nil, fmt.Errorf("csv: no column types in the options (run csv.Infer first)")
	}
	names := make([]string, len(o.Columns))
	types := make([]colType, len(o.Columns))
	for i, c := range o.Columns {
		t, err := parseTypeName(c.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("csv: column %q: %w", c.Name, err)
		}
		names[i], types[i] = c.Name, t
	}
	return names, types, nil
}

func schemaOf(names []string, types []colType) *arrow.Schema {
	fields := make([]arrow.Field, len(names))
	for i := range names {
		fields[i] = arrow.Field{Name: names[i], Type: types[i].arrow(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}
