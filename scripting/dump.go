package scripting

import (
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// FUNCTION DUMP / RESTORE payloads are Redis 7.0's: for each library the
// RDB function opcode (RDB_OPCODE_FUNCTION2, 245) followed by the library
// code as an RDB string, then the RDB version (10, two bytes little-endian)
// and the CRC64 (Jones polynomial, reflected, as Redis's crc64) of
// everything before it, eight bytes little-endian. Payloads from Redis
// (LZF-compressed strings, the 7.0-rc opcode 246) restore here, and ours
// restore in Redis.

const (
	rdbOpcodeFunction  = 246 // 7.0 release candidates: name, engine, description, code
	rdbOpcodeFunction2 = 245
	rdbVersion         = 10
)

var crc64Table = func() [256]uint64 {
	// Reflected form of Redis's polynomial 0xad93d23594c935a9.
	const poly = 0x95ac9329ac4bc9b5
	var t [256]uint64
	for i := range t {
		crc := uint64(i)
		for j := 0; j < 8; j++ {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// CRC64 is Redis's crc64 (crc64(0, "123456789") == 0xe9c6d914c4b8d9ca).
func CRC64(crc uint64, b []byte) uint64 {
	for _, c := range b {
		crc = crc64Table[byte(crc)^c] ^ crc>>8
	}
	return crc
}

// appendRDBLen appends an RDB length.
func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// Dump is FUNCTION DUMP; compress is rdbcompression.
func (e *Engine) Dump(compress bool) []byte {
	var b []byte
	for _, l := range e.Libraries() {
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBString(b, l.Code, compress)
	}
	b = append(b, rdbVersion&0xff, rdbVersion>>8)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

var errRDB = errors.New("short read")

type rdbReader struct {
	b   []byte
	pos int
}

func (r *rdbReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errRDB
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *rdbReader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.pos) {
		return nil, errRDB
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s, nil
}

// length reads an RDB length; encoded reports the special string encodings
// (integers, LZF), whose kind is then returned as the length.
func (r *rdbReader) length() (n uint64, encoded bool, err error) {
	c, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		c2, err := r.byte()
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3f)<<8 | uint64(c2), false, nil
	case 2:
		switch c {
		case 0x80:
			b, err := r.take(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(b)), false, nil
		case 0x81:
			b, err := r.take(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(b), false, nil
		}
		return 0, false, errors.New("unknown length encoding")
	}
	return uint64(c & 0x3f), true, nil
}

// str reads an RDB string (plain, integer-encoded or LZF-compressed).
func (r *rdbReader) str() ([]byte, error) {
	n, encoded, err := r.length()
	if err != nil {
		return nil, err
	}
	if !encoded {
		return r.take(n)
	}
	switch n {
	case 0, 1, 2:
		size := 1 << n
		b, err := r.take(uint64(size))
		if err != nil {
			return nil, err
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(b[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return strconv.AppendInt(nil, v, 10), nil
	case 3:
		clen, _, err := r.length()
		if err != nil {
			return nil, err
		}
		ulen, _, err := r.length()
		if err != nil {
			return nil, err
		}
		comp, err := r.take(clen)
		if err != nil {
			return nil, err
		}
		if ulen > 512<<20 {
			return nil, errors.New("string too long")
		}
		return lzfDecompress(comp, int(ulen))
	}
	return nil, errors.New("unknown string encoding")
}

// lzfDecompress is liblzf's lzf_decompress.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	out := make([]byte, 0, outLen)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > outLen {
				return nil, errors.New("corrupt lzf data")
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		ref := len(out) - (ctrl&0x1f)<<8 - 1
		if n == 7 {
			if i >= len(in) {
				return nil, errors.New("corrupt lzf data")
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errors.New("corrupt lzf data")
		}
		ref -= int(in[i])
		i++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, errors.New("corrupt lzf data")
		}
		for k := 0; k < n; k++ {
			out = append(out, out[ref+k])
		}
	}
	if len(out) != outLen {
		return nil, errors.New("corrupt lzf data")
	}
	return out, nil
}

// VerifyPayload checks a DUMP payload's footer (verifyDumpPayload): at
// least ten bytes, an RDB version Redis 7.0 reads, a matching CRC64.
func VerifyPayload(p []byte) bool {
	if len(p) < 10 {
		return false
	}
	footer := p[len(p)-10:]
	if ver := uint16(footer[0]) | uint16(footer[1])<<8; ver > rdbVersion {
		return false
	}
	return binary.LittleEndian.Uint64(footer[2:]) == CRC64(0, p[:len(p)-8])
}

// Restore policies of FUNCTION RESTORE.
const (
	RestoreAppend = iota
	RestoreReplace
	RestoreFlush
)

// Restore is FUNCTION RESTORE: it loads every library of payload and merges
// them by policy, all or nothing. It returns the error to reply, or "".
func (e *Engine) Restore(payload []byte, policy int) string {
	if !VerifyPayload(payload) {
		return "ERR DUMP payload version or checksum are wrong"
	}
	tmp := newLibCtx()
	r := &rdbReader{b: payload[:len(payload)-10]}
	for r.pos < len(r.b) {
		typ, err := r.byte()
		if err != nil {
			return "ERR can not read data type"
		}
		if typ != rdbOpcodeFunction && typ != rdbOpcodeFunction2 {
			return "ERR given type is not a function"
		}
		var code string
		if typ == rdbOpcodeFunction {
			name, err := r.str()
			if err != nil {
				return "ERR Failed loading library name"
			}
			engine, err := r.str()
			if err != nil {
				return "ERR Failed loading engine name"
			}
			hasDesc, _, err := r.length()
			if err != nil {
				return "ERR Failed loading library description indicator"
			}
			if hasDesc != 0 {
				if _, err := r.str(); err != nil {
					return "ERR Failed loading library description"
				}
			}
			blob, err := r.str()
			if err != nil {
				return "ERR Failed loading library blob"
			}
			code = "#!" + string(engine) + " name=" + string(name) + "\n" + string(blob)
		} else {
			b, err := r.str()
			if err != nil {
				return "ERR Failed loading library payload"
			}
			code = string(b)
		}
		if _, msg := e.createLibrary(code, false, tmp); msg != "" {
			return "ERR " + msg
		}
	}
	if policy == RestoreFlush {
		e.libs, e.funcs = tmp.libs, tmp.funcs
		return ""
	}
	return e.join(tmp, policy == RestoreReplace)
}

// join merges src into the live libraries (libraryJoin): on a library name
// collision it fails unless replace; a function name collision fails.
func (e *Engine) join(src *libCtx, replace bool) string {
	live := e.live()
	var replaced []*Library
	undo := func() {
		for _, l := range replaced {
			live.link(l)
		}
	}
	for _, name := range sortedLibNames(src) {
		old := live.libs[name]
		if old == nil {
			continue
		}
		if !replace {
			undo()
			return "ERR Library " + name + " already exists"
		}
		live.unlink(old)
		replaced = append(replaced, old)
	}
	for _, name := range sortedLibNames(src) {
		for _, f := range src.libs[name].SortedFunctions() {
			if _, dup := live.funcs[strings.ToLower(f.Name)]; dup {
				undo()
				return "ERR Function " + f.Name + " already exists"
			}
		}
	}
	for _, l := range src.libs {
		live.link(l)
	}
	return ""
}

func sortedLibNames(c *libCtx) []string {
	out := make([]string, 0, len(c.libs))
	for n := range c.libs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
