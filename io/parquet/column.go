package parquet

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/dfq/dfq/engine/recycle"
)

// ErrCorrupt is returned (wrapped) when a file's pages contradict its metadata.
var ErrCorrupt = errors.New("corrupt parquet data")

// colReader decodes one column of the split, one column chunk at a time.
type colReader interface {
	// open positions the reader on row lo of a column chunk.
	open(cc pq.ColumnChunk, lo int64, md *format.ColumnMetaData) error
	// read decodes the next n rows of the open chunk into a new array owned
	// by the caller.
	read(mem memory.Allocator, n int) (arrow.Array, error)
	// close releases the open chunk's pages and any chunk state.
	close()
}

// newColReader returns the decoder for c.
func newColReader(c *column) colReader {
	switch c.conv {
	case convBool:
		return newBoolReader(c)
	case convInt8:
		return newFixed(c, narrowInt32[int8])
	case convInt16:
		return newFixed(c, narrowInt32[int16])
	case convInt32:
		return newFixed(c, viewInt32)
	case convUint8:
		return newFixed(c, narrowInt32[uint8])
	case convUint16:
		return newFixed(c, narrowInt32[uint16])
	case convUint32:
		return newFixed(c, viewUint32)
	case convInt64:
		return newFixed(c, viewInt64)
	case convUint64:
		return newFixed(c, viewUint64)
	case convFloat32:
		return newFixed(c, viewFloat32)
	case convFloat64:
		return newFixed(c, viewFloat64)
	case convInt96:
		return newFixed(c, int96Values)
	case convDecimal:
		return newFixed(c, decimalValues(c))
	default:
		return newBytesReader(c)
	}
}

// cursor walks the pages of one column chunk and tracks the position in the
// current page: row counts rows (NULLs included), val counts stored values.
type cursor struct {
	col    *column
	pages  pageSource
	page   page
	defs   []byte // definition levels of the page; nil when it holds no NULL
	maxDef byte
	rows   int
	row    int
	val    int
	skip   int64 // rows to skip before the first row read
	load   func(p page, values int) error
}

func (c *cursor) openPages(cc pq.ColumnChunk, lo int64, col *column, md *format.ColumnMetaData) error {
	c.closePages()
	c.skip = lo
	if needsRawPages(col, md) {
		raw, err := newRawPages(cc, col, md)
		if err != nil {
			return err
		}
		c.pages = raw
		return nil
	}
	pages := cc.Pages()
	c.pages = &goPages{pages: pages}
	if lo <= 0 {
		return nil
	}
	// Seek to the start of the page holding row lo (a seek into the middle of
	// a page would hand back a sliced page); skip the rest by hand.
	oi, err := cc.OffsetIndex()
	if err != nil || oi == nil || oi.NumPages() == 0 {
		return nil
	}
	p := sort.Search(oi.NumPages(), func(i int) bool { return oi.FirstRowIndex(i) > lo }) - 1
	if p <= 0 {
		return nil
	}
	first := oi.FirstRowIndex(p)
	if err := pages.SeekToRow(first); err != nil {
		return err
	}
	c.skip = lo - first
	return nil
}

// next moves to the next page holding rows to read.
func (c *cursor) next() error {
	c.page, c.rows, c.row, c.val, c.defs = nil, 0, 0, 0, nil
	for {
		p, err := c.pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("column chunk ends before its last row: %w", ErrCorrupt)
			}
			return err
		}
		rows := int(p.NumRows())
		if c.skip >= int64(rows) {
			c.skip -= int64(rows)
			continue
		}
		c.page, c.rows = p, rows
		values := rows
		if c.maxDef > 0 {
			defs := p.DefinitionLevels()
			if len(defs) != rows {
				return fmt.Errorf("page has %d definition levels for %d rows: %w", len(defs), rows, ErrCorrupt)
			}
			if nulls := int(p.NumNulls()); nulls > 0 {
				c.defs = defs
				values = rows - nulls
			}
		}
		if err := c.load(p, values); err != nil {
			return err
		}
		if c.skip > 0 {
			c.advance(int(c.skip))
			c.skip = 0
		}
		return nil
	}
}

// advance skips k rows of the current page.
func (c *cursor) advance(k int) {
	if c.defs == nil {
		c.val += k
	} else {
		for _, d := range c.defs[c.row : c.row+k] {
			if d == c.maxDef {
				c.val++
			}
		}
	}
	c.row += k
}

func (c *cursor) closePages() {
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
	c.page, c.rows, c.row, c.val, c.defs, c.skip = nil, 0, 0, 0, nil, 0
}

// validity builds a validity bitmap, allocated at the first NULL.
type validity struct {
	mem   memory.Allocator
	n     int
	buf   *memory.Buffer
	bits  []byte
	nulls int
}

func (v *validity) reset(mem memory.Allocator, n int) {
	*v = validity{mem: mem, n: n}
}

// bitmap returns the bitmap, allocating it with rows [0, done) valid.
func (v *validity) bitmap(done int) []byte {
	if v.bits == nil {
		v.buf = memory.NewResizableBuffer(v.mem)
		v.buf.Resize(int(bitutil.BytesForBits(int64(v.n))))
		v.bits = v.buf.Bytes()
		clear(v.bits)
		bitutil.SetBitsTo(v.bits, 0, int64(done), true)
	}
	return v.bits
}

func (v *validity) setValid(off, k int) {
	if v.bits != nil {
		bitutil.SetBitsTo(v.bits, int64(off), int64(k), true)
	}
}

// finish returns the bitmap buffer (nil without NULLs), owned by the caller.
func (v *validity) finish() *memory.Buffer {
	if v.nulls == 0 && v.buf != nil {
		v.buf.Release()
		v.buf, v.bits = nil, nil
	}
	b := v.buf
	v.buf, v.bits = nil, nil
	return b
}

func (v *validity) release() {
	if v.buf != nil {
		v.buf.Release()
		v.buf, v.bits = nil, nil
	}
}

// checkIndexes verifies dictionary indexes against the dictionary size.
func checkIndexes(idx []int32, n int) error {
	var m, m0, m1, m2, m3 uint32
	i := 0
	for ; i+4 <= len(idx); i += 4 {
		m0 = max(m0, uint32(idx[i]))
		m1 = max(m1, uint32(idx[i+1]))
		m2 = max(m2, uint32(idx[i+2]))
		m3 = max(m3, uint32(idx[i+3]))
	}
	for ; i < len(idx); i++ {
		m = max(m, uint32(idx[i]))
	}
	m = max(m, m0, m1, m2, m3)
	if len(idx) > 0 && uint64(m) >= uint64(n) {
		return fmt.Errorf("dictionary index %d out of range [0, %d): %w", int32(m), n, ErrCorrupt)
	}
	return nil
}

func grow[T any](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n)
	}
	return (*s)[:n]
}

// Page value converters: view (no copy) when the Arrow type has the physical
// layout, else convert into scratch.

func viewInt32(v encoding.Values, _ *[]int32) ([]int32, error)       { return v.Int32(), nil }
func viewInt64(v encoding.Values, _ *[]int64) ([]int64, error)       { return v.Int64(), nil }
func viewFloat32(v encoding.Values, _ *[]float32) ([]float32, error) { return v.Float(), nil }
func viewFloat64(v encoding.Values, _ *[]float64) ([]float64, error) { return v.Double(), nil }

func viewUint32(v encoding.Values, _ *[]uint32) ([]uint32, error) {
	s := v.Int32()
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s))), len(s)), nil
}

func viewUint64(v encoding.Values, _ *[]uint64) ([]uint64, error) {
	s := v.Int64()
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s))), len(s)), nil
}

func narrowInt32[T int8 | int16 | uint8 | uint16](v encoding.Values, scratch *[]T) ([]T, error) {
	src := v.Int32()
	dst := grow(scratch, len(src))
	for i, x := range src {
		dst[i] = T(x)
	}
	return dst, nil
}

func int96Values(v encoding.Values, scratch *[]int64) ([]int64, error) {
	src := v.Int96()
	dst := grow(scratch, len(src))
	for i, x := range src {
		nanos := int64(uint64(x[0]) | uint64(x[1])<<32)
		dst[i] = (int64(x[2])-julianUnixEpoch)*nanosPerDay + nanos
	}
	return dst, nil
}

func decimalValues(c *column) func(encoding.Values, *[]decimal128.Num) ([]decimal128.Num, error) {
	switch c.phys {
	case format.Int32:
		return func(v encoding.Values, scratch *[]decimal128.Num) ([]decimal128.Num, error) {
			src := v.Int32()
			dst := grow(scratch, len(src))
			for i, x := range src {
				dst[i] = decimal128.FromI64(int64(x))
			}
			return dst, nil
		}
	case format.Int64:
		return func(v encoding.Values, scratch *[]decimal128.Num) ([]decimal128.Num, error) {
			src := v.Int64()
			dst := grow(scratch, len(src))
			for i, x := range src {
				dst[i] = decimal128.FromI64(x)
			}
			return dst, nil
		}
	case format.FixedLenByteArray:
		return func(v encoding.Values, scratch *[]decimal128.Num) ([]decimal128.Num, error) {
			data, size := v.FixedLenByteArray()
			if size < 1 || size > 16 {
				return nil, fmt.Errorf("decimal of %d bytes: %w", size, ErrCorrupt)
			}
			dst := grow(scratch, len(data)/size)
			for i := range dst {
				dst[i] = decimalFromBigEndian(data[i*size : (i+1)*size])
			}
			return dst, nil
		}
	default:
		return func(v encoding.Values, scratch *[]decimal128.Num) ([]decimal128.Num, error) {
			data, offs := v.ByteArray()
			if len(offs) == 0 {
				return nil, nil
			}
			dst := grow(scratch, len(offs)-1)
			for i := range dst {
				b := data[offs[i]:offs[i+1]]
				if len(b) > 16 {
					return nil, fmt.Errorf("decimal of %d bytes: %w", len(b), ErrCorrupt)
				}
				dst[i] = decimalFromBigEndian(b)
			}
			return dst, nil
		}
	}
}

// fixedReader decodes fixed-width columns into Arrow arrays of T.
type fixedReader[T any] struct {
	cursor
	typ         arrow.DataType
	conv        func(encoding.Values, *[]T) ([]T, error)
	vals        []T     // plain page values
	idx         []int32 // dictionary page indexes
	indexed     bool    // the current page holds dictionary indexes
	dict        pq.Dictionary
	dictVals    []T
	scratch     []T
	dictScratch []T
}

func newFixed[T any](c *column, conv func(encoding.Values, *[]T) ([]T, error)) *fixedReader[T] {
	r := &fixedReader[T]{typ: c.typ, conv: conv}
	r.col, r.maxDef = c, c.maxDef
	r.load = r.loadPage
	return r
}

func (r *fixedReader[T]) open(cc pq.ColumnChunk, lo int64, md *format.ColumnMetaData) error {
	r.dict, r.dictVals = nil, nil
	return r.openPages(cc, lo, r.col, md)
}

func (r *fixedReader[T]) close() {
	r.closePages()
	r.dict, r.dictVals, r.vals, r.idx = nil, nil, nil, nil
}

func (r *fixedReader[T]) loadPage(p page, values int) error {
	if d := p.Dictionary(); d != nil {
		if d != r.dict {
			dv, err := r.conv(d.Page().Data(), &r.dictScratch)
			if err != nil {
				return err
			}
			r.dict, r.dictVals = d, dv
		}
		pd := p.Data()
		idx := pd.Int32()
		if len(idx) < values {
			return fmt.Errorf("page holds %d values for %d non-null rows: %w", len(idx), values, ErrCorrupt)
		}
		if err := checkIndexes(idx[:values], len(r.dictVals)); err != nil {
			return err
		}
		r.idx, r.vals, r.indexed = idx, nil, true
		return nil
	}
	vals, err := r.conv(p.Data(), &r.scratch)
	if err != nil {
		return err
	}
	if len(vals) < values {
		return fmt.Errorf("page holds %d values for %d non-null rows: %w", len(vals), values, ErrCorrupt)
	}
	r.vals, r.idx, r.indexed = vals, nil, false
	return nil
}

func (r *fixedReader[T]) read(mem memory.Allocator, n int) (arr arrow.Array, err error) {
	var zero T
	buf := recycle.NewBuffer(mem, n*int(unsafe.Sizeof(zero)))
	var out []T
	if n > 0 {
		out = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
	}
	var vb validity
	vb.reset(mem, n)
	defer func() {
		if arr == nil { // error or panic
			buf.Release()
			vb.release()
		}
	}()
	for done := 0; done < n; {
		if r.row >= r.rows {
			if err := r.next(); err != nil {
				return nil, err
			}
			continue
		}
		k := min(n-done, r.rows-r.row)
		dst := out[done : done+k]
		if r.defs == nil {
			if !r.indexed {
				copy(dst, r.vals[r.val:r.val+k])
			} else {
				gather(dst, r.dictVals, r.idx[r.val:r.val+k])
			}
			r.val += k
			vb.setValid(done, k)
		} else {
			bits := vb.bitmap(done)
			defs := r.defs[r.row : r.row+k]
			var nulls int
			if !r.indexed {
				r.val, nulls = scatter(dst, r.vals, r.val, defs, r.maxDef, bits, done)
			} else {
				r.val, nulls = scatterDict(dst, r.dictVals, r.idx, r.val, defs, r.maxDef, bits, done)
			}
			vb.nulls += nulls
		}
		r.row += k
		done += k
	}
	return makeArray(r.typ, n, &vb, buf), nil
}

// makeArray builds a fixed-width array from a values buffer and a validity
// builder, taking over the caller's references to both.
func makeArray(typ arrow.DataType, n int, vb *validity, buf *memory.Buffer) arrow.Array {
	nulls := vb.nulls
	valid := vb.finish()
	data := array.NewData(typ, n, []*memory.Buffer{valid, buf}, nil, nulls, 0)
	if valid != nil {
		valid.Release()
	}
	buf.Release()
	arr := array.MakeFromData(data)
	data.Release()
	return arr
}

func gather[T any](dst, dict []T, idx []int32) {
	idx = idx[:len(dst)]
	for i, j := range idx {
		dst[i] = dict[j]
	}
}

func scatter[T any](dst, src []T, val int, defs []byte, maxDef byte, bits []byte, off int) (int, int) {
	var zero T
	nulls := 0
	dst = dst[:len(defs)]
	for i, d := range defs {
		if d == maxDef {
			dst[i] = src[val]
			val++
			j := off + i
			bits[j>>3] |= 1 << uint(j&7)
		} else {
			dst[i] = zero
			nulls++
		}
	}
	return val, nulls
}

func scatterDict[T any](dst, dict []T, idx []int32, val int, defs []byte, maxDef byte, bits []byte, off int) (int, int) {
	var zero T
	nulls := 0
	dst = dst[:len(defs)]
	for i, d := range defs {
		if d == maxDef {
			dst[i] = dict[idx[val]]
			val++
			j := off + i
			bits[j>>3] |= 1 << uint(j&7)
		} else {
			dst[i] = zero
			nulls++
		}
	}
	return val, nulls
}

// boolReader decodes BOOLEAN columns.
type boolReader struct {
	cursor
	bits    []byte // page values, bit-packed from bit 0
	scratch []byte
}

func newBoolReader(c *column) *boolReader {
	r := &boolReader{}
	r.col, r.maxDef = c, c.maxDef
	r.load = r.loadPage
	return r
}

func (r *boolReader) open(cc pq.ColumnChunk, lo int64, md *format.ColumnMetaData) error {
	return r.openPages(cc, lo, r.col, md)
}

func (r *boolReader) close() {
	r.closePages()
	r.bits = nil
}

func (r *boolReader) loadPage(p page, values int) error {
	if d := p.Dictionary(); d != nil {
		dd := d.Page().Data()
		dict := dd.Boolean()
		pd := p.Data()
		idx := pd.Int32()
		if len(idx) < values {
			return fmt.Errorf("page holds %d values for %d non-null rows: %w", len(idx), values, ErrCorrupt)
		}
		if err := checkIndexes(idx[:values], min(d.Len(), 8*len(dict))); err != nil {
			return err
		}
		bits := grow(&r.scratch, int(bitutil.BytesForBits(int64(values))))
		clear(bits)
		for i, j := range idx[:values] {
			if bitutil.BitIsSet(dict, int(j)) {
				bitutil.SetBit(bits, i)
			}
		}
		r.bits = bits
		return nil
	}
	pd := p.Data()
	bits := pd.Boolean()
	if int64(len(bits))*8 < int64(values) {
		return fmt.Errorf("page holds %d bits for %d non-null rows: %w", len(bits)*8, values, ErrCorrupt)
	}
	r.bits = bits
	return nil
}

func (r *boolReader) read(mem memory.Allocator, n int) (arr arrow.Array, err error) {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	out := buf.Bytes()
	clear(out)
	var vb validity
	vb.reset(mem, n)
	defer func() {
		if arr == nil { // error or panic
			buf.Release()
			vb.release()
		}
	}()
	for done := 0; done < n; {
		if r.row >= r.rows {
			if err := r.next(); err != nil {
				return nil, err
			}
			continue
		}
		k := min(n-done, r.rows-r.row)
		if r.defs == nil {
			bitutil.CopyBitmap(r.bits, r.val, k, out, done)
			r.val += k
			vb.setValid(done, k)
		} else {
			bits := vb.bitmap(done)
			val := r.val
			for i, d := range r.defs[r.row : r.row+k] {
				if d == r.maxDef {
					if bitutil.BitIsSet(r.bits, val) {
						bitutil.SetBit(out, done+i)
					}
					bitutil.SetBit(bits, done+i)
					val++
				} else {
					vb.nulls++
				}
			}
			r.val = val
		}
		r.row += k
		done += k
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, &vb, buf), nil
}
