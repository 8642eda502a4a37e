// Package proc is dfq's process executor: a pool of long-lived worker
// processes (the parent side, Pool) and the loop a worker runs (Serve).
//
// The parent ships work descriptors, never input data: a Task names a split
// (file, row groups or byte range) and carries the plan fragment as JSON; the
// worker opens the split itself, runs the fragment over it, and answers with
// the fragment's bucketed output as Arrow IPC streams. When the fragment ends
// in an order-insensitive breaker (aggregate, sort, window) the tasks of one
// query form a group: each worker adds all its splits into one partial result
// (exec.Accumulator), answers each task with its scan statistics only, and
// sends the partial result once, when the parent flushes the group after the
// queue is empty. So a worker that ran ten splits of a GROUP BY ships one
// table of partial states, not ten, and the parent merges one per worker.
// Otherwise (filters, projections, LIMIT) each task's rows come back with its
// answer. A worker has two tasks in flight (one running, one queued) while
// the queue holds a split for every worker, then one. Workers read their
// pipe through the Go runtime's poller, and results come back through a
// 1 MiB pipe on Linux, except large ones: a result stream of
// Options.ResultFileBytes (4 MiB) or more whose columns can be decoded in
// place is written to a file in /dev/shm (or Options.ShareDir), which the
// parent maps, decodes where it lies (io/arrowipc.ReadStreamFile) and
// removes. That skips two copies through the kernel, a checksum and the IPC
// reader's copy of every buffer: for h2o q10 (394 MB from two workers) the
// parent's decoding went from about 0.4 to 0.1 CPU seconds. Files a worker
// leaves behind (it died before announcing them) are removed when it is
// reaped, and those of a parent that was killed by the next pool's first
// worker start. The byte protocol is in package wire.
//
// Embedding programs start workers by re-executing themselves; main must
// begin with
//
//	if proc.IsWorker() {
//		os.Exit(proc.RunWorker())
//	}
//
// or the pool is given an explicit worker command (Options.Command; the dfq
// CLI uses "dfq worker", whose implementation is the same RunWorker call).
//
// Process hygiene: a worker's stdout carries protocol bytes only (RunWorker
// points file descriptor 1 at stderr and keeps the original for the
// protocol); its stderr is forwarded to the parent's log with a "[worker N]"
// prefix, and the last 4 KiB are kept for error messages. Workers ignore
// SIGINT, exit at end of stdin, and on Linux are killed by the kernel if the
// parent dies (Pdeathsig). The parent closes a worker's stdin to stop it and
// kills it after a grace period; RunLeaf and Close return only once the
// workers they stop are reaped.
//
// Failures: a worker that dies mid-query is noticed at once (end of its
// stdout); the split it was running is retried once on a fresh worker, with
// the splits whose partial result it held (their results died with it), and a
// second death of the same split fails the query with a *WorkerError naming the worker, the
// split and its stderr tail. A task error inside a healthy worker is a
// *TaskError. Bytes on stdout that are not the protocol give a *WorkerError
// wrapping ErrProtocol, and the worker is killed. A cancelled query stops
// every worker that has work in flight. No partial result is ever returned.
//
// In-memory inputs (plan.Table) reach workers through shared memory: the
// parent writes the partitions the query reads once, uncompressed, as Arrow
// IPC files under /dev/shm, and each worker maps the file and decodes its
// record batches in place (Pool.ShareTable, io/arrowipc's Split.Mmap), so no
// worker copies the data and nothing but split descriptors crosses the pipes.
// Tables with a column type that cannot be mapped run in the parent.
package proc
