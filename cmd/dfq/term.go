package main

import (
	"os"
	"strconv"

	"golang.org/x/term"
)

// fder is what *os.File offers to find its terminal.
type fder interface{ Fd() uintptr }

// isTerminal reports whether v (a reader or writer of run) is a terminal.
// Tests replace it.
var isTerminal = func(v any) bool {
	f, ok := v.(fder)
	return ok && term.IsTerminal(int(f.Fd()))
}

// termWidth returns the width of the terminal v, else $COLUMNS, else 0 (no
// limit). Tests replace it.
var termWidth = func(v any) int {
	if f, ok := v.(fder); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if w, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && w > 0 {
		return w
	}
	return 0
}

// useColor reports whether to style output for the terminal w.
func useColor(w any) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}
