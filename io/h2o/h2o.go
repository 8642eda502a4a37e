package h2o

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ChunkRows is the number of rows per generated chunk.
const ChunkRows = 1 << 20

// Config describes a dataset.
type Config struct {
	Rows int64  // N
	K    int    // groups in id1, id2, id4, id5 (default 100)
	NAs  int    // percent of NULLs, 0..100
	Seed uint64 // generator seed

	chunk int64 // rows per chunk; 0 means ChunkRows (tests set it smaller)
}

// chunkRows is the number of rows per chunk.
func (c Config) chunkRows() int64 {
	if c.chunk > 0 {
		return c.chunk
	}
	return ChunkRows
}

// Name returns the db-benchmark name, such as G1_1e7_1e2_0_0.
func (c Config) Name() string {
	return fmt.Sprintf("G1_%s_%s_%d_0", short(c.Rows), short(int64(c.k())), c.NAs)
}

func short(n int64) string {
	if n > 0 {
		e := math.Log10(float64(n))
		if e == math.Trunc(e) {
			return fmt.Sprintf("1e%d", int(e))
		}
	}
	return strconv.FormatInt(n, 10)
}

func (c Config) k() int {
	if c.K <= 0 {
		return 100
	}
	return c.K
}

// Validate reports a configuration that cannot be generated.
func (c Config) Validate() error {
	switch {
	case c.Rows < 0:
		return fmt.Errorf("h2o: rows must be >= 0, got %d", c.Rows)
	case c.K < 0:
		return fmt.Errorf("h2o: k must be >= 1, got %d", c.K)
	case c.NAs < 0 || c.NAs > 100:
		return fmt.Errorf("h2o: nas must be a percentage 0..100, got %d", c.NAs)
	}
	return nil
}

// Schema is the dataset's schema.
func Schema() *arrow.Schema {
	s, i := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32
	return arrow.NewSchema([]arrow.Field{
		{Name: "id1", Type: s, Nullable: true}, {Name: "id2", Type: s, Nullable: true},
		{Name: "id3", Type: s, Nullable: true}, {Name: "id4", Type: i, Nullable: true},
		{Name: "id5", Type: i, Nullable: true}, {Name: "id6", Type: i, Nullable: true},
		{Name: "v1", Type: i, Nullable: true}, {Name: "v2", Type: i, Nullable: true},
		{Name: "v3", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
}

// Chunks returns the number of chunks.
func (c Config) Chunks() int { return int((c.Rows + c.chunkRows() - 1) / c.chunkRows()) }

// Chunk generates chunk i (rows [i*ChunkRows, min((i+1)*ChunkRows, Rows))).
// The caller releases the record.
func (c Config) Chunk(mem memory.Allocator, i int) arrow.Record {
	lo := int64(i) * c.chunkRows()
	n := int(min(c.Rows-lo, c.chunkRows()))
	if n < 0 {
		n = 0
	}
	rng := rand.New(rand.NewPCG(c.Seed, uint64(i)+0x9e3779b97f4a7c15))
	k := c.k()
	groups := max(int(c.Rows)/k, 1)
	b := array.NewRecordBuilder(mem, Schema())
	defer b.Release()
	for f := range b.Fields() {
		b.Field(f).Reserve(n)
	}
	idK := make([]string, k+1)
	for j := 1; j <= k; j++ {
		idK[j] = fmt.Sprintf("id%03d", j)
	}
	na := func() bool { return c.NAs > 0 && rng.IntN(100) < c.NAs }
	strCol := func(f int, gen func() string) {
		sb := b.Field(f).(*array.StringBuilder)
		for r := 0; r < n; r++ {
			v := gen()
			if na() {
				sb.AppendNull()
			} else {
				sb.Append(v)
			}
		}
	}
	intCol := func(f int, hi int) {
		ib := b.Field(f).(*array.Int32Builder)
		for r := 0; r < n; r++ {
			v := int32(rng.IntN(hi) + 1)
			if na() {
				ib.AppendNull()
			} else {
				ib.UnsafeAppend(v)
			}
		}
	}
	buf := make([]byte, 0, 16)
	strCol(0, func() string { return idK[rng.IntN(k)+1] })
	strCol(1, func() string { return idK[rng.IntN(k)+1] })
	strCol(2, func() string {
		buf = append(buf[:0], "id"...)
		v := strconv.AppendInt(nil, int64(rng.IntN(groups)+1), 10)
		for p := len(v); p < 10; p++ {
			buf = append(buf, '0')
		}
		return string(append(buf, v...))
	})
	intCol(3, k)
	intCol(4, k)
	intCol(5, groups)
	intCol(6, 5)
	intCol(7, 15)
	fb := b.Field(8).(*array.Float64Builder)
	for r := 0; r < n; r++ {
		v := math.Round(rng.Float64()*100*1e6) / 1e6
		if v >= 100 {
			v = 99.999999
		}
		if na() {
			fb.AppendNull()
		} else {
			fb.UnsafeAppend(v)
		}
	}
	return b.NewRecord()
}
