package commands

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/scripting"
	"github.com/shaledb/shale/server"
)

// Lua scripting and functions: EVAL EVALSHA EVAL_RO EVALSHA_RO, SCRIPT,
// FUNCTION, FCALL FCALL_RO. The interpreters live in scripting/; this file
// parses arguments, runs scripts with the whole server to itself (the world
// lock held exclusively, as Redis runs them single-threaded), runs each
// redis.call through the command table on a script client, and answers
// other clients BUSY while a script runs past busy-reply-threshold.

func init() {
	const scriptFlags = NoScript | Stale | SkipMonitor | NoMandatoryKeys
	const rwNotes = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
	const roNotes = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
	keys := func(flags, notes string) []KeySpec {
		ks := KeyNumSpec(flags, 2, 0, 1, 1)
		ks.Notes = notes
		return []KeySpec{ks}
	}
	allShards := []string{"request_policy:all_shards", "response_policy:all_succeeded"}
	killTips := []string{"request_policy:all_shards", "response_policy:one_succeeded"}
	Register(
		&Command{Name: "eval", Arity: -3, Flags: scriptFlags, Keys: evalKeys, KeySpecs: keys("RW access update", rwNotes), Categories: CatSlow | CatScripting, Handler: evalCmd, Lock: LockNone,
			Group: "scripting", Summary: "Execute a Lua script server side", Since: "2.6.0", Complexity: "Depends on the script that is executed."},
		&Command{Name: "evalsha", Arity: -3, Flags: scriptFlags, Keys: evalKeys, KeySpecs: keys("RW access update", ""), Categories: CatSlow | CatScripting, Handler: evalShaCmd, Lock: LockNone,
			Group: "scripting", Summary: "Execute a Lua script server side", Since: "2.6.0", Complexity: "Depends on the script that is executed."},
		&Command{Name: "eval_ro", Arity: -3, Flags: Readonly | scriptFlags, Keys: evalKeys, KeySpecs: keys("RO access", roNotes), Categories: CatSlow | CatScripting, Handler: evalRoCmd, Lock: LockNone,
			Group: "scripting", Summary: "Execute a read-only Lua script server side", Since: "7.0.0", Complexity: "Depends on the script that is executed."},
		&Command{Name: "evalsha_ro", Arity: -3, Flags: Readonly | scriptFlags, Keys: evalKeys, KeySpecs: keys("RO access", ""), Categories: CatSlow | CatScripting, Handler: evalShaRoCmd, Lock: LockNone,
			Group: "scripting", Summary: "Execute a read-only Lua script server side", Since: "7.0.0", Complexity: "Depends on the script that is executed."},
		&Command{Name: "fcall", Arity: -3, Flags: scriptFlags, Keys: evalKeys, KeySpecs: keys("RW access update", rwNotes), Categories: CatSlow | CatScripting, Handler: fcallCmd, Lock: LockNone,
			Group: "scripting", Summary: "Invoke a function", Since: "7.0.0", Complexity: "Depends on the function that is executed."},
		&Command{Name: "fcall_ro", Arity: -3, Flags: Readonly | scriptFlags, Keys: evalKeys, KeySpecs: keys("RO access", roNotes), Categories: CatSlow | CatScripting, Handler: fcallRoCmd, Lock: LockNone,
			Group: "scripting", Summary: "Invoke a read-only function", Since: "7.0.0", Complexity: "Depends on the function that is executed."},

		&Command{Name: "script", Arity: -2, Categories: CatSlow, Group: "scripting",
			Summary: "A container for Lua scripts management commands", Since: "2.6.0", Complexity: "Depends on subcommand."},
		&Command{Name: "script|load", Arity: 3, Flags: NoScript | Stale, Categories: CatSlow | CatScripting, Handler: scriptLoadCmd, Lock: LockWorld,
			Tips:    []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
			Summary: "Load the specified Lua script into the script cache.", Since: "2.6.0", Complexity: "O(N) with N being the length in bytes of the script body."},
		&Command{Name: "script|exists", Arity: -3, Flags: NoScript, Categories: CatSlow | CatScripting, Handler: scriptExistsCmd, Lock: LockWorld,
			Tips:    []string{"request_policy:all_shards", "response_policy:agg_logical_and"},
			Summary: "Check existence of scripts in the script cache.", Since: "2.6.0", Complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation)."},
		&Command{Name: "script|flush", Arity: -2, Flags: NoScript, Categories: CatSlow | CatScripting, Handler: scriptFlushCmd, Lock: LockWorld,
			Tips:    []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
			Summary: "Remove all the scripts from the script cache.", Since: "2.6.0", Complexity: "O(N) with N being the number of scripts in cache"},
		&Command{Name: "script|kill", Arity: 2, Flags: NoScript | AllowBusy, Categories: CatSlow | CatScripting, Handler: scriptKillCmd, Lock: LockNone, Tips: killTips,
			Summary: "Kill the script currently in execution.", Since: "2.6.0", Complexity: "O(1)"},
		&Command{Name: "script|debug", Arity: 3, Flags: NoScript, Categories: CatSlow | CatScripting, Handler: scriptDebugCmd, Lock: LockNone,
			Summary: "Set the debug mode for executed scripts.", Since: "3.2.0", Complexity: "O(1)"},
		&Command{Name: "script|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow | CatScripting, Handler: scriptHelpCmd, Lock: LockNone,
			Summary: "Show helpful text about the different subcommands", Since: "5.0.0", Complexity: "O(1)"},

		&Command{Name: "function", Arity: -2, Categories: CatSlow, Group: "scripting",
			Summary: "A container for function commands", Since: "7.0.0", Complexity: "Depends on subcommand."},
		&Command{Name: "function|load", Arity: -3, Flags: Write | DenyOOM | NoScript, Categories: CatWrite | CatSlow | CatScripting, Handler: functionLoadCmd, Lock: LockWorld, Tips: allShards,
			Summary: "Create a function with the given arguments (name, code, description)", Since: "7.0.0", Complexity: "O(1) (considering compilation time is redundant)"},
		&Command{Name: "function|delete", Arity: 3, Flags: Write | NoScript, Categories: CatWrite | CatSlow | CatScripting, Handler: functionDeleteCmd, Lock: LockWorld, Tips: allShards,
			Summary: "Delete a function by name", Since: "7.0.0", Complexity: "O(1)"},
		&Command{Name: "function|flush", Arity: -2, Flags: Write | NoScript, Categories: CatWrite | CatSlow | CatScripting, Handler: functionFlushCmd, Lock: LockWorld, Tips: allShards,
			Summary: "Deleting all functions", Since: "7.0.0", Complexity: "O(N) where N is the number of functions deleted"},
		&Command{Name: "function|list", Arity: -2, Flags: NoScript, Categories: CatSlow | CatScripting, Handler: functionListCmd, Lock: LockWorld,
			Tips:    []string{"nondeterministic_output_order"},
			Summary: "List information about all the functions", Since: "7.0.0", Complexity: "O(N) where N is the number of functions"},
		&Command{Name: "function|dump", Arity: 2, Flags: NoScript, Categories: CatSlow | CatScripting, Handler: functionDumpCmd, Lock: LockWorld,
			Summary: "Dump all functions into a serialized binary payload", Since: "7.0.0", Complexity: "O(N) where N is the number of functions"},
		&Command{Name: "function|restore", Arity: -3, Flags: Write | DenyOOM | NoScript, Categories: CatWrite | CatSlow | CatScripting, Handler: functionRestoreCmd, Lock: LockWorld, Tips: allShards,
			Summary: "Restore all the functions on the given payload", Since: "7.0.0", Complexity: "O(N) where N is the number of functions on the payload"},
		&Command{Name: "function|stats", Arity: 2, Flags: NoScript | AllowBusy, Categories: CatSlow | CatScripting, Handler: functionStatsCmd, Lock: LockNone,
			Tips:    []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
			Summary: "Return information about the function currently running (name, description, duration)", Since: "7.0.0", Complexity: "O(1)"},
		&Command{Name: "function|kill", Arity: 2, Flags: NoScript | AllowBusy, Categories: CatSlow | CatScripting, Handler: functionKillCmd, Lock: LockNone, Tips: killTips,
			Summary: "Kill the function currently in execution.", Since: "7.0.0", Complexity: "O(1)"},
		&Command{Name: "function|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow | CatScripting, Handler: functionHelpCmd, Lock: LockNone,
			Summary: "Show helpful text about the different subcommands", Since: "7.0.0", Complexity: "O(1)"},
	)
	AttachHooks = append(AttachHooks, attachScripting)
	AfterLoadHooks = append(AfterLoadHooks, func(s *server.Server) {
		if st, ok := scriptStates.Load(s); ok {
			st.(*scriptState).loadFunctions()
		}
	})
	stat := func(get func(st *scriptState) int64) func(s *server.Server) string {
		return func(s *server.Server) string {
			if st := scriptStateOf(s); st != nil {
				return strconv.FormatInt(get(st), 10)
			}
			return "0"
		}
	}
	InfoValues["number_of_cached_scripts"] = stat(func(st *scriptState) int64 { return st.scripts.Load() })
	InfoValues["used_memory_scripts_eval"] = stat(func(st *scriptState) int64 { return st.scriptsMem.Load() })
	InfoValues["number_of_functions"] = stat(func(st *scriptState) int64 { return st.functions.Load() })
	InfoValues["number_of_libraries"] = stat(func(st *scriptState) int64 { return st.libraries.Load() })
}

// evalKeys extracts EVAL/FCALL keys: numkeys at 2, the keys after it.
func evalKeys(args [][]byte) [][]byte {
	if len(args) < 3 {
		return nil
	}
	n, ok := ParseInt(args[2])
	if !ok || n <= 0 || n > int64(len(args)-3) {
		return nil
	}
	return args[3 : 3+n]
}

// scriptState is one server's scripting state.
type scriptState struct {
	srv *server.Server
	eng *scripting.Engine
	// sc is the client scripts' commands run as (Redis's Lua client); one
	// suffices since scripts run one at a time.
	sc *server.Client
	// since is the unix ns the running script started at (0: none), and
	// threshold busy-reply-threshold in ms: read by the dispatcher's BUSY
	// check.
	since     atomic.Int64
	threshold atomic.Int64
	// libraries/functions are FUNCTION STATS's counts (it runs without
	// the world lock, even while a script is busy); scripts/scriptsMem are
	// INFO's.
	libraries  atomic.Int64
	functions  atomic.Int64
	scripts    atomic.Int64
	scriptsMem atomic.Int64

	// done is closed when the running script ends; made on demand by the
	// first command that waits for it (mu guards it and since's changes).
	mu   sync.Mutex
	done chan struct{}
	// slowLogged notes that the running script was logged as slow.
	slowLogged atomic.Bool
}

var (
	scriptStates sync.Map // *server.Server -> *scriptState
	// scriptsRunning counts servers with a script running: while zero the
	// dispatcher's BUSY check is this one atomic load.
	scriptsRunning atomic.Int32
)

func scriptStateOf(s *server.Server) *scriptState {
	if st, ok := scriptStates.Load(s); ok {
		return st.(*scriptState)
	}
	return nil
}

// functionsKey is the internal record holding the loaded libraries (a
// FUNCTION DUMP payload), so they survive a restart.
var functionsKey = encoding.InternalKey("functions")

// loadFunctions loads the stored function libraries (at start, and again
// once a first-start RDB import has stored the dump's libraries).
func (st *scriptState) loadFunctions() {
	s := st.srv
	if payload, ok, err := s.Engine.Store().Get(nil, functionsKey); err != nil {
		s.Logger.Printf("# Failed reading the function libraries: %v", err)
	} else if ok {
		if msg := st.eng.Restore(payload, scripting.RestoreFlush); msg != "" {
			s.Logger.Printf("# Failed loading the function libraries: %s", msg)
		}
	}
	st.countFunctions()
}

func attachScripting(s *server.Server) {
	st := &scriptState{srv: s, eng: scripting.New(), sc: s.NewScriptClient()}
	st.sc.Tx.DeferSync = true
	st.eng.Log = func(level int, msg string) {
		s.Logger.Printf("%c %s", ".-*#"[level], msg)
	}
	st.threshold.Store(s.Config.Int("busy-reply-threshold"))
	s.Config.Watch("busy-reply-threshold", func(string) error {
		st.threshold.Store(s.Config.Int("busy-reply-threshold"))
		return nil
	})
	st.loadFunctions()
	scriptStates.Store(s, st)
	prev := s.ShutdownHook
	s.ShutdownHook = func() {
		// A script still running holds the world lock the engine's Close
		// needs: stop it (SHUTDOWN NOSAVE may interrupt any script).
		st.eng.ForceKill()
		if prev != nil {
			prev()
		}
		scriptStates.Delete(s)
	}
}

func (st *scriptState) countScripts() {
	if n := int64(st.eng.ScriptCount()); n != st.scripts.Load() {
		st.scripts.Store(n)
		st.scriptsMem.Store(st.eng.ScriptsMemory())
	}
}

func (st *scriptState) countFunctions() {
	st.libraries.Store(int64(len(st.eng.Libraries())))
	st.functions.Store(int64(st.eng.FunctionCount()))
}

// worldHeld reports whether c already holds the world lock (a script queued
// in MULTI runs inside EXEC): taking it again would deadlock.
func worldHeld(c *server.Client) bool {
	m, ok := c.Multi.(*multiState)
	return ok && m.execing
}

// busyGrace is how long a script must have run before other commands
// stop queueing on the world lock and wait for it here instead: a command
// blocked on the lock cannot be answered BUSY later, but queueing there is
// what keeps short scripts (tens of microseconds) cheap under contention.
const busyGrace = 200 * time.Microsecond

// scriptBusyReject is the dispatcher's BUSY check (called only while some
// script runs). As in Redis, other clients' commands wait while a script
// runs; once it passes busy-reply-threshold they get BUSY at once, except
// those flagged allow-busy (SHUTDOWN only with NOSAVE). It reports whether
// it replied.
func scriptBusyReject(c *server.Client, cmd *Command, args [][]byte) bool {
	st := scriptStateOf(c.Server())
	if st == nil {
		return false
	}
	if cmd.Flags&AllowBusy != 0 {
		if cmd.Name != "shutdown" {
			return false
		}
		for _, a := range args[1:] {
			if EqualFold(a, "NOSAVE") {
				return false
			}
		}
	}
	for {
		since := st.since.Load()
		if since == 0 {
			return false
		}
		thr := time.Duration(st.threshold.Load()) * time.Millisecond
		elapsed := time.Duration(time.Now().UnixNano() - since)
		if thr > 0 && elapsed >= thr {
			run := st.eng.Current()
			if run == nil {
				return false
			}
			if st.slowLogged.CompareAndSwap(false, true) {
				kill := "FUNCTION KILL"
				if run.Eval {
					kill = "SCRIPT KILL"
				}
				st.srv.Logger.Printf("# Slow script detected: still in execution after %d milliseconds. You can try killing the script using the %s command. Script name is: %s.",
					elapsed.Milliseconds(), kill, run.Name)
			}
			AbortMulti(c)
			if run.Eval {
				c.Reply.Error(scripting.ErrBusyEval)
			} else {
				c.Reply.Error(scripting.ErrBusyFunc)
			}
			c.Server().Stats.ErrorReplies.Add(1)
			return true
		}
		if elapsed < busyGrace || cmd.Flags&AllowBusy != 0 {
			return false
		}
		done := st.waitFor(since)
		if done == nil {
			continue
		}
		if thr <= 0 {
			<-done
			continue
		}
		t := time.NewTimer(thr - elapsed)
		select {
		case <-done:
			t.Stop()
		case <-t.C:
		}
	}
}

// waitFor returns a channel closed when the script that started at since
// ends, or nil when it already has.
func (st *scriptState) waitFor(since int64) chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.since.Load() != since {
		return nil
	}
	if st.done == nil {
		st.done = make(chan struct{})
	}
	return st.done
}

// scriptHost runs a script's redis.call commands.
type scriptHost struct {
	st     *scriptState
	caller *server.Client
	now    int64 // the script's start: its commands see time frozen, as in Redis
}

// lookupScriptCommand is lookupCommand as scripts see it: a container
// with arguments resolves to its subcommand (nil when unknown).
func lookupScriptCommand(args [][]byte) *Command {
	cmd := Lookup(args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) > 1 {
		return cmd.LookupSub(args[1])
	}
	return cmd
}

func (h *scriptHost) Call(run *scripting.Run, args [][]byte) ([]byte, string) {
	cmd := lookupScriptCommand(args)
	if cmd == nil {
		return nil, "Unknown Redis command called from script"
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity || cmd.Handler == nil {
		return nil, "Wrong number of args calling Redis command from script"
	}
	if cmd.Flags&NoScript != 0 {
		return nil, "This Redis command is not allowed from script"
	}
	if run.ReadOnly && cmd.Flags&(Write|MayReplicate) != 0 {
		return nil, "Write commands are not allowed from read-only scripts."
	}
	if cmd.Flags&Write != 0 {
		run.MarkDirty()
	}
	sc := h.st.sc
	if sc.Reply.Proto != run.Resp {
		sc.SetProto(run.Resp)
	}
	sc.Reply.Buf = sc.Reply.Buf[:0]
	h.st.srv.Stats.CommandsProcessed.Add(1)
	exec(sc, cmd, args, h.now, time.Now())
	return sc.Reply.Buf, ""
}

func (h *scriptHost) ACLCheck(run *scripting.Run, args [][]byte) (bool, bool) {
	// Every connection is the default user with all permissions.
	return lookupScriptCommand(args) != nil, true
}

// parseNumKeys validates numkeys; it reports the error text when invalid.
func parseNumKeys(args [][]byte, badNumber string) (int, string) {
	n, ok := ParseInt(args[2])
	if !ok {
		return 0, badNumber
	}
	if n > int64(len(args)-3) {
		return 0, "ERR Number of keys can't be greater than number of args"
	}
	if n < 0 {
		return 0, "ERR Number of keys can't be negative"
	}
	return int(n), ""
}

func evalCmd(c *Ctx)      { evalGeneric(c, false, false) }
func evalShaCmd(c *Ctx)   { evalGeneric(c, true, false) }
func evalRoCmd(c *Ctx)    { evalGeneric(c, false, true) }
func evalShaRoCmd(c *Ctx) { evalGeneric(c, true, true) }
func fcallCmd(c *Ctx)     { fcallGeneric(c, false) }
func fcallRoCmd(c *Ctx)   { fcallGeneric(c, true) }

const errNoScript = "NOSCRIPT No matching script. Please use EVAL."

// lockForScript takes the world lock unless the caller already holds it
// (EXEC); it returns the unlock function.
func lockForScript(c *Ctx) func() {
	if worldHeld(c.Client) {
		return func() {}
	}
	g := &c.Client.Guard
	c.Eng.LockWorld(g)
	return g.Unlock
}

func evalGeneric(c *Ctx, bySHA, ro bool) {
	if bySHA && len(c.Args[1]) != 40 {
		c.R.Error(errNoScript)
		return
	}
	numkeys, msg := parseNumKeys(c.Args, ErrNotInteger)
	if msg != "" {
		c.R.Error(msg)
		return
	}
	st := scriptStateOf(c.Srv)
	unlock := lockForScript(c)
	defer unlock()
	var s *scripting.Script
	if bySHA {
		if s = st.eng.Script(string(c.Args[1])); s == nil {
			c.R.Error(errNoScript)
			return
		}
	} else if s, msg = st.eng.LoadScript(c.Args[1]); s == nil {
		c.R.Error(msg)
		return
	} else {
		st.countScripts()
	}
	readOnly := ro
	if s.Flags&scripting.FlagEvalCompat == 0 {
		if s.Flags&scripting.FlagNoWrites == 0 && ro {
			c.R.Error("ERR Can not execute a script with write flag using *_ro command.")
			return
		}
		readOnly = readOnly || s.Flags&scripting.FlagNoWrites != 0
	}
	run := st.begin(c, readOnly)
	st.eng.RunScript(run, s, c.Args[3:3+numkeys], c.Args[3+numkeys:], c.R)
	st.end(c)
}

func fcallGeneric(c *Ctx, ro bool) {
	st := scriptStateOf(c.Srv)
	unlock := lockForScript(c)
	defer unlock()
	f := st.eng.Function(string(c.Args[1]))
	if f == nil {
		c.R.Error("ERR Function not found")
		return
	}
	numkeys, msg := parseNumKeys(c.Args, "ERR Bad number of keys provided")
	if msg != "" {
		c.R.Error(msg)
		return
	}
	if f.Flags&scripting.FlagNoWrites == 0 && ro {
		c.R.Error("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	run := st.begin(c, ro || f.Flags&scripting.FlagNoWrites != 0)
	st.eng.RunFunction(run, f, c.Args[3:3+numkeys], c.Args[3+numkeys:], c.R)
	st.end(c)
}

// begin prepares a run: the script client on the caller's database, the
// clock frozen at the start, the BUSY check armed.
func (st *scriptState) begin(c *Ctx, readOnly bool) *scripting.Run {
	start := time.Now() // one clock read for the whole setup
	st.sc.SelectDB(c.DB)
	st.sc.SetProto(2)
	run := &scripting.Run{ReadOnly: readOnly, Resp: 2, Command: c.Args, Start: start,
		Host: &scriptHost{st: st, caller: c.Client, now: start.UnixMilli()}}
	st.slowLogged.Store(false)
	st.since.Store(start.UnixNano())
	scriptsRunning.Add(1)
	return run
}

func (st *scriptState) end(c *Ctx) {
	st.mu.Lock()
	st.since.Store(0)
	if st.done != nil {
		close(st.done)
		st.done = nil
	}
	st.mu.Unlock()
	scriptsRunning.Add(-1)
	// The caller's reply waits for the script's writes to be durable.
	c.Tx.AdoptPending(&st.sc.Tx)
	if cap(st.sc.Reply.Buf) > 1<<20 {
		st.sc.Reply.Buf = nil // do not pin a huge reply buffer
	}
}

// --- SCRIPT ---

func scriptLoadCmd(c *Ctx) {
	st := scriptStateOf(c.Srv)
	s, msg := st.eng.LoadScript(c.Args[2])
	if s == nil {
		c.R.Error(msg)
		return
	}
	st.countScripts()
	c.R.BulkString(s.SHA)
}

func scriptExistsCmd(c *Ctx) {
	eng := scriptStateOf(c.Srv).eng
	c.R.Array(len(c.Args) - 2)
	for _, sha := range c.Args[2:] {
		if eng.Script(string(sha)) != nil {
			c.R.Int(1)
		} else {
			c.R.Int(0)
		}
	}
}

func scriptFlushCmd(c *Ctx) {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !EqualFold(c.Args[2], "SYNC") && !EqualFold(c.Args[2], "ASYNC")) {
		c.R.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	st := scriptStateOf(c.Srv)
	st.eng.FlushScripts()
	st.countScripts()
	c.R.OK()
}

func scriptKillCmd(c *Ctx)   { killScript(c, true) }
func functionKillCmd(c *Ctx) { killScript(c, false) }

// killScript is SCRIPT KILL / FUNCTION KILL. As in Redis, a kill only
// reaches a script that has run past busy-reply-threshold (before that,
// Redis would not even read the command): until then it waits, and gets
// NOTBUSY if the script finishes first.
func killScript(c *Ctx, eval bool) {
	st := scriptStateOf(c.Srv)
	for {
		run := st.eng.Current()
		if run == nil {
			c.R.Error(scripting.ErrNotBusy)
			return
		}
		thr := st.threshold.Load()
		elapsed := time.Since(run.Started())
		if thr > 0 && elapsed >= time.Duration(thr)*time.Millisecond {
			if msg := st.eng.Kill(eval); msg != "" {
				c.R.Error(msg)
			} else {
				c.Srv.Logger.Printf("# Lua script killed by user with SCRIPT KILL.")
				c.R.OK()
			}
			return
		}
		wait := 10 * time.Millisecond
		if thr > 0 {
			if rest := time.Duration(thr)*time.Millisecond - elapsed; rest < wait {
				wait = rest
			}
		}
		time.Sleep(wait)
	}
}

func scriptDebugCmd(c *Ctx) {
	switch {
	case EqualFold(c.Args[2], "NO"):
		c.R.OK()
	case EqualFold(c.Args[2], "YES"), EqualFold(c.Args[2], "SYNC"):
		// The Lua debugger (LDB) is not implemented.
		c.R.Error("ERR SCRIPT DEBUG is not supported by Shale")
	default:
		c.R.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

func scriptHelpCmd(c *Ctx) {
	subcommandHelp(c, "SCRIPT",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	)
}

// subcommandHelp writes Redis's help reply for a container command.
func subcommandHelp(c *Ctx, name string, lines ...string) {
	c.R.Array(len(lines) + 3)
	c.R.Status(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.R.Status(l)
	}
	c.R.Status("HELP")
	c.R.Status("    Prints this help.")
}

// subcommandSyntaxError is addReplySubcommandSyntaxError.
func subcommandSyntaxError(c *Ctx, container string) {
	c.R.Error("ERR unknown subcommand or wrong number of arguments for '" + trunc(string(c.Args[1])) + "'. Try " + container + " HELP.")
}

// --- FUNCTION ---

// persistFunctions writes the libraries to the internal record; on failure
// the change is rolled back and the error replied.
func persistFunctions(c *Ctx, st *scriptState, before scripting.Snapshot) bool {
	b := c.Eng.Store().NewBatch()
	defer b.Close()
	if len(st.eng.Libraries()) == 0 {
		b.Delete(functionsKey)
	} else {
		b.Set(functionsKey, st.eng.Dump(true))
	}
	if err := c.Eng.Store().Commit(b); err != nil {
		st.eng.Rollback(before)
		c.R.Error("ERR storage error: " + err.Error())
		return false
	}
	st.countFunctions()
	c.Eng.Stats.Dirty.Add(1)
	return true
}

func functionLoadCmd(c *Ctx) {
	replace := false
	i := 2
	for ; i < len(c.Args)-1; i++ {
		if !EqualFold(c.Args[i], "REPLACE") {
			c.R.Error("ERR Unknown option given: " + string(c.Args[i]))
			return
		}
		replace = true
	}
	st := scriptStateOf(c.Srv)
	before := st.eng.Snapshot()
	name, msg := st.eng.LoadLibrary(string(c.Args[i]), replace)
	if msg != "" {
		c.R.Error(msg)
		return
	}
	if persistFunctions(c, st, before) {
		c.R.BulkString(name)
	}
}

func functionDeleteCmd(c *Ctx) {
	st := scriptStateOf(c.Srv)
	before := st.eng.Snapshot()
	if msg := st.eng.DeleteLibrary(string(c.Args[2])); msg != "" {
		c.R.Error(msg)
		return
	}
	if persistFunctions(c, st, before) {
		c.R.OK()
	}
}

func functionFlushCmd(c *Ctx) {
	if len(c.Args) > 3 {
		subcommandSyntaxError(c, "FUNCTION")
		return
	}
	if len(c.Args) == 3 && !EqualFold(c.Args[2], "SYNC") && !EqualFold(c.Args[2], "ASYNC") {
		c.R.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	st := scriptStateOf(c.Srv)
	before := st.eng.Snapshot()
	st.eng.FlushFunctions()
	if persistFunctions(c, st, before) {
		c.R.OK()
	}
}

func functionListCmd(c *Ctx) {
	withCode := false
	var pattern []byte
	havePattern := false
	for i := 2; i < len(c.Args); i++ {
		a := c.Args[i]
		if !withCode && EqualFold(a, "WITHCODE") {
			withCode = true
			continue
		}
		if !havePattern && EqualFold(a, "LIBRARYNAME") {
			if i >= len(c.Args)-1 {
				c.R.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern, havePattern = c.Args[i], true
			continue
		}
		c.R.Error("ERR Unknown argument " + string(a))
		return
	}
	var libs []*scripting.Library
	for _, l := range scriptStateOf(c.Srv).eng.Libraries() {
		if havePattern && !GlobMatch(pattern, []byte(l.Name), true) {
			continue
		}
		libs = append(libs, l)
	}
	c.R.Array(len(libs))
	for _, l := range libs {
		if withCode {
			c.R.Map(4)
		} else {
			c.R.Map(3)
		}
		c.R.BulkString("library_name")
		c.R.BulkString(l.Name)
		c.R.BulkString("engine")
		c.R.BulkString("LUA")
		c.R.BulkString("functions")
		fns := l.SortedFunctions()
		c.R.Array(len(fns))
		for _, f := range fns {
			c.R.Map(3)
			c.R.BulkString("name")
			c.R.BulkString(f.Name)
			c.R.BulkString("description")
			if f.Description != nil {
				c.R.BulkString(*f.Description)
			} else {
				c.R.Null()
			}
			c.R.BulkString("flags")
			names := f.Flags.Names()
			c.R.Set(len(names))
			for _, n := range names {
				c.R.Status(n)
			}
		}
		if withCode {
			c.R.BulkString("library_code")
			c.R.BulkString(l.Code)
		}
	}
}

func functionDumpCmd(c *Ctx) {
	c.R.Bulk(scriptStateOf(c.Srv).eng.Dump(c.Srv.Config.Bool("rdbcompression")))
}

func functionRestoreCmd(c *Ctx) {
	if len(c.Args) > 4 {
		subcommandSyntaxError(c, "FUNCTION")
		return
	}
	policy := scripting.RestoreAppend
	if len(c.Args) == 4 {
		switch {
		case EqualFold(c.Args[3], "APPEND"):
		case EqualFold(c.Args[3], "REPLACE"):
			policy = scripting.RestoreReplace
		case EqualFold(c.Args[3], "FLUSH"):
			policy = scripting.RestoreFlush
		default:
			c.R.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	st := scriptStateOf(c.Srv)
	before := st.eng.Snapshot()
	if msg := st.eng.Restore(c.Args[2], policy); msg != "" {
		c.R.Error(msg)
		return
	}
	if persistFunctions(c, st, before) {
		c.R.OK()
	}
}

func functionStatsCmd(c *Ctx) {
	st := scriptStateOf(c.Srv)
	run := st.eng.Current()
	if run != nil && run.Eval {
		c.R.Error(scripting.ErrBusyEval)
		return
	}
	c.R.Map(2)
	c.R.BulkString("running_script")
	if run == nil {
		c.R.Null()
	} else {
		c.R.Map(3)
		c.R.BulkString("name")
		c.R.BulkString(run.Name)
		c.R.BulkString("command")
		c.R.Array(len(run.Command))
		for _, a := range run.Command {
			c.R.Bulk(a)
		}
		c.R.BulkString("duration_ms")
		c.R.Int(time.Since(run.Started()).Milliseconds())
	}
	c.R.BulkString("engines")
	c.R.Map(1)
	c.R.BulkString("LUA")
	c.R.Map(2)
	c.R.BulkString("libraries_count")
	c.R.Int(st.libraries.Load())
	c.R.BulkString("functions_count")
	c.R.Int(st.functions.Load())
}

func functionHelpCmd(c *Ctx) {
	subcommandHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	)
}
