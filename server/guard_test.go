package server

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/shaledb/shale/config"
	"github.com/stretchr/testify/require"
)

const testMaxBulk = 1 << 20 // proto-max-bulk-len in these tests (its minimum)

func newGuard(t testing.TB, authenticated bool) *guardConn {
	t.Helper()
	cfg := config.New()
	require.NoError(t, cfg.Set("proto-max-bulk-len", strconv.Itoa(testMaxBulk)))
	g := &guardConn{srv: New(cfg, nil, nil, log.New(io.Discard, "", 0))}
	if !authenticated {
		g.client.Store(&Client{Authenticated: false})
	}
	return g
}

// feedChunks runs data through a fresh guard in the given chunk sizes, the
// way Read sees it. It returns how many bytes were handed on to redcon and
// the protocol error, if any.
func feedChunks(g *guardConn, data []byte, chunks []int) (int, string) {
	accepted := 0
	for len(data) > 0 {
		n := len(data)
		if len(chunks) > 0 {
			n = min(chunks[0], n)
			chunks = chunks[1:]
		}
		chunk := append([]byte(nil), data[:n]...) // feed edits in place
		ok, end, msg, _ := g.feed(chunk)
		if ok < 0 || ok > end || end > n {
			panic(fmt.Sprintf("feed returned %d/%d for %d bytes", ok, end, n))
		}
		if msg == "" {
			ok = n // empty commands may have been cut out: all consumed
		} else {
			ok += n - end // bytes cut out before the offending frame
		}
		accepted += ok
		if msg != "" {
			return accepted, msg
		}
		data = data[n:]
	}
	return accepted, ""
}

func randomChunks(r *rand.Rand, total int) []int {
	var out []int
	for total > 0 {
		n := 1 + r.Intn(min(total, 1+r.Intn(64)))
		if r.Intn(8) == 0 {
			n = total
		}
		out = append(out, n)
		total -= n
	}
	return out
}

// strictLine returns the content of the CRLF-terminated line at data[i:]
// and the index after it; ok is false when the line is incomplete or holds
// a stray CR (the checker then stops: redcon rejects such input itself).
func strictLine(data []byte, i int) (line []byte, next int, ok bool) {
	j := bytes.IndexByte(data[i:], '\n')
	if j < 1 || data[i+j-1] != '\r' {
		return nil, 0, false
	}
	line = data[i : i+j-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, 0, false
	}
	return line, i + j + 1, true
}

// strictInt parses [-]digits. huge reports a value too long for int64
// arithmetic (more than 18 digits), which is over every limit.
func strictInt(b []byte) (n int64, huge, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false, false
		}
	}
	if len(b) > 18 {
		return 0, true, true
	}
	n, _ = strconv.ParseInt(string(b), 10, 64)
	if neg {
		n = -n
	}
	return n, false, true
}

// limitViolation is an independent, deliberately simple parse of the bytes
// the guard let through: it reports any frame header that breaks a limit
// (bulk length over proto-max-bulk-len or negative, multibulk count over
// INT_MAX, the unauthenticated limits, an inline line over 64 KB). It stops
// quietly at anything malformed, which redcon refuses on its own.
func limitViolation(data []byte, authenticated bool) string {
	i := 0
	for i < len(data) {
		if data[i] != '*' {
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				if len(data)-i > inlineMax+1 {
					return fmt.Sprintf("inline run of %d bytes at %d", len(data)-i, i)
				}
				return ""
			}
			if j > inlineMax+1 {
				return fmt.Sprintf("inline line of %d bytes at %d", j, i)
			}
			i += j + 1
			continue
		}
		line, next, ok := strictLine(data, i+1)
		if !ok {
			return ""
		}
		n, huge, ok := strictInt(line)
		if !ok {
			return ""
		}
		if huge || n > maxMultibulkCount {
			return fmt.Sprintf("multibulk count %q at %d", line, i)
		}
		if !authenticated && n > unauthMultibulkMax {
			return fmt.Sprintf("unauthenticated multibulk count %d at %d", n, i)
		}
		i = next
		for a := int64(0); a < n; a++ {
			if i >= len(data) || data[i] != '$' {
				return ""
			}
			line, next, ok := strictLine(data, i+1)
			if !ok {
				return ""
			}
			l, huge, ok := strictInt(line)
			if !ok {
				return ""
			}
			if huge || l < 0 || l > testMaxBulk {
				return fmt.Sprintf("bulk length %q at %d", line, i)
			}
			if !authenticated && l > unauthBulkMax {
				return fmt.Sprintf("unauthenticated bulk length %d at %d", l, i)
			}
			i = next + int(l) + 2
			if i > len(data) {
				return ""
			}
		}
	}
	return ""
}

// checkGuard feeds data whole and in random chunks and checks the guard's
// invariants: the error does not depend on chunking, nothing over a limit
// is ever handed on, and without an error everything is handed on.
func checkGuard(t *testing.T, data []byte, seed int64, authenticated bool) {
	t.Helper()
	wholeN, wholeMsg := feedChunks(newGuard(t, authenticated), data, nil)
	r := rand.New(rand.NewSource(seed))
	for round := 0; round < 3; round++ {
		n, msg := wholeN, wholeMsg
		if round > 0 {
			n, msg = feedChunks(newGuard(t, authenticated), data, randomChunks(r, len(data)))
		}
		if msg != wholeMsg {
			t.Fatalf("error depends on chunking: whole %q, chunked %q (data %q)", wholeMsg, msg, trunc(data))
		}
		if msg == "" && n != len(data) {
			t.Fatalf("no error but only %d of %d bytes handed on", n, len(data))
		}
		if msg != "" && n >= len(data) {
			t.Fatalf("error %q but every byte handed on", msg)
		}
		if v := limitViolation(data[:n], authenticated); v != "" {
			t.Fatalf("guard let through %s (msg %q, data %q)", v, msg, trunc(data))
		}
	}
}

func trunc(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// genStream builds RESP-like input: mostly valid commands, with lengths at
// and around the limits, garbage and inline lines mixed in.
func genStream(r *rand.Rand) []byte {
	var b bytes.Buffer
	lengths := []int64{0, 1, 5, unauthBulkMax, unauthBulkMax + 1, testMaxBulk - 1, testMaxBulk, testMaxBulk + 1, -1, 999999999999, 1<<31 - 1, 1 << 31}
	for cmds := 1 + r.Intn(6); cmds > 0; cmds-- {
		switch r.Intn(10) {
		case 0: // inline
			if r.Intn(20) == 0 {
				b.Write(bytes.Repeat([]byte("a"), inlineMax-2+r.Intn(5)))
			} else {
				b.WriteString("PING")
			}
			if r.Intn(4) > 0 {
				b.WriteString("\r\n")
			}
		case 1: // garbage
			g := make([]byte, r.Intn(12))
			r.Read(g)
			b.Write(g)
		case 2: // odd multibulk counts
			fmt.Fprintf(&b, "*%d\r\n", lengths[r.Intn(len(lengths))])
		default:
			n := 1 + r.Intn(12)
			fmt.Fprintf(&b, "*%d\r\n", n)
			for a := 0; a < n; a++ {
				if r.Intn(6) == 0 {
					l := lengths[r.Intn(len(lengths))]
					fmt.Fprintf(&b, "$%d\r\n", l)
					if l >= 0 && l < 100 {
						b.Write(bytes.Repeat([]byte("x"), int(l)))
						b.WriteString("\r\n")
					}
					if r.Intn(2) == 0 {
						return b.Bytes() // a header without its body ends the stream
					}
					continue
				}
				s := strconv.Itoa(r.Intn(1000))
				fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(s), s)
			}
		}
	}
	return b.Bytes()
}

func TestGuardRandomStreams(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	iters := 3000
	if testing.Short() {
		iters = 300
	}
	for i := 0; i < iters; i++ {
		data := genStream(r)
		checkGuard(t, data, int64(i), true)
		checkGuard(t, data, int64(i), false)
	}
}

func TestGuardLimits(t *testing.T) {
	const all = -1
	cases := []struct {
		data  string
		auth  bool
		msg   string
		accep int // bytes handed on (all: every byte)
	}{
		{"*1\r\n$4\r\nPING\r\n", false, "", all},
		{"*1\r\n$999999999999\r\n", true, "invalid bulk length", 0},
		{"PING\r\n*1\r\n$999999999999\r\n", true, "invalid bulk length", 6},
		{"*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\n", true, "invalid bulk length", 14},
		{fmt.Sprintf("*1\r\n$%d\r\n", testMaxBulk+1), true, "invalid bulk length", 0},
		{fmt.Sprintf("*1\r\n$%d\r\n", testMaxBulk), true, "", all},
		{"*1\r\n$1234567890123456789\r\n", true, "invalid bulk length", 0},
		{"*3000000000\r\n", true, "invalid multibulk length", 0},
		{"*2147483647\r\n", true, "", all},
		{"*1234567890123456789\r\n", true, "invalid multibulk length", 0},
		{"*100\r\n", false, "unauthenticated multibulk length", 0},
		{"*10\r\n", false, "", all},
		{"*100\r\n", true, "", all},
		{"*1\r\n$16385\r\n", false, "unauthenticated bulk length", 0},
		{"*1\r\n$16384\r\n", false, "", all},
		{string(bytes.Repeat([]byte("a"), inlineMax+1)), true, "too big inline request", 0},
		{"PING\r\n" + string(bytes.Repeat([]byte("a"), inlineMax)), true, "", all},
	}
	for _, tc := range cases {
		n, msg := feedChunks(newGuard(t, tc.auth), []byte(tc.data), nil)
		require.Equal(t, tc.msg, msg, "%q", trunc([]byte(tc.data)))
		if tc.accep == all {
			tc.accep = len(tc.data)
		}
		require.Equal(t, tc.accep, n, "%q", trunc([]byte(tc.data)))
		// Byte-at-a-time gives the same error.
		ones := make([]int, len(tc.data))
		for i := range ones {
			ones[i] = 1
		}
		_, msg = feedChunks(newGuard(t, tc.auth), []byte(tc.data), ones)
		require.Equal(t, tc.msg, msg, "byte at a time: %q", trunc([]byte(tc.data)))
	}
}

// fakeConn is a net.Conn reading from a buffer and recording writes.
type fakeConn struct {
	net.Conn
	in  *bytes.Reader
	out bytes.Buffer
	max int // bytes per Read
}

func (f *fakeConn) Read(p []byte) (int, error) {
	if f.max > 0 && len(p) > f.max {
		p = p[:f.max]
	}
	return f.in.Read(p)
}
func (f *fakeConn) Write(p []byte) (int, error)      { return f.out.Write(p) }
func (f *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (f *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// TestGuardConnRead checks Read: commands before the bad frame are handed
// on, then Redis's error is written and Read fails.
func TestGuardConnRead(t *testing.T) {
	for _, max := range []int{0, 1, 3, 7} {
		fc := &fakeConn{in: bytes.NewReader([]byte("PING\r\n*1\r\n$999999999999\r\nPING\r\n")), max: max}
		g := newGuard(t, true)
		g.Conn = fc
		var got []byte
		buf := make([]byte, 4096)
		var err error
		for i := 0; i < 100; i++ {
			var n int
			n, err = g.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		require.ErrorIs(t, err, errProtocolLimit, "max %d", max)
		require.True(t, bytes.HasPrefix(got, []byte("PING\r\n")), "max %d: %q", max, got)
		require.NotContains(t, string(got), "999999999999\r\n", "max %d", max)
		require.Equal(t, "-ERR Protocol error: invalid bulk length\r\n", fc.out.String(), "max %d", max)
	}

	fc := &fakeConn{in: bytes.NewReader([]byte("*1\r\n$4\r\nPING\r\n"))}
	g := newGuard(t, true)
	g.Conn = fc
	b, err := io.ReadAll(g)
	require.NoError(t, err)
	require.Equal(t, "*1\r\n$4\r\nPING\r\n", string(b))
	require.Zero(t, fc.out.Len())
}

func FuzzGuard(f *testing.F) {
	f.Add([]byte("*1\r\n$4\r\nPING\r\n"), int64(1), true)
	f.Add([]byte("PING\r\n*1\r\n$999999999999\r\n"), int64(2), true)
	f.Add([]byte("*100\r\n"), int64(3), false)
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$16385\r\n"), int64(4), false)
	f.Add([]byte("*1\r\n$1048577\r\n"), int64(5), true)
	f.Add([]byte("*-1\r\n*0\r\n\n\n*1\r\n$-\r\n"), int64(6), true)
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\r\n"), int64(7), true)
	f.Fuzz(func(t *testing.T, data []byte, seed int64, authenticated bool) {
		checkGuard(t, data, seed, authenticated)
	})
}
