package expr

import (
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/dfq/dfq/io/source"
	"github.com/stretchr/testify/require"
)

func TestPred(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: i64}, {Name: "u", Type: arrow.PrimitiveTypes.Uint32}, {Name: "f", Type: f64},
		{Name: "s", Type: tUTF8}, {Name: "sd", Type: dictT}, {Name: "b", Type: bl}, {Name: "d", Type: tDate},
		{Name: "ts", Type: tsUS}, {Name: "tms", Type: tsMS}, {Name: "tns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "dec", Type: dec10}, {Name: "Upper", Type: i64},
	}, nil)
	cases := []struct {
		name string
		e    *Expr
		want *source.Pred
	}{
		{"int_gt", Col("i").Gt(Int(3)), &source.Pred{Column: "i", Op: source.OpGt, Values: []any{int64(3)}}},
		{"flipped", Int(3).Gt(Col("i")), &source.Pred{Column: "i", Op: source.OpLt, Values: []any{int64(3)}}},
		{"flipped_le", Int(3).Le(Col("i")), &source.Pred{Column: "i", Op: source.OpGe, Values: []any{int64(3)}}},
		{"ne", Col("i").Ne(Int(0)), &source.Pred{Column: "i", Op: source.OpNe, Values: []any{int64(0)}}},
		{"int_integral_float", Col("i").Eq(Float(2)), &source.Pred{Column: "i", Op: source.OpEq, Values: []any{int64(2)}}},
		{"int_fractional_float", Col("i").Lt(Float(2.5)), nil},
		{"uint", Col("u").Le(Int(7)), &source.Pred{Column: "u", Op: source.OpLe, Values: []any{uint64(7)}}},
		{"uint_negative", Col("u").Gt(Int(-1)), nil},
		{"float_int_lit", Col("f").Ge(Int(1)), &source.Pred{Column: "f", Op: source.OpGe, Values: []any{float64(1)}}},
		{"string", Col("s").Eq(Str("id042")), &source.Pred{Column: "s", Op: source.OpEq, Values: []any{"id042"}}},
		{"dict_string", Col("sd").Eq(Str("x")), &source.Pred{Column: "sd", Op: source.OpEq, Values: []any{"x"}}},
		{"string_vs_int", Col("s").Eq(Int(1)), nil},
		{"bool", Col("b").Eq(Bool(true)), &source.Pred{Column: "b", Op: source.OpEq, Values: []any{true}}},
		{"date_lit", Col("d").Lt(Date(19723)), &source.Pred{Column: "d", Op: source.OpLt, Values: []any{int32(19723)}}},
		{"date_string", Col("d").Ge(Str("2024-01-01")), &source.Pred{Column: "d", Op: source.OpGe, Values: []any{int32(19723)}}},
		{"date_bad_string", Col("d").Ge(Str("soon")), nil},
		{"ts_string", Col("ts").Lt(Str("2024-01-01 00:00:01")), &source.Pred{Column: "ts", Op: source.OpLt, Values: []any{int64(1704067201_000000)}}},
		{"ts_ms_from_us_literal", Col("tms").Gt(Timestamp(1704067200_123000)), &source.Pred{Column: "tms", Op: source.OpGt, Values: []any{int64(1704067200_123)}}},
		{"ts_ms_inexact", Col("tms").Gt(Timestamp(1704067200_123456)), nil},
		{"ts_ns", Col("tns").Eq(Timestamp(1)), &source.Pred{Column: "tns", Op: source.OpEq, Values: []any{int64(1000)}}},
		{"ts_date_lit", Col("ts").Ge(Date(1)), &source.Pred{Column: "ts", Op: source.OpGe, Values: []any{int64(86400_000000)}}},
		{"between", Col("i").Between(Int(1), Int(5)), &source.Pred{Column: "i", Op: source.OpBetween, Values: []any{int64(1), int64(5)}}},
		{"between_non_literal", Col("i").Between(Int(1), Col("f")), nil},
		{"in", Col("s").In(Str("a"), Null(), Str("b")), &source.Pred{Column: "s", Op: source.OpIn, Values: []any{"a", "b"}}},
		{"in_only_null", Col("s").In(Null()), nil},
		{"is_null", Col("f").IsNull(), &source.Pred{Column: "f", Op: source.OpIsNull}},
		{"is_not_null", Col("f").IsNotNull(), &source.Pred{Column: "f", Op: source.OpNotNull}},
		{"case_insensitive_name", Col("upper").Eq(Int(1)), &source.Pred{Column: "Upper", Op: source.OpEq, Values: []any{int64(1)}}},
		{"unknown_column", Col("nope").Eq(Int(1)), nil},
		{"decimal_column", Col("dec").Eq(Int(1)), nil},
		{"column_vs_column", Col("i").Eq(Col("u")), nil},
		{"expression", Col("i").Add(Int(1)).Gt(Int(3)), nil},
		{"null_literal", Col("i").Eq(Null()), nil},
		{"or", Col("i").Eq(Int(1)).Or(Col("i").Eq(Int(2))), nil},
		{"column_alone", Col("b"), nil},
		{"nil", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Pred(tc.e, schema)
			if tc.want == nil {
				require.False(t, ok, "got %+v", got)
				return
			}
			require.True(t, ok)
			require.Equal(t, *tc.want, got)
		})
	}
}

func TestParseType(t *testing.T) {
	cases := []struct {
		in   string
		want arrow.DataType
	}{
		{"BOOLEAN", bl}, {"bool", bl},
		{"TINYINT", arrow.PrimitiveTypes.Int8}, {"SMALLINT", arrow.PrimitiveTypes.Int16},
		{"INTEGER", i32}, {"int", i32}, {"INT4", i32},
		{"BIGINT", i64}, {"INT8", i64}, {"long", i64},
		{"UTINYINT", arrow.PrimitiveTypes.Uint8}, {"USMALLINT", arrow.PrimitiveTypes.Uint16},
		{"UINTEGER", arrow.PrimitiveTypes.Uint32}, {"UBIGINT", arrow.PrimitiveTypes.Uint64},
		{"FLOAT", arrow.PrimitiveTypes.Float32}, {"REAL", arrow.PrimitiveTypes.Float32}, {"FLOAT4", arrow.PrimitiveTypes.Float32},
		{"DOUBLE", f64}, {"FLOAT8", f64}, {"double precision", f64},
		{"VARCHAR", tUTF8}, {"TEXT", tUTF8}, {"STRING", tUTF8}, {"varchar(20)", tUTF8},
		{"BLOB", arrow.BinaryTypes.Binary},
		{"DATE", tDate},
		{"TIMESTAMP", tsUS}, {"TIMESTAMP_MS", tsMS},
		{"TIMESTAMP_NS", &arrow.TimestampType{Unit: arrow.Nanosecond}}, {"TIMESTAMP_S", &arrow.TimestampType{Unit: arrow.Second}},
		{"TIMESTAMPTZ", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{"DECIMAL(10,2)", dec10}, {"numeric( 10 , 2 )", dec10}, {"DECIMAL", &arrow.Decimal128Type{Precision: 18, Scale: 3}},
		{"DECIMAL(5)", &arrow.Decimal128Type{Precision: 5, Scale: 0}},
		{"int64", i64}, {"utf8", tUTF8}, {"timestamp[ns]", &arrow.TimestampType{Unit: arrow.Nanosecond}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseType(tc.in)
			require.NoError(t, err)
			require.True(t, arrow.TypeEqual(tc.want, got), "got %s", got)
		})
	}
	for _, bad := range []string{"", "FOO", "DECIMAL(40,2)", "DECIMAL(5,6)", "DECIMAL(a,b)", "DECIMAL(10,2", "INT(3)", "DECIMAL(1,2,3)"} {
		t.Run("bad/"+bad, func(t *testing.T) {
			_, err := ParseType(bad)
			require.Error(t, err)
		})
	}
}

// TestNullSlotsIgnored checks that values under NULL slots (arbitrary by the
// Arrow format) never raise overflow or cast errors.
func TestNullSlotsIgnored(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	values := memory.NewBufferBytes(arrow.Int64Traits.CastToBytes([]int64{1, 9223372036854775807, -9223372036854775808}))
	valid := memory.NewBufferBytes([]byte{0b001})
	data := array.NewData(i64, 3, []*memory.Buffer{valid, values}, nil, 2, 0)
	defer data.Release()
	a := array.MakeFromData(data)
	defer a.Release()
	rec := newRecord(t, []string{"x"}, []arrow.Array{a})
	defer rec.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: i64}}, nil)
	for _, e := range []*Expr{
		Col("x").Add(Int(1)), Col("x").Sub(Int(1)), Col("x").Mul(Int(2)), Col("x").Add(Col("x")),
		Call(OpNeg, Col("x")), Call("abs", Col("x")), Cast(Col("x"), "TINYINT"), Call("round", Col("x"), Int(-2)),
	} {
		t.Run(e.String(), func(t *testing.T) {
			b, err := Bind(e, schema)
			require.NoError(t, err)
			got, err := b.Eval(rec, mem)
			require.NoError(t, err)
			defer got.Release()
			require.Equal(t, 2, got.NullN())
			require.True(t, got.IsValid(0))
		})
	}
}
