package sink

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

// seqRecords returns n rows (id = 0..n-1, name = "row<id>", every 10th name
// NULL) cut into records of at most batch rows.
func seqRecords(t testing.TB, mem memory.Allocator, n, batch int) (*arrow.Schema, []arrow.Record) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	var recs []arrow.Record
	for start := 0; start < n; start += batch {
		b := array.NewRecordBuilder(mem, schema)
		for i := start; i < min(n, start+batch); i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			if i%10 == 9 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append("row" + strconv.Itoa(i))
			}
		}
		recs = append(recs, b.NewRecord())
		b.Release()
	}
	return schema, recs
}

func release(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

// bodyIDs returns the first column of the table's body rows ("⋮" for the gap).
func bodyIDs(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	var ids []string
	body := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "├"):
			body = true
		case strings.HasPrefix(l, "└"):
			body = false
		case body:
			cells := strings.Split(l, "│")
			require.GreaterOrEqual(t, len(cells), 3, l)
			ids = append(ids, strings.TrimSpace(cells[1]))
		}
	}
	return ids
}

func TestTableRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	const n = 200
	tests := []struct {
		maxRows int
		total   int64 // TotalRows hint
	}{
		{0, 0}, {1, 0}, {2, 0}, {7, 0}, {10, 0}, {-1, 0}, {n, 0}, {n - 1, 0}, {n + 1, 0}, {10, 5000},
	}
	for _, tt := range tests {
		// Expected: the first and last rows of the result, around a gap.
		maxRows := tt.maxRows
		if maxRows == 0 {
			maxRows = DefaultMaxRows
		}
		var want []string
		switch {
		case maxRows < 0 || maxRows >= n:
			for i := 0; i < n; i++ {
				want = append(want, strconv.Itoa(i))
			}
		case tt.total > n:
			for i := 0; i < maxRows; i++ {
				want = append(want, strconv.Itoa(i))
			}
			want = append(want, "⋮")
		default:
			for i := 0; i < maxRows-maxRows/2; i++ {
				want = append(want, strconv.Itoa(i))
			}
			want = append(want, "⋮")
			for i := n - maxRows/2; i < n; i++ {
				want = append(want, strconv.Itoa(i))
			}
		}
		reported := max(int64(n), tt.total)
		shown := int64(0)
		for _, w := range want {
			if w != "⋮" {
				shown++
			}
		}
		footer := fmt.Sprintf("%d rows\n", reported)
		if shown < reported {
			footer = fmt.Sprintf("%d rows, %d shown (use --max-rows to show more)\n", reported, shown)
		}
		var outs []string
		for _, batch := range []int{1, 7, 64, n} {
			t.Run(fmt.Sprintf("max%d_total%d_batch%d", tt.maxRows, tt.total, batch), func(t *testing.T) {
				schema, recs := seqRecords(t, mem, n, batch)
				defer release(recs)
				out := string(writeAll(t, Table, schema, Options{MaxRows: tt.maxRows, TotalRows: tt.total}, recs...))
				require.Equal(t, want, bodyIDs(t, out))
				require.True(t, strings.HasSuffix(out, "┘\n"+footer), out[max(0, len(out)-200):])
				outs = append(outs, out)
			})
		}
		for _, o := range outs[1:] {
			require.Equal(t, outs[0], o, "output depends on batch size")
		}
	}
}

func TestTableGolden(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	schema, recs := seqRecords(t, mem, 1000, 256)
	defer release(recs)
	golden(t, "many.table", writeAll(t, Table, schema, Options{MaxRows: 10}, recs...))
	first := recs[0].NewSlice(0, 12)
	defer first.Release()
	golden(t, "many.md", writeAll(t, Markdown, schema, Options{}, first))
}

func TestTableWidth(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	rec, schema := allRecord(t, mem)
	defer rec.Release()
	natural := string(writeAll(t, Table, schema, Options{}, rec))
	naturalWidth := strWidth(strings.SplitN(natural, "\n", 2)[0])
	for _, width := range []int{1, 20, 40, 60, 80, 120, 200, naturalWidth - 1, naturalWidth, 10000} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			out := string(writeAll(t, Table, schema, Options{Width: width}, rec))
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			boxWidth := strWidth(lines[0])
			for _, l := range lines[:len(lines)-1] {
				require.Equal(t, boxWidth, strWidth(l), "ragged line %q", l)
			}
			if width >= naturalWidth {
				require.Equal(t, natural, out)
				return
			}
			minimal := 1 + (minColWidth + 3) + 4 // one column at its minimum plus the … column
			require.LessOrEqual(t, boxWidth, max(width, minimal))
			require.Contains(t, out, "…")
		})
	}
	t.Run("one_long_column", func(t *testing.T) {
		s := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
		a := fromJSON(t, mem, arrow.BinaryTypes.String, `["`+strings.Repeat("x", 100)+`", "世界世界世界世界世界世界", "a\tb\u001b"]`)
		r := array.NewRecord(s, []arrow.Array{a}, 3)
		a.Release()
		defer r.Release()
		out := string(writeAll(t, Table, s, Options{Width: 20}, r))
		want := "┌──────────────────┐\n" +
			"│        s         │\n" +
			"│     varchar      │\n" +
			"├──────────────────┤\n" +
			"│ xxxxxxxxxxxxxxx… │\n" +
			"│ 世界世界世界世…  │\n" +
			"│ a\\tb\\x1b         │\n" +
			"└──────────────────┘\n" +
			"3 rows\n"
		require.Equal(t, want, out)
	})
}

func TestTextWidth(t *testing.T) {
	tests := []struct {
		s     string
		width int
		cut4  string
	}{
		{"", 0, ""},
		{"abc", 3, "abc"},
		{"abcde", 5, "abc…"},
		{"世界", 4, "世界"},
		{"世界!", 5, "世…"},
		{"e\u0301te", 3, "e\u0301te"},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			require.Equal(t, tt.width, strWidth(tt.s))
			require.Equal(t, tt.cut4, truncate(tt.s, 4))
		})
	}
	require.Equal(t, `a\nb\r\t\x00\x7f`+"\ufffd", sanitize([]byte("a\nb\r\t\x00\x7f\xff")))
}
