package commands_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Expected replies below were recorded from a real redis-server 7.0.15 by
// sending it the same commands.

func TestBitmapCommandsMatchRedis(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strRun(t, cl, []strCase{
		sc("OK", "set", "s", "foobar"),
		sc(int64(0), "bitcount", "nokey", "a", "b"),
		sc(strErr("ERR value is not an integer or out of range"), "bitcount", "s", "a", "b"),
		sc(strErr("ERR syntax error"), "bitcount", "s", "1"),
		sc(int64(26), "bitcount", "s"),
		sc(int64(4), "bitcount", "s", "0", "0"),
		sc(int64(6), "bitcount", "s", "1", "1"),
		sc(int64(0), "bitcount", "s", "-1", "-5", "foo"),
		sc(strErr("ERR syntax error"), "bitcount", "s", "0", "-1", "foo"),
		sc(int64(26), "bitcount", "s", "0", "-1", "bit"),
		sc(int64(17), "bitcount", "s", "5", "30", "bit"),
		sc(int64(6), "bitcount", "s", "1", "1", "byte"),
		sc(int64(26), "bitcount", "s", "-100", "100", "bit"),
		sc(int64(0), "bitcount", "s", "3", "3", "bit"),
		sc(strErr("ERR The bit argument must be 1 or 0."), "bitpos", "s", "2"),
		sc(int64(0), "bitpos", "nokey", "0", "a"),
		sc(int64(-1), "bitpos", "nokey", "1"),
		sc(strErr("ERR value is not an integer or out of range"), "bitpos", "s", "0", "a"),
		sc(strErr("ERR syntax error"), "bitpos", "s", "1", "0", "-1", "foo"),
		sc(strErr("ERR value is not an integer or out of range"), "bitpos", "s", "1", "a", "b", "foo"),
		sc(strErr("ERR syntax error"), "bitpos", "s", "1", "0", "a", "foo"),
		sc(int64(1), "bitpos", "s", "1"),
		sc(int64(0), "bitpos", "s", "0"),
		sc(int64(17), "bitpos", "s", "1", "2"),
		sc(int64(2), "bitpos", "s", "1", "2", "-1", "bit"),
		sc(int64(7), "bitpos", "s", "0", "7", "15", "bit"),
		sc(int64(9), "bitpos", "s", "1", "7", "15", "bit"),
		sc(int64(46), "bitpos", "s", "1", "-3", "-1", "bit"),
		sc("OK", "set", "ones", "\xff\xff\xff"),
		sc(int64(24), "bitpos", "ones", "0"),
		sc(int64(24), "bitpos", "ones", "0", "0"),
		sc(int64(-1), "bitpos", "ones", "0", "0", "-1"),
		sc(int64(-1), "bitpos", "ones", "0", "0", "-1", "bit"),
		sc(strErr("ERR value is not an integer or out of range"), "bitpos", "ones", "0", "1", "bit"),
		sc(strErr("ERR value is not an integer or out of range"), "bitpos", "ones", "1", "1", "bit"),
		sc(int64(5), "bitpos", "ones", "1", "5", "5", "bit"),
		sc(int64(-1), "bitpos", "ones", "0", "5", "5", "bit"),
		sc(strErr("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."), "bitfield", "s", "get", "u64", "0"),
		sc(strErr("ERR bit offset is not an integer or out of range"), "bitfield", "s", "get", "i8", "#a"),
		sc(strErr("ERR bit offset is not an integer or out of range"), "bitfield", "s", "get", "i8", "-1"),
		sc(strErr("ERR syntax error"), "bitfield", "s", "foo"),
		sc(strErr("ERR Invalid OVERFLOW type specified"), "bitfield", "s", "overflow", "foo", "get", "i8", "0"),
		sc(strErr("ERR syntax error"), "bitfield", "s", "get", "i8"),
		sc(strErr("ERR BITFIELD_RO only supports the GET subcommand"), "bitfield_ro", "s", "set", "i8", "0", "1"),
		sc(strErr("ERR value is not an integer or out of range"), "bitfield_ro", "s", "incrby", "i8", "0", "x"),
		sc(strErr("ERR value is not an integer or out of range"), "bitfield", "s", "set", "i8", "0", "x"),
		sc([]any{int64(102), int64(51), int64(7381240782615871488), int64(7381240782615871488), int64(-10), int64(0), int64(8214565720323784704)}, "bitfield", "s", "get", "u8", "0", "get", "i8", "3", "get", "i64", "0", "get", "u63", "1", "get", "i5", "#3", "get", "u1", "47", "get", "i64", "40"),
		sc(strErr("ERR syntax error"), "bitop", "foo", "d", "s"),
		sc(strErr("ERR BITOP NOT must be called with a single source key."), "bitop", "not", "d", "s", "s"),
		sc(strErr("ERR wrong number of arguments for 'bitop' command"), "bitop", "and", "d"),
		sc(strErr("ERR bit is not an integer or out of range"), "setbit", "s", "1", "2"),
		sc(strErr("ERR bit offset is not an integer or out of range"), "setbit", "s", "-1", "1"),
		sc(strErr("ERR bit offset is not an integer or out of range"), "setbit", "s", "4294967296", "1"),
		sc(strErr("ERR bit offset is not an integer or out of range"), "getbit", "s", "4294967296"),
		sc(strErr("ERR bit offset is not an integer or out of range"), "getbit", "s", "x"),
		sc(strErr("ERR bit offset is not an integer or out of range"), "setbit", "s", "x", "1"),
		sc(strErr("ERR bit is not an integer or out of range"), "setbit", "s", "1", "x"),
		sc(int64(0), "setbit", "new", "100", "0"),
		sc("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "get", "new"),
		sc(int64(13), "strlen", "new"),
		sc(int64(0), "setbit", "new", "7", "1"),
		sc("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "get", "new"),
		sc(int64(1), "getbit", "new", "7"),
		sc(int64(0), "getbit", "new", "6"),
		sc(int64(0), "getbit", "new", "100000"),
		sc(int64(0), "getbit", "nokey", "5"),
		sc(int64(1), "lpush", "l", "a"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "getbit", "l", "1"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "setbit", "l", "1", "1"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "bitcount", "l"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "bitpos", "l", "1"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "bitfield", "l", "get", "u8", "0"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "bitfield_ro", "l", "get", "u8", "0"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "bitop", "and", "d", "l"),
		sc(strErr("WRONGTYPE Operation against a key holding the wrong kind of value"), "bitop", "and", "d", "s", "l"),
		sc("OK", "set", "a", "abc"),
		sc("OK", "set", "b", "\x01\x02\xff\xf0z"),
		sc(int64(5), "bitop", "and", "d", "a", "b"),
		sc("\x01\x02c\x00\x00", "get", "d"),
		sc(int64(5), "bitop", "or", "d", "a", "b", "nokey"),
		sc("ab\xff\xf0z", "get", "d"),
		sc(int64(5), "bitop", "xor", "d", "a", "b"),
		sc("``\x9c\xf0z", "get", "d"),
		sc(int64(5), "bitop", "not", "d", "b"),
		sc("\xfe\xfd\x00\x0f\x85", "get", "d"),
		sc("OK", "set", "d", "x"),
		sc(int64(0), "bitop", "and", "d", "nokey", "nokey2"),
		sc(int64(0), "exists", "d"),
		sc([]any{int64(0), int64(255), int64(0), int64(255), nil, int64(0), nil}, "bitfield", "bf", "set", "u8", "0", "255", "get", "u8", "0", "incrby", "u8", "0", "1", "overflow", "sat", "incrby", "u8", "0", "300", "overflow", "fail", "incrby", "u8", "0", "1", "set", "i8", "8", "-128", "incrby", "i8", "8", "-1"),
		sc("\xff\x80", "get", "bf"),
		sc([]any{int64(9187343239835811839), int64(-36028797018963970), int64(9187343239835811837), int64(-9223372036854775808), nil}, "bitfield", "bf", "overflow", "wrap", "incrby", "i64", "0", "9223372036854775807", "incrby", "i64", "0", "9223372036854775807", "overflow", "sat", "incrby", "i64", "0", "9223372036854775807", "overflow", "fail", "incrby", "i64", "64", "-9223372036854775808", "incrby", "i64", "64", "-1"),
		sc([]any{int64(127), int64(-1), int64(-1), int64(3), int64(-2), nil, int64(236)}, "bitfield", "bf", "overflow", "sat", "set", "u8", "0", "-1", "set", "i4", "0", "100", "set", "i4", "4", "-100", "overflow", "wrap", "set", "u3", "0", "15", "set", "i3", "3", "-5", "overflow", "fail", "set", "u2", "10", "4", "get", "u8", "0"),
		sc([]any{nil}, "bitfield", "bf2", "overflow", "fail", "set", "u8", "1000", "300"),
		sc("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "get", "bf2"),
		sc(int64(126), "strlen", "bf2"),
		sc([]any{int64(9223372036854775807), int64(0), int64(9223372036854775807), int64(9223372036854775807), int64(4)}, "bitfield", "bf3", "incrby", "u63", "0", "-1", "overflow", "sat", "incrby", "u63", "63", "-1", "incrby", "u63", "63", "9223372036854775807", "incrby", "u63", "63", "1", "overflow", "wrap", "incrby", "u63", "63", "5"),
		sc([]any{int64(0), int64(4611686018427387903), int64(-1), int64(-1), int64(0), int64(1)}, "bitfield", "bf4", "set", "i64", "#1", "-1", "get", "u63", "#1", "get", "i64", "64", "incrby", "i1", "0", "1", "incrby", "i1", "0", "1", "incrby", "u1", "0", "1"),
		sc([]any{}, "bitfield", "bf4"),
		sc([]any{int64(-1)}, "bitfield_ro", "bf4", "get", "i64", "#1"),
		sc([]any{}, "bitfield", "bf4", "overflow", "sat"),
		sc([]any{}, "bitfield", "nokey"),
		sc(int64(0), "exists", "nokey"),
		sc([]any{int64(0)}, "bitfield_ro", "nokey", "get", "u8", "0"),
	})
}

// bitIsFragmented reports whether key is stored as fragments.
func bitIsFragmented(t *testing.T, s *servertest.Server, key string) bool {
	t.Helper()
	tx := s.Srv.Engine.Begin(0)
	m, ok, err := tx.Lookup([]byte(key))
	require.NoError(t, err)
	require.True(t, ok, key)
	return m.Flags&encoding.FlagFragmented != 0
}

// Every string and bit command on a value stored as fragments: the replies
// are Redis 7.0.15's for the same command sequence.
func TestBitmapFragmentedMatchesRedis(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	strRun(t, cl, []strCase{sc(int64(0), "setbit", "f", "600000", "1")})
	require.True(t, bitIsFragmented(t, s, "f"))
	strRun(t, cl, []strCase{
		sc(int64(75001), "strlen", "f"),
		sc("raw", "object", "encoding", "f"),
		sc(int64(1), "getbit", "f", "600000"),
		sc(int64(0), "getbit", "f", "599999"),
		sc(int64(1), "bitcount", "f"),
		sc(int64(600000), "bitpos", "f", "1"),
		sc(int64(0), "bitpos", "f", "0"),
		sc(int64(600000), "bitpos", "f", "1", "1000", "-1"),
		sc(int64(600000), "bitpos", "f", "1", "74000", "-1"),
		sc(int64(592000), "bitpos", "f", "0", "74000", "-1"),
		sc(int64(600000), "bitpos", "f", "1", "599990", "600010", "bit"),
		sc(int64(0), "setbit", "f", "4", "1"),
		sc(int64(1), "bitcount", "f", "0", "0"),
		sc(int64(2), "bitcount", "f", "0", "-1", "bit"),
		sc(int64(1), "bitcount", "f", "75000", "75000"),
		sc(int64(1), "bitcount", "f", "-1", "-1"),
		sc(int64(1), "bitcount", "f", "599000", "600001", "bit"),
		sc(int64(75016), "setrange", "f", "74990", "abcdefghijklmnopqrstuvwxyz"),
		sc("\x00\x00\x00\x00\x00abcdefghijklmnopqrstuvwxyz", "getrange", "f", "74985", "75020"),
		sc("qrstuvwxyz", "getrange", "f", "-10", "-1"),
		sc(int64(75016), "strlen", "f"),
		sc(int64(75019), "append", "f", "XYZ"),
		sc(int64(75019), "strlen", "f"),
		sc("yzXYZ", "getrange", "f", "-5", "-1"),
		sc([]any{int64(8), int64(-22858), int64(0), int64(-56), int64(576460752303423488)}, "bitfield", "f", "get", "u8", "#0", "get", "i16", "599996", "set", "u32", "#20000", "4294967295", "incrby", "i8", "#9400", "200", "get", "i64", "0"),
		sc([]any{int64(4294967295)}, "bitfield", "f", "get", "u32", "#20000"),
		sc([]any{int64(0)}, "bitfield", "f", "set", "u8", "#200000", "1"),
		sc(int64(200001), "strlen", "f"),
		sc(int64(1), "getbit", "f", "1600007"),
		sc(int64(1), "setbit", "f", "1600007", "0"),
		sc(int64(159), "bitcount", "f"),
		sc(int64(200001), "bitop", "and", "g", "f", "f"),
		sc(int64(200001), "strlen", "g"),
		sc(int64(159), "bitcount", "g"),
		sc(int64(200001), "bitop", "not", "g", "f"),
		sc(int64(1599849), "bitcount", "g"),
		sc(int64(4), "bitpos", "g", "0"),
		sc(int64(200001), "bitop", "xor", "g", "f", "g"),
		sc(int64(1600008), "bitcount", "g"),
		sc(int64(1600008), "bitpos", "g", "0"),
		sc(int64(1600000), "bitpos", "g", "1", "-1"),
		sc(strErr("ERR value is not an integer or out of range"), "incr", "f"),
		sc(int64(-1), "ttl", "f"),
		sc(int64(1), "expire", "f", "100"),
		sc(int64(0), "setbit", "f", "10", "1"),
		sc(int64(100), "ttl", "f"),
		sc("\x08 ", "getrange", "f", "0", "1"),
		sc(int64(1), "copy", "f", "f2"),
		sc("OK", "rename", "f2", "f3"),
		sc(int64(200001), "strlen", "f3"),
		sc("abcdef", "getrange", "f3", "74990", "74995"),
		sc(strNil, "getdel", "f4"),
		sc(int64(1), "exists", "f3"),
		sc("OK", "set", "f", "small"),
		sc(int64(5), "strlen", "f"),
		sc("small", "get", "f"),
		sc(int64(1), "setbit", "f", "3", "1"),
		sc("small", "get", "f"),
	})
	require.False(t, bitIsFragmented(t, s, "f"), "SET stores inline again")
	require.True(t, bitIsFragmented(t, s, "g"))
}

// A model test: random writes through SETBIT, SETRANGE, APPEND and
// BITFIELD on a string that crosses the fragmentation threshold, compared
// with the same edits on a byte slice.
func TestBitmapFragmentedModel(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var model []byte
	grow := func(n int) {
		if n > len(model) {
			model = append(model, make([]byte, n-len(model))...)
		}
	}
	for i := 0; i < 300; i++ {
		switch rng.IntN(4) {
		case 0:
			off := rng.IntN(200000 * 8)
			v := rng.IntN(2)
			grow(off/8 + 1)
			old := int64(model[off/8]>>(7-off%8)) & 1
			model[off/8] = model[off/8]&^(1<<(7-off%8)) | byte(v)<<(7-off%8)
			got, err := servertest.Do(cl, "setbit", "m", off, v)
			require.NoError(t, err)
			require.Equal(t, old, got)
		case 1:
			off := rng.IntN(150000)
			val := bytes.Repeat([]byte{byte(rng.IntN(256))}, 1+rng.IntN(9000))
			grow(off + len(val))
			copy(model[off:], val)
			got, err := servertest.Do(cl, "setrange", "m", off, val)
			require.NoError(t, err)
			require.Equal(t, int64(len(model)), got)
		case 2:
			val := []byte("tail" + strconv.Itoa(i))
			model = append(model, val...)
			got, err := servertest.Do(cl, "append", "m", val)
			require.NoError(t, err)
			require.Equal(t, int64(len(model)), got)
		case 3:
			off := rng.IntN(len(model)*8 + 64)
			grow((off+32)/8 + 1)
			v := rng.Uint32()
			for j := 0; j < 32; j++ {
				p := off + j
				bit := byte(v>>(31-j)) & 1
				model[p/8] = model[p/8]&^(1<<(7-p%8)) | bit<<(7-p%8)
			}
			_, err := servertest.Do(cl, "bitfield", "m", "set", "u32", off, v)
			require.NoError(t, err)
		}
		if i%25 == 0 || i == 299 {
			got, err := cl.Get(ctx, "m").Bytes()
			require.NoError(t, err)
			require.True(t, bytes.Equal(model, got), "step %d: GET differs from the model", i)
			n, err := cl.StrLen(ctx, "m").Result()
			require.NoError(t, err)
			require.Equal(t, int64(len(model)), n)
			var ones int64
			for _, c := range model {
				for ; c != 0; c &= c - 1 {
					ones++
				}
			}
			cnt, err := servertest.Do(cl, "bitcount", "m")
			require.NoError(t, err)
			require.Equal(t, ones, cnt)
			a := rng.IntN(len(model))
			b := a + rng.IntN(len(model)-a)
			r, err := cl.GetRange(ctx, "m", int64(a), int64(b)).Bytes()
			require.NoError(t, err)
			require.True(t, bytes.Equal(model[a:b+1], r))
		}
	}
	require.True(t, bitIsFragmented(t, s, "m"))
	// The value survives a restart (fragments are ordinary records).
	s.Restart()
	cl = s.Client()
	got, err := cl.Get(ctx, "m").Bytes()
	require.NoError(t, err)
	require.True(t, bytes.Equal(model, got))
}

// SETBIT at offset 4,000,000,000 on an empty key writes one fragment, not
// 500 MB: the key's records stay a few KB.
func TestBitmapHugeOffsetIsSmall(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	ctx := context.Background()
	for _, off := range []int64{4000000000, 4294967295, 0, 123456789} {
		_, err := servertest.Do(cl, "setbit", "huge", off, 1)
		require.NoError(t, err)
	}
	n, err := cl.StrLen(ctx, "huge").Result()
	require.NoError(t, err)
	require.Equal(t, int64(536870912), n)
	for _, tc := range []struct {
		args []any
		want int64
	}{
		{[]any{"bitcount", "huge"}, 4},
		{[]any{"getbit", "huge", 4000000000}, 1},
		{[]any{"getbit", "huge", 3999999999}, 0},
		{[]any{"bitpos", "huge", 1, 1}, 123456789},
		{[]any{"bitpos", "huge", 0, -1}, 4294967288},
		{[]any{"bitpos", "huge", 1, 15432098, -1}, 123456789},
		{[]any{"bitpos", "huge", 1, 123456790, -1, "bit"}, 4000000000},
		{[]any{"bitcount", "huge", 123456789, 4000000000, "bit"}, 2},
	} {
		got, err := servertest.Do(cl, tc.args...)
		require.NoError(t, err, "%v", tc.args)
		require.Equal(t, tc.want, got, "%v", tc.args)
	}
	// Sum the key's stored records through the engine's store.
	mk := encoding.MetaKey(s.Srv.Engine.Physical(0), []byte("huge"))
	it, err := s.Srv.Engine.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	var stored, records int
	for ok := it.First(); ok; ok = it.Next() {
		stored += len(it.Key()) + len(it.Value())
		records++
	}
	require.NoError(t, it.Close())
	require.Equal(t, 5, records, "metadata and four fragments")
	require.Less(t, stored, 5*(engine.FragSize+100))
	require.NoError(t, cl.Del(ctx, "huge").Err())
	require.Equal(t, int64(0), cl.Exists(ctx, "huge").Val())
}

// BITOP over big inputs stores a fragmented result.
func TestBitmapBitopFragmented(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	for _, tc := range []struct {
		args []any
		want int64
	}{
		{[]any{"setbit", "a", 8000000, 1}, 0},
		{[]any{"setbit", "b", 16, 1}, 0},
		{[]any{"bitop", "or", "d", "a", "b"}, 1000001},
		{[]any{"bitcount", "d"}, 2},
		{[]any{"bitop", "not", "d", "a"}, 1000001},
		{[]any{"bitcount", "d"}, 8000007},
		{[]any{"bitpos", "d", 0}, 8000000},
		{[]any{"bitop", "and", "d", "a", "b"}, 1000001},
		{[]any{"bitcount", "d"}, 0},
	} {
		got, err := servertest.Do(cl, tc.args...)
		require.NoError(t, err, "%v", tc.args)
		require.Equal(t, tc.want, got, "%v", tc.args)
	}
	require.True(t, bitIsFragmented(t, s, "d"))
}

// Keyspace events of the bit and HLL commands, as Redis 7.0.15 emits them:
// SETBIT/BITFIELD notify only when the key is created or grown or a value
// changes; BITOP sets or deletes; PFMERGE is notified as pfadd.
func TestBitmapHLLEvents(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "KEA")
	sub := nfSubscribe(t, s)
	c := s.Client()
	for _, cmd := range [][]any{
		{"setbit", "a", 100, 1}, {"setbit", "a", 1, 0}, {"bitfield", "b", "set", "u8", 0, 1},
		{"bitfield", "b", "set", "u8", 0, 1}, {"bitfield", "b", "get", "u8", 0},
		{"bitfield", "c", "overflow", "fail", "set", "u8", 0, 999},
		{"bitop", "and", "d", "a", "b"}, {"bitop", "or", "d", "nokey"}, {"bitop", "or", "d", "nokey"},
		{"pfadd", "h", "x"}, {"pfadd", "h", "x"}, {"pfcount", "h"}, {"pfmerge", "m", "h"},
		{"pfdebug", "todense", "h"},
	} {
		_, err := servertest.Do(c, cmd...)
		require.NoError(t, err, "%v", cmd)
	}
	sub.expect(nfEvent(0, "setbit", "a") + nfEvent(0, "setbit", "b") + nfEvent(0, "set", "d") +
		nfEvent(0, "del", "d") + nfEvent(0, "pfadd", "h") + nfEvent(0, "pfadd", "m"))
	require.Equal(t, int64(1), c.Exists(context.Background(), "c").Val(), "created although FAIL refused the write")
	sub.quiet()
}

// bitRecords counts every record stored under key in db 0 (metadata and
// fragments of all versions).
func bitRecords(t *testing.T, s *servertest.Server, db int, key string) int {
	t.Helper()
	mk := encoding.MetaKey(s.Srv.Engine.Physical(db), []byte(key))
	it, err := s.Srv.Engine.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	require.NoError(t, it.Close())
	return n
}

// The remaining string commands see a fragmented value as one string.
func TestBitmapFragmentedStringCommands(t *testing.T) {
	s := servertest.Start(t)
	cl := s.Client()
	ctx := context.Background()
	model := make([]byte, 75001)
	model[75000] = 0x80
	copy(model[10:], "hello")
	build := func(key string) {
		t.Helper()
		require.NoError(t, cl.Del(ctx, key).Err())
		require.NoError(t, cl.SetBit(ctx, key, 600000, 1).Err())
		require.NoError(t, cl.SetRange(ctx, key, 10, "hello").Err())
		require.True(t, bitIsFragmented(t, s, key))
	}
	build("f")
	vals, err := cl.MGet(ctx, "f", "nokey").Result()
	require.NoError(t, err)
	require.Equal(t, []any{string(model), nil}, vals)
	sub, err := servertest.Do(cl, "substr", "f", 8, 16)
	require.NoError(t, err)
	require.Equal(t, string(model[8:17]), sub)
	require.Equal(t, "string", cl.Type(ctx, "f").Val())
	require.NoError(t, cl.Set(ctx, "g", "hello", 0).Err())
	lcs, err := servertest.Do(cl, "lcs", "f", "g")
	require.NoError(t, err)
	require.Equal(t, "hello", lcs)
	require.EqualError(t, cl.Decr(ctx, "f").Err(), "ERR value is not an integer or out of range")
	require.EqualError(t, cl.IncrByFloat(ctx, "f", 1).Err(), "ERR value is not a valid float")
	require.Equal(t, int64(1), cl.SetBit(ctx, "f", 600000, 1).Val(), "unchanged")

	v, err := cl.GetEx(ctx, "f", time.Hour).Result()
	require.NoError(t, err)
	require.Equal(t, string(model), v)
	require.Greater(t, cl.TTL(ctx, "f").Val(), 59*time.Minute)
	require.True(t, bitIsFragmented(t, s, "f"), "GETEX keeps the representation")

	old, err := cl.SetArgs(ctx, "f", "x", redis.SetArgs{Get: true}).Result()
	require.NoError(t, err)
	require.Equal(t, string(model), old)
	require.Equal(t, 1, bitRecords(t, s, 0, "f"), "SET dropped the fragments")

	build("f")
	old, err = cl.GetSet(ctx, "f", "y").Result()
	require.NoError(t, err)
	require.Equal(t, string(model), old)
	require.Equal(t, 1, bitRecords(t, s, 0, "f"))

	build("f")
	require.False(t, cl.SetNX(ctx, "f", "z", 0).Val())
	require.Equal(t, int64(1), cl.Exists(ctx, "f").Val())
	require.True(t, cl.Move(ctx, "f", 1).Val())
	require.Equal(t, 0, bitRecords(t, s, 0, "f"))
	c1 := s.ClientWith(&redis.Options{DB: 1})
	v, err = c1.Get(ctx, "f").Result()
	require.NoError(t, err)
	require.Equal(t, string(model), v)
	v, err = c1.GetDel(ctx, "f").Result()
	require.NoError(t, err)
	require.Equal(t, string(model), v)
	require.Equal(t, 0, bitRecords(t, s, 1, "f"), "GETDEL dropped the fragments")

	build("f")
	require.Equal(t, int64(1), cl.Del(ctx, "f").Val())
	require.Equal(t, 0, bitRecords(t, s, 0, "f"))
}
