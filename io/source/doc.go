// Package source defines the units of input dfq works on and the contract every
// format reader honours.
//
// A Split is a small, JSON-serialisable description of one partition of input:
// a Parquet file's row groups (optionally cut to a row range), an Arrow IPC
// file's record batches, or a byte range of a CSV file aligned to line starts.
// Splits are sized by bytes, not by core count; executors pull them from a queue.
//
// A Reader streams the rows of one split as Arrow records. Readers are pull
// readers: Next returns (nil, io.EOF) when the split is exhausted.
//
// Physical string columns: a reader may return a string column either as an
// *array.String or as an *array.Dictionary with int32 indices and string values
// (Parquet dictionary pages are passed through this way so operators can work on
// codes). The record's own schema says which. The logical schema of a dataset
// always says utf8.
package source
