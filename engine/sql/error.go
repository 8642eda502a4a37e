package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a mistake in a query, at a place in its text. Error() renders the
// message, the line of the query holding Pos and a caret under it, then the
// hint:
//
//	line 1, column 13: unexpected FORM, expected end of query
//	  SELECT a, b FORM x
//	              ^
//	hint: did you mean FROM?
type Error struct {
	SQL  string // the query text the position refers to
	Pos  int    // byte offset into SQL, or -1 when unknown
	Msg  string // what is wrong
	Hint string // how to fix it, or ""
	Err  error  // the underlying cause, if any (for errors.Is)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Error renders the message with the query line and a caret.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos < 0 || e.Pos > len(e.SQL) {
		b.WriteString(e.Msg)
	} else {
		line, col, text, caret := locate(e.SQL, e.Pos)
		fmt.Fprintf(&b, "line %d, column %d: %s\n  %s\n  %s^", line, col, e.Msg, text, caret)
	}
	if e.Hint != "" {
		b.WriteString("\nhint: " + e.Hint)
	}
	return b.String()
}

// Line and Column return the 1-based line and column (in characters) of Pos.
func (e *Error) Line() int {
	if e.Pos < 0 || e.Pos > len(e.SQL) {
		return 0
	}
	l, _, _, _ := locate(e.SQL, e.Pos)
	return l
}

// Column returns the 1-based column (in characters) of Pos, 0 when unknown.
func (e *Error) Column() int {
	if e.Pos < 0 || e.Pos > len(e.SQL) {
		return 0
	}
	_, c, _, _ := locate(e.SQL, e.Pos)
	return c
}

const maxEcho = 100 // longest line echoed whole

// locate finds pos's line and column, the text of its line (clipped around pos
// when long) and the whitespace that puts a caret under pos.
func locate(src string, pos int) (line, col int, text, caret string) {
	start := strings.LastIndexByte(src[:pos], '\n') + 1
	end := strings.IndexByte(src[pos:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += pos
	}
	line = strings.Count(src[:start], "\n") + 1
	col = utf8.RuneCountInString(src[start:pos]) + 1
	lo, hi := start, end
	prefix, suffix := "", ""
	if utf8.RuneCountInString(src[lo:hi]) > maxEcho {
		lo = back(src, pos, maxEcho/2, start)
		hi = forward(src, pos, maxEcho/2, end)
		if lo > start {
			prefix = "..."
		}
		if hi < end {
			suffix = "..."
		}
	}
	text = prefix + strings.TrimRight(strings.ToValidUTF8(src[lo:hi], "?"), "\r") + suffix
	var c strings.Builder
	c.WriteString(strings.Repeat(" ", len(prefix)))
	for _, r := range strings.ToValidUTF8(src[lo:pos], "?") {
		if r == '\t' {
			c.WriteByte('\t')
		} else {
			c.WriteByte(' ')
		}
	}
	return line, col, text, c.String()
}

// back returns the offset n characters before pos, not before lo.
func back(s string, pos, n, lo int) int {
	for ; n > 0 && pos > lo; n-- {
		_, w := utf8.DecodeLastRuneInString(s[lo:pos])
		pos -= w
	}
	return pos
}

// forward returns the offset n characters after pos, not after hi.
func forward(s string, pos, n, hi int) int {
	for ; n > 0 && pos < hi; n-- {
		_, w := utf8.DecodeRuneInString(s[pos:hi])
		pos += w
	}
	return pos
}

// Suggest returns the candidate closest to name (case-insensitively) when it
// is close enough to be a likely typo, else "".
func Suggest(name string, candidates []string) string {
	lower := strings.ToLower(name)
	best, bestD := "", len(lower)/3+2
	for _, c := range candidates {
		if d := editDistance(lower, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
