package commands

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
)

// Sorted-set commands. Data-type logic lives in engine/zset.go; this file
// parses arguments (score and lex ranges exactly as Redis 7.0 does) and
// formats replies (scores as %.17g, RESP3 doubles and pairs).

func init() {
	const wf = Write | DenyOOM | Fast
	const wcat = CatWrite | CatSortedSet | CatFast
	const wslow = CatWrite | CatSortedSet | CatSlow
	const rcat = CatRead | CatSortedSet | CatFast
	const rslow = CatRead | CatSortedSet | CatSlow
	k := func(c *Command, first, last int) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = first, last, 1, "sorted-set"
		return c
	}
	mk := func(c *Command, first int, keys func([][]byte) [][]byte) *Command {
		if first > 0 {
			c.FirstKey, c.LastKey, c.Step = first, first, 1
		}
		c.Keys, c.Group = keys, "sorted-set"
		return c
	}
	const logM = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "
	const limitNote = "being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."
	Register(
		k(&Command{Name: "zadd", Arity: -4, Flags: wf, Categories: wcat, Handler: zaddCmd, Summary: "Add one or more members to a sorted set, or update its score if it already exists", Since: "1.2.0", Complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set."}, 1, 1),
		k(&Command{Name: "zincrby", Arity: 4, Flags: wf, Categories: wcat, Handler: zincrbyCmd, Summary: "Increment the score of a member in a sorted set", Since: "1.2.0", Complexity: "O(log(N)) where N is the number of elements in the sorted set."}, 1, 1),
		k(&Command{Name: "zcard", Arity: 2, Flags: Readonly | Fast, Categories: rcat, Handler: zcardCmd, Summary: "Get the number of members in a sorted set", Since: "1.2.0", Complexity: "O(1)"}, 1, 1),
		k(&Command{Name: "zscore", Arity: 3, Flags: Readonly | Fast, Categories: rcat, Handler: zscoreCmd, Summary: "Get the score associated with the given member in a sorted set", Since: "1.2.0", Complexity: "O(1)"}, 1, 1),
		k(&Command{Name: "zmscore", Arity: -3, Flags: Readonly | Fast, Categories: rcat, Handler: zmscoreCmd, Summary: "Get the score associated with the given members in a sorted set", Since: "6.2.0", Complexity: "O(N) where N is the number of members being requested."}, 1, 1),
		k(&Command{Name: "zrank", Arity: 3, Flags: Readonly | Fast, Categories: rcat, Handler: zrankCmd, Summary: "Determine the index of a member in a sorted set", Since: "2.0.0", Complexity: "O(log(N))"}, 1, 1),
		k(&Command{Name: "zrevrank", Arity: 3, Flags: Readonly | Fast, Categories: rcat, Handler: zrevrankCmd, Summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", Since: "2.0.0", Complexity: "O(log(N))"}, 1, 1),
		k(&Command{Name: "zcount", Arity: 4, Flags: Readonly | Fast, Categories: rcat, Handler: zcountCmd, Summary: "Count the members in a sorted set with scores within the given values", Since: "2.0.0", Complexity: "O(log(N)) with N being the number of elements in the sorted set."}, 1, 1),
		k(&Command{Name: "zlexcount", Arity: 4, Flags: Readonly | Fast, Categories: rcat, Handler: zlexcountCmd, Summary: "Count the number of members in a sorted set between a given lexicographical range", Since: "2.8.9", Complexity: "O(log(N)) with N being the number of elements in the sorted set."}, 1, 1),
		k(&Command{Name: "zrange", Arity: -4, Flags: Readonly, Categories: rslow, Handler: zrangeCmd, Summary: "Return a range of members in a sorted set", Since: "1.2.0", Complexity: logM + "returned."}, 1, 1),
		k(&Command{Name: "zrangestore", Arity: -5, Flags: Write | DenyOOM, Categories: wslow, Handler: zrangestoreCmd, Summary: "Store a range of members from sorted set into another key", Since: "6.2.0", Complexity: logM + "stored into the destination key."}, 1, 2),
		k(&Command{Name: "zrevrange", Arity: -4, Flags: Readonly, Categories: rslow, Handler: zrevrangeCmd, Summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", Since: "1.2.0", Complexity: logM + "returned."}, 1, 1),
		k(&Command{Name: "zrangebyscore", Arity: -4, Flags: Readonly, Categories: rslow, Handler: zrangebyscoreCmd, Summary: "Return a range of members in a sorted set, by score", Since: "1.0.5", Complexity: logM + limitNote}, 1, 1),
		k(&Command{Name: "zrevrangebyscore", Arity: -4, Flags: Readonly, Categories: rslow, Handler: zrevrangebyscoreCmd, Summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", Since: "2.2.0", Complexity: logM + limitNote}, 1, 1),
		k(&Command{Name: "zrangebylex", Arity: -4, Flags: Readonly, Categories: rslow, Handler: zrangebylexCmd, Summary: "Return a range of members in a sorted set, by lexicographical range", Since: "2.8.9", Complexity: logM + limitNote}, 1, 1),
		k(&Command{Name: "zrevrangebylex", Arity: -4, Flags: Readonly, Categories: rslow, Handler: zrevrangebylexCmd, Summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", Since: "2.8.9", Complexity: logM + limitNote}, 1, 1),
		k(&Command{Name: "zrem", Arity: -3, Flags: Write | Fast, Categories: wcat, Handler: zremCmd, Summary: "Remove one or more members from a sorted set", Since: "1.2.0", Complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed."}, 1, 1),
		k(&Command{Name: "zremrangebyrank", Arity: 4, Flags: Write, Categories: wslow, Handler: zremrangebyrankCmd, Summary: "Remove all members in a sorted set within the given indexes", Since: "2.0.0", Complexity: logM + "removed by the operation."}, 1, 1),
		k(&Command{Name: "zremrangebyscore", Arity: 4, Flags: Write, Categories: wslow, Handler: zremrangebyscoreCmd, Summary: "Remove all members in a sorted set within the given scores", Since: "1.2.0", Complexity: logM + "removed by the operation."}, 1, 1),
		k(&Command{Name: "zremrangebylex", Arity: 4, Flags: Write, Categories: wslow, Handler: zremrangebylexCmd, Summary: "Remove all members in a sorted set between the given lexicographical range", Since: "2.8.9", Complexity: logM + "removed by the operation."}, 1, 1),
		k(&Command{Name: "zpopmin", Arity: -2, Flags: Write | Fast, Categories: wcat, Handler: zpopminCmd, Summary: "Remove and return members with the lowest scores in a sorted set", Since: "5.0.0", Complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."}, 1, 1),
		k(&Command{Name: "zpopmax", Arity: -2, Flags: Write | Fast, Categories: wcat, Handler: zpopmaxCmd, Summary: "Remove and return members with the highest scores in a sorted set", Since: "5.0.0", Complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."}, 1, 1),
		mk(&Command{Name: "zmpop", Arity: -4, Flags: Write, Categories: wslow, Handler: zmpopCmd, Summary: "Remove and return members with scores in a sorted set", Since: "7.0.0", Complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."}, 0, mpopKeys),
		k(&Command{Name: "zrandmember", Arity: -2, Flags: Readonly, Categories: rslow, Handler: zrandmemberCmd, Summary: "Get one or multiple random elements from a sorted set", Since: "6.2.0", Complexity: "O(N) where N is the number of elements returned"}, 1, 1),
		mk(&Command{Name: "zunion", Arity: -3, Flags: Readonly, Categories: rslow, Handler: zunionCmd, Summary: "Add multiple sorted sets", Since: "6.2.0", Complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."}, 0, zsetOpKeys),
		mk(&Command{Name: "zinter", Arity: -3, Flags: Readonly, Categories: rslow, Handler: zinterCmd, Summary: "Intersect multiple sorted sets", Since: "6.2.0", Complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."}, 0, zsetOpKeys),
		mk(&Command{Name: "zdiff", Arity: -3, Flags: Readonly, Categories: rslow, Handler: zdiffCmd, Summary: "Subtract multiple sorted sets", Since: "6.2.0", Complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."}, 0, zsetOpKeys),
		mk(&Command{Name: "zunionstore", Arity: -4, Flags: Write | DenyOOM, Categories: wslow, Handler: zunionstoreCmd, Summary: "Add multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0", Complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."}, 1, zsetStoreKeys),
		mk(&Command{Name: "zinterstore", Arity: -4, Flags: Write | DenyOOM, Categories: wslow, Handler: zinterstoreCmd, Summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0", Complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."}, 1, zsetStoreKeys),
		mk(&Command{Name: "zdiffstore", Arity: -4, Flags: Write | DenyOOM, Categories: wslow, Handler: zdiffstoreCmd, Summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", Since: "6.2.0", Complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."}, 1, zsetStoreKeys),
		mk(&Command{Name: "zintercard", Arity: -3, Flags: Readonly, Categories: rslow, Handler: zintercardCmd, Summary: "Intersect multiple sorted sets and return the cardinality of the result", Since: "7.0.0", Complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets."}, 0, zsetOpKeys),
		k(&Command{Name: "zscan", Arity: -3, Flags: Readonly, Categories: rslow, Handler: zscanCmd, Summary: "Incrementally iterate sorted sets elements and associated scores", Since: "2.8.0", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."}, 1, 1),
	)
	// Key specs and tips as Redis 7.0's COMMAND INFO reports them.
	lzKeySpecs(map[string][]KeySpec{
		"zadd":             {RangeSpec("RW update", 1, 0, 1)},
		"zincrby":          {RangeSpec("RW access update", 1, 0, 1)},
		"zcard":            {RangeSpec("RO", 1, 0, 1)},
		"zscore":           {RangeSpec("RO access", 1, 0, 1)},
		"zmscore":          {RangeSpec("RO access", 1, 0, 1)},
		"zrank":            {RangeSpec("RO access", 1, 0, 1)},
		"zrevrank":         {RangeSpec("RO access", 1, 0, 1)},
		"zcount":           {RangeSpec("RO access", 1, 0, 1)},
		"zlexcount":        {RangeSpec("RO access", 1, 0, 1)},
		"zrange":           {RangeSpec("RO access", 1, 0, 1)},
		"zrangestore":      {RangeSpec("OW update", 1, 0, 1), RangeSpec("RO access", 2, 0, 1)},
		"zrevrange":        {RangeSpec("RO access", 1, 0, 1)},
		"zrangebyscore":    {RangeSpec("RO access", 1, 0, 1)},
		"zrevrangebyscore": {RangeSpec("RO access", 1, 0, 1)},
		"zrangebylex":      {RangeSpec("RO access", 1, 0, 1)},
		"zrevrangebylex":   {RangeSpec("RO access", 1, 0, 1)},
		"zrem":             {RangeSpec("RW delete", 1, 0, 1)},
		"zremrangebyrank":  {RangeSpec("RW delete", 1, 0, 1)},
		"zremrangebyscore": {RangeSpec("RW delete", 1, 0, 1)},
		"zremrangebylex":   {RangeSpec("RW delete", 1, 0, 1)},
		"zpopmin":          {RangeSpec("RW access delete", 1, 0, 1)},
		"zpopmax":          {RangeSpec("RW access delete", 1, 0, 1)},
		"zmpop":            {KeyNumSpec("RW access delete", 1, 0, 1, 1)},
		"zrandmember":      {RangeSpec("RO access", 1, 0, 1)},
		"zunion":           {KeyNumSpec("RO access", 1, 0, 1, 1)},
		"zinter":           {KeyNumSpec("RO access", 1, 0, 1, 1)},
		"zdiff":            {KeyNumSpec("RO access", 1, 0, 1, 1)},
		"zunionstore":      {RangeSpec("OW update", 1, 0, 1), KeyNumSpec("RO access", 2, 0, 1, 1)},
		"zinterstore":      {RangeSpec("OW update", 1, 0, 1), KeyNumSpec("RO access", 2, 0, 1, 1)},
		"zdiffstore":       {RangeSpec("OW update", 1, 0, 1), KeyNumSpec("RO access", 2, 0, 1, 1)},
		"zintercard":       {KeyNumSpec("RO access", 1, 0, 1, 1)},
		"zscan":            {RangeSpec("RO access", 1, 0, 1)},
	}, map[string][]string{
		"zrandmember": {"nondeterministic_output"},
		"zscan":       {"nondeterministic_output"},
	})
}

// zsetOpKeys extracts ZUNION/ZINTER/ZDIFF/ZINTERCARD's keys.
func zsetOpKeys(args [][]byte) [][]byte { return numKeysArg(args, 1) }

// zsetStoreKeys extracts ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE's keys: the
// destination and the sources.
func zsetStoreKeys(args [][]byte) [][]byte {
	if len(args) < 2 {
		return nil
	}
	return append([][]byte{args[1]}, numKeysArg(args, 2)...)
}

// ---------------------------------------------------------------------------
// Parsing.

// parseRangeScore parses one end of a score range as Redis's zslParseRange
// does: a leading '(' makes it exclusive, the rest goes through strtod,
// which skips leading spaces, reads "" as 0 and overflows to ±inf; NaN and
// trailing bytes are refused.
func parseRangeScore(b []byte) (f float64, ex bool, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	f, ok = strtod(b)
	return f, ex, ok
}

// strtod is C strtod over the whole of b (nothing may follow the number).
func strtod(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, true // no conversion, and the end pointer is at the NUL
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	s := b[i:]
	if len(s) == 0 || bytes.IndexByte(s, '_') >= 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return f, true // strtod overflows to ±HUGE_VAL, underflows to 0
		}
		// strtod reads hex floats without a binary exponent; Go needs one.
		t := s
		if t[0] == '+' || t[0] == '-' {
			t = t[1:]
		}
		if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && bytes.IndexAny(t, "pP") < 0 {
			f, err = strconv.ParseFloat(string(s)+"p0", 64)
			if err == nil {
				return f, true
			}
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

const (
	errMinMaxFloat = "ERR min or max is not a float"
	errMinMaxLex   = "ERR min or max not valid string range item"
)

func parseScoreRange(min, max []byte) (engine.ZScoreRange, bool) {
	var r engine.ZScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseRangeScore(min)
	r.Max, r.MaxEx, ok2 = parseRangeScore(max)
	return r, ok1 && ok2
}

// parseLexBound parses "-", "+", "[value" or "(value".
func parseLexBound(b []byte) (engine.ZLexBound, bool) {
	if len(b) == 0 {
		return engine.ZLexBound{}, false
	}
	switch b[0] {
	case '+':
		return engine.ZLexBound{Inf: 1, Ex: true}, len(b) == 1
	case '-':
		return engine.ZLexBound{Inf: -1, Ex: true}, len(b) == 1
	case '(':
		return engine.ZLexBound{Value: b[1:], Ex: true}, true
	case '[':
		return engine.ZLexBound{Value: b[1:]}, true
	}
	return engine.ZLexBound{}, false
}

func parseLexRange(min, max []byte) (engine.ZLexRange, bool) {
	a, ok1 := parseLexBound(min)
	b, ok2 := parseLexBound(max)
	return engine.ZLexRange{Min: a, Max: b}, ok1 && ok2
}

// ---------------------------------------------------------------------------
// Replies.

// replyItems writes members, with their scores if asked: a flat array in
// RESP2, an array of [member, score] pairs in RESP3 (Redis 7.0's shape).
func replyItems(r *server.Reply, items []engine.ZItem, withScores bool) {
	if !withScores {
		r.Array(len(items))
		for _, it := range items {
			r.Bulk(it.Member)
		}
		return
	}
	if r.Proto == 3 {
		r.Array(len(items))
		for _, it := range items {
			r.Array(2)
			r.Bulk(it.Member)
			r.Double(it.Score)
		}
		return
	}
	r.Array(2 * len(items))
	for _, it := range items {
		r.Bulk(it.Member)
		r.Double(it.Score)
	}
}

// appendListpackScore formats a score as Redis 7.0 stores it in a listpack
// (d2string): integral values within ±LLONG_MAX/2 as integers, the rest as
// %.17g. ZSCAN of a small sorted set shows this form.
func appendListpackScore(dst []byte, f float64) []byte {
	const lim = float64(math.MaxInt64 / 2)
	if f >= -lim && f <= lim && f == math.Trunc(f) {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return server.AppendDouble(dst, f)
}

// ---------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM, point reads.

// zaddCmd implements ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...
func zaddCmd(c *Ctx) {
	var f engine.ZAddFlags
	ch := false
	args := c.Args
	i := 2
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case EqualFold(a, "nx"):
			f.NX = true
		case EqualFold(a, "xx"):
			f.XX = true
		case EqualFold(a, "ch"):
			ch = true
		case EqualFold(a, "incr"):
			f.Incr = true
		case EqualFold(a, "gt"):
			f.GT = true
		case EqualFold(a, "lt"):
			f.LT = true
		default:
			goto done
		}
	}
done:
	n := len(args) - i
	if n == 0 || n%2 != 0 {
		c.R.Error(ErrSyntax)
		return
	}
	if f.NX && f.XX {
		c.R.Error("ERR XX and NX options at the same time are not compatible")
		return
	}
	if (f.GT && f.NX) || (f.LT && f.NX) || (f.GT && f.LT) {
		c.R.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if f.Incr && n > 2 {
		c.R.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	var one [1]engine.ZItem // the common single pair without a heap slice
	items := one[:0]
	if n > 2 {
		items = make([]engine.ZItem, 0, n/2)
	}
	for j := i; j < len(args); j += 2 {
		s, ok := ParseFloat(args[j])
		if !ok {
			c.R.Error(ErrNotFloat)
			return
		}
		items = append(items, engine.ZItem{Score: s, Member: args[j+1]})
	}
	res, err := c.Tx.ZAdd(args[1], items, f)
	if err != nil {
		lzFail(c, err)
		return
	}
	switch {
	case f.Incr:
		if res.Processed > 0 {
			c.R.Double(res.Score)
		} else {
			c.R.Null()
		}
	case ch:
		c.R.Int(res.Added + res.Updated)
	default:
		c.R.Int(res.Added)
	}
	if res.Added+res.Updated > 0 { // after the reply, as in Redis
		if f.Incr {
			Notify(c, NotifyZSet, "zincr", args[1])
		} else {
			Notify(c, NotifyZSet, "zadd", args[1])
		}
	}
}

func zincrbyCmd(c *Ctx) {
	s, ok := ParseFloat(c.Args[2])
	if !ok {
		c.R.Error(ErrNotFloat)
		return
	}
	items := [1]engine.ZItem{{Score: s, Member: c.Args[3]}}
	res, err := c.Tx.ZAdd(c.Args[1], items[:], engine.ZAddFlags{Incr: true})
	if err != nil {
		lzFail(c, err)
		return
	}
	c.R.Double(res.Score)
	if res.Added+res.Updated > 0 { // an increment of 0 changes nothing
		Notify(c, NotifyZSet, "zincr", c.Args[1])
	}
}

func zremCmd(c *Ctx) {
	n, err := c.Tx.ZRem(c.Args[1], c.Args[2:])
	if err != nil {
		lzFail(c, err)
		return
	}
	notifyZRemoved(c, "zrem", n)
	c.R.Int(n)
}

func zcardCmd(c *Ctx) {
	lzStat(c, c.Args[1])
	n, err := c.Tx.ZCard(c.Args[1])
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

func zscoreCmd(c *Ctx) {
	lzStat(c, c.Args[1])
	s, ok, err := c.Tx.ZScore(c.Args[1], c.Args[2])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.R.Null()
	default:
		c.R.Double(s)
	}
}

func zmscoreCmd(c *Ctx) {
	lzStat(c, c.Args[1])
	scores, err := c.Tx.ZMScore(c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Array(len(scores))
	for _, s := range scores {
		if math.IsNaN(s) {
			c.R.Null()
		} else {
			c.R.Double(s)
		}
	}
}

func zrankCmd(c *Ctx)    { rankGeneric(c, false) }
func zrevrankCmd(c *Ctx) { rankGeneric(c, true) }

func rankGeneric(c *Ctx, rev bool) {
	lzStat(c, c.Args[1])
	r, ok, err := c.Tx.ZRank(c.Args[1], c.Args[2], rev)
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.R.Null()
	default:
		c.R.Int(r)
	}
}

func zcountCmd(c *Ctx) {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.R.Error(errMinMaxFloat)
		return
	}
	lzStat(c, c.Args[1])
	n, err := c.Tx.ZCount(c.Args[1], r)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

func zlexcountCmd(c *Ctx) {
	r, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.R.Error(errMinMaxLex)
		return
	}
	lzStat(c, c.Args[1])
	n, err := c.Tx.ZLexCount(c.Args[1], r)
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

// ---------------------------------------------------------------------------
// ZRANGE and friends: one parser, as Redis's zrangeGenericCommand.

type zrangeType int

const (
	zrAuto zrangeType = iota
	zrRank
	zrScore
	zrLex
)

type zrangeDir int

const (
	zdAuto zrangeDir = iota
	zdForward
	zdReverse
)

func zrangeCmd(c *Ctx)           { zrangeGeneric(c, 1, false, zrAuto, zdAuto) }
func zrangestoreCmd(c *Ctx)      { zrangeGeneric(c, 2, true, zrAuto, zdAuto) }
func zrevrangeCmd(c *Ctx)        { zrangeGeneric(c, 1, false, zrRank, zdReverse) }
func zrangebyscoreCmd(c *Ctx)    { zrangeGeneric(c, 1, false, zrScore, zdForward) }
func zrevrangebyscoreCmd(c *Ctx) { zrangeGeneric(c, 1, false, zrScore, zdReverse) }
func zrangebylexCmd(c *Ctx)      { zrangeGeneric(c, 1, false, zrLex, zdForward) }
func zrevrangebylexCmd(c *Ctx)   { zrangeGeneric(c, 1, false, zrLex, zdReverse) }

// zrangeGeneric parses <src> <min> <max> [options] from args[start:] and
// replies with the range, or stores it into args[1] (ZRANGESTORE).
func zrangeGeneric(c *Ctx, start int, store bool, typ zrangeType, dir zrangeDir) {
	args := c.Args
	key := args[start]
	minIdx, maxIdx := start+1, start+2
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := start + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !store && EqualFold(a, "withscores"):
			withScores = true
		case EqualFold(a, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.ParseIntArg(args[j+1]); !ok {
				return
			}
			if limit, ok = c.ParseIntArg(args[j+2]); !ok {
				return
			}
			j += 2
		case dir == zdAuto && EqualFold(a, "rev"):
			dir = zdReverse
		case typ == zrAuto && EqualFold(a, "bylex"):
			typ = zrLex
		case typ == zrAuto && EqualFold(a, "byscore"):
			typ = zrScore
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	if dir == zdAuto {
		dir = zdForward
	}
	if typ == zrAuto {
		typ = zrRank
	}
	if limit != -1 && typ == zrRank {
		c.R.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && typ == zrLex {
		c.R.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	rev := dir == zdReverse
	if rev && typ != zrRank {
		// The range is given as max min.
		minIdx, maxIdx = maxIdx, minIdx
	}
	var items []engine.ZItem
	var err error
	switch typ {
	case zrRank:
		from, ok := c.ParseIntArg(args[minIdx])
		if !ok {
			return
		}
		to, ok := c.ParseIntArg(args[maxIdx])
		if !ok {
			return
		}
		lzStat(c, key)
		items, err = c.Tx.ZRangeByRank(key, from, to, rev)
	case zrScore:
		r, ok := parseScoreRange(args[minIdx], args[maxIdx])
		if !ok {
			c.R.Error(errMinMaxFloat)
			return
		}
		lzStat(c, key)
		items, err = c.Tx.ZRangeByScore(key, r, rev, offset, limit)
	case zrLex:
		r, ok := parseLexRange(args[minIdx], args[maxIdx])
		if !ok {
			c.R.Error(errMinMaxLex)
			return
		}
		lzStat(c, key)
		items, err = c.Tx.ZRangeByLex(key, r, rev, offset, limit)
	}
	if err != nil {
		c.Err(err)
		return
	}
	if store {
		existed := keyExists(c, NotifyGeneric, args[1])
		n, err := c.Tx.ZStore(args[1], items)
		if err != nil {
			lzFail(c, err)
			return
		}
		c.R.Int(n)
		zstoreNotify(c, "zrangestore", args[1], n, existed)
		return
	}
	replyItems(c.R, items, withScores)
}

// ---------------------------------------------------------------------------
// Removal by range, pops.

func zremrangebyrankCmd(c *Ctx) {
	start, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	stop, ok := c.ParseIntArg(c.Args[3])
	if !ok {
		return
	}
	zremReply(c, "zremrangebyrank")(c.Tx.ZRemRangeByRank(c.Args[1], start, stop))
}

func zremrangebyscoreCmd(c *Ctx) {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.R.Error(errMinMaxFloat)
		return
	}
	zremReply(c, "zremrangebyscore")(c.Tx.ZRemRangeByScore(c.Args[1], r))
}

func zremrangebylexCmd(c *Ctx) {
	r, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.R.Error(errMinMaxLex)
		return
	}
	zremReply(c, "zremrangebylex")(c.Tx.ZRemRangeByLex(c.Args[1], r))
}

// zremReply replies to a ZREMRANGEBY* command: the count removed (with
// its keyspace event), or the error with the command's writes dropped.
func zremReply(c *Ctx, event string) func(n int64, err error) {
	return func(n int64, err error) {
		if err != nil {
			lzFail(c, err)
			return
		}
		notifyZRemoved(c, event, n)
		c.R.Int(n)
	}
}

func zpopminCmd(c *Ctx) { zpopGeneric(c, false) }
func zpopmaxCmd(c *Ctx) { zpopGeneric(c, true) }

// zpopGeneric implements ZPOPMIN/ZPOPMAX key [count]. Without a count the
// reply is a flat [member, score]; with one it is a flat array in RESP2
// and an array of pairs in RESP3.
func zpopGeneric(c *Ctx, max bool) {
	if len(c.Args) > 3 {
		c.R.Error(ErrSyntax)
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
		if n == 0 {
			// The key's type is still checked.
			if _, err := c.Tx.ZCard(c.Args[1]); err != nil {
				c.Err(err)
				return
			}
			c.R.Array(0)
			return
		}
		count = n
	}
	items, _, err := c.Tx.ZPop(c.Args[1], max, count)
	if err != nil {
		lzFail(c, err)
		return
	}
	mark := len(c.R.Buf)
	if hasCount {
		replyItems(c.R, items, true)
	} else {
		c.R.Array(2 * len(items))
		for _, it := range items {
			c.R.Bulk(it.Member)
			c.R.Double(it.Score)
		}
	}
	if len(items) > 0 {
		// Redis raises the pop event right after the array header.
		hdr := mark + bytes.Index(c.R.Buf[mark:], []byte("\r\n")) + 2
		notifyZPopped(c, c.Args[1], max, hdr)
	}
}

// notifyZPopped raises the events of a pop from key: the pop event at
// reply position at, "del" at the end, where Redis raises them.
func notifyZPopped(c *Ctx, key []byte, max bool, at int) {
	if max {
		NotifyAt(c, NotifyZSet, "zpopmax", key, at)
	} else {
		NotifyAt(c, NotifyZSet, "zpopmin", key, at)
	}
	NotifyIfRemoved(c, key)
}

// notifyZRemoved raises a removal's events when n members went.
func notifyZRemoved(c *Ctx, event string, n int64) {
	if n > 0 {
		Notify(c, NotifyZSet, event, c.Args[1])
		NotifyIfRemoved(c, c.Args[1])
	}
}

// zstoreNotify raises a store's events after its reply: event on dst when
// the result was stored, "del" when an empty result removed dst.
func zstoreNotify(c *Ctx, event string, dst []byte, n int64, existed bool) {
	switch {
	case n > 0:
		Notify(c, NotifyZSet, event, dst)
	case existed:
		Notify(c, NotifyGeneric, "del", dst)
	}
}

// parseMinMax parses ZMPOP's MIN/MAX (true for MAX).
func parseMinMax(b []byte) (max, ok bool) {
	switch {
	case EqualFold(b, "min"):
		return false, true
	case EqualFold(b, "max"):
		return true, true
	}
	return false, false
}

// zmpopCmd implements ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]:
// [key, [[member, score], ...]] from the first non-empty key.
func zmpopCmd(c *Ctx) {
	keys, max, count, ok := parseMpop(c, parseMinMax)
	if !ok {
		return
	}
	for _, k := range keys {
		items, exists, err := c.Tx.ZPop(k, max, count)
		if err != nil {
			lzFail(c, err)
			return
		}
		if !exists {
			continue
		}
		c.R.Array(2)
		c.R.Bulk(k)
		c.R.Array(len(items))
		at := len(c.R.Buf)
		for _, it := range items {
			c.R.Array(2)
			c.R.Bulk(it.Member)
			c.R.Double(it.Score)
		}
		if len(items) > 0 {
			notifyZPopped(c, k, max, at)
		}
		return
	}
	c.R.NullArray()
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER.

// zrandCountMax bounds a negative ZRANDMEMBER count: Redis would build a
// reply of any size; Shale refuses one it could not reasonably hold.
const zrandCountMax = 1 << 26

// zrandmemberCmd implements ZRANDMEMBER key [count [WITHSCORES]]. Members
// are picked by rank and fetched in one walk up to the highest rank picked
// (O(max rank)).
func zrandmemberCmd(c *Ctx) {
	args := c.Args
	if len(args) == 2 {
		lzStat(c, args[1])
		n, err := c.Tx.ZCard(args[1])
		if err != nil {
			c.Err(err)
			return
		}
		if n == 0 {
			c.R.Null()
			return
		}
		items, err := c.Tx.ZSample(args[1], []int64{rand.Int64N(n)})
		if err != nil || len(items) == 0 {
			if err == nil {
				c.R.Null()
				return
			}
			c.Err(err)
			return
		}
		c.R.Bulk(items[0].Member)
		return
	}
	count, ok := ParseInt(args[2])
	if !ok {
		c.R.Error(ErrNotInteger)
		return
	}
	if count == math.MinInt64 {
		c.R.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !EqualFold(args[3], "withscores")) {
		c.R.Error(ErrSyntax)
		return
	} else if len(args) == 4 {
		withScores = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.R.Error("ERR value is out of range")
			return
		}
	}
	if count < -zrandCountMax {
		c.R.Error("ERR value is out of range")
		return
	}
	lzStat(c, args[1])
	size, err := c.Tx.ZCard(args[1])
	if err != nil {
		c.Err(err)
		return
	}
	if size == 0 || count == 0 {
		c.R.Array(0)
		return
	}
	var items []engine.ZItem
	switch {
	case count >= size:
		// The whole set, highest first (Redis iterates from the tail).
		items, err = c.Tx.ZRangeByRank(args[1], 0, -1, true)
	case count < 0:
		// With repetitions: fetch each distinct rank once, then replay the
		// picks in their random order.
		n := -count
		picks := make([]int64, n)
		for i := range picks {
			picks[i] = rand.Int64N(size)
		}
		sorted := slices.Clone(picks)
		slices.Sort(sorted)
		sorted = slices.Compact(sorted)
		var got []engine.ZItem
		got, err = c.Tx.ZSample(args[1], sorted)
		if err == nil && len(got) == len(sorted) {
			items = make([]engine.ZItem, n)
			for i, p := range picks {
				j, _ := slices.BinarySearch(sorted, p)
				items[i] = got[j]
			}
		}
	default:
		// Distinct members: Floyd's sampling of count ranks, shuffled.
		chosen := make(map[int64]struct{}, count)
		for j := size - count; j < size; j++ {
			t := rand.Int64N(j + 1)
			if _, dup := chosen[t]; dup {
				t = j
			}
			chosen[t] = struct{}{}
		}
		ranks := make([]int64, 0, count)
		for r := range chosen {
			ranks = append(ranks, r)
		}
		slices.Sort(ranks)
		items, err = c.Tx.ZSample(args[1], ranks)
		rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	}
	if err != nil {
		c.Err(err)
		return
	}
	replyItems(c.R, items, withScores)
}

// ---------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF (and STORE), ZINTERCARD.

type zsetOp int

const (
	opUnion zsetOp = iota
	opInter
	opDiff
)

type aggregate int

const (
	aggSum aggregate = iota
	aggMin
	aggMax
)

func zunionCmd(c *Ctx)      { zsetOpGeneric(c, 1, false, opUnion, false) }
func zinterCmd(c *Ctx)      { zsetOpGeneric(c, 1, false, opInter, false) }
func zdiffCmd(c *Ctx)       { zsetOpGeneric(c, 1, false, opDiff, false) }
func zunionstoreCmd(c *Ctx) { zsetOpGeneric(c, 2, true, opUnion, false) }
func zinterstoreCmd(c *Ctx) { zsetOpGeneric(c, 2, true, opInter, false) }
func zdiffstoreCmd(c *Ctx)  { zsetOpGeneric(c, 2, true, opDiff, false) }
func zintercardCmd(c *Ctx)  { zsetOpGeneric(c, 1, false, opInter, true) }

// zsetOpGeneric follows Redis's zunionInterDiffGenericCommand: numkeys,
// then the sources (type-checked before any option is parsed), then
// WEIGHTS / AGGREGATE / WITHSCORES / LIMIT.
func zsetOpGeneric(c *Ctx, numIdx int, store bool, op zsetOp, cardOnly bool) {
	args := c.Args
	setnum, ok := c.ParseIntArg(args[numIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.R.Error("ERR at least 1 input key is needed for '" + c.Cmd.Name + "' command")
		return
	}
	if setnum > int64(len(args)-numIdx-1) {
		c.R.Error(ErrSyntax)
		return
	}
	srcs := make([]*engine.ZSource, setnum)
	weights := make([]float64, setnum)
	j := numIdx + 1
	for i := range srcs {
		lzStat(c, args[j])
		s, err := c.Tx.OpenZSource(args[j])
		if err != nil {
			c.Err(err)
			return
		}
		srcs[i] = s
		weights[i] = 1
		j++
	}
	agg := aggSum
	withScores := false
	limit := int64(0)
	for j < len(args) {
		left := len(args) - j
		a := args[j]
		switch {
		case op != opDiff && !cardOnly && left >= int(setnum)+1 && EqualFold(a, "weights"):
			j++
			for i := range weights {
				w, ok := ParseFloat(args[j])
				if !ok {
					c.R.Error("ERR weight value is not a float")
					return
				}
				weights[i] = w
				j++
			}
		case op != opDiff && !cardOnly && left >= 2 && EqualFold(a, "aggregate"):
			switch b := args[j+1]; {
			case EqualFold(b, "sum"):
				agg = aggSum
			case EqualFold(b, "min"):
				agg = aggMin
			case EqualFold(b, "max"):
				agg = aggMax
			default:
				c.R.Error(ErrSyntax)
				return
			}
			j += 2
		case !store && !cardOnly && EqualFold(a, "withscores"):
			withScores = true
			j++
		case cardOnly && left >= 2 && EqualFold(a, "limit"):
			n, ok := ParseInt(args[j+1])
			if !ok || n < 0 {
				c.R.Error("ERR LIMIT can't be negative")
				return
			}
			limit = n
			j += 2
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	if cardOnly {
		n, err := zinterCard(srcs, limit)
		if err != nil {
			c.Err(err)
			return
		}
		c.R.Int(n)
		return
	}
	var items []engine.ZItem
	var err error
	switch op {
	case opUnion:
		items, err = zunionItems(srcs, weights, agg)
	case opInter:
		items, err = zinterItems(srcs, weights, agg)
	case opDiff:
		items, err = zdiffItems(srcs)
	}
	if err != nil {
		c.Err(err)
		return
	}
	if store {
		existed := keyExists(c, NotifyGeneric, args[1])
		n, err := c.Tx.ZStore(args[1], items)
		if err != nil {
			lzFail(c, err)
			return
		}
		c.R.Int(n)
		zstoreNotify(c, [...]string{opUnion: "zunionstore", opInter: "zinterstore", opDiff: "zdiffstore"}[op], args[1], n, existed)
		return
	}
	sortZItems(items)
	replyItems(c.R, items, withScores)
}

// weighted is Redis's weight * score with NaN (0 * inf) read as 0.
func weighted(w, s float64) float64 {
	v := w * s
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func aggregateInto(target *float64, v float64, agg aggregate) {
	switch agg {
	case aggSum:
		*target += v
		if math.IsNaN(*target) { // inf + -inf
			*target = 0
		}
	case aggMin:
		if v < *target {
			*target = v
		}
	case aggMax:
		if v > *target {
			*target = v
		}
	}
}

func zunionItems(srcs []*engine.ZSource, weights []float64, agg aggregate) ([]engine.ZItem, error) {
	idx := map[string]int{}
	var items []engine.ZItem
	for i, s := range srcs {
		if s == nil {
			continue
		}
		w := weights[i]
		err := s.Each(func(m []byte, score float64) bool {
			v := weighted(w, score)
			if k, ok := idx[string(m)]; ok {
				aggregateInto(&items[k].Score, v, agg)
				return true
			}
			mm := bytes.Clone(m)
			idx[string(mm)] = len(items)
			items = append(items, engine.ZItem{Member: mm, Score: v})
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	return items, nil
}

// interOrder returns the source indexes ordered by size (smallest first),
// or nil when some source is missing or empty (the intersection is empty).
func interOrder(srcs []*engine.ZSource) []int {
	order := make([]int, len(srcs))
	for i, s := range srcs {
		if s == nil || s.Size() == 0 {
			return nil
		}
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return srcs[order[a]].Size() < srcs[order[b]].Size() })
	return order
}

func zinterItems(srcs []*engine.ZSource, weights []float64, agg aggregate) ([]engine.ZItem, error) {
	order := interOrder(srcs)
	if order == nil {
		return nil, nil
	}
	var items []engine.ZItem
	var ierr error
	first := order[0]
	err := srcs[first].Each(func(m []byte, score float64) bool {
		v := weighted(weights[first], score)
		for _, o := range order[1:] {
			s, ok, err := srcs[o].Score(m)
			if err != nil {
				ierr = err
				return false
			}
			if !ok {
				return true
			}
			// Redis fixes up NaN (0 * inf) only for the first
			// source's product; the others go into the aggregate raw
			// (a NaN sum becomes 0, NaN never wins MIN/MAX).
			aggregateInto(&v, weights[o]*s, agg)
		}
		items = append(items, engine.ZItem{Member: bytes.Clone(m), Score: v})
		return true
	})
	if err == nil {
		err = ierr
	}
	return items, err
}

func zinterCard(srcs []*engine.ZSource, limit int64) (int64, error) {
	order := interOrder(srcs)
	if order == nil {
		return 0, nil
	}
	var n int64
	var ierr error
	err := srcs[order[0]].Each(func(m []byte, _ float64) bool {
		for _, o := range order[1:] {
			_, ok, err := srcs[o].Score(m)
			if err != nil {
				ierr = err
				return false
			}
			if !ok {
				return true
			}
		}
		n++
		return limit == 0 || n < limit
	})
	if err == nil {
		err = ierr
	}
	return n, err
}

func zdiffItems(srcs []*engine.ZSource) ([]engine.ZItem, error) {
	if srcs[0] == nil || srcs[0].Size() == 0 {
		return nil, nil
	}
	var items []engine.ZItem
	var ierr error
	err := srcs[0].Each(func(m []byte, score float64) bool {
		for _, s := range srcs[1:] {
			if s == nil {
				continue
			}
			_, ok, err := s.Score(m)
			if err != nil {
				ierr = err
				return false
			}
			if ok {
				return true
			}
		}
		items = append(items, engine.ZItem{Member: bytes.Clone(m), Score: score})
		return true
	})
	if err == nil {
		err = ierr
	}
	return items, err
}

// sortZItems orders items as a sorted set does: by score, then member.
func sortZItems(items []engine.ZItem) {
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Score != b.Score {
			return a.Score < b.Score
		}
		return bytes.Compare(a.Member, b.Member) < 0
	})
}

// ---------------------------------------------------------------------------
// ZSCAN.

func zscanCmd(c *Ctx) {
	if _, valid := parseScanCursor([]byte(CString(c.Args[2]))); valid {
		lzStat(c, c.Args[1])
	}
	cursor, o, ok := c.collScan(encoding.TypeZSet)
	if !ok {
		return
	}
	mark := len(c.R.Buf)
	n := 0
	var sbuf []byte
	next, err := c.Tx.ZScan(c.Args[1], cursor, o.count, func(m []byte, s float64, listpack bool) {
		if !o.match(m) {
			return
		}
		c.R.Bulk(m)
		if listpack {
			sbuf = appendListpackScore(sbuf[:0], s)
		} else {
			sbuf = server.AppendDouble(sbuf[:0], s)
		}
		c.R.Bulk(sbuf)
		n += 2
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.writeScanReply(mark, next, n)
}
