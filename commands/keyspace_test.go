package commands_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/commands"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Helpers of this file carry a "ks" prefix: the package's test files are
// written by several people.

// ksDo runs a command and requires it to succeed.
func ksDo(t *testing.T, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := servertest.Do(c, args...)
	if err == redis.Nil {
		return nil
	}
	require.NoError(t, err, "%v", args)
	return v
}

// ksErr runs a command and requires the exact error text.
func ksErr(t *testing.T, c *redis.Client, want string, args ...any) {
	t.Helper()
	_, err := servertest.Do(c, args...)
	require.Error(t, err, "%v", args)
	require.Equal(t, want, err.Error(), "%v", args)
}

// ksDB returns a client on database db.
func ksDB(s *servertest.Server, db int) *redis.Client {
	return s.ClientWith(&redis.Options{DB: db})
}

// ksHash creates a hash-typed key with n fields directly through the
// engine (the generic keyspace code must not care which type it moves).
func ksHash(t *testing.T, s *servertest.Server, db int, key string, n int, valueLen int) {
	t.Helper()
	e := s.Srv.Engine
	var g engine.Guard
	e.LockKeys(&g, db, [][]byte{[]byte(key)}, true)
	defer g.Unlock()
	tx := e.Begin(db)
	m := encoding.Metadata{Type: encoding.TypeHash, Version: e.NewVersion(), Size: uint64(n)}
	require.NoError(t, tx.PutMeta([]byte(key), m.Encode(nil)))
	mk := encoding.MetaKey(e.Physical(db), []byte(key))
	for i := 0; i < n; i++ {
		sk := append(encoding.AppendSubKey(nil, mk, m.Version, encoding.TagField), fmt.Sprintf("f%d", i)...)
		v := []byte(fmt.Sprintf("v%d", i))
		for len(v) < valueLen {
			v = append(v, 'x')
		}
		tx.Batch().Set(sk, v)
	}
	require.NoError(t, tx.Commit())
}

// ksFields reads back the fields of a hash key created by ksHash.
func ksFields(t *testing.T, s *servertest.Server, db int, key string) map[string]string {
	t.Helper()
	e := s.Srv.Engine
	mk := encoding.MetaKey(e.Physical(db), []byte(key))
	raw, ok, err := e.Store().Get(nil, mk)
	require.NoError(t, err)
	if !ok {
		return nil
	}
	m, err := encoding.DecodeMetadata(raw)
	require.NoError(t, err)
	lo, hi := encoding.VersionRange(mk, m.Version)
	it, err := e.Store().NewIter(lo, hi)
	require.NoError(t, err)
	defer it.Close()
	out := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		out[string(it.Key()[len(mk)+9:])] = string(it.Value())
	}
	return out
}

// ksRecords counts every record (metadata and sub-records, any version)
// stored under key in db.
func ksRecords(t *testing.T, s *servertest.Server, db int, key string) int {
	t.Helper()
	e := s.Srv.Engine
	mk := encoding.MetaKey(e.Physical(db), []byte(key))
	it, err := e.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

func ksStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	sort.Strings(out)
	return out
}

func TestKeyspaceDelExistsTouchType(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ksDo(t, c, "SET", "a", "1")
	ksDo(t, c, "SET", "b", "2")
	require.Equal(t, int64(3), ksDo(t, c, "EXISTS", "a", "a", "b", "nokey"))
	require.Equal(t, int64(2), ksDo(t, c, "TOUCH", "a", "b", "nokey"))
	require.Equal(t, "string", ksDo(t, c, "TYPE", "a"))
	require.Equal(t, "none", ksDo(t, c, "TYPE", "nokey"))
	ksHash(t, s, 0, "h", 3, 0)
	require.Equal(t, "hash", ksDo(t, c, "TYPE", "h"))
	require.Equal(t, int64(3), ksDo(t, c, "DBSIZE"))

	// Repeated keys count once: the second is already gone.
	require.Equal(t, int64(1), ksDo(t, c, "DEL", "a", "a", "nokey"))
	require.Equal(t, int64(0), ksDo(t, c, "EXISTS", "a"))
	require.Equal(t, int64(2), ksDo(t, c, "UNLINK", "b", "h"))
	require.Equal(t, int64(0), ksDo(t, c, "DBSIZE"))
	require.Equal(t, 0, ksRecords(t, s, 0, "h"), "a deleted hash leaves no records")

	ksErr(t, c, "ERR wrong number of arguments for 'del' command", "DEL")
	ksErr(t, c, "ERR wrong number of arguments for 'exists' command", "EXISTS")
	ksErr(t, c, "ERR wrong number of arguments for 'type' command", "TYPE", "a", "b")
	ksErr(t, c, "ERR wrong number of arguments for 'dbsize' command", "DBSIZE", "x")

	// An expired key reads as absent everywhere and DEL of it replies 0.
	ksDo(t, c, "SET", "e", "1", "PX", "1")
	require.Eventually(t, func() bool { return ksDo(t, c, "EXISTS", "e") == int64(0) }, 2e9, 1e6)
	require.Equal(t, "none", ksDo(t, c, "TYPE", "e"))
	require.Equal(t, int64(0), ksDo(t, c, "DEL", "e"))
}

func TestKeyspaceStats(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	st := &s.Srv.Engine.Stats
	ksDo(t, c, "SET", "a", "1")
	check := func(hits, misses int64, args ...any) {
		t.Helper()
		h0, m0 := st.KeyspaceHits.Load(), st.KeyspaceMisses.Load()
		_, _ = servertest.Do(c, args...)
		require.Equal(t, hits, st.KeyspaceHits.Load()-h0, "hits of %v", args)
		require.Equal(t, misses, st.KeyspaceMisses.Load()-m0, "misses of %v", args)
	}
	// As counted by Redis 7.0 (observed with INFO stats).
	check(1, 0, "TYPE", "a")
	check(0, 1, "TYPE", "no")
	check(1, 1, "EXISTS", "a", "no")
	check(1, 0, "TTL", "a")
	check(0, 1, "PTTL", "no")
	check(1, 0, "EXPIRETIME", "a")
	check(1, 1, "TOUCH", "a", "no")
	check(1, 0, "OBJECT", "ENCODING", "a")
	check(0, 1, "OBJECT", "REFCOUNT", "no")
	check(1, 0, "COPY", "a", "b")
	check(0, 1, "COPY", "no", "b")
	check(0, 0, "RENAME", "a", "c")
	check(0, 0, "MOVE", "c", "1")
	check(0, 0, "EXPIRE", "b", "100")
	check(0, 0, "PERSIST", "b")
	check(0, 0, "DEL", "b")
	ksDo(t, c, "SET", "x", "1")
	ksDo(t, c, "SET", "y", "1")
	check(0, 0, "KEYS", "*")
	check(0, 0, "SCAN", "0")
	check(0, 0, "RANDOMKEY")
	check(2, 0, "SCAN", "0", "TYPE", "string")
	check(1, 0, "SCAN", "0", "TYPE", "string", "MATCH", "x")
}

func TestKeyspaceRename(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ksErr(t, c, "ERR no such key", "RENAME", "no", "x")
	ksErr(t, c, "ERR no such key", "RENAME", "no", "no")
	ksErr(t, c, "ERR no such key", "RENAMENX", "no", "x")
	ksErr(t, c, "ERR wrong number of arguments for 'rename' command", "RENAME", "a")
	ksErr(t, c, "ERR wrong number of arguments for 'renamenx' command", "RENAMENX", "a", "b", "c")

	ksDo(t, c, "SET", "a", "1", "EX", "100")
	require.Equal(t, "OK", ksDo(t, c, "RENAME", "a", "a"))
	require.Equal(t, int64(0), ksDo(t, c, "RENAMENX", "a", "a"))
	require.Equal(t, "OK", ksDo(t, c, "RENAME", "a", "b"))
	require.Equal(t, int64(0), ksDo(t, c, "EXISTS", "a"))
	require.Equal(t, "1", ksDo(t, c, "GET", "b"))
	ttl := ksDo(t, c, "TTL", "b").(int64)
	require.True(t, ttl > 90 && ttl <= 100, "RENAME keeps the TTL: %d", ttl)

	ksDo(t, c, "SET", "c", "3")
	require.Equal(t, int64(0), ksDo(t, c, "RENAMENX", "b", "c"))
	require.Equal(t, "3", ksDo(t, c, "GET", "c"))
	require.Equal(t, "OK", ksDo(t, c, "RENAME", "b", "c"))
	require.Equal(t, "1", ksDo(t, c, "GET", "c"))
	require.NotEqual(t, int64(-1), ksDo(t, c, "TTL", "c"), "the replaced value's TTL is the source's")
	require.Equal(t, int64(1), ksDo(t, c, "RENAMENX", "c", "d"))
	require.Equal(t, int64(1), ksDo(t, c, "DBSIZE"))
	require.Equal(t, int64(1), s.Srv.Engine.ExpiresCount(0))

	// Collections move with all their records, onto a string too.
	ksHash(t, s, 0, "h", 50, 0)
	require.Equal(t, "OK", ksDo(t, c, "RENAME", "h", "d"))
	require.Equal(t, "hash", ksDo(t, c, "TYPE", "d"))
	f := ksFields(t, s, 0, "d")
	require.Len(t, f, 50)
	require.Equal(t, "v42", f["f42"])
	require.Equal(t, 0, ksRecords(t, s, 0, "h"))
	require.Equal(t, int64(-1), ksDo(t, c, "TTL", "d"))
	require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(0))
	// ... and a hash over a hash leaves nothing of the old one behind.
	ksHash(t, s, 0, "h2", 3, 0)
	require.Equal(t, "OK", ksDo(t, c, "RENAME", "h2", "d"))
	require.Len(t, ksFields(t, s, 0, "d"), 3)
	require.Equal(t, 4, ksRecords(t, s, 0, "d"), "metadata + 3 fields")
	require.Equal(t, int64(1), ksDo(t, c, "DBSIZE"))
}

func TestKeyspaceCopy(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	c2 := ksDB(s, 2)
	ksDo(t, c, "SET", "a", "1")
	ksErr(t, c, "ERR source and destination objects are the same", "COPY", "a", "a")
	ksErr(t, c, "ERR source and destination objects are the same", "COPY", "a", "a", "DB", "0")
	ksErr(t, c, "ERR source and destination objects are the same", "COPY", "no", "no")
	ksErr(t, c, "ERR syntax error", "COPY", "a", "b", "DB")
	ksErr(t, c, "ERR syntax error", "COPY", "a", "b", "foo")
	ksErr(t, c, "ERR value is not an integer or out of range", "COPY", "a", "b", "DB", "x")
	ksErr(t, c, "ERR DB index is out of range", "COPY", "a", "b", "DB", "16")
	ksErr(t, c, "ERR DB index is out of range", "COPY", "a", "b", "DB", "-1")
	ksErr(t, c, "ERR DB index is out of range", "COPY", "no", "b", "DB", "99")
	ksErr(t, c, "ERR value is out of range, value must between -2147483648 and 2147483647", "COPY", "a", "b", "DB", "99999999999")
	ksErr(t, c, "ERR wrong number of arguments for 'copy' command", "COPY", "a")
	require.Equal(t, int64(1), ksDo(t, c, "DBSIZE"), "errors change nothing")
	require.Equal(t, int64(0), ksDo(t, c, "COPY", "no", "b"))

	require.Equal(t, int64(1), ksDo(t, c, "COPY", "a", "b"))
	require.Equal(t, int64(0), ksDo(t, c, "COPY", "a", "b"))
	ksDo(t, c, "SET", "a", "new", "PX", "100000")
	require.Equal(t, int64(1), ksDo(t, c, "COPY", "a", "b", "REPLACE"))
	require.Equal(t, "new", ksDo(t, c, "GET", "b"))
	pttl := ksDo(t, c, "PTTL", "b").(int64)
	require.True(t, pttl > 90000 && pttl <= 100000, "COPY copies the TTL: %d", pttl)
	require.Equal(t, int64(1), ksDo(t, c, "COPY", "a", "a", "DB", "2"))
	require.Equal(t, "new", ksDo(t, c2, "GET", "a"))
	require.Equal(t, int64(1), ksDo(t, c, "COPY", "a", "x", "replace", "REPLACE", "db", "1", "DB", "2"))
	require.Equal(t, "new", ksDo(t, c2, "GET", "x"))
	require.Equal(t, int64(2), ksDo(t, c2, "DBSIZE"))
	require.Equal(t, int64(2), s.Srv.Engine.ExpiresCount(2))

	// A collection copy is independent of its source.
	ksHash(t, s, 0, "h", 10, 0)
	require.Equal(t, int64(1), ksDo(t, c, "COPY", "h", "h", "DB", "2"))
	require.Equal(t, int64(1), ksDo(t, c, "COPY", "h", "a", "REPLACE"))
	require.Equal(t, "hash", ksDo(t, c, "TYPE", "a"))
	require.Equal(t, int64(-1), ksDo(t, c, "TTL", "a"))
	require.Len(t, ksFields(t, s, 2, "h"), 10)
	require.Len(t, ksFields(t, s, 0, "a"), 10)
	require.Equal(t, int64(1), ksDo(t, c, "DEL", "h"))
	require.Equal(t, "v7", ksFields(t, s, 2, "h")["f7"])
	require.Equal(t, "v7", ksFields(t, s, 0, "a")["f7"])
	require.Equal(t, int64(2), ksDo(t, c, "DBSIZE"))
	require.Equal(t, int64(3), ksDo(t, c2, "DBSIZE"))
}

func TestKeyspaceMove(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	c1 := ksDB(s, 1)
	ksDo(t, c, "SET", "a", "1", "EX", "100")
	ksErr(t, c, "ERR source and destination objects are the same", "MOVE", "a", "0")
	ksErr(t, c, "ERR source and destination objects are the same", "MOVE", "no", "0")
	ksErr(t, c, "ERR DB index is out of range", "MOVE", "a", "16")
	ksErr(t, c, "ERR DB index is out of range", "MOVE", "a", "-1")
	ksErr(t, c, "ERR value is not an integer or out of range", "MOVE", "a", "x")
	ksErr(t, c, "ERR value is out of range, value must between -2147483648 and 2147483647", "MOVE", "a", "99999999999")
	ksErr(t, c, "ERR wrong number of arguments for 'move' command", "MOVE", "a")
	require.Equal(t, int64(0), ksDo(t, c, "MOVE", "no", "1"))

	require.Equal(t, int64(1), ksDo(t, c, "MOVE", "a", "1"))
	require.Equal(t, int64(0), ksDo(t, c, "EXISTS", "a"))
	require.Equal(t, "1", ksDo(t, c1, "GET", "a"))
	ttl := ksDo(t, c1, "TTL", "a").(int64)
	require.True(t, ttl > 90 && ttl <= 100, "MOVE keeps the TTL: %d", ttl)
	require.Equal(t, int64(0), ksDo(t, c, "DBSIZE"))
	require.Equal(t, int64(1), ksDo(t, c1, "DBSIZE"))
	require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(0))
	require.Equal(t, int64(1), s.Srv.Engine.ExpiresCount(1))

	ksDo(t, c, "SET", "a", "0")
	require.Equal(t, int64(0), ksDo(t, c, "MOVE", "a", "1"), "the target exists")
	require.Equal(t, "0", ksDo(t, c, "GET", "a"))
	require.Equal(t, "1", ksDo(t, c1, "GET", "a"))

	ksHash(t, s, 0, "h", 100, 0)
	require.Equal(t, int64(1), ksDo(t, c, "MOVE", "h", "1"))
	require.Equal(t, "hash", ksDo(t, c1, "TYPE", "h"))
	require.Len(t, ksFields(t, s, 1, "h"), 100)
	require.Equal(t, 0, ksRecords(t, s, 0, "h"))
}

func TestKeyspaceSwapDB(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	c1 := ksDB(s, 1)
	ksErr(t, c, "ERR invalid first DB index", "SWAPDB", "x", "1")
	ksErr(t, c, "ERR invalid second DB index", "SWAPDB", "1", "x")
	ksErr(t, c, "ERR invalid second DB index", "SWAPDB", "0", "99999999999")
	ksErr(t, c, "ERR DB index is out of range", "SWAPDB", "0", "16")
	ksErr(t, c, "ERR DB index is out of range", "SWAPDB", "-1", "0")
	ksErr(t, c, "ERR wrong number of arguments for 'swapdb' command", "SWAPDB", "0", "1", "2")
	require.Equal(t, "OK", ksDo(t, c, "SWAPDB", "0", "0"))

	ksDo(t, c, "SET", "in0", "zero", "EX", "1000")
	ksDo(t, c, "SET", "in0b", "zero")
	ksHash(t, s, 0, "h0", 5, 0)
	ksDo(t, c1, "SET", "in1", "one")
	require.Equal(t, "OK", ksDo(t, c, "SWAPDB", "0", "1"))
	check := func(c, c1 *redis.Client) {
		t.Helper()
		require.Equal(t, "one", ksDo(t, c, "GET", "in1"))
		require.Nil(t, ksDo(t, c, "GET", "in0"))
		require.Equal(t, "zero", ksDo(t, c1, "GET", "in0"))
		require.Equal(t, "hash", ksDo(t, c1, "TYPE", "h0"))
		require.Len(t, ksFields(t, s, 1, "h0"), 5)
		require.Equal(t, int64(1), ksDo(t, c, "DBSIZE"))
		require.Equal(t, int64(3), ksDo(t, c1, "DBSIZE"))
		require.Equal(t, int64(1), s.Srv.Engine.ExpiresCount(1))
		require.Equal(t, []string{"in1"}, ksStrings(ksDo(t, c, "KEYS", "*")))
		require.Equal(t, []string{"h0", "in0", "in0b"}, ksStrings(ksDo(t, c1, "KEYS", "*")))
	}
	check(c, c1)
	// Writes after the swap land in the swapped database.
	ksDo(t, c, "SET", "after", "x")
	require.Equal(t, int64(2), ksDo(t, c, "DBSIZE"))
	ksDo(t, c, "DEL", "after")

	s.Restart()
	c, c1 = s.Client(), ksDB(s, 1)
	check(c, c1)
	// Swapping back restores the original layout, also across a restart.
	require.Equal(t, "OK", ksDo(t, c, "SWAPDB", "1", "0"))
	s.Restart()
	c = s.Client()
	require.Equal(t, "zero", ksDo(t, c, "GET", "in0"))
	require.Equal(t, int64(3), ksDo(t, c, "DBSIZE"))
	require.Equal(t, int64(1), ksDo(t, c, "MOVE", "in0", "5"))
	require.Equal(t, "OK", ksDo(t, c, "SWAPDB", "5", "3"))
	require.Equal(t, "zero", ksDo(t, ksDB(s, 3), "GET", "in0"))
}

func TestKeyspaceFlush(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	c1 := ksDB(s, 1)
	ksErr(t, c, "ERR syntax error", "FLUSHDB", "foo")
	ksErr(t, c, "ERR syntax error", "FLUSHDB", "async", "sync")
	ksErr(t, c, "ERR syntax error", "FLUSHALL", "now")
	for i := 0; i < 100; i++ {
		ksDo(t, c, "SET", fmt.Sprint("k", i), "v", "EX", "1000")
		ksDo(t, c1, "SET", fmt.Sprint("k", i), "v")
	}
	ksHash(t, s, 0, "h", 200, 0)
	require.Equal(t, "OK", ksDo(t, c, "FLUSHDB"))
	require.Equal(t, int64(0), ksDo(t, c, "DBSIZE"))
	require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(0))
	require.Equal(t, int64(100), ksDo(t, c1, "DBSIZE"), "other databases are untouched")
	require.Equal(t, "v", ksDo(t, c1, "GET", "k5"))
	require.Nil(t, ksDo(t, c, "GET", "k5"))
	require.Equal(t, 0, ksRecords(t, s, 0, "h"))
	require.Empty(t, ksDo(t, c, "KEYS", "*"))

	// Counters restart from zero and stay right after more writes and a
	// restart.
	ksDo(t, c, "SET", "k1", "again", "EX", "1000")
	require.Equal(t, "OK", ksDo(t, c, "FLUSHDB", "ASYNC"))
	ksDo(t, c, "SET", "k2", "again")
	s.Restart()
	c, c1 = s.Client(), ksDB(s, 1)
	require.Equal(t, int64(1), ksDo(t, c, "DBSIZE"))
	require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(0))
	require.Equal(t, int64(100), ksDo(t, c1, "DBSIZE"))

	ksDo(t, c, "SET", "t", "v", "EX", "1000")
	require.Equal(t, "OK", ksDo(t, c, "FLUSHALL", "sync"))
	for db := 0; db < 16; db++ {
		require.Equal(t, int64(0), s.Srv.Engine.DBSize(db))
		require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(db))
	}
	it, err := s.Srv.Engine.Store().NewIter([]byte{encoding.NSExpire}, []byte{encoding.NSExpire + 1})
	require.NoError(t, err)
	require.False(t, it.First(), "FLUSHALL empties the expiry index")
	require.NoError(t, it.Close())
	s.Restart()
	c = s.Client()
	require.Equal(t, int64(0), ksDo(t, c, "DBSIZE"))
	require.Equal(t, int64(0), ksDo(t, ksDB(s, 1), "DBSIZE"))
	ksDo(t, c, "SET", "z", "1")
	require.Equal(t, int64(1), ksDo(t, c, "DBSIZE"))
}

func TestKeyspaceKeys(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ksErr(t, c, "ERR wrong number of arguments for 'keys' command", "KEYS")
	require.Empty(t, ksDo(t, c, "KEYS", "*"))
	for _, k := range []string{"", "a", "ab", "abc", "b", "a[", "a\\", "hello", "hallo", "hxllo", "A"} {
		ksDo(t, c, "SET", k, "1")
	}
	ksHash(t, s, 0, "hash", 10, 0)
	ksDo(t, c, "SET", "gone", "1", "PX", "1")
	time.Sleep(5 * time.Millisecond)
	for pat, want := range map[string][]string{
		"*":        {"", "A", "a", "a[", "a\\", "ab", "abc", "b", "hallo", "hash", "hello", "hxllo"},
		"":         {""},
		"a*":       {"a", "a[", "a\\", "ab", "abc"},
		"?":        {"A", "a", "b"},
		"h[ae]llo": {"hallo", "hello"},
		"h[^e]llo": {"hallo", "hxllo"},
		"h[a-b]*":  {"hallo", "hash"},
		"a\\[":     {"a["},
		"a[":       {},
		"a\\":      {"a\\"},
		"**":       {"A", "a", "a[", "a\\", "ab", "abc", "b", "hallo", "hash", "hello", "hxllo"},
		"nomatch":  {},
	} {
		got := ksStrings(ksDo(t, c, "KEYS", pat))
		if len(want) == 0 {
			require.Empty(t, got, "KEYS %q", pat)
		} else {
			require.Equal(t, want, got, "KEYS %q", pat)
		}
	}
}

func TestKeyspaceGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		nocase bool
		want   bool
	}{
		{"*", "anything", false, true},
		{"*", "", false, false}, // callers short-circuit a bare "*"
		{"", "", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"[abc]", "b", false, true},
		{"[^abc]", "b", false, false},
		{"[^abc]", "d", false, true},
		{"[a-c]x", "bx", false, true},
		{"[c-a]x", "bx", false, true},
		{"[a-]", "]", false, true}, // a range from 'a' down to ']'
		{"[\\]]", "]", false, true},
		{"\\*", "*", false, true},
		{"\\*", "a", false, false},
		{"a\\", "a\\", false, true},
		{"[abc", "a", false, true}, // an unterminated class ends the pattern
		{"HeLLo", "hello", true, true},
		{"HeLLo", "hello", false, false},
		{"[A-Z]", "q", true, true},
		{"*a*b*c*", "xxaxxbxxcxx", false, true},
		{"*a*b*c*", "xxaxxcxxbxx", false, false},
		{"[\x80-\xff]", "a", false, false},
		{"[a-\xff]", "a", false, true}, // signed chars: 0xff is -1
	} {
		require.Equal(t, tc.want, commands.GlobMatch([]byte(tc.pat), []byte(tc.s), tc.nocase), "%q ~ %q nocase=%v", tc.pat, tc.s, tc.nocase)
	}
	// Redis stops at 1000 nested '*'.
	long := make([]byte, 1100)
	for i := range long {
		long[i] = 'a'
	}
	pat := func(n int) []byte {
		var p []byte
		for i := 0; i < n; i++ {
			p = append(p, '*', 'a')
		}
		return p
	}
	require.True(t, commands.GlobMatch(pat(1000), long, false))
	require.False(t, commands.GlobMatch(pat(1001), long, false))
}

// ksScanAll runs a whole SCAN and returns every key it returned (with
// duplicates) and the number of calls.
func ksScanAll(t *testing.T, c *redis.Client, args ...any) ([]string, int) {
	t.Helper()
	cursor := "0"
	var keys []string
	calls := 0
	for {
		v := ksDo(t, c, append([]any{"SCAN", cursor}, args...)...).([]any)
		require.Len(t, v, 2)
		cursor = v[0].(string)
		for _, k := range v[1].([]any) {
			keys = append(keys, k.(string))
		}
		calls++
		if cursor == "0" {
			return keys, calls
		}
		require.Less(t, calls, 100000)
	}
}

func TestKeyspaceScan(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ksErr(t, c, "ERR invalid cursor", "SCAN", "x")
	ksErr(t, c, "ERR invalid cursor", "SCAN", " 1")
	ksErr(t, c, "ERR invalid cursor", "SCAN", "1x")
	ksErr(t, c, "ERR invalid cursor", "SCAN", "18446744073709551616")
	ksErr(t, c, "ERR syntax error", "SCAN", "0", "COUNT", "0")
	ksErr(t, c, "ERR syntax error", "SCAN", "0", "COUNT", "-1")
	ksErr(t, c, "ERR value is not an integer or out of range", "SCAN", "0", "COUNT", "x")
	ksErr(t, c, "ERR syntax error", "SCAN", "0", "MATCH")
	ksErr(t, c, "ERR syntax error", "SCAN", "0", "foo", "bar")
	ksErr(t, c, "ERR wrong number of arguments for 'scan' command", "SCAN")
	require.Equal(t, []any{"0", []any{}}, ksDo(t, c, "SCAN", "0"))
	// strtoul accepts these.
	for _, cur := range []string{"", "+0", "-1", "18446744073709551615", "00"} {
		v := ksDo(t, c, "SCAN", cur).([]any)
		require.Equal(t, "0", v[0], "SCAN %q", cur)
	}

	for i := 0; i < 1000; i++ {
		ksDo(t, c, "SET", fmt.Sprint("key:", i), "v")
	}
	for i := 0; i < 20; i++ {
		ksHash(t, s, 0, fmt.Sprint("hash:", i), 40, 0)
	}
	ksDo(t, c, "SET", "", "empty")
	keys, calls := ksScanAll(t, c)
	require.Len(t, dedupe(keys), 1021)
	require.Greater(t, calls, 50, "COUNT defaults to 10")
	keys, calls = ksScanAll(t, c, "COUNT", 400)
	require.Len(t, dedupe(keys), 1021)
	require.LessOrEqual(t, calls, 4)
	keys, _ = ksScanAll(t, c, "MATCH", "key:1?", "COUNT", 100)
	require.Equal(t, []string{"key:10", "key:11", "key:12", "key:13", "key:14", "key:15", "key:16", "key:17", "key:18", "key:19"}, dedupe(keys))
	keys, _ = ksScanAll(t, c, "TYPE", "HASH", "COUNT", 100)
	require.Len(t, dedupe(keys), 20)
	keys, _ = ksScanAll(t, c, "TYPE", "nosuchtype")
	require.Empty(t, keys)
	keys, _ = ksScanAll(t, c, "MATCH", "*", "COUNT", 10000, "TYPE", "string")
	require.Len(t, dedupe(keys), 1001, "MATCH * also matches the empty key")
	keys, _ = ksScanAll(t, c, "MATCH", "x", "MATCH", "hash:1*", "TYPE", "hash")
	require.Len(t, dedupe(keys), 11, "the last MATCH wins")

	// Expired keys are never returned; RESP3 replies the same shape.
	ksDo(t, c, "PEXPIRE", "key:5", "1")
	require.Eventually(t, func() bool { return ksDo(t, c, "EXISTS", "key:5") == int64(0) }, 2e9, 1e6)
	keys, _ = ksScanAll(t, c, "COUNT", 1000)
	require.NotContains(t, keys, "key:5")
	c3 := s.ClientWith(&redis.Options{Protocol: 3})
	v := ksDo(t, c3, "SCAN", "0", "COUNT", "5").([]any)
	require.Len(t, v, 2)
	require.Len(t, v[1], 5)
}

func dedupe(keys []string) []string {
	m := map[string]bool{}
	var out []string
	for _, k := range keys {
		if !m[k] {
			m[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestKeyspaceScanGuarantee checks SCAN's promise: every key present for
// the whole scan is returned, while other keys come and go in between, the
// server restarts in the middle, and a cursor names an unknown position.
func TestKeyspaceScanGuarantee(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	const stable = 3000
	p := c.Pipeline()
	for i := 0; i < stable; i++ {
		p.Set(ctx, "stable:"+strconv.Itoa(i), "v", 0)
		p.Set(ctx, "volatile:"+strconv.Itoa(i), "v", 0)
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		ksHash(t, s, 0, "stablehash:"+strconv.Itoa(i), 30, 0)
	}

	seen := map[string]int{}
	cursor := "0"
	calls := 0
	added := 0
	for {
		v := ksDo(t, c, "SCAN", cursor, "COUNT", 37).([]any)
		cursor = v[0].(string)
		for _, k := range v[1].([]any) {
			seen[k.(string)]++
		}
		calls++
		// Churn between calls: delete volatile keys, add new ones (some
		// land before the cursor, some after).
		p := c.Pipeline()
		for j := 0; j < 20; j++ {
			p.Del(ctx, "volatile:"+strconv.Itoa((calls*20+j)%stable))
			p.Set(ctx, "new:"+strconv.Itoa(added), "v", 0)
			added++
		}
		_, err := p.Exec(ctx)
		require.NoError(t, err)
		if calls == 40 {
			s.Restart() // cursors outlive the process (as a restart of the slot)
			c = s.Client()
		}
		if cursor == "0" {
			break
		}
	}
	for i := 0; i < stable; i++ {
		require.NotZero(t, seen["stable:"+strconv.Itoa(i)], "stable:%d missed", i)
	}
	for i := 0; i < 10; i++ {
		require.NotZero(t, seen["stablehash:"+strconv.Itoa(i)])
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("%d calls, %d distinct keys, %d duplicates", calls, len(seen), dups)
	require.Less(t, dups, 2000, "duplicates only around the restart")

	// A cursor whose position is unknown resumes at the start of its
	// slot: a forged id in the high bits behaves like id 0.
	all, _ := ksScanAll(t, c, "COUNT", 100000)
	for _, slot := range []uint64{0, 1, 5000, 16383} {
		keysA := scanFrom(t, c, slot)
		keysB := scanFrom(t, c, slot|(12345<<14))
		require.Equal(t, keysA, keysB)
		for _, k := range all {
			if uint64(encoding.Slot([]byte(k))) >= slot {
				require.Contains(t, keysA, k)
			}
		}
	}
}

// scanFrom scans from a raw cursor to the end and returns the keys sorted.
func scanFrom(t *testing.T, c *redis.Client, cursor uint64) []string {
	t.Helper()
	cur := strconv.FormatUint(cursor, 10)
	var keys []string
	for {
		v := ksDo(t, c, "SCAN", cur, "COUNT", 500).([]any)
		cur = v[0].(string)
		for _, k := range v[1].([]any) {
			keys = append(keys, k.(string))
		}
		if cur == "0" {
			return dedupe(keys)
		}
	}
}

func TestKeyspaceRandomKey(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ksErr(t, c, "ERR wrong number of arguments for 'randomkey' command", "RANDOMKEY", "x")
	require.Nil(t, ksDo(t, c, "RANDOMKEY"))
	ksDo(t, c, "SET", "only", "1")
	require.Equal(t, "only", ksDo(t, c, "RANDOMKEY"))
	for i := 0; i < 10; i++ {
		ksDo(t, c, "SET", fmt.Sprint("k", i), "1")
	}
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		seen[ksDo(t, c, "RANDOMKEY").(string)] = true
	}
	require.Len(t, seen, 11, "a small database is drawn from uniformly")

	// A big database: every answer is a live key.
	ctx := context.Background()
	p := c.Pipeline()
	for i := 0; i < 1000; i++ {
		p.Set(ctx, fmt.Sprint("big", i), "1", 0)
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)
	seen = map[string]bool{}
	for i := 0; i < 100; i++ {
		k := ksDo(t, c, "RANDOMKEY").(string)
		require.Equal(t, int64(1), ksDo(t, c, "EXISTS", k))
		seen[k] = true
	}
	require.Greater(t, len(seen), 50)

	// Only expired keys left (whether or not active expiry has reclaimed
	// them yet): nil, and it terminates.
	require.Equal(t, "OK", ksDo(t, c, "FLUSHDB"))
	p = c.Pipeline()
	for i := 0; i < 500; i++ {
		p.Set(ctx, fmt.Sprint("short", i), "1", time.Millisecond)
	}
	_, err = p.Exec(ctx)
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond)
	for i := 0; i < 20; i++ {
		require.Nil(t, ksDo(t, c, "RANDOMKEY"))
	}
}

func TestKeyspaceObject(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	help := ksDo(t, c, "OBJECT", "HELP").([]any)
	require.Len(t, help, 15)
	require.Equal(t, "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help[0])
	require.Equal(t, "    Prints this help.", help[14])
	ksErr(t, c, "ERR wrong number of arguments for 'object' command", "OBJECT")
	ksErr(t, c, "ERR unknown subcommand 'foo'. Try OBJECT HELP.", "OBJECT", "foo")
	ksErr(t, c, "ERR wrong number of arguments for 'object|encoding' command", "OBJECT", "ENCODING")
	ksErr(t, c, "ERR wrong number of arguments for 'object|help' command", "OBJECT", "HELP", "x")
	for _, sub := range []string{"ENCODING", "FREQ", "IDLETIME", "REFCOUNT"} {
		require.Nil(t, ksDo(t, c, "OBJECT", sub, "nokey"), sub)
	}

	for v, enc := range map[string]string{
		"123":                    "int",
		"-9223372036854775808":   "int",
		"9223372036854775808":    "embstr",
		"007":                    "embstr",
		"-0":                     "embstr",
		"hello":                  "embstr",
		string(make([]byte, 44)): "embstr",
		string(make([]byte, 45)): "raw",
	} {
		ksDo(t, c, "SET", "s", v)
		require.Equal(t, enc, ksDo(t, c, "OBJECT", "ENCODING", "s"), "%q", v)
	}
	// Collections report what their type registers (engine.EncodingOf).
	ksDo(t, c, "HSET", "small", "f", "v")
	ksDo(t, c, "HSET", "wide", "f", string(make([]byte, 65)))
	ksDo(t, c, "SADD", "ints", "1", "2", "3")
	require.Equal(t, "listpack", ksDo(t, c, "OBJECT", "ENCODING", "small"))
	require.Equal(t, "hashtable", ksDo(t, c, "OBJECT", "ENCODING", "wide"))
	require.Equal(t, "intset", ksDo(t, c, "OBJECT", "ENCODING", "ints"))
	// ... and keep it through RENAME, COPY and MOVE.
	require.Equal(t, "OK", ksDo(t, c, "RENAME", "wide", "wide2"))
	require.Equal(t, int64(1), ksDo(t, c, "COPY", "wide2", "wide3"))
	require.Equal(t, int64(1), ksDo(t, c, "MOVE", "ints", "3"))
	require.Equal(t, "hashtable", ksDo(t, c, "OBJECT", "ENCODING", "wide2"))
	require.Equal(t, "hashtable", ksDo(t, c, "OBJECT", "ENCODING", "wide3"))
	require.Nil(t, ksDo(t, c, "OBJECT", "ENCODING", "ints"))
	require.Equal(t, "intset", ksDo(t, ksDB(s, 3), "OBJECT", "ENCODING", "ints"))

	// Small integers are shared objects in Redis unless maxmemory is set
	// with an LRU/LFU policy.
	ksDo(t, c, "SET", "n", "5")
	ksDo(t, c, "SET", "m", "10000")
	require.Equal(t, int64(2147483647), ksDo(t, c, "OBJECT", "REFCOUNT", "n"))
	require.Equal(t, int64(1), ksDo(t, c, "OBJECT", "REFCOUNT", "m"))
	require.Equal(t, int64(1), ksDo(t, c, "OBJECT", "REFCOUNT", "small"))
	require.Equal(t, int64(0), ksDo(t, c, "OBJECT", "IDLETIME", "n"))
	ksErr(t, c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.", "OBJECT", "FREQ", "n")

	s2 := servertest.Start(t, "--maxmemory-policy", "allkeys-lfu")
	c2 := s2.Client()
	ksDo(t, c2, "SET", "n", "5")
	require.Equal(t, int64(5), ksDo(t, c2, "OBJECT", "FREQ", "n"))
	require.Nil(t, ksDo(t, c2, "OBJECT", "FREQ", "nokey"))
	ksErr(t, c2, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.", "OBJECT", "IDLETIME", "n")
	require.Equal(t, int64(2147483647), ksDo(t, c2, "OBJECT", "REFCOUNT", "n"), "maxmemory is 0")

	s3 := servertest.Start(t, "--maxmemory-policy", "allkeys-lru", "--maxmemory", "100mb")
	c3 := s3.Client()
	ksDo(t, c3, "SET", "n", "5")
	require.Equal(t, int64(1), ksDo(t, c3, "OBJECT", "REFCOUNT", "n"))
}

// TestKeyspaceNotify checks the keyspace events of this file's commands,
// in Redis 7.0's order (observed with PSUBSCRIBE on a real server).
func TestKeyspaceNotify(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "KEA")
	c := s.Client()
	ctx := context.Background()
	sub := s.Client().PSubscribe(ctx, "__keyevent@*__:*")
	defer sub.Close()
	_, err := sub.Receive(ctx) // the subscription confirmation
	require.NoError(t, err)
	next := func() string {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		m, err := sub.ReceiveMessage(rctx)
		require.NoError(t, err)
		return m.Channel + " " + m.Payload
	}
	for _, cmd := range [][]any{
		{"SET", "a", "1"}, {"RENAME", "a", "b"}, {"RENAME", "b", "b"}, {"COPY", "b", "c"}, {"COPY", "b", "c", "DB", "2"},
		{"MOVE", "c", "3"}, {"EXPIRE", "b", "100"}, {"EXPIRE", "b", "50", "GT"}, {"PERSIST", "b"}, {"PERSIST", "b"},
		{"EXPIRE", "b", "-1"}, {"SET", "x", "1"}, {"DEL", "x", "nox"}, {"SET", "y", "1"}, {"UNLINK", "y"},
		{"SET", "z", "1"}, {"RENAMENX", "z", "w"}, {"FLUSHDB"}, {"SET", "t", "1"}, {"PEXPIREAT", "t", "0"},
	} {
		_, _ = servertest.Do(c, cmd...)
	}
	for _, want := range []string{
		"__keyevent@0__:set a", "__keyevent@0__:rename_from a", "__keyevent@0__:rename_to b",
		"__keyevent@0__:copy_to c", "__keyevent@2__:copy_to c",
		"__keyevent@0__:move_from c", "__keyevent@3__:move_to c",
		"__keyevent@0__:expire b", "__keyevent@0__:persist b", "__keyevent@0__:del b",
		"__keyevent@0__:set x", "__keyevent@0__:del x", "__keyevent@0__:set y", "__keyevent@0__:del y",
		"__keyevent@0__:set z", "__keyevent@0__:rename_from z", "__keyevent@0__:rename_to w",
		"__keyevent@0__:set t", "__keyevent@0__:del t",
	} {
		require.Equal(t, want, next())
	}
}
