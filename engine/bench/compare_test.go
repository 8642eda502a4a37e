package bench

import (
	"strings"
	"testing"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

var cmpSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// jsonTable builds a table of schema from JSON arrays of rows, one record
// per array (so results may be chunked differently).
func jsonTable(t *testing.T, mem memory.Allocator, schema *arrow.Schema, chunks ...string) arrow.Table {
	t.Helper()
	var recs []arrow.Record
	for _, c := range chunks {
		rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(c))
		require.NoError(t, err)
		defer rec.Release()
		recs = append(recs, rec)
	}
	return array.NewTableFromRecords(schema, recs)
}

func TestDiff(t *testing.T) {
	base := `[{"k": "a", "n": 1, "f": 1.5}, {"k": "b", "n": null, "f": 2}, {"k": null, "n": 3, "f": null}, {"k": "a", "n": 1, "f": 1e-15}]`
	tests := []struct {
		name   string
		want   []string
		got    []string
		schema *arrow.Schema // of got; nil: cmpSchema
		diff   string        // "" when equal, else a part of the message
	}{
		{"identical", []string{base}, []string{base}, nil, ""},
		{"other order and chunking", []string{base},
			[]string{`[{"k": "a", "n": 1, "f": 1e-15}, {"k": null, "n": 3, "f": null}]`, `[{"k": "b", "n": null, "f": 2}, {"k": "a", "n": 1, "f": 1.5}]`}, nil, ""},
		{"float within relative tolerance", []string{base},
			[]string{`[{"k": "a", "n": 1, "f": 1.5000000000001}, {"k": "b", "n": null, "f": 2}, {"k": null, "n": 3, "f": null}, {"k": "a", "n": 1, "f": 1e-15}]`}, nil, ""},
		{"float near zero within absolute tolerance", []string{base},
			[]string{`[{"k": "a", "n": 1, "f": 1.5}, {"k": "b", "n": null, "f": 2}, {"k": null, "n": 3, "f": null}, {"k": "a", "n": 1, "f": -1e-14}]`}, nil, ""},
		{"float off", []string{base},
			[]string{`[{"k": "a", "n": 1, "f": 1.5000015}, {"k": "b", "n": null, "f": 2}, {"k": null, "n": 3, "f": null}, {"k": "a", "n": 1, "f": 1e-15}]`}, nil, "row (a, 1, 1.5000015) differs from the expected (a, 1, 1.5)"},
		{"NULL against a number", []string{base},
			[]string{`[{"k": "a", "n": 1, "f": 1.5}, {"k": "b", "n": 0, "f": 2}, {"k": null, "n": 3, "f": null}, {"k": "a", "n": 1, "f": 1e-15}]`}, nil, "unexpected row (b, 0, 2.0); missing row (b, NULL, 2.0)"},
		{"NULL float against a number", []string{`[{"k": "a", "n": 1, "f": null}]`}, []string{`[{"k": "a", "n": 1, "f": 0}]`}, nil, "unexpected row (a, 1, 0.0); missing row (a, 1, NULL)"},
		{"empty string against NULL", []string{`[{"k": "", "n": 1, "f": 1}]`}, []string{`[{"k": null, "n": 1, "f": 1}]`}, nil, "unexpected row (NULL, 1, 1.0); missing row (, 1, 1.0)"},
		{"row missing", []string{base}, []string{`[{"k": "a", "n": 1, "f": 1.5}, {"k": "b", "n": null, "f": 2}, {"k": "a", "n": 1, "f": 1e-15}]`}, nil,
			"want 4 rows, got 3: missing row (NULL, 3, NULL)"},
		{"row added", []string{`[{"k": "a", "n": 1, "f": 1.5}]`}, []string{`[{"k": "a", "n": 1, "f": 1.5}, {"k": "z", "n": 9, "f": 1.5}]`}, nil,
			"want 1 rows, got 2: unexpected row (z, 9, 1.5)"},
		{"multiset, not set", []string{`[{"k": "a", "n": 1, "f": 1}, {"k": "a", "n": 1, "f": 1}, {"k": "b", "n": 1, "f": 1}]`},
			[]string{`[{"k": "a", "n": 1, "f": 1}, {"k": "b", "n": 1, "f": 1}, {"k": "b", "n": 1, "f": 1}]`}, nil, "unexpected row (b, 1, 1.0); missing row (a, 1, 1.0)"},
		{"both empty", []string{`[]`}, []string{`[]`}, nil, ""},
		{"one row", []string{`[{"k": "x", "n": -5, "f": -0.25}]`}, []string{`[{"k": "x", "n": -5, "f": -0.25}]`}, nil, ""},
		{"all NULL", []string{`[{"k": null, "n": null, "f": null}, {"k": null, "n": null, "f": null}]`},
			[]string{`[{"k": null, "n": null, "f": null}, {"k": null, "n": null, "f": null}]`}, nil, ""},
		{"other column type", []string{`[{"k": "a", "n": 1, "f": 1}]`}, []string{`[{"k": "a", "n": 1, "f": 1}]`},
			arrow.NewSchema([]arrow.Field{cmpSchema.Field(0), {Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, cmpSchema.Field(2)}, nil), "columns differ"},
		{"other column name", []string{`[{"k": "a", "n": 1, "f": 1}]`}, []string{`[{"k": "a", "m": 1, "f": 1}]`},
			arrow.NewSchema([]arrow.Field{cmpSchema.Field(0), {Name: "m", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, cmpSchema.Field(2)}, nil), "columns differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
			defer mem.AssertSize(t, 0)
			schema := tt.schema
			if schema == nil {
				schema = cmpSchema
			}
			wt := jsonTable(t, mem, cmpSchema, tt.want...)
			defer wt.Release()
			gt := jsonTable(t, mem, schema, tt.got...)
			defer gt.Release()
			w, err := canonicalize(wt)
			require.NoError(t, err)
			defer w.release()
			g, err := canonicalize(gt)
			require.NoError(t, err)
			defer g.release()
			d := diff(w, g)
			if tt.diff == "" {
				require.Empty(t, d)
			} else {
				require.Contains(t, d, tt.diff)
			}
		})
	}
}

// TestDiffDictionary: a dictionary-encoded string column equals its plain
// form, and other types compare by their text.
func TestDiffDictionary(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	dictSchema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: dt, Nullable: true}, {Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true}}, nil)
	plainSchema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true}}, nil)

	db := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
	defer db.Release()
	require.NoError(t, db.AppendString("b"))
	require.NoError(t, db.AppendString("a"))
	db.AppendNull()
	dict := db.NewArray()
	defer dict.Release()
	dates, _, err := array.FromJSON(mem, arrow.FixedWidthTypes.Date32, strings.NewReader(`["2024-01-02", null, "1970-01-01"]`))
	require.NoError(t, err)
	defer dates.Release()
	drec := array.NewRecord(dictSchema, []arrow.Array{dict, dates}, 3)
	defer drec.Release()
	dtbl := array.NewTableFromRecords(dictSchema, []arrow.Record{drec})
	defer dtbl.Release()

	ptbl := jsonTable(t, mem, plainSchema, `[{"k": "a", "d": null}, {"k": null, "d": "1970-01-01"}, {"k": "b", "d": "2024-01-02"}]`)
	defer ptbl.Release()
	otbl := jsonTable(t, mem, plainSchema, `[{"k": "a", "d": null}, {"k": null, "d": "1970-01-02"}, {"k": "b", "d": "2024-01-02"}]`)
	defer otbl.Release()

	d, err := canonicalize(dtbl)
	require.NoError(t, err)
	defer d.release()
	p, err := canonicalize(ptbl)
	require.NoError(t, err)
	defer p.release()
	o, err := canonicalize(otbl)
	require.NoError(t, err)
	defer o.release()
	require.Empty(t, diff(d, p))
	require.Equal(t, "unexpected row (NULL, 1970-01-02); missing row (NULL, 1970-01-01)", diff(d, o))
}

func TestCloseEnough(t *testing.T) {
	nan := func() float64 { var z float64; return z / z }()
	tests := []struct {
		name string
		a, b float64
		want bool
	}{
		{"equal", 3, 3, true},
		{"relative", 1e6, 1e6 * (1 + 5e-10), true},
		{"relative off", 1e6, 1e6 * (1 + 2e-9), false},
		{"absolute near zero", 0, 5e-13, true},
		{"absolute off", 0, 5e-12, false},
		{"NaN", nan, nan, true},
		{"NaN and number", nan, 0, false},
		{"signs", 1, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, closeEnough(tt.a, tt.b))
			require.Equal(t, tt.want, closeEnough(tt.b, tt.a))
		})
	}
}
