package commands

import (
	"errors"
	"math"

	"github.com/shaledb/shale/engine"
)

func init() {
	const (
		rw     = Write | DenyOOM
		rwFast = Write | DenyOOM | Fast
		roFast = Readonly | Fast
		wFast  = CatWrite | CatString | CatFast
		wSlow  = CatWrite | CatString | CatSlow
		rFast  = CatRead | CatString | CatFast
		rSlow  = CatRead | CatString | CatSlow
	)
	const rangeCx = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."
	Register(
		&Command{Name: "append", Arity: 3, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: appendCmd, Group: "string", Summary: "Append a value to a key", Since: "2.0.0", Complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation."},
		&Command{Name: "decr", Arity: 2, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: decr, Group: "string", Summary: "Decrement the integer value of a key by one", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "decrby", Arity: 3, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: decrby, Group: "string", Summary: "Decrement the integer value of a key by the given number", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "get", Arity: 2, Flags: roFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: rFast, Handler: get, Group: "string", Summary: "Get the value of a key", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "getdel", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: getdel, Group: "string", Summary: "Get the value of a key and delete the key", Since: "6.2.0", Complexity: "O(1)"},
		&Command{Name: "getex", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: getex, Group: "string", Summary: "Get the value of a key and optionally set its expiration", Since: "6.2.0", Complexity: "O(1)"},
		&Command{Name: "getrange", Arity: 4, Flags: Readonly, FirstKey: 1, LastKey: 1, Step: 1, Categories: rSlow, Handler: getrange, Group: "string", Summary: "Get a substring of the string stored at a key", Since: "2.4.0", Complexity: rangeCx},
		&Command{Name: "getset", Arity: 3, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: getset, Group: "string", Summary: "Set the string value of a key and return its old value", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "incr", Arity: 2, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: incr, Group: "string", Summary: "Increment the integer value of a key by one", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "incrby", Arity: 3, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: incrby, Group: "string", Summary: "Increment the integer value of a key by the given amount", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "incrbyfloat", Arity: 3, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: incrbyfloat, Group: "string", Summary: "Increment the float value of a key by the given amount", Since: "2.6.0", Complexity: "O(1)"},
		&Command{Name: "lcs", Arity: -3, Flags: Readonly, FirstKey: 1, LastKey: 2, Step: 1, Categories: rSlow, Handler: lcs, Group: "string", Summary: "Find longest common substring", Since: "7.0.0", Complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively"},
		&Command{Name: "mget", Arity: -2, Flags: roFast, FirstKey: 1, LastKey: -1, Step: 1, Categories: rFast, Handler: mget, Group: "string", Summary: "Get the values of all the given keys", Since: "1.0.0", Complexity: "O(N) where N is the number of keys to retrieve."},
		&Command{Name: "mset", Arity: -3, Flags: rw, FirstKey: 1, LastKey: -1, Step: 2, Categories: wSlow, Handler: mset, Group: "string", Summary: "Set multiple keys to multiple values", Since: "1.0.1", Complexity: "O(N) where N is the number of keys to set."},
		&Command{Name: "msetnx", Arity: -3, Flags: rw, FirstKey: 1, LastKey: -1, Step: 2, Categories: wSlow, Handler: msetnx, Group: "string", Summary: "Set multiple keys to multiple values, only if none of the keys exist", Since: "1.0.1", Complexity: "O(N) where N is the number of keys to set."},
		&Command{Name: "psetex", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Categories: wSlow, Handler: psetex, Group: "string", Summary: "Set the value and expiration in milliseconds of a key", Since: "2.6.0", Complexity: "O(1)"},
		&Command{Name: "set", Arity: -3, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Categories: wSlow, Handler: set, Group: "string", Summary: "Set the string value of a key", Since: "1.0.0", Complexity: "O(1)",
			KeySpecs: []KeySpec{{Notes: "RW and ACCESS due to the optional `GET` argument", Flags: []string{"RW", "access", "update", "variable_flags"}, Index: 1, Find: FindRange, LastKey: 0, KeyStep: 1}}},
		&Command{Name: "setex", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Categories: wSlow, Handler: setex, Group: "string", Summary: "Set the value and expiration of a key", Since: "2.0.0", Complexity: "O(1)"},
		&Command{Name: "setnx", Arity: 3, Flags: rwFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: wFast, Handler: setnx, Group: "string", Summary: "Set the value of a key, only if the key does not exist", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "setrange", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Categories: wSlow, Handler: setrange, Group: "string", Summary: "Overwrite part of a string at key starting at the specified offset", Since: "2.2.0", Complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument."},
		&Command{Name: "strlen", Arity: 2, Flags: roFast, FirstKey: 1, LastKey: 1, Step: 1, Categories: rFast, Handler: strlen, Group: "string", Summary: "Get the length of the value stored in a key", Since: "2.2.0", Complexity: "O(1)"},
		&Command{Name: "substr", Arity: 4, Flags: Readonly, FirstKey: 1, LastKey: 1, Step: 1, Categories: rSlow, Handler: getrange, Group: "string", Summary: "Get a substring of the string stored at a key", Since: "1.0.0", Complexity: rangeCx},
	)
}

// countKeyspaceLookup counts a read lookup in INFO's keyspace_hits/misses
// the way Redis's lookupKeyRead does: a key that exists is a hit whatever
// its type. Write-path lookups (APPEND, INCR, SETNX ...) are not counted.
func countKeyspaceLookup(c *Ctx, found bool) {
	if found {
		c.Eng.Stats.KeyspaceHits.Add(1)
	} else {
		c.Eng.Stats.KeyspaceMisses.Add(1)
	}
}

// stringLookup is Redis's lookupKeyReadOrReply + checkType for a string: it
// counts the lookup and, for a key of another type or a storage error,
// writes the error reply and returns replied.
func stringLookup(c *Ctx, key []byte) (v []byte, found, replied bool) {
	v, found, err := c.Tx.GetString(key)
	if err == nil || errors.Is(err, engine.ErrWrongType) {
		countKeyspaceLookup(c, found)
	}
	if err != nil {
		c.Err(err)
		return nil, found, true
	}
	return v, found, false
}

func get(c *Ctx) {
	v, found, replied := stringLookup(c, c.Args[1])
	switch {
	case replied:
	case !found:
		c.R.Null()
	default:
		c.R.Bulk(v)
	}
}

// Option bits of SET and GETEX (Redis's OBJ_SET_* flags).
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT
	optExpire = optEX | optPX | optEXAT | optPXAT
)

func expireKeyword(a []byte) int {
	switch {
	case EqualFold(a, "EX"):
		return optEX
	case EqualFold(a, "PX"):
		return optPX
	case EqualFold(a, "EXAT"):
		return optEXAT
	case EqualFold(a, "PXAT"):
		return optPXAT
	}
	return 0
}

// parseStringOpts is Redis's parseExtendedStringArgumentsOrReply for SET
// (isSet, options from argument 3) and GETEX (options from argument 2). As
// in Redis a repeated option is accepted (the last expire wins) but
// conflicting ones are a syntax error, and the expire value is only checked
// later, by expireMillis.
func parseStringOpts(c *Ctx, isSet bool) (flags int, expArg []byte, ok bool) {
	args := c.Args
	j := 2
	if isSet {
		j = 3
	}
	for ; j < len(args); j++ {
		a := args[j]
		switch kw := expireKeyword(a); {
		case isSet && EqualFold(a, "NX") && flags&optXX == 0:
			flags |= optNX
		case isSet && EqualFold(a, "XX") && flags&optNX == 0:
			flags |= optXX
		case isSet && EqualFold(a, "GET"):
			flags |= optGet
		case isSet && EqualFold(a, "KEEPTTL") && flags&optExpire == 0:
			flags |= optKeepTTL
		case !isSet && EqualFold(a, "PERSIST") && flags&optExpire == 0:
			flags |= optPersist
		case kw != 0 && j+1 < len(args) && flags&(optKeepTTL|optPersist|(optExpire&^kw)) == 0:
			flags |= kw
			expArg = args[j+1]
			j++
		default:
			c.R.Error(ErrSyntax)
			return 0, nil, false
		}
	}
	return flags, expArg, true
}

// expireMillis converts an expire argument to a unix time in ms as Redis's
// getExpireMillisecondsOrReply does, writing the error reply on failure.
func expireMillis(c *Ctx, flags int, arg []byte) (int64, bool) {
	n, ok := ParseInt(arg)
	if !ok {
		c.R.Error(ErrNotInteger)
		return 0, false
	}
	seconds := flags&(optEX|optEXAT) != 0
	if n <= 0 || (seconds && n > math.MaxInt64/1000) {
		invalidExpire(c)
		return 0, false
	}
	if seconds {
		n *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		if n > math.MaxInt64-c.Tx.Now {
			invalidExpire(c)
			return 0, false
		}
		n += c.Tx.Now
	}
	return n, true
}

func invalidExpire(c *Ctx) {
	c.R.Error("ERR invalid expire time in '" + c.Cmd.Name + "' command")
}

// set implements SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL].
func set(c *Ctx) {
	flags, expArg, ok := parseStringOpts(c, true)
	if !ok {
		return
	}
	setGeneric(c, flags, c.Args[1], c.Args[2], expArg, false)
}

// setGeneric is Redis's setGenericCommand: SET, SETNX, SETEX and PSETEX.
// With intReply the reply is 1/0 (SETNX) instead of OK/nil.
func setGeneric(c *Ctx, flags int, key, val, expArg []byte, intReply bool) {
	var expireAt int64
	if expArg != nil {
		var ok bool
		if expireAt, ok = expireMillis(c, flags, expArg); !ok {
			return
		}
	}
	var old []byte
	var oldFound bool
	if flags&optGet != 0 {
		var replied bool
		if old, oldFound, replied = stringLookup(c, key); replied {
			return
		}
	}
	m, exists, err := c.Tx.Lookup(key)
	if err != nil {
		c.Err(err)
		return
	}
	set := true
	switch {
	case flags&optNX != 0 && exists, flags&optXX != 0 && !exists:
		// Not set: GET still replies the old value.
		set = false
	default:
		if flags&optKeepTTL != 0 && exists {
			expireAt = m.ExpireAt
		}
		if err := c.Tx.SetString(key, val, expireAt); err != nil {
			c.Err(err)
			return
		}
		if flags&optGet == 0 {
			Notify(c, NotifyString, "set", key)
			if expArg != nil {
				Notify(c, NotifyGeneric, "expire", key)
			}
			if intReply {
				c.R.Int(1)
			} else {
				c.R.OK()
			}
			return
		}
	}
	switch {
	case flags&optGet != 0 && oldFound:
		c.R.Bulk(old)
	case intReply:
		c.R.Int(0)
	default:
		c.R.Null()
	}
	if flags&optGet != 0 && set {
		// SET ... GET replies the old value before setting, as in Redis.
		Notify(c, NotifyString, "set", key)
		if expArg != nil {
			Notify(c, NotifyGeneric, "expire", key)
		}
	}
}

func setnx(c *Ctx) { setGeneric(c, optNX, c.Args[1], c.Args[2], nil, true) }

func setex(c *Ctx) { setGeneric(c, optEX, c.Args[1], c.Args[3], c.Args[2], false) }

func psetex(c *Ctx) { setGeneric(c, optPX, c.Args[1], c.Args[3], c.Args[2], false) }

// getex implements GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST].
func getex(c *Ctx) {
	flags, expArg, ok := parseStringOpts(c, false)
	if !ok {
		return
	}
	key := c.Args[1]
	v, found, replied := stringLookup(c, key)
	if replied {
		return
	}
	if !found {
		c.R.Null()
		return
	}
	var err error
	var event string
	switch {
	case expArg != nil:
		at, ok := expireMillis(c, flags, expArg)
		if !ok {
			return
		}
		// SetExpire deletes the key when an EXAT/PXAT time has passed.
		_, err = c.Tx.SetExpire(key, at, engine.ExpireFlags{})
		event = "expire"
		if at <= c.Tx.Now {
			event = "del"
		}
	case flags&optPersist != 0:
		var persisted bool
		if persisted, err = c.Tx.Persist(key); persisted {
			event = "persist"
		}
	}
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Bulk(v) // v stays valid: writes never modify a read record in place
	if event != "" {
		Notify(c, NotifyGeneric, event, key) // after the reply, as in Redis
	}
}

func getdel(c *Ctx) {
	key := c.Args[1]
	v, found, replied := stringLookup(c, key)
	if replied {
		return
	}
	if !found {
		c.R.Null()
		return
	}
	if _, err := c.Tx.Delete(key); err != nil {
		c.Err(err)
		return
	}
	c.R.Bulk(v)
	Notify(c, NotifyGeneric, "del", key) // after the reply, as in Redis
}

func getset(c *Ctx) {
	key := c.Args[1]
	old, found, replied := stringLookup(c, key)
	if replied {
		return
	}
	if err := c.Tx.SetString(key, c.Args[2], 0); err != nil {
		c.Err(err)
		return
	}
	if found {
		c.R.Bulk(old)
	} else {
		c.R.Null()
	}
	Notify(c, NotifyString, "set", key) // after the reply, as in Redis
}

// getrange implements GETRANGE and SUBSTR with Redis's index rules: negative
// indices count from the end, both ends clamp into the string, and a start
// past the end (or two negative indices out of order) gives "".
func getrange(c *Ctx) {
	start, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	end, ok := c.ParseIntArg(c.Args[3])
	if !ok {
		return
	}
	// Length first, then only the bytes asked for: a fragmented string
	// (a big bitmap) is not assembled whole.
	n, found, err := c.Tx.StringLen(c.Args[1]) // a missing key reads as ""
	if err == nil || errors.Is(err, engine.ErrWrongType) {
		countKeyspaceLookup(c, found)
	}
	if err != nil {
		c.Err(err)
		return
	}
	if (start < 0 && end < 0 && start > end) || n == 0 {
		c.R.Bulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	end = min(end, n-1)
	if start > end {
		c.R.Bulk(nil)
		return
	}
	v, err := c.Tx.StringRange(c.Args[1], start, end)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Bulk(v)
}

func strlen(c *Ctx) {
	n, found, err := c.Tx.StringLen(c.Args[1])
	if err == nil || errors.Is(err, engine.ErrWrongType) {
		countKeyspaceLookup(c, found)
	}
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

func mget(c *Ctx) {
	mark := len(c.R.Buf)
	c.R.Array(len(c.Args) - 1)
	for _, key := range c.Args[1:] {
		v, found, err := c.Tx.GetString(key)
		switch {
		case errors.Is(err, engine.ErrWrongType):
			countKeyspaceLookup(c, true)
			c.R.Null() // MGET replies nil for keys of other types
		case err != nil:
			c.replyErrAt(mark, err)
			return
		case !found:
			countKeyspaceLookup(c, false)
			c.R.Null()
		default:
			countKeyspaceLookup(c, true)
			c.R.Bulk(v)
		}
	}
}

func mset(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.WrongArity()
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		if err := c.Tx.SetString(c.Args[i], c.Args[i+1], 0); err != nil {
			c.Err(err)
			return
		}
		Notify(c, NotifyString, "set", c.Args[i])
	}
	c.R.OK()
}

// msetnx sets every pair only if none of the keys exists (of any type).
func msetnx(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.WrongArity()
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		exists, err := c.Tx.Exists(c.Args[i])
		if err != nil {
			c.Err(err)
			return
		}
		if exists {
			c.R.Int(0)
			return
		}
	}
	for i := 1; i < len(c.Args); i += 2 {
		if err := c.Tx.SetString(c.Args[i], c.Args[i+1], 0); err != nil {
			c.Err(err)
			return
		}
		Notify(c, NotifyString, "set", c.Args[i])
	}
	c.R.Int(1)
}

func appendCmd(c *Ctx) {
	n, err := c.Tx.Append(c.Args[1], c.Args[2], c.Srv.Config.Int("proto-max-bulk-len"))
	if err != nil {
		c.Err(err)
		return
	}
	Notify(c, NotifyString, "append", c.Args[1])
	c.R.Int(n)
}

func setrange(c *Ctx) {
	offset, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	if offset < 0 {
		c.R.Error("ERR offset is out of range")
		return
	}
	n, err := c.Tx.SetRange(c.Args[1], offset, c.Args[3], c.Srv.Config.Int("proto-max-bulk-len"))
	if err != nil {
		c.Err(err)
		return
	}
	if len(c.Args[3]) > 0 { // an empty value changes nothing, as in Redis
		Notify(c, NotifyString, "setrange", c.Args[1])
	}
	c.R.Int(n)
}

func incrDecr(c *Ctx, delta int64) {
	n, err := c.Tx.IncrBy(c.Args[1], delta)
	if err != nil {
		c.Err(err)
		return
	}
	Notify(c, NotifyString, "incrby", c.Args[1]) // INCR/DECR too, as in Redis
	c.R.Int(n)
}

func incr(c *Ctx) { incrDecr(c, 1) }

func decr(c *Ctx) { incrDecr(c, -1) }

func incrby(c *Ctx) {
	if d, ok := c.ParseIntArg(c.Args[2]); ok {
		incrDecr(c, d)
	}
}

func decrby(c *Ctx) {
	d, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	if d == math.MinInt64 {
		c.R.Error("ERR decrement would overflow")
		return
	}
	incrDecr(c, -d)
}

func incrbyfloat(c *Ctx) {
	v, err := c.Tx.IncrByFloat(c.Args[1], c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	Notify(c, NotifyString, "incrbyfloat", c.Args[1])
	c.R.Bulk(v)
}

// lcs implements LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN].
func lcs(c *Ctx) {
	a, aFound, aErr := c.Tx.GetString(c.Args[1])
	b, bFound, bErr := c.Tx.GetString(c.Args[2])
	for _, err := range []error{aErr, bErr} {
		if err != nil && !errors.Is(err, engine.ErrWrongType) {
			c.Err(err)
			return
		}
	}
	countKeyspaceLookup(c, aFound)
	countKeyspaceLookup(c, bFound)
	if aErr != nil || bErr != nil {
		c.R.Error("ERR The specified keys must contain string values")
		return
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(c.Args); j++ {
		opt := c.Args[j]
		switch {
		case EqualFold(opt, "IDX"):
			getIdx = true
		case EqualFold(opt, "LEN"):
			getLen = true
		case EqualFold(opt, "WITHMATCHLEN"):
			withMatchLen = true
		case EqualFold(opt, "MINMATCHLEN") && j+1 < len(c.Args):
			n, ok := c.ParseIntArg(c.Args[j+1])
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.R.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	if int64(len(a)) >= math.MaxUint32-1 || int64(len(b)) >= math.MaxUint32-1 {
		c.R.Error("ERR String too long for LCS")
		return
	}
	// The DP table is (len(a)+1)*(len(b)+1) uint32s; Redis refuses one
	// larger than proto-max-bulk-len.
	cells := (uint64(len(a)) + 1) * (uint64(len(b)) + 1)
	if cells > math.MaxUint64/4 || cells*4 > uint64(c.Srv.Config.Int("proto-max-bulk-len")) {
		c.R.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	str, n, matches := engine.LCS(a, b, !getLen && !getIdx, getIdx, minMatchLen)
	switch {
	case getIdx:
		c.R.Map(2)
		c.R.BulkString("matches")
		c.R.Array(len(matches))
		for _, m := range matches {
			if withMatchLen {
				c.R.Array(3)
			} else {
				c.R.Array(2)
			}
			c.R.Array(2)
			c.R.Int(m.AStart)
			c.R.Int(m.AEnd)
			c.R.Array(2)
			c.R.Int(m.BStart)
			c.R.Int(m.BEnd)
			if withMatchLen {
				c.R.Int(m.Len)
			}
		}
		c.R.BulkString("len")
		c.R.Int(n)
	case getLen:
		c.R.Int(n)
	default:
		c.R.Bulk(str)
	}
}
