package commands

import (
	"net"
	"strings"
	"time"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/tools"
)

// DEBUG is refused unless enable-debug-command allows it, exactly as in
// Redis 7.0 (whose default is "no"). When allowed, the subcommands tests and
// operators use are supported: SLEEP, SET-ACTIVE-EXPIRE, OBJECT, HELP.
// BGREWRITEAOF has nothing to do (the WAL is the log) and says it started.

func init() {
	Register(
		&Command{Name: "debug", Arity: -2, Flags: Admin | NoScript | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: debugCmd, Lock: LockNone, Group: "server", Summary: "A container for debugging commands.", Since: "1.0.0", Complexity: "Depends on subcommand."},
		&Command{Name: "bgrewriteaof", Arity: 1, Flags: Admin | NoScript | NoAsyncLoading, Categories: CatAdmin | CatSlow | CatDangerous, Handler: bgrewriteaofCmd, Lock: LockNone, Group: "server", Summary: "Asynchronously rewrites the append-only file to disk.", Since: "1.0.0", Complexity: "O(1)"},
	)
}

func bgrewriteaofCmd(c *Ctx) { c.R.Status("Background append only file rewriting started") }

// protectedAllowed applies an enable-*-command directive (yes, no or
// local: loopback connections only).
func protectedAllowed(c *Ctx, directive string) bool {
	switch c.Srv.Config.Get(directive) {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return false
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

func debugCmd(c *Ctx) {
	if !protectedAllowed(c, "enable-debug-command") {
		c.R.Error(`ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`)
		return
	}
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "help":
		writeHelp(c, []string{
			"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"DIGEST",
			"    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]",
			"    Output a hex signature of the values of all the specified keys.",
			"OBJECT <key>",
			"    Show low-level info about the `key` and associated value.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.",
			"HELP",
			"    Prints this help.",
		})
	case sub == "sleep" && len(c.Args) == 3:
		f, ok := ParseFloat(c.Args[2])
		if !ok {
			c.R.Error(ErrNotFloat)
			return
		}
		// Redis stops the whole server: take the world lock while sleeping.
		var g engine.Guard
		c.Eng.LockWorld(&g)
		time.Sleep(time.Duration(f * float64(time.Second)))
		g.Unlock()
		c.R.OK()
	case sub == "set-active-expire" && len(c.Args) == 3:
		on, ok := ParseInt(c.Args[2])
		if !ok {
			c.R.Error(ErrNotInteger)
			return
		}
		c.Eng.SetActiveExpiry(on != 0)
		c.R.OK()
	case sub == "digest" && len(c.Args) == 2:
		// Redis's digest of the whole dataset, from one snapshot: equal
		// digests on Redis and Shale mean equal data (a migration check).
		d, err := tools.Digest(c.Eng)
		if err != nil {
			c.Err(err)
			return
		}
		c.R.Status(d)
	case sub == "digest-value" && len(c.Args) >= 2:
		var g engine.Guard
		keys := c.Args[2:]
		c.Eng.LockKeys(&g, c.DB, keys, false)
		tx := c.Eng.Begin(c.DB)
		digests := make([]string, len(keys))
		var err error
		for i, k := range keys {
			if digests[i], err = tools.DigestValue(tx, k); err != nil {
				break
			}
		}
		g.Unlock()
		if err != nil {
			c.Err(err)
			return
		}
		c.R.Array(len(digests))
		for _, d := range digests {
			c.R.Status(d)
		}
	case sub == "object" && len(c.Args) == 3:
		var g engine.Guard
		key := c.Args[2]
		c.Eng.LockKeys(&g, c.DB, [][]byte{key}, false)
		tx := c.Eng.Begin(c.DB)
		m, ok, err := tx.Lookup(key)
		enc := ""
		if err == nil && ok {
			enc = tx.ObjectEncoding(key, m)
		}
		g.Unlock()
		switch {
		case err != nil:
			c.Err(err)
		case !ok:
			c.R.Error(ErrNoSuchKey)
		default:
			c.R.Status("Value at:0x0 refcount:1 encoding:" + enc + " serializedlength:0 lru:0 lru_seconds_idle:0")
		}
	default:
		c.R.Error("ERR unknown subcommand '" + CString(c.Args[1]) + "'. Try DEBUG HELP.")
	}
}
