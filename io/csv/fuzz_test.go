package csv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/io/source"
)

// FuzzSplits reads arbitrary text as CSV with a header, as one split and as
// splits of 1 and 7 bytes: the rows, or the error, are the same for every
// split size, and every error (of inference or reading) names the file;
// nothing crashes, hangs or leaks Arrow memory.
//
//	go test -run '^$' -fuzz FuzzSplits -fuzztime 5m ./io/csv
func FuzzSplits(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,x,2020-01-01\n2,\"y,z\",2020-01-02\n",
		"a,b\n1,2\r\n3,\"4\n5\"\r\n",
		"a,b\n1,2\n3\n",
		"a,b\n\"unterminated,1\n",
		"a\n1\n2.5\nNULL\n\n",
		"x,y\ntrue,1e300\nfalse,-0\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		// A hang fails the input: the fuzzer keeps it as a crasher.
		wd := time.AfterFunc(10*time.Second, func() {
			debug.SetTraceback("all")
			panic("csv: reading did not finish in 10s")
		})
		defer wd.Stop()
		path := filepath.Join(dir, "fuzz.csv")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		_, planned, err := Infer([]string{path}, source.CSVOptions{Header: true})
		if err != nil {
			require.ErrorContains(t, err, path)
			return
		}
		var results []string
		for _, target := range []int64{1 << 20, 1, 7} {
			splits, err := PlanSplits(path, planned, target)
			require.NoError(t, err)
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			rows, _, err := readSplits(t, splits, source.ReadOptions{Mem: mem, BatchSize: 3})
			mem.AssertSize(t, 0)
			if err != nil {
				require.ErrorContains(t, err, path)
				results = append(results, "error: "+err.Error())
			} else {
				results = append(results, fmt.Sprint(rows))
			}
		}
		for i, r := range results[1:] {
			require.Equal(t, results[0], r, "split %d differs on %q", i+1, strings.Clone(content))
		}
	})
}
