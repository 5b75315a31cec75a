// Package config holds Shale's configuration: a table of redis.conf-style
// directives with their defaults, validation and runtime mutability, stored
// in viper. The same table serves the config file, command-line overrides
// and CONFIG GET/SET/REWRITE.
package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/viper"
)

// Kind is a directive's value type.
type Kind int

const (
	KindString Kind = iota
	KindInt
	KindBool   // yes/no
	KindEnum   // one of Enum
	KindMemory // bytes, with k/kb/m/mb/g/gb suffixes
)

// Directive describes one configuration parameter.
type Directive struct {
	Name     string
	Kind     Kind
	Default  string
	Min, Max int64
	Enum     []string
	// Mutable parameters can be changed by CONFIG SET at runtime.
	Mutable bool
	// Multi directives may appear several times / take several words
	// (e.g. "save 900 1 300 10", "bind a b").
	Multi bool
}

// Config is the live configuration.
type Config struct {
	mu       sync.RWMutex
	v        *viper.Viper
	file     string
	watchers map[string][]func(value string) error
}

// New returns a configuration holding every default.
func New() *Config {
	c := &Config{v: viper.New(), watchers: map[string][]func(string) error{}}
	for _, d := range table {
		c.v.SetDefault(d.Name, d.Default)
	}
	return c
}

// File returns the path of the loaded config file ("" if none).
func (c *Config) File() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.file
}

// Lookup returns the directive named name (case-insensitive).
func Lookup(name string) (*Directive, bool) {
	d, ok := byName[strings.ToLower(name)]
	return d, ok
}

// Directives returns every directive sorted by name.
func Directives() []*Directive {
	out := make([]*Directive, 0, len(table))
	for i := range table {
		out = append(out, &table[i])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the current value of name as CONFIG GET shows it.
func (c *Config) Get(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.v.GetString(strings.ToLower(name))
}

// Int returns an integer or memory parameter.
func (c *Config) Int(name string) int64 {
	d, ok := Lookup(name)
	s := c.Get(name)
	if ok && d.Kind == KindMemory {
		n, _ := ParseMemory(s)
		return n
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// Bool returns a yes/no parameter.
func (c *Config) Bool(name string) bool { return c.Get(name) == "yes" }

// Watch registers fn to apply runtime changes of name. If fn fails the
// change is rolled back and CONFIG SET fails.
func (c *Config) Watch(name string, fn func(value string) error) {
	c.mu.Lock()
	c.watchers[name] = append(c.watchers[name], fn)
	c.mu.Unlock()
}

// Normalize validates value for directive d and returns its canonical form.
func Normalize(d *Directive, value string) (string, error) {
	switch d.Kind {
	case KindInt:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return "", fmt.Errorf("argument couldn't be parsed into an integer")
		}
		if n < d.Min || n > d.Max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", d.Min, d.Max)
		}
		return strconv.FormatInt(n, 10), nil
	case KindMemory:
		n, err := ParseMemory(value)
		if err != nil {
			return "", fmt.Errorf("argument must be a memory value")
		}
		if n < d.Min || (d.Max > 0 && n > d.Max) {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", d.Min, d.Max)
		}
		return strconv.FormatInt(n, 10), nil
	case KindBool:
		switch strings.ToLower(value) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", fmt.Errorf("argument must be 'yes' or 'no'")
	case KindEnum:
		for _, e := range d.Enum {
			if strings.EqualFold(e, value) {
				return e, nil
			}
		}
		return "", fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(d.Enum, ", "))
	}
	return value, nil
}

// Set changes a parameter at runtime (CONFIG SET): it must be mutable, the
// value must validate, and every watcher must accept it.
func (c *Config) Set(name, value string) error {
	d, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("Unknown option or number of arguments for CONFIG SET - '%s'", name)
	}
	if !d.Mutable {
		return fmt.Errorf("can't set immutable config")
	}
	return c.set(d, value, true)
}

func (c *Config) set(d *Directive, value string, runWatchers bool) error {
	norm, err := Normalize(d, value)
	if err != nil {
		return err
	}
	c.mu.Lock()
	old := c.v.GetString(d.Name)
	c.v.Set(d.Name, norm)
	fns := c.watchers[d.Name]
	c.mu.Unlock()
	if runWatchers {
		for _, fn := range fns {
			if err := fn(norm); err != nil {
				c.mu.Lock()
				c.v.Set(d.Name, old)
				c.mu.Unlock()
				return err
			}
		}
	}
	return nil
}

// ParseMemory parses "1gb", "100mb", "64k", "1024" into bytes.
func ParseMemory(s string) (int64, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(ls, u.suf) {
			ls = strings.TrimSuffix(ls, u.suf)
			mult = u.m
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid memory value %q", s)
	}
	return n * mult, nil
}
