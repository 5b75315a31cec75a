package commands

import (
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/server"
)

// Operator commands: SLOWLOG, MONITOR, ROLE, WAIT, MEMORY, LATENCY.

func init() {
	Register(
		&Command{Name: "slowlog", Arity: -2, Categories: CatSlow, Group: "server", Summary: "A container for slow log commands.", Since: "2.2.12", Complexity: "Depends on subcommand."},
		&Command{Name: "slowlog|get", Arity: -2, Flags: Admin | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: slowlogGet, Lock: LockNone, Tips: []string{"request_policy:all_nodes", "nondeterministic_output"}, Summary: "Returns the slow log's entries.", Since: "2.2.12", Complexity: "O(N) where N is the number of entries returned"},
		&Command{Name: "slowlog|len", Arity: 2, Flags: Admin | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: slowlogLen, Lock: LockNone, Tips: []string{"request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"}, Summary: "Returns the number of entries in the slow log.", Since: "2.2.12", Complexity: "O(1)"},
		&Command{Name: "slowlog|reset", Arity: 2, Flags: Admin | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: slowlogReset, Lock: LockNone, Tips: []string{"request_policy:all_nodes", "response_policy:all_succeeded"}, Summary: "Clears all entries from the slow log.", Since: "2.2.12", Complexity: "O(N) where N is the number of entries in the slowlog"},
		&Command{Name: "slowlog|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow, Handler: slowlogHelp, Lock: LockNone, Summary: "Show helpful text about the different subcommands", Since: "6.2.0", Complexity: "O(1)"},
		&Command{Name: "monitor", Arity: 1, Flags: Admin | NoScript | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: monitorCmd, Lock: LockNone, Group: "server", Summary: "Listens for all requests received by the server in real-time.", Since: "1.0.0", Complexity: ""},
		&Command{Name: "role", Arity: 1, Flags: NoScript | Loading | Stale | Fast, Categories: CatAdmin | CatFast | CatDangerous, Handler: roleCmd, Lock: LockNone, Group: "server", Summary: "Returns the replication role.", Since: "2.8.12", Complexity: "O(1)"},
		&Command{Name: "wait", Arity: 3, Flags: NoScript, Categories: CatSlow | CatConnection, Handler: waitCmd, Lock: LockNone, Tips: []string{"request_policy:all_shards", "response_policy:agg_min"}, Group: "generic", Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", Since: "3.0.0", Complexity: "O(1)"},
		&Command{Name: "memory", Arity: -2, Categories: CatSlow, Group: "server", Summary: "A container for memory diagnostics commands.", Since: "4.0.0", Complexity: "Depends on subcommand."},
		&Command{Name: "memory|usage", Arity: -3, Flags: Readonly, FirstKey: 2, LastKey: 2, Step: 1, Categories: CatRead | CatSlow, Handler: memoryUsage, Summary: "Estimates the memory usage of a key.", Since: "4.0.0", Complexity: "O(N) where N is the number of samples."},
		&Command{Name: "memory|doctor", Arity: 2, Categories: CatSlow, Handler: memoryDoctor, Lock: LockNone, Tips: []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}, Summary: "Outputs a memory problems report.", Since: "4.0.0", Complexity: "O(1)"},
		&Command{Name: "memory|stats", Arity: 2, Categories: CatSlow, Handler: memoryStats, Lock: LockNone, Tips: []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}, Summary: "Returns details about memory usage.", Since: "4.0.0", Complexity: "O(1)"},
		&Command{Name: "memory|malloc-stats", Arity: 2, Categories: CatSlow, Handler: memoryMallocStats, Lock: LockNone, Tips: []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}, Summary: "Returns the allocator statistics.", Since: "4.0.0", Complexity: "Depends on how much memory is allocated, could be slow"},
		&Command{Name: "memory|purge", Arity: 2, Categories: CatSlow, Handler: memoryPurge, Lock: LockNone, Tips: []string{"request_policy:all_shards", "response_policy:all_succeeded"}, Summary: "Asks the allocator to release memory.", Since: "4.0.0", Complexity: "Depends on how much memory is allocated, could be slow"},
		&Command{Name: "memory|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow, Handler: memoryHelp, Lock: LockNone, Summary: "Returns helpful text about the different subcommands.", Since: "4.0.0", Complexity: "O(1)"},
		&Command{Name: "latency", Arity: -2, Categories: CatSlow, Group: "server", Summary: "A container for latency diagnostics commands.", Since: "2.8.13", Complexity: "Depends on subcommand."},
		&Command{Name: "latency|latest", Arity: 2, Flags: Admin | NoScript | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: latencyEmpty, Lock: LockNone, Tips: []string{"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"}, Summary: "Returns the latest latency samples for all events.", Since: "2.8.13", Complexity: "O(1)"},
		&Command{Name: "latency|history", Arity: 3, Flags: Admin | NoScript | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: latencyEmpty, Lock: LockNone, Tips: []string{"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"}, Summary: "Returns timestamp-latency samples for an event.", Since: "2.8.13", Complexity: "O(1)"},
		&Command{Name: "latency|reset", Arity: -2, Flags: Admin | NoScript | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: latencyReset, Lock: LockNone, Tips: []string{"request_policy:all_nodes", "response_policy:agg_sum"}, Summary: "Resets the latency data for one or more events.", Since: "2.8.13", Complexity: "O(1)"},
		&Command{Name: "latency|doctor", Arity: 2, Flags: Admin | NoScript | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous, Handler: latencyDoctor, Lock: LockNone, Tips: []string{"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"}, Summary: "Returns a human-readable latency analysis report.", Since: "2.8.13", Complexity: "O(1)"},
		&Command{Name: "latency|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow, Handler: latencyHelp, Lock: LockNone, Summary: "Returns helpful text about the different subcommands.", Since: "2.8.13", Complexity: "O(1)"},
	)
	ResetHooks = append(ResetHooks, func(c *server.Client) { c.Server().StopMonitor(c) })
	CloseHooks = append(CloseHooks, func(c *server.Client) { c.Server().StopMonitor(c) })
}

// afterExec feeds monitors and the slow log once a command has run.
func afterExec(c *server.Client, cmd *Command, args [][]byte, start time.Time) {
	srv := c.Server()
	if cmd.Flags&SkipSlowlog == 0 {
		if thr := srv.Config.Int("slowlog-log-slower-than"); thr >= 0 {
			if d := time.Since(start); d.Microseconds() >= thr {
				srv.Slowlog.Add(c, redactArgs(args), d, srv.Config.Int("slowlog-max-len"))
			}
		}
	}
}

// feedMonitors shows an executed command to MONITOR clients (admin and
// skip_monitor commands are never shown, as in Redis).
func feedMonitors(c *server.Client, cmd *Command, args [][]byte) {
	srv := c.Server()
	if !srv.Monitoring() || cmd.Flags&(SkipMonitor|Admin) != 0 {
		return
	}
	srv.FeedMonitors(c, c.DB, redactArgs(args))
}

func slowlogGet(c *Ctx) {
	count := int64(10)
	if len(c.Args) > 3 {
		c.WrongArity()
		return
	}
	if len(c.Args) == 3 {
		n, ok := ParseInt(c.Args[2])
		if !ok {
			c.R.Error(ErrNotInteger)
			return
		}
		if n < -1 {
			c.R.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	}
	entries := c.Srv.Slowlog.Get(count)
	c.R.Array(len(entries))
	for _, e := range entries {
		c.R.Array(6)
		c.R.Int(e.ID)
		c.R.Int(e.Time)
		c.R.Int(e.Micros)
		c.R.BulkStrings(e.Args)
		c.R.BulkString(e.ClientAddr)
		c.R.BulkString(e.ClientName)
	}
}

func slowlogLen(c *Ctx) { c.R.Int(int64(c.Srv.Slowlog.Len())) }

func slowlogReset(c *Ctx) {
	c.Srv.Slowlog.Reset()
	c.R.OK()
}

func slowlogHelp(c *Ctx) {
	writeHelp(c, []string{
		"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
		"HELP",
		"    Prints this help.",
	})
}

// writeHelp writes HELP lines as status replies, as Redis's addReplyHelp.
func writeHelp(c *Ctx, lines []string) {
	c.R.Array(len(lines))
	for _, l := range lines {
		c.R.Status(l)
	}
}

func monitorCmd(c *Ctx) {
	if InMulti(c.Client) {
		c.R.Error("ERR MONITOR not allowed in MULTI") // never reached: MONITOR is queued like Redis
		return
	}
	if c.IsMonitor() {
		c.R.OK()
		return
	}
	c.R.OK()
	c.Srv.StartMonitor(c.Client)
}

func roleCmd(c *Ctx) {
	c.R.Array(3)
	c.R.BulkString("master")
	c.R.Int(0)
	c.R.Array(0)
}

// waitCmd: Shale has no replicas yet, so no replica acknowledges anything;
// with numreplicas 0 Redis answers 0 at once too.
func waitCmd(c *Ctx) {
	n, ok := ParseInt(c.Args[1])
	if !ok {
		c.R.Error(ErrNotInteger)
		return
	}
	t, ok := ParseInt(c.Args[2])
	if !ok {
		c.R.Error("ERR timeout is not an integer or out of range")
		return
	}
	if t < 0 {
		c.R.Error("ERR timeout is negative")
		return
	}
	if n > 0 && t > 0 {
		time.Sleep(time.Duration(t) * time.Millisecond)
	}
	c.R.Int(0)
}

// memoryUsage estimates a key's footprint the way a user reads the figure:
// the bytes its records occupy (key, metadata and, for collections, the
// sub-records), not Shale's in-memory share, which is usually none.
func memoryUsage(c *Ctx) {
	if len(c.Args) != 3 {
		if len(c.Args) != 5 || !EqualFold(c.Args[3], "SAMPLES") {
			c.R.Error(ErrSyntax)
			return
		}
		if _, ok := ParseInt(c.Args[4]); !ok {
			c.R.Error(ErrNotInteger)
			return
		}
	}
	key := c.Args[2]
	m, ok, err := c.Tx.Lookup(key)
	if err != nil {
		c.Err(err)
		return
	}
	if !ok {
		c.R.Null()
		return
	}
	size := int64(len(key)) + int64(encoding.MetaPrefixLen) + 16
	if m.IsInlineString() {
		size += int64(len(m.Value)) + encoding.HeaderLen
	} else {
		start, end := encoding.VersionRange(c.Tx.MetaKey(key), m.Version)
		if n, err := c.Eng.Store().DiskUsage(start, end); err == nil {
			size += int64(n)
		}
		size += 25 + int64(len(m.Value))
	}
	c.R.Int(size)
}

func memoryDoctor(c *Ctx) {
	c.R.Verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.", "txt")
}

func memoryStats(c *Ctx) {
	st := c.Eng.Cache().Stats()
	ss := c.Eng.Store().Stats()
	c.R.Map(6)
	c.R.BulkString("peak.allocated")
	used := c.Srv.UsedMemory()
	c.R.Int(c.Srv.MemoryPeak(used))
	c.R.BulkString("total.allocated")
	c.R.Int(used)
	c.R.BulkString("keys.count")
	var keys int64
	for db := 0; db < c.Eng.Databases(); db++ {
		keys += c.Eng.DBSize(db)
	}
	c.R.Int(keys)
	c.R.BulkString("shale.hot-tier.bytes")
	c.R.Int(st.Bytes)
	c.R.BulkString("shale.block-cache.bytes")
	c.R.Int(ss.BlockCacheBytes)
	c.R.BulkString("shale.disk.bytes")
	c.R.Int(int64(ss.DiskBytes))
}

func memoryMallocStats(c *Ctx) { c.R.BulkString("Stats not supported for the current allocator") }

func memoryPurge(c *Ctx) { c.R.OK() }

func memoryHelp(c *Ctx) {
	writeHelp(c, []string{
		"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
		"HELP",
		"    Prints this help.",
	})
}

// Latency monitoring is off (latency-monitor-threshold 0), as by default in
// Redis: the replies are Redis's for that state.
func latencyEmpty(c *Ctx) { c.R.Array(0) }

func latencyReset(c *Ctx) { c.R.Int(0) }

func latencyDoctor(c *Ctx) {
	c.R.Verbatim("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n", "txt")
}

func latencyHelp(c *Ctx) {
	writeHelp(c, []string{
		"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
		"HELP",
		"    Prints this help.",
	})
}
