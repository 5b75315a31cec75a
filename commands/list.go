package commands

import (
	"github.com/shaledb/shale/encoding"
)

// List commands. Data-type logic lives in engine/list.go; this file parses
// arguments and formats replies. Blocking variants (BLPOP, ...) build on
// the same engine calls; every push commits through Tx, which fires the
// engine's OnModified hook for the key, so waking a blocked client is one
// hook call.

func init() {
	const wf = Write | DenyOOM | Fast
	const wcat = CatWrite | CatList | CatFast
	const wslow = CatWrite | CatList | CatSlow
	const rslow = CatRead | CatList | CatSlow
	k := func(c *Command, first, last int) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = first, last, 1, "list"
		return c
	}
	const pushCx = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
	Register(
		k(&Command{Name: "lpush", Arity: -3, Flags: wf, Categories: wcat, Handler: lpushCmd, Summary: "Prepend one or multiple elements to a list", Since: "1.0.0", Complexity: pushCx}, 1, 1),
		k(&Command{Name: "rpush", Arity: -3, Flags: wf, Categories: wcat, Handler: rpushCmd, Summary: "Append one or multiple elements to a list", Since: "1.0.0", Complexity: pushCx}, 1, 1),
		k(&Command{Name: "lpushx", Arity: -3, Flags: wf, Categories: wcat, Handler: lpushxCmd, Summary: "Prepend an element to a list, only if the list exists", Since: "2.2.0", Complexity: pushCx}, 1, 1),
		k(&Command{Name: "rpushx", Arity: -3, Flags: wf, Categories: wcat, Handler: rpushxCmd, Summary: "Append an element to a list, only if the list exists", Since: "2.2.0", Complexity: pushCx}, 1, 1),
		k(&Command{Name: "lpop", Arity: -2, Flags: Write | Fast, Categories: wcat, Handler: lpopCmd, Summary: "Remove and get the first elements in a list", Since: "1.0.0", Complexity: "O(N) where N is the number of elements returned"}, 1, 1),
		k(&Command{Name: "rpop", Arity: -2, Flags: Write | Fast, Categories: wcat, Handler: rpopCmd, Summary: "Remove and get the last elements in a list", Since: "1.0.0", Complexity: "O(N) where N is the number of elements returned"}, 1, 1),
		k(&Command{Name: "llen", Arity: 2, Flags: Readonly | Fast, Categories: CatRead | CatList | CatFast, Handler: llenCmd, Summary: "Get the length of a list", Since: "1.0.0", Complexity: "O(1)"}, 1, 1),
		k(&Command{Name: "lrange", Arity: 4, Flags: Readonly, Categories: rslow, Handler: lrangeCmd, Summary: "Get a range of elements from a list", Since: "1.0.0", Complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range."}, 1, 1),
		k(&Command{Name: "lindex", Arity: 3, Flags: Readonly, Categories: rslow, Handler: lindexCmd, Summary: "Get an element from a list by its index", Since: "1.0.0", Complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1)."}, 1, 1),
		k(&Command{Name: "lset", Arity: 4, Flags: Write | DenyOOM, Categories: wslow, Handler: lsetCmd, Summary: "Set the value of an element in a list by its index", Since: "1.0.0", Complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1)."}, 1, 1),
		k(&Command{Name: "linsert", Arity: 5, Flags: Write | DenyOOM, Categories: wslow, Handler: linsertCmd, Summary: "Insert an element before or after another element in a list", Since: "2.2.0", Complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N)."}, 1, 1),
		k(&Command{Name: "lrem", Arity: 4, Flags: Write, Categories: wslow, Handler: lremCmd, Summary: "Remove elements from a list", Since: "1.0.0", Complexity: "O(N+M) where N is the length of the list and M is the number of elements removed."}, 1, 1),
		k(&Command{Name: "ltrim", Arity: 4, Flags: Write, Categories: wslow, Handler: ltrimCmd, Summary: "Trim a list to the specified range", Since: "1.0.0", Complexity: "O(N) where N is the number of elements to be removed by the operation."}, 1, 1),
		k(&Command{Name: "lpos", Arity: -3, Flags: Readonly, Categories: rslow, Handler: lposCmd, Summary: "Return the index of matching elements on a list", Since: "6.0.6", Complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time."}, 1, 1),
		k(&Command{Name: "lmove", Arity: 5, Flags: Write | DenyOOM, Categories: wslow, Handler: lmoveCmd, Summary: "Pop an element from a list, push it to another list and return it", Since: "6.2.0", Complexity: "O(1)"}, 1, 2),
		k(&Command{Name: "rpoplpush", Arity: 3, Flags: Write | DenyOOM, Categories: wslow, Handler: rpoplpushCmd, Summary: "Remove the last element in a list, prepend it to another list and return it", Since: "1.2.0", Complexity: "O(1)"}, 1, 2),
		&Command{Name: "lmpop", Arity: -4, Flags: Write, Categories: wslow, Handler: lmpopCmd, Keys: mpopKeys, Group: "list", Summary: "Pop elements from a list", Since: "7.0.0", Complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned."},
	)
	// Key specs as Redis 7.0's COMMAND INFO reports them.
	lzKeySpecs(map[string][]KeySpec{
		"lpush":     {RangeSpec("RW insert", 1, 0, 1)},
		"rpush":     {RangeSpec("RW insert", 1, 0, 1)},
		"lpushx":    {RangeSpec("RW insert", 1, 0, 1)},
		"rpushx":    {RangeSpec("RW insert", 1, 0, 1)},
		"lpop":      {RangeSpec("RW access delete", 1, 0, 1)},
		"rpop":      {RangeSpec("RW access delete", 1, 0, 1)},
		"llen":      {RangeSpec("RO", 1, 0, 1)},
		"lrange":    {RangeSpec("RO access", 1, 0, 1)},
		"lindex":    {RangeSpec("RO access", 1, 0, 1)},
		"lset":      {RangeSpec("RW update", 1, 0, 1)},
		"linsert":   {RangeSpec("RW insert", 1, 0, 1)},
		"lrem":      {RangeSpec("RW delete", 1, 0, 1)},
		"ltrim":     {RangeSpec("RW delete", 1, 0, 1)},
		"lpos":      {RangeSpec("RO access", 1, 0, 1)},
		"lmove":     {RangeSpec("RW access delete", 1, 0, 1), RangeSpec("RW insert", 2, 0, 1)},
		"rpoplpush": {RangeSpec("RW access delete", 1, 0, 1), RangeSpec("RW insert", 2, 0, 1)},
		"lmpop":     {KeyNumSpec("RW access delete", 1, 0, 1, 1)},
	}, nil)
}

// lzKeySpecs gives registered commands their Redis 7.0 key specs and
// command tips (COMMAND INFO, COMMAND GETKEYSANDFLAGS).
func lzKeySpecs(specs map[string][]KeySpec, tips map[string][]string) {
	for name, ks := range specs {
		registry.cmds[name].KeySpecs = ks
	}
	for name, t := range tips {
		registry.cmds[name].Tips = t
	}
}

// lzStat counts a keyspace hit or miss for key, as Redis's lookupKeyRead
// does for read commands (a key of another type is a hit). The lookup is
// served from the Tx memo, since the command reads the key anyway.
func lzStat(c *Ctx, key []byte) {
	if ok, _ := c.Tx.Exists(key); ok {
		c.Eng.Stats.KeyspaceHits.Add(1)
	} else {
		c.Eng.Stats.KeyspaceMisses.Add(1)
	}
}

// lzFail reports an engine error and drops the command's pending writes,
// so a command that failed half-way commits nothing.
func lzFail(c *Ctx, err error) {
	c.Tx.Discard()
	c.Err(err)
}

// numKeysArg parses a numkeys argument at args[i] for commands whose keys
// follow it, returning the key slice (nil when invalid).
func numKeysArg(args [][]byte, i int) [][]byte {
	if i >= len(args) {
		return nil
	}
	n, ok := ParseInt(args[i])
	if !ok || n <= 0 || n > int64(len(args)-i-1) {
		return nil
	}
	return args[i+1 : i+1+int(n)]
}

// mpopKeys extracts LMPOP/ZMPOP's keys: numkeys key [key ...] ...
func mpopKeys(args [][]byte) [][]byte { return numKeysArg(args, 1) }

func pushGeneric(c *Ctx, left, onlyIfExists bool) {
	n, err := c.Tx.ListPush(c.Args[1], c.Args[2:], left, onlyIfExists)
	if err != nil {
		lzFail(c, err)
		return
	}
	c.R.Int(n)
	if n > 0 { // after the reply, as in Redis
		Notify(c, NotifyList, pushEvent(left), c.Args[1])
	}
}

func pushEvent(left bool) string {
	if left {
		return "lpush"
	}
	return "rpush"
}

func popEvent(left bool) string {
	if left {
		return "lpop"
	}
	return "rpop"
}

// notifyPopped raises the events of elements popped from key (after the
// reply, as Redis's listElementsRemoved).
func notifyPopped(c *Ctx, key []byte, left bool) {
	Notify(c, NotifyList, popEvent(left), key)
	NotifyIfRemoved(c, key)
}

func lpushCmd(c *Ctx)  { pushGeneric(c, true, false) }
func rpushCmd(c *Ctx)  { pushGeneric(c, false, false) }
func lpushxCmd(c *Ctx) { pushGeneric(c, true, true) }
func rpushxCmd(c *Ctx) { pushGeneric(c, false, true) }

func lpopCmd(c *Ctx) { popGeneric(c, true) }
func rpopCmd(c *Ctx) { popGeneric(c, false) }

// popGeneric implements LPOP/RPOP key [count].
func popGeneric(c *Ctx, left bool) {
	if len(c.Args) > 3 {
		c.WrongArity()
		return
	}
	hasCount := len(c.Args) == 3
	count := int64(1)
	if hasCount {
		n, ok := ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.R.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	if hasCount && count == 0 {
		// Redis checks the key (missing: null, wrong type: error) before
		// the fast empty reply.
		_, exists, err := c.Tx.LookupType(c.Args[1], encoding.TypeList)
		switch {
		case err != nil:
			c.Err(err)
		case !exists:
			c.R.NullArray()
		default:
			c.R.Array(0)
		}
		return
	}
	vals, exists, err := c.Tx.ListPop(c.Args[1], left, count)
	if err != nil {
		lzFail(c, err)
		return
	}
	if !exists {
		if hasCount {
			c.R.NullArray()
		} else {
			c.R.Null()
		}
		return
	}
	if !hasCount {
		c.R.Bulk(vals[0])
		notifyPopped(c, c.Args[1], left)
		return
	}
	c.R.Array(len(vals))
	for _, v := range vals {
		c.R.Bulk(v)
	}
	if len(vals) > 0 {
		notifyPopped(c, c.Args[1], left)
	}
}

func llenCmd(c *Ctx) {
	lzStat(c, c.Args[1])
	n, err := c.Tx.ListLen(c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

func lrangeCmd(c *Ctx) {
	start, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	stop, ok := c.ParseIntArg(c.Args[3])
	if !ok {
		return
	}
	lzStat(c, c.Args[1])
	mark := len(c.R.Buf)
	err := c.Tx.ListRange(c.Args[1], start, stop, func(n int64) { c.R.Array(int(n)) }, func(v []byte) { c.R.Bulk(v) })
	if err != nil {
		c.replyErrAt(mark, err)
	}
}

func lindexCmd(c *Ctx) {
	// Redis looks the key up (a hit or a miss; nil when missing,
	// WRONGTYPE) before it parses the index.
	lzStat(c, c.Args[1])
	if _, exists, err := c.Tx.LookupType(c.Args[1], encoding.TypeList); err != nil || !exists {
		if err != nil {
			c.Err(err)
		} else {
			c.R.Null()
		}
		return
	}
	idx, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	v, found, err := c.Tx.ListIndex(c.Args[1], idx)
	switch {
	case err != nil:
		c.Err(err)
	case !found:
		c.R.Null()
	default:
		c.R.Bulk(v)
	}
}

func lsetCmd(c *Ctx) {
	// The key is looked up before the index is parsed (ERR no such key).
	if _, exists, err := c.Tx.LookupType(c.Args[1], encoding.TypeList); err != nil || !exists {
		if err != nil {
			c.Err(err)
		} else {
			c.R.Error(ErrNoSuchKey)
		}
		return
	}
	idx, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	if err := c.Tx.ListSet(c.Args[1], idx, c.Args[3]); err != nil {
		lzFail(c, err)
		return
	}
	c.R.OK()
	Notify(c, NotifyList, "lset", c.Args[1]) // after the reply, as in Redis
}

func linsertCmd(c *Ctx) {
	var before bool
	switch {
	case EqualFold(c.Args[2], "before"):
		before = true
	case EqualFold(c.Args[2], "after"):
	default:
		c.R.Error(ErrSyntax)
		return
	}
	n, err := c.Tx.ListInsert(c.Args[1], before, c.Args[3], c.Args[4])
	if err != nil {
		lzFail(c, err)
		return
	}
	if n > 0 {
		Notify(c, NotifyList, "linsert", c.Args[1])
	}
	c.R.Int(n)
}

func lremCmd(c *Ctx) {
	count, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	n, err := c.Tx.ListRem(c.Args[1], count, c.Args[3])
	if err != nil {
		lzFail(c, err)
		return
	}
	if n > 0 {
		Notify(c, NotifyList, "lrem", c.Args[1])
		NotifyIfRemoved(c, c.Args[1])
	}
	c.R.Int(n)
}

func ltrimCmd(c *Ctx) {
	start, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	stop, ok := c.ParseIntArg(c.Args[3])
	if !ok {
		return
	}
	existed := keyExists(c, NotifyList, c.Args[1])
	if err := c.Tx.ListTrim(c.Args[1], start, stop); err != nil {
		lzFail(c, err)
		return
	}
	if existed { // even when nothing was trimmed, as in Redis
		Notify(c, NotifyList, "ltrim", c.Args[1])
		NotifyIfRemoved(c, c.Args[1])
	}
	c.R.OK()
}

// lposCmd implements LPOS key element [RANK rank] [COUNT num] [MAXLEN len].
func lposCmd(c *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	args := c.Args
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.R.Error(ErrSyntax)
			return
		}
		n, ok := ParseInt(args[i+1])
		switch {
		case EqualFold(args[i], "rank"):
			if !ok {
				c.R.Error(ErrNotInteger)
				return
			}
			if n == 0 {
				c.R.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = n
		case EqualFold(args[i], "count"):
			// getRangeLongFromObjectOrReply: one message for both.
			if !ok || n < 0 {
				c.R.Error("ERR COUNT can't be negative")
				return
			}
			count = n
		case EqualFold(args[i], "maxlen"):
			if !ok || n < 0 {
				c.R.Error("ERR MAXLEN can't be negative")
				return
			}
			maxlen = n
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	want := count
	if count < 0 {
		want = 1
	}
	lzStat(c, args[1])
	pos, err := c.Tx.ListPos(args[1], args[2], rank, want, maxlen)
	if err != nil {
		c.Err(err)
		return
	}
	if count < 0 {
		if len(pos) == 0 {
			c.R.Null()
		} else {
			c.R.Int(pos[0])
		}
		return
	}
	c.R.Array(len(pos))
	for _, p := range pos {
		c.R.Int(p)
	}
}

// parseWhere parses LEFT/RIGHT.
func parseWhere(b []byte) (left, ok bool) {
	switch {
	case EqualFold(b, "left"):
		return true, true
	case EqualFold(b, "right"):
		return false, true
	}
	return false, false
}

func lmoveCmd(c *Ctx) {
	srcLeft, ok1 := parseWhere(c.Args[3])
	dstLeft, ok2 := parseWhere(c.Args[4])
	if !ok1 || !ok2 {
		c.R.Error(ErrSyntax)
		return
	}
	moveGeneric(c, srcLeft, dstLeft)
}

func rpoplpushCmd(c *Ctx) { moveGeneric(c, false, true) }

func moveGeneric(c *Ctx, srcLeft, dstLeft bool) {
	v, ok, err := c.Tx.ListMove(c.Args[1], c.Args[2], srcLeft, dstLeft)
	switch {
	case err != nil:
		lzFail(c, err)
	case !ok:
		c.R.Null()
	default:
		// Redis's order: the push, the reply, then the pop.
		Notify(c, NotifyList, pushEvent(dstLeft), c.Args[2])
		c.R.Bulk(v)
		notifyPopped(c, c.Args[1], srcLeft)
	}
}

// parseMpop parses the tail shared by LMPOP and ZMPOP: numkeys key [key
// ...] <where> [COUNT count]. which maps the where keyword (e.g. LEFT) to
// a direction. It writes the error and returns ok false on bad input.
func parseMpop(c *Ctx, which func([]byte) (bool, bool)) (keys [][]byte, dir bool, count int64, ok bool) {
	args := c.Args
	n, isInt := ParseInt(args[1])
	if !isInt || n <= 0 {
		c.R.Error("ERR numkeys should be greater than 0")
		return nil, false, 0, false
	}
	if n > int64(len(args)-2) {
		c.R.Error(ErrSyntax)
		return nil, false, 0, false
	}
	keys = args[2 : 2+n]
	i := 2 + int(n)
	if i >= len(args) {
		c.R.Error(ErrSyntax)
		return nil, false, 0, false
	}
	dir, valid := which(args[i])
	if !valid {
		c.R.Error(ErrSyntax)
		return nil, false, 0, false
	}
	count = 1
	countSet := false
	for i++; i < len(args); i += 2 {
		if !countSet && EqualFold(args[i], "count") && i+1 < len(args) {
			v, isInt := ParseInt(args[i+1])
			if !isInt || v <= 0 {
				c.R.Error("ERR count should be greater than 0")
				return nil, false, 0, false
			}
			count, countSet = v, true
			continue
		}
		c.R.Error(ErrSyntax)
		return nil, false, 0, false
	}
	return keys, dir, count, true
}

// lmpopCmd implements LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count].
func lmpopCmd(c *Ctx) {
	keys, left, count, ok := parseMpop(c, parseWhere)
	if !ok {
		return
	}
	for _, k := range keys {
		vals, exists, err := c.Tx.ListPop(k, left, count)
		if err != nil {
			lzFail(c, err)
			return
		}
		if !exists {
			continue
		}
		c.R.Array(2)
		c.R.Bulk(k)
		c.R.Array(len(vals))
		for _, v := range vals {
			c.R.Bulk(v)
		}
		notifyPopped(c, k, left)
		return
	}
	c.R.NullArray()
}
