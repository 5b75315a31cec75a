package commands_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/commands"
	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/server"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// ---------------------------------------------------------------------------
// Helpers (adm*: server administration tests).

var admCtx = context.Background()

func admDo(t *testing.T, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(admCtx, args...).Result()
	require.NoError(t, err, "%v", args)
	return v
}

func admErr(t *testing.T, c *redis.Client, args ...any) string {
	t.Helper()
	err := c.Do(admCtx, args...).Err()
	require.Error(t, err, "%v", args)
	return err.Error()
}

// admInfo parses INFO output into field → value.
func admInfo(t *testing.T, c *redis.Client, sections ...any) map[string]string {
	t.Helper()
	v := admDo(t, c, append([]any{"INFO"}, sections...)...)
	out := map[string]string{}
	for _, line := range strings.Split(v.(string), "\r\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		k, val, ok := strings.Cut(line, ":")
		require.True(t, ok, "bad INFO line %q", line)
		out[k] = val
	}
	return out
}

func admInt(t *testing.T, m map[string]string, field string) int64 {
	t.Helper()
	v, ok := m[field]
	require.True(t, ok, "INFO has no %s", field)
	n, err := strconv.ParseInt(v, 10, 64)
	require.NoError(t, err, "%s=%q", field, v)
	return n
}

// admConn is a raw RESP connection for byte-exact checks.
type admConn struct {
	t  *testing.T
	nc net.Conn
	rd *bufio.Reader
}

func admDial(t *testing.T, addr string) *admConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &admConn{t: t, nc: nc, rd: bufio.NewReader(nc)}
}

func (c *admConn) send(args ...string) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := c.nc.Write([]byte(b.String()))
	require.NoError(c.t, err)
}

// read returns the raw bytes of one reply.
func (c *admConn) read() string {
	c.t.Helper()
	require.NoError(c.t, c.nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	var b strings.Builder
	c.readInto(&b)
	return b.String()
}

func (c *admConn) readInto(b *strings.Builder) {
	line, err := c.rd.ReadString('\n')
	require.NoError(c.t, err)
	b.WriteString(line)
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '$', '=':
		n, _ := strconv.Atoi(body)
		if n >= 0 {
			buf := make([]byte, n+2)
			_, err := io.ReadFull(c.rd, buf)
			require.NoError(c.t, err)
			b.Write(buf)
		}
	case '*', '~', '>':
		n, _ := strconv.Atoi(body)
		for i := 0; i < n; i++ {
			c.readInto(b)
		}
	case '%':
		n, _ := strconv.Atoi(body)
		for i := 0; i < 2*n; i++ {
			c.readInto(b)
		}
	}
}

func (c *admConn) do(args ...string) string {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

// admClosed reports whether the peer closed the connection (EOF or reset
// within the deadline).
func (c *admConn) closed(within time.Duration) bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(within))
	_, err := c.rd.ReadByte()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

// admStartWithFile starts a server from a config file, the way
// shale-server does (servertest only takes overrides).
func admStartWithFile(t *testing.T, conf string) *server.Server {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load([]string{conf, "--bind", "127.0.0.1", "--port", "0", "--dir", dir})
	require.NoError(t, err)
	srv, err := server.Open(cfg, commands.Dispatch, log.New(io.Discard, "", 0))
	require.NoError(t, err)
	commands.Attach(srv)
	require.NoError(t, srv.Listen())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve() }()
	t.Cleanup(func() { srv.Shutdown(); <-done })
	return srv
}

// ---------------------------------------------------------------------------
// INFO

func TestAdminInfoDefaultSections(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	v := admDo(t, c, "INFO").(string)
	var headers []string
	for _, line := range strings.Split(v, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			headers = append(headers, line[2:])
		}
	}
	require.Equal(t, []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}, headers)
	require.True(t, strings.HasPrefix(v, "# Server\r\nredis_version:7.0.15\r\n"), v[:40])
	require.True(t, strings.HasSuffix(v, "# Keyspace\r\n"), "empty keyspace section is last")
	require.Contains(t, v, "\r\n\r\n# Clients\r\n", "sections are separated by an empty line")

	all := admDo(t, c, "INFO", "all").(string)
	require.Contains(t, all, "# Commandstats\r\n")
	require.Contains(t, all, "# Latencystats\r\n")
	require.Contains(t, all, "# Shale\r\nshale_version:")
	require.Contains(t, admDo(t, c, "INFO", "everything").(string), "# Shale\r\n")
	require.NotContains(t, v, "# Shale")

	require.Equal(t, "", admDo(t, c, "INFO", "nosuch"))
	two := admDo(t, c, "INFO", "CLIENTS", "server").(string)
	require.True(t, strings.HasPrefix(two, "# Server\r\n"), "sections come in Redis's order")
	require.Contains(t, two, "\r\n\r\n# Clients\r\nconnected_clients:")
	require.NotContains(t, two, "# Memory")
	require.Equal(t, admDo(t, c, "INFO", "keyspace"), "# Keyspace\r\n")
}

func TestAdminInfoFields(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	require.Equal(t, "OK", admDo(t, c, "SET", "k1", "v"))
	require.Equal(t, "OK", admDo(t, c, "SET", "k2", "v", "EX", "100"))
	admDo(t, c, "SELECT", "3")
	require.Equal(t, "OK", admDo(t, c, "SET", "k3", "v"))
	admDo(t, c, "SELECT", "0")

	m := admInfo(t, c, "everything")
	require.Equal(t, "7.0.15", m["redis_version"])
	require.Equal(t, "standalone", m["redis_mode"])
	require.Equal(t, strconv.Itoa(os.Getpid()), m["process_id"])
	_, port, _ := net.SplitHostPort(s.Addr)
	require.Equal(t, port, m["tcp_port"])
	require.Regexp(t, `^[0-9a-f]{40}$`, m["run_id"])
	require.Equal(t, "64", m["arch_bits"])
	require.NotEmpty(t, m["os"])
	require.GreaterOrEqual(t, admInt(t, m, "uptime_in_seconds"), int64(0))
	require.Equal(t, int64(0), admInt(t, m, "uptime_in_days"))
	require.Equal(t, "", m["config_file"])
	require.NotEmpty(t, m["executable"])

	require.GreaterOrEqual(t, admInt(t, m, "connected_clients"), int64(1))
	require.Equal(t, int64(10000), admInt(t, m, "maxclients"))
	require.Equal(t, int64(0), admInt(t, m, "blocked_clients"))

	used := admInt(t, m, "used_memory")
	require.Greater(t, used, int64(0))
	require.Regexp(t, `^\d+(\.\d\d[KMGTP]|B)$`, m["used_memory_human"])
	require.Greater(t, admInt(t, m, "used_memory_rss"), int64(0))
	require.GreaterOrEqual(t, admInt(t, m, "used_memory_peak"), used)
	require.Equal(t, int64(0), admInt(t, m, "maxmemory"))
	require.Equal(t, "0B", m["maxmemory_human"])
	require.Equal(t, "noeviction", m["maxmemory_policy"])
	require.Regexp(t, `^\d+\.\d\d$`, m["mem_fragmentation_ratio"])

	require.Equal(t, int64(0), admInt(t, m, "loading"))
	require.GreaterOrEqual(t, admInt(t, m, "rdb_changes_since_last_save"), int64(3))
	require.Equal(t, int64(0), admInt(t, m, "rdb_bgsave_in_progress"))
	require.InDelta(t, time.Now().Unix(), admInt(t, m, "rdb_last_save_time"), 60)
	require.Equal(t, "ok", m["rdb_last_bgsave_status"])
	require.Equal(t, int64(1), admInt(t, m, "aof_enabled"))

	require.GreaterOrEqual(t, admInt(t, m, "total_connections_received"), int64(1))
	require.GreaterOrEqual(t, admInt(t, m, "total_commands_processed"), int64(6))
	admInt(t, m, "instantaneous_ops_per_sec")
	require.Greater(t, admInt(t, m, "total_net_input_bytes"), int64(0))
	require.Greater(t, admInt(t, m, "total_net_output_bytes"), int64(0))
	require.Regexp(t, `^\d+\.\d\d$`, m["instantaneous_input_kbps"])
	require.Equal(t, int64(0), admInt(t, m, "rejected_connections"))
	require.Equal(t, int64(0), admInt(t, m, "evicted_keys"))
	admInt(t, m, "expired_keys")
	admInt(t, m, "keyspace_hits")
	admInt(t, m, "keyspace_misses")
	admInt(t, m, "total_error_replies")

	require.Equal(t, "master", m["role"])
	require.Equal(t, int64(0), admInt(t, m, "connected_slaves"))
	require.Regexp(t, `^[0-9a-f]{40}$`, m["master_replid"])
	require.NotEqual(t, m["run_id"], m["master_replid"])
	require.Equal(t, int64(0), admInt(t, m, "master_repl_offset"))

	require.Regexp(t, `^\d+\.\d{6}$`, m["used_cpu_sys"])
	require.Regexp(t, `^\d+\.\d{6}$`, m["used_cpu_user"])
	require.Equal(t, "0", m["cluster_enabled"])

	require.Equal(t, "keys=2,expires=1,avg_ttl=0", m["db0"])
	require.Equal(t, "keys=1,expires=0,avg_ttl=0", m["db3"])
	_, ok := m["db1"]
	require.False(t, ok, "empty databases are not listed")

	require.Equal(t, "0.1.0", m["shale_version"])
	for _, f := range []string{"disk_bytes", "memtable_bytes", "block_cache_bytes", "block_cache_hits", "block_cache_misses",
		"compactions", "l0_files", "pending_compaction_bytes", "read_amplification", "tombstones",
		"hot_tier_hits", "hot_tier_misses", "hot_tier_bytes", "hot_tier_max_bytes"} {
		require.GreaterOrEqual(t, admInt(t, m, f), int64(0), f)
	}
	require.Equal(t, int64(256<<20), admInt(t, m, "hot_tier_max_bytes"))
	require.Equal(t, "everysec", m["appendfsync"])
}

func TestAdminInfoCounters(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	before := admInfo(t, c, "stats")
	admDo(t, c, "SET", "k", "v")
	admDo(t, c, "GET", "k")
	admDo(t, c, "GET", "k")
	_, err := c.Get(admCtx, "missing").Result()
	require.Equal(t, redis.Nil, err)
	admErr(t, c, "NOSUCHCOMMAND")
	after := admInfo(t, c, "stats")
	require.Equal(t, admInt(t, before, "keyspace_hits")+2, admInt(t, after, "keyspace_hits"))
	require.Equal(t, admInt(t, before, "keyspace_misses")+1, admInt(t, after, "keyspace_misses"))
	require.Equal(t, admInt(t, before, "total_error_replies")+1, admInt(t, after, "total_error_replies"))
	// SET, GET, GET, GET, NOSUCHCOMMAND and the first INFO.
	require.Equal(t, admInt(t, before, "total_commands_processed")+6, admInt(t, after, "total_commands_processed"))

	// instantaneous_ops_per_sec is sampled every 100ms over 1.6s.
	for i := 0; i < 300; i++ {
		admDo(t, c, "PING")
	}
	require.Eventually(t, func() bool {
		return admInt(t, admInfo(t, c, "stats"), "instantaneous_ops_per_sec") > 0
	}, 5*time.Second, 50*time.Millisecond)

	// CONFIG RESETSTAT zeroes the counters.
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "RESETSTAT"))
	m := admInfo(t, c, "stats", "shale")
	require.Equal(t, int64(0), admInt(t, m, "keyspace_hits"))
	require.Equal(t, int64(0), admInt(t, m, "keyspace_misses"))
	require.Equal(t, int64(0), admInt(t, m, "total_error_replies"))
	require.Equal(t, int64(0), admInt(t, m, "total_connections_received"))
	require.Equal(t, int64(0), admInt(t, m, "hot_tier_hits"))
	require.Equal(t, int64(1), admInt(t, m, "total_commands_processed"), "only this INFO")
}

func TestAdminInfoRESP3Verbatim(t *testing.T) {
	s := servertest.Start(t)
	rc := admDial(t, s.Addr)
	require.True(t, strings.HasPrefix(rc.do("INFO", "keyspace"), "$12\r\n# Keyspace\r\n\r\n"))
	rc.do("HELLO", "3")
	require.Equal(t, "=16\r\ntxt:# Keyspace\r\n\r\n", rc.do("INFO", "keyspace"))
}

// ---------------------------------------------------------------------------
// CONFIG

func TestAdminConfigGet(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	require.Equal(t, []any{"maxmemory", "0"}, admDo(t, c, "CONFIG", "GET", "maxmemory"))
	require.Equal(t, []any{"MAXMEMORY", "0"}, admDo(t, c, "CONFIG", "GET", "MAXMEMORY"), "an exact name is echoed as typed")
	require.Equal(t, []any{"slaveof", ""}, admDo(t, c, "CONFIG", "GET", "slaveof"))
	require.Equal(t, []any{}, admDo(t, c, "CONFIG", "GET", "nosuch"))

	// Several patterns, deduplicated; aliases match as their own names.
	got, err := c.Do(admCtx, "CONFIG", "GET", "maxmemory", "*max-*-entries*", "MAXMEM*").Slice()
	require.NoError(t, err)
	m := map[string]string{}
	for i := 0; i < len(got); i += 2 {
		_, dup := m[strings.ToLower(got[i].(string))]
		require.False(t, dup, "%v", got)
		m[got[i].(string)] = got[i+1].(string)
	}
	require.Equal(t, map[string]string{
		"maxmemory": "0", "maxmemory-clients": "0", "maxmemory-eviction-tenacity": "10", "maxmemory-policy": "noeviction", "maxmemory-samples": "5",
		"hash-max-listpack-entries": "512", "hash-max-ziplist-entries": "512", "set-max-intset-entries": "512",
		"zset-max-listpack-entries": "128", "zset-max-ziplist-entries": "128",
	}, m)

	// What redis-benchmark and tools read.
	require.Equal(t, []any{"save", "3600 1 300 100 60 10000"}, admDo(t, c, "CONFIG", "GET", "save"))
	require.Equal(t, []any{"appendonly", "yes"}, admDo(t, c, "CONFIG", "GET", "appendonly"))
	require.Equal(t, []any{"databases", "16"}, admDo(t, c, "CONFIG", "GET", "databases"))
	require.Equal(t, []any{"dir", s.Dir}, admDo(t, c, "CONFIG", "GET", "dir"))

	all, err := c.ConfigGet(admCtx, "*").Result()
	require.NoError(t, err)
	for _, n := range []string{"bind", "port", "dir", "databases", "requirepass", "appendfsync", "maxclients", "timeout",
		"tcp-keepalive", "loglevel", "logfile", "cache-size", "maxmemory", "maxmemory-policy", "slowlog-log-slower-than",
		"slowlog-max-len", "save", "dbfilename", "appendonly", "notify-keyspace-events"} {
		_, ok := all[n]
		require.True(t, ok, n)
	}

	// RESP3: a map.
	rc := admDial(t, s.Addr)
	rc.do("HELLO", "3")
	require.Equal(t, "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", rc.do("CONFIG", "GET", "maxmemory"))

	require.Equal(t, "ERR wrong number of arguments for 'config|get' command", admErr(t, c, "CONFIG", "GET"))
	require.Equal(t, "ERR unknown subcommand 'FOO'. Try CONFIG HELP.", admErr(t, c, "CONFIG", "FOO"))
}

func TestAdminConfigSetErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]any{"maxclients", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"},
		{[]any{"maxclients", "0"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[]any{"maxmemory", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
		{[]any{"appendfsync", "foo"}, "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no"},
		{[]any{"maxmemory-policy", "foo"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{[]any{"protected-mode", "maybe"}, "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"},
		{[]any{"DAEMONIZE", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"},
		{[]any{"databases", "5"}, "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"},
		{[]any{"dir", "/tmp"}, "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
		{[]any{"maxclients", "10", "maxclients", "20"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter"},
		{[]any{"maxclients", "abc", "foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]any{"timeout", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"},
		{[]any{"save", "1 2 3"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
		{[]any{"notify-keyspace-events", "Q"}, "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{[]any{"maxclients", "10", "foo"}, "ERR syntax error"},
	} {
		require.Equal(t, tc.want, admErr(t, c, append([]any{"CONFIG", "SET"}, tc.args...)...), "%v", tc.args)
	}
	require.Equal(t, "ERR wrong number of arguments for 'config|set' command", admErr(t, c, "CONFIG", "SET", "maxclients"))

	// A failed multi-parameter set changes nothing.
	require.Equal(t, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
		admErr(t, c, "CONFIG", "SET", "maxclients", "50", "maxmemory", "lots"))
	require.Equal(t, []any{"maxclients", "10000"}, admDo(t, c, "CONFIG", "GET", "maxclients"))

	// Values come back canonical.
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "maxmemory", "1gb", "maxmemory-policy", "ALLKEYS-LRU", "notify-keyspace-events", "KEA", "hz", "1000"))
	require.Equal(t, []any{"maxmemory", "1073741824"}, admDo(t, c, "CONFIG", "GET", "maxmemory"))
	require.Equal(t, []any{"maxmemory-policy", "allkeys-lru"}, admDo(t, c, "CONFIG", "GET", "maxmemory-policy"))
	require.Equal(t, []any{"notify-keyspace-events", "AKE"}, admDo(t, c, "CONFIG", "GET", "notify-keyspace-events"))
	require.Equal(t, []any{"hz", "500"}, admDo(t, c, "CONFIG", "GET", "hz"))
	m := admInfo(t, c, "memory")
	require.Equal(t, "1.00G", m["maxmemory_human"])
	require.Equal(t, "allkeys-lru", m["maxmemory_policy"])
}

func TestAdminConfigSetTakesEffect(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()

	// cache-size resizes the hot tier, appendfsync the WAL's fsync.
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "cache-size", "1mb", "appendfsync", "always"))
	m := admInfo(t, c, "shale")
	require.Equal(t, int64(1<<20), admInt(t, m, "hot_tier_max_bytes"))
	require.Equal(t, "always", m["appendfsync"])
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "appendfsync", "no"))
	require.Equal(t, "no", admInfo(t, c, "shale")["appendfsync"])

	// requirepass: new connections must authenticate; this one stays in.
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "requirepass", "s3cret"))
	rc := admDial(t, s.Addr)
	require.Equal(t, "-NOAUTH Authentication required.\r\n", rc.do("GET", "k"))
	require.Equal(t, "+OK\r\n", rc.do("AUTH", "s3cret"))
	require.Equal(t, "$-1\r\n", rc.do("GET", "k"))
	require.Equal(t, "PONG", admDo(t, c, "PING"))
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "requirepass", ""))
	require.Equal(t, "+PONG\r\n", admDial(t, s.Addr).do("PING"))

	// maxclients: connections beyond it are refused with Redis's error.
	n := admInt(t, admInfo(t, c, "clients"), "connected_clients")
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "maxclients", strconv.FormatInt(n, 10)))
	over := admDial(t, s.Addr)
	require.Equal(t, "-ERR max number of clients reached\r\n", over.read())
	require.Equal(t, int64(1), admInt(t, admInfo(t, c, "stats"), "rejected_connections"))
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "maxclients", "10000"))

	// proto-max-bulk-len bounds the bulk length the protocol accepts.
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "proto-max-bulk-len", "1mb"))
	big := admDial(t, s.Addr)
	_, err := big.nc.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n"))
	require.NoError(t, err)
	require.Equal(t, "-ERR Protocol error: invalid bulk length\r\n", big.read())
}

func TestAdminConfigLogLevel(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	cfg, err := config.Load([]string{"--bind", "127.0.0.1", "--port", "0", "--dir", t.TempDir()})
	require.NoError(t, err)
	srv, err := server.Open(cfg, commands.Dispatch, log.New(admLockedWriter{&mu, &buf}, "1:M ", log.LstdFlags|log.Lmicroseconds))
	require.NoError(t, err)
	commands.Attach(srv)
	t.Cleanup(srv.Shutdown)
	srv.Logger.Printf("* notice shown")
	require.NoError(t, cfg.Set("loglevel", "warning"))
	srv.Logger.Printf("* notice hidden")
	srv.Logger.Printf("# warning shown")
	require.NoError(t, cfg.Set("loglevel", "debug"))
	srv.Logger.Printf(". debug shown")
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	require.Contains(t, out, "* notice shown")
	require.NotContains(t, out, "notice hidden")
	require.Contains(t, out, "# warning shown")
	require.Contains(t, out, ". debug shown")
}

type admLockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l admLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestAdminConfigTimeout(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	idle := admDial(t, s.Addr)
	require.Equal(t, "+PONG\r\n", idle.do("PING"))
	sub := admDial(t, s.Addr)
	require.True(t, strings.HasPrefix(sub.do("SUBSCRIBE", "ch"), "*3\r\n"))
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "timeout", "1"))
	// Redis closes clients idle for more than timeout seconds, checked
	// about once a second.
	require.True(t, idle.closed(5*time.Second), "idle client closed")
	require.False(t, sub.closed(100*time.Millisecond), "subscribers are exempt")
	require.Equal(t, "OK", admDo(t, c, "CONFIG", "SET", "timeout", "0"))
}

func TestAdminConfigRewrite(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	require.Equal(t, "ERR The server is running without a config file", admErr(t, c, "CONFIG", "REWRITE"))

	conf := filepath.Join(t.TempDir(), "shale.conf")
	require.NoError(t, os.WriteFile(conf, []byte("# my settings\nmaxclients 100\ntimeout 0\nslowlog-max-len 5\n"), 0o644))
	srv := admStartWithFile(t, conf)
	c2 := redis.NewClient(&redis.Options{Addr: srv.Addr().String(), DisableIdentity: true, Protocol: 2})
	t.Cleanup(func() { c2.Close() })
	require.Equal(t, "OK", admDo(t, c2, "CONFIG", "SET", "maxclients", "200", "maxmemory", "64mb", "requirepass", `a "b`))
	require.Equal(t, "OK", admDo(t, c2, "CONFIG", "REWRITE"))
	b, err := os.ReadFile(conf)
	require.NoError(t, err)
	text := string(b)
	require.True(t, strings.HasPrefix(text, "# my settings\nmaxclients 200\ntimeout 0\nslowlog-max-len 5\n"), text)
	require.Contains(t, text, "\n# Generated by CONFIG REWRITE\n")
	require.Contains(t, text, "\nmaxmemory 64mb\n")
	require.Contains(t, text, "\nrequirepass \"a \\\"b\"\n")
	require.Contains(t, text, "\nport 0\n", "command-line overrides are persisted like Redis")

	cfg, err := config.Load([]string{conf})
	require.NoError(t, err)
	require.Equal(t, int64(200), cfg.Int("maxclients"))
	require.Equal(t, int64(64<<20), cfg.Int("maxmemory"))
	require.Equal(t, `a "b`, cfg.Get("requirepass"))
	require.Equal(t, conf, admInfo(t, c2, "server")["config_file"])
}

func TestAdminConfigHelp(t *testing.T) {
	s := servertest.Start(t)
	v := admDo(t, s.Client(), "CONFIG", "HELP").([]any)
	require.Len(t, v, 11)
	require.Equal(t, "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", v[0])
	require.Equal(t, "GET <pattern>", v[1])
	require.Equal(t, "    Prints this help.", v[10])
}

// ---------------------------------------------------------------------------
// TIME, SHUTDOWN

func TestAdminTime(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	v := admDo(t, c, "TIME").([]any)
	require.Len(t, v, 2)
	sec, err := strconv.ParseInt(v[0].(string), 10, 64)
	require.NoError(t, err)
	usec, err := strconv.ParseInt(v[1].(string), 10, 64)
	require.NoError(t, err)
	require.InDelta(t, time.Now().Unix(), sec, 5)
	require.True(t, usec >= 0 && usec < 1e6, "%d", usec)
	tm, err := c.Time(admCtx).Result()
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), tm, 5*time.Second)
	require.Equal(t, "ERR wrong number of arguments for 'time' command", admErr(t, c, "TIME", "x"))
}

func TestAdminShutdown(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"SHUTDOWN", "ABORT"}, "ERR No shutdown in progress."},
		{[]any{"SHUTDOWN", "FOO"}, "ERR syntax error"},
		{[]any{"SHUTDOWN", "NOSAVE", "SAVE"}, "ERR syntax error"},
		{[]any{"SHUTDOWN", "ABORT", "NOW"}, "ERR syntax error"},
	} {
		require.Equal(t, tc.want, admErr(t, c, tc.args...), "%v", tc.args)
	}
	require.Equal(t, "OK", admDo(t, c, "SET", "kept", "yes"))
	other := admDial(t, s.Addr)
	require.Equal(t, "+PONG\r\n", other.do("PING"))

	rc := admDial(t, s.Addr)
	rc.send("SHUTDOWN", "SAVE")
	// No reply: the connection is closed and the server stops.
	require.True(t, rc.closed(5*time.Second))
	select {
	case <-s.Srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server did not shut down")
	}
	require.True(t, other.closed(5*time.Second), "every client is disconnected")
	_, err := net.DialTimeout("tcp", s.Addr, time.Second)
	require.Error(t, err, "no longer listening")

	s.Restart()
	require.Equal(t, "yes", admDo(t, s.Client(), "GET", "kept"))
}
