// Package cachetest helps benchmarks reproduce a query's cache behaviour.
package cachetest

// evictBuf is larger than the last-level cache of the machines dfq runs on.
var evictBuf []uint64

// Evict streams 64 MiB through the caches, so that whatever a benchmark
// touched before starts its next batch out of cache, as in a query where
// decoding the next batch passes tens of MB through the caches. The result
// is meaningless; keep it so the work is not optimised away.
func Evict() uint64 {
	if evictBuf == nil {
		evictBuf = make([]uint64, 64<<20/8)
	}
	var s uint64
	for i := range evictBuf {
		evictBuf[i]++
		s += evictBuf[i]
	}
	return s
}
