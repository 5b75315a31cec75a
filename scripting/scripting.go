// Package scripting is Shale's Lua scripting: the Lua 5.1 interpreter
// (gopher-lua) set up as Redis 7.0 sets up its own — the sandboxed globals,
// the redis table, the cjson, cmsgpack, bit and struct libraries, Redis's
// Lua<->RESP conversion rules and error formats — plus the EVAL script
// cache and the FUNCTION libraries with their DUMP/RESTORE payload.
//
// The package knows nothing about the command table or storage: a script's
// redis.call goes through the Host the caller provides (commands/
// scripting.go runs it through the dispatcher on a script client). Callers
// serialize everything that touches the interpreters (Shale holds the world
// lock); only Current, Kill and the Run counters may be used concurrently.
package scripting

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaledb/shale/server"
	lua "github.com/yuin/gopher-lua"
)

// Host runs what a script asks of the server.
type Host interface {
	// Call runs one redis.call/redis.pcall command line for the script and
	// returns its RESP reply, written in run.Resp's protocol. rejected, when
	// not empty, refuses the command before it runs (unknown command, wrong
	// arity, not allowed from scripts, writes from read-only scripts): a
	// Redis error string, "msg" (code ERR) or "-CODE msg".
	Call(run *Run, args [][]byte) (reply []byte, rejected string)
	// ACLCheck answers redis.acl_check_cmd: whether the command exists and
	// whether the caller may run it.
	ACLCheck(run *Run, args [][]byte) (known, allowed bool)
}

// Flags are script and function flags (shebang flags= or
// register_function's flags).
type Flags uint32

const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagEvalCompat marks an EVAL script without a shebang (Redis's
	// backwards-compatible mode: flags come from the commands it calls).
	FlagEvalCompat
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagNoWrites, "no-writes"},
	{FlagAllowOOM, "allow-oom"},
	{FlagAllowStale, "allow-stale"},
	{FlagNoCluster, "no-cluster"},
	{FlagAllowCrossSlot, "allow-cross-slot-keys"},
}

// Names lists the flags in Redis's order.
func (f Flags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Run is one script or function invocation.
type Run struct {
	// Name is what error replies and FUNCTION STATS call the script: the
	// SHA1 of an EVAL script, a function's name.
	Name string
	// Eval is set for EVAL/EVALSHA (as opposed to FCALL).
	Eval bool
	// ReadOnly refuses write commands (EVAL_RO, FCALL_RO, no-writes).
	ReadOnly bool
	// Resp is the protocol the script's commands reply in (redis.setresp).
	Resp int
	// Host runs the script's commands.
	Host Host
	// Command is the invoking command line (FUNCTION STATS).
	Command [][]byte
	// Data is free for the host (its script client, ...).
	Data any
	// Start is when the run started; set by the caller or at the start.
	Start time.Time

	dirty  atomic.Bool // a write command ran: SCRIPT KILL refuses
	killed atomic.Bool
	cancel context.CancelFunc
}

// MarkDirty records that the script ran a write command.
func (r *Run) MarkDirty() { r.dirty.Store(true) }

// Dirty reports whether the script ran a write command.
func (r *Run) Dirty() bool { return r.dirty.Load() }

// Started returns when the run started.
func (r *Run) Started() time.Time { return r.Start }

// Engine is one server's scripting state: the EVAL interpreter and script
// cache, the function interpreter and libraries, and the running script.
type Engine struct {
	// Log writes redis.log messages; Verbosity returns the configured
	// level (lower levels are dropped). Both optional.
	Log       func(level int, msg string)
	Verbosity func() int

	mu  sync.Mutex // guards cur: KILL and FUNCTION STATS read it concurrently
	cur *Run

	eval    *vm
	scripts map[string]*Script

	fvm   *vm
	libs  map[string]*Library
	funcs map[string]*Function // by lowercased name

	rand rand48 // math.random, shared by every script (see rand.go)
}

// New creates a scripting engine.
func New() *Engine {
	e := &Engine{scripts: map[string]*Script{}, libs: map[string]*Library{}, funcs: map[string]*Function{}}
	e.rand.x = rand48Init
	e.eval = newVM(e, false)
	e.fvm = newVM(e, true)
	return e
}

// Close releases the interpreters.
func (e *Engine) Close() {
	e.eval.close()
	e.fvm.close()
}

// Current returns the running script, or nil.
func (e *Engine) Current() *Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur
}

// Error texts of SCRIPT KILL / FUNCTION KILL and of commands refused while
// a script is busy.
const (
	ErrNotBusy     = "NOTBUSY No scripts in execution right now."
	ErrUnkillable  = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	ErrBusyEval    = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	ErrBusyFunc    = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errKilledByCmd = "Script killed by user with SCRIPT KILL..."
)

// Kill stops the running script (SCRIPT KILL when eval, FUNCTION KILL
// otherwise) and returns "" or the error to reply.
func (e *Engine) Kill(eval bool) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	run := e.cur
	switch {
	case run == nil:
		return ErrNotBusy
	case run.Dirty():
		return ErrUnkillable
	case eval && !run.Eval:
		return ErrBusyFunc
	case !eval && run.Eval:
		return ErrBusyEval
	}
	run.killed.Store(true)
	run.cancel()
	return ""
}

// ForceKill stops the running script whatever it did (SHUTDOWN NOSAVE).
func (e *Engine) ForceKill() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur != nil {
		e.cur.killed.Store(true)
		e.cur.cancel()
	}
}

// execute runs fn (an EVAL script, or a function with keys/args as
// parameters) and writes its reply or error to r.
func (e *Engine) execute(v *vm, run *Run, fn *lua.LFunction, keys, args [][]byte, r *server.Reply) {
	L := v.L
	ctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	if run.Start.IsZero() {
		run.Start = time.Now()
	}
	if run.Resp == 0 {
		run.Resp = 2
	}
	L.SetContext(ctx)
	v.run = run
	e.mu.Lock()
	e.cur = run
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.cur = nil
		e.mu.Unlock()
		v.run = nil
		cancel()
		L.SetTop(0)
	}()

	keyT, argT := bytesTable(L, keys), bytesTable(L, args)
	nargs := 0
	L.Push(fn)
	if run.Eval {
		v.api.RawSetString("KEYS", keyT)
		v.api.RawSetString("ARGV", argT)
	} else {
		L.Push(keyT)
		L.Push(argT)
		nargs = 2
	}
	err := L.PCall(nargs, 1, v.handler)
	if err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		v.protected(r, run, obj, true)
		return
	}
	v.protected(r, run, L.Get(-1), false)
}

// protected converts a run's result (or its error) into the reply in
// protected mode: reading a returned table can call its metamethods, and an
// error there must become an error reply (Redis would abort), never a panic.
func (v *vm) protected(r *server.Reply, run *Run, val lua.LValue, isErr bool) {
	mark := len(r.Buf)
	v.out = pendingReply{r: r, run: run, val: val, isErr: isErr}
	v.L.Push(v.writeFn)
	err := v.L.PCall(0, 0, nil)
	v.out = pendingReply{}
	if err != nil {
		r.Buf = r.Buf[:mark]
		msg := err.Error()
		if ae, ok := err.(*lua.ApiError); ok {
			if s, ok := luaToString(ae.Object); ok {
				msg = s
			}
		}
		r.Error("ERR " + fixMessage(msg))
	}
}

func bytesTable(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for i, b := range items {
		t.RawSetInt(i+1, lua.LString(b))
	}
	return t
}

// errorHandler is __redis__err__handler: it turns any error into a table
// {err=..., source=..., line=...} naming the Lua line that raised it (the
// caller's line when a Go function raised it).
func (v *vm) errorHandler(L *lua.LState) int {
	obj := L.Get(1)
	var t *lua.LTable
	if v.run != nil && v.run.killed.Load() {
		t = v.errTable(errKilledByCmd)
	} else if tbl, ok := obj.(*lua.LTable); ok {
		t = tbl
	} else {
		s := "nil"
		switch x := obj.(type) {
		case lua.LString:
			s = fixMessage(string(x))
		case lua.LNumber:
			s = luaNumberString(float64(x))
		case lua.LBool:
			s = "false"
			if x {
				s = "true"
			}
		default:
			if obj != lua.LNil {
				s = obj.String()
			}
		}
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+s))
	}
	dbg, ok := L.GetStack(1)
	if ok {
		_, _ = L.GetInfo("Sl", dbg, lua.LNil)
		if dbg.What == "G" {
			dbg, ok = L.GetStack(2)
			if ok {
				_, _ = L.GetInfo("Sl", dbg, lua.LNil)
			}
		}
	}
	if ok {
		src := "=[C]"
		if dbg.What != "G" {
			src = sourceName(dbg.Source)
		}
		t.RawSetString("source", lua.LString(src))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
	}
	L.Push(t)
	return 1
}

// writeError formats a failed run's error as Redis does: the err message,
// then " script: <name>, on <source>:<line>." when the position is known.
func (v *vm) writeError(r *server.Reply, run *Run, obj lua.LValue) {
	t, ok := obj.(*lua.LTable)
	if s, isStr := obj.(lua.LString); isStr {
		// The error handler could not run (the Lua call stack was full):
		// give the error the shape the handler would have.
		t, ok = v.L.NewTable(), true
		t.RawSetString("err", lua.LString("ERR "+fixMessage(string(s))))
		if src, line, found := positionOf(string(s)); found {
			t.RawSetString("source", lua.LString(src))
			t.RawSetString("line", lua.LNumber(line))
		}
	}
	if !ok {
		r.Error("ERR Error running script " + run.Name + ", execution failure")
		return
	}
	msg, _ := luaToString(v.field(t, "err"))
	if _, isStr := v.field(t, "err").(lua.LString); !isStr {
		if _, isNum := v.field(t, "err").(lua.LNumber); !isNum {
			msg = "(null)"
		}
	}
	source, okS := luaToString(v.field(t, "source"))
	line, okL := luaToString(v.field(t, "line"))
	if okS && okL {
		msg += " script: " + run.Name + ", on " + source + ":" + line + "."
	}
	r.Error(msg)
}

func itoa(n int) string { return strconv.Itoa(n) }

// sourceName is what debug.getinfo reports as a chunk's source: "@name" for
// the chunks Shale names (user_script, user_function), the source string
// itself for loadstring chunks.
func sourceName(chunk string) string {
	if strings.HasPrefix(chunk, "[string \"") && strings.HasSuffix(chunk, "\"]") {
		return chunk[len("[string \"") : len(chunk)-2]
	}
	return "@" + chunk
}

// positionOf parses the "chunk:line:" prefix of a Lua error message.
func positionOf(msg string) (string, int, bool) {
	for _, chunk := range []string{"user_script", "user_function"} {
		if !strings.HasPrefix(msg, chunk+":") {
			continue
		}
		rest := msg[len(chunk)+1:]
		end := strings.IndexByte(rest, ':')
		if end <= 0 {
			return "", 0, false
		}
		line, err := strconv.Atoi(rest[:end])
		if err != nil {
			return "", 0, false
		}
		return "@" + chunk, line, true
	}
	return "", 0, false
}
