package scripting

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library is lua-cmsgpack 0.4.0 as Redis ships it: integral
// numbers pack as the smallest integer type, others as float when exact
// else double; tables whose keys are exactly 1..n pack as arrays, others as
// maps; nesting deeper than 16 packs as nil; unpack returns every value of
// a stream.

const cmsgpackMaxNesting = 16

func openCmsgpack(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(mpPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return mpUnpackFull(L, 0, 0) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		offset := L.OptInt64(2, 0)
		return mpUnpackFull(L, 1, offset)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		limit := L.CheckInt64(2)
		offset := L.OptInt64(3, 0)
		return mpUnpackFull(L, limit, offset)
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func mpPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(0, "MessagePack pack needs input.")
	}
	if 2*n > maxCStack {
		L.ArgError(0, "Too many arguments for MessagePack pack.")
	}
	var buf []byte
	for i := 1; i <= n; i++ {
		buf = mpEncode(buf, L.Get(i), 0)
	}
	L.Push(lua.LString(buf))
	return 1
}

func mpEncodeInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

func mpEncodeBytes(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func mpHeader(b []byte, n int, fix, h16, h32 byte) []byte {
	switch {
	case n <= 15:
		return append(b, fix|byte(n))
	case n <= 65535:
		return binary.BigEndian.AppendUint16(append(b, h16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, h32), uint32(n))
}

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return mpEncodeBytes(b, string(x))
	case lua.LBool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(x)
		if !math.IsInf(f, 0) && !math.IsNaN(f) && f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 && float64(int64(f)) == f {
			return mpEncodeInt(b, int64(f))
		}
		if f32 := float32(f); float64(f32) == f {
			return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(f32))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
	case *lua.LTable:
		if level == cmsgpackMaxNesting {
			return append(b, 0xc0)
		}
		if mpIsArray(x) {
			n := x.Len()
			b = mpHeader(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = mpEncode(b, x.RawGetInt(i), level+1)
			}
			return b
		}
		n := 0
		for k, _ := x.Next(lua.LNil); k != lua.LNil; k, _ = x.Next(k) {
			n++
		}
		b = mpHeader(b, n, 0x80, 0xde, 0xdf)
		for k, val := x.Next(lua.LNil); k != lua.LNil; k, val = x.Next(k) {
			b = mpEncode(b, k, level+1)
			b = mpEncode(b, val, level+1)
		}
		return b
	}
	return append(b, 0xc0)
}

// mpIsArray is table_is_an_array: every key a positive integer (fitting an
// int) and no holes.
func mpIsArray(t *lua.LTable) bool {
	count, max := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok {
			return false
		}
		f := float64(n)
		if f <= 0 || f > math.MaxInt32 || float64(int32(f)) != f {
			return false
		}
		if int(f) > max {
			max = int(f)
		}
		count++
	}
	return max == count
}

type mpCursor struct {
	s   string
	p   int
	err int // 1 EOF, 2 bad format
}

func (c *mpCursor) left() int { return len(c.s) - c.p }

func (c *mpCursor) need(n int) bool {
	if c.left() < n {
		c.err = 1
		return false
	}
	return true
}

func (c *mpCursor) u16(at int) int { return int(binary.BigEndian.Uint16([]byte(c.s[at : at+2]))) }
func (c *mpCursor) u32(at int) uint32 {
	return binary.BigEndian.Uint32([]byte(c.s[at : at+4]))
}
func (c *mpCursor) u64(at int) uint64 {
	return binary.BigEndian.Uint64([]byte(c.s[at : at+8]))
}

func mpDecode(L *lua.LState, c *mpCursor, depth int) lua.LValue {
	if !c.need(1) {
		return lua.LNil
	}
	if depth > 1000 {
		// Go recursion guard (Redis would run out of C stack first).
		c.err = 2
		return lua.LNil
	}
	b := c.s[c.p]
	switch b {
	case 0xcc:
		if !c.need(2) {
			return lua.LNil
		}
		v := lua.LNumber(c.s[c.p+1])
		c.p += 2
		return v
	case 0xd0:
		if !c.need(2) {
			return lua.LNil
		}
		v := lua.LNumber(int8(c.s[c.p+1]))
		c.p += 2
		return v
	case 0xcd:
		if !c.need(3) {
			return lua.LNil
		}
		v := lua.LNumber(c.u16(c.p + 1))
		c.p += 3
		return v
	case 0xd1:
		if !c.need(3) {
			return lua.LNil
		}
		v := lua.LNumber(int16(c.u16(c.p + 1)))
		c.p += 3
		return v
	case 0xce:
		if !c.need(5) {
			return lua.LNil
		}
		v := lua.LNumber(c.u32(c.p + 1))
		c.p += 5
		return v
	case 0xd2:
		if !c.need(5) {
			return lua.LNil
		}
		v := lua.LNumber(int32(c.u32(c.p + 1)))
		c.p += 5
		return v
	case 0xcf:
		if !c.need(9) {
			return lua.LNil
		}
		// lua_pushunsigned is lua_pushinteger on 64-bit: values above
		// 2^63 come back negative, as in Redis.
		v := lua.LNumber(int64(c.u64(c.p + 1)))
		c.p += 9
		return v
	case 0xd3:
		if !c.need(9) {
			return lua.LNil
		}
		v := lua.LNumber(int64(c.u64(c.p + 1)))
		c.p += 9
		return v
	case 0xc0:
		c.p++
		return lua.LNil
	case 0xc3:
		c.p++
		return lua.LTrue
	case 0xc2:
		c.p++
		return lua.LFalse
	case 0xca:
		if !c.need(5) {
			return lua.LNil
		}
		v := lua.LNumber(math.Float32frombits(c.u32(c.p + 1)))
		c.p += 5
		return v
	case 0xcb:
		if !c.need(9) {
			return lua.LNil
		}
		v := lua.LNumber(math.Float64frombits(c.u64(c.p + 1)))
		c.p += 9
		return v
	case 0xd9:
		if !c.need(2) {
			return lua.LNil
		}
		l := int(c.s[c.p+1])
		if !c.need(2 + l) {
			return lua.LNil
		}
		v := lua.LString(c.s[c.p+2 : c.p+2+l])
		c.p += 2 + l
		return v
	case 0xda:
		if !c.need(3) {
			return lua.LNil
		}
		l := c.u16(c.p + 1)
		if !c.need(3 + l) {
			return lua.LNil
		}
		v := lua.LString(c.s[c.p+3 : c.p+3+l])
		c.p += 3 + l
		return v
	case 0xdb:
		if !c.need(5) {
			return lua.LNil
		}
		l := int(c.u32(c.p + 1))
		c.p += 5
		if !c.need(l) {
			return lua.LNil
		}
		v := lua.LString(c.s[c.p : c.p+l])
		c.p += l
		return v
	case 0xdc, 0xde:
		if !c.need(3) {
			return lua.LNil
		}
		l := c.u16(c.p + 1)
		c.p += 3
		if b == 0xdc {
			return mpDecodeArray(L, c, l, depth)
		}
		return mpDecodeMap(L, c, l, depth)
	case 0xdd, 0xdf:
		if !c.need(5) {
			return lua.LNil
		}
		l := int(c.u32(c.p + 1))
		c.p += 5
		if b == 0xdd {
			return mpDecodeArray(L, c, l, depth)
		}
		return mpDecodeMap(L, c, l, depth)
	}
	switch {
	case b&0x80 == 0:
		c.p++
		return lua.LNumber(b)
	case b&0xe0 == 0xe0:
		c.p++
		return lua.LNumber(int8(b))
	case b&0xe0 == 0xa0:
		l := int(b & 0x1f)
		if !c.need(1 + l) {
			return lua.LNil
		}
		v := lua.LString(c.s[c.p+1 : c.p+1+l])
		c.p += 1 + l
		return v
	case b&0xf0 == 0x90:
		c.p++
		return mpDecodeArray(L, c, int(b&0xf), depth)
	case b&0xf0 == 0x80:
		c.p++
		return mpDecodeMap(L, c, int(b&0xf), depth)
	}
	c.err = 2
	return lua.LNil
}

func mpDecodeArray(L *lua.LState, c *mpCursor, n, depth int) lua.LValue {
	t := L.NewTable()
	for i := 1; i <= n; i++ {
		v := mpDecode(L, c, depth+1)
		if c.err != 0 {
			return t
		}
		t.RawSetInt(i, v)
	}
	return t
}

func mpDecodeMap(L *lua.LState, c *mpCursor, n, depth int) lua.LValue {
	t := L.NewTable()
	for i := 0; i < n; i++ {
		k := mpDecode(L, c, depth+1)
		if c.err != 0 {
			return t
		}
		v := mpDecode(L, c, depth+1)
		if c.err != 0 {
			return t
		}
		if k == lua.LNil {
			L.RaiseError("table index is nil")
		}
		if n, ok := k.(lua.LNumber); ok && math.IsNaN(float64(n)) {
			L.RaiseError("table index is NaN")
		}
		t.RawSet(k, v)
	}
	return t
}

func mpUnpackFull(L *lua.LState, limit, offset int64) int {
	s := L.CheckString(1)
	decodeAll := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", int(offset), len(s))
	} else if offset > int64(len(s)) {
		L.RaiseError("Start offset %d greater than input length %d.", int(offset), len(s))
	}
	if decodeAll {
		limit = math.MaxInt32
	}
	c := &mpCursor{s: s, p: int(offset)}
	var out []lua.LValue
	for cnt := int64(0); c.left() > 0 && cnt < limit; cnt++ {
		if len(out)+L.GetTop() >= maxCStack {
			L.RaiseError("stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)")
		}
		v := mpDecode(L, c, 0)
		switch c.err {
		case 1:
			L.RaiseError("Missing bytes in input.")
		case 2:
			L.RaiseError("Bad data format in input.")
		}
		out = append(out, v)
	}
	if !decodeAll {
		next := lua.LNumber(c.p)
		if c.left() == 0 {
			next = -1
		}
		L.Push(next)
	}
	for _, v := range out {
		L.Push(v)
	}
	if decodeAll {
		return len(out)
	}
	return len(out) + 1
}
