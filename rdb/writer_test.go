package rdb_test

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shaledb/shale/rdb"
	"github.com/stretchr/testify/require"
)

// writeString returns what a Writer writes for one String call.
func writeString(t *testing.T, s []byte, compress bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 0)
	w.SetCompression(compress)
	w.String(s)
	require.NoError(t, w.Flush())
	return buf.Bytes()
}

func TestRDBWriterStringEncodings(t *testing.T) {
	rep := func(s string, n int) []byte { return []byte(strings.Repeat(s, n)) }
	rnd := rand.New(rand.NewSource(3))
	random := make([]byte, 300)
	rnd.Read(random)
	for _, tc := range []struct {
		name string
		in   []byte
		lzf  bool // compressed when compression is on
	}{
		{"empty", nil, false},
		{"int8", []byte("-12"), false},
		{"int32", []byte("2147483647"), false},
		{"not canonical int", []byte("0012"), false},
		{"20 bytes", rep("a", 20), false},
		{"21 bytes", rep("a", 21), true},
		{"21 random", random[:21], false},
		{"300 random", random, false},
		{"63 bytes", rep("ab", 32)[:63], true},
		{"header shrinks", rep("abc", 1000), true}, // 2-byte original length, 1-byte compressed
		{"100 KB", rep("0123456789", 10000), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, compress := range []bool{false, true} {
				got := writeString(t, tc.in, compress)
				// The slice form writes the same bytes as the Writer.
				require.Equal(t, got, rdb.AppendString([]byte{}, tc.in, compress))
				require.Equal(t, "pre"+string(got), string(rdb.AppendString([]byte("pre"), tc.in, compress)))
				isLZF := got[0] == 0xc3
				require.Equal(t, compress && tc.lzf, isLZF, "first byte %#x", got[0])
				if isLZF {
					require.Less(t, len(got), len(tc.in))
				}
				// And it reads back.
				r := rdb.NewValueReader(got)
				back, err := r.ReadString()
				require.NoError(t, err)
				require.Equal(t, string(tc.in), string(back))
				require.False(t, r.More())
			}
		})
	}
}

func TestRDBAppendStringGrows(t *testing.T) {
	// Compressing into a buffer with little spare capacity must not touch
	// what precedes it.
	in := []byte(strings.Repeat("xyz", 500))
	dst := make([]byte, 5, 6)
	copy(dst, "hello")
	out := rdb.AppendString(dst, in, true)
	require.Equal(t, "hello", string(out[:5]))
	back, err := rdb.NewValueReader(out[5:]).ReadString()
	require.NoError(t, err)
	require.Equal(t, in, back)
}

// writeFile writes a small RDB with a compressible value.
func writeFile(t *testing.T, path string, compress, checksum bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 0)
	w.SetCompression(compress)
	w.SetChecksum(checksum)
	w.Header()
	w.Aux("redis-ver", "7.0.15")
	w.SelectDB(0)
	w.ResizeDB(2, 0)
	w.Key(rdb.TypeString, []byte("long:"+strings.Repeat("k", 40)))
	w.String([]byte(strings.Repeat("compressible value ", 200)))
	w.Key(rdb.TypeHash, []byte("h"))
	w.Len(1)
	w.String([]byte(strings.Repeat("field", 10)))
	w.String([]byte(strings.Repeat("value", 100)))
	require.NoError(t, w.End())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return buf.Bytes()
}

func TestRDBWriterCompressionAndChecksum(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, compress := range []bool{false, true} {
		for _, checksum := range []bool{false, true} {
			name := map[bool]string{false: "plain", true: "lzf"}[compress] + map[bool]string{false: "-nocrc", true: "-crc"}[checksum]
			path := filepath.Join(dir, name+".rdb")
			b := writeFile(t, path, compress, checksum)
			files[name] = b
			trailer := binary.LittleEndian.Uint64(b[len(b)-8:])
			if checksum {
				require.Equal(t, rdb.CRC64(0, b[:len(b)-8]), trailer)
			} else {
				require.Zero(t, trailer)
			}
			// Our reader gets the values back.
			var vals []string
			err := rdb.NewReader(bytes.NewReader(b)).Parse(func(e *rdb.Event) error {
				switch e.Type {
				case rdb.EvString:
					vals = append(vals, string(e.Value))
				case rdb.EvHashField:
					vals = append(vals, string(e.Field)+"="+string(e.Value))
				}
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, []string{strings.Repeat("compressible value ", 200), strings.Repeat("field", 10) + "=" + strings.Repeat("value", 100)}, vals)
			// redis-check-rdb agrees.
			if chk, err := exec.LookPath("redis-check-rdb"); err == nil {
				out, err := exec.Command(chk, path).CombinedOutput()
				require.NoError(t, err, "%s", out)
				require.Contains(t, string(out), "RDB looks OK")
			}
		}
	}
	require.Less(t, len(files["lzf-crc"])*4, len(files["plain-crc"]))
	// Only the trailer differs with the checksum off.
	require.Equal(t, files["lzf-crc"][:len(files["lzf-crc"])-8], files["lzf-nocrc"][:len(files["lzf-nocrc"])-8])
}
