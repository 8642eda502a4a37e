package expr

import (
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

func TestBindErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"unknown_column_suggestion", at(Col("nm"), 7), `unknown column "nm"`, "did you mean num?", 7},
		{"unknown_column_no_suggestion", at(Col("zzzzzzzz"), 3), `unknown column "zzzzzzzz"`, "", 3},
		{"unknown_function", at(Call("lowr", Col("s")), 0), `unknown function "lowr"`, "did you mean lower?", 0},
		{"unknown_function_far", at(Call("frobnicate", Col("s")), 2), `unknown function "frobnicate"`, "", 2},
		{"too_many_args", at(Call("round", Col("f"), Int(1), Int(2)), 4), "round takes 1 to 2 arguments, got 3", "", 4},
		{"too_few_args", at(Call("lower"), 4), "lower takes 1 argument, got 0", "", 4},
		{"binary_arity", at(Call(OpAdd, Col("i")), 1), "+ takes 2 arguments, got 1", "", 1},
		{"string_plus_int", at(Col("s").Add(Col("i")), 5), "cannot apply + to utf8 and int64", "", 5},
		{"date_times_int", at(Col("d").Mul(Int(2)), 5), "cannot apply * to date32 and int64", "", 5},
		{"string_eq_int_column", at(Col("s").Eq(Col("i")), 9), "cannot apply = to utf8 and int64", "", 9},
		{"not_int", at(Col("i").Not(), 1), "NOT requires boolean arguments, got int64", "", 1},
		{"and_string", at(Col("b").And(Col("s")), 1), "AND requires boolean arguments, got utf8", "", 1},
		{"like_non_constant", at(Call(OpLike, Col("s"), Col("p")), 6), "LIKE pattern must be a constant string", "", 6},
		{"like_on_int", at(Col("i").Like("1%"), 6), "cannot apply LIKE to int64 and utf8", "", 6},
		{"like_trailing_escape", at(Col("s").Like(`ab\`), 6), "must not end with the escape character", "", 6},
		{"bad_date_literal", at(Col("d").Eq(Str("notadate")), 11), "could not convert string 'notadate' to date32", "", 11},
		{"bad_int_literal_cast", at(Cast(Str("abc"), "INTEGER"), 2), "could not convert string 'abc' to int32", "", 2},
		{"unknown_type", at(Cast(Col("i"), "FOO"), 3), `unknown type "FOO"`, "", 3},
		{"uncastable", at(Cast(Col("d"), "INTEGER"), 3), "cannot cast date32 to int32", "", 3},
		{"case_condition_not_bool", at(Call(OpCase, Col("i"), Int(1)), 8), "CASE WHEN requires boolean arguments, got int64", "", 8},
		{"case_incompatible", at(Call(OpCase, Col("b"), Col("s"), Col("d")), 8), "CASE branches have incompatible types utf8 and date32", "", 8},
		{"coalesce_incompatible", at(Call(OpCoalesce, Col("i"), Col("b")), 8), "coalesce branches have incompatible types int64 and bool", "", 8},
		{"constant_overflow", at(Int(9223372036854775807).Add(Int(1)), 12), "integer overflow in +", "", 12},
		{"abs_string", at(Call("abs", Col("s")), 0), "abs expects a number, got utf8", "", 0},
		{"year_int", at(Call("year", Col("i")), 0), "year expects a date or timestamp, got int64", "", 0},
		{"lower_int", at(Call("lower", Col("i")), 0), "lower expects a string, got int64", "", 0},
		{"round_float_digits", at(Call("round", Col("f"), Float(1.5)), 0), "round digits must be an integer", "", 0},
		{"date_eq_string_column", at(Col("d").Eq(Col("s")), 2), "cannot apply = to date32 and utf8", "", 2},
		{"in_incompatible", at(Col("i").In(Col("s")), 3), "cannot apply = to int64 and utf8", "", 3},
		{"cast_constant_out_of_range", at(Cast(Int(300), "TINYINT"), 1), "value 300 is out of range for int8", "", 1},
		{"unknown_position", Col("nope"), `unknown column "nope"`, "", -1},
		{"ln_zero_constant", at(Call("ln", Int(0)), 2), "logarithm of zero", "", 2},
		{"nil_expr", nil, "missing expression", "", -1},
		{"bad_literal", &Expr{Kind: KindLit, Lit: &Literal{Type: "weird"}, Pos: 1}, `unknown literal type "weird"`, "", 1},
		{"bad_kind", &Expr{Kind: "bogus", Pos: 1}, `unknown expression kind "bogus"`, "", 1},
	}, false)
}

func TestEvalErrors(t *testing.T) {
	big := Col("big")
	runErrCases(t, []errCase{
		{"add_overflow", at(big.Add(Int(1)), 4), "integer overflow in +: 9223372036854775807 + 1", "", 4},
		{"sub_overflow", at(big.Sub(Int(1)), 4), "integer overflow in -: -9223372036854775808 - 1", "", 4},
		{"lit_sub_overflow", at(Int(-2).Sub(big), 4), "integer overflow in -: -2 - 9223372036854775807", "", 4},
		{"add_overflow_in_place_left", at(big.Add(Int(0)).Add(Int(1)), 4), "integer overflow in +: 9223372036854775807 + 1", "", 4},
		{"add_overflow_in_place_right", at(Int(1).Add(big.Add(Int(0))), 4), "integer overflow in +: 1 + 9223372036854775807", "", 4},
		{"sub_overflow_in_place_left", at(big.Add(Int(0)).Sub(Int(1)), 4), "integer overflow in -: -9223372036854775808 - 1", "", 4},
		{"sub_overflow_in_place_right", at(Int(-2).Sub(big.Add(Int(0))), 4), "integer overflow in -: -2 - 9223372036854775807", "", 4},
		{"mul_overflow", at(big.Mul(Int(2)), 4), "integer overflow in *: 9223372036854775807 * 2", "", 4},
		{"mul_overflow_columns", at(big.Mul(big), 4), "integer overflow in *", "", 4},
		{"add_overflow_columns", at(big.Add(big), 4), "integer overflow in +", "", 4},
		{"neg_overflow", at(Call(OpNeg, big), 2), "integer overflow in unary -", "", 2},
		{"abs_overflow", at(Call("abs", big), 2), "integer overflow in abs", "", 2},
		{"round_overflow", at(Call("round", big, Int(-1)), 2), "integer overflow in round", "", 2},
		{"bad_string_cast", at(Cast(Col("num"), "INTEGER"), 6), "could not convert string 'x' to int32", "", 6},
		{"bad_string_to_date", at(Cast(Col("s"), "DATE"), 6), "could not convert string 'apple' to date32", "", 6},
		{"bad_string_to_double", at(Cast(Col("s"), "DOUBLE"), 6), "could not convert string 'apple' to float64", "", 6},
		{"bad_string_to_decimal", at(Cast(Col("s"), "DECIMAL(4,1)"), 6), "could not convert string 'apple' to decimal", "", 6},
		{"bad_string_to_bool", at(Cast(Col("s"), "BOOLEAN"), 6), "could not convert string 'apple' to bool", "", 6},
		{"int_out_of_range", at(Cast(Col("i"), "UTINYINT"), 3), "value -2 is out of range for uint8", "", 3},
		{"decimal_out_of_range", at(Cast(Col("dec"), "DECIMAL(3,2)"), 3), "value 100.00 is out of range for decimal(3, 2)", "", 3},
		{"float_out_of_range", at(Cast(Col("f").Mul(Float(1e30)), "BIGINT"), 3), "is out of range for int64", "", 3},
		{"sqrt_negative", at(Call("sqrt", Col("f")), 1), "square root of a negative number", "", 1},
		{"ln_negative", at(Call("ln", Col("i")), 1), "logarithm of a negative number", "", 1},
		{"case_taken_branch_fails", Call(OpCase, Col("b"), at(Cast(Col("s"), "INT"), 5), Int(0)), "could not convert string 'apple' to int32", "", 5},
	}, true)
}

func TestErrorString(t *testing.T) {
	e := &Error{Pos: 7, Msg: `unknown column "id7"`, Hint: "did you mean id1?"}
	require.Equal(t, `position 7: unknown column "id7" (did you mean id1?)`, e.Error())
	e = &Error{Pos: -1, Msg: "x"}
	require.Equal(t, "x", e.Error())
}

func TestColumnNames(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id1", Type: tUTF8}, {Name: "id2", Type: tUTF8}, {Name: "Ab", Type: i64}, {Name: "aB", Type: i64}, {Name: "v1", Type: i64},
	}, nil)
	cases := []struct {
		name string
		col  string
		err  string
		hint string
	}{
		{"exact", "id1", "", ""},
		{"case_insensitive", "V1", "", ""},
		{"exact_wins_over_fold", "Ab", "", ""},
		{"ambiguous", "ab", `column reference "ab" is ambiguous`, "matches Ab, aB"},
		{"typo", "id7", `unknown column "id7"`, "did you mean id1?"},
		{"typo_case", "ID3", `unknown column "ID3"`, "did you mean id1?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Bind(Col(tc.col), schema)
			if tc.err == "" {
				require.NoError(t, err)
				require.NotNil(t, b)
				return
			}
			var ee *Error
			require.ErrorAs(t, err, &ee)
			require.Equal(t, tc.err, ee.Msg)
			require.Equal(t, tc.hint, ee.Hint)
		})
	}
}

func TestBatchMismatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: i64}, {Name: "b", Type: i64}}, nil)
	b, err := Bind(Col("b").Add(Int(1)), schema)
	require.NoError(t, err)

	// columns found by name when the batch has them at other positions
	a := fromJSON(t, mem, i64, `[1, 2]`)
	defer a.Release()
	rec := newRecord(t, []string{"b"}, []arrow.Array{a})
	defer rec.Release()
	got, err := b.Eval(rec, mem)
	require.NoError(t, err)
	want := fromJSON(t, mem, i64, `[2, 3]`)
	defer want.Release()
	requireArrayEqual(t, mem, want, got)
	got.Release()

	// missing column
	rec2 := newRecord(t, []string{"c"}, []arrow.Array{a})
	defer rec2.Release()
	_, err = b.Eval(rec2, mem)
	require.ErrorContains(t, err, `column "b" is not in the batch`)

	// wrong type
	s := fromJSON(t, mem, tUTF8, `["x", "y"]`)
	defer s.Release()
	rec3 := newRecord(t, []string{"a", "b"}, []arrow.Array{a, s})
	defer rec3.Release()
	_, err = b.Eval(rec3, mem)
	require.ErrorContains(t, err, `column "b" has type utf8 in the batch, bound as int64`)
}
