package commands

import (
	"errors"

	"github.com/shaledb/shale/tools"
)

// DUMP and RESTORE, with Redis's payload format (RDB value, RDB version,
// CRC64): payloads move between Shale and Redis in both directions.

func init() {
	Register(
		&Command{Name: "dump", Arity: 2, Flags: Readonly, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatKeyspace | CatRead | CatSlow, Handler: dumpCmd, Group: "generic", Summary: "Return a serialized version of the value stored at the specified key.", Since: "2.6.0", Complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", Tips: []string{"nondeterministic_output"}, KeySpecs: []KeySpec{RangeSpec("RO access", 1, 1, 1)}},
		&Command{Name: "restore", Arity: -4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatKeyspace | CatWrite | CatSlow | CatDangerous, Handler: restoreCmd, Group: "generic", Summary: "Create a key using the provided serialized value, previously obtained using DUMP.", Since: "2.6.0", Complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", KeySpecs: []KeySpec{RangeSpec("OW update", 1, 1, 1)}},
	)
}

func dumpCmd(c *Ctx) {
	payload, ok, err := tools.DumpValue(c.Tx, c.Args[1])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.R.Null()
	default:
		c.R.Bulk(payload)
	}
}

// restoreCmd follows Redis 7.0's restoreCommand: options, then BUSYKEY,
// then the TTL, then the payload's trailer, then its content.
func restoreCmd(c *Ctx) {
	key := c.Args[1]
	replace, absttl := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		a := c.Args[j]
		switch {
		case EqualFold(a, "replace"):
			replace = true
		case EqualFold(a, "absttl"):
			absttl = true
		case EqualFold(a, "idletime") && more >= 1 && freq == -1:
			v, ok := c.ParseIntArg(c.Args[j+1])
			if !ok {
				return
			}
			if v < 0 {
				c.R.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = v
			j++
		case EqualFold(a, "freq") && more >= 1 && idle == -1:
			v, ok := c.ParseIntArg(c.Args[j+1])
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				c.R.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = v
			j++
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	// IDLETIME/FREQ only feed eviction hints, which Shale does not keep.
	_, _ = idle, freq
	if !replace {
		exists, err := c.Tx.Exists(key)
		if err != nil {
			c.Err(err)
			return
		}
		if exists {
			c.R.Error("BUSYKEY Target key name already exists.")
			return
		}
	}
	ttl, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	if ttl < 0 {
		c.R.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	val, err := tools.DecodeDump(c.Args[3])
	if err != nil {
		if errors.Is(err, tools.ErrDumpPayload) || errors.Is(err, tools.ErrBadFormat) {
			c.R.Error("ERR " + err.Error())
		} else {
			c.Err(err)
		}
		return
	}
	deleted := false
	if replace {
		if deleted, err = c.Tx.Delete(key); err != nil {
			c.Err(err)
			return
		}
	}
	if ttl != 0 && !absttl {
		ttl += c.Tx.Now
	}
	if ttl != 0 && ttl <= c.Tx.Now {
		// Already expired: the key is not created (a replaced one is gone).
		if deleted {
			Notify(c, NotifyGeneric, "del", key)
		}
		c.R.OK()
		return
	}
	if err := val.Write(c.Tx, key, ttl); err != nil {
		c.Err(err)
		return
	}
	Notify(c, NotifyGeneric, "restore", key)
	c.R.OK()
}
