package sql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dfq/dfq/ops/expr"
)

// MaxDepth bounds the nesting of expressions and subqueries; deeper input is
// an error rather than a stack overflow.
const MaxDepth = 200

// reserved words cannot be bare column names or aliases (quote them).
var reserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`ALL AND ANALYZE AS ASC BETWEEN BY CASE CAST COPY CROSS DESC DESCRIBE
		DISTINCT ELSE END EXCEPT EXISTS EXPLAIN FALSE FROM FULL GROUP HAVING ILIKE IN INNER
		INTERSECT IS JOIN LEFT LIKE LIMIT NATURAL NOT NULL NULLS OFFSET ON OR ORDER OUTER OVER
		PARTITION QUALIFY RIGHT SELECT THEN TO TRUE UNION USING WHEN WHERE WINDOW WITH`) {
		reserved[w] = true
	}
}

// Parse parses one statement; a trailing semicolon is allowed.
func Parse(src string) (Stmt, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	s, err := p.statement()
	if err != nil {
		return nil, err
	}
	p.accept(";")
	if err := p.end(); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseScript parses statements separated by semicolons.
func ParseScript(src string) ([]Stmt, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	var out []Stmt
	for {
		for p.accept(";") {
		}
		if p.peek().kind == tEOF {
			return out, nil
		}
		s, err := p.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if !p.accept(";") {
			if err := p.end(); err != nil {
				return nil, err
			}
		}
	}
}

// ParseExpr parses a single expression, such as "v1 * 2 > 10".
func ParseExpr(src string) (Expr, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return e, nil
}

type parser struct {
	src       string
	toks      []token
	i         int
	depth     int
	lastAlias token // the last alias given without AS, for typo hints
}

// clauseWords are keywords a misspelling of which is often read as an alias.
var clauseWords = []string{"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET"}

func newParser(src string) (*parser, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	return &parser{src: src, toks: toks}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isKw reports whether t is the keyword kw (upper case).
func isKw(t token, kw string) bool { return t.kind == tIdent && strings.EqualFold(t.text, kw) }

func isOp(t token, op string) bool { return t.kind == tOp && t.text == op }

// accept consumes the next token if it is the keyword or operator s.
func (p *parser) accept(s string) bool {
	t := p.peek()
	if isOp(t, s) || isKw(t, s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) errAt(pos int, hint, format string, a ...any) *Error {
	return &Error{SQL: p.src, Pos: pos, Msg: fmt.Sprintf(format, a...), Hint: hint}
}

// unexpected reports the next token where want was expected.
func (p *parser) unexpected(want string) *Error {
	t := p.peek()
	hint := ""
	if t.kind == tIdent {
		if kw := Suggest(t.text, strings.Fields(want)); kw != "" && !strings.EqualFold(kw, t.text) && strings.ToUpper(kw) == kw {
			hint = "did you mean " + kw + "?"
		}
	}
	return p.errAt(t.pos, hint, "unexpected %s, expected %s", t, want)
}

func (p *parser) expect(s string) (token, error) {
	t := p.peek()
	if isOp(t, s) || isKw(t, s) {
		p.i++
		return t, nil
	}
	return t, p.unexpected(s)
}

// end requires the end of input, explaining unsupported constructs.
func (p *parser) end() error {
	t := p.peek()
	if t.kind == tEOF {
		return nil
	}
	for _, kw := range []string{"UNION", "EXCEPT", "INTERSECT"} {
		if isKw(t, kw) {
			return p.errAt(t.pos, "", "set operations (%s) are not supported", kw)
		}
	}
	for _, kw := range []string{"JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL"} {
		if isKw(t, kw) {
			return p.errAt(t.pos, "", "joins are not supported")
		}
	}
	if isOp(t, ",") {
		return p.errAt(t.pos, "", "joins are not supported (only one source per FROM)")
	}
	if a := p.lastAlias; a.kind == tIdent && p.i > 0 && p.toks[p.i-1].pos == a.pos {
		// "SELECT a FORM x": FORM was read as an alias; the typo is there.
		if kw := Suggest(a.text, clauseWords); kw != "" {
			return p.errAt(a.pos, "did you mean "+kw+"?", "unexpected %s, expected end of query", a.text)
		}
	}
	return p.unexpected("end of query")
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errAt(pos, "simplify the query", "query nested too deeply (more than %d levels)", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// ---- statements ----

func (p *parser) statement() (Stmt, error) {
	t := p.peek()
	switch {
	case isKw(t, "SELECT"), isKw(t, "WITH"), isOp(t, "("):
		return p.query()
	case isKw(t, "FROM"):
		return p.query()
	case isKw(t, "EXPLAIN"):
		p.next()
		analyze := p.accept("ANALYZE")
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		return &Explain{At: t.pos, Analyze: analyze, Query: q}, nil
	case isKw(t, "DESCRIBE"), isKw(t, "DESC"):
		p.next()
		n := p.peek()
		if isKw(n, "SELECT") || isKw(n, "WITH") || isOp(n, "(") && (isKw(p.peekAt(1), "SELECT") || isKw(p.peekAt(1), "WITH")) {
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			return &Describe{At: t.pos, Query: q}, nil
		}
		f, err := p.from()
		if err != nil {
			return nil, err
		}
		return &Describe{At: t.pos, Source: f}, nil
	case isKw(t, "COPY"):
		return p.copyStmt()
	}
	return nil, p.unexpected("SELECT, EXPLAIN, DESCRIBE or COPY")
}

func (p *parser) copyStmt() (*Copy, error) {
	t := p.next()
	c := &Copy{At: t.pos}
	if isOp(p.peek(), "(") {
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		c.Query = q
	} else {
		f, err := p.from()
		if err != nil {
			return nil, err
		}
		c.Query = &Select{At: f.At, Items: []SelectItem{{Expr: &Star{At: f.At}}}, From: f}
	}
	if _, err := p.expect("TO"); err != nil {
		return nil, err
	}
	to := p.next()
	if to.kind != tString {
		return nil, p.errAt(to.pos, "quote the file name: TO 'out.parquet'", "unexpected %s, expected a file name", to)
	}
	c.To, c.ToAt = to.text, to.pos
	if p.accept("(") {
		for {
			o := p.next()
			if o.kind != tIdent && o.kind != tQIdent {
				return nil, p.errAt(o.pos, "", "unexpected %s, expected a COPY option such as FORMAT", o)
			}
			opt := CopyOption{At: o.pos, Name: strings.ToUpper(o.text)}
			if n := p.peek(); !isOp(n, ",") && !isOp(n, ")") {
				var v Expr
				if n.kind == tIdent && !reserved[strings.ToUpper(n.text)] {
					p.next()
					v = &Ident{At: n.pos, Name: n.text}
				} else {
					var err error
					if v, err = p.expr(0); err != nil {
						return nil, err
					}
				}
				opt.Value = v
			}
			c.Options = append(c.Options, opt)
			if p.accept(",") {
				continue
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			break
		}
	}
	return c, nil
}

// query parses [WITH ...] SELECT ..., a parenthesised query, or the
// FROM-first shorthand FROM source [WHERE ...] (SELECT * implied).
func (p *parser) query() (*Select, error) {
	t := p.peek()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	if isOp(t, "(") {
		p.next()
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return q, nil
	}
	var with []CTE
	if p.accept("WITH") {
		for {
			n := p.next()
			if n.kind != tIdent && n.kind != tQIdent || n.kind == tIdent && reserved[strings.ToUpper(n.text)] {
				return nil, p.errAt(n.pos, "", "unexpected %s, expected a name for the WITH query", n)
			}
			if _, err := p.expect("AS"); err != nil {
				return nil, err
			}
			if !isOp(p.peek(), "(") {
				return nil, p.unexpected("(")
			}
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			for _, c := range with {
				if strings.EqualFold(c.Name, n.text) {
					return nil, p.errAt(n.pos, "", "WITH query %s is defined twice", n.text)
				}
			}
			with = append(with, CTE{At: n.pos, Name: n.text, Query: q})
			if !p.accept(",") {
				break
			}
		}
	}
	s, err := p.selectBody()
	if err != nil {
		return nil, err
	}
	if with != nil {
		if len(s.With) > 0 {
			return nil, p.errAt(s.At, "", "nested WITH clauses are not supported")
		}
		s.With = with
	}
	return s, nil
}

func (p *parser) selectBody() (*Select, error) {
	t := p.peek()
	if isOp(t, "(") {
		return p.query()
	}
	s := &Select{At: t.pos}
	if isKw(t, "FROM") {
		// FROM-first: FROM x [WHERE ...] means SELECT * FROM x ...
		p.next()
		f, err := p.from()
		if err != nil {
			return nil, err
		}
		s.From = f
		s.Items = []SelectItem{{Expr: &Star{At: t.pos}}}
		if isKw(p.peek(), "SELECT") {
			p.next()
			if s.Items, err = p.selectList(s); err != nil {
				return nil, err
			}
		}
		return s, p.clauses(s)
	}
	if _, err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	var err error
	if s.Items, err = p.selectList(s); err != nil {
		return nil, err
	}
	if p.accept("FROM") {
		if s.From, err = p.from(); err != nil {
			return nil, err
		}
	}
	return s, p.clauses(s)
}

func (p *parser) selectList(s *Select) ([]SelectItem, error) {
	if p.accept("DISTINCT") {
		s.Distinct = true
		if isKw(p.peek(), "ON") {
			return nil, p.errAt(p.peek().pos, "", "DISTINCT ON is not supported")
		}
	} else {
		p.accept("ALL")
	}
	var items []SelectItem
	for {
		it, err := p.selectItem()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if !p.accept(",") {
			return items, nil
		}
		if isKw(p.peek(), "FROM") { // trailing comma, as DuckDB allows
			return items, nil
		}
	}
}

func (p *parser) selectItem() (SelectItem, error) {
	t := p.peek()
	if isOp(t, "*") {
		p.next()
		return SelectItem{Expr: &Star{At: t.pos}}, nil
	}
	if (t.kind == tIdent || t.kind == tQIdent) && isOp(p.peekAt(1), ".") && isOp(p.peekAt(2), "*") {
		p.i += 3
		return SelectItem{Expr: &Star{At: t.pos, Qual: t.text}}, nil
	}
	e, err := p.expr(0)
	if err != nil {
		return SelectItem{}, err
	}
	it := SelectItem{Expr: e}
	alias, at, ok, err := p.alias()
	if err != nil {
		return it, err
	}
	if ok {
		it.Alias, it.AliasAt = alias, at
	}
	return it, nil
}

// alias parses [AS] name.
func (p *parser) alias() (string, int, bool, error) {
	if p.accept("AS") {
		t := p.next()
		if t.kind == tQIdent || t.kind == tIdent && !reserved[strings.ToUpper(t.text)] || t.kind == tString {
			return t.text, t.pos, true, nil
		}
		return "", 0, false, p.errAt(t.pos, "quote the name to use a reserved word: \"name\"", "unexpected %s, expected a name after AS", t)
	}
	t := p.peek()
	if t.kind == tQIdent || t.kind == tIdent && !reserved[strings.ToUpper(t.text)] {
		p.next()
		p.lastAlias = t
		return t.text, t.pos, true, nil
	}
	return "", 0, false, nil
}

func (p *parser) from() (*From, error) {
	t := p.peek()
	f := &From{At: t.pos}
	switch {
	case t.kind == tString:
		p.next()
		f.Path = t.text
	case isOp(t, "("):
		if n := p.peekAt(1); !isKw(n, "SELECT") && !isKw(n, "WITH") && !isKw(n, "FROM") && !isOp(n, "(") {
			p.next()
			return nil, p.unexpected("a subquery (SELECT ...)")
		}
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		f.Query = q
	case t.kind == tIdent && isOp(p.peekAt(1), "("):
		if reserved[strings.ToUpper(t.text)] {
			return nil, p.unexpected("a file name, table name, table function or subquery")
		}
		e, err := p.primary()
		if err != nil {
			return nil, err
		}
		c, ok := e.(*Call)
		if !ok || c.Over != nil {
			return nil, p.errAt(t.pos, "", "expected a table function such as read_parquet(...)")
		}
		f.Func = c
	case t.kind == tQIdent || t.kind == tIdent && !reserved[strings.ToUpper(t.text)]:
		p.next()
		f.Table = t.text
		if isOp(p.peek(), ".") {
			return nil, p.errAt(p.peek().pos, "to read a file, quote its name: FROM '"+t.text+".parquet'", "qualified table names are not supported")
		}
	default:
		return nil, p.unexpected("a file name, table name, table function or subquery")
	}
	alias, at, ok, err := p.alias()
	if err != nil {
		return nil, err
	}
	if ok {
		f.Alias, f.AliasAt = alias, at
		if isOp(p.peek(), "(") {
			return nil, p.errAt(p.peek().pos, "", "column aliases in FROM are not supported")
		}
	}
	return f, nil
}

// clauses parses WHERE ... LIMIT/OFFSET after the FROM clause.
func (p *parser) clauses(s *Select) error {
	var err error
	if p.accept("WHERE") {
		if s.Where, err = p.expr(0); err != nil {
			return err
		}
	}
	if t := p.peek(); isKw(t, "GROUP") {
		p.next()
		if _, err := p.expect("BY"); err != nil {
			return err
		}
		if p.accept("ALL") {
			s.GroupByAll = true
		} else if s.GroupBy, err = p.exprList(); err != nil {
			return err
		}
	}
	if p.accept("HAVING") {
		if s.Having, err = p.expr(0); err != nil {
			return err
		}
	}
	if t := p.peek(); isKw(t, "QUALIFY") || isKw(t, "WINDOW") {
		return p.errAt(t.pos, "", "%s is not supported", strings.ToUpper(t.text))
	}
	if t := p.peek(); isKw(t, "ORDER") {
		p.next()
		if _, err := p.expect("BY"); err != nil {
			return err
		}
		if s.OrderBy, err = p.orderList(); err != nil {
			return err
		}
	}
	for {
		switch {
		case s.Limit == nil && p.accept("LIMIT"):
			if s.Limit, err = p.expr(0); err != nil {
				return err
			}
		case s.Offset == nil && p.accept("OFFSET"):
			if s.Offset, err = p.expr(0); err != nil {
				return err
			}
			p.accept("ROWS")
		default:
			return nil
		}
	}
}

func (p *parser) exprList() ([]Expr, error) {
	var out []Expr
	for {
		e, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.accept(",") {
			return out, nil
		}
	}
}

func (p *parser) orderList() ([]OrderItem, error) {
	var out []OrderItem
	for {
		e, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		o := OrderItem{Expr: e}
		if p.accept("DESC") {
			o.Desc = true
		} else {
			p.accept("ASC")
		}
		if p.accept("NULLS") {
			switch {
			case p.accept("FIRST"):
				o.Nulls = NullsFirst
			case p.accept("LAST"):
				o.Nulls = NullsLast
			default:
				return nil, p.unexpected("FIRST or LAST")
			}
		}
		out = append(out, o)
		if !p.accept(",") {
			return out, nil
		}
	}
}

// ---- expressions ----

// infix returns the binding strength of the operator starting at the next
// token (0 if none), and its canonical name.
func (p *parser) infix() (int, string) {
	t := p.peek()
	switch t.kind {
	case tOp:
		switch t.text {
		case "=", "==":
			return precCmp, "="
		case "<>", "!=":
			return precCmp, "<>"
		case "<", "<=", ">", ">=":
			return precCmp, t.text
		case "||":
			return precConcat, "||"
		case "+", "-":
			return precAdd, t.text
		case "*", "/", "%":
			return precMul, t.text
		case "::":
			return precPostfix, "::"
		}
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "OR":
			return precOr, "OR"
		case "AND":
			return precAnd, "AND"
		case "IS":
			return precIs, "IS"
		case "IN", "BETWEEN", "LIKE", "ILIKE":
			return precIn, strings.ToUpper(t.text)
		case "NOT":
			n := p.peekAt(1)
			for _, kw := range []string{"IN", "BETWEEN", "LIKE", "ILIKE"} {
				if isKw(n, kw) {
					return precIn, "NOT " + kw
				}
			}
		}
	}
	return 0, ""
}

// expr parses an expression whose operators bind at least as tightly as min.
func (p *parser) expr(min int) (Expr, error) {
	if err := p.enter(p.peek().pos); err != nil {
		return nil, err
	}
	defer p.leave()
	left, err := p.prefix()
	if err != nil {
		return nil, err
	}
	for {
		prec, op := p.infix()
		if prec == 0 || prec < min {
			return left, nil
		}
		t := p.next()
		switch {
		case op == "::":
			typ, err := p.typeName()
			if err != nil {
				return nil, err
			}
			left = &Cast{At: t.pos, X: left, Type: typ}
		case op == "IS":
			not := p.accept("NOT")
			if !p.accept("NULL") {
				return nil, p.unexpected("NULL")
			}
			left = &IsNull{At: t.pos, X: left, Not: not}
		case op == "IN" || op == "NOT IN":
			if op == "NOT IN" {
				p.next()
			}
			if _, err := p.expect("("); err != nil {
				return nil, err
			}
			if n := p.peek(); isKw(n, "SELECT") || isKw(n, "WITH") {
				return nil, p.errAt(n.pos, "", "subqueries in IN are not supported")
			}
			if isOp(p.peek(), ")") {
				return nil, p.unexpected("a value")
			}
			list, err := p.exprList()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			left = &In{At: t.pos, X: left, List: list, Not: op == "NOT IN"}
		case op == "BETWEEN" || op == "NOT BETWEEN":
			if op == "NOT BETWEEN" {
				p.next()
			}
			lo, err := p.expr(precIn + 1)
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("AND"); err != nil {
				return nil, err
			}
			hi, err := p.expr(precIn + 1)
			if err != nil {
				return nil, err
			}
			left = &Between{At: t.pos, X: left, Lo: lo, Hi: hi, Not: op == "NOT BETWEEN"}
		case strings.HasSuffix(op, "LIKE"):
			if strings.HasPrefix(op, "NOT") {
				p.next()
			}
			pat, err := p.expr(precIn + 1)
			if err != nil {
				return nil, err
			}
			left = &Like{At: t.pos, X: left, Pattern: pat, Not: strings.HasPrefix(op, "NOT"), ILike: strings.HasSuffix(op, "ILIKE")}
		default:
			right, err := p.expr(prec + 1)
			if err != nil {
				return nil, err
			}
			left = &Binary{At: t.pos, Op: op, L: left, R: right}
		}
	}
}

// prefix parses unary operators and a primary expression.
func (p *parser) prefix() (Expr, error) {
	t := p.peek()
	switch {
	case isKw(t, "NOT"):
		p.next()
		x, err := p.expr(precNot)
		if err != nil {
			return nil, err
		}
		return &Unary{At: t.pos, Op: "NOT", X: x}, nil
	case isOp(t, "-"), isOp(t, "+"):
		p.next()
		x, err := p.expr(precUnary)
		if err != nil {
			return nil, err
		}
		if t.text == "+" {
			return x, nil
		}
		if l, ok := x.(*Literal); ok {
			switch l.Val.Type {
			case "int64":
				if l.Val.I != math.MinInt64 {
					return &Literal{At: t.pos, Val: expr.Literal{Type: "int64", I: -l.Val.I}}, nil
				}
			case "float64":
				return &Literal{At: t.pos, Val: expr.Literal{Type: "float64", F: -l.Val.F}}, nil
			}
		}
		return &Unary{At: t.pos, Op: "-", X: x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tNumber:
		return p.number(t)
	case tString:
		return &Literal{At: t.pos, Val: expr.Literal{Type: "string", S: t.text}}, nil
	case tQIdent:
		return p.ident(t)
	case tOp:
		switch t.text {
		case "(":
			if n := p.peek(); isKw(n, "SELECT") || isKw(n, "WITH") {
				return nil, p.errAt(n.pos, "", "subqueries in expressions are not supported")
			}
			e, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return e, nil
		case "[":
			a := &Array{At: t.pos}
			if !p.accept("]") {
				var err error
				if a.Elems, err = p.exprList(); err != nil {
					return nil, err
				}
				if _, err := p.expect("]"); err != nil {
					return nil, err
				}
			}
			return a, nil
		case "{":
			return p.structLit(t)
		case "*":
			return nil, p.errAt(t.pos, "", "* is only allowed alone in the select list or in count(*)")
		}
		p.i--
		return nil, p.unexpected("an expression")
	case tEOF:
		return nil, p.unexpected("an expression")
	}
	// tIdent: keywords first.
	switch up := strings.ToUpper(t.text); up {
	case "NULL":
		return &Literal{At: t.pos, Val: expr.Literal{Type: "null"}}, nil
	case "TRUE", "FALSE":
		return &Literal{At: t.pos, Val: expr.Literal{Type: "bool", B: up == "TRUE"}}, nil
	case "DATE", "TIMESTAMP":
		if s := p.peek(); s.kind == tString {
			p.next()
			return p.typedLiteral(t, up, s)
		}
	case "CASE":
		return p.caseExpr(t)
	case "CAST", "TRY_CAST":
		if up == "TRY_CAST" && !isOp(p.peek(), "(") {
			break
		}
		if up == "TRY_CAST" {
			return nil, p.errAt(t.pos, "use CAST", "TRY_CAST is not supported")
		}
		if _, err := p.expect("("); err != nil {
			return nil, err
		}
		x, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("AS"); err != nil {
			return nil, err
		}
		typ, err := p.typeName()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return &Cast{At: t.pos, X: x, Type: typ}, nil
	case "EXISTS":
		return nil, p.errAt(t.pos, "", "subqueries in expressions are not supported")
	case "INTERVAL":
		if p.peek().kind == tString {
			return nil, p.errAt(t.pos, "", "INTERVAL literals are not supported")
		}
	}
	if isOp(p.peek(), "(") && (!reserved[strings.ToUpper(t.text)] || isKw(t, "LEFT") || isKw(t, "RIGHT")) {
		return p.call(t)
	}
	if reserved[strings.ToUpper(t.text)] {
		p.i--
		return nil, p.unexpected("an expression")
	}
	return p.ident(t)
}

func (p *parser) ident(t token) (Expr, error) {
	if !isOp(p.peek(), ".") {
		return &Ident{At: t.pos, Name: t.text}, nil
	}
	p.next()
	n := p.next()
	switch {
	case n.kind == tQIdent || n.kind == tIdent:
		if isOp(p.peek(), ".") {
			return nil, p.errAt(p.peek().pos, "", "names with more than one qualifier are not supported")
		}
		if isOp(p.peek(), "(") {
			return nil, p.errAt(n.pos, "", "qualified function names are not supported")
		}
		return &Ident{At: t.pos, Qual: t.text, Name: n.text}, nil
	case isOp(n, "*"):
		return nil, p.errAt(t.pos, "", "%s.* is only allowed in the select list", t.text)
	}
	p.i--
	return nil, p.unexpected("a column name after " + t.text + ".")
}

func (p *parser) number(t token) (Expr, error) {
	text := strings.ReplaceAll(t.text, "_", "")
	if !strings.ContainsAny(text, ".eE") {
		v, err := strconv.ParseInt(text, 10, 64)
		if err == nil {
			return &Literal{At: t.pos, Val: expr.Literal{Type: "int64", I: v}}, nil
		}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) {
		return nil, p.errAt(t.pos, "", "number %s is out of range", t.text)
	}
	return &Literal{At: t.pos, Val: expr.Literal{Type: "float64", F: v}}, nil
}

// typedLiteral parses DATE 'yyyy-mm-dd' and TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.f]'.
func (p *parser) typedLiteral(kw token, typ string, s token) (Expr, error) {
	text := strings.TrimSpace(s.text)
	if typ == "DATE" {
		d, err := time.Parse("2006-01-02", text)
		if err != nil {
			return nil, p.errAt(s.pos, "write dates as 'YYYY-MM-DD'", "invalid date %s", s)
		}
		days := d.Unix() / 86400 // d is a UTC midnight
		return &Literal{At: kw.pos, Val: expr.Literal{Type: "date", I: days}}, nil
	}
	us, ok := parseTimestamp(text)
	if !ok {
		return nil, p.errAt(s.pos, "write timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff]'", "invalid timestamp %s", s)
	}
	return &Literal{At: kw.pos, Val: expr.Literal{Type: "timestamp", I: us}}, nil
}

// parseTimestamp parses 'YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]' (or with T, and an
// optional Z or ±hh:mm offset) as microseconds since the epoch, UTC.
func parseTimestamp(s string) (int64, bool) {
	layouts := []string{
		"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 0 || t.Year() > 9999 {
				return 0, false
			}
			return t.UnixMicro(), true
		}
	}
	return 0, false
}

func (p *parser) caseExpr(t token) (Expr, error) {
	c := &Case{At: t.pos}
	var err error
	if isKw(p.peek(), "END") {
		return nil, p.unexpected("WHEN")
	}
	if !isKw(p.peek(), "WHEN") {
		if c.Operand, err = p.expr(0); err != nil {
			return nil, err
		}
	}
	for p.accept("WHEN") {
		var w When
		if w.Cond, err = p.expr(0); err != nil {
			return nil, err
		}
		if _, err := p.expect("THEN"); err != nil {
			return nil, err
		}
		if w.Result, err = p.expr(0); err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		return nil, p.unexpected("WHEN")
	}
	if p.accept("ELSE") {
		if c.Else, err = p.expr(0); err != nil {
			return nil, err
		}
	}
	if _, err := p.expect("END"); err != nil {
		return nil, err
	}
	return c, nil
}

// typeName parses a type: one or more words with an optional (n[, m]) and
// trailing [] (arrays are reported by the binder). It returns the lower-case
// canonical text.
func (p *parser) typeName() (string, error) {
	t := p.next()
	if t.kind != tIdent && t.kind != tQIdent {
		return "", p.errAt(t.pos, "", "unexpected %s, expected a type name", t)
	}
	words := []string{strings.ToLower(t.text)}
	for {
		n := p.peek()
		w := strings.ToUpper(n.text)
		if n.kind == tIdent && (w == "PRECISION" || w == "VARYING" || w == "WITH" || w == "WITHOUT" || w == "TIME" || w == "ZONE") {
			p.next()
			words = append(words, strings.ToLower(n.text))
			continue
		}
		break
	}
	typ := strings.Join(words, " ")
	if p.accept("(") {
		var params []string
		for {
			n := p.next()
			if n.kind != tNumber {
				return "", p.errAt(n.pos, "", "unexpected %s, expected a number in the type %s(...)", n, typ)
			}
			params = append(params, n.text)
			if !p.accept(",") {
				break
			}
		}
		if _, err := p.expect(")"); err != nil {
			return "", err
		}
		typ += "(" + strings.Join(params, ",") + ")"
	}
	for isOp(p.peek(), "[") && isOp(p.peekAt(1), "]") {
		p.i += 2
		typ += "[]"
	}
	return typ, nil
}

func (p *parser) call(name token) (Expr, error) {
	p.next() // (
	c := &Call{At: name.pos, Name: strings.ToLower(name.text)}
	if p.accept("DISTINCT") {
		c.Distinct = true
	} else {
		p.accept("ALL")
	}
	switch {
	case isOp(p.peek(), "*"):
		p.next()
		c.Star = true
	case isOp(p.peek(), ")"):
	default:
		for {
			if n := p.peek(); (n.kind == tIdent || n.kind == tQIdent) && (isOp(p.peekAt(1), "=>") || isOp(p.peekAt(1), ":=")) {
				p.i += 2
				v, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				for _, a := range c.Named {
					if a.Name == strings.ToLower(n.text) {
						return nil, p.errAt(n.pos, "", "argument %s is given twice", n.text)
					}
				}
				c.Named = append(c.Named, NamedArg{At: n.pos, Name: strings.ToLower(n.text), Value: v})
			} else {
				if len(c.Named) > 0 {
					return nil, p.errAt(n.pos, "", "positional arguments must come before named arguments")
				}
				e, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				c.Args = append(c.Args, e)
			}
			if !p.accept(",") {
				break
			}
		}
	}
	if isKw(p.peek(), "ORDER") {
		return nil, p.errAt(p.peek().pos, "", "ORDER BY inside an aggregate is not supported")
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	if isKw(p.peek(), "FILTER") && isOp(p.peekAt(1), "(") {
		return nil, p.errAt(p.peek().pos, "use CASE WHEN inside the aggregate", "FILTER clauses are not supported")
	}
	if p.accept("OVER") {
		if _, err := p.expect("("); err != nil {
			return nil, err
		}
		w := &Window{}
		if isKw(p.peek(), "PARTITION") {
			p.next()
			if _, err := p.expect("BY"); err != nil {
				return nil, err
			}
			var err error
			if w.PartitionBy, err = p.exprList(); err != nil {
				return nil, err
			}
		}
		if isKw(p.peek(), "ORDER") {
			p.next()
			if _, err := p.expect("BY"); err != nil {
				return nil, err
			}
			var err error
			if w.OrderBy, err = p.orderList(); err != nil {
				return nil, err
			}
		}
		if t := p.peek(); isKw(t, "ROWS") || isKw(t, "RANGE") || isKw(t, "GROUPS") {
			return nil, p.errAt(t.pos, "", "window frames are not supported")
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		c.Over = w
	}
	return c, nil
}

func (p *parser) structLit(t token) (Expr, error) {
	s := &Struct{At: t.pos}
	if p.accept("}") {
		return s, nil
	}
	for {
		k := p.next()
		if k.kind != tString && k.kind != tIdent && k.kind != tQIdent {
			return nil, p.errAt(k.pos, "", "unexpected %s, expected a key such as 'name'", k)
		}
		if _, err := p.expect(":"); err != nil {
			return nil, err
		}
		v, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		s.Fields = append(s.Fields, StructField{Key: k.text, Value: v})
		if !p.accept(",") {
			break
		}
	}
	if _, err := p.expect("}"); err != nil {
		return nil, err
	}
	return s, nil
}
