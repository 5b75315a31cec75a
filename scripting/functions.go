package scripting

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/server"
	lua "github.com/yuin/gopher-lua"
)

// Library is a loaded function library (FUNCTION LOAD).
type Library struct {
	Name string
	// Code is the whole library source, shebang line included (what
	// FUNCTION LIST WITHCODE and FUNCTION DUMP return).
	Code      string
	Functions map[string]*Function // by name as registered
}

// Function is one registered function.
type Function struct {
	Name        string
	Description *string
	Flags       Flags
	Library     *Library
	fn          *lua.LFunction
}

// SortedFunctions returns the library's functions ordered by name.
func (l *Library) SortedFunctions() []*Function {
	out := make([]*Function, 0, len(l.Functions))
	for _, f := range l.Functions {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// libCtx is a set of libraries and their functions (Redis's
// functionsLibCtx): the live one, or a scratch one RESTORE builds.
type libCtx struct {
	libs  map[string]*Library
	funcs map[string]*Function // lowercased name: FCALL is case-insensitive
}

func newLibCtx() *libCtx {
	return &libCtx{libs: map[string]*Library{}, funcs: map[string]*Function{}}
}

func (c *libCtx) link(l *Library) {
	c.libs[l.Name] = l
	for _, f := range l.Functions {
		c.funcs[strings.ToLower(f.Name)] = f
	}
}

func (c *libCtx) unlink(l *Library) {
	delete(c.libs, l.Name)
	for _, f := range l.Functions {
		delete(c.funcs, strings.ToLower(f.Name))
	}
}

func (e *Engine) live() *libCtx { return &libCtx{libs: e.libs, funcs: e.funcs} }

// Libraries returns the loaded libraries ordered by name.
func (e *Engine) Libraries() []*Library {
	out := make([]*Library, 0, len(e.libs))
	for _, l := range e.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FunctionCount returns the number of registered functions.
func (e *Engine) FunctionCount() int { return len(e.funcs) }

// Function returns a registered function by name (case-insensitively).
func (e *Engine) Function(name string) *Function {
	if f, ok := e.funcs[name]; ok {
		return f
	}
	return e.funcs[strings.ToLower(name)]
}

// validName is functionsVerifyName: [a-zA-Z0-9_]+.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

type libMeta struct {
	engine, name, code string
}

// libMetadata parses the "#!lua name=<lib>" line (functionExtractLibMetaData).
func libMetadata(payload string) (libMeta, string) {
	if !strings.HasPrefix(payload, "#!") {
		return libMeta{}, "Missing library metadata"
	}
	end := strings.IndexByte(payload, '\n')
	if end < 0 {
		return libMeta{}, "Invalid library metadata"
	}
	parts, err := config.SplitArgs(payload[:end])
	if err != nil || len(parts) == 0 {
		return libMeta{}, "Invalid library metadata"
	}
	md := libMeta{engine: parts[0][2:], code: payload[end:]}
	nameSet := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if nameSet {
				return libMeta{}, "Invalid metadata value, name argument was given multiple times"
			}
			md.name, nameSet = p[5:], true
			continue
		}
		return libMeta{}, "Invalid metadata value given: " + p
	}
	if !nameSet {
		return libMeta{}, "Library name was not given"
	}
	return md, ""
}

// loadTimeout bounds a library's top-level code (FUNCTION LOAD timeout).
const loadTimeout = 500 * time.Millisecond

// createLibrary compiles code into ctx (functionsCreateWithLibraryCtx) and
// returns the library name, or the error text (without the ERR code).
func (e *Engine) createLibrary(code string, replace bool, ctx *libCtx) (string, string) {
	md, errMsg := libMetadata(code)
	if errMsg != "" {
		return "", errMsg
	}
	if !validName(md.name) {
		return "", "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	if !strings.EqualFold(md.engine, "lua") {
		return "", "Engine '" + md.engine + "' not found"
	}
	old := ctx.libs[md.name]
	if old != nil && !replace {
		return "", "Library '" + md.name + "' already exists"
	}
	if old != nil {
		ctx.unlink(old)
	}
	fail := func(msg string) (string, string) {
		if old != nil {
			ctx.link(old)
		}
		return "", msg
	}
	lib := &Library{Name: md.name, Code: code, Functions: map[string]*Function{}}
	if msg := e.runLibrary(lib, md.code); msg != "" {
		return fail(msg)
	}
	if len(lib.Functions) == 0 {
		return fail("No functions registered")
	}
	for _, f := range lib.SortedFunctions() {
		if _, dup := ctx.funcs[strings.ToLower(f.Name)]; dup {
			return fail("Function " + f.Name + " already exists")
		}
	}
	ctx.link(lib)
	return lib.Name, ""
}

var errLoadTimeout = errors.New("FUNCTION LOAD timeout")

// runLibrary runs a library's top-level code with the load API as its
// globals, collecting its register_function calls into lib.
func (e *Engine) runLibrary(lib *Library, src string) string {
	v := e.fvm
	L := v.L
	fn, err := L.Load(strings.NewReader(src), "user_function")
	if err != nil {
		return "Error compiling function: " + compileErrorText(err, "user_function", src)
	}
	mainChunk(fn)
	fn.Env = v.env
	ctx, cancel := context.WithTimeoutCause(context.Background(), loadTimeout, errLoadTimeout)
	defer cancel()
	L.SetContext(ctx)
	v.envMT.RawSetString("__index", v.loadAPI)
	v.loading = lib
	defer func() {
		v.envMT.RawSetString("__index", v.api)
		v.loading = nil
		L.SetTop(0)
	}()
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		if context.Cause(ctx) == errLoadTimeout {
			return "Error registering functions: ERR FUNCTION LOAD timeout"
		}
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		msg := ""
		if t, ok := obj.(*lua.LTable); ok {
			msg, _ = luaToString(t.RawGetString("err"))
		} else if s, ok := luaToString(obj); ok {
			msg = "ERR " + s
		}
		return "Error registering functions: " + msg
	}
	return ""
}

// registerFunction is redis.register_function, positional (name, callback)
// or named ({function_name=, callback=, flags=, description=}).
func (v *vm) registerFunction(L *lua.LState) int {
	lib := v.loading
	if lib == nil {
		v.raise("redis.register_function can only be called on FUNCTION LOAD command")
	}
	var (
		name  string
		desc  *string
		fn    *lua.LFunction
		flags Flags
	)
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			v.raise("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		nameSet := false
		for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
			key, ok := luaToString(k)
			if !ok {
				v.raise("named argument key given to redis.register_function is not a string")
			}
			switch strings.ToLower(key) {
			case "function_name":
				s, ok := luaToString(val)
				if !ok {
					v.raise("function_name argument given to redis.register_function must be a string")
				}
				name, nameSet = s, true
			case "description":
				s, ok := luaToString(val)
				if !ok {
					v.raise("description argument given to redis.register_function must be a string")
				}
				desc = &s
			case "callback":
				f, ok := val.(*lua.LFunction)
				if !ok {
					v.raise("callback argument given to redis.register_function must be a function")
				}
				fn = f
			case "flags":
				ft, ok := val.(*lua.LTable)
				if !ok {
					v.raise("flags argument to redis.register_function must be a table representing function flags")
				}
				f, ok := readFlags(ft)
				if !ok {
					v.raise("unknown flag given")
				}
				flags = f
			default:
				v.raise("unknown argument given to redis.register_function")
			}
		}
		if !nameSet {
			v.raise("redis.register_function must get a function name argument")
		}
		if fn == nil {
			v.raise("redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := luaToString(L.Get(1))
		if !ok {
			v.raise("first argument to redis.register_function must be a string")
		}
		f, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			v.raise("second argument to redis.register_function must be a function")
		}
		name, fn = s, f
	default:
		v.raise("wrong number of arguments to redis.register_function")
	}
	if !validName(name) {
		// Redis 7.0 reports a bad function name with the library text.
		v.raise("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if _, dup := lib.Functions[name]; dup {
		v.raise("Function already exists in the library")
	}
	lib.Functions[name] = &Function{Name: name, Description: desc, Flags: flags, Library: lib, fn: fn}
	return 0
}

// readFlags reads a flags table {"no-writes", ...} (case-insensitive).
func readFlags(t *lua.LTable) (Flags, bool) {
	var flags Flags
	for i := 1; ; i++ {
		val := t.RawGetInt(i)
		if val == lua.LNil {
			return flags, true
		}
		s, ok := luaToString(val)
		if !ok {
			return 0, false
		}
		found := false
		for _, fn := range flagNames {
			if strings.EqualFold(s, fn.name) {
				flags |= fn.f
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
}

// LoadLibrary is FUNCTION LOAD: it returns the library name, or the error
// to reply.
func (e *Engine) LoadLibrary(code string, replace bool) (string, string) {
	name, msg := e.createLibrary(code, replace, e.live())
	if msg != "" {
		return "", "ERR " + msg
	}
	return name, ""
}

// DeleteLibrary is FUNCTION DELETE.
func (e *Engine) DeleteLibrary(name string) string {
	l := e.libs[name]
	if l == nil {
		return "ERR Library not found"
	}
	e.live().unlink(l)
	return ""
}

// FlushFunctions is FUNCTION FLUSH.
func (e *Engine) FlushFunctions() {
	e.libs = map[string]*Library{}
	e.funcs = map[string]*Function{}
}

// Snapshot and Restore let a caller undo a change whose persistence failed.
type Snapshot struct {
	libs  map[string]*Library
	funcs map[string]*Function
}

// Snapshot captures the loaded libraries.
func (e *Engine) Snapshot() Snapshot {
	s := Snapshot{libs: make(map[string]*Library, len(e.libs)), funcs: make(map[string]*Function, len(e.funcs))}
	for k, v := range e.libs {
		s.libs[k] = v
	}
	for k, v := range e.funcs {
		s.funcs[k] = v
	}
	return s
}

// Rollback puts back the libraries of a snapshot.
func (e *Engine) Rollback(s Snapshot) {
	e.libs, e.funcs = s.libs, s.funcs
}

// RunFunction runs a function with its keys and args and writes the reply
// to r.
func (e *Engine) RunFunction(run *Run, f *Function, keys, args [][]byte, r *server.Reply) {
	run.Eval = false
	run.Name = f.Name
	e.execute(e.fvm, run, f.fn, keys, args, r)
}
