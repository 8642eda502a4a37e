package expr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/dfq/dfq/ops/column"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCol is one column of the shared five-row test batch.
type testCol struct {
	name string
	t    arrow.DataType
	js   string
}

var (
	tsUS  = &arrow.TimestampType{Unit: arrow.Microsecond}
	tsMS  = &arrow.TimestampType{Unit: arrow.Millisecond}
	dec10 = &arrow.Decimal128Type{Precision: 10, Scale: 2}
	dictT = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
)

var testCols = []testCol{
	{"i", arrow.PrimitiveTypes.Int64, `[1, -2, null, 7, 0]`},
	{"j", arrow.PrimitiveTypes.Int32, `[3, 0, 5, null, -4]`},
	{"u", arrow.PrimitiveTypes.Uint8, `[1, 2, 3, 4, null]`},
	{"f", arrow.PrimitiveTypes.Float64, `[1.5, -2.25, null, 0, 10]`},
	{"g", arrow.PrimitiveTypes.Float32, `[0.5, 1, 2, null, -1]`},
	{"s", arrow.BinaryTypes.String, `["apple", "Banana", null, "cherry", ""]`},
	{"p", arrow.BinaryTypes.String, `["a%b", "x_y", "abc", null, "ABC"]`},
	{"num", arrow.BinaryTypes.String, `["1", " 42 ", "-7", null, "x"]`},
	{"b", arrow.FixedWidthTypes.Boolean, `[true, false, null, true, false]`},
	{"c", arrow.FixedWidthTypes.Boolean, `[true, null, false, false, true]`},
	{"d", arrow.FixedWidthTypes.Date32, `["2024-01-01", "2023-12-31", null, "1970-01-01", "2024-02-29"]`},
	{"ts", tsUS, `["2024-01-01 00:00:00", "2023-12-31 23:59:59.5", null, "1970-01-01 00:00:00", "2024-02-29 12:00:00"]`},
	{"ms", tsMS, `["2024-01-01 00:00:00", "2024-01-01 00:00:00.001", null, "1969-12-31 23:59:59.999", "2024-02-29 00:00:00"]`},
	{"dec", dec10, `["1.25", "-3.50", null, "100.00", "0.01"]`},
	{"z", arrow.PrimitiveTypes.Int64, `[null, null, null, null, null]`},
	{"big", arrow.PrimitiveTypes.Int64, `[9223372036854775807, 1, null, -9223372036854775808, 2]`},
	{"Mixed", arrow.PrimitiveTypes.Int64, `[10, 20, 30, 40, 50]`},
}

const testRows = 5

func testSchema() *arrow.Schema {
	fs := make([]arrow.Field, len(testCols))
	for i, c := range testCols {
		fs[i] = arrow.Field{Name: c.name, Type: c.t, Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}

func fromJSON(t testing.TB, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	if dt.ID() == arrow.INT64 && strings.Contains(js, "922337203685477580") {
		// FromJSON goes through float64 for extreme integers: build exactly.
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for _, f := range strings.Split(strings.Trim(js, "[]"), ",") {
			f = strings.TrimSpace(f)
			if f == "null" {
				b.AppendNull()
				continue
			}
			var v int64
			_, err := fmt.Sscan(f, &v)
			require.NoError(t, err)
			b.Append(v)
		}
		return b.NewArray()
	}
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	require.NoError(t, err)
	return a
}

// toDict dictionary-encodes a utf8 array; extra unused dictionary values are
// added first (so indices are not in value order and the dictionary holds
// values no row uses).
func toDict(t testing.TB, mem memory.Allocator, a arrow.Array, extra ...string) arrow.Array {
	t.Helper()
	s := a.(*array.String)
	vb := array.NewStringBuilder(mem)
	defer vb.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	pos := map[string]int32{}
	for _, e := range extra {
		pos[e] = int32(len(pos))
		vb.Append(e)
	}
	for i := 0; i < s.Len(); i++ {
		if s.IsNull(i) {
			ib.AppendNull()
			continue
		}
		v := s.Value(i)
		p, ok := pos[v]
		if !ok {
			p = int32(len(pos))
			pos[v] = p
			vb.Append(v)
		}
		ib.Append(p)
	}
	vals := vb.NewArray()
	defer vals.Release()
	ind := ib.NewArray()
	defer ind.Release()
	return array.NewDictionaryArray(dictT, ind, vals)
}

// variant is a way of presenting the test batch.
type variant struct {
	name       string
	dict       bool // utf8 columns dictionary-encoded
	bigDict    bool // with a dictionary larger than the batch (slow path)
	lo, hi     int  // rows kept
	offset     bool // arrays sliced from larger arrays
	fullErrors bool // runtime error cases apply
}

var variants = []variant{
	{name: "plain", lo: 0, hi: testRows, fullErrors: true},
	{name: "dict", dict: true, lo: 0, hi: testRows, fullErrors: true},
	{name: "bigdict", dict: true, bigDict: true, lo: 0, hi: testRows, fullErrors: true},
	{name: "offset", offset: true, lo: 0, hi: testRows, fullErrors: true},
	{name: "dict_offset", dict: true, offset: true, lo: 0, hi: testRows, fullErrors: true},
	{name: "one_row", lo: 0, hi: 1},
	{name: "tail_rows", dict: true, lo: 2, hi: testRows},
	{name: "empty", lo: 0, hi: 0},
	{name: "dict_empty", dict: true, lo: 0, hi: 0},
}

// testRecord builds the test batch for a variant.
func testRecord(t testing.TB, mem memory.Allocator, v variant) arrow.Record {
	t.Helper()
	cols := make([]arrow.Array, len(testCols))
	fields := make([]arrow.Field, len(testCols))
	for i, c := range testCols {
		a := fromJSON(t, mem, c.t, c.js)
		if v.offset {
			junk := array.MakeArrayOfNull(mem, c.t, 3)
			both, err := array.Concatenate([]arrow.Array{junk, a}, mem)
			require.NoError(t, err)
			junk.Release()
			a.Release()
			a = array.NewSlice(both, 3, 3+testRows)
			both.Release()
		}
		if v.dict && c.t.ID() == arrow.STRING {
			var extra []string
			if v.bigDict {
				for k := 0; k < 40; k++ {
					extra = append(extra, fmt.Sprintf("unused%02d", k))
				}
			} else {
				extra = []string{"zz-unused"}
			}
			d := toDict(t, mem, a, extra...)
			a.Release()
			a = d
		}
		s := array.NewSlice(a, int64(v.lo), int64(v.hi))
		a.Release()
		cols[i] = s
		fields[i] = arrow.Field{Name: c.name, Type: s.DataType(), Nullable: true}
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(v.hi-v.lo))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// evalCase is an expression over the test batch and its expected result.
type evalCase struct {
	name string
	e    *Expr
	typ  arrow.DataType
	want string // JSON of the five result rows
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	schema := testSchema()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Bind(tc.e, schema)
			require.NoError(t, err, "bind %s", tc.e)
			require.Truef(t, arrow.TypeEqual(tc.typ, b.Type()), "type: want %s, got %s", tc.typ, b.Type())
			for _, v := range variants {
				t.Run(v.name, func(t *testing.T) {
					mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
					defer mem.AssertSize(t, 0)
					rec := testRecord(t, mem, v)
					defer rec.Release()
					got, err := b.Eval(rec, mem)
					require.NoError(t, err, "eval %s", tc.e)
					defer got.Release()
					require.Equal(t, v.hi-v.lo, got.Len())
					require.Truef(t, arrow.TypeEqual(b.Type(), logical(got.DataType())), "result type %s", got.DataType())
					full := fromJSON(t, mem, b.Type(), tc.want)
					defer full.Release()
					require.Equal(t, testRows, full.Len(), "want must list %d rows", testRows)
					want := array.NewSlice(full, int64(v.lo), int64(v.hi))
					defer want.Release()
					plain, err := column.Unpack(mem, got)
					require.NoError(t, err)
					defer plain.Release()
					require.Truef(t, array.ApproxEqual(want, plain, array.WithNaNsEqual(true)), "%s\nwant %v\n got %v", tc.e, want, plain)
					require.Equal(t, want.NullN(), plain.NullN())
				})
			}
		})
	}
}

// errCase is an expression that must fail, at Bind or at Eval.
type errCase struct {
	name string
	e    *Expr
	msg  string // substring of the message
	hint string
	pos  int
}

func at(e *Expr, pos int) *Expr { e.Pos = pos; return e }

func runErrCases(t *testing.T, cases []errCase, atEval bool) {
	t.Helper()
	schema := testSchema()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Bind(tc.e, schema)
			if atEval {
				require.NoError(t, err)
				for _, v := range variants {
					if !v.fullErrors {
						continue
					}
					t.Run(v.name, func(t *testing.T) {
						mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
						defer mem.AssertSize(t, 0)
						rec := testRecord(t, mem, v)
						defer rec.Release()
						got, err := b.Eval(rec, mem)
						require.Nil(t, got)
						checkErr(t, err, tc)
					})
				}
				return
			}
			require.Nil(t, b)
			checkErr(t, err, tc)
		})
	}
}

func checkErr(t *testing.T, err error, tc errCase) {
	t.Helper()
	require.Error(t, err)
	var ee *Error
	require.ErrorAs(t, err, &ee)
	require.Contains(t, ee.Msg, tc.msg)
	require.Equal(t, tc.hint, ee.Hint)
	require.Equal(t, tc.pos, ee.Pos)
}
