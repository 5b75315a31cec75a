package commands

import (
	"crypto/subtle"
	"strconv"

	"github.com/shaledb/shale/server"
)

func init() {
	Register(
		&Command{Name: "ping", Arity: -1, Flags: Fast, Categories: CatFast | CatConnection, Handler: ping, Group: "connection", Summary: "Returns the server's liveliness response.", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "echo", Arity: 2, Flags: Fast | Stale | Loading, Categories: CatFast | CatConnection, Handler: echo, Group: "connection", Summary: "Returns the given string.", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "quit", Arity: -1, Flags: NoScript | Stale | Loading | NoAuth | AllowBusy | Fast, Categories: CatFast | CatConnection, Handler: quit, Group: "connection", Summary: "Closes the connection.", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "select", Arity: 2, Flags: Loading | Stale | Fast, Categories: CatFast | CatConnection, Handler: selectDB, Group: "connection", Summary: "Changes the selected database.", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "auth", Arity: -2, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, Categories: CatFast | CatConnection, Handler: auth, Group: "connection", Summary: "Authenticates the connection.", Since: "1.0.0", Complexity: "O(N) where N is the number of passwords defined for the user"},
		&Command{Name: "hello", Arity: -1, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, Categories: CatFast | CatConnection, Handler: hello, Group: "connection", Summary: "Handshakes with the Redis server.", Since: "6.0.0", Complexity: "O(1)"},
		&Command{Name: "reset", Arity: 1, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, Categories: CatFast | CatConnection, Handler: reset, Group: "connection", Summary: "Resets the connection.", Since: "6.2.0", Complexity: "O(1)"},
	)
}

func ping(c *Ctx) {
	switch len(c.Args) {
	case 1:
		c.R.Status("PONG")
	case 2:
		c.R.Bulk(c.Args[1])
	default:
		c.WrongArity()
	}
}

func echo(c *Ctx) { c.R.Bulk(c.Args[1]) }

func quit(c *Ctx) {
	c.R.OK()
	c.Client.Close()
}

func selectDB(c *Ctx) {
	n, ok := ParseInt(c.Args[1])
	if !ok {
		c.R.Error(ErrNotInteger)
		return
	}
	if n < -2147483648 || n > 2147483647 {
		c.R.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if n < 0 || n >= int64(c.Eng.Databases()) {
		c.R.Error(ErrDBIndex)
		return
	}
	c.SelectDB(int(n))
	c.R.OK()
}

// checkPassword compares in constant time.
func checkPassword(srv *server.Server, user, pass string) bool {
	want := srv.Config.Get("requirepass")
	if user != "default" {
		return false
	}
	if want == "" {
		return true // the default user is "nopass": any password works
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

func auth(c *Ctx) {
	if len(c.Args) > 3 {
		c.R.Error(ErrSyntax)
		return
	}
	user, pass := "default", string(c.Args[1])
	if len(c.Args) == 3 {
		user, pass = string(c.Args[1]), string(c.Args[2])
	}
	if len(c.Args) == 2 && c.Srv.Config.Get("requirepass") == "" {
		c.R.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if !checkPassword(c.Srv, user, pass) {
		c.R.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	c.Authenticated = true
	c.R.OK()
}

func hello(c *Ctx) {
	proto := c.Proto()
	i := 1
	if len(c.Args) > 1 {
		v, ok := ParseInt(c.Args[1])
		if !ok {
			c.R.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.R.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
		i = 2
	}
	authed := c.Authenticated
	var name string
	setName := false
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case EqualFold(c.Args[i], "AUTH") && more >= 2:
			user, pass := string(c.Args[i+1]), string(c.Args[i+2])
			i += 2
			if !checkPassword(c.Srv, user, pass) {
				c.R.Error("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			authed = true
		case EqualFold(c.Args[i], "SETNAME") && more >= 1:
			name = string(c.Args[i+1])
			i++
			if !validClientName(name) {
				c.R.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			setName = true
		default:
			c.R.Error("ERR Syntax error in HELLO option '" + string(c.Args[i]) + "'")
			return
		}
	}
	if !authed {
		c.R.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	c.Authenticated = true
	if setName {
		c.SetName(name)
	}
	c.SetProto(proto)
	r := c.R
	r.Map(7)
	r.BulkString("server")
	r.BulkString("redis")
	r.BulkString("version")
	r.BulkString(server.Version)
	r.BulkString("proto")
	r.Int(int64(proto))
	r.BulkString("id")
	r.Int(c.ID)
	r.BulkString("mode")
	r.BulkString("standalone")
	r.BulkString("role")
	r.BulkString("master")
	r.BulkString("modules")
	r.Array(0)
}

func validClientName(n string) bool {
	for i := 0; i < len(n); i++ {
		if n[i] < '!' || n[i] > '~' {
			return false
		}
	}
	return true
}

// ResetHooks run on RESET so later layers can drop their per-client state
// (MULTI, WATCH, subscriptions).
var ResetHooks []func(c *server.Client)

func reset(c *Ctx) {
	for _, h := range ResetHooks {
		h(c.Client)
	}
	c.SelectDB(0)
	c.SetProto(2)
	c.SetName("")
	c.Authenticated = c.Srv.Config.Get("requirepass") == ""
	c.R.Status("RESET")
}

var _ = strconv.Itoa
