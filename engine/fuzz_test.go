package engine_test

import (
	"context"
	"errors"
	"io"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/internal/check"
	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/io/h2o"
)

// FuzzQuery runs arbitrary SQL over 300 rows of h2o data in memory (NULLs
// included) on the sequential and the goroutine executor. Whatever the text,
// it must give rows or an error, never a crash, a hang (10 s watchdog), an
// internal error (a recovered panic) or leaked Arrow memory. The seeds are
// the SQL test cases.
//
//	go test -run '^$' -fuzz FuzzQuery -fuzztime 5m -fuzzminimizetime 5s ./engine
func FuzzQuery(f *testing.F) {
	qo, execs, done := fuzzSetup(f)
	defer done()
	for _, q := range []string{
		"SELECT id1, sum(v1) / count(*) % 3 AS r FROM x GROUP BY id1 HAVING r IS NOT NULL ORDER BY 2 DESC LIMIT 3",
		"SELECT v1 // 0, v3 / 0, -v1 % 0 FROM x",
		"SELECT CAST(id1 AS INTEGER) FROM x",
		"SELECT year(CAST('2020-02-30' AS DATE))",
		"SELECT * FROM x WHERE id3 ILIKE '%1_' ORDER BY v3 NULLS LAST LIMIT 5",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		defer watchdog(query).Stop()
		for _, o := range execs {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			o.Mem = mem
			err := drainQuery(query, qo, o, nil)
			if err != nil {
				require.NotContains(t, err.Error(), "internal error", "%s on %s", query, o.Mode)
			}
			require.Zero(t, mem.CurrentAlloc(), "leaked Arrow memory: %s on %s", query, o.Mode)
		}
	})
}

// fuzzSetup adds the SQL test cases as seeds and returns the fuzz tests'
// table x (300 h2o rows with NULLs, in memory), the executors they run on
// and a function releasing the table.
func fuzzSetup(f *testing.F) (engine.QueryOptions, []engine.Options, func()) {
	for _, c := range sqlCases {
		f.Add(strings.ReplaceAll(c.query, "{src}", "x"))
	}
	rec := h2o.Config{Rows: 300, K: 10, NAs: 5, Seed: 7}.Chunk(memory.NewGoAllocator(), 0)
	qo := engine.QueryOptions{Tables: map[string]*engine.Frame{"x": engine.FromRecords(rec.Schema(), rec)}}
	execs := []engine.Options{{Mode: engine.Sequential}, {Mode: engine.Threads, Workers: 2, BatchSize: 64}}
	return qo, execs, rec.Release
}

// watchdog fails the fuzz run with every goroutine's stack if query takes
// more than 10 s; the caller stops it.
func watchdog(query string) *time.Timer {
	return time.AfterFunc(10*time.Second, func() {
		debug.SetTraceback("all")
		panic("engine: query did not finish in 10s: " + query)
	})
}

// drainQuery runs query and reads all its rows, passing each record to
// each (nil: none) before releasing it.
func drainQuery(query string, qo engine.QueryOptions, o engine.Options, each func(arrow.Record)) error {
	ctx := context.Background()
	res, err := engine.Exec(ctx, query, qo, o)
	if err != nil {
		return err
	}
	defer res.Close()
	if res.Rows == nil {
		return nil
	}
	for {
		rec, err := res.Rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if each != nil {
			each(rec)
		}
		rec.Release()
	}
}

func FuzzQueryAgree(f *testing.F) {
	qo, execs, done := fuzzSetup(f)
	defer done()
	f.Fuzz(func(t *testing.T, query string) {
		up := strings.ToUpper(query)
		for _, w := range []string{"LIMIT", "OFFSET", "ROW_NUMBER"} {
			if strings.Contains(up, w) {
				return
			}
		}
		defer watchdog(query).Stop()
		var rows [][]check.Row
		var errs []error
		for _, o := range execs {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			o.Mem = mem
			r, err := collectQuery(t, query, qo, o)
			rows, errs = append(rows, r), append(errs, err)
			require.Zero(t, mem.CurrentAlloc(), "leaked Arrow memory: %s on %s", query, o.Mode)
		}
		require.Equal(t, errs[0] == nil, errs[1] == nil, "%s: %v vs %v", query, errs[0], errs[1])
		if errs[0] == nil {
			check.EqualMultiset(t, rows[0], rows[1], 1e-9, query)
		}
	})
}

// collectQuery runs query and returns its rows (nil for a statement that
// gives none).
func collectQuery(t *testing.T, query string, qo engine.QueryOptions, o engine.Options) ([]check.Row, error) {
	var out []check.Row
	err := drainQuery(query, qo, o, func(rec arrow.Record) { out = append(out, check.RecordRows(t, rec)...) })
	return out, err
}
