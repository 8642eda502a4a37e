package parquet

import (
	"errors"
	"fmt"
	"io"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// page is what the column decoders need of a page; pq.Page satisfies it.
type page interface {
	NumRows() int64
	NumNulls() int64
	DefinitionLevels() []byte
	Dictionary() pq.Dictionary
	Data() encoding.Values
}

// pageSource yields the pages of one column chunk. A page stays valid until
// the next ReadPage or Close.
type pageSource interface {
	ReadPage() (page, error)
	Close() error
}

// goPages reads pages with parquet-go's page reader and releases each page
// (back to parquet-go's buffer pool) when the next one is read.
type goPages struct {
	pages pq.Pages
	last  pq.Page
}

func (g *goPages) ReadPage() (page, error) {
	g.release()
	p, err := g.pages.ReadPage()
	if err != nil {
		return nil, err
	}
	g.last = p
	return p, nil
}

func (g *goPages) release() {
	if g.last != nil {
		pq.Release(g.last)
		g.last = nil
	}
}

func (g *goPages) Close() error {
	g.release()
	return g.pages.Close()
}

// needsRawPages reports whether a column chunk must be read with rawPages,
// which works around two parquet-go v0.32.0 defects:
//   - LZ4_RAW pages whose compression ratio is below 3 decompress into a
//     buffer that parquet-go then ignores (it keeps the stale pooled one);
//   - DELTA_BINARY_PACKED INT32 pages whose first value is written unsigned
//     (DuckDB's UINTEGER) are rejected as out of range.
func needsRawPages(c *column, md *format.ColumnMetaData) bool {
	if md.Codec == format.Lz4Raw {
		return true
	}
	if c.phys == format.Int32 && c.conv == convUint32 {
		for _, e := range md.Encoding {
			if e == format.DeltaBinaryPacked {
				return true
			}
		}
	}
	return false
}

// rawPages decodes the pages of a flat column chunk itself: it frames pages,
// decompresses them and hands the value bytes to parquet-go's encodings.
type rawPages struct {
	data     []byte // the column chunk
	pos      int
	codec    compress.Codec
	typ      pq.Type
	colIndex int
	phys     format.Type
	typeLen  int
	maxDef   byte
	dict     pq.Dictionary
	proto    thrift.CompactProtocol

	cur     rawPage
	buf     []byte // decompressed page
	levels  []byte
	i32     []int32
	i64     []int64
	f32     []float32
	f64     []float64
	i96     []deprecated.Int96
	bytes   []byte
	offsets []uint32
}

func newRawPages(cc pq.ColumnChunk, c *column, md *format.ColumnMetaData) (*rawPages, error) {
	fcc, ok := cc.(*pq.FileColumnChunk)
	if !ok {
		return nil, fmt.Errorf("column chunk of type %T cannot be read raw", cc)
	}
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	data := make([]byte, md.TotalCompressedSize)
	if _, err := fcc.File().ReadAt(data, start); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	codec := pq.LookupCompressionCodec(md.Codec)
	if codec == nil {
		return nil, fmt.Errorf("unsupported compression %s", md.Codec)
	}
	return &rawPages{
		data:     data,
		codec:    codec,
		typ:      cc.Type(),
		colIndex: cc.Column(),
		phys:     c.phys,
		typeLen:  c.typeLen,
		maxDef:   c.maxDef,
	}, nil
}

func (r *rawPages) Close() error {
	r.data, r.dict = nil, nil
	return nil
}

func (r *rawPages) ReadPage() (page, error) {
	for {
		if r.pos >= len(r.data) {
			return nil, io.EOF
		}
		var h format.PageHeader
		pr := r.proto.NewReaderFromBytes(r.data[r.pos:])
		if err := thrift.NewDecoder(pr).Decode(&h); err != nil {
			return nil, fmt.Errorf("decoding page header: %w", err)
		}
		r.pos += pr.BytesRead()
		size := int(h.CompressedPageSize)
		if size < 0 || h.UncompressedPageSize < 0 || size > len(r.data)-r.pos {
			return nil, fmt.Errorf("page of %d bytes past the end of the column chunk: %w", size, ErrCorrupt)
		}
		body := r.data[r.pos : r.pos+size]
		r.pos += size
		switch h.Type {
		case format.DictionaryPage:
			if err := r.readDictionary(&h, body); err != nil {
				return nil, fmt.Errorf("dictionary page: %w", err)
			}
		case format.DataPage:
			if !h.DataPageHeader.Valid {
				return nil, fmt.Errorf("data page without header: %w", ErrCorrupt)
			}
			v1 := &h.DataPageHeader.V
			page, err := r.decompress(body, h.UncompressedPageSize)
			if err != nil {
				return nil, err
			}
			n := int(v1.NumValues)
			var defs []byte
			if r.maxDef > 0 {
				if len(page) < 4 {
					return nil, fmt.Errorf("definition levels: %w", io.ErrUnexpectedEOF)
				}
				m := int(uint32(page[0]) | uint32(page[1])<<8 | uint32(page[2])<<16 | uint32(page[3])<<24)
				if m < 0 || m > len(page)-4 {
					return nil, fmt.Errorf("definition levels: %w", io.ErrUnexpectedEOF)
				}
				if defs, err = r.decodeLevels(v1.DefinitionLevelEncoding, page[4:4+m], n); err != nil {
					return nil, err
				}
				page = page[4+m:]
			}
			return r.decodeValues(v1.Encoding, page, n, defs)
		case format.DataPageV2:
			if !h.DataPageHeaderV2.Valid {
				return nil, fmt.Errorf("data page without header: %w", ErrCorrupt)
			}
			v2 := &h.DataPageHeaderV2.V
			rl, dl := int(v2.RepetitionLevelsByteLength), int(v2.DefinitionLevelsByteLength)
			if rl < 0 || dl < 0 || rl+dl > len(body) {
				return nil, fmt.Errorf("level lengths %d+%d exceed page of %d bytes: %w", rl, dl, len(body), ErrCorrupt)
			}
			n := int(v2.NumValues)
			var defs []byte
			if r.maxDef > 0 {
				var err error
				if defs, err = r.decodeLevels(format.RLE, body[rl:rl+dl], n); err != nil {
					return nil, err
				}
			}
			values := body[rl+dl:]
			if !v2.IsCompressed.Valid || v2.IsCompressed.V {
				var err error
				if values, err = r.decompress(values, h.UncompressedPageSize-int32(rl+dl)); err != nil {
					return nil, err
				}
			}
			return r.decodeValues(v2.Encoding, values, n, defs)
		}
	}
}

func (r *rawPages) decompress(src []byte, size int32) ([]byte, error) {
	switch r.codec.CompressionCodec() {
	case format.Uncompressed:
		return src, nil
	case format.Lz4Raw:
		if size < 0 {
			return nil, fmt.Errorf("negative page size: %w", ErrCorrupt)
		}
		out, err := lz4Block(r.buf, src, int(size))
		if err != nil {
			return nil, err
		}
		r.buf = out[:0]
		return out, nil
	}
	out, err := r.codec.Decode(r.buf[:0], src)
	if err != nil {
		return nil, fmt.Errorf("decompressing page: %w", err)
	}
	if cap(out) > cap(r.buf) {
		r.buf = out[:0]
	}
	if size >= 0 && len(out) != int(size) {
		return nil, fmt.Errorf("page decompressed to %d bytes, header says %d: %w", len(out), size, ErrCorrupt)
	}
	return out, nil
}

func (r *rawPages) decodeLevels(enc format.Encoding, src []byte, n int) ([]byte, error) {
	var e encoding.Encoding
	switch enc {
	case format.RLE:
		e = &rle.Encoding{BitWidth: 1}
	default:
		return nil, fmt.Errorf("unsupported definition level encoding %s", enc)
	}
	levels, err := e.DecodeLevels(r.levels[:0], src)
	if err != nil {
		return nil, fmt.Errorf("definition levels: %w", err)
	}
	r.levels = levels[:0]
	if len(levels) < n {
		return nil, fmt.Errorf("%d definition levels for %d values: %w", len(levels), n, ErrCorrupt)
	}
	return levels[:n], nil
}

func (r *rawPages) readDictionary(h *format.PageHeader, body []byte) error {
	if !h.DictionaryPageHeader.Valid {
		return fmt.Errorf("missing header: %w", ErrCorrupt)
	}
	page, err := r.decompress(body, h.UncompressedPageSize)
	if err != nil {
		return err
	}
	n := int(h.DictionaryPageHeader.V.NumValues)
	// The dictionary outlives the page buffers: decode into fresh memory.
	var saved rawPages
	saved.phys, saved.typeLen = r.phys, r.typeLen
	vals, got, err := saved.values(format.Plain, page)
	if err != nil {
		return err
	}
	if got < n {
		return fmt.Errorf("%d values for %d: %w", got, n, ErrCorrupt)
	}
	r.dict = r.typ.NewDictionary(r.colIndex, n, vals)
	return nil
}

// values decodes src into the scratch buffer of the physical type and
// returns the values and their count.
func (r *rawPages) values(enc format.Encoding, src []byte) (encoding.Values, int, error) {
	e := pq.LookupEncoding(enc)
	var err error
	switch r.phys {
	case format.Boolean:
		r.bytes, err = e.DecodeBoolean(r.bytes[:0], src)
		return encoding.BooleanValues(r.bytes), 8 * len(r.bytes), err
	case format.Int32:
		if enc == format.DeltaBinaryPacked {
			// Decoded in 64 bits: wrap-around makes the low 32 bits exact
			// even when the first value was written unsigned.
			r.i64, err = e.DecodeInt64(r.i64[:0], src)
			r.i32 = grow(&r.i32, len(r.i64))
			for i, v := range r.i64 {
				r.i32[i] = int32(v)
			}
		} else {
			r.i32, err = e.DecodeInt32(r.i32[:0], src)
		}
		return encoding.Int32Values(r.i32), len(r.i32), err
	case format.Int64:
		r.i64, err = e.DecodeInt64(r.i64[:0], src)
		return encoding.Int64Values(r.i64), len(r.i64), err
	case format.Int96:
		r.i96, err = e.DecodeInt96(r.i96[:0], src)
		return encoding.Int96Values(r.i96), len(r.i96), err
	case format.Float:
		r.f32, err = e.DecodeFloat(r.f32[:0], src)
		return encoding.FloatValues(r.f32), len(r.f32), err
	case format.Double:
		r.f64, err = e.DecodeDouble(r.f64[:0], src)
		return encoding.DoubleValues(r.f64), len(r.f64), err
	case format.ByteArray:
		r.bytes, r.offsets, err = e.DecodeByteArray(r.bytes[:0], src, r.offsets[:0])
		if len(r.offsets) == 0 {
			r.offsets = append(r.offsets, 0)
		}
		return encoding.ByteArrayValues(r.bytes, r.offsets), len(r.offsets) - 1, err
	case format.FixedLenByteArray:
		if r.typeLen <= 0 {
			return encoding.Values{}, 0, fmt.Errorf("fixed length %d: %w", r.typeLen, ErrCorrupt)
		}
		r.bytes, err = e.DecodeFixedLenByteArray(r.bytes[:0], src, r.typeLen)
		return encoding.FixedLenByteArrayValues(r.bytes, r.typeLen), len(r.bytes) / r.typeLen, err
	}
	return encoding.Values{}, 0, fmt.Errorf("unsupported physical type %s", r.phys)
}

func (r *rawPages) decodeValues(enc format.Encoding, src []byte, n int, defs []byte) (page, error) {
	nulls := 0
	for _, d := range defs {
		if d != r.maxDef {
			nulls++
		}
	}
	want := n - nulls
	r.cur = rawPage{rows: n, nulls: nulls, defs: defs}
	if enc == format.PlainDictionary || enc == format.RLEDictionary {
		if r.dict == nil {
			return nil, fmt.Errorf("dictionary encoded page without dictionary: %w", ErrCorrupt)
		}
		idx, err := pq.LookupEncoding(format.RLEDictionary).DecodeInt32(r.i32[:0], src)
		if err != nil {
			return nil, fmt.Errorf("dictionary indexes: %w", err)
		}
		// Writers may drop trailing zero indexes.
		for len(idx) < want {
			idx = append(idx, 0)
		}
		r.i32 = idx
		r.cur.dict = r.dict
		r.cur.data = encoding.Int32Values(idx)
		return &r.cur, nil
	}
	vals, got, err := r.values(enc, src)
	if err != nil {
		return nil, fmt.Errorf("decoding %s values: %w", enc, err)
	}
	if got < want {
		return nil, fmt.Errorf("page holds %d values for %d non-null rows: %w", got, want, ErrCorrupt)
	}
	r.cur.data = vals
	return &r.cur, nil
}

// rawPage is a page decoded by rawPages.
type rawPage struct {
	rows, nulls int
	defs        []byte
	dict        pq.Dictionary
	data        encoding.Values
}

func (p *rawPage) NumRows() int64            { return int64(p.rows) }
func (p *rawPage) NumNulls() int64           { return int64(p.nulls) }
func (p *rawPage) DefinitionLevels() []byte  { return p.defs }
func (p *rawPage) Dictionary() pq.Dictionary { return p.dict }
func (p *rawPage) Data() encoding.Values     { return p.data }
