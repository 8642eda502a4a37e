package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/column"
	"github.com/dfq/dfq/ops/expr"
	"github.com/dfq/dfq/ops/group"
)

// Agg is one aggregate call of an Aggregate: Spec applied to Args, named Name.
type Agg struct {
	Name string       `json:"name"`
	Spec agg.Spec     `json:"spec"`
	Args []*expr.Expr `json:"args,omitempty"`
}

// String renders the call as SQL.
func (a Agg) String() string {
	args := ""
	if a.Spec.Distinct {
		args = "DISTINCT "
	}
	for i, e := range a.Args {
		if i > 0 {
			args += ", "
		}
		args += e.String()
	}
	switch a.Spec.Func {
	case "count_star":
		return "count(*)"
	case "quantile_cont":
		args += fmt.Sprintf(", %g", a.Spec.Param)
	}
	return a.Spec.Func + "(" + args + ")"
}

// Aggregate groups rows by Keys and computes Aggs per group, in two phases: a
// Partial per partition folds rows into partial states, hash-partitioned into
// buckets by key; Final merges the partial states of one bucket from every
// partition and computes the final values. Buckets are disjoint in keys, so
// they are finalised in parallel. With no keys there is one group (and one
// output row, even for empty input).
//
// Partial-state records have the key columns (named k0, k1, ...) followed by
// each aggregate's state columns (a0_0, a0_1, ..., a1_0, ...).
//
// A partial that finds little to aggregate (nearly unique keys: more than 90%
// of its first rows start new groups) stops grouping and passes rows through,
// hash-partitioned into the same buckets: raw records of key columns
// followed by each aggregate's argument columns (r0_0, ..., named "r"), which
// Final folds in with Update instead of Merge. Grouping such rows twice
// (once per partition, then again per bucket) would double the work.
type Aggregate struct {
	Keys []Column `json:"keys,omitempty"`
	Aggs []Agg    `json:"aggs,omitempty"`
}

type boundAggregate struct {
	keys    []expr.Bound
	args    [][]expr.Bound
	funcs   []agg.Func
	keyType []arrow.DataType
	partial *arrow.Schema
	raw     *arrow.Schema // passthrough records: keys, then arguments
	out     *arrow.Schema
}

func (a Aggregate) bind(in *arrow.Schema) (*boundAggregate, error) {
	b := &boundAggregate{}
	var pf, of, rf []arrow.Field
	for i, k := range a.Keys {
		e, err := expr.Bind(k.Expr, in)
		if err != nil {
			return nil, err
		}
		b.keys = append(b.keys, e)
		b.keyType = append(b.keyType, e.Type())
		pf = append(pf, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: e.Type(), Nullable: true})
		rf = append(rf, pf[len(pf)-1])
		of = append(of, arrow.Field{Name: k.Name, Type: e.Type(), Nullable: true})
	}
	for i, g := range a.Aggs {
		var bs []expr.Bound
		var ts []arrow.DataType
		for j, x := range g.Args {
			e, err := expr.Bind(x, in)
			if err != nil {
				return nil, err
			}
			bs = append(bs, e)
			ts = append(ts, e.Type())
			rf = append(rf, arrow.Field{Name: fmt.Sprintf("r%d_%d", i, j), Type: e.Type(), Nullable: true})
		}
		f, err := agg.New(g.Spec, ts)
		if err != nil {
			pos := -1
			if len(g.Args) > 0 {
				pos = g.Args[0].Pos
			}
			return nil, &expr.Error{Pos: pos, Msg: fmt.Sprintf("%s: %v", g, err)}
		}
		b.args = append(b.args, bs)
		b.funcs = append(b.funcs, f)
		for j, t := range f.State() {
			pf = append(pf, arrow.Field{Name: fmt.Sprintf("a%d_%d", i, j), Type: t, Nullable: true})
		}
		of = append(of, arrow.Field{Name: g.Name, Type: f.Result(), Nullable: true})
	}
	b.partial = arrow.NewSchema(pf, nil)
	b.raw = arrow.NewSchema(rf, nil)
	b.out = arrow.NewSchema(of, nil)
	return b, nil
}

// Schema returns the output schema (keys then aggregates) for an input schema.
func (a Aggregate) Schema(in *arrow.Schema) (*arrow.Schema, error) {
	b, err := a.bind(in)
	if err != nil {
		return nil, err
	}
	return b.out, nil
}

// PartialSchema returns the schema of partial-state records.
func (a Aggregate) PartialSchema(in *arrow.Schema) (*arrow.Schema, error) {
	b, err := a.bind(in)
	if err != nil {
		return nil, err
	}
	return b.partial, nil
}

// Partial accumulates partial aggregates over the records of one or more
// partitions. It is used by one goroutine at a time.
type Partial struct {
	b       *boundAggregate
	mem     memory.Allocator
	buckets int
	table   *group.Table
	accs    []agg.Acc
	// shared counts the rows of each group once for the accumulators that
	// take their counts from it (agg.RowSharer); nil when none does.
	shared *agg.Rows
	ids    []uint32
	rows   int64 // rows consumed
	// passthrough: rows are routed to raw[bucket] instead of grouped.
	passthrough bool
	raw         [][]arrow.Record
	hasher      *group.Hasher
	hashes      []uint64
	// recode[j], for a utf8 key column j, interns the column's strings of
	// passed-through rows: raw records carry its ids (int32) in column j
	// until Finish turns them into dictionary arrays over one dictionary of
	// this partial. Row-group dictionaries differ, so without it Final would
	// resolve each one again in every bucket (see route).
	recode []*group.Table
	rids   []uint32
	sized  bool // the first batch has been looked at for a size hint
}

// maxHint caps the groups a Partial reserves room for from a dictionary's
// size (see Partial.hint).
const maxHint = 1 << 20

// finalGroups estimates how many groups Final makes of parts, to size the
// table and the states up front: rehashing millions of groups, or copying
// their states to a doubled array, costs more than reading them. Without
// raw rows it is the rows of the largest partial's states (each partial's
// keys are distinct; partials of one query mostly share them). Raw rows
// come from partials whose rows nearly all started new groups (more than
// passRatio of them), so their keys are nearly unique and mostly absent from
// the states: the estimate is then every row, states and raw. (For h2o q10
// that is within 0.01% of the groups made; the raw rows alone were 10%
// short of them, and each bucket's states doubled to twice the size.)
func finalGroups(parts []arrow.Record, nk int) int {
	var states, most, raw int64
	for _, p := range parts {
		if isRaw(p, nk) {
			raw += p.NumRows()
		} else {
			states += p.NumRows()
			most = max(most, p.NumRows())
		}
	}
	if raw == 0 {
		return int(most)
	}
	return int(states + raw)
}

// Passthrough thresholds: a partial decides after passCheckRows rows, and
// passes rows through when more than passRatio of them started new groups:
// keys that are nearly unique (h2o q10). A high ratio matters: with 10^6
// groups over 10^8 rows (h2o q3 at 1e8) about 78% of the first 512Ki rows
// start groups, yet grouping reduces the data 100-fold.
var (
	passCheckRows int64 = 1 << 19
	passRatio           = 0.9
)

// NewPartial returns an empty partial aggregation for input schema in whose
// output is split into the given number of buckets (at least 1).
func (a Aggregate) NewPartial(in *arrow.Schema, buckets int, mem memory.Allocator) (*Partial, error) {
	b, err := a.bind(in)
	if err != nil {
		return nil, err
	}
	t, err := group.New(b.keyType, mem)
	if err != nil {
		return nil, err
	}
	if len(a.Keys) == 0 {
		buckets = 1 // one group: nothing to spread
	}
	p := &Partial{b: b, mem: mem, buckets: max(buckets, 1), table: t}
	rows := &agg.Rows{}
	for _, f := range b.funcs {
		acc := f.NewAcc(mem)
		if rs, ok := acc.(agg.RowSharer); ok && rs.ShareRows(rows) {
			p.shared = rows
		}
		p.accs = append(p.accs, acc)
	}
	return p, nil
}

// Consume folds one record into the partial states. The caller keeps
// ownership of rec.
func (p *Partial) Consume(ctx context.Context, rec arrow.Record) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.passthrough {
		return p.route(rec)
	}
	keys, err := evalAll(p.b.keys, rec, p.mem)
	defer releaseAll(keys)
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	p.rows += int64(n)
	if cap(p.ids) < n {
		p.ids = make([]uint32, n)
	}
	ids := p.ids[:n]
	if !p.sized {
		p.sized = true
		p.hint(keys)
	}
	if err := p.table.Add(keys, ids); err != nil {
		return err
	}
	groups := p.table.Len()
	for i, acc := range p.accs {
		args, err := evalAll(p.b.args[i], rec, p.mem)
		if err == nil {
			err = acc.Update(ids, groups, args)
		}
		releaseAll(args)
		if err != nil {
			return err
		}
	}
	if p.shared != nil {
		p.shared.Add(ids, groups)
	}
	if p.buckets > 1 && p.rows >= passCheckRows && float64(groups) > passRatio*float64(p.rows) {
		p.passthrough = true
		p.raw = make([][]arrow.Record, p.buckets)
	}
	return nil
}

// hint sizes the group table and the states up front when the only key
// arrives dictionary-encoded: a Parquet row group's dictionary holds the
// distinct values of its rows, so its size is about the number of groups the
// split makes. Growing to them instead rehashes the table and copies the
// states at every doubling (for h2o q3's 10^5 groups, phase one took 15%
// longer). The hint is at most maxHint and four times the batch's rows: a
// dictionary far larger than its batch (one dictionary for a whole Arrow
// file, say) says little about the groups.
func (p *Partial) hint(keys []arrow.Array) {
	if len(keys) != 1 {
		return
	}
	d, ok := keys[0].(*array.Dictionary)
	if !ok {
		return
	}
	n := min(d.Dictionary().Len(), maxHint, 4*d.Len())
	reserve(p.table, p.accs, n)
	if p.shared != nil {
		p.shared.Reserve(n)
	}
}

// reserve makes room for n groups in t and in the accumulators that can
// take the hint (agg.Reserver).
func reserve(t *group.Table, accs []agg.Acc, n int) {
	t.Reserve(n)
	for _, acc := range accs {
		if r, ok := acc.(agg.Reserver); ok {
			r.Reserve(n)
		}
	}
}

// route appends rec's keys and arguments, split by key hash, to the raw
// buckets (the same buckets Finish puts those keys' partial states in).
func (p *Partial) route(rec arrow.Record) error {
	cols, err := evalAll(p.b.keys, rec, p.mem)
	defer func() { releaseAll(cols) }()
	if err != nil {
		return err
	}
	if p.hasher == nil {
		if p.hasher, err = group.NewHasher(p.b.keyType); err != nil {
			return err
		}
	}
	n := int(rec.NumRows())
	if cap(p.hashes) < n {
		p.hashes = make([]uint64, n)
	}
	hs := p.hashes[:n]
	if err := p.hasher.Hash(cols, hs); err != nil {
		return err
	}
	if err := p.recodeKeys(cols); err != nil {
		return err
	}
	for _, args := range p.b.args {
		as, err := evalAll(args, rec, p.mem)
		cols = append(cols, as...)
		if err != nil {
			return err
		}
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: p.b.raw.Field(i).Name, Type: c.DataType(), Nullable: true}
	}
	all := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(n))
	defer all.Release()
	return scatter(p.mem, all, hs, p.raw)
}

// recodeKeys replaces each utf8 key column (plain or dictionary-encoded) by
// the int32 ids of its strings in the partial's own interning table, keeping
// its validity. Final then meets one dictionary per partial and bucket
// (finishRaw attaches it) instead of one per row group, and resolves each
// distinct string once: for h2o q10 that is 1.6 million strings instead of
// about six million over 8 buckets.
func (p *Partial) recodeKeys(cols []arrow.Array) error {
	if p.recode == nil {
		p.recode = make([]*group.Table, len(p.b.keyType))
		for j, t := range p.b.keyType {
			if t.ID() == arrow.STRING {
				tab, err := group.New([]arrow.DataType{t}, p.mem)
				if err != nil {
					return err
				}
				p.recode[j] = tab
			}
		}
	}
	n := cols[0].Len()
	if cap(p.rids) < n {
		p.rids = make([]uint32, n)
	}
	ids := p.rids[:n]
	for j, tab := range p.recode {
		if tab == nil {
			continue
		}
		if err := tab.Add(cols[j:j+1], ids); err != nil {
			return err
		}
		buf := memory.NewResizableBuffer(p.mem)
		buf.Resize(4 * n)
		codes := arrow.Int32Traits.CastFromBytes(buf.Bytes())
		for i, id := range ids {
			codes[i] = int32(id)
		}
		var valid *memory.Buffer
		if nulls := cols[j].NullN(); nulls > 0 {
			valid = memory.NewResizableBuffer(p.mem)
			valid.Resize(int(bitutil.BytesForBits(int64(n))))
			vb := valid.Bytes()
			clear(vb)
			for i := 0; i < n; i++ {
				if cols[j].IsValid(i) {
					bitutil.SetBit(vb, i)
				}
			}
		}
		d := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{valid, buf}, nil, cols[j].NullN(), 0)
		buf.Release()
		if valid != nil {
			valid.Release()
		}
		cols[j].Release()
		cols[j] = array.MakeFromData(d)
		d.Release()
	}
	return nil
}

// finishRaw turns the recoded key columns of raw records (see recodeKeys)
// into dictionary arrays over the strings of the partial's tables.
func (p *Partial) finishRaw(recs [][]arrow.Record) error {
	for j, tab := range p.recode {
		if tab == nil {
			continue
		}
		keys, err := tab.Keys(p.mem)
		if err != nil {
			return err
		}
		dict := keys[0]
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: dict.DataType()}
		for _, rs := range recs {
			for k, r := range rs {
				cols := append([]arrow.Array(nil), r.Columns()...)
				da := array.NewDictionaryArray(dt, cols[j], dict)
				cols[j] = da
				fields := append([]arrow.Field(nil), r.Schema().Fields()...)
				fields[j].Type = dt
				nr := array.NewRecord(arrow.NewSchema(fields, nil), cols, r.NumRows())
				da.Release()
				r.Release()
				rs[k] = nr
			}
		}
		dict.Release()
	}
	return nil
}

// scatter appends the rows of rec to out[hash % len(out)].
func scatter(mem memory.Allocator, rec arrow.Record, hs []uint64, out [][]arrow.Record) error {
	sels := make([][]int32, len(out))
	np := uint64(len(out))
	for i, h := range hs {
		b := h % np
		sels[b] = append(sels[b], int32(i))
	}
	for b, sel := range sels {
		if len(sel) == 0 {
			continue
		}
		part, err := column.TakeRecord(mem, rec, sel)
		if err != nil {
			return err
		}
		out[b] = append(out[b], part)
	}
	return nil
}

// Bytes estimates the memory held by the partial states.
func (p *Partial) Bytes() int64 {
	n := p.table.Bytes()
	for _, a := range p.accs {
		n += a.Bytes()
	}
	if p.shared != nil {
		n += p.shared.Bytes()
	}
	return n
}

// Finish returns the partial output split into buckets: element b holds the
// partial states of the groups whose key hash falls in bucket b, and any raw
// records routed there (see Aggregate); nil when there are none. The caller
// releases the records. The Partial must not be used afterwards except for
// Release.
func (p *Partial) Finish() ([][]arrow.Record, error) {
	out := make([][]arrow.Record, p.buckets)
	for b := range p.raw {
		out[b] = append(out[b], p.raw[b]...)
		p.raw[b] = nil
	}
	release := func() {
		for _, rs := range out {
			for _, r := range rs {
				r.Release()
			}
		}
	}
	if err := p.finishRaw(out); err != nil {
		release()
		return nil, err
	}
	if p.table.Len() == 0 {
		return out, nil
	}
	cols, err := p.table.Keys(p.mem)
	if err != nil {
		release()
		return nil, err
	}
	defer func() { releaseAll(cols) }()
	for _, acc := range p.accs {
		st, err := acc.State(p.mem)
		cols = append(cols, st...)
		if err != nil {
			release()
			return nil, err
		}
	}
	all := array.NewRecord(p.b.partial, cols, int64(p.table.Len()))
	defer all.Release()
	if p.buckets == 1 {
		all.Retain()
		out[0] = append([]arrow.Record{all}, out[0]...)
		return out, nil
	}
	for b, ids := range p.table.Buckets(p.buckets) {
		if len(ids) == 0 {
			continue
		}
		idx := make([]int32, len(ids))
		for i, g := range ids {
			idx[i] = int32(g)
		}
		rec, err := column.TakeRecord(p.mem, all, idx)
		if err != nil {
			release()
			return nil, err
		}
		out[b] = append([]arrow.Record{rec}, out[b]...)
	}
	return out, nil
}

// Release frees the partial states.
func (p *Partial) Release() {
	p.table.Release()
	for _, t := range p.recode {
		if t != nil {
			t.Release()
		}
	}
	p.recode = nil
	for _, a := range p.accs {
		a.Release()
	}
	p.shared = nil
	for _, rs := range p.raw {
		for _, r := range rs {
			r.Release()
		}
	}
	p.raw = nil
}

// Final merges partial-state records (of one bucket, from any number of
// partials; nil entries are skipped) and returns the final record: keys then
// aggregates. With no keys, it returns exactly one row.
func (a Aggregate) Final(ctx context.Context, in *arrow.Schema, parts []arrow.Record, mem memory.Allocator) (arrow.Record, error) {
	b, err := a.bind(in)
	if err != nil {
		return nil, err
	}
	t, err := group.New(b.keyType, mem)
	if err != nil {
		return nil, err
	}
	defer t.Release()
	accs := make([]agg.Acc, len(b.funcs))
	for i, f := range b.funcs {
		accs[i] = f.NewAcc(mem)
	}
	defer func() {
		for _, acc := range accs {
			acc.Release()
		}
	}()
	nk := len(b.keys)
	var live []arrow.Record
	for _, rec := range parts {
		if rec != nil && rec.NumRows() > 0 {
			live = append(live, rec)
		}
	}
	if len(live) == 1 && nk > 0 && !isRaw(live[0], nk) {
		// One partial's states: its keys are already distinct.
		return a.finalOne(ctx, b, live[0], accs, mem)
	}
	reserve(t, accs, finalGroups(live, nk))
	var ids []uint32
	for _, whole := range live {
		// Large partials are merged a slice at a time, so that a cancelled
		// query stops promptly.
		for lo := int64(0); lo < whole.NumRows(); lo += finalChunk {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rec := whole
			if lo > 0 || whole.NumRows() > finalChunk {
				rec = whole.NewSlice(lo, min(lo+finalChunk, whole.NumRows()))
				defer rec.Release()
			}
			n := int(rec.NumRows())
			if cap(ids) < n {
				ids = make([]uint32, n)
			}
			ids = ids[:n]
			if err := t.Add(rec.Columns()[:nk], ids); err != nil {
				return nil, err
			}
			raw := isRaw(rec, nk)
			col := nk
			for i, f := range b.funcs {
				var err error
				if raw {
					k := len(b.args[i])
					err = accs[i].Update(ids, t.Len(), rec.Columns()[col:col+k])
					col += k
				} else {
					k := len(f.State())
					err = accs[i].Merge(ids, t.Len(), rec.Columns()[col:col+k])
					col += k
				}
				if err != nil {
					return nil, fmt.Errorf("merge %s: %w", a.Aggs[i], err)
				}
			}
		}
	}
	groups := t.Len()
	if nk == 0 && groups == 0 {
		// A global aggregate over no rows still has its one group.
		groups = 1
		for i, f := range b.funcs {
			empty := make([]arrow.Array, len(f.State()))
			for j, typ := range f.State() {
				empty[j] = array.MakeArrayOfNull(mem, typ, 0)
			}
			err := accs[i].Merge(nil, 1, empty)
			releaseAll(empty)
			if err != nil {
				return nil, err
			}
		}
	}
	var cols []arrow.Array
	defer func() { releaseAll(cols) }()
	if nk > 0 {
		if cols, err = t.Keys(mem); err != nil {
			return nil, err
		}
	}
	for i, acc := range accs {
		v, err := acc.Final(mem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Aggs[i], err)
		}
		cols = append(cols, v)
	}
	return array.NewRecord(b.out, cols, int64(groups)), nil
}

func evalAll(es []expr.Bound, rec arrow.Record, mem memory.Allocator) ([]arrow.Array, error) {
	out := make([]arrow.Array, 0, len(es))
	for _, e := range es {
		a, err := e.Eval(rec, mem)
		if err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, nil
}

func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// finalChunk is the number of rows Final merges between checks of its
// context.
const finalChunk = 1 << 18

// isRaw reports whether a bucket record holds passed-through rows (argument
// columns, named r*) rather than partial states.
func isRaw(rec arrow.Record, nk int) bool {
	return int(rec.NumCols()) > nk && strings.HasPrefix(rec.ColumnName(nk), "r")
}

// finalOne finalises the states of a single partial, whose keys are distinct:
// group i is row i.
func (a Aggregate) finalOne(ctx context.Context, b *boundAggregate, rec arrow.Record, accs []agg.Acc, mem memory.Allocator) (arrow.Record, error) {
	nk := len(b.keys)
	n := int(rec.NumRows())
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(i)
	}
	cols := make([]arrow.Array, 0, len(b.out.Fields()))
	defer func() { releaseAll(cols) }()
	for _, k := range rec.Columns()[:nk] {
		u, err := column.Unpack(mem, k)
		if err != nil {
			return nil, err
		}
		cols = append(cols, u)
	}
	col := nk
	for i, f := range b.funcs {
		k := len(f.State())
		if err := accs[i].Merge(ids, n, rec.Columns()[col:col+k]); err != nil {
			return nil, fmt.Errorf("merge %s: %w", a.Aggs[i], err)
		}
		col += k
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := accs[i].Final(mem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Aggs[i], err)
		}
		cols = append(cols, v)
	}
	return array.NewRecord(b.out, cols, int64(n)), nil
}
