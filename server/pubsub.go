package server

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"
)

// Pub/Sub: the server's channel and pattern registry, each client's
// subscriptions, and message delivery.
//
// Delivery never blocks a publisher on a slow subscriber. The first
// subscription gives a client an output queue (outQueue) and a writer
// goroutine; from then on everything sent to that client — command replies
// as well as messages — goes through the queue, in order. A publisher only
// appends to the queues under their mutex. A queue that grows past the
// client-output-buffer-limit of the client's class gets its client
// disconnected, as Redis does, instead of growing without bound.

// SubKind is a kind of subscription.
type SubKind int

const (
	SubChannel SubKind = iota // SUBSCRIBE
	SubPattern                // PSUBSCRIBE
	SubShard                  // SSUBSCRIBE
)

// PubSub is a server's registry of subscriptions.
type PubSub struct {
	mu       sync.RWMutex
	channels map[string]*subList
	shard    map[string]*subList
	patterns map[string]*patEntry
	patList  []*patEntry // patterns in subscription order (PUBLISH walks it)

	// Match is the glob matcher for patterns (Redis's stringmatchlen); the
	// command layer, which owns it, installs it when it attaches.
	Match func(pattern, s []byte) bool

	// notify holds the notify-keyspace-events flags (read by every write
	// command, so an atomic rather than a config lookup).
	notify atomic.Uint32
	limits atomic.Pointer[OutputLimits]

	// LimitDisconnections counts clients closed for overcoming their
	// output buffer limit.
	LimitDisconnections atomic.Int64
	// outBytes counts the bytes of delivered messages (counted once per
	// publish, not per subscriber, to keep publishers off one hot atomic).
	outBytes atomic.Int64
}

// OutputBytes returns the bytes of messages delivered so far (INFO
// total_net_output_bytes adds them to the replies' bytes).
func (ps *PubSub) OutputBytes() int64 { return ps.outBytes.Load() }

type subList struct {
	clients []*Client // in subscription order
}

type patEntry struct {
	pattern []byte
	subList
}

func (l *subList) remove(c *Client) {
	for i, x := range l.clients {
		if x == c {
			copy(l.clients[i:], l.clients[i+1:])
			l.clients[len(l.clients)-1] = nil
			l.clients = l.clients[:len(l.clients)-1]
			return
		}
	}
}

// PubSub returns the server's pub/sub registry.
func (s *Server) PubSub() *PubSub { return &s.pubsub }

// NotifyFlags returns the keyspace notification flags (one atomic load).
func (ps *PubSub) NotifyFlags() uint32 { return ps.notify.Load() }

// SetNotifyFlags sets the keyspace notification flags.
func (ps *PubSub) SetNotifyFlags(f uint32) { ps.notify.Store(f) }

// OutputLimit is one class of client-output-buffer-limit.
type OutputLimit struct {
	Hard, Soft  int64 // bytes, 0 = none
	SoftSeconds int64
}

// OutputLimits are the limits of the client classes Shale has (replicas
// are not among them).
type OutputLimits struct {
	Normal, PubSub OutputLimit
}

// DefaultOutputLimits are Redis's defaults.
var DefaultOutputLimits = OutputLimits{PubSub: OutputLimit{Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60}}

// SetOutputLimits installs new limits; they apply from the next write.
func (ps *PubSub) SetOutputLimits(l OutputLimits) { ps.limits.Store(&l) }

func (ps *PubSub) outputLimits() *OutputLimits {
	if l := ps.limits.Load(); l != nil {
		return l
	}
	return &DefaultOutputLimits
}

// ParseOutputLimits reads a canonical client-output-buffer-limit value
// ("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60").
func ParseOutputLimits(v string) (OutputLimits, bool) {
	l := DefaultOutputLimits
	f := strings.Fields(v)
	if len(f)%4 != 0 {
		return l, false
	}
	for i := 0; i < len(f); i += 4 {
		var n [3]int64
		for j := range n {
			x, err := strconv.ParseInt(f[i+1+j], 10, 64)
			if err != nil || x < 0 {
				return l, false
			}
			n[j] = x
		}
		lim := OutputLimit{Hard: n[0], Soft: n[1], SoftSeconds: n[2]}
		switch strings.ToLower(f[i]) {
		case "normal":
			l.Normal = lim
		case "pubsub":
			l.PubSub = lim
		case "slave", "replica":
		default:
			return l, false
		}
	}
	return l, true
}

// Counts returns the number of channels, patterns and shard channels with
// at least one subscriber (INFO pubsub_channels, pubsub_patterns,
// pubsubshard_channels).
func (ps *PubSub) Counts() (channels, patterns, shard int) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return len(ps.channels), len(ps.patterns), len(ps.shard)
}

// NumPat returns the number of distinct patterns subscribed to.
func (ps *PubSub) NumPat() int {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return len(ps.patterns)
}

// NumSub returns how many clients subscribe to channel (SubChannel) or
// shard channel (SubShard).
func (ps *PubSub) NumSub(kind SubKind, channel []byte) int {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	m := ps.channels
	if kind == SubShard {
		m = ps.shard
	}
	if l := m[string(channel)]; l != nil {
		return len(l.clients)
	}
	return 0
}

// Channels lists the active channels (or shard channels) matching pattern
// (all of them when pattern is nil).
func (ps *PubSub) Channels(kind SubKind, pattern []byte) []string {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	m := ps.channels
	if kind == SubShard {
		m = ps.shard
	}
	out := make([]string, 0, len(m))
	for ch := range m {
		if pattern == nil || ps.match(pattern, []byte(ch)) {
			out = append(out, ch)
		}
	}
	return out
}

func (ps *PubSub) match(pattern, s []byte) bool {
	if ps.Match == nil {
		return string(pattern) == string(s)
	}
	return ps.Match(pattern, s)
}

// msgBufs recycles the scratch buffers messages are framed in.
var msgBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Publish delivers message to the subscribers of channel and of the
// patterns matching it, and returns how many deliveries were made (a client
// subscribed through a channel and a pattern counts twice, as in Redis).
// from is the publishing client (nil for server-generated messages); from
// its own goroutine. A message to itself is appended to the reply it is
// building, where Redis would add it (before PUBLISH's count, inside EXEC's
// array).
func (ps *PubSub) Publish(from *Client, channel, message []byte) int {
	bp := msgBufs.Get().(*[]byte)
	buf := *bp
	n, out := 0, 0
	ps.mu.RLock()
	if l := ps.channels[string(channel)]; l != nil && len(l.clients) > 0 {
		buf = appendMessage(buf[:0], "message", nil, channel, message)
		for _, c := range l.clients {
			c.deliver(from, buf)
		}
		n += len(l.clients)
		out += len(l.clients) * len(buf)
	}
	for _, p := range ps.patList {
		if len(p.clients) == 0 || !ps.match(p.pattern, channel) {
			continue
		}
		buf = appendMessage(buf[:0], "pmessage", p.pattern, channel, message)
		for _, c := range p.clients {
			c.deliver(from, buf)
		}
		n += len(p.clients)
		out += len(p.clients) * len(buf)
	}
	ps.mu.RUnlock()
	if out > 0 {
		ps.outBytes.Add(int64(out))
	}
	*bp = buf
	msgBufs.Put(bp)
	return n
}

// SPublish delivers message to the subscribers of shard channel.
func (ps *PubSub) SPublish(from *Client, channel, message []byte) int {
	n := 0
	ps.mu.RLock()
	if l := ps.shard[string(channel)]; l != nil && len(l.clients) > 0 {
		bp := msgBufs.Get().(*[]byte)
		buf := appendMessage((*bp)[:0], "smessage", nil, channel, message)
		for _, c := range l.clients {
			c.deliver(from, buf)
		}
		n = len(l.clients)
		ps.outBytes.Add(int64(n * len(buf)))
		*bp = buf
		msgBufs.Put(bp)
	}
	ps.mu.RUnlock()
	return n
}

// appendMessage frames a message as a RESP2 array; deliver turns it into a
// push frame for RESP3 clients by changing the first byte.
func appendMessage(b []byte, kind string, pattern, channel, message []byte) []byte {
	if pattern != nil {
		b = append(b, "*4\r\n"...)
	} else {
		b = append(b, "*3\r\n"...)
	}
	b = appendBulk(b, []byte(kind))
	if pattern != nil {
		b = appendBulk(b, pattern)
	}
	b = appendBulk(b, channel)
	return appendBulk(b, message)
}

func appendBulk(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// --- per-client state ---

// clientSubs are one client's subscriptions, owned by its connection
// goroutine; the counts are atomics for CLIENT LIST from other goroutines.
type clientSubs struct {
	sets [3]orderedSet
	n    [3]atomic.Int32
}

type orderedSet struct {
	m     map[string]struct{}
	items []string
}

func (s *orderedSet) has(k string) bool { _, ok := s.m[k]; return ok }

func (s *orderedSet) add(k string) {
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	s.m[k] = struct{}{}
	s.items = append(s.items, k)
}

func (s *orderedSet) remove(k string) {
	delete(s.m, k)
	for i, x := range s.items {
		if x == k {
			s.items = append(s.items[:i], s.items[i+1:]...)
			return
		}
	}
}

// SubCount returns how many subscriptions of kind c has.
func (c *Client) SubCount(kind SubKind) int {
	if s := c.subs.Load(); s != nil {
		return int(s.n[kind].Load())
	}
	return 0
}

// PubSubCount returns c's subscriptions of every kind; while it is
// non-zero a RESP2 client is in subscribed mode.
func (c *Client) PubSubCount() int {
	if s := c.subs.Load(); s != nil {
		return int(s.n[0].Load() + s.n[1].Load() + s.n[2].Load())
	}
	return 0
}

// Subscriptions returns c's subscriptions of kind, in subscription order.
func (c *Client) Subscriptions(kind SubKind) []string {
	s := c.subs.Load()
	if s == nil {
		return nil
	}
	return append([]string(nil), s.sets[kind].items...)
}

// Subscribe subscribes c to name (a channel, pattern or shard channel); it
// reports false if c already was. Called from c's connection goroutine.
func (c *Client) Subscribe(kind SubKind, name []byte) bool {
	s := c.subs.Load()
	if s == nil {
		s = &clientSubs{}
		c.subs.Store(s)
	}
	key := string(name)
	if s.sets[kind].has(key) {
		return false
	}
	c.ensureOut()
	ps := &c.srv.pubsub
	ps.mu.Lock()
	switch kind {
	case SubChannel, SubShard:
		m := &ps.channels
		if kind == SubShard {
			m = &ps.shard
		}
		if *m == nil {
			*m = map[string]*subList{}
		}
		l := (*m)[key]
		if l == nil {
			l = &subList{}
			(*m)[key] = l
		}
		l.clients = append(l.clients, c)
	case SubPattern:
		if ps.patterns == nil {
			ps.patterns = map[string]*patEntry{}
		}
		p := ps.patterns[key]
		if p == nil {
			p = &patEntry{pattern: []byte(key)}
			ps.patterns[key] = p
			ps.patList = append(ps.patList, p)
		}
		p.clients = append(p.clients, c)
	}
	ps.mu.Unlock()
	s.sets[kind].add(key)
	s.n[kind].Add(1)
	return true
}

// Unsubscribe removes c's subscription to name; it reports false if there
// was none.
func (c *Client) Unsubscribe(kind SubKind, name []byte) bool {
	s := c.subs.Load()
	if s == nil {
		return false
	}
	key := string(name)
	if !s.sets[kind].has(key) {
		return false
	}
	ps := &c.srv.pubsub
	ps.mu.Lock()
	switch kind {
	case SubChannel, SubShard:
		m := ps.channels
		if kind == SubShard {
			m = ps.shard
		}
		if l := m[key]; l != nil {
			l.remove(c)
			if len(l.clients) == 0 {
				delete(m, key)
			}
		}
	case SubPattern:
		if p := ps.patterns[key]; p != nil {
			p.remove(c)
			if len(p.clients) == 0 {
				delete(ps.patterns, key)
				for i, x := range ps.patList {
					if x == p {
						ps.patList = append(ps.patList[:i], ps.patList[i+1:]...)
						break
					}
				}
			}
		}
	}
	ps.mu.Unlock()
	s.sets[kind].remove(key)
	s.n[kind].Add(-1)
	return true
}

// UnsubscribeAll drops every subscription of c (RESET, disconnect).
func (c *Client) UnsubscribeAll() {
	s := c.subs.Load()
	if s == nil {
		return
	}
	for k := SubChannel; k <= SubShard; k++ {
		for _, name := range c.Subscriptions(k) {
			c.Unsubscribe(k, []byte(name))
		}
	}
}

// PubSubClose releases c's pub/sub state when it disconnects.
func (c *Client) PubSubClose() {
	c.UnsubscribeAll()
	if q := c.out.Load(); q != nil {
		q.stop()
	}
}

// pubsubInfo returns the CLIENT LIST fields of c's pub/sub state.
func (c *Client) pubsubInfo() (sub, psub, ssub int, omem int64) {
	if s := c.subs.Load(); s != nil {
		sub, psub, ssub = int(s.n[0].Load()), int(s.n[1].Load()), int(s.n[2].Load())
	}
	if q := c.out.Load(); q != nil {
		q.mu.Lock()
		omem = int64(len(q.buf) + len(q.held) + q.inflight)
		q.mu.Unlock()
	}
	return
}

// deliver queues a framed message for c (called with the registry read
// lock held; never blocks on the network).
func (c *Client) deliver(from *Client, frame []byte) {
	if from == c {
		// The publisher's own goroutine: its reply buffer is ours.
		at := len(c.Reply.Buf)
		c.Reply.Buf = append(c.Reply.Buf, frame...)
		if c.Reply.Proto == 3 {
			c.Reply.Buf[at] = '>'
		}
		return
	}
	if q := c.out.Load(); q != nil {
		q.pushMessage(frame, c.proto.Load() == 3)
	}
}

// --- output queue ---

// outQueue carries everything written to a client once it subscribed. Its
// writer goroutine is the only one writing to the socket.
type outQueue struct {
	c   *Client
	raw net.Conn

	mu   sync.Mutex
	cond sync.Cond
	buf  []byte // waiting for the writer
	// held collects messages published while the client runs a command;
	// they follow that command's reply, so that no message can overtake
	// e.g. the confirmation of the SUBSCRIBE that made it deliverable.
	held       []byte
	holding    bool
	inflight   int   // bytes the writer took and has not written yet
	softSince  int64 // unix seconds since the soft limit is exceeded
	dead       bool
	closeAfter bool // QUIT: close once everything is written
}

// ensureOut gives c its output queue. Called from c's connection goroutine
// inside a command, so the queue starts holding.
func (c *Client) ensureOut() {
	if c.out.Load() != nil || c.conn == nil {
		return
	}
	// Replies redcon has buffered (earlier commands of a pipeline) go out
	// first, directly: no writer goroutine exists yet.
	if w := redcon.BaseWriter(c.conn); w != nil {
		_ = w.Flush()
	}
	nc := c.conn.NetConn()
	raw := nc
	if g, ok := nc.(*guardConn); ok {
		raw = g.Conn
	}
	q := &outQueue{c: c, raw: raw, holding: true}
	q.cond.L = &q.mu
	c.out.Store(q)
	go q.run()
}

// begin starts holding messages while the client runs a command.
func (q *outQueue) begin() {
	q.mu.Lock()
	q.holding = true
	q.mu.Unlock()
}

// end queues a command's reply followed by the messages held meanwhile.
func (q *outQueue) end(reply []byte) {
	q.mu.Lock()
	q.holding = false
	if !q.dead {
		q.buf = append(q.buf, reply...)
		q.buf = append(q.buf, q.held...)
		q.checkLimit()
		q.cond.Signal()
	}
	q.held = q.held[:0]
	if cap(q.held) > 1<<20 {
		q.held = nil // do not pin a burst's buffer
	}
	q.mu.Unlock()
}

// PubSubUnhold lets messages published from now on (and those held so far)
// go out while c's current command is still running: a command that waits
// (a blocking pop) calls it before waiting, so that a RESP3 subscriber
// still gets its messages meanwhile, as in Redis.
func (c *Client) PubSubUnhold() {
	q := c.out.Load()
	if q == nil {
		return
	}
	q.mu.Lock()
	if q.holding && !q.dead {
		q.holding = false
		q.buf = append(q.buf, q.held...)
		q.held = q.held[:0]
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// write queues raw output (redcon's own flushes).
func (q *outQueue) write(p []byte) {
	if len(p) == 0 {
		return
	}
	q.mu.Lock()
	if !q.dead {
		q.buf = append(q.buf, p...)
		q.checkLimit()
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// pushMessage queues a message frame, as a push frame for RESP3 clients.
func (q *outQueue) pushMessage(frame []byte, resp3 bool) {
	q.mu.Lock()
	if !q.dead {
		dst := &q.buf
		if q.holding {
			dst = &q.held
		}
		at := len(*dst)
		*dst = append(*dst, frame...)
		if resp3 {
			(*dst)[at] = '>'
		}
		q.checkLimit()
		if dst == &q.buf {
			q.cond.Signal()
		}
	}
	q.mu.Unlock()
}

// checkLimit disconnects the client if its pending output overcomes the
// limits of its class, with Redis's rules: at or above the hard limit at
// once; at or above the soft limit for more than the soft seconds.
// Called with q.mu held.
func (q *outQueue) checkLimit() {
	lims := q.c.srv.pubsub.outputLimits()
	lim := &lims.Normal
	if q.c.PubSubCount() > 0 {
		lim = &lims.PubSub
	}
	if lim.Hard == 0 && lim.Soft == 0 {
		return
	}
	used := int64(len(q.buf) + len(q.held) + q.inflight)
	hard := lim.Hard > 0 && used >= lim.Hard
	soft := false
	if lim.Soft > 0 && used >= lim.Soft {
		now := time.Now().Unix()
		if q.softSince == 0 {
			q.softSince = now
		} else if now-q.softSince > lim.SoftSeconds {
			soft = true
		}
	} else {
		q.softSince = 0
	}
	if !hard && !soft {
		return
	}
	q.dead = true
	q.buf, q.held = nil, nil
	q.cond.Broadcast()
	q.c.srv.pubsub.LimitDisconnections.Add(1)
	q.c.srv.Logger.Printf("# Client id=%d addr=%s closed for overcoming of output buffer limits.", q.c.ID, q.c.Addr)
	q.c.Kill()
}

// closeWhenFlushed closes the connection once the queued output is
// written (QUIT), giving a client that does not read a few seconds.
func (q *outQueue) closeWhenFlushed() {
	q.mu.Lock()
	q.closeAfter = true
	q.cond.Signal()
	q.mu.Unlock()
	_ = q.raw.SetWriteDeadline(time.Now().Add(5 * time.Second))
}

// stop ends the writer goroutine (the client disconnected).
func (q *outQueue) stop() {
	q.mu.Lock()
	q.dead = true
	q.buf, q.held = nil, nil
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *outQueue) run() {
	var spare []byte
	for {
		q.mu.Lock()
		for len(q.buf) == 0 && !q.dead && !q.closeAfter {
			q.cond.Wait()
		}
		if q.dead {
			q.mu.Unlock()
			return
		}
		if len(q.buf) == 0 { // closeAfter, all written
			q.dead = true
			q.mu.Unlock()
			_ = q.raw.Close()
			return
		}
		data := q.buf
		q.buf = spare[:0]
		q.inflight = len(data)
		q.mu.Unlock()

		_, err := q.raw.Write(data)

		q.mu.Lock()
		q.inflight = 0
		spare = nil
		if cap(data) <= 1<<20 { // do not pin a huge buffer
			spare = data[:0]
		}
		q.mu.Unlock()
		if err != nil {
			q.stop()
			q.c.Kill()
			return
		}
	}
}

// Write routes redcon's output through the client's queue once it has one,
// so that nothing can overtake what is queued; until then it writes
// straight to the socket.
func (g *guardConn) Write(p []byte) (int, error) {
	if c := g.client.Load(); c != nil {
		if q := c.out.Load(); q != nil {
			q.write(p)
			return len(p), nil
		}
	}
	return g.Conn.Write(p)
}
