package ops

// SetPassCheckRows lowers the passthrough decision point for tests and
// returns a function restoring it.
func SetPassCheckRows(n int64) func() {
	old := passCheckRows
	passCheckRows = n
	return func() { passCheckRows = old }
}
