package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine/exec"
	"github.com/dfq/dfq/engine/plan"
	"github.com/dfq/dfq/engine/recycle"
	"github.com/dfq/dfq/engine/sql"
	"github.com/dfq/dfq/io/sink"
	"github.com/dfq/dfq/io/source"
	"github.com/dfq/dfq/ops"
	"github.com/dfq/dfq/ops/agg"
	"github.com/dfq/dfq/ops/expr"
)

// QueryOptions says where a SQL query's names come from and how files are
// read.
type QueryOptions struct {
	// Tables are frames a query may name in FROM (FROM trades), matched
	// case-insensitively. A WITH query of the same name shadows a table.
	Tables map[string]*Frame
	// Read is how quoted file sources ('data/*.parquet') are read; table
	// functions (read_csv(...)) override its format and CSV options.
	Read ReadOptions
}

// SQL plans a SELECT query and returns its frame, which callers may extend
// with the builder methods. Errors are *sql.Error values pointing into query.
func SQL(query string, qo QueryOptions) (*Frame, error) {
	st, err := sql.Parse(query)
	if err != nil {
		return nil, err
	}
	s, ok := st.(*sql.Select)
	if !ok {
		return nil, &sql.Error{SQL: query, Pos: st.Pos(), Msg: "SQL wants a SELECT query", Hint: "use Exec for EXPLAIN, DESCRIBE and COPY"}
	}
	p := &planner{src: query, qo: qo}
	return p.query(s, nil)
}

// Query runs one statement and returns its result as a table the caller
// releases: a SELECT's rows; for EXPLAIN one column "plan" with a row per
// line; for DESCRIBE the columns column_name, column_type and null; for COPY
// one column "Count" with the number of rows written.
func Query(ctx context.Context, query string, o Options) (arrow.Table, error) {
	return QueryWith(ctx, query, QueryOptions{}, o)
}

// QueryWith is Query with tables and read options.
func QueryWith(ctx context.Context, query string, qo QueryOptions, o Options) (arrow.Table, error) {
	res, err := Exec(ctx, query, qo, o)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	rows := res.Rows
	if rows == nil {
		var err error
		if rows, err = res.textRows(o.Mem); err != nil {
			return nil, err
		}
		defer rows.Close()
	}
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for {
		rec, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, res.wrap(err)
		}
		recs = append(recs, rec)
	}
	return array.NewTableFromRecords(rows.Schema(), recs), nil
}

// ResultKind says what a statement returned.
type ResultKind string

// Result kinds.
const (
	// ResultRows: a SELECT or DESCRIBE; Result.Rows holds the rows.
	ResultRows ResultKind = "rows"
	// ResultText: EXPLAIN [ANALYZE]; Result.Text holds the plan.
	ResultText ResultKind = "text"
	// ResultCopy: COPY; Result.Copied rows were written to Result.Path.
	ResultCopy ResultKind = "copy"
)

// Result is what a statement returned: rows to stream, text to print, or a
// COPY summary. Close it when done (it releases unread rows).
type Result struct {
	Kind   ResultKind
	Rows   *Rows  // ResultRows; Next returns records owned by the caller
	Text   string // ResultText
	Path   string // ResultCopy: the file written
	Copied int64  // ResultCopy: rows written
	src    string
}

// Close releases the rows not yet read.
func (r *Result) Close() error {
	if r.Rows != nil {
		return r.Rows.Close()
	}
	return nil
}

// wrap gives an evaluation error its place in the query text.
func (r *Result) wrap(err error) error { return wrapErr(r.src, err) }

// textRows renders a text or COPY result as rows.
func (r *Result) textRows(mem memory.Allocator) (*Rows, error) {
	if mem == nil {
		mem = recycle.Default
	}
	if r.Kind == ResultCopy {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Append(r.Copied)
		col := b.NewArray()
		defer col.Release()
		schema := arrow.NewSchema([]arrow.Field{{Name: "Count", Type: arrow.PrimitiveTypes.Int64}}, nil)
		return recordRows(schema, []arrow.Array{col}, mem), nil
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, l := range strings.Split(strings.TrimRight(r.Text, "\n"), "\n") {
		b.Append(l)
	}
	col := b.NewArray()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "plan", Type: arrow.BinaryTypes.String}}, nil)
	return recordRows(schema, []arrow.Array{col}, mem), nil
}

// recordRows makes a one-record Rows of cols (which it retains).
func recordRows(schema *arrow.Schema, cols []arrow.Array, mem memory.Allocator) *Rows {
	n := int64(0)
	if len(cols) > 0 {
		n = int64(cols[0].Len())
	}
	rec := array.NewRecord(schema, cols, n)
	return &Rows{res: &exec.Result{Schema: schema, Records: []arrow.Record{rec}, Stats: &exec.Stats{}}, mem: mem}
}

// Exec runs one SQL statement: SELECT (rows, streamed), EXPLAIN [ANALYZE]
// (text), DESCRIBE (rows) or COPY (writes a file). Errors in the query are
// *sql.Error values that render the query with a caret under the mistake.
func Exec(ctx context.Context, query string, qo QueryOptions, o Options) (*Result, error) {
	st, err := sql.Parse(query)
	if err != nil {
		return nil, err
	}
	p := &planner{src: query, qo: qo}
	res := &Result{src: query}
	switch st := st.(type) {
	case *sql.Select:
		f, err := p.query(st, nil)
		if err != nil {
			return nil, err
		}
		rows, err := f.Run(ctx, o)
		if err != nil {
			return nil, p.wrap(err)
		}
		res.Kind, res.Rows = ResultRows, rows
	case *sql.Explain:
		f, err := p.query(st.Query, nil)
		if err != nil {
			return nil, err
		}
		var text string
		if st.Analyze {
			text, err = f.ExplainAnalyze(ctx, o)
		} else {
			text, err = f.Explain()
		}
		if err != nil {
			return nil, p.wrap(err)
		}
		res.Kind, res.Text = ResultText, text
	case *sql.Describe:
		var f *Frame
		if st.Query != nil {
			f, err = p.query(st.Query, nil)
		} else {
			f, _, err = p.from(st.Source, nil)
		}
		if err != nil {
			return nil, err
		}
		rows, err := describe(f.Schema(), o.Mem)
		if err != nil {
			return nil, err
		}
		res.Kind, res.Rows = ResultRows, rows
	case *sql.Copy:
		n, err := p.copy(ctx, st, o)
		if err != nil {
			return nil, err
		}
		res.Kind, res.Path, res.Copied = ResultCopy, st.To, n
	default:
		return nil, fmt.Errorf("engine: unsupported statement %T", st)
	}
	return res, nil
}

// describe lists a schema's columns as rows (column_name, column_type, null).
func describe(schema *arrow.Schema, mem memory.Allocator) (*Rows, error) {
	if mem == nil {
		mem = recycle.Default
	}
	names := array.NewStringBuilder(mem)
	defer names.Release()
	types := array.NewStringBuilder(mem)
	defer types.Release()
	nulls := array.NewStringBuilder(mem)
	defer nulls.Release()
	for _, f := range schema.Fields() {
		names.Append(f.Name)
		types.Append(SQLType(f.Type))
		if f.Nullable {
			nulls.Append("YES")
		} else {
			nulls.Append("NO")
		}
	}
	cols := []arrow.Array{names.NewArray(), types.NewArray(), nulls.NewArray()}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	out := arrow.NewSchema([]arrow.Field{
		{Name: "column_name", Type: arrow.BinaryTypes.String},
		{Name: "column_type", Type: arrow.BinaryTypes.String},
		{Name: "null", Type: arrow.BinaryTypes.String},
	}, nil)
	return recordRows(out, cols, mem), nil
}

// SQLType names an Arrow type as SQL does (BIGINT, VARCHAR, DECIMAL(10,2)).
func SQLType(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.DictionaryType:
		return SQLType(t.ValueType)
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "TIMESTAMP WITH TIME ZONE"
		}
		switch t.Unit {
		case arrow.Second:
			return "TIMESTAMP_S"
		case arrow.Millisecond:
			return "TIMESTAMP_MS"
		case arrow.Nanosecond:
			return "TIMESTAMP_NS"
		}
		return "TIMESTAMP"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	}
	switch t.ID() {
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.INT8:
		return "TINYINT"
	case arrow.INT16:
		return "SMALLINT"
	case arrow.INT32:
		return "INTEGER"
	case arrow.INT64:
		return "BIGINT"
	case arrow.UINT8:
		return "UTINYINT"
	case arrow.UINT16:
		return "USMALLINT"
	case arrow.UINT32:
		return "UINTEGER"
	case arrow.UINT64:
		return "UBIGINT"
	case arrow.FLOAT32:
		return "FLOAT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.STRING, arrow.LARGE_STRING:
		return "VARCHAR"
	case arrow.BINARY, arrow.LARGE_BINARY:
		return "BLOB"
	case arrow.DATE32:
		return "DATE"
	case arrow.NULL:
		return "NULL"
	}
	return strings.ToUpper(t.String())
}

// wrapErr turns an expression error (which carries a byte offset) into a
// *sql.Error that echoes the query; other errors pass through.
func wrapErr(src string, err error) error {
	if err == nil {
		return nil
	}
	var se *sql.Error
	if errors.As(err, &se) {
		return err
	}
	var ee *expr.Error
	if errors.As(err, &ee) && ee.Pos >= 0 && ee.Pos <= len(src) {
		hint := ee.Hint
		if name, ok := strings.CutPrefix(ee.Msg, "unknown function "); ok {
			// The evaluator knows only scalar functions: its suggestion
			// competes with the aggregates.
			if n, err := strconv.Unquote(name); err == nil {
				name = n
			}
			var cands []string
			for a := range aggNames {
				cands = append(cands, a)
			}
			slices.Sort(cands)
			if s, ok := strings.CutPrefix(hint, "did you mean "); ok {
				cands = append(cands, strings.TrimSuffix(s, "?"))
			}
			if s := sql.Suggest(name, cands); s != "" {
				hint = "did you mean " + s + "?"
			}
		}
		return &sql.Error{SQL: src, Pos: ee.Pos, Msg: ee.Msg, Hint: hint, Err: err}
	}
	return err
}

// copyFormats maps COPY's FORMAT names to sink formats. JSON is written as
// one object per line, as DuckDB does.
var copyFormats = map[string]string{
	"parquet": sink.Parquet, "csv": sink.CSV, "tsv": sink.TSV, "json": sink.JSONL, "jsonl": sink.JSONL,
	"ndjson": sink.JSONL, "arrow": sink.Arrow, "ipc": sink.Arrow, "feather": sink.Arrow, "arrows": sink.Arrows,
}

// copy runs COPY (query) TO 'path' (options): it writes the query's rows to
// a temporary file next to path and renames it into place, so a failed COPY
// leaves no partial file. It returns the number of rows written.
func (p *planner) copy(ctx context.Context, st *sql.Copy, o Options) (n int64, err error) {
	format, fmtOK := sink.FormatFromPath(st.To)
	if format == sink.JSON {
		format = sink.JSONL
	}
	so := sink.Options{Mem: o.Mem}
	header := true
	for _, opt := range st.Options {
		word := func() (string, error) {
			switch v := opt.Value.(type) {
			case *sql.Ident:
				return strings.ToLower(v.Name), nil
			case *sql.Literal:
				if v.Val.Type == "string" {
					return strings.ToLower(v.Val.S), nil
				}
			}
			return "", p.errAt(opt.At, "", "COPY option %s wants a name or a string", opt.Name)
		}
		switch opt.Name {
		case "FORMAT":
			w, err := word()
			if err != nil {
				return 0, err
			}
			f, ok := copyFormats[w]
			if !ok {
				return 0, p.errAt(opt.Value.Pos(), "formats: parquet, csv, tsv, json, arrow, arrows", "unknown COPY format %s", w)
			}
			format, fmtOK = f, true
		case "HEADER":
			if opt.Value != nil {
				l, ok := opt.Value.(*sql.Literal)
				if !ok || l.Val.Type != "bool" {
					return 0, p.errAt(opt.Value.Pos(), "", "COPY option HEADER wants TRUE or FALSE")
				}
				header = l.Val.B
			}
		case "DELIMITER", "DELIM", "SEP":
			l, ok := opt.Value.(*sql.Literal)
			switch {
			case ok && l.Val.Type == "string" && l.Val.S == ",":
			case ok && l.Val.Type == "string" && l.Val.S == "\t":
				format, fmtOK = sink.TSV, true
			default:
				return 0, p.errAt(opt.At, "", "COPY writes ',' (csv) or tab (tsv) as the delimiter")
			}
		case "COMPRESSION", "CODEC":
			w, err := word()
			if err != nil {
				return 0, err
			}
			so.Compression = w
		default:
			return 0, p.errAt(opt.At, "options: FORMAT, HEADER, COMPRESSION", "unknown COPY option %s", opt.Name)
		}
	}
	if !fmtOK {
		return 0, p.errAt(st.ToAt, "add (FORMAT parquet), (FORMAT csv), (FORMAT json) or (FORMAT arrow)", "cannot tell the output format from the file name %s", st.To)
	}
	so.NoHeader = !header
	f, err := p.query(st.Query, nil)
	if err != nil {
		return 0, err
	}
	rows, err := f.Run(ctx, o)
	if err != nil {
		return 0, p.wrap(err)
	}
	defer rows.Close()
	dir := filepath.Dir(st.To)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(st.To)+".*.tmp")
	if err != nil {
		return 0, &sql.Error{SQL: p.src, Pos: st.ToAt, Msg: fmt.Sprintf("cannot write %s: %v", st.To, err), Err: err}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w, err := sink.NewWriter(format, tmp, rows.Schema(), so)
	if err != nil {
		return 0, err
	}
	for {
		rec, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Close()
			return 0, p.wrap(err)
		}
		n += rec.NumRows()
		err = w.Write(rec)
		rec.Release()
		if err != nil {
			w.Close()
			return 0, fmt.Errorf("COPY to %s: %w", st.To, err)
		}
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("COPY to %s: %w", st.To, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("COPY to %s: %w", st.To, err)
	}
	if err := os.Rename(tmp.Name(), st.To); err != nil {
		return 0, fmt.Errorf("COPY to %s: %w", st.To, err)
	}
	return n, nil
}

// ---- planner ----

type planner struct {
	src string
	qo  QueryOptions
	// nested counts the subqueries (in FROM or WITH) being planned: their
	// output keeps the names made unique (k, k_2) where the outermost query
	// gives back the duplicate names, so that the query around can tell the
	// columns apart.
	nested int
}

// subquery plans s as a subquery (see planner.nested).
func (p *planner) subquery(s *sql.Select, sc *scope) (*Frame, error) {
	p.nested++
	defer func() { p.nested-- }()
	return p.query(s, sc)
}

// scope holds the WITH queries visible to a query.
type scope struct {
	parent *scope
	ctes   map[string]*Frame
}

func (s *scope) lookup(name string) *Frame {
	for ; s != nil; s = s.parent {
		if f, ok := s.ctes[strings.ToLower(name)]; ok {
			return f
		}
	}
	return nil
}

func (s *scope) names() []string {
	var out []string
	for ; s != nil; s = s.parent {
		for n := range s.ctes {
			out = append(out, n)
		}
	}
	return out
}

func (p *planner) errAt(pos int, hint, format string, a ...any) *sql.Error {
	return &sql.Error{SQL: p.src, Pos: pos, Msg: fmt.Sprintf(format, a...), Hint: hint}
}

func (p *planner) wrap(err error) error { return wrapErr(p.src, err) }

// check returns f's recorded error, placed in the query.
func (p *planner) check(f *Frame) (*Frame, error) {
	if err := f.Err(); err != nil {
		return nil, p.wrap(err)
	}
	return f, nil
}

// from plans a FROM source; it returns the frame and the qualifiers that
// name it (its alias, or its table name).
func (p *planner) from(fr *sql.From, sc *scope) (*Frame, []string, error) {
	var f *Frame
	var quals []string
	switch {
	case fr.Query != nil:
		var err error
		if f, err = p.subquery(fr.Query, sc); err != nil {
			return nil, nil, err
		}
	case fr.Func != nil:
		var err error
		if f, err = p.tableFunc(fr.Func); err != nil {
			return nil, nil, err
		}
		quals = []string{fr.Func.Name}
	case fr.Table != "":
		f = sc.lookup(fr.Table)
		if f == nil {
			for name, t := range p.qo.Tables {
				if strings.EqualFold(name, fr.Table) {
					f = t
					break
				}
			}
		}
		if f == nil {
			cands := sc.names()
			for n := range p.qo.Tables {
				cands = append(cands, n)
			}
			hint := "to read a file, quote its name: FROM '" + fr.Table + ".parquet'"
			if s := sql.Suggest(fr.Table, cands); s != "" {
				hint = "did you mean " + s + "?"
			}
			return nil, nil, p.errAt(fr.At, hint, "unknown table %s", fr.Table)
		}
		if f.Err() != nil {
			return nil, nil, p.errAt(fr.At, "", "table %s: %v", fr.Table, f.Err())
		}
		quals = []string{fr.Table}
	default:
		f = Read(p.qo.Read, fr.Path)
		if err := f.Err(); err != nil {
			return nil, nil, &sql.Error{SQL: p.src, Pos: fr.At, Msg: err.Error(), Err: err}
		}
		base := filepath.Base(fr.Path)
		quals = []string{strings.TrimSuffix(base, filepath.Ext(base))}
	}
	if fr.Alias != "" {
		quals = []string{fr.Alias}
	}
	return f, quals, nil
}

var tableFuncs = []string{"read_parquet", "parquet_scan", "read_csv", "read_csv_auto", "read_arrow", "read_ipc"}

// tableFunc plans read_parquet(...), read_csv(...) and read_arrow(...).
func (p *planner) tableFunc(c *sql.Call) (*Frame, error) {
	var ro ReadOptions
	ro.TargetSplitBytes = p.qo.Read.TargetSplitBytes
	switch c.Name {
	case "read_parquet", "parquet_scan":
		ro.Format = source.Parquet
	case "read_csv", "read_csv_auto":
		ro.Format = source.CSV
		ro.CSV = &source.CSVOptions{Header: true}
	case "read_arrow", "read_ipc":
		ro.Format = source.Arrow
	default:
		hint := "table functions: " + strings.Join(tableFuncs, ", ")
		if s := sql.Suggest(c.Name, tableFuncs); s != "" {
			hint = "did you mean " + s + "?"
		}
		return nil, p.errAt(c.At, hint, "unknown table function %s", c.Name)
	}
	if c.Distinct || c.Star || len(c.Args) != 1 {
		return nil, p.errAt(c.At, "", "%s takes one file name, glob or list of names ['a', 'b'] and named options", c.Name)
	}
	var paths []string
	switch a := c.Args[0].(type) {
	case *sql.Literal:
		if a.Val.Type == "string" {
			paths = []string{a.Val.S}
		}
	case *sql.Array:
		for _, e := range a.Elems {
			l, ok := e.(*sql.Literal)
			if !ok || l.Val.Type != "string" {
				return nil, p.errAt(e.Pos(), "", "%s: file names must be strings", c.Name)
			}
			paths = append(paths, l.Val.S)
		}
	}
	if len(paths) == 0 {
		return nil, p.errAt(c.Args[0].Pos(), "", "%s: expected a file name or a list of file names", c.Name)
	}
	for _, na := range c.Named {
		if ro.Format != source.CSV {
			return nil, p.errAt(na.At, "", "%s has no option %s", c.Name, na.Name)
		}
		if err := p.csvOption(ro.CSV, na); err != nil {
			return nil, err
		}
	}
	f := Read(ro, paths...)
	if err := f.Err(); err != nil {
		return nil, &sql.Error{SQL: p.src, Pos: c.Args[0].Pos(), Msg: err.Error(), Err: err}
	}
	return f, nil
}

var csvOptions = []string{"header", "delim", "sep", "delimiter", "quote", "nullstr", "columns", "auto_detect"}

func (p *planner) csvOption(o *source.CSVOptions, na sql.NamedArg) error {
	str := func() (string, error) {
		if l, ok := na.Value.(*sql.Literal); ok && l.Val.Type == "string" {
			return l.Val.S, nil
		}
		return "", p.errAt(na.Value.Pos(), "", "read_csv option %s wants a string", na.Name)
	}
	boolean := func() (bool, error) {
		if l, ok := na.Value.(*sql.Literal); ok && l.Val.Type == "bool" {
			return l.Val.B, nil
		}
		return false, p.errAt(na.Value.Pos(), "", "read_csv option %s wants TRUE or FALSE", na.Name)
	}
	var err error
	switch na.Name {
	case "header":
		o.Header, err = boolean()
	case "auto_detect":
		// Types are always inferred; columns => {...} overrides them.
		_, err = boolean()
	case "delim", "sep", "delimiter", "quote":
		var s string
		if s, err = str(); err == nil {
			if len(s) != 1 {
				return p.errAt(na.Value.Pos(), "", "read_csv option %s wants one character, got %q", na.Name, s)
			}
			if na.Name == "quote" {
				o.Quote = s
			} else {
				o.Delim = s
			}
		}
	case "nullstr":
		o.NullStr, err = str()
	case "columns":
		st, ok := na.Value.(*sql.Struct)
		if !ok {
			return p.errAt(na.Value.Pos(), "", "read_csv option columns wants {'name': 'TYPE', ...}")
		}
		for _, fl := range st.Fields {
			l, ok := fl.Value.(*sql.Literal)
			if !ok || l.Val.Type != "string" {
				return p.errAt(fl.Value.Pos(), "", "the type of CSV column %s must be a string such as 'BIGINT'", fl.Key)
			}
			t, terr := csvType(l.Val.S)
			if terr != nil {
				return p.errAt(fl.Value.Pos(), "CSV columns can be BOOLEAN, BIGINT (any integer), DOUBLE, VARCHAR, DATE or TIMESTAMP", "CSV column %s: %v", fl.Key, terr)
			}
			o.Columns = append(o.Columns, source.ColumnType{Name: fl.Key, Type: t})
		}
	default:
		hint := "options: " + strings.Join(csvOptions, ", ")
		if s := sql.Suggest(na.Name, csvOptions); s != "" {
			hint = "did you mean " + s + "?"
		}
		return p.errAt(na.At, hint, "read_csv has no option %s", na.Name)
	}
	return err
}

// csvType maps a SQL type name to the CSV reader's column types.
func csvType(name string) (string, error) {
	t, err := expr.ParseType(name)
	if err != nil {
		return "", err
	}
	switch t.ID() {
	case arrow.BOOL:
		return "bool", nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return "int64", nil
	case arrow.FLOAT32, arrow.FLOAT64:
		return "float64", nil
	case arrow.STRING:
		return "string", nil
	case arrow.DATE32:
		return "date32", nil
	case arrow.TIMESTAMP:
		return "timestamp[us]", nil
	}
	return "", fmt.Errorf("type %s is not supported", name)
}

// noSource is the input of a query without FROM: one row, no columns.
func noSource() *Frame {
	schema := arrow.NewSchema(nil, nil)
	return FromRecords(schema, array.NewRecord(schema, nil, 1))
}

// ---- SELECT ----

// item is one output column of a select list after * expansion.
type item struct {
	ast   sql.Expr // nil for a column from * (then col is set)
	col   string   // the input column of a * expansion
	name  string   // output name
	pos   int
	isAgg bool // ast contains an aggregate
}

// query plans a SELECT into a frame.
func (p *planner) query(s *sql.Select, parent *scope) (*Frame, error) {
	sc := parent
	if len(s.With) > 0 {
		sc = &scope{parent: parent, ctes: map[string]*Frame{}}
		for _, c := range s.With {
			f, err := p.subquery(c.Query, sc)
			if err != nil {
				return nil, err
			}
			sc.ctes[strings.ToLower(c.Name)] = f
		}
	}
	var f *Frame
	var quals []string
	if s.From == nil {
		f = noSource()
	} else {
		var err error
		if f, quals, err = p.from(s.From, sc); err != nil {
			return nil, err
		}
	}
	in := f.Schema()
	items, err := p.expand(s, in, quals)
	if err != nil {
		return nil, err
	}
	row := &rowConv{p: p, in: in, quals: quals, items: items}

	// WHERE
	if s.Where != nil {
		row.clause = "WHERE"
		pred, err := row.conv(s.Where)
		if err != nil {
			return nil, err
		}
		if f, err = p.check(f.Filter(pred)); err != nil {
			return nil, err
		}
	}

	aggregate := s.Having != nil || len(s.GroupBy) > 0 || s.GroupByAll
	for _, it := range items {
		aggregate = aggregate || it.isAgg
	}
	for _, o := range s.OrderBy {
		aggregate = aggregate || p.hasAgg(o.Expr)
	}

	var out *output
	if aggregate {
		out, f, err = p.aggregate(s, f, row, items)
	} else {
		out, f, err = p.rows(s, f, row, items)
	}
	if err != nil {
		return nil, err
	}
	return p.finish(s, f, out)
}

// expand resolves the select list: * and t.* become the input's columns.
func (p *planner) expand(s *sql.Select, in *arrow.Schema, quals []string) ([]item, error) {
	var items []item
	for _, si := range s.Items {
		if st, ok := si.Expr.(*sql.Star); ok {
			if st.Qual != "" && !qualOK(st.Qual, quals) {
				return nil, p.errAt(st.At, qualHint(quals), "unknown table %s", st.Qual)
			}
			if s.From == nil {
				return nil, p.errAt(st.At, "", "SELECT * needs a FROM clause")
			}
			for _, fl := range in.Fields() {
				items = append(items, item{col: fl.Name, name: fl.Name, pos: st.At})
			}
			continue
		}
		it := item{ast: si.Expr, name: si.Alias, pos: si.Expr.Pos(), isAgg: p.hasAgg(si.Expr)}
		if it.name == "" {
			if id, ok := si.Expr.(*sql.Ident); ok {
				it.name = id.Name
				if fi := fieldIndex(in, id.Name); fi >= 0 {
					it.name = in.Field(fi).Name
				}
			} else {
				it.name = si.Expr.String()
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func qualOK(q string, quals []string) bool {
	for _, x := range quals {
		if strings.EqualFold(x, q) {
			return true
		}
	}
	return false
}

func qualHint(quals []string) string {
	if len(quals) == 0 {
		return "name the source with FROM ... AS t to qualify columns as t.col"
	}
	return "the source is named " + quals[0]
}

// fieldIndex finds a column by name: exactly, else case-insensitively when
// that is unambiguous; -1 if none.
func fieldIndex(s *arrow.Schema, name string) int {
	if s == nil {
		return -1
	}
	if idx := s.FieldIndices(name); len(idx) > 0 {
		return idx[0]
	}
	found := -1
	for i, f := range s.Fields() {
		if strings.EqualFold(f.Name, name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// aggNames maps SQL aggregate names to agg.Spec functions.
var aggNames = map[string]string{
	"count": "count", "sum": "sum", "avg": "avg", "mean": "avg", "min": "min", "max": "max",
	"var_samp": "var_samp", "variance": "var_samp", "var_pop": "var_pop",
	"stddev_samp": "stddev_samp", "stddev": "stddev_samp", "stddev_pop": "stddev_pop",
	"median": "median", "quantile_cont": "quantile_cont", "quantile": "quantile_cont", "corr": "corr",
}

func isAggCall(e sql.Expr) (*sql.Call, bool) {
	c, ok := e.(*sql.Call)
	if !ok || c.Over != nil {
		return nil, false
	}
	_, ok = aggNames[c.Name]
	return c, ok
}

// hasAgg reports whether e contains an aggregate call (not under OVER).
func (p *planner) hasAgg(e sql.Expr) bool {
	found := false
	walk(e, func(x sql.Expr) bool {
		if _, ok := isAggCall(x); ok {
			found = true
		}
		if c, ok := x.(*sql.Call); ok && c.Over != nil {
			return false
		}
		return !found
	})
	return found
}

// walk calls f on e and its sub-expressions, pre-order; f returns false to
// skip a node's children.
func walk(e sql.Expr, f func(sql.Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch e := e.(type) {
	case *sql.Unary:
		walk(e.X, f)
	case *sql.Binary:
		walk(e.L, f)
		walk(e.R, f)
	case *sql.IsNull:
		walk(e.X, f)
	case *sql.In:
		walk(e.X, f)
		for _, x := range e.List {
			walk(x, f)
		}
	case *sql.Between:
		walk(e.X, f)
		walk(e.Lo, f)
		walk(e.Hi, f)
	case *sql.Like:
		walk(e.X, f)
		walk(e.Pattern, f)
	case *sql.Case:
		walk(e.Operand, f)
		for _, w := range e.Whens {
			walk(w.Cond, f)
			walk(w.Result, f)
		}
		walk(e.Else, f)
	case *sql.Cast:
		walk(e.X, f)
	case *sql.Call:
		for _, x := range e.Args {
			walk(x, f)
		}
		for _, a := range e.Named {
			walk(a.Value, f)
		}
		if e.Over != nil {
			for _, x := range e.Over.PartitionBy {
				walk(x, f)
			}
			for _, o := range e.Over.OrderBy {
				walk(o.Expr, f)
			}
		}
	case *sql.Array:
		for _, x := range e.Elems {
			walk(x, f)
		}
	case *sql.Struct:
		for _, fl := range e.Fields {
			walk(fl.Value, f)
		}
	}
}

// output is the select list planned over some frame: exprs computes each
// item, hidden extra columns (for ORDER BY) are appended after them.
type output struct {
	items []item
	exprs []*expr.Expr
	// names are the columns' names until the final projection: the items'
	// names made unique, so that ORDER BY and DISTINCT can refer to them.
	names  []string
	hidden []Sel
	// sortKeys are the ORDER BY terms over the projected columns.
	sortKeys []Order
}

// rows plans a query without aggregation: window functions, then the
// projection with ORDER BY columns.
func (p *planner) rows(s *sql.Select, f *Frame, row *rowConv, items []item) (*output, *Frame, error) {
	// Window functions become columns appended to the input.
	used := map[string]bool{}
	for _, fl := range f.Schema().Fields() {
		used[strings.ToLower(fl.Name)] = true
	}
	row.windows = map[*sql.Call]string{}
	for _, it := range items {
		if it.ast == nil {
			continue
		}
		var werr error
		walk(it.ast, func(x sql.Expr) bool {
			c, ok := x.(*sql.Call)
			if !ok || c.Over == nil || werr != nil {
				return werr == nil
			}
			name := x.String()
			if it.ast == x && it.name != "" {
				name = it.name
			}
			name = unique(name, used)
			var nf *Frame
			if nf, werr = p.window(f, row, c, name); werr == nil {
				f = nf
				row.windows[c] = name
			}
			return false
		})
		if werr != nil {
			return nil, nil, werr
		}
	}
	row.clause = "SELECT"
	out := &output{items: items}
	for _, it := range items {
		if it.ast == nil {
			out.exprs = append(out.exprs, colAt(it.col, it.pos))
			continue
		}
		x, err := row.conv(it.ast)
		if err != nil {
			return nil, nil, err
		}
		out.exprs = append(out.exprs, x)
	}
	row.clause = "ORDER BY"
	return out, f, p.orderBy(s, out, row.conv)
}

// window appends row_number() OVER (...) as column name.
func (p *planner) window(f *Frame, row *rowConv, c *sql.Call, name string) (*Frame, error) {
	if c.Name != "row_number" {
		return nil, p.errAt(c.At, "", "window function %s is not supported (only row_number)", c.Name)
	}
	if len(c.Args) > 0 || c.Star || c.Distinct || len(c.Named) > 0 {
		return nil, p.errAt(c.At, "", "row_number() takes no arguments")
	}
	row.clause = "OVER"
	var part []*expr.Expr
	for _, e := range c.Over.PartitionBy {
		x, err := row.conv(e)
		if err != nil {
			return nil, err
		}
		part = append(part, x)
	}
	var order []Order
	for _, o := range c.Over.OrderBy {
		x, err := row.conv(o.Expr)
		if err != nil {
			return nil, err
		}
		order = append(order, Order{Expr: x, Desc: o.Desc, NullsFirst: o.Nulls == sql.NullsFirst})
	}
	return p.check(f.RowNumber(name, part, order...))
}

// orderBy resolves the ORDER BY terms: a position or an output name refers to
// a select item; anything else is computed by conv into a hidden column
// unless it equals a select item's expression.
func (p *planner) orderBy(s *sql.Select, out *output, conv func(sql.Expr) (*expr.Expr, error)) error {
	used := map[string]bool{}
	out.names = make([]string, len(out.items))
	for i, it := range out.items {
		out.names[i] = unique(it.name, used)
	}
	if len(s.OrderBy) == 0 {
		return nil
	}
	for _, o := range s.OrderBy {
		k := Order{Desc: o.Desc, NullsFirst: o.Nulls == sql.NullsFirst}
		idx, err := p.itemRef(o.Expr, out.items, "ORDER BY")
		if err != nil {
			return err
		}
		if idx < 0 {
			x, err := conv(o.Expr)
			if err != nil {
				return err
			}
			for i, e := range out.exprs {
				if e.String() == x.String() {
					idx = i
					break
				}
			}
			if idx < 0 && s.Distinct {
				return p.errAt(o.Expr.Pos(), "add it to the select list", "for SELECT DISTINCT, ORDER BY expressions must appear in the select list")
			}
			if idx < 0 {
				name := unique(fmt.Sprintf("#order%d", len(out.hidden)+1), used)
				out.hidden = append(out.hidden, Sel{Name: name, Expr: x})
				k.Expr = colAt(name, o.Expr.Pos())
			}
		}
		if idx >= 0 {
			k.Expr = colAt(out.names[idx], o.Expr.Pos())
		}
		out.sortKeys = append(out.sortKeys, k)
	}
	return nil
}

// itemRef resolves a position (ORDER BY 2) or an output name (ORDER BY
// total) to a select item's index; -1 when e is neither.
func (p *planner) itemRef(e sql.Expr, items []item, clause string) (int, error) {
	switch e := e.(type) {
	case *sql.Literal:
		if e.Val.Type == "int64" {
			if e.Val.I < 1 || e.Val.I > int64(len(items)) {
				return -1, p.errAt(e.At, "", "%s position %d is not in the select list (1 to %d)", clause, e.Val.I, len(items))
			}
			return int(e.Val.I - 1), nil
		}
	case *sql.Ident:
		if e.Qual != "" {
			return -1, nil
		}
		for i, it := range items {
			if strings.EqualFold(it.name, e.Name) && (it.ast != nil || it.col != "") {
				return i, nil
			}
		}
	}
	return -1, nil
}

// finish applies DISTINCT, ORDER BY, LIMIT and the final projection.
func (p *planner) finish(s *sql.Select, f *Frame, out *output) (*Frame, error) {
	cols := make([]Sel, 0, len(out.exprs)+len(out.hidden))
	for i, x := range out.exprs {
		cols = append(cols, Sel{Name: out.names[i], Expr: x})
	}
	cols = append(cols, out.hidden...)
	var err error
	if !identity(f.Schema(), cols) {
		args := make([]any, len(cols))
		for i, c := range cols {
			args[i] = c
		}
		if f, err = p.check(f.Select(args...)); err != nil {
			return nil, err
		}
	}
	if s.Distinct {
		if f, err = p.check(f.Distinct()); err != nil {
			return nil, err
		}
	}
	if len(out.sortKeys) > 0 {
		if f, err = p.check(f.OrderBy(out.sortKeys...)); err != nil {
			return nil, err
		}
	}
	if s.Limit != nil || s.Offset != nil {
		n, off := int64(-1), int64(0)
		if s.Limit != nil {
			if n, err = p.count(s.Limit, "LIMIT"); err != nil {
				return nil, err
			}
		}
		if s.Offset != nil {
			if off, err = p.count(s.Offset, "OFFSET"); err != nil {
				return nil, err
			}
		}
		if n < 0 {
			f = f.with(plan.Node{Kind: plan.KindLimit, Limit: &ops.Limit{N: -1, Offset: off}})
		} else {
			f = f.LimitOffset(n, off)
		}
		if f, err = p.check(f); err != nil {
			return nil, err
		}
	}
	// The outermost query gives back the names as written; a subquery keeps
	// the unique ones.
	names := out.names
	if p.nested == 0 {
		names = make([]string, len(out.items))
		for i, it := range out.items {
			names[i] = it.name
		}
	}
	if len(out.hidden) > 0 || !slices.Equal(names, out.names) {
		args := make([]any, len(out.exprs))
		for i := range out.exprs {
			args[i] = Sel{Name: names[i], Expr: expr.Col(out.names[i])}
		}
		if f, err = p.check(f.Select(args...)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// identity reports whether projecting cols from a frame of schema s would
// change nothing.
func identity(s *arrow.Schema, cols []Sel) bool {
	if s.NumFields() != len(cols) {
		return false
	}
	for i, c := range cols {
		if c.Expr.Kind != expr.KindCol || c.Expr.Name != s.Field(i).Name || c.Name != s.Field(i).Name {
			return false
		}
	}
	return true
}

// count evaluates a LIMIT or OFFSET: a non-negative integer constant.
func (p *planner) count(e sql.Expr, clause string) (int64, error) {
	if l, ok := e.(*sql.Literal); ok && l.Val.Type == "int64" && l.Val.I >= 0 {
		return l.Val.I, nil
	}
	return 0, p.errAt(e.Pos(), "", "%s wants a non-negative integer constant", clause)
}

func colAt(name string, pos int) *expr.Expr {
	c := expr.Col(name)
	c.Pos = pos
	return c
}

// unique returns name, or name_2, name_3... if it is taken (case-insensitively);
// it marks the result as taken.
func unique(name string, used map[string]bool) string {
	n := name
	for i := 2; used[strings.ToLower(n)]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	used[strings.ToLower(n)] = true
	return n
}

// ---- aggregation ----

type aggKey struct {
	x    *expr.Expr // over the input
	str  string
	name string
}

type aggCall struct {
	spec agg.Spec
	args []*expr.Expr
	str  string
	name string
}

// aggPlan is the Aggregate being planned: its keys and aggregate calls.
type aggPlan struct {
	keys []aggKey
	aggs []aggCall
	used map[string]bool
}

func (a *aggPlan) key(str string) string {
	for _, k := range a.keys {
		if k.str == str {
			return k.name
		}
	}
	return ""
}

// aggregate plans GROUP BY / aggregates / HAVING and the select list over
// the aggregate's output.
func (p *planner) aggregate(s *sql.Select, f *Frame, row *rowConv, items []item) (*output, *Frame, error) {
	ap := &aggPlan{used: map[string]bool{}}
	row.clause = "GROUP BY"
	row.noAgg = "GROUP BY"
	// Keys.
	var groupBy []sql.Expr
	if s.GroupByAll {
		for _, it := range items {
			if !it.isAgg {
				if it.ast == nil {
					groupBy = append(groupBy, &sql.Ident{At: it.pos, Name: it.col})
				} else {
					groupBy = append(groupBy, it.ast)
				}
			}
		}
	}
	groupBy = append(groupBy, s.GroupBy...)
	for _, g := range groupBy {
		var x *expr.Expr
		idx := -1
		if l, ok := g.(*sql.Literal); ok && l.Val.Type == "int64" {
			var err error
			if idx, err = p.itemRef(g, items, "GROUP BY"); err != nil {
				return nil, nil, err
			}
		} else if id, ok := g.(*sql.Ident); ok && id.Qual == "" && fieldIndex(row.in, id.Name) < 0 {
			idx, _ = p.itemRef(g, items, "GROUP BY") // an output alias
		}
		if idx >= 0 {
			it := items[idx]
			if it.isAgg {
				return nil, nil, p.errAt(g.Pos(), "", "GROUP BY %s refers to %s, which contains an aggregate", g, it.name)
			}
			if it.ast == nil {
				x = colAt(it.col, g.Pos())
			} else {
				var err error
				if x, err = row.conv(it.ast); err != nil {
					return nil, nil, err
				}
			}
		} else {
			var err error
			if x, err = row.conv(g); err != nil {
				return nil, nil, err
			}
		}
		if ap.key(x.String()) != "" {
			continue
		}
		ap.keys = append(ap.keys, aggKey{x: x, str: x.String()})
	}
	// Key names: the output name of a select item that is exactly the key,
	// else the column name or the expression's text.
	for i := range ap.keys {
		k := &ap.keys[i]
		name := ""
		for _, it := range items {
			if it.isAgg || ap.used[strings.ToLower(it.name)] {
				continue
			}
			str := ""
			if it.ast == nil {
				str = colAt(it.col, 0).String()
			} else if !hasWindow(it.ast) {
				if x, err := row.conv(it.ast); err == nil {
					str = x.String()
				}
			}
			if str == k.str {
				name = it.name
				break
			}
		}
		if name == "" {
			name = k.str
			if k.x.Kind == expr.KindCol {
				name = k.x.Name
			}
		}
		k.name = unique(name, ap.used)
	}
	// Aggregate calls: items that are exactly an aggregate first (named as
	// the item), then every other call in items, HAVING and ORDER BY.
	row.noAgg = "aggregate"
	for _, it := range items {
		if c, ok := isAggCall(it.ast); ok && it.ast != nil {
			if _, err := p.addAgg(ap, row, c, it.name); err != nil {
				return nil, nil, err
			}
		}
	}
	var exprs []sql.Expr
	for _, it := range items {
		if it.ast != nil {
			exprs = append(exprs, it.ast)
		}
	}
	exprs = append(exprs, s.Having)
	for _, o := range s.OrderBy {
		exprs = append(exprs, o.Expr)
	}
	for _, e := range exprs {
		var err error
		walk(e, func(x sql.Expr) bool {
			if err != nil {
				return false
			}
			if c, ok := isAggCall(x); ok {
				_, err = p.addAgg(ap, row, c, "")
				return false
			}
			if c, ok := x.(*sql.Call); ok && c.Over != nil {
				err = p.errAt(c.At, "", "window functions in aggregate queries are not supported")
			}
			return err == nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	// The aggregate.
	keys := make([]any, len(ap.keys))
	for i, k := range ap.keys {
		keys[i] = Sel{Name: k.name, Expr: k.x}
	}
	aggs := make([]AggExpr, len(ap.aggs))
	for i, a := range ap.aggs {
		aggs[i] = AggOf(a.spec, a.args...).As(a.name)
	}
	f, err := p.check(f.GroupBy(keys...).Agg(aggs...))
	if err != nil {
		return nil, nil, err
	}
	post := &postConv{p: p, row: row, ap: ap, items: items}
	// HAVING
	if s.Having != nil {
		post.clause = "HAVING"
		pred, err := post.conv(s.Having)
		if err != nil {
			return nil, nil, err
		}
		if f, err = p.check(f.Having(pred)); err != nil {
			return nil, nil, err
		}
	}
	out := &output{items: items}
	post.clause = "SELECT"
	for _, it := range items {
		e := it.ast
		if e == nil {
			e = &sql.Ident{At: it.pos, Name: it.col}
		}
		x, err := post.conv(e)
		if err != nil {
			return nil, nil, err
		}
		out.exprs = append(out.exprs, x)
	}
	post.clause = "ORDER BY"
	return out, f, p.orderBy(s, out, post.conv)
}

func hasWindow(e sql.Expr) bool {
	found := false
	walk(e, func(x sql.Expr) bool {
		if c, ok := x.(*sql.Call); ok && c.Over != nil {
			found = true
		}
		return !found
	})
	return found
}

// addAgg registers an aggregate call (deduplicated) and returns its column
// name in the aggregate's output.
func (p *planner) addAgg(ap *aggPlan, row *rowConv, c *sql.Call, name string) (string, error) {
	spec := agg.Spec{Func: aggNames[c.Name], Distinct: c.Distinct}
	if len(c.Named) > 0 {
		return "", p.errAt(c.Named[0].At, "", "%s takes no named arguments", c.Name)
	}
	nargs := 1
	switch spec.Func {
	case "count":
		if c.Star || len(c.Args) == 0 {
			if c.Distinct {
				return "", p.errAt(c.At, "", "count(DISTINCT *) is not supported")
			}
			spec.Func, nargs = "count_star", 0
		}
	case "corr", "quantile_cont":
		nargs = 2
	}
	if c.Star && spec.Func != "count_star" {
		return "", p.errAt(c.At, "", "%s(*) is not supported; only count(*)", c.Name)
	}
	if len(c.Args) != nargs && !(spec.Func == "count_star" && len(c.Args) == 0) {
		return "", p.errAt(c.At, "", "%s takes %d argument(s), got %d", c.Name, nargs, len(c.Args))
	}
	if c.Distinct && !slices.Contains([]string{"count", "sum", "avg", "min", "max"}, spec.Func) {
		return "", p.errAt(c.At, "", "%s does not take DISTINCT", c.Name)
	}
	args := c.Args
	if spec.Func == "quantile_cont" {
		q, ok := constFloat(c.Args[1])
		if !ok || q < 0 || q > 1 {
			return "", p.errAt(c.Args[1].Pos(), "", "the quantile must be a constant between 0 and 1")
		}
		spec.Param = q
		args = c.Args[:1]
	}
	var xs []*expr.Expr
	for _, a := range args {
		x, err := row.conv(a)
		if err != nil {
			return "", err
		}
		xs = append(xs, x)
	}
	call := aggCall{spec: spec, args: xs}
	call.str = AggOf(spec, xs...).a.String()
	for _, a := range ap.aggs {
		if a.str == call.str {
			return a.name, nil
		}
	}
	if name == "" || ap.used[strings.ToLower(name)] {
		name = call.str
	}
	call.name = unique(name, ap.used)
	ap.aggs = append(ap.aggs, call)
	return call.name, nil
}

func constFloat(e sql.Expr) (float64, bool) {
	l, ok := e.(*sql.Literal)
	if !ok {
		return 0, false
	}
	switch l.Val.Type {
	case "int64":
		return float64(l.Val.I), true
	case "float64":
		return l.Val.F, true
	}
	return 0, false
}

// ---- expression conversion ----

// rowConv converts expressions over the input rows.
type rowConv struct {
	p       *planner
	in      *arrow.Schema
	quals   []string
	items   []item
	clause  string
	noAgg   string               // when set, aggregates are an error: "GROUP BY" or "aggregate" (nesting)
	windows map[*sql.Call]string // window calls already computed as columns
	depth   int                  // alias expansion depth
}

func (r *rowConv) conv(e sql.Expr) (*expr.Expr, error) {
	return convert(r.p, e, r.hook)
}

func (r *rowConv) hook(e sql.Expr) (*expr.Expr, bool, error) {
	switch e := e.(type) {
	case *sql.Ident:
		x, err := r.column(e)
		return x, true, err
	case *sql.Call:
		if e.Over != nil {
			if name, ok := r.windows[e]; ok {
				return colAt(name, e.At), true, nil
			}
			return nil, true, r.p.errAt(e.At, "", "window functions are not allowed in %s", r.clause)
		}
		if _, ok := isAggCall(e); ok {
			switch r.noAgg {
			case "aggregate":
				return nil, true, r.p.errAt(e.At, "", "aggregate function calls cannot be nested")
			case "":
				return nil, true, r.p.errAt(e.At, "", "aggregate functions are not allowed in %s", r.clause)
			}
			return nil, true, r.p.errAt(e.At, "", "aggregate functions are not allowed in %s", r.noAgg)
		}
	}
	return nil, false, nil
}

// column resolves a column reference: an input column, or (outside the
// select list) an output alias, whose expression is used.
func (r *rowConv) column(id *sql.Ident) (*expr.Expr, error) {
	if id.Qual != "" && !qualOK(id.Qual, r.quals) {
		return nil, r.p.errAt(id.At, qualHint(r.quals), "unknown table %s in %s", id.Qual, id)
	}
	if i := fieldIndex(r.in, id.Name); i >= 0 {
		return colAt(r.in.Field(i).Name, id.At), nil
	}
	if id.Qual == "" && r.clause != "SELECT" && r.depth < 8 {
		for _, it := range r.items {
			if it.ast != nil && strings.EqualFold(it.name, id.Name) && !it.isAgg && !hasWindow(it.ast) {
				if _, self := it.ast.(*sql.Ident); self && strings.EqualFold(it.ast.(*sql.Ident).Name, id.Name) {
					break
				}
				r.depth++
				x, err := r.conv(it.ast)
				r.depth--
				return x, err
			}
		}
	}
	return nil, r.p.unknownColumn(id, r.in, r.items)
}

func (p *planner) unknownColumn(id *sql.Ident, in *arrow.Schema, items []item) error {
	var cands []string
	if in != nil {
		for _, f := range in.Fields() {
			cands = append(cands, f.Name)
		}
	}
	hint := ""
	if s := sql.Suggest(id.Name, cands); s != "" {
		hint = "did you mean " + s + "?"
	} else if len(cands) > 0 && len(cands) <= 20 {
		hint = "columns: " + strings.Join(cands, ", ")
	}
	return p.errAt(id.At, hint, "unknown column %s", id.Name)
}

// postConv converts expressions over an aggregate's output: group keys and
// aggregate calls become its columns; other columns are an error.
type postConv struct {
	p      *planner
	row    *rowConv
	ap     *aggPlan
	items  []item
	clause string
	depth  int
}

func (c *postConv) conv(e sql.Expr) (*expr.Expr, error) { return convert(c.p, e, c.hook) }

func (c *postConv) hook(e sql.Expr) (*expr.Expr, bool, error) {
	if call, ok := isAggCall(e); ok {
		name, err := c.p.addAgg(c.ap, c.row, call, "")
		if err != nil {
			return nil, true, err
		}
		return colAt(name, e.Pos()), true, nil
	}
	if !c.p.hasAgg(e) && !hasWindow(e) {
		if _, isLit := e.(*sql.Literal); !isLit {
			saved := c.row.clause
			c.row.clause = c.clause
			x, err := c.row.conv(e)
			c.row.clause = saved
			if err == nil {
				if k := c.ap.key(x.String()); k != "" {
					return colAt(k, e.Pos()), true, nil
				}
			}
		}
	}
	id, ok := e.(*sql.Ident)
	if !ok {
		return nil, false, nil
	}
	if id.Qual != "" && !qualOK(id.Qual, c.row.quals) {
		return nil, true, c.p.errAt(id.At, qualHint(c.row.quals), "unknown table %s in %s", id.Qual, id)
	}
	fi := fieldIndex(c.row.in, id.Name)
	// An output alias (outside the select list).
	if id.Qual == "" && c.clause != "SELECT" && c.depth < 8 {
		for _, it := range c.items {
			if !strings.EqualFold(it.name, id.Name) || it.ast == nil {
				continue
			}
			if self, ok := it.ast.(*sql.Ident); ok && strings.EqualFold(self.Name, id.Name) {
				break
			}
			if fi >= 0 && !it.isAgg {
				break
			}
			c.depth++
			x, err := c.conv(it.ast)
			c.depth--
			return x, true, err
		}
	}
	if fi >= 0 {
		return nil, true, c.p.errAt(id.At, "", "column %s must appear in the GROUP BY clause or be used in an aggregate function", id.Name)
	}
	return nil, true, c.p.unknownColumn(id, c.row.in, c.items)
}

// scalarNames maps SQL function names to the evaluator's where they differ.
var scalarNames = map[string]string{"len": "length", "strlen": "length", "lcase": "lower", "ucase": "upper"}

// convert translates a SQL expression into an expr tree; hook handles a node
// first (returning handled=true) and the rest are translated structurally.
func convert(p *planner, e sql.Expr, hook func(sql.Expr) (*expr.Expr, bool, error)) (*expr.Expr, error) {
	if x, ok, err := hook(e); ok || err != nil {
		return x, err
	}
	sub := func(e sql.Expr) (*expr.Expr, error) { return convert(p, e, hook) }
	at := func(x *expr.Expr, pos int) *expr.Expr { x.Pos = pos; return x }
	switch e := e.(type) {
	case *sql.Literal:
		v := e.Val
		return &expr.Expr{Kind: expr.KindLit, Lit: &v, Pos: e.At}, nil
	case *sql.Unary:
		x, err := sub(e.X)
		if err != nil {
			return nil, err
		}
		if e.Op == "NOT" {
			return at(expr.Call(expr.OpNot, x), e.At), nil
		}
		return at(expr.Call(expr.OpNeg, x), e.At), nil
	case *sql.Binary:
		l, err := sub(e.L)
		if err != nil {
			return nil, err
		}
		r, err := sub(e.R)
		if err != nil {
			return nil, err
		}
		op := map[string]string{"+": expr.OpAdd, "-": expr.OpSub, "*": expr.OpMul, "/": expr.OpDiv, "%": expr.OpMod,
			"=": expr.OpEq, "<>": expr.OpNe, "<": expr.OpLt, "<=": expr.OpLe, ">": expr.OpGt, ">=": expr.OpGe,
			"AND": expr.OpAnd, "OR": expr.OpOr}[e.Op]
		if op == "" {
			return nil, p.errAt(e.At, "", "operator %s is not supported", e.Op)
		}
		return at(expr.Call(op, l, r), e.At), nil
	case *sql.IsNull:
		x, err := sub(e.X)
		if err != nil {
			return nil, err
		}
		if e.Not {
			return at(expr.Call(expr.OpIsNotNull, x), e.At), nil
		}
		return at(expr.Call(expr.OpIsNull, x), e.At), nil
	case *sql.In:
		args := make([]*expr.Expr, 0, len(e.List)+1)
		for _, a := range append([]sql.Expr{e.X}, e.List...) {
			x, err := sub(a)
			if err != nil {
				return nil, err
			}
			args = append(args, x)
		}
		return negate(at(expr.Call(expr.OpIn, args...), e.At), e.Not), nil
	case *sql.Between:
		x, err := sub(e.X)
		if err != nil {
			return nil, err
		}
		lo, err := sub(e.Lo)
		if err != nil {
			return nil, err
		}
		hi, err := sub(e.Hi)
		if err != nil {
			return nil, err
		}
		return negate(at(expr.Call(expr.OpBetween, x, lo, hi), e.At), e.Not), nil
	case *sql.Like:
		x, err := sub(e.X)
		if err != nil {
			return nil, err
		}
		pat, err := sub(e.Pattern)
		if err != nil {
			return nil, err
		}
		op := expr.OpLike
		if e.ILike {
			op = expr.OpILike
		}
		return negate(at(expr.Call(op, x, pat), e.At), e.Not), nil
	case *sql.Case:
		var args []*expr.Expr
		var operand *expr.Expr
		if e.Operand != nil {
			var err error
			if operand, err = sub(e.Operand); err != nil {
				return nil, err
			}
		}
		for _, w := range e.Whens {
			cond, err := sub(w.Cond)
			if err != nil {
				return nil, err
			}
			if operand != nil {
				cond = at(expr.Call(expr.OpEq, operand, cond), w.Cond.Pos())
			}
			res, err := sub(w.Result)
			if err != nil {
				return nil, err
			}
			args = append(args, cond, res)
		}
		if e.Else != nil {
			x, err := sub(e.Else)
			if err != nil {
				return nil, err
			}
			args = append(args, x)
		}
		return at(expr.Call(expr.OpCase, args...), e.At), nil
	case *sql.Cast:
		x, err := sub(e.X)
		if err != nil {
			return nil, err
		}
		return at(expr.Cast(x, e.Type), e.At), nil
	case *sql.Call:
		if e.Over != nil {
			return nil, p.errAt(e.At, "", "window functions are only allowed in the select list")
		}
		if e.Distinct || e.Star {
			return nil, p.errAt(e.At, "", "%s is not an aggregate function; DISTINCT and * apply to aggregates", e.Name)
		}
		if len(e.Named) > 0 {
			return nil, p.errAt(e.Named[0].At, "", "%s takes no named arguments", e.Name)
		}
		if slices.Contains(tableFuncs, e.Name) {
			return nil, p.errAt(e.At, "use it in FROM: SELECT * FROM "+e.Name+"(...)", "%s is a table function", e.Name)
		}
		args := make([]*expr.Expr, len(e.Args))
		for i, a := range e.Args {
			x, err := sub(a)
			if err != nil {
				return nil, err
			}
			args[i] = x
		}
		name := e.Name
		if n, ok := scalarNames[name]; ok {
			name = n
		}
		return at(expr.Call(name, args...), e.At), nil
	case *sql.Ident:
		return colAt(e.Name, e.At), nil
	case *sql.Star:
		return nil, p.errAt(e.At, "", "* is only allowed alone in the select list")
	case *sql.Array, *sql.Struct:
		return nil, p.errAt(e.Pos(), "", "lists and structs are only allowed as table function arguments")
	}
	return nil, p.errAt(e.Pos(), "", "unsupported expression %s", e)
}

func negate(x *expr.Expr, not bool) *expr.Expr {
	if !not {
		return x
	}
	n := expr.Call(expr.OpNot, x)
	n.Pos = x.Pos
	return n
}
