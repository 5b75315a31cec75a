package scripting

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library is lua-cjson 2.1.0 as Redis 7.0 ships it: numbers
// encode with %.14g, empty tables as {}, arrays only for tables whose keys
// are exactly 1..n (sparse arrays within a ratio become arrays with null),
// "/" escaped as "\/", and the same error texts.

type cjsonConfig struct {
	sparseConvert   bool
	sparseRatio     int
	sparseSafe      int
	encodeMaxDepth  int
	decodeMaxDepth  int
	encodeInvalid   int // 0 off, 1 on, 2 null
	decodeInvalid   bool
	encodePrecision int
	keepBuffer      bool
}

func defaultCjsonConfig() *cjsonConfig {
	return &cjsonConfig{
		sparseRatio: 2, sparseSafe: 10, encodeMaxDepth: 1000, decodeMaxDepth: 1000,
		decodeInvalid: true, encodePrecision: 14, keepBuffer: true,
	}
}

// openCjson builds the cjson table. null is cjson.null: Lua's NULL light
// userdata in Redis; gopher-lua has no light userdata, so it is one shared
// userdata value compared by identity.
func openCjson(L *lua.LState, null *lua.LUserData) *lua.LTable {
	cfg := defaultCjsonConfig()
	t := L.NewTable()
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		e := &cjsonEncoder{L: L, cfg: cfg, null: null}
		e.value(L.Get(1), 0)
		L.Push(lua.LString(e.buf))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		s := L.CheckString(1)
		if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
			L.RaiseError("JSON parser does not support UTF-16 or UTF-32")
		}
		// The C parser stops at the first NUL byte.
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		d := &cjsonDecoder{L: L, cfg: cfg, data: s, null: null}
		tok := d.nextToken()
		v := d.value(tok)
		tok = d.nextToken()
		if tok.typ != tEnd {
			d.throw("the end", tok)
		}
		L.Push(v)
		return 1
	}))
	intOpt := func(name string, setting *int, min, max int) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if L.GetTop() > 1 {
				L.ArgError(2, "found too many arguments")
			}
			if L.Get(1) != lua.LNil {
				v := L.CheckInt(1)
				if v < min || v > max {
					L.ArgError(1, "expected integer between "+strconv.Itoa(min)+" and "+strconv.Itoa(max))
				}
				*setting = v
			}
			L.Push(lua.LNumber(*setting))
			return 1
		}))
	}
	intOpt("encode_max_depth", &cfg.encodeMaxDepth, 1, math.MaxInt32)
	intOpt("decode_max_depth", &cfg.decodeMaxDepth, 1, math.MaxInt32)
	intOpt("encode_number_precision", &cfg.encodePrecision, 1, 14)
	boolOpt := func(L *lua.LState, idx int, setting *bool) lua.LValue {
		v := L.Get(idx)
		switch x := v.(type) {
		case lua.LBool:
			*setting = bool(x)
		case *lua.LNilType:
		default:
			switch L.CheckString(idx) {
			case "off":
				*setting = false
			case "on":
				*setting = true
			default:
				L.ArgError(idx, "invalid option '"+L.CheckString(idx)+"'")
			}
		}
		return lua.LBool(*setting)
	}
	t.RawSetString("encode_keep_buffer", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() > 1 {
			L.ArgError(2, "found too many arguments")
		}
		L.Push(boolOpt(L, 1, &cfg.keepBuffer))
		return 1
	}))
	t.RawSetString("decode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() > 1 {
			L.ArgError(2, "found too many arguments")
		}
		L.Push(boolOpt(L, 1, &cfg.decodeInvalid))
		return 1
	}))
	t.RawSetString("encode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() > 1 {
			L.ArgError(2, "found too many arguments")
		}
		switch x := L.Get(1).(type) {
		case lua.LBool:
			if x {
				cfg.encodeInvalid = 1
			} else {
				cfg.encodeInvalid = 0
			}
		case *lua.LNilType:
		default:
			switch L.CheckString(1) {
			case "off":
				cfg.encodeInvalid = 0
			case "on":
				cfg.encodeInvalid = 1
			case "null":
				cfg.encodeInvalid = 2
			default:
				L.ArgError(1, "invalid option '"+L.CheckString(1)+"'")
			}
		}
		switch cfg.encodeInvalid {
		case 0:
			L.Push(lua.LFalse)
		case 1:
			L.Push(lua.LTrue)
		default:
			L.Push(lua.LString("null"))
		}
		return 1
	}))
	t.RawSetString("encode_sparse_array", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() > 3 {
			L.ArgError(4, "found too many arguments")
		}
		L.Push(boolOpt(L, 1, &cfg.sparseConvert))
		for i, p := range []*int{&cfg.sparseRatio, &cfg.sparseSafe} {
			idx := i + 2
			if L.Get(idx) != lua.LNil {
				v := L.CheckInt(idx)
				if v < 0 {
					L.ArgError(1, "expected integer between 0 and "+strconv.Itoa(math.MaxInt32))
				}
				*p = v
			}
			L.Push(lua.LNumber(*p))
		}
		return 3
	}))
	t.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(openCjson(L, null))
		return 1
	}))
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

type cjsonEncoder struct {
	L    *lua.LState
	cfg  *cjsonConfig
	null *lua.LUserData
	buf  []byte
}

func (e *cjsonEncoder) fail(v lua.LValue, reason string) {
	e.L.RaiseError("Cannot serialise %s: %s", luaTypeName(v), reason)
}

// luaTypeName is lua_typename for a value (userdata included).
func luaTypeName(v lua.LValue) string {
	switch v.(type) {
	case *lua.LUserData:
		return "userdata"
	case *lua.LState:
		return "thread"
	}
	return v.Type().String()
}

var jsonEscapes = func() [256]string {
	var t [256]string
	for i := 0; i < 0x20; i++ {
		t[i] = "\\u00" + string("0123456789abcdef"[i>>4]) + string("0123456789abcdef"[i&15])
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = "\\b", "\\t", "\\n", "\\f", "\\r"
	t['"'], t['\\'], t['/'] = "\\\"", "\\\\", "\\/"
	t[0x7f] = "\\u007f"
	return t
}()

func (e *cjsonEncoder) str(s string) {
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); i++ {
		if esc := jsonEscapes[s[i]]; esc != "" {
			e.buf = append(e.buf, esc...)
		} else {
			e.buf = append(e.buf, s[i])
		}
	}
	e.buf = append(e.buf, '"')
}

func (e *cjsonEncoder) number(v lua.LValue, f float64) {
	switch e.cfg.encodeInvalid {
	case 0:
		if math.IsInf(f, 0) || math.IsNaN(f) {
			e.fail(v, "must not be NaN or Inf")
		}
	case 1:
		if math.IsNaN(f) {
			e.buf = append(e.buf, "nan"...)
			return
		}
	default:
		if math.IsInf(f, 0) || math.IsNaN(f) {
			e.buf = append(e.buf, "null"...)
			return
		}
	}
	e.buf = appendG(e.buf, f, e.cfg.encodePrecision)
}

func (e *cjsonEncoder) value(v lua.LValue, depth int) {
	switch x := v.(type) {
	case lua.LString:
		e.str(string(x))
	case lua.LNumber:
		e.number(v, float64(x))
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case *lua.LTable:
		depth++
		if depth > e.cfg.encodeMaxDepth {
			e.L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		n := e.arrayLength(x)
		if n > 0 {
			e.buf = append(e.buf, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					e.buf = append(e.buf, ',')
				}
				e.value(x.RawGetInt(i), depth)
			}
			e.buf = append(e.buf, ']')
			return
		}
		e.buf = append(e.buf, '{')
		first := true
		for k, val := x.Next(lua.LNil); k != lua.LNil; k, val = x.Next(k) {
			if !first {
				e.buf = append(e.buf, ',')
			}
			first = false
			switch kk := k.(type) {
			case lua.LNumber:
				e.buf = append(e.buf, '"')
				e.number(k, float64(kk))
				e.buf = append(e.buf, '"', ':')
			case lua.LString:
				e.str(string(kk))
				e.buf = append(e.buf, ':')
			default:
				e.fail(k, "table key must be a number or string")
			}
			e.value(val, depth)
		}
		e.buf = append(e.buf, '}')
	default:
		if v == lua.LNil {
			e.buf = append(e.buf, "null"...)
			return
		}
		if ud, ok := v.(*lua.LUserData); ok && ud == e.null {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.fail(v, "type not supported")
	}
}

// arrayLength is lua_array_length: the highest index when every key is a
// positive integer, -1 for objects (and for arrays too sparse to encode).
func (e *cjsonEncoder) arrayLength(t *lua.LTable) int {
	max, items := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n == 0 {
			return -1
		}
		f := float64(n)
		if math.Floor(f) != f || f < 1 {
			return -1
		}
		if f > float64(max) {
			if f > math.MaxInt32 {
				max = math.MaxInt32
			} else {
				max = int(f)
			}
		}
		items++
	}
	if e.cfg.sparseRatio > 0 && max > items*e.cfg.sparseRatio && max > e.cfg.sparseSafe {
		if !e.cfg.sparseConvert {
			e.fail(t, "excessively sparse array")
		}
		return -1
	}
	return max
}

// --- decoding ---

type jsonTokenType int

const (
	tObjBegin jsonTokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var jsonTokenNames = []string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

type jsonToken struct {
	typ   jsonTokenType
	index int
	str   string
	num   float64
	b     bool
	err   string
}

type cjsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonConfig
	data  string
	pos   int
	depth int
	null  *lua.LUserData
}

func (d *cjsonDecoder) at(i int) byte {
	if i < len(d.data) {
		return d.data[i]
	}
	return 0
}

func (d *cjsonDecoder) throw(exp string, tok jsonToken) {
	found := tok.err
	if tok.typ != tError {
		found = jsonTokenNames[tok.typ]
	}
	d.L.RaiseError("Expected %s but found %s at character %d", exp, found, tok.index+1)
}

func (d *cjsonDecoder) tokErr(tok *jsonToken, msg string) {
	tok.typ = tError
	tok.index = d.pos
	tok.err = msg
}

func (d *cjsonDecoder) nextToken() jsonToken {
	var tok jsonToken
	for {
		c := d.at(d.pos)
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			d.pos++
			continue
		}
		break
	}
	tok.index = d.pos
	c := d.at(d.pos)
	switch c {
	case 0:
		tok.typ = tEnd
		return tok
	case '{':
		tok.typ = tObjBegin
	case '}':
		tok.typ = tObjEnd
	case '[':
		tok.typ = tArrBegin
	case ']':
		tok.typ = tArrEnd
	case ',':
		tok.typ = tComma
	case ':':
		tok.typ = tColon
	case '"':
		d.stringToken(&tok)
		return tok
	default:
		rest := d.data[d.pos:]
		switch {
		case c == '-' || c >= '0' && c <= '9':
			if !d.cfg.decodeInvalid && d.invalidNumber() {
				d.tokErr(&tok, "invalid number")
				return tok
			}
			d.numberToken(&tok)
		case strings.HasPrefix(rest, "true"):
			tok.typ, tok.b = tBoolean, true
			d.pos += 4
		case strings.HasPrefix(rest, "false"):
			tok.typ, tok.b = tBoolean, false
			d.pos += 5
		case strings.HasPrefix(rest, "null"):
			tok.typ = tNull
			d.pos += 4
		case (c == 'i' || c == 'I' || c == 'n' || c == 'N' || c == '+') && d.cfg.decodeInvalid && d.invalidNumber():
			d.numberToken(&tok)
		default:
			d.tokErr(&tok, "invalid token")
		}
		return tok
	}
	d.pos++
	return tok
}

// invalidNumber is json_is_invalid_number: numbers strtod accepts but
// strict JSON does not.
func (d *cjsonDecoder) invalidNumber() bool {
	p := d.pos
	if d.at(p) == '+' {
		return true
	}
	if d.at(p) == '-' {
		p++
	}
	if d.at(p) == '0' {
		c2 := d.at(p + 1)
		return c2|0x20 == 'x' || c2 >= '0' && c2 <= '9'
	} else if d.at(p) <= '9' {
		return false
	}
	rest := strings.ToLower(d.data[p:min(p+3, len(d.data))])
	return rest == "inf" || rest == "nan"
}

// numberToken parses what strtod would accept at the current position.
func (d *cjsonDecoder) numberToken(tok *jsonToken) {
	tok.typ = tNumber
	n, f := strtodPrefix(d.data[d.pos:])
	if n == 0 {
		d.tokErr(tok, "invalid number")
		return
	}
	tok.num = f
	d.pos += n
}

// strtodPrefix returns the length of the longest prefix of s strtod parses
// and its value.
func strtodPrefix(s string) (int, float64) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	neg := i > 0 && s[0] == '-'
	low := strings.ToLower(s[i:min(len(s), i+8)])
	switch {
	case strings.HasPrefix(low, "infinity"):
		return i + 8, math.Inf(sign(neg))
	case strings.HasPrefix(low, "inf"):
		return i + 3, math.Inf(sign(neg))
	case strings.HasPrefix(low, "nan"):
		return i + 3, math.NaN()
	}
	if len(s) > i+2 && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && isHex(s[i+2]) {
		j := i + 2
		for j < len(s) && isHex(s[j]) {
			j++
		}
		u, err := strconv.ParseUint(s[i+2:j], 16, 64)
		f := float64(u)
		if err != nil {
			f = math.Inf(1)
		}
		if neg {
			f = -f
		}
		return j, f
	}
	j := i
	digits := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(s[:j], 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, 0
		}
	}
	return j, f
}

func sign(neg bool) int {
	if neg {
		return -1
	}
	return 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hex4(s string) int {
	if len(s) < 4 {
		return -1
	}
	v := 0
	for i := 0; i < 4; i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			d = int(c|0x20-'a') + 10
		default:
			return -1
		}
		v = v<<4 | d
	}
	return v
}

func (d *cjsonDecoder) stringToken(tok *jsonToken) {
	d.pos++ // opening quote
	var b []byte
	for {
		c := d.at(d.pos)
		if c == '"' {
			break
		}
		if c == 0 {
			d.tokErr(tok, "unexpected end of string")
			return
		}
		if c == '\\' {
			esc := d.at(d.pos + 1)
			var ch byte
			switch esc {
			case '"', '\\', '/':
				ch = esc
			case 'b':
				ch = '\b'
			case 't':
				ch = '\t'
			case 'n':
				ch = '\n'
			case 'f':
				ch = '\f'
			case 'r':
				ch = '\r'
			case 'u':
				n, ok := d.unicodeEscape(&b)
				if !ok {
					d.tokErr(tok, "invalid unicode escape code")
					return
				}
				d.pos += n
				continue
			default:
				d.tokErr(tok, "invalid escape code")
				return
			}
			b = append(b, ch)
			d.pos += 2
			continue
		}
		b = append(b, c)
		d.pos++
	}
	d.pos++ // closing quote
	tok.typ = tString
	tok.str = string(b)
}

// unicodeEscape decodes \uXXXX (and a surrogate pair) into UTF-8.
func (d *cjsonDecoder) unicodeEscape(b *[]byte) (int, bool) {
	rest := d.data[d.pos:]
	cp := hex4(rest[2:])
	if cp < 0 {
		return 0, false
	}
	n := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return 0, false
		}
		if len(rest) < 12 || rest[6] != '\\' || rest[7] != 'u' {
			return 0, false
		}
		low := hex4(rest[8:])
		if low < 0 || low&0xFC00 != 0xDC00 {
			return 0, false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		n = 12
	}
	switch {
	case cp <= 0x7F:
		*b = append(*b, byte(cp))
	case cp <= 0x7FF:
		*b = append(*b, byte(cp>>6|0xC0), byte(cp&0x3F|0x80))
	case cp <= 0xFFFF:
		*b = append(*b, byte(cp>>12|0xE0), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	default:
		*b = append(*b, byte(cp>>18|0xF0), byte(cp>>12&0x3F|0x80), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	}
	return n, true
}

func (d *cjsonDecoder) descend() {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, d.pos)
	}
}

func (d *cjsonDecoder) value(tok jsonToken) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tNull:
		return d.null
	case tObjBegin:
		d.descend()
		t := d.L.NewTable()
		tok = d.nextToken()
		if tok.typ == tObjEnd {
			d.depth--
			return t
		}
		for {
			if tok.typ != tString {
				d.throw("object key string", tok)
			}
			key := tok.str
			tok = d.nextToken()
			if tok.typ != tColon {
				d.throw("colon", tok)
			}
			t.RawSetString(key, d.value(d.nextToken()))
			tok = d.nextToken()
			if tok.typ == tObjEnd {
				d.depth--
				return t
			}
			if tok.typ != tComma {
				d.throw("comma or object end", tok)
			}
			tok = d.nextToken()
		}
	case tArrBegin:
		d.descend()
		t := d.L.NewTable()
		tok = d.nextToken()
		if tok.typ == tArrEnd {
			d.depth--
			return t
		}
		for i := 1; ; i++ {
			t.RawSetInt(i, d.value(tok))
			tok = d.nextToken()
			if tok.typ == tArrEnd {
				d.depth--
				return t
			}
			if tok.typ != tComma {
				d.throw("comma or array end", tok)
			}
			tok = d.nextToken()
		}
	}
	d.throw("value", tok)
	return lua.LNil
}
