package engine

import (
	"encoding/binary"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
	"github.com/stretchr/testify/require"
)

// Helpers of this file carry a "ks" prefix (the package's tests have
// several authors).

func ksOpen(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := Open(Options{Storage: storage.DefaultOptions(dir), CacheBytes: 8 << 20, DisableActiveExpiry: true})
	require.NoError(t, err)
	return e
}

// ksWrite runs fn in a Tx on db with the keys locked and commits it.
func ksWrite(t *testing.T, e *Engine, db int, keys []string, fn func(tx *Tx)) {
	t.Helper()
	var bk [][]byte
	for _, k := range keys {
		bk = append(bk, []byte(k))
	}
	var g Guard
	e.LockKeys(&g, db, bk, true)
	defer g.Unlock()
	tx := e.Begin(db)
	fn(tx)
	require.NoError(t, tx.Commit())
}

// ksRecords returns every record of key in db (any version) as
// suffix-after-the-version -> value, plus the metadata.
func ksRecords(t *testing.T, e *Engine, db int, key string) (encoding.Metadata, map[string]string) {
	t.Helper()
	mk := encoding.MetaKey(e.Physical(db), []byte(key))
	it, err := e.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	defer it.Close()
	var m encoding.Metadata
	out := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) == len(mk) {
			m, err = encoding.DecodeMetadata(append([]byte(nil), it.Value()...))
			require.NoError(t, err)
			continue
		}
		require.Equal(t, m.Version, binary.BigEndian.Uint64(k[len(mk):]), "only the live version's records remain")
		out[string(k[len(mk)+8:])] = string(it.Value())
	}
	return m, out
}

func TestKeyspaceCloneAnyType(t *testing.T) {
	e := ksOpen(t, t.TempDir())
	defer e.Close()
	// A list and a sorted set, laid out as their engine files do: the
	// copy must carry every tag and the type-specific metadata tail.
	ksWrite(t, e, 0, []string{"list", "zset"}, func(tx *Tx) {
		l := encoding.Metadata{Type: encoding.TypeList, Version: e.NewVersion(), Size: 3,
			Value: encoding.AppendListMeta(nil, encoding.ListMeta{Head: encoding.ListInitialPos - 1, Tail: encoding.ListInitialPos + 2})}
		require.NoError(t, tx.PutMeta([]byte("list"), l.Encode(nil)))
		mk := encoding.MetaKey(e.Physical(0), []byte("list"))
		for i := uint64(0); i < 3; i++ {
			k := binary.BigEndian.AppendUint64(encoding.AppendSubKey(nil, mk, l.Version, encoding.TagElement), encoding.ListInitialPos-1+i)
			tx.Batch().Set(k, []byte(fmt.Sprint("elem", i)))
		}
		z := encoding.Metadata{Type: encoding.TypeZSet, Version: e.NewVersion(), Size: 2, ExpireAt: NowMs() + 100000}
		require.NoError(t, tx.PutMeta([]byte("zset"), z.Encode(nil)))
		zk := encoding.MetaKey(e.Physical(0), []byte("zset"))
		for i, mem := range []string{"a", "b"} {
			var score [8]byte
			binary.BigEndian.PutUint64(score[:], uint64(i))
			tx.Batch().Set(append(encoding.AppendSubKey(nil, zk, z.Version, encoding.TagMember), mem...), score[:])
			tx.Batch().Set(append(encoding.EncodeScore(encoding.AppendSubKey(nil, zk, z.Version, encoding.TagScore), float64(i)), mem...), nil)
		}
	})
	lm, lrec := ksRecords(t, e, 0, "list")
	zm, zrec := ksRecords(t, e, 0, "zset")
	require.Len(t, lrec, 3)
	require.Len(t, zrec, 4)

	ksWrite(t, e, 0, []string{"list", "list2"}, func(tx *Tx) {
		res, err := tx.Rename([]byte("list"), []byte("list2"), false)
		require.NoError(t, err)
		require.Equal(t, RenameOK, res)
	})
	m2, rec2 := ksRecords(t, e, 0, "list2")
	require.Equal(t, lrec, rec2)
	require.Equal(t, lm.Value, m2.Value, "list head/tail kept")
	require.NotEqual(t, lm.Version, m2.Version, "a fresh version")
	_, gone := ksRecords(t, e, 0, "list")
	require.Empty(t, gone)

	ksWrite(t, e, 0, []string{"zset"}, func(tx *Tx) {
		ok, err := tx.CopyKey([]byte("zset"), 3, []byte("z3"), false)
		require.NoError(t, err)
		require.True(t, ok)
	})
	ksWrite(t, e, 0, []string{"zset"}, func(tx *Tx) {
		ok, err := tx.MoveKey([]byte("zset"), 4)
		require.NoError(t, err)
		require.True(t, ok)
	})
	for _, at := range []struct {
		db  int
		key string
	}{{3, "z3"}, {4, "zset"}} {
		m, rec := ksRecords(t, e, at.db, at.key)
		require.Equal(t, zrec, rec)
		require.Equal(t, zm.ExpireAt, m.ExpireAt)
		require.Equal(t, encoding.TypeZSet, m.Type)
	}
	require.Equal(t, int64(1), e.DBSize(0))
	require.Equal(t, int64(1), e.DBSize(3))
	require.Equal(t, int64(1), e.DBSize(4))
	require.Equal(t, int64(1), e.ExpiresCount(3))
	require.Equal(t, int64(1), e.ExpiresCount(4))
	require.Equal(t, int64(0), e.ExpiresCount(0))
}

func ksScanAll(t *testing.T, e *Engine, db int, cursor uint64, count int) []string {
	t.Helper()
	var keys []string
	for {
		next, err := e.Scan(db, cursor, count, NowMs(), func(k []byte, _ encoding.Type) {
			keys = append(keys, string(k))
		})
		require.NoError(t, err)
		if next == 0 {
			sort.Strings(keys)
			return keys
		}
		cursor = next
	}
}

func TestKeyspaceScanCursors(t *testing.T) {
	e := ksOpen(t, t.TempDir())
	defer e.Close()
	var want []string
	ksWrite(t, e, 0, nil, func(tx *Tx) {
		for i := 0; i < 2000; i++ {
			k := fmt.Sprint("k", i)
			want = append(want, k)
			require.NoError(t, tx.SetString([]byte(k), []byte("v"), 0))
		}
	})
	sort.Strings(want)
	require.Equal(t, want, ksScanAll(t, e, 0, 0, 7))
	require.Equal(t, want, ksScanAll(t, e, 0, 0, 100000))

	// Cursors name a slot in the low 14 bits.
	next, err := e.Scan(0, 0, 10, NowMs(), func([]byte, encoding.Type) {})
	require.NoError(t, err)
	require.NotZero(t, next>>cursorSlotBits)
	for i := 0; i < 1000; i++ {
		require.Less(t, e.ks.scans.put(scanPos{})<<cursorSlotBits|cursorSlotMask, uint64(1)<<62, "fits a signed 64-bit integer")
	}
	// Forget every position: each resumes at the start of its slot, so
	// nothing is missed (the keys of that slot may come again).
	e.ks.scans = scanTable{}
	var got []string
	cursor := uint64(0)
	for i := 0; ; i++ {
		next, err := e.Scan(0, cursor, 13, NowMs(), func(k []byte, _ encoding.Type) { got = append(got, string(k)) })
		require.NoError(t, err)
		if next == 0 {
			break
		}
		cursor = next
		if i%3 == 0 {
			e.ks.scans = scanTable{}
		}
	}
	require.Equal(t, want, ksDedupe(got))

	// The position table is bounded.
	var tbl scanTable
	for i := 0; i < scanTableMax+500; i++ {
		tbl.put(scanPos{slot: 1, key: "some key"})
	}
	require.Len(t, tbl.m, scanTableMax)
	require.Len(t, tbl.order, scanTableMax)
	var big scanTable
	long := string(make([]byte, 1<<20))
	for i := 0; i < 100; i++ {
		big.put(scanPos{key: long})
	}
	require.LessOrEqual(t, big.mem, scanTableMaxMem)
	id := big.put(scanPos{slot: 9, key: "x"})
	p, ok := big.get(id)
	require.True(t, ok)
	require.Equal(t, uint16(9), p.slot)
}

func ksDedupe(keys []string) []string {
	m := map[string]bool{}
	var out []string
	for _, k := range keys {
		if !m[k] {
			m[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestKeyspaceRandomKeyExpired(t *testing.T) {
	e := ksOpen(t, t.TempDir())
	defer e.Close()
	k, err := e.RandomKey(0, NowMs())
	require.NoError(t, err)
	require.Nil(t, k)
	past := NowMs() + 5
	ksWrite(t, e, 0, nil, func(tx *Tx) {
		for i := 0; i < 1000; i++ {
			require.NoError(t, tx.SetString([]byte(fmt.Sprint("e", i)), []byte("v"), past))
		}
	})
	time.Sleep(10 * time.Millisecond)
	for i := 0; i < 20; i++ {
		k, err := e.RandomKey(0, NowMs())
		require.NoError(t, err)
		require.Nil(t, k, "only expired keys: nil, not a loop")
	}
	ksWrite(t, e, 0, nil, func(tx *Tx) { require.NoError(t, tx.SetString([]byte("live"), []byte("v"), 0)) })
	for i := 0; i < 20; i++ {
		k, err := e.RandomKey(0, NowMs())
		require.NoError(t, err)
		require.Equal(t, "live", string(k))
	}
}

func TestKeyspaceFlushStaleExpiry(t *testing.T) {
	dir := t.TempDir()
	e := ksOpen(t, dir)
	at := NowMs() + 30
	ksWrite(t, e, 0, nil, func(tx *Tx) {
		for i := 0; i < 100; i++ {
			require.NoError(t, tx.SetString([]byte(fmt.Sprint("k", i)), []byte("v"), at))
		}
	})
	ksWrite(t, e, 1, nil, func(tx *Tx) {
		require.NoError(t, tx.SetString([]byte("other"), []byte("v"), at))
	})
	e.world.Lock()
	n, err := e.FlushDB(0)
	e.world.Unlock()
	require.NoError(t, err)
	require.Equal(t, int64(100), n)
	// The same names again, without TTL or with a later one: the flushed
	// keys' index entries are stale and must not touch them.
	ksWrite(t, e, 0, nil, func(tx *Tx) {
		require.NoError(t, tx.SetString([]byte("k1"), []byte("new"), 0))
		require.NoError(t, tx.SetString([]byte("k2"), []byte("new"), at+100000))
	})
	time.Sleep(40 * time.Millisecond)
	for {
		n, err := e.ExpireCycle(1000)
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	require.Equal(t, int64(2), e.DBSize(0))
	require.Equal(t, int64(1), e.ExpiresCount(0))
	require.Equal(t, int64(0), e.DBSize(1), "db 1's key expired normally")
	require.Equal(t, int64(1), e.Stats.ExpiredKeys.Load())
	it, err := e.Store().NewIter([]byte{encoding.NSExpire}, []byte{encoding.NSExpire + 1})
	require.NoError(t, err)
	entries := 0
	for ok := it.First(); ok; ok = it.Next() {
		entries++
	}
	require.NoError(t, it.Close())
	require.Equal(t, 1, entries, "only k2's entry is left")

	// Counters and the database map survive a restart.
	e.world.Lock()
	require.NoError(t, e.SwapDB(0, 7))
	e.world.Unlock()
	require.NoError(t, e.Close())
	e = ksOpen(t, dir)
	defer e.Close()
	require.Equal(t, int64(0), e.DBSize(0))
	require.Equal(t, int64(2), e.DBSize(7))
	require.Equal(t, int64(1), e.ExpiresCount(7))
	require.Equal(t, 0, e.Physical(7))
	require.Equal(t, 7, e.Physical(0))
}

func TestKeyspaceObjectEncodingDefaults(t *testing.T) {
	e := ksOpen(t, t.TempDir())
	defer e.Close()
	// The defaults, without the encoders the type files register.
	saved := EncodingOf
	EncodingOf = map[encoding.Type]func(*Tx, []byte, encoding.Metadata) string{}
	defer func() { EncodingOf = saved }()
	put := func(key string, typ encoding.Type, tag byte, members []string, value string) encoding.Metadata {
		m := encoding.Metadata{Type: typ, Version: e.NewVersion(), Size: uint64(len(members))}
		ksWrite(t, e, 0, []string{key}, func(tx *Tx) {
			require.NoError(t, tx.PutMeta([]byte(key), m.Encode(nil)))
			mk := encoding.MetaKey(e.Physical(0), []byte(key))
			for _, mem := range members {
				tx.Batch().Set(append(encoding.AppendSubKey(nil, mk, m.Version, tag), mem...), []byte(value))
			}
		})
		return m
	}
	enc := func(key string, m encoding.Metadata) string {
		tx := e.Begin(0)
		return tx.ObjectEncoding([]byte(key), m)
	}
	many := func(n int, f string) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf(f, i))
		}
		return out
	}
	require.Equal(t, "intset", enc("s1", put("s1", encoding.TypeSet, encoding.TagMember, many(10, "%d"), "")))
	require.Equal(t, "hashtable", enc("s2", put("s2", encoding.TypeSet, encoding.TagMember, many(10, "m%d"), "")))
	require.Equal(t, "hashtable", enc("s3", put("s3", encoding.TypeSet, encoding.TagMember, many(513, "%d"), "")))
	require.Equal(t, "listpack", enc("z1", put("z1", encoding.TypeZSet, encoding.TagMember, many(128, "m%d"), "12345678")))
	require.Equal(t, "skiplist", enc("z2", put("z2", encoding.TypeZSet, encoding.TagMember, many(129, "m%d"), "12345678")))
	require.Equal(t, "skiplist", enc("z3", put("z3", encoding.TypeZSet, encoding.TagMember, []string{string(make([]byte, 65))}, "12345678")))
	require.Equal(t, "listpack", enc("h1", put("h1", encoding.TypeHash, encoding.TagField, many(3, "f%d"), "short")))
	require.Equal(t, "hashtable", enc("h2", put("h2", encoding.TypeHash, encoding.TagField, many(3, "f%d"), string(make([]byte, 65)))))
	require.Equal(t, "quicklist", enc("l", encoding.Metadata{Type: encoding.TypeList}))
	require.Equal(t, "stream", enc("x", encoding.Metadata{Type: encoding.TypeStream}))
	require.Equal(t, "raw", enc("f", encoding.Metadata{Type: encoding.TypeString, Flags: encoding.FlagFragmented}))

	// A registered encoder wins.
	EncodingOf[encoding.TypeStream] = func(*Tx, []byte, encoding.Metadata) string { return "custom" }
	require.Equal(t, "custom", enc("x", encoding.Metadata{Type: encoding.TypeStream}))

	for v, want := range map[string]bool{"0": true, "-1": true, "9223372036854775807": true, "-9223372036854775808": true,
		"9223372036854775808": false, "-9223372036854775809": false, "01": false, "+1": false, " 1": false, "": false, "-": false, "-0": false} {
		require.Equal(t, want, IsInt64([]byte(v)), "%q", v)
	}
	require.True(t, SharedInteger([]byte("9999"), true))
	require.False(t, SharedInteger([]byte("10000"), true))
	require.False(t, SharedInteger([]byte("-1"), true))
	require.False(t, SharedInteger([]byte("5"), false))
}

// TestKeyspaceExpiryResume: active expiry resumes after the entries it has
// processed, and a periodic full pass catches an entry written behind that
// position (a key stored with an expiry already past).
func TestKeyspaceExpiryResume(t *testing.T) {
	e := ksOpen(t, t.TempDir())
	defer e.Close()
	ksWrite(t, e, 0, nil, func(tx *Tx) {
		require.NoError(t, tx.SetString([]byte("a"), []byte("v"), NowMs()+10))
	})
	time.Sleep(20 * time.Millisecond)
	n, err := e.ExpireCycle(100)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, int64(0), e.DBSize(0))
	ksWrite(t, e, 0, nil, func(tx *Tx) {
		require.NoError(t, tx.SetString([]byte("behind"), []byte("v"), NowMs()-60000))
	})
	n, err = e.ExpireCycle(100)
	require.NoError(t, err)
	require.Equal(t, 0, n, "behind the resume position")
	e.ks.expiry.passFrom = time.Now().Add(-expiryFullPassMax - time.Second)
	n, err = e.ExpireCycle(100)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, int64(0), e.DBSize(0))
	require.Equal(t, int64(2), e.Stats.ExpiredKeys.Load())
}
