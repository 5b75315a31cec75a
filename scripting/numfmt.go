package scripting

import (
	"math"
	"strconv"
)

// appendG appends f formatted as C's printf("%.<prec>g") (glibc): Lua 5.1's
// tostring uses %.14g, cjson %.14g, redis.call arguments %.17g. Infinities
// print as inf/-inf and NaN as nan or -nan (the sign bit, as glibc does:
// 0/0 on x86 is a negative NaN, so Redis shows "-nan").
func appendG(dst []byte, f float64, prec int) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	if prec <= 0 {
		prec = 1
	}
	// Fast path: integers that %g prints without an exponent.
	if f == math.Trunc(f) && math.Abs(f) < math.Pow10(prec) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	var tmp [64]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', prec-1, 64)
	epos := len(e) - 1
	for e[epos] != 'e' {
		epos--
	}
	exp, _ := strconv.Atoi(string(e[epos+1:]))
	if exp < -4 || exp >= prec {
		dst = append(dst, trimFraction(e[:epos])...)
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	s := strconv.AppendFloat(tmp[:0], f, 'f', prec-1-exp, 64)
	return append(dst, trimFraction(s)...)
}

// trimFraction removes trailing zeros of a fraction, and a bare point.
func trimFraction(b []byte) []byte {
	dot := -1
	for i, c := range b {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return b
	}
	i := len(b)
	for i > dot+1 && b[i-1] == '0' {
		i--
	}
	if i == dot+1 {
		i = dot
	}
	return b[:i]
}

// luaNumberString is Lua 5.1's tostring for numbers (%.14g).
func luaNumberString(f float64) string {
	var b [32]byte
	return string(appendG(b[:0], f, 14))
}
