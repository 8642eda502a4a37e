package dataset

import (
	"context"
	stdcsv "encoding/csv"
	"errors"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

const interopDir = "../../testdata/interop"

// expectedRow is one line of testdata/interop/expected.csv.
type expectedRow struct {
	col, typ, nonNull, nulls, sum, min, max string
}

func readExpected(t *testing.T) []expectedRow {
	t.Helper()
	f, err := os.Open(filepath.Join(interopDir, "expected.csv"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := stdcsv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(recs), 1)
	var out []expectedRow
	for _, r := range recs[1:] {
		require.Len(t, r, 7)
		out = append(out, expectedRow{r[0], r[1], r[2], r[3], r[4], r[5], r[6]})
	}
	return out
}

// colStats accumulates expected.csv's statistics for one column.
type colStats struct {
	typ            arrow.DataType
	nonNull, nulls int64
	sumF           float64
	sumDec         big.Int
	distinct       map[string]struct{}
	minS, maxS     string
	minI, maxI     int64
	minF, maxF     float64
	minD, maxD     big.Int
	anyTrue        bool
	anyFalse       bool
	seen           bool
}

func (c *colStats) addInt(v int64) {
	c.sumF += float64(v)
	if !c.seen || v < c.minI {
		c.minI = v
	}
	if !c.seen || v > c.maxI {
		c.maxI = v
	}
	c.seen = true
}

func (c *colStats) addFloat(v float64) {
	c.sumF += v
	if !c.seen || v < c.minF {
		c.minF = v
	}
	if !c.seen || v > c.maxF {
		c.maxF = v
	}
	c.seen = true
}

func (c *colStats) addString(v string) {
	v = strings.Clone(v) // v aliases the record's buffer
	if c.distinct == nil {
		c.distinct = make(map[string]struct{})
	}
	c.distinct[v] = struct{}{}
	if !c.seen || v < c.minS {
		c.minS = v
	}
	if !c.seen || v > c.maxS {
		c.maxS = v
	}
	c.seen = true
}

func (c *colStats) add(t *testing.T, a arrow.Array) {
	c.nulls += int64(a.NullN())
	c.nonNull += int64(a.Len() - a.NullN())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			continue
		}
		switch a := a.(type) {
		case *array.Int8:
			c.addInt(int64(a.Value(i)))
		case *array.Int16:
			c.addInt(int64(a.Value(i)))
		case *array.Int32:
			c.addInt(int64(a.Value(i)))
		case *array.Int64:
			c.addInt(a.Value(i))
		case *array.Uint8:
			c.addInt(int64(a.Value(i)))
		case *array.Uint16:
			c.addInt(int64(a.Value(i)))
		case *array.Uint32:
			c.addInt(int64(a.Value(i)))
		case *array.Uint64:
			c.addInt(int64(a.Value(i)))
		case *array.Float32:
			c.addFloat(float64(a.Value(i)))
		case *array.Float64:
			c.addFloat(a.Value(i))
		case *array.Boolean:
			if a.Value(i) {
				c.anyTrue = true
				c.sumF++
			} else {
				c.anyFalse = true
			}
		case *array.String:
			c.addString(a.Value(i))
		case *array.Dictionary:
			c.addString(a.Dictionary().(*array.String).Value(a.GetValueIndex(i)))
		case *array.Date32:
			c.addInt(int64(a.Value(i)))
		case *array.Timestamp:
			c.addInt(int64(a.Value(i)))
		case *array.Decimal128:
			v := a.Value(i).BigInt()
			c.sumDec.Add(&c.sumDec, v)
			if !c.seen || v.Cmp(&c.minD) < 0 {
				c.minD.Set(v)
			}
			if !c.seen || v.Cmp(&c.maxD) > 0 {
				c.maxD.Set(v)
			}
			c.seen = true
		default:
			t.Fatalf("unexpected array type %T", a)
		}
	}
}

func decimalText(v *big.Int, scale int32) string {
	s := new(big.Int).Abs(v).String()
	for int32(len(s)) <= scale {
		s = "0" + s
	}
	out := s[:int32(len(s))-scale] + "." + s[int32(len(s))-scale:]
	if v.Sign() < 0 {
		out = "-" + out
	}
	return out
}

// text returns the column's sum, min and max as expected.csv writes them.
func (c *colStats) text() (sum, lo, hi string) {
	switch tt := c.typ.(type) {
	case *arrow.BooleanType:
		lo, hi = "true", "false"
		if c.anyFalse {
			lo = "false"
		}
		if c.anyTrue {
			hi = "true"
		}
		return strconv.FormatFloat(c.sumF, 'g', -1, 64), lo, hi
	case *arrow.StringType:
		return strconv.Itoa(len(c.distinct)), c.minS, c.maxS
	case *arrow.Float32Type, *arrow.Float64Type:
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		return f(c.sumF), f(c.minF), f(c.maxF)
	case *arrow.Date32Type:
		f := func(v int64) string { return arrow.Date32(v).ToTime().Format("2006-01-02") }
		return "", f(c.minI), f(c.maxI)
	case *arrow.TimestampType:
		f := func(v int64) string {
			return arrow.Timestamp(v).ToTime(tt.Unit).UTC().Format("2006-01-02 15:04:05.000000")
		}
		return "", f(c.minI), f(c.maxI)
	case *arrow.Decimal128Type:
		return decimalText(&c.sumDec, tt.Scale), decimalText(&c.minD, tt.Scale), decimalText(&c.maxD, tt.Scale)
	}
	return strconv.FormatFloat(c.sumF, 'g', -1, 64), strconv.FormatInt(c.minI, 10), strconv.FormatInt(c.maxI, 10)
}

// sameNumberOrText compares as numbers (1e-9 relative) when both parse,
// else as text.
func sameNumberOrText(t *testing.T, what, want, got string) {
	t.Helper()
	w, err1 := strconv.ParseFloat(want, 64)
	g, err2 := strconv.ParseFloat(got, 64)
	if err1 == nil && err2 == nil {
		require.LessOrEqualf(t, math.Abs(w-g), 1e-9*math.Abs(w), "%s: want %s, got %s", what, want, got)
		return
	}
	require.Equalf(t, want, got, "%s", what)
}

func TestInterop(t *testing.T) {
	expected := readExpected(t)
	entries, err := os.ReadDir(interopDir)
	require.NoError(t, err)
	var files []string
	for _, e := range entries {
		if _, ok := formatByExt(e.Name()); ok && e.Name() != "expected.csv" {
			files = append(files, e.Name())
		}
	}
	require.Len(t, files, 10, "interop files: %v", files)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			path := filepath.Join(interopDir, name)
			// small splits, so that several files split into several parts
			ds, err := Open([]string{path}, Options{CSV: source.CSVOptions{Header: true}, TargetSplitBytes: 100 << 10})
			require.NoError(t, err)
			isCSV := ds.Format == source.CSV
			if !isCSV && !strings.HasSuffix(name, ".arrows") {
				require.Greater(t, len(ds.Splits), 1, "want several splits")
			}
			stats := make(map[string]*colStats)
			for _, f := range ds.Schema.Fields() {
				stats[f.Name] = &colStats{typ: f.Type}
			}
			var scan source.ScanStats
			var rows int64
			for i, sp := range ds.Splits {
				require.Equal(t, i, sp.Index)
				r, err := OpenSplit(context.Background(), sp, source.ReadOptions{Mem: mem, BatchSize: 777, Stats: &scan})
				require.NoError(t, err)
				for {
					rec, err := r.Next(context.Background())
					if errors.Is(err, io.EOF) {
						break
					}
					require.NoError(t, err)
					require.LessOrEqual(t, rec.NumRows(), int64(777))
					rows += rec.NumRows()
					for k, col := range rec.Columns() {
						stats[rec.ColumnName(k)].add(t, col)
					}
					rec.Release()
				}
				require.NoError(t, r.Close())
			}
			require.EqualValues(t, 5000, rows)
			require.EqualValues(t, 5000, scan.Rows)
			if ds.Rows >= 0 {
				require.EqualValues(t, 5000, ds.Rows)
			}
			checked := 0
			for _, e := range expected {
				c, ok := stats[e.col]
				if !ok {
					require.True(t, isCSV && (e.col == "ts_ms" || e.col == "ts_ns"), "column %s missing", e.col)
					continue
				}
				checked++
				require.Equal(t, e.nonNull, strconv.FormatInt(c.nonNull, 10), "%s non-null", e.col)
				require.Equal(t, e.nulls, strconv.FormatInt(c.nulls, 10), "%s nulls", e.col)
				sum, lo, hi := c.text()
				if _, dec := c.typ.(*arrow.Decimal128Type); dec {
					require.Equal(t, e.sum, sum, "%s sum", e.col)
					require.Equal(t, e.min, lo, "%s min", e.col)
					require.Equal(t, e.max, hi, "%s max", e.col)
					continue
				}
				if e.sum == "" {
					require.Empty(t, sum, "%s sum", e.col)
				} else {
					sameNumberOrText(t, e.col+" sum", e.sum, sum)
				}
				sameNumberOrText(t, e.col+" min", e.min, lo)
				sameNumberOrText(t, e.col+" max", e.max, hi)
			}
			require.Equal(t, len(ds.Schema.Fields()), checked, "every column checked")
		})
	}
}

// The timestamp formatting above truncates toward negative infinity; make
// sure it does what expected.csv means by "to the microsecond".
func TestTimestampText(t *testing.T) {
	ts := arrow.Timestamp(1654041606502795999)
	require.Equal(t, "2022-06-01 00:00:06.502795", ts.ToTime(arrow.Nanosecond).UTC().Format("2006-01-02 15:04:05.000000"))
	require.Equal(t, "1969-12-31 23:59:59.999999", arrow.Timestamp(-1).ToTime(arrow.Microsecond).UTC().Format("2006-01-02 15:04:05.000000"))
	require.Equal(t, "0.584", decimalText(big.NewInt(584), 3))
	require.Equal(t, "-12.005", decimalText(big.NewInt(-12005), 3))
}
