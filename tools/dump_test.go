package tools_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/server/servertest"
	"github.com/shaledb/shale/tools"
	"github.com/stretchr/testify/require"
)

func payload(body string) []byte { return rdb.DumpFooter([]byte(body), 10) }

func TestToolsDecodeDump(t *testing.T) {
	r, err := tools.DecodeDump(payload("\x00\x05hello"))
	require.NoError(t, err)
	require.Equal(t, "hello", string(r.Str))
	_, err = tools.DecodeDump(payload("\x00\x05hello!")) // trailing byte
	require.ErrorIs(t, err, tools.ErrBadFormat)
	_, err = tools.DecodeDump(payload("\x01\x00")) // empty list
	require.ErrorIs(t, err, tools.ErrBadFormat)
	p := payload("\x00\x05hello")
	p[len(p)-1] ^= 1
	_, err = tools.DecodeDump(p)
	require.ErrorIs(t, err, tools.ErrDumpPayload)
	_, err = tools.DecodeDump(rdb.DumpFooter([]byte("\x00\x01a"), 13)) // newer than any known RDB
	require.ErrorIs(t, err, tools.ErrDumpPayload)
}

func FuzzToolsDecodeDump(f *testing.F) {
	f.Add([]byte("\x00\x05hello"))
	f.Add([]byte("\x01\x02\x01a\x01b"))
	f.Add([]byte("\x04\x01\x01f\x01v"))
	f.Add([]byte("\x05\x01\x01m\x00\x00\x00\x00\x00\x00\xf0\x3f"))
	f.Add([]byte("\x12\x01\x02\x0b\x0b\x00\x00\x00\x01\x00\x81a\x02\xff"))
	f.Fuzz(func(t *testing.T, body []byte) {
		tools.DecodeDump(rdb.DumpFooter(body, 10)) // must not panic
		tools.DecodeDump(body)
	})
}

// DUMP compresses as Redis's does (rdbcompression), and compressed
// payloads restore in both directions.
func TestToolsDumpCompressedWithRedis(t *testing.T) {
	ctx := context.Background()
	s := servertest.Start(t)
	sh := s.Client()
	defer sh.Close()
	r := redis.NewClient(&redis.Options{Addr: realRedis(t, t.TempDir())})
	defer r.Close()

	long := strings.Repeat("compressible DUMP payload ", 400)
	for _, c := range []*redis.Client{sh, r} {
		require.NoError(t, c.Set(ctx, "k", long, 0).Err())
	}
	sp, err := sh.Dump(ctx, "k").Result()
	require.NoError(t, err)
	rp, err := r.Dump(ctx, "k").Result()
	require.NoError(t, err)
	// Both are STRING values in RDB_ENCVAL_LZF, far shorter than the string.
	require.Equal(t, "\x00\xc3", sp[:2])
	require.Equal(t, "\x00\xc3", rp[:2])
	require.Less(t, len(sp)*10, len(long))
	t.Logf("DUMP of %d bytes: Shale %d bytes, Redis %d bytes, identical: %v", len(long), len(sp), len(rp), sp == rp)

	// Shale's payload restores in Redis, Redis's in Shale.
	require.NoError(t, r.Restore(ctx, "from-shale", 0, sp).Err())
	require.Equal(t, long, r.Get(ctx, "from-shale").Val())
	require.NoError(t, sh.Restore(ctx, "from-redis", 0, rp).Err())
	require.Equal(t, long, sh.Get(ctx, "from-redis").Val())

	// Collections with long elements and a fragmented (over 64 KB) string.
	var hv, lv []any
	for i := 0; i < 100; i++ {
		hv = append(hv, fmt.Sprintf("field-%d", i), strings.Repeat(fmt.Sprintf("value %d ", i), 20))
		lv = append(lv, strings.Repeat(fmt.Sprintf("element %d ", i), 10))
	}
	require.NoError(t, sh.HSet(ctx, "hash", hv...).Err())
	require.NoError(t, sh.RPush(ctx, "list", lv...).Err())
	require.NoError(t, sh.SetRange(ctx, "frag", 200000, long).Err())
	for _, k := range []string{"hash", "list", "frag"} {
		p, err := sh.Dump(ctx, k).Result()
		require.NoError(t, err)
		require.NoError(t, r.Restore(ctx, k, 0, p).Err(), k)
		plain := len(k) // sanity: the payload is much smaller than the value
		switch k {
		case "hash":
			require.Equal(t, sh.HGetAll(ctx, k).Val(), r.HGetAll(ctx, k).Val())
			plain = 100 * 200
		case "list":
			require.Equal(t, sh.LRange(ctx, k, 0, -1).Val(), r.LRange(ctx, k, 0, -1).Val())
			plain = 100 * 100
		case "frag":
			require.Equal(t, sh.Get(ctx, k).Val(), r.Get(ctx, k).Val())
			plain = 200000 + len(long)
		}
		require.Less(t, len(p)*3, plain, k)
	}

	// rdbcompression no: plain strings, byte for byte what Redis writes.
	require.NoError(t, sh.ConfigSet(ctx, "rdbcompression", "no").Err())
	require.NoError(t, r.ConfigSet(ctx, "rdbcompression", "no").Err())
	sp, err = sh.Dump(ctx, "k").Result()
	require.NoError(t, err)
	rp, err = r.Dump(ctx, "k").Result()
	require.NoError(t, err)
	require.Greater(t, len(sp), len(long))
	require.Equal(t, rp, sp)
}
