package scripting

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// strFormat is Lua 5.1's string.format (lstrlib.c str_format): C printf
// conversions with Lua's argument checks, %q quoting and error texts.
// gopher-lua's own version formats with Go's fmt (%g without precision
// prints every digit, %s accepts any value).
func strFormat(L *lua.LState) int {
	fmtStr := L.CheckString(1)
	arg := 1
	var b []byte
	for i := 0; i < len(fmtStr); i++ {
		c := fmtStr[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		i++
		if i >= len(fmtStr) {
			L.RaiseError("invalid option '%s' to 'format'", "%")
		}
		if fmtStr[i] == '%' {
			b = append(b, '%')
			continue
		}
		// Flags, width, precision (at most 2 digits each).
		start := i
		for i < len(fmtStr) && strings.IndexByte("-+ #0", fmtStr[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			L.RaiseError("invalid format (repeated flags)")
		}
		flags := fmtStr[start:i]
		width, prec := -1, -1
		ws := i
		for i < len(fmtStr) && isDigit(fmtStr[i]) {
			i++
		}
		if i-ws > 2 {
			L.RaiseError("invalid format (width or precision too long)")
		}
		if i > ws {
			width, _ = strconv.Atoi(fmtStr[ws:i])
		}
		if i < len(fmtStr) && fmtStr[i] == '.' {
			i++
			ps := i
			for i < len(fmtStr) && isDigit(fmtStr[i]) {
				i++
			}
			if i-ps > 2 {
				L.RaiseError("invalid format (width or precision too long)")
			}
			prec, _ = strconv.Atoi(fmtStr[ps:i])
		}
		if i < len(fmtStr) && isDigit(fmtStr[i]) {
			L.RaiseError("invalid format (width or precision too long)")
		}
		if i >= len(fmtStr) {
			L.RaiseError("invalid option '%s' to 'format'", "%")
		}
		conv := fmtStr[i]
		arg++
		if arg > L.GetTop() {
			L.ArgError(arg, "no value")
		}
		// Lua 5.1 appends each conversion with strlen: a NUL cuts it.
		mark := len(b)
		switch conv {
		case 'c':
			n := cInt32(float64(L.CheckNumber(arg)))
			b = pad(b, []byte{byte(n)}, flags, width)
		case 'd', 'i':
			n := luaInt(float64(L.CheckNumber(arg)))
			b = pad(b, formatInt(n, flags, prec), flags, width)
		case 'o', 'u', 'x', 'X':
			n := cUint64(float64(L.CheckNumber(arg)))
			b = pad(b, formatUint(n, conv, flags, prec), flags, width)
		case 'e', 'E', 'f', 'g', 'G':
			f := float64(L.CheckNumber(arg))
			b = pad(b, formatFloat(f, conv, flags, prec), flags, width)
		case 'q':
			s := L.CheckString(arg)
			b = append(b, '"')
			for k := 0; k < len(s); k++ {
				switch s[k] {
				case '"', '\\', '\n':
					b = append(b, '\\', s[k])
				case '\r':
					b = append(b, '\\', 'r')
				case 0:
					b = append(b, '\\', '0', '0', '0')
				default:
					b = append(b, s[k])
				}
			}
			b = append(b, '"')
		case 's':
			s := checkLString(L, arg)
			if prec < 0 && len(s) >= 100 {
				// Long strings are added whole, NULs included.
				b = append(b, s...)
				continue
			}
			if prec >= 0 && prec < len(s) {
				s = s[:prec]
			}
			b = pad(b, []byte(s), flags, width)
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", conv)
		}
		if conv != 'q' {
			for k := mark; k < len(b); k++ {
				if b[k] == 0 {
					b = b[:k]
					break
				}
			}
		}
	}
	L.Push(lua.LString(b))
	return 1
}

// checkLString is luaL_checklstring: strings and numbers (as %.14g).
func checkLString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return luaNumberString(float64(v))
	}
	L.TypeError(n, lua.LTString)
	return ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// pad applies width and the '-' and '0' flags to a converted value.
func pad(b, s []byte, flags string, width int) []byte {
	if len(s) >= width {
		return append(b, s...)
	}
	n := width - len(s)
	if strings.IndexByte(flags, '-') >= 0 {
		b = append(b, s...)
		for ; n > 0; n-- {
			b = append(b, ' ')
		}
		return b
	}
	if strings.IndexByte(flags, '0') >= 0 && len(s) > 0 {
		// Zeros go after a sign or 0x prefix.
		head := 0
		if s[0] == '-' || s[0] == '+' || s[0] == ' ' {
			head = 1
		}
		if len(s) > head+1 && s[head] == '0' && (s[head+1] == 'x' || s[head+1] == 'X') {
			head += 2
		}
		if head < len(s) && (isDigit(s[head]) || s[head] == '.') {
			b = append(b, s[:head]...)
			for ; n > 0; n-- {
				b = append(b, '0')
			}
			return append(b, s[head:]...)
		}
	}
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return append(b, s...)
}

func signPrefix(neg bool, flags string) string {
	switch {
	case neg:
		return "-"
	case strings.IndexByte(flags, '+') >= 0:
		return "+"
	case strings.IndexByte(flags, ' ') >= 0:
		return " "
	}
	return ""
}

func formatInt(n int64, flags string, prec int) []byte {
	neg := n < 0
	var digits string
	if neg {
		digits = strconv.FormatUint(uint64(-n), 10)
	} else {
		digits = strconv.FormatInt(n, 10)
	}
	if prec >= 0 {
		if prec == 0 && n == 0 {
			digits = ""
		}
		for len(digits) < prec {
			digits = "0" + digits
		}
	}
	return []byte(signPrefix(neg, flags) + digits)
}

func formatUint(n uint64, conv byte, flags string, prec int) []byte {
	var digits, prefix string
	switch conv {
	case 'o':
		digits = strconv.FormatUint(n, 8)
	case 'u':
		digits = strconv.FormatUint(n, 10)
	case 'x':
		digits = strconv.FormatUint(n, 16)
	case 'X':
		digits = strings.ToUpper(strconv.FormatUint(n, 16))
	}
	if prec >= 0 {
		if prec == 0 && n == 0 {
			digits = ""
		}
		for len(digits) < prec {
			digits = "0" + digits
		}
	}
	if strings.IndexByte(flags, '#') >= 0 && n != 0 {
		switch conv {
		case 'o':
			if !strings.HasPrefix(digits, "0") {
				prefix = "0"
			}
		case 'x':
			prefix = "0x"
		case 'X':
			prefix = "0X"
		}
	}
	return []byte(prefix + digits)
}

func formatFloat(f float64, conv byte, flags string, prec int) []byte {
	neg := math.Signbit(f)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		s := "inf"
		if math.IsNaN(f) {
			s = "nan"
		}
		if conv == 'E' || conv == 'G' {
			s = strings.ToUpper(s)
		}
		return []byte(signPrefix(neg, flags) + s)
	}
	if prec < 0 {
		prec = 6
	}
	abs := math.Abs(f)
	alt := strings.IndexByte(flags, '#') >= 0
	var s string
	switch conv {
	case 'f':
		s = strconv.FormatFloat(abs, 'f', prec, 64)
		if alt && prec == 0 {
			s += "."
		}
	case 'e', 'E':
		s = strconv.FormatFloat(abs, 'e', prec, 64)
		if alt && prec == 0 {
			s = strings.Replace(s, "e", ".e", 1)
		}
	case 'g', 'G':
		if prec == 0 {
			prec = 1
		}
		if abs == 0 {
			s = "0"
			if alt {
				s = "0." + strings.Repeat("0", prec-1)
			}
			break
		}
		e := strconv.FormatFloat(abs, 'e', prec-1, 64)
		exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
		if exp < -4 || exp >= prec {
			mant := e[:strings.IndexByte(e, 'e')]
			if !alt {
				mant = string(trimFraction([]byte(mant)))
			}
			s = mant + e[strings.IndexByte(e, 'e'):]
		} else {
			s = strconv.FormatFloat(abs, 'f', prec-1-exp, 64)
			if !alt {
				s = string(trimFraction([]byte(s)))
			}
		}
	}
	if conv == 'E' || conv == 'G' {
		s = strings.ToUpper(s)
	}
	return []byte(signPrefix(neg, flags) + s)
}

// cInt32 is C's (int) cast of a double on x86: INT_MIN when out of range.
func cInt32(f float64) int32 {
	if math.IsNaN(f) || f >= 2147483648.0 || f <= -2147483649.0 {
		return math.MinInt32
	}
	return int32(f)
}

// cUint64 is C's (unsigned long) cast of a double as gcc compiles it on
// x86-64: values from 2^63 go through a biased signed conversion, so
// everything out of range (and NaN) ends up 0.
func cUint64(f float64) uint64 {
	if f < 9223372036854775808.0 {
		return uint64(luaInt(f))
	}
	return uint64(luaInt(f-9223372036854775808.0)) ^ 0x8000000000000000
}
