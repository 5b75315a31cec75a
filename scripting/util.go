package scripting

import (
	"errors"
	"strconv"
	"strings"
)

var errNotNumber = errors.New("not a number")

// parseLuaNumber converts a string to a number as Lua 5.1's lua_str2number
// does: strtod (decimal, inf, nan), hexadecimal integers ("0x1F"), leading
// and trailing white space allowed, nothing else.
func parseLuaNumber(s string) (float64, error) {
	s = strings.Trim(s, " \t\n\r\v\f")
	if s == "" {
		return 0, errNotNumber
	}
	body := s
	neg := false
	if body[0] == '-' || body[0] == '+' {
		neg = body[0] == '-'
		body = body[1:]
	}
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		u, err := strconv.ParseUint(body[2:], 16, 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				// strtoul saturates; Lua then converts to a double.
				f := float64(^uint64(0))
				if neg {
					f = -f
				}
				return f, nil
			}
			return 0, errNotNumber
		}
		f := float64(u)
		if neg {
			f = -f
		}
		return f, nil
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+') {
			// Only inf/infinity/nan are accepted as words (strtod).
			switch strings.ToLower(body) {
			case "inf", "infinity", "nan":
			default:
				return 0, errNotNumber
			}
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, nil // strtod returns ±HUGE_VAL or 0
		}
		return 0, errNotNumber
	}
	return f, nil
}
