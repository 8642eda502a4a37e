package csv

import (
	"strconv"
	"unsafe"
)

// Value parsers over raw field bytes. They never allocate.

func parseInt(b []byte) (int64, bool) {
	i := 0
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	if i == len(b) {
		return 0, false
	}
	var n uint64
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 || n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + uint64(c)
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

func parseFloat(b []byte) (float64, bool) {
	if v, ok := fastFloat(b); ok {
		return v, true
	}
	if len(b) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	return v, err == nil
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastFloat parses plain decimals ([sign]digits[.digits]) of at most 15
// significant digits exactly as strconv does (Clinger's fast path: both the
// mantissa and the power of ten are exact, so one division rounds
// correctly). It reports false for anything else.
func fastFloat(b []byte) (float64, bool) {
	i := 0
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var mant uint64
	nd, frac := 0, 0
	dot, digit := false, false
	for ; i < len(b); i++ {
		c := b[i]
		if c == '.' {
			if dot {
				return 0, false
			}
			dot = true
			continue
		}
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		digit = true
		if dot {
			frac++
		}
		if mant == 0 && d == 0 {
			continue
		}
		nd++
		if nd > 15 {
			return 0, false
		}
		mant = mant*10 + uint64(d)
	}
	if !digit || frac >= len(pow10) {
		return 0, false
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

// parseBool accepts true/false, t/f, yes/no, 1/0 in any case.
func parseBool(b []byte) (v, ok bool) {
	switch len(b) {
	case 1:
		switch b[0] {
		case '1', 't', 'T', 'y', 'Y':
			return true, true
		case '0', 'f', 'F', 'n', 'N':
			return false, true
		}
	case 2:
		if b[0]|0x20 == 'n' && b[1]|0x20 == 'o' {
			return false, true
		}
	case 3:
		if b[0]|0x20 == 'y' && b[1]|0x20 == 'e' && b[2]|0x20 == 's' {
			return true, true
		}
	case 4:
		if isWord(b, "true") {
			return true, true
		}
	case 5:
		if isWord(b, "false") {
			return false, true
		}
	}
	return false, false
}

// isWord reports whether b equals the lower-case ASCII word w, ignoring case.
func isWord(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

func digits2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	return int(d0)*10 + int(d1), d0 <= 9 && d1 <= 9
}

// parseDate parses YYYY-MM-DD into days since 1970-01-01.
func parseDate(b []byte) (int32, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y1, ok1 := digits2(b[0:2])
	y2, ok2 := digits2(b[2:4])
	m, ok3 := digits2(b[5:7])
	d, ok4 := digits2(b[8:10])
	if !(ok1 && ok2 && ok3 && ok4) || m < 1 || m > 12 || d < 1 || d > daysIn(y1*100+y2, m) {
		return 0, false
	}
	return int32(daysFromCivil(y1*100+y2, m, d)), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's days_from_civil.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// parseTimestamp parses "YYYY-MM-DD[( |T)HH:MM:SS[.f{1,9}]]" into
// microseconds since the epoch (digits past the sixth are truncated).
func parseTimestamp(b []byte) (int64, bool) {
	if len(b) < 10 {
		return 0, false
	}
	days, ok := parseDate(b[:10])
	if !ok {
		return 0, false
	}
	us := int64(days) * 86_400_000_000
	if len(b) == 10 {
		return us, true
	}
	if len(b) < 19 || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	h, ok1 := digits2(b[11:13])
	mi, ok2 := digits2(b[14:16])
	s, ok3 := digits2(b[17:19])
	if !(ok1 && ok2 && ok3) || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	us += int64(h*3600+mi*60+s) * 1_000_000
	if len(b) == 19 {
		return us, true
	}
	frac := b[20:]
	if b[19] != '.' || len(frac) == 0 || len(frac) > 9 {
		return 0, false
	}
	var f int64
	for i, c := range frac {
		c -= '0'
		if c > 9 {
			return 0, false
		}
		if i < 6 {
			f = f*10 + int64(c)
		}
	}
	for i := len(frac); i < 6; i++ {
		f *= 10
	}
	return us + f, true
}

// Inference: the set of types a sampled value parses as.
const (
	cBool = 1 << iota
	cInt
	cFloat
	cDate
	cTimestamp
	cAll = cBool | cInt | cFloat | cDate | cTimestamp
)

// classify returns the candidate types of one non-empty value. Only the words
// true and false (any case) count as booleans here.
func classify(b []byte) uint8 {
	if len(b) == 0 {
		return cAll
	}
	c := b[0]
	switch {
	case c == 't' || c == 'T' || c == 'f' || c == 'F':
		if isWord(b, "true") || isWord(b, "false") {
			return cBool
		}
	case len(b) >= 10 && b[4] == '-':
		if _, ok := parseDate(b); ok {
			return cDate | cTimestamp
		}
		if _, ok := parseTimestamp(b); ok {
			return cTimestamp
		}
		return 0
	}
	if _, ok := parseInt(b); ok {
		return cInt | cFloat
	}
	if _, ok := parseFloat(b); ok {
		return cFloat
	}
	return 0
}

// inferredType picks the preferred type of a candidate set; seen reports
// whether the column had any value in the samples.
func inferredType(mask uint8, seen bool) colType {
	if !seen {
		return tString
	}
	for t := tBool; t < tString; t++ {
		if mask&(1<<t) != 0 {
			return t
		}
	}
	return tString
}
