package commands_test

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// TestStreamScale is the stream scale check: 1,000,000 entries (~430 MB of
// field/value data) and a group holding 100,000 pending entries; it logs
// the latency of XADD, XREADGROUP COUNT 10, XACK, XPENDING with a range and
// XINFO STREAM, and the process's RSS. It takes a minute, so it only runs
// with SHALE_STREAM_SCALE=1. Nothing here is a timed assertion: it checks
// the results and logs the figures.
func TestStreamScale(t *testing.T) {
	if os.Getenv("SHALE_STREAM_SCALE") == "" {
		t.Skip("set SHALE_STREAM_SCALE=1 to run the stream scale check")
	}
	srv := servertest.Start(t, "--cache-size", "64mb", "--block-cache-size", "64mb")
	c := srv.Client()
	pad := strings.Repeat("x", 400)
	const n, batch = 1_000_000, 1000
	start := time.Now()
	for b := 0; b < n/batch; b++ {
		p := c.Pipeline()
		for i := b*batch + 1; i <= (b+1)*batch; i++ {
			p.Do(hctx, "XADD", "big", fmt.Sprintf("%d-1", i), "field", fmt.Sprintf("%08d%s", i, pad))
		}
		_, err := p.Exec(hctx)
		require.NoError(t, err)
	}
	t.Logf("loaded %d entries in %v; RSS %s", n, time.Since(start), rss())
	requireDo(t, c, int64(n), "XLEN", "big")
	requireDo(t, c, "OK", "XGROUP", "CREATE", "big", "g", "0")
	start = time.Now()
	res, err := c.XReadGroup(hctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"big", ">"}, Count: 100_000}).Result()
	require.NoError(t, err)
	require.Len(t, res[0].Messages, 100_000)
	res = nil
	runtime.GC()
	t.Logf("XREADGROUP COUNT 100000 in %v; RSS %s", time.Since(start), rss())

	bench := func(name string, iters int, fn func(i int)) {
		lat := make([]time.Duration, iters)
		for i := range lat {
			s := time.Now()
			fn(i)
			lat[i] = time.Since(s)
		}
		sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
		t.Logf("%-36s n=%d p50=%v p99=%v max=%v", name, iters, lat[iters/2], lat[iters*99/100], lat[iters-1])
	}
	bench("XADD big *", 2000, func(int) {
		require.NoError(t, c.XAdd(hctx, &redis.XAddArgs{Stream: "big", Values: []string{"f", pad}}).Err())
	})
	bench("XREADGROUP COUNT 10 >", 2000, func(int) {
		r, err := c.XReadGroup(hctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c2", Streams: []string{"big", ">"}, Count: 10}).Result()
		require.NoError(t, err)
		require.Len(t, r[0].Messages, 10)
	})
	bench("XACK", 2000, func(i int) {
		require.Equal(t, int64(1), c.XAck(hctx, "big", "g", fmt.Sprintf("%d-1", i*7+1)).Val())
	})
	bench("XPENDING <id> + 10", 2000, func(i int) {
		p, err := c.XPendingExt(hctx, &redis.XPendingExtArgs{Stream: "big", Group: "g", Start: fmt.Sprintf("%d-1", i*37+2), End: "+", Count: 10}).Result()
		require.NoError(t, err)
		require.Len(t, p, 10)
	})
	bench("XPENDING summary", 200, func(int) { require.NoError(t, c.XPending(hctx, "big", "g").Err()) })
	bench("XINFO STREAM", 2000, func(int) { require.NoError(t, c.XInfoStream(hctx, "big").Err()) })
	bench("XINFO GROUPS", 2000, func(int) { require.NoError(t, c.XInfoGroups(hctx, "big").Err()) })
	sum, err := c.XPending(hctx, "big", "g").Result()
	require.NoError(t, err)
	require.Equal(t, int64(100_000+20_000-2000), sum.Count)
	t.Logf("final RSS %s", rss())
}

// rss returns this process's resident set size (the server runs in it).
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "n/a"
}
