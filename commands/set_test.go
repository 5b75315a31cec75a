package commands_test

import (
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Expected replies below were checked against a real Redis 7.0.15.

func TestSetBasic(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, int64(5), "SADD", "s", "3", "1", "2", "10", "-5")
	// Intsets reply in numeric order, as Redis does.
	requireDo(t, c, []any{"-5", "1", "2", "3", "10"}, "SMEMBERS", "s")
	requireDo(t, c, int64(0), "SADD", "s", "3", "3")
	requireDo(t, c, int64(1), "SADD", "s", "a", "a")
	members, err := c.SMembers(hctx, "s").Result()
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"-5", "1", "2", "3", "10", "a"}, members)
	requireDo(t, c, int64(6), "SCARD", "s")
	requireDo(t, c, int64(0), "SCARD", "nokey")
	requireDo(t, c, int64(1), "SISMEMBER", "s", "a")
	requireDo(t, c, int64(0), "SISMEMBER", "s", "b")
	requireDo(t, c, int64(0), "SISMEMBER", "nokey", "b")
	requireDo(t, c, []any{int64(1), int64(0), int64(1)}, "SMISMEMBER", "s", "a", "nosuch", "1")
	requireDo(t, c, []any{int64(0)}, "SMISMEMBER", "nokey", "a")
	requireDo(t, c, []any{}, "SMEMBERS", "nokey")
	requireDo(t, c, int64(2), "SREM", "s", "nosuch", "10", "10", "a")
	requireDo(t, c, int64(0), "SREM", "nokey", "a")
	requireDo(t, c, int64(4), "SCARD", "s")
	requireDo(t, c, "set", "TYPE", "s")
	requireDo(t, c, int64(4), "SREM", "s", "-5", "1", "2", "3")
	requireDo(t, c, int64(0), "EXISTS", "s")
	requireDo(t, c, int64(0), "DBSIZE")

	requireDo(t, c, int64(2), "SADD", "b", "", "\x00\xff")
	requireDo(t, c, int64(1), "SISMEMBER", "b", "")
	s.Restart()
	c = s.Client()
	requireDo(t, c, int64(1), "SISMEMBER", "b", "\x00\xff")
	requireDo(t, c, int64(2), "SCARD", "b")
}

func TestSetErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, "OK", "SET", "str", "x")
	requireDo(t, c, int64(2), "SADD", "s", "a", "b")
	for _, args := range [][]any{
		{"SADD", "str", "a"}, {"SREM", "str", "a"}, {"SMEMBERS", "str"}, {"SCARD", "str"}, {"SISMEMBER", "str", "a"},
		{"SMISMEMBER", "str", "a"}, {"SPOP", "str"}, {"SPOP", "str", "0"}, {"SRANDMEMBER", "str"}, {"SRANDMEMBER", "str", "0"},
		{"SMOVE", "str", "s", "a"}, {"SMOVE", "s", "str", "a"}, {"SUNION", "s", "str"}, {"SUNION", "nokey", "str"},
		{"SINTER", "s", "nokey", "str"}, {"SINTER", "str", "nokey"}, {"SDIFF", "nokey", "str"}, {"SDIFF", "s", "str"},
		{"SUNIONSTORE", "d", "s", "str"}, {"SINTERSTORE", "d", "nokey", "str"}, {"SDIFFSTORE", "d", "s", "str"},
		{"SINTERCARD", "1", "str"}, {"SINTERCARD", "2", "nokey", "str"}, {"SSCAN", "str", "0"},
	} {
		requireErr(t, c, wrongType, args...)
	}
	requireDo(t, c, int64(0), "EXISTS", "d")
	requireDo(t, c, "x", "GET", "str")
	requireDo(t, c, int64(2), "SCARD", "s")

	requireErr(t, c, "ERR wrong number of arguments for 'sadd' command", "SADD", "s")
	requireErr(t, c, "ERR wrong number of arguments for 'smove' command", "SMOVE", "s", "t")
	requireErr(t, c, "ERR wrong number of arguments for 'sunionstore' command", "SUNIONSTORE", "d")
	requireErr(t, c, "ERR wrong number of arguments for 'sintercard' command", "SINTERCARD", "1")
	requireErr(t, c, "ERR value is out of range, must be positive", "SPOP", "s", "-1")
	requireErr(t, c, "ERR value is out of range, must be positive", "SPOP", "s", "x")
	requireErr(t, c, "ERR syntax error", "SPOP", "s", "1", "2")
	requireErr(t, c, "ERR syntax error", "SRANDMEMBER", "s", "1", "2")
	requireErr(t, c, "ERR value is not an integer or out of range", "SRANDMEMBER", "s", "x")
	requireErr(t, c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807", "SRANDMEMBER", "s", "-9223372036854775808")
	requireErr(t, c, "ERR numkeys should be greater than 0", "SINTERCARD", "0", "s")
	requireErr(t, c, "ERR numkeys should be greater than 0", "SINTERCARD", "-1", "s")
	requireErr(t, c, "ERR numkeys should be greater than 0", "SINTERCARD", "x", "s")
	requireErr(t, c, "ERR Number of keys can't be greater than number of args", "SINTERCARD", "3", "s", "t")
	requireErr(t, c, "ERR syntax error", "SINTERCARD", "1", "s", "limit")
	requireErr(t, c, "ERR syntax error", "SINTERCARD", "1", "s", "foo", "1")
	requireErr(t, c, "ERR LIMIT can't be negative", "SINTERCARD", "1", "s", "limit", "-1")
	requireErr(t, c, "ERR LIMIT can't be negative", "SINTERCARD", "1", "s", "limit", "x")
	requireErr(t, c, "ERR invalid cursor", "SSCAN", "s", "x")
	requireErr(t, c, "ERR syntax error", "SSCAN", "s", "0", "count", "0")
	requireErr(t, c, "ERR syntax error", "SSCAN", "s", "0", "match")
	requireDo(t, c, int64(2), "SCARD", "s")
}

func TestSetPopRandMember(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, nil, "SPOP", "nokey")
	requireDo(t, c, []any{}, "SPOP", "nokey", "3")
	requireDo(t, c, nil, "SRANDMEMBER", "nokey")
	requireDo(t, c, []any{}, "SRANDMEMBER", "nokey", "5")
	requireDo(t, c, []any{}, "SRANDMEMBER", "nokey", "-5")
	requireDo(t, c, int64(4), "SADD", "s", "a", "b", "c", "d")
	all := []string{"a", "b", "c", "d"}
	requireDo(t, c, []any{}, "SPOP", "s", "0")
	requireDo(t, c, []any{}, "SRANDMEMBER", "s", "0")

	v, err := c.SRandMember(hctx, "s").Result()
	require.NoError(t, err)
	require.Contains(t, all, v)
	vs, err := c.SRandMemberN(hctx, "s", 3).Result()
	require.NoError(t, err)
	require.Len(t, vs, 3)
	require.Subset(t, all, vs)
	require.Len(t, uniq(vs), 3)
	vs, err = c.SRandMemberN(hctx, "s", 10).Result()
	require.NoError(t, err)
	require.ElementsMatch(t, all, vs)
	vs, err = c.SRandMemberN(hctx, "s", -10).Result()
	require.NoError(t, err)
	require.Len(t, vs, 10)
	require.Subset(t, all, vs)
	requireDo(t, c, int64(4), "SCARD", "s")

	p, err := c.SPop(hctx, "s").Result()
	require.NoError(t, err)
	require.Contains(t, all, p)
	requireDo(t, c, int64(0), "SISMEMBER", "s", p)
	ps, err := c.SPopN(hctx, "s", 2).Result()
	require.NoError(t, err)
	require.Len(t, uniq(ps), 2)
	requireDo(t, c, int64(1), "SCARD", "s")
	ps2, err := c.SPopN(hctx, "s", 5).Result()
	require.NoError(t, err)
	require.Len(t, ps2, 1)
	require.ElementsMatch(t, all, append(append([]string{p}, ps...), ps2...))
	requireDo(t, c, int64(0), "EXISTS", "s")

	// RESP3: SPOP with a count replies a set, SRANDMEMBER an array.
	c3 := s.ClientWith(&redis.Options{Protocol: 3})
	requireDo(t, c, int64(3), "SADD", "s3", "x", "y", "z")
	v3, err := servertest.Do(c3, "SRANDMEMBER", "s3", "-2")
	require.NoError(t, err)
	require.Len(t, v3, 2)
	v3, err = servertest.Do(c3, "SPOP", "s3", "2")
	require.NoError(t, err)
	require.Len(t, v3, 2)
	v3, err = servertest.Do(c3, "SMEMBERS", "s3")
	require.NoError(t, err)
	require.Len(t, v3, 1)

	// A big set: random members are members; SPOP removes what it returns.
	args := []any{"SADD", "big"}
	for i := 0; i < 5000; i++ {
		args = append(args, "m"+strconv.Itoa(i))
	}
	requireDo(t, c, int64(5000), args...)
	popped, err := c.SPopN(hctx, "big", 20).Result()
	require.NoError(t, err)
	require.Len(t, uniq(popped), 20)
	for _, m := range popped {
		requireDo(t, c, int64(0), "SISMEMBER", "big", m)
	}
	requireDo(t, c, int64(4980), "SCARD", "big")
	rs, err := c.SRandMemberN(hctx, "big", 15).Result()
	require.NoError(t, err)
	require.Len(t, uniq(rs), 15)
	for _, m := range rs {
		requireDo(t, c, int64(1), "SISMEMBER", "big", m)
	}
	rs, err = c.SRandMemberN(hctx, "big", -30).Result()
	require.NoError(t, err)
	require.Len(t, rs, 30)
	one, err := c.SPop(hctx, "big").Result()
	require.NoError(t, err)
	requireDo(t, c, int64(0), "SISMEMBER", "big", one)
	requireDo(t, c, int64(4979), "SCARD", "big")
}

func uniq(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func TestSetMove(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, "OK", "SET", "str", "x")
	requireDo(t, c, int64(3), "SADD", "s", "1", "2", "3")
	requireDo(t, c, int64(1), "SADD", "t", "a")
	requireDo(t, c, int64(1), "SMOVE", "s", "t", "1")
	requireDo(t, c, int64(0), "SMOVE", "s", "t", "nosuch")
	requireDo(t, c, int64(0), "SMOVE", "nokey", "t", "a")
	requireDo(t, c, int64(0), "SMOVE", "nokey", "str", "a") // missing source wins over a wrong-type destination
	requireDo(t, c, int64(1), "SMOVE", "s", "s", "2")
	requireDo(t, c, int64(0), "SMOVE", "s", "s", "nosuch")
	requireDo(t, c, []any{"2", "3"}, "SMEMBERS", "s")
	members, _ := c.SMembers(hctx, "t").Result()
	require.ElementsMatch(t, []string{"a", "1"}, members)
	// Moving onto a member the destination has: removed from the source only.
	requireDo(t, c, int64(1), "SADD", "t", "2")
	requireDo(t, c, int64(1), "SMOVE", "s", "t", "2")
	requireDo(t, c, int64(3), "SCARD", "t")
	// The last member leaves: the source disappears, a new destination appears.
	requireDo(t, c, int64(1), "SMOVE", "s", "new", "3")
	requireDo(t, c, int64(0), "EXISTS", "s")
	requireDo(t, c, []any{"3"}, "SMEMBERS", "new")
	requireDo(t, c, "intset", "OBJECT", "ENCODING", "new")
}

func TestSetAlgebra(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, int64(5), "SADD", "i", "5", "3", "100", "-2", "7")
	requireDo(t, c, int64(5), "SADD", "j", "3", "7", "9", "100", "1000")
	requireDo(t, c, int64(3), "SADD", "a", "x", "y", "3")
	// Results Redis builds as intsets come in numeric order.
	requireDo(t, c, []any{"-2", "3", "5", "7", "9", "100", "1000"}, "SUNION", "i", "j")
	requireDo(t, c, []any{"3", "7", "100"}, "SINTER", "i", "j")
	requireDo(t, c, []any{"3", "7", "100"}, "SINTER", "j", "i")
	requireDo(t, c, []any{"-2", "5"}, "SDIFF", "i", "j")
	requireDo(t, c, []any{"9", "1000"}, "SDIFF", "j", "i")
	requireDo(t, c, []any{}, "SDIFF", "i", "i")
	requireDo(t, c, []any{}, "SINTER", "i", "nokey")
	requireDo(t, c, []any{}, "SUNION", "nokey")
	requireDo(t, c, []any{"3"}, "SINTER", "i", "j", "a")
	u, err := c.SUnion(hctx, "a", "i", "nokey").Result()
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"x", "y", "3", "5", "100", "-2", "7"}, u)
	d, err := c.SDiff(hctx, "a", "i").Result()
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"x", "y"}, d)

	requireDo(t, c, int64(3), "SINTERCARD", "2", "i", "j")
	requireDo(t, c, int64(2), "SINTERCARD", "2", "i", "j", "LIMIT", "2")
	requireDo(t, c, int64(3), "SINTERCARD", "2", "i", "j", "limit", "0")
	requireDo(t, c, int64(2), "SINTERCARD", "2", "i", "j", "limit", "1", "limit", "2")
	requireDo(t, c, int64(0), "SINTERCARD", "2", "i", "nokey")
	requireDo(t, c, int64(5), "SINTERCARD", "1", "i")

	// STORE variants overwrite any type, drop the TTL, delete on empty.
	requireDo(t, c, "OK", "SET", "dst", "x", "EX", "100")
	requireDo(t, c, int64(7), "SUNIONSTORE", "dst", "i", "j")
	requireDo(t, c, "set", "TYPE", "dst")
	requireDo(t, c, int64(-1), "TTL", "dst")
	requireDo(t, c, "intset", "OBJECT", "ENCODING", "dst")
	requireDo(t, c, int64(3), "SINTERSTORE", "dst", "i", "j")
	requireDo(t, c, []any{"3", "7", "100"}, "SMEMBERS", "dst")
	requireDo(t, c, int64(2), "SDIFFSTORE", "dst", "a", "i")
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "dst")
	requireDo(t, c, int64(0), "SINTERSTORE", "dst", "nokey", "i")
	requireDo(t, c, int64(0), "EXISTS", "dst")
	requireDo(t, c, int64(0), "SDIFFSTORE", "dst", "i", "i")
	requireDo(t, c, int64(0), "EXISTS", "dst")
	// The destination may be a source.
	requireDo(t, c, int64(3), "SINTERSTORE", "i", "i", "j")
	requireDo(t, c, []any{"3", "7", "100"}, "SMEMBERS", "i")
	requireDo(t, c, int64(2), "SDIFFSTORE", "j", "j", "i")
	requireDo(t, c, []any{"9", "1000"}, "SMEMBERS", "j")
	requireDo(t, c, int64(5), "SUNIONSTORE", "j", "j", "i")
	requireDo(t, c, int64(5), "SCARD", "j")

	// More than 512 integers is a hashtable: streamed in byte order.
	args := []any{"SADD", "n"}
	for i := 0; i < 600; i++ {
		args = append(args, strconv.Itoa(i))
	}
	requireDo(t, c, int64(600), args...)
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "n")
	got, err := c.SUnion(hctx, "n").Result()
	require.NoError(t, err)
	require.Len(t, got, 600)
	require.True(t, sort.StringsAreSorted(got))
}

func TestSetEncoding(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	args := []any{"SADD", "s"}
	for i := 0; i < 512; i++ {
		args = append(args, strconv.Itoa(i))
	}
	requireDo(t, c, int64(512), args...)
	requireDo(t, c, "intset", "OBJECT", "ENCODING", "s")
	requireDo(t, c, int64(1), "SADD", "s", "512")
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "s")
	requireDo(t, c, int64(1), "SREM", "s", "512")
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "s") // never converts back
	requireDo(t, c, int64(1), "SADD", "t", "1")
	requireDo(t, c, "intset", "OBJECT", "ENCODING", "t")
	requireDo(t, c, int64(1), "SADD", "t", "01") // not an integer for Redis
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "t")
	requireDo(t, c, int64(1), "SADD", "u", "abc")
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "u") // 7.0 has no listpack sets
}

func TestSetScan(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, int64(5), "SADD", "i", "10", "2", "33", "4", "-1")
	requireDo(t, c, []any{"0", []any{"-1", "2", "4", "10", "33"}}, "SSCAN", "i", "0", "COUNT", "1")
	requireDo(t, c, []any{"0", []any{"33"}}, "SSCAN", "i", "0", "MATCH", "3*")
	requireDo(t, c, []any{"0", []any{}}, "SSCAN", "nokey", "0")

	const n = 2000
	args := []any{"SADD", "s"}
	for i := 0; i < n; i++ {
		args = append(args, fmt.Sprintf("member-%d", i))
	}
	requireDo(t, c, int64(n), args...)
	seen := map[string]int{}
	var cursor uint64
	for steps := 0; ; steps++ {
		ms, next, err := c.SScan(hctx, "s", cursor, "", 33).Result()
		require.NoError(t, err)
		require.LessOrEqual(t, len(ms), 33)
		for _, m := range ms {
			seen[m]++
		}
		// Remove members the scan already returned: nothing else is skipped.
		if len(ms) > 0 {
			_, err := servertest.Do(c, "SREM", "s", ms[0])
			require.NoError(t, err)
		}
		if next == 0 {
			break
		}
		cursor = next
		require.Less(t, steps, 1000)
	}
	require.Len(t, seen, n)
	for m, k := range seen {
		require.Equal(t, 1, k, m)
	}
}

// TestSetDelMillion builds a 1,000,000-member set with pipelined SADDs and
// checks that DEL removes it whole: the key, its count in DBSIZE, and every
// record under the key's range. The DEL latency is logged (not asserted).
func TestSetDelMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-member set")
	}
	s := servertest.Start(t)
	c := s.Client()
	const total, perCmd = 1_000_000, 1000
	for base := 0; base < total; base += 100 * perCmd {
		pipe := c.Pipeline()
		for b := base; b < base+100*perCmd && b < total; b += perCmd {
			members := make([]any, 0, perCmd)
			for i := b; i < b+perCmd; i++ {
				members = append(members, "member:"+strconv.Itoa(i))
			}
			pipe.SAdd(hctx, "big", members...)
		}
		_, err := pipe.Exec(hctx)
		require.NoError(t, err)
	}
	requireDo(t, c, int64(total), "SCARD", "big")
	requireDo(t, c, "OK", "SET", "other", "x")
	requireDo(t, c, int64(2), "DBSIZE")
	requireDo(t, c, int64(1), "SISMEMBER", "big", "member:999999")

	start := time.Now()
	requireDo(t, c, int64(1), "DEL", "big")
	t.Logf("DEL of a %d-member set: %v", total, time.Since(start))

	requireDo(t, c, int64(0), "EXISTS", "big")
	requireDo(t, c, int64(1), "DBSIZE")
	requireDo(t, c, int64(0), "SCARD", "big")
	// No record of any version is left under the key's range.
	eng := s.Srv.Engine
	mk := encoding.MetaKey(eng.Physical(0), []byte("big"))
	it, err := eng.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	require.NoError(t, it.Close())
	require.Equal(t, 0, n)
	// The key can be recreated from scratch.
	requireDo(t, c, int64(1), "SADD", "big", "member:1")
	requireDo(t, c, []any{"member:1"}, "SMEMBERS", "big")
}
