package commands

import (
	"slices"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
)

// Set commands. Data-type logic lives in engine/set.go; this file parses
// arguments and formats replies.

func init() {
	const wcat = CatWrite | CatSet | CatFast
	const rcat = CatRead | CatSet | CatFast
	const rslow = CatRead | CatSet | CatSlow
	const wslow = CatWrite | CatSet | CatSlow
	keys := func(c *Command, first, last int) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = first, last, 1, "set"
		return c
	}
	Register(
		keys(&Command{Name: "sadd", Arity: -3, Flags: Write | DenyOOM | Fast, Categories: wcat, Handler: sadd, Summary: "Add one or more members to a set", Since: "1.0.0", Complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."}, 1, 1),
		keys(&Command{Name: "srem", Arity: -3, Flags: Write | Fast, Categories: wcat, Handler: srem, Summary: "Remove one or more members from a set", Since: "1.0.0", Complexity: "O(N) where N is the number of members to be removed."}, 1, 1),
		keys(&Command{Name: "smembers", Arity: 2, Flags: Readonly, Categories: rslow, Handler: smembers, Summary: "Get all the members in a set", Since: "1.0.0", Complexity: "O(N) where N is the set cardinality."}, 1, 1),
		keys(&Command{Name: "scard", Arity: 2, Flags: Readonly | Fast, Categories: rcat, Handler: scard, Summary: "Get the number of members in a set", Since: "1.0.0", Complexity: "O(1)"}, 1, 1),
		keys(&Command{Name: "sismember", Arity: 3, Flags: Readonly | Fast, Categories: rcat, Handler: sismember, Summary: "Determine if a given value is a member of a set", Since: "1.0.0", Complexity: "O(1)"}, 1, 1),
		keys(&Command{Name: "smismember", Arity: -3, Flags: Readonly | Fast, Categories: rcat, Handler: smismember, Summary: "Returns the membership associated with the given elements for a set", Since: "6.2.0", Complexity: "O(N) where N is the number of elements being checked for membership"}, 1, 1),
		keys(&Command{Name: "spop", Arity: -2, Flags: Write | Fast, Categories: wcat, Handler: spop, Summary: "Remove and return one or multiple random members from a set", Since: "1.0.0", Complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."}, 1, 1),
		keys(&Command{Name: "srandmember", Arity: -2, Flags: Readonly, Categories: rslow, Handler: srandmember, Summary: "Get one or multiple random members from a set", Since: "1.0.0", Complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count."}, 1, 1),
		keys(&Command{Name: "smove", Arity: 4, Flags: Write | Fast, Categories: wcat, Handler: smove, Summary: "Move a member from one set to another", Since: "1.0.0", Complexity: "O(1)"}, 1, 2),
		keys(&Command{Name: "sunion", Arity: -2, Flags: Readonly, Categories: rslow, Handler: sunion, Summary: "Add multiple sets", Since: "1.0.0", Complexity: "O(N) where N is the total number of elements in all given sets."}, 1, -1),
		keys(&Command{Name: "sinter", Arity: -2, Flags: Readonly, Categories: rslow, Handler: sinter, Summary: "Intersect multiple sets", Since: "1.0.0", Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."}, 1, -1),
		keys(&Command{Name: "sdiff", Arity: -2, Flags: Readonly, Categories: rslow, Handler: sdiff, Summary: "Subtract multiple sets", Since: "1.0.0", Complexity: "O(N) where N is the total number of elements in all given sets."}, 1, -1),
		keys(&Command{Name: "sunionstore", Arity: -3, Flags: Write | DenyOOM, Categories: wslow, Handler: sunionstore, Summary: "Add multiple sets and store the resulting set in a key", Since: "1.0.0", Complexity: "O(N) where N is the total number of elements in all given sets."}, 1, -1),
		keys(&Command{Name: "sinterstore", Arity: -3, Flags: Write | DenyOOM, Categories: wslow, Handler: sinterstore, Summary: "Intersect multiple sets and store the resulting set in a key", Since: "1.0.0", Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."}, 1, -1),
		keys(&Command{Name: "sdiffstore", Arity: -3, Flags: Write | DenyOOM, Categories: wslow, Handler: sdiffstore, Summary: "Subtract multiple sets and store the resulting set in a key", Since: "1.0.0", Complexity: "O(N) where N is the total number of elements in all given sets."}, 1, -1),
		&Command{Name: "sintercard", Arity: -3, Flags: Readonly, Categories: rslow, Handler: sintercard, Keys: sintercardKeys, Group: "set", Summary: "Intersect multiple sets and return the cardinality of the result", Since: "7.0.0", Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."},
		keys(&Command{Name: "sscan", Arity: -3, Flags: Readonly, Categories: rslow, Handler: sscan, Summary: "Incrementally iterate Set elements", Since: "2.8.0", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."}, 1, 1),
	)
}

func sadd(c *Ctx) {
	n, err := c.Tx.SetAdd(c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	if n > 0 {
		Notify(c, NotifySet, "sadd", c.Args[1])
	}
	c.R.Int(n)
}

func srem(c *Ctx) {
	n, err := c.Tx.SetRem(c.Args[1], c.Args[2:])
	c.replyRemoved(n, err, NotifySet, "srem")
}

func smembers(c *Ctx) {
	mark := len(c.R.Buf)
	n := 0
	err := c.Tx.SetMembers(c.Args[1], func(m []byte) error {
		c.R.Bulk(m)
		n++
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(mark, hdrSet, n)
}

func scard(c *Ctx) { c.replyInt(c.Tx.SetCard(c.Args[1])) }

func sismember(c *Ctx) { c.replyBool(c.Tx.SetIsMember(c.Args[1], c.Args[2])) }

func smismember(c *Ctx) {
	mark := len(c.R.Buf)
	c.R.Array(len(c.Args) - 2)
	err := c.Tx.SetMIsMember(c.Args[1], c.Args[2:], func(ok bool) {
		if ok {
			c.R.Int(1)
		} else {
			c.R.Int(0)
		}
	})
	if err != nil {
		c.replyErrAt(mark, err)
	}
}

// spop implements SPOP key [count].
func spop(c *Ctx) {
	args := c.Args
	switch {
	case len(args) > 3:
		c.R.Error(ErrSyntax)
		return
	case len(args) == 2:
		m, ok, err := c.Tx.SetPop(args[1])
		switch {
		case err != nil:
			c.Err(err)
		case !ok:
			c.R.Null()
		default:
			Notify(c, NotifySet, "spop", args[1])
			c.R.Bulk(m)
			NotifyIfRemoved(c, args[1]) // after the reply, as in Redis
		}
		return
	}
	count, ok := ParseInt(args[2])
	if !ok || count < 0 {
		c.R.Error("ERR value is out of range, must be positive")
		return
	}
	mark := len(c.R.Buf)
	n := 0
	_, err := c.Tx.SetPopCount(args[1], count, func(m []byte) error {
		c.R.Bulk(m)
		n++
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	if n > 0 {
		NotifyAt(c, NotifySet, "spop", args[1], mark) // before the reply, as in Redis
	}
	c.deferHeader(mark, hdrSet, n)
	if n > 0 {
		NotifyIfRemoved(c, args[1])
	}
}

// srandmember implements SRANDMEMBER key [count].
func srandmember(c *Ctx) {
	args := c.Args
	switch {
	case len(args) > 3:
		c.R.Error(ErrSyntax)
		return
	case len(args) == 2:
		m, ok, err := c.Tx.SetRandom(args[1])
		switch {
		case err != nil:
			c.Err(err)
		case !ok:
			c.R.Null()
		default:
			c.R.Bulk(m)
		}
		return
	}
	count, ok := c.parseRandCount(args[2])
	if !ok {
		return
	}
	if count < -randCountMax {
		c.R.Error("ERR value is out of range")
		return
	}
	mark := len(c.R.Buf)
	n := 0
	_, err := c.Tx.SetRandomCount(args[1], count, func(m []byte) error {
		c.R.Bulk(m)
		n++
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(mark, hdrArray, n)
}

func smove(c *Ctx) {
	src, dst, member := c.Args[1], c.Args[2], c.Args[3]
	// Whether dst gains the member decides its "sadd" event.
	dstHad := false
	if NotifyOn(c, NotifySet) && string(src) != string(dst) {
		dstHad, _ = c.Tx.SetIsMember(dst, member)
	}
	ok, err := c.Tx.SetMove(src, dst, member)
	if err != nil {
		c.Err(err)
		return
	}
	if ok && string(src) != string(dst) {
		Notify(c, NotifySet, "srem", src)
		NotifyIfRemoved(c, src)
		if !dstHad {
			Notify(c, NotifySet, "sadd", dst)
		}
	}
	if ok {
		c.R.Int(1)
	} else {
		c.R.Int(0)
	}
}

// setAlgebraReply streams the result of SUNION/SINTER/SDIFF. A union or
// difference that Redis would build as an intset (at most 512 members, all
// integers) is replied in numeric order, as Redis does.
func setAlgebraReply(c *Ctx, op engine.SetOp) {
	mark := len(c.R.Buf)
	n := 0
	var ints []int64 // the result while it could still be an intset
	intset := op != engine.SetInter
	err := c.Tx.SetAlgebra(op, c.Args[1:], func(m []byte) error {
		c.R.Bulk(m)
		n++
		if intset {
			v, ok := engine.ParseInt64(m)
			if !ok || n > 512 {
				intset, ints = false, nil
			} else {
				ints = append(ints, v)
			}
		}
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	if intset && n > 1 {
		slices.Sort(ints)
		c.R.Buf = c.R.Buf[:mark]
		for _, v := range ints {
			c.R.BulkInt(v)
		}
	}
	c.deferHeader(mark, hdrSet, n)
}

func sunion(c *Ctx) { setAlgebraReply(c, engine.SetUnion) }
func sinter(c *Ctx) { setAlgebraReply(c, engine.SetInter) }
func sdiff(c *Ctx)  { setAlgebraReply(c, engine.SetDiff) }

func setAlgebraStore(c *Ctx, op engine.SetOp) {
	dst := c.Args[1]
	existed := keyExists(c, NotifyGeneric, dst)
	n, err := c.Tx.SetAlgebraStore(op, dst, c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
	// After the reply, as in Redis.
	switch {
	case n > 0:
		Notify(c, NotifySet, storeEvents[op], dst)
	case existed:
		Notify(c, NotifyGeneric, "del", dst)
	}
}

var storeEvents = map[engine.SetOp]string{engine.SetUnion: "sunionstore", engine.SetInter: "sinterstore", engine.SetDiff: "sdiffstore"}

func sunionstore(c *Ctx) { setAlgebraStore(c, engine.SetUnion) }
func sinterstore(c *Ctx) { setAlgebraStore(c, engine.SetInter) }
func sdiffstore(c *Ctx)  { setAlgebraStore(c, engine.SetDiff) }

// sintercardNumKeys parses SINTERCARD's numkeys (0 when invalid).
func sintercardNumKeys(args [][]byte) int64 {
	if len(args) < 2 {
		return 0
	}
	n, ok := ParseInt(args[1])
	if !ok || n < 1 || n > int64(len(args)-2) {
		return 0
	}
	return n
}

// sintercardKeys extracts SINTERCARD's keys for locking (none when numkeys
// is invalid: the handler then fails before touching any key).
func sintercardKeys(args [][]byte) [][]byte {
	n := sintercardNumKeys(args)
	if n == 0 {
		return nil
	}
	return args[2 : 2+n]
}

// sintercard implements SINTERCARD numkeys key [key ...] [LIMIT limit].
func sintercard(c *Ctx) {
	args := c.Args
	numkeys, ok := ParseInt(args[1])
	if !ok || numkeys < 1 {
		c.R.Error("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(args)-2) {
		c.R.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(args); j++ {
		if EqualFold(args[j], "limit") && j+1 < len(args) {
			j++
			l, ok := ParseInt(args[j])
			if !ok || l < 0 {
				c.R.Error("ERR LIMIT can't be negative")
				return
			}
			limit = l
			continue
		}
		c.R.Error(ErrSyntax)
		return
	}
	n, err := c.Tx.SetInterCard(args[2:2+numkeys], limit)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

func sscan(c *Ctx) {
	cursor, o, ok := c.collScan(encoding.TypeSet)
	if !ok {
		return
	}
	mark := len(c.R.Buf)
	n := 0
	next, err := c.Tx.SetScan(c.Args[1], cursor, o.count, func(m []byte) error {
		if o.match(m) {
			c.R.Bulk(m)
			n++
		}
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.writeScanReply(mark, next, n)
}
