// Package ops holds dfq's physical operators and the Stream contract they share.
//
// An operator is an immutable specification (plain data, JSON-serialisable);
// calling Open on it with its input streams returns a Stream that holds all the
// per-partition state. The same operator value may be opened many times, from
// many goroutines at once.
package ops
