package conformance

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MonitorEntry is one command from a `redis-cli MONITOR` capture.
type MonitorEntry struct {
	Line   int      `json:"line"`
	Time   string   `json:"time"`
	DB     int      `json:"db"`
	Client string   `json:"client"`
	Args   []string `json:"args"`
}

// ParseMonitorLine parses one MONITOR line:
//
//	1700000000.123456 [0 127.0.0.1:5555] "SET" "k" "v\x00"
//
// Arguments are unescaped (\xHH, \n, \", ...). ok is false for lines that
// are not commands (redis-cli's leading "OK", blank lines).
func ParseMonitorLine(line string) (e MonitorEntry, ok bool, err error) {
	line = strings.TrimRight(line, "\r\n")
	line = strings.TrimPrefix(line, "+") // raw status form
	if strings.TrimSpace(line) == "" || line == "OK" {
		return e, false, nil
	}
	ts, rest, found := strings.Cut(line, " ")
	if !found || !strings.HasPrefix(rest, "[") {
		return e, false, fmt.Errorf("not a MONITOR line: %q", line)
	}
	if _, err := strconv.ParseFloat(ts, 64); err != nil {
		return e, false, fmt.Errorf("bad timestamp %q", ts)
	}
	e.Time = ts
	rest = rest[1:]
	dbs, rest, found := strings.Cut(rest, " ")
	if !found {
		return e, false, fmt.Errorf("bad client field in %q", line)
	}
	db, err := strconv.Atoi(dbs)
	if err != nil || db < 0 {
		return e, false, fmt.Errorf("bad db %q", dbs)
	}
	e.DB = db
	// The address may itself hold brackets (IPv6): it ends at the "] "
	// that precedes the first quoted argument.
	end := strings.Index(rest, `] "`)
	if end < 0 {
		return e, false, fmt.Errorf("bad client field in %q", line)
	}
	e.Client = rest[:end]
	rest = rest[end+2:]
	for i := 0; i < len(rest); {
		if rest[i] == ' ' {
			i++
			continue
		}
		if rest[i] != '"' {
			return e, false, fmt.Errorf("bad argument at %q", rest[i:])
		}
		s, j, err := unquoteAt(rest, i)
		if err != nil {
			return e, false, fmt.Errorf("bad argument: %v", err)
		}
		e.Args = append(e.Args, s)
		i = j
	}
	if len(e.Args) == 0 {
		return e, false, fmt.Errorf("no command in %q", line)
	}
	return e, true, nil
}

// ParseMonitor reads a whole capture. Lines that cannot be parsed are
// reported as warnings, not fatal: captures are often cut mid-line.
func ParseMonitor(r io.Reader) ([]MonitorEntry, []string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 512<<20)
	var out []MonitorEntry
	var warns []string
	n := 0
	for sc.Scan() {
		n++
		e, ok, err := ParseMonitorLine(sc.Text())
		if err != nil {
			warns = append(warns, fmt.Sprintf("line %d: %v", n, err))
			continue
		}
		if ok {
			e.Line = n
			out = append(out, e)
		}
	}
	return out, warns, sc.Err()
}

// replaySkip says why a captured command is not replayed ("" to replay).
func replaySkip(e MonitorEntry) string {
	if e.Client == "lua" {
		return "run by a script (replayed through its EVAL)"
	}
	switch CommandName(e.Args) {
	case "auth", "hello":
		return "authentication (redacted in captures)"
	case "monitor", "quit", "shutdown", "sync", "psync", "replicaof", "slaveof", "debug":
		return "connection or server control"
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
		return "pub/sub subscription"
	case "client|reply", "client|kill", "client|pause":
		return "connection or server control"
	}
	return ""
}

// blockingCmds may wait for another client: their replies are collected
// later instead of stalling the replay.
var blockingCmds = map[string]bool{
	"blpop": true, "brpop": true, "brpoplpush": true, "blmove": true, "blmpop": true,
	"bzpopmin": true, "bzpopmax": true, "bzmpop": true, "wait": true, "waitaof": true,
	"xread": true, "xreadgroup": true,
}

// ReplayConfig configures a replay.
type ReplayConfig struct {
	Target, Reference *Target
	Entries           []MonitorEntry
	// FlushAll empties both servers first (for captures that started
	// from an empty server); otherwise both must hold the same data.
	FlushAll bool
	// BlockWait is how long a blocking command may take before the replay
	// moves on and collects its reply later (default 200ms).
	BlockWait time.Duration
}

// ReplayDiff is one differing reply.
type ReplayDiff struct {
	Line      int      `json:"line"`
	Client    string   `json:"client"`
	Command   string   `json:"command"`
	Args      string   `json:"args"`
	Target    []string `json:"target"`
	Reference []string `json:"reference"`
}

// ReplayReport is the outcome of a replay.
type ReplayReport struct {
	Target      string             `json:"target"`
	Reference   string             `json:"reference"`
	Entries     int                `json:"entries"`
	Replayed    int                `json:"replayed"`
	Skipped     map[string]int     `json:"skipped"`
	Commands    map[string]*Counts `json:"commands"`
	Differences []ReplayDiff       `json:"differences"`
}

type replayConn struct {
	conn    *Conn
	db      int
	pending []int // entry indexes whose replies are still to be read
	dead    error
}

// replayOn plays the entries on one server and returns each one's reply.
func replayOn(t *Target, entries []MonitorEntry, play []bool, flush bool, blockWait time.Duration) ([]Reply, error) {
	replies := make([]Reply, len(entries))
	conns := map[string]*replayConn{}
	var order []*replayConn
	defer func() {
		for _, c := range order {
			c.conn.Close()
		}
	}()
	if flush {
		c, err := t.Dial()
		if err != nil {
			return nil, err
		}
		err = t.Reset(c)
		c.Close()
		if err != nil {
			return nil, err
		}
	}
	read := func(rc *replayConn, i int, wait time.Duration) bool {
		if rc.dead != nil {
			replies[i] = Reply{Err: rc.dead}
			return true
		}
		var v Value
		var err error
		if wait > 0 {
			v, err = rc.conn.ReceiveWithin(wait)
		} else {
			v, err = rc.conn.Receive()
		}
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() && wait > 0 {
				return false
			}
			rc.dead = err
			replies[i] = Reply{Err: err}
			return true
		}
		replies[i] = Reply{Value: v}
		return true
	}
	drain := func(rc *replayConn) {
		for _, i := range rc.pending {
			read(rc, i, 0)
		}
		rc.pending = nil
	}
	for i, e := range entries {
		if !play[i] {
			continue
		}
		rc := conns[e.Client]
		if rc == nil {
			c, err := t.Dial()
			if err != nil {
				return nil, err
			}
			rc = &replayConn{conn: c}
			conns[e.Client] = rc
			order = append(order, rc)
		}
		drain(rc)
		if rc.dead == nil && rc.db != e.DB {
			v, err := rc.conn.Do("SELECT", strconv.Itoa(e.DB))
			if err != nil {
				rc.dead = err
			} else if v.Kind == KindStatus {
				rc.db = e.DB
			}
		}
		if rc.dead != nil {
			replies[i] = Reply{Err: rc.dead}
			continue
		}
		if err := rc.conn.Send(e.Args...); err != nil {
			rc.dead = err
			replies[i] = Reply{Err: err}
			continue
		}
		name := strings.ToLower(e.Args[0])
		if blockingCmds[name] {
			if !read(rc, i, blockWait) {
				rc.pending = append(rc.pending, i)
				continue
			}
		} else {
			read(rc, i, 0)
		}
		if name == "select" && len(e.Args) == 2 && replies[i].Value.Kind == KindStatus {
			if n, err := strconv.Atoi(e.Args[1]); err == nil {
				rc.db = n
			}
		}
	}
	for _, rc := range order {
		drain(rc)
	}
	return replies, nil
}

// Replay plays a MONITOR capture against both servers (each connection
// of the capture gets its own connection, in the capture's order, in the
// capture's database) and reports every reply that differs.
func Replay(cfg *ReplayConfig) (*ReplayReport, error) {
	if cfg.BlockWait <= 0 {
		cfg.BlockWait = 200 * time.Millisecond
	}
	rep := &ReplayReport{Target: cfg.Target.Addr, Reference: cfg.Reference.Addr, Entries: len(cfg.Entries),
		Skipped: map[string]int{}, Commands: map[string]*Counts{}}
	play := make([]bool, len(cfg.Entries))
	for i, e := range cfg.Entries {
		if why := replaySkip(e); why != "" {
			rep.Skipped[why]++
			continue
		}
		play[i] = true
		rep.Replayed++
	}
	var wg sync.WaitGroup
	var ref []Reply
	var refErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		ref, refErr = replayOn(cfg.Reference, cfg.Entries, play, cfg.FlushAll, cfg.BlockWait)
	}()
	tgt, tgtErr := replayOn(cfg.Target, cfg.Entries, play, cfg.FlushAll, cfg.BlockWait)
	wg.Wait()
	if tgtErr != nil {
		return nil, fmt.Errorf("target: %v", tgtErr)
	}
	if refErr != nil {
		return nil, fmt.Errorf("reference: %v", refErr)
	}
	for i, e := range cfg.Entries {
		if !play[i] {
			continue
		}
		name := CommandName(e.Args)
		c := rep.Commands[name]
		if c == nil {
			c = &Counts{}
			rep.Commands[name] = c
		}
		if sameFuzz(e.Args, tgt[i], ref[i]) {
			c.Passed++
			continue
		}
		c.Failed++
		rep.Differences = append(rep.Differences, ReplayDiff{Line: e.Line, Client: e.Client, Command: name,
			Args: JoinArgs(e.Args), Target: tgt[i].Lines(), Reference: ref[i].Lines()})
	}
	return rep, nil
}

// WriteText writes the replay outcome; at most maxDiffs differences are
// shown in full.
func (r *ReplayReport) WriteText(w io.Writer, maxDiffs int) {
	for i, d := range r.Differences {
		if maxDiffs > 0 && i >= maxDiffs {
			fmt.Fprintf(w, "... %d more differences\n\n", len(r.Differences)-maxDiffs)
			break
		}
		fmt.Fprintf(w, "DIFF capture line %d (client %s)\n  > %s\n", d.Line, d.Client, d.Args)
		fmt.Fprint(w, SideBySide("reference", d.Reference, "target", d.Target, "  "))
		fmt.Fprintln(w)
	}
	writeCounts(w, "command (same/differing replies)", r.Commands)
	if len(r.Skipped) > 0 {
		fmt.Fprintln(w)
		var keys []string
		for k := range r.Skipped {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "not replayed: %d (%s)\n", r.Skipped[k], k)
		}
	}
	fmt.Fprintf(w, "\nreplay %s vs reference %s: %d commands in capture, %d replayed, %d differing replies\n",
		r.Target, r.Reference, r.Entries, r.Replayed, len(r.Differences))
}
