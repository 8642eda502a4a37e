package ops

// SetPassCheckRows lowers the passthrough decision point for tests and
// returns a function restoring it.
func SetPassCheckRows(n int64) func() {
	old := passCheckRows
	passCheckRows = n
	return func() { passCheckRows = old }
}

// CountsRows reports whether p keeps shared row counts (agg.Rows).
func (p *Partial) CountsRows() bool { return p.shared != nil }
