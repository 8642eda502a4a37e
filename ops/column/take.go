package column

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/recycle"
)

// ErrUnsupported is returned (wrapped) for an array type a kernel does not handle.
var ErrUnsupported = errors.New("unsupported array type")

// ErrIndex is returned (wrapped) when a row index is out of range.
var ErrIndex = errors.New("row index out of range")

// Take returns the rows idx of arr, in order (repeats allowed), as a new array
// of len(idx) rows owned by the caller. A dictionary array gives a dictionary
// array sharing arr's dictionary. An index outside [0, arr.Len()) gives an
// error wrapping ErrIndex.
func Take(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	if err := checkIdx(idx, nil, 0, arr.Len()); err != nil {
		return nil, err
	}
	return take(mem, arr, idx, nil, 0)
}

// TakeIndices returns arr[indices[i]] for every row i of the integer array
// indices (any integer type); a NULL index gives a NULL row. It is how a
// dictionary's indices expand a result computed over its dictionary. The
// result is a new array of indices.Len() rows owned by the caller.
func TakeIndices(mem memory.Allocator, arr arrow.Array, indices arrow.Array) (arrow.Array, error) {
	idx, err := int32Indices(indices)
	if err != nil {
		return nil, err
	}
	var valid []byte
	off := 0
	if indices.NullN() > 0 {
		valid = indices.NullBitmapBytes()
		off = indices.Data().Offset()
		if arr.Len() == 0 {
			// every index must be NULL; gather index 0 is impossible, so sanitise to a
			// NULL array of the right type.
			if indices.NullN() != indices.Len() {
				return nil, fmt.Errorf("column: %w: index into empty array", ErrIndex)
			}
			return array.MakeArrayOfNull(mem, arr.DataType(), indices.Len()), nil
		}
		// replace the (arbitrary) values under NULL indices by 0.
		clean := make([]int32, len(idx))
		for i, j := range idx {
			if bitutil.BitIsSet(valid, off+i) {
				clean[i] = j
			}
		}
		idx = clean
	}
	if err := checkIdx(idx, valid, off, arr.Len()); err != nil {
		return nil, err
	}
	return take(mem, arr, idx, valid, off)
}

// TakeRecord returns the rows idx of every column of rec as a new record owned
// by the caller.
func TakeRecord(mem memory.Allocator, rec arrow.Record, idx []int32) (arrow.Record, error) {
	if err := checkIdx(idx, nil, 0, int(rec.NumRows())); err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		out, err := take(mem, c, idx, nil, 0)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", rec.ColumnName(i), err)
		}
		cols[i] = out
	}
	return array.NewRecord(rec.Schema(), cols, int64(len(idx))), nil
}

func checkIdx(idx []int32, valid []byte, off, n int) error {
	if maxU32(idx) < uint32(n) {
		return nil
	}
	un := uint32(n)
	for i, j := range idx {
		if uint32(j) >= un && (valid == nil || bitutil.BitIsSet(valid, off+i)) {
			return fmt.Errorf("column: %w: index %d at position %d, length %d", ErrIndex, j, i, n)
		}
	}
	return nil
}

// maxU32 returns the largest index read as unsigned (negative indices are huge).
func maxU32(idx []int32) uint32 {
	var m0, m1, m2, m3 uint32
	i := 0
	for ; i+4 <= len(idx); i += 4 {
		m0 = max(m0, uint32(idx[i]))
		m1 = max(m1, uint32(idx[i+1]))
		m2 = max(m2, uint32(idx[i+2]))
		m3 = max(m3, uint32(idx[i+3]))
	}
	for ; i < len(idx); i++ {
		m0 = max(m0, uint32(idx[i]))
	}
	return max(m0, m1, m2, m3)
}

// int32Indices returns the values of an integer array as int32 row indices
// (the values under NULL slots are arbitrary).
func int32Indices(indices arrow.Array) ([]int32, error) {
	switch a := indices.(type) {
	case *array.Int32:
		return a.Int32Values(), nil
	case *array.Int8:
		return widen(a.Int8Values())
	case *array.Int16:
		return widen(a.Int16Values())
	case *array.Int64:
		return widen(a.Int64Values())
	case *array.Uint8:
		return widen(a.Uint8Values())
	case *array.Uint16:
		return widen(a.Uint16Values())
	case *array.Uint32:
		return widen(a.Uint32Values())
	case *array.Uint64:
		return widen(a.Uint64Values())
	}
	return nil, fmt.Errorf("column: indices of type %s: %w", indices.DataType(), ErrUnsupported)
}

func widen[T int8 | int16 | int64 | uint8 | uint16 | uint32 | uint64](v []T) ([]int32, error) {
	out := make([]int32, len(v))
	for i, x := range v {
		if uint64(x) > math.MaxInt32 {
			out[i] = -1 // reported by checkIdx unless the slot is NULL
			continue
		}
		out[i] = int32(x)
	}
	return out, nil
}

// take gathers arr[idx[i]]; idx is in range. When ivalid is non-nil, row i is
// NULL where bit ioff+i of ivalid is clear.
func take(mem memory.Allocator, arr arrow.Array, idx []int32, ivalid []byte, ioff int) (arrow.Array, error) {
	dt := arr.DataType()
	n := len(idx)
	switch dt.ID() {
	case arrow.NULL:
		return array.NewNull(n), nil
	case arrow.DICTIONARY:
		d := arr.(*array.Dictionary)
		ind, err := take(mem, d.Indices(), idx, ivalid, ioff)
		if err != nil {
			return nil, err
		}
		defer ind.Release()
		return array.NewDictionaryArray(dt, ind, d.Dictionary()), nil
	case arrow.LIST:
		return takeList(mem, arr.(*array.List), idx, ivalid, ioff)
	}
	data := arr.Data()
	validity, nulls := takeValidity(mem, arr, idx, ivalid, ioff)
	release := func() {
		if validity != nil {
			validity.Release()
		}
	}
	var bufs []*memory.Buffer
	switch dt.ID() {
	case arrow.BOOL:
		out := newZeroBuf(mem, int(bitutil.BytesForBits(int64(n))))
		src := bufBytes(data, 1)
		dst := out.Bytes()
		off := data.Offset()
		gatherBits(src, off, arr.Len(), idx, dst)
		bufs = []*memory.Buffer{validity, out}
	case arrow.STRING, arrow.BINARY:
		o, d, err := takeVarlen[int32](mem, data, idx)
		if err != nil {
			release()
			return nil, err
		}
		bufs = []*memory.Buffer{validity, o, d}
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		o, d, err := takeVarlen[int64](mem, data, idx)
		if err != nil {
			release()
			return nil, err
		}
		bufs = []*memory.Buffer{validity, o, d}
	default:
		fw, ok := dt.(arrow.FixedWidthDataType)
		if !ok || fw.BitWidth()%8 != 0 || len(data.Children()) > 0 {
			release()
			return nil, fmt.Errorf("column: take %s: %w", dt, ErrUnsupported)
		}
		w := fw.BitWidth() / 8
		out := newBuf(mem, n*w)
		src := bufBytes(data, 1)
		off := data.Offset()
		if len(src) > 0 {
			src = src[off*w:]
		}
		dst := out.Bytes()
		switch w {
		case 1:
			gather(src, idx, dst)
		case 2:
			gather(cast[uint16](src), idx, cast[uint16](dst))
		case 4:
			gather(cast[uint32](src), idx, cast[uint32](dst))
		case 8:
			gather(cast[uint64](src), idx, cast[uint64](dst))
		case 16:
			gather(cast[[2]uint64](src), idx, cast[[2]uint64](dst))
		default:
			for i, j := range idx {
				copy(dst[i*w:(i+1)*w], src[int(j)*w:(int(j)+1)*w])
			}
		}
		bufs = []*memory.Buffer{validity, out}
	}
	out := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer out.Release()
	return array.MakeFromData(out), nil
}

// gatherBits sets bit i of dst (zeroed) to bit off+idx[i] of src (n bits
// from off), eight rows per output byte, without branches. The source bits
// are first spread to one byte each when that is cheaper than the gather.
func gatherBits(src []byte, off, n int, idx []int32, dst []byte) {
	n8 := len(idx) &^ 7
	if n <= len(idx) {
		lut := make([]byte, n)
		for k := range lut {
			p := off + k
			lut[k] = src[p>>3] >> (p & 7) & 1
		}
		for i := 0; i < n8; i += 8 {
			v := idx[i : i+8 : i+8]
			dst[i>>3] = lut[v[0]] | lut[v[1]]<<1 | lut[v[2]]<<2 | lut[v[3]]<<3 |
				lut[v[4]]<<4 | lut[v[5]]<<5 | lut[v[6]]<<6 | lut[v[7]]<<7
		}
	} else {
		for i := 0; i < n8; i += 8 {
			v := idx[i : i+8 : i+8]
			var b byte
			for k, j := range v {
				p := off + int(j)
				b |= (src[p>>3] >> (p & 7) & 1) << k
			}
			dst[i>>3] = b
		}
	}
	for i := n8; i < len(idx); i++ {
		p := off + int(idx[i])
		dst[i>>3] |= (src[p>>3] >> (p & 7) & 1) << (i & 7)
	}
}

func gather[T any](src []T, idx []int32, dst []T) {
	dst = dst[:len(idx)]
	for i, j := range idx {
		dst[i] = src[j]
	}
}

// takeValidity returns the validity bitmap of the gathered rows (nil when no
// row is NULL) and the NULL count.
func takeValidity(mem memory.Allocator, arr arrow.Array, idx []int32, ivalid []byte, ioff int) (*memory.Buffer, int) {
	n := len(idx)
	srcNulls := arr.NullN() > 0
	if !srcNulls && ivalid == nil {
		return nil, 0
	}
	buf := newZeroBuf(mem, int(bitutil.BytesForBits(int64(n))))
	dst := buf.Bytes()
	switch {
	case srcNulls:
		src := arr.NullBitmapBytes()
		off := arr.Data().Offset()
		for i, j := range idx {
			if bitutil.BitIsSet(src, off+int(j)) && (ivalid == nil || bitutil.BitIsSet(ivalid, ioff+i)) {
				dst[i>>3] |= 1 << (i & 7)
			}
		}
	default:
		bitutil.CopyBitmap(ivalid, ioff, n, dst, 0)
	}
	nulls := n - bitutil.CountSetBits(dst, 0, n)
	if nulls == 0 {
		buf.Release()
		return nil, 0
	}
	return buf, nulls
}

func takeVarlen[O int32 | int64](mem memory.Allocator, data arrow.ArrayData, idx []int32) (*memory.Buffer, *memory.Buffer, error) {
	n := len(idx)
	var size O
	obuf := newBuf(mem, (n+1)*int(unsafe.Sizeof(size)))
	offs := cast[O](obuf.Bytes())[:n+1]
	offs[0] = 0
	var src []O
	if data.Len() > 0 {
		src = cast[O](bufBytes(data, 1))[data.Offset() : data.Offset()+data.Len()+1]
	}
	var total int64
	for i, j := range idx {
		total += int64(src[j+1] - src[j])
		offs[i+1] = O(total)
	}
	if unsafe.Sizeof(size) == 4 && total > math.MaxInt32 {
		obuf.Release()
		return nil, nil, fmt.Errorf("column: take: %d bytes of string data exceed the int32 offsets limit", total)
	}
	dbuf := newBuf(mem, int(total))
	dst := dbuf.Bytes()
	values := bufBytes(data, 2)
	for i, j := range idx {
		lo, hi, at := int(src[j]), int(src[j+1]), int(offs[i])
		if hi-lo <= 16 && lo+16 <= len(values) && at+16 <= len(dst) {
			// A short string moves as one 16-byte block, not a call to
			// memmove; the bytes past it are overwritten by the next.
			*(*[16]byte)(dst[at : at+16]) = *(*[16]byte)(values[lo : lo+16])
			continue
		}
		copy(dst[at:int(offs[i+1])], values[lo:hi])
	}
	return obuf, dbuf, nil
}

func bufBytes(data arrow.ArrayData, i int) []byte {
	b := data.Buffers()
	if i >= len(b) || b[i] == nil {
		return nil
	}
	return b[i].Bytes()
}

// newBuf returns a buffer of n bytes with undefined contents (see
// recycle.NewBuffer).
func newBuf(mem memory.Allocator, n int) *memory.Buffer { return recycle.NewBuffer(mem, n) }

// newZeroBuf returns a zeroed buffer of n bytes.
func newZeroBuf(mem memory.Allocator, n int) *memory.Buffer {
	b := newBuf(mem, n)
	clear(b.Bytes())
	return b
}

// cast reinterprets b as a slice of T.
func cast[T any](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(z)))
}

// takeList gathers rows of a list array: new offsets from the rows' lengths,
// and the child gathered by the concatenation of the rows' element ranges.
func takeList(mem memory.Allocator, arr *array.List, idx []int32, ivalid []byte, ioff int) (arrow.Array, error) {
	n := len(idx)
	validity, nulls := takeValidity(mem, arr, idx, ivalid, ioff)
	offsets := newBuf(mem, (n+1)*4)
	offs := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
	var childIdx []int32
	offs[0] = 0
	for i, j := range idx {
		if (ivalid == nil || bitutil.BitIsSet(ivalid, ioff+i)) && arr.IsValid(int(j)) {
			lo, hi := arr.ValueOffsets(int(j))
			for k := lo; k < hi; k++ {
				childIdx = append(childIdx, int32(k))
			}
		}
		offs[i+1] = int32(len(childIdx))
	}
	child, err := take(mem, arr.ListValues(), childIdx, nil, 0)
	if err != nil {
		offsets.Release()
		if validity != nil {
			validity.Release()
		}
		return nil, err
	}
	defer child.Release()
	data := array.NewData(arr.DataType(), n, []*memory.Buffer{validity, offsets}, []arrow.ArrayData{child.Data()}, nulls, 0)
	offsets.Release()
	if validity != nil {
		validity.Release()
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}
