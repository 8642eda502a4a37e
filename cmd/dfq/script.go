package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dfq/dfq/engine/sql"
)

// readSQL returns the SQL text: from -f FILE, from the arguments (joined by
// spaces, so unquoted words work too), or from stdin ("-" or no arguments
// and stdin not a terminal).
func readSQL(cmd string, args []string, file string, stdin io.Reader) (string, error) {
	fromStdin := func() (string, error) {
		if stdin == nil {
			return "", usagef("%s: no SQL given", cmd)
		}
		b, err := io.ReadAll(stdin)
		if err != nil {
			return "", fmt.Errorf("reading SQL from standard input: %w", err)
		}
		return string(b), nil
	}
	var src string
	var err error
	switch {
	case file != "" && len(args) > 0:
		return "", usagef("%s: give the SQL as an argument or with -f, not both", cmd)
	case file == "-", len(args) == 1 && args[0] == "-":
		src, err = fromStdin()
	case file != "":
		b, rerr := os.ReadFile(file)
		if rerr != nil {
			return "", fmt.Errorf("reading SQL: %w", rerr)
		}
		src = string(b)
	case len(args) > 0:
		src = strings.Join(args, " ")
	case stdin != nil && !isTerminal(stdin):
		src, err = fromStdin()
	}
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(src) == "" {
		return "", usagef("%s: no SQL given (pass it as an argument, with -f FILE, or on standard input)", cmd)
	}
	return src, nil
}

// splitScript checks the syntax of a script of statements separated by ';'
// and returns each statement's text. Each text keeps its position in the
// script (what precedes it is blanked out, line breaks kept), so that errors
// found later point at the right line and column of the script.
func splitScript(src string) ([]string, error) {
	stmts, err := sql.ParseScript(src)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, seg := range segments(src) {
		if !seg.code {
			continue
		}
		out = append(out, blank(src[:seg.start])+src[seg.start:seg.end])
	}
	if len(out) != len(stmts) {
		// The scanner and the parser disagree: run the script as one text,
		// which the parser rejects with a position if it has to.
		return nil, fmt.Errorf("cannot split the script into statements (%d found by the parser, %d by ';')", len(stmts), len(out))
	}
	return out, nil
}

// segment is a stretch of a script between semicolons; code is false when
// it holds only spaces and comments.
type segment struct {
	start, end int
	code       bool
}

// segments cuts src at semicolons outside strings, quoted identifiers and
// comments, as the SQL lexer reads them.
func segments(src string) []segment {
	var out []segment
	cur := segment{}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				i = len(src)
			} else {
				i += end + 4
			}
			continue
		case c == '\'' || c == '"':
			cur.code = true
			i++
			for i < len(src) {
				if src[i] == c {
					if i+1 < len(src) && src[i+1] == c {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
			continue
		case c == ';':
			cur.end = i + 1
			out = append(out, cur)
			cur = segment{start: i + 1}
			i++
			continue
		case c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v':
			cur.code = true
		}
		i++
	}
	cur.end = len(src)
	return append(out, cur)
}

// blank returns s with every character but line breaks turned into a space,
// so that columns (counted in characters) stay where they were.
func blank(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == '\n' {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}
