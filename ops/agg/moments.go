package agg

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// floats returns a numeric column as float64 values, aliasing a float64 column
// and converting others into *buf, with its validity.
func floats(col arrow.Array, buf *[]float64, mbuf *[]byte) ([]float64, mask, error) {
	m, err := maskOf(col, mbuf)
	if err != nil {
		return nil, mask{}, err
	}
	var v []float64
	switch col.DataType().ID() {
	case arrow.FLOAT64:
		v, err = values[float64](col)
	case arrow.FLOAT32:
		v, err = toFloats[float32](col, buf)
	case arrow.INT8:
		v, err = toFloats[int8](col, buf)
	case arrow.INT16:
		v, err = toFloats[int16](col, buf)
	case arrow.INT32:
		v, err = toFloats[int32](col, buf)
	case arrow.INT64:
		v, err = toFloats[int64](col, buf)
	case arrow.UINT8:
		v, err = toFloats[uint8](col, buf)
	case arrow.UINT16:
		v, err = toFloats[uint16](col, buf)
	case arrow.UINT32:
		v, err = toFloats[uint32](col, buf)
	case arrow.UINT64:
		v, err = toFloats[uint64](col, buf)
	case arrow.DECIMAL128:
		var d []decimal128.Num
		if d, err = values[decimal128.Num](col); err == nil {
			scale := col.DataType().(*arrow.Decimal128Type).Scale
			v = grow(buf, len(d))
			for i, x := range d {
				v[i] = x.ToFloat64(scale)
			}
		}
	default:
		err = fmt.Errorf("%s is not a numeric column", col.DataType())
	}
	return v, m, err
}

func toFloats[T integer | float32](col arrow.Array, buf *[]float64) ([]float64, error) {
	v, err := values[T](col)
	if err != nil {
		return nil, err
	}
	out := grow(buf, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out, nil
}

type momentKind int

const (
	varSamp momentKind = iota
	varPop
	stddevSamp
	stddevPop
)

// newMoments resolves var_samp, var_pop, stddev_samp and stddev_pop over a
// numeric argument (decimals are taken as float64). State (n int64, mean
// float64, M2 float64): Welford's update per row, Chan et al.'s formula to
// merge. Sample statistics of fewer than two values are NULL.
func newMoments(c *call) (Func, error) {
	if !isNumeric(c.args[0]) {
		return nil, c.errorf("%s needs a numeric argument", c.name)
	}
	kind := map[string]momentKind{"var_samp": varSamp, "var_pop": varPop, "stddev_samp": stddevSamp, "stddev_pop": stddevPop}[c.name]
	return &fn{c: c, result: arrow.PrimitiveTypes.Float64,
		state:  []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float64},
		newAcc: func(f *fn, _ memory.Allocator) Acc { return &momentAcc{f: f, kind: kind} }}, nil
}

// welford is a group's count, mean and sum of squared deviations.
type welford struct {
	n        int64
	mean, m2 float64
}

type momentAcc struct {
	f    *fn
	kind momentKind
	st   []welford
	fbuf []float64
	gbuf []uint32
	vbuf []uint64
	mbuf []byte
}

func (a *momentAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	a.st = resize(a.st, n, welford{})
	v, m, err := floats(args[0], &a.fbuf, &a.mbuf)
	if err != nil {
		return a.f.errorf("update: %v", err)
	}
	groups, v = dropNulls(groups, v, m, &a.gbuf, &a.vbuf)
	st := a.st
	v = v[:len(groups)]
	if oneGroup(groups, len(st)) {
		b := batchMoments(v)
		st[0].add(b.n, b.mean, b.m2)
		return nil
	}
	for i, g := range groups {
		if int(g) >= len(st) {
			return a.f.badGroup(g, len(st))
		}
		e := &st[g]
		x := v[i]
		e.n++
		d := x - e.mean
		e.mean += d / float64(e.n)
		e.m2 += d * (x - e.mean)
	}
	return nil
}

// add merges the moments of nb more values (mean, m2) into e: Chan et al.'s
// formula.
func (e *welford) add(nb int64, mean, m2 float64) {
	if nb == 0 {
		return
	}
	if e.n == 0 {
		*e = welford{n: nb, mean: mean, m2: m2}
		return
	}
	na := float64(e.n)
	e.n += nb
	nt := float64(e.n)
	d := mean - e.mean
	e.mean += d * (float64(nb) / nt)
	e.m2 += m2 + d*d*(na*float64(nb)/nt)
}

// batchMoments is the count, mean and sum of squared deviations of v, all
// in one group (a global aggregate), by the corrected two-pass algorithm on
// values shifted by the first one: their mean from a compensated sum, then
// the squared deviations from it, less the square of their (rounding-error)
// sum over n. No division per value, lanes that do not wait on each other,
// and equal values give exactly zero.
func batchMoments(v []float64) welford {
	if len(v) == 0 {
		return welford{}
	}
	k := v[0]
	s, c := shiftedTotal(v, k)
	n := float64(len(v))
	mean := (s + c) / n
	var q0, q1, q2, q3, d0, d1, d2, d3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		e0, e1, e2, e3 := v[i]-k-mean, v[i+1]-k-mean, v[i+2]-k-mean, v[i+3]-k-mean
		q0 += e0 * e0
		q1 += e1 * e1
		q2 += e2 * e2
		q3 += e3 * e3
		d0 += e0
		d1 += e1
		d2 += e2
		d3 += e3
	}
	for ; i < len(v); i++ {
		e := v[i] - k - mean
		q0 += e * e
		d0 += e
	}
	d := d0 + d1 + d2 + d3
	// Rounding can take the difference a hair below zero.
	m2 := max((q0+q1+q2+q3)-d*d/n, 0)
	return welford{n: int64(len(v)), mean: k + mean, m2: m2}
}

func (a *momentAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	if err := noNulls(a.f, state); err != nil {
		return err
	}
	a.st = resize(a.st, n, welford{})
	cnt, err1 := values[int64](state[0])
	mean, err2 := values[float64](state[1])
	m2, err3 := values[float64](state[2])
	if err := firstErr(err1, err2, err3); err != nil {
		return a.f.errorf("merge: %v", err)
	}
	st := a.st
	cnt, mean, m2 = cnt[:len(groups)], mean[:len(groups)], m2[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return a.f.badGroup(g, len(st))
		}
		st[g].add(cnt[i], mean[i], m2[i])
	}
	return nil
}

func (a *momentAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	c := newOut[int64](mem, len(a.st))
	mean := newOut[float64](mem, len(a.st))
	m2 := newOut[float64](mem, len(a.st))
	for i, e := range a.st {
		c.vals[i], mean.vals[i], m2.vals[i] = e.n, e.mean, e.m2
	}
	return []arrow.Array{c.array(a.f.state[0]), mean.array(a.f.state[1]), m2.array(a.f.state[2])}, nil
}

func (a *momentAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	o := newOut[float64](mem, len(a.st))
	samp := a.kind == varSamp || a.kind == stddevSamp
	for i, e := range a.st {
		switch {
		case e.n == 0, samp && e.n < 2:
			o.null(i)
			continue
		case samp:
			o.vals[i] = e.m2 / float64(e.n-1)
		default:
			o.vals[i] = e.m2 / float64(e.n)
		}
		if a.kind == stddevSamp || a.kind == stddevPop {
			o.vals[i] = math.Sqrt(o.vals[i])
		}
	}
	return o.array(a.f.result), nil
}

func (a *momentAcc) Bytes() int64 {
	return int64(cap(a.st))*24 + int64(cap(a.fbuf))*8 + int64(cap(a.gbuf))*4 + int64(cap(a.vbuf))*8 + int64(cap(a.mbuf))
}

func (a *momentAcc) Release() { a.st, a.fbuf, a.gbuf, a.vbuf, a.mbuf = nil, nil, nil, nil, nil }

// newCorr resolves corr(x, y): Pearson's r over the rows where both are
// non-NULL. State (n int64, mean_x, mean_y, M2_x, M2_y, C_xy float64), updated
// per row and merged with the pairwise formulas of Chan et al. NULL when n < 2
// or either variance is zero.
func newCorr(c *call) (Func, error) {
	for i, t := range c.args {
		if !isNumeric(t) {
			return nil, c.errorf("corr needs numeric arguments, argument %d is %s", i+1, t)
		}
	}
	f64 := arrow.PrimitiveTypes.Float64
	return &fn{c: c, result: f64,
		state:  []arrow.DataType{arrow.PrimitiveTypes.Int64, f64, f64, f64, f64, f64},
		newAcc: func(f *fn, _ memory.Allocator) Acc { return &corrAcc{f: f} }}, nil
}

// comoment is a group's state for corr.
type comoment struct {
	n                   int64
	mx, my, m2x, m2y, c float64
}

type corrAcc struct {
	f      *fn
	st     []comoment
	xb, yb []float64
	cx, cy []float64
	gbuf   []uint32
	mx, my []byte
}

func (a *corrAcc) Update(groups []uint32, n int, args []arrow.Array) error {
	if err := a.f.checkUpdate(groups, n, args); err != nil {
		return err
	}
	a.st = resize(a.st, n, comoment{})
	xs, mx, err1 := floats(args[0], &a.xb, &a.mx)
	ys, my, err2 := floats(args[1], &a.yb, &a.my)
	if err := firstErr(err1, err2); err != nil {
		return a.f.errorf("update: %v", err)
	}
	if mx.bits != nil || my.bits != nil {
		gs := grow(&a.gbuf, len(groups))
		cx, cy := grow(&a.cx, len(groups)), grow(&a.cy, len(groups))
		k := 0
		for i, g := range groups {
			if mx.valid(i) && my.valid(i) {
				gs[k], cx[k], cy[k] = g, xs[i], ys[i]
				k++
			}
		}
		groups, xs, ys = gs[:k], cx[:k], cy[:k]
	}
	st := a.st
	xs, ys = xs[:len(groups)], ys[:len(groups)]
	for i, g := range groups {
		if int(g) >= len(st) {
			return a.f.badGroup(g, len(st))
		}
		e := &st[g]
		x, y := xs[i], ys[i]
		e.n++
		inv := 1 / float64(e.n)
		dx := x - e.mx
		dy := y - e.my
		e.mx += dx * inv
		e.my += dy * inv
		e.m2x += dx * (x - e.mx)
		e.m2y += dy * (y - e.my)
		e.c += dx * (y - e.my)
	}
	return nil
}

func (a *corrAcc) Merge(groups []uint32, n int, state []arrow.Array) error {
	if err := a.f.checkMerge(groups, n, state); err != nil {
		return err
	}
	if err := noNulls(a.f, state); err != nil {
		return err
	}
	a.st = resize(a.st, n, comoment{})
	cnt, err := values[int64](state[0])
	if err != nil {
		return a.f.errorf("merge: %v", err)
	}
	var cols [5][]float64
	for k := range cols {
		if cols[k], err = values[float64](state[k+1]); err != nil {
			return a.f.errorf("merge: %v", err)
		}
		cols[k] = cols[k][:len(groups)]
	}
	cnt = cnt[:len(groups)]
	st := a.st
	for i, g := range groups {
		if int(g) >= len(st) {
			return a.f.badGroup(g, len(st))
		}
		b := comoment{n: cnt[i], mx: cols[0][i], my: cols[1][i], m2x: cols[2][i], m2y: cols[3][i], c: cols[4][i]}
		if b.n == 0 {
			continue
		}
		e := &st[g]
		if e.n == 0 {
			*e = b
			continue
		}
		na, nb := float64(e.n), float64(b.n)
		e.n += b.n
		nt := float64(e.n)
		dx, dy := b.mx-e.mx, b.my-e.my
		w := na * nb / nt
		e.mx += dx * (nb / nt)
		e.my += dy * (nb / nt)
		e.m2x += b.m2x + dx*dx*w
		e.m2y += b.m2y + dy*dy*w
		e.c += b.c + dx*dy*w
	}
	return nil
}

func (a *corrAcc) State(mem memory.Allocator) ([]arrow.Array, error) {
	c := newOut[int64](mem, len(a.st))
	var cols [5]*out[float64]
	for k := range cols {
		cols[k] = newOut[float64](mem, len(a.st))
	}
	for i, e := range a.st {
		c.vals[i] = e.n
		cols[0].vals[i], cols[1].vals[i], cols[2].vals[i], cols[3].vals[i], cols[4].vals[i] = e.mx, e.my, e.m2x, e.m2y, e.c
	}
	res := []arrow.Array{c.array(a.f.state[0])}
	for k := range cols {
		res = append(res, cols[k].array(a.f.state[k+1]))
	}
	return res, nil
}

func (a *corrAcc) Final(mem memory.Allocator) (arrow.Array, error) {
	o := newOut[float64](mem, len(a.st))
	for i, e := range a.st {
		if e.n < 2 || e.m2x == 0 || e.m2y == 0 {
			o.null(i)
			continue
		}
		r := e.c / (math.Sqrt(e.m2x) * math.Sqrt(e.m2y))
		o.vals[i] = max(-1, min(1, r))
	}
	return o.array(a.f.result), nil
}

func (a *corrAcc) Bytes() int64 {
	return int64(cap(a.st))*48 + int64(cap(a.xb)+cap(a.yb)+cap(a.cx)+cap(a.cy))*8 + int64(cap(a.gbuf))*4 + int64(cap(a.mx)+cap(a.my))
}

func (a *corrAcc) Release() { *a = corrAcc{f: a.f} }
