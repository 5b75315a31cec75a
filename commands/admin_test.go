package commands_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

func TestAdminSlowlog(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	do := func(args ...any) any {
		v, err := servertest.Do(c, args...)
		require.NoError(t, err, "%v", args)
		return v
	}
	do("CONFIG", "SET", "slowlog-log-slower-than", "0")
	do("SLOWLOG", "RESET")
	// With a threshold of 0, SLOWLOG RESET logs itself (as in Redis).
	require.EqualValues(t, 1, do("SLOWLOG", "LEN"))
	long := strings.Repeat("x", 200)
	do("SET", "k", long)
	entries := do("SLOWLOG", "GET", "1").([]any)
	require.Len(t, entries, 1)
	e := entries[0].([]any)
	require.Len(t, e, 6)
	require.Equal(t, []any{"SET", "k", strings.Repeat("x", 128) + "... (72 more bytes)"}, e[3])
	args := []any{"DEL"}
	for i := 0; i < 40; i++ {
		args = append(args, "k")
	}
	do(args...)
	e = do("SLOWLOG", "GET", "1").([]any)[0].([]any)
	got := e[3].([]any)
	require.Len(t, got, 32)
	require.Equal(t, "... (10 more arguments)", got[31])
	all := do("SLOWLOG", "GET", "-1").([]any)
	require.GreaterOrEqual(t, len(all), 4)
	_, err := servertest.Do(c, "SLOWLOG", "GET", "-2")
	require.EqualError(t, err, "ERR count should be greater than or equal to -1")
	do("CONFIG", "SET", "slowlog-max-len", "2")
	do("PING")
	require.EqualValues(t, 2, do("SLOWLOG", "LEN"))
	do("CONFIG", "SET", "slowlog-log-slower-than", "-1")
	do("SLOWLOG", "RESET")
	do("PING")
	require.EqualValues(t, 0, do("SLOWLOG", "LEN"))
}

// monitorConn opens a connection in MONITOR mode (closed when the test
// ends) and returns its reader, past the +OK.
func monitorConn(t *testing.T, addr string) *bufio.Reader {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write([]byte("MONITOR\r\n"))
	require.NoError(t, err)
	rd := bufio.NewReader(conn)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "+OK\r\n", line)
	return rd
}

func TestAdminMonitor(t *testing.T) {
	s := servertest.Start(t)
	rd := monitorConn(t, s.Addr)
	var line string
	var err error

	c := s.Client()
	require.NoError(t, c.Set(context.Background(), "mk", "a\"b\n", 0).Err())
	// Skip the client's connection handshake (HELLO).
	for {
		line, err = rd.ReadString('\n')
		require.NoError(t, err)
		if !strings.Contains(line, `"hello"`) {
			break
		}
	}
	require.Regexp(t, `^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "set" "mk" "a\\"b\\n"\r\n$`, line)
	// Admin commands are not shown.
	require.NoError(t, c.ConfigGet(context.Background(), "port").Err())
	require.NoError(t, c.Get(context.Background(), "mk").Err())
	line, err = rd.ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, line, `"get" "mk"`)
}

func TestAdminRoleWaitMemoryLatency(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	do := func(args ...any) any {
		v, err := servertest.Do(c, args...)
		require.NoError(t, err, "%v", args)
		return v
	}
	require.Equal(t, []any{"master", int64(0), []any{}}, do("ROLE"))
	require.EqualValues(t, 0, do("WAIT", "0", "0"))
	_, err := servertest.Do(c, "WAIT", "0", "-1")
	require.EqualError(t, err, "ERR timeout is negative")
	do("SET", "k", "v")
	require.Greater(t, do("MEMORY", "USAGE", "k").(int64), int64(0))
	_, err = servertest.Do(c, "MEMORY", "USAGE", "nokey")
	require.ErrorContains(t, err, "nil")
	require.Equal(t, []any{}, do("LATENCY", "LATEST"))
	require.EqualValues(t, 0, do("LATENCY", "RESET"))
}

// Redis prints arguments in error messages as C strings: up to a NUL.
func TestErrorArgumentsStopAtNUL(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	_, err := servertest.Do(c, "FO\x00OO", "a\x00b", "c")
	require.EqualError(t, err, "ERR unknown command 'FO', with args beginning with: 'a' 'c' ")
	_, err = servertest.Do(c, "EXPIRE", "a", "100", "\x00")
	require.EqualError(t, err, "ERR Unsupported option ")
}
