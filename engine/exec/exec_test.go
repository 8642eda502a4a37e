package exec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// errBudget stands for an allocator's refusal, which arrives as a panic.
var errBudget = errors.New("budget exceeded")

// TestForEachPanics checks that a panic in fn is an error on every worker
// count, wrapping the panic value when it is an error.
func TestForEachPanics(t *testing.T) {
	for _, workers := range []int{1, 3} {
		for _, tc := range []struct {
			name  string
			value any
			check func(t *testing.T, err error)
		}{
			{"error value", errBudget, func(t *testing.T, err error) {
				require.ErrorIs(t, err, errBudget)
				require.Contains(t, err.Error(), "exec: internal error in worker")
			}},
			{"other value", "boom", func(t *testing.T, err error) {
				require.NotErrorIs(t, err, errBudget)
				require.Contains(t, err.Error(), "boom")
			}},
		} {
			t.Run(fmt.Sprintf("%s/workers-%d", tc.name, workers), func(t *testing.T) {
				err := forEach(context.Background(), workers, 8, func(_ context.Context, _, i int) error {
					if i == 5 {
						panic(tc.value)
					}
					return nil
				})
				require.Error(t, err)
				tc.check(t, err)
			})
		}
		t.Run(fmt.Sprintf("no panic/workers-%d", workers), func(t *testing.T) {
			seen := make([]bool, 8)
			err := forEach(context.Background(), workers, len(seen), func(_ context.Context, _, i int) error {
				seen[i] = true
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, []bool{true, true, true, true, true, true, true, true}, seen)
		})
	}
}

// TestForEachThen checks the epilogue: it runs once for each worker that
// ran, after every task that worker ran and never before it, and a panic in
// it is an error like one in a task.
func TestForEachThen(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		for _, n := range []int{0, 1, 2, 7} {
			t.Run(fmt.Sprintf("workers-%d/n-%d", workers, n), func(t *testing.T) {
				var mu sync.Mutex
				ran := map[int][]int{} // worker -> tasks, then -1 for the epilogue
				err := forEachThen(context.Background(), workers, n, func(_ context.Context, w, i int) error {
					mu.Lock()
					defer mu.Unlock()
					ran[w] = append(ran[w], i)
					return nil
				}, func(_ context.Context, w int) error {
					mu.Lock()
					defer mu.Unlock()
					ran[w] = append(ran[w], -1)
					return nil
				})
				require.NoError(t, err)
				tasks := 0
				for w, r := range ran {
					require.Less(t, w, max(min(workers, n), 1))
					require.Equal(t, -1, r[len(r)-1], "worker %d: its epilogue comes last", w)
					require.NotContains(t, r[:len(r)-1], -1, "worker %d: a second epilogue, or a task after it", w)
					tasks += len(r) - 1
				}
				require.Equal(t, n, tasks)
				if n == 0 {
					require.Empty(t, ran, "no worker runs without tasks")
				}
			})
		}
		t.Run(fmt.Sprintf("panic/workers-%d", workers), func(t *testing.T) {
			err := forEachThen(context.Background(), workers, 4, func(context.Context, int, int) error { return nil },
				func(context.Context, int) error { panic(errBudget) })
			require.ErrorIs(t, err, errBudget)
			require.Contains(t, err.Error(), "exec: internal error in worker")
		})
		t.Run(fmt.Sprintf("error stops epilogues/workers-%d", workers), func(t *testing.T) {
			boom := errors.New("boom")
			var epilogues atomic.Int32
			err := forEachThen(context.Background(), workers, 1, func(context.Context, int, int) error { return boom },
				func(context.Context, int) error { epilogues.Add(1); return nil })
			require.ErrorIs(t, err, boom)
			require.Zero(t, epilogues.Load())
		})
		t.Run(fmt.Sprintf("error on one worker/workers-%d", workers), func(t *testing.T) {
			// Task 0 fails once every other worker has started its task;
			// those wait for the query to be cancelled and then succeed,
			// leaving their workers with an empty queue: no epilogue runs
			// after the failure.
			boom := errors.New("boom")
			var mu sync.Mutex
			failedOn, failed := -1, false
			var lateEpilogue bool
			started := make(chan struct{}, workers)
			err := forEachThen(context.Background(), workers, workers, func(ctx context.Context, w, i int) error {
				if i == 0 {
					for range workers - 1 {
						<-started
					}
					mu.Lock()
					failedOn, failed = w, true
					mu.Unlock()
					return boom
				}
				started <- struct{}{}
				<-ctx.Done()
				return nil
			}, func(_ context.Context, w int) error {
				mu.Lock()
				defer mu.Unlock()
				if failed || w == failedOn {
					lateEpilogue = true
				}
				return nil
			})
			require.ErrorIs(t, err, boom)
			require.False(t, lateEpilogue)
		})
	}
}
