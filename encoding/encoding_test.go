package encoding

import (
	"bytes"
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// scoreTable is sorted in strictly increasing numeric order (except the two
// zeros, which must encode identically).
var scoreTable = []float64{
	math.Inf(-1),
	-math.MaxFloat64,
	-1e308,
	-1e10,
	-1.5,
	-1,
	-0.5,
	-math.SmallestNonzeroFloat64 * 4, // denormal
	-math.SmallestNonzeroFloat64,     // smallest negative denormal
	0,
	math.SmallestNonzeroFloat64, // smallest positive denormal
	math.SmallestNonzeroFloat64 * 4,
	0x1p-1022, // smallest normal
	1e-300,
	0.1,
	0.5,
	1,
	1.0000000000000002, // next float after 1
	3,
	1e10,
	9007199254740993, // 2^53+1 (rounds to 2^53)
	1e308,
	math.MaxFloat64,
	math.Inf(1),
}

func TestEncodeScoreOrder(t *testing.T) {
	var prev []byte
	for i, f := range scoreTable {
		enc := EncodeScore(nil, f)
		require.Len(t, enc, 8)
		if i > 0 {
			require.Equal(t, -1, bytes.Compare(prev, enc), "%v must sort before %v", scoreTable[i-1], f)
		}
		got := DecodeScore(enc)
		require.Equal(t, math.Float64bits(f), math.Float64bits(got), "round trip of %v", f)
		prev = enc
	}
}

func TestEncodeScoreNegativeZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	require.True(t, math.Signbit(negZero))
	require.Equal(t, EncodeScore(nil, 0), EncodeScore(nil, negZero))
	// -0 decodes as +0 (Redis prints "0" for both).
	require.False(t, math.Signbit(DecodeScore(EncodeScore(nil, negZero))))
	// And it sorts between the negative and positive denormals.
	require.Equal(t, -1, bytes.Compare(EncodeScore(nil, -math.SmallestNonzeroFloat64), EncodeScore(nil, negZero)))
	require.Equal(t, -1, bytes.Compare(EncodeScore(nil, negZero), EncodeScore(nil, math.SmallestNonzeroFloat64)))
}

func TestEncodeScoreAppends(t *testing.T) {
	dst := []byte("prefix")
	out := EncodeScore(dst, 1)
	require.Equal(t, []byte("prefix"), out[:6])
	require.Len(t, out, 14)
	require.Equal(t, 1.0, DecodeScore(out[6:]))
}

// TestEncodeScoreRandomOrder sorts random floats (including extreme
// exponents) both numerically and by encoding; the orders must agree.
func TestEncodeScoreRandomOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	fs := make([]float64, 0, 5000)
	for len(fs) < cap(fs) {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) {
			continue
		}
		fs = append(fs, f)
	}
	fs = append(fs, scoreTable...)
	byNum := append([]float64(nil), fs...)
	sort.Float64s(byNum)
	byEnc := append([]float64(nil), fs...)
	sort.Slice(byEnc, func(i, j int) bool {
		return bytes.Compare(EncodeScore(nil, byEnc[i]), EncodeScore(nil, byEnc[j])) < 0
	})
	for i := range byNum {
		require.True(t, byNum[i] == byEnc[i], "position %d: %v vs %v", i, byNum[i], byEnc[i])
	}
}

func TestMetadataRoundTripEveryType(t *testing.T) {
	list := AppendListMeta(nil, ListMeta{Head: ListInitialPos - 3, Tail: ListInitialPos + 7})
	cases := []Metadata{
		{Type: TypeString, Value: []byte("hello")},
		{Type: TypeString, ExpireAt: 1700000000123, Value: []byte{}},
		{Type: TypeString, ExpireAt: math.MaxInt64, Value: []byte("\x00\xff binary")},
		{Type: TypeString, Flags: FlagFragmented, ExpireAt: 5, Version: 42, Size: 1 << 30},
		{Type: TypeHash, Version: 1, Size: 3},
		{Type: TypeHash, ExpireAt: 99, Version: math.MaxUint64, Size: 0},
		{Type: TypeList, Version: 7, Size: 10, Value: list},
		{Type: TypeSet, Version: 8, Size: 1},
		{Type: TypeZSet, ExpireAt: 1, Version: 9, Size: 1 << 40},
		{Type: TypeStream, Version: 10, Size: 2, Value: []byte("stream-tail")},
	}
	for _, m := range cases {
		enc := m.Encode(nil)
		got, err := DecodeMetadata(enc)
		require.NoError(t, err, "%+v", m)
		require.Equal(t, m.Type, got.Type)
		require.Equal(t, m.Flags, got.Flags)
		require.Equal(t, m.ExpireAt, got.ExpireAt)
		require.Equal(t, m.Version, got.Version)
		require.Equal(t, m.Size, got.Size)
		require.Equal(t, string(m.Value), string(got.Value))
		require.Equal(t, m.IsInlineString(), got.IsInlineString())
		// Re-encoding gives the same bytes.
		require.Equal(t, enc, got.Encode(nil))

		typ, exp, ok := PeekType(enc)
		require.True(t, ok)
		require.Equal(t, m.Type, typ)
		require.Equal(t, m.ExpireAt, exp)
	}
	// The list tail survives the trip.
	m, err := DecodeMetadata(cases[6].Encode(nil))
	require.NoError(t, err)
	lm, err := DecodeListMeta(m.Value)
	require.NoError(t, err)
	require.Equal(t, ListMeta{Head: ListInitialPos - 3, Tail: ListInitialPos + 7}, lm)
}

func TestAppendStringMatchesEncode(t *testing.T) {
	m := Metadata{Type: TypeString, ExpireAt: 1234, Value: []byte("v")}
	require.Equal(t, m.Encode(nil), AppendString(nil, 1234, []byte("v")))
	require.Equal(t, []byte("ab"), AppendString([]byte("ab"), 0, nil)[:2])
}

func TestMetadataCorrupt(t *testing.T) {
	bad := [][]byte{
		nil,
		{},
		{byte(TypeString)},
		{byte(TypeString), 0, 0, 0, 0, 0, 0, 0}, // 8 bytes: header is 9
		{6, 0, 0, 0, 0, 0, 0, 0, 0},             // type 6 does not exist
		{0x0f, 0, 0, 0, 0, 0, 0, 0, 0},          // type 15
		{byte(TypeString), 0x80, 0, 0, 0, 0, 0, 0, 0},      // negative expiry
		{byte(TypeHash), 0, 0, 0, 0, 0, 0, 0, 0},           // no version/size
		append([]byte{byte(TypeSet)}, make([]byte, 23)...), // one byte short of version+size
		append([]byte{byte(TypeString) | FlagFragmented}, make([]byte, 8)...),
	}
	for _, b := range bad {
		_, err := DecodeMetadata(b)
		require.ErrorIs(t, err, ErrCorrupt, "%x", b)
	}
	_, _, ok := PeekType([]byte{1, 2, 3})
	require.False(t, ok)
	_, err := DecodeListMeta(make([]byte, 15))
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestExpired(t *testing.T) {
	m := Metadata{ExpireAt: 1000}
	require.False(t, m.Expired(999))
	require.True(t, m.Expired(1000))
	require.True(t, m.Expired(1001))
	m.ExpireAt = 0
	require.False(t, m.Expired(math.MaxInt64))
}

func TestTypeString(t *testing.T) {
	names := map[Type]string{TypeString: "string", TypeHash: "hash", TypeList: "list", TypeSet: "set", TypeZSet: "zset", TypeStream: "stream", 9: "none"}
	for typ, name := range names {
		require.Equal(t, name, typ.String())
	}
}

func TestMetaKeyRoundTrip(t *testing.T) {
	keys := [][]byte{[]byte(""), []byte("foo"), []byte("{user1000}.following"), []byte("\x00\xff\x00"), bytes.Repeat([]byte("x"), 70000)}
	for _, db := range []int{0, 1, 15, 65535} {
		for _, k := range keys {
			mk := AppendMetaKey([]byte("junk"), db, k)[4:]
			require.Equal(t, mk, MetaKey(db, k))
			require.Len(t, mk, MetaPrefixLen+len(k))
			require.True(t, bytes.HasPrefix(mk, DBPrefix(db)))
			require.True(t, bytes.HasPrefix(mk, SlotPrefix(db, Slot(k))))
			p, err := ParseDataKey(mk)
			require.NoError(t, err)
			require.True(t, p.IsMeta())
			require.Equal(t, db, p.DB)
			require.Equal(t, Slot(k), p.Slot)
			require.Equal(t, string(k), string(p.Key))

			// A sub-record of the same key parses to the same key with Sub set.
			sk := append(AppendSubKey(nil, mk, 77, TagField), "field"...)
			p, err = ParseDataKey(sk)
			require.NoError(t, err)
			require.False(t, p.IsMeta())
			require.Equal(t, string(k), string(p.Key))
			require.Len(t, p.Sub, 8+1+5)
			require.Equal(t, byte(TagField), p.Sub[8])
			require.Equal(t, "field", string(p.Sub[9:]))
			// The parsed key must not alias into Sub when appended to.
			before := string(p.Sub)
			_ = append(p.Key, 'Z')
			require.Equal(t, before, string(p.Sub))
		}
	}
}

func TestParseDataKeyCorrupt(t *testing.T) {
	mk := MetaKey(3, []byte("abc"))
	for _, b := range [][]byte{nil, {NSData}, mk[:MetaPrefixLen-1], mk[:len(mk)-1], append([]byte{NSExpire}, mk[1:]...)} {
		_, err := ParseDataKey(b)
		require.ErrorIs(t, err, ErrCorrupt, "%x", b)
	}
	// A length that overflows int on 32-bit or exceeds the buffer.
	huge := append([]byte{NSData, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "abc"...)
	_, err := ParseDataKey(huge)
	require.ErrorIs(t, err, ErrCorrupt)
}

// TestKeyOrdering checks the layout's range properties: a key's sub-records
// sit between its metadata key and KeyRecordsEnd, do not reach the next key,
// and VersionRange bounds exactly one version.
func TestKeyOrdering(t *testing.T) {
	a := MetaKey(0, []byte("a"))
	// Same slot length-prefix: "a" and "ab" differ in slot anyway, so use
	// keys sharing a hash tag (same slot) to test adjacency.
	k1 := MetaKey(0, []byte("{t}a"))
	k2 := MetaKey(0, []byte("{t}b"))
	require.Equal(t, -1, bytes.Compare(k1, k2))
	sub := append(AppendSubKey(nil, k1, 5, TagMember), bytes.Repeat([]byte{0xff}, 10)...)
	require.Equal(t, -1, bytes.Compare(k1, sub))
	require.Equal(t, -1, bytes.Compare(sub, KeyRecordsEnd(k1)))
	require.True(t, bytes.Compare(KeyRecordsEnd(k1), k2) <= 0)

	start, end := VersionRange(k1, 5)
	require.True(t, bytes.Compare(start, sub) <= 0 && bytes.Compare(sub, end) < 0)
	other := AppendSubKey(nil, k1, 6, TagField)
	require.True(t, bytes.Compare(other, end) >= 0)
	other = append(AppendSubKey(nil, k1, 4, TagScore), 0xff, 0xff)
	require.True(t, bytes.Compare(other, start) < 0)
	// The metadata key itself is outside every version range.
	require.True(t, bytes.Compare(k1, start) < 0)

	// Max version: the range still covers its records.
	s, e := VersionRange(k1, math.MaxUint64)
	last := append(AppendSubKey(nil, k1, math.MaxUint64, TagField), 0xff)
	require.True(t, bytes.Compare(s, last) <= 0 && bytes.Compare(last, e) < 0)
	// VersionRange must not modify its input.
	require.Equal(t, MetaKey(0, []byte("{t}a")), k1)
	// KeyRecordsEnd does not modify its input either.
	_ = KeyRecordsEnd(a)
	require.Equal(t, MetaKey(0, []byte("a")), a)

	// Databases are contiguous ranges.
	require.Equal(t, -1, bytes.Compare(MetaKey(1, []byte("zzz")), MetaKey(2, []byte(""))))
}

func TestPrefixEnd(t *testing.T) {
	require.Equal(t, []byte("ac"), PrefixEnd([]byte("ab")))
	require.Equal(t, []byte("b"), PrefixEnd([]byte{'a', 0xff, 0xff}))
	require.Nil(t, PrefixEnd([]byte{0xff, 0xff}))
	require.Nil(t, PrefixEnd(nil))
}

func TestExpireKeyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		at  int64
		db  int
		key string
	}{{0, 0, ""}, {1700000000000, 3, "foo"}, {math.MaxInt64, 65535, "\x00\xff"}} {
		k := AppendExpireKey(nil, tc.at, tc.db, []byte(tc.key))
		at, db, key, err := ParseExpireKey(k)
		require.NoError(t, err)
		require.Equal(t, tc.at, at)
		require.Equal(t, tc.db, db)
		require.Equal(t, tc.key, string(key))
	}
	// Ordered by expiry time first.
	early := AppendExpireKey(nil, 1000, 9, []byte("zzz"))
	late := AppendExpireKey(nil, 1001, 0, []byte(""))
	require.Equal(t, -1, bytes.Compare(early, late))
	// ExpireKeyUpperBound(now) includes everything expiring at now, nothing later.
	require.Equal(t, -1, bytes.Compare(AppendExpireKey(nil, 1000, 65535, bytes.Repeat([]byte{0xff}, 8)), ExpireKeyUpperBound(1000)))
	require.True(t, bytes.Compare(AppendExpireKey(nil, 1001, 0, nil), ExpireKeyUpperBound(1000)) >= 0)

	for _, b := range [][]byte{nil, {NSExpire}, make([]byte, 10), append([]byte{NSData}, make([]byte, 12)...)} {
		_, _, _, err := ParseExpireKey(b)
		require.ErrorIs(t, err, ErrCorrupt)
	}
}

func TestInternalKeys(t *testing.T) {
	require.NotEqual(t, KeyCountKey(0), KeyCountKey(1))
	require.NotEqual(t, KeyCountKey(0), ExpiresCountKey(0))
	for _, k := range [][]byte{KeyCountKey(0), ExpiresCountKey(5), InternalKey("dbmap")} {
		require.Equal(t, NSInternal, k[0])
	}
}

// Slot vectors were taken from a real redis-server 7.0.15 started with
// --cluster-enabled yes (CLUSTER KEYSLOT).
func TestSlotRedisVectors(t *testing.T) {
	vectors := map[string]uint16{
		"foo":                  12182,
		"bar":                  5061,
		"{user1000}.following": 3443,
		"{user1000}.followers": 3443,
		"":                     0,
		"{}":                   15257, // empty tag: the whole key is hashed
		"{}foo":                9500,
		"foo{}{bar}":           8363, // first tag empty: whole key
		"foo{{bar}}zap":        4015, // tag is "{bar"
		"foo{bar}{zap}":        5061, // first tag wins: "bar"
		"{bar":                 4015, // no closing brace: whole key
		"a{b}c":                3300,
		"123456789":            12739,
		"hello":                866,
		"{":                    4092,
		"}":                    12090,
		"{a}":                  15495,
		"x{}y{z}":              15453,
	}
	for k, want := range vectors {
		require.Equal(t, want, Slot([]byte(k)), "slot of %q", k)
	}
	require.Equal(t, Slot([]byte("{user1000}.following")), Slot([]byte("{user1000}.followers")))
	require.Equal(t, Slot([]byte("bar")), Slot([]byte("{bar}anything")))
	// CRC16/XMODEM check value.
	require.Equal(t, uint16(0x31C3), CRC16([]byte("123456789")))
}

func TestSlotNoAllocs(t *testing.T) {
	k := []byte("{user1000}.following")
	allocs := testing.AllocsPerRun(100, func() { _ = Slot(k) })
	require.Zero(t, allocs)
	buf := make([]byte, 0, 64)
	allocs = testing.AllocsPerRun(100, func() { buf = AppendMetaKey(buf[:0], 0, k) })
	require.Zero(t, allocs)
}
