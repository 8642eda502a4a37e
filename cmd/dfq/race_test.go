//go:build race

package main

// raceEnabled: the race detector slows the engine and the comparisons about
// tenfold, so the h2o check uses a smaller dataset.
const raceEnabled = true
