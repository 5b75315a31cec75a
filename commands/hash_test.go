package commands_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Expected replies below were checked against a real Redis 7.0.15.

var hctx = context.Background()

// requireErr runs a raw command and checks its exact error text.
func requireErr(t *testing.T, c *redis.Client, want string, args ...any) {
	t.Helper()
	_, err := servertest.Do(c, args...)
	require.Error(t, err, "%v", args)
	require.Equal(t, want, err.Error(), "%v", args)
}

// requireDo runs a raw command and checks its reply (want nil: a nil reply).
func requireDo(t *testing.T, c *redis.Client, want any, args ...any) {
	t.Helper()
	v, err := servertest.Do(c, args...)
	if want == nil {
		require.Equal(t, redis.Nil, err, "%v", args)
		return
	}
	require.NoError(t, err, "%v", args)
	require.Equal(t, want, v, "%v", args)
}

const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

func TestHashBasic(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, int64(2), "HSET", "h", "a", "1", "b", "2", "a", "3")
	requireDo(t, c, "3", "HGET", "h", "a")
	require.Equal(t, redis.Nil, c.HGet(hctx, "h", "nosuch").Err())
	require.Equal(t, redis.Nil, c.HGet(hctx, "nokey", "a").Err())
	requireDo(t, c, int64(0), "HSET", "h", "a", "4")
	requireDo(t, c, "4", "HGET", "h", "a")
	requireDo(t, c, "OK", "HMSET", "h", "c", "3", "d", "4")
	requireDo(t, c, int64(0), "HSETNX", "h", "a", "x")
	requireDo(t, c, int64(1), "HSETNX", "h", "e", "5")
	requireDo(t, c, "4", "HGET", "h", "a")
	requireDo(t, c, int64(5), "HLEN", "h")
	requireDo(t, c, int64(0), "HLEN", "nokey")
	requireDo(t, c, []any{"4", nil, "3"}, "HMGET", "h", "a", "nosuch", "c")
	requireDo(t, c, []any{nil}, "HMGET", "nokey", "a")
	requireDo(t, c, int64(1), "HEXISTS", "h", "b")
	requireDo(t, c, int64(0), "HEXISTS", "h", "zz")
	requireDo(t, c, int64(0), "HEXISTS", "nokey", "zz")
	requireDo(t, c, int64(1), "HSTRLEN", "h", "a")
	requireDo(t, c, int64(0), "HSTRLEN", "h", "nosuch")
	requireDo(t, c, int64(0), "HSTRLEN", "nokey", "f")

	all, err := c.HGetAll(hctx, "h").Result()
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "4", "b": "2", "c": "3", "d": "4", "e": "5"}, all)
	keys, err := c.HKeys(hctx, "h").Result()
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"a", "b", "c", "d", "e"}, keys)
	vals, err := c.HVals(hctx, "h").Result()
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"4", "2", "3", "4", "5"}, vals)
	requireDo(t, c, []any{}, "HGETALL", "nokey")
	requireDo(t, c, []any{}, "HKEYS", "nokey")
	requireDo(t, c, []any{}, "HVALS", "nokey")

	requireDo(t, c, int64(2), "HDEL", "h", "a", "a", "b", "nosuch")
	requireDo(t, c, int64(0), "HDEL", "nokey", "a")
	requireDo(t, c, int64(3), "HLEN", "h")
	requireDo(t, c, "hash", "TYPE", "h")

	// Emptied hashes disappear.
	requireDo(t, c, int64(3), "HDEL", "h", "c", "d", "e")
	requireDo(t, c, int64(0), "EXISTS", "h")
	requireDo(t, c, int64(0), "DBSIZE")

	// Binary-safe fields and values, empty ones included.
	requireDo(t, c, int64(2), "HSET", "b", "", "empty", "\x00\xff", "")
	requireDo(t, c, "empty", "HGET", "b", "")
	requireDo(t, c, "", "HGET", "b", "\x00\xff")
	requireDo(t, c, int64(1), "HEXISTS", "b", "\x00\xff")

	// Survives a restart.
	s.Restart()
	c = s.Client()
	requireDo(t, c, "empty", "HGET", "b", "")
	requireDo(t, c, int64(2), "HLEN", "b")
}

func TestHashErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, "OK", "SET", "str", "x")
	for _, args := range [][]any{
		{"HSET", "str", "a", "1"}, {"HSETNX", "str", "a", "1"}, {"HGET", "str", "a"}, {"HMGET", "str", "a"},
		{"HMSET", "str", "a", "1"}, {"HGETALL", "str"}, {"HKEYS", "str"}, {"HVALS", "str"}, {"HLEN", "str"},
		{"HEXISTS", "str", "a"}, {"HDEL", "str", "a"}, {"HINCRBY", "str", "a", "1"}, {"HINCRBYFLOAT", "str", "a", "1"},
		{"HSTRLEN", "str", "a"}, {"HRANDFIELD", "str"}, {"HRANDFIELD", "str", "0"}, {"HRANDFIELD", "str", "2", "WITHVALUES"},
		{"HSCAN", "str", "0"},
	} {
		requireErr(t, c, wrongType, args...)
	}
	requireDo(t, c, "x", "GET", "str")

	requireErr(t, c, "ERR wrong number of arguments for 'hset' command", "HSET", "h", "a")
	requireErr(t, c, "ERR wrong number of arguments for 'hset' command", "HSET", "h", "a", "1", "b")
	requireErr(t, c, "ERR wrong number of arguments for 'hmset' command", "HMSET", "h", "a", "1", "b")
	requireErr(t, c, "ERR wrong number of arguments for 'hdel' command", "HDEL", "h")
	requireErr(t, c, "ERR wrong number of arguments for 'hget' command", "HGET", "h")
	requireErr(t, c, "ERR wrong number of arguments for 'hsetnx' command", "HSETNX", "h", "a")
	requireErr(t, c, "ERR wrong number of arguments for 'hscan' command", "HSCAN", "h")
	requireDo(t, c, int64(0), "EXISTS", "h")

	requireDo(t, c, int64(2), "HSET", "h", "a", "1", "s", "abc")
	requireErr(t, c, "ERR syntax error", "HRANDFIELD", "h", "3", "withvalue")
	requireErr(t, c, "ERR syntax error", "HRANDFIELD", "h", "1", "2")
	requireErr(t, c, "ERR syntax error", "HRANDFIELD", "h", "5", "withvalues", "x")
	requireErr(t, c, "ERR value is not an integer or out of range", "HRANDFIELD", "h", "x")
	requireErr(t, c, "ERR value is not an integer or out of range", "HRANDFIELD", "nokey", "x")
	requireErr(t, c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807", "HRANDFIELD", "h", "-9223372036854775808", "withvalues")
	requireErr(t, c, "ERR value is out of range", "HRANDFIELD", "h", "-4611686018427387904", "withvalues")
	requireErr(t, c, "ERR value is out of range", "HRANDFIELD", "h", "4611686018427387904", "withvalues")

	requireErr(t, c, "ERR invalid cursor", "HSCAN", "h", "x")
	requireErr(t, c, "ERR invalid cursor", "HSCAN", "nokey", "x")
	requireErr(t, c, "ERR invalid cursor", "HSCAN", "h", "18446744073709551616")
	requireErr(t, c, "ERR invalid cursor", "HSCAN", "h", " 1")
	requireErr(t, c, "ERR invalid cursor", "HSCAN", "h", "+")
	requireErr(t, c, "ERR syntax error", "HSCAN", "h", "0", "count", "0")
	requireErr(t, c, "ERR syntax error", "HSCAN", "h", "0", "count", "-1")
	requireErr(t, c, "ERR value is not an integer or out of range", "HSCAN", "h", "0", "count", "x")
	requireErr(t, c, "ERR syntax error", "HSCAN", "h", "0", "match")
	requireErr(t, c, "ERR syntax error", "HSCAN", "h", "0", "foo", "bar")
	requireErr(t, c, "ERR syntax error", "HSCAN", "h", "0", "novalues") // 7.4, not 7.0
	// A missing key answers an empty scan before the options are parsed.
	requireDo(t, c, []any{"0", []any{}}, "HSCAN", "nokey", "0", "count", "0")
	requireDo(t, c, int64(2), "HLEN", "h")
}

func TestHashIncr(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, int64(5), "HINCRBY", "h", "n", "5")
	requireDo(t, c, int64(2), "HINCRBY", "h", "n", "-3")
	requireErr(t, c, "ERR value is not an integer or out of range", "HINCRBY", "h", "n", "x")
	requireErr(t, c, "ERR value is not an integer or out of range", "HINCRBY", "h", "n", "1.5")
	requireErr(t, c, "ERR increment or decrement would overflow", "HINCRBY", "h", "n", "9223372036854775807")
	requireDo(t, c, int64(9223372036854775807), "HINCRBY", "h", "n", "9223372036854775805")
	requireErr(t, c, "ERR increment or decrement would overflow", "HINCRBY", "h", "n", "1")
	requireDo(t, c, int64(-9223372036854775808), "HINCRBY", "h", "m", "-9223372036854775808")
	requireErr(t, c, "ERR increment or decrement would overflow", "HINCRBY", "h", "m", "-1")

	requireDo(t, c, int64(3), "HSET", "h", "s", "abc", "sp", " 1", "plus", "+1")
	requireErr(t, c, "ERR hash value is not an integer", "HINCRBY", "h", "s", "1")
	requireErr(t, c, "ERR hash value is not an integer", "HINCRBY", "h", "sp", "1")
	requireErr(t, c, "ERR hash value is not an integer", "HINCRBY", "h", "plus", "1")
	requireErr(t, c, "ERR hash value is not a float", "HINCRBYFLOAT", "h", "s", "1")
	requireErr(t, c, "ERR hash value is not a float", "HINCRBYFLOAT", "h", "sp", "1")
	requireDo(t, c, "2", "HINCRBYFLOAT", "h", "plus", "1")
	requireErr(t, c, "ERR value is not a valid float", "HINCRBYFLOAT", "h", "f", "1.5x")
	requireErr(t, c, "ERR value is not a valid float", "HINCRBYFLOAT", "h", "f", " 1")
	requireErr(t, c, "ERR value is NaN or Infinity", "HINCRBYFLOAT", "h", "f", "inf")
	requireErr(t, c, "ERR value is NaN or Infinity", "HINCRBYFLOAT", "nokey", "f", "-inf")
	requireDo(t, c, int64(0), "EXISTS", "nokey")

	// Redis's human long double format: 0.1+0.2 is 0.3, no exponent.
	requireDo(t, c, "0.1", "HINCRBYFLOAT", "h", "q", "0.1")
	requireDo(t, c, "0.3", "HINCRBYFLOAT", "h", "q", "0.2")
	requireDo(t, c, "0", "HINCRBYFLOAT", "h", "q", "-0.3")
	requireDo(t, c, "5000", "HINCRBYFLOAT", "h", "r", "5.0e3")
	requireDo(t, c, "0", "HINCRBYFLOAT", "h", "z", "-0")
	big1 := "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048"
	requireDo(t, c, big1, "HINCRBYFLOAT", "h", "b", "1e308")
	big2 := "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"
	requireDo(t, c, big2, "HINCRBYFLOAT", "h", "b", "1e308")
	requireDo(t, c, big2, "HGET", "h", "b")
	// A long result converts the hash, as Redis's hashTypeSet does.
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "h")
	requireDo(t, c, int64(1), "HSET", "h", "i", "10")
	requireDo(t, c, "10.5", "HINCRBYFLOAT", "h", "i", "0.5")
	requireErr(t, c, "ERR hash value is not an integer", "HINCRBY", "h", "i", "1")
}

func TestHashKeepsTTL(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, int64(1), "HSET", "h", "a", "1")
	requireDo(t, c, int64(1), "EXPIRE", "h", "100")
	requireDo(t, c, int64(1), "HSET", "h", "b", "2")
	requireDo(t, c, int64(3), "HINCRBY", "h", "b", "1")
	requireDo(t, c, int64(1), "HDEL", "h", "a")
	ttl, err := c.TTL(hctx, "h").Result()
	require.NoError(t, err)
	require.Greater(t, ttl.Seconds(), 90.0)
	// Writing a string over a hash replaces it and its fields.
	requireDo(t, c, "OK", "SET", "h", "x")
	requireErr(t, c, wrongType, "HGET", "h", "b")
	requireDo(t, c, int64(1), "DEL", "h")
	requireDo(t, c, int64(1), "HSET", "h", "z", "1")
	requireDo(t, c, []any{"z", "1"}, "HGETALL", "h")
}

func TestHashRandField(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	requireDo(t, c, nil, "HRANDFIELD", "nokey")
	requireDo(t, c, []any{}, "HRANDFIELD", "nokey", "3")
	requireDo(t, c, []any{}, "HRANDFIELD", "nokey", "-3", "withvalues")
	requireDo(t, c, int64(3), "HSET", "h", "a", "1", "b", "2", "c", "3")
	want := map[string]string{"a": "1", "b": "2", "c": "3"}
	requireDo(t, c, []any{}, "HRANDFIELD", "h", "0")
	for i := 0; i < 20; i++ {
		v, err := servertest.Do(c, "HRANDFIELD", "h")
		require.NoError(t, err)
		require.Contains(t, want, v)
	}
	// Positive count: distinct, at most the hash size.
	v, err := servertest.Do(c, "HRANDFIELD", "h", "2")
	require.NoError(t, err)
	got := v.([]any)
	require.Len(t, got, 2)
	require.NotEqual(t, got[0], got[1])
	v, err = servertest.Do(c, "HRANDFIELD", "h", "10", "WITHVALUES")
	require.NoError(t, err)
	got = v.([]any)
	require.Len(t, got, 6)
	m := map[string]string{}
	for i := 0; i < len(got); i += 2 {
		m[got[i].(string)] = got[i+1].(string)
	}
	require.Equal(t, want, m)
	// Negative count: exactly -count, repeats allowed, values match.
	v, err = servertest.Do(c, "HRANDFIELD", "h", "-7", "withvalues")
	require.NoError(t, err)
	got = v.([]any)
	require.Len(t, got, 14)
	for i := 0; i < len(got); i += 2 {
		require.Equal(t, want[got[i].(string)], got[i+1])
	}
	v, err = servertest.Do(c, "HRANDFIELD", "h", "-5")
	require.NoError(t, err)
	require.Len(t, v.([]any), 5)

	// RESP3: WITHVALUES gives [field, value] pairs; HGETALL a map.
	c3 := s.ClientWith(&redis.Options{Protocol: 3})
	v, err = servertest.Do(c3, "HRANDFIELD", "h", "-4", "WITHVALUES")
	require.NoError(t, err)
	got = v.([]any)
	require.Len(t, got, 4)
	for _, p := range got {
		pair := p.([]any)
		require.Len(t, pair, 2)
		require.Equal(t, want[pair[0].(string)], pair[1])
	}
	v, err = servertest.Do(c3, "HRANDFIELD", "h", "3", "WITHVALUES")
	require.NoError(t, err)
	require.Len(t, v.([]any), 3)
	v, err = servertest.Do(c3, "HGETALL", "h")
	require.NoError(t, err)
	require.Equal(t, map[any]any{"a": "1", "b": "2", "c": "3"}, v)

	// A big hash: fields come from the hash, distinct for positive counts.
	args := []any{"HSET", "big"}
	for i := 0; i < 3000; i++ {
		args = append(args, fmt.Sprintf("f%d", i), strconv.Itoa(i))
	}
	requireDo(t, c, int64(3000), args...)
	v, err = servertest.Do(c, "HRANDFIELD", "big", "10", "WITHVALUES")
	require.NoError(t, err)
	got = v.([]any)
	require.Len(t, got, 20)
	seen := map[string]bool{}
	for i := 0; i < len(got); i += 2 {
		f := got[i].(string)
		require.False(t, seen[f])
		seen[f] = true
		require.Equal(t, "f"+got[i+1].(string), f)
	}
	v, err = servertest.Do(c, "HRANDFIELD", "big", "-100")
	require.NoError(t, err)
	require.Len(t, v.([]any), 100)
}

func TestHashScan(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	// Small (listpack) hashes come whole with cursor 0, whatever the COUNT.
	requireDo(t, c, int64(3), "HSET", "h", "a", "1", "b", "2", "z", "5")
	requireDo(t, c, []any{"0", []any{"a", "1", "b", "2", "z", "5"}}, "HSCAN", "h", "0", "COUNT", "1")
	requireDo(t, c, []any{"0", []any{"a", "1"}}, "HSCAN", "h", "0", "MATCH", "a*", "COUNT", "1")
	requireDo(t, c, []any{"0", []any{"a", "1", "b", "2", "z", "5"}}, "HSCAN", "h", "0", "MATCH", "*")
	requireDo(t, c, []any{"0", []any{"b", "2"}}, "HSCAN", "h", "0", "MATCH", "[b-c]")
	requireDo(t, c, []any{"0", []any{}}, "HSCAN", "nokey", "0")

	// A hashtable hash pages by COUNT; a full scan returns every field
	// that exists throughout, even while others come and go.
	const n = 1000
	args := []any{"HSET", "big"}
	for i := 0; i < n; i++ {
		args = append(args, fmt.Sprintf("field:%04d", i), strconv.Itoa(i))
	}
	requireDo(t, c, int64(n), args...)
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "big")
	seen := map[string]int{}
	var cursor uint64
	steps := 0
	for {
		kv, next, err := c.HScan(hctx, "big", cursor, "", 25).Result()
		require.NoError(t, err)
		require.LessOrEqual(t, len(kv), 50)
		for i := 0; i < len(kv); i += 2 {
			seen[kv[i]]++
			if strings.HasPrefix(kv[i], "field:") {
				n, _ := strconv.Atoi(kv[i][len("field:"):])
				require.Equal(t, strconv.Itoa(n), kv[i+1], "value of %s", kv[i])
			}
		}
		// Churn: delete fields the scan has passed or not, add new ones.
		requireDo(t, c, int64(1), "HSET", "big", fmt.Sprintf("new:%d", steps), "x")
		if steps < 20 {
			_, err := servertest.Do(c, "HDEL", "big", fmt.Sprintf("field:%04d", 980+steps))
			require.NoError(t, err)
		}
		steps++
		if next == 0 {
			break
		}
		cursor = next
		require.Less(t, steps, 1000)
	}
	for i := 0; i < 980; i++ {
		require.Equal(t, 1, seen[fmt.Sprintf("field:%04d", i)], "field:%04d returned once", i)
	}
	// MATCH filters after examining COUNT fields.
	cursor = 0
	matched := 0
	for {
		kv, next, err := c.HScan(hctx, "big", cursor, "field:00*", 100).Result()
		require.NoError(t, err)
		matched += len(kv) / 2
		if next == 0 {
			break
		}
		cursor = next
	}
	require.Equal(t, 100, matched)
}

func TestHashEncoding(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	for i := 0; i < 128; i++ {
		requireDo(t, c, int64(1), "HSET", "h", fmt.Sprintf("f%d", i), "v")
	}
	requireDo(t, c, "listpack", "OBJECT", "ENCODING", "h")
	requireDo(t, c, int64(1), "HSET", "h", "f128", "v")
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "h")
	requireDo(t, c, int64(100), hdelArgs("h", 100, "f%d")...)
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "h") // never converts back

	long := string(make([]byte, 65))
	requireDo(t, c, int64(1), "HSET", "v64", "a", string(make([]byte, 64)))
	requireDo(t, c, "listpack", "OBJECT", "ENCODING", "v64")
	requireDo(t, c, int64(1), "HSET", "v65", "a", long)
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "v65")
	requireDo(t, c, int64(1), "HSET", "f65", long, "a")
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "f65")
	requireDo(t, c, int64(0), "HSETNX", "v64", "a", long) // not written: no conversion
	requireDo(t, c, "listpack", "OBJECT", "ENCODING", "v64")
	requireDo(t, c, int64(1), "HSETNX", "v64", "b", long)
	requireDo(t, c, "hashtable", "OBJECT", "ENCODING", "v64")
}

// hdelArgs builds HDEL key fmt(0)..fmt(n-1).
func hdelArgs(key string, n int, format string) []any {
	out := []any{"HDEL", key}
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

// TestHashMillion builds a 1,000,000-field hash and checks that HSCAN walks
// it completely without duplicates or misses, that point reads work in the
// middle, and that DEL leaves nothing behind. Timings are logged only.
func TestHashMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-field hash")
	}
	s := servertest.Start(t)
	c := s.Client()
	const total, perCmd = 1_000_000, 1000
	start := time.Now()
	for base := 0; base < total; base += 100 * perCmd {
		pipe := c.Pipeline()
		for b := base; b < base+100*perCmd; b += perCmd {
			args := make([]any, 0, 2*perCmd)
			for i := b; i < b+perCmd; i++ {
				args = append(args, "field:"+strconv.Itoa(i), strconv.Itoa(i))
			}
			pipe.HSet(hctx, "big", args...)
		}
		_, err := pipe.Exec(hctx)
		require.NoError(t, err)
	}
	t.Logf("built %d fields in %v", total, time.Since(start))
	requireDo(t, c, int64(total), "HLEN", "big")

	start = time.Now()
	requireDo(t, c, "500000", "HGET", "big", "field:500000")
	t.Logf("HGET in the middle: %v", time.Since(start))
	requireDo(t, c, []any{"123456", nil}, "HMGET", "big", "field:123456", "field:x")
	v, err := servertest.Do(c, "HRANDFIELD", "big", "5", "WITHVALUES")
	require.NoError(t, err)
	got := v.([]any)
	require.Len(t, got, 10)
	for i := 0; i < 10; i += 2 {
		require.Equal(t, "field:"+got[i+1].(string), got[i])
	}
	start = time.Now()
	v, err = servertest.Do(c, "HRANDFIELD", "big", "-100")
	require.NoError(t, err)
	require.Len(t, v.([]any), 100)
	t.Logf("HRANDFIELD -100: %v", time.Since(start))

	start = time.Now()
	seen := make([]bool, total)
	var cursor uint64
	calls := 0
	for {
		kv, next, err := c.HScan(hctx, "big", cursor, "", 1000).Result()
		require.NoError(t, err)
		for i := 0; i < len(kv); i += 2 {
			n, err := strconv.Atoi(kv[i+1])
			require.NoError(t, err)
			require.Equal(t, "field:"+kv[i+1], kv[i])
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
			t.Fatalf("field:%d missed", i)
		}
	}
	t.Logf("HSCAN COUNT 1000: %d calls, %v", calls, time.Since(start))

	start = time.Now()
	requireDo(t, c, int64(1), "DEL", "big")
	t.Logf("DEL of a %d-field hash: %v", total, time.Since(start))
	requireDo(t, c, int64(0), "DBSIZE")
	eng := s.Srv.Engine
	mk := encoding.MetaKey(eng.Physical(0), []byte("big"))
	it, err := eng.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	require.False(t, it.First(), "no record left")
	require.NoError(t, it.Close())
}
