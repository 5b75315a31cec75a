package conformance_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shaledb/shale/conformance"
	"github.com/shaledb/shale/conformance/fakeredis"
	"github.com/stretchr/testify/require"
)

func TestParseMonitorLine(t *testing.T) {
	e, ok, err := conformance.ParseMonitorLine(`1700000000.123456 [0 127.0.0.1:5555] "SET" "k" "v\x00\"q\"\n"`)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []string{"SET", "k", "v\x00\"q\"\n"}, e.Args)
	require.Equal(t, 0, e.DB)
	require.Equal(t, "127.0.0.1:5555", e.Client)
	require.Equal(t, "1700000000.123456", e.Time)

	e, ok, err = conformance.ParseMonitorLine(`1700000001.000001 [3 [::1]:40000] "get" "a b"`)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, 3, e.DB)
	require.Equal(t, "[::1]:40000", e.Client)
	require.Equal(t, []string{"get", "a b"}, e.Args)

	e, ok, err = conformance.ParseMonitorLine(`1700000001.000001 [0 lua] "incr" "x"`)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "lua", e.Client)

	e, ok, err = conformance.ParseMonitorLine(`+1700000001.5 [1 unix:/tmp/redis.sock] "PING"`)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "unix:/tmp/redis.sock", e.Client)
	require.Equal(t, []string{"PING"}, e.Args)

	for _, l := range []string{"OK", "", "   "} {
		_, ok, err := conformance.ParseMonitorLine(l)
		require.NoError(t, err)
		require.False(t, ok)
	}
	for _, l := range []string{"garbage", `1.5 [0 x] SET`, `abc [0 c:1] "SET"`, `1.5 [x c:1] "SET"`, `1.5 [0 c:1] "SET" "unterminated`} {
		_, _, err := conformance.ParseMonitorLine(l)
		require.Error(t, err, l)
	}

	entries, warns, err := conformance.ParseMonitor(strings.NewReader("OK\n1.1 [0 a:1] \"SET\" \"k\" \"v\"\ncut off li\n1.2 [0 a:1] \"GET\" \"k\"\n"))
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.Len(t, warns, 1)
	require.Equal(t, 4, entries[1].Line)
}

// TestReplayFakes replays a hand-written capture on two fakes.
func TestReplayFakes(t *testing.T) {
	capture := `OK
1700000000.000001 [0 127.0.0.1:1000] "SET" "k" "hello"
1700000000.000002 [0 127.0.0.1:2000] "APPEND" "k" "\x00\xff"
1700000000.000003 [0 127.0.0.1:1000] "STRLEN" "k"
1700000000.000004 [0 lua] "SET" "fromscript" "1"
1700000000.000005 [0 127.0.0.1:1000] "SELECT" "1"
1700000000.000006 [1 127.0.0.1:1000] "GET" "k"
1700000000.000007 [0 127.0.0.1:2000] "GET" "k"
1700000000.000008 [0 127.0.0.1:2000] "AUTH" "(redacted)"
1700000000.000009 [1 127.0.0.1:1000] "INCR" "n"
`
	entries, warns, err := conformance.ParseMonitor(strings.NewReader(capture))
	require.NoError(t, err)
	require.Empty(t, warns)
	require.Len(t, entries, 9)

	a := fakeredis.Start(t, nil)
	b := fakeredis.Start(t, nil)
	rep, err := conformance.Replay(&conformance.ReplayConfig{Target: &conformance.Target{Addr: a.Addr}, Reference: &conformance.Target{Addr: b.Addr}, Entries: entries, FlushAll: true})
	require.NoError(t, err)
	require.Empty(t, rep.Differences)
	require.Equal(t, 7, rep.Replayed)
	require.Equal(t, 2, rep.Commands["get"].Passed)

	// The replies really came from the right database: GET k in db 1 is
	// nil, in db 0 it is the appended value. A fake that breaks STRLEN
	// shows exactly one difference.
	bad := fakeredis.Start(t, strlenBug)
	rep, err = conformance.Replay(&conformance.ReplayConfig{Target: &conformance.Target{Addr: bad.Addr}, Reference: &conformance.Target{Addr: b.Addr}, Entries: entries, FlushAll: true})
	require.NoError(t, err)
	require.Len(t, rep.Differences, 1)
	d := rep.Differences[0]
	require.Equal(t, "strlen", d.Command)
	require.Equal(t, 4, d.Line)
	require.Equal(t, []string{":7"}, d.Reference)
	require.Equal(t, []string{":8"}, d.Target)
	var sb strings.Builder
	rep.WriteText(&sb, 10)
	require.Contains(t, sb.String(), "> STRLEN k")
	require.Contains(t, sb.String(), "1 differing replies")
}

// workload drives a Redis with mixed commands on several connections.
func workload(t *testing.T, addr string, n int) int {
	t.Helper()
	r := rand.New(rand.NewSource(42))
	var conns []*conformance.Conn
	for i := 0; i < 3; i++ {
		c, err := conformance.Dial(addr)
		require.NoError(t, err)
		defer c.Close()
		conns = append(conns, c)
	}
	keys := []string{"a", "b", "c", "n", "s", "h", "l"}
	vals := []string{"v", "hello world", "10", "\x00\xff\"\n", "", "-5", "3.5"}
	k := func() string { return keys[r.Intn(len(keys))] }
	v := func() string { return vals[r.Intn(len(vals))] }
	gens := []func() []string{
		func() []string { return []string{"SET", k(), v()} },
		func() []string { return []string{"GET", k()} },
		func() []string { return []string{"INCR", k()} },
		func() []string { return []string{"APPEND", k(), v()} },
		func() []string { return []string{"STRLEN", k()} },
		func() []string { return []string{"DEL", k(), k()} },
		func() []string { return []string{"EXISTS", k(), k()} },
		func() []string { return []string{"MSET", k(), v(), k(), v()} },
		func() []string { return []string{"MGET", k(), k(), k()} },
		func() []string { return []string{"EXPIRE", k(), "100"} },
		func() []string { return []string{"TTL", k()} },
		func() []string { return []string{"SADD", "s", v(), v()} },
		func() []string { return []string{"SMEMBERS", "s"} },
		func() []string { return []string{"HSET", "h", k(), v()} },
		func() []string { return []string{"HGETALL", "h"} },
		func() []string { return []string{"RPUSH", "l", v()} },
		func() []string { return []string{"LRANGE", "l", "0", "-1"} },
		func() []string { return []string{"KEYS", "*"} },
		func() []string { return []string{"SELECT", fmt.Sprint(r.Intn(2))} },
		func() []string { return []string{"TIME"} },
		func() []string { return []string{"RANDOMKEY"} },
		func() []string { return []string{"GETRANGE", k(), "0", "-1"} },
		func() []string { return []string{"INCRBYFLOAT", k(), "1.5"} },
		func() []string { return []string{"NOSUCHCMD", k()} },
	}
	sent := 0
	for i := 0; i < n; i++ {
		c := conns[r.Intn(len(conns))]
		if r.Intn(50) == 0 {
			for _, cmd := range [][]string{{"MULTI"}, {"INCR", "n"}, {"SET", "m", v()}, {"EXEC"}} {
				_, err := c.Do(cmd...)
				require.NoError(t, err)
				sent++
			}
			continue
		}
		_, err := c.Do(gens[r.Intn(len(gens))]()...)
		require.NoError(t, err)
		sent++
	}
	return sent
}

// captureMonitor records a workload with `redis-cli MONITOR` when
// redis-cli is installed (exactly what a user would do), else with a raw
// MONITOR connection printing the same lines.
func captureMonitor(t *testing.T, addr string, n int) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	path := filepath.Join(t.TempDir(), "capture.txt")
	if cli, err := exec.LookPath("redis-cli"); err == nil {
		out, err := os.Create(path)
		require.NoError(t, err)
		cmd := exec.Command(cli, "-h", host, "-p", port, "MONITOR")
		cmd.Stdout = out
		setDeathSig(cmd)
		require.NoError(t, cmd.Start())
		// Wait until the monitor is attached (it prints OK).
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			b, _ := os.ReadFile(path)
			if bytes.HasPrefix(b, []byte("OK")) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		workload(t, addr, n)
		time.Sleep(300 * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out.Close()
	} else {
		mon, err := conformance.Dial(addr)
		require.NoError(t, err)
		v, err := mon.Do("MONITOR")
		require.NoError(t, err)
		require.Equal(t, "OK", v.Str)
		sent := workload(t, addr, n)
		var sb strings.Builder
		sb.WriteString("OK\n")
		for i := 0; i < sent; i++ {
			v, err := mon.Receive()
			require.NoError(t, err)
			sb.WriteString(v.Str + "\n")
		}
		mon.Close()
		require.NoError(t, os.WriteFile(path, []byte(sb.String()), 0o644))
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// TestReplayRealCapture records a few thousand mixed commands from a real
// Redis with MONITOR and replays them on two fresh servers: zero
// differences between two Redis servers, and the broken STRLEN of a proxy
// is reported.
func TestReplayRealCapture(t *testing.T) {
	src := startRedis(t)
	capture := captureMonitor(t, src, 3000)
	entries, warns, err := conformance.ParseMonitor(strings.NewReader(capture))
	require.NoError(t, err)
	require.Empty(t, warns)
	require.Greater(t, len(entries), 2900)

	a := startRedis(t)
	b := startRedis(t)
	rep, err := conformance.Replay(&conformance.ReplayConfig{Target: &conformance.Target{Addr: a}, Reference: &conformance.Target{Addr: b}, Entries: entries, FlushAll: true})
	require.NoError(t, err)
	var sb strings.Builder
	rep.WriteText(&sb, 5)
	require.Empty(t, rep.Differences, sb.String())
	require.Greater(t, rep.Replayed, 2900)

	proxy := fakeredis.Proxy(t, a, strlenBug)
	rep, err = conformance.Replay(&conformance.ReplayConfig{Target: &conformance.Target{Addr: proxy.Addr}, Reference: &conformance.Target{Addr: b}, Entries: entries, FlushAll: true})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Differences)
	for _, d := range rep.Differences {
		require.Equal(t, "strlen", d.Command)
	}
	require.Greater(t, rep.Commands["strlen"].Failed, 0)
}
