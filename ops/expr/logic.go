package expr

import (
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// boolBits is a boolean operand as byte-aligned data and validity bitmaps.
type boolBits struct{ d, v []byte }

func (c *ctx) boolBits(x vec) boolBits {
	nb := bitmapBytes(c.n)
	if x.isConst() {
		var d, v byte
		if !x.k.null() {
			v = 0xff
			if x.k.v.(bool) {
				d = 0xff
			}
		}
		return boolBits{d: fillBytes(nb, d), v: fillBytes(nb, v)}
	}
	b := boolBits{d: alignedBits(x.a)}
	if x.a.NullN() == 0 {
		b.v = fillBytes(nb, 0xff)
		return b
	}
	off := x.a.Data().Offset()
	bm := x.a.NullBitmapBytes()
	if off%8 == 0 {
		b.v = bm[off/8 : off/8+nb]
	} else {
		b.v = make([]byte, nb)
		bitutil.CopyBitmap(bm, off, c.n, b.v, 0)
	}
	return b
}

func fillBytes(n int, v byte) []byte {
	b := make([]byte, n)
	if v != 0 {
		for i := range b {
			b[i] = v
		}
	}
	return b
}

// boolResult builds a boolean array from data and validity bitmaps.
func boolResult(n int, d, v *memory.Buffer) vec {
	nulls := 0
	if v != nil {
		nulls = n - bitutil.CountSetBits(v.Bytes(), 0, n)
	}
	return vec{a: makeArray(tBool, n, nulls, v, d)}
}

// logicNode is AND (or OR) with SQL three-valued logic.
type logicNode struct {
	base
	or bool
}

func (n *logicNode) eval(c *ctx) (vec, error) {
	l, err := evalPlain(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	defer l.release()
	// short cut: a constant that decides the result
	if l.isConst() && !l.k.null() && l.k.v.(bool) == n.or {
		return l, nil
	}
	r, err := evalPlain(c, n.kids[1])
	if err != nil {
		return vec{}, err
	}
	defer r.release()
	if r.isConst() && !r.k.null() && r.k.v.(bool) == n.or {
		return r, nil
	}
	if l.isConst() && !l.k.null() { // the neutral element
		return retained(r), nil
	}
	if r.isConst() && !r.k.null() {
		return retained(l), nil
	}
	if l.constNull() && r.constNull() {
		return nullVec(tBool), nil
	}
	a, b := c.boolBits(l), c.boolBits(r)
	nb := bitmapBytes(c.n)
	db, vb := newBuf(c.mem, nb), newBuf(c.mem, nb)
	d, v := db.Bytes(), vb.Bytes()
	ad, av, bd, bv := a.d[:nb], a.v[:nb], b.d[:nb], b.v[:nb]
	if n.or {
		for i := range d {
			t := ad[i]&av[i] | bd[i]&bv[i]
			f := (av[i] &^ ad[i]) & (bv[i] &^ bd[i])
			d[i] = t
			v[i] = t | f
		}
	} else {
		for i := range d {
			t := ad[i] & av[i] & bd[i] & bv[i]
			f := (av[i] &^ ad[i]) | (bv[i] &^ bd[i])
			d[i] = t
			v[i] = t | f
		}
	}
	return boolResult(c.n, db, vb), nil
}

func retained(v vec) vec {
	if v.a != nil {
		v.a.Retain()
	}
	return v
}

// notNode is NOT x.
type notNode struct{ base }

func (n *notNode) eval(c *ctx) (vec, error) {
	x, err := evalPlain(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	defer x.release()
	if x.isConst() {
		if x.k.null() {
			return x, nil
		}
		return vec{k: konst{t: tBool, v: !x.k.v.(bool)}}, nil
	}
	src := alignedBits(x.a)
	db := newBuf(c.mem, bitmapBytes(c.n))
	d := db.Bytes()
	for i := range d {
		d[i] = ^src[i]
	}
	valid, nulls := validity(c.mem, c.n, x)
	return vec{a: makeArray(tBool, c.n, nulls, valid, db)}, nil
}

// isNullNode is x IS [NOT] NULL.
type isNullNode struct {
	base
	not bool
}

func (n *isNullNode) eval(c *ctx) (vec, error) {
	x, err := evalPlain(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	defer x.release()
	if x.isConst() {
		return vec{k: konst{t: tBool, v: x.k.null() != n.not}}, nil
	}
	nb := bitmapBytes(c.n)
	db := newBuf(c.mem, nb)
	d := db.Bytes()
	if x.a.NullN() == 0 {
		fill := byte(0)
		if n.not {
			fill = 0xff
		}
		for i := range d {
			d[i] = fill
		}
	} else {
		bitutil.CopyBitmap(x.a.NullBitmapBytes(), x.a.Data().Offset(), c.n, d, 0)
		if !n.not {
			for i := range d {
				d[i] = ^d[i]
			}
		}
	}
	return vec{a: makeArray(tBool, c.n, 0, nil, db)}, nil
}
