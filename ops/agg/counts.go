package agg

import "math"

// narrowing decides how long an accumulator may keep uint32 counts, half the
// bytes of int64: per-group state is what scattered updates miss the cache
// on. rows bounds every count; the accumulator widens for good before a count
// could pass MaxUint32, and on Merge (incoming counts are int64).
type narrowing struct {
	wide bool
	rows int64
}

// admit reports whether rows more rows can still be counted narrow.
func (w *narrowing) admit(rows int) bool {
	if w.wide || int64(rows) >= math.MaxUint32-w.rows {
		return false
	}
	w.rows += int64(rows)
	return true
}
