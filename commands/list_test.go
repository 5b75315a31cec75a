package commands_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Expected replies in the list and sorted-set tests were checked against a
// real Redis 7.0.15 (byte for byte where lzRaw is used).

var lzCtx = context.Background()

func lzDo(t testing.TB, c *redis.Client, want any, args ...any) {
	t.Helper()
	v, err := c.Do(lzCtx, args...).Result()
	require.NoError(t, err, "%v", args)
	require.Equal(t, want, v, "%v", args)
}

func lzErr(t testing.TB, c *redis.Client, want string, args ...any) {
	t.Helper()
	_, err := c.Do(lzCtx, args...).Result()
	require.Error(t, err, "%v", args)
	require.Equal(t, want, err.Error(), "%v", args)
}

func lzNil(t testing.TB, c *redis.Client, args ...any) {
	t.Helper()
	_, err := c.Do(lzCtx, args...).Result()
	require.Equal(t, redis.Nil, err, "%v", args)
}

// lzServer is the server a list/zset test talks to: Shale in-process, or,
// with LZ_REDIS_ADDR=host:port, a real Redis 7.0 (flushed first), so that
// the expected replies written in these tests can themselves be checked
// against the specification.
type lzServer struct {
	t    testing.TB
	s    *servertest.Server
	Addr string
}

func lzStart(t testing.TB) *lzServer {
	t.Helper()
	if addr := os.Getenv("LZ_REDIS_ADDR"); addr != "" {
		l := &lzServer{t: t, Addr: addr}
		require.NoError(t, l.Client().FlushAll(lzCtx).Err())
		return l
	}
	s := servertest.Start(t)
	return &lzServer{t: t, s: s, Addr: s.Addr}
}

// Client returns a RESP2 go-redis client.
func (l *lzServer) Client() *redis.Client {
	if l.s != nil {
		return l.s.Client()
	}
	c := redis.NewClient(&redis.Options{Addr: l.Addr, Protocol: 2, DisableIdentity: true})
	l.t.Cleanup(func() { c.Close() })
	return c
}

// Restart restarts Shale on the same data (a no-op against Redis).
func (l *lzServer) Restart() {
	if l.s != nil {
		l.s.Restart()
		l.Addr = l.s.Addr
	}
}

// lzRaw sends each command on one fresh connection and returns the raw
// RESP replies, for checks go-redis would blur (null array vs null bulk,
// RESP3 doubles).
func lzRaw(t testing.TB, s *lzServer, cmds ...[]string) []string {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	br := bufio.NewReader(conn)
	var out []string
	for _, cmd := range cmds {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(cmd))
		for _, a := range cmd {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		_, err := conn.Write([]byte(b.String()))
		require.NoError(t, err)
		out = append(out, lzReadReply(t, br))
	}
	return out
}

func lzReadReply(t testing.TB, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	switch line[0] {
	case '$', '=', '!':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if n < 0 {
			return line
		}
		buf := make([]byte, n+2)
		_, err := io.ReadFull(br, buf)
		require.NoError(t, err)
		return line + string(buf)
	case '*', '%', '~', '>', '|':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			line += lzReadReply(t, br)
		}
		return line
	}
	return line
}

func strs(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func ints(ns ...int64) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

func TestListPushRange(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(7), "RPUSH", "l", "a", "b", "c", "d", "e", "f", "g")
	lzDo(t, c, strs("a", "b", "c", "d", "e", "f", "g"), "LRANGE", "l", "0", "-1")
	lzDo(t, c, strs("e", "f", "g"), "LRANGE", "l", "-3", "-1")
	lzDo(t, c, strs("a", "b", "c", "d", "e", "f", "g"), "LRANGE", "l", "-100", "100")
	lzDo(t, c, strs(), "LRANGE", "l", "5", "2")
	lzDo(t, c, strs(), "LRANGE", "l", "7", "10")
	lzDo(t, c, strs("g"), "LRANGE", "l", "-1", "-1")
	lzDo(t, c, strs(), "LRANGE", "nokey", "0", "-1")
	lzDo(t, c, int64(9), "LPUSH", "l", "x", "y")
	lzDo(t, c, strs("y", "x", "a"), "LRANGE", "l", "0", "2")
	lzDo(t, c, int64(0), "LPUSHX", "nokey", "a")
	lzDo(t, c, int64(0), "RPUSHX", "nokey", "a")
	lzDo(t, c, int64(0), "EXISTS", "nokey")
	lzDo(t, c, int64(11), "LPUSHX", "l", "p1", "p2")
	lzDo(t, c, int64(13), "RPUSHX", "l", "r1", "r2")
	lzDo(t, c, strs("p2", "p1", "y"), "LRANGE", "l", "0", "2")
	lzDo(t, c, strs("g", "r1", "r2"), "LRANGE", "l", "-3", "-1")
	lzDo(t, c, int64(13), "LLEN", "l")
	lzDo(t, c, int64(0), "LLEN", "nokey")
	lzDo(t, c, "list", "TYPE", "l")
	lzDo(t, c, "quicklist", "OBJECT", "ENCODING", "l")
	lzErr(t, c, "ERR value is not an integer or out of range", "LRANGE", "l", "a", "1")
	lzErr(t, c, "ERR value is not an integer or out of range", "LRANGE", "l", "0", "99999999999999999999")
	lzErr(t, c, "ERR wrong number of arguments for 'lpush' command", "LPUSH", "l")
	lzErr(t, c, "ERR wrong number of arguments for 'lrange' command", "LRANGE", "l", "0")
	// Extreme indexes do not overflow.
	lzDo(t, c, int64(13), "LLEN", "l")
	v, err := c.Do(lzCtx, "LRANGE", "l", "-9223372036854775808", "9223372036854775807").Slice()
	require.NoError(t, err)
	require.Len(t, v, 13)
	// Binary-safe elements, persisted across a restart.
	lzDo(t, c, int64(2), "RPUSH", "bin", "", "\x00\xff\r\n")
	s.Restart()
	c = s.Client()
	lzDo(t, c, strs("", "\x00\xff\r\n"), "LRANGE", "bin", "0", "-1")
	lzDo(t, c, int64(13), "LLEN", "l")
}

func TestListPop(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(5), "RPUSH", "l", "a", "b", "c", "d", "e")
	lzDo(t, c, "a", "LPOP", "l")
	lzDo(t, c, "e", "RPOP", "l")
	lzDo(t, c, strs("b", "c"), "LPOP", "l", "2")
	lzDo(t, c, strs(), "LPOP", "l", "0")
	lzDo(t, c, strs("d"), "RPOP", "l", "10")
	lzDo(t, c, int64(0), "EXISTS", "l")
	lzNil(t, c, "LPOP", "l")
	lzNil(t, c, "RPOP", "l", "3")
	lzErr(t, c, "ERR value is out of range, must be positive", "LPOP", "l", "-1")
	lzErr(t, c, "ERR value is out of range, must be positive", "LPOP", "l", "abc")
	lzErr(t, c, "ERR wrong number of arguments for 'lpop' command", "LPOP", "l", "1", "2")
	// A null array with a count, a null bulk without; RESP3 null for both.
	lzDo(t, c, int64(1), "RPUSH", "one", "x")
	require.Equal(t, []string{"*-1\r\n", "$-1\r\n", "*0\r\n", "*-1\r\n"},
		lzRaw(t, s, []string{"LPOP", "nokey", "0"}, []string{"LPOP", "nokey"}, []string{"LPOP", "one", "0"}, []string{"RPOP", "nokey", "2"}))
	require.Equal(t, []string{"_\r\n", "_\r\n"},
		lzRaw(t, s, []string{"HELLO", "3"}, []string{"LPOP", "nokey", "2"}, []string{"LPOP", "nokey"})[1:])
	lzDo(t, c, "OK", "SET", "str", "v")
	lzErr(t, c, "WRONGTYPE Operation against a key holding the wrong kind of value", "LPOP", "str", "0")
	lzDo(t, c, int64(2), "DBSIZE")
	lzDo(t, c, int64(1), "EXISTS", "one")
}

func TestListIndexSet(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(3), "RPUSH", "l", "a", "b", "c")
	lzDo(t, c, "a", "LINDEX", "l", "0")
	lzDo(t, c, "c", "LINDEX", "l", "-1")
	lzDo(t, c, "a", "LINDEX", "l", "-3")
	lzNil(t, c, "LINDEX", "l", "3")
	lzNil(t, c, "LINDEX", "l", "-4")
	lzNil(t, c, "LINDEX", "nokey", "0")
	lzNil(t, c, "LINDEX", "l", "9223372036854775807")
	lzNil(t, c, "LINDEX", "l", "-9223372036854775808")
	lzErr(t, c, "ERR value is not an integer or out of range", "LINDEX", "l", "1e3")
	lzDo(t, c, "OK", "LSET", "l", "0", "A")
	lzDo(t, c, "OK", "LSET", "l", "-1", "C")
	lzDo(t, c, strs("A", "b", "C"), "LRANGE", "l", "0", "-1")
	lzErr(t, c, "ERR index out of range", "LSET", "l", "3", "x")
	lzErr(t, c, "ERR index out of range", "LSET", "l", "-4", "x")
	lzErr(t, c, "ERR no such key", "LSET", "nokey", "0", "x")
	lzDo(t, c, int64(0), "EXISTS", "nokey")
}

func TestListInsertRemTrim(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(10), "RPUSH", "l", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	lzDo(t, c, int64(11), "LINSERT", "l", "before", "1", "0")
	lzDo(t, c, int64(12), "LINSERT", "l", "after", "10", "11")
	lzDo(t, c, int64(13), "LINSERT", "l", "BEFORE", "6", "5.5")
	lzDo(t, c, int64(14), "LINSERT", "l", "After", "3", "3.5")
	lzDo(t, c, strs("0", "1", "2", "3", "3.5", "4", "5", "5.5", "6", "7", "8", "9", "10", "11"), "LRANGE", "l", "0", "-1")
	lzDo(t, c, int64(-1), "LINSERT", "l", "after", "99", "x")
	lzDo(t, c, int64(0), "LINSERT", "nokey", "before", "a", "x")
	lzErr(t, c, "ERR syntax error", "LINSERT", "l", "middle", "1", "x")

	lzDo(t, c, int64(9), "RPUSH", "r", "a", "b", "c", "a", "b", "c", "a", "b", "c")
	lzDo(t, c, int64(2), "LREM", "r", "2", "a")
	lzDo(t, c, strs("b", "c", "b", "c", "a", "b", "c"), "LRANGE", "r", "0", "-1")
	lzDo(t, c, int64(1), "LREM", "r", "-1", "c")
	lzDo(t, c, strs("b", "c", "b", "c", "a", "b"), "LRANGE", "r", "0", "-1")
	lzDo(t, c, int64(3), "LREM", "r", "0", "b")
	lzDo(t, c, strs("c", "c", "a"), "LRANGE", "r", "0", "-1")
	lzDo(t, c, int64(0), "LREM", "r", "0", "zz")
	lzDo(t, c, int64(0), "LREM", "nokey", "0", "a")
	lzDo(t, c, int64(2), "LREM", "r", "0", "c")
	lzDo(t, c, int64(1), "LREM", "r", "1", "a")
	lzDo(t, c, int64(0), "EXISTS", "r")
	lzErr(t, c, "ERR value is not an integer or out of range", "LREM", "r", "a", "a")

	lzDo(t, c, int64(5), "RPUSH", "t", "a", "b", "c", "d", "e")
	lzDo(t, c, "OK", "LTRIM", "t", "1", "-2")
	lzDo(t, c, strs("b", "c", "d"), "LRANGE", "t", "0", "-1")
	lzDo(t, c, "OK", "LTRIM", "t", "-100", "100")
	lzDo(t, c, strs("b", "c", "d"), "LRANGE", "t", "0", "-1")
	lzDo(t, c, "OK", "LTRIM", "t", "-1", "-1")
	lzDo(t, c, strs("d"), "LRANGE", "t", "0", "-1")
	lzDo(t, c, "OK", "LTRIM", "t", "1", "0")
	lzDo(t, c, int64(0), "EXISTS", "t")
	lzDo(t, c, "OK", "LTRIM", "nokey", "0", "1")
	lzErr(t, c, "ERR value is not an integer or out of range", "LTRIM", "t", "0", "a")
}

func TestListPos(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(7), "RPUSH", "l", "a", "b", "c", "a", "b", "c", "a")
	lzDo(t, c, int64(0), "LPOS", "l", "a")
	lzDo(t, c, int64(2), "LPOS", "l", "c")
	lzDo(t, c, int64(3), "LPOS", "l", "a", "RANK", "2")
	lzDo(t, c, int64(6), "LPOS", "l", "a", "RANK", "-1")
	lzDo(t, c, int64(3), "LPOS", "l", "a", "RANK", "-2")
	lzDo(t, c, ints(0, 3, 6), "LPOS", "l", "a", "COUNT", "0")
	lzDo(t, c, ints(0, 3), "LPOS", "l", "a", "COUNT", "2")
	lzDo(t, c, ints(6, 3, 0), "LPOS", "l", "a", "COUNT", "0", "RANK", "-1")
	lzDo(t, c, ints(3, 6), "LPOS", "l", "a", "COUNT", "0", "RANK", "2")
	lzDo(t, c, ints(0), "LPOS", "l", "a", "COUNT", "0", "MAXLEN", "3")
	lzDo(t, c, int64(6), "LPOS", "l", "a", "RANK", "-1", "MAXLEN", "1")
	lzNil(t, c, "LPOS", "l", "a", "RANK", "-2", "MAXLEN", "2")
	// Redis negates LONG_MIN into itself: the first match from the tail.
	lzDo(t, c, int64(6), "LPOS", "l", "a", "RANK", "-9223372036854775808")
	lzNil(t, c, "LPOS", "l", "zz")
	lzDo(t, c, ints(), "LPOS", "l", "zz", "COUNT", "5")
	lzNil(t, c, "LPOS", "nokey", "a")
	lzDo(t, c, ints(), "LPOS", "nokey", "a", "COUNT", "1")
	lzNil(t, c, "LPOS", "l", "a", "RANK", "10")
	lzErr(t, c, "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list", "LPOS", "l", "a", "RANK", "0")
	lzErr(t, c, "ERR COUNT can't be negative", "LPOS", "l", "a", "COUNT", "-1")
	lzErr(t, c, "ERR MAXLEN can't be negative", "LPOS", "l", "a", "MAXLEN", "-1")
	lzErr(t, c, "ERR syntax error", "LPOS", "l", "a", "foo")
	lzErr(t, c, "ERR syntax error", "LPOS", "l", "a", "RANK")
	lzErr(t, c, "ERR value is not an integer or out of range", "LPOS", "l", "a", "RANK", "x")
}

func TestListMove(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(3), "RPUSH", "l", "a", "b", "c")
	lzDo(t, c, "a", "LMOVE", "l", "l2", "LEFT", "RIGHT")
	lzDo(t, c, "c", "LMOVE", "l", "l2", "right", "left")
	lzDo(t, c, strs("b"), "LRANGE", "l", "0", "-1")
	lzDo(t, c, strs("c", "a"), "LRANGE", "l2", "0", "-1")
	lzDo(t, c, "b", "RPOPLPUSH", "l", "l2")
	lzDo(t, c, int64(0), "EXISTS", "l")
	lzDo(t, c, strs("b", "c", "a"), "LRANGE", "l2", "0", "-1")
	lzNil(t, c, "RPOPLPUSH", "l", "l2")
	// Rotation on one list.
	lzDo(t, c, "a", "RPOPLPUSH", "l2", "l2")
	lzDo(t, c, strs("a", "b", "c"), "LRANGE", "l2", "0", "-1")
	lzDo(t, c, "a", "LMOVE", "l2", "l2", "LEFT", "RIGHT")
	lzDo(t, c, strs("b", "c", "a"), "LRANGE", "l2", "0", "-1")
	lzDo(t, c, "b", "LMOVE", "l2", "l2", "LEFT", "LEFT")
	lzDo(t, c, strs("b", "c", "a"), "LRANGE", "l2", "0", "-1")
	lzDo(t, c, int64(1), "RPUSH", "single", "x")
	lzDo(t, c, "x", "RPOPLPUSH", "single", "single")
	lzDo(t, c, strs("x"), "LRANGE", "single", "0", "-1")
	// Wrong types: source first (a missing source is a nil even when the
	// destination has the wrong type), then the destination before any
	// change.
	lzDo(t, c, "OK", "SET", "str", "v")
	lzNil(t, c, "LMOVE", "nokey", "str", "LEFT", "LEFT")
	lzErr(t, c, "WRONGTYPE Operation against a key holding the wrong kind of value", "LMOVE", "l2", "str", "LEFT", "LEFT")
	lzErr(t, c, "WRONGTYPE Operation against a key holding the wrong kind of value", "RPOPLPUSH", "str", "l2")
	lzDo(t, c, strs("b", "c", "a"), "LRANGE", "l2", "0", "-1")
	lzErr(t, c, "ERR syntax error", "LMOVE", "l2", "x", "LEFT", "UP")
}

func TestListMPop(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(4), "RPUSH", "l", "a", "b", "c", "d")
	lzNil(t, c, "LMPOP", "1", "nokey", "LEFT")
	lzDo(t, c, []any{"l", strs("a")}, "LMPOP", "2", "nokey", "l", "LEFT")
	lzDo(t, c, []any{"l", strs("d", "c")}, "LMPOP", "1", "l", "RIGHT", "COUNT", "2")
	lzDo(t, c, []any{"l", strs("b")}, "LMPOP", "1", "l", "left", "count", "10")
	lzDo(t, c, int64(0), "EXISTS", "l")
	lzErr(t, c, "ERR numkeys should be greater than 0", "LMPOP", "0", "l", "LEFT")
	lzErr(t, c, "ERR numkeys should be greater than 0", "LMPOP", "abc", "l", "LEFT")
	lzErr(t, c, "ERR syntax error", "LMPOP", "3", "l", "LEFT")
	lzErr(t, c, "ERR syntax error", "LMPOP", "1", "l", "UP")
	lzErr(t, c, "ERR count should be greater than 0", "LMPOP", "1", "l", "LEFT", "COUNT", "0")
	lzErr(t, c, "ERR syntax error", "LMPOP", "1", "l", "LEFT", "COUNT")
	lzErr(t, c, "ERR syntax error", "LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1")
	lzDo(t, c, "OK", "SET", "str", "v")
	lzDo(t, c, int64(1), "RPUSH", "l", "z")
	lzErr(t, c, "WRONGTYPE Operation against a key holding the wrong kind of value", "LMPOP", "2", "str", "l", "LEFT")
	// A non-empty list before the wrong-typed key wins.
	lzDo(t, c, []any{"l", strs("z")}, "LMPOP", "2", "l", "str", "LEFT")
	// Key extraction for locking and COMMAND GETKEYS-style users.
	require.Equal(t, []string{"*-1\r\n"}, lzRaw(t, s, []string{"LMPOP", "1", "nokey", "LEFT"}))
}

func TestListWrongType(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, "OK", "SET", "str", "v")
	const wt = "WRONGTYPE Operation against a key holding the wrong kind of value"
	for _, args := range [][]any{
		{"LPUSH", "str", "a"}, {"RPUSH", "str", "a"}, {"LPUSHX", "str", "a"}, {"RPUSHX", "str", "a"},
		{"LPOP", "str"}, {"RPOP", "str", "2"}, {"LLEN", "str"}, {"LRANGE", "str", "0", "1"},
		{"LINDEX", "str", "0"}, {"LSET", "str", "0", "a"}, {"LINSERT", "str", "before", "a", "b"},
		{"LREM", "str", "0", "a"}, {"LTRIM", "str", "0", "1"}, {"LPOS", "str", "a"},
		{"LMOVE", "str", "x", "LEFT", "LEFT"}, {"RPOPLPUSH", "str", "x"}, {"LMPOP", "1", "str", "LEFT"},
	} {
		lzErr(t, c, wt, args...)
	}
	lzDo(t, c, "v", "GET", "str")
	lzDo(t, c, int64(0), "EXISTS", "x")
}

// A list with a TTL expires as a whole; pushing to an expired key starts a
// fresh list.
func TestListExpiry(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(3), "RPUSH", "l", "a", "b", "c")
	// A long TTL first, so a slow machine cannot expire the key before the
	// push that must keep it.
	lzDo(t, c, int64(1), "PEXPIRE", "l", "100000")
	lzDo(t, c, int64(4), "RPUSH", "l", "d") // keeps the TTL
	ttl, err := c.PTTL(context.Background(), "l").Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Duration(0))
	lzDo(t, c, int64(1), "PEXPIRE", "l", "1")
	time.Sleep(50 * time.Millisecond)
	lzDo(t, c, strs(), "LRANGE", "l", "0", "-1")
	lzDo(t, c, int64(1), "RPUSH", "l", "new")
	lzDo(t, c, strs("new"), "LRANGE", "l", "0", "-1")
	lzDo(t, c, int64(-1), "TTL", "l")
}

// Random operations against a slice model, through the server.
func TestListModelRandom(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	r := rand.New(rand.NewPCG(1, 2))
	var model []string
	norm := func(start, stop int) (int, int, bool) {
		n := len(model)
		if start < 0 {
			start += n
		}
		if stop < 0 {
			stop += n
		}
		if start < 0 {
			start = 0
		}
		if start > stop || start >= n {
			return 0, 0, false
		}
		if stop >= n {
			stop = n - 1
		}
		return start, stop, true
	}
	for step := 0; step < 1500; step++ {
		v := strconv.Itoa(r.IntN(8))
		switch r.IntN(9) {
		case 0:
			lzDo(t, c, int64(len(model)+2), "RPUSH", "m", v, v+"x")
			model = append(model, v, v+"x")
		case 1:
			lzDo(t, c, int64(len(model)+1), "LPUSH", "m", v)
			model = append([]string{v}, model...)
		case 2:
			if len(model) == 0 {
				lzNil(t, c, "RPOP", "m")
			} else {
				lzDo(t, c, model[len(model)-1], "RPOP", "m")
				model = model[:len(model)-1]
			}
		case 3:
			a, b := r.IntN(12)-6, r.IntN(12)-6
			want := []any{}
			if x, y, ok := norm(a, b); ok {
				want = strs(model[x : y+1]...)
			}
			lzDo(t, c, want, "LRANGE", "m", a, b)
		case 4:
			pivot := strconv.Itoa(r.IntN(8))
			idx := -1
			for i, x := range model {
				if x == pivot {
					idx = i
					break
				}
			}
			if len(model) == 0 {
				lzDo(t, c, int64(0), "LINSERT", "m", "AFTER", pivot, v)
			} else if idx < 0 {
				lzDo(t, c, int64(-1), "LINSERT", "m", "AFTER", pivot, v)
			} else {
				lzDo(t, c, int64(len(model)+1), "LINSERT", "m", "AFTER", pivot, v)
				model = append(model[:idx+1], append([]string{v}, model[idx+1:]...)...)
			}
		case 5:
			cnt := r.IntN(3)
			removed := 0
			out := []string{}
			for _, x := range model {
				if x == v && (cnt == 0 || removed < cnt) {
					removed++
					continue
				}
				out = append(out, x)
			}
			lzDo(t, c, int64(removed), "LREM", "m", cnt, v)
			model = out
		case 6:
			a, b := r.IntN(20)-5, r.IntN(30)-5
			lzDo(t, c, "OK", "LTRIM", "m", a, b)
			if x, y, ok := norm(a, b); ok {
				model = append([]string(nil), model[x:y+1]...)
			} else {
				model = nil
			}
		case 7:
			if len(model) > 0 {
				i := r.IntN(len(model))
				lzDo(t, c, "OK", "LSET", "m", i, v)
				model[i] = v
				lzDo(t, c, v, "LINDEX", "m", i-len(model))
			}
		case 8:
			if len(model) > 0 {
				lzDo(t, c, model[len(model)-1], "RPOPLPUSH", "m", "m")
				model = append([]string{model[len(model)-1]}, model[:len(model)-1]...)
			}
		}
		lzDo(t, c, int64(len(model)), "LLEN", "m")
	}
	got, err := c.LRange(lzCtx, "m", 0, -1).Result()
	require.NoError(t, err)
	if len(model) == 0 {
		require.Empty(t, got)
	} else {
		require.Equal(t, model, got)
	}
}

// A queue filled and drained with RPOP round after round keeps working:
// every element comes out once, in order, and the key disappears when
// drained.
func TestListQueueChurn(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	const rounds, per = 20, 500
	for round := 0; round < rounds; round++ {
		p := c.Pipeline()
		for i := 0; i < per; i++ {
			p.LPush(lzCtx, "queue", fmt.Sprintf("%d-%d", round, i))
		}
		_, err := p.Exec(lzCtx)
		require.NoError(t, err)
		lzDo(t, c, strs(fmt.Sprintf("%d-0", round)), "LRANGE", "queue", "-1", "-1")
		p = c.Pipeline()
		cmds := make([]*redis.StringCmd, per)
		for i := 0; i < per; i++ {
			cmds[i] = p.RPop(lzCtx, "queue")
		}
		_, err = p.Exec(lzCtx)
		require.NoError(t, err)
		for i, cmd := range cmds {
			require.Equal(t, fmt.Sprintf("%d-%d", round, i), cmd.Val())
		}
		lzDo(t, c, int64(0), "EXISTS", "queue")
	}
	lzDo(t, c, int64(0), "DBSIZE")
}

// BenchmarkQueueChurn pushes and pops items through one list in rounds
// (LPUSH a batch, RPOP a batch, as a work queue does) and reports the
// throughput of the first and last tenth of the rounds and the latency of
// LRANGE 0 9 at the start and the end, to show that tombstone build-up does
// not slow the queue down. "backlog" keeps 10 items queued throughout;
// "drain" empties the list every round (the key is deleted and recreated).
func BenchmarkQueueChurn(b *testing.B) {
	b.Run("backlog", func(b *testing.B) { benchQueue(b, 10) })
	b.Run("drain", func(b *testing.B) { benchQueue(b, 0) })
}

func benchQueue(b *testing.B, backlog int) {
	s := servertest.Start(b, "--appendfsync", "no")
	c := s.ClientWith(&redis.Options{PoolSize: 1})
	const batch = 1000
	rounds := b.N
	if rounds < 10 {
		rounds = 10
	}
	for i := 0; i < backlog; i++ {
		c.LPush(lzCtx, "queue", "old")
	}
	lrange := func() float64 {
		start := time.Now()
		if err := c.LRange(lzCtx, "queue", 0, 9).Err(); err != nil {
			b.Fatal(err)
		}
		return float64(time.Since(start).Microseconds())
	}
	lrangeStart := lrange()
	rates := make([]float64, rounds)
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		start := time.Now()
		p := c.Pipeline()
		for i := 0; i < batch; i++ {
			p.LPush(lzCtx, "queue", "item")
		}
		for i := 0; i < batch; i++ {
			p.RPop(lzCtx, "queue")
		}
		if _, err := p.Exec(lzCtx); err != nil {
			b.Fatal(err)
		}
		rates[r] = float64(2*batch) / time.Since(start).Seconds()
	}
	b.StopTimer()
	tenth := rounds / 10
	avg := func(xs []float64) float64 {
		var sum float64
		for _, x := range xs {
			sum += x
		}
		return sum / float64(len(xs))
	}
	first, last := avg(rates[:tenth]), avg(rates[rounds-tenth:])
	b.ReportMetric(first, "ops/s-first10%")
	b.ReportMetric(last, "ops/s-last10%")
	b.ReportMetric(last/first, "last/first")
	// Median of a few calls, to keep one GC pause out of the figure.
	var lat []float64
	for i := 0; i < 5; i++ {
		lat = append(lat, lrange())
	}
	sort.Float64s(lat)
	b.ReportMetric(lrangeStart, "lrange-us-start")
	b.ReportMetric(lat[2], "lrange-us-end")
	if n, _ := c.LLen(lzCtx, "queue").Result(); n != int64(backlog) {
		b.Fatalf("queue holds %d items, want %d", n, backlog)
	}
}

// TestListMillion builds a 1,000,000-element list and checks point reads
// and short ranges in the middle, pops at both ends, an insertion near the
// head, and that DEL leaves nothing behind. Timings are logged only.
func TestListMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-element list")
	}
	s := servertest.Start(t)
	c := s.Client()
	const total, perCmd = 1_000_000, 1000
	start := time.Now()
	for base := 0; base < total; base += 100 * perCmd {
		pipe := c.Pipeline()
		for b := base; b < base+100*perCmd; b += perCmd {
			args := make([]any, 0, 2+perCmd)
			args = append(args, "RPUSH", "big")
			for i := b; i < b+perCmd; i++ {
				args = append(args, strconv.Itoa(i))
			}
			pipe.Do(lzCtx, args...)
		}
		_, err := pipe.Exec(lzCtx)
		require.NoError(t, err)
	}
	t.Logf("built %d elements in %v", total, time.Since(start))
	lzDo(t, c, int64(total), "LLEN", "big")
	start = time.Now()
	lzDo(t, c, "500000", "LINDEX", "big", "500000")
	t.Logf("LINDEX in the middle: %v", time.Since(start))
	start = time.Now()
	lzDo(t, c, strs("500000", "500001", "500002"), "LRANGE", "big", "500000", "500002")
	t.Logf("LRANGE of 3 in the middle: %v", time.Since(start))
	lzDo(t, c, "OK", "LSET", "big", "-500000", "x")
	lzDo(t, c, "x", "LINDEX", "big", "500000")
	start = time.Now()
	lzDo(t, c, int64(total+1), "LINSERT", "big", "AFTER", "2", "ins")
	t.Logf("LINSERT near the head (shifts the 3 elements before it): %v", time.Since(start))
	lzDo(t, c, strs("0", "1", "2", "ins", "3"), "LRANGE", "big", "0", "4")
	lzDo(t, c, "999999", "RPOP", "big")
	lzDo(t, c, "0", "LPOP", "big")
	// One element inserted before and one popped: indexes are back where
	// they were.
	lzDo(t, c, "x", "LINDEX", "big", "500000")
	lzDo(t, c, "500001", "LINDEX", "big", "500001")
	start = time.Now()
	lzDo(t, c, "OK", "LTRIM", "big", "10", "-11")
	t.Logf("LTRIM of 20 elements: %v", time.Since(start))
	lzDo(t, c, int64(total-21), "LLEN", "big")
	start = time.Now()
	lzDo(t, c, int64(1), "DEL", "big")
	t.Logf("DEL of a %d-element list: %v", total, time.Since(start))
	lzDo(t, c, int64(0), "DBSIZE")
	eng := s.Srv.Engine
	mk := encoding.MetaKey(eng.Physical(0), []byte("big"))
	it, err := eng.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	require.False(t, it.First(), "no record left")
	require.NoError(t, it.Close())
	t.Logf("peak RSS of the test process (server in-process): %s", lzPeakRSS())
}

// Concurrent producers and consumers on one list: every item comes out
// exactly once (the key lock makes each push and pop atomic).
func TestListConcurrentQueue(t *testing.T) {
	s := lzStart(t)
	const producers, per = 4, 500
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			c := s.Client()
			for i := 0; i < per; i++ {
				if err := c.LPush(lzCtx, "q", fmt.Sprintf("%d:%d", p, i)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(p)
	}
	got := make(chan string, producers*per)
	var popped atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.Client()
			for popped.Load() < producers*per {
				v, err := c.RPop(lzCtx, "q").Result()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				popped.Add(1)
				got <- v
			}
		}()
	}
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for v := range got {
		require.False(t, seen[v], "popped twice: %s", v)
		seen[v] = true
		var p, i int
		_, err := fmt.Sscanf(v, "%d:%d", &p, &i)
		require.NoError(t, err)
	}
	require.Len(t, seen, producers*per)
	lzDo(t, s.Client(), int64(0), "EXISTS", "q")
}
