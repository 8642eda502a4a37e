package group

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// Hasher computes for each row of key columns the hash Table.Hash gives that
// row's group in any Table, without building a table: it is how rows are
// routed to hash buckets (Table.Buckets uses Hash % p) consistently with
// grouped partial results. For a dictionary column it hashes each entry once
// and reuses the hashes for later batches sharing the dictionary. A Hasher is
// used by one goroutine at a time.
type Hasher struct {
	cols  []column
	seeds []uint64
	dicts []arrow.Array // last dictionary seen per column
	dictH [][]uint64    // its entries' hashes
	words []uint64
}

// NewHasher returns a hasher for key columns of the given logical types.
func NewHasher(types []arrow.DataType) (*Hasher, error) {
	t, err := New(types, nil)
	if err != nil {
		return nil, err
	}
	defer t.Release()
	h := &Hasher{cols: make([]column, len(types)), seeds: t.hseeds,
		dicts: make([]arrow.Array, len(types)), dictH: make([][]uint64, len(types))}
	for j := range t.cols {
		h.cols[j] = column{kind: t.cols[j].kind, typ: t.cols[j].typ}
	}
	return h, nil
}

// Hash writes the hash of every row of keys to out (len(out) rows).
func (h *Hasher) Hash(keys []arrow.Array, out []uint64) error {
	if len(keys) != len(h.cols) {
		return fmt.Errorf("group: %d key columns, hasher has %d", len(keys), len(h.cols))
	}
	n := len(out)
	clear(out)
	if cap(h.words) < n {
		h.words = make([]uint64, n)
	}
	w := h.words[:n]
	for j, a := range keys {
		if a.Len() != n {
			return fmt.Errorf("group: key column %d has %d rows, want %d", j, a.Len(), n)
		}
		seed := h.seeds[j]
		if err := h.column(j, a, w); err != nil {
			return err
		}
		valid, off := validity(a)
		for i := range out {
			x := w[i]
			if valid != nil && !bitutil.BitIsSet(valid, off+i) {
				x = nullBits
			}
			out[i] += term(x, seed)
		}
	}
	for i, acc := range out {
		out[i] = finish(acc)
	}
	return nil
}

// column writes column j's hashed word per row (NULL rows are overwritten by
// the caller).
func (h *Hasher) column(j int, a arrow.Array, w []uint64) error {
	c := &h.cols[j]
	if d, ok := a.(*array.Dictionary); ok {
		hs, err := h.dictHashes(j, d)
		if err != nil {
			return err
		}
		valid, off := validity(a)
		row, code := -1, int64(0)
		switch x := d.Indices().(type) {
		case *array.Int32:
			row, code = dictWords(x.Int32Values(), valid, off, hs, w)
		case *array.Int8:
			row, code = dictWords(x.Int8Values(), valid, off, hs, w)
		case *array.Int16:
			row, code = dictWords(x.Int16Values(), valid, off, hs, w)
		case *array.Int64:
			row, code = dictWords(x.Int64Values(), valid, off, hs, w)
		case *array.Uint8:
			row, code = dictWords(x.Uint8Values(), valid, off, hs, w)
		case *array.Uint16:
			row, code = dictWords(x.Uint16Values(), valid, off, hs, w)
		case *array.Uint32:
			row, code = dictWords(x.Uint32Values(), valid, off, hs, w)
		case *array.Uint64:
			row, code = dictWords(x.Uint64Values(), valid, off, hs, w)
		default:
			return fmt.Errorf("group: key column %d: unexpected dictionary indices %T", j, d.Indices())
		}
		if row >= 0 {
			return fmt.Errorf("group: key column %d row %d: dictionary index %d out of range [0, %d)", j, row, code, len(hs))
		}
		return nil
	}
	switch c.kind {
	case kindBytes:
		offs, data, err := bytesView(a.Data())
		if err != nil {
			return fmt.Errorf("group: key column %d: %w", j, err)
		}
		for i := range w {
			w[i] = hashBytes(data[offs[i]:offs[i+1]])
		}
		return nil
	case kindDecimal:
		data, err := decimalBytes(a)
		if err != nil {
			return fmt.Errorf("group: key column %d: %w", j, err)
		}
		for i := range w {
			w[i] = hashBytes(data[16*i : 16*i+16])
		}
		return nil
	}
	if err := loadWords(a, w); err != nil {
		return fmt.Errorf("group: key column %d: %w", j, err)
	}
	return nil
}

// dictWords writes the hash of each valid row's dictionary entry to w; it
// returns the first row whose code is out of range and that code, or -1.
func dictWords[I integer](codes []I, valid []byte, off int, hs, w []uint64) (int, int64) {
	codes = codes[:len(w)]
	for i, code := range codes {
		if valid != nil && !bitutil.BitIsSet(valid, off+i) {
			continue
		}
		if uint64(code) >= uint64(len(hs)) {
			return i, int64(code)
		}
		w[i] = hs[code]
	}
	return -1, 0
}

// dictHashes returns the hashes of a dictionary's entries (NULL entries hash
// as NULL), cached while batches share the dictionary.
func (h *Hasher) dictHashes(j int, d *array.Dictionary) ([]uint64, error) {
	dict := d.Dictionary()
	if h.dicts[j] == dict {
		return h.dictH[j], nil
	}
	if h.cols[j].kind != kindBytes {
		return nil, fmt.Errorf("group: key column %d: dictionary of %s for a %s key", j, dict.DataType(), h.cols[j].typ)
	}
	offs, data, err := bytesView(dict.Data())
	if err != nil {
		return nil, fmt.Errorf("group: key column %d dictionary: %w", j, err)
	}
	hs := make([]uint64, dict.Len())
	for i := range hs {
		if dict.IsNull(i) {
			hs[i] = nullBits
			continue
		}
		hs[i] = hashBytes(data[offs[i]:offs[i+1]])
	}
	h.dicts[j], h.dictH[j] = dict, hs
	return hs, nil
}
