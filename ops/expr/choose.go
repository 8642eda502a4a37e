package expr

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/dfq/dfq/ops/column"
)

// evalOn evaluates n over the batch; when that fails, it evaluates n only over
// rows (computed lazily) and scatters the result back, NULL elsewhere. This
// keeps CASE and COALESCE from failing on rows whose branch is not taken
// (CASE WHEN x > 0 THEN CAST(s AS INT) ...), while the common case stays one
// vectorised pass.
func evalOn(c *ctx, n node, rows func() []int32) (vec, error) {
	v, err := evalPlain(c, n)
	if err == nil {
		return v, nil
	}
	sel := rows()
	if len(sel) == c.n {
		return vec{}, err
	}
	if len(sel) == 0 {
		return nullVec(n.typ()), nil
	}
	sub := &ctx{cols: make([]arrow.Array, len(c.cols)), n: len(sel), mem: c.mem, inDict: c.inDict}
	defer func() {
		for _, a := range sub.cols {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, a := range c.cols {
		if a == nil {
			continue
		}
		t, terr := column.Take(c.mem, a, sel)
		if terr != nil {
			return vec{}, terr
		}
		sub.cols[i] = t
	}
	sv, err := evalPlain(sub, n)
	if err != nil {
		return vec{}, err
	}
	defer sv.release()
	if sv.isConst() {
		sa, merr := sub.materialize(sv)
		if merr != nil {
			return vec{}, merr
		}
		defer sa.Release()
		sv = vec{a: sa}
	}
	// index array: row sel[j] takes j, every other row NULL
	ib := array.NewInt32Builder(c.mem)
	defer ib.Release()
	ib.Resize(c.n)
	j := 0
	for i := 0; i < c.n; i++ {
		if j < len(sel) && int(sel[j]) == i {
			ib.Append(int32(j))
			j++
		} else {
			ib.AppendNull()
		}
	}
	idx := ib.NewArray()
	defer idx.Release()
	out, err := column.TakeIndices(c.mem, sv.a, idx)
	if err != nil {
		return vec{}, err
	}
	return vec{a: out}, nil
}

// caseNode is CASE WHEN c1 THEN v1 ... [ELSE e] END: kids are the nconds
// conditions, then nconds+1 values (the last is the ELSE, NULL if absent).
type caseNode struct {
	base
	nconds int
}

func (n *caseNode) eval(c *ctx) (vec, error) {
	which := make([]int32, c.n)
	for i := range which {
		which[i] = -2 // undecided
	}
	undecided := func() []int32 {
		var s []int32
		for i, w := range which {
			if w == -2 {
				s = append(s, int32(i))
			}
		}
		return s
	}
	left := c.n
	for k := 0; k < n.nconds && left > 0; k++ {
		cv, err := evalOn(c, n.kids[k], undecided)
		if err != nil {
			return vec{}, err
		}
		if cv.isConst() {
			if !cv.k.null() && cv.k.v.(bool) {
				for i, w := range which {
					if w == -2 {
						which[i] = int32(k)
					}
				}
				left = 0
			}
			continue
		}
		b := c.boolBits(cv)
		for i, w := range which {
			if w == -2 && b.d[i>>3]&b.v[i>>3]&(1<<(i&7)) != 0 {
				which[i] = int32(k)
				left--
			}
		}
		cv.release()
	}
	for i, w := range which {
		if w == -2 {
			which[i] = int32(n.nconds)
		}
	}
	return choose(c, n.t, which, n.kids[n.nconds:])
}

// choose evaluates the value nodes that some row selects and builds the
// result: row i takes row i of vals[which[i]] (NULL when which[i] < 0).
func choose(c *ctx, t arrow.DataType, which []int32, vals []node) (vec, error) {
	used := make([]bool, len(vals))
	count := 0
	for _, w := range which {
		if w >= 0 && !used[w] {
			used[w] = true
			count++
		}
	}
	vs := make([]vec, len(vals))
	defer func() {
		for _, v := range vs {
			v.release()
		}
	}()
	for k, vn := range vals {
		if !used[k] {
			vs[k] = nullVec(t)
			continue
		}
		kk := int32(k)
		v, err := evalOn(c, vn, func() []int32 {
			var s []int32
			for i, w := range which {
				if w == kk {
					s = append(s, int32(i))
				}
			}
			return s
		})
		if err != nil {
			return vec{}, err
		}
		vs[k] = v
	}
	if count == 1 && len(which) > 0 && which[0] >= 0 {
		return retained(vs[which[0]]), nil
	}
	return pick(c, t, which, vs)
}

// pick builds row i from vs[which[i]] (NULL when which[i] < 0).
func pick(c *ctx, t arrow.DataType, which []int32, vs []vec) (vec, error) {
	if isNull(t) {
		return nullVec(t), nil
	}
	arrs := make([]arrow.Array, len(vs))
	stride := make([]int, len(vs))
	bms := make([][]byte, len(vs))
	offs := make([]int, len(vs))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	one := *c
	one.n = 1
	for k, v := range vs {
		var err error
		if v.isConst() {
			arrs[k], err = one.materialize(v)
		} else {
			v.a.Retain()
			arrs[k], stride[k] = v.a, 1
		}
		if err != nil {
			return vec{}, err
		}
		if arrs[k].NullN() > 0 {
			bms[k] = arrs[k].NullBitmapBytes()
			offs[k] = arrs[k].Data().Offset()
		}
	}
	valid := func(k int32, i int) bool {
		return bms[k] == nil || bitutil.BitIsSet(bms[k], offs[k]+i*stride[k])
	}
	vbuf := newZeroBuf(c.mem, bitmapBytes(c.n))
	vb := vbuf.Bytes()
	for i, k := range which {
		if k >= 0 && valid(k, i) {
			vb[i>>3] |= 1 << (i & 7)
		}
	}
	nulls := c.n - bitutil.CountSetBits(vb, 0, c.n)
	switch t.ID() {
	case arrow.BOOL:
		db := newZeroBuf(c.mem, bitmapBytes(c.n))
		d := db.Bytes()
		for i, k := range which {
			if k >= 0 {
				a := arrs[k]
				if bitutil.BitIsSet(a.Data().Buffers()[1].Bytes(), a.Data().Offset()+i*stride[k]) {
					d[i>>3] |= 1 << (i & 7)
				}
			}
		}
		return vec{a: makeArray(t, c.n, nulls, vbuf, db)}, nil
	case arrow.STRING, arrow.BINARY:
		sb := newStrBuilder(c.mem, c.n, 0)
		os := make([][]int32, len(arrs))
		ds := make([][]byte, len(arrs))
		for k, a := range arrs {
			os[k], ds[k] = strs(a)
		}
		for i, k := range which {
			if k < 0 {
				sb.appendString("")
				continue
			}
			j := i * stride[k]
			sb.appendBytes(ds[k][os[k][j]:os[k][j+1]])
		}
		out := sb.finish(t, vbuf, nulls)
		vbuf.Release()
		return vec{a: out}, nil
	}
	switch t.(arrow.FixedWidthDataType).BitWidth() {
	case 8:
		return vec{a: pickFixed[uint8](c, t, which, arrs, stride, vbuf, nulls)}, nil
	case 16:
		return vec{a: pickFixed[uint16](c, t, which, arrs, stride, vbuf, nulls)}, nil
	case 32:
		return vec{a: pickFixed[uint32](c, t, which, arrs, stride, vbuf, nulls)}, nil
	case 64:
		return vec{a: pickFixed[uint64](c, t, which, arrs, stride, vbuf, nulls)}, nil
	default:
		return vec{a: pickFixed[decimal128.Num](c, t, which, arrs, stride, vbuf, nulls)}, nil
	}
}

func pickFixed[T any](c *ctx, t arrow.DataType, which []int32, arrs []arrow.Array, stride []int, vbuf *memory.Buffer, nulls int) arrow.Array {
	srcs := make([][]T, len(arrs))
	for k, a := range arrs {
		srcs[k] = vals[T](a)
	}
	buf, out := newFixed[T](c.mem, c.n)
	var z T
	for i, k := range which {
		if k < 0 {
			out[i] = z
			continue
		}
		out[i] = srcs[k][i*stride[k]]
	}
	return makeArray(t, c.n, nulls, vbuf, buf)
}

// coalesceNode is COALESCE(a, b, ...): the first non-NULL argument per row.
type coalesceNode struct{ base }

func (n *coalesceNode) eval(c *ctx) (vec, error) {
	which := make([]int32, c.n)
	for i := range which {
		which[i] = -1
	}
	left := c.n
	vs := make([]vec, len(n.kids))
	for k := range vs {
		vs[k] = nullVec(n.t)
	}
	defer func() {
		for _, v := range vs {
			v.release()
		}
	}()
	undecided := func() []int32 {
		var s []int32
		for i, w := range which {
			if w < 0 {
				s = append(s, int32(i))
			}
		}
		return s
	}
	for k, kid := range n.kids {
		if left == 0 {
			break
		}
		v, err := evalOn(c, kid, undecided)
		if err != nil {
			return vec{}, err
		}
		vs[k] = v
		if k == 0 && v.a != nil && v.a.NullN() == 0 {
			return retained(v), nil
		}
		for i, w := range which {
			if w < 0 && validAt(v, i) {
				which[i] = int32(k)
				left--
			}
		}
	}
	return pick(c, n.t, which, vs)
}
