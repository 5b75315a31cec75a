package conformance

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Embedded holds the recorded cases shipped with the binary, so that
// `shale-conformance run` works without a source checkout.
//
//go:embed cases
var Embedded embed.FS

// OpKind is what one line of a case does.
type OpKind int

const (
	OpCommand   OpKind = iota // > CMD args: send and check the reply
	OpSend                    // >& CMD args: send now, read the reply later
	OpSleep                   // @sleep 150ms
	OpConn                    // @conn NAME: later commands use connection NAME
	OpReconnect               // @reconnect: reopen the current connection
)

// Op is one step of a case.
type Op struct {
	Kind   OpKind
	Line   int
	Args   []string
	Raw    string // the command line as written
	Expect *Expect
	// ExpectRaw holds the expectation lines as written (rewritten by record).
	ExpectRaw []string
	Dur       time.Duration
	Conn      string
}

// Name is the command name used in reports: lower case, with the
// subcommand for container commands ("config|get").
func (o *Op) Name() string { return CommandName(o.Args) }

// containers are the commands whose reports are split by subcommand.
var containers = map[string]bool{
	"config": true, "command": true, "object": true, "client": true, "memory": true,
	"script": true, "function": true, "acl": true, "cluster": true, "slowlog": true,
	"latency": true, "module": true, "xinfo": true, "xgroup": true, "pubsub": true,
	"debug": true,
}

// CommandName names a command line for reports ("get", "config|get").
func CommandName(args []string) string {
	if len(args) == 0 {
		return ""
	}
	n := strings.ToLower(args[0])
	if containers[n] && len(args) > 1 {
		return n + "|" + strings.ToLower(args[1])
	}
	return n
}

// Case is one independent scenario: it starts from an empty server.
type Case struct {
	Name string
	File *File
	Line int
	Skip string // @skip reason
	Ops  []*Op
}

// ID names the case in reports: "strings/incr.case: incr on a string".
func (c *Case) ID() string {
	if c.Name == "" {
		return c.File.Path
	}
	return c.File.Path + ": " + c.Name
}

// Group is the case's group (its directory).
func (c *Case) Group() string { return c.File.Group }

// File is one parsed case file.
type File struct {
	Path  string // slash-separated, relative to the cases root
	Group string
	Cases []*Case
	// chunks keeps the file's text so that record can rewrite only the
	// expectations: a chunk is a raw line or a command op.
	chunks []chunk
}

type chunk struct {
	raw string
	op  *Op
}

// ParseFile parses a case file's text. relPath names it ("strings/incr.case").
func ParseFile(relPath string, text string) (*File, error) {
	relPath = filepath.ToSlash(relPath)
	f := &File{Path: relPath, Group: path.Dir(relPath)}
	if f.Group == "." {
		f.Group = "default"
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var cur *Case
	var last *Op // the command whose expectation lines we are reading
	errf := func(i int, format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", relPath, i+1, fmt.Sprintf(format, a...))
	}
	current := func(i int) *Case {
		if cur == nil {
			cur = &Case{File: f, Line: i + 1}
			f.Cases = append(f.Cases, cur)
		}
		return cur
	}
	finish := func() error {
		if last != nil && len(last.ExpectRaw) > 0 {
			e, err := ParseExpect(last.ExpectRaw, last.Line+1)
			if err != nil {
				return fmt.Errorf("%s: %v", relPath, err)
			}
			last.Expect = e
		}
		last = nil
		return nil
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		isComment := t == "#" || strings.HasPrefix(t, "# ") || strings.HasPrefix(t, "##") || strings.HasPrefix(t, "#!")
		switch {
		case last != nil && t != "" && !isComment && !strings.HasPrefix(l, "> ") && !strings.HasPrefix(l, ">& ") && !strings.HasPrefix(l, "@") && !strings.HasPrefix(l, "==="):
			last.ExpectRaw = append(last.ExpectRaw, l)
			continue
		}
		if err := finish(); err != nil {
			return nil, err
		}
		switch {
		case t == "" || isComment:
			f.chunks = append(f.chunks, chunk{raw: l})
		case strings.HasPrefix(l, "==="):
			cur = &Case{File: f, Line: i + 1, Name: strings.TrimSpace(strings.TrimLeft(l, "="))}
			f.Cases = append(f.Cases, cur)
			f.chunks = append(f.chunks, chunk{raw: l})
		case strings.HasPrefix(l, "> ") || strings.HasPrefix(l, ">& "):
			kind, body := OpCommand, l[2:]
			if strings.HasPrefix(l, ">& ") {
				kind, body = OpSend, l[3:]
			}
			args, err := SplitArgs(body)
			if err != nil {
				return nil, errf(i, "%v", err)
			}
			if len(args) == 0 {
				return nil, errf(i, "empty command")
			}
			op := &Op{Kind: kind, Line: i + 1, Args: args, Raw: l}
			c := current(i)
			c.Ops = append(c.Ops, op)
			f.chunks = append(f.chunks, chunk{op: op})
			last = op
		case strings.HasPrefix(l, "@"):
			name, arg, _ := strings.Cut(t[1:], " ")
			arg = strings.TrimSpace(arg)
			c := current(i)
			op := &Op{Line: i + 1, Raw: l}
			switch name {
			case "sleep":
				d, err := time.ParseDuration(arg)
				if err != nil || d < 0 || d > time.Minute {
					return nil, errf(i, "@sleep needs a duration like 150ms")
				}
				op.Kind, op.Dur = OpSleep, d
			case "conn":
				if arg == "" || strings.ContainsAny(arg, " \t") {
					return nil, errf(i, "@conn needs one name")
				}
				op.Kind, op.Conn = OpConn, arg
			case "reconnect":
				op.Kind = OpReconnect
			case "skip":
				c.Skip = arg
				if c.Skip == "" {
					c.Skip = "skipped"
				}
				op = nil
			default:
				return nil, errf(i, "unknown directive @%s (sleep, conn, reconnect, skip)", name)
			}
			if op != nil {
				c.Ops = append(c.Ops, op)
			}
			f.chunks = append(f.chunks, chunk{raw: l})
		default:
			return nil, errf(i, "expected a command (\"> CMD ...\"), a directive (@...), a case header (=== name) or a comment (# ...): %q", l)
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	// Drop empty cases (e.g. a header comment block before the first ===).
	kept := f.Cases[:0]
	for _, c := range f.Cases {
		if len(c.Ops) > 0 {
			kept = append(kept, c)
		}
	}
	f.Cases = kept
	return f, nil
}

// Text renders the file back, with each command's current ExpectRaw.
func (f *File) Text() string {
	var b strings.Builder
	for _, c := range f.chunks {
		if c.op == nil {
			b.WriteString(c.raw)
			b.WriteByte('\n')
			continue
		}
		b.WriteString(c.op.Raw)
		b.WriteByte('\n')
		for _, l := range c.op.ExpectRaw {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// LoadFS reads every *.case file under root in fsys, sorted by path.
func LoadFS(fsys fs.FS, root string) ([]*File, error) {
	var files []*File
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".case") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		if root == "." {
			rel = p
		}
		f, err := ParseFile(rel, string(data))
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// LoadDir reads the case files under dir on disk.
func LoadDir(dir string) ([]*File, error) {
	return LoadFS(os.DirFS(dir), ".")
}

// LoadEmbedded reads the cases shipped in the binary.
func LoadEmbedded() ([]*File, error) { return LoadFS(Embedded, "cases") }

// Filter keeps the cases whose group, file path or case ID contains one
// of the patterns (all cases when there are none).
func Filter(files []*File, patterns []string) []*File {
	if len(patterns) == 0 {
		return files
	}
	var out []*File
	for _, f := range files {
		var keep []*Case
		for _, c := range f.Cases {
			for _, p := range patterns {
				if strings.Contains(c.ID(), p) || f.Group == p {
					keep = append(keep, c)
					break
				}
			}
		}
		if len(keep) > 0 {
			nf := *f
			nf.Cases = keep
			out = append(out, &nf)
		}
	}
	return out
}
