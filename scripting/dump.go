package scripting

import (
	"encoding/binary"
	"sort"
	"strings"

	"github.com/shaledb/shale/rdb"
)

// FUNCTION DUMP / RESTORE payloads are Redis 7.0's: for each library the
// RDB function opcode (RDB_OPCODE_FUNCTION2, 245) followed by the library
// code as an RDB string, then the RDB version (10, two bytes little-endian)
// and the CRC64 (Jones polynomial, reflected, as Redis's crc64) of
// everything before it, eight bytes little-endian. Payloads from Redis
// (LZF-compressed strings, the 7.0-rc opcode 246) restore here, and ours
// restore in Redis. The RDB encoding itself (lengths, strings, LZF, CRC64)
// is package rdb's.

const (
	rdbOpcodeFunction  = 246 // 7.0 release candidates: name, engine, description, code
	rdbOpcodeFunction2 = 245
	rdbVersion         = 10
)

// Dump is FUNCTION DUMP; compress is rdbcompression.
func (e *Engine) Dump(compress bool) []byte {
	var b []byte
	for _, l := range e.Libraries() {
		b = append(b, rdbOpcodeFunction2)
		b = rdb.AppendString(b, []byte(l.Code), compress)
	}
	return rdb.DumpFooter(b, rdbVersion)
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
	return binary.LittleEndian.Uint64(footer[2:]) == rdb.CRC64(0, p[:len(p)-8])
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
	r := rdb.NewValueReader(payload[:len(payload)-10])
	for r.More() {
		typ, err := r.ReadByte()
		if err != nil {
			return "ERR can not read data type"
		}
		if typ != rdbOpcodeFunction && typ != rdbOpcodeFunction2 {
			return "ERR given type is not a function"
		}
		var code string
		if typ == rdbOpcodeFunction {
			name, err := r.ReadString()
			if err != nil {
				return "ERR Failed loading library name"
			}
			engine, err := r.ReadString()
			if err != nil {
				return "ERR Failed loading engine name"
			}
			hasDesc, _, err := r.ReadLen()
			if err != nil {
				return "ERR Failed loading library description indicator"
			}
			if hasDesc != 0 {
				if _, err := r.ReadString(); err != nil {
					return "ERR Failed loading library description"
				}
			}
			blob, err := r.ReadString()
			if err != nil {
				return "ERR Failed loading library blob"
			}
			code = "#!" + string(engine) + " name=" + string(name) + "\n" + string(blob)
		} else {
			b, err := r.ReadString()
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
