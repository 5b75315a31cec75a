package commands_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Expected replies, counts and value digests below were recorded from a
// real redis-server 7.0.15 given the same commands and elements.

func TestHLLCommandsMatchRedis(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strRun(t, cl, []strCase{
		sc(int64(1), "pfadd", "h"),
		sc("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff", "get", "h"),
		sc(int64(0), "pfcount", "h"),
		sc(int64(1), "pfadd", "h", "a", "b", "c"),
		sc(int64(0), "pfadd", "h", "a"),
		sc("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ", "get", "h"),
		sc(int64(3), "pfcount", "h"),
		sc("HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ", "get", "h"),
		sc("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603", "pfdebug", "decode", "h"),
		sc("sparse", "pfdebug", "encoding", "h"),
		sc(int64(1), "pfdebug", "todense", "h"),
		sc("dense", "pfdebug", "encoding", "h"),
		sc(int64(0), "pfdebug", "todense", "h"),
		sc(strErr("ERR HLL encoding is not sparse"), "pfdebug", "decode", "h"),
		sc(int64(3), "pfcount", "h"),
		sc(strErr("ERR Unknown PFDEBUG subcommand 'foo'"), "pfdebug", "foo", "h"),
		sc(strErr("ERR The specified key does not exist"), "pfdebug", "foo", "nokey"),
		sc(strErr("ERR The specified key does not exist"), "pfdebug", "getreg", "nokey"),
		sc("OK", "set", "s", "foo"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfadd", "s", "a"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfcount", "s"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfcount", "h", "s"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfcount", "nokey", "s"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfmerge", "s", "h"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfmerge", "h", "s"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfdebug", "encoding", "s"),
		sc(int64(1), "lpush", "l", "x"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "pfadd", "l", "a"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "pfcount", "l"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "pfmerge", "l"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "pfmerge", "h", "l"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "pfdebug", "encoding", "l"),
		sc(int64(0), "pfcount", "nokey"),
		sc(int64(0), "pfcount", "nokey", "nokey2"),
		sc("OK", "pfmerge", "m", "nokey"),
		sc("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff", "get", "m"),
		sc(int64(0), "pfcount", "m"),
		sc(int64(0), "exists", "nokey"),
		sc(int64(1), "pfadd", "sp", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"),
		sc("Z:1094 v:4,1 Z:551 v:1,1 Z:138 v:3,1 Z:2144 v:2,1 Z:253 v:1,1 Z:197 v:2,1 Z:2909 v:1,1 Z:1085 v:2,1 z:57 v:1,1 Z:574 v:1,1 Z:2948 v:1,1 Z:750 v:2,1 Z:509 v:4,1 Z:916 v:2,1 Z:1018 v:1,1 Z:622 v:1,1 Z:603", "pfdebug", "decode", "sp"),
		sc(int64(16), "pfcount", "sp"),
		sc("OK", "pfmerge", "m", "sp"),
		sc("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80DE\x8cB&\x80@\x89\x88H_\x84@\xfc\x80@\xc4\x84K\\\x80D<\x848\x80B=\x80K\x83\x80B\xed\x84A\xfc\x8cC\x93\x84C\xf9\x80Bm\x80BZ", "get", "m"),
		sc(int64(16), "pfcount", "m", "sp", "h"),
		sc("OK", "set", "c", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f"),
		sc(strErr("INVALIDOBJ Corrupted HLL object detected"), "pfcount", "c"),
		sc(int64(1), "pfadd", "c", "x"),
		sc(strErr("INVALIDOBJ Corrupted HLL object detected"), "pfmerge", "d", "c"),
		sc("OK", "set", "c2", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfcount", "c2"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfadd", "c2", "x"),
		sc("OK", "set", "c3", "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfcount", "c3"),
		sc("OK", "set", "c4", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f\xff\x7f"),
		sc(strErr("INVALIDOBJ Corrupted HLL object detected"), "pfcount", "c4"),
		sc(int64(1), "pfadd", "c4", "y"),
		sc(strErr("INVALIDOBJ Corrupted HLL object detected"), "pfcount", "c4", "h"),
		sc("Z:14932 v:3,1 Z:1451 Z:16384 Z:16129", "pfdebug", "decode", "c4"),
		sc("OK", "set", "c5", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"),
		sc(strErr("INVALIDOBJ Corrupted HLL object detected"), "pfcount", "c5"),
		sc("OK", "set", "short", "HYLL\x01"),
		sc(strErr("WRONGTYPE Key is not a valid HyperLogLog string value."), "pfcount", "short"),
		sc("OK", "set", "cached", "HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x7f\xff"),
		sc(int64(7), "pfcount", "cached"),
		sc(int64(1), "pfadd", "cached", "zz"),
		sc(int64(1), "pfcount", "cached"),
		sc("OK", "setex", "t", "100", "x"),
		sc(int64(1), "del", "t"),
		sc(int64(1), "pfadd", "t", "a"),
		sc(int64(1), "expire", "t", "100"),
		sc(int64(1), "pfadd", "t", "b"),
		sc(int64(100), "ttl", "t"),
		sc("OK", "pfmerge", "t", "h"),
		sc(int64(100), "ttl", "t"),
		sc("OK", "pfselftest"),
	})
}

func hllAddElems(t *testing.T, cl *redis.Client, key string, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		els := make([]any, 0, 1000)
		for j := i; j < min(n, i+1000); j++ {
			els = append(els, fmt.Sprintf("elem:%d", j))
		}
		require.NoError(t, cl.PFAdd(ctx, key, els...).Err())
	}
}

func hllDigest(t *testing.T, cl *redis.Client, key string) string {
	t.Helper()
	v, err := cl.Get(context.Background(), key).Bytes()
	require.NoError(t, err)
	sum := sha256.Sum256(v)
	return hex.EncodeToString(sum[:])
}

// PFCOUNT over the same elements equals Redis's, and the stored value is
// byte for byte the one Redis builds (sparse at 1,000, dense at 100,000).
func TestHLLCountsAndBytesMatchRedis(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	ctx := context.Background()
	for _, tc := range []struct {
		n      int
		count  int64
		enc    string
		digest string
	}{
		{1000, 1005, "sparse", "0f3347868880eb36395c73c8cc3695c5933d58f77c60215f5249794f800c4f88"},
		{100000, 99904, "dense", "ea0c2a62b61eee3909bdd35c9ea541628a3c9683b830cdfba508ca75305b931e"},
	} {
		key := fmt.Sprintf("h%d", tc.n)
		hllAddElems(t, cl, key, tc.n)
		require.Equal(t, tc.count, cl.PFCount(ctx, key).Val(), key)
		enc, err := servertest.Do(cl, "pfdebug", "encoding", key)
		require.NoError(t, err)
		require.Equal(t, tc.enc, enc)
		// After PFCOUNT the cached cardinality is in the header, as in Redis.
		require.Equal(t, tc.digest, hllDigest(t, cl, key), key)
	}
	// A sparse value built by Redis, SET into Shale, keeps working.
	require.NoError(t, cl.Set(ctx, "sp", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x808\x80C8\x94B\xa3\x84@G\x80\x14\x80B\x14\x80@\xfb\x90@\x88\x80\x1e\x80B\xca\x88AC\x84A\x09\x80@\x9d\x84@\xeb\xb4@C\x90@L\x88@\xdd\x80\x04\x84\x07\x84B\x91\x80A@\x80A:\x80@P\x88B\x98\x80A\xfe\x84@Y\x84%\x84A\x08\x8c@\xc8\x84A\x19\x90D\x90\x80@\xcb\x88@]\x80A$\x84D\x0d\x98A\x7f\x8cDm\x80@\x9f\x88B\x08\x80$\x84-\x88@{\x94DU\x8cA\x08\x84*\x84C\xbe\x84A&\xa43\x84@t\x80@P\x88@a", 0).Err())
	require.Equal(t, int64(50), cl.PFCount(ctx, "sp").Val())
	for i := 0; i < 50; i++ {
		require.NoError(t, cl.PFAdd(ctx, "sp", fmt.Sprintf("y%d", i)).Err())
	}
	require.Equal(t, int64(100), cl.PFCount(ctx, "sp").Val())
	v, err := cl.Get(ctx, "sp").Result()
	require.NoError(t, err)
	require.Equal(t, "HYLL\x01\x00\x00\x00d\x00\x00\x00\x00\x00\x00\x008\x80B\x19\x80@\xa7\x80@l\x80\x06\x94@\x92\x88A\xe7\x80&\x84@G\x80\x14\x80Am\x84@\xa5\x80@\xfb\x90@\x88\x80\x1e\x80\x1a\x84@a\x80&\x84<\x84An\x84@u\x88AC\x84A\x09\x80@\x9d\x84@\xeb\xb40\x88\x11\x90\x1a\x800\x88@\xdd\x80\x04\x84\x07\x84@\xdf\x84\x18\x88A\x96\x80\x10\x8c@F\x88@\xe6\x80\x18\x80@\xec\x802\x80@P\x88@J\x88A\x9c\x80\x1c\x80@\x90\x80\x11\x84@t\x80Au\x84@Y\x84%\x84A\x08\x8c@\xb1\x84\x15\x84A\x06\x80\x11\x90AG\x8cA\x88\x88A\xbd\x80@\xa9\x88 \x88@]\x80$\x80@\xfe\x84Ab\x84B\xa9\x98A\x7f\x8c@E\x84Ai\x803\x80@\xc3\x80A\xc1\x80@\x9f\x88@\x9d\x88A)\x80>\x80$\x84-\x88@{\x94A\xdd\x84@m\x80\x00\x98@\xe1\x80)\x8c@\xf7\x8cA\x08\x84*\x84A5\x84A\x18\x80@\x81\x80\x0c\x84@\xdc\x84#\x80+\x84@\xd4\xa43\x84?\x803\x80@E\x88\x09\x88@a", v, "same sparse bytes as Redis after the same PFADDs")
	require.Equal(t, int64(100064), cl.PFCount(ctx, "h1000", "h100000", "sp").Val())
	require.NoError(t, cl.PFMerge(ctx, "m", "h1000", "sp").Err())
	require.Equal(t, int64(1108), cl.PFCount(ctx, "m").Val())
	require.Equal(t, "30a0c0bca16050ba53c6e72b90721ff97761eb403101154785467e6864b674c3", hllDigest(t, cl, "m"))
	// Registers: the dense value holds 16384 registers of 0..51.
	regs, err := servertest.Do(cl, "pfdebug", "getreg", "h100000")
	require.NoError(t, err)
	require.Len(t, regs, 16384)
	for _, r := range regs.([]any) {
		require.GreaterOrEqual(t, r.(int64), int64(0))
		require.LessOrEqual(t, r.(int64), int64(51))
	}
	// The value survives a restart.
	s.Restart()
	cl = s.Client()
	require.Equal(t, int64(99904), cl.PFCount(ctx, "h100000").Val())
	require.Equal(t, "ea0c2a62b61eee3909bdd35c9ea541628a3c9683b830cdfba508ca75305b931e", hllDigest(t, cl, "h100000"))
}

// hll-sparse-max-bytes decides when the sparse encoding is promoted.
func TestHLLSparseMaxBytes(t *testing.T) {
	s := servertest.Start(t, "--hll-sparse-max-bytes", "30")
	cl := s.Client()
	ctx := context.Background()
	require.NoError(t, cl.PFAdd(ctx, "h", "a").Err())
	enc, err := servertest.Do(cl, "pfdebug", "encoding", "h")
	require.NoError(t, err)
	require.Equal(t, "sparse", enc)
	require.NoError(t, cl.PFAdd(ctx, "h", "b", "c", "d", "e", "f", "g", "h", "i").Err())
	enc, err = servertest.Do(cl, "pfdebug", "encoding", "h")
	require.NoError(t, err)
	require.Equal(t, "dense", enc)
	require.Equal(t, int64(9), cl.PFCount(ctx, "h").Val())
}
