package commands

import (
	"math"
	"strconv"
)

// ParseInt parses a signed 64-bit integer exactly as Redis's string2ll
// does: optional '-', no '+', no spaces, no leading zeros, at most 20 bytes.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseFloat parses a double as Redis does (strtod on the whole argument):
// no leading space, no NaN; "inf", "+inf", "-inf" and exponents accepted.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r' || b[0] == '\v' || b[0] == '\f' {
		return 0, false
	}
	s := string(b)
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			return 0, false // Go accepts digit separators, strtod does not
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && isHexFloat(s) {
		// strtod takes hex floats without a binary exponent ("0x10").
		f, err = strconv.ParseFloat(s+"p0", 64)
	}
	if err != nil || math.IsNaN(f) {
		// Overflow (ERANGE with ±HUGE_VAL) is an error in Redis; "inf"
		// spelled out parses without error.
		return 0, false
	}
	if f == 0 && nonZeroMantissa(s) {
		return 0, false // underflow to zero: ERANGE in strtod, refused by Redis
	}
	return f, true
}

func isHexFloat(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if len(s) < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] == 'p' || s[i] == 'P' {
			return false
		}
	}
	return true
}

// nonZeroMantissa reports whether a decimal float's mantissa has a
// non-zero digit (so a zero result means underflow).
func nonZeroMantissa(s string) bool {
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'e' || c == 'E' {
			return false
		}
		if c >= '1' && c <= '9' {
			return true
		}
	}
	return false
}

// ParseIntArg parses an integer argument or writes Redis's error.
func (c *Ctx) ParseIntArg(b []byte) (int64, bool) {
	n, ok := ParseInt(b)
	if !ok {
		c.R.Error(ErrNotInteger)
	}
	return n, ok
}

// ParseFloatArg parses a float argument or writes Redis's error.
func (c *Ctx) ParseFloatArg(b []byte) (float64, bool) {
	f, ok := ParseFloat(b)
	if !ok {
		c.R.Error(ErrNotFloat)
	}
	return f, ok
}

// EqualFold compares an argument with a keyword, ASCII case-insensitively.
func EqualFold(b []byte, kw string) bool {
	if len(b) != len(kw) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		k := kw[i]
		if k >= 'A' && k <= 'Z' {
			k += 'a' - 'A'
		}
		if c != k {
			return false
		}
	}
	return true
}
