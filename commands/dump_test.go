package commands_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/rdb/rdbtest"
	"github.com/shaledb/shale/server/servertest"
	"github.com/shaledb/shale/tools"
	"github.com/stretchr/testify/require"
)

// dumpRealRedis starts redis-server 7.0 on a random loopback port, with
// extra configuration arguments.
func dumpRealRedis(t *testing.T, extra ...string) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("!!! redis-server NOT INSTALLED: DUMP/RESTORE comparison skipped !!!")
	}
	dir := t.TempDir()
	for attempt := 0; attempt < 5; attempt++ {
		port := 20000 + rand.Intn(20000)
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, extra...)
		cmd := exec.Command(bin, args...)
		require.NoError(t, cmd.Start())
		addr := "127.0.0.1:" + strconv.Itoa(port)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if log, _ := os.ReadFile(filepath.Join(dir, "redis.log")); !bytes.Contains(log, []byte("Address already in use")) {
			t.Fatalf("redis-server did not start:\n%s", log)
		}
	}
	t.Fatal("no free port for redis-server")
	return nil
}

func dumpReply(c *redis.Client, args ...any) string {
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil {
		if err == redis.Nil {
			return "(nil)"
		}
		return "ERR:" + err.Error()
	}
	return fmt.Sprintf("%v", v)
}

// fillAllTypes writes every type in small and large encodings.
func fillAllTypes(t *testing.T, c *redis.Client) []string {
	ctx := context.Background()
	do := func(args ...any) {
		require.NoError(t, c.Do(ctx, args...).Err(), "%v", args)
	}
	do("SET", "s:int", "12345")
	do("SET", "s:neg", "-7")
	do("SET", "s:str", "hello world")
	do("SET", "s:bin", "\x00\xff\x01binary")
	do("SET", "s:big", strings.Repeat("abcdefgh", 10000))
	do("SET", "s:ttl", "v", "PX", "500000")
	do("RPUSH", "l:small", "a", "1", "b", "-300", "99999999999")
	big := []any{"RPUSH", "l:big"}
	for i := 0; i < 1000; i++ {
		big = append(big, fmt.Sprintf("elem-%d-%s", i, strings.Repeat("x", i%70)))
	}
	do(big...)
	do("SADD", "set:ints", "1", "2", "3", "-40000", "5000000000")
	do("SADD", "set:strs", "a", "b", "c")
	bigset := []any{"SADD", "set:big"}
	for i := 0; i < 600; i++ {
		bigset = append(bigset, "m"+strconv.Itoa(i))
	}
	do(bigset...)
	do("HSET", "h:small", "f1", "v1", "f2", "2")
	bighash := []any{"HSET", "h:big"}
	for i := 0; i < 300; i++ {
		bighash = append(bighash, "f"+strconv.Itoa(i), strings.Repeat("v", i))
	}
	do(bighash...)
	do("ZADD", "z:small", "1", "a", "2.5", "b", "-3.25", "c", "inf", "d", "-inf", "e")
	bigz := []any{"ZADD", "z:big"}
	for i := 0; i < 300; i++ {
		bigz = append(bigz, strconv.FormatFloat(float64(i)*0.1, 'g', -1, 64), "member-"+strconv.Itoa(i))
	}
	do(bigz...)
	do("PEXPIRE", "z:big", "900000")
	for i := 1; i <= 30; i++ {
		do("XADD", "x:s", fmt.Sprintf("%d-%d", 1000+i/3, i), "f", strconv.Itoa(i), "dup", "a", "dup", "b")
	}
	do("XDEL", "x:s", "1001-3")
	do("XGROUP", "CREATE", "x:s", "g1", "0")
	do("XGROUP", "CREATE", "x:s", "g2", "$")
	do("XGROUP", "CREATECONSUMER", "x:s", "g2", "idle")
	do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "4", "STREAMS", "x:s", ">")
	do("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "x:s", ">")
	do("XACK", "x:s", "g1", "1000-1")
	do("XADD", "x:empty", "5-5", "a", "b")
	do("XDEL", "x:empty", "5-5")
	return []string{"x:s", "x:empty", "s:int", "s:neg", "s:str", "s:bin", "s:big", "s:ttl", "l:small", "l:big", "set:ints", "set:strs", "set:big", "h:small", "h:big", "z:small", "z:big"}
}

// content reads a key back as comparable text.
func content(t *testing.T, c *redis.Client, key string) string {
	ctx := context.Background()
	typ, err := c.Type(ctx, key).Result()
	require.NoError(t, err)
	var v any
	switch typ {
	case "string":
		v, err = c.Get(ctx, key).Result()
	case "list":
		v, err = c.LRange(ctx, key, 0, -1).Result()
	case "set":
		var m []string
		m, err = c.SMembers(ctx, key).Result()
		sort.Strings(m)
		v = m
	case "hash":
		v, err = c.HGetAll(ctx, key).Result()
	case "zset":
		v, err = c.Do(ctx, "ZRANGE", key, 0, -1, "WITHSCORES").Result()
	case "stream":
		var r, info any
		r, err = c.Do(ctx, "XRANGE", key, "-", "+").Result()
		require.NoError(t, err)
		info, err = c.Do(ctx, "XINFO", "STREAM", key, "FULL").Result()
		v = []any{r, info}
	case "none":
		return "none"
	}
	require.NoError(t, err)
	return fmt.Sprintf("%s %v", typ, v)
}

func TestDumpRestoreRoundTripWithRedis(t *testing.T) {
	ctx := context.Background()
	r := dumpRealRedis(t)
	s := servertest.Start(t)
	sh := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer sh.Close()
	keys := fillAllTypes(t, r)
	for _, k := range keys {
		// Redis -> Shale
		payload, err := r.Dump(ctx, k).Result()
		require.NoError(t, err)
		pttl, err := r.PTTL(ctx, k).Result()
		require.NoError(t, err)
		ttl := int64(0)
		if pttl > 0 {
			ttl = pttl.Milliseconds()
		}
		require.Equal(t, "OK", dumpReply(sh, "RESTORE", k, ttl, payload), k)
		want := content(t, r, k)
		require.Equal(t, want, content(t, sh, k), k)
		if ttl > 0 {
			got := sh.PTTL(ctx, k).Val().Milliseconds()
			require.InDelta(t, ttl, got, 5000, k)
		} else {
			require.Equal(t, "-1", dumpReply(sh, "PTTL", k))
		}
		// Shale -> Redis, under another name
		sp, err := sh.Dump(ctx, k).Result()
		require.NoError(t, err)
		require.Equal(t, "OK", dumpReply(r, "RESTORE", k+":back", 0, sp), k)
		require.Equal(t, want, content(t, r, k+":back"), k)
		// Shale's payload restores into Shale too (REPLACE).
		require.Equal(t, "OK", dumpReply(sh, "RESTORE", k, 0, sp, "REPLACE"), k)
		require.Equal(t, want, content(t, sh, k), k)
	}
}

func TestDumpRestoreErrorsLikeRedis(t *testing.T) {
	ctx := context.Background()
	r := dumpRealRedis(t)
	s := servertest.Start(t)
	sh := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer sh.Close()
	for _, c := range []*redis.Client{r, sh} {
		require.NoError(t, c.Set(ctx, "exists", "v", 0).Err())
		require.NoError(t, c.RPush(ctx, "list", "a", "b").Err())
	}
	good, err := r.Dump(ctx, "list").Result()
	require.NoError(t, err)
	flipped := []byte(good)
	flipped[3] ^= 0xff
	newer := []byte(good)
	newer[len(newer)-10] = 11 // RDB 11 (Redis 7.2): Redis 7.0 refuses it; so does the checksum
	cases := [][]any{
		{"DUMP", "nosuchkey"},
		{"RESTORE", "k", "0", "garbage"},
		{"RESTORE", "k", "0", ""},
		{"RESTORE", "k", "0", string(flipped)},
		{"RESTORE", "k", "0", string(newer)},
		{"RESTORE", "exists", "0", good},
		{"RESTORE", "k", "-1", good},
		{"RESTORE", "k", "abc", good},
		{"RESTORE", "k", "0", good, "BADOPT"},
		{"RESTORE", "k", "0", good, "IDLETIME", "-1"},
		{"RESTORE", "k", "0", good, "IDLETIME", "x"},
		{"RESTORE", "k", "0", good, "FREQ", "256"},
		{"RESTORE", "k", "0", good, "FREQ", "1", "IDLETIME", "1"},
		{"RESTORE", "k", "0", good, "IDLETIME"},
		{"RESTORE", "exists", "-1", good},
		{"RESTORE", "exists", "0", good, "REPLACE", "IDLETIME", "10"},
		{"TYPE", "exists"},
		{"RESTORE", "k2", "1000", good, "ABSTTL"},
		{"EXISTS", "k2"},
		{"RESTORE", "exists", "1000", good, "ABSTTL", "REPLACE"},
		{"EXISTS", "exists"},
		{"RESTORE", "k3", "100000", good, "FREQ", "5"},
		{"LRANGE", "k3", "0", "-1"},
		{"RESTORE"},
		{"DUMP"},
	}
	for _, cmd := range cases {
		want := dumpReply(r, cmd...)
		got := dumpReply(sh, cmd...)
		require.Equal(t, want, got, "%q", cmd)
	}
	// An empty-list payload (type 1, length 0) is refused, nothing written.
	require.Equal(t, dumpReply(r, "RESTORE", "e", "0", "\x01\x00\x0a\x00"+crcOf("\x01\x00\x0a\x00")), dumpReply(sh, "RESTORE", "e", "0", "\x01\x00\x0a\x00"+crcOf("\x01\x00\x0a\x00")))
	require.Equal(t, "0", dumpReply(sh, "EXISTS", "e"))
}

// crcOf returns the 8-byte little-endian CRC64 trailer of a payload body.
func crcOf(body string) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rdb.CRC64(0, []byte(body)))
	return string(b[:])
}

func TestDumpSaveBgsaveLastsave(t *testing.T) {
	ctx := context.Background()
	s := servertest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c.Close()
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	require.NoError(t, c.RPush(ctx, "l", "x", "y").Err())
	info := c.Info(ctx, "persistence").Val()
	require.Contains(t, info, "rdb_bgsave_in_progress:0")
	require.NotContains(t, info, "rdb_changes_since_last_save:0\r")

	before := dumpReply(c, "LASTSAVE")
	require.Equal(t, "OK", dumpReply(c, "SAVE"))
	path := filepath.Join(s.Dir, "dump.rdb")
	got, err := rdbtestFromFile(path)
	require.NoError(t, err)
	require.Equal(t, "1", got["0/a"])
	require.Equal(t, "x,y", got["0/l"])
	info = c.Info(ctx, "persistence").Val()
	require.Contains(t, info, "rdb_changes_since_last_save:0\r")
	require.Contains(t, info, "rdb_saves:1\r")
	require.Contains(t, info, "rdb_last_bgsave_status:ok")
	after, _ := strconv.ParseInt(dumpReply(c, "LASTSAVE"), 10, 64)
	b, _ := strconv.ParseInt(before, 10, 64)
	require.GreaterOrEqual(t, after, b)
	require.InDelta(t, time.Now().Unix(), after, 5)

	c3 := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2, DB: 3})
	defer c3.Close()
	require.NoError(t, c3.Set(ctx, "b", "2", 0).Err())
	require.Equal(t, "ERR:ERR syntax error", dumpReply(c, "BGSAVE", "NOW"))
	require.Equal(t, "Background saving started", dumpReply(c, "BGSAVE"))
	require.Eventually(t, func() bool {
		return strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0") &&
			strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_saves:2\r")
	}, 10*time.Second, 20*time.Millisecond)
	got, err = rdbtestFromFile(path)
	require.NoError(t, err)
	require.Equal(t, "2", got["3/b"])
	require.Equal(t, "ERR:ERR wrong number of arguments for 'lastsave' command", dumpReply(c, "LASTSAVE", "x"))
}

// rdbtestFromFile reads an RDB file into "db/key" -> value (lists joined).
func rdbtestFromFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	var cur []string
	err = rdb.NewReader(f).Parse(func(e *rdb.Event) error {
		switch e.Type {
		case rdb.EvKey:
			cur = nil
		case rdb.EvString, rdb.EvListElem:
			cur = append(cur, string(e.Value))
		case rdb.EvKeyEnd:
			out[fmt.Sprintf("%d/%s", e.DB, e.Key)] = strings.Join(cur, ",")
		}
		return nil
	})
	return out, err
}

// allTypesFixture is the shared RDB fixture written by Redis 7.0.15 with
// every type (the test is skipped loudly when ../shared is missing).
func allTypesFixture(t *testing.T) []byte {
	t.Helper()
	fx := rdbtest.FixturesDir()
	if fx == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: first-start import test skipped !!!")
	}
	b, err := os.ReadFile(filepath.Join(fx, "redis-7.0.15-all-types.rdb"))
	require.NoError(t, err)
	return b
}

func TestDumpFirstStartImportsDumpFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := allTypesFixture(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.rdb"), b, 0o644))
	s := servertest.Start(t, "--dir", dir)
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	waitLoaded(t, c)
	require.EqualValues(t, 59, c.DBSize(ctx).Val()) // db0 of the fixture
	require.Contains(t, c.Info(ctx, "persistence").Val(), "rdb_changes_since_last_save:0\r\n", "loading is not a change")
	require.Equal(t, "0012", c.Get(ctx, "str:notint").Val())
	require.EqualValues(t, 12000, c.LLen(ctx, "list:large").Val())
	require.EqualValues(t, 4102444800000, c.Do(ctx, "PEXPIRETIME", "str:ttl").Val())
	require.EqualValues(t, 988, c.XLen(ctx, "stream:main").Val())
	libs, err := c.Do(ctx, "FUNCTION", "LIST").Slice()
	require.NoError(t, err)
	require.Len(t, libs, 2)
	c.Close()

	// Started once: a FLUSHALL survives a restart, the old dump is not
	// imported again.
	s.Restart()
	c = redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c.Close()
	require.EqualValues(t, 59, c.DBSize(ctx).Val())
	require.NoError(t, c.FlushAll(ctx).Err())
	s.Restart()
	c2 := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c2.Close()
	require.EqualValues(t, 0, c2.DBSize(ctx).Val())
}

// A truncated dump.rdb is refused at the first start without leaving a
// partial import (or the import's sort files) behind; the directory stays
// unmarked, so a good file is imported at the next start.
func TestDumpFirstStartRefusesTruncatedDumpFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := allTypesFixture(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.rdb"), b[:len(b)*2/3], 0o644))
	s := servertest.Start(t, "--dir", dir)
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	waitLoaded(t, c)
	for db := 0; db < 16; db++ {
		require.NoError(t, c.Do(ctx, "SELECT", db).Err())
		require.EqualValues(t, 0, c.DBSize(ctx).Val(), "db %d", db)
	}
	require.Equal(t, "", c.Get(ctx, "str:notint").Val())
	c.Close()
	left, _ := filepath.Glob(filepath.Join(dir, "import-sort-*"))
	require.Empty(t, left)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.rdb"), b, 0o644))
	s.Restart()
	c = redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c.Close()
	waitLoaded(t, c)
	require.EqualValues(t, 59, c.DBSize(ctx).Val())
}

// waitLoaded waits until the server's first-start import is over.
func waitLoaded(t *testing.T, c *redis.Client) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		info, err := c.Info(context.Background(), "persistence").Result()
		require.NoError(t, err)
		if strings.Contains(info, "\nloading:0\r\n") { // not async_loading
			return
		}
	}
	t.Fatal("the server is still loading")
}

// While the first-start import loads a big dump.rdb the server answers as
// Redis does while loading: LOADING to data commands, INFO with the
// loading figures; a SHUTDOWN meanwhile stops the import and the next
// start imports the file again.
func TestDumpFirstStartAnswersLoading(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// 1.5M keys: long enough to be caught loading.
	f, err := os.Create(filepath.Join(dir, "dump.rdb"))
	require.NoError(t, err)
	bw := bufio.NewWriterSize(f, 1<<20)
	w := rdb.NewWriter(bw, 10)
	w.Header()
	w.SelectDB(0)
	const n = 1500000
	for i := 0; i < n; i++ {
		w.Key(rdb.TypeString, []byte(fmt.Sprintf("key:%08d", i)))
		w.String([]byte("value"))
	}
	require.NoError(t, w.End())
	require.NoError(t, bw.Flush())
	require.NoError(t, f.Close())

	s := servertest.Start(t, "--dir", dir)
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2, MaxRetries: -1})
	require.EqualError(t, c.Get(ctx, "key:00000001").Err(), "LOADING Redis is loading the dataset in memory")
	require.EqualError(t, c.Ping(ctx).Err(), "LOADING Redis is loading the dataset in memory")
	info, err := c.Info(ctx, "persistence").Result()
	require.NoError(t, err)
	require.Contains(t, info, "\nloading:1\r\n")
	require.Regexp(t, `loading_total_bytes:[1-9][0-9]*\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:[0-9]+\r\nloading_loaded_perc:[0-9]+\.[0-9]{2}\r\nloading_eta_seconds:[0-9]+\r\n`, info)
	// In MULTI the refused command aborts the transaction.
	pipe := c.TxPipeline()
	pipe.Set(ctx, "x", "1", 0)
	_, err = pipe.Exec(ctx)
	require.Error(t, err)
	c.Close()

	// A shutdown in the middle: nothing half-loaded, imported next time.
	s.Restart()
	c = redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c.Close()
	waitLoaded(t, c)
	require.EqualValues(t, n, c.DBSize(ctx).Val())
	require.Equal(t, "value", c.Get(ctx, "key:01234567").Val())
}

// "save <seconds> <changes>" points start a background save as Redis's
// cron does, and SHUTDOWN SAVE writes the file before exiting.
func TestDumpSavePointsAndShutdownSave(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir, "--save", "1 3")
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c.Close()
	path := filepath.Join(dir, "dump.rdb")
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	require.NoError(t, c.Set(ctx, "b", "2", 0).Err())
	time.Sleep(1500 * time.Millisecond)
	_, err := os.Stat(path)
	require.True(t, os.IsNotExist(err), "2 changes do not reach the 3-change point")
	require.NoError(t, c.Set(ctx, "c", "3", 0).Err())
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := c.Info(ctx, "persistence").Val()
		if strings.Contains(info, "rdb_changes_since_last_save:0\r\n") && strings.Contains(info, "rdb_bgsave_in_progress:0\r\n") {
			break
		}
		require.True(t, time.Now().Before(deadline), "no save started: %s", info)
		time.Sleep(50 * time.Millisecond)
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	rep, err := tools.Verify(f, 0)
	f.Close()
	require.NoError(t, err)
	require.EqualValues(t, 3, rep.DBs[0].Keys[0])

	// CONFIG SET save "" turns the points off.
	require.NoError(t, c.ConfigSet(ctx, "save", "").Err())
	require.NoError(t, os.Remove(path))
	for i := 0; i < 5; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprint("k", i), "v", 0).Err())
	}
	time.Sleep(1500 * time.Millisecond)
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err))

	// SHUTDOWN SAVE writes the file (8 keys now).
	require.Error(t, c.Do(ctx, "SHUTDOWN", "SAVE").Err()) // the connection closes
	s.Stop()
	f, err = os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rep, err = tools.Verify(f, 0)
	require.NoError(t, err)
	require.EqualValues(t, 8, rep.DBs[0].Keys[0])
}
