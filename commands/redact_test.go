package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// MONITOR and the slow log show secrets as Redis 7.0.15 does; the wanted
// lines were captured from redis-cli MONITOR on redis-server 7.0.15.
func TestRedactedSecretsInMonitorAndSlowlog(t *testing.T) {
	ctx := context.Background()
	s := servertest.Start(t)
	rd := monitorConn(t, s.Addr)
	var line string
	var err error

	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer c.Close()
	require.NoError(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	require.NoError(t, c.Ping(ctx).Err())
	for !strings.Contains(line, `"ping"`) { // past the client's handshake
		line, err = rd.ReadString('\n')
		require.NoError(t, err)
	}
	lines := []struct {
		args []any
		want string
	}{
		{[]any{"auth", "foo", "bar"}, `"auth" "(redacted)" "(redacted)"`},
		{[]any{"auth", "onlypass"}, `"auth" "(redacted)"`},
		{[]any{"migrate", "127.0.0.1", "1", "k", "0", "100", "AUTH", "secret"}, `"migrate" "127.0.0.1" "1" "k" "0" "100" "AUTH" "(redacted)"`},
		{[]any{"migrate", "127.0.0.1", "1", "", "0", "100", "AUTH2", "u", "p", "KEYS", "a", "auth"}, `"migrate" "127.0.0.1" "1" "" "0" "100" "AUTH2" "(redacted)" "(redacted)" "KEYS" "a" "auth"`},
		{[]any{"hello", "2", "AUTH", "default", "pw", "SETNAME", "x"}, `"hello" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "x"`},
		{[]any{"set", "auth", "v"}, `"set" "auth" "v"`},
	}
	for _, l := range lines {
		c.Do(ctx, l.args...) // errors expected (no password, no target)
		got, err := rd.ReadString('\n')
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(got, "] "+l.want+"\r\n"), "got %q want %q", got, l.want)
	}
	// CONFIG is an admin command (never in MONITOR); the slow log keeps a
	// sensitive parameter's value redacted.
	require.NoError(t, c.ConfigSet(ctx, "requirepass", "").Err())
	entries, err := c.Do(ctx, "SLOWLOG", "GET", "2").Slice()
	require.NoError(t, err)
	require.Equal(t, []any{"config", "set", "requirepass", "(redacted)"}, entries[0].([]any)[3])
	require.Equal(t, []any{"set", "auth", "v"}, entries[1].([]any)[3])
}
