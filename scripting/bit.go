package scripting

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The bit library is LuaBitOp 1.0.2 as Redis ships it: 32-bit operations on
// Lua numbers, results as signed 32-bit numbers.

// bitArg converts argument n to 32 bits the way LuaBitOp does: adding
// 2^52+2^51 to the double leaves the rounded integer in the low bits of the
// mantissa, so out-of-range numbers wrap exactly as in Redis.
func bitArg(L *lua.LState, n int) uint32 {
	f := float64(L.CheckNumber(n))
	return uint32(math.Float64bits(f + 6755399441055744.0))
}

func bitRet(L *lua.LState, b uint32) int {
	L.Push(lua.LNumber(int32(b)))
	return 1
}

func openBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"tobit": func(L *lua.LState) int { return bitRet(L, bitArg(L, 1)) },
		"bnot":  func(L *lua.LState) int { return bitRet(L, ^bitArg(L, 1)) },
		"band": func(L *lua.LState) int {
			b := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				b &= bitArg(L, i)
			}
			return bitRet(L, b)
		},
		"bor": func(L *lua.LState) int {
			b := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				b |= bitArg(L, i)
			}
			return bitRet(L, b)
		},
		"bxor": func(L *lua.LState) int {
			b := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				b ^= bitArg(L, i)
			}
			return bitRet(L, b)
		},
		"lshift": func(L *lua.LState) int {
			b, n := bitArg(L, 1), bitArg(L, 2)&31
			return bitRet(L, b<<n)
		},
		"rshift": func(L *lua.LState) int {
			b, n := bitArg(L, 1), bitArg(L, 2)&31
			return bitRet(L, b>>n)
		},
		"arshift": func(L *lua.LState) int {
			b, n := bitArg(L, 1), bitArg(L, 2)&31
			return bitRet(L, uint32(int32(b)>>n))
		},
		"rol": func(L *lua.LState) int {
			b, n := bitArg(L, 1), bitArg(L, 2)&31
			return bitRet(L, b<<n|b>>((32-n)&31))
		},
		"ror": func(L *lua.LState) int {
			b, n := bitArg(L, 1), bitArg(L, 2)&31
			return bitRet(L, b>>n|b<<((32-n)&31))
		},
		"bswap": func(L *lua.LState) int {
			b := bitArg(L, 1)
			return bitRet(L, b>>24|(b>>8)&0xff00|(b&0xff00)<<8|b<<24)
		},
		"tohex": func(L *lua.LState) int {
			b := bitArg(L, 1)
			n := int32(8)
			if L.Get(2) != lua.LNil {
				n = int32(bitArg(L, 2))
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = digits[b&15]
				b >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}
