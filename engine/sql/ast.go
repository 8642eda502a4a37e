package sql

import (
	"strings"

	"github.com/dfq/dfq/ops/expr"
)

// Node is an AST node. Pos is the byte offset in the query text the node was
// parsed from; String renders canonical SQL that parses back to an equal tree.
type Node interface {
	Pos() int
	String() string
}

// Stmt is a statement: *Select, *Explain, *Describe or *Copy.
type Stmt interface {
	Node
	stmt()
}

// Expr is an expression node.
type Expr interface {
	Node
	prec() int
}

// Binding strength of operators, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precIs      // IS [NOT] NULL
	precCmp     // = <> < <= > >=
	precIn      // [NOT] IN, BETWEEN, LIKE, ILIKE
	precConcat  // ||
	precAdd     // + -
	precMul     // * / %
	precUnary   // unary -
	precPostfix // ::
	precAtom
)

// ---- statements ----

// Select is a query.
type Select struct {
	At       int
	With     []CTE // WITH name AS (query), ...
	Distinct bool
	Items    []SelectItem
	From     *From // nil when the query has no FROM clause
	Where    Expr
	GroupBy  []Expr
	// GroupByAll is GROUP BY ALL: group by every select item without an
	// aggregate (GroupBy is then empty).
	GroupByAll bool
	Having     Expr
	OrderBy    []OrderItem
	Limit      Expr // nil: no limit
	Offset     Expr // nil: no offset
}

// CTE is a named query of a WITH clause.
type CTE struct {
	At    int
	Name  string
	Query *Select
}

// SelectItem is one output of a select list: an expression (a *Star for *
// and t.*) and its alias ("" when none was given).
type SelectItem struct {
	Expr    Expr
	Alias   string
	AliasAt int
}

// Nulls is where an ORDER BY term puts NULLs.
type Nulls uint8

// NULL placements. NullsDefault is NULLS LAST, as in DuckDB.
const (
	NullsDefault Nulls = iota
	NullsFirst
	NullsLast
)

// OrderItem is one ORDER BY term.
type OrderItem struct {
	Expr  Expr
	Desc  bool
	Nulls Nulls
}

// From is a query's source: exactly one of Path (a quoted file name, glob or
// directory), Table (a name: a registered table or a CTE), Func (a table
// function such as read_parquet) or Query (a subquery) is set.
type From struct {
	At      int
	Path    string
	Table   string
	Func    *Call
	Query   *Select
	Alias   string
	AliasAt int
}

// Explain is EXPLAIN [ANALYZE] query.
type Explain struct {
	At      int
	Analyze bool
	Query   *Select
}

// Describe is DESCRIBE source or DESCRIBE query: exactly one is set.
type Describe struct {
	At     int
	Source *From
	Query  *Select
}

// Copy is COPY (query) TO 'path' [(option value, ...)].
type Copy struct {
	At      int
	Query   *Select
	To      string
	ToAt    int
	Options []CopyOption
}

// CopyOption is one COPY option; Value is nil for a bare flag (HEADER).
type CopyOption struct {
	At    int
	Name  string // upper case
	Value Expr
}

func (*Select) stmt()   {}
func (*Explain) stmt()  {}
func (*Describe) stmt() {}
func (*Copy) stmt()     {}

func (s *Select) Pos() int   { return s.At }
func (s *Explain) Pos() int  { return s.At }
func (s *Describe) Pos() int { return s.At }
func (s *Copy) Pos() int     { return s.At }

// Option returns the value of the named COPY option (case-insensitive) and
// whether it is present.
func (c *Copy) Option(name string) (Expr, bool) {
	for _, o := range c.Options {
		if strings.EqualFold(o.Name, name) {
			return o.Value, true
		}
	}
	return nil, false
}

func (s *Select) String() string {
	var b strings.Builder
	if len(s.With) > 0 {
		b.WriteString("WITH ")
		for i, c := range s.With {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(c.Name) + " AS (" + c.Query.String() + ")")
		}
		b.WriteString(" ")
	}
	b.WriteString("SELECT ")
	if s.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, it := range s.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.Expr.String())
		if it.Alias != "" {
			b.WriteString(" AS " + quoteIdent(it.Alias))
		}
	}
	if s.From != nil {
		b.WriteString(" FROM " + s.From.String())
	}
	if s.Where != nil {
		b.WriteString(" WHERE " + s.Where.String())
	}
	if s.GroupByAll {
		b.WriteString(" GROUP BY ALL")
	} else if len(s.GroupBy) > 0 {
		b.WriteString(" GROUP BY " + joinExprs(s.GroupBy))
	}
	if s.Having != nil {
		b.WriteString(" HAVING " + s.Having.String())
	}
	if len(s.OrderBy) > 0 {
		b.WriteString(" ORDER BY " + joinOrder(s.OrderBy))
	}
	if s.Limit != nil {
		b.WriteString(" LIMIT " + s.Limit.String())
	}
	if s.Offset != nil {
		b.WriteString(" OFFSET " + s.Offset.String())
	}
	return b.String()
}

func (f *From) String() string {
	var s string
	switch {
	case f.Query != nil:
		s = "(" + f.Query.String() + ")"
	case f.Func != nil:
		s = f.Func.String()
	case f.Table != "":
		s = quoteIdent(f.Table)
	default:
		s = quoteString(f.Path)
	}
	if f.Alias != "" {
		s += " AS " + quoteIdent(f.Alias)
	}
	return s
}

func (s *Explain) String() string {
	if s.Analyze {
		return "EXPLAIN ANALYZE " + s.Query.String()
	}
	return "EXPLAIN " + s.Query.String()
}

func (s *Describe) String() string {
	if s.Query != nil {
		return "DESCRIBE " + s.Query.String()
	}
	return "DESCRIBE " + s.Source.String()
}

func (s *Copy) String() string {
	var b strings.Builder
	b.WriteString("COPY (" + s.Query.String() + ") TO " + quoteString(s.To))
	if len(s.Options) > 0 {
		b.WriteString(" (")
		for i, o := range s.Options {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(o.Name)
			if o.Value != nil {
				b.WriteString(" " + o.Value.String())
			}
		}
		b.WriteString(")")
	}
	return b.String()
}

// ---- expressions ----

// Ident is a column reference, optionally qualified by a table alias.
type Ident struct {
	At   int
	Qual string // table alias, or ""
	Name string
}

// Star is * or t.* in a select list.
type Star struct {
	At   int
	Qual string
}

// Literal is a constant (see expr.Literal for the types).
type Literal struct {
	At  int
	Val expr.Literal
}

// Unary is -X or NOT X (Op "-" or "NOT").
type Unary struct {
	At int
	Op string
	X  Expr
}

// Binary is L Op R; Op is one of + - * / % = <> < <= > >= AND OR ||.
type Binary struct {
	At   int // the operator's offset
	Op   string
	L, R Expr
}

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	At  int
	X   Expr
	Not bool
}

// In is X [NOT] IN (List...).
type In struct {
	At   int
	X    Expr
	List []Expr
	Not  bool
}

// Between is X [NOT] BETWEEN Lo AND Hi.
type Between struct {
	At        int
	X, Lo, Hi Expr
	Not       bool
}

// Like is X [NOT] LIKE|ILIKE Pattern.
type Like struct {
	At         int
	X, Pattern Expr
	Not, ILike bool
}

// Case is CASE [Operand] WHEN ... THEN ... [ELSE Else] END.
type Case struct {
	At      int
	Operand Expr
	Whens   []When
	Else    Expr
}

// When is one WHEN Cond THEN Result arm.
type When struct {
	Cond, Result Expr
}

// Cast is CAST(X AS Type) or X::Type; Type is lower case, such as "double",
// "decimal(10,2)" or "timestamp with time zone".
type Cast struct {
	At   int
	X    Expr
	Type string
}

// Call is a function call: name(args), count(*), agg(DISTINCT x),
// f(x, name => value) and window calls f() OVER (...).
type Call struct {
	At       int
	Name     string // lower case
	Distinct bool
	Star     bool // count(*)
	Args     []Expr
	Named    []NamedArg
	Over     *Window
}

// NamedArg is name => value in a call.
type NamedArg struct {
	At    int
	Name  string // lower case
	Value Expr
}

// Window is OVER (PARTITION BY ... ORDER BY ...).
type Window struct {
	PartitionBy []Expr
	OrderBy     []OrderItem
}

// Array is [a, b, ...].
type Array struct {
	At    int
	Elems []Expr
}

// Struct is {'key': value, ...}.
type Struct struct {
	At     int
	Fields []StructField
}

// StructField is one key: value of a Struct.
type StructField struct {
	Key   string
	Value Expr
}

func (e *Ident) Pos() int   { return e.At }
func (e *Star) Pos() int    { return e.At }
func (e *Literal) Pos() int { return e.At }
func (e *Unary) Pos() int   { return e.At }
func (e *Binary) Pos() int  { return e.At }
func (e *IsNull) Pos() int  { return e.At }
func (e *In) Pos() int      { return e.At }
func (e *Between) Pos() int { return e.At }
func (e *Like) Pos() int    { return e.At }
func (e *Case) Pos() int    { return e.At }
func (e *Cast) Pos() int    { return e.At }
func (e *Call) Pos() int    { return e.At }
func (e *Array) Pos() int   { return e.At }
func (e *Struct) Pos() int  { return e.At }

func (*Ident) prec() int   { return precAtom }
func (*Star) prec() int    { return precAtom }
func (*IsNull) prec() int  { return precIs }
func (*In) prec() int      { return precIn }
func (*Between) prec() int { return precIn }
func (*Like) prec() int    { return precIn }
func (*Case) prec() int    { return precAtom }
func (*Cast) prec() int    { return precAtom }
func (*Call) prec() int    { return precAtom }
func (*Array) prec() int   { return precAtom }
func (*Struct) prec() int  { return precAtom }

func (e *Literal) prec() int {
	if s := e.Val.String(); strings.HasPrefix(s, "-") {
		return precUnary
	}
	return precAtom
}

func (e *Unary) prec() int {
	if e.Op == "NOT" {
		return precNot
	}
	return precUnary
}

func (e *Binary) prec() int { return binaryPrec[e.Op] }

var binaryPrec = map[string]int{
	"OR": precOr, "AND": precAnd,
	"=": precCmp, "<>": precCmp, "<": precCmp, "<=": precCmp, ">": precCmp, ">=": precCmp,
	"||": precConcat, "+": precAdd, "-": precAdd, "*": precMul, "/": precMul, "%": precMul,
}

// sub renders e, in parentheses when it binds looser than min.
func sub(e Expr, min int) string {
	if e.prec() < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func (e *Ident) String() string {
	if e.Qual != "" {
		return quoteIdent(e.Qual) + "." + quoteIdent(e.Name)
	}
	return quoteIdent(e.Name)
}

func (e *Star) String() string {
	if e.Qual != "" {
		return quoteIdent(e.Qual) + ".*"
	}
	return "*"
}

func (e *Literal) String() string { return e.Val.String() }

func (e *Unary) String() string {
	if e.Op == "NOT" {
		return "NOT " + sub(e.X, precNot)
	}
	s := sub(e.X, precUnary)
	if strings.HasPrefix(s, "-") {
		s = "(" + s + ")" // "--" would start a comment
	}
	return e.Op + s
}

func (e *Binary) String() string {
	p := e.prec()
	return sub(e.L, p) + " " + e.Op + " " + sub(e.R, p+1)
}

func (e *IsNull) String() string {
	if e.Not {
		return sub(e.X, precIs) + " IS NOT NULL"
	}
	return sub(e.X, precIs) + " IS NULL"
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func (e *In) String() string {
	return sub(e.X, precIn) + " " + not(e.Not) + "IN (" + joinExprs(e.List) + ")"
}

func (e *Between) String() string {
	return sub(e.X, precIn) + " " + not(e.Not) + "BETWEEN " + sub(e.Lo, precIn+1) + " AND " + sub(e.Hi, precIn+1)
}

func (e *Like) String() string {
	op := "LIKE "
	if e.ILike {
		op = "ILIKE "
	}
	return sub(e.X, precIn) + " " + not(e.Not) + op + sub(e.Pattern, precIn+1)
}

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	if e.Operand != nil {
		b.WriteString(" " + e.Operand.String())
	}
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	if e.Else != nil {
		b.WriteString(" ELSE " + e.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

func (e *Cast) String() string { return "CAST(" + e.X.String() + " AS " + e.Type + ")" }

func (e *Call) String() string {
	var b strings.Builder
	b.WriteString(e.Name + "(")
	if e.Distinct {
		b.WriteString("DISTINCT ")
	}
	if e.Star {
		b.WriteString("*")
	}
	b.WriteString(joinExprs(e.Args))
	for i, a := range e.Named {
		if i > 0 || len(e.Args) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(a.Name) + " => " + a.Value.String())
	}
	b.WriteString(")")
	if e.Over != nil {
		b.WriteString(" OVER (" + e.Over.String() + ")")
	}
	return b.String()
}

func (w *Window) String() string {
	var parts []string
	if len(w.PartitionBy) > 0 {
		parts = append(parts, "PARTITION BY "+joinExprs(w.PartitionBy))
	}
	if len(w.OrderBy) > 0 {
		parts = append(parts, "ORDER BY "+joinOrder(w.OrderBy))
	}
	return strings.Join(parts, " ")
}

func (e *Array) String() string { return "[" + joinExprs(e.Elems) + "]" }

func (e *Struct) String() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = quoteString(f.Key) + ": " + f.Value.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// String renders the term as SQL.
func (o OrderItem) String() string {
	s := o.Expr.String()
	if o.Desc {
		s += " DESC"
	}
	switch o.Nulls {
	case NullsFirst:
		s += " NULLS FIRST"
	case NullsLast:
		s += " NULLS LAST"
	}
	return s
}

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

func joinOrder(os []OrderItem) string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = o.String()
	}
	return strings.Join(parts, ", ")
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent renders an identifier, quoted when it is not a plain name or is
// a reserved word.
func quoteIdent(s string) string {
	if isPlainIdent(s) && !reserved[strings.ToUpper(s)] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteIdent renders a name as a SQL identifier, quoted when needed.
func QuoteIdent(s string) string { return quoteIdent(s) }

func isPlainIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}
