package csv

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

// TestPartitionInvariance reads random, often malformed, CSV text with
// several split sizes and batch sizes: the rows, or the error, must be the
// same every time, and nothing may panic.
func TestPartitionInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alpha := []string{"a", "1", "\"", "\n", "\r\n", ",", ",", ",", ",", ".", "-", " ", "2020-01-01", "true", "\"\"", "\"x\ny\"", "12", "\"a,b\"", "\n1,2,3\n", "\n\"1\n\",2,\"\"\n"}
	errs, oks := 0, 0
	dir := t.TempDir()
	for it := 0; it < 100; it++ {
		var b strings.Builder
		b.WriteString("a,b,c\n")
		for k := 0; k < rng.IntN(80); k++ {
			b.WriteString(alpha[rng.IntN(len(alpha))])
		}
		content := b.String()
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic %v on %q", r, content)
				}
			}()
			path := writeFile(t, dir, fmt.Sprintf("f%d.csv", it), content)
			_, planned, err := Infer([]string{path}, source.CSVOptions{Header: true})
			require.NoError(t, err)
			var results []string
			for _, target := range []int64{1, 3, 1 << 20} {
				splits, err := PlanSplits(path, planned, target)
				require.NoError(t, err)
				mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
				rows, _, err := readSplits(t, splits, source.ReadOptions{Mem: mem, BatchSize: 1 + rng.IntN(3)})
				mem.AssertSize(t, 0)
				if err != nil {
					results = append(results, err.Error())
				} else {
					results = append(results, fmt.Sprint(rows))
				}
			}
			require.Equal(t, results[2], results[0], "content %q", content)
			require.Equal(t, results[2], results[1], "content %q", content)
			if strings.HasPrefix(results[2], "csv:") {
				errs++
			} else {
				oks++
			}
		}()
	}
	require.Positive(t, oks)
	require.Positive(t, errs)
}
