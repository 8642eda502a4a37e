package expr

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind says what an Expr node is.
type Kind string

// Expression node kinds.
const (
	KindCol  Kind = "col"  // a column, by Name
	KindLit  Kind = "lit"  // a literal, Lit
	KindCall Kind = "call" // a function or operator Name applied to Args
	KindCast Kind = "cast" // Args[0] cast to Type
)

// Function and operator names used in KindCall nodes. Binary operators take two
// arguments; "case" takes [when1, then1, when2, then2, ...] plus an optional
// trailing else (odd argument count); "in" takes [x, v1, v2, ...]; "between"
// takes [x, lo, hi]; "like"/"ilike" take [x, pattern].
const (
	OpAdd = "+"
	OpSub = "-"
	OpMul = "*"
	OpDiv = "/"
	OpMod = "%"
	OpNeg = "neg"

	OpEq = "="
	OpNe = "!="
	OpLt = "<"
	OpLe = "<="
	OpGt = ">"
	OpGe = ">="

	OpAnd       = "and"
	OpOr        = "or"
	OpNot       = "not"
	OpIsNull    = "is_null"
	OpIsNotNull = "is_not_null"
	OpIn        = "in"
	OpBetween   = "between"
	OpLike      = "like"
	OpILike     = "ilike"
	OpCase      = "case"
	OpCoalesce  = "coalesce"
)

// Literal is a typed constant. Type is one of "null", "bool", "int64",
// "float64", "string", "date" (I: days since 1970-01-01), "timestamp" (I:
// microseconds since the epoch, UTC) or "decimal" (S: the exact decimal text).
type Literal struct {
	Type string  `json:"type"`
	I    int64   `json:"i,omitempty"`
	F    float64 `json:"f,omitempty"`
	S    string  `json:"s,omitempty"`
	B    bool    `json:"b,omitempty"`
}

// Expr is an expression tree node. It is plain data: immutable once built,
// JSON-serialisable, and bound to a schema with Bind before evaluation.
type Expr struct {
	Kind Kind     `json:"kind"`
	Name string   `json:"name,omitempty"` // column name (col) or function name (call)
	Lit  *Literal `json:"lit,omitempty"`
	Args []*Expr  `json:"args,omitempty"`
	Type string   `json:"type,omitempty"` // target type of a cast, see ParseType
	// Pos is the byte offset of the expression in the SQL text it came from, or
	// -1 when it was not parsed from SQL. Errors about the node carry it.
	Pos int `json:"pos,omitempty"`
}

// Col returns a reference to the column name.
func Col(name string) *Expr { return &Expr{Kind: KindCol, Name: name, Pos: -1} }

// Int returns an int64 literal.
func Int(v int64) *Expr { return lit(Literal{Type: "int64", I: v}) }

// Float returns a float64 literal.
func Float(v float64) *Expr { return lit(Literal{Type: "float64", F: v}) }

// Str returns a string literal.
func Str(v string) *Expr { return lit(Literal{Type: "string", S: v}) }

// Bool returns a boolean literal.
func Bool(v bool) *Expr { return lit(Literal{Type: "bool", B: v}) }

// Null returns the NULL literal.
func Null() *Expr { return lit(Literal{Type: "null"}) }

// Date returns a date literal, days since 1970-01-01.
func Date(days int32) *Expr { return lit(Literal{Type: "date", I: int64(days)}) }

// Timestamp returns a timestamp literal, microseconds since the epoch (UTC).
func Timestamp(micros int64) *Expr { return lit(Literal{Type: "timestamp", I: micros}) }

// Decimal returns an exact decimal literal from its text, such as "12.50".
func Decimal(text string) *Expr { return lit(Literal{Type: "decimal", S: text}) }

func lit(l Literal) *Expr { return &Expr{Kind: KindLit, Lit: &l, Pos: -1} }

// Call returns the function or operator name applied to args.
func Call(name string, args ...*Expr) *Expr {
	return &Expr{Kind: KindCall, Name: strings.ToLower(name), Args: args, Pos: -1}
}

// Cast returns e cast to the named type (see ParseType).
func Cast(e *Expr, typ string) *Expr {
	return &Expr{Kind: KindCast, Args: []*Expr{e}, Type: typ, Pos: -1}
}

// Convenience constructors for operators; each returns a new node.
func (e *Expr) Add(o *Expr) *Expr   { return Call(OpAdd, e, o) }
func (e *Expr) Sub(o *Expr) *Expr   { return Call(OpSub, e, o) }
func (e *Expr) Mul(o *Expr) *Expr   { return Call(OpMul, e, o) }
func (e *Expr) Div(o *Expr) *Expr   { return Call(OpDiv, e, o) }
func (e *Expr) Mod(o *Expr) *Expr   { return Call(OpMod, e, o) }
func (e *Expr) Eq(o *Expr) *Expr    { return Call(OpEq, e, o) }
func (e *Expr) Ne(o *Expr) *Expr    { return Call(OpNe, e, o) }
func (e *Expr) Lt(o *Expr) *Expr    { return Call(OpLt, e, o) }
func (e *Expr) Le(o *Expr) *Expr    { return Call(OpLe, e, o) }
func (e *Expr) Gt(o *Expr) *Expr    { return Call(OpGt, e, o) }
func (e *Expr) Ge(o *Expr) *Expr    { return Call(OpGe, e, o) }
func (e *Expr) And(o *Expr) *Expr   { return Call(OpAnd, e, o) }
func (e *Expr) Or(o *Expr) *Expr    { return Call(OpOr, e, o) }
func (e *Expr) Not() *Expr          { return Call(OpNot, e) }
func (e *Expr) IsNull() *Expr       { return Call(OpIsNull, e) }
func (e *Expr) IsNotNull() *Expr    { return Call(OpIsNotNull, e) }
func (e *Expr) Like(p string) *Expr { return Call(OpLike, e, Str(p)) }
func (e *Expr) Between(lo, hi *Expr) *Expr {
	return Call(OpBetween, e, lo, hi)
}
func (e *Expr) In(vals ...*Expr) *Expr {
	return Call(OpIn, append([]*Expr{e}, vals...)...)
}

// Columns returns the distinct column names e references, sorted.
func Columns(es ...*Expr) []string {
	seen := map[string]bool{}
	var walk func(*Expr)
	walk = func(e *Expr) {
		if e == nil {
			return
		}
		if e.Kind == KindCol {
			seen[e.Name] = true
		}
		for _, a := range e.Args {
			walk(a)
		}
	}
	for _, e := range es {
		walk(e)
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Conjuncts splits e at top-level ANDs.
func Conjuncts(e *Expr) []*Expr {
	if e == nil {
		return nil
	}
	if e.Kind == KindCall && e.Name == OpAnd && len(e.Args) == 2 {
		return append(Conjuncts(e.Args[0]), Conjuncts(e.Args[1])...)
	}
	return []*Expr{e}
}

// AndAll joins es with AND; nil for none.
func AndAll(es ...*Expr) *Expr {
	var out *Expr
	for _, e := range es {
		if e == nil {
			continue
		}
		if out == nil {
			out = e
		} else {
			out = out.And(e)
		}
	}
	return out
}

var infix = map[string]bool{OpAdd: true, OpSub: true, OpMul: true, OpDiv: true, OpMod: true,
	OpEq: true, OpNe: true, OpLt: true, OpLe: true, OpGt: true, OpGe: true, OpAnd: true, OpOr: true,
	OpLike: true, OpILike: true}

// String renders e as SQL-like text, used in EXPLAIN and as a default output name.
func (e *Expr) String() string {
	if e == nil {
		return "<nil>"
	}
	switch e.Kind {
	case KindCol:
		if isIdent(e.Name) {
			return e.Name
		}
		return `"` + strings.ReplaceAll(e.Name, `"`, `""`) + `"`
	case KindLit:
		return e.Lit.String()
	case KindCast:
		return fmt.Sprintf("CAST(%s AS %s)", e.Args[0], e.Type)
	}
	a := e.Args
	switch {
	case infix[e.Name] && len(a) == 2:
		return fmt.Sprintf("(%s %s %s)", a[0], strings.ToUpper(e.Name), a[1])
	case e.Name == OpNeg && len(a) == 1:
		return "(-" + a[0].String() + ")"
	case e.Name == OpNot && len(a) == 1:
		return "(NOT " + a[0].String() + ")"
	case e.Name == OpIsNull && len(a) == 1:
		return "(" + a[0].String() + " IS NULL)"
	case e.Name == OpIsNotNull && len(a) == 1:
		return "(" + a[0].String() + " IS NOT NULL)"
	case e.Name == OpBetween && len(a) == 3:
		return fmt.Sprintf("(%s BETWEEN %s AND %s)", a[0], a[1], a[2])
	case e.Name == OpIn && len(a) >= 1:
		return fmt.Sprintf("(%s IN (%s))", a[0], joinExprs(a[1:]))
	case e.Name == OpCase:
		var b strings.Builder
		b.WriteString("CASE")
		i := 0
		for ; i+1 < len(a); i += 2 {
			fmt.Fprintf(&b, " WHEN %s THEN %s", a[i], a[i+1])
		}
		if i < len(a) {
			fmt.Fprintf(&b, " ELSE %s", a[i])
		}
		b.WriteString(" END")
		return b.String()
	}
	return e.Name + "(" + joinExprs(a) + ")"
}

func joinExprs(es []*Expr) string {
	parts := make([]string, len(es))
	for i, x := range es {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// String renders the literal as SQL.
func (l *Literal) String() string {
	switch l.Type {
	case "null":
		return "NULL"
	case "bool":
		if l.B {
			return "TRUE"
		}
		return "FALSE"
	case "int64":
		return strconv.FormatInt(l.I, 10)
	case "float64":
		s := strconv.FormatFloat(l.F, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	case "string":
		return "'" + strings.ReplaceAll(l.S, "'", "''") + "'"
	case "date":
		return "DATE '" + FormatDate(int32(l.I)) + "'"
	case "timestamp":
		return "TIMESTAMP '" + FormatTimestampMicros(l.I) + "'"
	case "decimal":
		return l.S
	}
	return "?" + l.Type
}
