package tools_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/rdb/rdbtest"
	"github.com/shaledb/shale/server/servertest"
	"github.com/shaledb/shale/tools"
	"github.com/stretchr/testify/require"
)

// realRedis starts redis-server 7.0 on a random loopback port with dir as
// its data directory (loading dir/dump.rdb if present).
func realRedis(t *testing.T, dir string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("!!! redis-server NOT INSTALLED: real-Redis round trip skipped !!!")
	}
	for attempt := 0; attempt < 5; attempt++ {
		port := 20000 + rand.Intn(20000)
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--dir", dir, "--dbfilename", "dump.rdb", "--logfile", filepath.Join(dir, "redis.log"))
		require.NoError(t, cmd.Start())
		addr := "127.0.0.1:" + strconv.Itoa(port)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				cl := redis.NewClient(&redis.Options{Addr: addr})
				// wait until the dataset is loaded
				for time.Now().Before(deadline) {
					if err := cl.Ping(context.Background()).Err(); err == nil {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				cl.Close()
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				return addr
			}
			if cmd.ProcessState != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		if bytes.Contains(log, []byte("Address already in use")) {
			continue
		}
		t.Fatalf("redis-server did not start:\n%s", log)
	}
	t.Fatal("no free port for redis-server")
	return ""
}

func TestToolsExportRoundTrip(t *testing.T) {
	dir := rdbtest.FixturesDir()
	if dir == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: export round trip skipped !!!")
	}
	for _, name := range []string{"redis-7.0.15-all-types.rdb", "redis-7.4.1-all-types.rdb", "redis-2.8.24-all-types.rdb", "redis-test-assets/encodings.rdb"} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, name)
			x, err := rdbtest.LoadExpected(f)
			require.NoError(t, err)
			stripUnsupported(x)
			s := servertest.Start(t)
			in, err := os.Open(f)
			require.NoError(t, err)
			defer in.Close()
			_, err = tools.Import(s.Srv.Engine, in, tools.ImportOptions{})
			require.NoError(t, err)

			out := t.TempDir()
			path := filepath.Join(out, "dump.rdb")
			fo, err := os.Create(path)
			require.NoError(t, err)
			st, err := tools.Export(s.Srv.Engine, fo, tools.ExportOptions{})
			require.NoError(t, err)
			require.NoError(t, fo.Close())
			require.Positive(t, st.TotalKeys())

			// Our own reader sees the same content.
			got, err := rdbtest.FromRDB(path, time.Now().UnixMilli())
			require.NoError(t, err)
			require.Empty(t, rdbtest.Compare(x, got))

			// redis-check-rdb says it is valid.
			if chk, err := exec.LookPath("redis-check-rdb"); err == nil {
				outb, err := exec.Command(chk, path).CombinedOutput()
				require.NoError(t, err, "%s", outb)
				require.Contains(t, string(outb), "RDB looks OK")
			} else {
				t.Log("!!! redis-check-rdb NOT INSTALLED: check skipped !!!")
			}

			// Real Redis 7.0 loads it with every key equal.
			addr := realRedis(t, out)
			var dbs []int
			for db := range x.Databases {
				n, _ := strconv.Atoi(db)
				dbs = append(dbs, n)
			}
			got, err = rdbtest.FromServer(context.Background(), addr, dbs)
			require.NoError(t, err)
			require.Empty(t, rdbtest.Compare(x, got), fmt.Sprintf("exported file loaded by redis-server (%s)", addr))
		})
	}
}

// fillCompressible writes values that LZF shrinks, in every type Redis 7.0
// loads, plus values that stay as they are (short, integer, random).
func fillCompressible(t *testing.T, c *redis.Client) {
	ctx := context.Background()
	rnd := rand.New(rand.NewSource(7))
	text := func(i, n int) string {
		return strings.Repeat(fmt.Sprintf("value %d of a compressible data set; ", i), n/30+1)[:n]
	}
	random := make([]byte, 200)
	rnd.Read(random)
	require.NoError(t, c.Set(ctx, "short:20", strings.Repeat("b", 20), 0).Err())
	require.NoError(t, c.Set(ctx, "short:21", strings.Repeat("a", 21), 0).Err())
	require.NoError(t, c.Set(ctx, "s:int", "123456", 0).Err())
	require.NoError(t, c.Set(ctx, "s:random", random, 0).Err())
	require.NoError(t, c.Set(ctx, "s:ttl", text(0, 500), time.Hour).Err())
	require.NoError(t, c.Set(ctx, "key name long enough to be compressed "+strings.Repeat("k", 30), "v", 0).Err())
	for i := 0; i < 50; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprintf("s:%d", i), text(i, 100+i*40), 0).Err())
	}
	// Fragmented strings (over 64 KB): a sparse one and an appended one.
	require.NoError(t, c.SetRange(ctx, "s:sparse", 300000, "end").Err())
	for i := 0; i < 30; i++ {
		require.NoError(t, c.Append(ctx, "s:appended", text(i, 5000)).Err())
	}
	var hv, lv, sv []any
	var zv []redis.Z
	for i := 0; i < 200; i++ {
		hv = append(hv, fmt.Sprintf("field:%d:%s", i, strings.Repeat("f", 25)), text(i, 300))
		lv = append(lv, text(i, 200+i))
		sv = append(sv, text(i, 60+i))
		zv = append(zv, redis.Z{Score: float64(i) / 3, Member: text(i, 80)})
	}
	lv = append(lv, "7", "short", random)
	require.NoError(t, c.HSet(ctx, "hash", hv...).Err())
	require.NoError(t, c.RPush(ctx, "list", lv...).Err())
	require.NoError(t, c.SAdd(ctx, "set", sv...).Err())
	require.NoError(t, c.ZAdd(ctx, "zset", zv...).Err())
	for i := 0; i < 20; i++ {
		require.NoError(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", Values: []any{"payload", text(i, 400), "n", i}}).Err())
	}
	require.NoError(t, c.Do(ctx, "FUNCTION", "LOAD", "#!lua name=lib\n-- "+strings.Repeat("a long comment ", 30)+"\nredis.register_function('f', function() return 1 end)").Err())
	c3 := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: 3})
	defer c3.Close()
	require.NoError(t, c3.Set(ctx, "db3", text(3, 1000), 0).Err())
}

func exportTo(t *testing.T, s *servertest.Server, dir string, opt tools.ExportOptions) (string, int64) {
	t.Helper()
	path := filepath.Join(dir, "dump.rdb")
	f, err := os.Create(path)
	require.NoError(t, err)
	st, err := tools.Export(s.Srv.Engine, f, opt)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, st.Bytes, fi.Size())
	return path, fi.Size()
}

func checkRDB(t *testing.T, path string) string {
	t.Helper()
	chk, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Log("!!! redis-check-rdb NOT INSTALLED: check skipped !!!")
		return ""
	}
	out, err := exec.Command(chk, path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "RDB looks OK")
	return string(out)
}

// startFilled starts a server holding fillCompressible's data.
func startFilled(t *testing.T, overrides ...string) (*servertest.Server, *redis.Client) {
	s := servertest.Start(t, overrides...)
	c := s.Client()
	t.Cleanup(func() { c.Close() })
	fillCompressible(t, c)
	return s, c
}

// loadedByRedis starts redis-server 7.0 on dir/dump.rdb and reads back
// databases 0 and 3.
func loadedByRedis(t *testing.T, dir string) *rdbtest.Dataset {
	t.Helper()
	d, err := rdbtest.FromServer(context.Background(), realRedis(t, dir), []int{0, 3})
	require.NoError(t, err)
	return d
}

func TestToolsExportCompressed(t *testing.T) {
	s, _ := startFilled(t)
	want, err := rdbtest.FromServer(context.Background(), s.Addr, []int{0, 3})
	require.NoError(t, err)
	require.Len(t, want.DBs[0], 63)
	require.Len(t, want.DBs[3], 1)
	require.Len(t, want.Functions, 1)

	plainPath, plain := exportTo(t, s, t.TempDir(), tools.ExportOptions{})
	lzfDir := t.TempDir()
	lzfPath, lzf := exportTo(t, s, lzfDir, tools.ExportOptions{Compress: true})
	t.Logf("export: %d bytes plain, %d bytes compressed", plain, lzf)
	require.Less(t, lzf*5, plain, "compression should shrink this data set at least 5x")
	checkRDB(t, plainPath)
	checkRDB(t, lzfPath)
	// Our own reader reads both the same.
	got, err := rdbtest.FromRDB(lzfPath, time.Now().UnixMilli())
	require.NoError(t, err)
	plainSet, err := rdbtest.FromRDB(plainPath, time.Now().UnixMilli())
	require.NoError(t, err)
	require.Equal(t, plainSet, got)

	// Real Redis 7.0 loads the compressed file with every key equal.
	require.Equal(t, want, loadedByRedis(t, lzfDir))

	// rdbchecksum no: eight zero bytes, which Redis accepts.
	ncDir := t.TempDir()
	ncPath, _ := exportTo(t, s, ncDir, tools.ExportOptions{Compress: true, NoChecksum: true})
	b, err := os.ReadFile(ncPath)
	require.NoError(t, err)
	require.Equal(t, make([]byte, 8), b[len(b)-8:])
	require.Contains(t, checkRDB(t, ncPath), "checksum disabled")
	require.Equal(t, want, loadedByRedis(t, ncDir))
}

// SAVE follows rdbcompression (changed at run time) and rdbchecksum.
func TestToolsSaveFollowsConfig(t *testing.T) {
	ctx := context.Background()
	s, c := startFilled(t)
	save := func() []byte {
		require.NoError(t, c.Save(ctx).Err())
		b, err := os.ReadFile(filepath.Join(s.Dir, "dump.rdb"))
		require.NoError(t, err)
		checkRDB(t, filepath.Join(s.Dir, "dump.rdb"))
		return b
	}
	on := save() // rdbcompression yes is the default
	require.NoError(t, c.ConfigSet(ctx, "rdbcompression", "no").Err())
	off := save()
	require.Less(t, len(on)*5, len(off))
	require.NotEqual(t, make([]byte, 8), off[len(off)-8:])

	// rdbchecksum is set at start only, as in Redis.
	s2, c2 := startFilled(t, "--rdbchecksum", "no")
	require.NoError(t, c2.Save(ctx).Err())
	path := filepath.Join(s2.Dir, "dump.rdb")
	nocrc, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, make([]byte, 8), nocrc[len(nocrc)-8:])
	require.Contains(t, checkRDB(t, path), "checksum disabled")
	require.InDelta(t, len(on), len(nocrc), 64) // the same content but its ctime
}
