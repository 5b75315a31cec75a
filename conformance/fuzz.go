package conformance

import (
	"fmt"
	"io"
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Pools the fuzzer draws arguments from: small, so that commands collide
// on the same keys (and hit WRONGTYPE), and full of edge values.
var (
	fuzzKeys   = []string{"a", "b", "c", "d"}
	fuzzValues = []string{"v", "hello", "", "10", "-3", "1.5", "a\x00b", "xyz", "0"}
	fuzzInts   = []string{"0", "1", "-1", "2", "3", "5", "10", "-10", "100", "9223372036854775807", "-9223372036854775808", "18446744073709551616", "x", "1.5", "007"}
	fuzzFloats = []string{"0", "1.5", "-2.25", "0.1", "1e3", "inf", "-inf", "+inf", "x", "3", "1e400"}
	fuzzGlobs  = []string{"*", "a*", "?", "[ab]", "*b*", "[^a]", "\\*"}
	fuzzJunk   = []string{"", "abc", "-1", "99999999999999999999", "1.5", "NX", "\x00", "nan", "-"}
	// Relative expire times: never a few milliseconds, or the two servers
	// would race the clock and "differ" for no reason.
	fuzzTimes = []string{"0", "-1", "100000", "1000000", "x"}
)

// fuzzExcluded are commands the fuzzer never sends: they close or change
// the connection's reply stream, block, touch the host, or are random.
var fuzzExcluded = map[string]bool{
	"quit": true, "shutdown": true, "monitor": true, "subscribe": true, "psubscribe": true,
	"ssubscribe": true, "unsubscribe": true, "punsubscribe": true, "sunsubscribe": true,
	"debug": true, "sync": true, "psync": true, "replicaof": true, "slaveof": true,
	"failover": true, "save": true, "bgsave": true, "bgrewriteaof": true,
	"blpop": true, "brpop": true, "brpoplpush": true, "blmove": true, "blmpop": true,
	"bzpopmin": true, "bzpopmax": true, "bzmpop": true, "wait": true, "waitaof": true,
	"config|set": true, "config|rewrite": true, "config|resetstat": true,
	"client|kill": true, "client|pause": true, "client|reply": true, "client|no-evict": true,
	"client|unpause": true, "client|tracking": true, "acl": true, "module": true,
	"script|kill": true, "function|kill": true, "cluster": true, "migrate": true,
	"spop": true,
}

// relativeTimeCmds take a relative expire time as their third argument.
var relativeTimeCmds = map[string]bool{"expire": true, "pexpire": true, "setex": true, "psetex": true}

type template struct {
	args []string
	keys map[int]bool
}

// Vocabulary is what the fuzzer knows how to send: every command line the
// cases contain, with its key positions.
type Vocabulary struct {
	names     []string
	templates map[string][]template
	keywords  map[string][]string
}

// exclude drops commands (by name, or a container's name for all of its
// subcommands).
func (v *Vocabulary) exclude(names []string) error {
	if len(names) == 0 {
		return nil
	}
	drop := map[string]bool{}
	for _, n := range names {
		drop[strings.ToLower(strings.TrimSpace(n))] = true
	}
	kept := v.names[:0]
	for _, n := range v.names {
		base, _, _ := strings.Cut(n, "|")
		if drop[n] || drop[base] {
			delete(v.templates, n)
			continue
		}
		kept = append(kept, n)
	}
	v.names = kept
	if len(v.names) == 0 {
		return fmt.Errorf("every command is excluded")
	}
	return nil
}

// Names lists the commands in the vocabulary.
func (v *Vocabulary) Names() []string { return v.names }

func isKeyword(s string) bool {
	if len(s) < 2 {
		return false
	}
	letter := false
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			letter = true
		case r >= '0' && r <= '9', r == '-', r == '_', r == '|':
		default:
			return false
		}
	}
	return letter
}

// BuildVocabulary collects the command lines of the cases and asks the
// reference (COMMAND GETKEYS) which arguments are keys.
func BuildVocabulary(files []*File, reference *Target) (*Vocabulary, error) {
	v := &Vocabulary{templates: map[string][]template{}, keywords: map[string][]string{}}
	seen := map[string]bool{}
	var lines [][]string
	for _, f := range files {
		for _, c := range f.Cases {
			for _, op := range c.Ops {
				if op.Kind != OpCommand && op.Kind != OpSend {
					continue
				}
				name := CommandName(op.Args)
				base := strings.ToLower(op.Args[0])
				if fuzzExcluded[name] || fuzzExcluded[base] || nondeterministicCmd(base) {
					continue
				}
				blocks := false
				for _, a := range op.Args {
					if strings.EqualFold(a, "BLOCK") {
						blocks = true
					}
				}
				k := strings.Join(op.Args, "\x00")
				if blocks || seen[k] {
					continue
				}
				seen[k] = true
				lines = append(lines, op.Args)
			}
		}
	}
	conn, err := reference.Dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	kw := map[string]map[string]bool{}
	for _, args := range lines {
		t := template{args: args, keys: map[int]bool{}}
		r, err := conn.Do(append([]string{"COMMAND", "GETKEYS"}, args...)...)
		if err != nil {
			return nil, err
		}
		if r.Kind == KindArray {
			keyset := map[string]bool{}
			for _, e := range r.Elems {
				keyset[e.Str] = true
			}
			for i := 1; i < len(args); i++ {
				if keyset[args[i]] {
					t.keys[i] = true
				}
			}
		}
		name := CommandName(args)
		if _, ok := v.templates[name]; !ok {
			v.names = append(v.names, name)
			kw[name] = map[string]bool{}
		}
		v.templates[name] = append(v.templates[name], t)
		for i, a := range args {
			if i > 0 && !t.keys[i] && isKeyword(a) {
				kw[name][a] = true
			}
		}
	}
	sort.Strings(v.names)
	for n, m := range kw {
		for w := range m {
			v.keywords[n] = append(v.keywords[n], w)
		}
		sort.Strings(v.keywords[n])
	}
	if len(v.names) == 0 {
		return nil, fmt.Errorf("no commands to fuzz: the cases hold none")
	}
	return v, nil
}

func pick(r *rand.Rand, s []string) string { return s[r.Intn(len(s))] }

func isFloat(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// Generate returns one random command line: mostly a case's command with
// its arguments redrawn from the pools, sometimes a broken one.
func (v *Vocabulary) Generate(r *rand.Rand) []string {
	name := v.names[r.Intn(len(v.names))]
	ts := v.templates[name]
	t := ts[r.Intn(len(ts))]
	out := make([]string, len(t.args))
	base := strings.ToLower(t.args[0])
	fixed := 1
	if containers[base] {
		fixed = 2
	}
	copy(out, t.args[:min(fixed, len(t.args))])
	for i := fixed; i < len(t.args); i++ {
		a := t.args[i]
		prev := strings.ToUpper(t.args[i-1])
		switch {
		case t.keys[i]:
			out[i] = pick(r, fuzzKeys)
		case isKeyword(a):
			switch x := r.Intn(20); {
			case x == 0 && len(v.keywords[name]) > 0:
				out[i] = pick(r, v.keywords[name])
			case x == 1:
				out[i] = strings.ToLower(a)
			default:
				out[i] = a
			}
		case isInteger(a) && (prev == "EX" || prev == "PX" || relativeTimeCmds[base] && i == 2):
			out[i] = pick(r, fuzzTimes)
		case isInteger(a):
			out[i] = pick(r, fuzzInts)
		case isFloat(a):
			out[i] = pick(r, fuzzFloats)
		case name == "config|get":
			// Parameter names stay: "*" would list every parameter,
			// and the two servers' sets legitimately differ.
		case strings.ContainsAny(a, "*?["):
			out[i] = pick(r, fuzzGlobs)
		default:
			out[i] = pick(r, fuzzValues)
		}
	}
	// About one command in seven is made invalid on purpose.
	if r.Intn(7) == 0 {
		switch r.Intn(4) {
		case 0:
			if len(out) > 1 {
				i := 1 + r.Intn(len(out)-1)
				out = append(out[:i], out[i+1:]...)
			}
		case 1:
			out = append(out, pick(r, fuzzJunk))
		case 2:
			if len(out) > fixed {
				out[fixed+r.Intn(len(out)-fixed)] = pick(r, fuzzJunk)
			}
		case 3:
			if r.Intn(4) == 0 {
				out[0] = "NOSUCHCMD"
			} else {
				out[0] = flipCase(r, out[0])
			}
		}
	}
	return out
}

func flipCase(r *rand.Rand, s string) string {
	b := []rune(s)
	for i := range b {
		if r.Intn(2) == 0 {
			if unicode.IsUpper(b[i]) {
				b[i] = unicode.ToLower(b[i])
			} else {
				b[i] = unicode.ToUpper(b[i])
			}
		}
	}
	return string(b)
}

// FuzzConfig configures a differential fuzzing run.
type FuzzConfig struct {
	Target, Reference *Target
	Seed              int64
	Ops               int
	Files             []*File // the cases whose commands are fuzzed
	Batch             int     // commands pipelined per round (default 32)
	Log               io.Writer
	// Exclude names commands not to send ("xadd", "config|get").
	Exclude []string
	// SkipUnknown drops a command from the run the first time the target
	// answers "unknown command" where the reference knows it (listing it
	// in Unimplemented), empties both servers and goes on, instead of
	// stopping there.
	SkipUnknown bool
}

// FuzzDiff is the first difference the fuzzer found.
type FuzzDiff struct {
	Step       int        `json:"step"`
	Args       string     `json:"command"`
	Target     []string   `json:"target"`
	Reference  []string   `json:"reference"`
	Original   int        `json:"original_length"`
	Reproduced bool       `json:"reproduced"`
	Reproducer [][]string `json:"reproducer"`
	// Case is the shrunk reproducer as a ready case file, its expected
	// replies taken from the reference.
	Case string `json:"case"`
	// LastTarget is what the target answered to the reproducer's last
	// differing command.
	LastTarget    []string `json:"reproducer_target"`
	LastReference []string `json:"reproducer_reference"`
	LastArgs      string   `json:"reproducer_command"`
}

// FuzzResult is the outcome of a fuzz run.
type FuzzResult struct {
	Target    string         `json:"target"`
	Reference string         `json:"reference"`
	Seed      int64          `json:"seed"`
	Ops       int            `json:"ops"`
	Commands  map[string]int `json:"commands"`
	Diff      *FuzzDiff      `json:"difference,omitempty"`
	// Unimplemented lists the commands the target does not know (with
	// SkipUnknown).
	Unimplemented []string `json:"unimplemented,omitempty"`
}

// pair holds a connection to each server.
type pair struct {
	t, r *Conn
}

func openPair(cfg *FuzzConfig) (*pair, error) {
	t, err := cfg.Target.Dial()
	if err != nil {
		return nil, fmt.Errorf("target: %v", err)
	}
	r, err := cfg.Reference.Dial()
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("reference: %v", err)
	}
	if err := cfg.Target.Reset(t); err != nil {
		t.Close()
		r.Close()
		return nil, fmt.Errorf("target: %v", err)
	}
	if err := cfg.Reference.Reset(r); err != nil {
		t.Close()
		r.Close()
		return nil, fmt.Errorf("reference: %v", err)
	}
	return &pair{t: t, r: r}, nil
}

func (p *pair) close() {
	p.t.Close()
	p.r.Close()
}

// pipeline sends cmds and reads one reply per command; after a connection
// error the remaining replies carry that error.
func pipeline(c *Conn, cmds [][]string) []Reply {
	out := make([]Reply, len(cmds))
	if err := c.SendMany(cmds); err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	var dead error
	for i := range cmds {
		if dead != nil {
			out[i].Err = dead
			continue
		}
		v, err := c.Receive()
		if err != nil {
			dead = err
			out[i].Err = err
			continue
		}
		out[i].Value = v
	}
	return out
}

// runBoth runs cmds on both servers at once.
func (p *pair) runBoth(cmds [][]string) (t, r []Reply) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r = pipeline(p.r, cmds)
	}()
	t = pipeline(p.t, cmds)
	wg.Wait()
	return t, r
}

func sameFuzz(args []string, a, b Reply) bool {
	if a.Err != nil || b.Err != nil {
		return a.Err != nil && b.Err != nil
	}
	return SameReply(args, a.Value, b.Value)
}

// firstDiff runs seq from a clean state and returns the index of the first
// differing reply (-1 if none) with both replies.
func firstDiff(cfg *FuzzConfig, seq [][]string) (int, Reply, Reply, error) {
	p, err := openPair(cfg)
	if err != nil {
		return -1, Reply{}, Reply{}, err
	}
	defer p.close()
	batch := 256
	for off := 0; off < len(seq); off += batch {
		end := min(off+batch, len(seq))
		t, r := p.runBoth(seq[off:end])
		for i := range t {
			if !sameFuzz(seq[off+i], t[i], r[i]) {
				return off + i, t[i], r[i], nil
			}
		}
		if t[len(t)-1].Err != nil {
			break
		}
	}
	return -1, Reply{}, Reply{}, nil
}

// Fuzz runs random command sequences against both servers and, on the
// first difference, shrinks the sequence to a minimal reproducer.
func Fuzz(cfg *FuzzConfig) (*FuzzResult, error) {
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	logf := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format, a...)
		}
	}
	voc, err := BuildVocabulary(cfg.Files, cfg.Reference)
	if err != nil {
		return nil, err
	}
	if err := voc.exclude(cfg.Exclude); err != nil {
		return nil, err
	}
	res := &FuzzResult{Target: cfg.Target.Addr, Reference: cfg.Reference.Addr, Seed: cfg.Seed, Commands: map[string]int{}}
	rng := rand.New(rand.NewSource(cfg.Seed))
	p, err := openPair(cfg)
	if err != nil {
		return nil, err
	}
	defer func() { p.close() }()
	var seq [][]string
	for res.Ops < cfg.Ops {
		n := min(cfg.Batch, cfg.Ops-res.Ops)
		cmds := make([][]string, n)
		for i := range cmds {
			cmds[i] = voc.Generate(rng)
		}
		t, r := p.runBoth(cmds)
		resync := false
		for i := range cmds {
			seq = append(seq, cmds[i])
			res.Ops++
			res.Commands[CommandName(cmds[i])]++
			if sameFuzz(cmds[i], t[i], r[i]) {
				continue
			}
			if cfg.SkipUnknown && unknownOnTarget(t[i], r[i]) {
				name := strings.ToLower(cmds[i][0])
				res.Unimplemented = append(res.Unimplemented, name)
				logf("the target does not know %s: leaving it out\n", strings.ToUpper(name))
				if err := voc.exclude([]string{name}); err != nil {
					return res, nil // nothing left to send
				}
				// The reference ran it, the target did not: start both
				// over from empty databases.
				resync = true
				break
			}
			d := &FuzzDiff{Step: len(seq), Args: JoinArgs(cmds[i]), Target: t[i].Lines(), Reference: r[i].Lines(), Original: len(seq)}
			res.Diff = d
			logf("difference at command %d (%s); shrinking...\n", d.Step, d.Args)
			shrinkDiff(cfg, seq, d)
			return res, nil
		}
		if resync {
			p.close()
			if p, err = openPair(cfg); err != nil {
				return res, err
			}
			seq = seq[:0]
			continue
		}
		// Both connections died together (a command closed them): go on
		// with fresh ones on the same data.
		if t[n-1].Err != nil && r[n-1].Err != nil {
			p.close()
			tc, err1 := cfg.Target.Dial()
			rc, err2 := cfg.Reference.Dial()
			if err1 != nil || err2 != nil {
				return res, fmt.Errorf("reconnect: %v %v", err1, err2)
			}
			p = &pair{t: tc, r: rc}
		}
	}
	return res, nil
}

// unknownOnTarget: the target rejects the command as unknown, the
// reference does not.
func unknownOnTarget(t, r Reply) bool {
	const unknown = "ERR unknown command '"
	return t.Err == nil && r.Err == nil && t.Value.Kind == KindError && strings.HasPrefix(t.Value.Str, unknown) &&
		!(r.Value.Kind == KindError && strings.HasPrefix(r.Value.Str, unknown))
}

// shrinkDiff reduces seq to a minimal sequence that still makes the same
// command differ, and renders it as a case file.
func shrinkDiff(cfg *FuzzConfig, seq [][]string, d *FuzzDiff) {
	want := CommandName(seq[len(seq)-1])
	test := func(s [][]string) bool {
		if len(s) == 0 {
			return false
		}
		i, _, _, err := firstDiff(cfg, s)
		return err == nil && i >= 0 && CommandName(s[i]) == want
	}
	if !test(seq) {
		// Not reproducible from a clean state (timing-dependent, or state
		// left behind that FLUSHALL does not clear).
		d.Reproducer = seq
		d.Case = renderFuzzCase(cfg, seq, d, false)
		return
	}
	d.Reproduced = true
	small := DDMin(seq, test)
	// Cut everything after the first difference.
	if i, tr, rr, err := firstDiff(cfg, small); err == nil && i >= 0 {
		small = small[:i+1]
		d.LastArgs = JoinArgs(small[i])
		d.LastTarget, d.LastReference = tr.Lines(), rr.Lines()
	}
	d.Reproducer = small
	d.Case = renderFuzzCase(cfg, small, d, true)
}

// DDMin is Zeller's delta debugging: the smallest subsequence of seq (by
// removing chunks, then single elements) for which test still holds.
func DDMin[T any](seq []T, test func([]T) bool) []T {
	c := seq
	n := 2
	for len(c) >= 2 {
		chunks := split(c, n)
		reduced := false
		for _, ch := range chunks {
			if test(ch) {
				c, n, reduced = ch, 2, true
				break
			}
		}
		if !reduced && len(chunks) > 2 {
			for i := range chunks {
				comp := complement(chunks, i)
				if test(comp) {
					c, reduced = comp, true
					n = max(n-1, 2)
					break
				}
			}
		}
		if !reduced {
			if n >= len(c) {
				break
			}
			n = min(len(c), 2*n)
		}
	}
	return c
}

func split[T any](s []T, n int) [][]T {
	var out [][]T
	size := len(s) / n
	rem := len(s) % n
	start := 0
	for i := 0; i < n && start < len(s); i++ {
		end := start + size
		if i < rem {
			end++
		}
		if end > start {
			out = append(out, s[start:end])
		}
		start = end
	}
	return out
}

func complement[T any](chunks [][]T, skip int) []T {
	var out []T
	for i, ch := range chunks {
		if i != skip {
			out = append(out, ch...)
		}
	}
	return out
}

// ExpectFor is the expectation to record for a reply to args: literal,
// with unordered markers where Redis leaves the order open, and a shape
// pattern where the content varies.
func ExpectFor(args []string, v Value) *Expect {
	if CommandName(args) == "hello" && v.Kind.Aggregate() {
		return helloExpect(v)
	}
	if v.Kind != KindError {
		switch RuleFor(args) {
		case RuleShape:
			if v.Kind.Aggregate() {
				return &Expect{Pattern: true, Kind: v.Kind, Min: int64(v.Len()), Max: int64(v.Len()), HasMin: true, HasMax: true}
			}
			if v.Kind == KindNull || v.Kind == KindNullBulk || v.Kind == KindNullArray {
				return Literal(v, Ordered)
			}
			return &Expect{Pattern: true, Kind: v.Kind}
		case RuleTTL, RulePTTL:
			if v.Kind == KindInt && v.Int >= 0 {
				tol := int64(1)
				if RuleFor(args) == RulePTTL {
					tol = 1000
				}
				return &Expect{Pattern: true, Kind: KindInt, Min: max(0, v.Int-tol), Max: v.Int + tol, HasMin: true, HasMax: true}
			}
		}
	}
	return Literal(v, OrderForRecord(args))
}

// helloExpect is HELLO's reply with the connection id as <int> and the
// version as any 7.0 release.
func helloExpect(v Value) *Expect {
	e := Literal(v, Ordered)
	for i := 0; i+1 < len(e.Elems); i++ {
		k := e.Elems[i]
		if k.Pattern || k.Kind != KindBulk {
			continue
		}
		switch k.Lit.Str {
		case "id":
			e.Elems[i+1] = &Expect{Pattern: true, Kind: KindInt}
		case "version":
			re := `^7\.0\.\d+$`
			e.Elems[i+1] = &Expect{Pattern: true, Kind: KindBulk, Re: regexp.MustCompile(re), ReSrc: re}
		}
	}
	return e
}

// renderFuzzCase renders seq as a case file with the reference's replies.
func renderFuzzCase(cfg *FuzzConfig, seq [][]string, d *FuzzDiff, shrunk bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Found by: shale-conformance fuzz --seed %d --ops %d\n", cfg.Seed, cfg.Ops)
	if shrunk {
		fmt.Fprintf(&b, "# Shrunk from %d to %d commands. Expected replies are the reference's (%s).\n", d.Original, len(seq), cfg.Reference.Addr)
	} else {
		fmt.Fprintf(&b, "# NOT reproducible from a clean state; full sequence of %d commands.\n", len(seq))
	}
	if d.LastTarget != nil {
		fmt.Fprintf(&b, "# The target (%s) answered the last command with: %s\n", cfg.Target.Addr, strings.Join(d.LastTarget, " "))
	}
	fmt.Fprintf(&b, "=== fuzz seed %d\n", cfg.Seed)
	conn, err := cfg.Reference.Dial()
	var replies []Reply
	if err == nil {
		if err = cfg.Reference.Reset(conn); err == nil {
			replies = pipeline(conn, seq)
		}
		conn.Close()
	}
	for i, args := range seq {
		fmt.Fprintf(&b, "> %s\n", JoinArgs(args))
		if i < len(replies) && replies[i].Err == nil {
			for _, l := range ExpectFor(args, replies[i].Value).Lines() {
				fmt.Fprintf(&b, "%s\n", l)
			}
		}
	}
	return b.String()
}

// WriteText writes the fuzz outcome readably.
func (f *FuzzResult) WriteText(w io.Writer) {
	names := make([]string, 0, len(f.Commands))
	for n := range f.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "fuzz seed %d: %d commands against %s (reference %s)\n", f.Seed, f.Ops, f.Target, f.Reference)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", n, f.Commands[n]))
	}
	fmt.Fprintf(w, "  commands: %s\n", strings.Join(parts, " "))
	if len(f.Unimplemented) > 0 {
		fmt.Fprintf(w, "  not implemented by the target (left out): %s\n", strings.Join(f.Unimplemented, " "))
	}
	if f.Diff == nil {
		fmt.Fprintf(w, "no difference\n")
		return
	}
	d := f.Diff
	fmt.Fprintf(w, "\nDIFF at command %d: %s\n", d.Step, d.Args)
	fmt.Fprint(w, SideBySide("reference", d.Reference, "target", d.Target, "  "))
	if d.Reproduced {
		fmt.Fprintf(w, "\nminimal reproducer (%d of %d commands):\n", len(d.Reproducer), d.Original)
		if d.LastArgs != "" {
			fmt.Fprintf(w, "  > %s\n", d.LastArgs)
			fmt.Fprint(w, SideBySide("reference", d.LastReference, "target", d.LastTarget, "  "))
		}
	} else {
		fmt.Fprintf(w, "\nthe difference did not reproduce from a clean state (timing?); full sequence below\n")
	}
	fmt.Fprintf(w, "\n%s", d.Case)
}
