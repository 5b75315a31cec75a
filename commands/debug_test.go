package commands_test

import (
	"testing"
	"time"

	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

func TestDebugRefusedByDefault(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	_, err := servertest.Do(c, "DEBUG", "SLEEP", "0")
	require.ErrorContains(t, err, "ERR DEBUG command not allowed.")
	v, err := servertest.Do(c, "BGREWRITEAOF")
	require.NoError(t, err)
	require.Equal(t, "Background append only file rewriting started", v)
}

func TestDebugAllowed(t *testing.T) {
	s := servertest.Start(t, "--enable-debug-command", "yes")
	c := s.Client()
	v, err := servertest.Do(c, "DEBUG", "SLEEP", "0.05")
	require.NoError(t, err)
	require.Equal(t, "OK", v)
	_, err = servertest.Do(c, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	require.NoError(t, err)
	_, err = servertest.Do(c, "SET", "k", "v", "PX", "10")
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	n, err := servertest.Do(c, "DBSIZE")
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "active expiry paused: the key is not reclaimed")
	_, err = servertest.Do(c, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, _ := servertest.Do(c, "DBSIZE")
		return n == int64(0)
	}, 5*time.Second, 20*time.Millisecond)
	_, err = servertest.Do(c, "DEBUG", "NOSUCH")
	require.EqualError(t, err, "ERR unknown subcommand 'NOSUCH'. Try DEBUG HELP.")
}
