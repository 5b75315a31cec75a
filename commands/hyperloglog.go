package commands

import (
	"errors"
	"strings"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
)

// HyperLogLog commands over Redis's own HLL string representation
// (engine/hyperloglog.go).

func init() {
	Register(
		&Command{Name: "pfadd", Arity: -2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatWrite | CatHyperLogLog | CatFast, Handler: pfaddCmd, Group: "hyperloglog", Summary: "Adds the specified elements to the specified HyperLogLog.", Since: "2.8.9", Complexity: "O(1) to add every element.",
			KeySpecs: []KeySpec{RangeSpec("RW insert", 1, 0, 1)}},
		&Command{Name: "pfcount", Arity: -2, Flags: Readonly | MayReplicate, FirstKey: 1, LastKey: -1, Step: 1, Categories: CatRead | CatHyperLogLog | CatSlow, Handler: pfcountCmd, Group: "hyperloglog", Summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", Since: "2.8.9", Complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
			KeySpecs: []KeySpec{{Notes: "RW because it may change the internal representation of the key, and propagate to replicas", Flags: []string{"RW", "access"}, Index: 1, Find: FindRange, LastKey: -1, KeyStep: 1}}},
		&Command{Name: "pfmerge", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Categories: CatWrite | CatHyperLogLog | CatSlow, Handler: pfmergeCmd, Group: "hyperloglog", Summary: "Merge N different HyperLogLogs into a single one.", Since: "2.8.9", Complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
			KeySpecs: []KeySpec{RangeSpec("RW access insert", 1, 0, 1), RangeSpec("RO access", 2, -1, 1)}},
		&Command{Name: "pfdebug", Arity: 3, Flags: Write | DenyOOM | Admin, FirstKey: 2, LastKey: 2, Step: 1, Categories: CatWrite | CatHyperLogLog | CatAdmin | CatSlow | CatDangerous, Handler: pfdebugCmd, Group: "hyperloglog", Summary: "Internal commands for debugging HyperLogLog values", Since: "2.8.9", Complexity: "N/A",
			KeySpecs: []KeySpec{RangeSpec("RW access", 2, 0, 1)}},
		&Command{Name: "pfselftest", Arity: 1, Flags: Admin, Categories: CatHyperLogLog | CatAdmin | CatSlow | CatDangerous, Handler: pfselftestCmd, Group: "hyperloglog", Summary: "An internal command for testing HyperLogLog values", Since: "2.8.9", Complexity: "N/A"},
	)
}

// hllErr replies an HLL error: the engine's errors carry their code.
func hllErr(c *Ctx, err error) {
	switch {
	case errors.Is(err, engine.ErrHLLWrongType), errors.Is(err, engine.ErrHLLCorrupt),
		errors.Is(err, engine.ErrHLLNoKey), errors.Is(err, engine.ErrHLLNotSparse):
		c.R.Error(err.Error())
	default:
		c.Err(err)
	}
}

func hllMaxBytes(c *Ctx) int { return int(c.Srv.Config.Int("hll-sparse-max-bytes")) }

func pfaddCmd(c *Ctx) {
	key := c.Args[1]
	updated, err := c.Tx.PFAdd(key, c.Args[2:], hllMaxBytes(c))
	if err != nil {
		hllErr(c, err)
		return
	}
	if updated {
		Notify(c, NotifyString, "pfadd", key)
		c.R.Int(1)
	} else {
		c.R.Int(0)
	}
}

// hllCountLookups counts keyspace hits and misses of keys read with
// lookupKeyRead in Redis, which stops at the first key that is no HLL.
func hllCountLookups(c *Ctx, keys [][]byte) {
	for _, k := range keys {
		m, ok, err := c.Tx.Lookup(k)
		if err != nil {
			return
		}
		countKeyspaceLookup(c, ok)
		if ok && (m.Type != encoding.TypeString || m.Flags&encoding.FlagFragmented != 0 || !engine.IsHLL(m.Value)) {
			return
		}
	}
}

func pfcountCmd(c *Ctx) {
	hllCountLookups(c, c.Args[1:])
	n, err := c.Tx.PFCount(c.Args[1:])
	if err != nil {
		hllErr(c, err)
		return
	}
	c.R.Int(int64(n))
}

func pfmergeCmd(c *Ctx) {
	key := c.Args[1]
	hllCountLookups(c, c.Args[1:])
	if err := c.Tx.PFMerge(key, c.Args[2:], hllMaxBytes(c)); err != nil {
		hllErr(c, err)
		return
	}
	Notify(c, NotifyString, "pfadd", key)
	c.R.OK()
}

func pfdebugCmd(c *Ctx) {
	name := cstr(c.Args[1]) // Redis's strcasecmp and %s stop at a NUL
	sub := strings.ToLower(string(name))
	regs, text, converted, ok, err := c.Tx.PFDebug(sub, c.Args[2])
	if err != nil {
		hllErr(c, err)
		return
	}
	switch {
	case !ok:
		c.R.Error("ERR Unknown PFDEBUG subcommand '" + string(name) + "'")
	case sub == "getreg":
		c.R.Array(len(regs))
		for _, r := range regs {
			c.R.Int(r)
		}
	case sub == "decode":
		c.R.BulkString(text)
	case sub == "encoding":
		c.R.Status(text)
	case sub == "todense":
		if converted {
			c.R.Int(1)
		} else {
			c.R.Int(0)
		}
	}
}

func pfselftestCmd(c *Ctx) {
	if msg := engine.HLLSelfTest(); msg != "" {
		c.R.Error(msg)
		return
	}
	c.R.OK()
}
