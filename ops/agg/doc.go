// Package agg implements dfq's grouped aggregate functions with declared
// partial state, in the style of DataFusion's GroupsAccumulator and DuckDB's
// update/combine/finalize.
//
// New resolves a Spec for its argument types into a Func; a Func makes Accs.
// An Acc holds one partial state per dense group id and supports four steps:
// Update folds input rows, State emits the partial states as Arrow columns of
// the types Func.State declares, Merge folds such columns (from any number of
// other Accs, with any group mapping) and Final computes the results. Every
// function follows the same path in every phase; there is no partial/final
// special case.
//
// Partial states:
//
//	count_star, count      int64 count
//	sum, avg (integers)    decimal128(38,0) exact sum, int64 count*
//	sum, avg (decimals)    decimal128(38,s) exact sum, int64 count*
//	sum, avg (floats)      float64 sum, float64 compensation, int64 count*
//	min, max               the argument's type (NULL: no value yet)
//	var_*, stddev_*        int64 n, float64 mean, float64 M2
//	corr                   int64 n, float64 mean_x, mean_y, M2_x, M2_y, C_xy
//	median, quantile_cont  list<float64> of the group's values (holistic)
//	count/sum/avg DISTINCT list<T> of the group's distinct values (holistic)
//
// (*) avg counts the group's values; sum needs only to know whether it has
// one, and its count is nonzero exactly when it does.
//
// Inner loops are generic over the physical value type and dispatched once per
// batch. Per-group state is a slice of small structs indexed by group id, grown
// amortised; NULL rows are compacted out before the loop, so each kernel has
// one NULL-free form. Scattered per-row updates are bound by cache misses on
// that state, so count, sum and avg update a narrower in-memory layout (uint32
// counts, taken from row counts shared by the accumulators of a grouping, or
// none at all for sum while every group has a value; integer sums as wrapping
// int64, or int32 for arguments that fit, plus carries kept only once a sum
// overflows) and switch for good to the wide one on Merge or before a count
// could pass MaxUint32; the declared partial states are the same either way.
// A utf8 argument may arrive as a dictionary array; min and max then work on
// dictionary codes ranked once per batch.
//
// Accumulator state lives on the Go heap (Bytes reports its size); arrays
// returned by State and Final are allocated from the allocator passed to them
// and released by the caller.
package agg
