package rdb_test

import (
	"bytes"
	"encoding/binary"
	"github.com/shaledb/shale/rdb"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shaledb/shale/rdb/rdbtest"
	"github.com/stretchr/testify/require"
)

func TestRDBReaderFixtures(t *testing.T) {
	dir := rdbtest.FixturesDir()
	if dir == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: RDB fixture tests skipped !!!")
	}
	files := rdbtest.Fixtures(dir)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			x, err := rdbtest.LoadExpected(f)
			require.NoError(t, err)
			got, err := rdbtest.FromRDB(f, time.Now().UnixMilli())
			if x.Refused() {
				require.Error(t, err)
				t.Logf("refused as expected: %v", err)
				return
			}
			require.NoError(t, err)
			require.Empty(t, rdbtest.Compare(x, got))
		})
	}
}

func fixture(t testing.TB, name string) []byte {
	dir := rdbtest.FixturesDir()
	if dir == "" {
		t.Skip("!!! ../shared/rdb-fixtures NOT FOUND: skipped !!!")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return b
}

func parseAll(b []byte) (keys int, err error) {
	err = rdb.NewReader(bytes.NewReader(b)).Parse(func(e *rdb.Event) error {
		if e.Type == rdb.EvKeyEnd {
			keys++
		}
		return nil
	})
	return
}

func TestRDBReaderCounts(t *testing.T) {
	n, err := parseAll(fixture(t, "redis-7.4.1-all-types.rdb"))
	require.NoError(t, err)
	require.Equal(t, 90, n)
	ds, err := rdbtest.FromRDB(filepath.Join(rdbtest.FixturesDir(), "redis-7.0.15-all-types.rdb"), time.Now().UnixMilli())
	require.NoError(t, err)
	require.Len(t, ds.Functions, 2)
	require.Equal(t, 12000, len(ds.DBs[0]["list:large"].List))
	require.Equal(t, []byte("0012"), ds.DBs[0]["str:notint"].Str)
}

func TestRDBReaderTruncated(t *testing.T) {
	b := fixture(t, "redis-7.0.15-lfu.rdb")
	for i := 0; i < len(b); i++ {
		_, err := parseAll(b[:i])
		require.Error(t, err, "truncated at %d", i)
		var re *rdb.Error
		require.ErrorAs(t, err, &re)
		require.LessOrEqual(t, re.Offset, int64(i))
	}
}

func TestRDBReaderChecksum(t *testing.T) {
	b := append([]byte(nil), fixture(t, "redis-7.0.15-lfu.rdb")...)
	// Flip a byte inside a string value: still parses, checksum must catch it.
	i := bytes.Index(b, []byte("\x03k:9\x02v9"))
	require.Positive(t, i)
	b[i+5] = '8'
	_, err := parseAll(b)
	require.Error(t, err)
	require.Contains(t, err.Error(), "checksum")
}

func TestRDBReaderVersionTooNew(t *testing.T) {
	_, err := parseAll([]byte("REDIS0013\xff"))
	require.ErrorContains(t, err, "Can't handle RDB format version 13")
	_, err = parseAll([]byte("NOTRDB0010"))
	require.ErrorContains(t, err, "wrong signature")
}

func TestRDBCRC64(t *testing.T) {
	require.Equal(t, uint64(0xe9c6d914c4b8d9ca), rdb.CRC64(0, []byte("123456789")))
}

func TestRDBModuleName(t *testing.T) {
	// A module value: type 7, key "k", module id for "MyModule1" encver 3.
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for _, c := range "MyModule1" {
		id = id<<6 | uint64(strings.IndexRune(cset, c))
	}
	id = id<<10 | 3
	p := []byte("REDIS0010\x07\x01k\x81")
	p = binary.BigEndian.AppendUint64(p, id)
	_, err := parseAll(p)
	require.ErrorContains(t, err, "no matching module type 'MyModule1'")
}

func FuzzRDBReader(f *testing.F) {
	dir := rdbtest.FixturesDir()
	if dir != "" {
		for _, p := range rdbtest.Fixtures(dir) {
			if b, err := os.ReadFile(p); err == nil && len(b) < 1024 {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("REDIS0010\xff\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		done := make(chan struct{})
		go func() { parseAll(b); close(done) }() // must not panic
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("reader hung on %q", b)
		}
	})
}

// The sliced CRC agrees with the plain bitwise definition on every length
// and split.
func TestRDBCRC64Sliced(t *testing.T) {
	bitwise := func(crc uint64, p []byte) uint64 {
		for _, b := range p {
			crc ^= uint64(b)
			for range 8 {
				if crc&1 == 1 {
					crc = crc>>1 ^ 0x95ac9329ac4bc9b5
				} else {
					crc >>= 1
				}
			}
		}
		return crc
	}
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i*131 + 7)
	}
	for n := 0; n <= len(data); n += 7 {
		require.Equal(t, bitwise(0, data[:n]), rdb.CRC64(0, data[:n]), "len %d", n)
		half := n / 3
		require.Equal(t, bitwise(0, data[:n]), rdb.CRC64(rdb.CRC64(0, data[:half]), data[half:n]), "split %d", n)
	}
}
