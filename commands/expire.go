package commands

import (
	"math"

	"github.com/shaledb/shale/engine"
)

// Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME
// PEXPIRETIME PERSIST.

func init() {
	const kw = CatKeyspace | CatWrite | CatFast
	const kr = CatKeyspace | CatRead | CatFast
	ro := func(name, summary, since string, h func(*Ctx)) *Command {
		return &Command{Name: name, Arity: 2, Flags: Readonly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: kr, Handler: h, Group: "generic", Summary: summary, Since: since, Complexity: "O(1)",
			KeySpecs: []KeySpec{RangeSpec("RO access", 1, 0, 1)}}
	}
	wr := func(name string, arity int, summary, since string, h func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: kw, Handler: h, Group: "generic", Summary: summary, Since: since, Complexity: "O(1)",
			KeySpecs: []KeySpec{RangeSpec("RW update", 1, 0, 1)}}
	}
	nondet := func(c *Command) *Command {
		c.Tips = []string{"nondeterministic_output"}
		return c
	}
	Register(
		wr("expire", -3, "Set a key's time to live in seconds", "1.0.0", expire),
		wr("pexpire", -3, "Set a key's time to live in milliseconds", "2.6.0", expire),
		wr("expireat", -3, "Set the expiration for a key as a UNIX timestamp", "1.2.0", expire),
		wr("pexpireat", -3, "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", expire),
		nondet(ro("ttl", "Get the time to live for a key in seconds", "1.0.0", ttl)),
		nondet(ro("pttl", "Get the time to live for a key in milliseconds", "2.6.0", ttl)),
		ro("expiretime", "Get the expiration Unix timestamp for a key", "7.0.0", expiretime),
		ro("pexpiretime", "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", expiretime),
		wr("persist", 2, "Remove the expiration from a key", "2.2.0", persist),
	)
}

// expire implements EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT key time
// [NX|XX|GT|LT], following Redis's expireGenericCommand step by step: the
// options are checked before the time, overflow is an error, and a time
// not in the future deletes the key (replying 1).
func expire(c *Ctx) {
	name := c.Cmd.Name
	var f engine.ExpireFlags
	for _, o := range c.Args[3:] {
		switch {
		case EqualFold(o, "nx"):
			f.NX = true
		case EqualFold(o, "xx"):
			f.XX = true
		case EqualFold(o, "gt"):
			f.GT = true
		case EqualFold(o, "lt"):
			f.LT = true
		default:
			c.R.Error("ERR Unsupported option " + CString(o))
			return
		}
	}
	if f.NX && (f.XX || f.GT || f.LT) {
		c.R.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if f.GT && f.LT {
		c.R.Error("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := ParseInt(c.Args[2])
	if !ok {
		c.R.Error(ErrNotInteger)
		return
	}
	seconds := name == "expire" || name == "expireat"
	relative := name == "expire" || name == "pexpire"
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.R.Error("ERR invalid expire time in '" + name + "' command")
			return
		}
		when *= 1000
	}
	if relative {
		if when > math.MaxInt64-c.Tx.Now {
			c.R.Error("ERR invalid expire time in '" + name + "' command")
			return
		}
		when += c.Tx.Now
	}
	changed, err := c.Tx.SetExpire(c.Args[1], when, f)
	if err != nil {
		c.fail(err)
		return
	}
	if changed {
		if when <= c.Tx.Now {
			Notify(c, NotifyGeneric, "del", c.Args[1]) // deleted at once
		} else {
			Notify(c, NotifyGeneric, "expire", c.Args[1])
		}
		c.R.Int(1)
	} else {
		c.R.Int(0)
	}
}

// ttl implements TTL and PTTL: -2 for a missing key, -1 without expiry.
func ttl(c *Ctx) {
	m, ok, err := c.Tx.Lookup(c.Args[1])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.miss()
		c.R.Int(-2)
	case m.ExpireAt == 0:
		c.hit()
		c.R.Int(-1)
	default:
		c.hit()
		left := max(m.ExpireAt-c.Tx.Now, 0)
		if c.Cmd.Name == "ttl" {
			left = (left + 500) / 1000 // Redis rounds to the nearest second
		}
		c.R.Int(left)
	}
}

// expiretime implements EXPIRETIME and PEXPIRETIME.
func expiretime(c *Ctx) {
	m, ok, err := c.Tx.Lookup(c.Args[1])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.miss()
		c.R.Int(-2)
	case m.ExpireAt == 0:
		c.hit()
		c.R.Int(-1)
	case c.Cmd.Name == "expiretime":
		c.hit()
		c.R.Int(m.ExpireAt / 1000)
	default:
		c.hit()
		c.R.Int(m.ExpireAt)
	}
}

func persist(c *Ctx) {
	ok, err := c.Tx.Persist(c.Args[1])
	switch {
	case err != nil:
		c.fail(err)
	case ok:
		Notify(c, NotifyGeneric, "persist", c.Args[1])
		c.R.Int(1)
	default:
		c.R.Int(0)
	}
}
