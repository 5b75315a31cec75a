package commands

import (
	"bytes"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
)

// Blocking commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX
// BZMPOP, XREAD/XREADGROUP BLOCK, CLIENT UNBLOCK.
//
// A blocking command first runs like its non-blocking variant, under its
// keys' locks. When nothing is there, it registers a waiter on each key
// (still under the locks, so no push can slip in between) and returns; the
// dispatcher hook below then waits, holding no engine lock. Every commit
// fires the engine's OnModified hook while the writer still holds the
// modified key's lock: the hook serves the key's first waiter right there,
// on the writer's goroutine (a fresh Tx pops for the waiter and commits),
// and hands the reply bytes to the waiter over a channel. So the waiter is
// served before any other client can touch the key, as in Redis. Writes
// made under the world lock (MULTI/EXEC, scripts) only note the key; the
// waiters are served when the world lock is released, after the whole
// transaction or script, again as in Redis.

func init() {
	const bl = Write | Blocking
	k := func(c *Command, first, last int, group string) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = first, last, 1, group
		return c
	}
	Register(
		k(&Command{Name: "blpop", Arity: -3, Flags: bl | NoScript, Categories: CatWrite | CatList | CatSlow | CatBlocking, Handler: blpopCmd, Summary: "Remove and get the first element in a list, or block until one is available", Since: "2.0.0", Complexity: "O(N) where N is the number of provided keys."}, 1, -2, "list"),
		k(&Command{Name: "brpop", Arity: -3, Flags: bl | NoScript, Categories: CatWrite | CatList | CatSlow | CatBlocking, Handler: brpopCmd, Summary: "Remove and get the last element in a list, or block until one is available", Since: "2.0.0", Complexity: "O(N) where N is the number of provided keys."}, 1, -2, "list"),
		k(&Command{Name: "blmove", Arity: 6, Flags: bl | NoScript | DenyOOM, Categories: CatWrite | CatList | CatSlow | CatBlocking, Handler: blmoveCmd, Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "6.2.0", Complexity: "O(1)"}, 1, 2, "list"),
		k(&Command{Name: "brpoplpush", Arity: 4, Flags: bl | NoScript | DenyOOM, Categories: CatWrite | CatList | CatSlow | CatBlocking, Handler: brpoplpushCmd, Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "2.2.0", Complexity: "O(1)"}, 1, 2, "list"),
		&Command{Name: "blmpop", Arity: -5, Flags: bl, Categories: CatWrite | CatList | CatSlow | CatBlocking, Handler: blmpopCmd, Keys: bmpopKeys, Group: "list", Summary: "Pop elements from a list, or block until one is available", Since: "7.0.0", Complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned."},
		k(&Command{Name: "bzpopmin", Arity: -3, Flags: bl | NoScript | Fast, Categories: CatWrite | CatSortedSet | CatFast | CatBlocking, Handler: bzpopminCmd, Summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", Since: "5.0.0", Complexity: "O(log(N)) with N being the number of elements in the sorted set."}, 1, -2, "sorted-set"),
		k(&Command{Name: "bzpopmax", Arity: -3, Flags: bl | NoScript | Fast, Categories: CatWrite | CatSortedSet | CatFast | CatBlocking, Handler: bzpopmaxCmd, Summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", Since: "5.0.0", Complexity: "O(log(N)) with N being the number of elements in the sorted set."}, 1, -2, "sorted-set"),
		&Command{Name: "bzmpop", Arity: -5, Flags: bl, Categories: CatWrite | CatSortedSet | CatSlow | CatBlocking, Handler: bzmpopCmd, Keys: bmpopKeys, Group: "sorted-set", Summary: "Remove and return members with scores in a sorted set or block until one is available", Since: "7.0.0", Complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."},
		&Command{Name: "client|unblock", Arity: -3, Flags: Admin | NoScript | Loading | Stale, Categories: CatAdmin | CatSlow | CatDangerous | CatConnection, Handler: clientUnblockCmd, Lock: LockNone, Group: "connection", Summary: "Unblock a client blocked in a blocking command from a different connection", Since: "5.0.0", Complexity: "O(log N) where N is the number of client connections"},
	)
	// Key specs as Redis 7.0's COMMAND INFO reports them.
	lzKeySpecs(map[string][]KeySpec{
		"blpop":      {RangeSpec("RW access delete", 1, -2, 1)},
		"brpop":      {RangeSpec("RW access delete", 1, -2, 1)},
		"blmove":     {RangeSpec("RW access delete", 1, 0, 1), RangeSpec("RW insert", 2, 0, 1)},
		"brpoplpush": {RangeSpec("RW access delete", 1, 0, 1), RangeSpec("RW insert", 2, 0, 1)},
		"blmpop":     {KeyNumSpec("RW access delete", 2, 0, 1, 1)},
		"bzpopmin":   {RangeSpec("RW access delete", 1, -2, 1)},
		"bzpopmax":   {RangeSpec("RW access delete", 1, -2, 1)},
		"bzmpop":     {KeyNumSpec("RW access delete", 2, 0, 1, 1)},
	}, nil)
	AttachHooks = append(AttachHooks, attachBlocking)
	CloseHooks = append(CloseHooks, func(c *server.Client) {
		if reg := registryOf(c.Server()); reg != nil {
			reg.cancel(reg.waiterOf(c), wakeGone)
		}
		clientBlocks.Delete(c)
	})
	server.ClientFlagHooks = append(server.ClientFlagHooks, func(c *server.Client) string {
		if reg := registryOf(c.Server()); reg != nil && reg.waiterOf(c) != nil {
			return "b"
		}
		return ""
	})
	InfoValues["blocked_clients"] = func(s *server.Server) string {
		if reg := registryOf(s); reg != nil {
			return strconv.FormatInt(reg.nblocked.Load(), 10)
		}
		return "0"
	}
}

// bmpopKeys extracts BLMPOP/BZMPOP's keys: timeout numkeys key [key ...].
func bmpopKeys(args [][]byte) [][]byte { return numKeysArg(args, 2) }

// ---------------------------------------------------------------------------
// Registry.

type bkey struct {
	db  int
	key string
}

const (
	wWaiting = iota
	wServing
	wDone
)

// Wake kinds.
const (
	wakeServed = iota + 1
	wakeTimeout
	wakeError // CLIENT UNBLOCK ... ERROR
	wakeRetry // serve under the waiter's own locks (BLMOVE's destination was busy)
	wakeGone  // disconnected, killed, shutting down
)

type wake struct {
	kind  int
	reply []byte
	notes []keyEvent // keyspace events of the served pop
	key   []byte     // the key it was served from
}

// serveFunc pops for a waiter from the ready key, writing the reply to
// x.R. It returns false when the key holds nothing it can serve (nothing
// written; the Tx is discarded).
type serveFunc func(x *Ctx, key []byte) bool

type waiter struct {
	c        *server.Client
	db       int
	keys     []bkey
	cmd      *Command
	args     [][]byte // owned copy
	proto    int
	deadline int64  // unix ms, 0 = forever
	dst      []byte // BLMOVE destination (its lock is needed to serve)
	serve    serveFunc

	state  int // guarded by the registry's mu
	cancel int // wake kind asked for while being served
	ch     chan wake
}

type blockRegistry struct {
	srv *server.Server
	eng *engine.Engine

	mu       sync.Mutex
	queues   map[bkey][]*waiter
	serving  map[bkey]bool
	byClient map[*server.Client]*waiter
	pending  []bkey // keys made ready under the world lock

	nblocked atomic.Int64
}

var registries sync.Map // *server.Server → *blockRegistry

func registryOf(s *server.Server) *blockRegistry {
	if v, ok := registries.Load(s); ok {
		return v.(*blockRegistry)
	}
	return nil
}

var blockHookOnce sync.Once

func attachBlocking(s *server.Server) {
	reg := &blockRegistry{
		srv:      s,
		eng:      s.Engine,
		queues:   map[bkey][]*waiter{},
		serving:  map[bkey]bool{},
		byClient: map[*server.Client]*waiter{},
	}
	registries.Store(s, reg)
	eng := s.Engine
	prev := eng.OnModified
	eng.OnModified = func(db int, key []byte) {
		if prev != nil {
			prev(db, key)
		}
		reg.onModified(db, key)
	}
	prevWorld := eng.OnWorldRelease
	eng.OnWorldRelease = func() {
		if prevWorld != nil {
			prevWorld()
		}
		reg.drainPending()
	}
	// SWAPDB (world lock held) may bring data under waited keys: check
	// them all when the world lock is released.
	prevSwap := eng.OnSwapDB
	eng.OnSwapDB = func(a, b int) {
		if prevSwap != nil {
			prevSwap(a, b)
		}
		reg.mu.Lock()
		for k := range reg.queues {
			if k.db == a || k.db == b {
				reg.pending = append(reg.pending, k)
			}
		}
		reg.mu.Unlock()
	}
	prevShutdown := s.ShutdownHook
	s.ShutdownHook = func() {
		if prevShutdown != nil {
			prevShutdown()
		}
		registries.Delete(s)
	}
	// The dispatcher hook goes last, after MULTI's queueing and the
	// pub/sub context checks, which must see blocking commands first.
	blockHookOnce.Do(func() { Hooks = append(Hooks, blockHook) })
}

// clientBlock is a client's blocking state while its command runs.
type clientBlock struct {
	allow    bool  // the command may block (not in EXEC or a script)
	deadline int64 // a retry keeps the first attempt's deadline (-1: none)
	w        *waiter
}

var clientBlocks sync.Map // *server.Client → *clientBlock

// blockHook runs blocking commands itself: the command runs (locking its
// keys) and, if it registered a waiter, the client waits here without any
// lock, then sends what the wait produced.
func blockHook(c *server.Client, cmd *Command, args [][]byte) bool {
	if cmd.Flags&Blocking == 0 {
		return false
	}
	reg := registryOf(c.Server())
	if reg == nil {
		return false
	}
	v, _ := clientBlocks.LoadOrStore(c, &clientBlock{})
	cb := v.(*clientBlock)
	cb.deadline = -1
	for {
		cb.allow = true
		Run(c, cmd, args)
		cb.allow = false
		w := cb.w
		if w == nil {
			return true
		}
		cb.w = nil
		wk := reg.wait(c, w)
		r := &c.Reply
		switch wk.kind {
		case wakeServed:
			if len(wk.notes) > 0 {
				// Taking the key's lock waits for the writer to finish
				// its command, notifications included.
				var g engine.Guard
				reg.eng.LockKeys(&g, w.db, [][]byte{wk.key}, false)
				for _, e := range wk.notes {
					publishKeyEvent(c.Server(), nil, e.event, e.key, e.db)
				}
				g.Unlock()
			}
			r.Buf = append(r.Buf, wk.reply...)
			if len(wk.reply) > 0 && wk.reply[0] == '-' {
				c.Server().Stats.ErrorReplies.Add(1)
			}
		case wakeTimeout:
			r.NullArray()
		case wakeError:
			r.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
			c.Server().Stats.ErrorReplies.Add(1)
		case wakeRetry:
			cb.deadline = w.deadline
			continue
		case wakeGone:
		}
		return true
	}
}

// wait parks the client until its waiter is woken.
func (reg *blockRegistry) wait(c *server.Client, w *waiter) wake {
	c.PubSubUnhold()
	c.FlushPending()
	var timeout <-chan time.Time
	if w.deadline > 0 {
		t := time.NewTimer(time.Duration(w.deadline-engine.NowMs()) * time.Millisecond)
		defer t.Stop()
		timeout = t.C
	}
	// The connection's reader is parked with us: poll for a peer that went
	// away or a CLIENT KILL.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case wk := <-w.ch:
			return wk
		case <-timeout:
			timeout = nil
			reg.cancel(w, wakeTimeout)
		case <-tick.C:
			if c.Closing() || c.PeerClosed() {
				reg.cancel(w, wakeGone)
			}
		case <-reg.srv.Done():
			reg.cancel(w, wakeGone)
			return wake{kind: wakeGone}
		}
	}
}

// register queues w on its keys. Called with the keys locked.
func (reg *blockRegistry) register(w *waiter) {
	reg.mu.Lock()
	for _, k := range w.keys {
		reg.queues[k] = append(reg.queues[k], w)
	}
	reg.byClient[w.c] = w
	reg.mu.Unlock()
	reg.nblocked.Add(1)
	reg.eng.TrackModified(1)
}

// remove unqueues w. Called with mu held.
func (reg *blockRegistry) remove(w *waiter) {
	for _, k := range w.keys {
		q := reg.queues[k]
		for i, x := range q {
			if x == w {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(reg.queues, k)
		} else {
			reg.queues[k] = q
		}
	}
	if reg.byClient[w.c] == w {
		delete(reg.byClient, w.c)
	}
	reg.nblocked.Add(-1)
	reg.eng.TrackModified(-1)
}

// finish removes w and wakes it. Called with mu held; the channel has room
// for the one wake a waiter ever gets.
func (reg *blockRegistry) finish(w *waiter, wk wake) {
	reg.remove(w)
	w.state = wDone
	w.ch <- wk
}

func (reg *blockRegistry) waiterOf(c *server.Client) *waiter {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return reg.byClient[c]
}

// cancel wakes w with kind unless it was served already. A waiter being
// served is woken when its server is done with it. It reports whether w
// was blocked.
func (reg *blockRegistry) cancel(w *waiter, kind int) bool {
	if w == nil {
		return false
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	switch w.state {
	case wWaiting:
		reg.finish(w, wake{kind: kind})
		return true
	case wServing:
		w.cancel = kind
		return true
	}
	return false
}

// onModified runs after every commit that changed key, with the key's
// lock held by the committing goroutine.
func (reg *blockRegistry) onModified(db int, key []byte) {
	if reg.nblocked.Load() == 0 {
		return
	}
	if reg.eng.WorldLocked() {
		reg.mu.Lock()
		k := bkey{db, string(key)}
		if len(reg.queues[k]) > 0 {
			reg.pending = append(reg.pending, k)
		}
		reg.mu.Unlock()
		return
	}
	reg.serveKey(db, key)
}

// drainPending serves the keys a world-locked unit made ready, in the
// order they were touched (runs before the world lock is dropped).
func (reg *blockRegistry) drainPending() {
	for {
		reg.mu.Lock()
		if len(reg.pending) == 0 {
			reg.mu.Unlock()
			return
		}
		k := reg.pending[0]
		reg.pending = reg.pending[1:]
		reg.mu.Unlock()
		reg.serveKey(k.db, []byte(k.key))
	}
}

const (
	serveOK = iota
	serveNotReady
	serveRetry
)

// serveKey serves key's waiters in arrival order while the key has data.
func (reg *blockRegistry) serveKey(db int, key []byte) {
	k := bkey{db, string(key)}
	reg.mu.Lock()
	// A waiter's own pop (or BLMOVE's push) re-enters through the commit
	// hook: the outer loop is already serving that key.
	if reg.serving[k] || len(reg.queues[k]) == 0 {
		reg.mu.Unlock()
		return
	}
	reg.serving[k] = true
	for {
		var w *waiter
		for _, x := range reg.queues[k] {
			if x.state == wWaiting {
				w = x
				break
			}
		}
		if w == nil {
			break
		}
		w.state = wServing
		reg.mu.Unlock()
		res, reply, notes := reg.serveOne(w, db, key)
		reg.mu.Lock()
		if res == serveOK {
			reg.finish(w, wake{kind: wakeServed, reply: reply, notes: notes, key: key})
			continue
		}
		if res == serveRetry {
			reg.finish(w, wake{kind: wakeRetry})
			continue
		}
		w.state = wWaiting
		if w.cancel != 0 {
			reg.finish(w, wake{kind: w.cancel})
		}
		break
	}
	delete(reg.serving, k)
	reg.mu.Unlock()
}

// serveOne runs w's pop on the ready key with a fresh Tx and commits it.
func (reg *blockRegistry) serveOne(w *waiter, db int, key []byte) (int, []byte, []keyEvent) {
	eng := reg.eng
	if w.dst != nil && !bytes.Equal(w.dst, key) && !eng.WorldLocked() && !eng.SameStripe(db, key, w.dst) {
		s, ok := eng.TryLockKey(db, w.dst)
		if !ok {
			return serveRetry, nil, nil
		}
		defer eng.UnlockStripe(s)
	}
	tx := eng.Begin(db)
	r := &server.Reply{Proto: w.proto}
	x := &Ctx{Client: w.c, Srv: reg.srv, Eng: eng, Args: w.args, Cmd: w.cmd, Tx: tx, R: r}
	if !w.serve(x, key) {
		tx.Discard()
		return serveNotReady, nil, nil
	}
	if err := tx.Commit(); err != nil {
		tx.Discard()
		r.Buf = r.Buf[:0]
		r.Error("ERR storage error: " + err.Error())
		return serveOK, r.Buf, nil
	}
	// The pop's keyspace events go out from the waiter's goroutine, after
	// the writer has published its own (Redis serves blocked clients after
	// the command that made the key ready, notifications included).
	return serveOK, r.Buf, x.notes
}

// block registers the running command as waiting on keys, or, where
// blocking is not allowed (MULTI/EXEC, scripts), replies the null array
// at once. Called under the keys' locks after the command found nothing.
func (c *Ctx) block(keys [][]byte, deadline int64, dst []byte, serve serveFunc) {
	if !c.mayBlock() {
		c.R.NullArray()
		return
	}
	v, _ := clientBlocks.Load(c.Client)
	cb := v.(*clientBlock)
	reg := registryOf(c.Srv)
	if cb.deadline >= 0 {
		deadline = cb.deadline
	}
	if deadline > 0 && deadline <= engine.NowMs() {
		c.R.NullArray()
		return
	}
	w := &waiter{
		c:        c.Client,
		db:       c.DB,
		cmd:      c.Cmd,
		proto:    c.R.Proto,
		deadline: deadline,
		serve:    serve,
		ch:       make(chan wake, 1),
	}
	w.args = make([][]byte, len(c.Args))
	for i, a := range c.Args {
		w.args[i] = append([]byte(nil), a...)
	}
	if dst != nil {
		w.dst = append([]byte(nil), dst...)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if !seen[string(k)] {
			seen[string(k)] = true
			w.keys = append(w.keys, bkey{c.DB, string(k)})
		}
	}
	reg.register(w)
	cb.w = w
}

// mayBlock reports whether the running command may block: not inside
// MULTI/EXEC or a script.
func (c *Ctx) mayBlock() bool {
	v, _ := clientBlocks.Load(c.Client)
	cb, _ := v.(*clientBlock)
	return cb != nil && cb.allow && registryOf(c.Srv) != nil && c.Tx == &c.Client.Tx
}

// parseTimeout parses a timeout in seconds (fractional) into an absolute
// deadline in unix ms, 0 for forever, as Redis 7.0's
// getTimeoutFromObjectOrReply: the milliseconds are truncated toward zero
// and a value that does not fit (inf, 1e20) counts as negative.
func parseTimeout(c *Ctx, arg []byte) (int64, bool) {
	f, ok := parseLongDouble(arg)
	if !ok {
		c.R.Error("ERR timeout is not a float or out of range")
		return 0, false
	}
	ms := f * 1000
	if !(ms < 9.2233720368547758e18) || ms <= -9.2233720368547758e18 {
		c.R.Error("ERR timeout is negative")
		return 0, false
	}
	tval := int64(ms)
	if tval < 0 {
		c.R.Error("ERR timeout is negative")
		return 0, false
	}
	if tval > 0 {
		now := engine.NowMs()
		if tval > math.MaxInt64-now {
			tval = math.MaxInt64 - now
		}
		tval += now
	}
	return tval, true
}

// parseLongDouble parses like Redis's string2ld (strtold): no spaces, no
// trailing bytes, no NaN; inf is accepted.
func parseLongDouble(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5*1024 {
		return 0, false
	}
	switch b[0] {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// ---------------------------------------------------------------------------
// Commands.

func blpopCmd(c *Ctx) { bpopList(c, true) }
func brpopCmd(c *Ctx) { bpopList(c, false) }

// bpopList implements BLPOP/BRPOP key [key ...] timeout.
func bpopList(c *Ctx, left bool) {
	deadline, ok := parseTimeout(c, c.Args[len(c.Args)-1])
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	serve := func(x *Ctx, key []byte) bool {
		vals, exists, err := x.Tx.ListPop(key, left, 1)
		if err != nil || !exists || len(vals) == 0 {
			return false
		}
		x.R.Array(2)
		x.R.Bulk(key)
		x.R.Bulk(vals[0])
		notifyPopped(x, key, left)
		return true
	}
	for _, k := range keys {
		if _, err := c.Tx.ListLen(k); err != nil {
			lzFail(c, err)
			return
		}
		if serve(c, k) {
			return
		}
	}
	c.block(keys, deadline, nil, serve)
}

func blmoveCmd(c *Ctx) {
	srcLeft, ok1 := parseWhere(c.Args[3])
	dstLeft, ok2 := parseWhere(c.Args[4])
	if !ok1 || !ok2 {
		c.R.Error(ErrSyntax)
		return
	}
	bmove(c, c.Args[5], srcLeft, dstLeft)
}

func brpoplpushCmd(c *Ctx) { bmove(c, c.Args[3], false, true) }

func bmove(c *Ctx, timeout []byte, srcLeft, dstLeft bool) {
	deadline, ok := parseTimeout(c, timeout)
	if !ok {
		return
	}
	src, dst := c.Args[1], c.Args[2]
	v, moved, err := c.Tx.ListMove(src, dst, srcLeft, dstLeft)
	if err != nil {
		lzFail(c, err)
		return
	}
	if moved {
		Notify(c, NotifyList, pushEvent(dstLeft), dst)
		c.R.Bulk(v)
		notifyPopped(c, src, srcLeft)
		return
	}
	if !c.mayBlock() {
		c.R.Null() // BLMOVE in MULTI answers like LMOVE (a null bulk)
		return
	}
	c.block([][]byte{src}, deadline, dst, func(x *Ctx, key []byte) bool {
		d := x.Args[2]
		// A destination of another type unblocks the client with
		// WRONGTYPE once the source has data; the source keeps it.
		if n, err := x.Tx.ListLen(key); err != nil || n == 0 {
			return false
		}
		if m, exists, err := x.Tx.Lookup(d); err == nil && exists && m.Type != encoding.TypeList {
			x.R.Error(ErrWrongType)
			return true
		}
		v, moved, err := x.Tx.ListMove(key, d, srcLeft, dstLeft)
		if err != nil || !moved {
			return false
		}
		Notify(x, NotifyList, pushEvent(dstLeft), d)
		x.R.Bulk(v)
		notifyPopped(x, key, srcLeft)
		return true
	})
}

// parseBMpop parses BLMPOP/BZMPOP: timeout numkeys key [key ...] <where>
// [COUNT count]; the tail is LMPOP's.
func parseBMpop(c *Ctx, which func([]byte) (bool, bool)) (deadline int64, keys [][]byte, dir bool, count int64, ok bool) {
	deadline, ok = parseTimeout(c, c.Args[1])
	if !ok {
		return
	}
	full := c.Args
	c.Args = full[1:] // parseMpop reads numkeys at index 1
	keys, dir, count, ok = parseMpop(c, which)
	c.Args = full
	return
}

func blmpopCmd(c *Ctx) {
	deadline, keys, left, count, ok := parseBMpop(c, parseWhere)
	if !ok {
		return
	}
	serve := func(x *Ctx, key []byte) bool {
		vals, exists, err := x.Tx.ListPop(key, left, count)
		if err != nil || !exists || len(vals) == 0 {
			return false
		}
		x.R.Array(2)
		x.R.Bulk(key)
		x.R.Array(len(vals))
		for _, v := range vals {
			x.R.Bulk(v)
		}
		notifyPopped(x, key, left)
		return true
	}
	for _, k := range keys {
		if _, err := c.Tx.ListLen(k); err != nil {
			lzFail(c, err)
			return
		}
		if serve(c, k) {
			return
		}
	}
	c.block(keys, deadline, nil, serve)
}

func bzpopminCmd(c *Ctx) { bzpop(c, false) }
func bzpopmaxCmd(c *Ctx) { bzpop(c, true) }

// bzpop implements BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member,
// score].
func bzpop(c *Ctx, max bool) {
	deadline, ok := parseTimeout(c, c.Args[len(c.Args)-1])
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	serve := func(x *Ctx, key []byte) bool {
		items, exists, err := x.Tx.ZPop(key, max, 1)
		if err != nil || !exists || len(items) == 0 {
			return false
		}
		x.R.Array(3)
		at := len(x.R.Buf)
		x.R.Bulk(key)
		x.R.Bulk(items[0].Member)
		x.R.Double(items[0].Score)
		notifyZPopped(x, key, max, at)
		return true
	}
	for _, k := range keys {
		if _, err := c.Tx.ZCard(k); err != nil {
			lzFail(c, err)
			return
		}
		if serve(c, k) {
			return
		}
	}
	c.block(keys, deadline, nil, serve)
}

func bzmpopCmd(c *Ctx) {
	deadline, keys, max, count, ok := parseBMpop(c, parseMinMax)
	if !ok {
		return
	}
	serve := func(x *Ctx, key []byte) bool {
		items, exists, err := x.Tx.ZPop(key, max, count)
		if err != nil || !exists || len(items) == 0 {
			return false
		}
		x.R.Array(2)
		x.R.Bulk(key)
		x.R.Array(len(items))
		at := len(x.R.Buf)
		for _, it := range items {
			x.R.Array(2)
			x.R.Bulk(it.Member)
			x.R.Double(it.Score)
		}
		notifyZPopped(x, key, max, at)
		return true
	}
	for _, k := range keys {
		if _, err := c.Tx.ZCard(k); err != nil {
			lzFail(c, err)
			return
		}
		if serve(c, k) {
			return
		}
	}
	c.block(keys, deadline, nil, serve)
}

// clientUnblockCmd implements CLIENT UNBLOCK id [TIMEOUT|ERROR].
func clientUnblockCmd(c *Ctx) {
	args := c.Args
	if len(args) > 4 {
		c.R.Error(ErrSyntax)
		return
	}
	id, ok := ParseInt(args[2])
	if !ok {
		c.R.Error(ErrNotInteger)
		return
	}
	kind := wakeTimeout
	if len(args) == 4 {
		switch {
		case EqualFold(args[3], "TIMEOUT"):
		case EqualFold(args[3], "ERROR"):
			kind = wakeError
		default:
			c.R.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	reg := registryOf(c.Srv)
	if reg == nil {
		c.R.Int(0)
		return
	}
	var target *waiter
	reg.mu.Lock()
	for cl, w := range reg.byClient {
		if cl.ID == id {
			target = w
			break
		}
	}
	reg.mu.Unlock()
	if reg.cancel(target, kind) {
		c.R.Int(1)
	} else {
		c.R.Int(0)
	}
}

// blockXRead makes XREAD/XREADGROUP ... BLOCK wait on the streams (called
// from stream.go when nothing was served). ids are XREAD's start IDs with
// '$' already resolved (nil for XREADGROUP, which blocks on '>' only).
// A served client gets the entries of the stream that received data only,
// as in Redis.
func (c *Ctx) blockXRead(a xreadArgs, keys [][]byte, ids []engine.StreamID) {
	// BLOCK's milliseconds, validated by the parser already.
	deadline := int64(0)
	for i := 1; i+1 < len(c.Args); i++ {
		if EqualFold(c.Args[i], "STREAMS") {
			break
		}
		if EqualFold(c.Args[i], "BLOCK") {
			if ms, ok := ParseInt(c.Args[i+1]); ok && ms > 0 {
				deadline = engine.NowMs() + ms
			}
			i++
		}
	}
	group := append([]byte(nil), a.group...)
	consumer := append([]byte(nil), a.consumer...)
	starts := map[string]string{}
	for i, k := range keys {
		if ids != nil {
			starts[string(k)] = ids[i].String()
		}
	}
	count, noack := a.count, a.noack
	isGroup := ids == nil
	c.block(keys, deadline, nil, func(x *Ctx, key []byte) bool {
		if isGroup {
			// A group reader whose stream went away (deleted, or
			// replaced by another type) is unblocked with an error.
			m, exists, err := x.Tx.Lookup(key)
			if err == nil && (!exists || m.Type != encoding.TypeStream) {
				x.R.Error("UNBLOCKED the stream key no longer exists")
				return true
			}
		}
		args := make([][]byte, 0, 12)
		if isGroup {
			args = append(args, []byte("XREADGROUP"), []byte("GROUP"), group, consumer)
		} else {
			args = append(args, []byte("XREAD"))
		}
		if count > 0 {
			args = append(args, []byte("COUNT"), strconv.AppendInt(nil, count, 10))
		}
		if noack {
			args = append(args, []byte("NOACK"))
		}
		args = append(args, []byte("STREAMS"), key)
		if isGroup {
			args = append(args, []byte(">"))
		} else {
			args = append(args, []byte(starts[string(key)]))
		}
		x.Args = args
		if isGroup {
			xreadgroup(x)
		} else {
			xread(x)
		}
		out := x.R.Buf
		switch {
		case isGroup && bytes.HasPrefix(out, []byte("-NOGROUP")):
			x.Tx.Discard()
			x.R.Buf = x.R.Buf[:0]
			x.R.Error("NOGROUP the consumer group this client was blocked on no longer exists")
			return true
		case len(out) == 0 || out[0] == '-' || bytes.Equal(out, []byte("*-1\r\n")) || bytes.Equal(out, []byte("_\r\n")):
			x.notes = nil
			return false
		}
		return true
	})
}
