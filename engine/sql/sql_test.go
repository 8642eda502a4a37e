package sql

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// roundTrip lists queries and their canonical rendering ("" when the query
// is already canonical).
var roundTrip = []struct{ name, in, want string }{
	{"star", "select * from 'x.parquet'", "SELECT * FROM 'x.parquet'"},
	{"columns and alias", "SELECT id1, v1 AS total, v2 t2 FROM x", "SELECT id1, v1 AS total, v2 AS t2 FROM x"},
	{"qualified star", "SELECT s.* FROM x AS s", ""},
	{"qualified column", "SELECT s.id1, \"s\".\"v 1\" FROM x s", `SELECT s.id1, s."v 1" FROM x AS s`},
	{"quoted reserved", `SELECT "select", "order" FROM x`, ""},
	{"distinct", "SELECT DISTINCT id1, id2 FROM x", ""},
	{"select all", "SELECT ALL id1 FROM x", "SELECT id1 FROM x"},
	{"trailing comma", "SELECT id1, id2, FROM x", "SELECT id1, id2 FROM x"},
	{"where", "SELECT * FROM x WHERE v1 > 2 AND id1 = 'id001' OR NOT v3 < 1.5",
		"SELECT * FROM x WHERE v1 > 2 AND id1 = 'id001' OR NOT v3 < 1.5"},
	{"eq spellings", "SELECT a == 1, b != 2, c <> 3 FROM x", "SELECT a = 1, b <> 2, c <> 3 FROM x"},
	{"precedence", "SELECT 1 + 2 * 3, (1 + 2) * 3, 1 - (2 - 3), (1 - 2) - 3, 2 * (3 % 4) FROM x",
		"SELECT 1 + 2 * 3, (1 + 2) * 3, 1 - (2 - 3), 1 - 2 - 3, 2 * (3 % 4) FROM x"},
	{"and or", "SELECT * FROM x WHERE (a OR b) AND c OR d AND (e OR f)", ""},
	{"not", "SELECT NOT a = 1, NOT (a AND b), NOT NOT c FROM x", ""},
	{"unary minus", "SELECT -v1, - 5, -(-v1), -(a + b), -2.5 * v1, 3 - -2 FROM x",
		"SELECT -v1, -5, -(-v1), -(a + b), -2.5 * v1, 3 - -2 FROM x"},
	{"unary plus", "SELECT +v1 FROM x", "SELECT v1 FROM x"},
	{"double negation", "SELECT - -v1, -(-5) FROM x", "SELECT -(-v1), 5 FROM x"},
	{"literals", "SELECT 1, 1.5, .5, 1e3, 2.5E-3, 1_000, 'it''s', TRUE, false, NULL FROM x",
		"SELECT 1, 1.5, 0.5, 1000.0, 0.0025, 1000, 'it''s', TRUE, FALSE, NULL FROM x"},
	{"big numbers", "SELECT 9223372036854775807, 9223372036854775808, 1e300 FROM x",
		"SELECT 9223372036854775807, 9.223372036854776e+18, 1e+300 FROM x"},
	{"date and timestamp", "SELECT DATE '2024-01-31', timestamp '2024-01-31 12:30:05', TIMESTAMP '2024-01-31T12:30:05.25', TIMESTAMP '1969-12-31' FROM x",
		"SELECT DATE '2024-01-31', TIMESTAMP '2024-01-31 12:30:05', TIMESTAMP '2024-01-31 12:30:05.250000', TIMESTAMP '1969-12-31 00:00:00' FROM x"},
	{"date before epoch", "SELECT DATE '1900-03-01' FROM x", ""},
	{"column named date", "SELECT date, timestamp FROM x WHERE date > DATE '2020-01-01'", ""},
	{"is null", "SELECT * FROM x WHERE v3 IS NOT NULL AND v2 IS NULL", ""},
	{"is null of comparison", "SELECT (a = b) IS NULL, a = (b IS NULL) FROM x", "SELECT a = b IS NULL, a = (b IS NULL) FROM x"},
	{"in", "SELECT * FROM x WHERE id1 IN ('id001', 'id002') AND v1 NOT IN (1, 2, 3)", ""},
	{"between", "SELECT * FROM x WHERE v3 BETWEEN 1 AND 2 + 3 AND v1 NOT BETWEEN -1 AND 1", ""},
	{"like", "SELECT * FROM x WHERE id1 LIKE 'id0%' OR id2 NOT ILIKE '%9' OR id3 ILIKE 'ID%'", ""},
	{"case", "SELECT CASE WHEN v1 > 2 THEN 'big' WHEN v1 > 1 THEN 'mid' ELSE 'small' END AS size FROM x", ""},
	{"simple case", "SELECT CASE v1 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END FROM x", ""},
	{"cast", "SELECT CAST(v1 AS DOUBLE), v2::varchar, CAST(v3 AS decimal(10, 2)), v1::double precision, CAST(t AS timestamp with time zone) FROM x",
		"SELECT CAST(v1 AS double), CAST(v2 AS varchar), CAST(v3 AS decimal(10,2)), CAST(v1 AS double precision), CAST(t AS timestamp with time zone) FROM x"},
	{"cast binds tight", "SELECT -v1::int, (a + b)::int FROM x", "SELECT -CAST(v1 AS int), CAST(a + b AS int) FROM x"},
	{"functions", "SELECT ABS(v1), round(v3, 2), lower(id1), coalesce(v1, v2, 0), pow(v1, 2), year(d) FROM x",
		"SELECT abs(v1), round(v3, 2), lower(id1), coalesce(v1, v2, 0), pow(v1, 2), year(d) FROM x"},
	{"string functions named like keywords", "SELECT left(id1, 2), right(id1, 1) FROM x", ""},
	{"concat", "SELECT id1 || '-' || id2 FROM x", ""},
	{"aggregates", "SELECT id1, count(*), count(DISTINCT id2), sum(v1), avg(v3), max(v1) - min(v2) AS r, pow(corr(v1, v2), 2) AS r2, quantile_cont(v3, 0.9) FROM x GROUP BY id1", ""},
	{"group by all", "SELECT id1, id2, sum(v1) FROM x GROUP BY ALL", ""},
	{"group by position", "SELECT id1, id2, sum(v1) FROM x GROUP BY 1, 2", ""},
	{"having", "SELECT id1, sum(v1) AS s FROM x GROUP BY id1 HAVING sum(v1) > 10 AND s < 100", ""},
	{"order by", "SELECT * FROM x ORDER BY v1 DESC, v2 ASC, v3 NULLS FIRST, id1 DESC NULLS LAST", "SELECT * FROM x ORDER BY v1 DESC, v2, v3 NULLS FIRST, id1 DESC NULLS LAST"},
	{"limit offset", "SELECT * FROM x LIMIT 10 OFFSET 5", ""},
	{"offset first", "SELECT * FROM x OFFSET 5 ROWS LIMIT 10", "SELECT * FROM x LIMIT 10 OFFSET 5"},
	{"window", "SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x", ""},
	{"window no partition", "SELECT row_number() OVER (ORDER BY v3) AS n, row_number() OVER () AS m FROM x", ""},
	{"h2o q8", `SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER
		(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) s
		WHERE order_v3 <= 2`,
		"SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) AS s WHERE order_v3 <= 2"},
	{"subquery without alias", "SELECT * FROM (SELECT 1 AS a)", ""},
	{"no from", "SELECT 1 + 1 AS two", ""},
	{"read_parquet", "SELECT * FROM read_parquet('data/*.parquet')", ""},
	{"read_parquet list", "SELECT * FROM read_parquet(['a.parquet', 'b.parquet']) AS t", ""},
	{"read_csv", "SELECT * FROM read_csv('f.csv', header => true, delim := ';', nullstr => 'NA', columns => {'a': 'INTEGER', b: 'VARCHAR'})",
		"SELECT * FROM read_csv('f.csv', header => TRUE, delim => ';', nullstr => 'NA', columns => {'a': 'INTEGER', 'b': 'VARCHAR'})"},
	{"with", "WITH a AS (SELECT id1, v1 FROM x), b AS (SELECT * FROM a WHERE v1 > 1) SELECT count(*) FROM b", ""},
	{"parenthesised query", "(SELECT 1)", "SELECT 1"},
	{"from first", "FROM 'x.csv' WHERE v1 > 1", "SELECT * FROM 'x.csv' WHERE v1 > 1"},
	{"from first select", "FROM x SELECT id1 LIMIT 1", "SELECT id1 FROM x LIMIT 1"},
	{"comments", "SELECT /* the key */ id1 -- and a comment\nFROM x -- end", "SELECT id1 FROM x"},
	{"semicolon", "SELECT 1;", "SELECT 1"},
	{"explain", "explain SELECT * FROM x", "EXPLAIN SELECT * FROM x"},
	{"explain analyze", "EXPLAIN ANALYZE SELECT id1, sum(v1) FROM 'x.parquet' GROUP BY id1", ""},
	{"describe file", "DESCRIBE 'x.parquet'", ""},
	{"describe table", "DESCRIBE x", ""},
	{"describe function", "DESCRIBE read_csv('x.csv', header => FALSE)", ""},
	{"describe query", "DESCRIBE SELECT id1 FROM x", ""},
	{"copy", "COPY (SELECT * FROM x) TO 'out.parquet' (FORMAT parquet)", ""},
	{"copy options", "copy (select * from x) to 'out.csv' (format 'csv', header, delimiter ';')", "COPY (SELECT * FROM x) TO 'out.csv' (FORMAT 'csv', HEADER, DELIMITER ';')"},
	{"copy table", "COPY 'in.csv' TO 'out.arrow'", "COPY (SELECT * FROM 'in.csv') TO 'out.arrow'"},
	{"unicode names", `SELECT "größe", größe2 FROM x`, "SELECT größe, größe2 FROM x"},
	{"in precedence", "SELECT a + 1 IN (2, 3), (a IN (1)) = TRUE, a = (b IN (1)), (a = b) IN (TRUE) FROM x",
		"SELECT a + 1 IN (2, 3), a IN (1) = TRUE, a = b IN (1), (a = b) IN (TRUE) FROM x"},
	{"like precedence", "SELECT (a LIKE 'x') = FALSE, a LIKE 'x' || 'y', (a AND b) LIKE c FROM x", "SELECT a LIKE 'x' = FALSE, a LIKE 'x' || 'y', (a AND b) LIKE c FROM x"},
	{"between nested", "SELECT (a BETWEEN 1 AND 2) BETWEEN FALSE AND TRUE FROM x", "SELECT a BETWEEN 1 AND 2 BETWEEN FALSE AND TRUE FROM x"},
	{"arithmetic in comparison", "SELECT * FROM x WHERE v1 * 2 + 1 >= v2 / 3 - 1", ""},
}

// strip zeroes every position so trees can be compared structurally.
func strip(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			strip(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Type.Kind() == reflect.Int && (f.Name == "At" || strings.HasSuffix(f.Name, "At")) {
				v.Field(i).SetInt(0)
				continue
			}
			if f.IsExported() {
				strip(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			strip(v.Index(i))
		}
	}
}

func stripped(n Node) Node {
	strip(reflect.ValueOf(n))
	return n
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTrip {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				want = tc.in
			}
			s, err := Parse(tc.in)
			require.NoError(t, err)
			got := s.String()
			require.Equal(t, want, got)
			again, err := Parse(got)
			require.NoError(t, err, "re-parse %s", got)
			require.Equal(t, got, again.String())
			require.Equal(t, stripped(s), stripped(again))
		})
	}
}

func TestPositions(t *testing.T) {
	src := "SELECT id1, sum(v1) AS s FROM x WHERE v3 > 1.5 AND id1 IN ('a') GROUP BY id1"
	s, err := Parse(src)
	require.NoError(t, err)
	sel := s.(*Select)
	at := func(sub string) int { return strings.Index(src, sub) }
	require.Equal(t, 0, sel.At)
	require.Equal(t, at("id1"), sel.Items[0].Expr.Pos())
	call := sel.Items[1].Expr.(*Call)
	require.Equal(t, at("sum"), call.At)
	require.Equal(t, at("v1"), call.Args[0].Pos())
	require.Equal(t, at("s FROM"), sel.Items[1].AliasAt)
	require.Equal(t, at("x WHERE"), sel.From.At)
	and := sel.Where.(*Binary)
	require.Equal(t, at("AND"), and.At)
	gt := and.L.(*Binary)
	require.Equal(t, at(">"), gt.At)
	require.Equal(t, at("v3"), gt.L.Pos())
	require.Equal(t, at("1.5"), gt.R.Pos())
	in := and.R.(*In)
	require.Equal(t, at("IN"), in.At)
	require.Equal(t, at("'a'"), in.List[0].Pos())
	require.Equal(t, strings.LastIndex(src, "id1"), sel.GroupBy[0].Pos())
}

func TestPositionsEveryNode(t *testing.T) {
	// Every expression node carries the offset of a token of its own text.
	for _, tc := range roundTrip {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.in)
			require.NoError(t, err)
			var walk func(v reflect.Value)
			walk = func(v reflect.Value) {
				switch v.Kind() {
				case reflect.Pointer, reflect.Interface:
					if v.IsNil() {
						return
					}
					if n, ok := v.Interface().(Expr); ok {
						p := n.Pos()
						require.True(t, p >= 0 && p < len(tc.in), "%T %s at %d", n, n, p)
						require.NotContains(t, " \t\n(", string(tc.in[p]), "%T %s at %d", n, n, p)
					}
					walk(v.Elem())
				case reflect.Struct:
					for i := 0; i < v.NumField(); i++ {
						if v.Type().Field(i).IsExported() {
							walk(v.Field(i))
						}
					}
				case reflect.Slice:
					for i := 0; i < v.Len(); i++ {
						walk(v.Index(i))
					}
				}
			}
			walk(reflect.ValueOf(s))
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, in string
		at       string // the error is at the first occurrence of at in in ("" = end)
		msg      string
		hint     string
	}{
		{"misspelled FROM", "SELECT a, b FORM x", "FORM", "unexpected FORM, expected end of query", "did you mean FROM?"},
		{"misspelled WHERE", "SELECT a FROM x WERE a > 1", "WERE", "unexpected WERE", "did you mean WHERE?"},
		{"missing expression", "SELECT FROM x", "FROM", "expected an expression", ""},
		{"unterminated string", "SELECT 'abc FROM x", "'abc", "unterminated string", "close it with '"},
		{"unterminated identifier", `SELECT "abc FROM x`, `"abc`, "unterminated quoted identifier", ""},
		{"unterminated comment", "SELECT a /* FROM x", "/*", "unterminated /* comment", ""},
		{"bad character", "SELECT a ? b FROM x", "?", `unexpected character "?"`, ""},
		{"missing paren", "SELECT (a + b FROM x", "FROM", "unexpected FROM, expected )", ""},
		{"empty in", "SELECT * FROM x WHERE a IN ()", ")", "expected a value", ""},
		{"bad is", "SELECT * FROM x WHERE a IS 5", "5", "expected NULL", ""},
		{"between without and", "SELECT * FROM x WHERE a BETWEEN 1 OR 2", "OR", "expected AND", ""},
		{"case without when", "SELECT CASE END FROM x", "END", "expected WHEN", ""},
		{"case without end", "SELECT CASE WHEN a THEN b FROM x", "FROM", "expected END", ""},
		{"bad date", "SELECT DATE '2024-13-01'", "'2024", "invalid date '2024-13-01'", "YYYY-MM-DD"},
		{"bad timestamp", "SELECT TIMESTAMP 'noon'", "'noon'", "invalid timestamp", ""},
		{"number then letters", "SELECT 12abc FROM x", "abc", "after number 12", ""},
		{"huge float", "SELECT 1e999", "1e999", "out of range", ""},
		{"join", "SELECT * FROM a JOIN b ON a.x = b.x", "JOIN", "joins are not supported", ""},
		{"comma join", "SELECT * FROM a, b", ",", "joins are not supported", ""},
		{"union", "SELECT 1 UNION SELECT 2", "UNION", "set operations (UNION) are not supported", ""},
		{"scalar subquery", "SELECT (SELECT 1)", "SELECT 1", "subqueries in expressions are not supported", ""},
		{"in subquery", "SELECT * FROM x WHERE a IN (SELECT 1)", "SELECT 1", "subqueries in IN are not supported", ""},
		{"star in expression", "SELECT * + 1 FROM x", "+", "unexpected +", ""},
		{"star operand", "SELECT 1 + * FROM x", "*", "* is only allowed", ""},
		{"empty", "", "", "unexpected end of query, expected SELECT", ""},
		{"only comment", "-- nothing", "", "unexpected end of query", ""},
		{"bad statement", "DELETE FROM x", "DELETE", "unexpected DELETE, expected SELECT, EXPLAIN, DESCRIBE or COPY", ""},
		{"reserved alias", "SELECT a AS from FROM x", "from FROM", "expected a name after AS", "quote the name"},
		{"missing source", "SELECT a FROM WHERE a > 1", "WHERE", "expected a file name, table name, table function or subquery", ""},
		{"order nulls", "SELECT a FROM x ORDER BY a NULLS MIDDLE", "MIDDLE", "expected FIRST or LAST", ""},
		{"group without by", "SELECT a FROM x GROUP y", "y", "expected BY", ""},
		{"copy without to", "COPY (SELECT 1) 'x.csv'", "'x.csv'", "expected TO", ""},
		{"copy to name", "COPY (SELECT 1) TO x", "x", "expected a file name", "quote the file name"},
		{"window frame", "SELECT row_number() OVER (ORDER BY a ROWS 1) FROM x", "ROWS", "window frames are not supported", ""},
		{"distinct on", "SELECT DISTINCT ON (a) a FROM x", "ON", "DISTINCT ON is not supported", ""},
		{"named before positional", "SELECT * FROM read_csv(header => true, 'x.csv')", "'x.csv'", "positional arguments must come before named", ""},
		{"duplicate named", "SELECT * FROM read_csv('x', header => true, header => false)", "header => false", "argument header is given twice", ""},
		{"qualified table", "SELECT * FROM s.x", ".", "qualified table names are not supported", ""},
		{"typo keyword hint", "SELECT a FROM x WHERE a > 1 ORDR BY a", "ORDR", "unexpected ORDR", ""},
		{"empty quoted identifier", `SELECT ""`, `""`, "empty quoted identifier", ""},
		{"typo in expect", "SELECT CAST(a AZ int) FROM x", "AZ", "unexpected AZ, expected AS", "did you mean AS?"},
		{"duplicate cte", "WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a", "a AS (SELECT 2)", "defined twice", ""},
		{"dangling operator", "SELECT a +", "", "unexpected end of query, expected an expression", ""},
		{"second line", "SELECT a\nFROM x\nWHERE a >> 1", "> 1", "unexpected >", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			require.Error(t, err)
			var e *Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			want := len(tc.in)
			if tc.at != "" {
				want = strings.Index(tc.in, tc.at)
				require.GreaterOrEqual(t, want, 0)
			}
			require.Equal(t, want, e.Pos, "%v", err)
			require.Contains(t, e.Msg, tc.msg)
			require.Contains(t, e.Hint, tc.hint)
			// The rendering echoes the line and puts the caret under Pos.
			lines := strings.Split(err.Error(), "\n")
			require.GreaterOrEqual(t, len(lines), 3, err.Error())
			lineStart := strings.LastIndexByte(tc.in[:e.Pos], '\n') + 1
			require.Equal(t, "  "+strings.Split(tc.in[lineStart:], "\n")[0], lines[1])
			require.Equal(t, strings.Repeat(" ", 2+e.Pos-lineStart)+"^", lines[2])
			require.Equal(t, strings.Count(tc.in[:e.Pos], "\n")+1, e.Line())
		})
	}
}

func TestErrorRendering(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"caret", &Error{SQL: "SELECT a FORM x", Pos: 9, Msg: "unexpected FORM", Hint: "did you mean FROM?"},
			"line 1, column 10: unexpected FORM\n  SELECT a FORM x\n           ^\nhint: did you mean FROM?"},
		{"no position", &Error{SQL: "SELECT 1", Pos: -1, Msg: "boom"}, "boom"},
		{"tabs keep alignment", &Error{SQL: "SELECT\ta,\tb FROM x", Pos: 10, Msg: "m"},
			"line 1, column 11: m\n  SELECT\ta,\tb FROM x\n        \t  \t^"},
		{"multibyte", &Error{SQL: "SELECT 'é', zz", Pos: 13, Msg: "m"},
			"line 1, column 13: m\n  SELECT 'é', zz\n              ^"},
		{"second line", &Error{SQL: "SELECT a\nFROM y", Pos: 14, Msg: "m"}, "line 2, column 6: m\n  FROM y\n       ^"},
		{"at end", &Error{SQL: "SELECT", Pos: 6, Msg: "m"}, "line 1, column 7: m\n  SELECT\n        ^"},
		{"long line clipped", &Error{SQL: strings.Repeat("a", 200) + " ^^ " + strings.Repeat("b", 200), Pos: 201, Msg: "m"},
			"line 1, column 202: m\n  ..." + strings.Repeat("a", 49) + " ^^ " + strings.Repeat("b", 47) + "...\n     " + strings.Repeat(" ", 50) + "^"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.err.Error())
		})
	}
}

func TestDepthLimit(t *testing.T) {
	tests := []struct{ name, in string }{
		{"parens", "SELECT " + strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000)},
		{"not", "SELECT " + strings.Repeat("NOT ", 10000) + "TRUE"},
		{"minus", "SELECT " + strings.Repeat("- ", 10000) + "1"},
		{"subqueries", strings.Repeat("SELECT * FROM (", 5000) + "SELECT 1" + strings.Repeat(")", 5000)},
		{"calls", "SELECT " + strings.Repeat("abs(", 10000) + "1" + strings.Repeat(")", 10000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			var e *Error
			require.True(t, errors.As(err, &e), "%v", err)
			require.Contains(t, e.Msg, "nested too deeply")
		})
	}
	// Nesting within the limit parses.
	_, err := Parse("SELECT " + strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100))
	require.NoError(t, err)
	// Long flat chains are not nesting.
	_, err = Parse("SELECT 1" + strings.Repeat(" + 1", 20000))
	require.NoError(t, err)
}

func TestParseScript(t *testing.T) {
	ss, err := ParseScript("SELECT 1; ; EXPLAIN SELECT 2;\nDESCRIBE 'x.csv'")
	require.NoError(t, err)
	got := make([]string, len(ss))
	for i, s := range ss {
		got[i] = s.String()
	}
	require.Equal(t, []string{"SELECT 1", "EXPLAIN SELECT 2", "DESCRIBE 'x.csv'"}, got)
	_, err = ParseScript("SELECT 1 SELECT 2")
	require.ErrorContains(t, err, "unexpected SELECT")
	ss, err = ParseScript("  -- nothing\n")
	require.NoError(t, err)
	require.Empty(t, ss)
}

func TestParseExpr(t *testing.T) {
	e, err := ParseExpr("v1 * 2 > 10 AND id1 <> 'x'")
	require.NoError(t, err)
	require.Equal(t, "v1 * 2 > 10 AND id1 <> 'x'", e.String())
	_, err = ParseExpr("v1 *")
	require.Error(t, err)
	_, err = ParseExpr("v1 v2")
	require.ErrorContains(t, err, "unexpected v2")
}

func TestSuggest(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"typo", "id_1", "id1"},
		{"case", "ID1", "id1"},
		{"far", "zzzzzz", ""},
		{"closest", "v22", "v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Suggest(tc.in, []string{"id1", "id2", "v1", "v2", "v3"}))
		})
	}
}

func TestCopyOption(t *testing.T) {
	s, err := Parse("COPY (SELECT 1) TO 'o.csv' (format csv, Header)")
	require.NoError(t, err)
	c := s.(*Copy)
	v, ok := c.Option("FORMAT")
	require.True(t, ok)
	require.Equal(t, "csv", v.String())
	v, ok = c.Option("header")
	require.True(t, ok)
	require.Nil(t, v)
	_, ok = c.Option("delimiter")
	require.False(t, ok)
}

func FuzzParse(f *testing.F) {
	for _, tc := range roundTrip {
		f.Add(tc.in)
	}
	f.Add("SELECT ((((((1")
	f.Add("SELECT 'a''b', \"c\"\"d\" FROM x")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.Pos < 0 || e.Pos > len(src) {
				t.Fatalf("error position %d outside [0, %d]: %v", e.Pos, len(src), err)
			}
			_ = err.Error()
			return
		}
		out := s.String()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", out, src, err)
		}
		if out2 := again.String(); out2 != out {
			t.Fatalf("canonical form not stable: %q -> %q", out, out2)
		}
		if !reflect.DeepEqual(stripped(s), stripped(again)) {
			t.Fatalf("re-parse of %q differs from %q", out, src)
		}
	})
}
