// Package expr holds dfq's expression trees (Expr, plain JSON-serialisable
// data) and their evaluator: Bind type-checks an Expr against a schema and
// returns a Bound, which evaluates a column (an Arrow array) at a time.
//
// # Semantics
//
// Types follow DuckDB and PostgreSQL:
//   - + - * % on integers of any width or sign give int64; an integer
//     overflow is an error naming the operator. / always gives float64
//     (7 / 2 = 3.5). Any float or decimal operand makes the result float64
//     (decimal arithmetic is done in float64). Division or modulo by zero
//     gives NULL.
//   - Comparisons work between numbers (mixed types are compared exactly in a
//     common type; uint64 against a signed integer column is compared in
//     float64), strings, dates and timestamps (in the finer unit), booleans
//     and decimals (at a common scale). A string literal compared with a
//     date, timestamp, number or boolean is parsed as that type at Bind.
//     Floats compare by IEEE rules (NaN is unequal to everything).
//   - AND, OR, NOT use three-valued logic; x IN (..., NULL) is NULL when x is
//     not found; BETWEEN is inclusive; LIKE and ILIKE support % and _ with \
//     as escape and are compiled once at Bind.
//   - CASE takes the first true branch, else the ELSE value or NULL; its type
//     (and COALESCE's) is the common type of the branches. A branch is
//     evaluated over the whole batch, and only when that fails, over just the
//     rows that take it, so an error in a branch no row takes is not raised.
//   - CAST converts between numbers (integer targets are range checked,
//     floats rounded half to even), strings, booleans, dates, timestamps and
//     decimals; an unparseable string is an error naming it and the type.
//   - Functions: abs, round(x[, digits]) (half away from zero), floor, ceil,
//     sqrt, ln, exp, pow/power (float64; sqrt and ln of invalid input are
//     errors), lower, upper, length (characters), year, month, day (of a date
//     or timestamp, in UTC), coalesce. Decimals passed to round, floor, ceil
//     and the float functions are converted to float64.
//
// # Evaluation
//
// Literals stay scalars: `v1 > 3` runs a typed array-versus-scalar loop.
// Constant subexpressions are folded at Bind. When a subexpression references
// exactly one utf8 column and a batch brings that column dictionary-encoded,
// the subexpression is evaluated once over the dictionary's values and
// expanded by the indices, so `id1 = 'id042'` or `lower(id1) LIKE 'a%'`
// cost one pass over int32 codes; a utf8 result stays a dictionary array.
//
// User mistakes and data errors are *Error values carrying the position of
// the offending node in the SQL text and, where useful, a hint.
package expr
