package config

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/spf13/viper"
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
	fileLines := 0
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
		if b, err := os.ReadFile(path); err == nil {
			fileLines = strings.Count(string(b), "\n")
		}
		i = 1
	}
	if err := c.loadEnv(); err != nil {
		return nil, err
	}
	// Overrides, as redis-server parses them: "--port 6380 --save ''
	// --bind a b"; "--save" without a value means save "".
	var opts [][]string
	for ; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			words, err := SplitArgs(a[2:]) // "--port 6380" as one argument
			if err != nil || len(words) == 0 {
				words = []string{a[2:]}
			}
			opts = append(opts, words)
			if len(words) == 1 && strings.EqualFold(words[0], "save") &&
				(i == len(args)-1 || strings.HasPrefix(args[i+1], "--")) {
				opts[len(opts)-1] = append(words, "")
			}
			continue
		}
		if len(opts) == 0 {
			return nil, fmt.Errorf("Invalid argument '%s': options must start with --", a)
		}
		opts[len(opts)-1] = append(opts[len(opts)-1], a)
	}
	for n, words := range opts {
		if err := c.applyWords(words); err != nil {
			line := n + 2
			if c.file != "" {
				line = fileLines + 1 + n
			}
			return nil, optionError(line, words, err.Error())
		}
	}
	return c, nil
}

// loadEnv applies SHALE_<DIRECTIVE> environment variables (dashes as
// underscores: SHALE_CACHE_SIZE=1gb, SHALE_APPENDFSYNC=always). They
// override the config file; the command line overrides them. Handy in
// containers, where a file is awkward.
func (c *Config) loadEnv() error {
	env := viper.New()
	env.SetEnvPrefix("shale")
	env.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	env.AllowEmptyEnv(true) // SHALE_SAVE="" disables snapshots, as save "" does
	env.AutomaticEnv()
	for i := range table {
		d := &table[i]
		if !env.IsSet(d.Name) {
			continue
		}
		val := env.GetString(d.Name)
		words := []string{d.Name, val}
		if d.Multi {
			w, err := SplitArgs(val)
			if err != nil {
				return fmt.Errorf("environment variable SHALE_%s: %v", envName(d.Name), err)
			}
			words = append([]string{d.Name}, w...)
			if len(w) == 0 {
				words = append(words, "")
			}
		}
		if err := c.applyWords(words); err != nil {
			return fmt.Errorf("environment variable SHALE_%s=%q: %v", envName(d.Name), val, err)
		}
	}
	return nil
}

func envName(directive string) string {
	return strings.ToUpper(strings.ReplaceAll(directive, "-", "_"))
}

// optionError reports a bad command-line option as Redis does: the option
// is shown as the config line it became, its values quoted.
func optionError(line int, words []string, reason string) error {
	var b strings.Builder
	b.WriteString(words[0])
	for _, w := range words[1:] {
		b.WriteByte(' ')
		b.WriteString(Repr(w))
	}
	return fmt.Errorf("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s", line, b.String(), reason)
}

const maxIncludeDepth = 16

func (c *Config) loadFile(path string, depth int) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("*** FATAL CONFIG FILE ERROR ***\nin %s: include nesting too deep", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("Fatal error, can't open config file '%s': %s", path, strerror(err))
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
			for _, inc := range includeFiles(words[1], path) {
				if err := c.loadFile(inc, depth+1); err != nil {
					return err
				}
			}
			continue
		}
		if err := c.applyWords(words); err != nil {
			return lineError(path, line, text, err.Error())
		}
	}
	return sc.Err()
}

// includeFiles resolves an include argument: a path or a glob pattern
// (Redis 7), relative to the working directory as in Redis, or else to the
// including file's directory.
func includeFiles(arg, from string) []string {
	cands := []string{arg}
	if !filepath.IsAbs(arg) {
		cands = append(cands, filepath.Join(filepath.Dir(from), arg))
	}
	if strings.ContainsAny(arg, "*?[") {
		for _, p := range cands {
			if m, err := filepath.Glob(p); err == nil && len(m) > 0 {
				return m
			}
		}
		return nil
	}
	for _, p := range cands {
		if _, err := os.Stat(p); err == nil {
			return []string{p}
		}
	}
	return []string{arg} // fails to open with Redis's message
}

func lineError(path string, line int, text, reason string) error {
	return fmt.Errorf("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s\nin %s", line, text, reason, path)
}

func (c *Config) applyWords(words []string) error {
	d, ok := Lookup(words[0])
	if !ok {
		return fmt.Errorf("Bad directive or wrong number of arguments")
	}
	args := words[1:]
	if !d.Multi && len(args) != 1 {
		return fmt.Errorf("wrong number of arguments")
	}
	if len(args) == 0 {
		return fmt.Errorf("wrong number of arguments")
	}
	if d.Multi && len(args) == 1 && args[0] != "" {
		// A multi-word value given as one argument ("--save '900 1'",
		// bind "a b") is split, as in Redis 7.
		if w, err := SplitArgs(args[0]); err == nil && len(w) > 0 {
			args = w
		}
	}
	return c.set(d, args)
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

// strerror renders an OS error as C's strerror does ("No such file or
// directory"), which is what Redis prints.
func strerror(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := err.Error()
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return msg
}
