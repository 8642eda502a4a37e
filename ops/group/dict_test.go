package group

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// TestDictionaryResolution feeds row groups, each with its own shuffled
// dictionary holding unused entries and a NULL entry, cut into batches that
// share it: with batches large enough for the dictionary to be resolved
// eagerly, and small ones that resolve it lazily.
func TestDictionaryResolution(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	const rowGroups, rows, card = 4, 240, 50
	cases := []struct {
		name  string
		batch int
		eager bool
	}{
		{"eager", 60, true},
		{"eager_one_batch", rows, true},
		{"lazy", 5, false},
	}
	for _, tc := range cases {
		for _, shape := range []string{"single", "multi"} {
			t.Run(tc.name+"/"+shape, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(21, uint64(tc.batch)))
				var batches [][]arrow.Array
				for rg := range rowGroups {
					b := array.NewStringBuilder(mem)
					for range rows {
						if rng.IntN(10) == 0 {
							b.AppendNull()
							continue
						}
						// later row groups bring strings not seen before
						b.Append(fmt.Sprintf("k%03d", rng.IntN(card)+rg*card/4))
					}
					plain := b.NewArray()
					b.Release()
					d := toDict(t, mem, plain, rng, true)
					plain.Release()
					for at := 0; at < rows; at += tc.batch {
						s := array.NewSlice(d, int64(at), int64(at+tc.batch))
						if shape == "multi" {
							s.Retain()
							batches = append(batches, []arrow.Array{s, s})
						} else {
							batches = append(batches, []arrow.Array{s})
						}
					}
					d.Release()
				}
				defer releaseAll(batches)
				types := []arrow.DataType{arrow.BinaryTypes.String}
				if shape == "multi" {
					types = append(types, arrow.BinaryTypes.String)
				}
				tbl := checkAgainstRef(t, mem, types, batches)
				defer tbl.Release()
				// A new dictionary arriving with a batch: eagerly, entries
				// already interned (single key) or all entries (several keys)
				// are resolved before any row is looked at; lazily, none.
				tbl2, err := New(types, mem)
				require.NoError(t, err)
				defer tbl2.Release()
				require.NoError(t, tbl2.Add(batches[0], make([]uint32, tc.batch)))
				c := &tbl2.cols[0]
				d := batches[rows/tc.batch][0].(*array.Dictionary)
				require.NoError(t, tbl2.useDict(c, d, tc.batch))
				dict := d.Dictionary().(*array.String)
				resolved := 0
				for code, v := range c.dictIDs {
					known := c.strs.find([]byte(dict.Value(code)), hashBytes([]byte(dict.Value(code)))) != 0
					switch {
					case !tc.eager:
						require.Zero(t, v)
					case dict.IsNull(code) && shape == "multi":
						require.Equal(t, uint32(nullMark), v)
					case dict.IsNull(code):
						require.Equal(t, uint32(tbl2.nullGroup+1), v, "NULL entry %d", code)
					case shape == "single" && !known:
						require.Zero(t, v, "entry %d", code)
					default:
						require.NotZero(t, v, "entry %d", code)
						require.Equal(t, dict.Value(code), string(c.strs.value(v-1)))
						resolved++
					}
				}
				require.Equal(t, tc.eager, resolved > 0)
			})
		}
	}
}

// TestDictionaryNullRowCodes checks that the code under a NULL row is never
// used, even when it is out of range, and that a bad code under a valid row
// is an error.
func TestDictionaryNullRowCodes(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dict := fromJSON(t, mem, arrow.BinaryTypes.String, `["x", "y"]`)
	defer dict.Release()
	cases := []struct {
		name  string
		codes []int32
		valid []bool
		want  []uint32
		err   string
	}{
		{"null_row_bad_code", []int32{1, 1 << 30, 0, -7}, []bool{true, false, true, false}, []uint32{0, 1, 2, 1}, ""},
		{"valid_row_bad_code", []int32{1, 0, 9}, []bool{true, false, true}, nil, "row 2: dictionary index 9 out of range [0, 2)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := array.NewInt32Builder(mem)
			b.AppendValues(tc.codes, tc.valid)
			idx := b.NewArray()
			b.Release()
			defer idx.Release()
			d := array.NewDictionaryArray(dictUtf8, idx, dict)
			defer d.Release()
			tbl, err := New([]arrow.DataType{arrow.BinaryTypes.String}, mem)
			require.NoError(t, err)
			defer tbl.Release()
			ids := make([]uint32, len(tc.codes))
			err = tbl.Add([]arrow.Array{d}, ids)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ids)
		})
	}
}
