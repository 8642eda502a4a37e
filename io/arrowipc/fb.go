package arrowipc

import (
	"encoding/binary"
	"errors"
)

// A minimal, bounds-checked flatbuffers reader for the few IPC metadata
// tables this package needs (Footer, Block, Message, RecordBatch,
// DictionaryBatch, BodyCompression). Schemas are decoded by arrow/go itself,
// once checkSchemaMessage has bounded the counts it allocates by.

var errCorrupt = errors.New("corrupt IPC metadata")

type fbTable struct {
	b    []byte
	pos  int // table start
	vt   int // vtable start
	vlen int // vtable length in bytes
}

func fbRoot(b []byte) (fbTable, error) {
	if len(b) < 4 {
		return fbTable{}, errCorrupt
	}
	return fbTableAt(b, int(binary.LittleEndian.Uint32(b)))
}

func fbTableAt(b []byte, pos int) (fbTable, error) {
	if pos < 0 || pos+4 > len(b) {
		return fbTable{}, errCorrupt
	}
	vt := pos - int(int32(binary.LittleEndian.Uint32(b[pos:])))
	if vt < 0 || vt+4 > len(b) {
		return fbTable{}, errCorrupt
	}
	vlen := int(binary.LittleEndian.Uint16(b[vt:]))
	if vlen < 4 || vt+vlen > len(b) {
		return fbTable{}, errCorrupt
	}
	return fbTable{b: b, pos: pos, vt: vt, vlen: vlen}, nil
}

// field returns the absolute position of field i, or 0 when it is absent.
func (t fbTable) field(i int) int {
	o := 4 + 2*i
	if o+2 > t.vlen {
		return 0
	}
	fo := int(binary.LittleEndian.Uint16(t.b[t.vt+o:]))
	if fo == 0 {
		return 0
	}
	return t.pos + fo
}

func (t fbTable) int64Field(i int, def int64) (int64, error) {
	p := t.field(i)
	if p == 0 {
		return def, nil
	}
	if p+8 > len(t.b) {
		return 0, errCorrupt
	}
	return int64(binary.LittleEndian.Uint64(t.b[p:])), nil
}

func (t fbTable) uint8Field(i int, def uint8) (uint8, error) {
	p := t.field(i)
	if p == 0 {
		return def, nil
	}
	if p >= len(t.b) {
		return 0, errCorrupt
	}
	return t.b[p], nil
}

// table returns the sub-table in field i; ok is false when it is absent.
func (t fbTable) table(i int) (sub fbTable, ok bool, err error) {
	p := t.field(i)
	if p == 0 {
		return fbTable{}, false, nil
	}
	if p+4 > len(t.b) {
		return fbTable{}, false, errCorrupt
	}
	sub, err = fbTableAt(t.b, p+int(binary.LittleEndian.Uint32(t.b[p:])))
	return sub, err == nil, err
}

// vector returns the start and length of the vector of elemSize-byte structs
// in field i (0, 0 when absent).
func (t fbTable) vector(i, elemSize int) (start, n int, err error) {
	p := t.field(i)
	if p == 0 {
		return 0, 0, nil
	}
	if p+4 > len(t.b) {
		return 0, 0, errCorrupt
	}
	q := p + int(binary.LittleEndian.Uint32(t.b[p:]))
	if q < 0 || q+4 > len(t.b) {
		return 0, 0, errCorrupt
	}
	n = int(binary.LittleEndian.Uint32(t.b[q:]))
	start = q + 4
	if n < 0 || n > (len(t.b)-start)/elemSize {
		return 0, 0, errCorrupt
	}
	return start, n, nil
}

// block is an entry of a file footer's dictionary or record batch index.
type block struct {
	Offset int64
	Meta   int32 // metadata length including the length prefix and padding
	Body   int64
}

const blockSize = 24

// footer is the decoded index of an IPC file.
type footer struct {
	dicts   []block
	batches []block
	raw     []byte // the footer flatbuffer (its schema is read by mmap readers)
}

func parseFooter(b []byte) (footer, error) {
	t, err := fbRoot(b)
	if err != nil {
		return footer{}, err
	}
	f := footer{raw: b}
	for i, dst := range []*[]block{&f.dicts, &f.batches} {
		start, n, err := t.vector(2+i, blockSize)
		if err != nil {
			return footer{}, err
		}
		blocks := make([]block, n)
		for k := range blocks {
			p := start + k*blockSize
			blocks[k] = block{
				Offset: int64(binary.LittleEndian.Uint64(b[p:])),
				Meta:   int32(binary.LittleEndian.Uint32(b[p+8:])),
				Body:   int64(binary.LittleEndian.Uint64(b[p+16:])),
			}
			if blocks[k].Offset < 0 || blocks[k].Meta < 0 || blocks[k].Body < 0 {
				return footer{}, errCorrupt
			}
		}
		*dst = blocks
	}
	return f, nil
}

// Message header types (flatbuf.MessageHeader).
const (
	msgSchema          = 1
	msgDictionaryBatch = 2
	msgRecordBatch     = 3
)

// Body compression codecs (flatbuf.CompressionType).
const (
	codecLZ4  = 0
	codecZSTD = 1
)

// msgInfo is what this package reads from a Message flatbuffer.
type msgInfo struct {
	kind    uint8
	bodyLen int64
	rows    int64      // record batches (and dictionary batches): rows
	codec   int        // -1 when the body is not compressed
	buffers [][2]int64 // record batch buffers: offset, length within the body
	nodes   [][2]int64 // record batch field nodes: length, null count
	dictID  int64      // dictionary batches: the dictionary id
	delta   bool       // dictionary batches: a delta to append
}

// parseMessage decodes the parts of a Message flatbuffer this package uses.
// Buffers are decoded only when withBuffers is set.
func parseMessage(b []byte, withBuffers bool) (msgInfo, error) {
	m := msgInfo{codec: -1}
	t, err := fbRoot(b)
	if err != nil {
		return m, err
	}
	if m.kind, err = t.uint8Field(1, 0); err != nil {
		return m, err
	}
	if m.bodyLen, err = t.int64Field(3, 0); err != nil {
		return m, err
	}
	if m.bodyLen < 0 {
		return m, errCorrupt
	}
	if m.kind != msgRecordBatch && m.kind != msgDictionaryBatch {
		return m, nil
	}
	hdr, ok, err := t.table(2)
	if err != nil || !ok {
		return m, errCorrupt
	}
	rb := hdr
	if m.kind == msgDictionaryBatch {
		if m.dictID, err = hdr.int64Field(0, 0); err != nil {
			return m, err
		}
		d, err := hdr.uint8Field(2, 0)
		if err != nil {
			return m, err
		}
		m.delta = d != 0
		if rb, ok, err = hdr.table(1); err != nil || !ok {
			return m, errCorrupt
		}
	}
	if m.rows, err = rb.int64Field(0, 0); err != nil {
		return m, err
	}
	comp, ok, err := rb.table(3)
	if err != nil {
		return m, err
	}
	if ok {
		c, err := comp.uint8Field(0, codecLZ4)
		if err != nil {
			return m, err
		}
		m.codec = int(c)
	}
	if !withBuffers {
		return m, nil
	}
	start, n, err := rb.vector(2, 16)
	if err != nil {
		return m, err
	}
	m.buffers = make([][2]int64, n)
	for k := range m.buffers {
		p := start + 16*k
		m.buffers[k] = [2]int64{int64(binary.LittleEndian.Uint64(b[p:])), int64(binary.LittleEndian.Uint64(b[p+8:]))}
	}
	if start, n, err = rb.vector(1, 16); err != nil {
		return m, err
	}
	m.nodes = make([][2]int64, n)
	for k := range m.nodes {
		p := start + 16*k
		m.nodes[k] = [2]int64{int64(binary.LittleEndian.Uint64(b[p:])), int64(binary.LittleEndian.Uint64(b[p+8:]))}
	}
	return m, nil
}

// tableVector returns the tables of the vector of tables in field i.
func (t fbTable) tableVector(i int) ([]fbTable, error) {
	start, n, err := t.vector(i, 4)
	if err != nil {
		return nil, err
	}
	out := make([]fbTable, n)
	for k := range out {
		p := start + 4*k
		sub, err := fbTableAt(t.b, p+int(binary.LittleEndian.Uint32(t.b[p:])))
		if err != nil {
			return nil, err
		}
		out[k] = sub
	}
	return out, nil
}

// footerDictIDs returns, per top-level field of the schema in a file footer,
// its dictionary id, or -1 when the field is not dictionary-encoded.
func footerDictIDs(raw []byte) ([]int64, error) {
	root, err := fbRoot(raw)
	if err != nil {
		return nil, err
	}
	schema, ok, err := root.table(1)
	if err != nil || !ok {
		return nil, errCorrupt
	}
	return schemaDictIDs(schema)
}

// schemaDictIDs returns, per top-level field of a Schema table, its
// dictionary id, or -1 when the field is not dictionary-encoded.
func schemaDictIDs(schema fbTable) ([]int64, error) {
	fields, err := schema.tableVector(1)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(fields))
	for i, f := range fields {
		ids[i] = -1
		enc, ok, err := f.table(4)
		if err != nil {
			return nil, err
		}
		if ok {
			if ids[i], err = enc.int64Field(0, 0); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// checkSchemaMessage checks the vectors of a Schema message's metadata that
// arrow/go sizes allocations by (fields, children, custom metadata, union
// type ids) against the metadata's length, before arrow/go decodes it: it
// trusts those counts, and one corrupt word could make it allocate
// gigabytes.
func checkSchemaMessage(meta []byte) error {
	root, err := fbRoot(meta)
	if err != nil {
		return err
	}
	schema, ok, err := root.table(2)
	if err != nil || !ok {
		return errCorrupt
	}
	if _, _, err := schema.vector(2, 4); err != nil { // custom_metadata
		return err
	}
	if _, _, err := schema.vector(3, 8); err != nil { // features
		return err
	}
	fields, err := schema.tableVector(1)
	if err != nil {
		return err
	}
	// Tables may be shared or form cycles; a real schema has fewer fields
	// than its metadata has 8-byte words.
	budget := len(meta) / 8
	return checkFields(fields, 0, &budget)
}

// fbUnion is flatbuf.Type's Union member.
const fbUnion = 14

func checkFields(fields []fbTable, depth int, budget *int) error {
	if depth > 64 {
		return errCorrupt
	}
	for _, f := range fields {
		if *budget--; *budget < 0 {
			return errCorrupt
		}
		if _, _, err := f.vector(6, 4); err != nil { // custom_metadata
			return err
		}
		kind, err := f.uint8Field(2, 0)
		if err != nil {
			return err
		}
		if kind == fbUnion {
			u, ok, err := f.table(3)
			if err != nil {
				return err
			}
			if ok {
				if _, _, err := u.vector(1, 4); err != nil { // typeIds
					return err
				}
			}
		}
		children, err := f.tableVector(5)
		if err != nil {
			return err
		}
		if err := checkFields(children, depth+1, budget); err != nil {
			return err
		}
	}
	return nil
}
