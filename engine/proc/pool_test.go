package proc

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

const (
	testRows      = 12000
	testGroupRows = 1500 // 8 row groups, one split each
)

var (
	dataOnce sync.Once
	dataPath string
	dataErr  error
)

// testData writes (once per test process) a Parquet file of testRows rows in
// row groups of testGroupRows: id int64, k utf8 (dictionary, some NULL),
// v float64 (some NULL), n int32.
func testData(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dfq-proc-test")
		if err != nil {
			dataErr = err
			return
		}
		dataPath = filepath.Join(dir, "data.parquet")
		dataErr = writeTestData(dataPath)
	})
	require.NoError(t, dataErr)
	return dataPath
}

func writeTestData(path string) error {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	keys := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"}
	for i := 0; i < testRows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%17 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(keys[(i*7+i/100)%len(keys)])
		}
		if i%13 == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Float64Builder).Append(float64(i%1000)/8 - 30)
		}
		if i%11 == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Int32Builder).Append(int32(i % 97))
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := parquet.NewWriter(f, schema, parquet.WriteOptions{RowGroupRows: testGroupRows})
	if err != nil {
		f.Close()
		return err
	}
	if err := w.Write(rec); err != nil {
		f.Close()
		return err
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func openData(t *testing.T) *dataset.Dataset {
	t.Helper()
	// One split per row group: the target is the largest row group.
	info, err := parquet.Inspect(testData(t))
	require.NoError(t, err)
	var target int64
	for _, rg := range info.RowGroups {
		target = max(target, rg.CompressedBytes)
	}
	ds, err := dataset.Open([]string{testData(t)}, dataset.Options{TargetSplitBytes: target})
	require.NoError(t, err)
	require.Len(t, ds.Splits, testRows/testGroupRows)
	return ds
}

func aggOf(name, fn string, args ...*expr.Expr) ops.Agg {
	return ops.Agg{Name: name, Spec: agg.Spec{Func: fn}, Args: args}
}

// testQueries are plans over the test data, with whether their output order
// is defined.
func testQueries() []struct {
	name    string
	nodes   []plan.Node
	ordered bool
} {
	col := expr.Col
	return []struct {
		name    string
		nodes   []plan.Node
		ordered bool
	}{
		{name: "group by", nodes: []plan.Node{{Kind: plan.KindAggregate, Aggregate: &ops.Aggregate{
			Keys: []ops.Column{{Name: "k", Expr: col("k")}},
			Aggs: []ops.Agg{aggOf("cnt", "count_star"), aggOf("s", "sum", col("v")), aggOf("lo", "min", col("id")),
				aggOf("hi", "max", col("n")), aggOf("a", "avg", col("v"))},
		}}}},
		{name: "global aggregate with filter", nodes: []plan.Node{
			{Kind: plan.KindFilter, Filter: &ops.Filter{Pred: col("id").Ge(expr.Int(2500))}},
			{Kind: plan.KindAggregate, Aggregate: &ops.Aggregate{
				Aggs: []ops.Agg{aggOf("cnt", "count_star"), aggOf("s", "sum", col("id")), aggOf("c", "count", col("v"))}}},
		}},
		{name: "filter and project", ordered: true, nodes: []plan.Node{
			{Kind: plan.KindFilter, Filter: &ops.Filter{Pred: col("id").Gt(expr.Int(4000)).And(col("k").Eq(expr.Str("beta")))}},
			{Kind: plan.KindProject, Project: &ops.Project{Columns: []ops.Column{
				{Name: "id", Expr: col("id")}, {Name: "k", Expr: col("k")}, {Name: "w", Expr: col("v").Mul(expr.Float(2))}}}},
		}},
		{name: "filter matching nothing", ordered: true, nodes: []plan.Node{
			{Kind: plan.KindFilter, Filter: &ops.Filter{Pred: col("id").Lt(expr.Int(-1))}},
		}},
		{name: "top k", ordered: true, nodes: []plan.Node{
			{Kind: plan.KindSort, Sort: &ops.Sort{Keys: []ops.SortKey{{Expr: col("v"), Desc: true}, {Expr: col("id")}}, Limit: 17}},
		}},
		{name: "limit offset", ordered: true, nodes: []plan.Node{
			{Kind: plan.KindLimit, Limit: &ops.Limit{N: 25, Offset: 3}},
		}},
	}
}

// rows renders a result's rows as strings (floats to 9 significant digits,
// dictionaries decoded), sorted unless the order is defined.
func rows(t *testing.T, res *exec.Result, ordered bool) []string {
	t.Helper()
	var out []string
	for _, rec := range res.Records {
		for i := 0; i < int(rec.NumRows()); i++ {
			var b strings.Builder
			for c, col := range rec.Columns() {
				if c > 0 {
					b.WriteString("|")
				}
				b.WriteString(valueStr(col, i))
			}
			out = append(out, b.String())
		}
	}
	if !ordered {
		slices.Sort(out)
	}
	return out
}

func valueStr(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Dictionary:
		return valueStr(a.Dictionary(), a.GetValueIndex(i))
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', 9, 64)
	}
	return a.ValueStr(i)
}

func runQuery(t *testing.T, ctx context.Context, ds *dataset.Dataset, nodes []plan.Node, cfg exec.Config) (*exec.Result, error) {
	t.Helper()
	p := &plan.Plan{Source: plan.Source{Paths: ds.Files, Format: ds.Format}, Nodes: nodes}
	ph, err := p.Physical(ds.Schema)
	require.NoError(t, err)
	return exec.Run(ctx, ph, exec.Input{Dataset: ds}, cfg)
}

// newTestPool returns a pool of test workers logging into a buffer, closed
// (and checked for leftover children) at the end of the test.
func newTestPool(t *testing.T, o Options) (*Pool, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	o.Log = log
	if o.Grace == 0 {
		o.Grace = 200 * time.Millisecond
	}
	if o.ShareDir == "" {
		o.ShareDir = t.TempDir()
	}
	p, err := NewPool(o)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, p.Close())
		requireNoChildren(t)
		requireNoResultFiles(t, o.ShareDir)
		if t.Failed() {
			t.Logf("worker log:\n%s", log.String())
		}
	})
	return p, log
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// children returns the pids of this process's live children.
func children(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	require.NoError(t, err)
	me := strconv.Itoa(os.Getpid())
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		s := string(stat)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == me {
			out = append(out, pid)
		}
	}
	return out
}

func requireNoChildren(t *testing.T) {
	t.Helper()
	require.Empty(t, children(t), "worker processes outlived the pool")
}

// requireNoResultFiles checks that no result file is left in dir.
func requireNoResultFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.HasPrefix(e.Name(), resultPrefix), "result file %s left behind", e.Name())
	}
}

// TestPoolMatchesInProcess runs the test queries on 1, 2 and 3 workers,
// with results through the pipes, and through files (every stream: a
// threshold of 1 byte), against the goroutine executor.
func TestPoolMatchesInProcess(t *testing.T) {
	ds := openData(t)
	for _, tc := range []struct {
		workers int
		files   bool
	}{{1, false}, {2, false}, {3, false}, {1, true}, {2, true}} {
		workers := tc.workers
		name := fmt.Sprintf("%d workers", workers)
		if tc.files {
			name += ", result files"
		}
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			pool, _ := newTestPool(t, Options{Workers: workers, Mem: mem, ShareDir: dir, PipeResults: !tc.files, ResultFileBytes: 1})
			for _, q := range testQueries() {
				t.Run(q.name, func(t *testing.T) {
					ctx := context.Background()
					want, err := runQuery(t, ctx, ds, q.nodes, exec.Config{Workers: workers, Mem: mem})
					require.NoError(t, err)
					defer want.Release()
					got, err := runQuery(t, ctx, ds, q.nodes, exec.Config{Workers: workers, Mem: mem, Leaf: pool})
					require.NoError(t, err)
					defer got.Release()
					require.Equal(t, rows(t, want, q.ordered), rows(t, got, q.ordered))
					require.True(t, want.Schema.Equal(got.Schema))
					require.Equal(t, want.Stats.Scan, got.Stats.Scan)
					qs := pool.Stats().LastQuery
					require.Equal(t, len(ds.Splits), qs.Splits)
					require.Equal(t, len(ds.Splits), qs.Tasks)
					require.Zero(t, qs.Retries)
					if tc.files && len(rows(t, got, false)) > 0 {
						require.NotZero(t, qs.ResultFiles)
					} else if !tc.files {
						require.Zero(t, qs.ResultFiles)
					}
					requireNoResultFiles(t, dir)
					t.Logf("%d tasks: %d bytes sent (%d per task), %d received (%d per task)",
						qs.Tasks, qs.BytesSent, qs.BytesSent/int64(qs.Tasks), qs.BytesReceived, qs.BytesReceived/int64(qs.Tasks))
				})
			}
			st := pool.Stats()
			// Workers start once and serve every query.
			require.Equal(t, workers, st.Started)
			t.Logf("%d workers started in %v on average, slowest %v", st.Started, st.StartupTotal/time.Duration(st.Started), st.StartupMax)
		})
	}
}

// TestWorkerKilled kills a worker once during a GROUP BY: while it runs its
// first split, while it holds the partial result of two splits (they die
// with it and run again), and while it sends its partial result. The query
// gets the same answer, with statistics counting each split once.
func TestWorkerKilled(t *testing.T) {
	cases := []struct {
		name       string
		hook       string
		minRetries int // the running split, the one queued, the ones held
		logs       []string
	}{
		{"running", "kill-once", 1, []string{"killing myself", "retrying on a fresh worker"}},
		{"holding partials", "kill-third", 3, []string{"killing myself holding two splits", "retrying on a fresh worker"}},
		{"flushing", "kill-flush-once", 1, []string{"killing myself while flushing", "died sending the partial result of"}},
		{"with result files written", "kill-spilled-once", 1, []string{"killing myself with result files written", "died sending the partial result of"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := openData(t)
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			marker := filepath.Join(t.TempDir(), "killed")
			dir := t.TempDir()
			pool, log := newTestPool(t, Options{Workers: 2, Mem: mem, ShareDir: dir, ResultFileBytes: 1, Env: []string{hookEnv + "=" + c.hook + ":" + marker}})
			q := testQueries()[0]
			ctx := context.Background()
			want, err := runQuery(t, ctx, ds, q.nodes, exec.Config{Workers: 2, Mem: mem})
			require.NoError(t, err)
			defer want.Release()
			got, err := runQuery(t, ctx, ds, q.nodes, exec.Config{Workers: 2, Mem: mem, Leaf: pool})
			require.NoError(t, err)
			defer got.Release()
			require.Equal(t, rows(t, want, false), rows(t, got, false))
			require.Equal(t, want.Stats.Scan, got.Stats.Scan)
			require.FileExists(t, marker)
			qs := pool.Stats().LastQuery
			require.GreaterOrEqual(t, qs.Retries, c.minRetries)
			require.Equal(t, qs.Splits+qs.Retries, qs.Tasks)
			require.Equal(t, 3, qs.Started, "two workers, one replacement")
			for _, l := range c.logs {
				require.Contains(t, log.String(), l)
			}
			requireNoResultFiles(t, dir)
		})
	}
}

// TestWorkerAlwaysCrashesFlushing: a worker that dies on every flush fails
// the query after one retry, naming the worker and what it was doing.
func TestWorkerAlwaysCrashesFlushing(t *testing.T) {
	ds := openData(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	pool, _ := newTestPool(t, Options{Workers: 2, Mem: mem, Env: []string{hookEnv + "=crash-flush"}})
	res, err := runQuery(t, context.Background(), ds, testQueries()[0].nodes, exec.Config{Workers: 2, Mem: mem, Leaf: pool})
	require.Nil(t, res)
	var we *WorkerError
	require.ErrorAs(t, err, &we)
	require.ErrorIs(t, err, ErrWorkerDied)
	require.NotZero(t, we.PID)
	msg := err.Error()
	for _, want := range []string{
		fmt.Sprintf("worker %d (pid %d)", we.Worker, we.PID),
		"sending the partial result of", "exit status 4", "boom: test worker crashing in a flush",
	} {
		require.Contains(t, msg, want)
	}
}

func TestWorkerAlwaysCrashes(t *testing.T) {
	ds := openData(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	pool, _ := newTestPool(t, Options{Workers: 2, Mem: mem, Env: []string{hookEnv + "=crash"}})
	start := time.Now()
	res, err := runQuery(t, context.Background(), ds, testQueries()[0].nodes, exec.Config{Workers: 2, Mem: mem, Leaf: pool})
	require.Nil(t, res)
	require.Error(t, err)
	require.Less(t, time.Since(start), 20*time.Second)
	var we *WorkerError
	require.ErrorAs(t, err, &we)
	require.ErrorIs(t, err, ErrWorkerDied)
	require.NotNil(t, we.Split)
	require.Equal(t, 2, we.Attempts)
	require.NotZero(t, we.PID)
	msg := err.Error()
	for _, want := range []string{
		fmt.Sprintf("worker %d (pid %d)", we.Worker, we.PID),
		fmt.Sprintf("split %d (%s row groups %v)", we.Split.Index, ds.Files[0], we.Split.RowGroups),
		"attempt 2", "exit status 3", "boom: test worker crashing on purpose",
	} {
		require.Contains(t, msg, want)
	}
}

func TestWorkerWritesJunk(t *testing.T) {
	ds := openData(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	pool, _ := newTestPool(t, Options{Workers: 1, Mem: mem, Env: []string{hookEnv + "=junk"}})
	res, err := runQuery(t, context.Background(), ds, testQueries()[0].nodes, exec.Config{Workers: 1, Mem: mem, Leaf: pool})
	require.Nil(t, res)
	require.ErrorIs(t, err, ErrProtocol)
	var we *WorkerError
	require.ErrorAs(t, err, &we)
	require.Contains(t, err.Error(), fmt.Sprintf("worker %d (pid %d)", we.Worker, we.PID))
	require.Contains(t, err.Error(), `"this is n"`)
	// The worker was killed at once, not left for Close.
	require.Empty(t, children(t))
}

func TestStrayPrintGoesToLog(t *testing.T) {
	ds := openData(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	pool, log := newTestPool(t, Options{Workers: 2, Mem: mem, Env: []string{hookEnv + "=stray"}})
	res, err := runQuery(t, context.Background(), ds, testQueries()[1].nodes, exec.Config{Workers: 2, Mem: mem, Leaf: pool})
	require.NoError(t, err)
	res.Release()
	require.Eventually(t, func() bool { return strings.Count(log.String(), "] stray line on stdout\n") == len(ds.Splits) },
		5*time.Second, 10*time.Millisecond, "log:\n%s", log.String())
	require.Regexp(t, `(?m)^\[worker \d+\] stray line on stdout$`, log.String())
}

func TestCancel(t *testing.T) {
	ds := openData(t)
	tests := []struct {
		name string
		hook string
		want error
	}{
		{name: "worker honours end of input", hook: "", want: context.Canceled},
		{name: "worker hangs and is killed", hook: "hang", want: context.Canceled},
		{name: "deadline", hook: "hang", want: context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			var env []string
			if tc.hook != "" {
				env = []string{hookEnv + "=" + tc.hook}
			}
			pool, log := newTestPool(t, Options{Workers: 2, Mem: mem, Env: env, Grace: 300 * time.Millisecond})
			// Warm the pool so the cancellation hits running tasks.
			f := &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"id"}}, Buckets: 1}
			if tc.hook == "" {
				out, err := pool.RunLeaf(context.Background(), f, ds.Splits[:2], &exec.Stats{}, nil)
				require.NoError(t, err)
				for _, b := range out {
					releaseBuckets(b)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.want == context.DeadlineExceeded {
				ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
			}
			defer cancel()
			var cancelled time.Time
			go func() {
				if tc.want == context.DeadlineExceeded {
					return
				}
				// Cancel once tasks run (hanging ones log first).
				for tc.hook == "hang" && !strings.Contains(log.String(), "hanging") {
					time.Sleep(5 * time.Millisecond)
				}
				time.Sleep(20 * time.Millisecond)
				cancelled = time.Now()
				cancel()
			}()
			// A long query: every split many times over.
			splits := slices.Repeat(ds.Splits, 200)
			for i := range splits {
				splits[i].Index = i
			}
			out, err := pool.RunLeaf(ctx, f, splits, &exec.Stats{}, nil)
			end := time.Now()
			require.Nil(t, out)
			require.ErrorIs(t, err, tc.want)
			if !cancelled.IsZero() {
				require.Less(t, end.Sub(cancelled), time.Second, "RunLeaf returned %v after cancellation", end.Sub(cancelled))
			}
			requireNoChildren(t)
		})
	}
}

func TestTaskErrors(t *testing.T) {
	ds := openData(t)
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	marker := filepath.Join(t.TempDir(), "panicked")
	pool, _ := newTestPool(t, Options{Workers: 1, Mem: mem, Env: []string{hookEnv + "=panic-once:" + marker}})
	f := &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"id"}}, Buckets: 1}

	_, err := pool.RunLeaf(context.Background(), f, ds.Splits[:1], &exec.Stats{}, nil)
	var te *TaskError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "panic", te.Code)
	require.Contains(t, err.Error(), "test panic in a task")
	require.Contains(t, err.Error(), "split 0 ("+ds.Files[0])

	missing := ds.Splits[0]
	missing.Path = filepath.Join(t.TempDir(), "missing.parquet")
	_, err = pool.RunLeaf(context.Background(), f, []source.Split{missing}, &exec.Stats{}, nil)
	require.ErrorAs(t, err, &te)
	require.Equal(t, "task", te.Code)
	require.Contains(t, err.Error(), "missing.parquet")

	// The worker survived both: the next query runs on it.
	stats := &exec.Stats{}
	out, err := pool.RunLeaf(context.Background(), f, ds.Splits, stats, nil)
	require.NoError(t, err)
	require.Len(t, out, len(ds.Splits))
	var n int64
	for _, b := range out {
		for _, r := range b[0] {
			n += r.NumRows()
		}
		releaseBuckets(b)
	}
	require.Equal(t, int64(testRows), n)
	require.Equal(t, int64(testRows), stats.Scan.Rows)
	require.Equal(t, 1, pool.Stats().Started)
}

func TestPoolErrors(t *testing.T) {
	ds := openData(t)
	f := &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"id"}}, Buckets: 1}
	t.Run("no such command", func(t *testing.T) {
		pool, _ := newTestPool(t, Options{Workers: 1, Command: []string{filepath.Join(t.TempDir(), "no-such-worker")}})
		_, err := pool.RunLeaf(context.Background(), f, ds.Splits, &exec.Stats{}, nil)
		var we *WorkerError
		require.ErrorAs(t, err, &we)
		require.Contains(t, err.Error(), "no-such-worker")
	})
	t.Run("not a worker", func(t *testing.T) {
		pool, _ := newTestPool(t, Options{Workers: 1, Command: []string{"/bin/sh", "-c", "echo not a worker; echo complaint >&2; exit 4"}})
		_, err := pool.RunLeaf(context.Background(), f, ds.Splits, &exec.Stats{}, nil)
		require.ErrorIs(t, err, ErrProtocol)
		require.Contains(t, err.Error(), `"not a wor"`)
	})
	t.Run("worker exits at once", func(t *testing.T) {
		pool, _ := newTestPool(t, Options{Workers: 1, Command: []string{"/bin/sh", "-c", "echo complaint >&2; exit 4"}})
		_, err := pool.RunLeaf(context.Background(), f, ds.Splits, &exec.Stats{}, nil)
		require.ErrorIs(t, err, ErrWorkerDied)
		require.Contains(t, err.Error(), "exit status 4")
		require.Contains(t, err.Error(), "complaint")
	})
	t.Run("version mismatch", func(t *testing.T) {
		pool, _ := newTestPool(t, Options{Workers: 1, Env: []string{hookEnv + "=bad-ready"}})
		_, err := pool.RunLeaf(context.Background(), f, ds.Splits, &exec.Stats{}, nil)
		require.ErrorIs(t, err, ErrVersion)
	})
	t.Run("handshake timeout", func(t *testing.T) {
		pool, _ := newTestPool(t, Options{Workers: 1, StartTimeout: 200 * time.Millisecond, Command: []string{"/bin/sh", "-c", "exec sleep 30"}})
		start := time.Now()
		_, err := pool.RunLeaf(context.Background(), f, ds.Splits, &exec.Stats{}, nil)
		require.ErrorIs(t, err, ErrWorkerDied)
		require.Contains(t, err.Error(), "no answer to the handshake within 200ms")
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("closed", func(t *testing.T) {
		pool, _ := newTestPool(t, Options{Workers: 1})
		require.NoError(t, pool.Close())
		_, err := pool.RunLeaf(context.Background(), f, ds.Splits, &exec.Stats{}, nil)
		require.ErrorIs(t, err, ErrClosed)
	})
	t.Run("no splits", func(t *testing.T) {
		pool, _ := newTestPool(t, Options{Workers: 2})
		out, err := pool.RunLeaf(context.Background(), f, nil, &exec.Stats{}, nil)
		require.NoError(t, err)
		require.Empty(t, out)
		require.Zero(t, pool.Stats().Started)
	})
}

func releaseBuckets(b exec.Buckets) {
	for _, rs := range b {
		for _, r := range rs {
			r.Release()
		}
	}
}

// TestNoOrphans kills a parent process (the test binary in parent mode) with
// SIGKILL, which gives it no chance to clean up: its workers must die too.
func TestNoOrphans(t *testing.T) {
	cmd := osexec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), parentEnv+"="+testData(t))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("parent: %v; stderr:\n%s", err, stderr.String())
	}
	var pids [2]int
	_, err = fmt.Sscanf(line, "pids %d %d", &pids[0], &pids[1])
	require.NoError(t, err)
	for _, pid := range pids {
		require.True(t, running(pid), "worker %d not running", pid)
	}
	require.NoError(t, cmd.Process.Kill())
	require.Error(t, cmd.Wait())
	require.Eventually(t, func() bool { return !running(pids[0]) && !running(pids[1]) },
		3*time.Second, 10*time.Millisecond, "workers outlived their parent")
}

// running reports whether a process exists and is not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
