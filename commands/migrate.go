package commands

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
	"github.com/shaledb/shale/tools"
)

// MIGRATE, as Redis 7.0's migrateCommand (cluster.c): each key is
// serialized with the DUMP payload code and sent as a pipelined
//
//	[AUTH [user] pass] [SELECT db] RESTORE key ttl payload [REPLACE] ...
//
// over a connection taken from a small per-server cache (one socket per
// host:port as typed, 64 at most, each closed after 10 s idle, like
// Redis's migrate_cached_sockets). Without COPY, every key the target
// acknowledged is then deleted locally the way DEL deletes it. Replies,
// error texts, the retry on a fresh connection and the SELECT caching
// follow Redis 7.0.15, including its quirks (a refused connection fails
// "writing", a database of -1 on a new connection sends no SELECT).
//
// Locking. The dispatcher locks the keys (Keys: migrateKeys, a superset of
// the keys the handler migrates) with the world lock held shared. The
// handler serializes the values under those locks, then releases them for
// the network round trip, so neither the world lock nor the key stripes
// are held while waiting on another server (a slow target must not stall
// FLUSHALL, EXEC or scripts, nor, through a waiting exclusive locker, every
// other client). It then takes the same locks again and deletes a migrated
// key only if it is still exactly what was sent (same DUMP payload, same
// expiry time): if so, MIGRATE behaves as if it had run atomically at that
// point. A key changed by someone else during the round trip is sent
// again, with REPLACE and this time with the locks held through the round
// trip, so the target never keeps a stale copy of a key deleted here.
// Inside MULTI/EXEC or a script the world lock is already held
// exclusively: the whole command then runs under it, as in Redis, where
// MIGRATE blocks the server for its round trip.

func init() {
	Register(&Command{Name: "migrate", Arity: -6, Flags: Write | MovableKeys, FirstKey: 3, LastKey: 3, Step: 1, Keys: migrateKeys,
		Categories: CatKeyspace | CatWrite | CatSlow | CatDangerous, Handler: migrateCmd, Group: "generic",
		Summary: "Atomically transfer a key from a Redis instance to another one.", Since: "2.6.0",
		Complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
		Tips:       []string{"nondeterministic_output"},
		KeySpecs: []KeySpec{
			RangeSpec("RW access delete", 3, 0, 1),
			KeywordSpec("RW access delete incomplete", "KEYS", -2, -1, 1),
		}})
}

// migrateKeys finds the keys as Redis 7.0 does. Its key specs come first:
// when the KEYS spec (searched backwards from the next-to-last argument)
// finds nothing, the key argument alone. Otherwise, as that spec is
// incomplete, migrateGetKeys: the key argument, or, when the options reach
// KEYS (AUTH's and AUTH2's arguments skipped), every argument after it;
// none when KEYS comes with a non-empty key argument (the handler then
// answers the error). The handler walks the options the same way, so it
// never touches a key this did not name.
func migrateKeys(args [][]byte) [][]byte {
	if len(args) < 4 {
		return nil
	}
	found := false
	for i := len(args) - 2; i >= 2 && !found; i-- {
		found = EqualFold(args[i], "keys")
	}
	if !found {
		return args[3:4]
	}
	first, num := 3, 1
	for i := 6; i < len(args); i++ {
		a := args[i]
		if EqualFold(a, "keys") {
			if len(args[3]) > 0 {
				num = 0
			} else {
				first, num = i+1, len(args)-i-1
			}
			break
		}
		switch {
		case EqualFold(a, "auth"):
			i++
		case EqualFold(a, "auth2"):
			i += 2
		}
	}
	return args[first : first+num]
}

// Redis's limits for its MIGRATE socket cache.
const (
	migrateCacheItems = 64
	migrateCacheTTL   = 10 * time.Second
	migrateChunk      = 64 * 1024
	migrateLineMax    = 1024 // Redis reads each reply line into 1024 bytes
)

type migrateOpts struct {
	srcDB         int    // the client's database
	name          string // host:port as typed: the cache key
	host          string
	port          int
	db            int64
	timeout       time.Duration
	copy, replace bool
	auth          bool
	user, pass    []byte
	hasUser       bool
	keys          [][]byte
}

// migrateItem is one key to send: its DUMP payload and expiry time.
type migrateItem struct {
	key      []byte
	payload  []byte
	expireAt int64 // unix ms, 0 = none
	dump     tools.DumpOptions
}

// parseMigrate follows migrateCommand's order: options (syntax and KEYS
// errors), then the timeout, then the database.
func parseMigrate(c *Ctx) (*migrateOpts, bool) {
	args := c.Args
	o := &migrateOpts{keys: args[3:4]}
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		a := args[j]
		switch {
		case EqualFold(a, "copy"):
			o.copy = true
		case EqualFold(a, "replace"):
			o.replace = true
		case EqualFold(a, "auth"):
			if more < 1 {
				c.R.Error(ErrSyntax)
				return nil, false
			}
			j++
			o.auth, o.pass = true, args[j]
		case EqualFold(a, "auth2"):
			if more < 2 {
				c.R.Error(ErrSyntax)
				return nil, false
			}
			o.auth, o.hasUser, o.user, o.pass = true, true, args[j+1], args[j+2]
			j += 2
		case EqualFold(a, "keys"):
			if len(args[3]) != 0 {
				c.R.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return nil, false
			}
			o.keys = args[j+1:]
			j = len(args)
		default:
			c.R.Error(ErrSyntax)
			return nil, false
		}
	}
	timeout, ok := c.ParseIntArg(args[5])
	if !ok {
		return nil, false
	}
	db, ok := c.ParseIntArg(args[4])
	if !ok {
		return nil, false
	}
	if timeout <= 0 {
		timeout = 1000
	}
	if timeout > int64(time.Duration(1<<61)/time.Millisecond) {
		timeout = int64(time.Duration(1<<61) / time.Millisecond)
	}
	o.timeout = time.Duration(timeout) * time.Millisecond
	o.db = db
	o.srcDB = c.DB
	o.host = string(args[1])
	o.port = migrateAtoi(args[2])
	o.name = string(args[1]) + ":" + string(args[2])
	return o, true
}

// migrateAtoi is C's atoi, which Redis applies to the port: leading
// blanks, a sign, digits up to the first non-digit; 0 when there are none.
func migrateAtoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	n := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n < 1<<31 {
			n = n*10 + int(b[i]-'0')
		}
	}
	if neg {
		return -n
	}
	return n
}

func migrateCmd(c *Ctx) {
	// The keys the dispatcher locked.
	lockKeys := append([][]byte(nil), migrateKeys(c.Args)...)
	o, ok := parseMigrate(c)
	if !ok {
		return
	}
	items, ok := migrateCollect(c, o.keys, true)
	if !ok {
		return
	}
	if len(items) == 0 {
		// Not an error: the keys often just expired meanwhile.
		c.R.Status("NOKEY")
		return
	}
	// The dispatcher locked the keys for us, unless EXEC or a script
	// holds the world lock exclusively (the command then runs under it).
	own := !c.Detached() && !worldHeld(c.Client) && len(lockKeys) > 0
	if own {
		// The Tx only read: committing it fills the hot tier while the
		// locks are still held (never after: it could land over a newer
		// write).
		if err := c.Tx.Commit(); err != nil {
			c.Err(err)
			return
		}
		c.Guard.Unlock()
	}
	res := migrateSend(c.Srv, o, items, o.replace)
	if own {
		c.Eng.LockKeys(&c.Guard, c.DB, lockKeys, true)
		c.Tx.ResetAt(c.Eng, c.DB, time.Now().UnixMilli())
	}
	if o.copy {
		migrateReply(c, res.err)
		return
	}
	var changed [][]byte
	for i := range items {
		if !res.acked[i] {
			continue
		}
		if own {
			same, err := migrateUnchanged(c.Tx, &items[i])
			if err != nil {
				c.Err(err)
				return
			}
			if !same {
				changed = append(changed, items[i].key)
				continue
			}
		}
		if !migrateDelete(c, items[i].key) {
			return
		}
	}
	if len(changed) > 0 {
		// Written to during the round trip: send the current values again
		// (over what we wrote there), this time holding the locks.
		again, ok := migrateCollect(c, changed, false)
		if !ok {
			return
		}
		if len(again) > 0 {
			res2 := migrateSend(c.Srv, o, again, true)
			for i := range again {
				if res2.acked[i] && !migrateDelete(c, again[i].key) {
					return
				}
			}
			if res.err == "" {
				res.err = res2.err
			}
		}
	}
	migrateReply(c, res.err)
}

func migrateReply(c *Ctx, errMsg string) {
	if errMsg != "" {
		c.R.Error(errMsg)
		return
	}
	c.R.OK()
}

// migrateDelete deletes a migrated key as DEL does (dirty counter, WATCH
// through the commit, "del" event).
func migrateDelete(c *Ctx, key []byte) bool {
	if _, err := c.Tx.Delete(key); err != nil {
		c.Err(err)
		return false
	}
	Notify(c, NotifyGeneric, "del", key)
	return true
}

// migrateCollect serializes the keys that exist (lookupKeyRead: counts
// keyspace hits and misses when stats is set).
func migrateCollect(c *Ctx, keys [][]byte, stats bool) ([]migrateItem, bool) {
	var items []migrateItem
	// Payloads are compressed as DUMP's are (Redis's createDumpPayload).
	opt := tools.DumpOptions{Compress: c.Srv.Config.Bool("rdbcompression")}
	for _, k := range keys {
		m, exists, err := c.Tx.Lookup(k)
		if err == nil && exists {
			var payload []byte
			payload, exists, err = tools.DumpValueWith(c.Tx, k, opt)
			if exists {
				items = append(items, migrateItem{key: k, payload: payload, expireAt: m.ExpireAt, dump: opt})
			}
		}
		if err != nil {
			c.Err(err)
			return nil, false
		}
		if stats {
			if exists {
				c.hit()
			} else {
				c.miss()
			}
		}
	}
	return items, true
}

// migrateUnchanged reports whether key still holds exactly what was sent.
func migrateUnchanged(tx *engine.Tx, it *migrateItem) (bool, error) {
	m, exists, err := tx.Lookup(it.key)
	if err != nil || !exists || m.ExpireAt != it.expireAt {
		return false, err
	}
	payload, exists, err := tools.DumpValueWith(tx, it.key, it.dump)
	if err != nil || !exists {
		return false, err
	}
	return bytes.Equal(payload, it.payload), nil
}

// migrateResult is what the target acknowledged (per item) and the error
// to reply, if any.
type migrateResult struct {
	acked []bool
	err   string
}

const (
	errMigrateConnect = "IOERR error or timeout connecting to the client"
	errMigrateWrite   = "IOERR error or timeout writing to target instance"
	errMigrateRead    = "IOERR error or timeout reading to target instance"
)

func migrateTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// migrateSend is migrateCommand from try_again on: one attempt, and a
// second on a fresh connection when the first failed on the socket before
// the target answered anything and not by a timeout (a cached connection
// the target closed).
func migrateSend(srv *server.Server, o *migrateOpts, items []migrateItem, replace bool) migrateResult {
	res := migrateResult{acked: make([]bool, len(items))}
	cache := migrateCacheOf(srv)
	for mayRetry := true; ; mayRetry = false {
		mc, err := cache.get(o)
		if err != nil {
			if errors.Is(err, errMigrateAddress) {
				res.err = errMigrateConnect
				return res
			}
			// Redis connects without blocking: a refused or timed out
			// connection only fails its first write.
			if !migrateTimeout(err) && mayRetry {
				continue
			}
			res.err = errMigrateWrite
			return res
		}
		if mc.self && o.db == int64(o.srcDB) {
			// The target is this server and these very keys: Redis, busy
			// running MIGRATE, cannot answer itself and times out (the
			// RESTOREs it then runs late are no-ops). Running them here,
			// unlocked, would overwrite the keys with themselves and then
			// delete them.
			cache.put(mc)
			res.err = errMigrateRead
			return res
		}
		buf := migrateRequest(mc, o, items, replace)
		sent := buf.sent
		if err := mc.write(buf.b, o.timeout); err != nil {
			cache.drop(mc)
			if !migrateTimeout(err) && mayRetry {
				continue
			}
			res.err = errMigrateWrite
			return res
		}
		var authLine, selLine []byte
		if o.auth {
			if authLine, err = mc.readLine(o.timeout); err != nil {
				cache.drop(mc)
				if !migrateTimeout(err) && mayRetry {
					continue
				}
				res.err = errMigrateRead
				return res
			}
		}
		if buf.selected {
			if selLine, err = mc.readLine(o.timeout); err != nil {
				cache.drop(mc)
				if !migrateTimeout(err) && mayRetry {
					continue
				}
				res.err = errMigrateRead
				return res
			}
		}
		fromTarget := false
		j := 0
		for ; j < len(sent); j++ {
			line, rerr := mc.readLine(o.timeout)
			if rerr != nil {
				err = rerr
				break
			}
			authErr := o.auth && authLine[0] == '-'
			selErr := buf.selected && selLine[0] == '-'
			if authErr || selErr || line[0] == '-' {
				if !fromTarget {
					mc.lastDB = -1
					e := line
					if authErr {
						e = authLine
					} else if selErr {
						e = selLine
					}
					fromTarget = true
					res.err = "ERR Target instance replied with error: " + string(e[1:])
				}
			} else {
				res.acked[sent[j]] = true
			}
		}
		socketErr := j < len(sent)
		if socketErr {
			cache.drop(mc)
			if !fromTarget && j == 0 && mayRetry && !migrateTimeout(err) {
				continue
			}
			if !fromTarget {
				res.err = errMigrateRead
			}
			return res
		}
		if !fromTarget {
			mc.lastDB = o.db
		}
		cache.put(mc)
		return res
	}
}

type migrateBuf struct {
	b        []byte
	selected bool  // SELECT was sent
	sent     []int // the items sent, in order (expired ones are not)
}

// migrateRequest builds the pipeline, with TTLs relative to now.
func migrateRequest(mc *migrateConn, o *migrateOpts, items []migrateItem, replace bool) migrateBuf {
	var m migrateBuf
	b := make([]byte, 0, 256)
	if o.auth {
		if o.hasUser {
			b = migrateArray(b, 3)
			b = migrateBulk(b, []byte("AUTH"))
			b = migrateBulk(b, o.user)
		} else {
			b = migrateArray(b, 2)
			b = migrateBulk(b, []byte("AUTH"))
		}
		b = migrateBulk(b, o.pass)
	}
	if mc.lastDB != o.db {
		m.selected = true
		b = migrateArray(b, 2)
		b = migrateBulk(b, []byte("SELECT"))
		b = migrateBulk(b, strconv.AppendInt(nil, o.db, 10))
	}
	now := time.Now().UnixMilli()
	for i := range items {
		it := &items[i]
		ttl := int64(0)
		if it.expireAt != 0 {
			ttl = it.expireAt - now
			if ttl < 0 {
				continue
			}
			if ttl < 1 {
				ttl = 1
			}
		}
		m.sent = append(m.sent, i)
		if replace {
			b = migrateArray(b, 5)
		} else {
			b = migrateArray(b, 4)
		}
		b = migrateBulk(b, []byte("RESTORE"))
		b = migrateBulk(b, it.key)
		b = migrateBulk(b, strconv.AppendInt(nil, ttl, 10))
		b = migrateBulk(b, it.payload)
		if replace {
			b = migrateBulk(b, []byte("REPLACE"))
		}
	}
	m.b = b
	return m
}

func migrateArray(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func migrateBulk(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// ---------------------------------------------------------------------------
// The socket cache

type migrateConn struct {
	self    bool // connected to this very server
	name    string
	conn    net.Conn
	rd      *bufio.Reader
	lastDB  int64 // -1: unknown, SELECT must be sent
	lastUse time.Time
	closed  bool
}

// write sends b in 64 KB chunks, each within timeout (Redis's
// connSyncWrite per chunk).
func (mc *migrateConn) write(b []byte, timeout time.Duration) error {
	for len(b) > 0 {
		n := min(len(b), migrateChunk)
		if err := mc.conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
		if _, err := mc.conn.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// readLine reads one reply line within timeout, without its CR LF, as
// Redis's syncReadLine (at most 1023 bytes; an empty line is an error).
func (mc *migrateConn) readLine(timeout time.Duration) ([]byte, error) {
	if err := mc.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var line []byte
	for len(line) < migrateLineMax-1 {
		ch, err := mc.rd.ReadByte()
		if err != nil {
			return nil, err
		}
		if ch == '\n' {
			break
		}
		line = append(line, ch)
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		return nil, errMigrateEmptyLine
	}
	return line, nil
}

var (
	errMigrateEmptyLine = errors.New("empty reply line")
	// errMigrateAddress: the host or port cannot be resolved.
	errMigrateAddress = errors.New("cannot resolve the target address")
)

func (mc *migrateConn) close() {
	if !mc.closed {
		mc.closed = true
		_ = mc.conn.Close()
	}
}

// migrateCache holds the idle connections of one server, by host:port.
// A connection in use is taken out of the map, so two clients migrating
// to the same target at once each get their own; when both come back the
// cache keeps one.
type migrateCache struct {
	mu      sync.Mutex
	idle    map[string]*migrateConn
	inUse   int
	janitor bool
	srv     *server.Server
}

var (
	migrateCachesMu sync.Mutex
	migrateCaches   = map[*server.Server]*migrateCache{}
)

func migrateCacheOf(s *server.Server) *migrateCache {
	migrateCachesMu.Lock()
	defer migrateCachesMu.Unlock()
	mc := migrateCaches[s]
	if mc == nil {
		mc = &migrateCache{idle: map[string]*migrateConn{}, srv: s}
		migrateCaches[s] = mc
	}
	return mc
}

// MigrateCachedSockets is INFO's migrate_cached_sockets.
func MigrateCachedSockets(s *server.Server) int {
	migrateCachesMu.Lock()
	mc := migrateCaches[s]
	migrateCachesMu.Unlock()
	if mc == nil {
		return 0
	}
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return len(mc.idle) + mc.inUse
}

// get takes the cached connection to o's host:port or connects a new one
// within the timeout.
func (cache *migrateCache) get(o *migrateOpts) (*migrateConn, error) {
	cache.mu.Lock()
	if mc := cache.idle[o.name]; mc != nil {
		delete(cache.idle, o.name)
		cache.inUse++
		cache.mu.Unlock()
		mc.lastUse = time.Now()
		return mc, nil
	}
	cache.mu.Unlock()
	// Redis resolves with getaddrinfo(host, port): an empty host or a
	// negative port fail there, a port past 65535 wraps to 16 bits.
	if o.host == "" || o.port < 0 {
		return nil, errMigrateAddress
	}
	// Redis waits up to timeout for the connection, then up to timeout
	// again in its first write.
	d := net.Dialer{Timeout: 2 * o.timeout}
	conn, err := d.Dial("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port&0xffff)))
	if err != nil {
		var dnsErr *net.DNSError
		var addrErr *net.AddrError
		if errors.As(err, &dnsErr) || errors.As(err, &addrErr) {
			return nil, errMigrateAddress
		}
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	cache.mu.Lock()
	cache.inUse++
	cache.mu.Unlock()
	return &migrateConn{name: o.name, conn: conn, rd: bufio.NewReader(conn), lastDB: -1, lastUse: time.Now(), self: migrateIsSelf(cache.srv, conn)}, nil
}

// migrateIsSelf reports whether conn leads to srv's own listener: same
// port, on a loopback address or on the address conn leaves from.
func migrateIsSelf(srv *server.Server, conn net.Conn) bool {
	la, ok1 := srv.Addr().(*net.TCPAddr)
	ra, ok2 := conn.RemoteAddr().(*net.TCPAddr)
	lo, ok3 := conn.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 || !ok3 || la.Port != ra.Port {
		return false
	}
	return ra.IP.IsLoopback() || ra.IP.Equal(lo.IP)
}

// drop closes a connection taken by get.
func (cache *migrateCache) drop(mc *migrateConn) {
	mc.close()
	cache.put(mc)
}

// put returns a connection to the cache (closed ones are dropped).
func (cache *migrateCache) put(mc *migrateConn) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	cache.inUse--
	if mc.closed {
		return
	}
	select {
	case <-cache.srv.Done():
		mc.close()
		return
	default:
	}
	if old := cache.idle[mc.name]; old != nil {
		old.close()
	} else if len(cache.idle) >= migrateCacheItems {
		// Too many: drop one at random, as Redis does.
		victim := rand.Intn(len(cache.idle))
		for name, c := range cache.idle {
			if victim == 0 {
				c.close()
				delete(cache.idle, name)
				break
			}
			victim--
		}
	}
	mc.lastUse = time.Now()
	cache.idle[mc.name] = mc
	if !cache.janitor {
		cache.janitor = true
		go cache.expire()
	}
}

// expire closes connections idle for more than 10 s (checked every
// second, like Redis's cron) and everything when the server shuts down;
// it exits when nothing is left to watch.
func (cache *migrateCache) expire() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		shutdown := false
		select {
		case <-t.C:
		case <-cache.srv.Done():
			shutdown = true
		}
		cache.mu.Lock()
		now := time.Now()
		for name, mc := range cache.idle {
			if shutdown || now.Sub(mc.lastUse) > migrateCacheTTL {
				mc.close()
				delete(cache.idle, name)
			}
		}
		if len(cache.idle) == 0 {
			cache.janitor = false
			cache.mu.Unlock()
			if shutdown {
				migrateCachesMu.Lock()
				delete(migrateCaches, cache.srv)
				migrateCachesMu.Unlock()
			}
			return
		}
		cache.mu.Unlock()
	}
}
