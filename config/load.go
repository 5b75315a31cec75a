package config

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load builds the configuration the way redis-server reads its command
// line: an optional config file path first, then "--name value..."
// overrides. Errors name the file, line and reason.
func Load(args []string) (*Config, error) {
	c := New()
	i := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		path := args[0]
		abs, err := filepath.Abs(path)
		if err == nil {
			path = abs
		}
		if err := c.loadFile(path, 0); err != nil {
			return nil, err
		}
		c.file = path
		i = 1
	}
	// Overrides: "--port 6380 --save '' --bind a b".
	var lines []string
	var cur []string
	for ; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			if cur != nil {
				lines = append(lines, quoteLine(cur))
			}
			cur = []string{a[2:]}
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("invalid argument %q: options must start with --", a)
		}
		cur = append(cur, a)
	}
	if cur != nil {
		lines = append(lines, quoteLine(cur))
	}
	for n, l := range lines {
		if err := c.applyLine(l); err != nil {
			return nil, fmt.Errorf("*** FATAL CONFIG FILE ERROR ***\n>>> command line option %d: '%s'\n%v", n+1, l, err)
		}
	}
	return c, nil
}

func quoteLine(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w == "" || strings.ContainsAny(w, " \t\"'\\") {
			out[i] = fmt.Sprintf("%q", w)
		} else {
			out[i] = w
		}
	}
	return strings.Join(out, " ")
}

const maxIncludeDepth = 16

func (c *Config) loadFile(path string, depth int) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("*** FATAL CONFIG FILE ERROR ***\nin %s: include nesting too deep", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("Fatal error, can't open config file '%s': %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		words, err := SplitArgs(text)
		if err != nil {
			return lineError(path, line, text, "Unbalanced quotes in configuration line")
		}
		if len(words) == 0 {
			continue
		}
		if strings.EqualFold(words[0], "include") {
			if len(words) != 2 {
				return lineError(path, line, text, "include needs exactly one file name")
			}
			inc := words[1]
			if !filepath.IsAbs(inc) {
				inc = filepath.Join(filepath.Dir(path), inc)
			}
			if err := c.loadFile(inc, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := c.applyWords(words); err != nil {
			return lineError(path, line, text, err.Error())
		}
	}
	return sc.Err()
}

func lineError(path string, line int, text, reason string) error {
	return fmt.Errorf("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s\nin %s", line, text, reason, path)
}

func (c *Config) applyLine(l string) error {
	words, err := SplitArgs(l)
	if err != nil {
		return fmt.Errorf("Unbalanced quotes in configuration line")
	}
	if len(words) == 0 {
		return nil
	}
	return c.applyWords(words)
}

func (c *Config) applyWords(words []string) error {
	d, ok := Lookup(words[0])
	if !ok {
		return fmt.Errorf("Bad directive or wrong number of arguments")
	}
	var value string
	switch {
	case d.Multi:
		value = strings.Join(words[1:], " ")
	case len(words) != 2:
		return fmt.Errorf("wrong number of arguments")
	default:
		value = words[1]
	}
	if d.Name == "save" && len(words) > 1 {
		if err := validateSave(words[1:]); err != nil {
			return err
		}
	}
	return c.set(d, value, false)
}

func validateSave(words []string) error {
	if len(words) == 1 && words[0] == "" {
		return nil
	}
	if len(words)%2 != 0 {
		return fmt.Errorf("Invalid save parameters")
	}
	for _, w := range words {
		for _, ch := range w {
			if ch < '0' || ch > '9' {
				return fmt.Errorf("Invalid save parameters")
			}
		}
	}
	return nil
}

// SplitArgs splits a line as Redis's sdssplitargs does: words separated by
// spaces, "double quotes" with \n \r \t \xHH escapes, 'single quotes'.
func SplitArgs(line string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r') {
			i++
		}
		if i >= len(line) {
			return out, nil
		}
		var w []byte
		inDq, inSq := false, false
		done := false
		for !done {
			if inDq {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced quotes")
				}
				ch := line[i]
				switch {
				case ch == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					w = append(w, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case ch == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						w = append(w, '\n')
					case 'r':
						w = append(w, '\r')
					case 't':
						w = append(w, '\t')
					case 'b':
						w = append(w, '\b')
					case 'a':
						w = append(w, '\a')
					default:
						w = append(w, line[i])
					}
				case ch == '"':
					if i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t' {
						return nil, fmt.Errorf("unbalanced quotes")
					}
					done = true
				default:
					w = append(w, ch)
				}
			} else if inSq {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced quotes")
				}
				ch := line[i]
				switch {
				case ch == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					w = append(w, '\'')
				case ch == '\'':
					if i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t' {
						return nil, fmt.Errorf("unbalanced quotes")
					}
					done = true
				default:
					w = append(w, ch)
				}
			} else {
				if i >= len(line) {
					break
				}
				ch := line[i]
				switch ch {
				case ' ', '\t', '\n', '\r':
					done = true
				case '"':
					inDq = true
				case '\'':
					inSq = true
				default:
					w = append(w, ch)
				}
			}
			if i < len(line) {
				i++
			}
			if i >= len(line) && !inDq && !inSq {
				done = true
			}
		}
		out = append(out, string(w))
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
