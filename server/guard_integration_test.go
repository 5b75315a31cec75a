package server_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// rawExchange sends data on a new connection and returns everything the
// server writes until it closes the connection (closed=false if it is
// still open after the deadline).
func rawExchange(t *testing.T, addr string, data string, wait ...time.Duration) (reply string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte(data))
	require.NoError(t, err)
	d := 2 * time.Second
	if len(wait) > 0 {
		d = wait[0]
	}
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return string(b), false
	}
	return string(b), true
}

// Replies and connection closes below match redis-server 7.0.15 byte for
// byte.
func TestGuardIntegrationBulkLength(t *testing.T) {
	s := servertest.Start(t)
	reply, closed := rawExchange(t, s.Addr, "*1\r\n$999999999999\r\n")
	require.Equal(t, "-ERR Protocol error: invalid bulk length\r\n", reply)
	require.True(t, closed)

	// Commands pipelined before the bad frame are answered first.
	reply, closed = rawExchange(t, s.Addr, "PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\n")
	require.Equal(t, "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n", reply)
	require.True(t, closed)

	reply, closed = rawExchange(t, s.Addr, "*1\r\n$536870913\r\n")
	require.Equal(t, "-ERR Protocol error: invalid bulk length\r\n", reply)
	require.True(t, closed)

	reply, closed = rawExchange(t, s.Addr, "*3000000000\r\n")
	require.Equal(t, "-ERR Protocol error: invalid multibulk length\r\n", reply)
	require.True(t, closed)

	// The server is still serving.
	v, err := servertest.Do(s.Client(), "PING")
	require.NoError(t, err)
	require.Equal(t, "PONG", v)
}

func TestGuardIntegrationUnauthenticated(t *testing.T) {
	s := servertest.Start(t, "--requirepass", "secret")
	reply, closed := rawExchange(t, s.Addr, "*100\r\n")
	require.Equal(t, "-ERR Protocol error: unauthenticated multibulk length\r\n", reply)
	require.True(t, closed)

	reply, closed = rawExchange(t, s.Addr, "*1\r\n$16385\r\n")
	require.Equal(t, "-ERR Protocol error: unauthenticated bulk length\r\n", reply)
	require.True(t, closed)

	// Within the limits the connection stays open (waiting for the rest).
	reply, closed = rawExchange(t, s.Addr, "*10\r\n$16384\r\n", 300*time.Millisecond)
	require.Equal(t, "", reply)
	require.False(t, closed)

	// After AUTH the limits no longer apply.
	c, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"))
	require.NoError(t, err)
	buf := make([]byte, 64)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(2*time.Second)))
	n, err := io.ReadAtLeast(c, buf, 5)
	require.NoError(t, err)
	require.Equal(t, "+OK\r\n", string(buf[:n]))
	_, err = c.Write([]byte("*100\r\n$20000\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	n, err = c.Read(buf)
	require.Zero(t, n, "unexpected reply %q", buf[:n])
	ne, ok := err.(net.Error)
	require.True(t, ok && ne.Timeout(), "connection should stay open, got %v", err)
}

// An AUTH pipelined in the same packet as a command over the
// unauthenticated limits counts, as in Redis (redis-benchmark -a does this).
func TestGuardIntegrationPipelinedAuth(t *testing.T) {
	s := servertest.Start(t, "--requirepass", "secret")
	args := "*12\r\n$4\r\nMSET\r\n"
	for i := 0; i < 5; i++ {
		args += "$1\r\nk\r\n$1\r\nv\r\n"
	}
	args += "$1\r\nz\r\n"
	reply, closed := rawExchange(t, s.Addr, "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"+args+"*1\r\n$4\r\nPING\r\n", 500*time.Millisecond)
	require.Equal(t, "+OK\r\n-ERR wrong number of arguments for 'mset' command\r\n+PONG\r\n", reply)
	require.False(t, closed)

	// A wrong password pipelined the same way still trips the limit.
	reply, closed = rawExchange(t, s.Addr, "*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n"+args)
	require.Equal(t, "-WRONGPASS invalid username-password pair or user is disabled.\r\n-ERR Protocol error: unauthenticated multibulk length\r\n", reply)
	require.True(t, closed)
}

// Empty commands (*0, *-1) are skipped as Redis skips them.
func TestGuardIntegrationEmptyMultibulk(t *testing.T) {
	s := servertest.Start(t)
	reply, closed := rawExchange(t, s.Addr, "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", 300*time.Millisecond)
	require.Equal(t, "+PONG\r\n", reply)
	require.False(t, closed)
	reply, closed = rawExchange(t, s.Addr, "*01\r\n$4\r\nPING\r\n")
	require.Equal(t, "-ERR Protocol error: invalid multibulk length\r\n", reply)
	require.True(t, closed)
}
