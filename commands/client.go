package commands

import (
	"strings"

	"github.com/shaledb/shale/server"
)

// CLIENT and its subcommands. Redis 7.0 has no CLIENT SETINFO or CLIENT
// NO-TOUCH (both 7.2): they answer "unknown subcommand" as 7.0.15 does,
// which go-redis tolerates when it sends SETINFO on connect.

func init() {
	const connFlags = NoScript | Loading | Stale
	const connCats = CatSlow | CatConnection
	const adminFlags = Admin | NoScript | Loading | Stale
	const adminCats = CatAdmin | CatSlow | CatDangerous | CatConnection
	Register(
		&Command{Name: "client", Arity: -2, Categories: CatSlow,
			Group: "connection", Summary: "A container for client connection commands", Since: "2.4.0", Complexity: "Depends on subcommand."},
		&Command{Name: "client|id", Arity: 2, Flags: connFlags, Categories: connCats, Handler: clientID, Lock: LockNone,
			Summary: "Returns the client ID for the current connection", Since: "5.0.0", Complexity: "O(1)"},
		&Command{Name: "client|setname", Arity: 3, Flags: connFlags, Categories: connCats, Handler: clientSetName, Lock: LockNone,
			Summary: "Set the current connection name", Since: "2.6.9", Complexity: "O(1)"},
		&Command{Name: "client|getname", Arity: 2, Flags: connFlags, Categories: connCats, Handler: clientGetName, Lock: LockNone,
			Summary: "Get the current connection name", Since: "2.6.9", Complexity: "O(1)"},
		&Command{Name: "client|list", Arity: -2, Flags: adminFlags, Categories: adminCats, Handler: clientList, Lock: LockNone,
			Tips:    []string{"nondeterministic_output"},
			Summary: "Get the list of client connections", Since: "2.4.0", Complexity: "O(N) where N is the number of client connections"},
		&Command{Name: "client|info", Arity: 2, Flags: connFlags, Categories: connCats, Handler: clientInfo, Lock: LockNone,
			Tips:    []string{"nondeterministic_output"},
			Summary: "Returns information about the current client connection.", Since: "6.2.0", Complexity: "O(1)"},
		&Command{Name: "client|pause", Arity: -3, Flags: adminFlags, Categories: adminCats, Handler: clientPause, Lock: LockNone,
			Summary: "Stop processing commands from clients for some time", Since: "2.9.50", Complexity: "O(1)"},
		&Command{Name: "client|unpause", Arity: 2, Flags: adminFlags, Categories: adminCats, Handler: clientPause, Lock: LockNone,
			Summary: "Resume processing of clients that were paused", Since: "6.2.0", Complexity: "O(N) Where N is the number of paused clients"},
		&Command{Name: "client|kill", Arity: -3, Flags: adminFlags, Categories: adminCats, Handler: clientKill, Lock: LockNone,
			Summary: "Kill the connection of a client", Since: "2.4.0", Complexity: "O(N) where N is the number of client connections"},
		&Command{Name: "client|no-evict", Arity: 3, Flags: adminFlags, Categories: adminCats, Handler: clientNoEvict, Lock: LockNone,
			Summary: "Set client eviction mode for the current connection", Since: "7.0.0", Complexity: "O(1)"},
		&Command{Name: "client|reply", Arity: 3, Flags: connFlags, Categories: connCats, Handler: clientReply, Lock: LockNone,
			Summary: "Instruct the server whether to reply to commands", Since: "3.2.0", Complexity: "O(1)"},
		&Command{Name: "client|help", Arity: 2, Flags: Loading | Stale, Categories: connCats, Handler: clientHelp, Lock: LockNone,
			Summary: "Show helpful text about the different subcommands", Since: "5.0.0", Complexity: "O(1)"},
	)
}

// ACLUserExists tells whether an ACL user exists (CLIENT KILL USER); the
// ACL layer replaces it. Without ACLs only "default" exists.
var ACLUserExists = func(s *server.Server, name string) bool { return name == "default" }

// ClientUser returns the user a client is authenticated as; the ACL layer
// replaces it.
var ClientUser = func(c *server.Client) string { return "default" }

func clientID(c *Ctx) { c.R.Int(c.ID) }

func clientSetName(c *Ctx) {
	name := string(c.Args[2])
	if !validClientName(name) {
		c.R.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.SetName(name)
	c.R.OK()
}

func clientGetName(c *Ctx) {
	if n := c.Name(); n != "" {
		c.R.BulkString(n)
		return
	}
	c.R.Null()
}

// clientType is Redis's getClientTypeByName: -1 for an unknown name.
// Shale has no master or replica connections.
const (
	typeNormal = iota
	typeReplica
	typePubSub
	typeMaster
)

func clientTypeByName(name []byte) int {
	switch {
	case EqualFold(name, "normal"):
		return typeNormal
	case EqualFold(name, "slave"), EqualFold(name, "replica"):
		return typeReplica
	case EqualFold(name, "pubsub"):
		return typePubSub
	case EqualFold(name, "master"):
		return typeMaster
	}
	return -1
}

func clientTypeOf(cl *server.Client) int {
	if cl.IsPubSub() {
		return typePubSub
	}
	return typeNormal
}

func clientList(c *Ctx) {
	var b strings.Builder
	args := c.Args
	switch {
	case len(args) == 4 && EqualFold(args[2], "TYPE"):
		t := clientTypeByName(args[3])
		if t == -1 {
			c.R.Error("ERR Unknown client type '" + string(args[3]) + "'")
			return
		}
		for _, cl := range liveClients(c.Srv) {
			if clientTypeOf(cl) == t {
				b.WriteString(cl.Info())
				b.WriteByte('\n')
			}
		}
	case len(args) > 3 && EqualFold(args[2], "ID"):
		ids := make([]int64, 0, len(args)-3)
		for _, a := range args[3:] {
			id, ok := ParseInt(a)
			if !ok {
				c.R.Error("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
		byID := map[int64]*server.Client{}
		for _, cl := range liveClients(c.Srv) {
			byID[cl.ID] = cl
		}
		for _, id := range ids {
			if cl := byID[id]; cl != nil {
				b.WriteString(cl.Info())
				b.WriteByte('\n')
			}
		}
	case len(args) != 2:
		c.R.Error(ErrSyntax)
		return
	default:
		for _, cl := range liveClients(c.Srv) {
			b.WriteString(cl.Info())
			b.WriteByte('\n')
		}
	}
	c.R.Verbatim(b.String(), "txt")
}

func clientInfo(c *Ctx) { c.R.Verbatim(c.Client.Info()+"\n", "txt") }

// clientKill implements both forms: CLIENT KILL addr (+OK or "No such
// client"; may kill the caller) and CLIENT KILL <filter> <value> ... (the
// number killed; SKIPME yes by default).
func clientKill(c *Ctx) {
	args := c.Args
	var addr, laddr, user string
	var hasAddr, hasLaddr, hasUser bool
	ctype := -1
	var id int64
	skipMe := true
	if len(args) == 3 {
		addr, hasAddr = string(args[2]), true
		skipMe = false // with the old form a client can kill itself
	} else {
		for i := 2; i < len(args); i += 2 {
			if i+1 >= len(args) {
				c.R.Error(ErrSyntax)
				return
			}
			opt, val := args[i], args[i+1]
			switch {
			case EqualFold(opt, "ID"):
				n, ok := ParseInt(val)
				if !ok || n < 1 {
					c.R.Error("ERR client-id should be greater than 0")
					return
				}
				id = n
			case EqualFold(opt, "TYPE"):
				ctype = clientTypeByName(val)
				if ctype == -1 {
					c.R.Error("ERR Unknown client type '" + string(val) + "'")
					return
				}
			case EqualFold(opt, "ADDR"):
				addr, hasAddr = string(val), true
			case EqualFold(opt, "LADDR"):
				laddr, hasLaddr = string(val), true
			case EqualFold(opt, "USER"):
				user, hasUser = string(val), true
				if !ACLUserExists(c.Srv, user) {
					c.R.Error("ERR No such user '" + user + "'")
					return
				}
			case EqualFold(opt, "SKIPME"):
				switch {
				case EqualFold(val, "yes"):
					skipMe = true
				case EqualFold(val, "no"):
					skipMe = false
				default:
					c.R.Error(ErrSyntax)
					return
				}
			default:
				c.R.Error(ErrSyntax)
				return
			}
		}
	}
	killed := 0
	closeSelf := false
	for _, cl := range liveClients(c.Srv) {
		switch {
		case hasAddr && cl.Addr != addr,
			hasLaddr && cl.LocalAddr != laddr,
			ctype != -1 && clientTypeOf(cl) != ctype,
			id != 0 && cl.ID != id,
			hasUser && ClientUser(cl) != user,
			cl == c.Client && skipMe:
			continue
		}
		if cl == c.Client {
			closeSelf = true // after the reply, like CLIENT_CLOSE_AFTER_REPLY
		} else {
			cl.Kill()
		}
		killed++
	}
	if len(args) == 3 {
		if killed == 0 {
			c.R.Error("ERR No such client")
		} else {
			c.R.OK()
		}
	} else {
		c.R.Int(int64(killed))
	}
	if closeSelf {
		c.Client.Close()
	}
}

func clientNoEvict(c *Ctx) {
	switch {
	case EqualFold(c.Args[2], "ON"):
		c.SetNoEvict(true)
	case EqualFold(c.Args[2], "OFF"):
		c.SetNoEvict(false)
	default:
		c.R.Error(ErrSyntax)
		return
	}
	c.R.OK()
}

func clientReply(c *Ctx) {
	switch {
	case EqualFold(c.Args[2], "ON"):
		c.SetReplyMode(server.ReplyOn)
		c.R.OK()
	case EqualFold(c.Args[2], "OFF"):
		c.SetReplyMode(server.ReplyOff)
	case EqualFold(c.Args[2], "SKIP"):
		c.SetReplyMode(server.ReplySkip)
	default:
		c.R.Error(ErrSyntax)
	}
}

func clientHelp(c *Ctx) {
	replyHelp(c,
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
	)
}
