package column

import (
	"fmt"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Selection appends to sel[:0] the row indices where the boolean array mask is
// true (NULL counts as false) and returns the result; pass the previous result
// back in to reuse its storage. A NULL-typed mask selects nothing. Any other
// mask type selects nothing as well: callers pass the result of a predicate
// bound to type boolean.
func Selection(mask arrow.Array, sel []int32) []int32 {
	sel = sel[:0]
	b, ok := mask.(*array.Boolean)
	if !ok || b.Len() == 0 {
		return sel
	}
	n := b.Len()
	off := b.Data().Offset()
	vals := b.Data().Buffers()[1].Bytes()
	var valid []byte
	if b.NullN() > 0 {
		valid = b.NullBitmapBytes()
	}
	if off%8 != 0 {
		for i := 0; i < n; i++ {
			if bitutil.BitIsSet(vals, off+i) && (valid == nil || bitutil.BitIsSet(valid, off+i)) {
				sel = append(sel, int32(i))
			}
		}
		return sel
	}
	vals = vals[off/8:]
	if valid != nil {
		valid = valid[off/8:]
	}
	nb := n / 8
	for k := 0; k < nb; k++ {
		v := vals[k]
		if valid != nil {
			v &= valid[k]
		}
		if v == 0 {
			continue
		}
		base := int32(k * 8)
		if v == 0xff {
			sel = append(sel, base, base+1, base+2, base+3, base+4, base+5, base+6, base+7)
			continue
		}
		for v != 0 {
			t := bits.TrailingZeros8(v)
			sel = append(sel, base+int32(t))
			v &= v - 1
		}
	}
	for i := nb * 8; i < n; i++ {
		if bitutil.BitIsSet(vals, i) && (valid == nil || bitutil.BitIsSet(valid, i)) {
			sel = append(sel, int32(i))
		}
	}
	return sel
}

// Unpack returns a dictionary array's values, one per row, as a plain array
// (a NULL index gives NULL). Any other array is returned retained. The result
// is owned by the caller.
func Unpack(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	d, ok := arr.(*array.Dictionary)
	if !ok {
		arr.Retain()
		return arr, nil
	}
	return TakeIndices(mem, d.Dictionary(), d.Indices())
}

// Concat returns the concatenation of arrs as one new array owned by the
// caller. Dictionary arrays that all share one dictionary (the same dictionary
// data, or equal dictionaries) are concatenated as a dictionary array over
// that dictionary; otherwise every dictionary array is unpacked first, so that
// a mix of dictionaries, or of dictionary and plain arrays, gives a plain
// array. The arrays must otherwise have identical types.
func Concat(mem memory.Allocator, arrs []arrow.Array) (arrow.Array, error) {
	if len(arrs) == 0 {
		return nil, fmt.Errorf("column: concat of no arrays")
	}
	if len(arrs) == 1 {
		arrs[0].Retain()
		return arrs[0], nil
	}
	anyDict := false
	for _, a := range arrs {
		if a.DataType().ID() == arrow.DICTIONARY {
			anyDict = true
			break
		}
	}
	if anyDict && sameDictionary(arrs) {
		inds := make([]arrow.Array, len(arrs))
		for i, a := range arrs {
			inds[i] = a.(*array.Dictionary).Indices()
		}
		ind, err := array.Concatenate(inds, mem)
		if err != nil {
			return nil, fmt.Errorf("column: concat: %w", err)
		}
		defer ind.Release()
		return array.NewDictionaryArray(arrs[0].DataType(), ind, arrs[0].(*array.Dictionary).Dictionary()), nil
	}
	plain := arrs
	if anyDict {
		plain = make([]arrow.Array, len(arrs))
		defer func() {
			for _, p := range plain {
				if p != nil {
					p.Release()
				}
			}
		}()
		for i, a := range arrs {
			p, err := Unpack(mem, a)
			if err != nil {
				return nil, err
			}
			plain[i] = p
		}
	}
	out, err := array.Concatenate(plain, mem)
	if err != nil {
		return nil, fmt.Errorf("column: concat: %w", err)
	}
	return out, nil
}

func sameDictionary(arrs []arrow.Array) bool {
	d0, ok := arrs[0].(*array.Dictionary)
	if !ok {
		return false
	}
	for _, a := range arrs[1:] {
		d, ok := a.(*array.Dictionary)
		if !ok || !arrow.TypeEqual(d.DataType(), d0.DataType()) {
			return false
		}
		if d.Data().Dictionary() == d0.Data().Dictionary() {
			continue
		}
		if !array.Equal(d.Dictionary(), d0.Dictionary()) {
			return false
		}
	}
	return true
}
