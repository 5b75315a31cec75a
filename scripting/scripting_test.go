package scripting

import (
	"math"
	"strings"
	"testing"

	"github.com/shaledb/shale/server"
	"github.com/stretchr/testify/require"
)

func TestAppendG(t *testing.T) {
	// Expected values are C's printf output (glibc).
	cases := []struct {
		f    float64
		prec int
		want string
	}{
		{0.1, 17, "0.10000000000000001"},
		{0.5, 17, "0.5"},
		{10, 17, "10"},
		{1e20, 17, "1e+20"},
		{1e16, 17, "10000000000000000"},
		{123456789012345678, 17, "1.2345678901234568e+17"},
		{math.Copysign(0, -1), 17, "-0"},
		{math.Inf(1), 17, "inf"},
		{math.Inf(-1), 14, "-inf"},
		{1.0 / 3, 14, "0.33333333333333"},
		{1e15, 14, "1e+15"},
		{1e14, 14, "1e+14"},
		{99999999999999, 14, "99999999999999"},
		{9007199254740992, 14, "9.007199254741e+15"},
		{-1.5e-7, 14, "-1.5e-07"},
		{0.0001, 14, "0.0001"},
		{0.00001, 14, "1e-05"},
		{1.5, 14, "1.5"},
		{123.456, 3, "123"},
		{1234.5, 3, "1.23e+03"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, string(appendG(nil, c.f, c.prec)), "%v %%.%dg", c.f, c.prec)
	}
	negNaN := math.Float64frombits(0xFFF8000000000000)
	require.Equal(t, "-nan", string(appendG(nil, negNaN, 14)))
	require.Equal(t, "nan", string(appendG(nil, math.NaN(), 14)))
}

func TestRand48MatchesRedis(t *testing.T) {
	// math.random(100) from a fresh redis-server 7.0.15: 40 85 36 45 32 89.
	r := rand48{x: rand48Init}
	var got []int
	for i := 0; i < 6; i++ {
		got = append(got, int(math.Floor(r.float()*100))+1)
	}
	require.Equal(t, []int{40, 85, 36, 45, 32, 89}, got)
	// math.randomseed(7) then math.random(100) -> 27 (also from Redis).
	r.seed(7)
	require.Equal(t, 27, int(math.Floor(r.float()*100))+1)
}

func TestParseLuaNumber(t *testing.T) {
	for s, want := range map[string]float64{"12": 12, " 12 ": 12, "0x10": 16, "-0X1f": -31, "1e2": 100, ".5": 0.5, "inf": math.Inf(1), "-1.5": -1.5} {
		f, err := parseLuaNumber(s)
		require.NoError(t, err, s)
		require.Equal(t, want, f, s)
	}
	for _, s := range []string{"", "abc", "1x", "0x", "1 2", "--1"} {
		_, err := parseLuaNumber(s)
		require.Error(t, err, s)
	}
}

// fakeHost answers every redis.call with a canned RESP reply.
type fakeHost struct {
	reply string
	calls [][]string
}

func (h *fakeHost) Call(run *Run, args [][]byte) ([]byte, string) {
	var a []string
	for _, x := range args {
		a = append(a, string(x))
	}
	h.calls = append(h.calls, a)
	if a[0] == "reject" {
		return nil, "-DENIED no"
	}
	return []byte(h.reply), ""
}

func (h *fakeHost) ACLCheck(run *Run, args [][]byte) (bool, bool) { return true, true }

func evalWith(t *testing.T, e *Engine, h *fakeHost, script string, proto int) string {
	t.Helper()
	s, msg := e.LoadScript([]byte(script))
	require.Empty(t, msg)
	r := &server.Reply{Proto: proto}
	e.RunScript(&Run{Host: h}, s, nil, nil, r)
	return string(r.Buf)
}

func TestRESPToLua(t *testing.T) {
	e := New()
	defer e.Close()
	cases := []struct{ reply, script, want string }{
		{"+OK\r\n", "return redis.call('x').ok", "$2\r\nOK\r\n"},
		{":-7\r\n", "return redis.call('x') + 1", ":-6\r\n"},
		{"$-1\r\n", "return tostring(redis.call('x'))", "$5\r\nfalse\r\n"},
		{"*-1\r\n", "return tostring(redis.call('x'))", "$5\r\nfalse\r\n"},
		{"*2\r\n$1\r\na\r\n:2\r\n", "return redis.call('x')", "*2\r\n$1\r\na\r\n:2\r\n"},
		{"%1\r\n$1\r\nk\r\n$1\r\nv\r\n", "return redis.call('x').map.k", "$1\r\nv\r\n"},
		{"~2\r\n$1\r\na\r\n$1\r\nb\r\n", "local s = redis.call('x').set return {s.a, s.b, s.c}", "*2\r\n:1\r\n:1\r\n"},
		{",3.25\r\n", "return tostring(redis.call('x').double)", "$4\r\n3.25\r\n"},
		{",inf\r\n", "return tostring(redis.call('x').double)", "$3\r\ninf\r\n"},
		{"(123456789012345678901\r\n", "return redis.call('x').big_number", "$21\r\n123456789012345678901\r\n"},
		{"=8\r\ntxt:abcd\r\n", "local v = redis.call('x').verbatim_string return v.format .. '|' .. v.string", "$8\r\ntxt|abcd\r\n"},
		{"_\r\n", "return redis.call('x') == nil", ":1\r\n"},
		{"#t\r\n", "return redis.call('x') == true", ":1\r\n"},
		{"#f\r\n", "return redis.call('x') == false", ":1\r\n"},
		{"|1\r\n$3\r\nkey\r\n$3\r\nval\r\n:5\r\n", "return redis.call('x')", ":5\r\n"},
		{"*3\r\n:1\r\n_\r\n:3\r\n", "local t = redis.call('x') return {t[1], t[2] == nil, t[3]}", "*3\r\n:1\r\n:1\r\n:3\r\n"},
		{"-WRONGTYPE bad\r\n", "return redis.pcall('x')", "-WRONGTYPE bad\r\n"},
		{"-WRONGTYPE bad\r\n", "return redis.pcall('x').ignore_error_stats_update", ":1\r\n"},
		{"-ONEWORD\r\n", "return redis.pcall('x').err", "$11\r\nERR ONEWORD\r\n"},
		{"+OK\r\n", "return redis.pcall('reject').err", "$9\r\nDENIED no\r\n"},
	}
	for _, c := range cases {
		h := &fakeHost{reply: c.reply}
		require.Equal(t, c.want, evalWith(t, e, h, c.script, 2), "%q with %q", c.script, c.reply)
	}
	// Arguments: numbers with %.17g, strings as they are.
	h := &fakeHost{reply: "+OK\r\n"}
	evalWith(t, e, h, "redis.call('set', 0.1, 10, -0.0, 'x\\0y')", 2)
	require.Equal(t, [][]string{{"set", "0.10000000000000001", "10", "-0", "x\x00y"}}, h.calls)
}

func TestLuaToRESP3(t *testing.T) {
	e := New()
	defer e.Close()
	h := &fakeHost{reply: "+OK\r\n"}
	require.Equal(t, "#t\r\n", evalWith(t, e, h, "redis.setresp(3) return true", 3))
	require.Equal(t, ":1\r\n", evalWith(t, e, h, "redis.setresp(3) return true", 2))
	require.Equal(t, "_\r\n", evalWith(t, e, h, "return false", 3))
	require.Equal(t, ",1.5\r\n", evalWith(t, e, h, "return {double=1.5}", 3))
	require.Equal(t, "$3\r\n1.5\r\n", evalWith(t, e, h, "return {double=1.5}", 2))
	require.Equal(t, "%1\r\n$1\r\na\r\n:1\r\n", evalWith(t, e, h, "return {map={a=1}}", 3))
	require.Equal(t, "=6\r\nab :hi\r\n", evalWith(t, e, h, "return {verbatim_string={format='ab', string='hi'}}", 3))
	require.Equal(t, "+a  b\r\n", evalWith(t, e, h, "return {ok='a\\r\\nb'}", 3))
	// __index metamethods apply when reading an array reply.
	require.Equal(t, "*2\r\n:2\r\n:4\r\n", evalWith(t, e, h, "return setmetatable({}, {__index = function(t, k) if type(k) == 'number' and k < 3 then return k * 2 end end})", 2))
	// A metamethod failing while the reply is built is an error reply, not
	// a crash (Redis would abort here).
	require.Equal(t, "-ERR user_script:1: attempt to compare string with number\r\n", evalWith(t, e, h, "return setmetatable({}, {__index = function(t, k) if k < 3 then return k end end})", 2))
}

func TestFunctionDumpRestoreRoundTrip(t *testing.T) {
	e := New()
	defer e.Close()
	long := "#!lua name=lib1\n-- " + strings.Repeat("padding ", 40) + "\nredis.register_function('f1', function() return 1 end)"
	_, msg := e.LoadLibrary(long, false)
	require.Empty(t, msg)
	_, msg = e.LoadLibrary("#!lua name=lib2\nredis.register_function{function_name='f2', callback=function() return 2 end, flags={'no-writes'}, description='two'}", false)
	require.Empty(t, msg)
	for _, compress := range []bool{false, true} {
		d := e.Dump(compress)
		require.True(t, VerifyPayload(d))
		e2 := New()
		require.Empty(t, e2.Restore(d, RestoreAppend))
		require.Equal(t, 2, e2.FunctionCount())
		f := e2.Function("F2")
		require.NotNil(t, f)
		require.Equal(t, FlagNoWrites, f.Flags)
		require.Equal(t, "two", *f.Description)
		require.Equal(t, d, e2.Dump(compress))
		e2.Close()
	}
	// A failed RESTORE changes nothing.
	d := e.Dump(true)
	require.Equal(t, "ERR Library lib1 already exists", e.Restore(d, RestoreAppend))
	require.Equal(t, 2, e.FunctionCount())
	require.Equal(t, "ERR DUMP payload version or checksum are wrong", e.Restore(d[:len(d)-1], RestoreAppend))
	bad := append([]byte{}, d...)
	bad[len(bad)-10] = 11 // RDB version 11 is newer than 7.0 reads
	require.Equal(t, "ERR DUMP payload version or checksum are wrong", e.Restore(bad, RestoreAppend))
}

func TestGlobalsDoNotLeakBetweenScripts(t *testing.T) {
	e := New()
	defer e.Close()
	h := &fakeHost{reply: "+OK\r\n"}
	// Every way of writing a global is refused, and the next script sees
	// pristine globals.
	for _, s := range []string{"x = 1", "rawset(_G, 'x', 1)", "_G.x = 1", "setmetatable(_G, nil)",
		"table.insert(_G, 1)", "loadstring('x = 1')()", "string.x = 1", "getmetatable('').__index.x = 1",
		"local mt = getmetatable(_G) if mt then mt.__newindex = nil end x = 1"} {
		out := evalWith(t, e, h, s, 2)
		require.True(t, strings.HasPrefix(out, "-"), "%s: %q", s, out)
	}
	require.Equal(t, "*3\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n", evalWith(t, e, h, "return {tostring(rawget(_G, 'x')), tostring(rawget(string, 'x')), tostring(rawget(_G, 1))}", 2))
}

// TestStackLimits checks the functions that push many values fail as in
// Redis (Lua's C stack limit) instead of growing without bound.
func TestStackLimits(t *testing.T) {
	e := New()
	defer e.Close()
	h := &fakeHost{reply: "+OK\r\n"}
	run := func(s string) string { return evalWith(t, e, h, s, 2) }
	require.Contains(t, run("return #{unpack({}, 1, 1e9)}"), "too many results to unpack")
	require.Equal(t, ":3\r\n", run("return select('#', unpack({1, 2, 3}))"))
	require.Contains(t, run("return #{string.byte(string.rep('x', 1e6), 1, -1)}"), "stack overflow (string slice too long)")
	require.Equal(t, "*2\r\n:108\r\n:111\r\n", run("return {string.byte('hello', -2, -1)}"))
	require.Contains(t, run("return cmsgpack.pack(unpack({}, 1, 7000))"), "Too many arguments for MessagePack pack.")
	require.Contains(t, run("return #{cmsgpack.unpack(string.rep(cmsgpack.pack(1), 9000))}"), "too many return values at once")
	require.Equal(t, ":9000\r\n", run("local n, off = 0, 0 local s = string.rep(cmsgpack.pack(1), 9000) while off ~= -1 do local v off, v = cmsgpack.unpack_one(s, off) n = n + v end return n"))
}
