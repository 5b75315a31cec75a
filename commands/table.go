// Package commands holds Shale's command table and handlers. The table is
// declarative: each entry gives a command's name, arity, flags, key
// positions and ACL categories, and that one entry drives dispatch, arity
// errors, COMMAND INFO/COUNT/GETKEYS/DOCS, key locking, and later ACL and
// cluster routing.
package commands

import (
	"sort"
	"strings"

	"github.com/shaledb/shale/server"
)

// Flag is a command flag as COMMAND INFO reports it.
type Flag uint32

const (
	Write Flag = 1 << iota
	Readonly
	DenyOOM
	Module
	Admin
	PubSub
	NoScript
	Blocking
	Loading
	Stale
	SkipMonitor
	SkipSlowlog
	Asking
	Fast
	NoAuth
	MayReplicate
	Sentinel
	OnlySentinel
	NoMandatoryKeys
	Protected
	NoAsyncLoading
	NoMulti
	MovableKeys
	AllowBusy
)

var flagNames = []string{
	"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast",
	"no_auth", "may_replicate", "sentinel", "only_sentinel", "no_mandatory_keys",
	"protected", "no_async_loading", "no_multi", "movablekeys", "allow_busy",
}

// Names returns the flag names in Redis's order.
func (f Flag) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// Category is an ACL category bit.
type Category uint32

const (
	CatKeyspace Category = 1 << iota
	CatRead
	CatWrite
	CatSet
	CatSortedSet
	CatList
	CatHash
	CatString
	CatBitmap
	CatHyperLogLog
	CatGeo
	CatStream
	CatPubSub
	CatAdmin
	CatFast
	CatSlow
	CatBlocking
	CatDangerous
	CatConnection
	CatTransaction
	CatScripting
)

var categoryNames = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// Names returns the category names with their @ prefix.
func (c Category) Names() []string {
	var out []string
	for i, n := range categoryNames {
		if c&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}

// CategoryNames lists every ACL category (ACL CAT).
func CategoryNames() []string { return append([]string(nil), categoryNames...) }

// LockMode says how the dispatcher locks around a command.
type LockMode int

const (
	// LockAuto locks the command's keys: exclusively for write commands,
	// shared for read-only ones; commands without keys take no key lock.
	LockAuto LockMode = iota
	// LockWorld runs the command with the whole server to itself.
	LockWorld
	// LockNone takes no lock (commands that lock for themselves).
	LockNone
	// LockExclusive locks the command's keys exclusively even when the
	// command is read-only (SORT_RO converts the sorted sets it reads to
	// the skiplist encoding, as Redis does).
	LockExclusive
)

// Command is one entry of the command table.
type Command struct {
	Name string // lowercase; "container|sub" for subcommands
	// Arity follows Redis: positive = exact argument count (name
	// included), negative = at least -Arity.
	Arity      int
	Flags      Flag
	FirstKey   int
	LastKey    int
	Step       int
	Categories Category
	Handler    func(c *Ctx)
	// Keys extracts the key arguments when they do not follow
	// FirstKey/LastKey/Step (numkeys commands); such commands are
	// "movablekeys".
	Keys func(args [][]byte) [][]byte
	// DBKeys, when set, names keys that live in several databases (MOVE,
	// COPY ... DB): the dispatcher locks each (dbs[i], keys[i]) pair
	// instead of the table's key positions. Only valid databases.
	DBKeys func(c *server.Client, args [][]byte) (dbs []int, keys [][]byte)
	Lock   LockMode
	// LockFor, when set, picks the lock mode per call instead of Lock:
	// SORT reads keys named by its BY/GET patterns, known only once it
	// runs, so it takes the world lock when it has such patterns.
	LockFor func(args [][]byte) LockMode
	// KeyFlags, when set, gives the flags of the key at args[pos] for
	// COMMAND GETKEYSANDFLAGS when the key specs cannot (SORT's STORE
	// destination, which only an "unknown" spec describes).
	KeyFlags func(args [][]byte, pos int) []string

	Group      string // COMMAND DOCS group ("string", "generic", ...)
	Summary    string
	Since      string
	Complexity string

	// Tips are COMMAND INFO's command tips ("nondeterministic_output",
	// "request_policy:all_shards", ...).
	Tips []string
	// KeySpecs describe the key arguments for COMMAND INFO and COMMAND
	// GETKEYSANDFLAGS (command.go); when nil they are derived from
	// FirstKey/LastKey/Step and the write/readonly flags.
	KeySpecs []KeySpec

	Subcommands map[string]*Command
	parent      *Command
	batchable   bool // may join a pipeline batch (batch.go)
}

// FullName returns "container|sub" for subcommands.
func (cmd *Command) FullName() string { return cmd.Name }

// IsWrite reports whether the command writes.
func (cmd *Command) IsWrite() bool { return cmd.Flags&Write != 0 }

// KeyArgs returns the key arguments of args (the whole command line).
func (cmd *Command) KeyArgs(dst [][]byte, args [][]byte) [][]byte {
	dst = dst[:0]
	if cmd.Keys != nil {
		return append(dst, cmd.Keys(args)...)
	}
	if cmd.FirstKey <= 0 {
		return dst
	}
	last := cmd.LastKey
	if last < 0 {
		last = len(args) + last
	}
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	for i := cmd.FirstKey; i <= last && i < len(args); i += step {
		dst = append(dst, args[i])
	}
	return dst
}

// Table is the set of commands.
type Table struct {
	cmds map[string]*Command
}

// registry is the global table commands add themselves to from init().
var registry = &Table{cmds: map[string]*Command{}}

// pendingSubs holds subcommands registered before their container (init
// order follows file names); they are attached when it registers.
var pendingSubs = map[string][]*Command{}

// Register adds commands to the global table. Subcommands are registered
// with a "container|sub" name and attached to their container, which may
// be registered before or after them.
func Register(cmds ...*Command) {
	for _, c := range cmds {
		c.Name = strings.ToLower(c.Name)
		c.batchable = batchable[c.Name]
		if c.Keys != nil {
			c.Flags |= MovableKeys
		}
		if i := strings.IndexByte(c.Name, '|'); i > 0 {
			container := c.Name[:i]
			if parent := registry.cmds[container]; parent != nil {
				attachSub(parent, c)
			} else {
				pendingSubs[container] = append(pendingSubs[container], c)
			}
			continue
		}
		if _, dup := registry.cmds[c.Name]; dup {
			panic("commands: duplicate command " + c.Name)
		}
		registry.cmds[c.Name] = c
		for _, sub := range pendingSubs[c.Name] {
			attachSub(c, sub)
		}
		delete(pendingSubs, c.Name)
	}
}

func attachSub(parent, c *Command) {
	sub := c.Name[strings.IndexByte(c.Name, '|')+1:]
	if parent.Subcommands == nil {
		parent.Subcommands = map[string]*Command{}
	}
	if _, dup := parent.Subcommands[sub]; dup {
		panic("commands: duplicate subcommand " + c.Name)
	}
	c.parent = parent
	if c.Group == "" {
		c.Group = parent.Group
	}
	parent.Subcommands[sub] = c
}

// Lookup finds a command by name, case-insensitively, without allocating
// for all-lowercase or all-uppercase names.
func Lookup(name []byte) *Command {
	if c, ok := registry.cmds[string(name)]; ok {
		return c
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return registry.cmds[strings.ToLower(string(name))]
	}
	low := buf[:len(name)]
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		low[i] = ch
	}
	return registry.cmds[string(low)]
}

// LookupSub finds a subcommand of a container, case-insensitively.
func (cmd *Command) LookupSub(name []byte) *Command {
	return cmd.Subcommands[strings.ToLower(string(name))]
}

// All returns every top-level command sorted by name.
func All() []*Command {
	out := make([]*Command, 0, len(registry.cmds))
	for _, c := range registry.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Subs returns a container's subcommands sorted by name.
func (cmd *Command) Subs() []*Command {
	out := make([]*Command, 0, len(cmd.Subcommands))
	for _, c := range cmd.Subcommands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Count returns the number of top-level commands (COMMAND COUNT).
func Count() int { return len(registry.cmds) }
