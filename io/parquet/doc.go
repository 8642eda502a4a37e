// Package parquet reads and writes Parquet files as Arrow records.
//
// Reading goes through parquet-go's page API: each projected column chunk's
// pages are decoded (decompression and value decoding by parquet-go) and their
// typed values, definition levels and dictionary indexes are copied straight
// into Arrow buffers, one typed loop per page segment. The row reader is never
// used on the data path. Two kinds of column chunk that parquet-go v0.32.0
// mis-decodes (LZ4_RAW pages, and DELTA_BINARY_PACKED UINT32 pages as DuckDB
// writes them) are framed and decompressed by this package instead, still
// decoding values with parquet-go's encodings (see rawpages.go).
//
// Inspect reads a file's footer (schema, row groups, per-chunk statistics);
// PlanSplits cuts a file into splits by row group; Open streams a split.
//
// Type mapping (Parquet physical type and annotation -> Arrow): BOOLEAN ->
// bool; INT32 with INT(8|16|32, signed|unsigned) -> int8..int32 / uint8..uint32;
// INT64 -> int64 / uint64; FLOAT -> float32; DOUBLE -> float64; BYTE_ARRAY
// (or FIXED_LEN_BYTE_ARRAY) with STRING, UTF8, ENUM or JSON -> utf8, else
// binary; DATE -> date32; TIMESTAMP(MILLIS|MICROS|NANOS) -> timestamp(ms|us|ns)
// with time zone "UTC" when adjusted to UTC; INT96 -> timestamp(ns); DECIMAL
// -> decimal128(p, s). Other annotations (TIME, UUID, INTERVAL, FLOAT16) read
// as their physical type (int32, int64, binary). Nested and repeated columns
// are rejected with an error naming the column.
//
// Writing (NewWriter) goes through parquet-go's column writers, columns in
// parallel; files have the standard flat layout (data pages v2, PLAIN values,
// RLE_DICTIONARY strings unless WriteOptions.Plain, column statistics and the
// page index) and read back in DuckDB.
//
// Physical strings: when every data page of a string column chunk is
// dictionary encoded (per the chunk's encoding statistics, or guessed from its
// encodings list and confirmed page by page), the column arrives as
// dictionary<int32, utf8> whose dictionary is built once per column chunk and
// shared by all records from that chunk; otherwise as utf8. Each record's
// schema says which; Reader.Schema gives the logical (utf8) schema.
//
// The logical schema marks every field nullable, whatever the Parquet
// repetition, so that files of one dataset compare equal; FileInfo.Columns
// reports the repetition.
//
// Pruning: a row group is skipped when its column statistics prove one
// source.Pred false (or NULL) for every row. Statistics that cannot be trusted
// (missing, NaN, decimal, INT96, legacy signed min/max of strings) never prune.
//
// Ownership: records returned by a Reader belong to the caller; byte data is
// copied out of parquet-go's pooled page buffers, which are released as soon
// as a page is consumed. Errors name the file, and where known the row group
// and column; panics inside parquet-go are recovered at the reader boundary
// and returned as errors wrapping ErrCorrupt.
package parquet
