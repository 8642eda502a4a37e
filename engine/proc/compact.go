package proc

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Rows a worker sends keep their dictionary-encoded strings as they were
// read: a Parquet row group's dictionary, which a selective filter leaves
// mostly unused. Across processes that dictionary travels with every
// record (h2o f3, which keeps 115 of 10^7 rows, shipped its id3 dictionary
// of 10^5 strings with each split: 15 MB for 115 rows). A record whose
// dictionary has more than compactRatio entries per row (and more than
// compactMin) is sent with a dictionary of the entries its rows use.
const (
	compactRatio = 4
	compactMin   = 1024
)

// compactBuckets applies compactDicts to every record of buckets, in place.
func compactBuckets(buckets [][]arrow.Record, mem memory.Allocator) {
	for _, recs := range buckets {
		for i, r := range recs {
			if r != nil {
				recs[i] = compactDicts(r, mem)
			}
		}
	}
}

// compactDicts returns rec, or, when some of its dictionary columns (int32
// indices, string or binary values) have far more entries than rows, a
// record in which those columns have a dictionary of the entries they use,
// in order of first use, with the same type; it then releases rec.
func compactDicts(rec arrow.Record, mem memory.Allocator) arrow.Record {
	n := rec.NumRows()
	var cols []arrow.Array
	for j, c := range rec.Columns() {
		d, ok := c.(*array.Dictionary)
		if !ok || d.Dictionary().Len() <= compactMin || int64(d.Dictionary().Len()) <= compactRatio*n {
			continue
		}
		small := compactDict(d, mem)
		if small == nil {
			continue
		}
		if cols == nil {
			cols = append([]arrow.Array(nil), rec.Columns()...)
		}
		cols[j] = small
	}
	if cols == nil {
		return rec
	}
	out := array.NewRecord(rec.Schema(), cols, n)
	for j, c := range cols {
		if c != rec.Column(j) {
			c.Release()
		}
	}
	rec.Release()
	return out
}

// compactDict re-encodes d over the entries its rows use, or returns nil
// for a dictionary it does not handle.
func compactDict(d *array.Dictionary, mem memory.Allocator) arrow.Array {
	dt := d.DataType().(*arrow.DictionaryType)
	idx, ok := d.Indices().(*array.Int32)
	if !ok {
		return nil
	}
	var appendValue func(vb *array.BinaryBuilder, i int)
	switch v := d.Dictionary().(type) {
	case *array.String:
		appendValue = func(vb *array.BinaryBuilder, i int) { vb.AppendString(v.Value(i)) }
	case *array.Binary:
		appendValue = func(vb *array.BinaryBuilder, i int) { vb.Append(v.Value(i)) }
	default:
		return nil
	}
	vals := d.Dictionary()
	remap := make(map[int32]int32)
	vb := array.NewBinaryBuilder(mem, dt.ValueType.(arrow.BinaryDataType))
	defer vb.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.Reserve(idx.Len())
	for i := 0; i < idx.Len(); i++ {
		if idx.IsNull(i) {
			ib.AppendNull()
			continue
		}
		code := idx.Value(i)
		nc, seen := remap[code]
		if !seen {
			nc = int32(len(remap))
			remap[code] = nc
			if vals.IsNull(int(code)) {
				vb.AppendNull()
			} else {
				appendValue(vb, int(code))
			}
		}
		ib.Append(nc)
	}
	newVals := vb.NewArray()
	defer newVals.Release()
	newIdx := ib.NewArray()
	defer newIdx.Release()
	return array.NewDictionaryArray(dt, newIdx, newVals)
}
