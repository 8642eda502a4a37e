package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/ops/column"
	"github.com/dfq/dfq/ops/expr"
	"github.com/dfq/dfq/ops/group"
)

// Window appends the window function row_number() OVER (PARTITION BY
// PartitionBy ORDER BY OrderBy) as column Name. It runs in parallel: rows are
// hash-partitioned by the PARTITION BY keys into buckets (Repartitioner), and
// each bucket is sorted and numbered on its own (Compute).
type Window struct {
	Func        string       `json:"func"` // "row_number"
	Name        string       `json:"name"`
	PartitionBy []*expr.Expr `json:"partition_by,omitempty"`
	OrderBy     []SortKey    `json:"order_by,omitempty"`
	// Keep, when positive, keeps only the rows numbered 1..Keep of each
	// partition: a filter on the number that follows the window (as in
	// WHERE rn <= 2) lets the planner set it, and each partition then has
	// only its first Keep rows selected and sorted.
	Keep int64 `json:"keep,omitempty"`
}

// String renders the window call as SQL.
func (w Window) String() string {
	var b strings.Builder
	b.WriteString(w.Func + "() OVER (")
	if len(w.PartitionBy) > 0 {
		b.WriteString("PARTITION BY " + joinExprs(w.PartitionBy))
	}
	if len(w.OrderBy) > 0 {
		if len(w.PartitionBy) > 0 {
			b.WriteString(" ")
		}
		parts := make([]string, len(w.OrderBy))
		for i, k := range w.OrderBy {
			parts[i] = k.String()
		}
		b.WriteString("ORDER BY " + strings.Join(parts, ", "))
	}
	b.WriteString(") AS " + w.Name)
	if w.Keep > 0 {
		fmt.Fprintf(&b, " (first %d per partition)", w.Keep)
	}
	return b.String()
}

func joinExprs(es []*expr.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// Schema returns in plus the window column (int64).
func (w Window) Schema(in *arrow.Schema) (*arrow.Schema, error) {
	if w.Func != "row_number" {
		return nil, fmt.Errorf("unknown window function %s()", w.Func)
	}
	if _, err := w.bindKeys(in); err != nil {
		return nil, err
	}
	if err := (Sort{Keys: w.OrderBy}).Check(in); err != nil {
		return nil, err
	}
	fields := append(slices.Clone(in.Fields()), arrow.Field{Name: w.Name, Type: arrow.PrimitiveTypes.Int64})
	return arrow.NewSchema(fields, nil), nil
}

func (w Window) bindKeys(in *arrow.Schema) ([]expr.Bound, error) {
	out := make([]expr.Bound, len(w.PartitionBy))
	for i, e := range w.PartitionBy {
		b, err := expr.Bind(e, in)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// Repartitioner splits rows into buckets by the hash of their PARTITION BY keys.
type Repartitioner struct {
	keys    []expr.Bound
	hasher  *group.Hasher
	mem     memory.Allocator
	buckets [][]arrow.Record
	hashes  []uint64
}

// NewRepartitioner returns a repartitioner into n buckets for schema in.
func (w Window) NewRepartitioner(in *arrow.Schema, n int, mem memory.Allocator) (*Repartitioner, error) {
	keys, err := w.bindKeys(in)
	if err != nil {
		return nil, err
	}
	types := make([]arrow.DataType, len(keys))
	for i, k := range keys {
		types[i] = k.Type()
	}
	h, err := group.NewHasher(types)
	if err != nil {
		return nil, err
	}
	return &Repartitioner{keys: keys, hasher: h, mem: mem, buckets: make([][]arrow.Record, max(n, 1))}, nil
}

// Consume splits rec's rows into buckets; the caller keeps ownership of rec.
func (r *Repartitioner) Consume(ctx context.Context, rec arrow.Record) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(r.buckets) == 1 || len(r.keys) == 0 {
		rec.Retain()
		r.buckets[0] = append(r.buckets[0], rec)
		return nil
	}
	keys, err := evalAll(r.keys, rec, r.mem)
	defer releaseAll(keys)
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	if cap(r.hashes) < n {
		r.hashes = make([]uint64, n)
	}
	hs := r.hashes[:n]
	if err := r.hasher.Hash(keys, hs); err != nil {
		return err
	}
	return scatter(r.mem, rec, hs, r.buckets)
}

// Finish returns, per bucket, the records routed to it; the caller releases them.
func (r *Repartitioner) Finish() [][]arrow.Record {
	out := r.buckets
	r.buckets = nil
	return out
}

// Release frees records not handed out by Finish.
func (r *Repartitioner) Release() {
	for _, b := range r.buckets {
		for _, rec := range b {
			rec.Release()
		}
	}
	r.buckets = nil
}

// Compute numbers the rows of one bucket (records of schema in) and returns them
// with the window column appended, ordered by partition then by OrderBy.
func (w Window) Compute(ctx context.Context, in *arrow.Schema, recs []arrow.Record, mem memory.Allocator) (arrow.Record, error) {
	outSchema, err := w.Schema(in)
	if err != nil {
		return nil, err
	}
	var live []arrow.Record
	for _, r := range recs {
		if r != nil && r.NumRows() > 0 {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return nil, nil
	}
	all, err := concatRecords(in, live, mem)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	n := int(all.NumRows())
	ids := make([]uint32, n)
	if len(w.PartitionBy) > 0 {
		keysB, err := w.bindKeys(in)
		if err != nil {
			return nil, err
		}
		keys, err := evalAll(keysB, all, mem)
		defer releaseAll(keys)
		if err != nil {
			return nil, err
		}
		types := make([]arrow.DataType, len(keysB))
		for i, k := range keysB {
			types[i] = k.Type()
		}
		t, err := group.New(types, mem)
		if err != nil {
			return nil, err
		}
		err = t.Add(keys, ids)
		t.Release()
		if err != nil {
			return nil, err
		}
	}
	st, err := (Sort{Keys: w.OrderBy, Limit: -1}).NewSorter(in, mem)
	if err != nil {
		return nil, err
	}
	o, release, err := st.order(all)
	if err != nil {
		return nil, err
	}
	defer release()
	keep := n
	if w.Keep > 0 {
		keep = int(min(w.Keep, int64(n)))
	}
	idx, err := o.partitionTops(ctx, ids, keep)
	if err != nil {
		return nil, err
	}
	n = len(idx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sorted, err := column.TakeRecord(mem, all, idx)
	if err != nil {
		return nil, err
	}
	defer sorted.Release()
	nb := array.NewInt64Builder(mem)
	defer nb.Release()
	nb.Reserve(n)
	var rn int64
	for i, r := range idx {
		if i == 0 || ids[r] != ids[idx[i-1]] {
			rn = 0
		}
		rn++
		nb.UnsafeAppend(rn)
	}
	num := nb.NewArray()
	defer num.Release()
	cols := append(slices.Clone(sorted.Columns()), num)
	return array.NewRecord(outSchema, cols, int64(n)), nil
}
