package commands_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

func TestExpireErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ksDo(t, c, "SET", "k", "v")
	ksErr(t, c, "ERR NX and XX, GT or LT options at the same time are not compatible", "EXPIRE", "k", "100", "XX", "NX")
	ksErr(t, c, "ERR NX and XX, GT or LT options at the same time are not compatible", "EXPIRE", "k", "100", "nx", "gt")
	ksErr(t, c, "ERR NX and XX, GT or LT options at the same time are not compatible", "PEXPIRE", "k", "100", "NX", "LT")
	ksErr(t, c, "ERR GT and LT options at the same time are not compatible", "EXPIRE", "k", "100", "GT", "LT")
	ksErr(t, c, "ERR Unsupported option foo", "EXPIRE", "k", "100", "foo")
	ksErr(t, c, "ERR Unsupported option foo", "EXPIRE", "k", "abc", "foo") // options first
	ksErr(t, c, "ERR value is not an integer or out of range", "EXPIRE", "k", "abc")
	ksErr(t, c, "ERR value is not an integer or out of range", "EXPIRE", "k", "1.5")
	ksErr(t, c, "ERR invalid expire time in 'expire' command", "EXPIRE", "k", "9223372036854775807")
	ksErr(t, c, "ERR invalid expire time in 'expire' command", "EXPIRE", "k", "-9223372036854775808")
	ksErr(t, c, "ERR invalid expire time in 'pexpire' command", "PEXPIRE", "k", "9223372036854775807")
	ksErr(t, c, "ERR invalid expire time in 'pexpire' command", "PEXPIRE", "k", "9223372036854775000")
	ksErr(t, c, "ERR invalid expire time in 'expireat' command", "EXPIREAT", "k", "9223372036854776")
	ksErr(t, c, "ERR wrong number of arguments for 'expire' command", "EXPIRE", "k")
	ksErr(t, c, "ERR wrong number of arguments for 'ttl' command", "TTL")
	ksErr(t, c, "ERR wrong number of arguments for 'persist' command", "PERSIST", "a", "b")
	ksErr(t, c, "ERR wrong number of arguments for 'expiretime' command", "EXPIRETIME")
	require.Equal(t, int64(-1), ksDo(t, c, "TTL", "k"), "errors leave the key alone")
	require.Equal(t, "v", ksDo(t, c, "GET", "k"))
}

func TestExpireTTLFamily(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	for _, cmd := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"} {
		require.Equal(t, int64(-2), ksDo(t, c, cmd, "nokey"), cmd)
	}
	ksDo(t, c, "SET", "k", "v")
	for _, cmd := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"} {
		require.Equal(t, int64(-1), ksDo(t, c, cmd, "k"), cmd)
	}
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "nokey", "100"))
	require.Equal(t, int64(0), ksDo(t, c, "PERSIST", "nokey"))
	require.Equal(t, int64(0), ksDo(t, c, "PERSIST", "k"))

	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "100"))
	require.Equal(t, int64(100), ksDo(t, c, "TTL", "k"))
	pttl := ksDo(t, c, "PTTL", "k").(int64)
	require.True(t, pttl > 99000 && pttl <= 100000, "%d", pttl)
	require.Equal(t, int64(1), s.Srv.Engine.ExpiresCount(0))

	at := time.Now().Add(time.Hour).Unix()
	require.Equal(t, int64(1), ksDo(t, c, "EXPIREAT", "k", at))
	require.Equal(t, at, ksDo(t, c, "EXPIRETIME", "k"))
	require.Equal(t, at*1000, ksDo(t, c, "PEXPIRETIME", "k"))
	atMs := time.Now().Add(time.Hour).UnixMilli() + 7
	require.Equal(t, int64(1), ksDo(t, c, "PEXPIREAT", "k", atMs))
	require.Equal(t, atMs, ksDo(t, c, "PEXPIRETIME", "k"))
	require.Equal(t, atMs/1000, ksDo(t, c, "EXPIRETIME", "k"))
	require.Equal(t, int64(3600), ksDo(t, c, "TTL", "k"), "TTL rounds to the nearest second")
	require.Equal(t, int64(1), ksDo(t, c, "PEXPIRE", "k", "1499"))
	require.Equal(t, int64(1), ksDo(t, c, "TTL", "k"))
	require.Equal(t, int64(1), ksDo(t, c, "PEXPIRE", "k", "1700"))
	require.Equal(t, int64(2), ksDo(t, c, "TTL", "k"), "1.7 s rounds up")
	require.Equal(t, int64(1), s.Srv.Engine.ExpiresCount(0))

	require.Equal(t, int64(1), ksDo(t, c, "PERSIST", "k"))
	require.Equal(t, int64(-1), ksDo(t, c, "TTL", "k"))
	require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(0))

	// Far-future times that fit are accepted.
	require.Equal(t, int64(1), ksDo(t, c, "EXPIREAT", "k", "9223372036854775"))
	require.Equal(t, int64(9223372036854775), ksDo(t, c, "EXPIRETIME", "k"))
	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "9223372036854"))

	// The TTL survives a restart; an expired key reads as gone (-2).
	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "1000"))
	s.Restart()
	c = s.Client()
	ttl := ksDo(t, c, "TTL", "k").(int64)
	require.True(t, ttl > 990 && ttl <= 1000, "%d", ttl)
	require.Equal(t, int64(1), s.Srv.Engine.ExpiresCount(0))
	require.Equal(t, int64(1), ksDo(t, c, "PEXPIRE", "k", "50"))
	time.Sleep(60 * time.Millisecond)
	require.Equal(t, int64(-2), ksDo(t, c, "TTL", "k"))
	require.Equal(t, int64(-2), ksDo(t, c, "PEXPIRETIME", "k"))
	require.Equal(t, int64(0), ksDo(t, c, "PERSIST", "k"))
}

func TestExpireConditions(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ksDo(t, c, "SET", "k", "v")
	// No expiry counts as an infinite TTL: GT never applies, LT always.
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "k", "100", "XX"))
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "k", "100", "GT"))
	require.Equal(t, int64(-1), ksDo(t, c, "TTL", "k"))
	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "100", "NX"))
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "k", "200", "nx"))
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "k", "50", "GT"))
	at := time.Now().Add(time.Hour).UnixMilli()
	require.Equal(t, int64(1), ksDo(t, c, "PEXPIREAT", "k", at, "GT"))
	require.Equal(t, int64(0), ksDo(t, c, "PEXPIREAT", "k", at, "GT"), "equal is not greater")
	require.Equal(t, int64(0), ksDo(t, c, "PEXPIREAT", "k", at, "LT"), "equal is not less")
	require.Equal(t, int64(1), ksDo(t, c, "PEXPIREAT", "k", at+1, "GT"))
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "k", "7200", "LT"))
	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "150", "lt", "XX"))
	require.Equal(t, int64(150), ksDo(t, c, "TTL", "k"))
	require.Equal(t, int64(1), ksDo(t, c, "PERSIST", "k"))
	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "100", "LT"))
	require.Equal(t, int64(100), ksDo(t, c, "TTL", "k"))
	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "100", "XX", "XX"))
}

func TestExpirePastDeletes(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	for i, args := range [][]any{
		{"EXPIRE", "k", "0"},
		{"EXPIRE", "k", "-5"},
		{"PEXPIRE", "k", "-9223372036854775808"},
		{"EXPIREAT", "k", "1"},
		{"PEXPIREAT", "k", "0"},
		{"PEXPIREAT", "k", strconv.FormatInt(time.Now().UnixMilli()-10, 10)},
	} {
		ksDo(t, c, "SET", "k", "v", "EX", "100")
		ksHash(t, s, 0, "h"+strconv.Itoa(i), 5, 0)
		require.Equal(t, int64(1), ksDo(t, c, args...), "%v", args)
		require.Equal(t, int64(0), ksDo(t, c, "EXISTS", "k"), "%v", args)
		require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "h"+strconv.Itoa(i), "-1"))
		require.Equal(t, 0, ksRecords(t, s, 0, "h"+strconv.Itoa(i)), "%v", args)
		require.Equal(t, int64(0), ksDo(t, c, "DBSIZE"))
		require.Equal(t, int64(0), s.Srv.Engine.ExpiresCount(0))
	}
	// Conditions are checked before the deletion.
	ksDo(t, c, "SET", "k", "v", "EX", "100")
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "k", "-1", "GT"))
	require.Equal(t, int64(0), ksDo(t, c, "EXPIRE", "k", "-1", "NX"))
	require.Equal(t, int64(1), ksDo(t, c, "EXPIRE", "k", "-1", "LT"))
	require.Equal(t, int64(0), ksDo(t, c, "EXISTS", "k"))
}

// TestExpireActive proves active expiry: 100,000 keys with a 1 s TTL
// vanish from DBSIZE, SCAN and KEYS with no client touching them, and a
// compaction then gives their disk space back.
func TestExpireActive(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100k keys")
	}
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ksDo(t, c, "SET", "keeper", "stays")
	const n = 100_000
	start := time.Now()
	for i := 0; i < n; i += 2000 {
		p := c.Pipeline()
		for j := i; j < i+2000; j++ {
			p.Set(ctx, "exp:"+strconv.Itoa(j), "some value of a few bytes", time.Second)
		}
		_, err := p.Exec(ctx)
		require.NoError(t, err)
	}
	t.Logf("wrote %d keys in %v", n, time.Since(start))
	eng := s.Srv.Engine
	live := ksDo(t, c, "DBSIZE").(int64)
	require.NoError(t, eng.Store().Flush())
	lo, hi := []byte{encoding.NSData}, []byte{encoding.NSData + 1}
	before, err := eng.Store().DiskUsage(lo, hi)
	require.NoError(t, err)
	// Writing takes a while (much longer under -race): the first keys may
	// already be gone.
	if live > n/2 {
		require.Greater(t, before, uint64(1<<20), "the keys are on disk")
	}

	written := time.Now()
	deadline := written.Add(30 * time.Second)
	for ksDo(t, c, "DBSIZE") != int64(1) {
		require.True(t, time.Now().Before(deadline), "keys left: %v", ksDo(t, c, "DBSIZE"))
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("all expired %v after the last write (TTL 1s)", time.Since(written))
	require.Equal(t, int64(0), eng.ExpiresCount(0))
	require.Equal(t, []any{"keeper"}, ksDo(t, c, "KEYS", "*"))
	keys, _ := ksScanAll(t, c, "COUNT", 1000)
	require.Equal(t, []string{"keeper"}, keys)
	require.GreaterOrEqual(t, eng.Stats.ExpiredKeys.Load(), int64(n))

	require.NoError(t, eng.Store().Compact(lo, hi))
	require.NoError(t, eng.Store().Compact([]byte{encoding.NSExpire}, []byte{encoding.NSExpire + 1}))
	after, err := eng.Store().DiskUsage(lo, hi)
	require.NoError(t, err)
	t.Logf("data range on disk: %d bytes before, %d after compaction", before, after)
	require.Less(t, after, uint64(64<<10))
	xafter, err := eng.Store().DiskUsage([]byte{encoding.NSExpire}, []byte{encoding.NSExpire + 1})
	require.NoError(t, err)
	require.Less(t, xafter, uint64(64<<10), "expiry index")
	require.Equal(t, "stays", ksDo(t, c, "GET", "keeper"))
}
