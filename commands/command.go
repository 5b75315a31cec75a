package commands

import (
	"strings"
	"unsafe"

	"github.com/shaledb/shale/server"
)

// COMMAND and its subcommands, generated from the command table.

func init() {
	const cmdFlags = Loading | Stale
	const cmdCats = CatSlow | CatConnection
	Register(
		&Command{Name: "command", Arity: -1, Flags: cmdFlags, Categories: cmdCats, Handler: commandAll, Lock: LockNone,
			Tips:  []string{"nondeterministic_output_order"},
			Group: "server", Summary: "Get array of Redis command details", Since: "2.8.13", Complexity: "O(N) where N is the total number of Redis commands"},
		&Command{Name: "command|count", Arity: 2, Flags: cmdFlags, Categories: cmdCats, Handler: commandCount, Lock: LockNone,
			Summary: "Get total number of Redis commands", Since: "2.8.13", Complexity: "O(1)"},
		&Command{Name: "command|info", Arity: -2, Flags: cmdFlags, Categories: cmdCats, Handler: commandInfo, Lock: LockNone,
			Tips:    []string{"nondeterministic_output_order"},
			Summary: "Get array of specific Redis command details, or all when no argument is given.", Since: "2.8.13", Complexity: "O(N) where N is the number of commands to look up"},
		&Command{Name: "command|docs", Arity: -2, Flags: cmdFlags, Categories: cmdCats, Handler: commandDocs, Lock: LockNone,
			Tips:    []string{"nondeterministic_output_order"},
			Summary: "Get array of specific Redis command documentation", Since: "7.0.0", Complexity: "O(N) where N is the number of commands to look up"},
		&Command{Name: "command|list", Arity: -2, Flags: cmdFlags, Categories: cmdCats, Handler: commandList, Lock: LockNone,
			Tips:    []string{"nondeterministic_output_order"},
			Summary: "Get an array of Redis command names", Since: "7.0.0", Complexity: "O(N) where N is the total number of Redis commands"},
		&Command{Name: "command|getkeys", Arity: -4, Flags: cmdFlags, Categories: cmdCats, Handler: commandGetKeys, Lock: LockNone,
			Summary: "Extract keys given a full Redis command", Since: "2.8.13", Complexity: "O(N) where N is the number of arguments to the command"},
		&Command{Name: "command|getkeysandflags", Arity: -4, Flags: cmdFlags, Categories: cmdCats, Handler: commandGetKeysAndFlags, Lock: LockNone,
			Summary: "Extract keys and access flags given a full Redis command", Since: "7.0.0", Complexity: "O(N) where N is the number of arguments to the command"},
		&Command{Name: "command|help", Arity: 2, Flags: cmdFlags, Categories: cmdCats, Handler: commandHelp, Lock: LockNone,
			Summary: "Show helpful text about the different subcommands", Since: "5.0.0", Complexity: "O(1)"},
	)
}

// ---------------------------------------------------------------------------
// Key specs

// FindKind is how a key spec finds keys once it found where they begin.
type FindKind int

const (
	// FindRange: keys from the begin position to LastKey (relative to it;
	// negative counts from the end of the arguments), every KeyStep.
	FindRange FindKind = iota
	// FindKeyNum: the argument at begin+KeyNumIdx is the number of keys,
	// which start at begin+FirstKey, every KeyStep.
	FindKeyNum
	// FindUnknown: keys cannot be found from the spec alone.
	FindUnknown
)

// KeySpec is one Redis 7 key specification.
type KeySpec struct {
	Notes string
	// Flags: RO RW OW RM, access update insert delete, not_key incomplete
	// variable_flags.
	Flags []string
	// Begin search: at Index (> 0), or after the Keyword searched from
	// StartFrom (negative: from the end, backwards); neither: unknown.
	Index     int
	Keyword   string
	StartFrom int

	Find      FindKind
	LastKey   int
	KeyStep   int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// RangeSpec is a spec for keys at index..index+lastKey (negative lastKey:
// counted from the end), every step.
func RangeSpec(flags string, index, lastKey, step int) KeySpec {
	return KeySpec{Flags: strings.Fields(flags), Index: index, Find: FindRange, LastKey: lastKey, KeyStep: step}
}

// KeyNumSpec is a spec for numkeys commands: the count is at
// index+keyNumIdx and the keys start at index+firstKey.
func KeyNumSpec(flags string, index, keyNumIdx, firstKey, step int) KeySpec {
	return KeySpec{Flags: strings.Fields(flags), Index: index, Find: FindKeyNum, KeyNumIdx: keyNumIdx, FirstKey: firstKey, KeyStep: step}
}

// KeywordSpec is a spec for keys following a keyword (STREAMS, STORE).
func KeywordSpec(flags, keyword string, startFrom, lastKey, step int) KeySpec {
	return KeySpec{Flags: strings.Fields(flags), Keyword: keyword, StartFrom: startFrom, Find: FindRange, LastKey: lastKey, KeyStep: step}
}

// UnknownSpec is a spec whose keys only the command itself can find.
func UnknownSpec(flags, notes string) KeySpec {
	return KeySpec{Flags: strings.Fields(flags), Notes: notes, Find: FindUnknown}
}

// defaultKeyFlags derives key flags from the command's flags.
func (cmd *Command) defaultKeyFlags() []string {
	switch {
	case cmd.Flags&Write != 0:
		return []string{"RW", "update"}
	case cmd.Flags&Readonly != 0:
		return []string{"RO", "access"}
	}
	return []string{"RO"}
}

// Specs returns cmd's key specs: the table's, or ones derived from
// FirstKey/LastKey/Step (plus an unknown spec for movable keys).
func (cmd *Command) Specs() []KeySpec {
	if cmd.KeySpecs != nil {
		return cmd.KeySpecs
	}
	var out []KeySpec
	flags := cmd.defaultKeyFlags()
	if cmd.FirstKey > 0 {
		last := cmd.LastKey
		if last >= 0 {
			last -= cmd.FirstKey
		}
		step := cmd.Step
		if step <= 0 {
			step = 1
		}
		out = append(out, KeySpec{Flags: flags, Index: cmd.FirstKey, Find: FindRange, LastKey: last, KeyStep: step})
	}
	if cmd.Keys != nil {
		out = append(out, KeySpec{Flags: flags, Find: FindUnknown})
	}
	return out
}

func (cmd *Command) hasKeys() bool {
	return cmd.FirstKey > 0 || cmd.Keys != nil || len(cmd.KeySpecs) > 0 || cmd.DBKeys != nil
}

// begin returns where spec's keys start in args, or -1.
func (ks *KeySpec) begin(args [][]byte) int {
	switch {
	case ks.Index > 0:
		return ks.Index
	case ks.Keyword != "":
		if ks.StartFrom >= 0 {
			for i := ks.StartFrom; i < len(args); i++ {
				if EqualFold(args[i], ks.Keyword) {
					return i + 1
				}
			}
		} else {
			for i := len(args) + ks.StartFrom; i >= 1; i-- {
				if EqualFold(args[i], ks.Keyword) {
					return i + 1
				}
			}
		}
	}
	return -1
}

// covers reports whether argument pos is a key of spec ks.
func (ks *KeySpec) covers(args [][]byte, pos int) bool {
	b := ks.begin(args)
	if b < 0 || pos < b {
		return false
	}
	step := ks.KeyStep
	if step <= 0 {
		step = 1
	}
	first, last := b, 0
	switch ks.Find {
	case FindRange:
		switch {
		case ks.LastKey >= 0:
			last = b + ks.LastKey
		case ks.Limit > 0:
			last = b + (len(args)-b)/ks.Limit + ks.LastKey
		default:
			last = len(args) + ks.LastKey
		}
	case FindKeyNum:
		if b+ks.KeyNumIdx >= len(args) {
			return false
		}
		n, ok := ParseInt(args[b+ks.KeyNumIdx])
		if !ok || n < 0 {
			return false
		}
		first = b + ks.FirstKey
		last = first + int(n)*step - 1
	default:
		return false
	}
	return pos >= first && pos <= last && (pos-first)%step == 0
}

// keyFlagsAt returns the flags of the key at argument pos. A key only an
// incomplete spec covers is found by Redis's getkeys function, which
// reports the spec's flags without "incomplete" (MIGRATE's KEYS form).
func (cmd *Command) keyFlagsAt(args [][]byte, pos int) []string {
	if cmd.KeyFlags != nil {
		return cmd.KeyFlags(args, pos)
	}
	specs := cmd.Specs()
	if pos >= 0 {
		for i := range specs {
			if specs[i].covers(args, pos) {
				return withoutIncomplete(specs[i].Flags)
			}
		}
	}
	for i := range specs {
		if specs[i].Find == FindUnknown || specs[i].begin(args) < 0 {
			return specs[i].Flags
		}
	}
	if len(specs) > 0 {
		return specs[0].Flags
	}
	return cmd.defaultKeyFlags()
}

func withoutIncomplete(flags []string) []string {
	for i, f := range flags {
		if f == "incomplete" {
			return append(append([]string(nil), flags[:i]...), flags[i+1:]...)
		}
	}
	return flags
}

// ---------------------------------------------------------------------------
// Replies

// visibleFlags are the command flags COMMAND INFO shows (Redis hides
// may_replicate, sentinel, only_sentinel and protected).
const hiddenFlags = MayReplicate | Sentinel | OnlySentinel | Protected

func replyStatusSet(r *server.Reply, items []string) {
	r.Set(len(items))
	for _, s := range items {
		r.Status(s)
	}
}

func replyBulkSet(r *server.Reply, items []string) {
	r.Set(len(items))
	for _, s := range items {
		r.BulkString(s)
	}
}

// replyCommandInfo writes one COMMAND INFO entry (nil: a null).
func replyCommandInfo(r *server.Reply, cmd *Command) {
	if cmd == nil {
		r.Null()
		return
	}
	r.Array(10)
	r.BulkString(cmd.Name)
	r.Int(int64(cmd.Arity))
	replyStatusSet(r, (cmd.Flags &^ hiddenFlags).Names())
	r.Int(int64(cmd.FirstKey))
	r.Int(int64(cmd.LastKey))
	r.Int(int64(cmd.Step))
	replyStatusSet(r, cmd.Categories.Names())
	replyBulkSet(r, cmd.Tips)
	specs := cmd.Specs()
	r.Set(len(specs))
	for i := range specs {
		replyKeySpec(r, &specs[i])
	}
	if cmd.Subcommands == nil {
		r.Set(0)
		return
	}
	subs := cmd.Subs()
	r.Array(len(subs))
	for _, s := range subs {
		replyCommandInfo(r, s)
	}
}

func replyKeySpec(r *server.Reply, ks *KeySpec) {
	n := 3
	if ks.Notes != "" {
		n++
	}
	r.Map(n)
	if ks.Notes != "" {
		r.BulkString("notes")
		r.BulkString(ks.Notes)
	}
	r.BulkString("flags")
	replyStatusSet(r, ks.Flags)

	r.BulkString("begin_search")
	r.Map(2)
	r.BulkString("type")
	switch {
	case ks.Index > 0:
		r.BulkString("index")
		r.BulkString("spec")
		r.Map(1)
		r.BulkString("index")
		r.Int(int64(ks.Index))
	case ks.Keyword != "":
		r.BulkString("keyword")
		r.BulkString("spec")
		r.Map(2)
		r.BulkString("keyword")
		r.BulkString(ks.Keyword)
		r.BulkString("startfrom")
		r.Int(int64(ks.StartFrom))
	default:
		r.BulkString("unknown")
		r.BulkString("spec")
		r.Map(0)
	}

	r.BulkString("find_keys")
	r.Map(2)
	r.BulkString("type")
	switch ks.Find {
	case FindRange:
		r.BulkString("range")
		r.BulkString("spec")
		r.Map(3)
		r.BulkString("lastkey")
		r.Int(int64(ks.LastKey))
		r.BulkString("keystep")
		r.Int(int64(ks.KeyStep))
		r.BulkString("limit")
		r.Int(int64(ks.Limit))
	case FindKeyNum:
		r.BulkString("keynum")
		r.BulkString("spec")
		r.Map(3)
		r.BulkString("keynumidx")
		r.Int(int64(ks.KeyNumIdx))
		r.BulkString("firstkey")
		r.Int(int64(ks.FirstKey))
		r.BulkString("keystep")
		r.Int(int64(ks.KeyStep))
	default:
		r.BulkString("unknown")
		r.BulkString("spec")
		r.Map(0)
	}
}

// replyCommandDocs writes one COMMAND DOCS value (the map after the name).
func replyCommandDocs(r *server.Reply, cmd *Command) {
	type kv struct{ k, v string }
	var fields []kv
	for _, f := range []kv{{"summary", cmd.Summary}, {"since", cmd.Since}, {"group", cmd.Group}, {"complexity", cmd.Complexity}} {
		if f.v != "" {
			fields = append(fields, f)
		}
	}
	n := len(fields)
	if cmd.Subcommands != nil {
		n++
	}
	r.Map(n)
	for _, f := range fields {
		r.BulkString(f.k)
		r.BulkString(f.v)
	}
	if cmd.Subcommands != nil {
		subs := cmd.Subs()
		r.BulkString("subcommands")
		r.Map(len(subs))
		for _, s := range subs {
			r.BulkString(s.Name)
			replyCommandDocs(r, s)
		}
	}
}

// lookupFullName finds "get" or "config|get".
func lookupFullName(name []byte) *Command {
	if i := strings.IndexByte(string(name), '|'); i > 0 {
		parent := Lookup(name[:i])
		if parent == nil || parent.Subcommands == nil {
			return nil
		}
		return parent.LookupSub(name[i+1:])
	}
	return Lookup(name)
}

// ---------------------------------------------------------------------------
// Handlers

func commandAll(c *Ctx) {
	all := All()
	c.R.Array(len(all))
	for _, cmd := range all {
		replyCommandInfo(c.R, cmd)
	}
}

func commandCount(c *Ctx) { c.R.Int(int64(Count())) }

func commandInfo(c *Ctx) {
	if len(c.Args) == 2 {
		commandAll(c)
		return
	}
	c.R.Array(len(c.Args) - 2)
	for _, name := range c.Args[2:] {
		replyCommandInfo(c.R, lookupFullName(name))
	}
}

func commandDocs(c *Ctx) {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = All()
	} else {
		for _, name := range c.Args[2:] {
			if cmd := lookupFullName(name); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.R.Map(len(cmds))
	for _, cmd := range cmds {
		c.R.BulkString(cmd.Name)
		replyCommandDocs(c.R, cmd)
	}
}

func commandList(c *Ctx) {
	var match func(cmd *Command) bool
	for i := 2; i < len(c.Args); i++ {
		if !EqualFold(c.Args[i], "FILTERBY") || len(c.Args)-1-i != 2 {
			c.R.Error(ErrSyntax)
			return
		}
		arg := c.Args[i+2]
		switch kind := c.Args[i+1]; {
		case EqualFold(kind, "MODULE"):
			match = func(*Command) bool { return false } // no modules
		case EqualFold(kind, "ACLCAT"):
			cat := categoryByName(string(arg))
			match = func(cmd *Command) bool { return cat != 0 && cmd.Categories&cat != 0 }
		case EqualFold(kind, "PATTERN"):
			match = func(cmd *Command) bool { return GlobMatch(arg, []byte(cmd.Name), true) }
		default:
			c.R.Error(ErrSyntax)
			return
		}
		i += 2
	}
	var names []string
	for _, cmd := range All() {
		if match == nil || match(cmd) {
			names = append(names, cmd.Name)
		}
		for _, sub := range cmd.Subs() {
			if match == nil || match(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	c.R.BulkStrings(names)
}

func categoryByName(name string) Category {
	for i, n := range categoryNames {
		if strings.EqualFold(n, name) {
			return 1 << i
		}
	}
	return 0
}

func commandGetKeys(c *Ctx)         { getKeys(c, false) }
func commandGetKeysAndFlags(c *Ctx) { getKeys(c, true) }

func getKeys(c *Ctx, withFlags bool) {
	args := c.Args[2:]
	cmd := Lookup(args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) > 1 {
		cmd = cmd.LookupSub(args[1])
	}
	switch {
	case cmd == nil:
		c.R.Error("ERR Invalid command specified")
		return
	case !cmd.hasKeys():
		c.R.Error("ERR The command has no key arguments")
		return
	case (cmd.Arity > 0 && cmd.Arity != len(args)) || len(args) < -cmd.Arity:
		c.R.Error("ERR Invalid number of arguments specified for command")
		return
	}
	keys, ok := extractKeys(c.Client, cmd, args)
	if !ok || len(keys) == 0 {
		if ok && cmd.Flags&NoMandatoryKeys != 0 {
			c.R.Array(0)
			return
		}
		c.R.Error("ERR Invalid arguments specified for command")
		return
	}
	c.R.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.R.Bulk(k)
			continue
		}
		c.R.Array(2)
		c.R.Bulk(k)
		replyStatusSet(c.R, cmd.keyFlagsAt(args, argPos(args, k)))
	}
}

// extractKeys runs the command's key extraction; a command's Keys function
// that panics on malformed arguments must not take the server down.
func extractKeys(cl *server.Client, cmd *Command, args [][]byte) (keys [][]byte, ok bool) {
	defer func() {
		if recover() != nil {
			keys, ok = nil, false
		}
	}()
	if cmd.DBKeys != nil && cmd.Keys == nil && cmd.FirstKey <= 0 {
		_, keys = cmd.DBKeys(cl, args)
		return keys, true
	}
	return cmd.KeyArgs(nil, args), true
}

// argPos finds which argument k is (key functions return sub-slices of the
// arguments), or -1.
func argPos(args [][]byte, k []byte) int {
	for i, a := range args {
		if len(a) == len(k) && unsafe.SliceData(a) == unsafe.SliceData(k) {
			return i
		}
	}
	for i, a := range args {
		if string(a) == string(k) {
			return i
		}
	}
	return -1
}

func commandHelp(c *Ctx) {
	replyHelp(c,
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	)
}
