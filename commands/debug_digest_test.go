package commands_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/shaledb/shale/tools"
	"github.com/stretchr/testify/require"
)

// DEBUG DIGEST and DIGEST-VALUE equal Redis 7.0's for the same data, and
// the digest of the RDB file Redis saves equals Redis's own digest: a
// migration can be checked with one command on each side.
func TestDebugDigestMatchesRedis(t *testing.T) {
	ctx := context.Background()
	rc := dumpRealRedis(t, "--enable-debug-command", "yes")
	s := servertest.Start(t, "--enable-debug-command", "yes")
	sc := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2})
	defer sc.Close()

	empty, err := sc.Do(ctx, "DEBUG", "DIGEST").Text()
	require.NoError(t, err)
	require.Equal(t, "0000000000000000000000000000000000000000", empty)

	var keys []string
	for _, c := range []*redis.Client{rc, sc} {
		keys = fillAllTypes(t, c)
		for _, cmd := range [][]any{
			{"ZADD", "z:fmt", "0.1", "a", "1e20", "b", "-0.000001", "c", "123456789012345678", "d", "3", "e"},
			{"SELECT", "3"}, {"SET", "in-db3", "x"}, {"HSET", "h3", "k", "v"}, {"SELECT", "0"},
		} {
			require.NoError(t, c.Do(ctx, cmd...).Err(), "%v", cmd)
		}
	}
	keys = append(keys, "z:fmt", "missing")
	want, err := rc.Do(ctx, "DEBUG", "DIGEST").Text()
	require.NoError(t, err)
	require.NotEqual(t, empty, want)
	got, err := sc.Do(ctx, "DEBUG", "DIGEST").Text()
	require.NoError(t, err)
	require.Equal(t, want, got)

	args := []any{"DEBUG", "DIGEST-VALUE"}
	for _, k := range keys {
		args = append(args, k)
	}
	wantV, err := rc.Do(ctx, args...).Slice()
	require.NoError(t, err)
	gotV, err := sc.Do(ctx, args...).Slice()
	require.NoError(t, err)
	for i, k := range keys {
		require.Equal(t, wantV[i], gotV[i], "DIGEST-VALUE %s", k)
	}

	// A change anywhere changes the digest.
	require.NoError(t, sc.ZAdd(ctx, "z:fmt", redis.Z{Score: 0.1000001, Member: "a"}).Err())
	changed, err := sc.Do(ctx, "DEBUG", "DIGEST").Text()
	require.NoError(t, err)
	require.NotEqual(t, want, changed)

	// The digest of Redis's own RDB file, computed without loading it.
	require.NoError(t, rc.Do(ctx, "SAVE").Err())
	dir, err := rc.ConfigGet(ctx, "dir").Result()
	require.NoError(t, err)
	f, err := os.Open(filepath.Join(dir["dir"], "dump.rdb"))
	require.NoError(t, err)
	defer f.Close()
	fileDigest, err := tools.DigestRDB(f, 0)
	require.NoError(t, err)
	require.Equal(t, want, fileDigest)
}
