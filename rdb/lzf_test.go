package rdb

import (
	"bytes"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLZFMatchesRedis(t *testing.T) {
	// What redis-server 7.0.15 writes (FUNCTION DUMP) for this code.
	code := "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"
	want := "\x1f#!lua name=mylib\nredis.register_\x0bfunction('my@\x0b\x02', @\x06`\x12\x11keys, args) return`\x0c\x07[1] end)"
	c, ok := AppendLZF(nil, []byte(code), len(code)-4)
	require.True(t, ok)
	require.Equal(t, want, string(c))
	back, err := LZFDecompress(c, len(code))
	require.NoError(t, err)
	require.Equal(t, code, string(back))
	// The same input again gives the same bytes: the table is clean.
	c2, ok := AppendLZF([]byte("prefix"), []byte(code), len(code)-4)
	require.True(t, ok)
	require.Equal(t, "prefix"+want, string(c2))
}

// roundTrip compresses in with a generous limit and checks it comes back.
func roundTrip(t *testing.T, c *lzfCompressor, in []byte) []byte {
	t.Helper()
	out, ok := c.compress(nil, in, len(in)+len(in)/16+64)
	require.True(t, ok, "len %d", len(in))
	back, err := lzfDecompress(out, len(in))
	require.NoError(t, err)
	require.True(t, bytes.Equal(in, back), "len %d", len(in))
	// Earlier inputs leave nothing behind: a fresh table gives the same.
	fresh, ok := new(lzfCompressor).compress(nil, in, len(in)+len(in)/16+64)
	require.True(t, ok)
	require.True(t, bytes.Equal(fresh, out), "len %d: output depends on earlier inputs", len(in))
	return out
}

func TestLZFRoundTrip(t *testing.T) {
	c := new(lzfCompressor)
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		n := 3 + rnd.Intn(40000)
		in := make([]byte, n)
		switch i % 3 {
		case 0: // random over a small or large alphabet
			alphabet := 2 + rnd.Intn(250)
			for j := range in {
				in[j] = byte(rnd.Intn(alphabet))
			}
		case 1: // repetitive: a short pattern with mutations
			pat := make([]byte, 1+rnd.Intn(50))
			rnd.Read(pat)
			for j := range in {
				in[j] = pat[j%len(pat)]
				if rnd.Intn(100) == 0 {
					in[j] = byte(rnd.Intn(256))
				}
			}
		default: // long runs of one byte (overlapping back references)
			for j := 0; j < n; {
				b, run := byte(rnd.Intn(4)), 1+rnd.Intn(2000)
				for ; run > 0 && j < n; run-- {
					in[j] = b
					j++
				}
			}
		}
		roundTrip(t, c, in)
	}
}

func TestLZFTableWraps(t *testing.T) {
	// Positions are stored as position+base in 32 bits: when base runs out
	// the table is cleared, and the output stays the same.
	in := []byte(strings.Repeat("wrap around the table ", 3000))
	want, ok := new(lzfCompressor).compress(nil, in, len(in))
	require.True(t, ok)
	c := new(lzfCompressor)
	c.base = math.MaxUint32 - len(in)/2
	for i := 0; i < 4; i++ {
		got, ok := c.compress(nil, in, len(in))
		require.True(t, ok)
		require.Equal(t, want, got)
	}
	require.Less(t, c.base, 1<<20)
}

func TestLZFEdgeSizes(t *testing.T) {
	c := new(lzfCompressor)
	// 21 bytes, the shortest string Redis tries: compresses when repetitive.
	in := []byte(strings.Repeat("a", 21))
	out, ok := c.compress(nil, in, 17)
	require.True(t, ok)
	require.Less(t, len(out), 17)
	back, err := lzfDecompress(out, 21)
	require.NoError(t, err)
	require.Equal(t, in, back)
	// Incompressible: does not fit in len-4 bytes, dst is left alone.
	rnd := rand.New(rand.NewSource(2))
	for _, n := range []int{21, 22, 100, 4096, 1 << 20} {
		in := make([]byte, n)
		rnd.Read(in)
		dst := []byte("keep")
		d, ok := c.compress(dst, in, n-4)
		require.False(t, ok, "random %d bytes", n)
		require.Equal(t, "keep", string(d))
		roundTrip(t, c, in) // still correct with room to spare
	}
	// Tiny inputs never compress.
	for _, s := range []string{"", "a", "ab"} {
		_, ok := c.compress(nil, []byte(s), 10)
		require.False(t, ok)
	}
	// 1 MB of repetitive text shrinks a lot and round-trips.
	big := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog ", (1<<20)/44+1)[:1<<20])
	out = roundTrip(t, c, big)
	require.Less(t, len(out), len(big)/20)
	// 1 MB of one byte: the longest back references.
	out = roundTrip(t, c, make([]byte, 1<<20))
	require.Less(t, len(out), (1<<20)/80)
	// The limit is respected: below the compressed size it fails; near it
	// (liblzf's checks are conservative by a few bytes) it fails or fits.
	_, ok = c.compress(nil, big, len(out)-1)
	require.False(t, ok)
	for limit := len(out); limit < len(out)+8; limit++ {
		if out2, ok := c.compress(nil, big, limit); ok {
			require.Equal(t, out, out2)
		}
	}
}

func TestLZFDecompressRejects(t *testing.T) {
	for _, tc := range []struct {
		in     string
		outLen int
	}{
		{"\xe0\xff", 10},           // back reference before the start
		{"\x05abc", 6},             // literal run past the input
		{"\x00a", 2},               // output shorter than promised
		{"\x01ab", 1},              // output longer than promised
		{"\x00a\x20", 10},          // back reference missing its offset byte
		{"\x00a\xe0", 10},          // long back reference missing its length
		{"\x00a\x20\x00", 3},       // back reference past outLen
		{"\x00a", 1 << 40},         // more than LZF can expand to
		{"", -1},                   // negative length
		{"\x00a\xe0\xff\x00", 266}, // fine up to here: 1+264 = 265, not 266
	} {
		_, err := lzfDecompress([]byte(tc.in), tc.outLen)
		require.Error(t, err, "%q %d", tc.in, tc.outLen)
	}
	out, err := lzfDecompress([]byte("\x00a\xe0\xff\x00"), 265)
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("a", 265), string(out))
}

func FuzzLZFDecompress(f *testing.F) {
	f.Add([]byte("\x00a\xe0\xff\x00"), 265)
	f.Add([]byte("\x1f#!lua name=mylib\nredis.register_\x0bfunction('my@\x0b\x02', @\x06`\x12\x11keys"), 60)
	f.Add([]byte("\xe0\xff"), 10)
	f.Fuzz(func(t *testing.T, in []byte, outLen int) {
		if outLen > 1<<24 {
			outLen %= 1 << 24
		}
		out, err := lzfDecompress(in, outLen)
		if err != nil {
			return
		}
		if len(out) != outLen {
			t.Fatalf("asked for %d bytes, got %d", outLen, len(out))
		}
		// What decompresses also survives a compression round trip.
		c := new(lzfCompressor)
		if len(out) >= 3 {
			comp, ok := c.compress(nil, out, len(out)+len(out)/16+64)
			if !ok {
				t.Fatal("compression failed with room to spare")
			}
			back, err := lzfDecompress(comp, len(out))
			if err != nil || !bytes.Equal(back, out) {
				t.Fatal("round trip changed the data")
			}
		}
	})
}

func FuzzLZFCompress(f *testing.F) {
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 10)
	f.Add([]byte("#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"), 90)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		limit %= len(in) + 100
		c := new(lzfCompressor)
		out, ok := c.compress(nil, in, limit)
		if !ok {
			return
		}
		if len(out) > limit {
			t.Fatalf("%d bytes over a limit of %d", len(out), limit)
		}
		back, err := lzfDecompress(out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

func BenchmarkLZFCompress(b *testing.B) {
	for _, n := range []int{32, 200, 500, 4096, 1 << 20} {
		in := []byte(strings.Repeat("value-1234-abcdefgh ", n/20+1)[:n])
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			var dst []byte
			for b.Loop() {
				dst, _ = AppendLZF(dst[:0], in, n-4)
			}
		})
	}
}
