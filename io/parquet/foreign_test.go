package parquet

import (
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

// foreignColumns are layouts our writer does not produce, written with
// parquet-go directly: INT96, FIXED_LEN_BYTE_ARRAY, decimals on FLBA(5) and
// BYTE_ARRAY, dictionary-encoded numbers with NULLs, JSON, ENUM, UUID.
var foreignColumns = []struct {
	name string
	node pq.Node
	typ  arrow.DataType
	// value returns the parquet value of row r (nil for NULL) and appends the
	// expected Arrow value to b.
	value func(r int, b array.Builder) *pq.Value
}{
	{"i96", pq.Optional(pq.Leaf(pq.Int96Type)), &arrow.TimestampType{Unit: arrow.Nanosecond},
		func(r int, b array.Builder) *pq.Value {
			if r%5 == 0 {
				b.AppendNull()
				return nil
			}
			day, nanos := uint32(julianUnixEpoch+18000+r), uint64(r)*3_600_000_000_123
			b.(*array.TimestampBuilder).Append(arrow.Timestamp((int64(day)-julianUnixEpoch)*nanosPerDay + int64(nanos)))
			v := pq.Int96Value(deprecated.Int96{uint32(nanos), uint32(nanos >> 32), day})
			return &v
		}},
	{"dict_i64", pq.Optional(pq.Encoded(pq.Int(64), &pq.RLEDictionary)), arrow.PrimitiveTypes.Int64,
		func(r int, b array.Builder) *pq.Value {
			if r%3 == 0 {
				b.AppendNull()
				return nil
			}
			x := int64(r%7) * -1000
			b.(*array.Int64Builder).Append(x)
			v := pq.Int64Value(x)
			return &v
		}},
	{"early_nulls", pq.Optional(pq.Int(64)), arrow.PrimitiveTypes.Int64, // later pages without NULLs
		func(r int, b array.Builder) *pq.Value {
			if r < 40 && r%2 == 0 {
				b.AppendNull()
				return nil
			}
			b.(*array.Int64Builder).Append(int64(r))
			v := pq.Int64Value(int64(r))
			return &v
		}},
	{"dict_f64", pq.Encoded(pq.Leaf(pq.DoubleType), &pq.RLEDictionary), arrow.PrimitiveTypes.Float64,
		func(r int, b array.Builder) *pq.Value {
			x := float64(r%4) / 4
			b.(*array.Float64Builder).Append(x)
			v := pq.DoubleValue(x)
			return &v
		}},
	{"flba", pq.Optional(pq.Leaf(pq.FixedLenByteArrayType(4))), arrow.BinaryTypes.Binary,
		func(r int, b array.Builder) *pq.Value {
			if r%4 == 1 {
				b.AppendNull()
				return nil
			}
			x := []byte{byte(r), byte(r >> 8), 0, 0xff}
			b.(*array.BinaryBuilder).Append(x)
			v := pq.FixedLenByteArrayValue(x)
			return &v
		}},
	{"dec_flba", pq.Optional(pq.Decimal(2, 10, pq.FixedLenByteArrayType(5))), &arrow.Decimal128Type{Precision: 10, Scale: 2},
		func(r int, b array.Builder) *pq.Value {
			if r%6 == 0 {
				b.AppendNull()
				return nil
			}
			x := int64(r)*12345 - 3_000_000
			b.(*array.Decimal128Builder).Append(decimal128.FromI64(x))
			v := pq.FixedLenByteArrayValue(bigEndian(x, 5))
			return &v
		}},
	{"dec_ba", pq.Optional(pq.Decimal(3, 30, pq.ByteArrayType)), &arrow.Decimal128Type{Precision: 30, Scale: 3},
		func(r int, b array.Builder) *pq.Value {
			x := new(big.Int).Mul(big.NewInt(int64(r)-150), big.NewInt(1e15))
			b.(*array.Decimal128Builder).Append(decimal128.FromBigInt(x))
			v := pq.ByteArrayValue(twosComplement(x))
			return &v
		}},
	{"u64", pq.Optional(pq.Uint(64)), arrow.PrimitiveTypes.Uint64,
		func(r int, b array.Builder) *pq.Value {
			x := uint64(r) * 0x9e3779b97f4a7c15
			b.(*array.Uint64Builder).Append(x)
			v := pq.Int64Value(int64(x))
			return &v
		}},
	{"json", pq.Optional(pq.JSON()), arrow.BinaryTypes.String,
		func(r int, b array.Builder) *pq.Value {
			x := fmt.Sprintf(`{"r":%d}`, r)
			b.(*array.StringBuilder).Append(x)
			v := pq.ByteArrayValue([]byte(x))
			return &v
		}},
	{"enum", pq.Optional(pq.Enum()), arrow.BinaryTypes.String,
		func(r int, b array.Builder) *pq.Value {
			x := []string{"RED", "GREEN"}[r%2]
			b.(*array.StringBuilder).Append(x)
			v := pq.ByteArrayValue([]byte(x))
			return &v
		}},
	{"uuid", pq.Optional(pq.UUID()), arrow.BinaryTypes.Binary,
		func(r int, b array.Builder) *pq.Value {
			x := make([]byte, 16)
			x[0], x[15] = byte(r), 0xab
			b.(*array.BinaryBuilder).Append(x)
			v := pq.FixedLenByteArrayValue(x)
			return &v
		}},
}

func bigEndian(x int64, n int) []byte {
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = byte(x)
		x >>= 8
	}
	return b
}

// twosComplement returns the minimal big-endian two's complement bytes of x.
func twosComplement(x *big.Int) []byte {
	n := x.BitLen()/8 + 1
	m := new(big.Int).Add(x, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	b := m.Bytes()
	return b[len(b)-n:]
}

// writeForeign writes rows of foreignColumns with parquet-go and returns the
// expected Arrow columns.
func writeForeign(t *testing.T, mem memory.Allocator, path string, rows int, codec compress.Codec, pageVersion int) []arrow.Array {
	root := &orderedGroup{}
	builders := make([]array.Builder, len(foreignColumns))
	for i, c := range foreignColumns {
		root.fields = append(root.fields, &namedField{Node: c.node, name: c.name})
		builders[i] = array.NewBuilder(mem, c.typ)
		defer builders[i].Release()
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := pq.NewWriter(f, pq.NewSchema("schema", root), pq.Compression(codec), pq.DataPageVersion(pageVersion), pq.PageBufferSize(2048))
	for i, c := range foreignColumns {
		def := 0
		if c.node.Optional() {
			def = 1
		}
		vals := make([]pq.Value, 0, rows)
		for r := 0; r < rows; r++ {
			if v := c.value(r, builders[i]); v != nil {
				vals = append(vals, v.Level(0, def, i))
			} else {
				vals = append(vals, pq.NullValue().Level(0, 0, i))
			}
		}
		for len(vals) > 0 {
			k := min(len(vals), 100)
			_, err := w.ColumnWriters()[i].WriteRowValues(vals[:k])
			require.NoError(t, err)
			vals = vals[k:]
		}
	}
	require.NoError(t, w.Close())
	want := make([]arrow.Array, len(builders))
	for i, b := range builders {
		want[i] = b.NewArray()
	}
	return want
}

func TestForeignLayouts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		codec   compress.Codec
		version int
	}{
		{"snappy/v1", &pq.Snappy, 1},
		{"snappy/v2", &pq.Snappy, 2},
		{"lz4/v1", &pq.Lz4Raw, 1}, // read by rawPages
		{"lz4/v2", &pq.Lz4Raw, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			path := filepath.Join(t.TempDir(), "foreign.parquet")
			want := writeForeign(t, mem, path, 700, tc.codec, tc.version)
			defer releaseAll(want)
			info, err := Inspect(path)
			require.NoError(t, err)
			names := make([]string, len(foreignColumns))
			for i, c := range foreignColumns {
				names[i] = c.name
				require.Truef(t, arrow.TypeEqual(c.typ, info.Schema.Field(i).Type), "%s: %s", c.name, info.Schema.Field(i).Type)
			}
			for _, batch := range []int{0, 7} {
				got := concat(t, mem, readAll(t, path, source.ReadOptions{Mem: mem, BatchSize: batch}))
				requireArraysEqual(t, names, want, got)
				releaseAll(got)
			}
			// A cut in the middle of the chunk (skipping rows of later pages).
			split := source.Split{Path: path, RowGroups: []int{0}, RowOffset: 123, RowCount: 100}
			got := concat(t, mem, readAll(t, path, source.ReadOptions{Mem: mem, BatchSize: 30}, split))
			defer releaseAll(got)
			cut := make([]arrow.Array, len(want))
			for i, a := range want {
				cut[i] = array.NewSlice(a, 123, 223)
			}
			defer releaseAll(cut)
			requireArraysEqual(t, names, cut, got)
		})
	}
}
