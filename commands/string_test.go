package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/commands"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Every expected reply and error text below was checked against a real
// redis-server 7.0.15.

// strErr marks an expected error reply in a strCase.
type strErr string

// strNil marks an expected nil reply.
var strNil = struct{}{}

type strCase struct {
	args []any
	want any // string, int64, strNil, strErr, []any
}

func sc(want any, args ...any) strCase { return strCase{args: args, want: want} }

func strRun(t *testing.T, cl *redis.Client, cases []strCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := servertest.Do(cl, tc.args...)
		switch want := tc.want.(type) {
		case strErr:
			require.EqualError(t, err, string(want), "%v", tc.args)
		case struct{}:
			require.ErrorIs(t, err, redis.Nil, "%v", tc.args)
		default:
			require.NoError(t, err, "%v", tc.args)
			require.Equal(t, want, got, "%v", tc.args)
		}
	}
}

// strPutList stores an (element-less) list under key, to check how string
// commands treat a key of another type.
func strPutList(t *testing.T, s *servertest.Server, key string) {
	t.Helper()
	eng := s.Srv.Engine
	var g engine.Guard
	eng.LockKeys(&g, 0, [][]byte{[]byte(key)}, true)
	defer g.Unlock()
	tx := eng.Begin(0)
	m := encoding.Metadata{Type: encoding.TypeList, Version: 1, Size: 1,
		Value: encoding.AppendListMeta(nil, encoding.ListMeta{Head: encoding.ListInitialPos, Tail: encoding.ListInitialPos + 1})}
	require.NoError(t, tx.PutMeta([]byte(key), m.Encode(nil)))
	require.NoError(t, tx.Commit())
}

// meta reads key's metadata straight from the engine (-2/-1 conventions are
// left to pttl).
func strMeta(t *testing.T, s *servertest.Server, key string) (encoding.Metadata, bool) {
	t.Helper()
	eng := s.Srv.Engine
	var g engine.Guard
	eng.LockKeys(&g, 0, [][]byte{[]byte(key)}, false)
	defer g.Unlock()
	tx := eng.Begin(0)
	m, ok, err := tx.Lookup([]byte(key))
	require.NoError(t, err)
	require.NoError(t, tx.Commit())
	return m, ok
}

// pttl is PTTL computed from the engine: -2 missing, -1 no expiry.
func strPTTL(t *testing.T, s *servertest.Server, key string) int64 {
	t.Helper()
	m, ok := strMeta(t, s, key)
	switch {
	case !ok:
		return -2
	case m.ExpireAt == 0:
		return -1
	}
	return m.ExpireAt - engine.NowMs()
}

func strRequireType(t *testing.T, s *servertest.Server, key string, typ encoding.Type) {
	t.Helper()
	m, ok := strMeta(t, s, key)
	require.True(t, ok, key)
	require.Equal(t, typ, m.Type, key)
}

const strWrongType = strErr("WRONGTYPE Operation against a key holding the wrong kind of value")

func TestStringSetOptions(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "list")
	strRun(t, cl, []strCase{
		sc("OK", "SET", "k", "v", "EX", "10", "EX", "20"), // a repeated expire: the last wins
		sc(strErr("ERR syntax error"), "SET", "k", "v", "EX", "10", "PX", "10"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "NX", "XX"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "XX", "NX"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "EX", "abc", "NX", "XX"), // syntax before value
		sc(strErr("ERR syntax error"), "SET", "k", "v", "KEEPTTL", "EX", "10"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "EX", "10", "KEEPTTL"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "EX"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "PERSIST"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "EXAT", "10", "PXAT", "10"),
		sc(strErr("ERR syntax error"), "SET", "k", "v", "bogus"),
		sc(strErr("ERR value is not an integer or out of range"), "SET", "k", "v", "EX", "abc"),
		sc(strErr("ERR value is not an integer or out of range"), "SET", "k", "v", "PX", "1.5"),
		sc(strErr("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "0"),
		sc(strErr("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "-1"),
		sc(strErr("ERR invalid expire time in 'set' command"), "SET", "k", "v", "PX", "9223372036854775807"),
		sc(strErr("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "9223372036854775"),
		sc(strErr("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EXAT", "9223372036854776"),
		sc(strErr("ERR wrong number of arguments for 'set' command"), "SET", "k"),
		sc("v", "GET", "k"), // the failed SETs left it alone
	})
	ttl := strPTTL(t, s, "k")
	require.True(t, ttl > 15000 && ttl <= 20000, "ttl %d", ttl)

	strRun(t, cl, []strCase{
		// NX/XX, alone and with GET (allowed together in 7.0).
		sc(strNil, "SET", "k", "x", "NX"),
		sc(strNil, "SET", "k", "x", "NX", "NX"),
		sc("v", "SET", "k", "x", "NX", "GET"),
		sc("v", "GET", "k"),
		sc(strNil, "SET", "nx", "1", "NX", "GET"),
		sc("1", "GET", "nx"),
		sc(strNil, "SET", "xx", "1", "XX"),
		sc(strNil, "SET", "xx", "1", "XX", "GET"),
		sc(strNil, "GET", "xx"),
		sc("v", "SET", "k", "w", "XX", "GET"),
		sc("w", "SET", "k", "w2", "get", "get"),
		sc("w2", "GET", "k"),
		// GET on another type: WRONGTYPE, nothing written; without GET
		// SET replaces any type, and NX sees the key as present.
		sc(strWrongType, "SET", "list", "v", "GET"),
		sc(strWrongType, "SET", "list", "v", "GET", "NX"),
		sc(strNil, "SET", "list", "v", "NX"),
	})
	strRequireType(t, s, "list", encoding.TypeList)
	strRun(t, cl, []strCase{sc("OK", "SET", "list", "v"), sc("v", "GET", "list")})

	// KEEPTTL keeps the TTL; a plain SET drops it; an absolute time sets it.
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "v", "EX", "100"), sc("OK", "SET", "t", "v2", "KEEPTTL")})
	ttl = strPTTL(t, s, "t")
	require.True(t, ttl > 95000 && ttl <= 100000, "ttl %d", ttl)
	strRun(t, cl, []strCase{sc("v2", "SET", "t", "v3", "XX", "KEEPTTL", "GET")})
	require.Greater(t, strPTTL(t, s, "t"), int64(95000))
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "v4")})
	require.Equal(t, int64(-1), strPTTL(t, s, "t"))
	at := time.Now().Add(time.Hour).UnixMilli()
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "v", "PXAT", at)})
	m, ok := strMeta(t, s, "t")
	require.True(t, ok)
	require.Equal(t, at, m.ExpireAt)
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "v", "exat", at/1000)})
	m, _ = strMeta(t, s, "t")
	require.Equal(t, at/1000*1000, m.ExpireAt)
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "v", "px", "50000")})
	ttl = strPTTL(t, s, "t")
	require.True(t, ttl > 45000 && ttl <= 50000, "ttl %d", ttl)
	// A time in the past stores an already expired key.
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "v", "PXAT", "1"), sc(strNil, "GET", "t")})
}

func TestStringSetexPsetexSetnx(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "list")
	strRun(t, cl, []strCase{
		sc(strErr("ERR wrong number of arguments for 'setex' command"), "SETEX", "k", "10"),
		sc(strErr("ERR invalid expire time in 'setex' command"), "SETEX", "k", "0", "v"),
		sc(strErr("ERR invalid expire time in 'setex' command"), "SETEX", "k", "-1", "v"),
		sc(strErr("ERR invalid expire time in 'setex' command"), "SETEX", "k", "9223372036854775", "v"),
		sc(strErr("ERR value is not an integer or out of range"), "SETEX", "k", "abc", "v"),
		sc(strErr("ERR invalid expire time in 'psetex' command"), "PSETEX", "k", "0", "v"),
		sc(strErr("ERR invalid expire time in 'psetex' command"), "PSETEX", "k", "9223372036854775807", "v"),
		sc(strErr("ERR value is not an integer or out of range"), "PSETEX", "k", "1.5", "v"),
		sc(strNil, "GET", "k"),
		sc("OK", "SETEX", "k", "100", "v"),
		sc("v", "GET", "k"),
	})
	ttl := strPTTL(t, s, "k")
	require.True(t, ttl > 95000 && ttl <= 100000, "ttl %d", ttl)
	strRun(t, cl, []strCase{sc("OK", "PSETEX", "k", "5000", "w"), sc("w", "GET", "k")})
	ttl = strPTTL(t, s, "k")
	require.True(t, ttl > 0 && ttl <= 5000, "ttl %d", ttl)
	// SETEX replaces another type.
	strRun(t, cl, []strCase{sc("OK", "SETEX", "list", "100", "v"), sc("v", "GET", "list")})

	strPutList(t, s, "list2")
	strRun(t, cl, []strCase{
		sc(int64(0), "SETNX", "k", "x"),
		sc("w", "GET", "k"),
		sc(int64(1), "SETNX", "new", "x"),
		sc("x", "GET", "new"),
		sc(int64(0), "SETNX", "list2", "x"),
		sc(strErr("ERR wrong number of arguments for 'setnx' command"), "SETNX", "k"),
	})
	require.Equal(t, int64(-1), strPTTL(t, s, "new"))
	strRequireType(t, s, "list2", encoding.TypeList)
}

func TestStringGetEx(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "list")
	strRun(t, cl, []strCase{
		sc("OK", "SET", "k", "hello"),
		sc("hello", "GETEX", "k"),
		sc("hello", "GETEX", "k", "EX", "100"),
	})
	ttl := strPTTL(t, s, "k")
	require.True(t, ttl > 95000 && ttl <= 100000, "ttl %d", ttl)
	strRun(t, cl, []strCase{sc("hello", "GETEX", "k", "PERSIST")})
	require.Equal(t, int64(-1), strPTTL(t, s, "k"))
	strRun(t, cl, []strCase{sc("hello", "GETEX", "k", "px", "5000")})
	ttl = strPTTL(t, s, "k")
	require.True(t, ttl > 0 && ttl <= 5000, "ttl %d", ttl)
	strRun(t, cl, []strCase{sc("hello", "GETEX", "k", "EXAT", "9999999999")})
	m, _ := strMeta(t, s, "k")
	require.Equal(t, int64(9999999999000), m.ExpireAt)
	strRun(t, cl, []strCase{sc("hello", "GETEX", "k", "PXAT", "9999999999001")})
	m, _ = strMeta(t, s, "k")
	require.Equal(t, int64(9999999999001), m.ExpireAt)
	strRun(t, cl, []strCase{sc("hello", "GETEX", "k", "EX", "10", "EX", "20")})
	ttl = strPTTL(t, s, "k")
	require.True(t, ttl > 15000 && ttl <= 20000, "ttl %d", ttl)

	strRun(t, cl, []strCase{
		sc(strErr("ERR syntax error"), "GETEX", "k", "PERSIST", "EX", "10"),
		sc(strErr("ERR syntax error"), "GETEX", "k", "EX", "10", "PERSIST"),
		sc(strErr("ERR syntax error"), "GETEX", "k", "EX", "10", "PX", "100"),
		sc(strErr("ERR syntax error"), "GETEX", "k", "NX"),
		sc(strErr("ERR syntax error"), "GETEX", "k", "KEEPTTL"),
		sc(strErr("ERR syntax error"), "GETEX", "k", "GET"),
		sc(strErr("ERR syntax error"), "GETEX", "k", "EX"),
		sc(strErr("ERR invalid expire time in 'getex' command"), "GETEX", "k", "EX", "0"),
		sc(strErr("ERR invalid expire time in 'getex' command"), "GETEX", "k", "EX", "-5"),
		sc(strErr("ERR value is not an integer or out of range"), "GETEX", "k", "PX", "abc"),
		sc("hello", "GETEX", "k", "PERSIST", "PERSIST"),
		// A missing key answers nil before the expire value is checked.
		sc(strNil, "GETEX", "missing", "EX", "0"),
		sc(strNil, "GETEX", "missing", "EX", "10"),
		sc(strErr("ERR syntax error"), "GETEX", "missing", "bogus"),
		sc(strWrongType, "GETEX", "list", "EX", "abc"),
		sc(strWrongType, "GETEX", "list", "PERSIST"),
		sc(strErr("ERR syntax error"), "GETEX", "list", "bogus"),
		sc(strErr("ERR wrong number of arguments for 'getex' command"), "GETEX"),
	})
	require.Equal(t, int64(-1), strPTTL(t, s, "k"))
	// An absolute time in the past deletes the key after replying.
	strRun(t, cl, []strCase{
		sc("hello", "GETEX", "k", "EXAT", "1"),
		sc(strNil, "GET", "k"),
		sc("OK", "SET", "k", "v"),
		sc("v", "GETEX", "k", "PXAT", "1"),
	})
	require.Equal(t, int64(-2), strPTTL(t, s, "k"))
}

func TestStringGetDelGetSet(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "list")
	strRun(t, cl, []strCase{
		sc("OK", "SET", "k", "v"),
		sc("v", "GETDEL", "k"),
		sc(strNil, "GETDEL", "k"),
		sc(strNil, "GET", "k"),
		sc(strWrongType, "GETDEL", "list"),
		sc(strNil, "GETSET", "g", "1"),
		sc("1", "GETSET", "g", "2"),
		sc("2", "GET", "g"),
		sc(strWrongType, "GETSET", "list", "x"),
	})
	strRequireType(t, s, "list", encoding.TypeList)
	// GETSET drops the TTL.
	strRun(t, cl, []strCase{sc("OK", "SET", "g", "v", "EX", "100"), sc("v", "GETSET", "g", "w")})
	require.Equal(t, int64(-1), strPTTL(t, s, "g"))
	require.Equal(t, int64(2), s.Srv.Engine.DBSize(0))
}

func TestStringGetRange(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "list")
	strRun(t, cl, []strCase{
		sc("OK", "SET", "k", "Hello World"),
		sc("Hello", "GETRANGE", "k", "0", "4"),
		sc("World", "GETRANGE", "k", "-5", "-1"),
		sc("", "GETRANGE", "k", "-1", "-5"),
		sc("", "GETRANGE", "k", "5", "3"),
		sc("H", "GETRANGE", "k", "0", "-100"),
		sc("H", "GETRANGE", "k", "-100", "-100"),
		sc("Hel", "GETRANGE", "k", "-100", "2"),
		sc("Hello World", "GETRANGE", "k", "0", "100"),
		sc("", "GETRANGE", "k", "20", "30"),
		sc("d", "GETRANGE", "k", "10", "10"),
		sc("", "GETRANGE", "k", "11", "11"),
		sc("Hello World", "GETRANGE", "k", "-9223372036854775808", "9223372036854775807"),
		sc("", "GETRANGE", "k", "9223372036854775807", "-9223372036854775808"),
		sc(strErr("ERR value is not an integer or out of range"), "GETRANGE", "k", "abc", "1"),
		sc(strErr("ERR value is not an integer or out of range"), "GETRANGE", "k", "0", "1.5"),
		sc("", "GETRANGE", "missing", "0", "10"),
		sc(strErr("ERR value is not an integer or out of range"), "GETRANGE", "missing", "abc", "1"),
		sc("OK", "SET", "e", ""),
		sc("", "GETRANGE", "e", "0", "-1"),
		sc("", "GETRANGE", "e", "0", "0"),
		sc("OK", "SET", "n", "12345"),
		sc("23", "GETRANGE", "n", "1", "2"),
		sc(strWrongType, "GETRANGE", "list", "0", "1"),
		sc("Hel", "SUBSTR", "k", "0", "2"),
		sc("rld", "SUBSTR", "k", "-3", "-1"),
		sc(strErr("ERR wrong number of arguments for 'getrange' command"), "GETRANGE", "k", "0"),
		sc(strErr("ERR wrong number of arguments for 'substr' command"), "SUBSTR", "k", "0"),
	})
}

func TestStringSetRangeAppendStrlen(t *testing.T) {
	s := servertest.Start(t, "--proto-max-bulk-len", "1mb")
	cl := s.Client()
	strPutList(t, s, "list")
	const limit = 1 << 20
	strRun(t, cl, []strCase{
		sc("OK", "SET", "k", "Hello World"),
		sc(int64(11), "SETRANGE", "k", "6", "Redis"),
		sc("Hello Redis", "GET", "k"),
		sc(int64(11), "SETRANGE", "k", "1", ""),
		sc(strErr("ERR offset is out of range"), "SETRANGE", "k", "-1", "x"),
		sc(strErr("ERR offset is out of range"), "SETRANGE", "list", "-1", "x"),
		sc(strErr("ERR value is not an integer or out of range"), "SETRANGE", "k", "abc", "x"),
		// Nothing to write on a missing key: 0, and the key is not created.
		sc(int64(0), "SETRANGE", "missing", "5", ""),
		sc(strNil, "GET", "missing"),
		sc(strErr("ERR offset is out of range"), "SETRANGE", "missing", "-1", ""),
		sc(int64(5), "SETRANGE", "pad", "3", "ab"),
		sc("\x00\x00\x00ab", "GET", "pad"),
		sc(int64(5), "SETRANGE", "pad", "1", "X"),
		sc("\x00X\x00ab", "GET", "pad"),
		sc(int64(7), "SETRANGE", "pad", "5", "yz"),
		sc("\x00X\x00abyz", "GET", "pad"),
		sc(strWrongType, "SETRANGE", "list", "0", "x"),
		sc(strWrongType, "SETRANGE", "list", "0", ""),
		sc(strWrongType, "SETRANGE", "list", limit, "x"),
		// proto-max-bulk-len bounds offset + length.
		sc(int64(limit), "SETRANGE", "big", limit-1, "x"),
		sc(strErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)"), "SETRANGE", "big2", limit, "x"),
		sc(strErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)"), "SETRANGE", "big", limit-1, "xy"),
		sc(strErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)"), "SETRANGE", "big", "9223372036854775807", "x"),
		sc(int64(limit), "SETRANGE", "big", limit+5, ""),
		sc(strNil, "GET", "big2"),
		sc(int64(limit), "STRLEN", "big"),

		sc(int64(3), "APPEND", "a", "foo"),
		sc(int64(6), "APPEND", "a", "bar"),
		sc("foobar", "GET", "a"),
		sc(int64(6), "APPEND", "a", ""),
		sc(int64(0), "APPEND", "empty", ""),
		sc("", "GET", "empty"),
		sc(int64(0), "STRLEN", "empty"),
		sc(strWrongType, "APPEND", "list", "x"),
		sc("OK", "SET", "a", strings.Repeat("x", limit-6)),
		sc(int64(limit), "APPEND", "a", "123456"),
		sc(strErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)"), "APPEND", "a", "1"),
		sc(int64(limit), "STRLEN", "a"),

		sc(int64(11), "STRLEN", "k"),
		sc(int64(0), "STRLEN", "missing"),
		sc(strWrongType, "STRLEN", "list"),
	})
	strRequireType(t, s, "list", encoding.TypeList)

	// APPEND and SETRANGE keep the TTL.
	strRun(t, cl, []strCase{
		sc("OK", "SET", "t", "v", "EX", "100"),
		sc(int64(2), "APPEND", "t", "w"),
		sc(int64(4), "SETRANGE", "t", "2", "xy"),
		sc("vwxy", "GET", "t"),
	})
	require.Greater(t, strPTTL(t, s, "t"), int64(95000))
}

func TestStringIncrDecr(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "list")
	const notInt = strErr("ERR value is not an integer or out of range")
	const overflow = strErr("ERR increment or decrement would overflow")
	strRun(t, cl, []strCase{
		sc(int64(1), "INCR", "n"),
		sc(int64(2), "INCR", "n"),
		sc(int64(1), "DECR", "n"),
		sc(int64(11), "INCRBY", "n", "10"),
		sc(int64(6), "INCRBY", "n", "-5"),
		sc(int64(3), "DECRBY", "n", "3"),
		sc(int64(6), "DECRBY", "n", "-3"),
		sc("6", "GET", "n"), // stored as decimal text
		sc(notInt, "INCRBY", "n", "abc"),
		sc(notInt, "INCRBY", "n", "1.5"),
		sc(notInt, "INCRBY", "n", ""),
		sc(notInt, "INCRBY", "n", "+1"),
		sc(notInt, "INCRBY", "n", "01"),
		sc(notInt, "INCRBY", "n", "9223372036854775808"),
		sc(strErr("ERR decrement would overflow"), "DECRBY", "n", "-9223372036854775808"),
		sc(strErr("ERR decrement would overflow"), "DECRBY", "list", "-9223372036854775808"),
		sc(int64(-9223372036854775801), "DECRBY", "n", "9223372036854775807"),
		sc(overflow, "DECRBY", "n", "9223372036854775807"),
		sc(int64(-9223372036854775801), "GET", "n").str(),
		sc("OK", "SET", "n", "9223372036854775807"),
		sc(overflow, "INCR", "n"),
		sc(int64(9223372036854775806), "INCRBY", "n", "-1"),
		sc("OK", "SET", "n", "-9223372036854775808"),
		sc(overflow, "DECR", "n"),
		sc(overflow, "INCRBY", "n", "-1"),
		sc(int64(-1), "INCRBY", "n", "9223372036854775807"),
		sc(int64(9223372036854775807), "INCRBY", "x", "9223372036854775807"),
		sc(overflow, "INCR", "x"),
		sc(int64(-9223372036854775808), "INCRBY", "y", "-9223372036854775808"),
		sc(overflow, "DECR", "y"),
		sc(int64(-9223372036854775807), "DECRBY", "y", "-1"),
		sc(strWrongType, "INCR", "list"),
		sc(strWrongType, "DECRBY", "list", "1"),
		sc(notInt, "INCRBY", "list", "abc"), // the increment is parsed first
		sc(strErr("ERR wrong number of arguments for 'incr' command"), "INCR"),
		sc(strErr("ERR wrong number of arguments for 'incrby' command"), "INCRBY", "n"),
	})
	for _, bad := range []string{"-0", "007", " 1", "1 ", "1.0", "99999999999999999999", "-9223372036854775809", "abc", ""} {
		strRun(t, cl, []strCase{sc("OK", "SET", "b", bad), sc(notInt, "INCR", "b"), sc(notInt, "DECRBY", "b", "1"), sc(bad, "GET", "b")})
	}
	strRequireType(t, s, "list", encoding.TypeList)
	// INCR keeps the TTL.
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "5", "EX", "100"), sc(int64(6), "INCR", "t")})
	require.Greater(t, strPTTL(t, s, "t"), int64(95000))
}

// str turns an int64 expectation into its decimal text (GET of a counter).
func (tc strCase) str() strCase {
	if n, ok := tc.want.(int64); ok {
		tc.want = strFormatInt(n)
	}
	return tc
}

func strFormatInt(n int64) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	var b []byte
	for u > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + u%10)}, b...)
		u /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func TestStringIncrByFloat(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	// init (nil: missing key), increment, the stored/replied result or the
	// error, each taken from redis-server 7.0.15 (long double arithmetic).
	big308 := "179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384"
	cases := []struct {
		init      any
		incr      string
		want, err string
	}{
		{nil, "0.1", "0.1", ""},
		{"0.1", "0.2", "0.3", ""},
		{"5.6", "-5.6", "0", ""},
		{"3", "2", "5", ""},
		{"10.50", "0", "10.5", ""},
		{"-0.1", "-0.2", "-0.3", ""},
		{"1.1", "2.2", "3.3", ""},
		{"3.3", "3.3", "6.6", ""},
		{"1e17", "0.3", "100000000000000000.296875", ""},
		{"1e19", "1.5", "10000000000000000002", ""},
		{"100000000000000000000", "1e20", "200000000000000000000", ""},
		{nil, "1e20", "100000000000000000000", ""},
		{nil, "1.5e-7", "0.00000015", ""},
		{nil, "3.0e3", "3000", ""},
		{nil, "0.000003814697265625", "0.00000381469726562", ""},
		{"0.000003814697265625", "0.000003814697265625", "0.00000762939453125", ""},
		{"9223372036854775807", "1", "9223372036854775808", ""},
		{nil, "1.0000000000000000001", "1", ""},
		{"1.1", "0.000000000000000001", "1.1", ""},
		{nil, "12345678901234567890.5", "12345678901234567890", ""},
		{nil, "-1e-17", "-0.00000000000000001", ""},
		{nil, "-1e-30", "0", ""}, // "-0.00000000000000000" trims to "-0", shown as "0"
		{nil, "-0.000000000000000004", "0", ""},
		{nil, "-0.000000000000000006", "-0.00000000000000001", ""},
		{"-0.5", "0.5", "0", ""},
		{nil, "0.5e-17", "0", ""},
		{nil, "1.5e-17", "0.00000000000000002", ""},
		{nil, "2.5e-17", "0.00000000000000002", ""},
		{nil, "1e-4940", "0", ""},
		{nil, "0x10", "16", ""},
		{"16", "0x1.8p1", "19", ""},
		{nil, "-0x1P-2", "-0.25", ""},
		{nil, "+1", "1", ""},
		{nil, ".5", "0.5", ""},
		{nil, "5.", "5", ""},
		{nil, "1e+2", "100", ""},
		{"-0", "0", "0", ""},
		{nil, "3.14159265358979323846264338327950288", "3.14159265358979324", ""},
		{"0.3333333333333333333333", "0.6666666666666666666666", "1", ""},
		{nil, "18446744073709551616", "18446744073709551616", ""},
		{"1e16", "0.1", "10000000000000000.099609375", ""},
		{nil, "1.7976931348623157e308", big308, ""},
		{nil, "-123.456", "-123.456", ""},
		{"-123.456", "0.001", "-123.455", ""},
		{"1.23456789012345678901234567890", "100", "101.23456789012345679", ""},
		{nil, "2e-4951", "0", ""},
		{nil, "00000.5", "0.5", ""},
		{nil, "-.0", "0", ""},
		{"1e4932", "-1e4932", "0", ""},
		{"7", "-7.0", "0", ""},
		{"10", "-0.1", "9.9", ""},
		{nil, "1e4933", "", "ERR value is not a valid float"},
		{nil, "1e-5000", "", "ERR value is not a valid float"},
		{nil, "1e-4951", "", "ERR value is not a valid float"},
		{nil, "inf", "", "ERR increment would produce NaN or Infinity"},
		{nil, "-inf", "", "ERR increment would produce NaN or Infinity"},
		{nil, "Infinity", "", "ERR increment would produce NaN or Infinity"},
		{nil, "nan", "", "ERR value is not a valid float"},
		{nil, " 1", "", "ERR value is not a valid float"},
		{nil, "1 ", "", "ERR value is not a valid float"},
		{nil, "1e", "", "ERR value is not a valid float"},
		{nil, "", "", "ERR value is not a valid float"},
		{nil, "1_0", "", "ERR value is not a valid float"},
		{nil, "0x", "", "ERR value is not a valid float"},
		{nil, "0x1p", "", "ERR value is not a valid float"},
		{nil, "0b1", "", "ERR value is not a valid float"},
		{nil, "abc", "", "ERR value is not a valid float"},
		{"abc", "1", "", "ERR value is not a valid float"},
		{"inf", "1", "", "ERR increment would produce NaN or Infinity"},
		{" 1", "1", "", "ERR value is not a valid float"},
		{"1e4932", "1e4932", "", "ERR increment would produce NaN or Infinity"},
		{"1.7976931348623157e308", "inf", "", "ERR increment would produce NaN or Infinity"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		_, err := cl.Do(ctx, "GETDEL", "f").Result()
		require.True(t, err == nil || err == redis.Nil, "%v", err)
		if tc.init != nil {
			require.NoError(t, cl.Set(ctx, "f", tc.init, 0).Err())
		}
		got, err := servertest.Do(cl, "INCRBYFLOAT", "f", tc.incr)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, "%v", tc)
			// Nothing changed.
			v, err := cl.Get(ctx, "f").Result()
			if tc.init == nil {
				require.ErrorIs(t, err, redis.Nil)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.init, v)
			}
			continue
		}
		require.NoError(t, err, "%v", tc)
		require.Equal(t, tc.want, got, "%v", tc)
		v, err := cl.Get(ctx, "f").Result()
		require.NoError(t, err)
		require.Equal(t, tc.want, v, "stored text %v", tc)
	}

	// 1e400 is a finite long double: printed in full, without exponent.
	got, err := servertest.Do(cl, "INCRBYFLOAT", "huge", "1e400")
	require.NoError(t, err)
	require.Len(t, got, 401)
	require.True(t, strings.HasPrefix(got.(string), "10000000000000000000281880683947586514586453433629"), got)

	strPutList(t, s, "list")
	strRun(t, cl, []strCase{
		sc(strWrongType, "INCRBYFLOAT", "list", "1"),
		sc(strWrongType, "INCRBYFLOAT", "list", "abc"), // the type is checked first
		sc(strErr("ERR wrong number of arguments for 'incrbyfloat' command"), "INCRBYFLOAT", "x"),
	})
	// The TTL is kept.
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "1", "EX", "100"), sc("1.5", "INCRBYFLOAT", "t", "0.5")})
	require.Greater(t, strPTTL(t, s, "t"), int64(95000))
}

func TestStringMGetMSet(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "list")
	strRun(t, cl, []strCase{
		sc("OK", "MSET", "a", "1", "b", "2", "c", "3"),
		sc([]any{"1", "2", "3", nil}, "MGET", "a", "b", "c", "d"),
		sc([]any{"1", nil, "2"}, "MGET", "a", "list", "b"), // other types read as nil
		sc(strErr("ERR wrong number of arguments for 'mset' command"), "MSET", "a", "1", "b"),
		sc(strErr("ERR wrong number of arguments for 'mset' command"), "MSET", "a"),
		sc(strErr("ERR wrong number of arguments for 'mget' command"), "MGET"),
		sc([]any{"1", "2"}, "MGET", "a", "b"),
		sc("OK", "MSET", "a", "x", "a", "y"), // the last value wins
		sc("y", "GET", "a"),
		sc(int64(1), "MSETNX", "x", "1", "y", "2"),
		sc([]any{"1", "2"}, "MGET", "x", "y"),
		sc(int64(0), "MSETNX", "x", "9", "z", "9"), // all or nothing
		sc(strNil, "GET", "z"),
		sc("1", "GET", "x"),
		sc(int64(0), "MSETNX", "list", "9", "z", "9"), // a key of any type blocks it
		sc(strNil, "GET", "z"),
		sc(int64(1), "MSETNX", "p", "1", "p", "2"),
		sc("2", "GET", "p"),
		sc(strErr("ERR wrong number of arguments for 'msetnx' command"), "MSETNX", "p", "1", "q"),
		sc(strNil, "GET", "q"),
	})
	strRequireType(t, s, "list", encoding.TypeList)
	// MSET replaces another type and drops a TTL.
	strRun(t, cl, []strCase{sc("OK", "SET", "t", "v", "EX", "100"), sc("OK", "MSET", "t", "w", "list", "v")})
	require.Equal(t, int64(-1), strPTTL(t, s, "t"))
	strRequireType(t, s, "list", encoding.TypeString)
	// Values survive a restart.
	s.Restart()
	cl = s.Client()
	strRun(t, cl, []strCase{sc([]any{"y", "1", "2", "w"}, "MGET", "a", "x", "y", "t")})
}

func TestStringLCS(t *testing.T) {
	s := servertest.Start(t, "--proto-max-bulk-len", "1mb")
	cl := s.Client()
	strPutList(t, s, "list")
	m := func(a0, a1, b0, b1 int64, n ...int64) any {
		out := []any{[]any{a0, a1}, []any{b0, b1}}
		for _, x := range n {
			out = append(out, x)
		}
		return out
	}
	idx := func(length int64, matches ...any) any {
		if matches == nil {
			matches = []any{}
		}
		return []any{"matches", matches, "len", length}
	}
	strRun(t, cl, []strCase{
		sc("OK", "MSET", "key1", "ohmytext", "key2", "mynewtext"),
		sc("mytext", "LCS", "key1", "key2"),
		sc(int64(6), "LCS", "key1", "key2", "LEN"),
		sc(idx(6, m(4, 7, 5, 8), m(2, 3, 0, 1)), "LCS", "key1", "key2", "IDX"),
		sc(idx(6, m(4, 7, 5, 8)), "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"),
		sc(idx(6, m(4, 7, 5, 8, 4)), "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
		sc(idx(6, m(4, 7, 5, 8, 4), m(2, 3, 0, 1, 2)), "LCS", "key1", "key2", "idx", "withmatchlen"),
		sc(idx(6, m(4, 7, 5, 8), m(2, 3, 0, 1)), "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-5"),
		sc("mytext", "LCS", "key1", "key2", "WITHMATCHLEN"),
		sc("mytext", "LCS", "key1", "key2", "MINMATCHLEN", "3"),
		sc(strErr("ERR If you want both the length and indexes, please just use IDX."), "LCS", "key1", "key2", "LEN", "IDX"),
		sc(strErr("ERR syntax error"), "LCS", "key1", "key2", "MINMATCHLEN"),
		sc(strErr("ERR value is not an integer or out of range"), "LCS", "key1", "key2", "MINMATCHLEN", "abc"),
		sc(strErr("ERR syntax error"), "LCS", "key1", "key2", "bogus"),
		sc("", "LCS", "key1", "missing"),
		sc(int64(0), "LCS", "missing", "missing2", "LEN"),
		sc(idx(0), "LCS", "missing", "missing2", "IDX"),
		sc(idx(8, m(0, 7, 0, 7, 8)), "LCS", "key1", "key1", "IDX", "WITHMATCHLEN"),
		sc(strErr("ERR The specified keys must contain string values"), "LCS", "key1", "list"),
		sc(strErr("ERR The specified keys must contain string values"), "LCS", "list", "key1", "bogus"),
		sc(strErr("ERR wrong number of arguments for 'lcs' command"), "LCS", "key1"),

		sc("OK", "MSET", "a1", "the quick brown fox jumps over the lazy dog", "a2", "a quick brown dog jumped over the lazy fox"),
		sc(" quick brown o jump over the lazy o", "LCS", "a1", "a2"),
		sc(idx(35, m(41, 41, 40, 40, 1), m(25, 39, 24, 38, 15), m(19, 23, 17, 21, 5), m(17, 17, 15, 15, 1), m(3, 15, 1, 13, 13)),
			"LCS", "a1", "a2", "IDX", "WITHMATCHLEN"),
		sc("OK", "MSET", "c1", "abcabcabc", "c2", "cbacbacba"),
		sc(idx(5, m(8, 8, 6, 6, 1), m(7, 7, 4, 4, 1), m(6, 6, 2, 2, 1), m(4, 4, 1, 1, 1), m(2, 2, 0, 0, 1)), "LCS", "c1", "c2", "IDX", "WITHMATCHLEN"),
		sc("abcba", "LCS", "c2", "c1"),

		// The DP table may not exceed proto-max-bulk-len (here 1MB).
		sc("OK", "MSET", "x", strings.Repeat("x", 511), "y", strings.Repeat("y", 511), "z", strings.Repeat("x", 512)),
		sc("", "LCS", "x", "y"),
		sc(strErr("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"), "LCS", "z", "y"),
	})
}

func TestStringLCSRESP3(t *testing.T) {
	s := servertest.Start(t)
	cl := s.ClientWith(&redis.Options{Protocol: 3})
	ctx := context.Background()
	require.NoError(t, cl.MSet(ctx, "key1", "ohmytext", "key2", "mynewtext").Err())
	got, err := cl.Do(ctx, "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN").Result()
	require.NoError(t, err)
	require.Equal(t, map[any]any{
		"matches": []any{[]any{[]any{int64(4), int64(7)}, []any{int64(5), int64(8)}, int64(4)}},
		"len":     int64(6),
	}, got)
	res, err := cl.LCS(ctx, &redis.LCSQuery{Key1: "key1", Key2: "key2"}).Result()
	require.NoError(t, err)
	require.Equal(t, "mytext", res.MatchString)
}

func TestStringKeyspaceStats(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strPutList(t, s, "l")
	strRun(t, cl, []strCase{sc("OK", "MSET", "s", "hello", "n", "10")})
	st := &s.Srv.Engine.Stats
	// hits, misses per command, as counted by redis-server 7.0.15.
	cases := []struct {
		args         []any
		hits, misses int64
	}{
		{[]any{"GET", "s"}, 1, 0},
		{[]any{"GET", "missing"}, 0, 1},
		{[]any{"GET", "l"}, 1, 0},
		{[]any{"SET", "s", "hello", "GET"}, 1, 0},
		{[]any{"SET", "missing", "x", "GET", "XX"}, 0, 1},
		{[]any{"SET", "s", "hello"}, 0, 0},
		{[]any{"SET", "s", "x", "NX"}, 0, 0},
		{[]any{"GETEX", "s"}, 1, 0},
		{[]any{"GETEX", "missing"}, 0, 1},
		{[]any{"GETEX", "l"}, 1, 0},
		{[]any{"GETEX", "s", "bogus"}, 0, 0},
		{[]any{"GETSET", "s", "hello"}, 1, 0},
		{[]any{"GETDEL", "missing"}, 0, 1},
		{[]any{"GETRANGE", "s", "0", "1"}, 1, 0},
		{[]any{"GETRANGE", "missing", "0", "1"}, 0, 1},
		{[]any{"GETRANGE", "s", "x", "1"}, 0, 0},
		{[]any{"SUBSTR", "s", "0", "1"}, 1, 0},
		{[]any{"STRLEN", "s"}, 1, 0},
		{[]any{"STRLEN", "missing"}, 0, 1},
		{[]any{"STRLEN", "l"}, 1, 0},
		{[]any{"MGET", "s", "missing", "l", "n"}, 3, 1},
		{[]any{"LCS", "s", "n"}, 2, 0},
		{[]any{"LCS", "s", "missing"}, 1, 1},
		{[]any{"LCS", "s", "l"}, 2, 0},
		{[]any{"APPEND", "missing2", "x"}, 0, 0},
		{[]any{"INCR", "n"}, 0, 0},
		{[]any{"INCRBYFLOAT", "n", "1.5"}, 0, 0},
		{[]any{"SETRANGE", "s", "1", "e"}, 0, 0},
		{[]any{"SETNX", "s", "x"}, 0, 0},
		{[]any{"MSETNX", "s", "1", "a", "2"}, 0, 0},
		{[]any{"SETEX", "a", "10", "v"}, 0, 0},
	}
	for _, tc := range cases {
		h0, m0 := st.KeyspaceHits.Load(), st.KeyspaceMisses.Load()
		_, _ = servertest.Do(cl, tc.args...)
		require.Equal(t, tc.hits, st.KeyspaceHits.Load()-h0, "hits %v", tc.args)
		require.Equal(t, tc.misses, st.KeyspaceMisses.Load()-m0, "misses %v", tc.args)
	}
}

// TestStringExpiredKeys checks that an expired key reads as missing and is
// replaced cleanly (no TTL carried over, counters intact).
func TestStringExpiredKeys(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	for _, k := range []string{"a", "b", "c", "d"} {
		strRun(t, cl, []strCase{sc("OK", "SET", k, "5", "PX", "1")})
	}
	time.Sleep(5 * time.Millisecond)
	strRun(t, cl, []strCase{
		sc(strNil, "GET", "a"),
		sc(int64(1), "INCR", "a"),
		sc(int64(1), "APPEND", "b", "x"),
		sc(int64(1), "SETNX", "c", "x"),
		sc(int64(1), "MSETNX", "d", "x"),
	})
	for _, k := range []string{"a", "b", "c", "d"} {
		require.Equal(t, int64(-1), strPTTL(t, s, k), k)
	}
	require.Equal(t, int64(4), s.Srv.Engine.DBSize(0))
	require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(0))
}

func TestStringCommandTable(t *testing.T) {
	// name: arity, flags, first, last, step, categories, as COMMAND INFO of
	// redis-server 7.0.15 shows them.
	want := map[string]struct {
		arity             int
		flags             []string
		first, last, step int
		cats              []string
	}{
		"append":      {3, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"decr":        {2, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"decrby":      {3, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"get":         {2, []string{"readonly", "fast"}, 1, 1, 1, []string{"@read", "@string", "@fast"}},
		"getdel":      {2, []string{"write", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"getex":       {-2, []string{"write", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"getrange":    {4, []string{"readonly"}, 1, 1, 1, []string{"@read", "@string", "@slow"}},
		"getset":      {3, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"incr":        {2, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"incrby":      {3, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"incrbyfloat": {3, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"lcs":         {-3, []string{"readonly"}, 1, 2, 1, []string{"@read", "@string", "@slow"}},
		"mget":        {-2, []string{"readonly", "fast"}, 1, -1, 1, []string{"@read", "@string", "@fast"}},
		"mset":        {-3, []string{"write", "denyoom"}, 1, -1, 2, []string{"@write", "@string", "@slow"}},
		"msetnx":      {-3, []string{"write", "denyoom"}, 1, -1, 2, []string{"@write", "@string", "@slow"}},
		"psetex":      {4, []string{"write", "denyoom"}, 1, 1, 1, []string{"@write", "@string", "@slow"}},
		"set":         {-3, []string{"write", "denyoom"}, 1, 1, 1, []string{"@write", "@string", "@slow"}},
		"setex":       {4, []string{"write", "denyoom"}, 1, 1, 1, []string{"@write", "@string", "@slow"}},
		"setnx":       {3, []string{"write", "denyoom", "fast"}, 1, 1, 1, []string{"@write", "@string", "@fast"}},
		"setrange":    {4, []string{"write", "denyoom"}, 1, 1, 1, []string{"@write", "@string", "@slow"}},
		"strlen":      {2, []string{"readonly", "fast"}, 1, 1, 1, []string{"@read", "@string", "@fast"}},
		"substr":      {4, []string{"readonly"}, 1, 1, 1, []string{"@read", "@string", "@slow"}},
	}
	for name, w := range want {
		cmd := commands.Lookup([]byte(strings.ToUpper(name)))
		require.NotNil(t, cmd, name)
		require.Equal(t, w.arity, cmd.Arity, name)
		require.Equal(t, w.flags, cmd.Flags.Names(), name)
		require.Equal(t, []int{w.first, w.last, w.step}, []int{cmd.FirstKey, cmd.LastKey, cmd.Step}, name)
		require.Equal(t, w.cats, cmd.Categories.Names(), name)
		require.Equal(t, "string", cmd.Group, name)
		require.NotEmpty(t, cmd.Summary, name)
		require.NotEmpty(t, cmd.Since, name)
		require.NotEmpty(t, cmd.Complexity, name)
	}
	mset := commands.Lookup([]byte("mset"))
	keys := mset.KeyArgs(nil, [][]byte{[]byte("mset"), []byte("a"), []byte("1"), []byte("b"), []byte("2")})
	require.Equal(t, [][]byte{[]byte("a"), []byte("b")}, keys)
	require.Equal(t, "Set multiple keys to multiple values", mset.Summary)
	require.Equal(t, "1.0.1", mset.Since)
	require.Equal(t, "7.0.0", commands.Lookup([]byte("lcs")).Since)
}
