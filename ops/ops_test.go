package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "g", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// records builds records of schema from JSON arrays of rows, one per batch.
func records(t *testing.T, mem memory.Allocator, batches ...string) []arrow.Record {
	t.Helper()
	var out []arrow.Record
	for _, b := range batches {
		rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(b))
		require.NoError(t, err)
		out = append(out, rec)
	}
	return out
}

// sliceStream streams records it owns.
type sliceStream struct {
	schema *arrow.Schema
	recs   []arrow.Record
	closed bool
}

func (s *sliceStream) Schema() *arrow.Schema { return s.schema }
func (s *sliceStream) Next(ctx context.Context) (arrow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(s.recs) == 0 {
		return nil, io.EOF
	}
	r := s.recs[0]
	s.recs = s.recs[1:]
	return r, nil
}
func (s *sliceStream) Close() error {
	for _, r := range s.recs {
		r.Release()
	}
	s.recs = nil
	s.closed = true
	return nil
}

// drainJSON reads a stream to the end and renders its rows as JSON.
func drainJSON(t *testing.T, s ops.Stream) string {
	t.Helper()
	var rows []string
	for {
		rec, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		rows = append(rows, recordJSON(t, rec)...)
		rec.Release()
	}
	require.NoError(t, s.Close())
	return "[" + strings.Join(rows, ",") + "]"
}

func recordJSON(t *testing.T, rec arrow.Record) []string {
	t.Helper()
	var out []string
	for i := 0; i < int(rec.NumRows()); i++ {
		var cells []string
		for c, col := range rec.Columns() {
			v := "null"
			if col.IsValid(i) {
				v = col.ValueStr(i)
				if col.DataType().ID() == arrow.STRING {
					v = `"` + v + `"`
				}
			}
			cells = append(cells, `"`+rec.ColumnName(c)+`":`+v)
		}
		out = append(out, "{"+strings.Join(cells, ",")+"}")
	}
	return out
}

const data1 = `[{"g":"a","k":1,"x":1.5},{"g":"b","k":2,"x":null},{"g":null,"k":null,"x":3}]`
const data2 = `[{"g":"a","k":3,"x":-1},{"g":"c","k":4,"x":0.5}]`

func TestFilterProjectLimit(t *testing.T) {
	cases := []struct {
		name  string
		open  func(in ops.Stream, mem memory.Allocator) (ops.Stream, error)
		batch []string
		want  string
	}{
		{"filter", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Filter{Pred: expr.Col("k").Ge(expr.Int(2))}.Open(in, mem)
		}, []string{data1, data2}, `[{"g":"b","k":2,"x":null},{"g":"a","k":3,"x":-1},{"g":"c","k":4,"x":0.5}]`},
		{"filter null is false", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Filter{Pred: expr.Col("x").Gt(expr.Float(0))}.Open(in, mem)
		}, []string{data1}, `[{"g":"a","k":1,"x":1.5},{"g":null,"k":null,"x":3}]`},
		{"filter none", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Filter{Pred: expr.Col("k").Gt(expr.Int(100))}.Open(in, mem)
		}, []string{data1, data2}, `[]`},
		{"filter empty input", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Filter{Pred: expr.Col("k").Gt(expr.Int(1))}.Open(in, mem)
		}, []string{`[]`}, `[]`},
		{"project", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Project{Columns: []ops.Column{{Name: "k2", Expr: expr.Col("k").Mul(expr.Int(2))}, {Name: "g", Expr: expr.Col("g")}}}.Open(in, mem)
		}, []string{data1}, `[{"k2":2,"g":"a"},{"k2":4,"g":"b"},{"k2":null,"g":null}]`},
		{"limit across batches", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Limit{N: 2, Offset: 2}.Open(in), nil
		}, []string{data1, data2}, `[{"g":null,"k":null,"x":3},{"g":"a","k":3,"x":-1}]`},
		{"limit zero", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Limit{N: 0}.Open(in), nil
		}, []string{data1}, `[]`},
		{"offset past end", func(in ops.Stream, mem memory.Allocator) (ops.Stream, error) {
			return ops.Limit{N: 5, Offset: 10}.Open(in), nil
		}, []string{data1}, `[]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			in := &sliceStream{schema: schema, recs: records(t, mem, c.batch...)}
			s, err := c.open(in, mem)
			require.NoError(t, err)
			require.JSONEq(t, c.want, drainJSON(t, s))
			require.True(t, in.closed)
		})
	}
}

func TestOpenErrorsCloseInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	in := &sliceStream{schema: schema, recs: records(t, mem, data1)}
	_, err := ops.Filter{Pred: expr.Col("nope").Gt(expr.Int(1))}.Open(in, mem)
	require.ErrorContains(t, err, "nope")
	require.True(t, in.closed)

	in = &sliceStream{schema: schema, recs: records(t, mem, data1)}
	_, err = ops.Filter{Pred: expr.Col("k")}.Open(in, mem)
	require.ErrorContains(t, err, "not boolean")
	require.True(t, in.closed)
}

// runAgg runs an aggregate in two partials (one per batch) and a final merge
// over buckets, and returns the rows sorted by the text of the row.
func runAgg(t *testing.T, mem memory.Allocator, a ops.Aggregate, buckets int, batches ...string) []string {
	t.Helper()
	var parts [][][]arrow.Record
	for _, b := range batches {
		p, err := a.NewPartial(schema, buckets, mem)
		require.NoError(t, err)
		for _, rec := range records(t, mem, b) {
			require.NoError(t, p.Consume(context.Background(), rec))
			rec.Release()
		}
		out, err := p.Finish()
		require.NoError(t, err)
		p.Release()
		parts = append(parts, out)
	}
	var rows []string
	nb := buckets
	if len(a.Keys) == 0 {
		nb = 1
	}
	for b := 0; b < nb; b++ {
		var in []arrow.Record
		for _, p := range parts {
			in = append(in, p[b]...)
		}
		if len(a.Keys) > 0 && allNil(in) {
			continue
		}
		rec, err := a.Final(context.Background(), schema, in, mem)
		require.NoError(t, err)
		rows = append(rows, recordJSON(t, rec)...)
		rec.Release()
	}
	for _, p := range parts {
		for _, rs := range p {
			for _, r := range rs {
				r.Release()
			}
		}
	}
	sortStrings(rows)
	return rows
}

func allNil(rs []arrow.Record) bool {
	for _, r := range rs {
		if r != nil {
			return false
		}
	}
	return true
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestAggregate(t *testing.T) {
	sum := func(c string) ops.Agg {
		return ops.Agg{Name: "s", Spec: agg.Spec{Func: "sum"}, Args: []*expr.Expr{expr.Col(c)}}
	}
	count := ops.Agg{Name: "n", Spec: agg.Spec{Func: "count_star"}}
	byG := []ops.Column{{Name: "g", Expr: expr.Col("g")}}
	cases := []struct {
		name    string
		a       ops.Aggregate
		batches []string
		want    []string
	}{
		{"by string key, NULL is a group", ops.Aggregate{Keys: byG, Aggs: []ops.Agg{sum("k"), count}},
			[]string{data1, data2},
			[]string{`{"g":"a","s":4,"n":2}`, `{"g":"b","s":2,"n":1}`, `{"g":"c","s":4,"n":1}`, `{"g":null,"s":null,"n":1}`}},
		{"global", ops.Aggregate{Aggs: []ops.Agg{sum("x"), count}},
			[]string{data1, data2}, []string{`{"s":4,"n":5}`}},
		{"global over empty input has one row", ops.Aggregate{Aggs: []ops.Agg{sum("x"), count}},
			[]string{`[]`}, []string{`{"s":null,"n":0}`}},
		{"grouped over empty input has no rows", ops.Aggregate{Keys: byG, Aggs: []ops.Agg{count}},
			[]string{`[]`, `[]`}, nil},
		{"key expression", ops.Aggregate{Keys: []ops.Column{{Name: "big", Expr: expr.Col("k").Gt(expr.Int(1))}}, Aggs: []ops.Agg{count}},
			[]string{data1, data2}, []string{`{"big":false,"n":1}`, `{"big":null,"n":1}`, `{"big":true,"n":3}`}},
		{"distinct (no aggregates)", ops.Aggregate{Keys: byG},
			[]string{data1, data2}, []string{`{"g":"a"}`, `{"g":"b"}`, `{"g":"c"}`, `{"g":null}`}},
	}
	for _, c := range cases {
		for _, buckets := range []int{1, 3} {
			t.Run(c.name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
				defer mem.AssertSize(t, 0)
				got := runAgg(t, mem, c.a, buckets, c.batches...)
				want := append([]string(nil), c.want...)
				sortStrings(want)
				require.Equal(t, want, got)
			})
		}
	}
}

func TestAggregateErrors(t *testing.T) {
	_, err := ops.Aggregate{Aggs: []ops.Agg{{Name: "s", Spec: agg.Spec{Func: "sum"}, Args: []*expr.Expr{expr.Col("g")}}}}.Schema(schema)
	require.ErrorContains(t, err, "sum")
	_, err = ops.Aggregate{Keys: []ops.Column{{Name: "z", Expr: expr.Col("zz")}}}.Schema(schema)
	require.ErrorContains(t, err, "zz")
}

func TestSortAndTopK(t *testing.T) {
	cases := []struct {
		name string
		s    ops.Sort
		want string
	}{
		{"k desc, nulls last", ops.Sort{Keys: []ops.SortKey{{Expr: expr.Col("k"), Desc: true}}, Limit: -1},
			`[{"g":"c","k":4,"x":0.5},{"g":"a","k":3,"x":-1},{"g":"b","k":2,"x":null},{"g":"a","k":1,"x":1.5},{"g":null,"k":null,"x":3}]`},
		{"x asc nulls first", ops.Sort{Keys: []ops.SortKey{{Expr: expr.Col("x"), NullsFirst: true}}, Limit: -1},
			`[{"g":"b","k":2,"x":null},{"g":"a","k":3,"x":-1},{"g":"c","k":4,"x":0.5},{"g":"a","k":1,"x":1.5},{"g":null,"k":null,"x":3}]`},
		{"g then k desc, top 3", ops.Sort{Keys: []ops.SortKey{{Expr: expr.Col("g")}, {Expr: expr.Col("k"), Desc: true}}, Limit: 3},
			`[{"g":"a","k":3,"x":-1},{"g":"a","k":1,"x":1.5},{"g":"b","k":2,"x":null}]`},
		{"top 0", ops.Sort{Keys: []ops.SortKey{{Expr: expr.Col("k")}}, Limit: 0}, `[]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			// Two runs, one per batch, merged.
			var runs []arrow.Record
			for _, b := range []string{data1, data2} {
				st, err := c.s.NewSorter(schema, mem)
				require.NoError(t, err)
				for _, rec := range records(t, mem, b) {
					require.NoError(t, st.Consume(context.Background(), rec))
					rec.Release()
				}
				run, err := st.Finish(context.Background())
				require.NoError(t, err)
				st.Release()
				runs = append(runs, run)
			}
			out, err := c.s.MergeRuns(context.Background(), schema, runs, mem)
			require.NoError(t, err)
			for _, r := range runs {
				if r != nil {
					r.Release()
				}
			}
			got := "[]"
			if out != nil {
				got = "[" + strings.Join(recordJSON(t, out), ",") + "]"
				out.Release()
			}
			require.JSONEq(t, c.want, got)
		})
	}
}

// TestWindowKeep: a window keeping the first rows of each partition gives
// exactly the rows, and numbers, of the full window with a filter on the
// number; partitions shorter than Keep keep all their rows.
func TestWindowKeep(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	run := func(w ops.Window) []string {
		in := records(t, mem, data1, data2)
		out, err := w.Compute(context.Background(), schema, in, mem)
		for _, r := range in {
			r.Release()
		}
		require.NoError(t, err)
		defer out.Release()
		rows := recordJSON(t, out)
		sortStrings(rows)
		return rows
	}
	for _, keep := range []int64{1, 2, 5} {
		w := ops.Window{Func: "row_number", Name: "rn", PartitionBy: []*expr.Expr{expr.Col("g")},
			OrderBy: []ops.SortKey{{Expr: expr.Col("x"), NullsFirst: true}, {Expr: expr.Col("k"), Desc: true}}}
		var want []string
		for _, r := range run(w) {
			var row struct {
				RN int64 `json:"rn"`
			}
			require.NoError(t, json.Unmarshal([]byte(r), &row))
			if row.RN <= keep {
				want = append(want, r)
			}
		}
		w.Keep = keep
		require.Equal(t, want, run(w), "keep %d", keep)
		require.Contains(t, w.String(), fmt.Sprintf("(first %d per partition)", keep))
	}
}

func TestWindowRowNumber(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	w := ops.Window{Func: "row_number", Name: "rn", PartitionBy: []*expr.Expr{expr.Col("g")},
		OrderBy: []ops.SortKey{{Expr: expr.Col("k"), Desc: true}}}
	r, err := w.NewRepartitioner(schema, 3, mem)
	require.NoError(t, err)
	for _, rec := range records(t, mem, data1, data2) {
		require.NoError(t, r.Consume(context.Background(), rec))
		rec.Release()
	}
	var rows []string
	for _, bucket := range r.Finish() {
		out, err := w.Compute(context.Background(), schema, bucket, mem)
		require.NoError(t, err)
		for _, rec := range bucket {
			rec.Release()
		}
		if out != nil {
			rows = append(rows, recordJSON(t, out)...)
			out.Release()
		}
	}
	r.Release()
	sortStrings(rows)
	require.Equal(t, []string{
		`{"g":"a","k":1,"x":1.5,"rn":2}`, `{"g":"a","k":3,"x":-1,"rn":1}`, `{"g":"b","k":2,"x":null,"rn":1}`,
		`{"g":"c","k":4,"x":0.5,"rn":1}`, `{"g":null,"k":null,"x":3,"rn":1}`,
	}, rows)
}

// TestAggregatePassthrough checks that a partial which switches to passing
// rows through (high-cardinality keys) still gives the right answer, whether
// its buckets are merged alone or with other partials' states.
func TestAggregatePassthrough(t *testing.T) {
	defer ops.SetPassCheckRows(2)()
	a := ops.Aggregate{Keys: []ops.Column{{Name: "k", Expr: expr.Col("k")}}, Aggs: []ops.Agg{
		{Name: "n", Spec: agg.Spec{Func: "count_star"}},
		{Name: "s", Spec: agg.Spec{Func: "sum"}, Args: []*expr.Expr{expr.Col("x")}},
		{Name: "m", Spec: agg.Spec{Func: "median"}, Args: []*expr.Expr{expr.Col("x")}},
		{Name: "g", Spec: agg.Spec{Func: "max"}, Args: []*expr.Expr{expr.Col("g")}},
	}}
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	// The first partial sees unique keys in its first batch and passes the
	// rest through; the second keeps grouping (it sees one batch).
	got := runAgg(t, mem, a, 3,
		data1, // partial 1, batch 1: 3 rows, 3 groups -> passthrough from now on
		data2, // partial 2
	)
	want := []string{
		`{"k":1,"n":1,"s":1.5,"m":1.5,"g":"a"}`, `{"k":2,"n":1,"s":null,"m":null,"g":"b"}`,
		`{"k":3,"n":1,"s":-1,"m":-1,"g":"a"}`, `{"k":4,"n":1,"s":0.5,"m":0.5,"g":"c"}`,
		`{"k":null,"n":1,"s":3,"m":3,"g":null}`,
	}
	sortStrings(want)
	require.Equal(t, want, got)

	// One partial fed several batches: later batches are routed raw and
	// merged with its own states.
	p, err := a.NewPartial(schema, 3, mem)
	require.NoError(t, err)
	for _, rec := range records(t, mem, data1, data2, data1) {
		require.NoError(t, p.Consume(context.Background(), rec))
		rec.Release()
	}
	rows := finishRows(t, a, p, mem)
	require.Equal(t, []string{
		`{"k":1,"n":2,"s":3,"m":1.5,"g":"a"}`, `{"k":2,"n":2,"s":null,"m":null,"g":"b"}`,
		`{"k":3,"n":1,"s":-1,"m":-1,"g":"a"}`, `{"k":4,"n":1,"s":0.5,"m":0.5,"g":"c"}`,
		`{"k":null,"n":2,"s":6,"m":3,"g":null}`,
	}, rows)
}

// TestFinalLargePartials merges partials larger than Final's slice (in
// pieces) and equals the reference; a cancelled context stops it.
func TestFinalLargePartials(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	const n = 600_000 // over two slices of 1<<18 rows
	build := func(shift int64) arrow.Record {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for i := int64(0); i < n; i++ {
			b.Field(0).(*array.StringBuilder).Append("g" + string(rune('a'+i%7)))
			b.Field(1).(*array.Int64Builder).Append(i + shift)
			b.Field(2).(*array.Float64Builder).Append(float64(i % 13))
		}
		return b.NewRecord()
	}
	a := ops.Aggregate{
		Keys: []ops.Column{{Name: "k", Expr: expr.Col("k")}},
		Aggs: []ops.Agg{{Name: "s", Spec: agg.Spec{Func: "sum"}, Args: []*expr.Expr{expr.Col("x")}}, {Name: "n", Spec: agg.Spec{Func: "count_star"}}},
	}
	var parts []arrow.Record
	for _, shift := range []int64{0, n / 2} {
		p, err := a.NewPartial(schema, 1, mem)
		require.NoError(t, err)
		rec := build(shift)
		require.NoError(t, p.Consume(context.Background(), rec))
		rec.Release()
		out, err := p.Finish()
		require.NoError(t, err)
		p.Release()
		parts = append(parts, out[0]...)
	}
	defer func() {
		for _, r := range parts {
			r.Release()
		}
	}()
	rec, err := a.Final(context.Background(), schema, parts, mem)
	require.NoError(t, err)
	defer rec.Release()
	// Keys 0..1.5n-1; those in [n/2, n) were seen twice.
	require.EqualValues(t, n+n/2, rec.NumRows())
	keys := rec.Column(0).(*array.Int64)
	var counts [3]int64 // keys by how many times they were seen
	for i := 0; i < keys.Len(); i++ {
		k := keys.Value(i)
		c := rec.Column(2).(*array.Int64).Value(i)
		want := int64(1)
		if k >= n/2 && k < n {
			want = 2
		}
		require.Equal(t, want, c, "key %d", k)
		counts[c]++
	}
	require.EqualValues(t, n/2, counts[2])

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = a.Final(ctx, schema, parts, mem)
	require.ErrorIs(t, err, context.Canceled)
}

// TestAggregatePassthroughStringKeys: passed-through rows with string keys,
// plain and dictionary-encoded with a different dictionary per batch (as
// Parquet row groups give), with NULLs, alone and with a second key, give
// the same groups as plain grouping.
func TestAggregatePassthroughStringKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dictOf := func(rec arrow.Record, shuffle bool) arrow.Record {
		g := rec.Column(0).(*array.String)
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
		b := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
		defer b.Release()
		if shuffle {
			// Another order of entries, and one no row uses.
			vals := fromStrings(mem, "zz", "c", "b", "a")
			require.NoError(t, b.InsertStringDictValues(vals.(*array.String)))
			vals.Release()
		}
		for i := 0; i < g.Len(); i++ {
			if g.IsNull(i) {
				b.AppendNull()
			} else {
				require.NoError(t, b.AppendString(g.Value(i)))
			}
		}
		d := b.NewArray()
		defer d.Release()
		f := append([]arrow.Field(nil), rec.Schema().Fields()...)
		f[0].Type = dt
		return array.NewRecord(arrow.NewSchema(f, nil), []arrow.Array{d, rec.Column(1), rec.Column(2)}, rec.NumRows())
	}
	for _, keys := range [][]string{{"g"}, {"g", "k"}} {
		var cols []ops.Column
		for _, k := range keys {
			cols = append(cols, ops.Column{Name: k, Expr: expr.Col(k)})
		}
		a := ops.Aggregate{Keys: cols, Aggs: []ops.Agg{
			{Name: "n", Spec: agg.Spec{Func: "count_star"}},
			{Name: "s", Spec: agg.Spec{Func: "sum"}, Args: []*expr.Expr{expr.Col("x")}},
		}}
		run := func(buckets int, pass bool) []string {
			if pass {
				defer ops.SetPassCheckRows(1)()
			}
			p, err := a.NewPartial(schema, buckets, mem)
			require.NoError(t, err)
			for i, rec := range records(t, mem, data1, data2, data1, data2, data1) {
				in := rec
				if i > 0 {
					in = dictOf(rec, i%2 == 0)
					rec.Release()
				}
				require.NoError(t, p.Consume(context.Background(), in))
				in.Release()
			}
			return finishRows(t, a, p, mem)
		}
		want := run(1, false)
		require.NotEmpty(t, want)
		require.Equal(t, want, run(3, true), "keys %v", keys)
	}
}

func fromStrings(mem memory.Allocator, vs ...string) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(vs, nil)
	return b.NewArray()
}

// finishRows finishes a partial, finalises each bucket alone and returns the
// rows as sorted JSON; it releases the partial and its output.
func finishRows(t *testing.T, a ops.Aggregate, p *ops.Partial, mem memory.Allocator) []string {
	t.Helper()
	return finishRowsOf(t, a, p, schema, mem)
}

// finishRowsOf is finishRows for a partial over the input schema in.
func finishRowsOf(t *testing.T, a ops.Aggregate, p *ops.Partial, in *arrow.Schema, mem memory.Allocator) []string {
	t.Helper()
	out, err := p.Finish()
	require.NoError(t, err)
	p.Release()
	var rows []string
	for _, bucket := range out {
		if len(bucket) == 0 {
			continue
		}
		rec, err := a.Final(context.Background(), in, bucket, mem)
		require.NoError(t, err)
		rows = append(rows, recordJSON(t, rec)...)
		rec.Release()
		for _, r := range bucket {
			r.Release()
		}
	}
	sortStrings(rows)
	return rows
}

// TestPartialDictionaryHint: a dictionary-encoded key sizes a partial's
// states from its dictionary, up to four times the batch's rows, and the
// groups come out right either way.
func TestPartialDictionaryHint(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	sch := arrow.NewSchema([]arrow.Field{
		{Name: "g", Type: dictType, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	a := ops.Aggregate{Keys: []ops.Column{{Name: "g", Expr: expr.Col("g")}}, Aggs: []ops.Agg{
		{Name: "s", Spec: agg.Spec{Func: "sum"}, Args: []*expr.Expr{expr.Col("v")}},
		{Name: "n", Spec: agg.Spec{Func: "count_star"}},
	}}
	// batch has rows codes of a dictionary of dictLen strings "s<i>" (NULL
	// where the code is negative) and v = 1 on every row.
	batch := func(dictLen int, codes []int32) arrow.Record {
		db := array.NewStringBuilder(mem)
		defer db.Release()
		for i := range dictLen {
			db.Append("s" + strconv.Itoa(i))
		}
		dict := db.NewArray()
		defer dict.Release()
		ib := array.NewInt32Builder(mem)
		defer ib.Release()
		vb := array.NewInt64Builder(mem)
		defer vb.Release()
		for _, c := range codes {
			if c < 0 {
				ib.AppendNull()
			} else {
				ib.Append(c)
			}
			vb.Append(1)
		}
		idx, v := ib.NewArray(), vb.NewArray()
		defer idx.Release()
		defer v.Release()
		keys := array.NewDictionaryArray(dictType, idx, dict)
		defer keys.Release()
		return array.NewRecord(sch, []arrow.Array{keys, v}, int64(len(codes)))
	}
	consume := func(p *ops.Partial, rec arrow.Record) {
		require.NoError(t, p.Consume(context.Background(), rec))
		rec.Release()
	}

	// 1000 rows over a dictionary of 3000: room for 3000 groups (8 bytes
	// of sum each, at least) although 3 are used.
	p, err := a.NewPartial(sch, 1, mem)
	require.NoError(t, err)
	codes := make([]int32, 1000)
	for i := range codes {
		codes[i] = int32(i%3) * 1000
	}
	codes[7] = -1
	consume(p, batch(3000, codes))
	require.GreaterOrEqual(t, p.Bytes(), int64(3000*8))
	// A second batch with another dictionary adds to the same groups.
	consume(p, batch(2, []int32{0, 1, -1}))
	rows := finishRowsOf(t, a, p, sch, mem)
	require.Equal(t, []string{
		`{"g":"s0","s":335,"n":335}`, `{"g":"s1","s":1,"n":1}`, `{"g":"s1000","s":332,"n":332}`,
		`{"g":"s2000","s":333,"n":333}`, `{"g":null,"s":2,"n":2}`,
	}, rows)

	// 10 rows over a dictionary of 100000: the hint is capped at 40 groups.
	// (The table caches a group per dictionary entry, 4 bytes each.)
	p, err = a.NewPartial(sch, 1, mem)
	require.NoError(t, err)
	consume(p, batch(100_000, []int32{5, 99_999, 5, 0, 0, 0, 1, 2, 3, 4}))
	require.Less(t, p.Bytes(), int64(100_000*8))
	rows = finishRowsOf(t, a, p, sch, mem)
	require.Equal(t, []string{
		`{"g":"s0","s":3,"n":3}`, `{"g":"s1","s":1,"n":1}`, `{"g":"s2","s":1,"n":1}`, `{"g":"s3","s":1,"n":1}`,
		`{"g":"s4","s":1,"n":1}`, `{"g":"s5","s":2,"n":2}`, `{"g":"s99999","s":1,"n":1}`,
	}, rows)
}

// TestPartialSharedRows: a partial keeps one count of rows per group only
// when an aggregate takes its counts from it (avg, count), not for sums,
// which need none; the results are right either way.
func TestPartialSharedRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	fn := func(name, f, col string) ops.Agg {
		a := ops.Agg{Name: name, Spec: agg.Spec{Func: f}}
		if col != "" {
			a.Args = []*expr.Expr{expr.Col(col)}
		}
		return a
	}
	for _, tc := range []struct {
		name   string
		aggs   []ops.Agg
		counts bool
		want   []string
	}{
		{"sums", []ops.Agg{fn("sk", "sum", "k"), fn("sx", "sum", "x")}, false,
			[]string{`{"g":"a","sk":4,"sx":0.5}`, `{"g":"b","sk":2,"sx":null}`, `{"g":"c","sk":4,"sx":0.5}`, `{"g":null,"sk":null,"sx":3}`}},
		{"sum and count", []ops.Agg{fn("sk", "sum", "k"), fn("n", "count_star", "")}, true,
			[]string{`{"g":"a","sk":4,"n":2}`, `{"g":"b","sk":2,"n":1}`, `{"g":"c","sk":4,"n":1}`, `{"g":null,"sk":null,"n":1}`}},
		{"avg", []ops.Agg{fn("ak", "avg", "k")}, true,
			[]string{`{"g":"a","ak":2}`, `{"g":"b","ak":2}`, `{"g":"c","ak":4}`, `{"g":null,"ak":null}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ops.Aggregate{Keys: []ops.Column{{Name: "g", Expr: expr.Col("g")}}, Aggs: tc.aggs}
			p, err := a.NewPartial(schema, 2, mem)
			require.NoError(t, err)
			require.Equal(t, tc.counts, p.CountsRows())
			for _, rec := range records(t, mem, data1, data2) {
				require.NoError(t, p.Consume(context.Background(), rec))
				rec.Release()
			}
			want := append([]string(nil), tc.want...)
			sortStrings(want)
			require.Equal(t, want, finishRows(t, a, p, mem))
		})
	}
}
