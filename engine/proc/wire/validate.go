package wire

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
)

// validateRecord checks that a decoded record's arrays are structurally
// consistent, so that reading any value of a valid slot stays in bounds:
// buffer sizes match lengths, offsets are monotonic and within the data, and
// dictionary indices of valid slots are within the dictionary.
func validateRecord(rec arrow.Record) error {
	// Columns bound the rows by their buffers; without columns nothing does.
	if rec.NumRows() < 0 || rec.NumRows() > math.MaxInt32 {
		return fmt.Errorf("record of %d rows", rec.NumRows())
	}
	for i, c := range rec.Columns() {
		if int64(c.Len()) != rec.NumRows() {
			return fmt.Errorf("column %d has %d rows, the record %d", i, c.Len(), rec.NumRows())
		}
		if err := validateData(c.Data(), 0); err != nil {
			return fmt.Errorf("column %d (%s): %w", i, rec.Schema().Field(i).Name, err)
		}
	}
	return nil
}

func validateData(d arrow.ArrayData, depth int) error {
	if depth > 2 {
		return fmt.Errorf("nested too deeply")
	}
	off, n := d.Offset(), d.Len()
	if off < 0 || n < 0 {
		return fmt.Errorf("bad slice (offset %d, length %d)", off, n)
	}
	end := off + n
	bufs := d.Buffers()
	size := func(i int) int {
		if i >= len(bufs) || bufs[i] == nil {
			return 0
		}
		return bufs[i].Len()
	}
	if len(bufs) > 0 && bufs[0] != nil && int64(bufs[0].Len()) < bitutil.BytesForBits(int64(end)) {
		return fmt.Errorf("validity bitmap of %d bytes for %d slots", bufs[0].Len(), end)
	}
	switch dt := d.DataType().(type) {
	case *arrow.NullType:
		return nil
	case *arrow.DictionaryType:
		dict := d.Dictionary()
		if dict == nil {
			return fmt.Errorf("dictionary array without a dictionary")
		}
		if err := validateData(dict, depth+1); err != nil {
			return fmt.Errorf("dictionary: %w", err)
		}
		w := dt.IndexType.(arrow.FixedWidthDataType).BitWidth() / 8
		if size(1) < end*w {
			return fmt.Errorf("index buffer of %d bytes for %d slots", size(1), end)
		}
		var valid []byte
		if len(bufs) > 0 && bufs[0] != nil {
			valid = bufs[0].Bytes()
		}
		raw := bufs[1].Bytes()
		lim := int64(dict.Len())
		switch dt.IndexType.ID() {
		case arrow.INT8:
			return checkIndices(castBytes[int8](raw), valid, off, end, lim)
		case arrow.UINT8:
			return checkIndices(castBytes[uint8](raw), valid, off, end, lim)
		case arrow.INT16:
			return checkIndices(castBytes[int16](raw), valid, off, end, lim)
		case arrow.UINT16:
			return checkIndices(castBytes[uint16](raw), valid, off, end, lim)
		case arrow.INT32:
			return checkIndices(castBytes[int32](raw), valid, off, end, lim)
		case arrow.UINT32:
			return checkIndices(castBytes[uint32](raw), valid, off, end, lim)
		case arrow.INT64:
			return checkIndices(castBytes[int64](raw), valid, off, end, lim)
		case arrow.UINT64:
			return checkIndices(castBytes[uint64](raw), valid, off, end, lim)
		}
		return fmt.Errorf("unsupported dictionary index type %s", dt.IndexType)
	case *arrow.BooleanType:
		if size(1) < int(bitutil.BytesForBits(int64(end))) {
			return fmt.Errorf("value bitmap of %d bytes for %d slots", size(1), end)
		}
		return nil
	case *arrow.StringType, *arrow.BinaryType:
		if n == 0 {
			return nil
		}
		if size(1) < (end+1)*4 {
			return fmt.Errorf("offset buffer of %d bytes for %d slots", size(1), end)
		}
		return checkOffsets(castBytes[int32](bufs[1].Bytes())[off:end+1], size(2))
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		if n == 0 {
			return nil
		}
		if size(1) < (end+1)*8 {
			return fmt.Errorf("offset buffer of %d bytes for %d slots", size(1), end)
		}
		return checkOffsets(castBytes[int64](bufs[1].Bytes())[off:end+1], size(2))
	case *arrow.ListType:
		// Holistic aggregate states: list<values>. Offsets must be monotone
		// and within the child, which is validated in turn.
		children := d.Children()
		if len(children) != 1 {
			return fmt.Errorf("list array with %d children", len(children))
		}
		if err := validateData(children[0], depth+1); err != nil {
			return fmt.Errorf("list values: %w", err)
		}
		if n == 0 {
			return nil
		}
		if size(1) < (end+1)*4 {
			return fmt.Errorf("offset buffer of %d bytes for %d slots", size(1), end)
		}
		return checkOffsets(castBytes[int32](bufs[1].Bytes())[off:end+1], children[0].Len())
	case arrow.FixedWidthDataType:
		bits := dt.BitWidth()
		if bits < 8 || bits%8 != 0 {
			return fmt.Errorf("unsupported type %s", dt)
		}
		if size(1) < end*(bits/8) {
			return fmt.Errorf("value buffer of %d bytes for %d slots of %s", size(1), end, dt)
		}
		return nil
	}
	return fmt.Errorf("unsupported type %s", d.DataType())
}

// castBytes views b as a slice of T (arrow buffers are 64-byte aligned).
func castBytes[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

func checkOffsets[T int32 | int64](offs []T, dataLen int) error {
	prev := offs[0]
	if prev < 0 {
		return fmt.Errorf("negative offset %d", prev)
	}
	bad := false
	for _, o := range offs[1:] {
		bad = bad || o < prev
		prev = o
	}
	if bad {
		return fmt.Errorf("offsets decrease")
	}
	if int64(prev) > int64(dataLen) {
		return fmt.Errorf("offset %d beyond %d bytes of data", prev, dataLen)
	}
	return nil
}

type index interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64
}

func checkIndices[T index](idx []T, valid []byte, off, end int, lim int64) error {
	for i := off; i < end; i++ {
		v := int64(idx[i])
		if (v < 0 || v >= lim) && (valid == nil || bitutil.BitIsSet(valid, i)) {
			return fmt.Errorf("dictionary index %d out of range [0, %d) at slot %d", uint64(idx[i]), lim, i-off)
		}
	}
	return nil
}
