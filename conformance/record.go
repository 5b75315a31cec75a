package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CheckRedis verifies that t is a real Redis 7.0 (record must not learn
// expectations from anything else). It returns the version.
func CheckRedis(t *Target) (string, error) {
	c, err := t.Dial()
	if err != nil {
		return "", err
	}
	defer c.Close()
	v, err := c.Do("INFO", "server")
	if err != nil {
		return "", err
	}
	if v.Kind != KindBulk && v.Kind != KindVerbatim {
		return "", fmt.Errorf("INFO server answered %s, not a Redis INFO text", FormatInline(v))
	}
	if strings.Contains(strings.ToLower(v.Str), "shale") {
		return "", fmt.Errorf("%s is a Shale server, not Redis", t.Addr)
	}
	version := ""
	for _, l := range strings.Split(v.Str, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "redis_version:"); ok {
			version = s
		}
	}
	if version == "" {
		return "", fmt.Errorf("%s reports no redis_version", t.Addr)
	}
	if !strings.HasPrefix(version, "7.0.") {
		return version, fmt.Errorf("%s is Redis %s; expectations describe Redis 7.0", t.Addr, version)
	}
	// Valkey and other forks announce themselves in INFO.
	for _, fork := range []string{"valkey_version", "dragonfly", "keydb", "kvrocks"} {
		if strings.Contains(strings.ToLower(v.Str), fork) {
			return version, fmt.Errorf("%s is not Redis (%s)", t.Addr, fork)
		}
	}
	return version, nil
}

// RecordResult says what record did to one file.
type RecordResult struct {
	File     string
	Changed  bool
	Text     string // the new file text
	Warnings []string
}

// Record runs every case of f on t and rewrites each command's expected
// reply from what t answered. Expectations that are patterns or carry
// unordered markers are kept while the new reply still satisfies them.
func Record(f *File, t *Target) (RecordResult, error) {
	res := RecordResult{File: f.Path}
	before := f.Text()
	for _, c := range f.Cases {
		if c.Skip != "" {
			continue
		}
		var failed error
		err := t.ExecCase(c, func(op *Op, r Reply) bool {
			if r.Err != nil {
				failed = fmt.Errorf("%s:%d: %s: %v", f.Path, op.Line, JoinArgs(op.Args), r.Err)
				return false
			}
			recordOp(op, r.Value, &res)
			return true
		})
		if err != nil {
			return res, fmt.Errorf("%s: %v", c.ID(), err)
		}
		if failed != nil {
			return res, failed
		}
	}
	res.Text = f.Text()
	res.Changed = res.Text != before
	return res, nil
}

func recordOp(op *Op, v Value, res *RecordResult) {
	old := op.Expect
	if old != nil {
		ok, _ := old.Match(v)
		if ok {
			return // still right (patterns and ordering markers included)
		}
		if !ok && !old.IsLiteral() {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s:%d: %s: %s no longer matches, replaced by the literal reply",
				res.File, op.Line, JoinArgs(op.Args), strings.Join(old.Lines(), " ")))
		}
	}
	var e *Expect
	switch {
	case old != nil && old.Kind == KindArray && !old.Pattern && old.Order != Ordered:
		e = Literal(v, old.Order)
	case CommandName(op.Args) == "ttl" || CommandName(op.Args) == "expiretime" || CommandName(op.Args) == "pexpiretime":
		// Whole seconds right after EXPIRE, or absolute times: exact is
		// stable (write a range by hand after a relative expire).
		e = Literal(v, Ordered)
	default:
		e = ExpectFor(op.Args, v)
	}
	lines := e.Lines()
	if !slices.Equal(lines, op.ExpectRaw) {
		op.ExpectRaw = lines
	}
	op.Expect = e
}

// WriteRecorded writes a recorded file under dir.
func WriteRecorded(dir string, res RecordResult) error {
	p := filepath.Join(dir, filepath.FromSlash(res.File))
	return os.WriteFile(p, []byte(res.Text), 0o644)
}
