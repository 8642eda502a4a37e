package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/internal/check"
	"github.com/dfq/dfq/ops/expr"
)

// TestProgress checks Options.Progress on every executor: one call with
// done = 0, then one per split with done counting up to the total, bytes
// never decreasing and ending at the scan's bytes read.
func TestProgress(t *testing.T) {
	pq, _, _ := fixtureFiles(t)
	type call struct {
		done, total int
		bytes       int64
	}
	queries := map[string]func(f *engine.Frame) *engine.Frame{
		"aggregate": func(f *engine.Frame) *engine.Frame {
			return f.GroupBy("g").Agg(engine.Sum(expr.Col("k")).As("k"))
		},
		"filter": func(f *engine.Frame) *engine.Frame { return f.Filter(expr.Col("k").Gt(expr.Int(50))) },
	}
	for qname, build := range queries {
		for _, o := range check.Executors {
			t.Run(fmt.Sprintf("%s/%s-%d", qname, o.Mode, o.Workers), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
				defer mem.AssertSize(t, 0)
				var calls []call
				o.Mem = mem
				o.Progress = func(done, total int, bytes int64) {
					calls = append(calls, call{done, total, bytes})
				}
				f := build(engine.Read(engine.ReadOptions{TargetSplitBytes: 8 << 10}, pq))
				rows, err := f.Run(context.Background(), o)
				require.NoError(t, err)
				st := rows.Stats()
				require.NoError(t, rows.Close())
				require.Greater(t, st.Splits, 2)
				require.Len(t, calls, st.Splits+1)
				require.Equal(t, call{0, st.Splits, 0}, calls[0])
				for i, c := range calls[1:] {
					require.Equal(t, i+1, c.done)
					require.Equal(t, st.Splits, c.total)
					require.GreaterOrEqual(t, c.bytes, calls[i].bytes)
				}
				require.Equal(t, st.Scan.BytesRead, calls[len(calls)-1].bytes)
				require.Positive(t, st.Scan.BytesRead)
			})
		}
	}
	t.Run("in-memory input reports nothing", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
		defer mem.AssertSize(t, 0)
		rec := fixtureRecord(mem)
		defer rec.Release()
		called := false
		tbl, err := engine.FromRecords(rec.Schema(), rec).Agg(engine.Count().As("n")).
			Collect(context.Background(), engine.Options{Mem: mem, Progress: func(int, int, int64) { called = true }})
		require.NoError(t, err)
		tbl.Release()
		require.False(t, called)
	})
}
