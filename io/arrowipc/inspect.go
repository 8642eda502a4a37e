package arrowipc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/io/source"
)

// Format is the layout of an Arrow IPC file.
type Format string

// The two Arrow IPC layouts.
const (
	FormatFile   Format = "file"   // magic, messages, footer with a batch index
	FormatStream Format = "stream" // messages only
)

// DefaultSplitBytes is the split size PlanSplits uses when targetBytes <= 0.
const DefaultSplitBytes = 32 << 20

// FileInfo describes an Arrow IPC file.
type FileInfo struct {
	Path   string
	Size   int64 // bytes
	Format Format
	// Schema is the logical schema (see the package doc for the
	// normalisation); Stored is the schema as written in the file.
	Schema *arrow.Schema
	Stored *arrow.Schema
	// NumBatches is the number of record batches, -1 for a stream.
	NumBatches int
	// Batches describes each record batch (file format only).
	Batches []BatchInfo
	// Rows is the number of rows, -1 for a stream.
	Rows int64
	// Compression is the body compression of the first record batch:
	// "none", "lz4" or "zstd"; "" when unknown (a stream, or no batches).
	Compression string
}

// BatchInfo describes one record batch of a file-format file.
type BatchInfo struct {
	Rows  int64
	Bytes int64 // metadata and body
}

// Inspect reads the schema of the Arrow IPC file or stream at path and, for
// the file format, its record batch index. No batch body is read.
func Inspect(path string) (*FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrowipc: %w", err)
	}
	defer f.Close()
	info, err := inspect(path, f)
	if err != nil {
		return nil, fmt.Errorf("arrowipc: %s: %w", path, err)
	}
	return info, nil
}

func inspect(path string, f *os.File) (*FileInfo, error) {
	l, err := readLayout(f)
	if err != nil {
		return nil, err
	}
	if err := checkSchemaAt(f, l); err != nil {
		return nil, err
	}
	stored, err := readSchema(f, l)
	if err != nil {
		return nil, err
	}
	logical, err := logicalSchema(stored)
	if err != nil {
		return nil, err
	}
	info := &FileInfo{
		Path:       path,
		Size:       l.size,
		Format:     l.format,
		Schema:     logical,
		Stored:     stored,
		NumBatches: -1,
		Rows:       -1,
	}
	if l.format == FormatStream {
		return info, nil
	}
	info.NumBatches = len(l.foot.batches)
	info.Batches = make([]BatchInfo, len(l.foot.batches))
	info.Rows = 0
	for i, b := range l.foot.batches {
		meta, err := readMessageHeader(io.NewSectionReader(f, b.Offset, int64(b.Meta)), int64(b.Meta))
		if err != nil {
			return nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		m, err := parseMessage(meta, false)
		if err != nil {
			return nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		if m.kind != msgRecordBatch || m.rows < 0 {
			return nil, fmt.Errorf("record batch %d: message is not a record batch: %w", i, errCorrupt)
		}
		info.Batches[i] = BatchInfo{Rows: m.rows, Bytes: int64(b.Meta) + b.Body}
		info.Rows += m.rows
		if i == 0 {
			info.Compression = codecName(m.codec)
		}
	}
	return info, nil
}

func codecName(c int) string {
	switch c {
	case -1:
		return "none"
	case codecLZ4:
		return "lz4"
	case codecZSTD:
		return "zstd"
	}
	return fmt.Sprintf("codec %d", c)
}

// checkSchemaAt checks the schema message that starts the file or stream
// with checkSchemaMessage, before arrow/go decodes it.
func checkSchemaAt(f *os.File, l layout) error {
	start := int64(0)
	if l.format == FormatFile {
		start = 8
	}
	meta, err := readMessageHeader(io.NewSectionReader(f, start, l.size-start), l.size-start)
	if err == nil {
		err = checkSchemaMessage(meta)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("no schema message: %w", errCorrupt)
		}
		return fmt.Errorf("schema: %w", err)
	}
	return nil
}

// readSchema decodes the schema message that starts the file or stream,
// which checkSchemaAt has approved.
func readSchema(f *os.File, l layout) (*arrow.Schema, error) {
	var mr *msgReader
	if l.format == FormatFile {
		mr = newFileMsgReader(f, l.size, nil, memory.DefaultAllocator)
	} else {
		mr = newStreamMsgReader(f, 0, l.size, memory.DefaultAllocator)
	}
	r, err := ipc.NewReaderFromMessageReader(mr)
	if err != nil {
		mr.Release()
		return nil, fmt.Errorf("schema: %w", err)
	}
	defer r.Release()
	return r.Schema(), nil
}

// PlanSplits cuts a file-format file into splits of consecutive record
// batches of about targetBytes each (at least one batch per split). A stream
// is one split with Batches nil. A file without batches gives one empty split.
// Split indexes start at 0.
func PlanSplits(path string, info *FileInfo, targetBytes int64) []source.Split {
	if targetBytes <= 0 {
		targetBytes = DefaultSplitBytes
	}
	if info.Format == FormatStream {
		return []source.Split{{Format: source.Arrow, Path: path, Rows: info.Rows, Bytes: info.Size}}
	}
	var splits []source.Split
	cur := source.Split{Format: source.Arrow, Path: path}
	flush := func() {
		if len(cur.Batches) > 0 {
			cur.Index = len(splits)
			splits = append(splits, cur)
		}
		cur = source.Split{Format: source.Arrow, Path: path}
	}
	for i, b := range info.Batches {
		if len(cur.Batches) > 0 && cur.Bytes+b.Bytes > targetBytes {
			flush()
		}
		cur.Batches = append(cur.Batches, i)
		cur.Rows += b.Rows
		cur.Bytes += b.Bytes
	}
	flush()
	if len(splits) == 0 {
		splits = append(splits, source.Split{Format: source.Arrow, Path: path, Batches: []int{}, Rows: 0})
	}
	return splits
}

// logicalSchema maps a stored schema to dfq's logical types.
func logicalSchema(s *arrow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		t, err := logicalType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		fields[i] = arrow.Field{Name: f.Name, Type: t, Nullable: f.Nullable}
	}
	return arrow.NewSchema(fields, nil), nil
}

func logicalType(t arrow.DataType) (arrow.DataType, error) {
	if err := checkType(t); err != nil {
		return nil, err
	}
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.BINARY,
		arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL128:
		return t, nil
	case arrow.LARGE_STRING, arrow.STRING_VIEW:
		return arrow.BinaryTypes.String, nil
	case arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return arrow.BinaryTypes.Binary, nil
	case arrow.DICTIONARY:
		d := t.(*arrow.DictionaryType)
		switch d.ValueType.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
			if arrow.IsInteger(d.IndexType.ID()) {
				return arrow.BinaryTypes.String, nil
			}
		}
	}
	return nil, fmt.Errorf("type %s is not supported", t)
}

// checkType refuses parameters of a stored type that arrow/go reads without
// checking and then cannot work with: a decimal128's precision and scale (it
// indexes tables by them; 1 <= precision <= 38, 0 <= scale <= precision), a
// timestamp's unit and time zone (an IANA name or an offset).
func checkType(t arrow.DataType) error {
	switch d := t.(type) {
	case *arrow.Decimal128Type:
		if d.Precision < 1 || d.Precision > 38 || d.Scale < 0 || d.Scale > d.Precision {
			return fmt.Errorf("decimal128 with precision %d and scale %d: %w", d.Precision, d.Scale, errCorrupt)
		}
	case *arrow.TimestampType:
		if d.Unit > arrow.Nanosecond {
			return fmt.Errorf("timestamp with unit %d: %w", d.Unit, errCorrupt)
		}
		for _, c := range []byte(d.TimeZone) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("+-_/:", c) >= 0) {
				return fmt.Errorf("timestamp with time zone %q: %w", d.TimeZone, errCorrupt)
			}
		}
		if _, err := d.GetToTimeFunc(); err != nil {
			return fmt.Errorf("timestamp with time zone %q: %v: %w", d.TimeZone, err, errCorrupt)
		}
	}
	return nil
}

// dictType is the physical type of every dictionary-encoded string column
// this package returns.
var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// physicalType is the type of the arrays Open returns for a stored type.
func physicalType(t arrow.DataType) (arrow.DataType, error) {
	if t.ID() == arrow.DICTIONARY {
		if _, err := logicalType(t); err != nil {
			return nil, err
		}
		return dictType, nil
	}
	return logicalType(t)
}
