package commands

import (
	"github.com/shaledb/shale/engine"
)

func init() {
	Register(
		&Command{Name: "get", Arity: 2, Flags: Readonly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatRead | CatString | CatFast, Handler: get, Group: "string", Summary: "Returns the string value of a key.", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "set", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatWrite | CatString | CatSlow, Handler: set, Group: "string", Summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", Since: "1.0.0", Complexity: "O(1)"},
	)
}

func get(c *Ctx) {
	v, ok, err := c.Tx.GetString(c.Args[1])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.Eng.Stats.KeyspaceMisses.Add(1)
		c.R.Null()
	default:
		c.Eng.Stats.KeyspaceHits.Add(1)
		c.R.Bulk(v)
	}
}

// set implements SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL].
func set(c *Ctx) {
	var nx, xx, getOld, keepTTL bool
	var expireAt int64
	expSet := false
	args := c.Args
	for i := 3; i < len(args); i++ {
		a := args[i]
		switch {
		case EqualFold(a, "NX") && !xx:
			nx = true
		case EqualFold(a, "XX") && !nx:
			xx = true
		case EqualFold(a, "GET"):
			getOld = true
		case EqualFold(a, "KEEPTTL") && !expSet:
			keepTTL = true
		case (EqualFold(a, "EX") || EqualFold(a, "PX") || EqualFold(a, "EXAT") || EqualFold(a, "PXAT")) && !expSet && !keepTTL && i+1 < len(args):
			n, ok := ParseInt(args[i+1])
			if !ok {
				c.R.Error(ErrNotInteger)
				return
			}
			var at int64
			var ovf bool
			at, ovf = expireFromArg(a, n, c.Tx.Now)
			if n <= 0 || ovf {
				c.R.Error("ERR invalid expire time in '" + c.Cmd.Name + "' command")
				return
			}
			expireAt = at
			expSet = true
			i++
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	key := args[1]
	m, exists, err := c.Tx.Lookup(key)
	if err != nil {
		c.Err(err)
		return
	}
	if getOld && exists && !m.IsInlineString() {
		c.Err(engine.ErrWrongType)
		return
	}
	if (nx && exists) || (xx && !exists) {
		if getOld {
			if exists {
				c.R.Bulk(m.Value)
			} else {
				c.R.Null()
			}
		} else {
			c.R.Null()
		}
		return
	}
	if keepTTL && exists {
		expireAt = m.ExpireAt
	}
	var old []byte
	if getOld && exists {
		old = m.Value
	}
	if err := c.Tx.SetString(key, args[2], expireAt); err != nil {
		c.Err(err)
		return
	}
	if getOld {
		if exists {
			c.R.Bulk(old)
		} else {
			c.R.Null()
		}
		return
	}
	c.R.OK()
}

// expireFromArg converts an EX/PX/EXAT/PXAT argument to unix ms, reporting
// overflow.
func expireFromArg(kind []byte, n int64, nowMs int64) (int64, bool) {
	const maxMs = 1<<63 - 1
	switch {
	case EqualFold(kind, "EX"):
		if n > maxMs/1000 || n*1000 > maxMs-nowMs {
			return 0, true
		}
		return nowMs + n*1000, false
	case EqualFold(kind, "PX"):
		if n > maxMs-nowMs {
			return 0, true
		}
		return nowMs + n, false
	case EqualFold(kind, "EXAT"):
		if n > maxMs/1000 {
			return 0, true
		}
		return n * 1000, false
	}
	return n, false // PXAT
}
