package scripting

import (
	"math"
	"strings"

	"github.com/shaledb/shale/server"
	lua "github.com/yuin/gopher-lua"
)

// maxReplyDepth bounds how deep a returned table may nest (a table that
// contains itself would otherwise recurse forever); deeper levels become
// the error Redis gives when the Lua stack runs out (after the same 7995
// nested arrays as redis-server 7.0.15).
const maxReplyDepth = 7994

// luaInt is C's (long long) cast of a double as x86 performs it: truncation
// toward zero, and INT64_MIN for NaN and out-of-range values.
func luaInt(f float64) int64 {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

// writeReply converts a script's return value into the client's reply
// (luaReplyToRedisReply): strings -> bulk, numbers -> integers (truncated),
// true -> 1 (#t under RESP3 scripts), false -> nil (#f), tables with err /
// ok / double / big_number / verbatim_string / map / set fields -> those
// replies, other tables -> arrays up to the first nil, anything else -> nil.
func (v *vm) writeReply(r *server.Reply, val lua.LValue, resp, depth int) {
	if depth > maxReplyDepth {
		r.Error("ERR reached lua stack limit")
		return
	}
	switch x := val.(type) {
	case lua.LString:
		r.BulkString(string(x))
	case lua.LBool:
		if resp == 2 {
			if x {
				r.Int(1)
			} else {
				r.Null()
			}
			return
		}
		r.Bool(bool(x))
	case lua.LNumber:
		r.Int(luaInt(float64(x)))
	case *lua.LTable:
		v.writeTable(r, x, resp, depth)
	default:
		r.Null()
	}
}

func (v *vm) field(t *lua.LTable, name string) lua.LValue {
	if t.Metatable == lua.LNil {
		return t.RawGetString(name)
	}
	return v.L.GetField(t, name)
}

func (v *vm) writeTable(r *server.Reply, t *lua.LTable, resp, depth int) {
	if e, ok := v.field(t, "err").(lua.LString); ok {
		r.Error(string(e))
		return
	}
	if s, ok := v.field(t, "ok").(lua.LString); ok {
		r.Status(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		return
	}
	if d, ok := v.field(t, "double").(lua.LNumber); ok {
		r.Double(float64(d))
		return
	}
	if s, ok := v.field(t, "big_number").(lua.LString); ok {
		n := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s))
		if r.Proto == 3 {
			r.Buf = append(r.Buf, '(')
			r.Buf = append(r.Buf, n...)
			r.Buf = append(r.Buf, '\r', '\n')
		} else {
			r.BulkString(n)
		}
		return
	}
	if vs, ok := v.field(t, "verbatim_string").(*lua.LTable); ok {
		format, okf := v.field(vs, "format").(lua.LString)
		str, oks := v.field(vs, "string").(lua.LString)
		if okf && oks {
			f := []byte("   ")
			copy(f, format)
			r.Verbatim(string(str), string(f))
			return
		}
	}
	if m, ok := v.field(t, "map").(*lua.LTable); ok {
		n := 0
		for k, _ := m.Next(lua.LNil); k != lua.LNil; k, _ = m.Next(k) {
			n++
		}
		r.Map(n)
		for k, val := m.Next(lua.LNil); k != lua.LNil; k, val = m.Next(k) {
			v.writeReply(r, k, resp, depth+1)
			v.writeReply(r, val, resp, depth+1)
		}
		return
	}
	if s, ok := v.field(t, "set").(*lua.LTable); ok {
		n := 0
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			n++
		}
		r.Set(n)
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			v.writeReply(r, k, resp, depth+1)
		}
		return
	}
	// An array: elements 1..n up to the first nil (read as lua_gettable
	// does, so __index metamethods apply).
	var elems []lua.LValue
	for j := 1; ; j++ {
		var e lua.LValue
		if t.Metatable == lua.LNil {
			e = t.RawGetInt(j)
		} else {
			e = v.L.GetTable(t, lua.LNumber(j))
		}
		if e == lua.LNil {
			break
		}
		elems = append(elems, e)
	}
	r.Array(len(elems))
	for _, e := range elems {
		v.writeReply(r, e, resp, depth+1)
	}
}
