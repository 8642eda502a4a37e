package arrowipc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Zero-copy reading of memory-mapped IPC files (source.Split.Mmap).
//
// arrow/go's ipc reader copies every buffer out of a message body, so mapped
// files are decoded here: each array's buffers are slices of the mapping,
// wrapped in memory.Buffers whose release drops a reference to the mapping.
// The file is unmapped when the reader is closed and the last array over it
// released, so records may outlive the reader. Only uncompressed files whose
// columns all have flat types dfq supports (and dictionaries with int32
// indices and utf8 values) qualify; others are read by copying, as without
// Mmap. Every array is checked before use: buffer sizes, offsets and
// dictionary indices.

// errNotMappable says a file cannot be read in place; the caller copies.
var errNotMappable = errors.New("not readable in place")

// mapping is a read-only memory map of a whole file (or, for DecodeStream,
// bytes in memory), reference counted. It is the memory.Allocator of the
// buffers over it: freeing one drops a reference, and dropping the last calls
// free (which unmaps a file).
type mapping struct {
	data []byte
	free func()
	refs atomic.Int64
}

func (m *mapping) retain() { m.refs.Add(1) }

func (m *mapping) release() {
	if m.refs.Add(-1) == 0 {
		if m.free != nil {
			m.free()
		}
		m.data, m.free = nil, nil
	}
}

func (m *mapping) Allocate(int) []byte {
	panic("arrowipc: allocation from a read-only mapping")
}

func (m *mapping) Reallocate(int, []byte) []byte {
	panic("arrowipc: reallocation of a read-only mapping")
}

func (m *mapping) Free([]byte) { m.release() }

// buffer returns a buffer over bytes [off, off+n) of the mapping, holding a
// reference to it.
func (m *mapping) buffer(off, n int64) *memory.Buffer {
	m.retain()
	return memory.NewBufferWithAllocator(m.data[off:off+n:off+n], m)
}

// Mapped files stay mapped between readers, so that the pages a process has
// touched stay in its page tables: a worker reading split after split of the
// same shared file, query after query, would otherwise take a page fault for
// every 4 KiB it reads each time. The cache holds one reference to each
// mapping; idle mappings (no reader, no array) of files since removed or
// replaced are unmapped when another file is mapped, and so are idle
// mappings beyond mapCacheFiles files or mapCacheBytes bytes, least recently
// used first. A file is
// known by device, inode, size and modification time, so a file rewritten
// in place is mapped anew.
const (
	mapCacheFiles = 64
	mapCacheBytes = 4 << 30
)

type mapKey struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

type mapCache struct {
	mu    sync.Mutex
	m     map[mapKey]*mapping
	paths map[mapKey]string
	order []mapKey // least recently used first
	bytes int64
}

var mappings = &mapCache{m: map[mapKey]*mapping{}, paths: map[mapKey]string{}}

// get returns a mapping of f's first size bytes with a reference for the
// caller.
func (c *mapCache) get(f *os.File, size int64) (*mapping, error) {
	key, ok := fileKey(f, size)
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		if m := c.m[key]; m != nil {
			m.retain()
			c.touch(key)
			return m, nil
		}
	}
	c.trim()
	data, err := mapFile(f, size, false)
	if err != nil {
		return nil, err
	}
	m := &mapping{data: data, free: func() { unmapFile(data) }}
	m.refs.Store(1)
	if !ok {
		return m, nil
	}
	m.retain() // the cache's reference
	c.m[key] = m
	c.paths[key] = f.Name()
	c.order = append(c.order, key)
	c.bytes += size
	c.trim()
	return m, nil
}

// gone says whether the file a cached mapping was made from was removed or
// replaced: its pages stay allocated (a tmpfs file's memory too) while it
// is mapped, so such mappings are let go as soon as they are idle.
func (c *mapCache) gone(key mapKey) bool {
	f, err := os.Open(c.paths[key])
	if err != nil {
		return true
	}
	defer f.Close()
	now, ok := fileKey(f, key.size)
	return !ok || now != key
}

func (c *mapCache) touch(key mapKey) {
	for i, k := range c.order {
		if k == key {
			c.order = append(append(c.order[:i:i], c.order[i+1:]...), key)
			return
		}
	}
}

// trim unmaps idle mappings of removed files, then idle mappings oldest
// first while over the limits.
func (c *mapCache) trim() {
	for i := 0; i < len(c.order); {
		key := c.order[i]
		m := c.m[key]
		over := len(c.order) > mapCacheFiles || c.bytes > mapCacheBytes
		if m.refs.Load() > 1 || (!over && !c.gone(key)) {
			i++ // in use, or kept
			continue
		}
		delete(c.m, key)
		delete(c.paths, key)
		c.order = append(c.order[:i], c.order[i+1:]...)
		c.bytes -= key.size
		m.release()
	}
}

// mappedKind is how a stored column is laid out.
type mappedKind uint8

const (
	mkFixed  mappedKind = iota // validity, values of width bytes
	mkBool                     // validity, bits
	mkBinary                   // validity, int32 offsets, data
	mkDict                     // validity, int32 indices (values in a dictionary batch)
)

type mappedField struct {
	kind  mappedKind
	width int64
	typ   arrow.DataType // physical output type
	dict  int64          // dictionary id (mkDict)
}

// mapped is the in-place decoder of one file.
type mapped struct {
	m      *mapping
	fields []mappedField
	dicts  map[int64]arrow.Array // utf8 dictionary values by id
}

// openMapped maps f and prepares to decode its record batches in place. It
// returns errNotMappable (wrapped) when the file does not qualify.
func openMapped(f *os.File, l layout, stored *arrow.Schema) (_ *mapped, err error) {
	if l.format != FormatFile {
		return nil, fmt.Errorf("a stream: %w", errNotMappable)
	}
	ids, err := footerDictIDs(l.foot.raw)
	if err != nil {
		return nil, fmt.Errorf("footer schema: %w", err)
	}
	if len(ids) != stored.NumFields() {
		return nil, fmt.Errorf("footer schema has %d fields, the schema message %d: %w", len(ids), stored.NumFields(), errCorrupt)
	}
	mp := &mapped{fields: make([]mappedField, len(ids)), dicts: map[int64]arrow.Array{}}
	for i, fd := range stored.Fields() {
		mf, ok := mappedFieldOf(fd.Type)
		if !ok {
			return nil, fmt.Errorf("column %q of type %s: %w", fd.Name, fd.Type, errNotMappable)
		}
		mf.dict = ids[i]
		mp.fields[i] = mf
	}
	if mp.m, err = mappings.get(f, l.size); err != nil {
		return nil, fmt.Errorf("%v: %w", err, errNotMappable)
	}
	defer func() {
		if err != nil {
			mp.release()
		}
	}()
	for i, b := range l.foot.dicts {
		if err := mp.readDict(b); err != nil {
			return nil, fmt.Errorf("dictionary batch %d: %w", i, err)
		}
	}
	for i, mf := range mp.fields {
		if mf.kind == mkDict && mp.dicts[mf.dict] == nil {
			return nil, fmt.Errorf("column %q: dictionary %d missing: %w", stored.Field(i).Name, mf.dict, errCorrupt)
		}
	}
	return mp, nil
}

// Mappable says whether a column of type t is read in place from a mapped
// file, and comes back with exactly that type: bool, integers, floats,
// date32, timestamp, decimal128, utf8, binary, and dictionaries with int32
// indices and utf8 values.
func Mappable(t arrow.DataType) bool {
	f, ok := mappedFieldOf(t)
	return ok && (f.kind != mkDict || arrow.TypeEqual(t, dictType))
}

func mappedFieldOf(t arrow.DataType) (mappedField, bool) {
	switch t.ID() {
	case arrow.BOOL:
		return mappedField{kind: mkBool, typ: t}, true
	case arrow.INT8, arrow.UINT8:
		return mappedField{kind: mkFixed, width: 1, typ: t}, true
	case arrow.INT16, arrow.UINT16:
		return mappedField{kind: mkFixed, width: 2, typ: t}, true
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32:
		return mappedField{kind: mkFixed, width: 4, typ: t}, true
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.TIMESTAMP:
		return mappedField{kind: mkFixed, width: 8, typ: t}, true
	case arrow.DECIMAL128:
		return mappedField{kind: mkFixed, width: 16, typ: t}, true
	case arrow.STRING, arrow.BINARY:
		return mappedField{kind: mkBinary, typ: t}, true
	case arrow.DICTIONARY:
		d := t.(*arrow.DictionaryType)
		if d.IndexType.ID() == arrow.INT32 && d.ValueType.ID() == arrow.STRING {
			return mappedField{kind: mkDict, width: 4, typ: dictType}, true
		}
	}
	return mappedField{}, false
}

// release drops the decoder's reference to the mapping and its dictionaries.
func (mp *mapped) release() {
	for _, d := range mp.dicts {
		d.Release()
	}
	mp.dicts = nil
	if mp.m != nil {
		mp.m.release()
		mp.m = nil
	}
}

// message decodes the metadata of block b and returns it with the body's
// offset in the mapping.
func (mp *mapped) message(b block, want uint8) (msgInfo, int64, error) {
	data := mp.m.data
	meta, err := readMessageHeader(bytes.NewReader(data[b.Offset:b.Offset+int64(b.Meta)]), int64(b.Meta))
	if err != nil {
		return msgInfo{}, 0, err
	}
	info, err := parseMessage(meta, true)
	if err != nil {
		return msgInfo{}, 0, err
	}
	if info.kind != want {
		return msgInfo{}, 0, fmt.Errorf("message of kind %d where %d was expected: %w", info.kind, want, errCorrupt)
	}
	if info.codec >= 0 {
		return msgInfo{}, 0, fmt.Errorf("compressed body: %w", errNotMappable)
	}
	if info.bodyLen > b.Body {
		return msgInfo{}, 0, fmt.Errorf("message body of %d bytes over its block's %d: %w", info.bodyLen, b.Body, errCorrupt)
	}
	for i, bf := range info.buffers {
		if bf[0] < 0 || bf[1] < 0 || bf[0] > info.bodyLen || bf[1] > info.bodyLen-bf[0] {
			return msgInfo{}, 0, fmt.Errorf("buffer %d [%d, +%d) outside the body (%d bytes): %w", i, bf[0], bf[1], info.bodyLen, errCorrupt)
		}
	}
	return info, b.Offset + int64(b.Meta), nil
}

func (mp *mapped) readDict(b block) error {
	info, body, err := mp.message(b, msgDictionaryBatch)
	if err != nil {
		return err
	}
	if info.delta {
		return fmt.Errorf("delta dictionaries: %w", errNotMappable)
	}
	if len(info.nodes) != 1 || len(info.buffers) != 3 {
		return fmt.Errorf("%d nodes and %d buffers for a utf8 dictionary: %w", len(info.nodes), len(info.buffers), errCorrupt)
	}
	a, err := mp.array(mappedField{kind: mkBinary, typ: arrow.BinaryTypes.String}, info.nodes[0], info.buffers, body, nil)
	if err != nil {
		return err
	}
	if old := mp.dicts[info.dictID]; old != nil {
		old.Release()
	}
	mp.dicts[info.dictID] = a
	return nil
}

// batch decodes the record batch in block b: the columns cols (stored
// indices), as a record of schema out.
func (mp *mapped) batch(b block, cols []int, out *arrow.Schema) (arrow.Record, int64, error) {
	info, body, err := mp.message(b, msgRecordBatch)
	if err != nil {
		return nil, 0, err
	}
	// Columns bound the rows by their buffers; without columns nothing
	// does.
	if info.rows < 0 || info.rows > math.MaxInt32 {
		return nil, 0, fmt.Errorf("record batch of %d rows: %w", info.rows, errCorrupt)
	}
	if len(info.nodes) != len(mp.fields) {
		return nil, 0, fmt.Errorf("%d field nodes for %d columns: %w", len(info.nodes), len(mp.fields), errCorrupt)
	}
	// Buffer positions of each stored column.
	first := make([]int, len(mp.fields))
	nb := 0
	for i, f := range mp.fields {
		first[i] = nb
		if f.kind == mkBinary {
			nb += 3
		} else {
			nb += 2
		}
	}
	if nb != len(info.buffers) {
		return nil, 0, fmt.Errorf("%d buffers for columns needing %d: %w", len(info.buffers), nb, errCorrupt)
	}
	arrs := make([]arrow.Array, len(cols))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for k, c := range cols {
		f := mp.fields[c]
		node := info.nodes[c]
		if node[0] != info.rows {
			return nil, 0, fmt.Errorf("column %q has %d rows, the batch %d: %w", out.Field(k).Name, node[0], info.rows, errCorrupt)
		}
		var dict arrow.Array
		if f.kind == mkDict {
			dict = mp.dicts[f.dict]
		}
		a, err := mp.array(f, node, info.buffers[first[c]:], body, dict)
		if err != nil {
			return nil, 0, fmt.Errorf("column %q: %w", out.Field(k).Name, err)
		}
		arrs[k] = a
	}
	return array.NewRecord(out, arrs, info.rows), int64(b.Meta) + info.bodyLen, nil
}

// array builds one array over the mapping from its field node and buffers
// (offsets relative to the body at body), after checking them.
func (mp *mapped) array(f mappedField, node [2]int64, bufs [][2]int64, body int64, dict arrow.Array) (arrow.Array, error) {
	n, nulls := node[0], node[1]
	if n < 0 || nulls < 0 || nulls > n || n > 1<<40 {
		return nil, fmt.Errorf("field node (%d rows, %d nulls): %w", n, nulls, errCorrupt)
	}
	data := mp.m.data
	slice := func(i int) []byte {
		bf := bufs[i]
		return data[body+bf[0] : body+bf[0]+bf[1]]
	}
	need := func(i int, size int64, what string) error {
		if bufs[i][1] < size {
			return fmt.Errorf("%s buffer of %d bytes, %d needed: %w", what, bufs[i][1], size, errCorrupt)
		}
		return nil
	}
	var validity []byte
	if nulls > 0 {
		if err := need(0, bitutil.BytesForBits(n), "validity"); err != nil {
			return nil, err
		}
		validity = slice(0)
		if set := int64(bitutil.CountSetBits(validity, 0, int(n))); n-set != nulls {
			return nil, fmt.Errorf("validity has %d NULLs, the field node says %d: %w", n-set, nulls, errCorrupt)
		}
	}
	switch f.kind {
	case mkBool:
		if err := need(1, bitutil.BytesForBits(n), "values"); err != nil {
			return nil, err
		}
	case mkFixed, mkDict:
		if err := need(1, n*f.width, "values"); err != nil {
			return nil, err
		}
	case mkBinary:
		if err := need(1, 4*(n+1), "offsets"); err != nil && n > 0 {
			return nil, err
		}
		if n > 0 {
			if err := checkRawOffsets(slice(1), n, bufs[2][1]); err != nil {
				return nil, err
			}
		}
	}
	if f.kind == mkDict {
		if err := checkRawIndices(slice(1), validity, n, int64(dict.Len())); err != nil {
			return nil, err
		}
	}
	buffers := make([]*memory.Buffer, 0, 3)
	if validity != nil {
		buffers = append(buffers, mp.m.buffer(body+bufs[0][0], bufs[0][1]))
	} else {
		buffers = append(buffers, nil)
	}
	nbuf := 2
	if f.kind == mkBinary {
		nbuf = 3
	}
	for i := 1; i < nbuf; i++ {
		buffers = append(buffers, mp.m.buffer(body+bufs[i][0], bufs[i][1]))
	}
	if f.kind == mkBinary && n == 0 && bufs[1][1] < 4 {
		// An empty array may come without offsets; arrow/go wants one.
		buffers[1].Release()
		buffers[1] = memory.NewBufferBytes(make([]byte, 4))
	}
	var d arrow.ArrayData
	if f.kind == mkDict {
		d = array.NewDataWithDictionary(f.typ, int(n), buffers, int(nulls), 0, dict.Data().(*array.Data))
	} else {
		d = array.NewData(f.typ, int(n), buffers, nil, int(nulls), 0)
	}
	for _, b := range buffers {
		if b != nil {
			b.Release()
		}
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

// checkRawOffsets checks that n+1 int32 offsets are non-negative, non-decreasing
// and within a data buffer of size bytes.
func checkRawOffsets(b []byte, n, size int64) error {
	prev := int32(binary.LittleEndian.Uint32(b))
	if prev < 0 {
		return fmt.Errorf("offset 0 is %d: %w", prev, errCorrupt)
	}
	for i := int64(1); i <= n; i++ {
		o := int32(binary.LittleEndian.Uint32(b[4*i:]))
		if o < prev {
			return fmt.Errorf("offset %d (%d) below offset %d (%d): %w", i, o, i-1, prev, errCorrupt)
		}
		prev = o
	}
	if int64(prev) > size {
		return fmt.Errorf("last offset %d beyond the %d bytes of data: %w", prev, size, errCorrupt)
	}
	return nil
}

// checkRawIndices checks that the non-NULL int32 indices are in [0, n).
func checkRawIndices(b, validity []byte, rows, n int64) error {
	for i := int64(0); i < rows; i++ {
		x := int32(binary.LittleEndian.Uint32(b[4*i:]))
		if (x < 0 || int64(x) >= n) && (validity == nil || bitutil.BitIsSet(validity, int(i))) {
			return fmt.Errorf("row %d: dictionary index %d out of range [0, %d): %w", i, x, n, errCorrupt)
		}
	}
	return nil
}
