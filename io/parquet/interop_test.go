package parquet

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/dfq/dfq/io/source"
)

const interopDir = "../../testdata/interop"

// summary is what expected.csv records per column.
type summary struct {
	nonNull, nulls int
	sum            string // "" for dates and timestamps
	min, max       string
	isFloat        bool
}

// summarise computes a column summary the way expected.csv does: sums of
// numbers (exact for integers and decimals), the number of distinct strings,
// the number of true booleans, min and max as text.
func summarise(a arrow.Array) summary {
	var s summary
	s.nulls = a.NullN()
	s.nonNull = a.Len() - a.NullN()
	var (
		isum     big.Int
		fsum     float64
		distinct = map[string]bool{}
		ilo, ihi *big.Int
		flo, fhi = math.Inf(1), math.Inf(-1)
		slo, shi string
		first    = true
	)
	track := func(v *big.Int) {
		isum.Add(&isum, v)
		if ilo == nil || v.Cmp(ilo) < 0 {
			ilo = v
		}
		if ihi == nil || v.Cmp(ihi) > 0 {
			ihi = v
		}
	}
	trackS := func(v string) {
		if first || v < slo {
			slo = v
		}
		if first || v > shi {
			shi = v
		}
		first = false
	}
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			continue
		}
		switch x := a.(type) {
		case *array.Int8:
			track(big.NewInt(int64(x.Value(i))))
		case *array.Int16:
			track(big.NewInt(int64(x.Value(i))))
		case *array.Int32:
			track(big.NewInt(int64(x.Value(i))))
		case *array.Int64:
			track(big.NewInt(x.Value(i)))
		case *array.Uint8:
			track(big.NewInt(int64(x.Value(i))))
		case *array.Uint16:
			track(big.NewInt(int64(x.Value(i))))
		case *array.Uint32:
			track(new(big.Int).SetUint64(uint64(x.Value(i))))
		case *array.Uint64:
			track(new(big.Int).SetUint64(x.Value(i)))
		case *array.Float32:
			v := float64(x.Value(i))
			fsum += v
			flo, fhi = math.Min(flo, v), math.Max(fhi, v)
		case *array.Float64:
			v := x.Value(i)
			fsum += v
			flo, fhi = math.Min(flo, v), math.Max(fhi, v)
		case *array.Decimal128:
			track(x.Value(i).BigInt())
		case *array.String:
			distinct[x.Value(i)] = true
			trackS(x.Value(i))
		case *array.Binary:
			distinct[string(x.Value(i))] = true
			trackS(string(x.Value(i)))
		case *array.Boolean:
			if x.Value(i) {
				isum.Add(&isum, big.NewInt(1))
			}
			trackS(strconv.FormatBool(x.Value(i)))
		case *array.Date32:
			trackS(formatDate(int32(x.Value(i))))
		case *array.Timestamp:
			trackS(formatTimestamp(int64(x.Value(i)), x.DataType().(*arrow.TimestampType).Unit))
		default:
			panic(fmt.Sprintf("unexpected %T", a))
		}
	}
	switch t := a.DataType().(type) {
	case *arrow.Float32Type, *arrow.Float64Type:
		s.isFloat = true
		s.sum = strconv.FormatFloat(fsum, 'g', -1, 64)
		s.min, s.max = strconv.FormatFloat(flo, 'g', -1, 64), strconv.FormatFloat(fhi, 'g', -1, 64)
	case *arrow.Decimal128Type:
		s.sum = decimalText(&isum, t.Scale)
		s.min, s.max = decimalText(ilo, t.Scale), decimalText(ihi, t.Scale)
	case *arrow.StringType, *arrow.BinaryType:
		s.sum = strconv.Itoa(len(distinct))
		s.min, s.max = slo, shi
	case *arrow.BooleanType:
		s.sum = isum.String()
		s.min, s.max = slo, shi
	case *arrow.Date32Type, *arrow.TimestampType:
		s.min, s.max = slo, shi
	default:
		s.sum = isum.String()
		s.min, s.max = ilo.String(), ihi.String()
	}
	return s
}

func decimalText(v *big.Int, scale int32) string {
	r := new(big.Rat).SetFrac(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	return r.FloatString(int(scale))
}

// readExpected parses expected.csv into column name -> summary, in order.
func readExpected(t *testing.T) ([]string, map[string]summary) {
	f, err := os.Open(filepath.Join(interopDir, "expected.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"col", "typ", "non_null", "nulls", "sum", "min", "max"}, rows[0])
	var names []string
	out := map[string]summary{}
	for _, r := range rows[1:] {
		nn, err := strconv.Atoi(r[2])
		require.NoError(t, err)
		nulls, err := strconv.Atoi(r[3])
		require.NoError(t, err)
		s := summary{nonNull: nn, nulls: nulls, sum: r[4], min: r[5], max: r[6]}
		s.isFloat = r[1] == "DOUBLE" || r[1] == "FLOAT"
		names = append(names, r[0])
		out[r[0]] = s
	}
	return names, out
}

// requireSummary compares an expected and a computed summary.
func requireSummary(t *testing.T, want, got summary) {
	t.Helper()
	require.Equal(t, want.nonNull, got.nonNull, "non-null count")
	require.Equal(t, want.nulls, got.nulls, "null count")
	if !want.isFloat {
		if want.sum != "" {
			// Integer sums are written as floats ("12497500.0").
			w, ok := new(big.Rat).SetString(want.sum)
			require.True(t, ok, want.sum)
			g, ok := new(big.Rat).SetString(got.sum)
			require.True(t, ok, got.sum)
			require.Equal(t, w.String(), g.String(), "sum")
		}
		require.Equal(t, want.min, got.min, "min")
		require.Equal(t, want.max, got.max, "max")
		return
	}
	for _, p := range [][2]string{{want.sum, got.sum}, {want.min, got.min}, {want.max, got.max}} {
		w, err := strconv.ParseFloat(p[0], 64)
		require.NoError(t, err)
		g, err := strconv.ParseFloat(p[1], 64)
		require.NoError(t, err)
		require.InDelta(t, w, g, 1e-9*math.Max(1, math.Abs(w)), "%s vs %s", p[0], p[1])
	}
}

func TestInterop(t *testing.T) {
	names, want := readExpected(t)
	files, err := filepath.Glob(filepath.Join(interopDir, "*.parquet"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6)
	for _, path := range files {
		for _, batch := range []int{0, 777} {
			t.Run(fmt.Sprintf("%s/batch=%d", filepath.Base(path), batch), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
				defer mem.AssertSize(t, 0)
				info, err := Inspect(path)
				require.NoError(t, err)
				require.Equal(t, int64(5000), info.Rows)
				for _, n := range names {
					require.NotEmpty(t, info.Schema.FieldIndices(n), n)
				}
				var stats source.ScanStats
				recs := readAll(t, path, source.ReadOptions{Mem: mem, BatchSize: batch, Stats: &stats})
				require.Equal(t, int64(5000), stats.Rows)
				require.Equal(t, int64(len(info.RowGroups)), stats.RowGroups)
				// Every writer dictionary-encodes the 7-value color column:
				// it must arrive as dictionary codes.
				color := info.Schema.FieldIndices("color")[0]
				for _, rec := range recs {
					require.Equal(t, arrow.DICTIONARY, rec.Column(color).DataType().ID())
					require.Equal(t, arrow.DICTIONARY, rec.Schema().Field(color).Type.ID())
				}
				cols := concat(t, mem, recs)
				defer releaseAll(cols)
				for _, n := range names {
					t.Run(n, func(t *testing.T) {
						i := info.Schema.FieldIndices(n)[0]
						require.Equal(t, 5000, cols[i].Len())
						requireSummary(t, want[n], summarise(cols[i]))
					})
				}
			})
		}
	}
}

// TestInteropStats checks Inspect's statistics against expected.csv for the
// columns whose statistics are exact (every writer records them).
func TestInteropStats(t *testing.T) {
	names, want := readExpected(t)
	files, err := filepath.Glob(filepath.Join(interopDir, "*.parquet"))
	require.NoError(t, err)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			info, err := Inspect(path)
			require.NoError(t, err)
			var total int64
			for _, rg := range info.RowGroups {
				total += rg.Rows
				require.Positive(t, rg.CompressedBytes)
			}
			require.Equal(t, info.Rows, total)
			if len(info.RowGroups) != 1 {
				return
			}
			rg := info.RowGroups[0]
			for j, n := range names {
				c := rg.Columns[info.Schema.FieldIndices(n)[0]]
				require.Equal(t, n, c.Column)
				require.Equal(t, int64(want[n].nulls), c.NullCount, n)
				if !c.HasStats || want[n].isFloat || c.Min == nil && c.MinText == "" {
					continue
				}
				require.Equal(t, want[n].min, c.MinText, "%d %s", j, n)
				require.Equal(t, want[n].max, c.MaxText, "%d %s", j, n)
			}
		})
	}
}
