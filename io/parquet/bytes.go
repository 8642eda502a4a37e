package parquet

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/dfq/dfq/engine/recycle"
)

// dictStringType is the physical type of dictionary-encoded string columns.
var dictStringType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// bytesReader decodes BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY columns into utf8
// or binary arrays, or, for string chunks whose data pages are all
// dictionary encoded, into dictionary arrays sharing one dictionary per chunk.
type bytesReader struct {
	cursor
	typ  arrow.DataType // String or Binary
	utf8 bool

	// current page: plain values, or indexes into the dictionary
	data    []byte
	offs    []uint32
	idx     []int32
	indexed bool // the current page holds dictionary indexes

	dict        pq.Dictionary
	dictData    []byte
	dictOffs    []uint32
	offsScratch []uint32
	dictScratch []uint32

	mem      memory.Allocator
	dictMode bool          // emit dictionary arrays for the open chunk
	dictArr  *array.String // the open chunk's dictionary (dictMode)
}

func newBytesReader(c *column) *bytesReader {
	r := &bytesReader{typ: c.typ, utf8: c.typ.ID() == arrow.STRING}
	r.col, r.maxDef = c, c.maxDef
	r.load = r.loadPage
	return r
}

// dictionaryOnly reports whether a chunk's metadata says (or, without
// encoding statistics, suggests) that all its data pages are dictionary
// encoded. A guess proven wrong by a plain page falls back to plain strings.
func dictionaryOnly(md *format.ColumnMetaData) bool {
	if len(md.EncodingStats) > 0 {
		found := false
		for _, s := range md.EncodingStats {
			if s.PageType != format.DataPage && s.PageType != format.DataPageV2 {
				continue
			}
			if s.Encoding != format.PlainDictionary && s.Encoding != format.RLEDictionary {
				if s.Count > 0 {
					return false
				}
				continue
			}
			found = true
		}
		return found
	}
	for _, e := range md.Encoding {
		if e == format.PlainDictionary || e == format.RLEDictionary {
			return true
		}
	}
	return false
}

func (r *bytesReader) open(cc pq.ColumnChunk, lo int64, md *format.ColumnMetaData) error {
	r.closeChunk()
	r.dictMode = r.utf8 && dictionaryOnly(md)
	return r.openPages(cc, lo, r.col, md)
}

func (r *bytesReader) closeChunk() {
	if r.dictArr != nil {
		r.dictArr.Release()
		r.dictArr = nil
	}
	r.dict, r.dictData, r.dictOffs = nil, nil, nil
	r.data, r.offs, r.idx = nil, nil, nil
}

func (r *bytesReader) close() {
	r.closePages()
	r.closeChunk()
}

// byteValues returns the values and offsets of byte array or fixed length
// byte array values.
func byteValues(v encoding.Values, scratch *[]uint32) ([]byte, []uint32, error) {
	if v.Kind() == encoding.FixedLenByteArray {
		data, size := v.FixedLenByteArray()
		if size <= 0 {
			return nil, nil, fmt.Errorf("fixed length %d: %w", size, ErrCorrupt)
		}
		n := len(data) / size
		offs := grow(scratch, n+1)
		for i := range offs {
			offs[i] = uint32(i * size)
		}
		return data, offs, nil
	}
	data, offs := v.ByteArray()
	if len(offs) == 0 {
		offs = grow(scratch, 1)
		offs[0] = 0
	}
	if int(offs[len(offs)-1]) > len(data) || offs[0] > offs[len(offs)-1] {
		return nil, nil, fmt.Errorf("byte array offsets out of range: %w", ErrCorrupt)
	}
	return data, offs, nil
}

func (r *bytesReader) loadPage(p page, values int) error {
	if d := p.Dictionary(); d != nil {
		if d != r.dict {
			if r.dict != nil {
				// A second dictionary in one chunk: stop sharing the first
				// (read converts the batch with the old one, then drops it).
				r.dictMode = false
			}
			data, offs, err := byteValues(d.Page().Data(), &r.dictScratch)
			if err != nil {
				return err
			}
			r.dict, r.dictData, r.dictOffs = d, data, offs
			if r.dictMode {
				if err := r.buildDictionary(); err != nil {
					return err
				}
			}
		}
		pd := p.Data()
		idx := pd.Int32()
		if len(idx) < values {
			return fmt.Errorf("page holds %d values for %d non-null rows: %w", len(idx), values, ErrCorrupt)
		}
		if err := checkIndexes(idx[:values], len(r.dictOffs)-1); err != nil {
			return err
		}
		r.idx, r.data, r.offs, r.indexed = idx, nil, nil, true
		return nil
	}
	data, offs, err := byteValues(p.Data(), &r.offsScratch)
	if err != nil {
		return err
	}
	if len(offs)-1 < values {
		return fmt.Errorf("page holds %d values for %d non-null rows: %w", len(offs)-1, values, ErrCorrupt)
	}
	r.data, r.offs, r.idx, r.indexed = data, offs, nil, false
	return nil
}

// strOut accumulates the offsets and bytes of a utf8 or binary array.
type strOut struct {
	n       int // rows
	offBuf  *memory.Buffer
	offs    []int32 // n+1
	dataBuf *memory.Buffer
	data    []byte // full capacity of dataBuf
	used    int
}

func (s *strOut) init(mem memory.Allocator, n int) {
	s.offBuf = memory.NewResizableBuffer(mem)
	s.offBuf.Resize((n + 1) * 4)
	s.offs = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(s.offBuf.Bytes()))), n+1)
	s.offs[0] = 0
	s.dataBuf = memory.NewResizableBuffer(mem)
	s.data, s.used, s.n = nil, 0, n
}

// reserve makes room for extra more bytes, which complete the rows before
// row upTo of n: growth extrapolates the bytes per row seen so far.
func (s *strOut) reserve(extra, upTo int) error {
	need := s.used + extra
	if need > math.MaxInt32 {
		return fmt.Errorf("more than 2 GiB of string data in one batch; use a smaller batch size")
	}
	if need <= len(s.data) {
		return nil
	}
	c := max(need, 2*len(s.data), 4096)
	if upTo > 0 && upTo < s.n {
		c = max(c, need+need/upTo*(s.n-upTo)+need/8)
	}
	s.dataBuf.Reserve(min(c, math.MaxInt32))
	s.data = s.dataBuf.Buf()
	return nil
}

func (s *strOut) release() {
	if s.offBuf != nil {
		s.offBuf.Release()
		s.offBuf = nil
	}
	if s.dataBuf != nil {
		s.dataBuf.Release()
		s.dataBuf = nil
	}
}

// appendPlain appends k rows from plain values starting at value val.
func (s *strOut) appendPlain(at int, data []byte, offs []uint32, val, k int, defs []byte, maxDef byte, bits []byte) (int, int, error) {
	if defs == nil {
		start, end := int(offs[val]), int(offs[val+k])
		if err := s.reserve(end-start, at+k); err != nil {
			return val, 0, err
		}
		copy(s.data[s.used:], data[start:end])
		base := int32(s.used - start)
		dst := s.offs[at+1 : at+1+k]
		for i, o := range offs[val+1 : val+1+k] {
			dst[i] = int32(o) + base
		}
		s.used += end - start
		return val + k, 0, nil
	}
	m := 0
	for _, d := range defs {
		if d == maxDef {
			m++
		}
	}
	if err := s.reserve(int(offs[val+m])-int(offs[val]), at+len(defs)); err != nil {
		return val, 0, err
	}
	nulls := 0
	used := s.used
	dst := s.offs[at+1 : at+1+len(defs)]
	for i, d := range defs {
		if d == maxDef {
			b := data[offs[val]:offs[val+1]]
			used += copy(s.data[used:], b)
			val++
			j := at + i
			bits[j>>3] |= 1 << uint(j&7)
		} else {
			nulls++
		}
		dst[i] = int32(used)
	}
	s.used = used
	return val, nulls, nil
}

// appendDict appends k rows looked up in a dictionary.
func (s *strOut) appendDict(at int, ddata []byte, doffs []uint32, idx []int32, val int, defs []byte, maxDef byte, bits []byte, k int) (int, int, error) {
	m := k
	if defs != nil {
		m = 0
		for _, d := range defs {
			if d == maxDef {
				m++
			}
		}
	}
	total := 0
	for _, j := range idx[val : val+m] {
		total += int(doffs[j+1] - doffs[j])
	}
	if err := s.reserve(total, at+k); err != nil {
		return val, 0, err
	}
	used := s.used
	dst := s.offs[at+1 : at+1+k]
	nulls := 0
	if defs == nil {
		for i, j := range idx[val : val+k] {
			used += copy(s.data[used:], ddata[doffs[j]:doffs[j+1]])
			dst[i] = int32(used)
		}
		val += k
	} else {
		for i, d := range defs {
			if d == maxDef {
				j := idx[val]
				used += copy(s.data[used:], ddata[doffs[j]:doffs[j+1]])
				val++
				x := at + i
				bits[x>>3] |= 1 << uint(x&7)
			} else {
				nulls++
			}
			dst[i] = int32(used)
		}
	}
	s.used = used
	return val, nulls, nil
}

// finish returns the array data buffers, owned by the caller.
func (s *strOut) finish() (offs, data *memory.Buffer) {
	s.dataBuf.Resize(s.used)
	offs, data = s.offBuf, s.dataBuf
	s.offBuf, s.dataBuf = nil, nil
	return offs, data
}

// buildDictionary makes the chunk's dictionary a utf8 array.
func (r *bytesReader) buildDictionary() error {
	mem := r.mem
	n := len(r.dictOffs) - 1
	base := r.dictOffs[0]
	size := int(r.dictOffs[n] - base)
	if size > math.MaxInt32 {
		return fmt.Errorf("dictionary larger than 2 GiB")
	}
	ob := recycle.NewBuffer(mem, (n+1)*4)
	offs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(ob.Bytes()))), n+1)
	for i, o := range r.dictOffs[:n+1] {
		offs[i] = int32(o - base)
	}
	db := recycle.NewBuffer(mem, size)
	copy(db.Bytes(), r.dictData[base:r.dictOffs[n]])
	data := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, ob, db}, nil, 0, 0)
	ob.Release()
	db.Release()
	r.dictArr = array.NewStringData(data)
	data.Release()
	return nil
}

func (r *bytesReader) read(mem memory.Allocator, n int) (arr arrow.Array, err error) {
	r.mem = mem
	var vb validity
	vb.reset(mem, n)
	var so strOut
	var idxBuf *memory.Buffer
	var idxOut []int32
	defer func() {
		if arr == nil { // error or panic
			vb.release()
			so.release()
			if idxBuf != nil {
				idxBuf.Release()
			}
		}
	}()
	plain := !r.dictMode
	if plain {
		so.init(mem, n)
	} else {
		idxBuf = recycle.NewBuffer(mem, n*4) // every row's index is written
		if n > 0 {
			idxOut = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(idxBuf.Bytes()))), n)
		}
	}
	for done := 0; done < n; {
		if r.row >= r.rows {
			if err := r.next(); err != nil {
				return nil, err
			}
			if !plain && (!r.indexed || !r.dictMode) {
				// A plain page (or a new dictionary) in a chunk read as
				// dictionary: turn what this batch holds into plain strings.
				r.dictMode = false
				so.init(mem, n)
				if err := r.plainFromIndexes(&so, idxOut[:done], vb.bits); err != nil {
					return nil, err
				}
				if r.dictArr != nil {
					r.dictArr.Release()
					r.dictArr = nil
				}
				idxBuf.Release()
				idxBuf, idxOut = nil, nil
				plain = true
			}
			continue
		}
		k := min(n-done, r.rows-r.row)
		var bits, defs []byte
		if r.defs != nil {
			bits = vb.bitmap(done)
			defs = r.defs[r.row : r.row+k]
		} else {
			vb.setValid(done, k)
		}
		var nulls int
		switch {
		case !plain:
			if defs == nil {
				copy(idxOut[done:done+k], r.idx[r.val:r.val+k])
				r.val += k
			} else {
				r.val, nulls = scatter(idxOut[done:done+k], r.idx, r.val, defs, r.maxDef, bits, done)
			}
		case !r.indexed:
			r.val, nulls, err = so.appendPlain(done, r.data, r.offs, r.val, k, defs, r.maxDef, bits)
		default:
			r.val, nulls, err = so.appendDict(done, r.dictData, r.dictOffs, r.idx, r.val, defs, r.maxDef, bits, k)
		}
		if err != nil {
			return nil, err
		}
		vb.nulls += nulls
		r.row += k
		done += k
	}
	if plain {
		nulls := vb.nulls
		valid := vb.finish()
		offs, data := so.finish()
		d := array.NewData(r.typ, n, []*memory.Buffer{valid, offs, data}, nil, nulls, 0)
		if valid != nil {
			valid.Release()
		}
		offs.Release()
		data.Release()
		arr := array.MakeFromData(d)
		d.Release()
		return arr, nil
	}
	if r.dictArr == nil {
		return nil, fmt.Errorf("dictionary page missing: %w", ErrCorrupt)
	}
	indices := makeArray(arrow.PrimitiveTypes.Int32, n, &vb, idxBuf)
	idxBuf = nil
	defer indices.Release()
	return array.NewDictionaryArray(dictStringType, indices, r.dictArr), nil
}

// plainFromIndexes converts the first len(idx) rows decoded as dictionary
// indexes into plain strings.
func (r *bytesReader) plainFromIndexes(so *strOut, idx []int32, bits []byte) error {
	if len(idx) == 0 {
		return nil
	}
	if r.dictArr == nil {
		return fmt.Errorf("dictionary page missing: %w", ErrCorrupt)
	}
	total := 0
	for i, j := range idx {
		if bits == nil || bitutil.BitIsSet(bits, i) {
			total += r.dictArr.ValueLen(int(j))
		}
	}
	if err := so.reserve(total, len(idx)); err != nil {
		return err
	}
	used := so.used
	for i, j := range idx {
		if bits == nil || bitutil.BitIsSet(bits, i) {
			used += copy(so.data[used:], r.dictArr.Value(int(j)))
		}
		so.offs[i+1] = int32(used)
	}
	so.used = used
	return nil
}
