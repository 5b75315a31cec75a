package tools_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/rdb/rdbtest"
	"github.com/shaledb/shale/server/servertest"
	"github.com/shaledb/shale/tools"
	"github.com/stretchr/testify/require"
)

// TestToolsBulkImportBigKeys checks the sorted-table import on keys far
// bigger than one commit (their elements are written over many batches
// while the metadata stays pending) and on more records than one sort
// run holds: what a server serves from the imported directory equals
// what the exported server held.
func TestToolsBulkImportBigKeys(t *testing.T) {
	ctx := context.Background()
	src := servertest.Start(t)
	c := src.Client()
	const big = 20000
	p := c.Pipeline()
	for i := 0; i < big; i++ {
		p.RPush(ctx, "list", fmt.Sprintf("item-%d", i))
		p.SAdd(ctx, "set", fmt.Sprintf("m%d", i))
		p.SAdd(ctx, "intset", i)
		p.HSet(ctx, "hash", fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
		p.ZAdd(ctx, "zset", redis.Z{Score: float64(i % 977), Member: fmt.Sprintf("z%d", i)})
		p.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: fmt.Sprintf("%d-1", i+1), Values: []string{"n", fmt.Sprint(i)}})
		p.Set(ctx, fmt.Sprintf("s:%d", i), i, 0)
		if i%3 == 0 {
			p.Expire(ctx, fmt.Sprintf("s:%d", i), 3600e9)
		}
		if i%1000 == 999 {
			_, err := p.Exec(ctx)
			require.NoError(t, err)
		}
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)
	require.NoError(t, c.PExpire(ctx, "hash", 3600e9).Err())
	require.NoError(t, c.XGroupCreate(ctx, "stream", "g", "0").Err())
	require.NoError(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"stream", ">"}, Count: 500}).Err())

	dump := filepath.Join(t.TempDir(), "dump.rdb")
	_, err = tools.ExportFile(src.Srv.Engine, dump, tools.ExportOptions{})
	require.NoError(t, err)
	want, err := rdbtest.FromServer(ctx, src.Addr, []int{0})
	require.NoError(t, err)
	src.Stop()

	data := filepath.Join(t.TempDir(), "data")
	st, err := tools.ImportDir(dump, data, 16, tools.ImportOptions{BatchElements: 1000, BulkMemory: 1 << 20})
	require.NoError(t, err)
	require.EqualValues(t, 6+big, st.TotalKeys())
	ents, err := os.ReadDir(filepath.Dir(data))
	require.NoError(t, err)
	require.Len(t, ents, 1, "the sort's temporary files are gone")

	dst := servertest.StartDir(t, data)
	got, err := rdbtest.FromServer(ctx, dst.Addr, []int{0})
	require.NoError(t, err)
	require.Equal(t, want, got)
	dc := dst.Client()
	require.EqualValues(t, 6+big, dc.DBSize(ctx).Val())
	require.EqualValues(t, big, dc.SCard(ctx, "intset").Val())
	require.Equal(t, "hashtable", dc.ObjectEncoding(ctx, "hash").Val())
	info := dc.Info(ctx, "keyspace").Val()
	require.Contains(t, info, fmt.Sprintf("db0:keys=%d,expires=%d,", 6+big, 1+(big+2)/3))
}

// A key twice in one database is refused, as Redis 7.0 refuses such a
// file ("Duplicated key found in RDB file"), and nothing is left behind.
func TestToolsBulkImportDuplicateKey(t *testing.T) {
	body := "REDIS0010\xfe\x00" + "\x00\x01a\x01x" + "\x00\x01b\x01y" + "\x00\x01a\x01z" + "\xff" + "\x00\x00\x00\x00\x00\x00\x00\x00"
	root := t.TempDir()
	in := filepath.Join(root, "dup.rdb")
	require.NoError(t, os.WriteFile(in, []byte(body), 0o644))
	data := filepath.Join(root, "data")
	_, err := tools.ImportDir(in, data, 16, tools.ImportOptions{})
	require.EqualError(t, err, `the RDB file holds key "a" twice in database 0`)
	ents, err := os.ReadDir(root)
	require.NoError(t, err)
	require.Len(t, ents, 1)
}
