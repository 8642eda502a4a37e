// Package h2o generates the h2o.ai db-benchmark group-by dataset
// (G1_<N>_<K>_<NAs>_0) that dfq's benchmarks and tests use.
//
// Columns, each drawn independently and uniformly with replacement:
// id1, id2 `id%03d` of 1..K; id3 `id%010d` of 1..N/K; id4, id5 1..K;
// id6 1..N/K; v1 1..5; v2 1..15; v3 uniform [0, 100) rounded to 6 decimals.
// With NAs > 0, each value is NULL with probability NAs/100.
//
// Generation is deterministic for a seed and independent of parallelism: rows
// are produced in chunks of ChunkRows, chunk c from its own generator seeded
// by (Seed, c), so chunks can be generated concurrently and in any order.
//
// Write streams a dataset to a file as Parquet (snappy, a row group per
// chunk), CSV (with a header) or Arrow IPC (a record batch per chunk),
// generating chunks in parallel with bounded look-ahead, so 1e8 rows never
// sit in memory at once.
package h2o
