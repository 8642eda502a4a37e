// Package bench measures dfq's executors: it runs queries (the h2o.ai
// db-benchmark suite by default, see Suite) over a dataset on the sequential,
// goroutine and process executors at several worker counts, checks that all
// of them return the same rows, and reports wall times (median, min, max of
// repeated runs after a warm-up), speedup over the sequential executor,
// parallel efficiency, rows per second, peak memory and the cold-start cost
// of a process pool.
//
// Run does the measuring; a Report renders as a text table (WriteText), as
// JSON (WriteJSON) and as a speedup chart (Plot). `dfq bench` is its command
// line; `go test -bench H2O ./engine/bench` runs the same queries as Go
// benchmarks (BenchmarkH2O/<query>/<mode>-w<N>) over a generated dataset of
// DFQ_BENCH_ROWS rows (default 1e6), cached in the system's temporary
// directory, for benchstat.
//
// A benchmark refuses to report a wrong answer: every configuration's first
// warm-up result is compared with the reference's (the sequential executor's
// when it is measured) as a multiset of rows, floats within RelTol, and a
// difference is a *MismatchError.
package bench
