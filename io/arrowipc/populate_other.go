//go:build unix && !linux

package arrowipc

// mapPopulate: no such flag here; pages are read in as they are touched.
const mapPopulate = 0
