package commands

import (
	"github.com/shaledb/shale/server"
)

// Pub/Sub commands. The registry, per-client subscriptions and delivery
// live in server/pubsub.go; this file parses arguments, formats the
// confirmations and enforces RESP2's subscribed mode.

func init() {
	Register(
		&Command{Name: "subscribe", Arity: -2, Flags: PubSub | NoScript | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: subscribeCmd, Lock: LockNone, Group: "pubsub", Summary: "Listen for messages published to the given channels", Since: "2.0.0", Complexity: "O(N) where N is the number of channels to subscribe to."},
		&Command{Name: "psubscribe", Arity: -2, Flags: PubSub | NoScript | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: psubscribeCmd, Lock: LockNone, Group: "pubsub", Summary: "Listen for messages published to channels matching the given patterns", Since: "2.0.0", Complexity: "O(N) where N is the number of patterns the client is already subscribed to."},
		&Command{Name: "ssubscribe", Arity: -2, Flags: PubSub | NoScript | Loading | Stale, FirstKey: 1, LastKey: -1, Step: 1, Categories: CatPubSub | CatSlow, Handler: ssubscribeCmd, Lock: LockNone, Group: "pubsub", Summary: "Listen for messages published to the given shard channels", Since: "7.0.0", Complexity: "O(N) where N is the number of shard channels to subscribe to."},
		&Command{Name: "unsubscribe", Arity: -1, Flags: PubSub | NoScript | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: unsubscribeCmd, Lock: LockNone, Group: "pubsub", Summary: "Stop listening for messages posted to the given channels", Since: "2.0.0", Complexity: "O(N) where N is the number of clients already subscribed to a channel."},
		&Command{Name: "punsubscribe", Arity: -1, Flags: PubSub | NoScript | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: punsubscribeCmd, Lock: LockNone, Group: "pubsub", Summary: "Stop listening for messages posted to channels matching the given patterns", Since: "2.0.0", Complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client)."},
		&Command{Name: "sunsubscribe", Arity: -1, Flags: PubSub | NoScript | Loading | Stale, FirstKey: 1, LastKey: -1, Step: 1, Categories: CatPubSub | CatSlow, Handler: sunsubscribeCmd, Lock: LockNone, Group: "pubsub", Summary: "Stop listening for messages posted to the given shard channels", Since: "7.0.0", Complexity: "O(N) where N is the number of clients already subscribed to a shard channel."},
		&Command{Name: "publish", Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, Categories: CatPubSub | CatFast, Handler: publishCmd, Lock: LockNone, Group: "pubsub", Summary: "Post a message to a channel", Since: "2.0.0", Complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client)."},
		&Command{Name: "spublish", Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatPubSub | CatFast, Handler: spublishCmd, Lock: LockNone, Group: "pubsub", Summary: "Post a message to a shard channel", Since: "7.0.0", Complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel."},
		&Command{Name: "pubsub", Arity: -2, Categories: CatSlow, Group: "pubsub", Summary: "A container for Pub/Sub commands", Since: "2.8.0", Complexity: "Depends on subcommand."},
		&Command{Name: "pubsub|channels", Arity: -2, Flags: PubSub | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: pubsubChannels, Lock: LockNone, Summary: "List active channels", Since: "2.8.0", Complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)"},
		&Command{Name: "pubsub|numpat", Arity: 2, Flags: PubSub | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: pubsubNumPat, Lock: LockNone, Summary: "Get the count of unique patterns pattern subscriptions", Since: "2.8.0", Complexity: "O(1)"},
		&Command{Name: "pubsub|numsub", Arity: -2, Flags: PubSub | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: pubsubNumSub, Lock: LockNone, Summary: "Get the count of subscribers for channels", Since: "2.8.0", Complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels"},
		&Command{Name: "pubsub|shardchannels", Arity: -2, Flags: PubSub | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: pubsubShardChannels, Lock: LockNone, Summary: "List active shard channels", Since: "7.0.0", Complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels)."},
		&Command{Name: "pubsub|shardnumsub", Arity: -2, Flags: PubSub | Loading | Stale, Categories: CatPubSub | CatSlow, Handler: pubsubShardNumSub, Lock: LockNone, Summary: "Get the count of subscribers for shard channels", Since: "7.0.0", Complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"},
		&Command{Name: "pubsub|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow, Handler: pubsubHelp, Lock: LockNone, Summary: "Show helpful text about the different subcommands", Since: "6.2.0", Complexity: "O(1)"},
	)
	// The subscribed-mode check runs before any other hook (MULTI's
	// queueing included): Redis rejects the command before queueing it.
	Hooks = append([]func(*server.Client, *Command, [][]byte) bool{subscribedModeHook}, Hooks...)
	ResetHooks = append(ResetHooks, func(c *server.Client) { c.UnsubscribeAll() })
	CloseHooks = append(CloseHooks, func(c *server.Client) { c.PubSubClose() })
	AttachHooks = append(AttachHooks, attachPubSub)

	// PING answers ["pong", msg] in RESP2 subscribed mode, also when it
	// runs inside EXEC after a SUBSCRIBE, so the handler itself checks.
	if p := Lookup([]byte("ping")); p != nil && p.Handler != nil {
		plain := p.Handler
		p.Handler = func(c *Ctx) {
			if c.Proto() == 2 && c.PubSubCount() > 0 && len(c.Args) <= 2 {
				c.R.Array(2)
				c.R.BulkString("pong")
				if len(c.Args) == 2 {
					c.R.Bulk(c.Args[1])
				} else {
					c.R.BulkString("")
				}
				return
			}
			plain(c)
		}
	}
}

func attachPubSub(s *server.Server) {
	ps := s.PubSub()
	ps.Match = func(pattern, str []byte) bool { return GlobMatch(pattern, str, false) }
	cfg := s.Config
	applyLimits := func(v string) error {
		if l, ok := server.ParseOutputLimits(v); ok {
			ps.SetOutputLimits(l)
		}
		return nil
	}
	_ = applyLimits(cfg.Get("client-output-buffer-limit"))
	cfg.Watch("client-output-buffer-limit", applyLimits)
	attachNotify(s)
}

// subscribedModeHook rejects, for a RESP2 client with subscriptions, every
// command but (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET.
func subscribedModeHook(c *server.Client, cmd *Command, args [][]byte) bool {
	if c.Proto() != 2 || c.PubSubCount() == 0 {
		return false
	}
	switch cmd.Name {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset":
		return false
	}
	AbortMulti(c)
	c.Reply.Error("ERR Can't execute '" + cmd.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
	c.Server().Stats.ErrorReplies.Add(1)
	return true
}

// confirm writes one (un)subscribe confirmation: [kind, name, count], a
// push frame in RESP3. A nil name is the "nothing to unsubscribe" reply.
func confirm(c *Ctx, kind string, name []byte, count int) {
	c.R.Push(3)
	c.R.BulkString(kind)
	if name == nil {
		c.R.Null()
	} else {
		c.R.Bulk(name)
	}
	c.R.Int(int64(count))
}

// subCount is the count a confirmation carries: channels and patterns
// together, shard channels on their own (Redis 7.0).
func subCount(c *Ctx, kind server.SubKind) int {
	if kind == server.SubShard {
		return c.SubCount(server.SubShard)
	}
	return c.SubCount(server.SubChannel) + c.SubCount(server.SubPattern)
}

func subscribeKind(c *Ctx, kind server.SubKind, name string) {
	for _, ch := range c.Args[1:] {
		c.Subscribe(kind, ch)
		confirm(c, name, ch, subCount(c, kind))
	}
}

func unsubscribeKind(c *Ctx, kind server.SubKind, name string) {
	if len(c.Args) > 1 {
		for _, ch := range c.Args[1:] {
			c.Unsubscribe(kind, ch)
			confirm(c, name, ch, subCount(c, kind))
		}
		return
	}
	subs := c.Subscriptions(kind)
	if len(subs) == 0 {
		confirm(c, name, nil, subCount(c, kind))
		return
	}
	for _, ch := range subs {
		b := []byte(ch)
		c.Unsubscribe(kind, b)
		confirm(c, name, b, subCount(c, kind))
	}
}

func subscribeCmd(c *Ctx)    { subscribeKind(c, server.SubChannel, "subscribe") }
func psubscribeCmd(c *Ctx)   { subscribeKind(c, server.SubPattern, "psubscribe") }
func ssubscribeCmd(c *Ctx)   { subscribeKind(c, server.SubShard, "ssubscribe") }
func unsubscribeCmd(c *Ctx)  { unsubscribeKind(c, server.SubChannel, "unsubscribe") }
func punsubscribeCmd(c *Ctx) { unsubscribeKind(c, server.SubPattern, "punsubscribe") }
func sunsubscribeCmd(c *Ctx) { unsubscribeKind(c, server.SubShard, "sunsubscribe") }

func publishCmd(c *Ctx) {
	c.R.Int(int64(c.Srv.PubSub().Publish(c.Client, c.Args[1], c.Args[2])))
}

func spublishCmd(c *Ctx) {
	c.R.Int(int64(c.Srv.PubSub().SPublish(c.Client, c.Args[1], c.Args[2])))
}

// pubsubSyntax is Redis's reply to a subcommand with too many arguments.
func pubsubSyntax(c *Ctx) {
	c.R.Error("ERR unknown subcommand or wrong number of arguments for '" + trunc(string(c.Args[1])) + "'. Try PUBSUB HELP.")
}

func pubsubList(c *Ctx, kind server.SubKind) {
	if len(c.Args) > 3 {
		pubsubSyntax(c)
		return
	}
	var pattern []byte
	if len(c.Args) == 3 {
		pattern = c.Args[2]
	}
	names := c.Srv.PubSub().Channels(kind, pattern)
	c.R.Array(len(names))
	for _, n := range names {
		c.R.BulkString(n)
	}
}

func pubsubChannels(c *Ctx)      { pubsubList(c, server.SubChannel) }
func pubsubShardChannels(c *Ctx) { pubsubList(c, server.SubShard) }

func pubsubCounts(c *Ctx, kind server.SubKind) {
	ps := c.Srv.PubSub()
	c.R.Array(2 * (len(c.Args) - 2))
	for _, ch := range c.Args[2:] {
		c.R.Bulk(ch)
		c.R.Int(int64(ps.NumSub(kind, ch)))
	}
}

func pubsubNumSub(c *Ctx)      { pubsubCounts(c, server.SubChannel) }
func pubsubShardNumSub(c *Ctx) { pubsubCounts(c, server.SubShard) }

func pubsubNumPat(c *Ctx) { c.R.Int(int64(c.Srv.PubSub().NumPat())) }

var pubsubHelpLines = []string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

func pubsubHelp(c *Ctx) {
	c.R.Array(len(pubsubHelpLines))
	for _, l := range pubsubHelpLines {
		c.R.Status(l)
	}
}
