package conformance

import (
	"fmt"
	"strconv"
	"strings"
)

// Quote renders s as a double-quoted string the way redis-cli does
// (sdscatrepr): \\ \" \n \r \t \a \b, printable ASCII as is, the rest \xHH.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// QuoteArg renders a command argument: bare when that reads back the same,
// quoted otherwise.
func QuoteArg(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			return Quote(s)
		}
	}
	return s
}

// JoinArgs renders a command line.
func JoinArgs(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = QuoteArg(a)
	}
	return strings.Join(parts, " ")
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unquoteAt reads a double-quoted string starting at s[i] == '"'; it returns
// the value and the index just after the closing quote.
func unquoteAt(s string, i int) (string, int, error) {
	var b strings.Builder
	i++
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			n := s[i+1]
			switch n {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'x':
				if i+3 < len(s) {
					h, ok1 := hexVal(s[i+2])
					l, ok2 := hexVal(s[i+3])
					if ok1 && ok2 {
						b.WriteByte(h<<4 | l)
						i += 4
						continue
					}
				}
				b.WriteByte('x')
			default:
				b.WriteByte(n)
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", i, fmt.Errorf("unbalanced quotes")
}

// SplitArgs splits a command line like redis-cli (sdssplitargs): blanks
// separate arguments; "double quotes" take \n \r \t \a \b \xHH \\ \"
// escapes; 'single quotes' take only \'.
func SplitArgs(line string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return out, nil
		}
		var b strings.Builder
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			switch line[i] {
			case '"':
				s, j, err := unquoteAt(line, i)
				if err != nil {
					return nil, err
				}
				if j < len(line) && line[j] != ' ' && line[j] != '\t' {
					return nil, fmt.Errorf("closing quote must be followed by a space")
				}
				b.WriteString(s)
				i = j
			case '\'':
				j := i + 1
				closed := false
				for j < len(line) {
					if line[j] == '\\' && j+1 < len(line) && line[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					if line[j] == '\'' {
						closed = true
						j++
						break
					}
					b.WriteByte(line[j])
					j++
				}
				if !closed {
					return nil, fmt.Errorf("unbalanced quotes")
				}
				if j < len(line) && line[j] != ' ' && line[j] != '\t' {
					return nil, fmt.Errorf("closing quote must be followed by a space")
				}
				i = j
			default:
				b.WriteByte(line[i])
				i++
			}
		}
		out = append(out, b.String())
	}
}

// isInteger reports whether s is a canonical decimal integer (as Redis's
// string2ll accepts).
func isInteger(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return false
	}
	return s == "0" || (s[0] != '0' && !strings.HasPrefix(s, "-0") && s[0] != '+')
}
