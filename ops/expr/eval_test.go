package expr

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
)

var (
	i64   = arrow.PrimitiveTypes.Int64
	i32   = arrow.PrimitiveTypes.Int32
	f64   = arrow.PrimitiveTypes.Float64
	bl    = arrow.FixedWidthTypes.Boolean
	tUTF8 = arrow.BinaryTypes.String
)

func TestArithmetic(t *testing.T) {
	i, j, u, f, g := Col("i"), Col("j"), Col("u"), Col("f"), Col("g")
	runEvalCases(t, []evalCase{
		{"int_plus_lit", i.Add(Int(1)), i64, `[2, -1, null, 8, 1]`},
		{"int_plus_int32", i.Add(j), i64, `[4, -2, null, null, -4]`},
		{"int32_minus_int", j.Sub(i), i64, `[2, 2, null, null, -4]`},
		{"lit_minus_int", Int(10).Sub(i), i64, `[9, 12, null, 3, 10]`},
		{"int_times_int32", i.Mul(j), i64, `[3, 0, null, null, 0]`},
		{"lit_times_int", Int(3).Mul(i), i64, `[3, -6, null, 21, 0]`},
		{"int_div_lit_is_float", i.Div(Int(2)), f64, `[0.5, -1, null, 3.5, 0]`},
		{"const_div", Int(7).Div(Int(2)), f64, `[3.5, 3.5, 3.5, 3.5, 3.5]`},
		{"int_div_int_by_zero_null", i.Div(j), f64, `[0.3333333333333333, null, null, null, 0]`},
		{"lit_div_int", Int(1).Div(j), f64, `[0.3333333333333333, null, 0.2, null, -0.25]`},
		{"int_mod_int_zero_null", i.Mod(j), i64, `[1, null, null, null, 0]`},
		{"int_mod_lit", i.Mod(Int(3)), i64, `[1, -2, null, 1, 0]`},
		{"lit_mod_int", Int(10).Mod(j), i64, `[1, null, 0, null, 2]`},
		{"mod_zero_literal", i.Mod(Int(0)), i64, `[null, null, null, null, null]`},
		{"float_times_lit", f.Mul(Int(2)), f64, `[3, -4.5, null, 0, 20]`},
		{"float_plus_int", f.Add(i), f64, `[2.5, -4.25, null, 7, 10]`},
		{"float32_times_float", g.Mul(f), f64, `[0.75, -2.25, null, null, -10]`},
		{"float_minus_lit", f.Sub(Float(0.5)), f64, `[1, -2.75, null, -0.5, 9.5]`},
		{"lit_minus_float", Float(1).Sub(f), f64, `[-0.5, 3.25, null, 1, -9]`},
		{"float_div_zero_null", f.Div(Int(0)), f64, `[null, null, null, null, null]`},
		{"float_div_int_zero_row", f.Div(j), f64, `[0.5, null, null, null, -2.5]`},
		{"lit_div_float", Int(1).Div(f), f64, `[0.6666666666666666, -0.4444444444444444, null, null, 0.1]`},
		{"float_mod", f.Mod(Int(2)), f64, `[1.5, -0.25, null, 0, 0]`},
		{"uint_plus_uint", u.Add(u), i64, `[2, 4, 6, 8, null]`},
		{"decimal_plus_int_float", Col("dec").Add(Int(1)), f64, `[2.25, -2.5, null, 101, 1.01]`},
		{"neg_int", Call(OpNeg, i), i64, `[-1, 2, null, -7, 0]`},
		{"neg_float", Call(OpNeg, f), f64, `[-1.5, 2.25, null, 0, -10]`},
		{"neg_decimal", Call(OpNeg, Col("dec")), dec10, `["-1.25", "3.50", null, "-100.00", "-0.01"]`},
		{"plus_null", i.Add(Null()), i64, `[null, null, null, null, null]`},
		{"all_null_column", Col("z").Add(Int(1)), i64, `[null, null, null, null, null]`},
		{"in_place_div", f.Add(Int(0)).Div(Cast(j, "DOUBLE").Add(Int(0))), f64, `[0.5, null, null, null, -2.5]`},
		{"in_place_mod", i.Add(Int(0)).Mod(j.Add(Int(0))), i64, `[1, null, null, null, 0]`},
		{"in_place_float_chain", f.Mul(Float(2)).Add(f.Mul(Float(3))).Sub(Int(1)), f64, `[6.5, -12.25, null, -1, 49]`},
		{"in_place_right_operand", Int(100).Sub(i.Mul(Int(2))), i64, `[98, 104, null, 86, 100]`},
		{"nested", i.Add(j).Mul(Int(2)).Sub(Col("u")), i64, `[7, -6, null, null, null]`},
		{"no_overflow_near_max", Col("big").Add(Int(0)).Sub(Int(0)).Mul(Int(1)).Gt(Int(0)), bl, `[true, true, null, false, true]`},
	})
}

func TestComparison(t *testing.T) {
	i, j, u, f, g, s, d, ts := Col("i"), Col("j"), Col("u"), Col("f"), Col("g"), Col("s"), Col("d"), Col("ts")
	runEvalCases(t, []evalCase{
		{"int_gt_lit", i.Gt(Int(0)), bl, `[true, false, null, true, false]`},
		{"lit_lt_int_flipped", Int(0).Lt(i), bl, `[true, false, null, true, false]`},
		{"int_eq_int32", i.Eq(j), bl, `[false, false, null, null, false]`},
		{"int32_ge_lit", j.Ge(Int(0)), bl, `[true, true, true, null, false]`},
		{"int_ne_float_lit", i.Ne(Float(1.5)), bl, `[true, true, null, true, true]`},
		{"int_eq_integral_float", i.Eq(Float(1)), bl, `[true, false, null, false, false]`},
		{"int_le_lit", i.Le(Int(1)), bl, `[true, true, null, false, true]`},
		{"uint_lt_lit", u.Lt(Int(3)), bl, `[true, true, false, false, null]`},
		{"uint_gt_negative", u.Gt(Int(-1)), bl, `[true, true, true, true, null]`},
		{"uint8_gt_300", u.Gt(Int(300)), bl, `[false, false, false, false, null]`},
		{"float_le_lit", f.Le(Int(0)), bl, `[false, true, null, true, false]`},
		{"float32_eq_lit", g.Eq(Float(0.5)), bl, `[true, false, false, null, false]`},
		{"float32_eq_inexact", g.Eq(Float(0.1)), bl, `[false, false, false, null, false]`},
		{"float32_lt_float", g.Lt(f), bl, `[true, false, null, null, true]`},
		{"string_eq_lit", s.Eq(Str("apple")), bl, `[true, false, null, false, false]`},
		{"string_ne_lit", s.Ne(Str("apple")), bl, `[false, true, null, true, true]`},
		{"string_gt_lit", s.Gt(Str("b")), bl, `[false, false, null, true, false]`},
		{"lit_ge_string", Str("b").Ge(s), bl, `[true, true, null, false, true]`},
		{"string_lt_string", s.Lt(Col("p")), bl, `[false, true, null, null, true]`},
		{"string_eq_string", s.Eq(s), bl, `[true, true, null, true, true]`},
		{"date_eq_string_lit", d.Eq(Str("2024-01-01")), bl, `[true, false, null, false, false]`},
		{"date_lt_date_lit", d.Lt(Date(19723)), bl, `[false, true, null, true, false]`},
		{"ts_gt_string_lit", ts.Gt(Str("2023-12-31 23:59:59")), bl, `[true, true, null, false, true]`},
		{"date_eq_timestamp", d.Eq(ts), bl, `[true, false, null, true, false]`},
		{"ts_us_eq_ts_ms", ts.Eq(Col("ms")), bl, `[true, false, null, false, false]`},
		{"ts_ms_lt_string", Col("ms").Lt(Str("1970-01-01")), bl, `[false, false, null, true, false]`},
		{"ts_ge_ts_literal", ts.Ge(Timestamp(1704067199_500000)), bl, `[true, true, null, false, true]`},
		{"bool_eq_true", Col("b").Eq(Bool(true)), bl, `[true, false, null, true, false]`},
		{"bool_lt_bool", Col("b").Lt(Col("c")), bl, `[false, null, null, false, true]`},
		{"bool_eq_string_lit", Col("b").Eq(Str("true")), bl, `[true, false, null, true, false]`},
		{"bool_ge_false", Col("b").Ge(Bool(false)), bl, `[true, true, null, true, true]`},
		{"decimal_gt_int", Col("dec").Gt(Int(1)), bl, `[true, false, null, true, false]`},
		{"decimal_eq_float", Col("dec").Eq(Float(1.25)), bl, `[true, false, null, false, false]`},
		{"decimal_eq_decimal_other_scale", Col("dec").Eq(Decimal("1.250")), bl, `[true, false, null, false, false]`},
		{"decimal_lt_decimal", Col("dec").Lt(Decimal("0.5")), bl, `[false, true, null, false, true]`},
		{"decimal_ne_decimal_col", Col("dec").Ne(Col("dec")), bl, `[false, false, null, false, false]`},
		{"eq_null", i.Eq(Null()), bl, `[null, null, null, null, null]`},
		{"const_true", Int(1).Eq(Int(1)), bl, `[true, true, true, true, true]`},
		{"all_null_column", Col("z").Lt(Int(3)), bl, `[null, null, null, null, null]`},
		{"string_lit_as_number", i.Eq(Str("7")), bl, `[false, false, null, true, false]`},
	})
}

func TestLogic(t *testing.T) {
	b, c := Col("b"), Col("c")
	runEvalCases(t, []evalCase{
		{"and", b.And(c), bl, `[true, false, false, false, false]`},
		{"or", b.Or(c), bl, `[true, null, null, true, true]`},
		{"not", b.Not(), bl, `[false, true, null, false, true]`},
		{"and_null", b.And(Null()), bl, `[null, false, null, null, false]`},
		{"or_null", b.Or(Null()), bl, `[true, null, null, true, null]`},
		{"and_true", b.And(Bool(true)), bl, `[true, false, null, true, false]`},
		{"and_false", b.And(Bool(false)), bl, `[false, false, false, false, false]`},
		{"or_true", Bool(true).Or(b), bl, `[true, true, true, true, true]`},
		{"or_false", Bool(false).Or(b), bl, `[true, false, null, true, false]`},
		{"not_null", Null().Not(), bl, `[null, null, null, null, null]`},
		{"and_of_comparisons", Col("i").Gt(Int(0)).And(Col("s").Eq(Str("apple"))), bl, `[true, false, null, false, false]`},
		{"or_of_comparisons", Col("i").Lt(Int(0)).Or(Col("s").Eq(Str("cherry"))), bl, `[false, true, null, true, false]`},
		{"is_null", b.IsNull(), bl, `[false, false, true, false, false]`},
		{"is_not_null", b.IsNotNull(), bl, `[true, true, false, true, true]`},
		{"string_is_null", Col("s").IsNull(), bl, `[false, false, true, false, false]`},
		{"all_null_is_not_null", Col("z").IsNotNull(), bl, `[false, false, false, false, false]`},
		{"expr_is_null", Col("i").Add(Col("j")).IsNull(), bl, `[false, false, true, true, false]`},
		{"null_is_null", Null().IsNull(), bl, `[true, true, true, true, true]`},
		{"variadic_and", Call(OpAnd, b, c, Col("i").Gt(Int(0))), bl, `[true, false, false, false, false]`},
	})
}

func TestInBetweenLike(t *testing.T) {
	i, s, p, f, d := Col("i"), Col("s"), Col("p"), Col("f"), Col("d")
	runEvalCases(t, []evalCase{
		{"in_ints", i.In(Int(1), Int(7)), bl, `[true, false, null, true, false]`},
		{"in_with_null", i.In(Int(1), Null()), bl, `[true, null, null, null, null]`},
		{"in_strings", s.In(Str("apple"), Str("cherry")), bl, `[true, false, null, true, false]`},
		{"in_strings_null", s.In(Str("x"), Null()), bl, `[null, null, null, null, null]`},
		{"in_many_strings", s.In(Str("a"), Str("b"), Str("c"), Str("d"), Str("e"), Str("f"), Str("g"), Str("h"), Str("i"), Str(""), Str("cherry")), bl, `[false, false, null, true, true]`},
		{"in_floats", f.In(Float(1.5), Int(10)), bl, `[true, false, null, false, true]`},
		{"int_in_floats", i.In(Float(1.5), Int(7)), bl, `[false, false, null, true, false]`},
		{"date_in_strings", d.In(Str("2024-01-01"), Str("1970-01-01")), bl, `[true, false, null, true, false]`},
		{"in_non_constant", i.In(Col("j"), Int(1)), bl, `[true, false, null, null, false]`},
		{"decimal_in_float", Col("dec").In(Float(1.25)), bl, `[true, false, null, false, false]`},
		{"decimal_in_decimal", Col("dec").In(Decimal("100"), Decimal("0.01")), bl, `[false, false, null, true, true]`},
		{"bool_in", Col("b").In(Bool(true)), bl, `[true, false, null, true, false]`},
		{"uint8_in_out_of_range", Col("u").In(Int(1), Int(300)), bl, `[true, false, false, false, null]`},
		{"in_many_ints", i.In(Int(10), Int(11), Int(12), Int(13), Int(14), Int(15), Int(16), Int(17), Int(18), Int(0)), bl, `[false, false, null, false, true]`},
		{"null_in", Null().In(Int(1)), bl, `[null, null, null, null, null]`},
		{"not_in", i.In(Int(1), Int(7)).Not(), bl, `[false, true, null, false, true]`},
		{"between_ints", i.Between(Int(0), Int(5)), bl, `[true, false, null, false, true]`},
		{"between_floats", f.Between(Int(-3), Float(1.5)), bl, `[true, true, null, true, false]`},
		{"between_dates", d.Between(Str("2023-12-31"), Str("2024-01-01")), bl, `[true, true, null, false, false]`},
		{"between_strings", s.Between(Str("a"), Str("c")), bl, `[true, false, null, false, false]`},
		{"like_prefix", s.Like("a%"), bl, `[true, false, null, false, false]`},
		{"like_contains", s.Like("%an%"), bl, `[false, true, null, false, false]`},
		{"like_suffix", s.Like("%y"), bl, `[false, false, null, true, false]`},
		{"like_underscore", s.Like("_pple"), bl, `[true, false, null, false, false]`},
		{"like_exact", s.Like("apple"), bl, `[true, false, null, false, false]`},
		{"like_all", s.Like("%"), bl, `[true, true, null, true, true]`},
		{"like_empty", s.Like(""), bl, `[false, false, null, false, true]`},
		{"like_prefix_suffix", s.Like("B%a"), bl, `[false, true, null, false, false]`},
		{"like_segments", s.Like("c%r%y"), bl, `[false, false, null, true, false]`},
		{"like_segments_open", s.Like("%a%a%"), bl, `[false, true, null, false, false]`},
		{"like_escape_percent", p.Like(`a\%b`), bl, `[true, false, false, null, false]`},
		{"like_escape_underscore", p.Like(`%\_%`), bl, `[false, true, false, null, false]`},
		{"like_underscore_percent", p.Like(`_b%`), bl, `[false, false, true, null, false]`},
		{"ilike", Call(OpILike, s, Str("b%")), bl, `[false, true, null, false, false]`},
		{"ilike_upper_pattern", Call(OpILike, p, Str("AbC")), bl, `[false, false, true, null, true]`},
		{"ilike_underscore", Call(OpILike, s, Str("_ANANA")), bl, `[false, true, null, false, false]`},
		{"not_like", s.Like("a%").Not(), bl, `[false, true, null, true, true]`},
		{"like_null_pattern", Call(OpLike, s, Null()), bl, `[null, null, null, null, null]`},
		{"like_on_lower", Call("lower", s).Like("b%"), bl, `[false, true, null, false, false]`},
	})
}

func TestCaseCoalesce(t *testing.T) {
	i, j, b, s := Col("i"), Col("j"), Col("b"), Col("s")
	runEvalCases(t, []evalCase{
		{"case_strings", Call(OpCase, i.Gt(Int(0)), Str("pos"), i.Lt(Int(0)), Str("neg"), Str("zero")), tUTF8,
			`["pos", "neg", "zero", "pos", "zero"]`},
		{"case_no_else", Call(OpCase, i.Gt(Int(0)), i), i64, `[1, null, null, 7, null]`},
		{"case_common_float", Call(OpCase, b, Col("f"), j), f64, `[1.5, 0, 5, 0, -4]`},
		{"case_column_or_literal", Call(OpCase, s.Eq(Str("apple")), s, Str("other")), tUTF8,
			`["apple", "other", "other", "other", "other"]`},
		{"case_constant", Call(OpCase, Bool(true), Int(1), Int(2)), i64, `[1, 1, 1, 1, 1]`},
		{"case_guarded_mod", Call(OpCase, j.Ne(Int(0)), Int(10).Mod(j), Int(-1)), i64, `[1, -1, 0, -1, 2]`},
		{"case_guarded_cast", Call(OpCase, Col("num").Ne(Str("x")), Cast(Col("num"), "INTEGER"), Int(0)), i32,
			`[1, 42, -7, 0, 0]`},
		{"case_date_or_timestamp", Call(OpCase, b, Col("d"), Col("ts")), tsUS,
			`["2024-01-01 00:00:00", "2023-12-31 23:59:59.5", null, "1970-01-01 00:00:00", "2024-02-29 12:00:00"]`},
		{"case_bool", Call(OpCase, Col("c"), b, b.Not()), bl, `[true, true, null, false, false]`},
		{"case_decimal", Call(OpCase, b, Col("dec"), Decimal("0.5")), dec10, `["1.25", "0.50", "0.50", "100.00", "0.50"]`},
		{"case_all_else", Call(OpCase, Bool(false), Int(1), i), i64, `[1, -2, null, 7, 0]`},
		{"case_null_branches", Call(OpCase, b, Null()), arrow.Null, `[null, null, null, null, null]`},
		{"coalesce_ints", Call(OpCoalesce, i, j, Int(0)), i64, `[1, -2, 5, 7, 0]`},
		{"coalesce_null_column", Call(OpCoalesce, Col("z"), Int(1)), i64, `[1, 1, 1, 1, 1]`},
		{"coalesce_string", Call(OpCoalesce, s, Str("none")), tUTF8, `["apple", "Banana", "none", "cherry", ""]`},
		{"coalesce_one", Call(OpCoalesce, i), i64, `[1, -2, null, 7, 0]`},
		{"coalesce_all_null", Call(OpCoalesce, Col("z"), Null()), i64, `[null, null, null, null, null]`},
		{"coalesce_float_int", Call(OpCoalesce, Col("f"), j), f64, `[1.5, -2.25, 5, 0, 10]`},
		{"coalesce_no_nulls_first", Call(OpCoalesce, Col("Mixed"), i), i64, `[10, 20, 30, 40, 50]`},
		{"coalesce_guarded_cast", Call(OpCoalesce, Col("j"), Cast(Col("num"), "INTEGER")), i32, `[3, 0, 5, null, -4]`},
	})
}

func TestCast(t *testing.T) {
	i, f, d, ts, dec := Col("i"), Col("f"), Col("d"), Col("ts"), Col("dec")
	runEvalCases(t, []evalCase{
		{"int_to_double", Cast(i, "DOUBLE"), f64, `[1, -2, null, 7, 0]`},
		{"double_to_int_half_even", Cast(f, "INTEGER"), i32, `[2, -2, null, 0, 10]`},
		{"int_to_varchar", Cast(i, "VARCHAR"), tUTF8, `["1", "-2", null, "7", "0"]`},
		{"double_to_varchar", Cast(f, "VARCHAR"), tUTF8, `["1.5", "-2.25", null, "0.0", "10.0"]`},
		{"string_to_int", Cast(Cast(Col("i"), "VARCHAR"), "BIGINT"), i64, `[1, -2, null, 7, 0]`},
		{"date_to_varchar", Cast(d, "VARCHAR"), tUTF8, `["2024-01-01", "2023-12-31", null, "1970-01-01", "2024-02-29"]`},
		{"ts_to_varchar", Cast(ts, "TEXT"), tUTF8, `["2024-01-01 00:00:00", "2023-12-31 23:59:59.500000", null, "1970-01-01 00:00:00", "2024-02-29 12:00:00"]`},
		{"ts_ms_to_varchar", Cast(Col("ms"), "TEXT"), tUTF8, `["2024-01-01 00:00:00", "2024-01-01 00:00:00.001", null, "1969-12-31 23:59:59.999", "2024-02-29 00:00:00"]`},
		{"ts_to_date", Cast(ts, "DATE"), tDate, `["2024-01-01", "2023-12-31", null, "1970-01-01", "2024-02-29"]`},
		{"ts_ms_to_date_floor", Cast(Col("ms"), "DATE"), tDate, `["2024-01-01", "2024-01-01", null, "1969-12-31", "2024-02-29"]`},
		{"date_to_ts", Cast(d, "TIMESTAMP"), tsUS, `["2024-01-01", "2023-12-31", null, "1970-01-01", "2024-02-29"]`},
		{"ts_ms_to_us", Cast(Col("ms"), "TIMESTAMP"), tsUS, `["2024-01-01 00:00:00", "2024-01-01 00:00:00.001", null, "1969-12-31 23:59:59.999", "2024-02-29 00:00:00"]`},
		{"ts_to_seconds_floor", Cast(ts, "TIMESTAMP_S"), &arrow.TimestampType{Unit: arrow.Second},
			`["2024-01-01 00:00:00", "2023-12-31 23:59:59", null, "1970-01-01 00:00:00", "2024-02-29 12:00:00"]`},
		{"decimal_to_double", Cast(dec, "DOUBLE"), f64, `[1.25, -3.5, null, 100, 0.01]`},
		{"decimal_to_int_half_away", Cast(dec, "INTEGER"), i32, `[1, -4, null, 100, 0]`},
		{"decimal_rescale", Cast(dec, "DECIMAL(5,1)"), &arrow.Decimal128Type{Precision: 5, Scale: 1}, `["1.3", "-3.5", null, "100.0", "0.0"]`},
		{"int_to_decimal", Cast(i, "NUMERIC(5,2)"), &arrow.Decimal128Type{Precision: 5, Scale: 2}, `["1.00", "-2.00", null, "7.00", "0.00"]`},
		{"double_to_decimal", Cast(f, "DECIMAL(6,1)"), &arrow.Decimal128Type{Precision: 6, Scale: 1}, `["1.5", "-2.3", null, "0.0", "10.0"]`},
		{"decimal_to_varchar", Cast(dec, "VARCHAR"), tUTF8, `["1.25", "-3.50", null, "100.00", "0.01"]`},
		{"string_to_decimal", Cast(Str("12.345"), "DECIMAL(6,2)"), &arrow.Decimal128Type{Precision: 6, Scale: 2}, `["12.35", "12.35", "12.35", "12.35", "12.35"]`},
		{"int_to_bool", Cast(i, "BOOLEAN"), bl, `[true, true, null, true, false]`},
		{"bool_to_int", Cast(Col("b"), "INTEGER"), i32, `[1, 0, null, 1, 0]`},
		{"bool_to_varchar", Cast(Col("b"), "VARCHAR"), tUTF8, `["true", "false", null, "true", "false"]`},
		{"string_to_bool", Cast(Str("yes"), "BOOL"), bl, `[true, true, true, true, true]`},
		{"string_to_date", Cast(Str("2024-03-01"), "DATE"), tDate, `["2024-03-01", "2024-03-01", "2024-03-01", "2024-03-01", "2024-03-01"]`},
		{"string_to_ts_offset", Cast(Str("2024-03-01T10:00:00+02:00"), "TIMESTAMP"), tsUS, `["2024-03-01 08:00:00", "2024-03-01 08:00:00", "2024-03-01 08:00:00", "2024-03-01 08:00:00", "2024-03-01 08:00:00"]`},
		{"int32_to_tinyint", Cast(Col("j"), "TINYINT"), arrow.PrimitiveTypes.Int8, `[3, 0, 5, null, -4]`},
		{"string_exp_to_double", Cast(Str("1e3"), "DOUBLE"), f64, `[1000, 1000, 1000, 1000, 1000]`},
		{"string_to_string", Cast(Col("s"), "VARCHAR"), tUTF8, `["apple", "Banana", null, "cherry", ""]`},
		{"string_to_blob", Cast(Col("s"), "BLOB"), arrow.BinaryTypes.Binary, `["YXBwbGU=", "QmFuYW5h", null, "Y2hlcnJ5", ""]`},
		{"null_column_to_varchar", Cast(Col("z"), "VARCHAR"), tUTF8, `[null, null, null, null, null]`},
		{"null_to_int", Cast(Null(), "INT"), i32, `[null, null, null, null, null]`},
		{"uint8_to_double", Cast(Col("u"), "DOUBLE"), f64, `[1, 2, 3, 4, null]`},
		{"float32_to_varchar", Cast(Col("g"), "VARCHAR"), tUTF8, `["0.5", "1.0", "2.0", null, "-1.0"]`},
	})
}

func TestFunctions(t *testing.T) {
	i, f, s, d := Col("i"), Col("f"), Col("s"), Col("d")
	runEvalCases(t, []evalCase{
		{"abs_int", Call("abs", i), i64, `[1, 2, null, 7, 0]`},
		{"abs_float", Call("abs", f), f64, `[1.5, 2.25, null, 0, 10]`},
		{"upper_case_name_from_json", &Expr{Kind: KindCall, Name: "LOWER", Args: []*Expr{s}, Pos: -1}, tUTF8, `["apple", "banana", null, "cherry", ""]`},
		{"abs_decimal", Call("ABS", Col("dec")), dec10, `["1.25", "3.50", null, "100.00", "0.01"]`},
		{"round_float", Call("round", f), f64, `[2, -2, null, 0, 10]`},
		{"round_float_digits", Call("round", f, Int(1)), f64, `[1.5, -2.3, null, 0, 10]`},
		{"round_int_negative_digits", Call("round", i, Int(-1)), i64, `[0, 0, null, 10, 0]`},
		{"round_int", Call("round", i), i64, `[1, -2, null, 7, 0]`},
		{"round_decimal", Call("round", Col("dec"), Int(1)), f64, `[1.3, -3.5, null, 100, 0]`},
		{"round_digits_column", Call("round", Float(1234.5678), Col("j")), f64, `[1234.568, 1235, 1234.56780, null, 0]`},
		{"floor_float", Call("floor", f), f64, `[1, -3, null, 0, 10]`},
		{"ceil_float", Call("ceil", f), f64, `[2, -2, null, 0, 10]`},
		{"ceiling_int", Call("ceiling", i), i64, `[1, -2, null, 7, 0]`},
		{"sqrt_uint", Call("sqrt", Col("u")), f64, `[1, 1.4142135623730951, 1.7320508075688772, 2, null]`},
		{"ln_one", Call("ln", Int(1)), f64, `[0, 0, 0, 0, 0]`},
		{"exp", Call("exp", Col("j")), f64, `[20.085536923187668, 1, 148.4131591025766, null, 0.01831563888873418]`},
		{"pow", Call("pow", Col("j"), Int(2)), f64, `[9, 0, 25, null, 16]`},
		{"power_lit_base", Call("power", Int(2), i), f64, `[2, 0.25, null, 128, 1]`},
		{"lower", Call("lower", s), tUTF8, `["apple", "banana", null, "cherry", ""]`},
		{"upper", Call("upper", s), tUTF8, `["APPLE", "BANANA", null, "CHERRY", ""]`},
		{"lower_unicode", Call("lower", Str("ÄBÇ")), tUTF8, `["äbç", "äbç", "äbç", "äbç", "äbç"]`},
		{"upper_unicode", Call("upper", Str("straße é")), tUTF8, `["STRAßE É", "STRAßE É", "STRAßE É", "STRAßE É", "STRAßE É"]`},
		{"length", Call("length", s), i64, `[5, 6, null, 6, 0]`},
		{"length_unicode", Call("length", Str("héllo")), i64, `[5, 5, 5, 5, 5]`},
		{"year_date", Call("year", d), i64, `[2024, 2023, null, 1970, 2024]`},
		{"month_date", Call("month", d), i64, `[1, 12, null, 1, 2]`},
		{"day_ts", Call("day", Col("ts")), i64, `[1, 31, null, 1, 29]`},
		{"year_ts_ms_before_epoch", Call("year", Col("ms")), i64, `[2024, 2024, null, 1969, 2024]`},
		{"lower_eq", Call("lower", s).Eq(Str("banana")), bl, `[false, true, null, false, false]`},
		{"length_lower_plus_int", Call("length", Call("lower", s)).Add(Col("i")), i64, `[6, 4, null, 13, 0]`},
		{"upper_of_case", Call("upper", Call(OpCase, Col("b"), s, Col("p"))), tUTF8, `["APPLE", "X_Y", "ABC", "CHERRY", "ABC"]`},
		{"column_ref", s, tUTF8, `["apple", "Banana", null, "cherry", ""]`},
		{"case_insensitive_column", Col("mixed"), i64, `[10, 20, 30, 40, 50]`},
		{"literal_only", Str("k"), tUTF8, `["k", "k", "k", "k", "k"]`},
		{"coalesce_lower", Call(OpCoalesce, Call("lower", s), Str("?")), tUTF8, `["apple", "banana", "?", "cherry", ""]`},
	})
}
