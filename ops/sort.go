package ops

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/ops/column"
	"github.com/dfq/dfq/ops/expr"
)

// SortKey is one ORDER BY term. NULLs sort last unless NullsFirst (as DuckDB).
type SortKey struct {
	Expr       *expr.Expr `json:"expr"`
	Desc       bool       `json:"desc,omitempty"`
	NullsFirst bool       `json:"nulls_first,omitempty"`
}

// String renders the key as SQL.
func (k SortKey) String() string {
	s := k.Expr.String()
	if k.Desc {
		s += " DESC"
	}
	if k.NullsFirst {
		s += " NULLS FIRST"
	}
	return s
}

// Sort orders rows by Keys. Each partition is sorted into a run (SortRun) and
// the runs are merged (MergeRuns). When Limit >= 0 only the first Limit rows
// are kept, at every step (top-k): memory stays proportional to Limit. A
// top-k sorter that has buffered more than max(4·Limit, 64Ki) rows selects
// the first Limit (sorting only those) and from then on drops, as they
// arrive, the rows whose first key sorts after the last kept row's (when
// that key has an integer form, see rowOrder, or is a string or binary
// key). Ties keep their input order within a run; runs merge in the order
// given.
type Sort struct {
	Keys  []SortKey `json:"keys"`
	Limit int64     `json:"limit"`
}

// Check binds the keys to the schema, reporting the first error.
func (s Sort) Check(in *arrow.Schema) error {
	for _, k := range s.Keys {
		if _, err := expr.Bind(k.Expr, in); err != nil {
			return err
		}
	}
	return nil
}

// Sorter accumulates the records of one or more partitions and sorts them.
type Sorter struct {
	s     Sort
	in    *arrow.Schema
	mem   memory.Allocator
	keys  []expr.Bound
	recs  []arrow.Record
	rows  int64
	limit int64
	bar   *keyBar // top-k: the cut so far (see underBar)
	// dict caches, for the dictionary of a dictionary-encoded string first
	// key (retained) and the current bar, each entry's verdict: 0 not yet
	// known, 1 under the bar, 2 past it.
	dict    arrow.Array
	verdict []uint8
	dropped int64 // rows the bar has dropped
}

// NewSorter returns an empty sorter for records of schema in.
func (s Sort) NewSorter(in *arrow.Schema, mem memory.Allocator) (*Sorter, error) {
	st := &Sorter{s: s, in: in, mem: mem, limit: s.Limit}
	for _, k := range s.Keys {
		b, err := expr.Bind(k.Expr, in)
		if err != nil {
			return nil, err
		}
		st.keys = append(st.keys, b)
	}
	return st, nil
}

// Consume adds a record; the caller keeps ownership of rec.
func (st *Sorter) Consume(ctx context.Context, rec arrow.Record) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if st.limit == 0 {
		return nil
	}
	if st.bar != nil {
		kept, err := st.underBar(rec)
		if err != nil || kept == nil {
			return err
		}
		rec = kept
	} else {
		rec.Retain()
	}
	st.recs = append(st.recs, rec)
	st.rows += rec.NumRows()
	if st.limit >= 0 && st.rows > max(4*st.limit, topkRows) {
		run, err := st.sortAll(ctx)
		if err != nil {
			return err
		}
		st.recs = []arrow.Record{run}
		st.rows = run.NumRows()
		if st.bar, err = st.lastKey(run); err != nil {
			return err
		}
		clear(st.verdict) // a new bar (cutting more: a stale verdict would only keep more rows)
	}
	return nil
}

// topkRows is the fewest rows a top-k sorter buffers before it selects the
// ones it keeps (a variable for tests).
var topkRows int64 = 1 << 16

// keyBar is the first sort key of the last row a top-k sorter keeps so far:
// a row whose first key sorts after it cannot make the cut. It holds the key
// as rowOrder's integers, or, for a string or binary key, its bytes.
type keyBar struct {
	k     uint64
	isBin bool   // the key is a string or binary key, held in str or bytes
	bytes []byte // a binary key
	str   string // a string key
	rank  uint8
}

// firstKey evaluates the first sort key over rec as a plain array; the
// caller releases it.
func (st *Sorter) firstKey(rec arrow.Record) (arrow.Array, error) {
	a, err := st.keys[0].Eval(rec, st.mem)
	if err != nil {
		return nil, err
	}
	u, err := column.Unpack(st.mem, a)
	a.Release()
	return u, err
}

// nullRank is the NULL rank of a NULL first key (see intKeys).
func (st *Sorter) nullRank() uint8 {
	if st.s.Keys[0].NullsFirst {
		return 0
	}
	return 2
}

// lastKey is the bar of a top-k run holding all the rows it keeps (nil
// otherwise, or when the first key has neither an integer form nor bytes).
func (st *Sorter) lastKey(run arrow.Record) (*keyBar, error) {
	n := int(run.NumRows())
	if st.limit <= 0 || int64(n) < st.limit || len(st.keys) == 0 {
		return nil, nil
	}
	u, err := st.firstKey(run)
	if err != nil {
		return nil, err
	}
	defer u.Release()
	sk := st.s.Keys[0]
	if keys, rank, ok := intKeys(u, sk.Desc, sk.NullsFirst); ok {
		bar := &keyBar{k: keys[n-1], rank: 1}
		if rank != nil {
			bar.rank = rank[n-1]
		}
		return bar, nil
	}
	if !isBinary(u) {
		return nil, nil
	}
	if u.IsNull(n - 1) {
		return &keyBar{isBin: true, rank: st.nullRank()}, nil
	}
	bar := &keyBar{isBin: true, rank: 1}
	switch u := u.(type) {
	case *array.String:
		bar.str = strings.Clone(u.Value(n - 1))
	case *array.Binary:
		bar.bytes = bytes.Clone(u.Value(n - 1))
	}
	return bar, nil
}

func isBinary(a arrow.Array) bool {
	switch a.(type) {
	case *array.String, *array.Binary:
		return true
	}
	return false
}

// underBar returns the rows of rec whose first key does not sort after the
// bar, as a new record (rec itself, retained, when all do; nil when none).
func (st *Sorter) underBar(rec arrow.Record) (arrow.Record, error) {
	bar := st.bar
	a, err := st.keys[0].Eval(rec, st.mem)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	n := a.Len()
	var sel []int32
	if d, ok := a.(*array.Dictionary); ok && bar.isBin && isBinary(d.Dictionary()) {
		// Each dictionary entry is judged once per bar.
		if st.dict == nil || st.dict.Data() != d.Dictionary().Data() {
			if st.dict != nil {
				st.dict.Release()
			}
			st.dict = d.Dictionary()
			st.dict.Retain()
			st.verdict = make([]uint8, st.dict.Len())
		}
		for i := 0; i < n; i++ {
			if d.IsNull(i) {
				if st.nullRank() <= bar.rank {
					sel = append(sel, int32(i))
				}
				continue
			}
			c := d.GetValueIndex(i)
			if st.verdict[c] == 0 {
				st.verdict[c] = 2
				if st.underBinBar(st.dict, c) {
					st.verdict[c] = 1
				}
			}
			if st.verdict[c] == 1 {
				sel = append(sel, int32(i))
			}
		}
	} else {
		u, err := column.Unpack(st.mem, a)
		if err != nil {
			return nil, err
		}
		defer u.Release()
		sk := st.s.Keys[0]
		switch {
		case !bar.isBin:
			keys, rank, ok := intKeys(u, sk.Desc, sk.NullsFirst)
			if !ok {
				rec.Retain()
				return rec, nil
			}
			for i, k := range keys {
				r := uint8(1)
				if rank != nil {
					r = rank[i]
				}
				if r < bar.rank || r == bar.rank && k <= bar.k {
					sel = append(sel, int32(i))
				}
			}
		case isBinary(u):
			for i := 0; i < n; i++ {
				if u.IsNull(i) {
					if st.nullRank() <= bar.rank {
						sel = append(sel, int32(i))
					}
				} else if st.underBinBar(u, i) {
					sel = append(sel, int32(i))
				}
			}
		default:
			rec.Retain()
			return rec, nil
		}
	}
	st.dropped += int64(n - len(sel))
	switch len(sel) {
	case 0:
		return nil, nil
	case n:
		rec.Retain()
		return rec, nil
	}
	return column.TakeRecord(st.mem, rec, sel)
}

// underBinBar reports whether non-NULL row i of a (string or binary) does
// not sort after the bar.
func (st *Sorter) underBinBar(a arrow.Array, i int) bool {
	bar := st.bar
	if bar.rank != 1 {
		return 1 < bar.rank // values come before NULLs placed last
	}
	var c int
	switch a := a.(type) {
	case *array.String:
		c = strings.Compare(a.Value(i), bar.str)
	case *array.Binary:
		c = bytes.Compare(a.Value(i), bar.bytes)
	}
	if st.s.Keys[0].Desc {
		c = -c
	}
	return c <= 0
}

// Finish returns the sorted run (nil when no rows were consumed); the caller
// releases it.
func (st *Sorter) Finish(ctx context.Context) (arrow.Record, error) {
	if st.rows == 0 {
		return nil, nil
	}
	run, err := st.sortAll(ctx)
	if err != nil {
		return nil, err
	}
	st.recs = nil
	st.rows = 0
	return run, nil
}

// Release frees buffered records.
func (st *Sorter) Release() {
	for _, r := range st.recs {
		r.Release()
	}
	st.recs = nil
	if st.dict != nil {
		st.dict.Release()
		st.dict = nil
	}
}

func (st *Sorter) sortAll(ctx context.Context) (arrow.Record, error) {
	all, err := concatRecords(st.in, st.recs, st.mem)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	for _, r := range st.recs {
		r.Release()
	}
	st.recs = nil
	o, release, err := st.order(all)
	if err != nil {
		return nil, err
	}
	defer release()
	idx := make([]int32, all.NumRows())
	for i := range idx {
		idx[i] = int32(i)
	}
	// Ties break on row position: stable, and pdqsort is much faster than
	// the stable merge sort. With a limit only the rows kept are sorted.
	if st.limit >= 0 && int64(len(idx)) > st.limit {
		o.top(idx, int(st.limit))
		idx = idx[:st.limit]
	} else {
		o.sort(idx)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return column.TakeRecord(st.mem, all, idx)
}

// order evaluates the sort keys over rec and returns their row order.
func (st *Sorter) order(rec arrow.Record) (*rowOrder, func(), error) {
	arrs := make([]arrow.Array, 0, len(st.keys))
	release := func() { releaseAll(arrs) }
	cmps := make([]func(a, b int) int, 0, len(st.keys))
	o := &rowOrder{}
	for i, k := range st.keys {
		a, err := k.Eval(rec, st.mem)
		if err != nil {
			release()
			return nil, nil, err
		}
		u, err := column.Unpack(st.mem, a)
		a.Release()
		if err != nil {
			release()
			return nil, nil, err
		}
		arrs = append(arrs, u)
		sk := st.s.Keys[i]
		c, err := compareFunc(u, sk.Desc, sk.NullsFirst)
		if err != nil {
			release()
			return nil, nil, err
		}
		cmps = append(cmps, c)
		// The first key, and the keys after it while they all have an
		// integer form, are compared as integers.
		if i == 0 || o.keys != nil && i == 1+len(o.next) {
			if keys, rank, ok := intKeys(u, sk.Desc, sk.NullsFirst); ok {
				if i == 0 {
					o.keys, o.rank = keys, rank
				} else {
					o.next = append(o.next, intKey{keys: keys, rank: rank})
				}
			}
		}
	}
	o.full = chain(cmps)
	if n := 1 + len(o.next); len(cmps) > n {
		o.rest = chain(cmps[n:])
	}
	return o, release, nil
}

// chain compares by each comparison in turn.
func chain(cmps []func(a, b int) int) func(a, b int) int {
	if len(cmps) == 1 {
		return cmps[0]
	}
	return func(a, b int) int {
		for _, c := range cmps {
			if r := c(a, b); r != 0 {
				return r
			}
		}
		return 0
	}
}

// MergeRuns merges sorted runs (each from a Sorter of this Sort; nil entries
// skipped) into one sorted record, keeping at most Limit rows. Ties keep run
// order. It returns nil when there are no rows.
func (s Sort) MergeRuns(ctx context.Context, in *arrow.Schema, runs []arrow.Record, mem memory.Allocator) (arrow.Record, error) {
	var live []arrow.Record
	for _, r := range runs {
		if r != nil && r.NumRows() > 0 {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return nil, nil
	}
	st, err := s.NewSorter(in, mem)
	if err != nil {
		return nil, err
	}
	all, err := concatRecords(in, live, mem)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	o, release, err := st.order(all)
	if err != nil {
		return nil, err
	}
	defer release()
	h := &runHeap{cmp: o.compare}
	start := 0
	for _, r := range live {
		n := int(r.NumRows())
		h.items = append(h.items, runCursor{pos: start, end: start + n})
		start += n
	}
	heap.Init(h)
	total := start
	if s.Limit >= 0 && int64(total) > s.Limit {
		total = int(s.Limit)
	}
	idx := make([]int32, 0, total)
	for len(idx) < total {
		if len(idx)%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		top := &h.items[0]
		idx = append(idx, int32(top.pos))
		top.pos++
		if top.pos == top.end {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	return column.TakeRecord(mem, all, idx)
}

type runCursor struct{ pos, end int }

type runHeap struct {
	items []runCursor
	cmp   func(a, b int) int
}

func (h *runHeap) Len() int { return len(h.items) }
func (h *runHeap) Less(i, j int) bool {
	c := h.cmp(h.items[i].pos, h.items[j].pos)
	if c != 0 {
		return c < 0
	}
	return h.items[i].pos < h.items[j].pos // earlier run first: stable
}
func (h *runHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *runHeap) Push(x any)    { h.items = append(h.items, x.(runCursor)) }
func (h *runHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// concatRecords concatenates records of one logical schema into one record
// with plain (non-dictionary) columns.
func concatRecords(schema *arrow.Schema, recs []arrow.Record, mem memory.Allocator) (arrow.Record, error) {
	cols := make([]arrow.Array, schema.NumFields())
	defer func() { releaseAll(cols) }()
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	parts := make([]arrow.Array, len(recs))
	for c := range cols {
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := column.Concat(mem, parts)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", schema.Field(c).Name, err)
		}
		if cols[c], err = column.Unpack(mem, a); err != nil {
			a.Release()
			return nil, err
		}
		a.Release()
	}
	return array.NewRecord(schema, cols, rows), nil
}

// compareFunc returns a comparison of rows of a (a plain array) honouring
// direction and NULL placement.
func compareFunc(a arrow.Array, desc, nullsFirst bool) (func(i, j int) int, error) {
	var base func(i, j int) int
	switch a := a.(type) {
	case *array.Int8:
		base = cmpValues(a.Int8Values())
	case *array.Int16:
		base = cmpValues(a.Int16Values())
	case *array.Int32:
		base = cmpValues(a.Int32Values())
	case *array.Int64:
		base = cmpValues(a.Int64Values())
	case *array.Uint8:
		base = cmpValues(a.Uint8Values())
	case *array.Uint16:
		base = cmpValues(a.Uint16Values())
	case *array.Uint32:
		base = cmpValues(a.Uint32Values())
	case *array.Uint64:
		base = cmpValues(a.Uint64Values())
	case *array.Float32:
		base = cmpFloats(a.Float32Values())
	case *array.Float64:
		base = cmpFloats(a.Float64Values())
	case *array.Date32:
		base = cmpValues(a.Date32Values())
	case *array.Date64:
		base = cmpValues(a.Date64Values())
	case *array.Timestamp:
		base = cmpValues(a.TimestampValues())
	case *array.Boolean:
		base = func(i, j int) int {
			x, y := a.Value(i), a.Value(j)
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case *array.String:
		base = func(i, j int) int { return cmp.Compare(a.Value(i), a.Value(j)) }
	case *array.Binary:
		base = func(i, j int) int { return bytes.Compare(a.Value(i), a.Value(j)) }
	case *array.Decimal128:
		vals := a.Values()
		base = func(i, j int) int { return cmpDecimal(vals[i], vals[j]) }
	case *array.Null:
		base = func(i, j int) int { return 0 }
	default:
		return nil, fmt.Errorf("cannot sort by a column of type %s", a.DataType())
	}
	if desc {
		asc := base
		base = func(i, j int) int { return asc(j, i) }
	}
	if a.NullN() == 0 {
		return base, nil
	}
	nullCmp := 1 // a NULL compares after a value
	if nullsFirst {
		nullCmp = -1
	}
	return func(i, j int) int {
		ni, nj := a.IsNull(i), a.IsNull(j)
		switch {
		case ni && nj:
			return 0
		case ni:
			return nullCmp
		case nj:
			return -nullCmp
		}
		return base(i, j)
	}, nil
}

func cmpValues[T cmp.Ordered](v []T) func(i, j int) int {
	return func(i, j int) int { return cmp.Compare(v[i], v[j]) }
}

// cmpFloats orders NaN after every number, as DuckDB and PostgreSQL do.
func cmpFloats[T float32 | float64](v []T) func(i, j int) int {
	return func(i, j int) int {
		x, y := v[i], v[j]
		xn, yn := math.IsNaN(float64(x)), math.IsNaN(float64(y))
		switch {
		case xn || yn:
			return cmp.Compare(b2i(xn), b2i(yn))
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmpDecimal(x, y decimal128.Num) int { return x.Cmp(y) }
