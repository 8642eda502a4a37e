// Command dfq runs SQL over Parquet, Arrow IPC and CSV files on a
// sequential, multi-threaded or multi-process executor, and prints a
// readable answer, like the DuckDB and clickhouse-local command lines.
//
//	dfq "SELECT id1, sum(v1) AS v1 FROM 'data/*.parquet' GROUP BY id1"
//	dfq query --mode procs --workers 4 --timer -f q.sql -o out.parquet
//	dfq describe data/x.parquet
//	dfq meta data/x.parquet
//	dfq explain --analyze "SELECT ..."
//
// # Commands
//
// query runs a script of statements separated by ';' (SELECT, EXPLAIN
// [ANALYZE], DESCRIBE, COPY) given as arguments, with -f FILE or on standard
// input; "dfq SQL" is short for "dfq query SQL". explain prints a query's
// plan, describe files' columns and sizes, meta a Parquet file's row groups
// and column chunks. demo generates sample data and times example queries.
// "dfq worker" is the process executor's worker, started by dfq itself.
// Every command has -h; "dfq help" lists them.
//
// # Output
//
// --format auto writes a table when standard output is a terminal (the
// first and last rows of a long result, --max-rows, sized to the terminal,
// styled unless NO_COLOR is set) and CSV otherwise; -o FILE takes the format
// from the file's extension and replaces the file only once every statement
// has succeeded. The CSV contract and the text form of values are those of
// io/sink.
//
// # Running
//
// --mode and --workers choose the executor. --timer prints, per statement,
// the elapsed time, rows, bytes read, row groups read and pruned, and peak
// memory (Arrow buffers, and the maximum RSS of this process and of its
// largest worker) to stderr. A progress bar, driven by the engine's
// per-split progress callback, appears on stderr for statements that run
// over a second when stderr is a terminal (--progress auto|on|off).
//
// --memory-limit SIZE is a checked budget on the Arrow buffers a statement
// allocates in this process: the allocator wrapping the engine's refuses an
// allocation past the limit (by panicking, as Arrow allocators fail; the
// engine turns panics at its goroutine roots into errors) and the statement
// fails with "memory limit 4.0 GiB exceeded (...)" instead of the process
// being killed. Not counted: the Go heap behind hash table indexes, plans and
// strings, and the memory of worker processes under --mode procs (only
// their results, decoded in this process, are).
//
// # Errors
//
// Exit status 0 on success, 1 for a query or data error (SQL errors show the
// line with a caret under the mistake), 2 for a mistake in the command line,
// 130 when interrupted: Ctrl-C cancels the running statement and stops its
// workers; a second Ctrl-C kills at once. Messages go to stderr; a bug shows
// as "internal error", without a stack trace unless DFQ_DEBUG is set.
package main
