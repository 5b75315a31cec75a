package commands

import (
	"errors"
	"strings"
	"time"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
)

// Ctx is what a handler sees: the client, its arguments, and a Tx on the
// client's database with the command's keys already locked.
type Ctx struct {
	*server.Client
	Srv  *server.Server
	Eng  *engine.Engine
	Args [][]byte
	Cmd  *Command
	Tx   *engine.Tx
	// R is the reply being built (the client's reply buffer).
	R *server.Reply

	busy bool
	// notes are keyspace events published after the commit (notify.go).
	notes []keyEvent
}

// Hooks lets later layers (MULTI, scripts, pub/sub, ACL) intercept commands
// before they run. A hook that returns true has handled the command.
var Hooks []func(c *server.Client, cmd *Command, args [][]byte) bool

// Dispatch runs one command line for c. It is the server.Handler.
func Dispatch(c *server.Client, args [][]byte) {
	r := &c.Reply
	if len(args) == 0 {
		return
	}
	srv := c.Server()
	srv.Stats.CommandsProcessed.Add(1)
	cmd := Lookup(args[0])
	if cmd == nil {
		AbortMulti(c)
		r.Error(unknownCommand(args))
		srv.Stats.ErrorReplies.Add(1)
		return
	}
	if cmd.Subcommands != nil && (len(args) > 1 || cmd.Handler == nil) {
		if len(args) < 2 {
			AbortMulti(c)
			r.Error("ERR wrong number of arguments for '" + cmd.Name + "' command")
			srv.Stats.ErrorReplies.Add(1)
			return
		}
		sub := cmd.LookupSub(args[1])
		if sub == nil {
			AbortMulti(c)
			r.Error("ERR unknown subcommand '" + trunc(CString(args[1])) + "'. Try " + strings.ToUpper(cmd.Name) + " HELP.")
			srv.Stats.ErrorReplies.Add(1)
			return
		}
		cmd = sub
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		if cmd.Name == "exec" {
			// Redis aborts the transaction right there (and answers
			// EXECABORT even outside MULTI).
			discardState(c)
			unwatchAll(c)
			r.Error("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")
			srv.Stats.ErrorReplies.Add(1)
			return
		}
		AbortMulti(c)
		r.Error("ERR wrong number of arguments for '" + cmd.Name + "' command")
		srv.Stats.ErrorReplies.Add(1)
		return
	}
	if !c.Authenticated && cmd.Flags&NoAuth == 0 {
		r.Error("NOAUTH Authentication required.")
		srv.Stats.ErrorReplies.Add(1)
		return
	}
	// While a script runs past busy-reply-threshold, other clients get
	// BUSY at once (scripting.go); one atomic load when none runs.
	if scriptsRunning.Load() != 0 && scriptBusyReject(c, cmd, args) {
		return
	}
	for _, h := range Hooks {
		if h(c, cmd, args) {
			return
		}
	}
	Run(c, cmd, args)
}

// Run executes an already-validated command: lock, run, commit, unlock.
// Higher layers (EXEC, scripts) that already hold the locks call Exec.
func Run(c *server.Client, cmd *Command, args [][]byte) {
	eng := c.Server().Engine
	t0 := time.Now() // the command's one clock read: ms for expiry, monotonic for SLOWLOG
	now := t0.UnixMilli()
	c.NoteCommand(&cmd.Name, now)
	if cmd.batchable && canBatch(c, cmd) {
		if runBatched(c, cmd, args, now, t0) {
			return
		}
	}
	// Anything else first commits a pipeline batch the client has open.
	flushBatch(c)
	mode := cmd.Lock
	if cmd.LockFor != nil {
		mode = cmd.LockFor(args)
	}
	switch mode {
	case LockWorld:
		eng.LockWorld(&c.Guard)
		exec(c, cmd, args, now, t0)
		c.Guard.Unlock()
		return
	case LockNone:
		exec(c, cmd, args, now, t0)
		return
	}
	if cmd.DBKeys != nil {
		dbs, keys := cmd.DBKeys(c, args)
		eng.LockKeysMultiDB(&c.Guard, dbs, keys)
		exec(c, cmd, args, now, t0)
		c.Guard.Unlock()
		return
	}
	c.KeyBuf = cmd.KeyArgs(c.KeyBuf, args)
	if len(c.KeyBuf) == 0 {
		exec(c, cmd, args, now, t0)
		return
	}
	eng.LockKeys(&c.Guard, c.DB, c.KeyBuf, cmd.IsWrite() || mode == LockExclusive)
	exec(c, cmd, args, now, t0)
	c.Guard.Unlock()
}

// Exec runs the handler inside a fresh Tx and commits it. The reply is
// withdrawn and replaced by an error if the commit fails, so a reply is
// never sent for a write that did not happen.
func Exec(c *server.Client, cmd *Command, args [][]byte) {
	t0 := time.Now()
	exec(c, cmd, args, t0.UnixMilli(), t0)
}

// exec is Exec with the command's clock already read (one read per command).
func exec(c *server.Client, cmd *Command, args [][]byte, now int64, t0 time.Time) {
	c.Tx.ResetAt(c.Server().Engine, c.DB, now)
	execBody(c, cmd, args, t0)
}

// execBody runs the handler on the client's current Tx and, unless a
// pipeline batch is open, commits it.
func execBody(c *server.Client, cmd *Command, args [][]byte, start time.Time) {
	srv := c.Server()
	r := &c.Reply
	mark := len(r.Buf)
	// The Ctx is reused per client: handlers are called through a function
	// value, so a fresh one would escape to the heap on every command.
	// Nested execution (EXEC, scripts) gets a fresh one.
	ctx, _ := c.Ctx.(*Ctx)
	if ctx == nil || ctx.busy {
		ctx = &Ctx{}
		if c.Ctx == nil {
			c.Ctx = ctx
		}
	}
	*ctx = Ctx{Client: c, Srv: srv, Eng: srv.Engine, Args: args, Cmd: cmd, Tx: &c.Tx, R: r, busy: true}
	feedMonitors(c, cmd, args)
	cmd.Handler(ctx)
	ctx.busy = false
	// In a pipeline batch the commit comes later (flushBatch), and batched
	// commands publish nothing (canBatch).
	if !c.Batching {
		if err := c.Tx.Commit(); err != nil {
			c.Tx.Discard()
			r.Buf = r.Buf[:mark]
			r.Error("ERR storage error: " + err.Error())
		} else if ctx.notes != nil {
			ctx.flushNotify(mark)
		}
	}
	if len(r.Buf) > mark && r.Buf[mark] == '-' {
		srv.Stats.ErrorReplies.Add(1)
	}
	afterExec(c, cmd, args, start)
}

// CString is arg as Redis prints it through a C "%s": up to its first NUL.
func CString(arg []byte) string {
	for i, b := range arg {
		if b == 0 {
			return string(arg[:i])
		}
	}
	return string(arg)
}

func trunc(s string) string {
	if len(s) > 128 {
		return s[:128]
	}
	return s
}

// unknownCommand builds Redis's unknown-command error, echoing the name as
// typed (at most 128 bytes) and the first arguments (128 bytes in all, as
// Redis's sdscatprintf("'%.*s' ", 128-len) loop does).
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.WriteString(trunc(CString(args[0])))
	b.WriteString("', with args beginning with: ")
	var list []byte
	for _, a := range args[1:] {
		if len(list) >= 128 {
			break
		}
		room := 128 - len(list)
		a = []byte(CString(a))
		if len(a) > room {
			a = a[:room]
		}
		list = append(list, '\'')
		list = append(list, a...)
		list = append(list, '\'', ' ')
	}
	b.Write(list)
	return b.String()
}

// Error texts shared by many commands (Redis 7.0 wording).
const (
	ErrSyntax       = "ERR syntax error"
	ErrNotInteger   = "ERR value is not an integer or out of range"
	ErrNotFloat     = "ERR value is not a valid float"
	ErrOverflow     = "ERR increment or decrement would overflow"
	ErrNoSuchKey    = "ERR no such key"
	ErrDBIndex      = "ERR DB index is out of range"
	ErrIndexRange   = "ERR index out of range"
	ErrWrongType    = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrStringTooBig = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
)

// Err writes err as an error reply: engine errors carry their Redis code,
// anything else is an ERR.
func (c *Ctx) Err(err error) {
	var re ReplyError
	switch {
	case errors.Is(err, engine.ErrWrongType):
		c.R.Error(ErrWrongType)
	case errors.As(err, &re):
		c.R.Error(string(re))
	default:
		c.R.Error("ERR " + err.Error())
	}
}

// ReplyError is an error whose text is sent to the client verbatim
// (including its code, e.g. "ERR syntax error").
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

// Error writes an error reply.
func (c *Ctx) Error(msg string) { c.R.Error(msg) }

// WrongArity writes the arity error for the running command.
func (c *Ctx) WrongArity() {
	c.R.Error("ERR wrong number of arguments for '" + c.Cmd.Name + "' command")
}
