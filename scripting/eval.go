package scripting

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/server"
	lua "github.com/yuin/gopher-lua"
)

// Script is a cached EVAL script.
type Script struct {
	SHA   string
	Body  string
	Flags Flags
	fn    *lua.LFunction
}

// SHA1Hex returns the lowercase hex SHA1 of body (a script's name).
func SHA1Hex(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// Script returns the cached script with this SHA1 (any case), or nil.
func (e *Engine) Script(sha string) *Script {
	if len(sha) != 40 {
		return nil
	}
	if s, ok := e.scripts[sha]; ok {
		return s
	}
	return e.scripts[strings.ToLower(sha)]
}

// ScriptCount returns how many scripts are cached.
func (e *Engine) ScriptCount() int { return len(e.scripts) }

// ScriptsMemory estimates the memory the script cache holds (bodies).
func (e *Engine) ScriptsMemory() int64 {
	var n int64
	for _, s := range e.scripts {
		n += int64(len(s.Body)) + 40
	}
	return n
}

// LoadScript compiles body into the cache (SCRIPT LOAD, EVAL) and returns
// it, or the error to reply.
func (e *Engine) LoadScript(body []byte) (*Script, string) {
	sha := SHA1Hex(body)
	if s, ok := e.scripts[sha]; ok {
		return s, ""
	}
	flags, shebangLen, errMsg := evalShebang(body)
	if errMsg != "" {
		return nil, "ERR " + errMsg
	}
	// The shebang line is skipped but its newline kept, so line numbers
	// stay the user's.
	src := string(body[shebangLen:])
	fn, err := e.eval.L.Load(strings.NewReader(src), "user_script")
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + compileErrorText(err, "user_script", src)
	}
	mainChunk(fn)
	fn.Env = e.eval.env
	s := &Script{SHA: sha, Body: string(body), Flags: flags, fn: fn}
	e.scripts[sha] = s
	return s, ""
}

// evalShebang parses an EVAL script's "#!lua flags=..." line
// (evalExtractShebangFlags). Without a shebang the script is in
// compatibility mode.
func evalShebang(body []byte) (Flags, int, string) {
	if len(body) < 2 || body[0] != '#' || body[1] != '!' {
		return FlagEvalCompat, 0, ""
	}
	end := strings.IndexByte(string(body), '\n')
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts, err := config.SplitArgs(string(body[:end]))
	if err != nil || len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + parts[0]
	}
	var flags Flags
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, "flags=") {
			return 0, 0, "Unknown lua shebang option: " + p
		}
		list := p[len("flags="):]
		if list == "" {
			continue // sdssplitlen of "" yields no flags
		}
		for _, f := range strings.Split(list, ",") {
			found := false
			for _, fn := range flagNames {
				if f == fn.name {
					flags |= fn.f
					found = true
					break
				}
			}
			if !found {
				return 0, 0, "Unexpected flag in script shebang: " + f
			}
		}
	}
	return flags, end, ""
}

// FlushScripts empties the script cache and starts a fresh interpreter
// (SCRIPT FLUSH), as Redis does.
func (e *Engine) FlushScripts() {
	e.eval.close()
	e.eval = newVM(e, false)
	e.scripts = map[string]*Script{}
}

// RunScript runs a cached script with KEYS and ARGV and writes its reply
// (in r's protocol) to r.
func (e *Engine) RunScript(run *Run, s *Script, keys, args [][]byte, r *server.Reply) {
	run.Eval = true
	run.Name = s.SHA
	e.execute(e.eval, run, s.fn, keys, args, r)
}
