package check

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
)

// Variant is one way of running a query: executor options and read options.
type Variant struct {
	Name string
	Opts engine.Options
	Read engine.ReadOptions
}

// Executors are the executors every query runs on. Packages that add
// executors (the process executor) extend it in their tests.
var Executors = []engine.Options{
	{Mode: engine.Sequential},
	{Mode: engine.Threads, Workers: 2},
	{Mode: engine.Threads, Workers: 3},
}

// Variants returns the executors, split sizes and batch sizes the invariance
// harness runs: the sequential and first parallel executor at every split
// size, every other executor at one split size (rotating), batch sizes
// rotating throughout. That keeps every executor, split size and batch size
// covered at a cost the race detector can afford.
func Variants() []Variant {
	splits := []int64{4 << 10, 64 << 10, 64 << 20} // about one split per row group, a few, one per file
	batches := []int{7, 1000, 0}
	var out []Variant
	k := 0
	add := func(o engine.Options, sp int64) {
		o.BatchSize = batches[k%len(batches)]
		k++
		name := fmt.Sprintf("%s-w%d-split%d-batch%d", o.Mode, o.Workers, sp, o.BatchSize)
		out = append(out, Variant{Name: name, Opts: o, Read: engine.ReadOptions{TargetSplitBytes: sp}})
	}
	for i, ex := range Executors {
		if i < 2 {
			for _, sp := range splits {
				add(ex, sp)
			}
			continue
		}
		add(ex, splits[i%len(splits)])
	}
	return out
}

// Invariant runs a query under every variant and requires the same multiset of
// rows (the same sequence when ordered), floats within 1e-9 relative. open
// builds the source frame for read options; query adds the operations. Every
// run uses a checked allocator that must end empty. It returns the rows of the
// first variant.
func Invariant(t *testing.T, open func(engine.ReadOptions) *engine.Frame, query func(*engine.Frame) *engine.Frame, ordered bool) []Row {
	t.Helper()
	var first []Row
	var firstName string
	for _, v := range Variants() {
		mem, done := Mem(t)
		v.Opts.Mem = mem
		f := query(open(v.Read))
		require.NoError(t, f.Err(), v.Name)
		tbl, err := f.Collect(Background(), v.Opts)
		require.NoError(t, err, v.Name)
		rows := Rows(t, tbl)
		tbl.Release()
		done()
		if first == nil {
			first, firstName = rows, v.Name
			if first == nil {
				first = []Row{}
			}
			continue
		}
		if ordered {
			Equal(t, first, rows, 1e-9, v.Name+" vs "+firstName)
		} else {
			EqualMultiset(t, first, rows, 1e-9, v.Name+" vs "+firstName)
		}
	}
	return first
}
