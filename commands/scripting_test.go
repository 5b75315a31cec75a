package commands_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// luaRaw is a raw RESP connection: replies compared byte for byte.
type luaRaw struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func newLuaRaw(t *testing.T, s *servertest.Server) *luaRaw {
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &luaRaw{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *luaRaw) send(args ...string) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := c.conn.Write([]byte(b.String()))
	require.NoError(c.t, err)
}

// reply reads one complete reply, raw.
func (c *luaRaw) reply() string {
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	line, err := c.r.ReadString('\n')
	require.NoError(c.t, err)
	switch line[0] {
	case '$', '=':
		n, _ := strconv.Atoi(line[1 : len(line)-2])
		if n < 0 {
			return line
		}
		buf := make([]byte, n+2)
		_, err := ioReadFull(c.r, buf)
		require.NoError(c.t, err)
		return line + string(buf)
	case '*', '%', '~', '>':
		n, _ := strconv.Atoi(line[1 : len(line)-2])
		if line[0] == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			line += c.reply()
		}
	}
	return line
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *luaRaw) do(args ...string) string {
	c.send(args...)
	return c.reply()
}

func sha1hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestScriptingRedisCases replays a session recorded against redis-server
// 7.0.15 (conversion rules, sandbox, redis.* API, error texts, cjson,
// cmsgpack, bit, struct, functions and their DUMP payloads) and expects the
// same bytes.
func TestScriptingRedisCases(t *testing.T) {
	s := servertest.Start(t)
	c := newLuaRaw(t, s)
	for i, tc := range luaCases {
		require.Equal(t, tc.want, c.do(tc.args...), "case %d: %q", i, tc.args)
	}
}

func TestScriptingEvalBasics(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()

	v, err := c.Eval(ctx, "return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", []string{"k1", "k2"}, "a1").Result()
	require.NoError(t, err)
	require.Equal(t, []any{"k1", "k2", "a1", int64(2), int64(1)}, v)

	v, err = c.Eval(ctx, "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", []string{"key"}, 42).Result()
	require.NoError(t, err)
	require.Equal(t, "42", v)
	require.Equal(t, "42", c.Get(ctx, "key").Val())

	// Number conversions: truncation toward zero, %.17g arguments.
	v, err = c.Eval(ctx, "return {3.99, -2.5, 7}", nil).Result()
	require.NoError(t, err)
	require.Equal(t, []any{int64(3), int64(-2), int64(7)}, v)
	v, err = c.Eval(ctx, "redis.call('set', 'f', 0.5) redis.call('set', 'g', 1e20) return {redis.call('get', 'f'), redis.call('get', 'g')}", nil).Result()
	require.NoError(t, err)
	require.Equal(t, []any{"0.5", "1e+20"}, v)

	// A table stops at the first nil; false inside becomes nil.
	v, err = c.Eval(ctx, "return {1, false, 3, nil, 5}", nil).Result()
	require.NoError(t, err)
	require.Equal(t, []any{int64(1), nil, int64(3)}, v)

	// Status, error tables and helpers.
	v, err = c.Eval(ctx, "return redis.status_reply('FINE')", nil).Result()
	require.NoError(t, err)
	require.Equal(t, "FINE", v)
	_, err = c.Eval(ctx, "return {err='boom'}", nil).Result()
	require.EqualError(t, err, "boom")
	_, err = c.Eval(ctx, "return redis.error_reply('boom')", nil).Result()
	require.EqualError(t, err, "ERR boom")

	// Errors raised by redis.call carry the script position.
	sc := "return redis.call('incr', KEYS[1])"
	require.NoError(t, c.Set(ctx, "str", "abc", 0).Err())
	_, err = c.Eval(ctx, sc, []string{"str"}).Result()
	require.EqualError(t, err, "ERR value is not an integer or out of range script: "+sha1hex(sc)+", on @user_script:1.")
	// redis.pcall hands the error back as a table; pcall keeps ERR.
	v, err = c.Eval(ctx, "local ok, e = pcall(redis.call, 'incr', KEYS[1]) return e", []string{"str"}).Result()
	require.NoError(t, err)
	require.Equal(t, "ERR value is not an integer or out of range", v)
	v, err = c.Eval(ctx, "return redis.pcall('incr', KEYS[1])['err']", []string{"str"}).Result()
	require.NoError(t, err)
	require.Equal(t, "ERR value is not an integer or out of range", v)
	require.Equal(t, "abc", c.Get(ctx, "str").Val(), "a failed command leaves data untouched")
}

func TestScriptingNumKeys(t *testing.T) {
	s := servertest.Start(t)
	c := newLuaRaw(t, s)
	require.Equal(t, "-ERR Number of keys can't be greater than number of args\r\n", c.do("EVAL", "return 1", "2", "a"))
	require.Equal(t, "-ERR Number of keys can't be negative\r\n", c.do("EVAL", "return 1", "-1"))
	require.Equal(t, "-ERR value is not an integer or out of range\r\n", c.do("EVAL", "return 1", "x"))
	require.Equal(t, "-ERR wrong number of arguments for 'eval' command\r\n", c.do("EVAL", "return 1"))
	require.Equal(t, "-NOSCRIPT No matching script. Please use EVAL.\r\n", c.do("EVALSHA", "abc", "x"))
	require.Equal(t, "-ERR value is not an integer or out of range\r\n", c.do("EVALSHA", strings.Repeat("a", 40), "x"))
	require.Equal(t, "-NOSCRIPT No matching script. Please use EVAL.\r\n", c.do("EVALSHA", strings.Repeat("a", 40), "0"))
	require.Equal(t, "-ERR Function not found\r\n", c.do("FCALL", "nosuch", "x"))
	// COMMAND GETKEYS follows numkeys.
	require.Equal(t, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", c.do("COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"))
}

func TestScriptingScriptCache(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	body := "return 'cached'"
	sha, err := c.ScriptLoad(ctx, body).Result()
	require.NoError(t, err)
	require.Equal(t, sha1hex(body), sha)

	require.Contains(t, c.Info(ctx, "memory").Val(), "number_of_cached_scripts:1\r\n")
	ex, err := c.ScriptExists(ctx, sha, strings.ToUpper(sha), "0000000000000000000000000000000000000000").Result()
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, false}, ex)

	v, err := c.EvalSha(ctx, strings.ToUpper(sha), nil).Result()
	require.NoError(t, err)
	require.Equal(t, "cached", v)

	// EVAL caches its script too.
	require.NoError(t, c.Eval(ctx, "return 2", nil).Err())
	v, err = c.EvalSha(ctx, sha1hex("return 2"), nil).Result()
	require.NoError(t, err)
	require.Equal(t, int64(2), v)

	require.Equal(t, "OK", c.ScriptFlush(ctx).Val())
	require.Contains(t, c.Info(ctx, "memory").Val(), "number_of_cached_scripts:0\r\n")
	_, err = c.EvalSha(ctx, sha, nil).Result()
	require.EqualError(t, err, "NOSCRIPT No matching script. Please use EVAL.")
	ex, _ = c.ScriptExists(ctx, sha).Result()
	require.Equal(t, []bool{false}, ex)

	_, err = c.ScriptLoad(ctx, "return 1 +").Result()
	require.EqualError(t, err, "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")
	_, err = servertest.Do(c, "SCRIPT", "FLUSH", "LAZY")
	require.EqualError(t, err, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")
	v, err = servertest.Do(c, "SCRIPT", "FLUSH", "async")
	require.NoError(t, err)
	require.Equal(t, "OK", v)
	_, err = servertest.Do(c, "SCRIPT", "KILL")
	require.EqualError(t, err, "NOTBUSY No scripts in execution right now.")
	_, err = servertest.Do(c, "FUNCTION", "KILL")
	require.EqualError(t, err, "NOTBUSY No scripts in execution right now.")
	help, err := servertest.Do(c, "SCRIPT", "HELP")
	require.NoError(t, err)
	require.Len(t, help, 17)
}

func TestScriptingSandbox(t *testing.T) {
	s := servertest.Start(t)
	// Deep recursion is slow under the race detector: no client timeout.
	c := s.ClientWith(&redis.Options{ReadTimeout: -1})
	ctx := context.Background()
	errOf := func(script string) string {
		_, err := c.Eval(ctx, script, nil).Result()
		require.Error(t, err, script)
		return strings.Replace(err.Error(), " script: "+sha1hex(script)+",", " script: SHA,", 1)
	}
	require.Equal(t, "ERR user_script:1: Attempt to modify a readonly table script: SHA, on @user_script:1.", errOf("x = 1"))
	require.Equal(t, "ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: SHA, on @user_script:1.", errOf("return y"))
	for _, name := range []string{"os", "io", "print", "loadfile", "dofile", "require", "debug", "setfenv", "getfenv", "module", "newproxy"} {
		require.Equal(t, "ERR user_script:1: Script attempted to access nonexistent global variable '"+name+"' script: SHA, on @user_script:1.", errOf("return "+name))
	}
	require.Equal(t, "ERR user_script:1: Attempt to modify a readonly table script: SHA, on @user_script:1.", errOf("string.upper = nil"))
	require.Equal(t, "ERR user_script:1: Attempt to modify a readonly table script: SHA, on @user_script:1.", errOf("redis.call = nil"))
	require.Equal(t, "ERR Attempt to modify a readonly table script: SHA, on @user_script:1.", errOf("rawset(_G, 'x', 1)"))
	require.Equal(t, "ERR Attempt to modify a readonly table script: SHA, on @user_script:1.", errOf("setmetatable(_G, {})"))
	require.Equal(t, "ERR Attempt to modify a readonly table script: SHA, on @user_script:1.", errOf("table.insert(string, 1)"))
	require.Equal(t, "ERR [string \"z = 1\"]:1: Attempt to modify a readonly table script: SHA, on z = 1:1.", errOf("loadstring('z = 1')()"))
	require.Contains(t, errOf("getmetatable('').__index.upper = nil"), "Attempt to modify a readonly table")

	// Nothing leaked: the libraries and globals are intact for the next
	// script.
	v, err := c.Eval(ctx, "return {string.upper('ok'), type(redis.call), tostring(rawget(_G, 'x')), tostring(rawget(_G, 'z'))}", nil).Result()
	require.NoError(t, err)
	require.Equal(t, []any{"OK", "function", "nil", "nil"}, v)

	// Locals, and tables the script creates, are free to change.
	v, err = c.Eval(ctx, "local t = {} t.x = 1 KEYS[1] = 'changed' return {t.x, KEYS[1]}", []string{"k"}).Result()
	require.NoError(t, err)
	require.Equal(t, []any{int64(1), "changed"}, v)

	// A runaway string does not take the server down.
	require.Contains(t, errOf("return string.rep('x', 1e10)"), "resulting string too large")
	require.Equal(t, "ERR user_script:1: stack overflow script: SHA, on @user_script:1.", errOf("local function f() return 1 + f() end return f()"))
	// A table that contains itself nests as deep as Redis's Lua stack
	// allows, then ends in an error element.
	raw := newLuaRaw(t, s)
	require.Equal(t, strings.Repeat("*1\r\n", 7995)+"-ERR reached lua stack limit\r\n", raw.do("EVAL", "local t = {} t[1] = t return t", "0"))
	require.Equal(t, "PONG", c.Ping(ctx).Val())
}

func TestScriptingRandom(t *testing.T) {
	// Redis 7.0 does not reseed per script: one sequence runs through
	// every EVAL and FCALL from startup (values from redis-server 7.0.15).
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	var got []int64
	for i := 0; i < 3; i++ {
		v, err := c.Eval(ctx, "return math.random(100)", nil).Int64()
		require.NoError(t, err)
		got = append(got, v)
	}
	require.NoError(t, c.FunctionLoad(ctx, "#!lua name=rnd\nredis.register_function('rnd', function() return math.random(100) end)").Err())
	v, err := c.FCall(ctx, "rnd", nil).Int64()
	require.NoError(t, err)
	got = append(got, v)
	require.Equal(t, []int64{40, 85, 36, 45}, got)
	v, err = c.Eval(ctx, "math.randomseed(7) return math.random(100)", nil).Int64()
	require.NoError(t, err)
	require.Equal(t, int64(27), v)
	v, err = c.Eval(ctx, "return math.random(100)", nil).Int64()
	require.NoError(t, err)
	require.Equal(t, int64(69), v)
}

func TestScriptingReadOnly(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	v, err := c.EvalRO(ctx, "return redis.call('get', KEYS[1])", []string{"k"}).Result()
	require.NoError(t, err)
	require.Equal(t, "v", v)
	sc := "return redis.call('set', KEYS[1], 'x')"
	_, err = c.EvalRO(ctx, sc, []string{"k"}).Result()
	require.EqualError(t, err, "ERR Write commands are not allowed from read-only scripts. script: "+sha1hex(sc)+", on @user_script:1.")
	_, err = c.EvalShaRO(ctx, sha1hex(sc), []string{"k"}).Result()
	require.EqualError(t, err, "ERR Write commands are not allowed from read-only scripts. script: "+sha1hex(sc)+", on @user_script:1.")
	require.Equal(t, "v", c.Get(ctx, "k").Val())

	// Shebang flags.
	_, err = c.EvalRO(ctx, "#!lua\nreturn 1", nil).Result()
	require.EqualError(t, err, "ERR Can not execute a script with write flag using *_ro command.")
	v, err = c.EvalRO(ctx, "#!lua flags=no-writes\nreturn 1", nil).Result()
	require.NoError(t, err)
	require.Equal(t, int64(1), v)
	sc = "#!lua flags=no-writes,allow-oom\nreturn redis.call('del', KEYS[1])"
	_, err = c.Eval(ctx, sc, []string{"k"}).Result()
	require.EqualError(t, err, "ERR Write commands are not allowed from read-only scripts. script: "+sha1hex(sc)+", on @user_script:2.")
	_, err = c.Eval(ctx, "#!lua flags=no-writes,bogus\nreturn 1", nil).Result()
	require.EqualError(t, err, "ERR Unexpected flag in script shebang: bogus")
}

func TestScriptingResp3(t *testing.T) {
	s := servertest.Start(t)
	c := newLuaRaw(t, s)
	c.do("HSET", "h", "f", "v")
	c.do("ZADD", "z", "1.5", "m")
	// A RESP2 caller gets RESP3 replies converted down.
	require.Equal(t, "*2\r\n$1\r\nf\r\n$1\r\nv\r\n", c.do("EVAL", "redis.setresp(3) return redis.call('hgetall', KEYS[1])", "1", "h"))
	require.Equal(t, "$1\r\nv\r\n", c.do("EVAL", "redis.setresp(3) return redis.call('hgetall', KEYS[1]).map.f", "1", "h"))
	require.Equal(t, "$3\r\n1.5\r\n", c.do("EVAL", "redis.setresp(3) return redis.call('zscore', KEYS[1], 'm')", "1", "z"))
	require.Equal(t, ":1\r\n", c.do("EVAL", "redis.setresp(3) return redis.call('get', 'nokey') == nil", "0"))
	require.Equal(t, ":0\r\n", c.do("EVAL", "redis.setresp(3) return false", "0"))
	// A RESP3 caller gets maps, doubles, booleans and nulls.
	c.do("HELLO", "3")
	require.Equal(t, "%1\r\n$1\r\nf\r\n$1\r\nv\r\n", c.do("EVAL", "redis.setresp(3) return redis.call('hgetall', KEYS[1])", "1", "h"))
	require.Equal(t, ",1.5\r\n", c.do("EVAL", "redis.setresp(3) return redis.call('zscore', KEYS[1], 'm')", "1", "z"))
	require.Equal(t, "#t\r\n", c.do("EVAL", "redis.setresp(3) return true", "0"))
	require.Equal(t, "#f\r\n", c.do("EVAL", "redis.setresp(3) return false", "0"))
	require.Equal(t, ":1\r\n", c.do("EVAL", "return true", "0"))
	require.Equal(t, "_\r\n", c.do("EVAL", "return false", "0"))
	require.Equal(t, "~1\r\n$1\r\na\r\n", c.do("EVAL", "return {set={a=true}}", "0"))
	require.Equal(t, "(12345678901234567890\r\n", c.do("EVAL", "return {big_number='12345678901234567890'}", "0"))
	require.Equal(t, "=6\r\ntxt:hi\r\n", c.do("EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"))
	// RESP2 scripts still see RESP2 replies under a RESP3 caller.
	require.Equal(t, "*2\r\n$1\r\nf\r\n$1\r\nv\r\n", c.do("EVAL", "return redis.call('hgetall', KEYS[1])", "1", "h"))
}

func TestScriptingSelectInScript(t *testing.T) {
	s := servertest.Start(t)
	c := newLuaRaw(t, s)
	require.Equal(t, "*3\r\n+OK\r\n+OK\r\n$1\r\n1\r\n", c.do("EVAL", "return {redis.call('select', '3'), redis.call('set','dbx','1'), redis.call('get','dbx')}", "0"))
	// The caller's database did not change.
	require.Equal(t, "$-1\r\n", c.do("GET", "dbx"))
	c.do("SELECT", "3")
	require.Equal(t, "$1\r\n1\r\n", c.do("GET", "dbx"))
	// Scripts start on the caller's database.
	require.Equal(t, "$1\r\n1\r\n", c.do("EVAL", "return redis.call('get', 'dbx')", "0"))
}

func TestScriptingInMulti(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	// EXEC holds the world lock: the queued scripts must not take it again.
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"n"})
		p.Eval(ctx, "return redis.call('incrby', KEYS[1], 10)", []string{"n"})
		p.FCall(ctx, "nosuch", nil)
		return nil
	})
	require.Error(t, err)
	require.Len(t, cmds, 3)
	require.Equal(t, int64(1), cmds[0].(*redis.Cmd).Val())
	require.Equal(t, int64(11), cmds[1].(*redis.Cmd).Val())
	require.EqualError(t, cmds[2].Err(), "ERR Function not found")

	// A script's write aborts a transaction watching the key.
	other := s.Client()
	require.NoError(t, c.Watch(ctx, func(tx *redis.Tx) error {
		require.NoError(t, other.Eval(ctx, "return redis.call('set', KEYS[1], 'x')", []string{"n"}).Err())
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "n", "from-tx", 0)
			return nil
		})
		require.ErrorIs(t, err, redis.TxFailedErr)
		return nil
	}, "n"))
	require.Equal(t, "x", c.Get(ctx, "n").Val())
}

func TestScriptingConcurrentIncr(t *testing.T) {
	s := servertest.Start(t)
	const clients, each = 50, 200
	script := redis.NewScript("return redis.call('incr', KEYS[1])")
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.ClientWith(&redis.Options{PoolSize: 1})
			ctx := context.Background()
			for j := 0; j < each; j++ {
				if err := script.Run(ctx, c, []string{"counter"}).Err(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	n, err := s.Client().Get(context.Background(), "counter").Int()
	require.NoError(t, err)
	require.Equal(t, clients*each, n)
}

// TestScriptingLock runs the classic lock: SET NX PX to take it, a
// compare-and-delete script to release it. No two clients ever hold it.
func TestScriptingLock(t *testing.T) {
	s := servertest.Start(t)
	release := redis.NewScript(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`)
	const clients, rounds = 20, 40
	var holders, maxHolders, acquired atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			c := s.ClientWith(&redis.Options{PoolSize: 1})
			ctx := context.Background()
			token := "owner-" + strconv.Itoa(id)
			for r := 0; r < rounds; {
				ok, err := c.SetNX(ctx, "lock", token, 10*time.Second).Result()
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					continue
				}
				h := holders.Add(1)
				for {
					m := maxHolders.Load()
					if h <= m || maxHolders.CompareAndSwap(m, h) {
						break
					}
				}
				acquired.Add(1)
				holders.Add(-1)
				n, err := release.Run(ctx, c, []string{"lock"}, token).Int()
				if err != nil {
					errs <- err
					return
				}
				if n != 1 {
					errs <- errors.New("release of a held lock deleted nothing")
					return
				}
				// Releasing someone else's lock is a no-op.
				if n, _ := release.Run(ctx, c, []string{"lock"}, "not-the-owner").Int(); n != 0 {
					errs <- errors.New("released a lock it did not own")
					return
				}
				r++
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(1), maxHolders.Load())
	require.Equal(t, int64(clients*rounds), acquired.Load())
}

func TestScriptingBusyAndKill(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	admin := s.Client()
	require.NoError(t, admin.ConfigSet(ctx, "busy-reply-threshold", "200").Err())
	require.Equal(t, []any{"lua-time-limit", "200"}, func() []any {
		v, _ := servertest.Do(admin, "CONFIG", "GET", "lua-time-limit")
		return v.([]any)
	}())

	runner := s.ClientWith(&redis.Options{PoolSize: 1, ReadTimeout: -1})
	done := make(chan error, 1)
	loop := "while true do end"
	go func() { done <- runner.Eval(ctx, loop, nil).Err() }()

	other := newLuaRaw(t, s)
	// FUNCTION STATS is allowed while a script runs: it tells an EVAL runs.
	require.Eventually(t, func() bool {
		return other.do("FUNCTION", "STATS") == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
	}, 10*time.Second, 5*time.Millisecond)
	// Other commands wait for the script, and past the threshold are
	// answered BUSY.
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", other.do("GET", "x"))
	require.Equal(t, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", other.do("PING"))
	require.Equal(t, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", other.do("FUNCTION", "KILL"))
	require.Equal(t, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", other.do("SHUTDOWN"))
	// MULTI is allowed; a command refused while queueing aborts EXEC.
	require.Equal(t, "+OK\r\n", other.do("MULTI"))
	require.Equal(t, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", other.do("SET", "a", "b"))
	require.Equal(t, "+OK\r\n", other.do("DISCARD"))

	require.Equal(t, "+OK\r\n", other.do("SCRIPT", "KILL"))
	select {
	case err := <-done:
		require.EqualError(t, err, "ERR Script killed by user with SCRIPT KILL... script: "+sha1hex(loop)+", on @user_script:1.")
	case <-time.After(10 * time.Second):
		t.Fatal("script not killed")
	}
	require.Equal(t, "+PONG\r\n", other.do("PING"))
	require.Equal(t, "-NOTBUSY No scripts in execution right now.\r\n", other.do("SCRIPT", "KILL"))

	// A script that already wrote cannot be killed; SHUTDOWN NOSAVE is the
	// way out.
	go func() { done <- runner.Eval(ctx, "redis.call('set', 'w', '1') while true do end", nil).Err() }()
	require.Eventually(t, func() bool {
		return other.do("SCRIPT", "KILL") == "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
	}, 10*time.Second, 20*time.Millisecond)
	other.send("SHUTDOWN", "NOSAVE")
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("SHUTDOWN NOSAVE did not stop the script")
	}
}

func TestScriptingFunctionKill(t *testing.T) {
	s := servertest.Start(t, "--busy-reply-threshold", "100")
	ctx := context.Background()
	admin := s.Client()
	require.NoError(t, admin.FunctionLoad(ctx, "#!lua name=spin\nredis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}").Err())
	runner := s.ClientWith(&redis.Options{PoolSize: 1, ReadTimeout: -1})
	done := make(chan error, 1)
	go func() { done <- runner.FCallRO(ctx, "spin", nil).Err() }()
	other := newLuaRaw(t, s)
	var stats string
	require.Eventually(t, func() bool {
		stats = other.do("FUNCTION", "STATS")
		return strings.Contains(stats, "$4\r\nspin\r\n")
	}, 10*time.Second, 5*time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n", other.do("GET", "x"))
	require.Contains(t, stats, "$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n$8\r\nfcall_ro\r\n$4\r\nspin\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:")
	require.Equal(t, "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n", other.do("SCRIPT", "KILL"))
	require.Equal(t, "+OK\r\n", other.do("FUNCTION", "KILL"))
	select {
	case err := <-done:
		require.EqualError(t, err, "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.")
	case <-time.After(10 * time.Second):
		t.Fatal("function not killed")
	}
	require.Equal(t, "+PONG\r\n", other.do("PING"))
}

func TestScriptingFunctions(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	lib := "#!lua name=mylib\n" +
		"local function get(keys, args) return redis.call('get', keys[1]) end\n" +
		"redis.register_function('myget', get)\n" +
		"redis.register_function{function_name='myset', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, description='sets'}\n" +
		"redis.register_function{function_name='myro', callback=get, flags={'no-writes'}}\n"
	name, err := c.FunctionLoad(ctx, lib).Result()
	require.NoError(t, err)
	require.Equal(t, "mylib", name)
	_, err = c.FunctionLoad(ctx, lib).Result()
	require.EqualError(t, err, "ERR Library 'mylib' already exists")
	name, err = c.FunctionLoadReplace(ctx, lib).Result()
	require.NoError(t, err)
	require.Equal(t, "mylib", name)

	require.Equal(t, "OK", c.FCall(ctx, "myset", []string{"k"}, "v").Val())
	require.Equal(t, "v", c.FCall(ctx, "MYGET", []string{"k"}).Val(), "function names are case-insensitive")
	require.Equal(t, "v", c.FCallRO(ctx, "myro", []string{"k"}).Val())
	_, err = c.FCallRO(ctx, "myset", []string{"k"}, "w").Result()
	require.EqualError(t, err, "ERR Can not execute a script with write flag using *_ro command.")
	_, err = c.FCall(ctx, "nosuch", nil).Result()
	require.EqualError(t, err, "ERR Function not found")

	list, err := c.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "mylib", list[0].Name)
	require.Equal(t, "LUA", list[0].Engine)
	require.Equal(t, lib, list[0].Code)
	require.Equal(t, []redis.Function{
		{Name: "myget", Flags: []string{}},
		{Name: "myro", Flags: []string{"no-writes"}},
		{Name: "myset", Description: "sets", Flags: []string{}},
	}, list[0].Functions)

	// A name collision with another library's function is refused.
	_, err = c.FunctionLoad(ctx, "#!lua name=other\nredis.register_function('myget', function() end)").Result()
	require.EqualError(t, err, "ERR Function myget already exists")

	// DUMP, FLUSH, RESTORE.
	dump, err := c.FunctionDump(ctx).Result()
	require.NoError(t, err)
	require.Equal(t, "OK", c.FunctionFlush(ctx).Val())
	_, err = c.FCall(ctx, "myget", []string{"k"}).Result()
	require.EqualError(t, err, "ERR Function not found")
	require.Equal(t, "OK", c.FunctionRestore(ctx, dump).Val())
	require.Equal(t, "v", c.FCall(ctx, "myget", []string{"k"}).Val())
	_, err = servertest.Do(c, "FUNCTION", "RESTORE", dump)
	require.EqualError(t, err, "ERR Library mylib already exists")
	v, err := servertest.Do(c, "FUNCTION", "RESTORE", dump, "REPLACE")
	require.NoError(t, err)
	require.Equal(t, "OK", v)
	_, err = servertest.Do(c, "FUNCTION", "RESTORE", dump[:len(dump)-1]+"x")
	require.EqualError(t, err, "ERR DUMP payload version or checksum are wrong")
	_, err = servertest.Do(c, "FUNCTION", "RESTORE", dump, "MERGE")
	require.EqualError(t, err, "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")

	stats, err := servertest.Do(c, "FUNCTION", "STATS")
	require.NoError(t, err)
	require.Equal(t, []any{"running_script", nil, "engines", []any{"LUA", []any{"libraries_count", int64(1), "functions_count", int64(3)}}}, stats)

	info := c.Info(ctx, "memory").Val()
	require.Contains(t, info, "number_of_functions:3\r\n")
	require.Contains(t, info, "number_of_libraries:1\r\n")
	require.Equal(t, "OK", c.FunctionDelete(ctx, "mylib").Val())
	_, err = c.FunctionDelete(ctx, "mylib").Result()
	require.EqualError(t, err, "ERR Library not found")
}

// TestScriptingRestoreRedisPayload restores a FUNCTION DUMP made by
// redis-server 7.0.15 (its code LZF-compressed) and dumps it back
// identically.
func TestScriptingRestoreRedisPayload(t *testing.T) {
	s := servertest.Start(t)
	c := newLuaRaw(t, s)
	payload := "\xf5\xc3@V@[\x1f#!lua name=mylib\nredis.register_\x0bfunction('my@\x0b\x02', @\x06`\x12\x11keys, args) return`\x0c\x07[1] end)\n\x00\x8dY6\xad\xc6\xe7\x07\xda"
	require.Equal(t, "+OK\r\n", c.do("FUNCTION", "RESTORE", payload))
	require.Equal(t, "$5\r\nhello\r\n", c.do("FCALL", "myfunc", "0", "hello"))
	require.Equal(t, "$"+strconv.Itoa(len(payload))+"\r\n"+payload+"\r\n", c.do("FUNCTION", "DUMP"))
}

func TestScriptingFunctionsSurviveRestart(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	require.NoError(t, c.FunctionLoad(ctx, "#!lua name=keep\nredis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)").Err())
	require.NoError(t, c.FunctionLoad(ctx, "#!lua name=gone\nredis.register_function('bye', function() return 1 end)").Err())
	require.NoError(t, c.FunctionDelete(ctx, "gone").Err())
	sha, err := c.ScriptLoad(ctx, "return 1").Result()
	require.NoError(t, err)

	s.Restart()
	c = s.Client()
	v, err := c.FCall(ctx, "hello", nil, "again").Result()
	require.NoError(t, err)
	require.Equal(t, "hello again", v)
	_, err = c.FCall(ctx, "bye", nil).Result()
	require.EqualError(t, err, "ERR Function not found")
	// The script cache is not persisted, as in Redis.
	ex, err := c.ScriptExists(ctx, sha).Result()
	require.NoError(t, err)
	require.Equal(t, []bool{false}, ex)

	require.NoError(t, c.FunctionFlush(ctx).Err())
	s.Restart()
	c = s.Client()
	list, err := c.FunctionList(ctx, redis.FunctionListQuery{}).Result()
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestScriptingLog(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	v, err := c.Eval(ctx, "redis.log(redis.LOG_WARNING, 'from', 'script', 1) return 'logged'", nil).Result()
	require.NoError(t, err)
	require.Equal(t, "logged", v)
	_, err = c.Eval(ctx, "redis.log(9, 'x')", nil).Result()
	require.ErrorContains(t, err, "ERR Invalid debug level.")
}

// TestScriptingAtomicity: readers never see a script half done.
func TestScriptingAtomicity(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	script := redis.NewScript("redis.call('incr', KEYS[1]) redis.call('incr', KEYS[2]) return 1")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.ClientWith(&redis.Options{PoolSize: 1})
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := script.Run(ctx, c, []string{"a", "b"}).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	reader := s.ClientWith(&redis.Options{PoolSize: 1})
	for i := 0; i < 300; i++ {
		v, err := reader.MGet(ctx, "a", "b").Result()
		require.NoError(t, err)
		require.Equal(t, v[0], v[1], "MGET saw a script half done")
	}
	close(stop)
	wg.Wait()
	a, _ := reader.Get(ctx, "a").Int()
	require.Greater(t, a, 0)
}
