package scripting

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Log levels of redis.log (Redis's LL_*).
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

// Version is what redis.REDIS_VERSION reports.
const (
	redisVersion    = "7.0.15"
	redisVersionNum = 0x07000f
)

// Replication flags of redis.set_repl (PROPAGATE_AOF|PROPAGATE_REPL).
const (
	replNone = 0
	replAOF  = 1
	replRepl = 2
	replAll  = replAOF | replRepl
)

// errTable builds the error table Redis pushes for an error (the err field
// carries a code): luaPushErrorBuff. A buffer "-CODE msg" keeps its code,
// anything else gets "ERR ".
func (v *vm) errTable(buf string) *lua.LTable {
	code, msg := "ERR", buf
	if strings.HasPrefix(buf, "-") {
		if i := strings.IndexByte(buf, ' '); i < 0 {
			msg = buf[1:]
		} else {
			code, msg = buf[1:i], buf[i+1:]
		}
	}
	msg = strings.Trim(msg, "\r\n")
	t := v.L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// raise raises an error table built from buf.
func (v *vm) raise(buf string) {
	v.L.Error(v.errTable(buf), 0)
}

func (v *vm) setupRedis() {
	L := v.L
	r := L.NewTable()
	set := func(name string, fn lua.LGFunction) { r.RawSetString(name, L.NewFunction(fn)) }
	set("call", func(L *lua.LState) int { return v.redisCall(L, true) })
	set("pcall", func(L *lua.LState) int { return v.redisCall(L, false) })
	v.addLogAPI(r)
	addVersion(r)
	set("setresp", func(L *lua.LState) int {
		if v.run == nil {
			v.raise("redis.setresp can only be called inside a script invocation")
		}
		if L.GetTop() != 1 {
			v.raise("redis.setresp() requires one argument.")
		}
		resp := int(luaToNumber(L.Get(1)))
		if resp != 2 && resp != 3 {
			v.raise("RESP version must be 2 or 3.")
		}
		v.run.Resp = resp
		return 0
	})
	set("sha1hex", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			v.raise("wrong number of arguments")
		}
		s, _ := luaToString(L.Get(1))
		sum := sha1.Sum([]byte(s))
		L.Push(lua.LString(hex.EncodeToString(sum[:])))
		return 1
	})
	set("error_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(v.errTable("wrong number or type of arguments"))
			return 1
		}
		msg := string(s)
		if !strings.HasPrefix(msg, "-") {
			msg = "-" + msg
		}
		L.Push(v.errTable(msg))
		return 1
	})
	set("status_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(v.errTable("wrong number or type of arguments"))
			return 1
		}
		t := L.NewTable()
		t.RawSetString("ok", s)
		L.Push(t)
		return 1
	})
	set("set_repl", func(L *lua.LState) int {
		if v.run == nil {
			v.raise("redis.set_repl can only be called inside a script invocation")
		}
		if L.GetTop() != 1 {
			v.raise("redis.set_repl() requires two arguments.")
		}
		flags := int(luaToNumber(L.Get(1)))
		if flags&^replAll != 0 {
			v.raise("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
		}
		return 0
	})
	for name, val := range map[string]int{"REPL_NONE": replNone, "REPL_AOF": replAOF,
		"REPL_SLAVE": replRepl, "REPL_REPLICA": replRepl, "REPL_ALL": replAll} {
		r.RawSetString(name, lua.LNumber(val))
	}
	set("acl_check_cmd", func(L *lua.LState) int {
		if v.run == nil {
			v.raise("redis.acl_check_cmd can only be called inside a script invocation")
		}
		args, errMsg := v.argv(L)
		if errMsg != "" {
			v.raise(errMsg)
		}
		known, allowed := v.run.Host.ACLCheck(v.run, args)
		if !known {
			v.raise("Invalid command passed to redis.acl_check_cmd()")
		}
		L.Push(lua.LBool(allowed))
		return 1
	})
	if !v.functions {
		// EVAL-only helpers: the debugger hooks and the deprecated
		// replicate_commands, all accepted and inert.
		set("breakpoint", func(L *lua.LState) int {
			L.Push(lua.LFalse)
			return 1
		})
		set("debug", func(L *lua.LState) int { return 0 })
		set("replicate_commands", func(L *lua.LState) int {
			L.Push(lua.LTrue)
			return 1
		})
	}
	v.api.RawSetString("redis", v.protect(r))
}

func addVersion(r *lua.LTable) {
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	r.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
}

// addLogAPI adds redis.log and the LOG_* levels.
func (v *vm) addLogAPI(r *lua.LTable) {
	r.RawSetString("log", v.L.NewFunction(func(L *lua.LState) int {
		argc := L.GetTop()
		if argc < 2 {
			v.raise("redis.log() requires two arguments or more.")
		}
		if _, ok := toNumber(L.Get(1)); !ok {
			v.raise("First argument must be a number (log level).")
		}
		level := int(luaToNumber(L.Get(1)))
		if level < LogDebug || level > LogWarning {
			v.raise("Invalid debug level.")
		}
		if v.e.Verbosity != nil && level < v.e.Verbosity() {
			return 0
		}
		var b strings.Builder
		for i := 2; i <= argc; i++ {
			if s, ok := luaToString(L.Get(i)); ok {
				if i != 2 {
					b.WriteByte(' ')
				}
				b.WriteString(s)
			}
		}
		if v.e.Log != nil {
			v.e.Log(level, b.String())
		}
		return 0
	}))
	r.RawSetString("LOG_DEBUG", lua.LNumber(LogDebug))
	r.RawSetString("LOG_VERBOSE", lua.LNumber(LogVerbose))
	r.RawSetString("LOG_NOTICE", lua.LNumber(LogNotice))
	r.RawSetString("LOG_WARNING", lua.LNumber(LogWarning))
}

// luaToString is lua_tolstring: strings, and numbers formatted with %.14g.
func luaToString(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return luaNumberString(float64(x)), true
	}
	return "", false
}

// luaToNumber is lua_tonumber: numbers and numeric strings, else 0.
func luaToNumber(v lua.LValue) float64 {
	n, _ := toNumber(v)
	return float64(n)
}

// argv converts redis.call's arguments into the command line, as
// luaArgsToRedisArgv does: numbers with %.17g, strings as they are,
// anything else is an error. The slices live in the run's scratch buffer
// and are valid until the next call.
func (v *vm) argv(L *lua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, "Please specify at least one argument for this redis lib call"
	}
	if cap(v.arena) > 1<<20 {
		v.arena = nil // do not pin a huge argument buffer
	}
	v.arena = v.arena[:0]
	v.offs = v.offs[:0]
	for i := 1; i <= n; i++ {
		switch x := L.Get(i).(type) {
		case lua.LNumber:
			v.arena = appendG(v.arena, float64(x), 17)
		case lua.LString:
			v.arena = append(v.arena, x...)
		default:
			return nil, "Lua redis lib command arguments must be strings or integers"
		}
		v.offs = append(v.offs, len(v.arena))
	}
	v.args = v.args[:0]
	start := 0
	for _, end := range v.offs {
		v.args = append(v.args, v.arena[start:end:end])
		start = end
	}
	return v.args, ""
}

// redisCall is redis.call (raise) and redis.pcall.
func (v *vm) redisCall(L *lua.LState, raise bool) int {
	run := v.run
	if run == nil {
		v.raise("redis.call/pcall can only be called inside a script invocation")
	}
	args, errMsg := v.argv(L)
	L.SetTop(0)
	if errMsg != "" {
		t := v.errTable(errMsg)
		if raise {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	reply, rejected := run.Host.Call(run, args)
	if rejected != "" {
		t := v.errTable(rejected)
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		if raise {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	val, _ := v.respToLua(reply, 0, 0)
	if raise && len(reply) > 0 && reply[0] == '-' {
		L.Error(val, 0)
	}
	L.Push(val)
	return 1
}

// setupLoadAPI builds what a library's top level sees during FUNCTION LOAD:
// a redis table with register_function, log and the version, and nothing
// else (every other name raises "nonexistent global variable").
func (v *vm) setupLoadAPI() {
	L := v.L
	r := L.NewTable()
	r.RawSetString("register_function", L.NewFunction(v.registerFunction))
	v.addLogAPI(r)
	addVersion(r)
	r.Metatable = v.errorMetatable()
	g := L.NewTable()
	g.RawSetString("redis", v.protect(r))
	g.Metatable = v.errorMetatable()
	v.loadAPI = g
}

// respToLua converts one RESP reply (as a command wrote it for the script
// client) into a Lua value with Redis's rules: status -> {ok=...}, error ->
// {err=...}, nil bulk and nil array -> false, RESP3 maps, sets, doubles and
// big numbers -> {map=...}, {set=...}, {double=...}, {big_number=...},
// null -> nil, booleans -> booleans, attributes skipped.
func (v *vm) respToLua(b []byte, i, depth int) (lua.LValue, int) {
	if i >= len(b) {
		return lua.LNil, i
	}
	L := v.L
	typ := b[i]
	line, next := respLine(b, i+1)
	switch typ {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(line))
		return t, next
	case '-':
		t := v.errTable("-" + string(line))
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		return t, next
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), next
	case '$', '=':
		n := respInt(line)
		if n < 0 {
			return lua.LFalse, next
		}
		end := next + n
		if end > len(b) {
			end = len(b)
		}
		s := b[next:end]
		next = end + 2
		if typ == '$' {
			return lua.LString(s), next
		}
		t := L.NewTable()
		vs := L.NewTable()
		format, str := "", s
		if len(s) >= 4 {
			format, str = string(s[:3]), s[4:]
		}
		vs.RawSetString("string", lua.LString(str))
		vs.RawSetString("format", lua.LString(format))
		t.RawSetString("verbatim_string", vs)
		return t, next
	case '*', '>':
		n := respInt(line)
		if n < 0 {
			return lua.LFalse, next
		}
		t := L.CreateTable(n, 0)
		for j := 1; j <= n; j++ {
			var val lua.LValue
			val, next = v.respToLua(b, next, depth+1)
			t.RawSetInt(j, val)
		}
		return t, next
	case '%':
		n := respInt(line)
		t := L.NewTable()
		m := L.NewTable()
		for j := 0; j < n; j++ {
			var k, val lua.LValue
			k, next = v.respToLua(b, next, depth+1)
			val, next = v.respToLua(b, next, depth+1)
			if k != lua.LNil {
				m.RawSet(k, val)
			}
		}
		t.RawSetString("map", m)
		return t, next
	case '~':
		n := respInt(line)
		t := L.NewTable()
		s := L.NewTable()
		for j := 0; j < n; j++ {
			var k lua.LValue
			k, next = v.respToLua(b, next, depth+1)
			if k != lua.LNil {
				s.RawSet(k, lua.LTrue)
			}
		}
		t.RawSetString("set", s)
		return t, next
	case '_':
		return lua.LNil, next
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), next
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, next
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(line))
		return t, next
	case '|':
		n := respInt(line)
		for j := 0; j < 2*n; j++ {
			_, next = v.respToLua(b, next, depth+1)
		}
		return v.respToLua(b, next, depth)
	}
	return lua.LNil, len(b)
}

// respLine returns the line starting at i (without CRLF) and where the next
// element starts.
func respLine(b []byte, i int) ([]byte, int) {
	for j := i; j+1 < len(b); j++ {
		if b[j] == '\r' && b[j+1] == '\n' {
			return b[i:j], j + 2
		}
	}
	return b[min(i, len(b)):], len(b)
}

func respInt(b []byte) int {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}
