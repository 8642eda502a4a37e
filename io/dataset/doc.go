// Package dataset turns user input — files, globs, directories, or lists of
// them — into one dataset: a format, a file list, one schema and the splits
// to read, and opens any of those splits with the matching format reader
// (io/parquet, io/arrowipc, io/csv).
//
// Inputs: a path to a file (any name; the format comes from the extension or,
// failing that, the file's first bytes), a glob (path/filepath.Match syntax
// per path segment, plus ** for any number of directories, which skips names
// starting with "."; matches are files only, sorted), or a directory
// (every file below it with a known extension, recursively, in lexical order;
// names starting with "." are skipped). A list concatenates its inputs in
// order; a file named twice is read once. Known extensions: .parquet, .parq,
// .pq (Parquet); .arrow, .feather, .ipc, .arrows (Arrow IPC); .csv, .tsv,
// .txt (CSV; an all-.tsv input defaults to a tab delimiter). All files must
// be of one format and have the same columns (names and types, in order);
// otherwise Open fails with an error wrapping source.ErrSchemaMismatch that
// names the first file that differs.
//
// CSV options are used as given: set Options.CSV.Header for files with a
// header line.
package dataset
