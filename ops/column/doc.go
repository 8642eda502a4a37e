// Package column holds small Arrow array kernels shared by the operators:
// gathering rows by index (Take, TakeRecord, TakeIndices), turning a boolean
// mask into a selection vector (Selection), unpacking dictionary arrays
// (Unpack), concatenation (Concat) and broadcasting a constant (Repeat).
//
// Ownership: every function that returns an arrow.Array or arrow.Record
// returns a new reference owned by the caller, who must Release it. Inputs are
// never released or modified; results never alias mutable state, but they may
// share immutable buffers with the inputs (a dictionary array's dictionary, or
// an input returned retained).
//
// Supported types: null, bool, every fixed-width type (integers, floats,
// date32/64, time, timestamp, duration, decimal128/256, fixed-size binary),
// utf8, binary, large utf8, large binary, and dictionary arrays of those.
// Other types (lists, structs, maps, unions) give an error wrapping
// ErrUnsupported.
//
// All functions are safe for concurrent use.
package column
