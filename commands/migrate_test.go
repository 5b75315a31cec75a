package commands_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/commands"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// ---------------------------------------------------------------------------
// Helpers

var migCtx = context.Background()

// migRedis starts a real redis-server 7.0 on a random loopback port with
// extra arguments and returns its address and a client (RESP2, no AUTH,
// no CLIENT SETINFO on connect).
func migRedis(t *testing.T, extra ...string) (string, *redis.Client) {
	t.Helper()
	base := dumpRealRedis(t, extra...)
	addr := base.Options().Addr
	base.Close()
	rc := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { rc.Close() })
	return addr, rc
}

func migHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return h, p
}

// migRaw sends one command on a fresh connection and returns the raw
// reply bytes.
func migRaw(t *testing.T, addr string, args ...string) string {
	t.Helper()
	c := admDial(t, addr)
	c.send(args...)
	out := c.read()
	c.nc.Close()
	return out
}

func migDo(t *testing.T, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(migCtx, args...).Result()
	require.NoError(t, err, "%v", args)
	return v
}

// migMigrate runs MIGRATE on c and returns its reply ("OK", "NOKEY") or
// its error text.
func migMigrate(c *redis.Client, args ...any) string {
	v, err := c.Do(migCtx, append([]any{"MIGRATE"}, args...)...).Result()
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(v)
}

// migState renders a key's value (type, content, stream groups) in a form
// that does not depend on the server's internals or on the clock.
func migState(t *testing.T, c *redis.Client, key string) string {
	t.Helper()
	typ := migDo(t, c, "TYPE", key).(string)
	var b strings.Builder
	b.WriteString(typ + ":")
	sorted := func(v any) []string {
		var out []string
		for _, e := range v.([]any) {
			out = append(out, fmt.Sprint(e))
		}
		sort.Strings(out)
		return out
	}
	switch typ {
	case "none":
	case "string":
		fmt.Fprintf(&b, "%q", migDo(t, c, "GET", key))
	case "list":
		fmt.Fprintf(&b, "%q", migDo(t, c, "LRANGE", key, 0, -1))
	case "set":
		fmt.Fprintf(&b, "%q", sorted(migDo(t, c, "SMEMBERS", key)))
	case "hash":
		v := migDo(t, c, "HGETALL", key).([]any)
		var pairs []string
		for i := 0; i < len(v); i += 2 {
			pairs = append(pairs, fmt.Sprintf("%v=%v", v[i], v[i+1]))
		}
		sort.Strings(pairs)
		fmt.Fprintf(&b, "%q", pairs)
	case "zset":
		fmt.Fprintf(&b, "%q", migDo(t, c, "ZRANGE", key, 0, -1, "WITHSCORES"))
	case "stream":
		fmt.Fprintf(&b, "%q\n", migDo(t, c, "XRANGE", key, "-", "+"))
		info := admPairs(t, migDo(t, c, "XINFO", "STREAM", key))
		for _, f := range []string{"length", "last-generated-id", "max-deleted-entry-id", "entries-added", "recorded-first-entry-id", "groups"} {
			fmt.Fprintf(&b, "%s=%v ", f, info[f])
		}
		for _, g := range migDo(t, c, "XINFO", "GROUPS", key).([]any) {
			gm := admPairs(t, g)
			fmt.Fprintf(&b, "\ngroup %v consumers=%v pending=%v last=%v read=%v lag=%v", gm["name"], gm["consumers"], gm["pending"], gm["last-delivered-id"], gm["entries-read"], gm["lag"])
			for _, p := range migDo(t, c, "XPENDING", key, gm["name"], "-", "+", 1000).([]any) {
				e := p.([]any)
				fmt.Fprintf(&b, "\n  pel %v owner=%v deliveries=%v", e[0], e[1], e[3])
			}
			for _, cons := range migDo(t, c, "XINFO", "CONSUMERS", key, gm["name"]).([]any) {
				cm := admPairs(t, cons)
				fmt.Fprintf(&b, "\n  consumer %v pending=%v", cm["name"], cm["pending"])
			}
		}
	default:
		t.Fatalf("unexpected type %q", typ)
	}
	return b.String()
}

func migStates(t *testing.T, c *redis.Client, keys []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, k := range keys {
		m[k] = migState(t, c, k)
	}
	return m
}

// migFreePort returns a loopback port nothing listens on.
func migFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, p := migHostPort(t, ln.Addr().String())
	ln.Close()
	return p
}

// migFake is a scripted MIGRATE target: it parses each command and writes
// whatever reply returns (a full RESP line, CRLF added).
type migFake struct {
	ln    net.Listener
	mu    sync.Mutex
	cmds  [][]string // every command received, in order
	conns int        // connections accepted
	gone  chan struct{}
}

func startMigFake(t *testing.T, reply func(cmd []string) string) *migFake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &migFake{ln: ln, gone: make(chan struct{}, 16)}
	var wg sync.WaitGroup
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range open {
			c.Close()
		}
		f.mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			open = append(open, nc)
			f.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { f.gone <- struct{}{} }()
				rd := bufio.NewReader(nc)
				for {
					cmd, err := migReadCommand(rd)
					if err != nil {
						return
					}
					f.mu.Lock()
					f.cmds = append(f.cmds, cmd)
					f.mu.Unlock()
					r := reply(cmd)
					if r == migClose {
						nc.Close()
						return
					}
					if r != "" {
						if _, err := nc.Write([]byte(r + "\r\n")); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return f
}

// migClose as a reply makes the fake close the connection.
const migClose = "\x00close"

func (f *migFake) port(t *testing.T) string {
	_, p := migHostPort(t, f.ln.Addr().String())
	return p
}

func (f *migFake) received() ([][]string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.cmds...), f.conns
}

func migReadCommand(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if line[0] != '*' {
		return nil, fmt.Errorf("not an array: %q", line)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	var out []string
	for i := 0; i < n; i++ {
		hdr, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		out = append(out, string(buf[:l]))
	}
	return out, nil
}

func migNames(cmds [][]string) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, strings.ToUpper(c[0]))
	}
	return out
}

// ---------------------------------------------------------------------------
// Shale -> Redis

func TestMigrateShaleToRedisAllTypes(t *testing.T) {
	raddr, rc := migRedis(t)
	host, port := migHostPort(t, raddr)
	s := servertest.Start(t)
	c := s.Client()

	keys := fillAllTypes(t, c)
	want := migStates(t, c, keys)
	ttlBefore := migDo(t, c, "PTTL", "z:big").(int64)
	require.Greater(t, ttlBefore, int64(800000))

	// Every key at once, with a missing one among them.
	args := []any{host, port, "", 0, 5000, "KEYS"}
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, "no:such:key")
	require.Equal(t, "OK", migMigrate(c, args...))

	for _, k := range keys {
		require.Equal(t, int64(0), migDo(t, c, "EXISTS", k).(int64), "%s still on the source", k)
		require.Equal(t, want[k], migState(t, rc, k), "key %s on the target", k)
	}
	require.Equal(t, int64(len(keys)), migDo(t, rc, "DBSIZE").(int64))
	for _, k := range []string{"s:ttl", "z:big"} {
		ttl := migDo(t, rc, "PTTL", k).(int64)
		require.Greater(t, ttl, int64(400000), k)
		require.LessOrEqual(t, ttl, int64(900000), k)
	}
	require.Equal(t, int64(-1), migDo(t, rc, "PTTL", "l:big").(int64))
	require.Equal(t, int64(0), migDo(t, c, "DBSIZE").(int64))

	// One key form; NOKEY when nothing exists.
	migDo(t, c, "SET", "one", "1")
	require.Equal(t, "OK", migMigrate(c, host, port, "one", 0, 1000))
	require.Equal(t, "1", migDo(t, rc, "GET", "one"))
	require.Equal(t, "NOKEY", migMigrate(c, host, port, "one", 0, 1000))
	require.Equal(t, "NOKEY", migMigrate(c, host, port, "", 0, 1000, "KEYS", "a", "b"))
}

func TestMigrateShaleToRedisOptions(t *testing.T) {
	raddr, rc := migRedis(t)
	host, port := migHostPort(t, raddr)
	s := servertest.Start(t)
	c := s.Client()

	// COPY keeps the source.
	migDo(t, c, "RPUSH", "l", "a", "b")
	require.Equal(t, "OK", migMigrate(c, host, port, "l", 0, 1000, "COPY"))
	require.Equal(t, []any{"a", "b"}, migDo(t, c, "LRANGE", "l", 0, -1))
	require.Equal(t, []any{"a", "b"}, migDo(t, rc, "LRANGE", "l", 0, -1))

	// The target has it now: BUSYKEY, and the source keeps it.
	migDo(t, c, "RPUSH", "l", "c")
	require.Equal(t, "ERR Target instance replied with error: BUSYKEY Target key name already exists.", migMigrate(c, host, port, "l", 0, 1000))
	require.Equal(t, int64(3), migDo(t, c, "LLEN", "l"))
	// COPY REPLACE overwrites and keeps; REPLACE alone moves.
	require.Equal(t, "OK", migMigrate(c, host, port, "l", 0, 1000, "COPY", "REPLACE"))
	require.Equal(t, int64(3), migDo(t, rc, "LLEN", "l"))
	require.Equal(t, int64(3), migDo(t, c, "LLEN", "l"))
	migDo(t, c, "RPUSH", "l", "d")
	require.Equal(t, "OK", migMigrate(c, host, port, "l", 0, 1000, "replace"))
	require.Equal(t, []any{"a", "b", "c", "d"}, migDo(t, rc, "LRANGE", "l", 0, -1))
	require.Equal(t, int64(0), migDo(t, c, "EXISTS", "l"))

	// Several keys, one of them busy: the others move, the busy one stays,
	// and the error is the target's.
	migDo(t, rc, "SET", "k2", "there")
	migDo(t, c, "MSET", "k1", "1", "k2", "2", "k3", "3")
	require.Equal(t, "ERR Target instance replied with error: BUSYKEY Target key name already exists.",
		migMigrate(c, host, port, "", 0, 1000, "KEYS", "k1", "k2", "k3"))
	require.Equal(t, int64(0), migDo(t, c, "EXISTS", "k1"))
	require.Equal(t, "2", migDo(t, c, "GET", "k2"))
	require.Equal(t, int64(0), migDo(t, c, "EXISTS", "k3"))
	require.Equal(t, "there", migDo(t, rc, "GET", "k2"))
	require.Equal(t, "3", migDo(t, rc, "GET", "k3"))

	// Destination database, then back to 0 on the cached connection
	// (SELECT must be sent again).
	migDo(t, c, "SET", "d9", "nine", "EX", "1000")
	require.Equal(t, "OK", migMigrate(c, host, port, "d9", 9, 1000))
	migDo(t, c, "SET", "d0", "zero")
	require.Equal(t, "OK", migMigrate(c, host, port, "d0", 0, 1000))
	migDo(t, c, "SET", "d9b", "nine too")
	require.Equal(t, "OK", migMigrate(c, host, port, "d9b", 9, 1000))
	r9 := redis.NewClient(&redis.Options{Addr: raddr, Protocol: 2, DB: 9, DisableIdentity: true})
	defer r9.Close()
	require.Equal(t, "nine", migDo(t, r9, "GET", "d9"))
	require.Equal(t, "nine too", migDo(t, r9, "GET", "d9b"))
	ttl := migDo(t, r9, "TTL", "d9").(int64)
	require.True(t, ttl > 990 && ttl <= 1000, "ttl %d", ttl)
	require.Equal(t, "zero", migDo(t, rc, "GET", "d0"))
	require.Equal(t, int64(0), migDo(t, rc, "EXISTS", "d9"))

	// A database the target does not have.
	migDo(t, c, "SET", "bad", "x")
	require.Equal(t, "ERR Target instance replied with error: ERR DB index is out of range", migMigrate(c, host, port, "bad", 99, 1000))
	require.Equal(t, "x", migDo(t, c, "GET", "bad"))
	// The source's own database is the client's.
	migDo(t, c, "SELECT", 3)
	migDo(t, c, "SET", "from3", "x")
	require.Equal(t, "OK", migMigrate(c, host, port, "from3", 0, 1000))
	require.Equal(t, "x", migDo(t, rc, "GET", "from3"))
}

func TestMigrateAuth(t *testing.T) {
	raddr, _ := migRedis(t, "--requirepass", "sesame")
	host, port := migHostPort(t, raddr)
	rc := redis.NewClient(&redis.Options{Addr: raddr, Protocol: 2, Password: "sesame", DisableIdentity: true})
	defer rc.Close()
	migDo(t, rc, "ACL", "SETUSER", "mover", "on", ">pw2", "~*", "+@all")
	s := servertest.Start(t)
	c := s.Client()
	migDo(t, c, "MSET", "a", "1", "b", "2", "c", "3")

	require.Equal(t, "ERR Target instance replied with error: NOAUTH Authentication required.", migMigrate(c, host, port, "a", 0, 1000))
	require.Equal(t, "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.",
		migMigrate(c, host, port, "a", 0, 1000, "AUTH", "wrong"))
	require.Equal(t, "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.",
		migMigrate(c, host, port, "", 0, 1000, "AUTH2", "mover", "nope", "KEYS", "a", "b"))
	require.Equal(t, int64(3), migDo(t, c, "EXISTS", "a", "b", "c"), "nothing deleted after an AUTH error")
	require.Equal(t, int64(0), migDo(t, rc, "DBSIZE"))

	// The slow log shows the passwords redacted, as Redis's does.
	migDo(t, c, "CONFIG", "SET", "slowlog-log-slower-than", 0)
	require.Equal(t, "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.",
		migMigrate(c, host, port, "a", 0, 1000, "AUTH2", "mover", "letmein"))
	entry := migDo(t, c, "SLOWLOG", "GET", 1).([]any)[0].([]any)
	require.Equal(t, []any{"MIGRATE", host, port, "a", "0", "1000", "AUTH2", "(redacted)", "(redacted)"}, entry[3])
	require.Equal(t, "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.",
		migMigrate(c, host, port, "a", 0, 1000, "COPY", "AUTH", "letmein"))
	entry = migDo(t, c, "SLOWLOG", "GET", 1).([]any)[0].([]any)
	require.Equal(t, []any{"MIGRATE", host, port, "a", "0", "1000", "COPY", "AUTH", "(redacted)"}, entry[3])
	migDo(t, c, "CONFIG", "SET", "slowlog-log-slower-than", 10000)

	require.Equal(t, "OK", migMigrate(c, host, port, "a", 0, 1000, "AUTH", "sesame"))
	require.Equal(t, "OK", migMigrate(c, host, port, "", 0, 1000, "AUTH2", "mover", "pw2", "KEYS", "b", "c"))
	require.Equal(t, int64(0), migDo(t, c, "DBSIZE"))
	require.Equal(t, []any{"1", "2", "3"}, migDo(t, rc, "MGET", "a", "b", "c"))
}

// The same bad inputs, byte for byte against Redis's own MIGRATE.
func TestMigrateErrorsLikeRedis(t *testing.T) {
	raddr, rc := migRedis(t)
	taddr, tc := migRedis(t, "--requirepass", "pw")
	_, tport := migHostPort(t, taddr)
	tauth := redis.NewClient(&redis.Options{Addr: taddr, Protocol: 2, Password: "pw", DisableIdentity: true})
	defer tauth.Close()
	_ = tc
	s := servertest.Start(t)
	c := s.Client()
	closed := migFreePort(t)
	silent := startMigFake(t, func([]string) string { return "" }).port(t)
	hangup := startMigFake(t, func([]string) string { return migClose }).port(t)

	cases := [][]string{
		{"MIGRATE"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "bogus"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH2", "u"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "KEYS", "a"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "COPY", "KEYS"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "soon"},
		{"MIGRATE", "127.0.0.1", tport, "k", "db", "1000"},
		{"MIGRATE", "127.0.0.1", tport, "k", "db", "soon"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1.5"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "99999999999999999999"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH", "x", "bogus"},
		{"MIGRATE", "127.0.0.1", tport, "missing", "0", "1000"},
		{"MIGRATE", "127.0.0.1", tport, "", "0", "1000", "KEYS"},
		{"MIGRATE", "127.0.0.1", tport, "", "0", "1000", "KEYS", "m1", "m2"},
		{"MIGRATE", "127.0.0.1", closed, "k", "0", "1000"},
		{"MIGRATE", "127.0.0.1", "notaport", "k", "0", "1000"},
		{"MIGRATE", "127.0.0.1", "-5", "k", "0", "1000"},
		{"MIGRATE", "", "0", "k", "0", "1000"},
		{"MIGRATE", "", tport, "k", "0", "1000"},
		{"MIGRATE", "localhost", closed, "k", "0", "1000"},
		{"MIGRATE", "127.0.0.1", closed + "xyz", "k", "0", "1000"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH", "bad"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH", "pw", "COPY"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH", "pw"},
		{"MIGRATE", "127.0.0.1", tport, "k", "-1", "1000", "AUTH", "pw", "REPLACE"},
		{"MIGRATE", "127.0.0.1", tport, "k", "16", "0", "AUTH", "pw", "REPLACE"},
		{"MIGRATE", "127.0.0.1", silent, "k", "0", "100"},
		{"MIGRATE", "127.0.0.1", silent, "", "0", "100", "KEYS", "k", "k2"},
		{"MIGRATE", "127.0.0.1", hangup, "k", "0", "500"},
	}
	for i, cmd := range cases {
		// Both sources hold k; the target is reset between cases.
		migDo(t, c, "SET", "k", "v")
		migDo(t, rc, "SET", "k", "v")
		want := migRaw(t, raddr, cmd...)
		migDo(t, tauth, "FLUSHALL")
		got := migRaw(t, s.Addr, cmd...)
		migDo(t, tauth, "FLUSHALL")
		require.Equal(t, want, got, "case %d: %q", i, cmd)
		require.Equal(t, migDo(t, rc, "EXISTS", "k"), migDo(t, c, "EXISTS", "k"), "case %d: source key", i)
	}

	// The target already holds the key.
	for i, cmd := range [][]string{
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH", "pw"},
		{"MIGRATE", "127.0.0.1", tport, "", "0", "1000", "AUTH", "pw", "KEYS", "k", "k2", "k3"},
		{"MIGRATE", "127.0.0.1", tport, "", "0", "1000", "AUTH", "pw", "COPY", "KEYS", "k3", "k"},
		{"MIGRATE", "127.0.0.1", tport, "k", "0", "1000", "AUTH", "pw", "REPLACE"},
	} {
		for _, src := range []*redis.Client{rc, c} {
			migDo(t, src, "MSET", "k", "v", "k2", "v2", "k3", "v3")
		}
		migDo(t, tauth, "SET", "k", "there")
		want := migRaw(t, raddr, cmd...)
		wantTarget := migDo(t, tauth, "MGET", "k", "k2", "k3")
		migDo(t, tauth, "FLUSHALL")
		migDo(t, tauth, "SET", "k", "there")
		got := migRaw(t, s.Addr, cmd...)
		require.Equal(t, want, got, "busy case %d: %q", i, cmd)
		require.Equal(t, migDo(t, rc, "MGET", "k", "k2", "k3"), migDo(t, c, "MGET", "k", "k2", "k3"), "busy case %d: source keys", i)
		require.Equal(t, wantTarget, migDo(t, tauth, "MGET", "k", "k2", "k3"), "busy case %d: target keys", i)
		migDo(t, tauth, "FLUSHALL")
	}
}

func TestMigrateCommandInfoLikeRedis(t *testing.T) {
	raddr, _ := migRedis(t)
	s := servertest.Start(t)
	require.Equal(t, migRaw(t, raddr, "COMMAND", "INFO", "MIGRATE"), migRaw(t, s.Addr, "COMMAND", "INFO", "MIGRATE"))
	for _, args := range [][]string{
		{"MIGRATE", "h", "1", "k", "0", "0"},
		{"MIGRATE", "h", "1", "", "0", "0"},
		{"MIGRATE", "h", "1", "", "0", "0", "KEYS", "a", "b", "c"},
		{"MIGRATE", "h", "1", "", "0", "0", "COPY", "REPLACE", "AUTH", "p", "keys", "a"},
		{"MIGRATE", "h", "1", "k", "0", "0", "KEYS", "a", "b"},
		{"MIGRATE", "h", "1", "", "0", "0", "AUTH2", "u", "p", "KEYS", "x"},
		{"MIGRATE", "h", "1", "k"},
		{"MIGRATE", "h", "1", "", "0", "0", "AUTH", "keys", "KEYS", "x", "y"},
		{"MIGRATE", "h", "1", "", "0", "0", "AUTH2", "keys", "keys", "KEYS", "x"},
		{"MIGRATE", "h", "1", "", "0", "0", "bogus", "KEYS", "x"},
		{"MIGRATE", "h", "1", "", "0", "0", "AUTH"},
		{"MIGRATE", "h", "1", "", "0", "0", "KEYS"},
		{"MIGRATE", "h", "1", "k", "0", "0", "KEYS"},
		{"MIGRATE", "h", "keys", "k", "0", "0"},
		{"MIGRATE", "h", "1", "keys", "0", "0"},
		{"MIGRATE", "h", "1", "", "0", "0", "AUTH", "keys", "x"},
	} {
		for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
			cmd := append([]string{"COMMAND", sub}, args...)
			got := migRaw(t, s.Addr, cmd...)
			require.Equal(t, migRaw(t, raddr, cmd...), got, "%q", cmd)
		}
	}
}

// ---------------------------------------------------------------------------
// Shale -> Shale and Redis -> Shale

func TestMigrateShaleToShale(t *testing.T) {
	src, dst := servertest.Start(t), servertest.Start(t)
	c, d := src.Client(), dst.Client()
	host, port := migHostPort(t, dst.Addr)

	keys := fillAllTypes(t, c)
	want := migStates(t, c, keys)
	args := []any{host, port, "", 2, 5000, "KEYS"}
	for _, k := range keys {
		args = append(args, k)
	}
	require.Equal(t, "OK", migMigrate(c, args...))
	require.Equal(t, int64(0), migDo(t, c, "DBSIZE"))
	migDo(t, d, "SELECT", 2)
	require.Equal(t, int64(len(keys)), migDo(t, d, "DBSIZE"))
	// d's pool may hold other connections on db 0: use one connection.
	conn := d.Conn()
	defer conn.Close()
	require.NoError(t, conn.Do(migCtx, "SELECT", 2).Err())
	for _, k := range keys {
		typ, err := conn.Do(migCtx, "TYPE", k).Result()
		require.NoError(t, err)
		require.NotEqual(t, "none", typ, k)
	}
	d2 := dst.ClientWith(&redis.Options{DB: 2})
	for _, k := range keys {
		require.Equal(t, want[k], migState(t, d2, k), "key %s on the Shale target", k)
	}
	ttl := migDo(t, d2, "PTTL", "s:ttl").(int64)
	require.Greater(t, ttl, int64(400000))

	// REPLACE and BUSYKEY from a Shale target.
	migDo(t, c, "SET", "s:int", "new")
	require.Equal(t, "ERR Target instance replied with error: BUSYKEY Target key name already exists.", migMigrate(c, host, port, "s:int", 2, 1000))
	require.Equal(t, "OK", migMigrate(c, host, port, "s:int", 2, 1000, "REPLACE"))
	require.Equal(t, "new", migDo(t, d2, "GET", "s:int"))

	// AUTH to a Shale target with requirepass.
	sec := servertest.Start(t, "--requirepass", "pw")
	sh, sp := migHostPort(t, sec.Addr)
	migDo(t, c, "SET", "secret", "x")
	require.Equal(t, "ERR Target instance replied with error: NOAUTH Authentication required.", migMigrate(c, sh, sp, "secret", 0, 1000))
	require.Equal(t, "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.", migMigrate(c, sh, sp, "secret", 0, 1000, "AUTH", "no"))
	require.Equal(t, "OK", migMigrate(c, sh, sp, "secret", 0, 1000, "AUTH", "pw"))
	sc := sec.ClientWith(&redis.Options{Password: "pw"})
	require.Equal(t, "x", migDo(t, sc, "GET", "secret"))
}

func TestMigrateRedisToShale(t *testing.T) {
	_, rc := migRedis(t)
	s := servertest.Start(t)
	c := s.Client()
	host, port := migHostPort(t, s.Addr)

	ctx := migCtx
	require.NoError(t, rc.Do(ctx, "SET", "str", "hello", "PX", "600000").Err())
	require.NoError(t, rc.Do(ctx, "RPUSH", "list", "a", "b", "1").Err())
	require.NoError(t, rc.Do(ctx, "SADD", "set", "x", "y", "7").Err())
	require.NoError(t, rc.Do(ctx, "HSET", "hash", "f", "v", "g", "w").Err())
	require.NoError(t, rc.Do(ctx, "ZADD", "zset", "1.5", "a", "-2", "b").Err())
	require.NoError(t, rc.Do(ctx, "XADD", "stream", "1-1", "f", "v").Err())
	require.NoError(t, rc.Do(ctx, "XADD", "stream", "2-1", "f", "w").Err())
	require.NoError(t, rc.Do(ctx, "XGROUP", "CREATE", "stream", "g", "0").Err())
	require.NoError(t, rc.Do(ctx, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">").Err())
	keys := []string{"str", "list", "set", "hash", "zset", "stream"}
	want := migStates(t, rc, keys)

	require.Equal(t, "OK", migMigrate(rc, host, port, "str", 0, 1000))
	args := []any{host, port, "", 0, 1000, "KEYS"}
	for _, k := range keys[1:] {
		args = append(args, k)
	}
	require.Equal(t, "OK", migMigrate(rc, args...))
	require.Equal(t, int64(0), migDo(t, rc, "DBSIZE"))
	for _, k := range keys {
		require.Equal(t, want[k], migState(t, c, k), "key %s on Shale", k)
	}
	ttl := migDo(t, c, "PTTL", "str").(int64)
	require.True(t, ttl > 500000 && ttl <= 600000, "ttl %d", ttl)

	// Redis's MIGRATE gets Shale's BUSYKEY.
	require.NoError(t, rc.Do(ctx, "SET", "str", "again").Err())
	require.Equal(t, "ERR Target instance replied with error: BUSYKEY Target key name already exists.", migMigrate(rc, host, port, "str", 0, 1000))
	require.Equal(t, "OK", migMigrate(rc, host, port, "str", 0, 1000, "REPLACE"))
	require.Equal(t, "again", migDo(t, c, "GET", "str"))
}

// ---------------------------------------------------------------------------
// Network failures

func TestMigrateConnectionErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	migDo(t, c, "SET", "k", "v")

	// Nothing listening: Redis connects without blocking, so the refusal
	// shows as a failed write.
	require.Equal(t, "IOERR error or timeout writing to target instance", migMigrate(c, "127.0.0.1", migFreePort(t), "k", 0, 1000))
	// An address that does not resolve.
	require.Equal(t, "IOERR error or timeout connecting to the client", migMigrate(c, "", "1", "k", 0, 1000))
	require.Equal(t, "IOERR error or timeout connecting to the client", migMigrate(c, "127.0.0.1", "-5", "k", 0, 1000))
	require.Equal(t, "v", migDo(t, c, "GET", "k"))

	// A listener that accepts and never answers: a read timeout, no retry.
	f := startMigFake(t, func([]string) string { return "" })
	start := time.Now()
	require.Equal(t, "IOERR error or timeout reading to target instance", migMigrate(c, "127.0.0.1", f.port(t), "k", 0, 100))
	el := time.Since(start)
	require.GreaterOrEqual(t, el, 100*time.Millisecond)
	require.Less(t, el, 2*time.Second)
	require.Equal(t, "v", migDo(t, c, "GET", "k"))
	cmds, conns := f.received()
	require.Equal(t, 1, conns, "a timeout is not retried")
	require.Equal(t, []string{"SELECT", "RESTORE"}, migNames(cmds))

	// A target that closes the connection without answering: Redis
	// retries once on a fresh connection, then gives up.
	closer := startMigFake(t, func([]string) string { return migClose })
	res := migMigrate(c, "127.0.0.1", closer.port(t), "k", 0, 500)
	require.Equal(t, "IOERR error or timeout reading to target instance", res)
	_, conns = closer.received()
	require.Equal(t, 2, conns, "a socket error on the first reply is retried once")
	require.Equal(t, "v", migDo(t, c, "GET", "k"))
}

// ---------------------------------------------------------------------------
// Locking, cache, events

// The locks are released during the round trip: other clients (EXEC,
// which takes the world lock, and writers of the migrated key) run while
// the target is slow; a key written meanwhile is sent again with REPLACE
// before being deleted, so the target ends up with its latest value.
func TestMigrateRoundTripDoesNotBlock(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	other := s.Client()
	migDo(t, c, "SET", "k", "old")

	release := make(chan struct{})
	restores := 0
	var mu sync.Mutex
	f := startMigFake(t, func(cmd []string) string {
		if strings.EqualFold(cmd[0], "restore") {
			mu.Lock()
			restores++
			n := restores
			mu.Unlock()
			if n == 1 {
				<-release
			}
		}
		return "+OK"
	})
	done := make(chan string, 1)
	go func() { done <- migMigrate(c, "127.0.0.1", f.port(t), "k", 0, 5000) }()
	require.Eventually(t, func() bool {
		cmds, _ := f.received()
		return len(cmds) == 2
	}, 5*time.Second, 5*time.Millisecond)

	// MIGRATE waits on the target: the world lock and k are free.
	start := time.Now()
	tx := other.TxPipeline()
	tx.Set(migCtx, "x", "1", 0)
	_, err := tx.Exec(migCtx)
	require.NoError(t, err)
	migDo(t, other, "SET", "k", "new")
	require.Less(t, time.Since(start), time.Second)
	close(release)
	require.Equal(t, "OK", <-done)

	cmds, _ := f.received()
	require.Equal(t, []string{"SELECT", "RESTORE", "RESTORE"}, migNames(cmds))
	require.Len(t, cmds[1], 4)
	require.Equal(t, "REPLACE", cmds[2][4], "the changed key is sent again over the first copy")
	require.Equal(t, int64(0), migDo(t, other, "EXISTS", "k"))
	// The payloads hold the old and the new value.
	require.Contains(t, cmds[1][3], "old")
	require.Contains(t, cmds[2][3], "new")
}

// The connection is cached per host:port (SELECT sent once per database
// change), and closed after 10 s idle.
func TestMigrateSocketCache(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	f := startMigFake(t, func([]string) string { return "+OK" })
	for i := 0; i < 3; i++ {
		migDo(t, c, "SET", "k", i)
		require.Equal(t, "OK", migMigrate(c, "127.0.0.1", f.port(t), "k", 4, 1000))
	}
	migDo(t, c, "SET", "k", "x")
	require.Equal(t, "OK", migMigrate(c, "127.0.0.1", f.port(t), "k", 5, 1000, "AUTH", "p"))
	cmds, conns := f.received()
	require.Equal(t, 1, conns)
	require.Equal(t, []string{"SELECT", "RESTORE", "RESTORE", "RESTORE", "AUTH", "SELECT", "RESTORE"}, migNames(cmds))
	require.Equal(t, []string{"SELECT", "4"}, cmds[0])
	require.Equal(t, []string{"AUTH", "p"}, cmds[4])
	require.Equal(t, []string{"SELECT", "5"}, cmds[5])
	require.Equal(t, "0", cmds[1][2], "no TTL")

	// A target error forgets the selected database.
	g := startMigFake(t, func(cmd []string) string {
		if strings.EqualFold(cmd[0], "restore") && cmd[1] == "bad" {
			return "-ERR nope"
		}
		return "+OK"
	})
	migDo(t, c, "SET", "bad", "1")
	require.Equal(t, "ERR Target instance replied with error: ERR nope", migMigrate(c, "127.0.0.1", g.port(t), "bad", 1, 1000))
	require.Equal(t, "ERR Target instance replied with error: ERR nope", migMigrate(c, "127.0.0.1", g.port(t), "bad", 1, 1000))
	cmds, _ = g.received()
	require.Equal(t, []string{"SELECT", "RESTORE", "SELECT", "RESTORE"}, migNames(cmds))

	require.Equal(t, 2, commands.MigrateCachedSockets(s.Srv), "one per target")

	if testing.Short() {
		t.Skip("idle close takes 11 s")
	}
	select {
	case <-f.gone:
	case <-time.After(15 * time.Second):
		t.Fatal("the cached connection was not closed after 10 s idle")
	}
	require.Eventually(t, func() bool { return commands.MigrateCachedSockets(s.Srv) == 0 }, 5*time.Second, 50*time.Millisecond)
}

// Many clients migrating to one target at once each get a connection.
func TestMigrateConcurrentClients(t *testing.T) {
	raddr, rc := migRedis(t)
	host, port := migHostPort(t, raddr)
	s := servertest.Start(t)
	const clients, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan string, clients*rounds)
	for i := 0; i < clients; i++ {
		c := s.ClientWith(&redis.Options{PoolSize: 1})
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < rounds; j++ {
				k := fmt.Sprintf("c%d:%d", i, j)
				if err := c.Do(migCtx, "RPUSH", k, i, j).Err(); err != nil {
					errs <- err.Error()
					return
				}
				if r := migMigrate(c, host, port, k, j%3, 2000); r != "OK" {
					errs <- k + ": " + r
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	require.Equal(t, int64(0), migDo(t, s.Client(), "DBSIZE"))
	total := int64(0)
	for db := 0; db < 3; db++ {
		r := redis.NewClient(&redis.Options{Addr: raddr, Protocol: 2, DB: db, DisableIdentity: true})
		total += migDo(t, r, "DBSIZE").(int64)
		r.Close()
	}
	require.Equal(t, int64(clients*rounds), total)
	r1 := redis.NewClient(&redis.Options{Addr: raddr, Protocol: 2, DB: 7 % 3, DisableIdentity: true})
	defer r1.Close()
	require.Equal(t, []any{"3", "7"}, migDo(t, r1, "LRANGE", "c3:7", 0, -1))
	require.Equal(t, []any{"5", "9"}, migDo(t, rc, "LRANGE", "c5:9", 0, -1))
	n := commands.MigrateCachedSockets(s.Srv)
	require.True(t, n >= 1 && n <= clients, "cached sockets %d", n)
}

func TestMigrateEventsWatchAndTransactions(t *testing.T) {
	raddr, rc := migRedis(t)
	host, port := migHostPort(t, raddr)
	s := servertest.Start(t)
	c := s.Client()
	migDo(t, c, "CONFIG", "SET", "notify-keyspace-events", "KEA")

	sub := s.Client().PSubscribe(migCtx, "__keyevent@0__:*")
	defer sub.Close()
	_, err := sub.Receive(migCtx)
	require.NoError(t, err)

	migDo(t, c, "SET", "w", "1")
	// WATCH on another connection is invalidated by the migration.
	conn := s.Client().Conn()
	defer conn.Close()
	require.NoError(t, conn.Do(migCtx, "WATCH", "w").Err())
	dirty := admInt(t, admInfo(t, c, "persistence"), "rdb_changes_since_last_save")
	require.Equal(t, "OK", migMigrate(c, host, port, "w", 0, 1000))
	require.Equal(t, dirty+1, admInt(t, admInfo(t, c, "persistence"), "rdb_changes_since_last_save"))
	require.NoError(t, conn.Do(migCtx, "MULTI").Err())
	require.NoError(t, conn.Do(migCtx, "SET", "w", "2").Err())
	_, err = conn.Do(migCtx, "EXEC").Result()
	require.Equal(t, redis.Nil, err, "EXEC after a migrated watched key")

	seen := map[string]bool{}
	for len(seen) < 2 {
		m, err := sub.ReceiveTimeout(migCtx, 2*time.Second)
		require.NoError(t, err)
		msg := m.(*redis.Message)
		seen[msg.Channel+" "+msg.Payload] = true
	}
	require.True(t, seen["__keyevent@0__:set w"], "%v", seen)
	require.True(t, seen["__keyevent@0__:del w"], "%v", seen)

	// MIGRATE inside MULTI/EXEC and inside a script (world lock held).
	migDo(t, c, "SET", "m1", "a")
	migDo(t, c, "SET", "m2", "b")
	tx := c.TxPipeline()
	mig := tx.Do(migCtx, "MIGRATE", host, port, "m1", 0, 1000)
	_, err = tx.Exec(migCtx)
	require.NoError(t, err)
	require.Equal(t, "OK", mig.Val())
	require.Equal(t, "OK", migDo(t, c, "EVAL", "return redis.call('migrate', ARGV[1], ARGV[2], KEYS[1], 0, 1000)", 1, "m2", host, port))
	require.Equal(t, []any{"a", "b"}, migDo(t, rc, "MGET", "m1", "m2"))
	require.Equal(t, int64(0), migDo(t, c, "EXISTS", "m1", "m2"))
}

// MIGRATE to the server itself: into another database it moves the key;
// into the same database Redis times out (it cannot answer itself while
// running MIGRATE), and the key must survive.
func TestMigrateToItself(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	host, port := migHostPort(t, s.Addr)
	migDo(t, c, "RPUSH", "l", "a", "b")
	for _, opt := range [][]any{nil, {"REPLACE"}, {"COPY", "REPLACE"}} {
		args := append([]any{host, port, "l", 0, 200}, opt...)
		require.Equal(t, "IOERR error or timeout reading to target instance", migMigrate(c, args...), "%v", opt)
		require.Equal(t, []any{"a", "b"}, migDo(t, c, "LRANGE", "l", 0, -1), "%v", opt)
	}
	require.Equal(t, "OK", migMigrate(c, "localhost", port, "l", 4, 1000))
	require.Equal(t, int64(0), migDo(t, c, "EXISTS", "l"))
	c4 := s.ClientWith(&redis.Options{DB: 4})
	require.Equal(t, []any{"a", "b"}, migDo(t, c4, "LRANGE", "l", 0, -1))
	// Back from database 4 to database 0 of the same server.
	require.Equal(t, "OK", migMigrate(c4, host, port, "l", 0, 1000))
	require.Equal(t, []any{"a", "b"}, migDo(t, c, "LRANGE", "l", 0, -1))
	require.Equal(t, int64(0), migDo(t, c4, "EXISTS", "l"))
}
