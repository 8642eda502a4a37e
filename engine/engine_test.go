package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/internal/check"
	"github.com/dfq/dfq/engine/proc"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

var fixtureSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "g", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

const fixtureRows = 5000

// fixtureRecord builds the fixture: NULLs in g, k, x, b; 12 distinct g.
func fixtureRecord(mem memory.Allocator) arrow.Record {
	rng := rand.New(rand.NewPCG(7, 7))
	b := array.NewRecordBuilder(mem, fixtureSchema)
	defer b.Release()
	for r := 0; r < fixtureRows; r++ {
		b.Field(0).(*array.Int64Builder).Append(int64(r))
		if rng.IntN(10) == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("g%02d", rng.IntN(12)))
		}
		if rng.IntN(8) == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Int64Builder).Append(int64(rng.IntN(200) - 100))
		}
		if rng.IntN(9) == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(float64(rng.IntN(100000)) / 64)
		}
		b.Field(4).(*array.Date32Builder).Append(arrow.Date32(18000 + rng.IntN(2000)))
		b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(1_600_000_000_000_000 + rng.Int64N(1e12)))
		if rng.IntN(7) == 0 {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.BooleanBuilder).Append(rng.IntN(2) == 0)
		}
	}
	return b.NewRecord()
}

// fixtureFiles writes the fixture as Parquet (two files, row groups of 300
// rows, dictionary-encoded strings), CSV and Arrow IPC.
func fixtureFiles(t *testing.T) (pq, csvPath, arrowPath string) {
	t.Helper()
	dir := t.TempDir()
	rec := fixtureRecord(memory.DefaultAllocator)
	defer rec.Release()
	half := rec.NumRows() / 2
	for i, part := range []arrow.Record{rec.NewSlice(0, half), rec.NewSlice(half, rec.NumRows())} {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i)))
		require.NoError(t, err)
		w, err := parquet.NewWriter(f, fixtureSchema, parquet.WriteOptions{Compression: "zstd", RowGroupRows: 300})
		require.NoError(t, err)
		require.NoError(t, w.Write(part))
		require.NoError(t, w.Close())
		require.NoError(t, f.Close())
		part.Release()
	}
	// CSV by hand (the writer package is tested on its own).
	var sb strings.Builder
	sb.WriteString("id,g,k,x,d,ts,b\n")
	for r := 0; r < int(rec.NumRows()); r++ {
		for c, col := range rec.Columns() {
			if c > 0 {
				sb.WriteByte(',')
			}
			if col.IsNull(r) {
				continue
			}
			switch a := col.(type) {
			case *array.Date32:
				sb.WriteString(a.Value(r).FormattedString())
			case *array.Timestamp:
				sb.WriteString(expr.FormatTimestampMicros(int64(a.Value(r))))
			default:
				sb.WriteString(col.ValueStr(r))
			}
		}
		sb.WriteByte('\n')
	}
	csvPath = filepath.Join(dir, "fixture.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte(sb.String()), 0o644))
	arrowPath = filepath.Join(dir, "fixture.arrow")
	f, err := os.Create(arrowPath)
	require.NoError(t, err)
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(fixtureSchema))
	require.NoError(t, err)
	for lo := int64(0); lo < rec.NumRows(); lo += 700 {
		s := rec.NewSlice(lo, min(lo+700, rec.NumRows()))
		require.NoError(t, w.Write(s))
		s.Release()
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	return filepath.Join(dir, "*.parquet"), csvPath, arrowPath
}

type query struct {
	name    string
	build   func(f *engine.Frame) *engine.Frame
	ordered bool
}

func col(n string) *expr.Expr { return expr.Col(n) }

var queries = []query{
	{"scan all", func(f *engine.Frame) *engine.Frame { return f }, false},
	{"filter and", func(f *engine.Frame) *engine.Frame {
		return f.Filter(col("x").Gt(expr.Float(500)).And(col("g").Eq(expr.Str("g03"))))
	}, false},
	{"filter is null", func(f *engine.Frame) *engine.Frame { return f.Filter(col("g").IsNull()) }, false},
	{"filter in and between", func(f *engine.Frame) *engine.Frame {
		return f.Filter(col("g").In(expr.Str("g01"), expr.Str("g07")).And(col("k").Between(expr.Int(-10), expr.Int(10))))
	}, false},
	{"filter matches nothing", func(f *engine.Frame) *engine.Frame { return f.Filter(col("id").Lt(expr.Int(0))) }, false},
	{"project", func(f *engine.Frame) *engine.Frame {
		return f.Select("id", engine.As(col("k").Mul(expr.Int(3)).Add(col("id")), "k3"),
			engine.As(expr.Call("upper", col("g")), "G"),
			engine.As(expr.Call("case", col("x").Gt(expr.Float(100)), expr.Str("big"), expr.Str("small")), "size"),
			engine.As(expr.Call("year", col("d")), "y"))
	}, false},
	{"group by string", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("g").Agg(engine.Count().As("n"), engine.CountOf(col("k")).As("nk"), engine.Sum(col("k")).As("sk"),
			engine.Avg(col("x")).As("ax"), engine.Min(col("ts")).As("mints"), engine.Max(col("d")).As("maxd"),
			engine.CountDistinct(col("k")).As("dk"), engine.Median(col("x")).As("mx"), engine.VarSamp(col("x")).As("vx"),
			engine.Quantile(col("k"), 0.9).As("q9"), engine.Corr(col("x"), col("k")).As("c"),
			engine.Min(col("g")).As("ming"), engine.Max(col("b")).As("maxb"))
	}, false},
	{"group by two keys with nulls", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("g", "b").Agg(engine.Count().As("n"), engine.Sum(col("x")).As("sx"))
	}, false},
	{"group by expression", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy(engine.As(expr.Call("year", col("d")), "y")).Agg(engine.Count().As("n"), engine.AggOf(agg.Spec{Func: "stddev_pop"}, col("x")).As("sd"))
	}, false},
	{"global", func(f *engine.Frame) *engine.Frame {
		return f.Agg(engine.Count().As("n"), engine.Sum(col("k")).As("sk"), engine.Max(col("ts")).As("mts"), engine.Median(col("k")).As("mk"))
	}, false},
	{"global over nothing", func(f *engine.Frame) *engine.Frame {
		return f.Filter(col("id").Lt(expr.Int(0))).Agg(engine.Count().As("n"), engine.Sum(col("k")).As("sk"), engine.Avg(col("x")).As("ax"))
	}, false},
	{"having", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("g").Agg(engine.Count().As("n")).Having(col("n").Gt(expr.Int(380)))
	}, false},
	{"order by nulls first", func(f *engine.Frame) *engine.Frame {
		return f.OrderBy(engine.Order{Expr: col("x"), Desc: true, NullsFirst: true}, engine.Asc(col("id")))
	}, true},
	{"top k with offset", func(f *engine.Frame) *engine.Frame {
		return f.OrderBy(engine.Asc(col("g")), engine.Desc(col("id"))).LimitOffset(17, 3)
	}, true},
	{"limit without order keeps file order", func(f *engine.Frame) *engine.Frame { return f.Limit(25) }, true},
	{"aggregate then sort", func(f *engine.Frame) *engine.Frame {
		return f.GroupBy("g").Agg(engine.Sum(col("x")).As("sx")).OrderBy(engine.Desc(col("sx")))
	}, true},
	{"distinct", func(f *engine.Frame) *engine.Frame { return f.Select("g", "b").Distinct() }, false},
	{"window top 2 per group", func(f *engine.Frame) *engine.Frame {
		return f.Filter(col("x").IsNotNull()).RowNumber("rn", []*expr.Expr{col("g")}, engine.Desc(col("x")), engine.Asc(col("id"))).
			Filter(col("rn").Le(expr.Int(2))).Select("g", "x", "rn")
	}, false},
	{"with column", func(f *engine.Frame) *engine.Frame {
		return f.WithColumn("k", expr.Call("coalesce", col("k"), expr.Int(0))).Filter(col("k").Eq(expr.Int(0)))
	}, false},
}

// TestPartitionInvariance runs every query over Parquet, CSV and Arrow IPC
// copies of one dataset, at several split sizes, batch sizes and on every
// executor: all must agree.
func TestPartitionInvariance(t *testing.T) {
	pq, csvPath, arrowPath := fixtureFiles(t)
	formats := []struct {
		name string
		path string
	}{{"parquet", pq}, {"csv", csvPath}, {"arrow", arrowPath}}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			var first []check.Row
			for _, f := range formats {
				rows := check.Invariant(t, func(o engine.ReadOptions) *engine.Frame { return engine.Read(o, f.path) }, q.build, q.ordered)
				if first == nil {
					first = rows
					continue
				}
				if q.ordered {
					check.Equal(t, first, rows, 1e-9, f.name+" vs parquet")
				} else {
					check.EqualMultiset(t, first, rows, 1e-9, f.name+" vs parquet")
				}
			}
		})
	}
}

// TestFromRecords runs queries over in-memory records on every executor.
func TestFromRecords(t *testing.T) {
	rec := fixtureRecord(memory.DefaultAllocator)
	defer rec.Release()
	pq, _, _ := fixtureFiles(t)
	for _, q := range queries[:8] {
		t.Run(q.name, func(t *testing.T) {
			want := check.Invariant(t, func(o engine.ReadOptions) *engine.Frame { return engine.Read(o, pq) }, q.build, q.ordered)
			got := check.Invariant(t, func(engine.ReadOptions) *engine.Frame { return engine.FromRecords(fixtureSchema, rec) }, q.build, q.ordered)
			if q.ordered {
				check.Equal(t, want, got, 1e-9, "memory vs parquet")
			} else {
				check.EqualMultiset(t, want, got, 1e-9, "memory vs parquet")
			}
		})
	}
}

func TestErrors(t *testing.T) {
	pq, _, _ := fixtureFiles(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.parquet")
	require.NoError(t, os.WriteFile(bad, []byte("this is not parquet at all"), 0o644))
	cases := []struct {
		name string
		f    *engine.Frame
		want string
	}{
		{"missing file", engine.Scan(filepath.Join(dir, "nope.parquet")), "nope.parquet"},
		{"not parquet", engine.Scan(bad), "bad.parquet"},
		{"unknown column", engine.Scan(pq).Filter(col("idd").Gt(expr.Int(1))), "did you mean id"},
		{"sum of string", engine.Scan(pq).Agg(engine.Sum(col("g"))), "sum"},
		{"non-boolean filter", engine.Scan(pq).Filter(col("k")), "boolean"},
		{"negative limit", engine.Scan(pq).Limit(-1), "LIMIT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.f.Collect(context.Background(), engine.Options{})
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

func TestCancel(t *testing.T) {
	pq, _, _ := fixtureFiles(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, o := range check.Executors {
		mem, done := check.Mem(t)
		o.Mem = mem
		_, err := engine.Scan(pq).GroupBy("g").Agg(engine.Count()).Collect(ctx, o)
		require.ErrorIs(t, err, context.Canceled)
		done()
	}
}

func TestExplain(t *testing.T) {
	pq, _, _ := fixtureFiles(t)
	f := engine.Scan(pq).Filter(col("id").Lt(expr.Int(100))).GroupBy("g").Agg(engine.Sum(col("k")).As("s"))
	text, err := f.Explain()
	require.NoError(t, err)
	require.Contains(t, text, "columns: [id, g, k]")
	require.Contains(t, text, "prune: id <")
	require.Contains(t, text, "Aggregate [sum(k) AS s] by g")
	text, err = f.ExplainAnalyze(context.Background(), engine.Options{Mode: engine.Threads, Workers: 2})
	require.NoError(t, err)
	// id < 100 is only in the first row group of the first file: the other
	// 8 + 9 = 17 row groups are pruned by statistics.
	require.Contains(t, text, "(17 pruned)")
}

// TestFromRecordsInWorkers: under Procs, in-memory records reach the workers
// through shared-memory files (removed after the query); a column type the
// workers cannot map keeps the query in this process, with the same answer.
func TestFromRecordsInWorkers(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := fixtureRecord(mem)
	defer rec.Release()
	dir := t.TempDir()
	pool, err := proc.NewPool(proc.Options{Workers: 2, ShareDir: dir})
	require.NoError(t, err)
	defer pool.Close()
	q := func(f *engine.Frame) *engine.Frame {
		return f.Filter(col("k").Gt(expr.Int(3))).GroupBy(col("g")).Agg(engine.Count().As("n"), engine.Sum(col("x")).As("s"))
	}
	ctx := context.Background()
	want, err := q(engine.FromRecords(fixtureSchema, rec)).Collect(ctx, engine.Options{Mode: engine.Sequential, Mem: mem})
	require.NoError(t, err)
	defer want.Release()
	got, err := q(engine.FromRecords(fixtureSchema, rec)).Collect(ctx, engine.Options{Mode: engine.Procs, Workers: 2, Pool: pool, Mem: mem, BatchSize: 700})
	require.NoError(t, err)
	defer got.Release()
	check.EqualMultiset(t, check.Rows(t, want), check.Rows(t, got), 1e-9, "procs over records vs seq")
	qs := pool.Stats().LastQuery
	require.Positive(t, qs.Splits, "the workers ran the scan")
	require.Equal(t, qs.Splits, qs.Tasks)
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, files, "shared files are kept for the next query")
	// The same query again reuses them.
	again, err := q(engine.FromRecords(fixtureSchema, rec)).Collect(ctx, engine.Options{Mode: engine.Procs, Workers: 2, Pool: pool, Mem: mem, BatchSize: 700})
	require.NoError(t, err)
	check.EqualMultiset(t, check.Rows(t, want), check.Rows(t, again), 1e-9, "second run")
	again.Release()
	files2, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Equal(t, files, files2)

	// Without a cache, files go when the query ends; Close removes the rest.
	nocache, err := proc.NewPool(proc.Options{Workers: 2, ShareDir: t.TempDir(), ShareCache: -1})
	require.NoError(t, err)
	got3, err := q(engine.FromRecords(fixtureSchema, rec)).Collect(ctx, engine.Options{Mode: engine.Procs, Workers: 2, Pool: nocache, Mem: mem})
	require.NoError(t, err)
	check.EqualMultiset(t, check.Rows(t, want), check.Rows(t, got3), 1e-9, "without a cache")
	got3.Release()
	left, err := os.ReadDir(nocache.Options().ShareDir)
	require.NoError(t, err)
	require.Empty(t, left)
	require.NoError(t, nocache.Close())
	defer func() {
		require.NoError(t, pool.Close())
		left, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, left, "Close removes the shared files")
	}()

	// A dictionary with int16 indices is not mapped: the query runs here.
	d16 := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	ls := arrow.NewSchema(append(fixtureSchema.Fields()[:1:1], arrow.Field{Name: "g", Type: d16, Nullable: true}), nil)
	gb := array.NewDictionaryBuilder(mem, d16).(*array.BinaryDictionaryBuilder)
	defer gb.Release()
	g := rec.Column(1).(*array.String)
	for i := 0; i < g.Len(); i++ {
		if g.IsNull(i) {
			gb.AppendNull()
		} else {
			require.NoError(t, gb.AppendString(g.Value(i)))
		}
	}
	garr := gb.NewArray()
	defer garr.Release()
	lrec := array.NewRecord(ls, []arrow.Array{rec.Column(0), garr}, rec.NumRows())
	defer lrec.Release()
	before := pool.Stats().LastQuery
	cnt := func(f *engine.Frame) *engine.Frame { return f.GroupBy(col("g")).Agg(engine.Count().As("n")) }
	want2, err := cnt(engine.FromRecords(ls, lrec)).Collect(ctx, engine.Options{Mode: engine.Sequential, Mem: mem})
	require.NoError(t, err)
	defer want2.Release()
	got2, err := cnt(engine.FromRecords(ls, lrec)).Collect(ctx, engine.Options{Mode: engine.Procs, Workers: 2, Pool: pool, Mem: mem})
	require.NoError(t, err)
	defer got2.Release()
	check.EqualMultiset(t, check.Rows(t, want2), check.Rows(t, got2), 1e-9, "procs over unmappable records vs seq")
	require.Equal(t, before, pool.Stats().LastQuery, "no worker ran")
}

// TestFromRecordsShareFails: when the shared files cannot be written (here
// the share directory does not exist), the query runs in this process.
func TestFromRecordsShareFails(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec := fixtureRecord(mem)
	defer rec.Release()
	pool, err := proc.NewPool(proc.Options{Workers: 2, ShareDir: filepath.Join(t.TempDir(), "missing")})
	require.NoError(t, err)
	defer pool.Close()
	q := func() *engine.Frame {
		return engine.FromRecords(fixtureSchema, rec).GroupBy(col("g")).Agg(engine.Count().As("n"))
	}
	ctx := context.Background()
	want, err := q().Collect(ctx, engine.Options{Mode: engine.Sequential, Mem: mem})
	require.NoError(t, err)
	defer want.Release()
	got, err := q().Collect(ctx, engine.Options{Mode: engine.Procs, Workers: 2, Pool: pool, Mem: mem})
	require.NoError(t, err)
	defer got.Release()
	check.EqualMultiset(t, check.Rows(t, want), check.Rows(t, got), 1e-9, "fallback vs seq")
	require.Zero(t, pool.Stats().LastQuery.Splits, "no worker ran")
}
