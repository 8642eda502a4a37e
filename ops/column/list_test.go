package column

import (
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

func TestTakeList(t *testing.T) {
	cases := []struct {
		name string
		in   string
		idx  []int32
		want string
	}{
		{"reorder and repeat", `[[1,2],[],null,[3,null,4]]`, []int32{3, 0, 3, 2, 1}, `[[3,null,4],[1,2],[3,null,4],null,[]]`},
		{"empty selection", `[[1]]`, []int32{}, `[]`},
		{"all null", `[null,null]`, []int32{1, 0}, `[null,null]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			typ := arrow.ListOf(arrow.PrimitiveTypes.Int64)
			in, _, err := array.FromJSON(mem, typ, strings.NewReader(c.in))
			require.NoError(t, err)
			defer in.Release()
			want, _, err := array.FromJSON(mem, typ, strings.NewReader(c.want))
			require.NoError(t, err)
			defer want.Release()
			got, err := Take(mem, in, c.idx)
			require.NoError(t, err)
			defer got.Release()
			require.True(t, array.Equal(want, got), "got %v", got)
		})
	}
}
