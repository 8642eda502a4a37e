package group

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ErrReleased is returned by Add after Release.
var ErrReleased = errors.New("group: table released")

// maxGroups bounds the number of groups (ids are uint32; slots keep id+1).
const maxGroups = math.MaxUint32 - 1

type kind uint8

const (
	kindInt     kind = iota // integer-like: value widened to 64 bits
	kindFloat32             // normalised float32 bits
	kindFloat64             // normalised float64 bits
	kindBool                // 0 or 1
	kindBytes               // utf8 or binary, interned
	kindDecimal             // decimal128, 16 little-endian bytes interned
)

type mode uint8

const (
	modeNone  mode = iota // no key columns: one global group
	modeInt               // one fixed-width key
	modeBytes             // one string-like key: group ids are string ids
	modeMulti             // several keys: packed tuples
)

// nullMark in a dictionary cache marks a dictionary entry that is NULL.
const nullMark = math.MaxUint32

// pending marks a dictionary entry listed for resolution (see resolveMisses).
const pending = math.MaxUint32 - 1

type column struct {
	typ   arrow.DataType
	kind  kind
	width int       // bytes per value of fixed-width kinds
	strs  *strTable // kindBytes, kindDecimal

	dict    arrow.Array // retained dictionary of the last dictionary batch
	dictIDs []uint32    // code -> id+1; 0: not resolved yet; nullMark: NULL
	dictGen uint64      // bumped whenever dict changes
	dOffs   []int32     // views of dict's values
	dData   []byte
}

// Table maps key tuples to dense group ids. Create it with New; it is used by
// one goroutine at a time and must be released with Release.
type Table struct {
	mem       memory.Allocator
	cols      []column
	mode      mode
	n         int
	nullGroup int // single key: id of the NULL group, or -1
	released  bool

	// keys holds w key words per group (modeInt: w == 1; modeMulti: one word
	// per key column, then the NULL bit words).
	keys keyStore
	w    int

	dense  bool     // modeInt: keys are grouped with dmap, a direct array
	dmap   []uint32 // key word - dbase -> id+1 (may extend past dhi)
	dbase  int64
	dhi    int64   // largest key word seen in dense mode
	islots []islot // modeInt: home slot by the top bits of mixInt(key)
	ishift uint
	icount int

	mslots []uint64 // modeMulti: as strTable slots
	mshift uint
	pseeds []uint64 // modeMulti: probe seed per word position
	hseeds []uint64 // group hash seed per key column
	sink   uint64

	cw         [][]uint64 // per-batch words, w columns
	nullsClear bool       // the NULL words of cw are cleared for this batch
	row        []uint64
	scratch    []uint64
	ids32      []uint32
	miss       []uint32 // modeBytes dictionary batches: rows to resolve
	fresh      []int    // modeBytes dictionary batches: codes to resolve
	memo       []uint32 // modeMulti, small-domain batches: code tuple -> id+1
	memoKey    []int64  // per column: dictionary generation and -1, or value range
	memoOK     bool
}

// New returns an empty Table for key columns of the given logical types:
// bool, int8..int64, uint8..uint64, float32, float64, utf8, binary, date32,
// timestamp (any unit and zone) and decimal128. A dictionary type stands for
// its value type. Key data is allocated from mem and freed by Release.
//
// With no key columns every row belongs to group 0; Len stays 0 until Add has
// seen a row (an aggregate without GROUP BY over empty input is the caller's
// business).
func New(types []arrow.DataType, mem memory.Allocator) (*Table, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	t := &Table{mem: mem, cols: make([]column, len(types)), nullGroup: -1}
	for j, typ := range types {
		if d, ok := typ.(*arrow.DictionaryType); ok {
			typ = d.ValueType
		}
		c := &t.cols[j]
		c.typ = typ
		if typ == nil {
			return nil, fmt.Errorf("group: key column %d: nil type", j)
		}
		switch typ.ID() {
		case arrow.INT8, arrow.UINT8:
			c.kind, c.width = kindInt, 1
		case arrow.INT16, arrow.UINT16:
			c.kind, c.width = kindInt, 2
		case arrow.INT32, arrow.UINT32, arrow.DATE32:
			c.kind, c.width = kindInt, 4
		case arrow.INT64, arrow.UINT64, arrow.TIMESTAMP:
			c.kind, c.width = kindInt, 8
		case arrow.FLOAT32:
			c.kind, c.width = kindFloat32, 4
		case arrow.FLOAT64:
			c.kind, c.width = kindFloat64, 8
		case arrow.BOOL:
			c.kind = kindBool
		case arrow.STRING, arrow.BINARY:
			c.kind = kindBytes
		case arrow.DECIMAL128:
			c.kind, c.width = kindDecimal, 16
		default:
			return nil, fmt.Errorf("group: key column %d: unsupported key type %s", j, typ)
		}
		t.hseeds = append(t.hseeds, posSeed(j))
	}
	switch {
	case len(types) == 0:
		t.mode = modeNone
	case len(types) == 1 && t.cols[0].interned():
		t.mode = modeBytes
	case len(types) == 1:
		t.mode = modeInt
		t.w = 1
		t.keys.w = 1
		t.dense = true
		t.islots, t.ishift = make([]islot, 64), 64-6
	default:
		t.mode = modeMulti
		t.w = len(types) + (len(types)+63)/64
		t.mslots, t.mshift = make([]uint64, 64), 64-6
		t.keys.w = t.w
		t.pseeds = make([]uint64, t.w)
		for i := range t.pseeds {
			t.pseeds[i] = posSeed(1000 + i)
		}
		t.row = make([]uint64, t.w)
		t.cw = make([][]uint64, t.w)
	}
	for j := range t.cols {
		if t.cols[j].interned() {
			t.cols[j].strs = newStrTable(mem)
		}
	}
	return t, nil
}

func (c *column) interned() bool { return c.kind == kindBytes || c.kind == kindDecimal }

// Len returns the number of groups.
func (t *Table) Len() int { return t.n }

// Reserve sizes the table's hash index for n groups in all, so that adding
// up to n groups does not rehash it (a rehash of millions of groups is a
// pass of cache misses). It is a hint: keys held in a direct array, and
// tables without keys, ignore it.
func (t *Table) Reserve(n int) {
	if t.released {
		return
	}
	switch t.mode {
	case modeMulti:
		t.mslots, t.mshift = regrowFor(t.mslots, t.mshift, n)
	case modeInt:
		for !t.dense && 2*n > len(t.islots) {
			t.growInts()
		}
	case modeBytes:
		if s := t.cols[0].strs; s != nil {
			s.slots, s.shift = regrowFor(s.slots, s.shift, n)
		}
	}
}

// Add assigns a group to every row: ids[i] is the group of the key tuple of
// row i, with new tuples getting the next ids in first-seen order. keys holds
// one array per key column, each of len(ids) rows and of the column's type; a
// utf8 or binary column may be a dictionary array (any integer index type).
// The arrays are not modified; the Table keeps a reference to the dictionary
// of the last dictionary batch of each column (so a following batch with the
// same dictionary skips resolving it again) until a batch with another
// dictionary or Release. On error (wrong column count, type or length,
// dictionary index out of range) ids are unspecified and the batch may have
// been partly added; the Table stays usable.
func (t *Table) Add(keys []arrow.Array, ids []uint32) error {
	if t.released {
		return ErrReleased
	}
	if len(keys) != len(t.cols) {
		return fmt.Errorf("group: got %d key columns, want %d", len(keys), len(t.cols))
	}
	rows := len(ids)
	if t.n+rows > maxGroups {
		return fmt.Errorf("group: more than %d groups", maxGroups)
	}
	for j, a := range keys {
		if err := t.check(j, a, rows); err != nil {
			return fmt.Errorf("group: key column %d: %w", j, err)
		}
	}
	if rows == 0 {
		return nil
	}
	var err error
	switch t.mode {
	case modeNone:
		clear(ids)
		t.n = 1
	case modeInt:
		err = t.addInt(keys[0], ids)
	case modeBytes:
		err = t.addBytes(keys[0], ids)
	case modeMulti:
		err = t.addMulti(keys, ids)
	}
	if err != nil {
		return fmt.Errorf("group: %w", err)
	}
	return nil
}

// check validates column j's batch a against the declared type.
func (t *Table) check(j int, a arrow.Array, rows int) error {
	c := &t.cols[j]
	if a == nil {
		return errors.New("nil array")
	}
	if a.Len() != rows {
		return fmt.Errorf("%d rows, want %d", a.Len(), rows)
	}
	dt := a.DataType()
	if d, ok := dt.(*arrow.DictionaryType); ok {
		if !c.interned() || c.kind == kindDecimal || !arrow.TypeEqual(d.ValueType, c.typ) {
			return fmt.Errorf("type %s, want %s", dt, c.typ)
		}
		if !arrow.IsInteger(d.IndexType.ID()) {
			return fmt.Errorf("dictionary index type %s is not an integer", d.IndexType)
		}
		return t.checkArena(c, a.(*array.Dictionary).Dictionary())
	}
	if !arrow.TypeEqual(dt, c.typ) {
		return fmt.Errorf("type %s, want %s", dt, c.typ)
	}
	if c.interned() {
		return t.checkArena(c, a)
	}
	return nil
}

// checkArena makes sure the batch's bytes cannot overflow the column's arena.
func (t *Table) checkArena(c *column, a arrow.Array) error {
	var n int
	if c.kind == kindDecimal {
		n = 16 * a.Len()
	} else {
		offs, _, err := offsetsOf(a.Data())
		if err != nil {
			return err
		}
		n = int(offs[len(offs)-1] - offs[0])
	}
	if len(c.strs.arena.s)+n > maxArena {
		return fmt.Errorf("more than %d bytes of distinct keys", maxArena)
	}
	return nil
}

// bytesView returns the offsets (absolute, one more than the rows) and the
// value bytes of a utf8 or binary array, checking that they are consistent.
func bytesView(d arrow.ArrayData) ([]int32, []byte, error) {
	offs, data, err := offsetsOf(d)
	if err != nil {
		return nil, nil, err
	}
	prev := offs[0]
	for _, o := range offs[1:] {
		if o < prev {
			return nil, nil, errors.New("malformed string array: decreasing offsets")
		}
		prev = o
	}
	return offs, data, nil
}

// offsetsOf is bytesView without the check that offsets never decrease.
func offsetsOf(d arrow.ArrayData) ([]int32, []byte, error) {
	bufs := d.Buffers()
	off, n := d.Offset(), d.Len()
	if len(bufs) < 3 {
		return nil, nil, errors.New("malformed string array")
	}
	var offs []int32
	if bufs[1] != nil {
		offs = arrow.Int32Traits.CastFromBytes(bufs[1].Bytes())
	}
	if len(offs) < off+n+1 {
		if n == 0 {
			return []int32{0}, nil, nil
		}
		return nil, nil, errors.New("malformed string array: short offsets")
	}
	offs = offs[off : off+n+1]
	var data []byte
	if bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	if offs[0] < 0 || int(offs[n]) > len(data) || offs[n] < offs[0] {
		return nil, nil, errors.New("malformed string array: offsets out of range")
	}
	return offs, data, nil
}

// Hash returns the hash of group g (g < Len()). It depends only on the key
// values of g and the key columns' logical types.
func (t *Table) Hash(g uint32) uint64 {
	var acc uint64
	for j := range t.cols {
		acc += term(t.bits(j, int(g)), t.hseeds[j])
	}
	return finish(acc)
}

// bits returns the hashed value of key column j of group g.
func (t *Table) bits(j, g int) uint64 {
	v := t.view(j)
	w, null := v.at(g)
	switch {
	case null:
		return nullBits
	case t.cols[j].interned():
		return t.cols[j].strs.hashes.s[w]
	}
	return w
}

// Buckets splits the group ids 0..Len()-1 into p buckets by Hash(g) % p, each
// in ascending id order. It returns nil when p < 1.
func (t *Table) Buckets(p int) [][]uint32 {
	if p < 1 {
		return nil
	}
	hs := make([]uint64, t.n)
	for j := range t.cols {
		v := t.view(j)
		seed := t.hseeds[j]
		var hashes []uint64
		if t.cols[j].interned() {
			hashes = t.cols[j].strs.hashes.s
		}
		for g := range hs {
			w, null := v.at(g)
			switch {
			case null:
				w = nullBits
			case hashes != nil:
				w = hashes[w]
			}
			hs[g] += term(w, seed)
		}
	}
	counts := make([]int, p)
	for g, h := range hs {
		b := finish(h) % uint64(p)
		hs[g] = b
		counts[b]++
	}
	all := make([]uint32, t.n)
	out := make([][]uint32, p)
	at := 0
	for b, c := range counts {
		out[b] = all[at : at : at+c]
		at += c
	}
	for g, b := range hs {
		out[b] = append(out[b], uint32(g))
	}
	return out
}

// Bytes estimates the memory held by the Table.
func (t *Table) Bytes() int64 {
	n := t.keys.bytes() + int64(16*len(t.islots)+8*len(t.mslots)+4*len(t.dmap))
	for j := range t.cols {
		c := &t.cols[j]
		if c.strs != nil {
			n += c.strs.bytes()
		}
		n += int64(4 * cap(c.dictIDs))
	}
	for _, c := range t.cw {
		n += int64(8 * cap(c))
	}
	n += int64(8*cap(t.scratch) + 4*cap(t.memo) + 4*cap(t.ids32) + 4*cap(t.miss) + 8*cap(t.fresh))
	return n
}

// Release frees the Table's memory and drops its dictionary references. The
// Table must not be used afterwards, except that Release may be called again.
func (t *Table) Release() {
	if t.released {
		return
	}
	t.released = true
	t.keys.free(t.mem)
	t.islots, t.mslots, t.dmap = nil, nil, nil
	for j := range t.cols {
		c := &t.cols[j]
		if c.strs != nil {
			c.strs.free()
			c.strs = nil
		}
		if c.dict != nil {
			c.dict.Release()
			c.dict = nil
		}
		c.dictIDs = nil
	}
	t.cw, t.row, t.scratch, t.memo, t.ids32, t.miss, t.fresh = nil, nil, nil, nil, nil, nil, nil
	t.n = 0
	t.nullGroup = -1
}

// nullID returns the NULL group of a single-key table, creating it.
func (t *Table) nullID() uint32 {
	if t.nullGroup < 0 {
		switch t.mode {
		case modeInt:
			t.nullGroup = t.n
			t.keys.push(t.mem, []uint64{0})
			t.n++
		case modeBytes:
			t.nullGroup = int(t.cols[0].strs.addNull())
			t.n = t.cols[0].strs.len()
		}
	}
	return uint32(t.nullGroup)
}

// colView reads key column j of any group.
type colView struct {
	keys      *keyStore
	off       int
	nullOff   int
	nullMask  uint64
	nullGroup int
	ident     bool // the word is the group id (modeBytes)
}

func (t *Table) view(j int) colView {
	switch t.mode {
	case modeBytes:
		return colView{ident: true, nullGroup: t.nullGroup}
	case modeInt:
		return colView{keys: &t.keys, nullGroup: t.nullGroup}
	}
	k := len(t.cols)
	return colView{keys: &t.keys, off: j, nullOff: k + j/64, nullMask: 1 << (j % 64), nullGroup: -1}
}

func (v *colView) at(g int) (uint64, bool) {
	if v.ident {
		return uint64(g), g == v.nullGroup
	}
	key := v.keys.at(g)
	if v.nullMask != 0 && key[v.nullOff]&v.nullMask != 0 {
		return 0, true
	}
	return key[v.off], g == v.nullGroup
}
