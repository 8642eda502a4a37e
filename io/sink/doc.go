// Package sink writes query results: a box table for terminals, CSV, TSV,
// JSON, JSON lines, Markdown, Parquet and Arrow IPC (file and stream).
//
// NewWriter returns a Writer for a format and a logical schema; the caller
// writes records (keeping ownership of them) and closes the Writer, which
// flushes; the table format renders only at Close, since it needs the row
// count. Records may carry utf8 columns as dictionary arrays; every writer
// writes their values, and the binary formats write plain utf8 columns.
//
// # Text form of values
//
// CSV, TSV, Markdown, the table and FormatValue share one text form:
//   - NULL: an empty field (CSV, TSV, Markdown), NULL (table), null (JSON).
//   - bool: true, false. Integers: decimal digits, exact.
//   - float32/float64: the shortest text that parses back to the same value,
//     in plain notation with at least one fractional digit (0.1, 26.0, -0.0)
//     for magnitudes in [1e-5, 1e16), else exponent notation (1e+20, 1.5e-07);
//     NaN, +Inf, -Inf as nan, inf, -inf (null in JSON).
//   - decimal128(p,s): exact, with s digits after the point (8946.090).
//   - date32: YYYY-MM-DD (proleptic Gregorian, astronomical years: -0001,
//     0000, ..., 9999, 10000).
//   - timestamp: YYYY-MM-DD HH:MM:SS, then a fraction only when it is
//     non-zero, with trailing zeros trimmed, up to the column's precision
//     (3, 6 or 9 digits for ms, µs, ns): 2022-06-01 00:00:06.180053. A column
//     with a time zone is shown in UTC followed by +00.
//   - binary: \x followed by lowercase hex digits (\x00ff).
//   - utf8: as is.
//
// # Formats
//
// CSV follows RFC 4180 with "\n" line ends: a header row (unless
// Options.NoHeader), a field is quoted when it is an empty string (to tell it
// from NULL), has a leading or trailing space, or holds a comma, quote, CR or
// LF; quotes inside are doubled. Only utf8 and binary values (and header
// names) can need quotes. TSV is the same with tabs, quoting only empty
// strings and fields holding a tab, quote, CR or LF.
//
// JSON is one array of objects, one object per line ("[]" when empty); JSONL
// is one object per line. Numbers (integers exact, decimals with their exact
// text, floats as above) are JSON numbers; dates, timestamps, strings and
// binary are strings.
//
// CSV, TSV, JSON and JSONL writers format a long record (16Ki rows or more)
// a slice per core, on as many goroutines, and write the slices in order
// before Write returns.
//
// The table format draws a Unicode box with each column's name and SQL type
// (bigint, double, varchar, date, timestamp, decimal(p,s), ...), numbers
// right-aligned and other values left-aligned. A result with more than
// Options.MaxRows rows shows the first and last rows around a ⋮ row, and the
// footer says "1000000 rows, 40 shown (use --max-rows to show more)";
// otherwise "3 rows". Control characters are shown escaped (\n, \t, \x1b).
// With Options.Width > 0, wide columns are cut with … and, when even that is
// not enough, middle columns are hidden behind a … column.
//
// Markdown is a GitHub table (numbers right-aligned) streamed row by row,
// without padding; NULL is an empty cell.
//
// Parquet goes through io/parquet's Writer; arrow and arrows through
// arrow/ipc's FileWriter and Writer (the file writer needs no seekable
// output).
package sink
