package commands

import (
	"sync"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
)

// Transactions: MULTI queues commands, EXEC runs them with the whole server
// to itself (the world lock held exclusively), so no other client's command
// interleaves — the same guarantee Redis gives by being single-threaded.
// WATCH is optimistic: every commit reports its keys through the engine's
// OnModified hook, which flags the clients watching them.

func init() {
	Register(
		&Command{Name: "multi", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Categories: CatFast | CatTransaction, Handler: multiCmd, Lock: LockNone, Group: "transactions", Summary: "Starts a transaction.", Since: "1.2.0", Complexity: "O(1)"},
		&Command{Name: "exec", Arity: 1, Flags: NoScript | Loading | Stale | SkipSlowlog, Categories: CatSlow | CatTransaction, Handler: execCmd, Lock: LockNone, Group: "transactions", Summary: "Executes all commands in a transaction.", Since: "1.2.0", Complexity: "Depends on commands in the transaction"},
		&Command{Name: "discard", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Categories: CatFast | CatTransaction, Handler: discardCmd, Lock: LockNone, Group: "transactions", Summary: "Discards a transaction.", Since: "2.0.0", Complexity: "O(N), when N is the number of queued commands"},
		&Command{Name: "watch", Arity: -2, Flags: NoScript | Loading | Stale | Fast | AllowBusy, FirstKey: 1, LastKey: -1, Step: 1, Categories: CatFast | CatTransaction, Handler: watchCmd, Lock: LockNone, Group: "transactions", Summary: "Monitors changes to keys to determine the execution of a transaction.", Since: "2.2.0", Complexity: "O(1) for every key."},
		&Command{Name: "unwatch", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Categories: CatFast | CatTransaction, Handler: unwatchCmd, Lock: LockNone, Group: "transactions", Summary: "Forgets about all watched keys.", Since: "2.2.0", Complexity: "O(1)"},
	)
	// CLIENT PAUSE (pause.go) holds a command before it would be queued.
	Hooks = append(Hooks, pauseHook, queueHook)
	ResetHooks = append(ResetHooks, func(c *server.Client) {
		discardState(c)
		unwatchAll(c)
	})
	AttachHooks = append(AttachHooks, attachWatch)
	CloseHooks = append(CloseHooks, unwatchAll)
}

// multiState is a client's transaction state.
type multiState struct {
	active  bool
	aborted bool // a command failed to queue: EXEC answers EXECABORT
	queue   []queued
	watched []watchedAt
	dirty   bool // a watched key changed
	// execing is set while EXEC runs its queue with the world lock held:
	// a queued EVAL must not take it again (scripting.go).
	execing bool
}

type queued struct {
	cmd  *Command
	args [][]byte
}

type watchedKey struct {
	db  int
	key string
}

// watchedAt remembers whether a watched key existed at WATCH time, so a key
// that expires while watched aborts EXEC (Redis 7).
type watchedAt struct {
	watchedKey
	existed bool
}

func stateOf(c *server.Client) *multiState {
	if m, ok := c.Multi.(*multiState); ok {
		return m
	}
	m := &multiState{}
	c.Multi = m
	return m
}

// InMulti reports whether c is queueing a transaction.
func InMulti(c *server.Client) bool {
	m, ok := c.Multi.(*multiState)
	return ok && m.active
}

// queueHook queues commands while a transaction is open.
func queueHook(c *server.Client, cmd *Command, args [][]byte) bool {
	m, ok := c.Multi.(*multiState)
	if !ok || !m.active {
		return false
	}
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	if cmd.Flags&NoMulti != 0 {
		c.Reply.Error("ERR Command not allowed inside a transaction")
		m.aborted = true
		return true
	}
	// The arguments alias redcon's read buffer: keep a copy.
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	m.queue = append(m.queue, queued{cmd: cmd, args: cp})
	c.Reply.Status("QUEUED")
	return true
}

// queuedMayWrite reports whether c's open transaction queued a command
// that writes or may replicate (EXEC then waits out a CLIENT PAUSE WRITE).
func queuedMayWrite(c *server.Client) bool {
	m, ok := c.Multi.(*multiState)
	if !ok {
		return false
	}
	for _, q := range m.queue {
		if q.cmd.Flags&(Write|MayReplicate) != 0 {
			return true
		}
	}
	return false
}

// AbortMulti flags the open transaction as failed (a command was rejected
// while queueing: unknown, wrong arity, ...).
func AbortMulti(c *server.Client) {
	if m, ok := c.Multi.(*multiState); ok && m.active {
		m.aborted = true
	}
}

func multiCmd(c *Ctx) {
	m := stateOf(c.Client)
	if m.active {
		c.R.Error("ERR MULTI calls can not be nested")
		return
	}
	m.active, m.aborted, m.queue = true, false, m.queue[:0]
	c.R.OK()
}

func discardState(c *server.Client) {
	if m, ok := c.Multi.(*multiState); ok {
		m.active, m.aborted = false, false
		m.queue = nil
	}
}

func discardCmd(c *Ctx) {
	if !InMulti(c.Client) {
		c.R.Error("ERR DISCARD without MULTI")
		return
	}
	discardState(c.Client)
	unwatchAll(c.Client)
	c.R.OK()
}

func execCmd(c *Ctx) {
	m := stateOf(c.Client)
	if !m.active {
		c.R.Error("ERR EXEC without MULTI")
		return
	}
	queue, aborted := m.queue, m.aborted
	discardState(c.Client)
	if aborted {
		unwatchAll(c.Client)
		c.R.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	eng := c.Eng
	var g = &c.Client.Guard
	eng.LockWorld(g)
	defer g.Unlock()
	m.execing = true
	defer func() { m.execing = false }()
	// Checked under the world lock: no write can slip in between.
	if watchDirty(c.Client) {
		unwatchAll(c.Client)
		c.R.NullArray()
		return
	}
	unwatchAll(c.Client)
	c.R.Array(len(queue))
	for _, q := range queue {
		c.NoteCommand(&q.cmd.Name, c.Tx.Now)
		Exec(c.Client, q.cmd, q.args)
	}
	// Every queued command committed already. Drop the last one's reads,
	// or EXEC's own commit would fill the cache with them after the world
	// lock is released, over a newer value (a blocked client served on
	// release, or any writer).
	c.Tx.ResetAt(c.Eng, c.Client.DB, c.Tx.Now)
}

// --- WATCH ---

// watchRegistry maps watched keys to the clients watching them.
type watchRegistry struct {
	mu   sync.Mutex
	keys map[watchedKey]map[*server.Client]struct{}
}

var watches = &watchRegistry{keys: map[watchedKey]map[*server.Client]struct{}{}}

func attachWatch(s *server.Server) {
	eng := s.Engine
	prev := eng.OnModified
	eng.OnModified = func(db int, key []byte) {
		if prev != nil {
			prev(db, key)
		}
		touchWatched(db, key)
	}
	prevFlush := eng.OnFlush
	eng.OnFlush = func(db int) {
		if prevFlush != nil {
			prevFlush(db)
		}
		touchWatchedDB(db)
	}
	prevSwap := eng.OnSwapDB
	eng.OnSwapDB = func(a, b int) {
		if prevSwap != nil {
			prevSwap(a, b)
		}
		touchWatchedDB(a)
		touchWatchedDB(b)
	}
}

// touchWatched flags every client watching (db, key).
func touchWatched(db int, key []byte) {
	watches.mu.Lock()
	for c := range watches.keys[watchedKey{db: db, key: string(key)}] {
		if m, ok := c.Multi.(*multiState); ok {
			m.dirty = true
		}
	}
	watches.mu.Unlock()
}

// touchWatchedDB flags every client watching a key of db (-1: every db):
// FLUSHDB, FLUSHALL, SWAPDB.
func touchWatchedDB(db int) {
	watches.mu.Lock()
	for wk, cs := range watches.keys {
		if db >= 0 && wk.db != db {
			continue
		}
		for c := range cs {
			if m, ok := c.Multi.(*multiState); ok {
				m.dirty = true
			}
		}
	}
	watches.mu.Unlock()
}

func watchCmd(c *Ctx) {
	if InMulti(c.Client) {
		c.R.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	m := stateOf(c.Client)
	first := len(m.watched)
	watches.mu.Lock()
	for _, k := range c.Args[1:] {
		wk := watchedKey{db: c.DB, key: string(k)}
		cs := watches.keys[wk]
		if cs == nil {
			cs = map[*server.Client]struct{}{}
			watches.keys[wk] = cs
		}
		if _, dup := cs[c.Client]; dup {
			continue
		}
		cs[c.Client] = struct{}{}
		m.watched = append(m.watched, watchedAt{watchedKey: wk})
		c.Eng.TrackModified(1)
	}
	watches.mu.Unlock()
	// Note which keys exist now, so EXEC can tell a key that expired while
	// watched (Redis 7 counts that as a change).
	for i := first; i < len(m.watched); i++ {
		w := &m.watched[i]
		var g engine.Guard
		k := []byte(w.key)
		c.Eng.LockKeys(&g, w.db, [][]byte{k}, false)
		tx := c.Eng.Begin(w.db)
		w.existed, _ = tx.Exists(k)
		g.Unlock()
	}
	c.R.OK()
}

// watchDirty reports whether a watched key changed since WATCH.
func watchDirty(c *server.Client) bool {
	m, ok := c.Multi.(*multiState)
	if !ok {
		return false
	}
	watches.mu.Lock()
	dirty := m.dirty
	watches.mu.Unlock()
	if dirty {
		return true
	}
	// The caller holds the world lock: plain reads are consistent.
	eng := c.Server().Engine
	for _, w := range m.watched {
		if !w.existed {
			continue
		}
		tx := eng.Begin(w.db)
		if ok, err := tx.Exists([]byte(w.key)); err != nil || !ok {
			return true
		}
	}
	return false
}

func unwatchAll(c *server.Client) {
	m, ok := c.Multi.(*multiState)
	if !ok {
		return
	}
	watches.mu.Lock()
	for _, w := range m.watched {
		if cs := watches.keys[w.watchedKey]; cs != nil {
			delete(cs, c)
			if len(cs) == 0 {
				delete(watches.keys, w.watchedKey)
			}
		}
	}
	n := len(m.watched)
	m.watched = m.watched[:0]
	m.dirty = false
	watches.mu.Unlock()
	if n > 0 {
		c.Server().Engine.TrackModified(-n)
	}
}

func unwatchCmd(c *Ctx) {
	unwatchAll(c.Client)
	c.R.OK()
}
