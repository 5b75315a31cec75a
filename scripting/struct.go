package scripting

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library is Roberto Ierusalimschy's struct 0.2 as Redis 7.0
// ships it (struct.pack, struct.unpack, struct.size), on an LP64 platform:
// long and size_t are 8 bytes, int 4, short 2; little-endian by default.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

type structHeader struct {
	little bool
	align  int
}

type structFmt struct {
	L   *lua.LState
	fmt string
	pos int
}

func (f *structFmt) more() bool { return f.pos < len(f.fmt) }

func (f *structFmt) next() byte {
	c := f.fmt[f.pos]
	f.pos++
	return c
}

// getnum reads an optional decimal size after an option.
func (f *structFmt) getnum(df int) int {
	if !f.more() || f.fmt[f.pos] < '0' || f.fmt[f.pos] > '9' {
		return df
	}
	a := 0
	for f.more() && f.fmt[f.pos] >= '0' && f.fmt[f.pos] <= '9' {
		d := int(f.fmt[f.pos] - '0')
		if a > (math.MaxInt32/10) || a*10 > math.MaxInt32-d {
			f.L.RaiseError("integral size overflow")
		}
		a = a*10 + d
		f.pos++
	}
	return a
}

func (f *structFmt) optsize(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'x':
		return 1
	case 'c':
		return f.getnum(1)
	case 'i', 'I':
		sz := f.getnum(4)
		if sz > structMaxIntSize {
			f.L.RaiseError("integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func structToAlign(n int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func (f *structFmt) control(opt byte, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.little = false
	case '<':
		h.little = true
	case '!':
		a := f.getnum(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			f.L.RaiseError("alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		f.L.ArgError(1, "invalid format option '"+string(opt)+"'")
	}
}

func structPutInt(b []byte, n float64, little bool, size int) []byte {
	var v uint64
	if n < 0 {
		v = uint64(int64(n))
	} else {
		v = uint64(n)
	}
	var buf [structMaxIntSize]byte
	if little {
		for i := 0; i < size; i++ {
			buf[i] = byte(v)
			v >>= 8
		}
	} else {
		for i := size - 1; i >= 0; i-- {
			buf[i] = byte(v)
			v >>= 8
		}
	}
	return append(b, buf[:size]...)
}

func structPack(L *lua.LState) int {
	f := &structFmt{L: L, fmt: L.CheckString(1)}
	h := structHeader{little: true, align: 1}
	arg := 2
	var b []byte
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		pad := structToAlign(len(b), &h, opt, size)
		for ; pad > 0; pad-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			b = structPutInt(b, float64(L.CheckNumber(arg)), h.little, size)
			arg++
		case 'x':
			b = append(b, 0)
		case 'f':
			bits := math.Float32bits(float32(L.CheckNumber(arg)))
			arg++
			if h.little {
				b = binary.LittleEndian.AppendUint32(b, bits)
			} else {
				b = binary.BigEndian.AppendUint32(b, bits)
			}
		case 'd':
			bits := math.Float64bits(float64(L.CheckNumber(arg)))
			arg++
			if h.little {
				b = binary.LittleEndian.AppendUint64(b, bits)
			} else {
				b = binary.BigEndian.AppendUint64(b, bits)
			}
		case 'c', 's':
			s := L.CheckString(arg)
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				L.ArgError(arg, "string too short")
			}
			b = append(b, s[:size]...)
			if opt == 's' {
				b = append(b, 0)
			}
		default:
			f.control(opt, &h)
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func structGetInt(b string, little, signed bool, size int) float64 {
	var l uint64
	if little {
		for i := size - 1; i >= 0; i-- {
			l = l<<8 | uint64(b[i])
		}
	} else {
		for i := 0; i < size; i++ {
			l = l<<8 | uint64(b[i])
		}
	}
	if !signed {
		return float64(l)
	}
	if size*8-1 < 64 {
		mask := ^uint64(0) << (size*8 - 1)
		if l&mask != 0 {
			l |= mask
		}
	}
	return float64(int64(l))
}

func structUnpack(L *lua.LState) int {
	f := &structFmt{L: L, fmt: L.CheckString(1)}
	data := L.CheckString(2)
	pos := L.OptInt(3, 1)
	if pos <= 0 {
		L.ArgError(3, "offset must be 1 or greater")
	}
	pos--
	h := structHeader{little: true, align: 1}
	var out []lua.LValue
	ld := len(data)
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		pos += structToAlign(pos, &h, opt, size)
		if !(size <= ld && pos <= ld-size) {
			L.ArgError(2, "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a' && opt <= 'z'
			out = append(out, lua.LNumber(structGetInt(data[pos:pos+size], h.little, signed, size)))
		case 'x':
		case 'f':
			var bits uint32
			if h.little {
				bits = binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			} else {
				bits = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			}
			out = append(out, lua.LNumber(math.Float32frombits(bits)))
		case 'd':
			var bits uint64
			if h.little {
				bits = binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			} else {
				bits = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			}
			out = append(out, lua.LNumber(math.Float64frombits(bits)))
		case 'c':
			if size == 0 {
				var prev lua.LNumber
				ok := false
				if len(out) > 0 {
					prev, ok = toNumber(out[len(out)-1])
				}
				if !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				out = out[:len(out)-1]
				size = int(prev)
				if !(size >= 0 && size <= ld && pos <= ld-size) {
					L.ArgError(2, "data string too short")
				}
			}
			out = append(out, lua.LString(data[pos:pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = e + 1
			out = append(out, lua.LString(data[pos:pos+e]))
		default:
			f.control(opt, &h)
		}
		pos += size
	}
	for _, v := range out {
		L.Push(v)
	}
	L.Push(lua.LNumber(pos + 1))
	return len(out) + 1
}

func structSize(L *lua.LState) int {
	f := &structFmt{L: L, fmt: L.CheckString(1)}
	h := structHeader{little: true, align: 1}
	pos := 0
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		pos += structToAlign(pos, &h, opt, size)
		if opt == 's' {
			L.ArgError(1, "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			L.ArgError(1, "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(opt, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// toNumber converts a number or numeric string as lua_tonumber does.
func toNumber(v lua.LValue) (lua.LNumber, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return x, true
	case lua.LString:
		if n, err := parseLuaNumber(string(x)); err == nil {
			return lua.LNumber(n), true
		}
	}
	return 0, false
}

func openStruct(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}
