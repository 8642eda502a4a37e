// Package sql parses dfq's SQL dialect: a hand-written lexer and a Pratt
// (precedence-climbing) parser produce an AST whose every node records the
// byte offset it was parsed from, so that later errors (an unknown column, a
// type mismatch) point at the right spot of the query.
//
// The dialect is the part of DuckDB's and PostgreSQL's SELECT on which they
// agree, plus DuckDB's file sources:
//
//	[WITH name AS (query), ...]
//	SELECT [DISTINCT] expr [AS alias], ... | * | t.*
//	FROM 'file.parquet' | read_csv('f.csv', header => true) | name | (query) [AS t]
//	[WHERE expr] [GROUP BY expr | alias | position, ...] [HAVING expr]
//	[ORDER BY expr [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET m]
//
// and the statements EXPLAIN [ANALYZE] query, DESCRIBE source|query and
// COPY (query) TO 'file' (FORMAT parquet). Parse returns one statement;
// every node's String method renders canonical SQL that parses back to an
// equal tree.
//
// Errors are *Error values: a message, the byte offset, and a hint; Error()
// echoes the offending line with a caret under the position.
package sql
