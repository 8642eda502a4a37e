package exec

import (
	"context"
	"errors"
	"fmt"
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
