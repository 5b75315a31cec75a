package scripting

import (
	"context"
	"math"
	"strings"

	"github.com/shaledb/shale/server"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// vm is one Lua interpreter set up as Redis 7.0 sets up its own: the
// libraries Redis exposes (base, table, string, math, coroutine, cjson,
// struct, cmsgpack, bit), the redis table, and globals that scripts can read
// but never create or modify. EVAL scripts and function libraries get one
// vm each, as in Redis.
//
// Globals protection: scripts run with an environment that is an empty
// proxy table whose metatable reads through to the real globals and whose
// __newindex raises "Attempt to modify a readonly table"; the real globals
// raise "Script attempted to access nonexistent global variable" for
// missing names. Library tables are read-only proxies the same way. The
// functions that could bypass a proxy (rawset, setmetatable, table.insert,
// loadstring, load, next, pairs, rawget) are replaced by versions that see
// through proxies and refuse to write them.
type vm struct {
	e         *Engine
	L         *lua.LState
	functions bool // the function-library vm (FCALL) rather than EVAL's

	api   *lua.LTable // the real globals
	env   *lua.LTable // what scripts see as their globals (_G)
	envMT *lua.LTable // env's metatable: __index is api, or the load API while FUNCTION LOAD runs
	// loadAPI is what a library's top level sees while FUNCTION LOAD runs:
	// only redis.register_function, redis.log and the version fields.
	loadAPI *lua.LTable

	proxies map[*lua.LTable]*lua.LTable // read-only proxy -> real table
	handler *lua.LFunction              // error handler (__redis__err__handler)
	null    *lua.LUserData              // cjson.null

	run     *Run     // the running script, nil between runs
	loading *Library // the library FUNCTION LOAD is registering

	// writeFn writes out under PCall (see protected).
	writeFn *lua.LFunction
	out     pendingReply

	// scratch for redis.call arguments
	arena []byte
	offs  []int
	args  [][]byte
}

type pendingReply struct {
	r     *server.Reply
	run   *Run
	val   lua.LValue
	isErr bool
}

// Lua limits: deep enough for the recursion real scripts use, bounded so a
// runaway script gets a Lua error ("stack overflow") instead of exhausting
// memory.
const (
	callStackSize   = 20000
	registrySize    = 1024 * 20
	registryMaxSize = 1 << 20
	// registryGrowStep is large because gopher-lua grows the value stack
	// by this much at a time, copying it: small steps make a big unpack
	// quadratic.
	registryGrowStep = 1 << 14
	// maxCStack is Lua 5.1's LUAI_MAXCSTACK: how many values a C (here Go)
	// function may push; unpack, string.byte and cmsgpack.unpack fail
	// beyond it as in Redis.
	maxCStack = 8000
)

func newVM(e *Engine, functions bool) *vm {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    callStackSize,
		RegistrySize:     registrySize,
		RegistryMaxSize:  registryMaxSize,
		RegistryGrowStep: registryGrowStep,
	})
	v := &vm{e: e, L: L, functions: functions, proxies: map[*lua.LTable]*lua.LTable{}}
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	v.api = L.G.Global
	v.null = L.NewUserData()
	v.null.Value = nil
	v.setupBase()
	v.setupLibraries()
	v.setupRedis()

	// The real globals raise on missing names.
	v.api.Metatable = v.errorMetatable()

	v.env = L.NewTable()
	v.envMT = L.NewTable()
	v.envMT.RawSetString("__index", v.api)
	v.envMT.RawSetString("__newindex", L.NewFunction(readonlyError))
	v.envMT.RawSetString("__metatable", lua.LFalse)
	v.env.Metatable = v.envMT
	v.proxies[v.env] = v.api
	v.api.RawSetString("_G", v.env)

	v.handler = L.NewFunction(v.errorHandler)
	v.writeFn = L.NewFunction(func(L *lua.LState) int {
		if o := v.out; o.isErr {
			v.writeError(o.r, o.run, o.val)
		} else {
			v.writeReply(o.r, o.val, o.run.Resp, 0)
		}
		return 0
	})
	if !functions {
		// EVAL exposes its error handler as a global, as Redis does.
		v.api.RawSetString("__redis__err__handler", v.handler)
		v.api.RawSetString("KEYS", L.NewTable())
		v.api.RawSetString("ARGV", L.NewTable())
	} else {
		v.setupLoadAPI()
	}
	// Every function the vm creates from now on (loadstring, coroutines)
	// inherits env through the function that creates it.
	L.SetContext(context.Background())
	return v
}

func (v *vm) close() { v.L.Close() }

// errorMetatable is luaSetErrorMetatable: reading a missing key raises
// "Script attempted to access nonexistent global variable".
func (v *vm) errorMetatable() *lua.LTable {
	mt := v.L.NewTable()
	mt.RawSetString("__index", v.L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		name := ""
		switch x := k.(type) {
		case lua.LString:
			name = string(x)
		case lua.LNumber:
			name = luaNumberString(float64(x))
		default:
			L.RaiseError("Second argument to luaProtectedTableError must be a string or number")
		}
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", name)
		return 0
	}))
	return mt
}

func readonlyError(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// protect returns a read-only view of t.
func (v *vm) protect(t *lua.LTable) *lua.LTable {
	p := v.L.NewTable()
	mt := v.L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", v.L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	p.Metatable = mt
	v.proxies[p] = t
	return p
}

// real returns the table a proxy stands for (or t itself).
func (v *vm) real(t *lua.LTable) *lua.LTable {
	if r, ok := v.proxies[t]; ok {
		return r
	}
	return t
}

func (v *vm) readonly(t *lua.LTable) bool {
	_, ok := v.proxies[t]
	return ok || t == v.api
}

// setupBase trims the base library to what Redis 7.0 exposes and replaces
// the functions whose behaviour differs.
func (v *vm) setupBase() {
	L, g := v.L, v.api
	for _, name := range []string{"dofile", "loadfile", "print", "getfenv", "setfenv", "module",
		"require", "newproxy", "_printregs", "_GOPHER_LUA_VERSION"} {
		g.RawSetString(name, lua.LNil)
	}
	origToString := g.RawGetString("tostring").(*lua.LFunction)
	g.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.CheckAny(1).(lua.LNumber); ok {
			L.Push(lua.LString(luaNumberString(float64(n))))
			return 1
		}
		L.Push(origToString)
		L.Push(L.Get(1))
		L.Call(1, 1)
		return 1
	}))
	g.RawSetString("tonumber", L.NewFunction(luaToNumberFn))
	g.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		i := L.OptInt(2, 1)
		j := L.OptInt(3, t.Len())
		if i > j {
			return 0
		}
		n := j - i + 1
		if n <= 0 || n+L.GetTop() > maxCStack {
			L.RaiseError("too many results to unpack")
		}
		for k := i; k <= j; k++ {
			L.Push(t.RawGetInt(k))
		}
		return n
	}))
	g.RawSetString("pcall", L.NewFunction(v.pcall))
	g.RawSetString("error", L.NewFunction(luaErrorFn))
	g.RawSetString("next", L.NewFunction(func(L *lua.LState) int {
		t := v.real(L.CheckTable(1))
		k, val := t.Next(L.Get(2))
		if k == lua.LNil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(k)
		L.Push(val)
		return 2
	}))
	next := g.RawGetString("next")
	g.RawSetString("pairs", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.Push(next)
		L.Push(v.real(t))
		L.Push(lua.LNil)
		return 3
	}))
	g.RawSetString("rawget", L.NewFunction(func(L *lua.LState) int {
		t := v.real(L.CheckTable(1))
		L.Push(t.RawGet(L.CheckAny(2)))
		return 1
	}))
	g.RawSetString("rawset", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		k := L.CheckAny(2)
		val := L.CheckAny(3)
		if v.readonly(t) {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		if k == lua.LNil {
			L.RaiseError("table index is nil")
		}
		t.RawSet(k, val)
		L.Push(t)
		return 1
	}))
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		mt := L.Get(2)
		if mt != lua.LNil {
			if _, ok := mt.(*lua.LTable); !ok {
				L.ArgError(2, "nil or table expected")
			}
		}
		if v.readonly(t) {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		if cur, ok := t.Metatable.(*lua.LTable); ok && cur.RawGetString("__metatable") != lua.LNil {
			L.RaiseError("cannot change a protected metatable")
		}
		t.Metatable = mt
		L.Push(t)
		return 1
	}))
	g.RawSetString("loadstring", L.NewFunction(func(L *lua.LState) int {
		src := L.CheckString(1)
		name := L.OptString(2, src)
		return v.loadChunk(L, src, name)
	}))
	g.RawSetString("load", L.NewFunction(func(L *lua.LState) int {
		fn := L.CheckFunction(1)
		name := L.OptString(2, "=(load)")
		var b strings.Builder
		for {
			L.Push(fn)
			L.Call(0, 1)
			piece := L.Get(-1)
			L.Pop(1)
			s, ok := piece.(lua.LString)
			if piece == lua.LNil || (ok && s == "") {
				break
			}
			if !ok {
				L.Push(lua.LNil)
				L.Push(lua.LString("reader function must return a string"))
				return 2
			}
			b.WriteString(string(s))
		}
		return v.loadChunk(L, b.String(), name)
	}))
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(0))
		return 1
	}))
	g.RawSetString("collectgarbage", L.NewFunction(func(L *lua.LState) int {
		opt := L.OptString(1, "collect")
		switch opt {
		case "collect", "stop", "restart":
			L.Push(lua.LNumber(0))
		case "count":
			L.Push(lua.LNumber(0))
		case "step":
			L.Push(lua.LFalse)
		case "setpause", "setstepmul":
			L.Push(lua.LNumber(200))
		default:
			L.ArgError(1, "invalid option '"+opt+"'")
		}
		return 1
	}))
}

// loadChunk compiles src for loadstring/load with the script environment
// (never the real globals) and returns the function, or nil and the error.
func (v *vm) loadChunk(L *lua.LState, src, name string) int {
	chunkname := name
	if strings.HasPrefix(name, "=") || strings.HasPrefix(name, "@") {
		chunkname = name[1:]
	} else {
		chunkname = "[string \"" + firstLine(name) + "\"]"
	}
	fn, err := L.Load(strings.NewReader(src), chunkname)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(compileErrorText(err, chunkname, src)))
		return 2
	}
	mainChunk(fn)
	fn.Env = v.env
	L.Push(fn)
	return 1
}

// mainChunk marks a compiled chunk as Lua 5.1 marks main chunks: vararg
// without the 5.0 "arg" table, which gopher-lua would otherwise build (a
// table and a map) on every call although nothing can reach it.
func mainChunk(fn *lua.LFunction) {
	fn.Proto.IsVarArg &^= lua.VarArgNeedsArg
}

// firstLine shortens a source string for a chunk name as Lua does.
func firstLine(s string) string {
	const max = 60
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i] + "..."
	}
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// luaToNumberFn is Lua 5.1's tonumber(e [, base]): numbers and numeric
// strings (strtod rules, hexadecimal) in base 10, strtoul digits in bases
// 2 to 36, nil otherwise.
func luaToNumberFn(L *lua.LState) int {
	base := L.OptInt(2, 10)
	if base == 10 {
		v := L.CheckAny(1)
		if n, ok := toNumber(v); ok {
			L.Push(n)
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}
	if base < 2 || base > 36 {
		L.ArgError(2, "base out of range")
	}
	s := strings.TrimLeft(L.CheckString(1), " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	var n float64
	digits := 0
	for digits < len(s) {
		c := s[digits]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		n = n*float64(base) + float64(d)
		digits++
	}
	if digits == 0 || strings.TrimRight(s[digits:], " \t\n\r\v\f") != "" {
		L.Push(lua.LNil)
		return 1
	}
	if neg {
		n = -n
	}
	L.Push(lua.LNumber(n))
	return 1
}

// luaErrorFn is Lua 5.1's error(message [, level]): any value (nil
// included) is raised; a string gets the position of the function at
// level, and no position when that function is not Lua code (pcall(error,
// "x") raises plain "x").
func luaErrorFn(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	if s, ok := obj.(lua.LString); ok && level > 0 {
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
				obj = lua.LString(dbg.Source + ":" + itoa(dbg.CurrentLine) + ": " + string(s))
			}
		}
	}
	L.Error(obj, 0)
	return 0
}

// fixMessage rewrites gopher-lua's runtime error texts into Lua 5.1's
// where the meaning is the same: quotes around function names ("bad
// argument #1 to 'f'", "for 'concat'"), and the arithmetic, concatenation
// and indexing errors (Lua 5.1 also names the variable when it can, which
// gopher-lua cannot tell).
func fixMessage(s string) string {
	if i := strings.Index(s, "cannot perform "); i >= 0 {
		rest := s[i+len("cannot perform "):]
		op, types, ok := strings.Cut(rest, " operation between ")
		if x, y, ok2 := strings.Cut(types, " and "); ok && ok2 {
			if op == "concat" {
				bad := x
				if x == "string" || x == "number" {
					bad = y
				}
				return s[:i] + "attempt to concatenate a " + bad + " value"
			}
			bad := x
			if x == "number" {
				bad = y
			}
			return s[:i] + "attempt to perform arithmetic on a " + bad + " value"
		}
	}
	if i := strings.Index(s, "attempt to index a non-table object("); i >= 0 {
		rest := s[i+len("attempt to index a non-table object("):]
		if typ, _, ok := strings.Cut(rest, ")"); ok {
			return s[:i] + "attempt to index a " + typ + " value"
		}
	}
	if i := strings.Index(s, " in table for "); i >= 0 && !strings.HasSuffix(s, "'") {
		return s[:i] + " in table for '" + s[i+len(" in table for "):] + "'"
	}
	i := strings.Index(s, "bad argument #")
	if i < 0 {
		return s
	}
	j := strings.Index(s[i:], " to ")
	if j < 0 {
		return s
	}
	start := i + j + 4
	end := strings.IndexByte(s[start:], ' ')
	if end <= 0 || s[start] == '\'' || s[start] == '?' {
		return s
	}
	return s[:start] + "'" + s[start:start+end] + "'" + s[start+end:]
}

// pcall is Redis's pcall: an error raised as a table with a string "err"
// field (redis.call's errors) is returned as that string.
func (v *vm) pcall(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(1, "value expected")
	}
	err := L.PCall(n-1, lua.MultRet, nil)
	if err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		} else if s, ok := obj.(lua.LString); ok {
			obj = lua.LString(fixMessage(string(s)))
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

func (v *vm) setupLibraries() {
	L, g := v.L, v.api

	// string: string.rep is capped so a script cannot make the process
	// allocate more than proto-max-bulk-len at once.
	str := g.RawGetString("string").(*lua.LTable)
	origRep := str.RawGetString("rep").(*lua.LFunction)
	str.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		n := L.CheckInt(2)
		if n > 0 && int64(len(s))*int64(n) > 512<<20 {
			L.RaiseError("resulting string too large")
		}
		L.Push(origRep)
		L.Push(lua.LString(s))
		L.Push(lua.LNumber(n))
		L.Call(2, 1)
		return 1
	}))
	str.RawSetString("format", L.NewFunction(strFormat))
	str.RawSetString("byte", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		posi := strPos(L.OptInt(2, 1), len(s))
		pose := strPos(L.OptInt(3, posi), len(s))
		if posi <= 0 {
			posi = 1
		}
		if pose > len(s) {
			pose = len(s)
		}
		if posi > pose {
			return 0
		}
		n := pose - posi + 1
		if n+L.GetTop() > maxCStack {
			L.RaiseError("stack overflow (string slice too long)")
		}
		for k := posi; k <= pose; k++ {
			L.Push(lua.LNumber(s[k-1]))
		}
		return n
	}))
	if str.RawGetString("gfind") == lua.LNil {
		str.RawSetString("gfind", str.RawGetString("gmatch"))
	}

	// table: the Lua 5.1 compatibility functions gopher-lua lacks, and no
	// writes into read-only tables.
	tbl := g.RawGetString("table").(*lua.LTable)
	for _, name := range []string{"insert", "remove", "sort"} {
		orig := tbl.RawGetString(name).(*lua.LFunction)
		tbl.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if t, ok := L.Get(1).(*lua.LTable); ok && v.readonly(t) {
				L.Error(lua.LString("Attempt to modify a readonly table"), 0)
			}
			top := L.GetTop()
			L.Push(orig)
			for i := 1; i <= top; i++ {
				L.Push(L.Get(i))
			}
			L.Call(top, lua.MultRet)
			return L.GetTop() - top
		}))
	}
	tbl.RawSetString("concat", L.NewFunction(func(L *lua.LState) int {
		// Numbers join as Lua 5.1 prints them (%.14g).
		t := L.CheckTable(1)
		sep := ""
		if L.Get(2) != lua.LNil {
			sep = checkLString(L, 2)
		}
		i := L.OptInt(3, 1)
		j := L.OptInt(4, t.Len())
		var b []byte
		for k := i; k <= j; k++ {
			switch x := t.RawGetInt(k).(type) {
			case lua.LString:
				b = append(b, x...)
			case lua.LNumber:
				b = appendG(b, float64(x), 14)
			default:
				L.RaiseError("invalid value (%s) at index %d in table for 'concat'", luaTypeName(x), k)
			}
			if k != j {
				b = append(b, sep...)
			}
			if len(b) > 512<<20 {
				L.RaiseError("resulting string too large")
			}
		}
		L.Push(lua.LString(b))
		return 1
	}))
	tbl.RawSetString("setn", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("'setn' is obsolete")
		return 0
	}))
	tbl.RawSetString("foreach", L.NewFunction(func(L *lua.LState) int {
		t := v.real(L.CheckTable(1))
		fn := L.CheckFunction(2)
		for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
			L.Push(fn)
			L.Push(k)
			L.Push(val)
			L.Call(2, 1)
			if r := L.Get(-1); r != lua.LNil {
				return 1
			}
			L.Pop(1)
		}
		return 0
	}))
	tbl.RawSetString("foreachi", L.NewFunction(func(L *lua.LState) int {
		t := v.real(L.CheckTable(1))
		fn := L.CheckFunction(2)
		n := t.Len()
		for i := 1; i <= n; i++ {
			L.Push(fn)
			L.Push(lua.LNumber(i))
			L.Push(t.RawGetInt(i))
			L.Call(2, 1)
			if r := L.Get(-1); r != lua.LNil {
				return 1
			}
			L.Pop(1)
		}
		return 0
	}))

	// math.random and math.randomseed use Redis's PRNG.
	m := g.RawGetString("math").(*lua.LTable)
	m.RawSetString("random", L.NewFunction(v.mathRandom))
	m.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int {
		if v.run == nil {
			L.RaiseError("math.randomseed can only be called inside a script invocation")
		}
		v.e.rand.seed(int32(int64(L.CheckNumber(1))))
		return 0
	}))

	g.RawSetString("bit", openBit(L))
	g.RawSetString("struct", openStruct(L))
	g.RawSetString("cjson", openCjson(L, v.null))
	g.RawSetString("cmsgpack", openCmsgpack(L))

	// Library tables become read-only views; string values keep using the
	// real string table for methods ("x"):upper().
	for _, name := range []string{"string", "table", "math", "coroutine", "bit", "struct", "cjson", "cmsgpack"} {
		if t, ok := g.RawGetString(name).(*lua.LTable); ok {
			g.RawSetString(name, v.protect(t))
		}
	}
	if mt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		// getmetatable("") must not hand out the real string metatable.
		view := L.NewTable()
		view.RawSetString("__index", g.RawGetString("string"))
		mt.RawSetString("__metatable", v.protect(view))
	}
}

func (v *vm) mathRandom(L *lua.LState) int {
	if v.run == nil {
		L.RaiseError("math.random can only be called inside a script invocation")
	}
	r := v.e.rand.float()
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l := L.CheckInt(1)
		u := L.CheckInt(2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

// strPos is Lua 5.1's posrelat: negative positions count from the end.
func strPos(pos, n int) int {
	if pos < 0 {
		pos += n + 1
	}
	if pos < 0 {
		return 0
	}
	return pos
}

// compileErrorText turns gopher-lua's parse error into Lua 5.1's shape:
// "<chunk>:<line>: <message> near '<token>'".
func compileErrorText(err error, chunk, src string) string {
	var pe *parse.Error
	if ae, ok := err.(*lua.ApiError); ok && ae.Cause != nil {
		err = ae.Cause
	}
	switch e := err.(type) {
	case *parse.Error:
		pe = e
	case *lua.CompileError:
		return chunk + ":" + itoa(e.Line) + ": " + e.Message
	}
	if pe == nil {
		return strings.TrimSpace(err.Error())
	}
	msg := strings.TrimSpace(pe.Message)
	if msg == "syntax error" || msg == "" {
		msg = "unexpected symbol"
	}
	if pe.Pos.Line == parse.EOF {
		return chunk + ":" + itoa(strings.Count(src, "\n")+1) + ": " + msg + " near '<eof>'"
	}
	return chunk + ":" + itoa(pe.Pos.Line) + ": " + msg + " near '" + pe.Token + "'"
}
