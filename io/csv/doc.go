// Package csv reads delimited text files as dfq splits, with one schema
// inferred for the whole input.
//
// Infer reads the header of every file and samples each file at several
// positions (start, end and evenly in between, 8 samples of 64 KiB aligned to
// line starts; a small file is read whole) and chooses, per column, the
// narrowest type every sampled value parses as, in the order bool, int64,
// float64, date32 (YYYY-MM-DD), timestamp[us] ("YYYY-MM-DD HH:MM:SS[.ffffff]",
// also with a 'T'); anything else, and a column with no values in the samples,
// is string. Types given in CSVOptions.Columns override inference. Without a
// header the columns are named column0, column1, ...; with one, an empty name
// becomes columnN (N its 0-based position) and a repeated name gets a suffix
// _1, _2, ... (e.g. a, a -> a, a_1): names are made unique, not rejected.
// All files of one input must have the same columns.
//
// PlanSplits cuts a file into byte ranges of about a target size, each
// starting at a record start. It scans the whole file once, tracking quote
// state, so a quoted field with embedded newlines is never cut, and every
// split knows its first line number for error messages.
//
// Open parses a split's range with a hand-written splitter (RFC 4180: quoted
// fields, "" escapes, embedded newlines, CRLF or LF line ends, an optional
// final newline) into Arrow builders, converting only the selected columns.
// A quote character that does not start a field is an ordinary character.
// Blank lines are skipped. An unquoted empty field, or an unquoted field
// equal to CSVOptions.NullStr, is NULL; a quoted empty field ("") is the empty
// string for string columns and NULL for other types. A record with the wrong
// number of fields, or a value that does not parse as its column's type, is
// an error (*ParseError) naming the file, the line (or byte offset when the
// line is unknown), the column and the value. Old Mac line ends (CR only)
// are not supported.
package csv
