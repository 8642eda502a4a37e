// Package arrowipc reads Arrow IPC files (the "file" format with a footer,
// also called Feather v2) and Arrow IPC streams as dfq splits.
//
// Inspect reads a file's schema and, for the file format, its record batch
// index (rows and bytes per batch) without reading any batch body. PlanSplits
// groups consecutive record batches into splits of about a target size; a
// stream has no index and is always one split. Open streams a split's records.
//
// Types are normalised to dfq's logical types: large_string and string_view
// become utf8, large_binary and binary_view become binary, and a dictionary
// with string values is utf8. Dictionary-encoded string columns are passed
// through physically as *array.Dictionary with int32 indices and utf8 values
// (the record's schema says so); dictionaries of other value types are
// decoded. Types outside dfq's supported set (nested types, float16, date64,
// time, interval, decimal256, ...) make Inspect and Open fail with an error
// naming the column.
//
// Body compression (LZ4 frame and ZSTD) is handled by arrow/go's ipc package.
// LZ4 frames written with block checksums (Polars does this) are rewritten in
// memory into frames without block checksums before decoding, because the
// LZ4 library arrow/go v17 uses checks those checksums against the wrong
// bytes and would reject valid files.
package arrowipc
