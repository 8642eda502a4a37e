package arrowipc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
)

// ErrNotInPlace says that DecodeStream cannot decode a stream in place: its
// body is compressed, it has delta dictionaries, or a column's type is not
// Mappable. The stream may still be valid; decode it by copying instead.
var ErrNotInPlace = errNotMappable

// ErrCorrupt says that a stream's framing or metadata is malformed.
var ErrCorrupt = errCorrupt

// DecodeStream decodes a complete Arrow IPC stream held in memory (a schema
// message, then dictionary and record batches in any order a reader could
// follow, then an end-of-stream marker or the end of data) without copying
// it: every buffer of the returned records is a slice of data, checked as a
// mapped file's are (buffer bounds, offsets, dictionary indices, NULL
// counts). Columns come back with the stream's types (all Mappable).
//
// On success, data belongs to the records: free, when not nil, is called
// once the last array over data is released (at once when the stream holds
// no record batch). On error no record is returned, free is not called and
// data is the caller's again; errors wrap ErrNotInPlace or ErrCorrupt.
func DecodeStream(data []byte, free func()) (_ *arrow.Schema, _ []arrow.Record, err error) {
	blocks, err := streamBlocks(data)
	if err != nil {
		return nil, nil, err
	}
	if len(blocks) == 0 {
		return nil, nil, fmt.Errorf("IPC stream without a schema message: %w", errCorrupt)
	}
	stored, ids, err := streamSchema(data[:blocks[0].Offset+int64(blocks[0].Meta)])
	if err != nil {
		return nil, nil, err
	}
	mp := &mapped{fields: make([]mappedField, len(ids)), dicts: map[int64]arrow.Array{}}
	out := make([]arrow.Field, len(ids))
	for i, fd := range stored.Fields() {
		if err := checkType(fd.Type); err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", fd.Name, err)
		}
		mf, ok := mappedFieldOf(fd.Type)
		if !ok || (mf.kind == mkDict && !arrow.TypeEqual(fd.Type, dictType)) {
			return nil, nil, fmt.Errorf("column %q of type %s: %w", fd.Name, fd.Type, errNotMappable)
		}
		if mf.kind == mkDict && ids[i] < 0 {
			return nil, nil, fmt.Errorf("column %q: dictionary type without a dictionary id: %w", fd.Name, errCorrupt)
		}
		mf.dict = ids[i]
		mp.fields[i] = mf
		out[i] = arrow.Field{Name: fd.Name, Type: mf.typ, Nullable: fd.Nullable, Metadata: fd.Metadata}
	}
	md := stored.Metadata()
	schema := arrow.NewSchema(out, &md)
	m := &mapping{data: data, free: free}
	m.refs.Store(1) // DecodeStream's own, dropped on return
	mp.m = m
	var recs []arrow.Record
	defer func() {
		if err != nil {
			// Once these are released no array is left over data: hand
			// it back without freeing it.
			m.free = nil
			for _, r := range recs {
				r.Release()
			}
			recs = nil
		}
		mp.release()
	}()
	cols := make([]int, len(ids))
	for i := range cols {
		cols[i] = i
	}
	for k, b := range blocks[1:] {
		switch b.kind {
		case msgDictionaryBatch:
			if err := mp.readDict(b.block); err != nil {
				return nil, nil, fmt.Errorf("IPC message %d (dictionary batch): %w", k+1, err)
			}
		case msgRecordBatch:
			for i, f := range mp.fields {
				if f.kind == mkDict && mp.dicts[f.dict] == nil {
					return nil, nil, fmt.Errorf("IPC message %d: column %q before its dictionary: %w", k+1, out[i].Name, errCorrupt)
				}
			}
			rec, _, err := mp.batch(b.block, cols, schema)
			if err != nil {
				return nil, nil, fmt.Errorf("IPC message %d (record batch %d): %w", k+1, len(recs), err)
			}
			recs = append(recs, rec)
		default:
			return nil, nil, fmt.Errorf("IPC message %d of kind %d in a stream: %w", k+1, b.kind, errCorrupt)
		}
	}
	return schema, recs, nil
}

// streamBlock is a message of an in-memory stream and its kind.
type streamBlock struct {
	block
	kind uint8
}

// streamBlocks walks the messages of an IPC stream held in data, checking
// that each lies within it, up to the end-of-stream marker (which must end
// data) or the end of data.
func streamBlocks(data []byte) ([]streamBlock, error) {
	var out []streamBlock
	size := int64(len(data))
	for pos := int64(0); pos < size; {
		rest := data[pos:]
		prefix := int64(4)
		if len(rest) >= 4 && binary.LittleEndian.Uint32(rest) == continuation {
			prefix = 8
		}
		meta, err := readMessageHeader(bytes.NewReader(rest), size-pos)
		if errors.Is(err, errCorrupt) {
			return nil, fmt.Errorf("IPC message %d at byte %d: %w", len(out), pos, err)
		}
		if err != nil { // end-of-stream marker
			if end := pos + prefix; end != size {
				return nil, fmt.Errorf("%d bytes after the end-of-stream marker at byte %d: %w", size-end, pos, errCorrupt)
			}
			break
		}
		info, err := parseMessage(meta, false)
		if err != nil {
			return nil, fmt.Errorf("IPC message %d at byte %d: %w", len(out), pos, err)
		}
		b := streamBlock{block: block{Offset: pos, Meta: int32(prefix) + int32(len(meta)), Body: info.bodyLen}, kind: info.kind}
		if b.Body > size-pos-int64(b.Meta) {
			return nil, fmt.Errorf("IPC message %d at byte %d: body of %d bytes, %d left: %w", len(out), pos, b.Body, size-pos-int64(b.Meta), errCorrupt)
		}
		if (len(out) == 0) != (info.kind == msgSchema) {
			return nil, fmt.Errorf("IPC message %d at byte %d is of kind %d: %w", len(out), pos, info.kind, errCorrupt)
		}
		out = append(out, b)
		pos += int64(b.Meta) + b.Body
	}
	return out, nil
}

// streamSchema decodes a stream's schema message (head holds it, and
// nothing else) and returns the schema with each top-level field's
// dictionary id (-1 when not dictionary-encoded).
func streamSchema(head []byte) (*arrow.Schema, []int64, error) {
	meta, err := readMessageHeader(bytes.NewReader(head), int64(len(head)))
	if err != nil {
		return nil, nil, fmt.Errorf("IPC schema message: %w", err)
	}
	if err := checkSchemaMessage(meta); err != nil {
		return nil, nil, fmt.Errorf("IPC schema message: %w", err)
	}
	r, err := ipc.NewReader(bytes.NewReader(head))
	if err != nil {
		return nil, nil, fmt.Errorf("IPC schema message: %v: %w", err, errCorrupt)
	}
	schema := r.Schema()
	r.Release()
	root, err := fbRoot(meta)
	if err != nil {
		return nil, nil, err
	}
	hdr, ok, err := root.table(2)
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("IPC schema message without a schema: %w", errCorrupt)
	}
	ids, err := schemaDictIDs(hdr)
	if err != nil {
		return nil, nil, err
	}
	if len(ids) != schema.NumFields() {
		return nil, nil, fmt.Errorf("IPC schema message: %d fields, arrow reads %d: %w", len(ids), schema.NumFields(), errCorrupt)
	}
	return schema, ids, nil
}

// ReadStreamFile decodes the Arrow IPC stream that fills the file at path
// in place, as DecodeStream does, from a read-only memory map of the file
// (where maps are not supported, from its bytes read into memory): the
// records' buffers are views of the file's pages, unmapped once the last
// array over them is released. The file may be removed as soon as
// ReadStreamFile returns, but must not be changed while the records live
// (its writer hands it over: a truncated mapping faults). It also returns
// the file's size. Anything but a regular file is refused.
func ReadStreamFile(path string) (*arrow.Schema, []arrow.Record, int64, error) {
	// Only a regular file: opening a FIFO would block, and a symbolic link
	// could lead anywhere.
	if st, err := os.Lstat(path); err != nil {
		return nil, nil, 0, err
	} else if err := irregular(path, st); err != nil {
		return nil, nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, 0, err
	}
	if err := irregular(path, st); err != nil { // replaced since Lstat
		return nil, nil, 0, err
	}
	size := st.Size()
	if size == 0 {
		return nil, nil, 0, fmt.Errorf("%s: empty file: %w", path, errCorrupt)
	}
	data, err := mapFile(f, size, true)
	free := func() { unmapFile(data) }
	if err != nil {
		data = make([]byte, size)
		if _, err := io.ReadFull(f, data); err != nil {
			return nil, nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		free = nil
	}
	schema, recs, err := DecodeStream(data, free)
	if err != nil {
		if free != nil {
			free()
		}
		return nil, nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return schema, recs, size, nil
}

// irregular refuses anything but a regular file (see ReadStreamFile).
func irregular(path string, st os.FileInfo) error {
	if st.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s is not a regular file (%s): %w", path, st.Mode().Type(), errCorrupt)
}
