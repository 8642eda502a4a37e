package proc

import (
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/expr"
)

// BenchmarkTask measures one task (a grouped partial aggregate, 4 buckets,
// over the whole 12000-row test file as one split) run in-process and through
// a one-worker pool, 64 tasks per query: the difference is the per-task cost
// of the process executor once its workers are warm.
func BenchmarkTask(b *testing.B) {
	t := &testing.T{}
	path := testData(t)
	ds, err := dataset.Open([]string{path}, dataset.Options{})
	if err != nil {
		b.Fatal(err)
	}
	f := &exec.Fragment{Read: exec.ReadSpec{Columns: []string{"k", "v"}}, Buckets: 4,
		Breaker: &plan.Node{Kind: plan.KindAggregate, Aggregate: &ops.Aggregate{
			Keys: []ops.Column{{Name: "k", Expr: expr.Col("k")}},
			Aggs: []ops.Agg{aggOf("s", "sum", expr.Col("v")), aggOf("c", "count_star")}}}}
	split := ds.Splits[0]
	b.Run("in-process", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out, _, err := exec.RunSplit(context.Background(), f, split, memory.DefaultAllocator)
			if err != nil {
				b.Fatal(err)
			}
			releaseBuckets(out)
		}
	})
	b.Run("pool", func(b *testing.B) {
		pool, err := NewPool(Options{Workers: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		batch := make([]source.Split, 64)
		for i := range batch {
			batch[i] = split
		}
		b.ResetTimer()
		for done := 0; done < b.N; done += len(batch) {
			n := min(len(batch), b.N-done)
			out, err := pool.RunLeaf(context.Background(), f, batch[:n], &exec.Stats{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range out {
				releaseBuckets(o)
			}
		}
		b.StopTimer()
		qs := pool.Stats().LastQuery
		b.ReportMetric(float64(qs.BytesSent)/float64(qs.Tasks), "sent-B/task")
		b.ReportMetric(float64(qs.BytesReceived)/float64(qs.Tasks), "recv-B/task")
	})
}
