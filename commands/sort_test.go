package commands_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// SORT and SORT_RO are checked against a real redis-server 7.0: the same
// command sequences go to both servers over raw connections and the reply
// bytes must be identical.

// sortRedis starts redis-server on a free loopback port and returns its
// address, or skips loudly when it is not installed.
func sortRedis(t *testing.T) string {
	t.Helper()
	return dumpRealRedis(t).Options().Addr
}

// respNode is one reply: its exact bytes and, for aggregates, its parts.
type respNode struct {
	raw  []byte
	kids []respNode
}

// respConn sends commands and reads whole replies as bytes.
type respConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialResp(t *testing.T, addr string) *respConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &respConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *respConn) do(args ...string) respNode {
	rc.t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	require.NoError(rc.t, rc.c.SetDeadline(time.Now().Add(10*time.Second)))
	_, err := rc.c.Write(b.Bytes())
	require.NoError(rc.t, err)
	n, err := readResp(rc.br)
	require.NoError(rc.t, err, "reading the reply to %q", args)
	return n
}

func readResp(br *bufio.Reader) (respNode, error) {
	line, err := br.ReadBytes('\n')
	if err != nil {
		return respNode{}, err
	}
	n := respNode{raw: line}
	if len(line) < 3 {
		return n, fmt.Errorf("short line %q", line)
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '$', '=', '!':
		size, _ := strconv.Atoi(body)
		if size >= 0 {
			buf := make([]byte, size+2)
			if _, err := io.ReadFull(br, buf); err != nil {
				return n, err
			}
			n.raw = append(n.raw, buf...)
		}
	case '*', '~', '>', '%':
		cnt, _ := strconv.Atoi(body)
		if line[0] == '%' {
			cnt *= 2
		}
		for i := 0; i < cnt; i++ {
			k, err := readResp(br)
			if err != nil {
				return n, err
			}
			n.kids = append(n.kids, k)
			n.raw = append(n.raw, k.raw...)
		}
	}
	return n, nil
}

// sortPair is a Shale and a Redis connection fed the same commands.
type sortPair struct {
	t            *testing.T
	shale, redis *respConn
}

func newSortPair(t *testing.T) *sortPair {
	s := servertest.Start(t)
	return &sortPair{t: t, shale: dialResp(t, s.Addr), redis: dialResp(t, sortRedis(t))}
}

// same runs args on both servers and requires identical reply bytes.
func (p *sortPair) same(args ...string) respNode {
	p.t.Helper()
	want := p.redis.do(args...)
	got := p.shale.do(args...)
	require.Equal(p.t, string(want.raw), string(got.raw), "reply to %q", args)
	return got
}

// sameUnordered compares replies made of groups of size elements as
// multisets of groups (SORT of a hash-table set where Redis's own order
// shows through).
func (p *sortPair) sameUnordered(size int, args ...string) {
	p.t.Helper()
	want := p.redis.do(args...)
	got := p.shale.do(args...)
	if len(want.kids) == 0 || len(got.kids) == 0 || want.raw[0] != '*' {
		require.Equal(p.t, string(want.raw), string(got.raw), "reply to %q", args)
		return
	}
	groups := func(n respNode) []string {
		var out []string
		for i := 0; i+size <= len(n.kids); i += size {
			var b []byte
			for _, k := range n.kids[i : i+size] {
				b = append(b, k.raw...)
			}
			out = append(out, string(b))
		}
		slices.Sort(out)
		return out
	}
	require.Equal(p.t, string(want.raw[:bytes.IndexByte(want.raw, '\n')]), string(got.raw[:bytes.IndexByte(got.raw, '\n')]), "reply to %q", args)
	require.Equal(p.t, groups(want), groups(got), "reply to %q (compared unordered)", args)
}

// sortWords are non-numeric elements: byte order, case, high bytes.
var sortWords = []string{"a", "b", "ab", "B", "Z", "aa", "\xff", "\xc3\xa9", "x y", "-", "10a", "ba"}

// sortNums are elements that are numbers as SORT reads them (strtod).
var sortNums = []string{"0", "1", "2", "3", "-1", "-7", "10", "11", "100", "1.5", "-0.25", "1e2", " 3", "", "0x10", "2.50", "+4", ".5", "-inf", "inf", "9223372036854775807"}

// sortWeights are BY values: ties on purpose, and rarely a word (numeric
// sorting then fails).
func sortWeight(r *rand.Rand) string {
	if r.IntN(60) == 0 {
		return "w"
	}
	return []string{"1", "2", "3", "3", "-1", "0.5", "10", "", "7"}[r.IntN(9)]
}

func pickStr(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// TestSortMatchesRedis drives a randomized mix of SORT/SORT_RO calls over
// lists, intsets, hash-table sets and sorted sets, numbers and words, with
// BY/GET patterns over strings and hashes, LIMIT edge values, ALPHA, DESC,
// STORE and malformed calls, in RESP2 and RESP3. SORT_SEED=n replays
// another seed.
func TestSortMatchesRedis(t *testing.T) {
	p := newSortPair(t)
	seed := uint64(7)
	if s, err := strconv.ParseUint(os.Getenv("SORT_SEED"), 10, 64); err == nil {
		seed = s
	}
	r := rand.New(rand.NewPCG(seed, 2026))
	queries, unordered, stores := 0, 0, 0
	for round := 0; round < 80; round++ {
		p.same("FLUSHALL")
		proto := "2"
		if round%4 == 3 {
			proto = "3"
		}
		p.redis.do("HELLO", proto)
		p.shale.do("HELLO", proto)

		words := r.IntN(2) == 0
		pool := sortNums
		if words {
			pool = sortWords
		}
		var elems []string
		// The list: duplicates, and NULs (lists only: strcoll stops at
		// them, so two such elements tie and keep their order).
		ln := r.IntN(26)
		if r.IntN(10) == 0 {
			ln = 100 + r.IntN(100)
		}
		if ln > 0 {
			args := []string{"RPUSH", "l"}
			for i := 0; i < ln; i++ {
				e := pickStr(r, pool)
				if r.IntN(8) == 0 {
					e = strconv.Itoa(r.IntN(300) - 150)
				}
				if words && r.IntN(15) == 0 {
					e = "a\x00" + strconv.Itoa(r.IntN(3))
				}
				args = append(args, e)
				elems = append(elems, e)
			}
			p.same(args...)
		}
		// An intset: its own order is numeric in both servers.
		args := []string{"SADD", "si"}
		for i := 0; i < 1+r.IntN(15); i++ {
			e := strconv.Itoa(r.IntN(100) - 50)
			args = append(args, e)
			elems = append(elems, e)
		}
		p.same(args...)
		// A hash-table set (its own order is Redis's dict order).
		args = []string{"SADD", "ss"}
		for i := 0; i < 1+r.IntN(12); i++ {
			e := pickStr(r, pool)
			args = append(args, e)
			elems = append(elems, e)
		}
		p.same(args...)
		// A sorted set, with score ties.
		args = []string{"ZADD", "z"}
		for i := 0; i < 1+r.IntN(15); i++ {
			e := pickStr(r, pool)
			if r.IntN(3) == 0 {
				e = strconv.Itoa(r.IntN(40))
			}
			args = append(args, []string{"0", "1", "2", "2.5", "-1", "7"}[r.IntN(6)], e)
			elems = append(elems, e)
		}
		p.same(args...)
		if r.IntN(8) == 0 { // a big one: skiplist in Redis
			args = []string{"ZADD", "z"}
			for i := 0; i < 200; i++ {
				args = append(args, strconv.Itoa(r.IntN(50)), "m"+strconv.Itoa(i))
			}
			p.same(args...)
		}
		// Weights and projections named after the elements.
		for _, e := range elems {
			if r.IntN(10) < 7 {
				p.same("SET", "w_"+e, sortWeight(r))
			}
			if r.IntN(10) < 6 {
				p.same("HSET", "h_"+e, "f", sortWeight(r), "g", pickStr(r, sortWords))
			}
			if r.IntN(10) == 0 {
				p.same("RPUSH", "n_"+e, "x") // a list where a string is expected
			}
		}
		p.same("SET", "str", "x")
		p.same("HSET", "hh", "f", "v")

		for q := 0; q < 40; q++ {
			queries++
			key := []string{"l", "l", "si", "ss", "z", "z", "nokey", "str", "hh"}[r.IntN(9)]
			ro := r.IntN(4) == 0
			var opts [][]string
			var by string
			hasBy := r.IntN(2) == 0
			if hasBy {
				by = []string{"w_*", "w_*", "h_*->f", "h_*->g", "nosort", "nosort", "nokey_*", "w_*x", "*", "n_*", "const"}[r.IntN(11)]
				opts = append(opts, []string{"BY", by})
			}
			hasLimit := r.IntN(5) < 2
			if hasLimit {
				off := []string{"-2", "-1", "0", "1", "2", "3", "5", "12", "100", strconv.Itoa(ln - 1), strconv.Itoa(ln)}[r.IntN(11)]
				cnt := []string{"-1", "-2", "0", "1", "2", "3", "5", "100", strconv.Itoa(ln)}[r.IntN(9)]
				opts = append(opts, []string{"LIMIT", off, cnt})
			}
			gets := r.IntN(4)
			if r.IntN(2) == 0 {
				gets = 0
			}
			for i := 0; i < gets; i++ {
				opts = append(opts, []string{"GET", []string{"#", "w_*", "h_*->f", "h_*->g", "nokey_*", "const", "h_*", "n_*", "#"}[r.IntN(9)]})
			}
			if r.IntN(2) == 0 {
				opts = append(opts, []string{[]string{"ASC", "DESC", "desc"}[r.IntN(3)]})
			}
			alpha := r.IntN(10) < 4
			if alpha {
				opts = append(opts, []string{"ALPHA"})
			}
			store := ""
			if !ro && r.IntN(4) == 0 {
				store = []string{"dst", "dst", "dst", "l", "si"}[r.IntN(5)]
				opts = append(opts, []string{"STORE", store})
			}
			switch r.IntN(40) {
			case 0:
				opts = append(opts, []string{"foo"})
			case 1:
				opts = append(opts, []string{"LIMIT", "x", "1"})
			case 2:
				opts = append(opts, []string{"BY"})
			}
			r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
			name := "SORT"
			if ro {
				name = "SORT_RO"
			}
			cmd := []string{name, key}
			for _, o := range opts {
				cmd = append(cmd, o...)
			}
			// Where Redis's own order of a hash-table set or a sorted
			// set's dict shows through (no sorting, or ALPHA ties under
			// BY), compare as a multiset, without LIMIT or STORE.
			sh := parseSortShape(cmd)
			open := sh.ok && ((key == "ss" && sh.dontsort && sh.store == "") ||
				((key == "ss" || key == "z") && sh.alpha && sh.by != "" && !sh.dontsort))
			if open {
				unordered++
				var keep []string
				for i := 0; i < len(cmd); i++ {
					switch strings.ToUpper(cmd[i]) {
					case "LIMIT":
						i += 2
						continue
					case "STORE":
						i++
						continue
					}
					keep = append(keep, cmd[i])
				}
				p.sameUnordered(max(1, sh.gets), keep...)
				continue
			}
			reply := p.same(cmd...)
			if store = sh.store; store != "" && reply.raw[0] == ':' {
				stores++
				p.same("LRANGE", store, "0", "-1")
				p.same("EXISTS", store)
				p.same("TYPE", store)
			}
		}
	}
	t.Logf("%d SORT calls identical to redis-server (%d compared unordered, %d STOREs checked)", queries, unordered, stores)
	require.Greater(t, stores, 200)
}

// sortShape is what a SORT call asks for, read as Redis reads it (the
// shuffled options may make BY swallow a keyword).
type sortShape struct {
	ok, dontsort, alpha bool
	by, store           string
	gets                int
}

func parseSortShape(cmd []string) sortShape {
	sh := sortShape{ok: true}
	ro := strings.EqualFold(cmd[0], "SORT_RO")
	for j := 2; j < len(cmd); j++ {
		left := len(cmd) - j - 1
		switch a := strings.ToLower(cmd[j]); {
		case a == "asc", a == "desc":
		case a == "alpha":
			sh.alpha = true
		case a == "limit" && left >= 2:
			if _, err := strconv.ParseInt(cmd[j+1], 10, 64); err != nil {
				sh.ok = false
			}
			if _, err := strconv.ParseInt(cmd[j+2], 10, 64); err != nil {
				sh.ok = false
			}
			j += 2
		case a == "store" && !ro && left >= 1:
			sh.store = cmd[j+1]
			j++
		case a == "by" && left >= 1:
			sh.by = cmd[j+1]
			if !strings.Contains(sh.by, "*") {
				sh.dontsort = true
			}
			j++
		case a == "get" && left >= 1:
			sh.gets++
			j++
		default:
			sh.ok = false
		}
	}
	return sh
}

// TestSortFixedCases pins the corners one by one against Redis.
func TestSortFixedCases(t *testing.T) {
	p := newSortPair(t)
	p.same("RPUSH", "l", "3", "1", "2", "10", "-5", "1.5", "", " 4", "0x10", "-inf")
	for _, c := range [][]string{
		{"SORT", "l"}, {"SORT", "l", "DESC"}, {"SORT", "l", "ALPHA"},
		{"SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807"},
		{"SORT", "l", "LIMIT", "-9223372036854775808", "-9223372036854775808"},
		{"SORT", "l", "LIMIT", "1", "9223372036854775808"},
		{"SORT", "l", "LIMIT", "01", "1"},
		{"SORT", "l", "LIMIT", "1"},
		{"SORT", "l", "BY"},
		{"SORT", "l", "STORE"},
		{"SORT_RO", "l", "STORE", "d"},
		{"SORT", "l", "GET"},
		{"SORT", "l", "bY", "nosort", "dEsC", "lImIt", "1", "3"},
		{"SORT", "l", "BY", "nosort", "BY", "w_*"},
		{"SORT", "l", "GET", "#\x00x"},
		{"SORT", "l", "GET", "w_\x00*"},
		{"SORT", "l", "BY", "w_\x00*"},
	} {
		p.same(c...)
	}
	// strtod: NUL ends the number, trailing junk and NaN do not parse,
	// out-of-range values fail (ERANGE). An INCRBYFLOAT after each ERANGE
	// resets errno in Redis, which SORT itself never clears.
	for _, v := range [][]string{{"1\x00junk", "2"}, {"1 "}, {"nan"}, {"  "}, {"1e400"}, {"1e-310"}, {"1_0"}, {"0x"}, {"\x00"}, {"infinity", "-INF"}} {
		p.same("DEL", "n")
		p.same(append([]string{"RPUSH", "n"}, v...)...)
		p.same("SORT", "n")
		p.same("INCRBYFLOAT", "errno-reset", "1")
	}
	// Patterns: the first '*' only, "->" after it, an empty field name,
	// NUL-terminated as C sees them.
	p.same("DEL", "l")
	p.same("RPUSH", "l", "2", "1", "3")
	p.same("MSET", "w_1->", "5", "w_2->", "1", "w_3", "x", "a1b*c", "q", "w_1\x00", "7")
	p.same("HSET", "x->1", "f", "3")
	p.same("HSET", "x->2", "f", "1")
	for _, c := range [][]string{
		{"SORT", "l", "BY", "w_*->", "GET", "w_*->"},
		{"SORT", "l", "GET", "a*b*c"},
		{"SORT", "l", "BY", "x->*->f", "GET", "x->*->f", "GET", "#"},
		{"SORT", "l", "GET", "w_*\x00"},
		{"SORT", "l", "BY", "*->f*"},
		{"SORT", "l", "GET", "w_*"},
	} {
		p.same(c...)
	}
	// STORE: over another type and a TTL, onto the source, empty results
	// delete, the last STORE wins.
	p.same("SET", "d", "x", "EX", "100")
	p.same("SORT", "l", "STORE", "d")
	p.same("TTL", "d")
	p.same("LRANGE", "d", "0", "-1")
	p.same("SORT", "l", "DESC", "STORE", "l")
	p.same("LRANGE", "l", "0", "-1")
	p.same("SORT", "l", "LIMIT", "3", "1", "STORE", "d")
	p.same("EXISTS", "d")
	p.same("SORT", "l", "STORE", "a", "STORE", "b")
	p.same("EXISTS", "a", "b")
	p.same("SORT", "l", "GET", "nokey_*", "GET", "#", "STORE", "d")
	p.same("LRANGE", "d", "0", "-1")
	p.same("OBJECT", "ENCODING", "d")
	// A sorted set SORT reads becomes a skiplist for good (SORT_RO and
	// failed sorts included), unless the call is refused first.
	p.same("ZADD", "z", "1", "a", "2", "b")
	p.same("SORT", "z", "foo")
	p.same("OBJECT", "ENCODING", "z")
	p.same("SORT_RO", "z")
	p.same("OBJECT", "ENCODING", "z")
	p.same("ZADD", "z2", "1", "a")
	p.same("SORT_RO", "z2", "BY", "nosort")
	p.same("OBJECT", "ENCODING", "z2")
	p.same("ZADD", "z2", "2", "b")
	p.same("OBJECT", "ENCODING", "z2")
	p.same("ZADD", "z3", "1", "a")
	p.same("EXPIRE", "z3", "100")
	p.same("SORT", "z3", "ALPHA", "BY", "w_*", "GET", "#", "STORE", "x")
	p.same("OBJECT", "ENCODING", "z3")
	p.same("TTL", "z3")
	p.same("ZRANGE", "z3", "0", "-1", "WITHSCORES")
}

// TestSortScriptsAndMulti: in a script a set sorted BY a constant comes
// out sorted (ALPHA) as with STORE; inside MULTI it does not.
func TestSortScriptsAndMulti(t *testing.T) {
	p := newSortPair(t)
	p.same("SADD", "si", "30", "10", "20")
	p.same("SADD", "ss", "c", "a", "b", "10", "9")
	p.same("RPUSH", "l", "2", "1")
	for _, c := range [][]string{
		{"EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort')", "1", "ss"},
		{"EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'DESC', 'LIMIT', 1, 2)", "1", "ss"},
		{"EVAL", "return redis.call('SORT_RO', KEYS[1], 'BY', 'const', 'GET', '#')", "1", "ss"},
		{"EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'DESC')", "1", "si"},
		{"EVAL", "return redis.call('SORT', KEYS[1], 'STORE', KEYS[2])", "2", "l", "d"},
		{"EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'STORE', KEYS[2])", "2", "ss", "d2"},
		{"LRANGE", "d2", "0", "-1"},
		{"EVAL", "return redis.pcall('SORT', KEYS[1])", "1", "ss"},
		{"EVAL", "return redis.pcall('SORT', KEYS[1], 'LIMIT', 'x', 1)", "1", "l"},
		{"EVAL_RO", "return redis.call('SORT', KEYS[1])", "1", "l"},
		{"EVAL_RO", "return redis.call('SORT_RO', KEYS[1], 'ALPHA')", "1", "ss"},
		{"MULTI"},
		{"SORT", "l"},
		{"SORT", "si", "BY", "nosort", "DESC"},
		{"SORT", "ss", "BY", "nosort", "STORE", "d3"},
		{"SORT", "l", "LIMIT", "x", "1"},
		{"SORT_RO", "l", "STORE", "x"},
		{"EXEC"},
		{"LRANGE", "d3", "0", "-1"},
	} {
		p.same(c...)
	}
	// Queued SORT with a syntax error still queues (errors come at EXEC).
	p.same("MULTI")
	p.same("SORT", "l", "foo")
	p.same("EXEC")
}

// TestSortCommandTable: COMMAND INFO and COMMAND GETKEYS(ANDFLAGS) exactly
// as Redis reports them.
func TestSortCommandTable(t *testing.T) {
	p := newSortPair(t)
	p.same("COMMAND", "INFO", "SORT", "SORT_RO")
	for _, c := range [][]string{
		{"SORT", "k"},
		{"SORT", "k", "STORE", "d"},
		{"SORT", "k", "STORE", "d", "STORE", "e"},
		{"SORT", "k", "LIMIT", "STORE", "x", "1", "STORE", "d"},
		{"SORT", "k", "BY", "store", "store", "d"},
		{"SORT", "k", "GET", "store"},
		{"SORT", "k", "STORE"},
		{"SORT", "k", "foo", "STORE", "d"},
		{"SORT", "k", "STORE", "store", "DESC"},
		{"SORT", "k", "STORE", "k"},
		{"SORT_RO", "k", "STORE", "d"},
		{"SORT_RO", "k", "BY", "w_*"},
	} {
		p.same(append([]string{"COMMAND", "GETKEYS"}, c...)...)
		p.same(append([]string{"COMMAND", "GETKEYSANDFLAGS"}, c...)...)
	}
}

// TestSortKeyspaceEvents: STORE raises "sortstore" (or "del" when the
// result is empty and the destination existed), as Redis does.
func TestSortKeyspaceEvents(t *testing.T) {
	s := servertest.Start(t)
	shale := s.Client()
	ref := redis.NewClient(&redis.Options{Addr: sortRedis(t), Protocol: 2, DisableIdentity: true})
	defer ref.Close()
	ctx := context.Background()
	events := func(c *redis.Client) []string {
		require.NoError(t, c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err())
		sub := c.PSubscribe(ctx, "__key*__:*")
		defer sub.Close()
		_, err := sub.Receive(ctx)
		require.NoError(t, err)
		for _, cmd := range [][]any{
			{"RPUSH", "l", "2", "1"},
			{"SORT", "l", "STORE", "d"},
			{"SORT", "nokey", "STORE", "d"},
			{"SORT", "nokey", "STORE", "d"},
			{"SORT", "l", "STORE", "l"},
			{"SORT", "l", "LIMIT", "5", "5", "STORE", "l"},
			{"SORT", "l", "STORE", "l"},
			{"SET", "done", "1"},
		} {
			require.NoError(t, c.Do(ctx, cmd...).Err())
		}
		var got []string
		for {
			m, err := sub.ReceiveMessage(ctx)
			require.NoError(t, err)
			got = append(got, m.Channel+" "+m.Payload)
			if m.Channel == "__keyevent@0__:set" {
				return got
			}
		}
	}
	want := events(ref)
	got := events(shale)
	require.Equal(t, want, got)
	require.Contains(t, got, "__keyevent@0__:sortstore d")
	require.Contains(t, got, "__keyevent@0__:del d")
}

// TestSortStoreTouchesWatch: SORT ... STORE modifies the destination, so a
// transaction watching it fails; the encoding change of a sorted set does
// not.
func TestSortStoreTouchesWatch(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	a, b := s.Client(), s.Client()
	require.NoError(t, a.RPush(ctx, "l", 2, 1).Err())
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		require.NoError(t, b.Do(ctx, "SORT", "l", "STORE", "d").Err())
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "x", "1", 0)
			return nil
		})
		return err
	}, "d")
	require.ErrorIs(t, err, redis.TxFailedErr)
	require.Equal(t, []string{"1", "2"}, a.LRange(ctx, "d", 0, -1).Val())

	// Converting a sorted set's encoding is not a modification: a
	// transaction watching it still runs (as in Redis).
	require.NoError(t, a.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "m"}).Err())
	require.Equal(t, "listpack", a.ObjectEncoding(ctx, "z").Val())
	err = a.Watch(ctx, func(tx *redis.Tx) error {
		require.NoError(t, b.Do(ctx, "SORT_RO", "z", "ALPHA").Err())
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "x", "1", 0)
			return nil
		})
		return err
	}, "z")
	require.NoError(t, err)
	require.Equal(t, "skiplist", a.ObjectEncoding(ctx, "z").Val())
}

// TestSortPatternsAreAtomic: a SORT whose BY/GET patterns read other keys
// runs under the world lock, so it never sees half of a concurrent
// multi-key write. The writer flips every weight (and every label) in one
// MSET between "ascending" and "descending"; every SORT must see one whole
// state, never a mix.
func TestSortPatternsAreAtomic(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	w := s.ClientWith(&redis.Options{PoolSize: 2})
	const n = 40
	var elems []any
	asc := make([]string, n)
	for i := 0; i < n; i++ {
		elems = append(elems, strconv.Itoa(i))
		asc[i] = strconv.Itoa(i)
	}
	desc := slices.Clone(asc)
	slices.Reverse(desc)
	require.NoError(t, w.RPush(ctx, "l", elems...).Err())
	state := func(up bool) []any {
		var kv []any
		for i := 0; i < n; i++ {
			v, label := i, "up"
			if !up {
				v, label = -i, "down"
			}
			kv = append(kv, "w_"+strconv.Itoa(i), v, "lab_"+strconv.Itoa(i), label)
		}
		return kv
	}
	require.NoError(t, w.MSet(ctx, state(true)...).Err())
	var stop atomic.Bool
	var wg sync.WaitGroup
	var flips atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for up := false; !stop.Load(); up = !up {
			if err := w.MSet(ctx, state(up)...).Err(); err != nil {
				t.Error(err)
				return
			}
			flips.Add(1)
		}
	}()
	readers := s.ClientWith(&redis.Options{PoolSize: 4})
	var checked atomic.Int64
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				args := []any{"SORT", "l", "BY", "w_*", "GET", "#", "GET", "lab_*"}
				if g == 1 {
					args = append(args, "STORE", "out"+strconv.Itoa(g))
				}
				if g == 2 {
					args[0] = "SORT_RO"
				}
				res, err := readers.Do(ctx, args...).Result()
				if err != nil {
					t.Error(err)
					return
				}
				var got []string
				if g == 1 {
					got, err = readers.LRange(ctx, "out1", 0, -1).Result()
					if err != nil {
						t.Error(err)
						return
					}
				} else {
					for _, v := range res.([]any) {
						got = append(got, v.(string))
					}
				}
				var order []string
				labels := map[string]bool{}
				for j := 0; j+1 < len(got); j += 2 {
					order = append(order, got[j])
					labels[got[j+1]] = true
				}
				if len(labels) != 1 {
					t.Errorf("SORT saw a half-applied MSET: labels %v", labels)
					return
				}
				want := asc
				if labels["down"] {
					want = desc
				}
				if !slices.Equal(order, want) {
					t.Errorf("SORT order %v does not match its labels %v", order, labels)
					return
				}
				checked.Add(1)
			}
		}(g)
	}
	time.Sleep(10 * time.Millisecond)
	for checked.Load() < 450 && !t.Failed() {
		time.Sleep(5 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	require.EqualValues(t, 450, checked.Load())
	require.Greater(t, flips.Load(), int64(10), "the writer barely ran")
	t.Logf("%d SORTs against %d concurrent flips, all consistent", checked.Load(), flips.Load())
}

// TestSortKeyspaceStats: the sorted key and every pattern key SORT looks
// up count in keyspace_hits/misses as Redis's lookupKeyRead counts them.
func TestSortKeyspaceStats(t *testing.T) {
	p := newSortPair(t)
	p.same("RPUSH", "l", "1", "2", "3")
	p.same("SET", "w_1", "5")
	p.same("HSET", "h_2", "f", "1")
	p.same("RPUSH", "w_3", "x")
	stats := func(rc *respConn) (hits, misses int64) {
		info := string(rc.do("INFO", "stats").raw)
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "keyspace_hits:"); ok {
				hits, _ = strconv.ParseInt(v, 10, 64)
			}
			if v, ok := strings.CutPrefix(line, "keyspace_misses:"); ok {
				misses, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		return
	}
	rh0, rm0 := stats(p.redis)
	sh0, sm0 := stats(p.shale)
	for _, c := range [][]string{
		{"SORT", "l"},
		{"SORT", "nokey"},
		{"SORT", "l", "BY", "w_*"},
		{"SORT", "l", "BY", "nosort", "GET", "#", "GET", "h_*->f", "GET", "const"},
		{"SORT", "l", "BY", "w_*", "STORE", "d"},
		{"SORT_RO", "l", "LIMIT", "0", "1", "GET", "w_*"},
	} {
		p.same(c...)
	}
	rh1, rm1 := stats(p.redis)
	sh1, sm1 := stats(p.shale)
	require.Equal(t, rh1-rh0, sh1-sh0, "keyspace_hits")
	require.Equal(t, rm1-rm0, sm1-sm0, "keyspace_misses")
	require.Positive(t, sh1-sh0)
	require.Positive(t, sm1-sm0)
}

// TestSortPartialTies: BY with LIMIT uses Redis's partial quicksort, so
// the order of ties (equal or missing BY values) depends on its exact
// pivots and swaps; long lists reach its median-of-nine path.
func TestSortPartialTies(t *testing.T) {
	p := newSortPair(t)
	r := rand.New(rand.NewPCG(3, 14))
	for round := 0; round < 30; round++ {
		p.same("FLUSHALL")
		n := []int{7, 8, 9, 40, 41, 42, 100, 333}[r.IntN(8)]
		args := []string{"RPUSH", "l"}
		for i := 0; i < n; i++ {
			e := strconv.Itoa(i)
			args = append(args, e)
			switch r.IntN(4) {
			case 0: // missing: ties first
			case 1:
				p.same("SET", "w_"+e, "a")
			default:
				p.same("SET", "w_"+e, []string{"b", "c", "1", "2"}[r.IntN(4)])
			}
		}
		p.same(args...)
		for q := 0; q < 20; q++ {
			off := r.IntN(n + 2)
			cnt := 1 + r.IntN(n)
			cmd := []string{"SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", strconv.Itoa(off), strconv.Itoa(cnt)}
			if r.IntN(2) == 0 {
				cmd = append(cmd, "DESC")
			}
			if r.IntN(3) == 0 {
				cmd = append(cmd, "STORE", "d")
				p.same(cmd...)
				p.same("LRANGE", "d", "0", "-1")
				continue
			}
			p.same(cmd...)
		}
	}
}
