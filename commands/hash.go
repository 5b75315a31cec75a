package commands

import (
	"math"
	"slices"
	"strconv"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/server"
)

// Hash commands. Data-type logic lives in engine/hash.go; this file parses
// arguments and formats replies. Replies of unknown length (streamed from
// an iterator) are written body first and their header inserted after, so a
// reply never disagrees with what was actually read.

func init() {
	const wf = Write | DenyOOM | Fast
	const rf = Readonly | Fast
	const wcat = CatWrite | CatHash | CatFast
	const rcat = CatRead | CatHash | CatFast
	const rslow = CatRead | CatHash | CatSlow
	k1 := func(c *Command) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = 1, 1, 1, "hash"
		return c
	}
	Register(
		k1(&Command{Name: "hset", Arity: -4, Flags: wf, Categories: wcat, Handler: hset, Summary: "Set the string value of a hash field", Since: "2.0.0", Complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs."}),
		k1(&Command{Name: "hsetnx", Arity: 4, Flags: wf, Categories: wcat, Handler: hsetnx, Summary: "Set the value of a hash field, only if the field does not exist", Since: "2.0.0", Complexity: "O(1)"}),
		k1(&Command{Name: "hget", Arity: 3, Flags: rf, Categories: rcat, Handler: hget, Summary: "Get the value of a hash field", Since: "2.0.0", Complexity: "O(1)"}),
		k1(&Command{Name: "hmget", Arity: -3, Flags: rf, Categories: rcat, Handler: hmget, Summary: "Get the values of all the given hash fields", Since: "2.0.0", Complexity: "O(N) where N is the number of fields being requested."}),
		k1(&Command{Name: "hmset", Arity: -4, Flags: wf, Categories: wcat, Handler: hset, Summary: "Set multiple hash fields to multiple values", Since: "2.0.0", Complexity: "O(N) where N is the number of fields being set."}),
		k1(&Command{Name: "hgetall", Arity: 2, Flags: Readonly, Categories: rslow, Handler: hgetall, Summary: "Get all the fields and values in a hash", Since: "2.0.0", Complexity: "O(N) where N is the size of the hash."}),
		k1(&Command{Name: "hkeys", Arity: 2, Flags: Readonly, Categories: rslow, Handler: hkeys, Summary: "Get all the fields in a hash", Since: "2.0.0", Complexity: "O(N) where N is the size of the hash."}),
		k1(&Command{Name: "hvals", Arity: 2, Flags: Readonly, Categories: rslow, Handler: hvals, Summary: "Get all the values in a hash", Since: "2.0.0", Complexity: "O(N) where N is the size of the hash."}),
		k1(&Command{Name: "hlen", Arity: 2, Flags: rf, Categories: rcat, Handler: hlen, Summary: "Get the number of fields in a hash", Since: "2.0.0", Complexity: "O(1)"}),
		k1(&Command{Name: "hexists", Arity: 3, Flags: rf, Categories: rcat, Handler: hexists, Summary: "Determine if a hash field exists", Since: "2.0.0", Complexity: "O(1)"}),
		k1(&Command{Name: "hdel", Arity: -3, Flags: Write | Fast, Categories: wcat, Handler: hdel, Summary: "Delete one or more hash fields", Since: "2.0.0", Complexity: "O(N) where N is the number of fields to be removed."}),
		k1(&Command{Name: "hincrby", Arity: 4, Flags: wf, Categories: wcat, Handler: hincrby, Summary: "Increment the integer value of a hash field by the given number", Since: "2.0.0", Complexity: "O(1)"}),
		k1(&Command{Name: "hincrbyfloat", Arity: 4, Flags: wf, Categories: wcat, Handler: hincrbyfloat, Summary: "Increment the float value of a hash field by the given amount", Since: "2.6.0", Complexity: "O(1)"}),
		k1(&Command{Name: "hstrlen", Arity: 3, Flags: rf, Categories: rcat, Handler: hstrlen, Summary: "Get the length of the value of a hash field", Since: "3.2.0", Complexity: "O(1)"}),
		k1(&Command{Name: "hrandfield", Arity: -2, Flags: Readonly, Categories: rslow, Handler: hrandfield, Summary: "Get one or multiple random fields from a hash", Since: "6.2.0", Complexity: "O(N) where N is the number of fields returned"}),
		k1(&Command{Name: "hscan", Arity: -3, Flags: Readonly, Categories: rslow, Handler: hscan, Summary: "Incrementally iterate hash fields and associated values", Since: "2.8.0", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."}),
	)
}

// hset implements HSET and HMSET (which replies OK).
func hset(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.WrongArity()
		return
	}
	n, err := c.Tx.HashSet(c.Args[1], c.Args[2:], false)
	if err != nil {
		c.Err(err)
		return
	}
	if c.Cmd.Name == "hmset" {
		c.R.OK()
	} else {
		c.R.Int(n)
	}
	Notify(c, NotifyHash, "hset", c.Args[1]) // after the reply, as in Redis
}

func hsetnx(c *Ctx) {
	n, err := c.Tx.HashSet(c.Args[1], c.Args[2:], true)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
	if n > 0 {
		Notify(c, NotifyHash, "hset", c.Args[1])
	}
}

func hget(c *Ctx) {
	v, ok, err := c.Tx.HashGet(c.Args[1], c.Args[2])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.R.Null()
	default:
		c.R.Bulk(v)
	}
}

func hmget(c *Ctx) {
	mark := len(c.R.Buf)
	c.R.Array(len(c.Args) - 2)
	err := c.Tx.HashMGet(c.Args[1], c.Args[2:], func(v []byte, ok bool) {
		if ok {
			c.R.Bulk(v)
		} else {
			c.R.Null()
		}
	})
	if err != nil {
		c.replyErrAt(mark, err)
	}
}

// replyErrAt replaces what a streamed reply wrote since mark with err: an
// error met halfway through a collection must not follow a partial reply.
func (c *Ctx) replyErrAt(mark int, err error) {
	c.R.Buf = c.R.Buf[:mark]
	c.Err(err)
}

// Reply header kinds for deferred headers.
const (
	hdrArray = iota
	hdrSet
	hdrMap
)

// deferHeader writes the header of an aggregate of n elements (pairs for a
// map) at mark, before the already written body.
func (c *Ctx) deferHeader(mark int, kind int, n int) {
	h := server.Reply{Proto: c.R.Proto}
	var tmp [24]byte
	h.Buf = tmp[:0]
	switch kind {
	case hdrSet:
		h.Set(n)
	case hdrMap:
		h.Map(n)
	default:
		h.Array(n)
	}
	c.R.Buf = slices.Insert(c.R.Buf, mark, h.Buf...)
}

// hashAll implements HGETALL, HKEYS and HVALS.
func hashAll(c *Ctx, keys, vals bool) {
	mark := len(c.R.Buf)
	n := 0
	err := c.Tx.HashForEach(c.Args[1], func(f, v []byte) error {
		if keys {
			c.R.Bulk(f)
		}
		if vals {
			c.R.Bulk(v)
		}
		n++
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	if keys && vals {
		c.deferHeader(mark, hdrMap, n)
	} else {
		c.deferHeader(mark, hdrArray, n)
	}
}

func hgetall(c *Ctx) { hashAll(c, true, true) }
func hkeys(c *Ctx)   { hashAll(c, true, false) }
func hvals(c *Ctx)   { hashAll(c, false, true) }

func hlen(c *Ctx) { c.replyInt(c.Tx.HashLen(c.Args[1])) }

func hexists(c *Ctx) { c.replyBool(c.Tx.HashExists(c.Args[1], c.Args[2])) }

func hstrlen(c *Ctx) { c.replyInt(c.Tx.HashStrLen(c.Args[1], c.Args[2])) }

func hdel(c *Ctx) {
	n, err := c.Tx.HashDel(c.Args[1], c.Args[2:])
	c.replyRemoved(n, err, NotifyHash, "hdel")
}

func hincrby(c *Ctx) {
	delta, ok := c.ParseIntArg(c.Args[3])
	if !ok {
		return
	}
	n, err := c.Tx.HashIncrBy(c.Args[1], c.Args[2], delta)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
	Notify(c, NotifyHash, "hincrby", c.Args[1])
}

func hincrbyfloat(c *Ctx) {
	v, err := c.Tx.HashIncrByFloat(c.Args[1], c.Args[2], c.Args[3])
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Bulk(v)
	Notify(c, NotifyHash, "hincrbyfloat", c.Args[1])
}

// randCountMax bounds the reply of a negative-count HRANDFIELD/SRANDMEMBER:
// Redis would try to build any size and run out of memory; Shale refuses
// counts whose reply could not reasonably be held.
const randCountMax = 1 << 26

// parseRandCount parses HRANDFIELD/SRANDMEMBER's count (any long but
// LONG_MIN, as Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)).
func (c *Ctx) parseRandCount(b []byte) (int64, bool) {
	n, ok := ParseInt(b)
	if !ok {
		c.R.Error(ErrNotInteger)
		return 0, false
	}
	if n == math.MinInt64 {
		c.R.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false
	}
	return n, true
}

// hrandfield implements HRANDFIELD key [count [WITHVALUES]].
func hrandfield(c *Ctx) {
	args := c.Args
	if len(args) == 2 {
		f, _, ok, err := c.Tx.HashRandom(args[1])
		switch {
		case err != nil:
			c.Err(err)
		case !ok:
			c.R.Null()
		default:
			c.R.Bulk(f)
		}
		return
	}
	count, ok := c.parseRandCount(args[2])
	if !ok {
		return
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !EqualFold(args[3], "withvalues")) {
		c.R.Error(ErrSyntax)
		return
	} else if len(args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.R.Error("ERR value is out of range")
			return
		}
	}
	if count < -randCountMax {
		c.R.Error("ERR value is out of range")
		return
	}
	mark := len(c.R.Buf)
	n := 0
	_, err := c.Tx.HashRandomCount(args[1], count, func(f, v []byte) error {
		if withValues && c.R.Proto == 3 {
			c.R.Array(2)
		}
		c.R.Bulk(f)
		if withValues {
			c.R.Bulk(v)
		}
		n++
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	if withValues && c.R.Proto != 3 {
		n *= 2
	}
	c.deferHeader(mark, hdrArray, n)
}

// parseScanCursor parses a SCAN cursor as Redis does (strtoul on the whole
// argument): optional sign, decimal digits, a negative value wraps around,
// an empty string is 0; leading spaces and overflow are refused.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i = 1
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		ch := b[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanOpts are the parsed MATCH/COUNT options of HSCAN/SSCAN.
type scanOpts struct {
	pattern []byte // nil: everything matches
	count   int64
}

func (o *scanOpts) match(b []byte) bool {
	return o.pattern == nil || GlobMatch(o.pattern, b, false)
}

// parseScanOpts parses the options from args[i:] or writes Redis's error.
func (c *Ctx) parseScanOpts(i int) (scanOpts, bool) {
	o := scanOpts{count: 10}
	args := c.Args
	for i < len(args) {
		left := len(args) - i
		switch {
		case EqualFold(args[i], "count") && left >= 2:
			n, ok := ParseInt(args[i+1])
			if !ok {
				c.R.Error(ErrNotInteger)
				return o, false
			}
			if n < 1 {
				c.R.Error(ErrSyntax)
				return o, false
			}
			o.count = n
			i += 2
		case EqualFold(args[i], "match") && left >= 2:
			p := args[i+1]
			if len(p) == 1 && p[0] == '*' {
				o.pattern = nil
			} else {
				o.pattern = p
			}
			i += 2
		default:
			c.R.Error(ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// writeScanReply inserts the [cursor, [elements...]] header at mark before
// n already written elements.
func (c *Ctx) writeScanReply(mark int, cursor uint64, n int) {
	var tmp [64]byte
	var cb [20]byte
	h := server.Reply{Proto: c.R.Proto, Buf: tmp[:0]}
	h.Array(2)
	h.Bulk(strconv.AppendUint(cb[:0], cursor, 10))
	h.Array(n)
	c.R.Buf = slices.Insert(c.R.Buf, mark, h.Buf...)
}

// collScan is the shared front half of HSCAN/SSCAN: cursor, key type,
// options. It returns ok false when a reply (error or empty scan) was
// written.
func (c *Ctx) collScan(t encoding.Type) (uint64, scanOpts, bool) {
	cursor, ok := parseScanCursor([]byte(CString(c.Args[2]))) // a C string to Redis: up to a NUL
	if !ok {
		c.R.Error("ERR invalid cursor")
		return 0, scanOpts{}, false
	}
	_, exists, err := c.Tx.LookupType(c.Args[1], t)
	if err != nil {
		c.Err(err)
		return 0, scanOpts{}, false
	}
	if !exists {
		c.writeScanReply(len(c.R.Buf), 0, 0)
		return 0, scanOpts{}, false
	}
	o, ok := c.parseScanOpts(3)
	return cursor, o, ok
}

func hscan(c *Ctx) {
	cursor, o, ok := c.collScan(encoding.TypeHash)
	if !ok {
		return
	}
	mark := len(c.R.Buf)
	n := 0
	next, err := c.Tx.HashScan(c.Args[1], cursor, o.count, func(f, v []byte) error {
		if o.match(f) {
			c.R.Bulk(f)
			c.R.Bulk(v)
			n += 2
		}
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.writeScanReply(mark, next, n)
}
