package sql

import (
	"fmt"
	"strings"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // a bare identifier or keyword, as written
	tQIdent         // a "quoted" identifier, unescaped
	tString         // a 'string' literal, unescaped
	tNumber         // a numeric literal, as written
	tOp             // an operator or punctuation
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tQIdent:
		return quoteIdent(t.text)
	case tString:
		return "'" + strings.ReplaceAll(t.text, "'", "''") + "'"
	}
	return t.text
}

// lex splits src into tokens, ending with tEOF. Comments and whitespace are
// dropped.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				i++
				continue
			}
			if c == '-' && i+1 < len(src) && src[i+1] == '-' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '*' {
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, &Error{SQL: src, Pos: i, Msg: "unterminated /* comment", Hint: "close the comment with */"}
				}
				i += end + 4
				continue
			}
			break
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, pos: len(src)})
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentByte(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tIdent, text: src[start:i], pos: start})
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			i = scanNumber(src, i)
			if i < len(src) && isIdentStart(src[i]) {
				return nil, &Error{SQL: src, Pos: i, Msg: fmt.Sprintf("unexpected %q after number %s", src[i], src[start:i]),
					Hint: "separate the number from the name with a space"}
			}
			toks = append(toks, token{kind: tNumber, text: src[start:i], pos: start})
		case c == '\'' || c == '"':
			s, end, ok := scanQuoted(src, i, c)
			if !ok {
				what, close := "string", "'"
				if c == '"' {
					what, close = "quoted identifier", `"`
				}
				return nil, &Error{SQL: src, Pos: start, Msg: "unterminated " + what, Hint: "close it with " + close + " (write " + close + close + " for a literal " + close + ")"}
			}
			i = end
			kind := tString
			if c == '"' {
				kind = tQIdent
				if s == "" {
					return nil, &Error{SQL: src, Pos: start, Msg: "empty quoted identifier"}
				}
			}
			toks = append(toks, token{kind: kind, text: s, pos: start})
		default:
			op := scanOp(src[i:])
			if op == "" {
				return nil, &Error{SQL: src, Pos: i, Msg: fmt.Sprintf("unexpected character %q", runeAt(src, i))}
			}
			i += len(op)
			toks = append(toks, token{kind: tOp, text: op, pos: start})
		}
	}
}

func runeAt(s string, i int) string {
	for _, r := range s[i:] {
		return string(r)
	}
	return ""
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentByte(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

// scanNumber returns the end of the number starting at i: digits, an optional
// fraction and an optional exponent.
func scanNumber(s string, i int) int {
	digits := func() {
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9') {
			i++
		}
	}
	digits()
	if i < len(s) && s[i] == '.' && !(i+1 < len(s) && s[i+1] == '.') {
		i++
		digits()
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			i = j
			digits()
		}
	}
	return i
}

// scanQuoted reads a quoted token starting at i with quote q, where a doubled
// quote stands for one; it returns the unescaped text and the end offset.
func scanQuoted(s string, i int, q byte) (string, int, bool) {
	var b strings.Builder
	i++
	for {
		j := strings.IndexByte(s[i:], q)
		if j < 0 {
			return "", 0, false
		}
		b.WriteString(s[i : i+j])
		i += j + 1
		if i < len(s) && s[i] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i, true
	}
}

var ops2 = []string{"<=", ">=", "<>", "!=", "==", "::", "=>", ":=", "||"}

const ops1 = "+-*/%=<>(),.;[]{}:"

func scanOp(s string) string {
	for _, o := range ops2 {
		if strings.HasPrefix(s, o) {
			return o
		}
	}
	if strings.IndexByte(ops1, s[0]) >= 0 {
		return s[:1]
	}
	return ""
}
