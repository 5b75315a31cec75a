// Package config holds Shale's configuration: a table of redis.conf-style
// directives with their defaults, validation and runtime mutability. The
// same table serves the config file, command-line overrides and CONFIG
// GET/SET/REWRITE, with Redis 7.0's value formats and error texts.
//
// Values are kept in their canonical (CONFIG GET) form in a viper store
// (defaults, then the config file, SHALE_* environment variables and
// command-line overrides, then CONFIG SET); numeric values are also kept
// parsed in atomics so that hot paths (the protocol guard reads
// proto-max-bulk-len for every bulk header) read them without locking or
// allocating.
package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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
	KindSpecial
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
	// Multi directives take several words ("save 900 1 300 10", "bind a b").
	Multi bool
	// Alias is the parameter's other name (slaveof for replicaof, ...).
	Alias string
	// Protected parameters (dir, dbfilename) can be changed at runtime only
	// when enable-protected-configs allows it, as in Redis.
	Protected bool
	// EmptyIsNull: an empty value means "not set"; CONFIG REWRITE then
	// leaves the parameter out of the file.
	EmptyIsNull bool
	// Compat parameters are accepted and reported for Redis tools and
	// clients but have no effect on Shale (listpack sizes, replication,
	// TLS, ...).
	Compat bool

	// parse validates the words of a special directive and returns the
	// canonical value; cur is the current value (for partial updates).
	parse func(args []string, cur string) (string, error)
	// rewrite renders a special directive for CONFIG REWRITE: lines, and
	// whether they must be written even if absent from the file.
	rewrite func(d *Directive, value string) (lines []string, force bool)

	idx int
}

// Config is the live configuration.
type Config struct {
	mu       sync.RWMutex
	v        *viper.Viper
	nums     []atomic.Int64 // parsed Int/Memory values, read lock-free
	file     string
	watchers map[string][]func(value string) error
	// setMu serializes CONFIG SET so multi-parameter sets are atomic.
	setMu sync.Mutex
	// saveLoaded: the first "save" line of a config file replaces the
	// default save points, later ones add to them (as in Redis).
	saveLoaded bool
}

// New returns a configuration holding every default.
func New() *Config {
	c := &Config{
		v:        viper.New(),
		nums:     make([]atomic.Int64, len(table)),
		watchers: map[string][]func(string) error{},
	}
	for i := range table {
		c.v.SetDefault(table[i].Name, table[i].Default)
		c.store(&table[i], table[i].Default)
	}
	return c
}

// store sets d's value (caller holds mu or owns c).
func (c *Config) store(d *Directive, v string) {
	c.v.Set(d.Name, v)
	switch d.Kind {
	case KindInt:
		n, _ := strconv.ParseInt(v, 10, 64)
		c.nums[d.idx].Store(n)
	case KindMemory:
		n, _ := parseMemory(v)
		c.nums[d.idx].Store(n)
	}
}

// values returns every directive's value, indexed like the table (caller
// holds mu).
func (c *Config) values() []string {
	out := make([]string, len(table))
	for i := range table {
		out[i] = c.v.GetString(table[i].Name)
	}
	return out
}

// File returns the path of the loaded config file ("" if none).
func (c *Config) File() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.file
}

// Lookup returns the directive named name or one of its aliases
// (case-insensitive).
func Lookup(name string) (*Directive, bool) {
	d, ok := byName[name]
	if !ok {
		d, ok = byName[strings.ToLower(name)]
	}
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

// Names returns every parameter name CONFIG GET can match, aliases
// included, sorted.
func Names() []string {
	out := make([]string, 0, len(byName))
	for n := range byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get returns the current value of name as CONFIG GET shows it ("" for an
// unknown name).
func (c *Config) Get(name string) string {
	d, ok := Lookup(name)
	if !ok {
		return ""
	}
	c.mu.RLock()
	v := c.v.GetString(d.Name)
	c.mu.RUnlock()
	if d.Name == "dir" {
		return absDir(v)
	}
	return v
}

// Int returns an integer or memory parameter (bytes), lock-free.
func (c *Config) Int(name string) int64 {
	d, ok := Lookup(name)
	if !ok {
		return 0
	}
	return c.nums[d.idx].Load()
}

// Bool returns a yes/no parameter.
func (c *Config) Bool(name string) bool { return c.Get(name) == "yes" }

// Watch registers fn to apply runtime changes of name. It runs after the
// value changed; if fn fails, the change is rolled back and CONFIG SET
// fails with fn's error text.
func (c *Config) Watch(name string, fn func(value string) error) {
	if d, ok := Lookup(name); ok {
		name = d.Name
	}
	c.mu.Lock()
	c.watchers[name] = append(c.watchers[name], fn)
	c.mu.Unlock()
}

// Normalize validates value (a CONFIG SET argument) for directive d and
// returns its canonical form.
func Normalize(d *Directive, value string) (string, error) {
	var args []string
	if d.Multi {
		// CONFIG SET splits multi-word values on single spaces.
		args = strings.Split(value, " ")
	} else {
		args = []string{value}
	}
	return d.normalize(args, d.Default)
}

func (d *Directive) normalize(args []string, cur string) (string, error) {
	if d.parse != nil {
		return d.parse(args, cur)
	}
	if d.Multi {
		return strings.Join(args, " "), nil
	}
	value := args[0]
	switch d.Kind {
	case KindInt:
		n, ok := parseLL(value)
		if !ok {
			return "", fmt.Errorf("argument couldn't be parsed into an integer")
		}
		if n < d.Min || n > d.Max {
			return "", rangeError(d)
		}
		return strconv.FormatInt(n, 10), nil
	case KindMemory:
		n, err := parseMemory(value)
		if err != nil {
			return "", fmt.Errorf("argument must be a memory value")
		}
		if n < d.Min || n > d.Max {
			return "", rangeError(d)
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

func rangeError(d *Directive) error {
	return fmt.Errorf("argument must be between %d and %d inclusive", d.Min, d.Max)
}

// SetError is a CONFIG SET failure; Error() is Redis's text without the
// "ERR " prefix.
type SetError struct {
	Arg     string // the parameter the error is about
	Reason  string
	Unknown bool // unknown parameter (its own message)
}

func (e *SetError) Error() string {
	if e.Unknown {
		return "Unknown option or number of arguments for CONFIG SET - '" + e.Arg + "'"
	}
	if e.Reason == "" {
		return "CONFIG SET failed (possibly related to argument '" + e.Arg + "')"
	}
	return "CONFIG SET failed (possibly related to argument '" + e.Arg + "') - " + e.Reason
}

// Set changes one parameter at runtime (CONFIG SET name value).
func (c *Config) Set(name, value string) error {
	return c.SetMulti([]string{name, value}, true)
}

// SetMulti changes several parameters atomically (CONFIG SET n1 v1 n2 v2
// ...), as Redis 7.0 does: all are validated first, then set, then every
// watcher of a changed parameter runs; if one fails, every parameter gets
// its old value back. local tells whether the request comes from a
// loopback connection (enable-protected-configs local).
func (c *Config) SetMulti(pairs []string, local bool) error {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return fmt.Errorf("wrong number of arguments")
	}
	c.setMu.Lock()
	defer c.setMu.Unlock()

	n := len(pairs) / 2
	ds := make([]*Directive, n)
	var first error
	for i := 0; i < n; i++ {
		name := pairs[2*i]
		d, ok := Lookup(name)
		if !ok {
			// An unknown name wins over any other error.
			return &SetError{Arg: name, Unknown: true}
		}
		if first != nil {
			continue
		}
		switch {
		case d.Protected && !c.protectedAllowed(local):
			first = &SetError{Arg: name, Reason: "can't set protected config"}
		case !d.Mutable:
			first = &SetError{Arg: name, Reason: "can't set immutable config"}
		}
		for j := 0; j < i && first == nil; j++ {
			if ds[j] == d {
				first = &SetError{Arg: name, Reason: "duplicate parameter"}
			}
		}
		ds[i] = d
	}
	if first != nil {
		return first
	}

	c.mu.RLock()
	old := make([]string, n)
	for i, d := range ds {
		old[i] = c.v.GetString(d.Name)
	}
	c.mu.RUnlock()
	vals := make([]string, n)
	for i, d := range ds {
		var args []string
		if d.Multi {
			args = strings.Split(pairs[2*i+1], " ")
		} else {
			args = []string{pairs[2*i+1]}
		}
		v, err := d.normalize(args, old[i])
		if err != nil {
			return &SetError{Arg: d.Name, Reason: err.Error()}
		}
		vals[i] = v
	}

	c.mu.Lock()
	for i, d := range ds {
		c.store(d, vals[i])
	}
	c.mu.Unlock()

	for i, d := range ds {
		if vals[i] == old[i] {
			continue
		}
		if err := c.runWatchers(d, vals[i]); err != nil {
			c.mu.Lock()
			for j, d := range ds {
				c.store(d, old[j])
			}
			c.mu.Unlock()
			for j := 0; j <= i; j++ {
				if vals[j] != old[j] {
					_ = c.runWatchers(ds[j], old[j])
				}
			}
			return &SetError{Arg: d.Name, Reason: err.Error()}
		}
	}
	return nil
}

func (c *Config) runWatchers(d *Directive, v string) error {
	c.mu.RLock()
	fns := c.watchers[d.Name]
	c.mu.RUnlock()
	for _, fn := range fns {
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// protectedAllowed reports whether enable-protected-configs lets a client
// change a protected parameter.
func (c *Config) protectedAllowed(local bool) bool {
	switch c.Get("enable-protected-configs") {
	case "yes":
		return true
	case "local":
		return local
	}
	return false
}

// set stores a value read from a config file or the command line (no
// mutability check, no watchers: the server is not running yet).
func (c *Config) set(d *Directive, args []string) error {
	c.mu.RLock()
	cur := c.v.GetString(d.Name)
	c.mu.RUnlock()
	v, err := d.normalize(args, cur)
	if err != nil {
		return err
	}
	if d.Name == "save" {
		// The first save line replaces the default save points, later
		// lines add to them; save "" clears them.
		if c.saveLoaded && cur != "" && v != "" {
			v = cur + " " + v
		}
		c.saveLoaded = true
	}
	c.mu.Lock()
	c.store(d, v)
	c.mu.Unlock()
	return nil
}

// ParseMemory parses "1gb", "100mb", "64k", "1024" into bytes as Redis's
// memtoull does ("k" is 1000, "kb" is 1024).
func ParseMemory(s string) (int64, error) { return parseMemory(s) }

func parseMemory(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul int64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, fmt.Errorf("invalid memory value %q", s)
	}
	if i == 0 {
		if len(s) == 0 {
			return 0, nil // strtoull("") is 0, as in Redis
		}
		return 0, fmt.Errorf("invalid memory value %q", s)
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil || n > uint64(1<<63-1)/uint64(mul) {
		return 0, fmt.Errorf("invalid memory value %q", s)
	}
	return int64(n) * mul, nil
}

// parseLL parses an integer with Redis's string2ll rules: optional '-', no
// '+', no spaces, no leading zeros.
func parseLL(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	i := 0
	if s[0] == '-' {
		i = 1
		if len(s) == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	for j := i; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
