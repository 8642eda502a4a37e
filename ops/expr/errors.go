package expr

import (
	"fmt"
	"strings"
)

// Error is a user mistake in an expression (unknown column or function, wrong
// argument count, type mismatch, bad literal) or a data error found while
// evaluating (integer overflow, unparseable string in a CAST). Pos is the
// byte offset of the offending node in the SQL text, or -1 when unknown; Hint
// is an optional suggestion such as "did you mean id1?".
type Error struct {
	Pos  int
	Msg  string
	Hint string
}

// Error renders the message, with the hint in parentheses and the position
// when known: `position 7: unknown column "id7" (did you mean id1?)`.
func (e *Error) Error() string {
	s := e.Msg
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	if e.Pos >= 0 {
		s = fmt.Sprintf("position %d: %s", e.Pos, s)
	}
	return s
}

// suggest returns the candidate nearest to name by edit distance (case
// insensitive), or "" when none is close enough to be a likely typo.
func suggest(name string, candidates []string) string {
	best, bestD := "", -1
	ln := strings.ToLower(name)
	for _, c := range candidates {
		d := editDistance(ln, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return ""
	}
	limit := max(2, len([]rune(name))/3)
	if bestD > limit || bestD >= len([]rune(name)) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
