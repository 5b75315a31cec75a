package tools_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/rdb/rdbtest"
	"github.com/shaledb/shale/server/servertest"
	"github.com/shaledb/shale/tools"
)

// FuzzRestore sends RESTORE payloads built from mutated DUMP bodies (with
// a valid trailer, so mutations reach the decoder) to a running server: it
// must answer OK or one of Redis's two RESTORE errors, never crash, and
// never leave a partial key behind an error.
func FuzzRestore(f *testing.F) {
	ctx := context.Background()
	s := servertest.Start(f)
	c := s.Client()
	setup := [][]any{
		{"SET", "str", "hello"}, {"SET", "int", "12345"}, {"SET", "long", strings.Repeat("abc", 100)},
		{"RPUSH", "list", "a", "b", "c"}, {"SADD", "set", "x", "y"}, {"SADD", "intset", 1, 2, 3},
		{"HSET", "hash", "f", "v", "g", "w"}, {"ZADD", "zset", 1, "a", 2.5, "b"},
		{"XADD", "stream", "1-1", "f", "v"}, {"XADD", "stream", "2-1", "g", "w"},
		{"XGROUP", "CREATE", "stream", "grp", "0"}, {"XREADGROUP", "GROUP", "grp", "c1", "COUNT", "1", "STREAMS", "stream", ">"},
	}
	for _, cmd := range setup {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			f.Fatal(err)
		}
	}
	for _, k := range []string{"str", "int", "long", "list", "set", "intset", "hash", "zset", "stream"} {
		p, err := c.Dump(ctx, k).Result()
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(p[:len(p)-10])) // the body: the fuzz function adds a trailer
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, payload := range [][]byte{rdb.DumpFooter(body, 10), body} {
			c.Del(ctx, "target")
			err := c.Do(ctx, "RESTORE", "target", 0, payload, "REPLACE").Err()
			n := c.Exists(ctx, "target").Val()
			if err != nil {
				msg := err.Error()
				if msg != "ERR Bad data format" && msg != "ERR DUMP payload version or checksum are wrong" {
					t.Fatalf("RESTORE answered %q", msg)
				}
				if n != 0 {
					t.Fatalf("RESTORE failed (%v) but left a key", err)
				}
				continue
			}
			if n != 1 {
				t.Fatalf("RESTORE said OK but the key is missing")
			}
			// What was restored dumps and restores again.
			again, err := c.Dump(ctx, "target").Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Do(ctx, "RESTORE", "copy", 0, again, "REPLACE").Err(); err != nil {
				t.Fatalf("re-RESTORE of a restored key: %v", err)
			}
		}
	})
}

// FuzzImportDir imports mutated small RDB files with shale-rdb import's
// bulk path: an error leaves no target directory and no temporary files.
func FuzzImportDir(f *testing.F) {
	if dir := rdbtest.FixturesDir(); dir != "" {
		for _, p := range rdbtest.Fixtures(dir) {
			if b, err := os.ReadFile(p); err == nil && len(b) < 4096 {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("REDIS0010\xfe\x00\x00\x01k\x01v\xff\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		root := t.TempDir()
		in := filepath.Join(root, "in.rdb")
		if err := os.WriteFile(in, b, 0o644); err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(root, "data")
		_, err := tools.ImportDir(in, data, 16, tools.ImportOptions{BulkMemory: 1 << 20})
		ents, _ := os.ReadDir(root)
		if err != nil {
			if len(ents) != 1 {
				t.Fatalf("import failed (%v) and left %d entries", err, len(ents))
			}
			return
		}
		if len(ents) != 2 {
			t.Fatalf("import succeeded with %d entries in its parent", len(ents))
		}
	})
}
