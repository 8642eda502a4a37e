// Package plan holds dfq's query plans.
//
// A Plan is a source (files or in-memory records) followed by a chain of
// nodes: filter, project, aggregate, sort (with an optional top-k limit),
// limit and window. Plans are immutable values that round-trip through JSON,
// so a worker process runs exactly what its parent planned.
//
// Physical cuts a plan into stages at pipeline breakers (aggregate, sort,
// limit, window), after pruning the source's columns to those the query reads
// and turning leading filter conjuncts into scan pruning predicates. Each
// stage's streaming nodes run per partition; its breaker runs in two phases
// (see engine/exec).
package plan
