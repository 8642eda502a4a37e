package expr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
)

// funcDef describes a function or operator: its arity (max < 0: variadic)
// and how it binds.
type funcDef struct {
	min, max int
	bind     func(b *binder, e *Expr, args []node) (node, error)
}

var funcs map[string]funcDef

func init() {
	arith := funcDef{2, 2, bindArith}
	cmp := funcDef{2, 2, func(b *binder, e *Expr, a []node) (node, error) { return b.compare(e.Name, a[0], a[1], e.Pos) }}
	funcs = map[string]funcDef{
		OpAdd: arith, OpSub: arith, OpMul: arith, OpDiv: arith, OpMod: arith,
		OpNeg: {1, 1, bindNeg},
		OpEq:  cmp, OpNe: cmp, OpLt: cmp, OpLe: cmp, OpGt: cmp, OpGe: cmp,
		"<>":        cmp,
		"==":        cmp,
		OpAnd:       {2, -1, bindLogic},
		OpOr:        {2, -1, bindLogic},
		OpNot:       {1, 1, bindNot},
		OpIsNull:    {1, 1, bindIsNull},
		OpIsNotNull: {1, 1, bindIsNull},
		OpIn:        {2, -1, bindIn},
		OpBetween:   {3, 3, bindBetween},
		OpLike:      {2, 2, bindLike},
		OpILike:     {2, 2, bindLike},
		OpCase:      {1, -1, bindCase},
		OpCoalesce:  {1, -1, bindCoalesce},
	}
	for name, f := range scalarFuncs {
		funcs[name] = f
	}
}

// opName renders an operator or function name for messages.
func opName(name string) string {
	switch name {
	case OpAnd, OpOr, OpNot, OpIn, OpBetween, OpLike, OpILike, OpCase:
		return strings.ToUpper(name)
	case OpIsNull:
		return "IS NULL"
	case OpIsNotNull:
		return "IS NOT NULL"
	case OpNeg:
		return "unary -"
	}
	return name
}

func (b *binder) call(e *Expr, args []node) (node, error) {
	if lower := strings.ToLower(e.Name); lower != e.Name {
		e2 := *e
		e2.Name = lower
		e = &e2
	}
	f, ok := funcs[e.Name]
	if !ok {
		err := &Error{Pos: e.Pos, Msg: fmt.Sprintf("unknown function %q", e.Name)}
		var names []string
		for n := range funcs {
			if isIdent(n) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		if s := suggest(e.Name, names); s != "" {
			err.Hint = "did you mean " + s + "?"
		}
		return nil, err
	}
	if len(args) < f.min || f.max >= 0 && len(args) > f.max {
		var want string
		switch {
		case f.max < 0:
			want = fmt.Sprintf("at least %d arguments", f.min)
		case f.min == f.max && f.min == 1:
			want = "1 argument"
		case f.min == f.max:
			want = fmt.Sprintf("%d arguments", f.min)
		default:
			want = fmt.Sprintf("%d to %d arguments", f.min, f.max)
		}
		return nil, errf(e.Pos, "%s takes %s, got %d", opName(e.Name), want, len(args))
	}
	n, err := f.bind(b, e, args)
	if err != nil {
		return nil, err
	}
	return fold(n)
}

func mismatch(e *Expr, args ...node) *Error {
	ts := make([]string, len(args))
	for i, a := range args {
		ts[i] = typeName(a.typ())
	}
	if len(ts) == 2 {
		return errf(e.Pos, "cannot apply %s to %s and %s", opName(e.Name), ts[0], ts[1])
	}
	return errf(e.Pos, "cannot apply %s to %s", opName(e.Name), strings.Join(ts, ", "))
}

func bindArith(b *binder, e *Expr, a []node) (node, error) {
	lt, rt := a[0].typ(), a[1].typ()
	numOrNull := func(t arrow.DataType) bool { return isNumeric(t) || isNull(t) }
	intOrNull := func(t arrow.DataType) bool { return isInt(t) || isNull(t) }
	if !numOrNull(lt) || !numOrNull(rt) {
		return nil, mismatch(e, a...)
	}
	t := tFloat64
	if intOrNull(lt) && intOrNull(rt) && e.Name != OpDiv {
		t = tInt64
	}
	if isNull(lt) || isNull(rt) {
		return newConst(konst{t: t}, e.Pos), nil
	}
	l, err := b.cast(a[0], t, e.Pos)
	if err != nil {
		return nil, err
	}
	r, err := b.cast(a[1], t, e.Pos)
	if err != nil {
		return nil, err
	}
	return &arithNode{base: base{kids: []node{l, r}, t: t, pos: e.Pos}, op: e.Name}, nil
}

func bindNeg(b *binder, e *Expr, a []node) (node, error) {
	t := a[0].typ()
	switch {
	case isNull(t):
		return newConst(konst{t: tInt64}, e.Pos), nil
	case isInt(t):
		t = tInt64
	case isFloat(t):
		t = tFloat64
	case isDecimal(t):
	default:
		return nil, mismatch(e, a...)
	}
	x, err := b.cast(a[0], t, e.Pos)
	if err != nil {
		return nil, err
	}
	return &negNode{base: base{kids: []node{x}, t: t, pos: e.Pos}}, nil
}

// compareDomain returns the type both sides of a comparison are converted to.
func (b *binder) compareDomain(name string, l, r node, pos int) (arrow.DataType, error) {
	lt, rt := l.typ(), r.typ()
	lk, lc := constOf(l)
	rk, rc := constOf(r)
	switch {
	case lc && isString(lt) && !isString(rt) && !isNull(rt):
		return rt, nil
	case rc && isString(rt) && !isString(lt) && !isNull(lt):
		return lt, nil
	case rc && fitsExactly(rk, lt):
		return lt, nil
	case lc && fitsExactly(lk, rt):
		return rt, nil
	}
	if t := commonType(lt, rt); t != nil {
		return t, nil
	}
	return nil, errf(pos, "cannot apply %s to %s and %s", opName(name), typeName(lt), typeName(rt))
}

// fitsExactly reports whether constant k converts to t and back unchanged.
func fitsExactly(k konst, t arrow.DataType) bool {
	if arrow.TypeEqual(k.t, t) || k.null() {
		return true
	}
	if !(isNumeric(k.t) && isNumeric(t)) && !(isTemporal(k.t) && isTemporal(t)) {
		return false
	}
	to, err := fold(&castNode{base: base{kids: []node{newConst(k, -1)}, t: t, pos: -1}})
	if err != nil {
		return false
	}
	back, err := fold(&castNode{base: base{kids: []node{to}, t: k.t, pos: -1}})
	if err != nil {
		return false
	}
	bk, _ := constOf(back)
	return bk.v == k.v
}

func (b *binder) compare(name string, l, r node, pos int) (node, error) {
	if name == "<>" || name == "==" {
		name = map[string]string{"<>": OpNe, "==": OpEq}[name]
	}
	t, err := b.compareDomain(name, l, r, pos)
	if err != nil {
		return nil, err
	}
	if isNull(l.typ()) || isNull(r.typ()) {
		return newConst(konst{t: tBool}, pos), nil
	}
	if l, err = b.cast(l, t, pos); err != nil {
		return nil, err
	}
	if r, err = b.cast(r, t, pos); err != nil {
		return nil, err
	}
	return fold(&cmpNode{base: base{kids: []node{l, r}, t: tBool, pos: pos}, op: name})
}

// boolArg converts a logical operand to boolean (NULL literals included).
func (b *binder) boolArg(e *Expr, n node) (node, error) {
	t := n.typ()
	if t.ID() == arrow.BOOL {
		return n, nil
	}
	if isNull(t) {
		return newConst(konst{t: tBool}, e.Pos), nil
	}
	return nil, errf(e.Pos, "%s requires boolean arguments, got %s", opName(e.Name), typeName(t))
}

func bindLogic(b *binder, e *Expr, a []node) (node, error) {
	out, err := b.boolArg(e, a[0])
	if err != nil {
		return nil, err
	}
	for _, x := range a[1:] {
		r, err := b.boolArg(e, x)
		if err != nil {
			return nil, err
		}
		out, err = fold(&logicNode{base: base{kids: []node{out, r}, t: tBool, pos: e.Pos}, or: e.Name == OpOr})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func bindNot(b *binder, e *Expr, a []node) (node, error) {
	x, err := b.boolArg(e, a[0])
	if err != nil {
		return nil, err
	}
	return &notNode{base: base{kids: []node{x}, t: tBool, pos: e.Pos}}, nil
}

func bindIsNull(b *binder, e *Expr, a []node) (node, error) {
	return &isNullNode{base: base{kids: []node{a[0]}, t: tBool, pos: e.Pos}, not: e.Name == OpIsNotNull}, nil
}

func bindBetween(b *binder, e *Expr, a []node) (node, error) {
	lo, err := b.compare(OpGe, a[0], a[1], e.Pos)
	if err != nil {
		return nil, err
	}
	hi, err := b.compare(OpLe, a[0], a[2], e.Pos)
	if err != nil {
		return nil, err
	}
	return &logicNode{base: base{kids: []node{lo, hi}, t: tBool, pos: e.Pos}}, nil
}

func bindIn(b *binder, e *Expr, a []node) (node, error) {
	x, items := a[0], a[1:]
	allConst := true
	for _, it := range items {
		if !isConstNode(it) {
			allConst = false
		}
	}
	if !allConst || isNull(x.typ()) {
		// x IN (a, b) == x = a OR x = b, with the same NULL semantics
		var out node
		for _, it := range items {
			eq, err := b.compare(OpEq, x, it, e.Pos)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = eq
				continue
			}
			if out, err = fold(&logicNode{base: base{kids: []node{out, eq}, t: tBool, pos: e.Pos}, or: true}); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	t := x.typ()
	for _, it := range items {
		k, _ := constOf(it)
		if k.null() || (isString(k.t) && !isString(t)) || fitsExactly(k, t) {
			continue
		}
		nt := commonType(t, k.t)
		if nt == nil {
			return nil, errf(it.(*constNode).pos, "cannot apply IN to %s and %s", typeName(x.typ()), typeName(k.t))
		}
		t = nt
	}
	xc, err := b.cast(x, t, e.Pos)
	if err != nil {
		return nil, err
	}
	n := &inNode{base: base{kids: []node{xc}, t: tBool, pos: e.Pos}}
	var ks []konst
	for _, it := range items {
		k, _ := constOf(it)
		if k.null() {
			n.hasNull = true
			continue
		}
		pos := it.(*constNode).pos
		if pos < 0 {
			pos = e.Pos
		}
		kc, err := b.cast(it, t, pos)
		if err != nil {
			return nil, err
		}
		kk, _ := constOf(kc)
		ks = append(ks, kk)
	}
	n.set = newValueSet(t, ks)
	return n, nil
}

func bindLike(b *binder, e *Expr, a []node) (node, error) {
	x := a[0]
	if isNull(x.typ()) {
		return newConst(konst{t: tBool}, e.Pos), nil
	}
	if !isString(x.typ()) {
		return nil, mismatch(e, a...)
	}
	pk, ok := constOf(a[1])
	if !ok || !(isString(pk.t) || isNull(pk.t)) {
		return nil, errf(e.Pos, "%s pattern must be a constant string", opName(e.Name))
	}
	if pk.null() {
		return newConst(konst{t: tBool}, e.Pos), nil
	}
	m, err := compileLike(pk.v.(string), e.Name == OpILike)
	if err != nil {
		return nil, errf(e.Pos, "%s", err.Error())
	}
	return &likeNode{base: base{kids: []node{x}, t: tBool, pos: e.Pos}, m: m}, nil
}

// resultType is the common type of CASE branches or COALESCE arguments.
// String literals adopt the type of the other branches.
func resultType(e *Expr, ns []node) (arrow.DataType, error) {
	var t arrow.DataType = tNull
	anyStr := false
	for _, n := range ns {
		k, isK := constOf(n)
		nt := n.typ()
		if isK && isString(nt) {
			anyStr = true
			continue
		}
		if isK && !isNull(t) && fitsExactly(k, t) {
			continue
		}
		ct := commonType(t, nt)
		if ct == nil {
			return nil, errf(e.Pos, "%s branches have incompatible types %s and %s", opName(e.Name), typeName(t), typeName(nt))
		}
		t = ct
	}
	if isNull(t) && anyStr {
		t = tString
	}
	return t, nil
}

func bindCase(b *binder, e *Expr, a []node) (node, error) {
	if len(a) < 2 {
		return nil, errf(e.Pos, "CASE needs at least one WHEN ... THEN")
	}
	var conds, vals []node
	for i := 0; i+1 < len(a); i += 2 {
		c, err := b.boolArg(&Expr{Name: "CASE WHEN", Pos: e.Pos}, a[i])
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
		vals = append(vals, a[i+1])
	}
	hasElse := len(a)%2 == 1
	if hasElse {
		vals = append(vals, a[len(a)-1])
	}
	t, err := resultType(e, vals)
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		if vals[i], err = b.cast(v, t, e.Pos); err != nil {
			return nil, err
		}
	}
	if !hasElse {
		vals = append(vals, newConst(konst{t: t}, e.Pos))
	}
	kids := append(append([]node{}, conds...), vals...)
	return &caseNode{base: base{kids: kids, t: t, pos: e.Pos}, nconds: len(conds)}, nil
}

func bindCoalesce(b *binder, e *Expr, a []node) (node, error) {
	t, err := resultType(e, a)
	if err != nil {
		return nil, err
	}
	kids := make([]node, len(a))
	for i, v := range a {
		if kids[i], err = b.cast(v, t, e.Pos); err != nil {
			return nil, err
		}
	}
	return &coalesceNode{base: base{kids: kids, t: t, pos: e.Pos}}, nil
}
