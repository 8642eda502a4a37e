// Package exec runs physical plans.
//
// A plan is a list of stages (see plan.Stage). A stage runs over a list of
// partitions: its streaming nodes are applied to each partition, the result
// is fed to the breaker's first phase (a partial aggregate, a sorter, a
// repartitioner, or a collector), and the breaker's second phase merges the
// phase-one outputs bucket by bucket into the next stage's partitions. The
// first stage's partitions are the dataset's splits; later ones are in memory.
//
// Executors differ only in how many goroutines pull partitions and buckets
// from the queue (Workers: 1 is the sequential baseline, which runs on the
// calling goroutine) and in who runs the first stage (Leaf: nil runs it
// in-process; the process executor ships it to worker processes). Every
// executor gives the same multiset of rows; with ORDER BY, the same order.
package exec
