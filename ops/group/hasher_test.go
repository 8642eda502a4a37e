package group

import (
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// TestHasherMatchesTable requires Hasher's per-row hash to equal Table.Hash
// of the row's group for every key type, plain and dictionary strings, NULLs
// (including NULL dictionary entries), -0.0 and NaN.
func TestHasherMatchesTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	js := func(typ arrow.DataType, s string) arrow.Array {
		a, _, err := array.FromJSON(mem, typ, strings.NewReader(s))
		require.NoError(t, err)
		return a
	}
	dictOf := func(idx, dict string) arrow.Array {
		ia := js(arrow.PrimitiveTypes.Int32, idx)
		defer ia.Release()
		da := js(arrow.BinaryTypes.String, dict)
		defer da.Release()
		return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, ia, da)
	}
	cases := []struct {
		name  string
		types []arrow.DataType
		cols  func() []arrow.Array
	}{
		{"int64", []arrow.DataType{arrow.PrimitiveTypes.Int64}, func() []arrow.Array {
			return []arrow.Array{js(arrow.PrimitiveTypes.Int64, `[1, null, -5, 1, 9223372036854775807]`)}
		}},
		{"float64", []arrow.DataType{arrow.PrimitiveTypes.Float64}, func() []arrow.Array {
			return []arrow.Array{js(arrow.PrimitiveTypes.Float64, `[0.0, -0.0, "NaN", null, 2.5]`)}
		}},
		{"string", []arrow.DataType{arrow.BinaryTypes.String}, func() []arrow.Array {
			return []arrow.Array{js(arrow.BinaryTypes.String, `["a", "", null, "a", "a much longer string than sixteen bytes"]`)}
		}},
		{"dictionary", []arrow.DataType{arrow.BinaryTypes.String}, func() []arrow.Array {
			return []arrow.Array{dictOf(`[0, 1, null, 2, 1]`, `["a", "", null]`)}
		}},
		{"mixed", []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Boolean, arrow.FixedWidthTypes.Date32},
			func() []arrow.Array {
				return []arrow.Array{dictOf(`[0, 1, 1, null, 0]`, `["x", "y"]`),
					js(arrow.PrimitiveTypes.Int32, `[1, 2, null, 2, 1]`),
					js(arrow.FixedWidthTypes.Boolean, `[true, false, null, true, true]`),
					js(arrow.FixedWidthTypes.Date32, `[1, 2, 3, null, 1]`)}
			}},
		{"decimal", []arrow.DataType{&arrow.Decimal128Type{Precision: 10, Scale: 2}}, func() []arrow.Array {
			return []arrow.Array{js(&arrow.Decimal128Type{Precision: 10, Scale: 2}, `["1.50", null, "-2.25", "1.50"]`)}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cols := c.cols()
			defer func() {
				for _, a := range cols {
					a.Release()
				}
			}()
			n := cols[0].Len()
			tab, err := New(c.types, mem)
			require.NoError(t, err)
			defer tab.Release()
			ids := make([]uint32, n)
			require.NoError(t, tab.Add(cols, ids))
			h, err := NewHasher(c.types)
			require.NoError(t, err)
			got := make([]uint64, n)
			for round := 0; round < 2; round++ { // second round uses cached dictionary hashes
				require.NoError(t, h.Hash(cols, got))
				for i := range got {
					require.Equal(t, tab.Hash(ids[i]), got[i], "row %d", i)
				}
			}
		})
	}
}
