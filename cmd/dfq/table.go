package main

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

func arrayTableReader(tbl arrow.Table) *array.TableReader {
	return array.NewTableReader(tbl, 1<<16)
}
