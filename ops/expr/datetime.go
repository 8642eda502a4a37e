package expr

import (
	"math"
	"time"
)

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func daysInMonth(y, m int64) int64 {
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

// scanner parses fixed date/time layouts without allocating.
type scanner struct {
	s string
	i int
}

func (p *scanner) digits(min, max int) (int64, bool) {
	start := p.i
	var v int64
	for p.i < len(p.s) && p.i-start < max && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = v*10 + int64(p.s[p.i]-'0')
		p.i++
	}
	return v, p.i-start >= min
}

func (p *scanner) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func (p *scanner) date() (int64, bool) {
	neg := p.byte('-')
	y, ok := p.digits(1, 6)
	if !ok || !p.byte('-') {
		return 0, false
	}
	m, ok := p.digits(1, 2)
	if !ok || !p.byte('-') || m < 1 || m > 12 {
		return 0, false
	}
	d, ok := p.digits(1, 2)
	if neg {
		y = -y
	}
	if !ok || d < 1 || d > daysInMonth(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

// parseDate parses YYYY-MM-DD (surrounding spaces allowed) into days since
// the epoch.
func parseDate(s string) (int32, bool) {
	p := scanner{s: trimSpace(s)}
	d, ok := p.date()
	if !ok || p.i != len(p.s) || d < math.MinInt32 || d > math.MaxInt32 {
		return 0, false
	}
	return int32(d), true
}

// parseTimestamp parses YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][Z|±HH[:MM]]
// into seconds and nanoseconds since the epoch (UTC).
func parseTimestamp(s string) (sec, nsec int64, ok bool) {
	p := scanner{s: trimSpace(s)}
	days, ok := p.date()
	if !ok {
		return 0, 0, false
	}
	sec = days * 86400
	if p.i == len(p.s) {
		return sec, 0, true
	}
	if !p.byte(' ') && !p.byte('T') {
		return 0, 0, false
	}
	hh, ok1 := p.digits(1, 2)
	if !ok1 || !p.byte(':') {
		return 0, 0, false
	}
	mm, ok2 := p.digits(2, 2)
	if !ok2 || hh > 24 || mm > 59 {
		return 0, 0, false
	}
	var ss int64
	if p.byte(':') {
		var ok3 bool
		if ss, ok3 = p.digits(2, 2); !ok3 || ss > 60 {
			return 0, 0, false
		}
		if p.byte('.') {
			start := p.i
			f, ok4 := p.digits(1, 9)
			if !ok4 {
				return 0, 0, false
			}
			for k := p.i - start; k < 9; k++ {
				f *= 10
			}
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++ // digits past nanoseconds are dropped
			}
			nsec = f
		}
	}
	sec += hh*3600 + mm*60 + ss
	if p.i < len(p.s) {
		switch {
		case p.byte('Z'):
		case p.s[p.i] == '+' || p.s[p.i] == '-':
			sign := int64(1)
			if p.s[p.i] == '-' {
				sign = -1
			}
			p.i++
			oh, ok5 := p.digits(2, 2)
			if !ok5 {
				return 0, 0, false
			}
			var om int64
			if p.byte(':') {
				if om, ok5 = p.digits(2, 2); !ok5 {
					return 0, 0, false
				}
			} else if p.i+2 <= len(p.s) {
				if om, ok5 = p.digits(2, 2); !ok5 {
					return 0, 0, false
				}
			}
			sec -= sign * (oh*3600 + om*60)
		default:
			return 0, 0, false
		}
	}
	if p.i != len(p.s) {
		return 0, 0, false
	}
	return sec, nsec, true
}

// toUnit converts seconds+nanoseconds to a count of unit u (ups units per
// second), reporting overflow. Sub-unit precision is truncated toward -inf.
func toUnit(sec, nsec int64, ups int64) (int64, bool) {
	ok, base := mulCheck(sec, ups)
	if !ok {
		return 0, false
	}
	frac := nsec / (1_000_000_000 / ups)
	r := base + frac
	if r < base {
		return 0, false
	}
	return r, true
}

func mulCheck(a, b int64) (bool, int64) {
	if a == 0 || b == 0 {
		return true, 0
	}
	r := a * b
	if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return false, 0
	}
	return true, r
}

// appendTimestamp formats a timestamp in unit (ups units per second) as
// YYYY-MM-DD HH:MM:SS[.fraction], the fraction with the unit's digits and
// only when non-zero.
func appendTimestamp(b []byte, v int64, ups int64) []byte {
	sec := floorDiv(v, ups)
	sub := v - sec*ups
	t := time.Unix(sec, 0).UTC()
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	if sub != 0 {
		digits := map[int64]int{1_000: 3, 1_000_000: 6, 1_000_000_000: 9}[ups]
		b = append(b, '.')
		var tmp [9]byte
		for k := digits - 1; k >= 0; k-- {
			tmp[k] = byte('0' + sub%10)
			sub /= 10
		}
		b = append(b, tmp[:digits]...)
	}
	return b
}

func appendDate(b []byte, days int64) []byte {
	y, m, d := civilFromDays(days)
	if y < 0 {
		b = append(b, '-')
		y = -y
	}
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, m, 2)
	b = append(b, '-')
	return appendPadded(b, d, 2)
}

func appendPadded(b []byte, v int64, w int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || len(tmp)-i < w {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[i:]...)
}
