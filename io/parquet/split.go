package parquet

import "github.com/dfq/dfq/io/source"

// DefaultSplitBytes is the split size PlanSplits uses when targetBytes <= 0.
const DefaultSplitBytes = 32 << 20

// PlanSplits cuts a Parquet file into splits of about targetBytes compressed
// bytes: one split per row group, consecutive small row groups coalesced up
// to targetBytes, and row groups larger than twice the target cut into row
// ranges. A file without row groups gives one empty split (Rows 0), so that a
// reader still yields the schema. Split indexes start at 0.
func PlanSplits(path string, info *FileInfo, targetBytes int64) []source.Split {
	if targetBytes <= 0 {
		targetBytes = DefaultSplitBytes
	}
	var splits []source.Split
	add := func(s source.Split) {
		s.Index = len(splits)
		s.Format = source.Parquet
		s.Path = path
		splits = append(splits, s)
	}
	var cur *source.Split
	flush := func() {
		if cur != nil {
			add(*cur)
			cur = nil
		}
	}
	for g, rg := range info.RowGroups {
		bytes := rg.CompressedBytes
		if bytes > 2*targetBytes && rg.Rows > 1 {
			flush()
			parts := (bytes + targetBytes - 1) / targetBytes
			if parts > rg.Rows {
				parts = rg.Rows
			}
			for p := int64(0); p < parts; p++ {
				lo := rg.Rows * p / parts
				hi := rg.Rows * (p + 1) / parts
				add(source.Split{
					RowGroups: []int{g},
					RowOffset: lo,
					RowCount:  hi - lo,
					Rows:      hi - lo,
					Bytes:     bytes * (hi - lo) / rg.Rows,
				})
			}
			continue
		}
		if cur != nil && cur.Bytes+bytes > targetBytes {
			flush()
		}
		if cur == nil {
			cur = &source.Split{}
		}
		cur.RowGroups = append(cur.RowGroups, g)
		cur.Rows += rg.Rows
		cur.Bytes += bytes
	}
	flush()
	if len(splits) == 0 {
		add(source.Split{Rows: 0})
	}
	return splits
}
