package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// timed runs fn and returns how long it took.
func timed(fn func()) time.Duration {
	t0 := time.Now()
	fn()
	return time.Since(t0)
}

// CLIENT PAUSE holds commands as Redis 7.0 does: ALL holds everything
// (UNPAUSE included), WRITE holds writes (queued ones and EXEC of a
// transaction with writes too) and lets reads through, UNPAUSE releases at
// once; errors are Redis's.
func TestClientPauseUnpause(t *testing.T) {
	ctx := context.Background()
	s := servertest.Start(t)
	admin := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	other := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer admin.Close()
	defer other.Close()
	require.NoError(t, other.Ping(ctx).Err()) // connected before the pause

	require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", 300, "ALL").Err())
	d := timed(func() { require.NoError(t, other.Ping(ctx).Err()) })
	require.Greater(t, d, 200*time.Millisecond, "PING waits in ALL mode")

	require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", 5000, "WRITE").Err())
	d = timed(func() { require.Equal(t, redis.Nil, other.Get(ctx, "k").Err()) })
	require.Less(t, d, 200*time.Millisecond, "reads pass a WRITE pause")
	done := make(chan time.Duration)
	go func() {
		done <- timed(func() { require.NoError(t, other.Set(ctx, "k", "v", 0).Err()) })
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("SET ran during a WRITE pause")
	default:
	}
	require.NoError(t, admin.Do(ctx, "CLIENT", "UNPAUSE").Err())
	d = <-done
	require.Less(t, d, 2*time.Second, "UNPAUSE releases the write at once")
	require.Equal(t, "v", other.Get(ctx, "k").Val())

	// A transaction that queued a write waits at EXEC.
	tx := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2, PoolSize: 1})
	defer tx.Close()
	require.NoError(t, tx.Do(ctx, "MULTI").Err())
	require.NoError(t, tx.Do(ctx, "INCR", "n").Err())
	require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", 300, "WRITE").Err())
	d = timed(func() { require.NoError(t, tx.Do(ctx, "EXEC").Err()) })
	require.Greater(t, d, 200*time.Millisecond, "EXEC of a queued write waits")

	// A pause only extends: a shorter one does not end a longer one.
	require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", 400, "ALL").Err())
	require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", 1, "WRITE").Err()) // runs after the ALL pause
	d = timed(func() { require.NoError(t, other.Ping(ctx).Err()) })
	require.Less(t, d, 150*time.Millisecond, "the ALL pause ended")

	for _, c := range []struct {
		args []any
		err  string
	}{
		{[]any{"CLIENT", "PAUSE", "abc"}, "ERR timeout is not an integer or out of range"},
		{[]any{"CLIENT", "PAUSE", "1.5"}, "ERR timeout is not an integer or out of range"},
		{[]any{"CLIENT", "PAUSE", "-1"}, "ERR timeout is negative"},
		{[]any{"CLIENT", "PAUSE", "10", "foo"}, "ERR CLIENT PAUSE mode must be WRITE or ALL"},
		{[]any{"CLIENT", "PAUSE", "10", "write", "x"}, "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."},
		{[]any{"CLIENT", "UNPAUSE", "x"}, "ERR wrong number of arguments for 'client|unpause' command"},
	} {
		err := admin.Do(ctx, c.args...).Err()
		require.Error(t, err)
		require.Equal(t, c.err, err.Error(), "%v", c.args)
	}
	require.NoError(t, admin.Do(ctx, "CLIENT", "UNPAUSE").Err())
	help, err := admin.Do(ctx, "CLIENT", "HELP").StringSlice()
	require.NoError(t, err)
	require.Contains(t, strings.Join(help, "\n"), "PAUSE <timeout> [WRITE|ALL]")
}
