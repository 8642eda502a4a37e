package expr

import (
	"errors"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

type likeKind int

const (
	likeExact    likeKind = iota // no wildcard
	likePrefix                   // abc%
	likeSuffix                   // %abc
	likeContains                 // %abc%
	likeSegments                 // only % wildcards: ordered segments
	likeRegexp                   // anything with _
)

// matcher is a compiled LIKE pattern. For ILIKE the pattern is lower-cased
// and so is each value before matching.
type matcher struct {
	kind  likeKind
	lit   string   // exact, prefix, suffix, contains
	segs  []string // likeSegments: the literal pieces between %
	open  [2]bool  // likeSegments: pattern starts / ends with %
	re    *regexp.Regexp
	ifold bool
}

// compileLike compiles a LIKE pattern: % matches any run of characters, _
// exactly one, and \ escapes the next character.
func compileLike(p string, ifold bool) (*matcher, error) {
	if ifold {
		p = strings.ToLower(p)
	}
	// split into literal pieces separated by wildcards
	var pieces []string // literal text
	var wild []byte     // wildcard before pieces[i+1]: '%' or '_'
	var cur strings.Builder
	hasUnderscore := false
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch ch {
		case '\\':
			if i+1 >= len(p) {
				return nil, errors.New("LIKE pattern must not end with the escape character \\")
			}
			i++
			cur.WriteByte(p[i])
		case '%', '_':
			if ch == '_' {
				hasUnderscore = true
			}
			pieces = append(pieces, cur.String())
			cur.Reset()
			wild = append(wild, ch)
		default:
			cur.WriteByte(ch)
		}
	}
	pieces = append(pieces, cur.String())
	m := &matcher{ifold: ifold}
	if hasUnderscore {
		var re strings.Builder
		re.WriteString(`^(?s:`)
		for i, piece := range pieces {
			re.WriteString(regexp.QuoteMeta(piece))
			if i < len(wild) {
				if wild[i] == '%' {
					re.WriteString(`.*`)
				} else {
					re.WriteString(`.`)
				}
			}
		}
		re.WriteString(`)$`)
		r, err := regexp.Compile(re.String())
		if err != nil {
			return nil, err
		}
		m.kind, m.re = likeRegexp, r
		return m, nil
	}
	// only %: drop empty pieces between consecutive %
	startOpen := len(wild) > 0 && pieces[0] == ""
	endOpen := len(wild) > 0 && pieces[len(pieces)-1] == ""
	var segs []string
	for _, s := range pieces {
		if s != "" {
			segs = append(segs, s)
		}
	}
	switch {
	case len(wild) == 0:
		m.kind, m.lit = likeExact, pieces[0]
	case len(segs) == 0:
		m.kind, m.lit = likeContains, "" // only %: matches everything
	case len(segs) == 1 && startOpen && endOpen:
		m.kind, m.lit = likeContains, segs[0]
	case len(segs) == 1 && endOpen:
		m.kind, m.lit = likePrefix, segs[0]
	case len(segs) == 1 && startOpen:
		m.kind, m.lit = likeSuffix, segs[0]
	default:
		m.kind, m.segs, m.open = likeSegments, segs, [2]bool{startOpen, endOpen}
	}
	return m, nil
}

func (m *matcher) match(s string) bool {
	switch m.kind {
	case likeExact:
		return s == m.lit
	case likePrefix:
		return strings.HasPrefix(s, m.lit)
	case likeSuffix:
		return strings.HasSuffix(s, m.lit)
	case likeContains:
		return strings.Contains(s, m.lit)
	case likeSegments:
		segs := m.segs
		if !m.open[0] {
			if !strings.HasPrefix(s, segs[0]) {
				return false
			}
			s = s[len(segs[0]):]
			segs = segs[1:]
		}
		last := ""
		if !m.open[1] {
			last = segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			if len(s) < len(last) || !strings.HasSuffix(s, last) {
				return false
			}
			s = s[:len(s)-len(last)]
		}
		for _, seg := range segs {
			i := strings.Index(s, seg)
			if i < 0 {
				return false
			}
			s = s[i+len(seg):]
		}
		return true
	}
	return m.re.MatchString(s)
}

// lowerInto appends the lower-case form of s to buf.
func lowerInto(buf []byte, s string) []byte {
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			buf = append(buf, ch)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[i])
		} else {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		}
		i += size
	}
	return buf
}

// likeNode is x [I]LIKE pattern with the pattern compiled at Bind.
type likeNode struct {
	base
	m *matcher
}

func (n *likeNode) eval(c *ctx) (vec, error) {
	a, null, err := evalArg(c, n.kids[0])
	if err != nil {
		return vec{}, err
	}
	if null {
		return nullVec(tBool), nil
	}
	defer a.Release()
	buf := newZeroBuf(c.mem, bitmapBytes(c.n))
	out := buf.Bytes()
	o, d := strs(a)
	m := n.m
	switch {
	case m.ifold:
		var tmp []byte
		for i := 0; i < c.n; i++ {
			tmp = lowerInto(tmp[:0], bstr(d[o[i]:o[i+1]]))
			out[i>>3] |= b2u(m.match(bstr(tmp))) << (i & 7)
		}
	case m.kind == likePrefix:
		lit := m.lit
		for i := 0; i < c.n; i++ {
			out[i>>3] |= b2u(strings.HasPrefix(bstr(d[o[i]:o[i+1]]), lit)) << (i & 7)
		}
	case m.kind == likeContains && m.lit != "":
		containsRows(o, d, m.lit, out)
	default:
		for i := 0; i < c.n; i++ {
			out[i>>3] |= b2u(m.match(bstr(d[o[i]:o[i+1]]))) << (i & 7)
		}
	}
	valid, nulls := validity(c.mem, c.n, vec{a: a})
	return vec{a: makeArray(tBool, c.n, nulls, valid, buf)}, nil
}

func toUpper(r rune) rune { return unicode.ToUpper(r) }

// containsRows sets bit i of out when row i contains lit, searching the whole
// data buffer at once (a vectorised scan) rather than row by row.
func containsRows(o []int32, d []byte, lit string, out []byte) {
	n := len(o) - 1
	data := bstr(d)
	pos, end := int(o[0]), int(o[n])
	row := 0
	for pos < end {
		k := strings.Index(data[pos:end], lit)
		if k < 0 {
			return
		}
		m := pos + k
		for int(o[row+1]) <= m {
			row++
		}
		if m+len(lit) <= int(o[row+1]) {
			out[row>>3] |= 1 << (row & 7)
			pos = int(o[row+1])
			row++
		} else {
			pos = m + 1
		}
	}
}
