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
