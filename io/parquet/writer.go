package parquet

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"golang.org/x/sync/errgroup"
)

// WriteOptions controls how a Writer encodes a file.
type WriteOptions struct {
	// Compression is "snappy" (the default when empty), "zstd", "gzip",
	// "lz4" (LZ4_RAW) or "none".
	Compression string
	// RowGroupRows is the number of rows per row group (default 1<<20).
	RowGroupRows int
	// Plain disables dictionary encoding of string columns (dictionary
	// encoding is the default).
	Plain bool
	// DictionaryMaxBytes bounds a column chunk's dictionary (default 16 MiB);
	// past it the writer falls back to plain pages for the rest of the
	// chunk. The default keeps columns like the h2o id3 (about 10^5 distinct
	// values per 1M-row row group) dictionary-encoded, so readers can group
	// and filter them on codes.
	DictionaryMaxBytes int64
}

// DefaultRowGroupRows is the row group size used when WriteOptions.RowGroupRows is 0.
const DefaultRowGroupRows = 1 << 20

// defaultDictionaryMaxBytes is WriteOptions.DictionaryMaxBytes's default.
const defaultDictionaryMaxBytes = 16 << 20

// writeChunk is the number of values handed to parquet-go per call.
const writeChunk = 4096

// Writer writes Arrow records to a Parquet file with the standard layout
// (flat schema, one column chunk per column per row group). It is not safe
// for concurrent use.
type Writer struct {
	w      *pq.Writer
	schema *arrow.Schema
	cols   []writeCol
	rgRows int64
	rows   int64 // rows in the current row group
	err    error
	closed bool
}

// writeCol describes how one Arrow column is written.
type writeCol struct {
	name     string
	typ      arrow.DataType
	nullable bool
	flba     bool // decimal as FIXED_LEN_BYTE_ARRAY(16)
	vals     []pq.Value
	fixed    []byte // FIXED_LEN_BYTE_ARRAY scratch
}

// NewWriter returns a Writer of records with the given schema to w. Supported
// column types: bool, int8..int64, uint8..uint64, float32, float64, utf8 (also
// as dictionary<int32, utf8> input), binary, date32, timestamp (s is written
// as ms), decimal128 (INT32, INT64 or FIXED_LEN_BYTE_ARRAY(16) by precision).
func NewWriter(w io.Writer, schema *arrow.Schema, opts WriteOptions) (*Writer, error) {
	codec, err := codecOf(opts.Compression)
	if err != nil {
		return nil, err
	}
	pw := &Writer{schema: schema, rgRows: int64(opts.RowGroupRows)}
	if pw.rgRows <= 0 {
		pw.rgRows = DefaultRowGroupRows
	}
	root := &orderedGroup{}
	for i, f := range schema.Fields() {
		node, wc, err := nodeOf(f, !opts.Plain)
		if err != nil {
			return nil, fmt.Errorf("parquet: column %s: %w", f.Name, err)
		}
		if i >= pq.MaxColumnIndex {
			return nil, fmt.Errorf("parquet: too many columns (%d)", len(schema.Fields()))
		}
		pw.cols = append(pw.cols, wc)
		root.fields = append(root.fields, &namedField{Node: node, name: f.Name})
	}
	pw.w = pq.NewWriter(w,
		pq.NewSchema("schema", root),
		pq.Compression(codec),
		pq.DictionaryMaxBytes(cmp.Or(opts.DictionaryMaxBytes, defaultDictionaryMaxBytes)),
		pq.DataPageStatistics(false), // chunk statistics and the page index remain
		createdBy(writerName()),
	)
	return pw, nil
}

// createdBy sets the file's created_by as is (parquet-go's CreatedBy option
// insists on "APP version V(build B)" even when V and B are unknown).
type createdBy string

func (c createdBy) ConfigureWriter(cfg *pq.WriterConfig) { cfg.CreatedBy = string(c) }

// writerName is "dfq", with the module version and VCS revision when the
// binary records them, as in "dfq version v1.2.0 (build 0123abcd)".
func writerName() string {
	name := "dfq"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return name
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		name += " version " + v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			name += " (build " + s.Value[:min(8, len(s.Value))] + ")"
		}
	}
	return name
}

func codecOf(name string) (compress.Codec, error) {
	switch strings.ToLower(name) {
	case "", "snappy":
		return &pq.Snappy, nil
	case "zstd":
		return &pq.Zstd, nil
	case "gzip":
		return &pq.Gzip, nil
	case "lz4", "lz4_raw":
		return &pq.Lz4Raw, nil
	case "none", "uncompressed":
		return &pq.Uncompressed, nil
	}
	return nil, fmt.Errorf("parquet: unknown compression %q (want snappy, zstd, gzip, lz4 or none)", name)
}

// nodeOf maps an Arrow field to a Parquet node.
func nodeOf(f arrow.Field, dict bool) (pq.Node, writeCol, error) {
	wc := writeCol{name: f.Name, typ: f.Type, nullable: f.Nullable}
	var node pq.Node
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		node = pq.Leaf(pq.BooleanType)
	case *arrow.Int8Type:
		node = pq.Int(8)
	case *arrow.Int16Type:
		node = pq.Int(16)
	case *arrow.Int32Type:
		node = pq.Int(32)
	case *arrow.Int64Type:
		node = pq.Int(64)
	case *arrow.Uint8Type:
		node = pq.Uint(8)
	case *arrow.Uint16Type:
		node = pq.Uint(16)
	case *arrow.Uint32Type:
		node = pq.Uint(32)
	case *arrow.Uint64Type:
		node = pq.Uint(64)
	case *arrow.Float32Type:
		node = pq.Leaf(pq.FloatType)
	case *arrow.Float64Type:
		node = pq.Leaf(pq.DoubleType)
	case *arrow.StringType:
		node = pq.String()
	case *arrow.DictionaryType:
		if t.ValueType.ID() != arrow.STRING || !arrow.IsInteger(t.IndexType.ID()) {
			return nil, wc, fmt.Errorf("unsupported type %s (dictionaries must have utf8 values)", t)
		}
		node = pq.String()
	case *arrow.BinaryType:
		node = pq.Leaf(pq.ByteArrayType)
	case *arrow.Date32Type:
		node = pq.Date()
	case *arrow.TimestampType:
		unit := pq.Millisecond
		switch t.Unit {
		case arrow.Microsecond:
			unit = pq.Microsecond
		case arrow.Nanosecond:
			unit = pq.Nanosecond
		}
		node = pq.TimestampAdjusted(unit, t.TimeZone != "")
	case *arrow.Decimal128Type:
		if t.Precision < 1 || t.Precision > 38 || t.Scale < 0 || t.Scale > t.Precision {
			return nil, wc, fmt.Errorf("unsupported type %s", t)
		}
		switch {
		case t.Precision <= 9:
			node = pq.Decimal(int(t.Scale), int(t.Precision), pq.Int32Type)
		case t.Precision <= 18:
			node = pq.Decimal(int(t.Scale), int(t.Precision), pq.Int64Type)
		default:
			node = pq.Decimal(int(t.Scale), int(t.Precision), pq.FixedLenByteArrayType(16))
			wc.flba = true
		}
	default:
		return nil, wc, fmt.Errorf("unsupported type %s", f.Type)
	}
	if dict && (f.Type.ID() == arrow.STRING || f.Type.ID() == arrow.DICTIONARY) {
		node = pq.Encoded(node, &pq.RLEDictionary)
	}
	if f.Nullable {
		node = pq.Optional(node)
	} else {
		node = pq.Required(node)
	}
	return node, wc, nil
}

// orderedGroup is a group node keeping its fields in schema order (pq.Group
// sorts them by name).
type orderedGroup struct {
	pq.Group
	fields []pq.Field
}

func (g *orderedGroup) Fields() []pq.Field { return g.fields }

func (g *orderedGroup) GoType() reflect.Type { return reflect.TypeOf(map[string]any(nil)) }

func (g *orderedGroup) String() string {
	var b strings.Builder
	b.WriteString("message schema {")
	for _, f := range g.fields {
		fmt.Fprintf(&b, " %s %s;", f.Name(), f.Type())
	}
	b.WriteString(" }")
	return b.String()
}

type namedField struct {
	pq.Node
	name string
}

func (f *namedField) Name() string { return f.name }

func (f *namedField) Value(reflect.Value) reflect.Value { return reflect.Value{} }

// Write appends the rows of rec, whose schema must match the writer's (a
// utf8 column may arrive as dictionary<int, utf8> and vice versa). rec is not
// retained.
func (w *Writer) Write(rec arrow.Record) (err error) {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("parquet: write after close")
	}
	if int(rec.NumCols()) != len(w.cols) {
		return fmt.Errorf("parquet: record has %d columns, writer %d", rec.NumCols(), len(w.cols))
	}
	for i, wc := range w.cols {
		if err := compatible(wc.typ, rec.Column(i).DataType()); err != nil {
			return fmt.Errorf("parquet: column %s: %w", wc.name, err)
		}
		if !wc.nullable && rec.Column(i).NullN() > 0 {
			return fmt.Errorf("parquet: column %s: NULLs in a non-nullable column", wc.name)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquet: write: %v", p)
		}
		if err != nil {
			w.err = err
		}
	}()
	n := rec.NumRows()
	cws := w.w.ColumnWriters()
	for off := int64(0); off < n; {
		m := min(n-off, w.rgRows-w.rows)
		// Columns encode and compress their pages independently: write them
		// in parallel.
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i := range w.cols {
			write := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic: %v", p)
					}
				}()
				return w.writeColumn(cws[i], i, rec.Column(i), int(off), int(m))
			}
			g.Go(func() error {
				if err := write(); err != nil {
					return fmt.Errorf("parquet: column %s: %w", w.cols[i].name, err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		off += m
		w.rows += m
		if w.rows == w.rgRows {
			if err := w.w.Flush(); err != nil {
				return fmt.Errorf("parquet: %w", err)
			}
			w.rows = 0
		}
	}
	return nil
}

func compatible(want, got arrow.DataType) error {
	isStr := func(t arrow.DataType) bool {
		if d, ok := t.(*arrow.DictionaryType); ok {
			return d.ValueType.ID() == arrow.STRING
		}
		return t.ID() == arrow.STRING
	}
	if isStr(want) && isStr(got) {
		if d, ok := got.(*arrow.DictionaryType); ok && !arrow.IsInteger(d.IndexType.ID()) {
			return fmt.Errorf("type %s does not match %s", got, want)
		}
		return nil
	}
	if !arrow.TypeEqual(want, got) {
		return fmt.Errorf("type %s does not match %s", got, want)
	}
	return nil
}

// writeColumn writes rows [off, off+m) of arr in chunks of writeChunk values.
func (w *Writer) writeColumn(cw *pq.ColumnWriter, col int, arr arrow.Array, off, m int) error {
	def := 0
	if w.cols[col].nullable {
		def = 1
	}
	wc := &w.cols[col]
	if wc.vals == nil {
		wc.vals = make([]pq.Value, writeChunk)
	}
	null := pq.NullValue().Level(0, 0, col)
	bitmap := arr.NullBitmapBytes()
	aoff := arr.Data().Offset()
	for start := off; start < off+m; start += writeChunk {
		k := min(writeChunk, off+m-start)
		vals := wc.vals[:k]
		if err := wc.fill(vals, arr, start); err != nil {
			return err
		}
		for i := range vals {
			vals[i].SetDefinitionLevel(def)
			vals[i].SetColumnIndex(col)
		}
		if arr.NullN() > 0 && len(bitmap) > 0 {
			for i := range vals {
				if bitutil.BitIsNotSet(bitmap, aoff+start+i) {
					vals[i] = null
				}
			}
		}
		if _, err := cw.WriteRowValues(vals); err != nil {
			return err
		}
	}
	return nil
}

// fillInt32 stores integers that Parquet keeps as INT32.
func fillInt32[T int8 | int16 | int32 | uint8 | uint16 | uint32 | arrow.Date32](vals []pq.Value, src []T) {
	for i, v := range src {
		vals[i] = pq.Int32Value(int32(v))
	}
}

// fillInt64 stores integers that Parquet keeps as INT64, times mul.
func fillInt64[T int64 | uint64 | arrow.Timestamp](vals []pq.Value, src []T, mul int64) {
	for i, v := range src {
		vals[i] = pq.Int64Value(int64(v) * mul)
	}
}

// fill sets vals to the values of arr from row start (the caller sets the
// levels and overwrites NULL slots).
func (w *writeCol) fill(vals []pq.Value, arr arrow.Array, start int) error {
	k := len(vals)
	switch a := arr.(type) {
	case *array.Boolean:
		for i := range vals {
			vals[i] = pq.BooleanValue(a.Value(start + i))
		}
	case *array.Int8:
		fillInt32(vals, a.Int8Values()[start:start+k])
	case *array.Int16:
		fillInt32(vals, a.Int16Values()[start:start+k])
	case *array.Int32:
		fillInt32(vals, a.Int32Values()[start:start+k])
	case *array.Int64:
		fillInt64(vals, a.Int64Values()[start:start+k], 1)
	case *array.Uint8:
		fillInt32(vals, a.Uint8Values()[start:start+k])
	case *array.Uint16:
		fillInt32(vals, a.Uint16Values()[start:start+k])
	case *array.Uint32:
		fillInt32(vals, a.Uint32Values()[start:start+k])
	case *array.Uint64:
		fillInt64(vals, a.Uint64Values()[start:start+k], 1)
	case *array.Float32:
		for i, v := range a.Float32Values()[start : start+k] {
			vals[i] = pq.FloatValue(v)
		}
	case *array.Float64:
		for i, v := range a.Float64Values()[start : start+k] {
			vals[i] = pq.DoubleValue(v)
		}
	case *array.Date32:
		fillInt32(vals, a.Date32Values()[start:start+k])
	case *array.Timestamp:
		mul := int64(1)
		if a.DataType().(*arrow.TimestampType).Unit == arrow.Second {
			mul = 1000
		}
		fillInt64(vals, a.TimestampValues()[start:start+k], mul)
	case *array.String:
		data, offs := a.ValueBytes(), a.ValueOffsets()
		base := offs[0]
		for i := range vals {
			lo, hi := offs[start+i]-base, offs[start+i+1]-base
			vals[i] = pq.ByteArrayValue(data[lo:hi:hi])
		}
	case *array.Binary:
		for i := range vals {
			vals[i] = pq.ByteArrayValue(a.Value(start + i))
		}
	case *array.Dictionary:
		dict, ok := a.Dictionary().(*array.String)
		if !ok {
			return fmt.Errorf("dictionary of %s", a.Dictionary().DataType())
		}
		if idx, ok := a.Indices().(*array.Int32); ok {
			for i, j := range idx.Int32Values()[start : start+k] {
				if a.IsValid(start + i) {
					vals[i] = pq.ByteArrayValue(stringBytes(dict, int(j)))
				}
			}
		} else {
			for i := range vals {
				if a.IsValid(start + i) {
					vals[i] = pq.ByteArrayValue(stringBytes(dict, a.GetValueIndex(start+i)))
				}
			}
		}
	case *array.Decimal128:
		nums := a.Values()[start : start+k]
		t := a.DataType().(*arrow.Decimal128Type)
		switch {
		case t.Precision <= 9:
			for i, v := range nums {
				vals[i] = pq.Int32Value(int32(v.LowBits()))
			}
		case t.Precision <= 18:
			for i, v := range nums {
				vals[i] = pq.Int64Value(int64(v.LowBits()))
			}
		default:
			if cap(w.fixed) < 16*k {
				w.fixed = make([]byte, 16*writeChunk)
			}
			buf := w.fixed[:16*k]
			for i, v := range nums {
				b := buf[16*i : 16*i+16 : 16*i+16]
				binary.BigEndian.PutUint64(b[:8], uint64(v.HighBits()))
				binary.BigEndian.PutUint64(b[8:], v.LowBits())
				vals[i] = pq.FixedLenByteArrayValue(b)
			}
		}
	default:
		return fmt.Errorf("unsupported array %s", arr.DataType())
	}
	return nil
}

// stringBytes returns the bytes of dict's i-th value without copying.
func stringBytes(dict *array.String, i int) []byte {
	s := dict.Value(i)
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Close flushes the last row group and writes the footer. It does not close
// the underlying io.Writer. Close may be called more than once.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	defer func() {
		if p := recover(); p != nil {
			w.err = fmt.Errorf("parquet: close: %v", p)
		}
	}()
	if err := w.w.Close(); err != nil {
		w.err = fmt.Errorf("parquet: %w", err)
	}
	return w.err
}
