// Package engine is dfq's public API: open inputs, describe a query with an
// immutable frame builder, and run it on an executor.
//
//	f := engine.Scan("data/*.parquet").
//		Filter(expr.Col("v3").Gt(expr.Float(50))).
//		GroupBy(expr.Col("id1")).
//		Agg(engine.Sum(expr.Col("v1")).As("v1"), engine.Count().As("n"))
//	tbl, err := f.Collect(ctx, engine.Options{Mode: engine.Threads})
//
// Every builder method returns a new Frame and leaves its receiver unchanged,
// so frames can be shared and extended freely. Errors (a missing file, an
// unknown column, a type mismatch) are recorded in the frame and returned by
// Run, Collect or Explain (and by Err).
//
// Executors: Sequential runs on one goroutine (the baseline); Threads runs
// the same plan on a pool of goroutines pulling splits from a queue. All give
// the same rows. Records returned are owned by the caller.
package engine
