package commands_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

const lzWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

func TestZSetAdd(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(5), "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
	lzDo(t, c, int64(0), "ZADD", "z", "1", "a")
	lzDo(t, c, int64(1), "ZADD", "z", "CH", "10", "a")
	lzDo(t, c, int64(0), "ZADD", "z", "ch", "10", "a")
	lzDo(t, c, int64(1), "ZADD", "z", "NX", "20", "a", "6", "f")
	lzDo(t, c, "10", "ZSCORE", "z", "a")
	lzDo(t, c, int64(0), "ZADD", "z", "XX", "30", "a", "7", "g")
	lzDo(t, c, "30", "ZSCORE", "z", "a")
	lzNil(t, c, "ZSCORE", "z", "g")
	lzDo(t, c, int64(0), "ZADD", "z", "GT", "CH", "20", "a")
	lzDo(t, c, int64(1), "ZADD", "z", "GT", "CH", "40", "a")
	lzDo(t, c, int64(0), "ZADD", "z", "LT", "CH", "50", "a")
	lzDo(t, c, int64(1), "ZADD", "z", "LT", "CH", "1", "a")
	lzDo(t, c, int64(1), "ZADD", "z", "XX", "GT", "CH", "0", "b", "100", "c")
	lzDo(t, c, "2", "ZSCORE", "z", "b")
	lzDo(t, c, "100", "ZSCORE", "z", "c")
	// Duplicates in one call: added once, updated after.
	lzDo(t, c, int64(1), "ZADD", "d", "1", "a", "2", "a")
	lzDo(t, c, "2", "ZSCORE", "d", "a")
	lzDo(t, c, int64(2), "ZADD", "d", "CH", "1", "x", "2", "x")
	// INCR.
	lzDo(t, c, "2", "ZADD", "z", "INCR", "1", "a")
	lzNil(t, c, "ZADD", "z", "INCR", "XX", "1", "nope")
	lzNil(t, c, "ZADD", "z", "INCR", "NX", "1", "a")
	lzNil(t, c, "ZADD", "z", "INCR", "GT", "-5", "a")
	lzDo(t, c, "-3", "ZADD", "z", "INCR", "LT", "-5", "a")
	lzDo(t, c, "2.5", "ZADD", "z", "INCR", "2.5", "new")
	lzDo(t, c, "4", "ZINCRBY", "z", "1.5", "new")
	lzDo(t, c, "-1.5", "ZINCRBY", "z", "-1.5", "newer")
	// XX on a missing key creates nothing.
	lzDo(t, c, int64(0), "ZADD", "none", "XX", "1", "a")
	lzNil(t, c, "ZADD", "none", "XX", "INCR", "1", "a")
	lzDo(t, c, int64(0), "EXISTS", "none")
	// Errors, checked before anything is written.
	lzErr(t, c, "ERR XX and NX options at the same time are not compatible", "ZADD", "z", "NX", "XX", "1", "a")
	lzErr(t, c, "ERR GT, LT, and/or NX options at the same time are not compatible", "ZADD", "z", "GT", "LT", "1", "a")
	lzErr(t, c, "ERR GT, LT, and/or NX options at the same time are not compatible", "ZADD", "z", "GT", "NX", "1", "a")
	lzErr(t, c, "ERR INCR option supports a single increment-element pair", "ZADD", "z", "INCR", "1", "a", "2", "b")
	lzErr(t, c, "ERR syntax error", "ZADD", "z", "1", "a", "2")
	lzErr(t, c, "ERR wrong number of arguments for 'zadd' command", "ZADD", "z", "XX")
	lzErr(t, c, "ERR value is not a valid float", "ZADD", "z", "abc", "a")
	lzErr(t, c, "ERR value is not a valid float", "ZADD", "z", "1", "a", "nan", "b")
	lzErr(t, c, "ERR value is not a valid float", "ZADD", "z", "1e400", "a")
	lzErr(t, c, "ERR value is not a valid float", "ZINCRBY", "z", "x", "a")
	lzErr(t, c, "ERR wrong number of arguments for 'zadd' command", "ZADD", "z", "1")
	lzNil(t, c, "ZSCORE", "z", "b\x00")
	lzDo(t, c, int64(8), "ZCARD", "z")
	lzDo(t, c, int64(0), "ZCARD", "nokey")
	lzDo(t, c, "zset", "TYPE", "z")
}

func TestZSetScores(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(12), "ZADD", "sc", "0.1", "a", "0.2", "b", "0.30000000000000004", "c", "1e308", "d",
		"-1e308", "e", "inf", "f", "-inf", "g", "3.14159", "h", "1e-10", "i", "123456789", "j", "-0", "k", "1.5e17", "l")
	lzDo(t, c, strs("g", "-inf", "e", "-1e+308", "k", "0", "i", "1e-10", "a", "0.10000000000000001",
		"b", "0.20000000000000001", "c", "0.30000000000000004", "h", "3.1415899999999999", "j", "123456789",
		"l", "1.5e+17", "d", "1e+308", "f", "inf"), "ZRANGE", "sc", "0", "-1", "WITHSCORES")
	lzDo(t, c, "inf", "ZINCRBY", "sc", "1", "f")
	lzDo(t, c, "inf", "ZINCRBY", "sc", "1e308", "d")
	lzErr(t, c, "ERR resulting score is not a number (NaN)", "ZINCRBY", "sc", "-inf", "f")
	lzErr(t, c, "ERR resulting score is not a number (NaN)", "ZADD", "sc", "INCR", "-inf", "f")
	lzDo(t, c, "inf", "ZSCORE", "sc", "f")
	lzDo(t, c, []any{"0.10000000000000001", nil, "inf"}, "ZMSCORE", "sc", "a", "nope", "f")
	lzDo(t, c, []any{nil, nil}, "ZMSCORE", "nokey", "a", "b")
	// RESP3: doubles, pairs for WITHSCORES, flat pair for a count-less pop.
	raw := lzRaw(t, s,
		[]string{"HELLO", "3"},
		[]string{"ZSCORE", "sc", "a"},
		[]string{"ZRANGE", "sc", "0", "1", "WITHSCORES"},
		[]string{"ZMSCORE", "sc", "g", "nope"},
		[]string{"ZPOPMIN", "sc"},
		[]string{"ZPOPMIN", "sc", "1"},
		[]string{"ZINCRBY", "sc", "1", "a"},
		[]string{"ZRANDMEMBER", "nokey", "2", "WITHSCORES"},
	)[1:]
	require.Equal(t, []string{
		",0.10000000000000001\r\n",
		"*2\r\n*2\r\n$1\r\ng\r\n,-inf\r\n*2\r\n$1\r\ne\r\n,-1e+308\r\n",
		"*2\r\n,-inf\r\n_\r\n",
		"*2\r\n$1\r\ng\r\n,-inf\r\n",
		"*1\r\n*2\r\n$1\r\ne\r\n,-1e+308\r\n",
		",1.1000000000000001\r\n",
		"*0\r\n",
	}, raw)
	// RESP2 pops are flat.
	require.Equal(t, []string{"*4\r\n$1\r\nk\r\n$1\r\n0\r\n$1\r\ni\r\n$5\r\n1e-10\r\n", "*0\r\n", "*0\r\n"},
		lzRaw(t, s, []string{"ZPOPMIN", "sc", "2"}, []string{"ZPOPMIN", "nokey"}, []string{"ZPOPMIN", "sc", "0"}))
}

func TestZSetRangeByRank(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(5), "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
	lzDo(t, c, strs("a", "b", "c", "d", "e"), "ZRANGE", "z", "0", "-1")
	lzDo(t, c, strs("c", "d"), "ZRANGE", "z", "2", "3")
	lzDo(t, c, strs("c", "3", "d", "4", "e", "5"), "ZRANGE", "z", "-3", "-1", "WITHSCORES")
	lzDo(t, c, strs("a", "b", "c", "d", "e"), "ZRANGE", "z", "-100", "100")
	lzDo(t, c, strs(), "ZRANGE", "z", "3", "2")
	lzDo(t, c, strs(), "ZRANGE", "z", "5", "10")
	lzDo(t, c, strs(), "ZRANGE", "nokey", "0", "-1")
	lzDo(t, c, strs("e", "d"), "ZRANGE", "z", "0", "1", "REV")
	lzDo(t, c, strs("e", "5", "d", "4"), "ZREVRANGE", "z", "0", "1", "WITHSCORES")
	lzDo(t, c, strs("b", "a"), "ZREVRANGE", "z", "-2", "-1")
	lzErr(t, c, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX", "ZRANGE", "z", "0", "1", "LIMIT", "0", "1")
	lzErr(t, c, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX", "ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1")
	lzErr(t, c, "ERR syntax error", "ZRANGE", "z", "0", "1", "LIMIT", "0")
	lzErr(t, c, "ERR syntax error", "ZRANGE", "z", "0", "1", "REV", "REV")
	lzErr(t, c, "ERR syntax error", "ZREVRANGE", "z", "0", "1", "REV")
	lzErr(t, c, "ERR value is not an integer or out of range", "ZRANGE", "z", "a", "1")
	lzDo(t, c, int64(0), "ZRANK", "z", "a")
	lzDo(t, c, int64(4), "ZRANK", "z", "e")
	lzDo(t, c, int64(4), "ZREVRANK", "z", "a")
	lzDo(t, c, int64(1), "ZREVRANK", "z", "d")
	lzNil(t, c, "ZRANK", "z", "nope")
	lzNil(t, c, "ZRANK", "nokey", "a")
	lzNil(t, c, "ZREVRANK", "z", "nope")
	// Equal scores order by member bytes.
	lzDo(t, c, int64(4), "ZADD", "eq", "1", "b", "1", "a", "1", "B", "1", "\x00")
	lzDo(t, c, strs("\x00", "B", "a", "b"), "ZRANGE", "eq", "0", "-1")
	lzDo(t, c, int64(2), "ZRANK", "eq", "a")
}

func TestZSetRangeByScore(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(7), "ZADD", "z", "-inf", "ninf", "0.5", "a", "1", "b", "1", "bb", "2", "c", "3", "d", "inf", "pinf")
	lzDo(t, c, strs("ninf", "a", "b", "bb", "c", "d", "pinf"), "ZRANGEBYSCORE", "z", "-inf", "+inf")
	lzDo(t, c, strs("b", "bb", "c"), "ZRANGEBYSCORE", "z", "1", "2")
	lzDo(t, c, strs("c"), "ZRANGEBYSCORE", "z", "(1", "2")
	lzDo(t, c, strs("b", "bb"), "ZRANGEBYSCORE", "z", "1", "(2")
	lzDo(t, c, strs(), "ZRANGEBYSCORE", "z", "(1", "(1")
	lzDo(t, c, strs(), "ZRANGEBYSCORE", "z", "3", "1")
	lzDo(t, c, strs("pinf"), "ZRANGEBYSCORE", "z", "inf", "inf")
	lzDo(t, c, strs(), "ZRANGEBYSCORE", "z", "(inf", "inf")
	lzDo(t, c, strs("ninf", "a"), "ZRANGEBYSCORE", "z", "-inf", "(1")
	lzDo(t, c, strs("b", "1", "bb", "1"), "ZRANGEBYSCORE", "z", "1", "1", "WITHSCORES")
	lzDo(t, c, strs("bb", "c"), "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "3", "2")
	lzDo(t, c, strs("c", "d", "pinf"), "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "4", "-1")
	lzDo(t, c, strs(), "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "100", "1")
	lzDo(t, c, strs(), "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2")
	lzDo(t, c, strs(), "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "0")
	lzDo(t, c, strs("pinf", "d", "c"), "ZREVRANGEBYSCORE", "z", "+inf", "2")
	lzDo(t, c, strs("bb", "b"), "ZREVRANGEBYSCORE", "z", "(2", "(0.5")
	lzDo(t, c, strs("bb", "1", "b", "1"), "ZREVRANGEBYSCORE", "z", "2", "0", "LIMIT", "1", "2", "WITHSCORES")
	lzDo(t, c, strs(), "ZREVRANGEBYSCORE", "z", "0", "1")
	lzDo(t, c, strs("b", "bb"), "ZRANGE", "z", "(0.5", "(2", "BYSCORE")
	lzDo(t, c, strs("bb", "b"), "ZRANGE", "z", "(2", "(0.5", "BYSCORE", "REV")
	lzDo(t, c, strs("b"), "ZRANGE", "z", "(2", "(0.5", "BYSCORE", "REV", "LIMIT", "1", "1")
	// strtod leniency of range parsing: "" is 0, leading blanks, hex,
	// overflow to inf.
	lzDo(t, c, strs(), "ZRANGEBYSCORE", "z", "", "")
	lzDo(t, c, strs("a", "b", "bb"), "ZRANGEBYSCORE", "z", " 0.1", "  1")
	lzDo(t, c, strs("d", "pinf"), "ZRANGEBYSCORE", "z", "0x3", "inf")
	lzDo(t, c, strs("pinf"), "ZRANGEBYSCORE", "z", "1e400", "inf")
	lzDo(t, c, strs("a"), "ZRANGEBYSCORE", "z", "(", "0.5")
	lzErr(t, c, "ERR min or max is not a float", "ZRANGEBYSCORE", "z", "a", "2")
	lzErr(t, c, "ERR min or max is not a float", "ZRANGEBYSCORE", "z", "1", "2 ")
	lzErr(t, c, "ERR min or max is not a float", "ZRANGEBYSCORE", "z", "nan", "2")
	lzErr(t, c, "ERR min or max is not a float", "ZRANGEBYSCORE", "z", "1_0", "2")
	lzErr(t, c, "ERR min or max is not a float", "ZCOUNT", "z", "[1", "2")
	lzErr(t, c, "ERR syntax error", "ZRANGEBYSCORE", "z", "1", "2", "REV")
	lzErr(t, c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX", "ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES")
	lzDo(t, c, int64(7), "ZCOUNT", "z", "-inf", "+inf")
	lzDo(t, c, int64(3), "ZCOUNT", "z", "1", "2")
	lzDo(t, c, int64(1), "ZCOUNT", "z", "(1", "2")
	lzDo(t, c, int64(0), "ZCOUNT", "z", "5", "1")
	lzDo(t, c, int64(0), "ZCOUNT", "nokey", "0", "1")
}

func TestZSetRangeByLex(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(10), "ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g", "0", "aa", "0", "ab", "0", "bb")
	lzDo(t, c, strs("a", "aa", "ab", "b", "bb", "c", "d", "e", "f", "g"), "ZRANGEBYLEX", "lex", "-", "+")
	lzDo(t, c, strs("a", "aa", "ab", "b", "bb", "c"), "ZRANGEBYLEX", "lex", "[a", "[c")
	lzDo(t, c, strs("aa", "ab", "b", "bb", "c"), "ZRANGEBYLEX", "lex", "(a", "[c")
	lzDo(t, c, strs("aa", "ab", "b", "bb"), "ZRANGEBYLEX", "lex", "(a", "(c")
	lzDo(t, c, strs("aa", "ab"), "ZRANGEBYLEX", "lex", "[aa", "(b")
	lzDo(t, c, strs("c", "d", "e", "f", "g"), "ZRANGEBYLEX", "lex", "[c", "+")
	lzDo(t, c, strs(), "ZRANGEBYLEX", "lex", "+", "-")
	lzDo(t, c, strs(), "ZRANGEBYLEX", "lex", "-", "-")
	lzDo(t, c, strs(), "ZRANGEBYLEX", "lex", "[c", "[a")
	lzDo(t, c, strs(), "ZRANGEBYLEX", "lex", "[c", "(c")
	lzDo(t, c, strs("c"), "ZRANGEBYLEX", "lex", "[c", "[c")
	lzDo(t, c, strs("ab", "b", "bb"), "ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "2", "3")
	lzDo(t, c, strs(), "ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "-1", "3")
	lzDo(t, c, strs("g", "f", "e", "d", "c", "bb", "b", "ab", "aa", "a"), "ZREVRANGEBYLEX", "lex", "+", "-")
	lzDo(t, c, strs("bb", "b", "ab"), "ZREVRANGEBYLEX", "lex", "(c", "(aa")
	lzDo(t, c, strs("f", "e"), "ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "1", "2")
	lzDo(t, c, strs("b", "bb", "c", "d"), "ZRANGE", "lex", "[b", "[d", "BYLEX")
	lzDo(t, c, strs("c", "bb"), "ZRANGE", "lex", "[d", "[b", "BYLEX", "REV", "LIMIT", "1", "2")
	lzDo(t, c, int64(10), "ZLEXCOUNT", "lex", "-", "+")
	lzDo(t, c, int64(4), "ZLEXCOUNT", "lex", "[a", "[b")
	lzDo(t, c, int64(2), "ZLEXCOUNT", "lex", "(a", "(b")
	lzDo(t, c, int64(0), "ZLEXCOUNT", "nokey", "-", "+")
	for _, bad := range [][2]string{{"a", "b"}, {"", "[b"}, {"+a", "-"}, {"[a", "-b"}} {
		lzErr(t, c, "ERR min or max not valid string range item", "ZRANGEBYLEX", "lex", bad[0], bad[1])
		lzErr(t, c, "ERR min or max not valid string range item", "ZLEXCOUNT", "lex", bad[0], bad[1])
	}
	// Mixed scores: Redis walks in score order and stops at the first
	// member past max (listpack semantics).
	lzDo(t, c, int64(5), "ZADD", "mixed", "1", "b", "2", "a", "3", "d", "4", "c", "5", "e")
	lzDo(t, c, strs("b", "a", "d", "c", "e"), "ZRANGEBYLEX", "mixed", "-", "+")
	lzDo(t, c, strs("b", "a"), "ZRANGEBYLEX", "mixed", "[a", "[c")
	lzDo(t, c, strs("d", "c", "e"), "ZRANGEBYLEX", "mixed", "[c", "[e")
	lzDo(t, c, strs("c", "d", "a", "b"), "ZREVRANGEBYLEX", "mixed", "[c", "[a")
	lzDo(t, c, int64(2), "ZREMRANGEBYLEX", "mixed", "[b", "[c")
	lzDo(t, c, strs("d", "c", "e"), "ZRANGE", "mixed", "0", "-1")
	// The empty member.
	lzDo(t, c, int64(1), "ZADD", "ez", "1", "")
	lzDo(t, c, strs(""), "ZRANGEBYLEX", "ez", "[", "[")
	lzDo(t, c, strs(), "ZRANGEBYLEX", "ez", "(", "[")
}

func TestZSetRemove(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(10), "ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f", "7", "g", "8", "h", "9", "i", "10", "j")
	lzDo(t, c, int64(2), "ZREM", "r", "a", "nope", "b", "a")
	lzDo(t, c, int64(0), "ZREM", "r", "nope")
	lzDo(t, c, int64(0), "ZREM", "nokey", "a")
	lzDo(t, c, int64(2), "ZREMRANGEBYRANK", "r", "-2", "-1")
	lzDo(t, c, int64(0), "ZREMRANGEBYRANK", "r", "10", "20")
	lzDo(t, c, int64(0), "ZREMRANGEBYRANK", "r", "3", "2")
	lzDo(t, c, int64(1), "ZREMRANGEBYRANK", "r", "0", "0")
	lzDo(t, c, strs("d", "e", "f", "g", "h"), "ZRANGE", "r", "0", "-1")
	lzDo(t, c, int64(2), "ZREMRANGEBYSCORE", "r", "(4", "6")
	lzDo(t, c, int64(0), "ZREMRANGEBYSCORE", "r", "100", "200")
	lzDo(t, c, strs("d", "4", "g", "7", "h", "8"), "ZRANGE", "r", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(3), "ZREMRANGEBYSCORE", "r", "-inf", "inf")
	lzDo(t, c, int64(0), "EXISTS", "r")
	lzDo(t, c, int64(3), "ZADD", "l", "0", "a", "0", "b", "0", "c")
	lzDo(t, c, int64(2), "ZREMRANGEBYLEX", "l", "(a", "+")
	lzDo(t, c, int64(1), "ZREMRANGEBYLEX", "l", "-", "+")
	lzDo(t, c, int64(0), "EXISTS", "l")
	lzDo(t, c, int64(0), "ZREMRANGEBYRANK", "nokey", "0", "-1")
	lzDo(t, c, int64(0), "ZREMRANGEBYSCORE", "nokey", "0", "1")
	lzDo(t, c, int64(0), "ZREMRANGEBYLEX", "nokey", "-", "+")
	lzErr(t, c, "ERR value is not an integer or out of range", "ZREMRANGEBYRANK", "r", "a", "b")
	lzErr(t, c, "ERR min or max is not a float", "ZREMRANGEBYSCORE", "r", "a", "b")
	lzErr(t, c, "ERR min or max not valid string range item", "ZREMRANGEBYLEX", "r", "a", "b")
}

func TestZSetPop(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(5), "ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
	lzDo(t, c, strs("a", "1"), "ZPOPMIN", "p")
	lzDo(t, c, strs("e", "5"), "ZPOPMAX", "p")
	lzDo(t, c, strs("b", "2", "c", "3"), "ZPOPMIN", "p", "2")
	lzDo(t, c, strs("d", "4"), "ZPOPMAX", "p", "10")
	lzDo(t, c, int64(0), "EXISTS", "p")
	lzDo(t, c, strs(), "ZPOPMIN", "p")
	lzDo(t, c, strs(), "ZPOPMAX", "nokey", "3")
	lzErr(t, c, "ERR value is out of range, must be positive", "ZPOPMIN", "p", "-1")
	lzErr(t, c, "ERR syntax error", "ZPOPMIN", "p", "1", "2")
	lzDo(t, c, "OK", "SET", "str", "x")
	lzErr(t, c, lzWrongType, "ZPOPMIN", "str", "0")
	lzErr(t, c, lzWrongType, "ZPOPMAX", "str")

	lzDo(t, c, int64(2), "ZADD", "m1", "1", "a", "2", "b")
	lzDo(t, c, int64(2), "ZADD", "m2", "3", "c", "4", "d")
	lzDo(t, c, []any{"m1", []any{strs("a", "1")}}, "ZMPOP", "2", "nokey", "m1", "MIN")
	lzDo(t, c, []any{"m1", []any{strs("b", "2")}}, "ZMPOP", "2", "m1", "m2", "MAX", "COUNT", "5")
	lzDo(t, c, []any{"m2", []any{strs("d", "4"), strs("c", "3")}}, "ZMPOP", "2", "m1", "m2", "max", "count", "5")
	lzNil(t, c, "ZMPOP", "2", "m1", "m2", "MAX")
	require.Equal(t, []string{"*-1\r\n"}, lzRaw(t, s, []string{"ZMPOP", "1", "nokey", "MIN"}))
	lzErr(t, c, lzWrongType, "ZMPOP", "2", "str", "m1", "MIN")
	lzErr(t, c, "ERR count should be greater than 0", "ZMPOP", "1", "m1", "MIN", "COUNT", "0")
	lzErr(t, c, "ERR numkeys should be greater than 0", "ZMPOP", "0", "m1", "MIN")
	lzErr(t, c, "ERR syntax error", "ZMPOP", "1", "m1", "MID")
	lzErr(t, c, "ERR syntax error", "ZMPOP", "2", "m1", "MIN")
}

func TestZSetRandMember(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	args := []any{"ZADD", "z"}
	for i := 0; i < 50; i++ {
		args = append(args, i, fmt.Sprintf("m%02d", i))
	}
	lzDo(t, c, int64(50), args...)
	one, err := c.Do(lzCtx, "ZRANDMEMBER", "z").Text()
	require.NoError(t, err)
	require.Regexp(t, `^m\d\d$`, one)
	lzNil(t, c, "ZRANDMEMBER", "nokey")
	// Positive count: distinct members.
	got, err := c.Do(lzCtx, "ZRANDMEMBER", "z", "20").StringSlice()
	require.NoError(t, err)
	require.Len(t, got, 20)
	seen := map[string]bool{}
	for _, m := range got {
		require.False(t, seen[m], "duplicate %s", m)
		seen[m] = true
	}
	// Count above the size: the whole set, highest score first.
	got, err = c.Do(lzCtx, "ZRANDMEMBER", "z", "100").StringSlice()
	require.NoError(t, err)
	require.Len(t, got, 50)
	require.Equal(t, "m49", got[0])
	require.Equal(t, "m00", got[49])
	// Negative count: repetitions allowed, exactly |count| members.
	got, err = c.Do(lzCtx, "ZRANDMEMBER", "z", "-200").StringSlice()
	require.NoError(t, err)
	require.Len(t, got, 200)
	distinct := map[string]bool{}
	for _, m := range got {
		distinct[m] = true
	}
	require.Greater(t, len(distinct), 20) // random, not one repeated member
	// WITHSCORES pairs each member with its own score.
	ws, err := c.Do(lzCtx, "ZRANDMEMBER", "z", "-30", "WITHSCORES").StringSlice()
	require.NoError(t, err)
	require.Len(t, ws, 60)
	for i := 0; i < len(ws); i += 2 {
		n, _ := strconv.Atoi(ws[i][1:])
		require.Equal(t, strconv.Itoa(n), ws[i+1])
	}
	lzDo(t, c, strs(), "ZRANDMEMBER", "z", "0")
	lzDo(t, c, strs(), "ZRANDMEMBER", "nokey", "5", "WITHSCORES")
	lzErr(t, c, "ERR syntax error", "ZRANDMEMBER", "z", "5", "foo")
	lzErr(t, c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807", "ZRANDMEMBER", "z", "-9223372036854775808")
	lzErr(t, c, "ERR value is out of range", "ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES")
	lzErr(t, c, "ERR value is not an integer or out of range", "ZRANDMEMBER", "z", "x")
}

func TestZSetAlgebra(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(3), "ZADD", "u1", "1", "a", "2", "b", "3", "c")
	lzDo(t, c, int64(3), "ZADD", "u2", "4", "b", "5", "c", "6", "d")
	lzDo(t, c, int64(3), "SADD", "s1", "a", "d", "x")
	lzDo(t, c, strs("a", "1", "b", "6", "d", "6", "c", "8"), "ZUNION", "2", "u1", "u2", "WITHSCORES")
	lzDo(t, c, strs("a", "2", "b", "16", "d", "18", "c", "21"), "ZUNION", "2", "u1", "u2", "WEIGHTS", "2", "3", "WITHSCORES")
	lzDo(t, c, strs("a", "1", "b", "2", "c", "3", "d", "6"), "ZUNION", "2", "u1", "u2", "AGGREGATE", "MIN", "WITHSCORES")
	lzDo(t, c, strs("a", "1", "b", "4", "c", "5", "d", "6"), "ZUNION", "2", "u1", "u2", "aggregate", "max", "WITHSCORES")
	lzDo(t, c, strs("x", "1", "a", "2", "b", "6", "d", "7", "c", "8"), "ZUNION", "3", "u1", "u2", "s1", "WITHSCORES")
	lzDo(t, c, strs("a", "b", "c"), "ZUNION", "2", "u1", "nokey")
	lzDo(t, c, strs("b", "6", "c", "8"), "ZINTER", "2", "u1", "u2", "WITHSCORES")
	lzDo(t, c, strs("b", "-2", "c", "-2"), "ZINTER", "2", "u1", "u2", "WEIGHTS", "1", "-1", "WITHSCORES")
	lzDo(t, c, strs("a", "2"), "ZINTER", "2", "u1", "s1", "WITHSCORES")
	lzDo(t, c, strs(), "ZINTER", "3", "u1", "u2", "s1")
	lzDo(t, c, strs(), "ZINTER", "2", "u1", "nokey")
	lzDo(t, c, strs("a", "1"), "ZDIFF", "2", "u1", "u2", "WITHSCORES")
	lzDo(t, c, strs("b", "c"), "ZDIFF", "2", "u1", "s1")
	lzDo(t, c, strs("x", "1"), "ZDIFF", "3", "s1", "u1", "u2", "WITHSCORES")
	lzDo(t, c, strs(), "ZDIFF", "1", "nokey")
	// inf arithmetic: weight 0 * inf reads as 0, inf + -inf sums to 0.
	lzDo(t, c, int64(3), "ZADD", "i1", "inf", "a", "-inf", "b", "1", "c")
	lzDo(t, c, int64(2), "ZADD", "i2", "-inf", "a", "inf", "b")
	lzDo(t, c, strs("a", "0", "b", "0"), "ZINTER", "2", "i1", "i2", "WITHSCORES")
	lzDo(t, c, strs("a", "-inf", "c", "0", "b", "inf"), "ZUNION", "2", "i1", "i2", "WEIGHTS", "0", "1", "WITHSCORES")
	// Only the first source's product has its NaN read as 0: the others
	// reach the aggregate raw (a NaN sum is 0, NaN never wins MIN).
	lzDo(t, c, int64(1), "ZADD", "i3", "-inf", "aa")
	lzDo(t, c, strs("aa", "0"), "ZINTER", "2", "i3", "i3", "WEIGHTS", "-1", "0", "WITHSCORES")
	lzDo(t, c, int64(1), "ZADD", "i4", "inf", "b")
	lzDo(t, c, strs("b", "inf"), "ZINTER", "2", "i4", "i4", "WEIGHTS", "1e3", "0", "AGGREGATE", "MIN", "WITHSCORES")
	lzDo(t, c, strs("b", "0"), "ZUNION", "2", "i4", "i4", "WEIGHTS", "1e3", "0", "AGGREGATE", "MIN", "WITHSCORES")
	// STORE variants replace the destination (any type), or delete it.
	lzDo(t, c, "OK", "SET", "out", "x")
	lzDo(t, c, int64(4), "ZUNIONSTORE", "out", "2", "u1", "u2", "WEIGHTS", "1", "2")
	lzDo(t, c, strs("a", "1", "b", "10", "d", "12", "c", "13"), "ZRANGE", "out", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(2), "ZINTERSTORE", "out", "2", "u1", "u2", "AGGREGATE", "MIN")
	lzDo(t, c, strs("b", "2", "c", "3"), "ZRANGE", "out", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(1), "ZDIFFSTORE", "out", "2", "u1", "u2")
	lzDo(t, c, strs("a", "1"), "ZRANGE", "out", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(0), "ZINTERSTORE", "out", "2", "u1", "nokey")
	lzDo(t, c, int64(0), "EXISTS", "out")
	// The destination may be a source.
	lzDo(t, c, int64(4), "ZUNIONSTORE", "u1", "2", "u1", "u2")
	lzDo(t, c, strs("a", "1", "b", "6", "d", "6", "c", "8"), "ZRANGE", "u1", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(3), "ZINTERCARD", "2", "u1", "u2")
	lzDo(t, c, int64(1), "ZINTERCARD", "2", "u1", "u2", "LIMIT", "1")
	lzDo(t, c, int64(3), "ZINTERCARD", "2", "u1", "u2", "LIMIT", "0")
	lzDo(t, c, int64(0), "ZINTERCARD", "2", "u1", "nokey")
	lzDo(t, c, int64(2), "ZINTERCARD", "2", "u1", "s1")
	// Errors.
	lzErr(t, c, "ERR at least 1 input key is needed for 'zunionstore' command", "ZUNIONSTORE", "d", "0", "u1")
	lzErr(t, c, "ERR at least 1 input key is needed for 'zdiff' command", "ZDIFF", "0", "u1")
	lzErr(t, c, "ERR at least 1 input key is needed for 'zintercard' command", "ZINTERCARD", "-1", "u1")
	lzErr(t, c, "ERR syntax error", "ZUNIONSTORE", "d", "2", "u1")
	lzErr(t, c, "ERR syntax error", "ZUNIONSTORE", "d", "1", "u1", "WEIGHTS", "1", "2")
	lzErr(t, c, "ERR weight value is not a float", "ZUNIONSTORE", "d", "1", "u1", "WEIGHTS", "x")
	lzErr(t, c, "ERR syntax error", "ZUNIONSTORE", "d", "1", "u1", "AGGREGATE", "foo")
	lzErr(t, c, "ERR syntax error", "ZUNIONSTORE", "d", "1", "u1", "WITHSCORES")
	lzErr(t, c, "ERR syntax error", "ZDIFF", "1", "u1", "WEIGHTS", "1")
	lzErr(t, c, "ERR LIMIT can't be negative", "ZINTERCARD", "1", "u1", "LIMIT", "-1")
	lzErr(t, c, "ERR syntax error", "ZINTERCARD", "1", "u1", "WITHSCORES")
	lzErr(t, c, "ERR value is not an integer or out of range", "ZUNION", "x", "u1")
	lzDo(t, c, "OK", "SET", "str", "x")
	lzErr(t, c, lzWrongType, "ZUNION", "2", "u1", "str")
	lzErr(t, c, lzWrongType, "ZUNION", "2", "u1", "str", "AGGREGATE", "foo") // type checked first
	lzErr(t, c, lzWrongType, "ZINTERCARD", "2", "u1", "str")
}

func TestZSetRangeStore(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(5), "ZADD", "z", "1", "a", "2", "b", "3", "c", "0", "x", "0", "y")
	lzDo(t, c, int64(3), "ZRANGESTORE", "dst", "z", "0", "2")
	lzDo(t, c, strs("x", "0", "y", "0", "a", "1"), "ZRANGE", "dst", "0", "-1", "WITHSCORES")
	lzDo(t, c, int64(2), "ZRANGESTORE", "dst", "z", "(0", "5", "BYSCORE", "LIMIT", "0", "2")
	lzDo(t, c, strs("a", "b"), "ZRANGE", "dst", "0", "-1")
	lzDo(t, c, int64(3), "ZADD", "lx", "0", "x", "0", "y", "0", "z")
	lzDo(t, c, int64(1), "ZRANGESTORE", "dst", "lx", "[y", "[x", "BYLEX", "REV", "LIMIT", "0", "1")
	lzDo(t, c, strs("y"), "ZRANGE", "dst", "0", "-1")
	// Mixed scores: Redis's lex walk stops at the first member past max.
	lzDo(t, c, int64(0), "ZRANGESTORE", "dst", "z", "[x", "[y", "BYLEX")
	lzDo(t, c, int64(0), "ZRANGESTORE", "dst", "nokey", "0", "-1")
	lzDo(t, c, int64(0), "EXISTS", "dst")
	lzErr(t, c, "ERR syntax error", "ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES")
	lzDo(t, c, "OK", "SET", "str", "x")
	lzDo(t, c, int64(1), "ZRANGESTORE", "str", "z", "0", "0")
	lzDo(t, c, "zset", "TYPE", "str")
	lzDo(t, c, int64(0), "ZRANGESTORE", "dst", "str2", "0", "0")
	lzDo(t, c, "OK", "SET", "str2", "x")
	lzErr(t, c, lzWrongType, "ZRANGESTORE", "dst", "str2", "0", "0")
}

func TestZSetWrongType(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(1), "RPUSH", "l", "a")
	for _, args := range [][]any{
		{"ZADD", "l", "1", "a"}, {"ZINCRBY", "l", "1", "a"}, {"ZCARD", "l"}, {"ZSCORE", "l", "a"},
		{"ZMSCORE", "l", "a"}, {"ZRANK", "l", "a"}, {"ZREVRANK", "l", "a"}, {"ZCOUNT", "l", "0", "1"},
		{"ZLEXCOUNT", "l", "-", "+"}, {"ZRANGE", "l", "0", "1"}, {"ZREVRANGE", "l", "0", "1"},
		{"ZRANGEBYSCORE", "l", "0", "1"}, {"ZREVRANGEBYSCORE", "l", "1", "0"}, {"ZRANGEBYLEX", "l", "-", "+"},
		{"ZREVRANGEBYLEX", "l", "+", "-"}, {"ZREM", "l", "a"}, {"ZREMRANGEBYRANK", "l", "0", "1"},
		{"ZREMRANGEBYSCORE", "l", "0", "1"}, {"ZREMRANGEBYLEX", "l", "-", "+"}, {"ZPOPMIN", "l"},
		{"ZPOPMAX", "l", "2"}, {"ZRANDMEMBER", "l"}, {"ZRANDMEMBER", "l", "2"}, {"ZSCAN", "l", "0"},
		{"ZMPOP", "1", "l", "MIN"}, {"ZUNION", "1", "l"}, {"ZINTERSTORE", "d", "1", "l"},
	} {
		lzErr(t, c, lzWrongType, args...)
	}
	lzDo(t, c, strs("a"), "LRANGE", "l", "0", "-1")
}

func TestZSetEncodingAndScanSmall(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	lzDo(t, c, int64(3), "ZADD", "z", "1e18", "a", "9.3e18", "b", "0.5", "c")
	lzDo(t, c, "listpack", "OBJECT", "ENCODING", "z")
	// A listpack is scanned whole at once, in score order, with listpack
	// number formatting (integers in full).
	lzDo(t, c, []any{"0", strs("c", "0.5", "a", "1000000000000000000", "b", "9.3e+18")}, "ZSCAN", "z", "0")
	lzDo(t, c, []any{"0", strs("a", "1000000000000000000")}, "ZSCAN", "z", "0", "MATCH", "a*")
	lzDo(t, c, []any{"0", []any{}}, "ZSCAN", "nokey", "0")
	lzErr(t, c, "ERR invalid cursor", "ZSCAN", "z", "abc")
	lzErr(t, c, "ERR syntax error", "ZSCAN", "z", "0", "COUNT", "0")
	lzErr(t, c, "ERR syntax error", "ZSCAN", "z", "0", "foo", "bar")
	long := string(make([]byte, 65))
	lzDo(t, c, int64(1), "ZADD", "z2", "1", long)
	lzDo(t, c, "skiplist", "OBJECT", "ENCODING", "z2")
	// The conversion is sticky, as in Redis.
	lzDo(t, c, int64(1), "ZADD", "z2", "2", "short")
	lzDo(t, c, int64(1), "ZREM", "z2", long)
	lzDo(t, c, "skiplist", "OBJECT", "ENCODING", "z2")
	args := []any{"ZADD", "big"}
	for i := 0; i < 129; i++ {
		args = append(args, i, fmt.Sprint(i))
	}
	lzDo(t, c, int64(129), args...)
	lzDo(t, c, "skiplist", "OBJECT", "ENCODING", "big")
	lzDo(t, c, int64(1), "ZRANGESTORE", "small", "big", "0", "0")
	lzDo(t, c, "listpack", "OBJECT", "ENCODING", "small")
}

// ZSCAN of a big sorted set visits every member exactly once (without
// concurrent changes), with %.17g scores, and survives a restart.
func TestZSetScanBig(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	const n = 5000
	p := c.Pipeline()
	for i := 0; i < n; i += 500 {
		args := []any{"ZADD", "big"}
		for j := i; j < i+500; j++ {
			args = append(args, float64(j)+0.1, fmt.Sprintf("member:%06d", j))
		}
		p.Do(lzCtx, args...)
	}
	_, err := p.Exec(lzCtx)
	require.NoError(t, err)
	scanAll := func() map[string]string {
		seen := map[string]string{}
		var cursor uint64
		calls := 0
		for {
			keys, next, err := c.ZScan(lzCtx, "big", cursor, "", 100).Result()
			require.NoError(t, err)
			require.Equal(t, 0, len(keys)%2)
			for i := 0; i < len(keys); i += 2 {
				_, dup := seen[keys[i]]
				require.False(t, dup, "duplicate %s", keys[i])
				seen[keys[i]] = keys[i+1]
			}
			calls++
			if next == 0 {
				break
			}
			cursor = next
		}
		require.Greater(t, calls, 10)
		return seen
	}
	seen := scanAll()
	require.Len(t, seen, n)
	require.Equal(t, "0.10000000000000001", seen["member:000000"])
	require.Equal(t, "4999.1000000000004", seen["member:004999"])
	// MATCH filters each page.
	var cursor uint64
	var matched []string
	for {
		keys, next, err := c.ZScan(lzCtx, "big", cursor, "member:0001*", 500).Result()
		require.NoError(t, err)
		for i := 0; i < len(keys); i += 2 {
			matched = append(matched, keys[i])
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	require.Len(t, matched, 100)
	s.Restart()
	c = s.Client()
	require.Len(t, scanAll(), n)
	lzDo(t, c, int64(n), "ZCARD", "big")
	lzDo(t, c, strs("member:002500", "member:002501"), "ZRANGE", "big", "2500", "2501.5", "BYSCORE", "LIMIT", "0", "10")
	lzDo(t, c, int64(2500), "ZRANK", "big", "member:002500")
	lzDo(t, c, int64(n-1-2500), "ZREVRANK", "big", "member:002500")
}

// Random operations against a map model.
func TestZSetModelRandom(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	r := rand.New(rand.NewPCG(5, 6))
	model := map[string]float64{}
	sorted := func() []redis.Z {
		var out []redis.Z
		for m, sc := range model {
			out = append(out, redis.Z{Member: m, Score: sc})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Score != out[j].Score {
				return out[i].Score < out[j].Score
			}
			return out[i].Member.(string) < out[j].Member.(string)
		})
		return out
	}
	for step := 0; step < 1500; step++ {
		m := fmt.Sprintf("m%d", r.IntN(60))
		sc := float64(r.IntN(30) - 15)
		switch r.IntN(7) {
		case 0, 1:
			_, had := model[m]
			want := int64(1)
			if had {
				want = 0
			}
			lzDo(t, c, want, "ZADD", "zm", sc, m)
			model[m] = sc
		case 2:
			_, had := model[m]
			want := int64(0)
			if had {
				want = 1
			}
			lzDo(t, c, want, "ZREM", "zm", m)
			delete(model, m)
		case 3:
			cur := model[m]
			got, err := c.ZIncrBy(lzCtx, "zm", sc, m).Result()
			require.NoError(t, err)
			require.Equal(t, cur+sc, got)
			model[m] = cur + sc
		case 4:
			a, b := r.IntN(10)-3, r.IntN(10)-3
			all := sorted()
			n := len(all)
			x, y := a, b
			if x < 0 {
				x += n
			}
			if y < 0 {
				y += n
			}
			if x < 0 {
				x = 0
			}
			removed := 0
			if !(x > y || x >= n) {
				if y >= n {
					y = n - 1
				}
				for _, z := range all[x : y+1] {
					delete(model, z.Member.(string))
					removed++
				}
			}
			lzDo(t, c, int64(removed), "ZREMRANGEBYRANK", "zm", a, b)
		case 5:
			lo := sc
			hi := sc + float64(r.IntN(8))
			var want []any
			for _, z := range sorted() {
				if z.Score > lo && z.Score <= hi {
					want = append(want, z.Member)
				}
			}
			if want == nil {
				want = []any{}
			}
			lzDo(t, c, want, "ZRANGEBYSCORE", "zm", "("+strconv.FormatFloat(lo, 'f', -1, 64), hi)
		case 6:
			all := sorted()
			if len(all) > 0 {
				i := r.IntN(len(all))
				lzDo(t, c, int64(i), "ZRANK", "zm", all[i].Member)
				lzDo(t, c, int64(len(all)-1-i), "ZREVRANK", "zm", all[i].Member)
			}
		}
		lzDo(t, c, int64(len(model)), "ZCARD", "zm")
	}
	got, err := c.ZRangeWithScores(lzCtx, "zm", 0, -1).Result()
	require.NoError(t, err)
	want := sorted()
	if len(want) == 0 {
		require.Empty(t, got)
	} else {
		require.Equal(t, want, got)
	}
}

// A leaderboard kept at 1000 entries by ZADD + ZREMRANGEBYRANK 0 -1001 stays
// correct while its deleted entries pile up as tombstones.
func TestZSetLeaderboardChurn(t *testing.T) {
	s := lzStart(t)
	c := s.Client()
	r := rand.New(rand.NewPCG(8, 8))
	top := map[string]float64{}
	const keep = 1000
	for i := 0; i < 6000; i += 100 {
		p := c.Pipeline()
		for j := i; j < i+100; j++ {
			sc := float64(r.IntN(1_000_000))
			m := fmt.Sprintf("player%d", j)
			top[m] = sc
			p.ZAdd(lzCtx, "lb", redis.Z{Score: sc, Member: m})
			p.ZRemRangeByRank(lzCtx, "lb", 0, -keep-1)
		}
		_, err := p.Exec(lzCtx)
		require.NoError(t, err)
	}
	type e struct {
		m string
		s float64
	}
	var all []e
	for m, sc := range top {
		all = append(all, e{m, sc})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].s != all[j].s {
			return all[i].s > all[j].s
		}
		return all[i].m > all[j].m
	})
	lzDo(t, c, int64(keep), "ZCARD", "lb")
	got, err := c.ZRevRangeWithScores(lzCtx, "lb", 0, 9).Result()
	require.NoError(t, err)
	for i, z := range got {
		require.Equal(t, all[i].m, z.Member)
		require.Equal(t, all[i].s, z.Score)
	}
	low, err := c.ZRangeWithScores(lzCtx, "lb", 0, 0).Result()
	require.NoError(t, err)
	require.Equal(t, all[keep-1].m, low[0].Member)
}

// BenchmarkLeaderboardChurn does ZADD + ZREMRANGEBYRANK 0 -1001 on one
// sorted set and reports the throughput of the first and last tenth.
func BenchmarkLeaderboardChurn(b *testing.B) {
	s := servertest.Start(b, "--appendfsync", "no")
	c := s.ClientWith(&redis.Options{PoolSize: 1})
	const batch = 500
	rounds := b.N
	if rounds < 10 {
		rounds = 10
	}
	r := rand.New(rand.NewPCG(1, 1))
	rates := make([]float64, rounds)
	zrange := make([]time.Duration, rounds)
	b.ResetTimer()
	for round := 0; round < rounds; round++ {
		start := time.Now()
		p := c.Pipeline()
		for i := 0; i < batch; i++ {
			p.ZAdd(lzCtx, "lb", redis.Z{Score: float64(r.IntN(1 << 30)), Member: fmt.Sprintf("p%d-%d", round, i)})
			p.ZRemRangeByRank(lzCtx, "lb", 0, -1001)
		}
		if _, err := p.Exec(lzCtx); err != nil {
			b.Fatal(err)
		}
		rates[round] = float64(batch) / time.Since(start).Seconds()
		t0 := time.Now()
		if _, err := c.ZRange(lzCtx, "lb", 0, 9).Result(); err != nil {
			b.Fatal(err)
		}
		zrange[round] = time.Since(t0)
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
	b.ReportMetric(first, "pairs/s-first10%")
	b.ReportMetric(last, "pairs/s-last10%")
	b.ReportMetric(last/first, "last/first")
	var zf, zl float64
	for i := 0; i < tenth; i++ {
		zf += float64(zrange[i].Microseconds())
		zl += float64(zrange[rounds-tenth+i].Microseconds())
	}
	b.ReportMetric(zf/float64(tenth), "zrange-us-first10%")
	b.ReportMetric(zl/float64(tenth), "zrange-us-last10%")
}

// lzPeakRSS returns the process's peak resident set size (the server runs
// in-process), for the logs of the million-element tests.
func lzPeakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

// TestZSetMillion builds a 1,000,000-member sorted set and checks that
// ZSCAN walks it completely without duplicates or misses, that reads in the
// middle work (score ranges with LIMIT, ranks), and that DEL leaves nothing
// behind. Timings and peak RSS are logged only.
func TestZSetMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-member sorted set")
	}
	s := servertest.Start(t)
	c := s.Client()
	const total, perCmd = 1_000_000, 1000
	start := time.Now()
	for base := 0; base < total; base += 100 * perCmd {
		pipe := c.Pipeline()
		for b := base; b < base+100*perCmd; b += perCmd {
			args := make([]any, 0, 2+2*perCmd)
			args = append(args, "ZADD", "big")
			for i := b; i < b+perCmd; i++ {
				// Pairs of equal scores, ordered by member within a pair.
				args = append(args, i/2, "m:"+strconv.Itoa(i))
			}
			pipe.Do(lzCtx, args...)
		}
		_, err := pipe.Exec(lzCtx)
		require.NoError(t, err)
	}
	t.Logf("built %d members in %v", total, time.Since(start))
	lzDo(t, c, int64(total), "ZCARD", "big")
	lzDo(t, c, "skiplist", "OBJECT", "ENCODING", "big")

	start = time.Now()
	lzDo(t, c, strs("m:500000", "m:500001", "m:500002", "m:500003", "m:500004", "m:500005", "m:500006", "m:500007", "m:500008", "m:500009"),
		"ZRANGE", "big", "250000", "+inf", "BYSCORE", "LIMIT", "0", "10")
	t.Logf("ZRANGE BYSCORE LIMIT 0 10 in the middle: %v", time.Since(start))
	start = time.Now()
	lzDo(t, c, strs("m:600001", "300000", "m:600000", "300000"), "ZREVRANGEBYSCORE", "big", "300000", "-inf", "WITHSCORES", "LIMIT", "0", "2")
	t.Logf("ZREVRANGEBYSCORE LIMIT 0 2 in the middle: %v", time.Since(start))
	start = time.Now()
	lzDo(t, c, "123456", "ZSCORE", "big", "m:246913")
	t.Logf("ZSCORE: %v", time.Since(start))
	start = time.Now()
	lzDo(t, c, int64(999_990), "ZRANK", "big", "m:999990")
	t.Logf("ZRANK near the top (walked from the nearer end): %v", time.Since(start))
	start = time.Now()
	lzDo(t, c, strs("m:999998", "m:999999"), "ZRANGE", "big", "-2", "-1")
	t.Logf("ZRANGE -2 -1: %v", time.Since(start))
	start = time.Now()
	lzDo(t, c, int64(20), "ZCOUNT", "big", "400000", "(400010")
	t.Logf("ZCOUNT of a small range: %v", time.Since(start))

	start = time.Now()
	seen := make([]bool, total)
	var cursor uint64
	calls := 0
	for {
		kv, next, err := c.ZScan(lzCtx, "big", cursor, "", 1000).Result()
		require.NoError(t, err)
		for i := 0; i < len(kv); i += 2 {
			n, err := strconv.Atoi(kv[i][2:])
			require.NoError(t, err)
			require.Equal(t, strconv.Itoa(n/2), kv[i+1])
			require.False(t, seen[n], "duplicate %s", kv[i])
			seen[n] = true
		}
		calls++
		if next == 0 {
			break
		}
		cursor = next
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("m:%d missed", i)
		}
	}
	t.Logf("ZSCAN COUNT 1000: %d calls, %v", calls, time.Since(start))

	start = time.Now()
	lzDo(t, c, int64(1), "DEL", "big")
	t.Logf("DEL of a %d-member sorted set: %v", total, time.Since(start))
	lzDo(t, c, int64(0), "DBSIZE")
	eng := s.Srv.Engine
	mk := encoding.MetaKey(eng.Physical(0), []byte("big"))
	it, err := eng.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	require.False(t, it.First(), "no record left")
	require.NoError(t, it.Close())
	t.Logf("peak RSS of the test process (server in-process): %s", lzPeakRSS())
}
