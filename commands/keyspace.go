package commands

import (
	"math"
	"strconv"
	"strings"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
)

// Generic keyspace commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX COPY MOVE
// SWAPDB KEYS SCAN RANDOMKEY TOUCH OBJECT DBSIZE FLUSHDB FLUSHALL.

func init() {
	const kw = CatKeyspace | CatWrite
	const kr = CatKeyspace | CatRead
	Register(
		&Command{Name: "del", Arity: -2, Flags: Write, FirstKey: 1, LastKey: -1, Step: 1, Categories: kw | CatSlow, Handler: del, Group: "generic", Summary: "Delete a key", Since: "1.0.0", Complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", Tips: []string{"request_policy:multi_shard", "response_policy:agg_sum"}, KeySpecs: []KeySpec{RangeSpec("RM delete", 1, -1, 1)}},
		&Command{Name: "unlink", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: -1, Step: 1, Categories: kw | CatFast, Handler: del, Group: "generic", Summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", Since: "4.0.0", Complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", Tips: []string{"request_policy:multi_shard", "response_policy:agg_sum"}, KeySpecs: []KeySpec{RangeSpec("RM delete", 1, -1, 1)}},
		&Command{Name: "exists", Arity: -2, Flags: Readonly | Fast, FirstKey: 1, LastKey: -1, Step: 1, Categories: kr | CatFast, Handler: exists, Group: "generic", Summary: "Determine if a key exists", Since: "1.0.0", Complexity: "O(N) where N is the number of keys to check.", Tips: []string{"request_policy:multi_shard", "response_policy:agg_sum"}, KeySpecs: []KeySpec{RangeSpec("RO", 1, -1, 1)}},
		&Command{Name: "type", Arity: 2, Flags: Readonly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: kr | CatFast, Handler: typeCmd, Group: "generic", Summary: "Determine the type stored at key", Since: "1.0.0", Complexity: "O(1)", KeySpecs: []KeySpec{RangeSpec("RO", 1, 0, 1)}},
		&Command{Name: "rename", Arity: 3, Flags: Write, FirstKey: 1, LastKey: 2, Step: 1, Categories: kw | CatSlow, Handler: rename, Group: "generic", Summary: "Rename a key", Since: "1.0.0", Complexity: "O(1)", KeySpecs: []KeySpec{RangeSpec("RW access delete", 1, 0, 1), RangeSpec("OW update", 2, 0, 1)}},
		&Command{Name: "renamenx", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, Categories: kw | CatFast, Handler: rename, Group: "generic", Summary: "Rename a key, only if the new key does not exist", Since: "1.0.0", Complexity: "O(1)", KeySpecs: []KeySpec{RangeSpec("RW access delete", 1, 0, 1), RangeSpec("OW insert", 2, 0, 1)}},
		&Command{Name: "copy", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Categories: kw | CatSlow, Handler: copyCmd, DBKeys: copyDBKeys, Group: "generic", Summary: "Copy a key", Since: "6.2.0", Complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", KeySpecs: []KeySpec{RangeSpec("RO access", 1, 0, 1), RangeSpec("OW update", 2, 0, 1)}},
		&Command{Name: "move", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: kw | CatFast, Handler: move, DBKeys: moveDBKeys, Group: "generic", Summary: "Move a key to another database", Since: "1.0.0", Complexity: "O(1)", KeySpecs: []KeySpec{RangeSpec("RW access update", 1, 0, 1)}},
		&Command{Name: "swapdb", Arity: 3, Flags: Write | Fast, Categories: kw | CatFast | CatDangerous, Handler: swapdb, Lock: LockWorld, Group: "server", Summary: "Swaps two Redis databases", Since: "4.0.0", Complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases."},
		&Command{Name: "keys", Arity: 2, Flags: Readonly, Categories: kr | CatSlow | CatDangerous, Handler: keys, Group: "generic", Summary: "Find all keys matching the given pattern", Since: "1.0.0", Complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", Tips: []string{"request_policy:all_shards", "nondeterministic_output_order"}},
		&Command{Name: "scan", Arity: -2, Flags: Readonly, Categories: kr | CatSlow, Handler: scan, Group: "generic", Summary: "Incrementally iterate the keys space", Since: "2.8.0", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", Tips: []string{"nondeterministic_output", "request_policy:special"}},
		&Command{Name: "randomkey", Arity: 1, Flags: Readonly, Categories: kr | CatSlow, Handler: randomkey, Group: "generic", Summary: "Return a random key from the keyspace", Since: "1.0.0", Complexity: "O(1)", Tips: []string{"request_policy:all_shards", "nondeterministic_output"}},
		&Command{Name: "touch", Arity: -2, Flags: Readonly | Fast, FirstKey: 1, LastKey: -1, Step: 1, Categories: kr | CatFast, Handler: touch, Group: "generic", Summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", Since: "3.2.1", Complexity: "O(N) where N is the number of keys that will be touched.", Tips: []string{"request_policy:multi_shard", "response_policy:agg_sum"}, KeySpecs: []KeySpec{RangeSpec("RO", 1, -1, 1)}},
		&Command{Name: "object", Arity: -2, Categories: CatSlow, Group: "generic", Summary: "A container for object introspection commands", Since: "2.2.3", Complexity: "Depends on subcommand."},
		&Command{Name: "object|encoding", Arity: 3, Flags: Readonly, FirstKey: 2, LastKey: 2, Step: 1, Categories: kr | CatSlow, Handler: objectEncoding, Summary: "Inspect the internal encoding of a Redis object", Since: "2.2.3", Complexity: "O(1)", Tips: []string{"nondeterministic_output"}, KeySpecs: []KeySpec{RangeSpec("RO", 2, 0, 1)}},
		&Command{Name: "object|freq", Arity: 3, Flags: Readonly, FirstKey: 2, LastKey: 2, Step: 1, Categories: kr | CatSlow, Handler: objectFreq, Summary: "Get the logarithmic access frequency counter of a Redis object", Since: "4.0.0", Complexity: "O(1)", Tips: []string{"nondeterministic_output"}, KeySpecs: []KeySpec{RangeSpec("RO", 2, 0, 1)}},
		&Command{Name: "object|idletime", Arity: 3, Flags: Readonly, FirstKey: 2, LastKey: 2, Step: 1, Categories: kr | CatSlow, Handler: objectIdletime, Summary: "Get the time since a Redis object was last accessed", Since: "2.2.3", Complexity: "O(1)", Tips: []string{"nondeterministic_output"}, KeySpecs: []KeySpec{RangeSpec("RO", 2, 0, 1)}},
		&Command{Name: "object|refcount", Arity: 3, Flags: Readonly, FirstKey: 2, LastKey: 2, Step: 1, Categories: kr | CatSlow, Handler: objectRefcount, Summary: "Get the number of references to the value of the key", Since: "2.2.3", Complexity: "O(1)", Tips: []string{"nondeterministic_output"}, KeySpecs: []KeySpec{RangeSpec("RO", 2, 0, 1)}},
		&Command{Name: "object|help", Arity: 2, Flags: Loading | Stale, Categories: CatKeyspace | CatSlow, Handler: objectHelp, Summary: "Show helpful text about the different subcommands", Since: "6.2.0", Complexity: "O(1)"},
		&Command{Name: "dbsize", Arity: 1, Flags: Readonly | Fast, Categories: kr | CatFast, Handler: dbsize, Group: "server", Summary: "Return the number of keys in the selected database", Since: "1.0.0", Complexity: "O(1)", Tips: []string{"request_policy:all_shards", "response_policy:agg_sum"}},
		&Command{Name: "flushdb", Arity: -1, Flags: Write, Categories: kw | CatSlow | CatDangerous, Handler: flushdb, Lock: LockWorld, Group: "server", Summary: "Remove all keys from the current database", Since: "1.0.0", Complexity: "O(N) where N is the number of keys in the selected database", Tips: []string{"request_policy:all_shards", "response_policy:all_succeeded"}},
		&Command{Name: "flushall", Arity: -1, Flags: Write, Categories: kw | CatSlow | CatDangerous, Handler: flushall, Lock: LockWorld, Group: "server", Summary: "Remove all keys from all databases", Since: "1.0.0", Complexity: "O(N) where N is the total number of keys in all databases", Tips: []string{"request_policy:all_shards", "response_policy:all_succeeded"}},
	)
}

// Error texts of this file (Redis 7.0 wording).
const (
	errSameObject  = "ERR source and destination objects are the same"
	errIntRange    = "ERR value is out of range, value must between -2147483648 and 2147483647"
	errLFUNotSet   = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFUSelected = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// fail reports a storage error and drops the command's pending writes (and
// their keyspace events), so a half-done multi-key command is not committed.
func (c *Ctx) fail(err error) {
	c.Tx.Discard()
	c.notes = nil
	c.Err(err)
}

func (c *Ctx) hit()  { c.Eng.Stats.KeyspaceHits.Add(1) }
func (c *Ctx) miss() { c.Eng.Stats.KeyspaceMisses.Add(1) }

// del is DEL and UNLINK (deleting is O(1) per key either way: a big value's
// records go with one range deletion).
func del(c *Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		ok, err := c.Tx.Delete(k)
		if err != nil {
			c.fail(err)
			return
		}
		if ok {
			n++
			Notify(c, NotifyGeneric, "del", k)
		}
	}
	c.R.Int(n)
}

// exists counts every argument that names an existing key (repeats count).
func exists(c *Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		ok, err := c.Tx.Exists(k)
		if err != nil {
			c.Err(err)
			return
		}
		if ok {
			n++
			c.hit()
		} else {
			c.miss()
		}
	}
	c.R.Int(n)
}

// touch is EXISTS for our purposes: access times are not tracked.
func touch(c *Ctx) { exists(c) }

func typeCmd(c *Ctx) {
	m, ok, err := c.Tx.Lookup(c.Args[1])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.miss()
		c.R.Status("none")
	default:
		c.hit()
		c.R.Status(m.Type.String())
	}
}

// rename is RENAME and RENAMENX.
func rename(c *Ctx) {
	nx := c.Cmd.Name == "renamenx"
	res, err := c.Tx.Rename(c.Args[1], c.Args[2], nx)
	switch {
	case err != nil:
		c.fail(err)
	case res == engine.RenameNoKey:
		c.R.Error(ErrNoSuchKey)
	case nx && res == engine.RenameExists:
		c.R.Int(0)
	default:
		if string(c.Args[1]) != string(c.Args[2]) {
			Notify(c, NotifyGeneric, "rename_from", c.Args[1])
			Notify(c, NotifyGeneric, "rename_to", c.Args[2])
		}
		if nx {
			c.R.Int(1)
		} else {
			c.R.OK()
		}
	}
}

// parseIntDB parses a database argument as Redis's getIntFromObjectOrReply:
// not an integer -> msg (or the generic integer error), outside int32 ->
// msg (or the range error).
func parseIntDB(arg []byte, msg string) (int, string) {
	n, ok := ParseInt(arg)
	if !ok {
		if msg != "" {
			return 0, msg
		}
		return 0, ErrNotInteger
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		if msg != "" {
			return 0, msg
		}
		return 0, errIntRange
	}
	return int(n), ""
}

// validDB reports whether db is a database index of this server.
func (c *Ctx) validDB(db int) bool { return db >= 0 && db < c.Eng.Databases() }

// copyDBKeys gives COPY's keys: the source in the client's database, the
// destination in the DB option's database when it is valid.
func copyDBKeys(c *server.Client, args [][]byte) ([]int, [][]byte) {
	dst := c.DB
	for i := 3; i+1 < len(args); i++ {
		if EqualFold(args[i], "db") {
			if n, msg := parseIntDB(args[i+1], ""); msg == "" && n >= 0 && n < c.Server().Engine.Databases() {
				dst = n
			}
			i++
		}
	}
	return []int{c.DB, dst}, [][]byte{args[1], args[2]}
}

// moveDBKeys gives MOVE's key in both databases.
func moveDBKeys(c *server.Client, args [][]byte) ([]int, [][]byte) {
	dst := c.DB
	if n, msg := parseIntDB(args[2], ""); msg == "" && n >= 0 && n < c.Server().Engine.Databases() {
		dst = n
	}
	return []int{c.DB, dst}, [][]byte{args[1], args[1]}
}

// copyCmd implements COPY source destination [DB destination-db] [REPLACE].
func copyCmd(c *Ctx) {
	args := c.Args
	dst := c.DB
	replace := false
	for i := 3; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "replace"):
			replace = true
		case EqualFold(args[i], "db") && i+1 < len(args):
			n, msg := parseIntDB(args[i+1], "")
			if msg != "" {
				c.R.Error(msg)
				return
			}
			if !c.validDB(n) {
				c.R.Error(ErrDBIndex)
				return
			}
			dst = n
			i++
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	if dst == c.DB && string(args[1]) == string(args[2]) {
		c.R.Error(errSameObject)
		return
	}
	ok, err := c.Tx.Exists(args[1])
	if err != nil {
		c.Err(err)
		return
	}
	if !ok {
		c.miss()
		c.R.Int(0)
		return
	}
	c.hit()
	copied, err := c.Tx.CopyKey(args[1], dst, args[2], replace)
	if err != nil {
		c.fail(err)
		return
	}
	if copied {
		NotifyDB(c, NotifyGeneric, "copy_to", args[2], dst)
		c.R.Int(1)
	} else {
		c.R.Int(0)
	}
}

// move implements MOVE key db.
func move(c *Ctx) {
	dst, msg := parseIntDB(c.Args[2], "")
	if msg != "" {
		c.R.Error(msg)
		return
	}
	if !c.validDB(dst) {
		c.R.Error(ErrDBIndex)
		return
	}
	if dst == c.DB {
		c.R.Error(errSameObject)
		return
	}
	moved, err := c.Tx.MoveKey(c.Args[1], dst)
	if err != nil {
		c.fail(err)
		return
	}
	if moved {
		Notify(c, NotifyGeneric, "move_from", c.Args[1])
		NotifyDB(c, NotifyGeneric, "move_to", c.Args[1], dst)
		c.R.Int(1)
	} else {
		c.R.Int(0)
	}
}

// swapdb implements SWAPDB index1 index2 (runs with the world lock).
func swapdb(c *Ctx) {
	a, msg := parseIntDB(c.Args[1], "ERR invalid first DB index")
	if msg != "" {
		c.R.Error(msg)
		return
	}
	b, msg := parseIntDB(c.Args[2], "ERR invalid second DB index")
	if msg != "" {
		c.R.Error(msg)
		return
	}
	if !c.validDB(a) || !c.validDB(b) {
		c.R.Error(ErrDBIndex)
		return
	}
	if err := c.Eng.SwapDB(a, b); err != nil {
		c.Err(err)
		return
	}
	c.R.OK()
}

// matchAll reports whether a MATCH/KEYS pattern is the bare "*", which
// Redis short-circuits (so it also matches the empty key).
func matchAll(p []byte) bool { return len(p) == 1 && p[0] == '*' }

// keys implements KEYS pattern.
func keys(c *Ctx) {
	pat := c.Args[1]
	all := matchAll(pat)
	// The count is only known at the end: reserve the header's place.
	mark := len(c.R.Buf)
	var n int
	err := c.Eng.ForEachKey(c.DB, c.Tx.Now, func(k []byte, _ encoding.Type) bool {
		if all || GlobMatch(pat, k, false) {
			c.R.Bulk(k)
			n++
		}
		return true
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.R.Buf = insertArrayHeader(c.R.Buf, mark, n)
}

// insertArrayHeader inserts "*n\r\n" at position mark of buf.
func insertArrayHeader(buf []byte, mark, n int) []byte {
	var tmp [24]byte
	h := append(tmp[:0], '*')
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, '\r', '\n')
	buf = append(buf, h...)
	copy(buf[mark+len(h):], buf[mark:len(buf)-len(h)])
	copy(buf[mark:], h)
	return buf
}

// parseCursor parses a SCAN cursor as Redis's strtoul does: optional sign
// ("-1" wraps around), decimal digits, nothing after; a leading space or an
// overflow is an error.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true // strtoul("") consumes nothing and ends on the NUL
	}
	if b[0] == ' ' || (b[0] >= '\t' && b[0] <= '\r') {
		return 0, false
	}
	i, neg := 0, false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d-'0'))/10 {
			return 0, false // ERANGE
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// scan implements SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
func scan(c *Ctx) {
	cursor, ok := parseCursor([]byte(CString(c.Args[1]))) // a C string to Redis: up to a NUL
	if !ok {
		c.R.Error("ERR invalid cursor")
		return
	}
	count := int64(10)
	var pat, typ []byte
	usePat := false
	args := c.Args
	for i := 2; i < len(args); i += 2 {
		more := i+1 < len(args)
		switch {
		case EqualFold(args[i], "count") && more:
			n, ok := ParseInt(args[i+1])
			if !ok {
				c.R.Error(ErrNotInteger)
				return
			}
			if n < 1 {
				c.R.Error(ErrSyntax)
				return
			}
			count = n
		case EqualFold(args[i], "match") && more:
			pat = args[i+1]
			usePat = !matchAll(pat)
		case EqualFold(args[i], "type") && more:
			typ = args[i+1]
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	if count > 1<<20 {
		count = 1 << 20 // a hint: keep one reply bounded
	}
	var found [][]byte
	next, err := c.Eng.Scan(c.DB, cursor, int(count), c.Tx.Now, func(k []byte, t encoding.Type) {
		if usePat && !GlobMatch(pat, k, false) {
			return
		}
		if typ != nil {
			c.hit() // Redis looks the key up to learn its type
			if !EqualFold(typ, t.String()) {
				return
			}
		}
		found = append(found, append([]byte(nil), k...))
	})
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Array(2)
	var tmp [24]byte
	c.R.Bulk(strconv.AppendUint(tmp[:0], next, 10))
	c.R.Array(len(found))
	for _, k := range found {
		c.R.Bulk(k)
	}
}

func randomkey(c *Ctx) {
	k, err := c.Eng.RandomKey(c.DB, c.Tx.Now)
	switch {
	case err != nil:
		c.Err(err)
	case k == nil:
		c.R.Null()
	default:
		c.R.Bulk(k)
	}
}

func dbsize(c *Ctx) { c.R.Int(c.Eng.DBSize(c.DB)) }

// flushArgs checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC (both run the
// same way: dropping a database is one range deletion either way).
func flushArgs(c *Ctx) bool {
	switch {
	case len(c.Args) == 1:
	case len(c.Args) == 2 && (EqualFold(c.Args[1], "async") || EqualFold(c.Args[1], "sync")):
	default:
		c.R.Error(ErrSyntax)
		return false
	}
	return true
}

func flushdb(c *Ctx) {
	if !flushArgs(c) {
		return
	}
	if _, err := c.Eng.FlushDB(c.DB); err != nil {
		c.Err(err)
		return
	}
	c.R.OK()
}

func flushall(c *Ctx) {
	if !flushArgs(c) {
		return
	}
	if _, err := c.Eng.FlushAll(); err != nil {
		c.Err(err)
		return
	}
	c.R.OK()
}

// objectLookup looks up OBJECT's key, replying nil when it is missing.
func objectLookup(c *Ctx) (encoding.Metadata, bool) {
	m, ok, err := c.Tx.Lookup(c.Args[2])
	switch {
	case err != nil:
		c.Err(err)
		return m, false
	case !ok:
		c.miss()
		c.R.Null()
		return m, false
	}
	c.hit()
	return m, true
}

func objectEncoding(c *Ctx) {
	if m, ok := objectLookup(c); ok {
		c.R.BulkString(c.Tx.ObjectEncoding(c.Args[2], m))
	}
}

// lfuPolicy reports whether maxmemory-policy is an LFU policy.
func (c *Ctx) lfuPolicy() bool {
	return strings.HasSuffix(c.Srv.Config.Get("maxmemory-policy"), "-lfu")
}

// objectFreq: access frequency is not tracked; a key reads as freshly
// created (Redis's LFU_INIT_VAL).
func objectFreq(c *Ctx) {
	if _, ok := objectLookup(c); !ok {
		return
	}
	if !c.lfuPolicy() {
		c.R.Error(errLFUNotSet)
		return
	}
	c.R.Int(5)
}

// objectIdletime: access time is not tracked yet, so it reads 0.
func objectIdletime(c *Ctx) {
	if _, ok := objectLookup(c); !ok {
		return
	}
	if c.lfuPolicy() {
		c.R.Error(errLFUSelected)
		return
	}
	c.R.Int(0)
}

// objectRefcount is 1, except for the small integers Redis shares
// (0..9999, unless maxmemory is set with an LRU/LFU policy).
func objectRefcount(c *Ctx) {
	m, ok := objectLookup(c)
	if !ok {
		return
	}
	if m.IsInlineString() && m.Flags&(encoding.FlagStringRaw|encoding.FlagStringNoInt|encoding.FlagStringUnshared) == 0 {
		pol := c.Srv.Config.Get("maxmemory-policy")
		sharing := c.Srv.Config.Int("maxmemory") == 0 || !(strings.HasSuffix(pol, "-lru") || strings.HasSuffix(pol, "-lfu"))
		if engine.SharedInteger(m.Value, sharing) {
			c.R.Int(math.MaxInt32)
			return
		}
	}
	c.R.Int(1)
}

var objectHelpLines = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func objectHelp(c *Ctx) {
	c.R.Array(len(objectHelpLines))
	for _, l := range objectHelpLines {
		c.R.Status(l)
	}
}
