package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow/go/v17/arrow"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/dfq/dfq/io/source"
)

// FileInfo describes a Parquet file from its footer.
type FileInfo struct {
	Path      string
	Size      int64         // file size in bytes
	CreatedBy string        // writer application, when recorded
	Schema    *arrow.Schema // logical Arrow schema (strings are utf8)
	Rows      int64
	Columns   []ColumnInfo // one per column, in schema order
	RowGroups []RowGroupInfo
}

// ColumnInfo describes one column of a file's schema.
type ColumnInfo struct {
	Name     string
	Physical string // Parquet physical type, e.g. "INT64"
	Logical  string // logical or converted type annotation, "" when none
	Nullable bool
}

// RowGroupInfo describes one row group.
type RowGroupInfo struct {
	Rows              int64
	CompressedBytes   int64 // sum of the column chunks' compressed sizes
	UncompressedBytes int64 // sum of the column chunks' uncompressed sizes
	Columns           []ChunkInfo
}

// ChunkInfo describes one column chunk of a row group.
type ChunkInfo struct {
	Column            string
	Physical          string
	Encodings         []string
	Compression       string
	CompressedBytes   int64
	UncompressedBytes int64
	Values            int64 // values including NULLs
	NullCount         int64
	// HasStats reports that both Min and Max were recorded (and decoded).
	HasStats bool
	// Min and Max are Go values in the domain of source.Pred values: int64,
	// uint64, float64, string (utf8), []byte (binary), bool, int32 days for
	// dates, int64 in the column's unit for timestamps (nanoseconds for
	// INT96). They are nil for decimals, whose bounds are given as text only.
	Min, Max         any
	MinText, MaxText string
}

// Inspect reads the footer of the Parquet file at path.
func Inspect(path string) (*FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	defer f.Close()
	pf, size, err := openFile(path, f)
	if err != nil {
		return nil, err
	}
	cols, schema, err := fileSchema(pf.Metadata())
	if err != nil {
		return nil, fmt.Errorf("parquet: %s: %w", path, err)
	}
	md := pf.Metadata()
	info := &FileInfo{
		Path:      path,
		Size:      size,
		CreatedBy: md.CreatedBy,
		Schema:    schema,
		Rows:      md.NumRows,
		Columns:   make([]ColumnInfo, len(cols)),
		RowGroups: make([]RowGroupInfo, len(md.RowGroups)),
	}
	for i := range cols {
		c := &cols[i]
		info.Columns[i] = ColumnInfo{Name: c.name, Physical: c.phys.String(), Logical: c.logical, Nullable: c.nullable}
	}
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		if len(rg.Columns) != len(cols) {
			return nil, fmt.Errorf("parquet: %s row group %d: %d column chunks for %d columns", path, g, len(rg.Columns), len(cols))
		}
		ri := RowGroupInfo{Rows: rg.NumRows, Columns: make([]ChunkInfo, len(cols))}
		for j := range cols {
			m := &rg.Columns[j].MetaData
			ci := ChunkInfo{
				Column:            cols[j].name,
				Physical:          m.Type.String(),
				Compression:       m.Codec.String(),
				CompressedBytes:   m.TotalCompressedSize,
				UncompressedBytes: m.TotalUncompressedSize,
				Values:            m.NumValues,
				NullCount:         m.Statistics.NullCount,
			}
			for _, e := range m.Encoding {
				ci.Encodings = append(ci.Encodings, e.String())
			}
			if lo, hi := rawBounds(&cols[j], &m.Statistics); lo != nil && hi != nil {
				var ok1, ok2 bool
				ci.Min, ci.MinText, ok1 = displayStat(&cols[j], lo)
				ci.Max, ci.MaxText, ok2 = displayStat(&cols[j], hi)
				ci.HasStats = ok1 && ok2
				if !ci.HasStats {
					ci.Min, ci.Max, ci.MinText, ci.MaxText = nil, nil, "", ""
				}
			}
			ri.CompressedBytes += m.TotalCompressedSize
			ri.UncompressedBytes += m.TotalUncompressedSize
			ri.Columns[j] = ci
		}
		info.RowGroups[g] = ri
	}
	return info, nil
}

// openFile validates the framing of a Parquet file and opens its footer (the
// page index is read lazily, per column chunk, when a reader seeks). Errors
// name the file; framing errors wrap source.ErrFormat.
func openFile(path string, f *os.File) (pf *pq.File, size int64, err error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("parquet: %w", err)
	}
	size = st.Size()
	if size < 12 {
		return nil, size, fmt.Errorf("parquet: %s: file of %d bytes is too small to be Parquet: %w", path, size, source.ErrFormat)
	}
	var head [4]byte
	var tail [8]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, size, fmt.Errorf("parquet: %s: %w", path, err)
	}
	if string(head[:]) != "PAR1" {
		return nil, size, fmt.Errorf("parquet: %s: missing PAR1 magic at start: %w", path, source.ErrFormat)
	}
	if _, err := f.ReadAt(tail[:], size-8); err != nil && !errors.Is(err, io.EOF) {
		return nil, size, fmt.Errorf("parquet: %s: %w", path, err)
	}
	if string(tail[4:]) != "PAR1" {
		return nil, size, fmt.Errorf("parquet: %s: missing PAR1 magic at end (truncated or corrupt file): %w", path, source.ErrFormat)
	}
	if footer := int64(binary.LittleEndian.Uint32(tail[:4])); footer > size-12 {
		return nil, size, fmt.Errorf("parquet: %s: footer length %d exceeds file size %d (truncated or corrupt file): %w", path, footer, size, source.ErrFormat)
	}
	defer func() {
		if r := recover(); r != nil {
			pf, err = nil, fmt.Errorf("parquet: %s: corrupt footer: %v: %w", path, r, source.ErrFormat)
		}
	}()
	pf, err = pq.OpenFile(f, size, pq.SkipBloomFilters(true), pq.SkipPageIndex(true), pq.ReadBufferSize(readBufferSize))
	if err != nil {
		return nil, size, fmt.Errorf("parquet: %s: %w: %w", path, err, source.ErrFormat)
	}
	if err := checkFooter(pf.Metadata(), size); err != nil {
		return nil, size, fmt.Errorf("parquet: %s: %w: %w", path, err, source.ErrFormat)
	}
	return pf, size, nil
}

// readBufferSize is the buffer parquet-go reads page headers through.
const readBufferSize = 64 << 10

// checkFooter rejects footers whose column chunk ranges lie outside the file,
// so that later reads fail with a clear message.
func checkFooter(md *format.FileMetaData, size int64) error {
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		if rg.NumRows < 0 {
			return fmt.Errorf("row group %d: negative row count %d", g, rg.NumRows)
		}
		for j := range rg.Columns {
			m := &rg.Columns[j].MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			if start < 4 || m.TotalCompressedSize < 0 || start+m.TotalCompressedSize > size {
				return fmt.Errorf("row group %d column %d: chunk [%d, +%d) outside the file of %d bytes (truncated or corrupt file)",
					g, j, start, m.TotalCompressedSize, size)
			}
		}
	}
	return nil
}
