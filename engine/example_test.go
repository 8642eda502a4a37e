package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/io/parquet"
	"github.com/dfq/dfq/ops/expr"
)

// writeSales writes a small Parquet file for the examples and returns its path.
func writeSales(dir string) string {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "region", Type: arrow.BinaryTypes.String},
		{Name: "units", Type: arrow.PrimitiveTypes.Int64},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < 1000; i++ {
		b.Field(0).(*array.StringBuilder).Append([]string{"north", "south", "east"}[i%3])
		b.Field(1).(*array.Int64Builder).Append(int64(i % 7))
		b.Field(2).(*array.Float64Builder).Append(float64(i%10) + 0.5)
	}
	rec := b.NewRecord()
	defer rec.Release()
	path := filepath.Join(dir, "sales.parquet")
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w, err := parquet.NewWriter(f, schema, parquet.WriteOptions{RowGroupRows: 250})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	f.Close()
	return path
}

// Build a query with the frame builder and collect the result.
func Example() {
	dir, _ := os.MkdirTemp("", "dfq-example-")
	defer os.RemoveAll(dir)
	path := writeSales(dir)

	f := engine.Scan(path).
		Filter(expr.Col("units").Gt(expr.Int(0))).
		GroupBy("region").
		Agg(engine.Sum(expr.Col("units")).As("units"), engine.Count().As("orders")).
		OrderBy(engine.Asc(expr.Col("region")))
	tbl, err := f.Collect(context.Background(), engine.Options{Mode: engine.Threads, Workers: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		for i := 0; i < int(rec.NumRows()); i++ {
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i), rec.Column(2).ValueStr(i))
		}
	}
	// Output:
	// east 999 286
	// north 1003 286
	// south 995 285
}

// Run streams the result as Arrow records; every executor gives the same rows.
func ExampleFrame_Run() {
	dir, _ := os.MkdirTemp("", "dfq-example-")
	defer os.RemoveAll(dir)
	path := writeSales(dir)

	f := engine.Scan(path).Agg(engine.Avg(expr.Col("price")).As("avg_price"), engine.Max(expr.Col("units")).As("max_units"))
	for _, mode := range []engine.Mode{engine.Sequential, engine.Threads} {
		rows, err := f.Run(context.Background(), engine.Options{Mode: mode})
		if err != nil {
			log.Fatal(err)
		}
		rec, err := rows.Next(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(mode, rec.Column(0).ValueStr(0), rec.Column(1).ValueStr(0))
		rec.Release()
		rows.Close()
	}
	// Output:
	// seq 5 6
	// threads 5 6
}

// Explain shows the columns read, the predicates pushed into the scan and
// the stages, without running the query.
func ExampleFrame_Explain() {
	dir, _ := os.MkdirTemp("", "dfq-example-")
	defer os.RemoveAll(dir)
	path := writeSales(dir)

	text, err := engine.Scan(path).
		Filter(expr.Col("units").Ge(expr.Int(6))).
		GroupBy("region").Agg(engine.Sum(expr.Col("price")).As("revenue")).
		Explain()
	if err != nil {
		log.Fatal(err)
	}
	// The first line gives the files, splits, rows and bytes.
	fmt.Print(text[strings.Index(text, "  columns"):])
	// Output:
	//   columns: [region, units, price]
	//   prune: units >= [6]
	// Stage 1
	//   Filter (units >= 6)
	//   Aggregate [sum(price) AS revenue] by region
	// Output: region utf8, revenue float64
}

// SQL over files gives the same frames; engine.SQL returns one to build on.
func ExampleQuery() {
	dir, _ := os.MkdirTemp("", "dfq-example-")
	defer os.RemoveAll(dir)
	path := writeSales(dir)

	tbl, err := engine.Query(context.Background(),
		"SELECT region, count(*) AS n FROM '"+path+"' WHERE price > 9 GROUP BY region ORDER BY n DESC, region", engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		for i := 0; i < int(rec.NumRows()); i++ {
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i))
		}
	}
	// Output:
	// north 34
	// east 33
	// south 33
}
