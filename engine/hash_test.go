package engine

import (
	"fmt"
	"testing"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
	"github.com/stretchr/testify/require"
)

// openHSEngine opens an engine on a temp dir for the hash/set tests.
func openHSEngine(t testing.TB) *Engine {
	t.Helper()
	o := storage.DefaultOptions(t.TempDir())
	o.BlockCacheBytes = 8 << 20
	o.MemTableBytes = 8 << 20
	e, err := Open(Options{Storage: o, CacheBytes: 1 << 20, DisableActiveExpiry: true})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// hsRun runs fn in a Tx on db 0 and commits it.
func hsRun(t testing.TB, e *Engine, fn func(tx *Tx) error) {
	t.Helper()
	tx := e.Begin(0)
	require.NoError(t, fn(tx))
	require.NoError(t, tx.Commit())
}

// subRecords counts every record stored under key's metadata key (all
// versions), straight from storage.
func subRecords(t testing.TB, e *Engine, key string) int {
	t.Helper()
	mk := encoding.MetaKey(e.Physical(0), []byte(key))
	start := append(append([]byte(nil), mk...), 0) // first sub-record after the metadata
	it, err := e.Store().NewIter(start, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

func TestHashEngineSetGetDel(t *testing.T) {
	e := openHSEngine(t)
	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.HashSet([]byte("h"), [][]byte{[]byte("a"), []byte("1"), []byte("b"), []byte("2"), []byte("a"), []byte("3")}, false)
		require.Equal(t, int64(2), n)
		return err
	})
	hsRun(t, e, func(tx *Tx) error {
		v, ok, err := tx.HashGet([]byte("h"), []byte("a"))
		require.True(t, ok)
		require.Equal(t, "3", string(v))
		n, _ := tx.HashLen([]byte("h"))
		require.Equal(t, int64(2), n)
		return err
	})
	require.Equal(t, 2, subRecords(t, e, "h"))
	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.HashDel([]byte("h"), [][]byte{[]byte("a"), []byte("a"), []byte("b"), []byte("zz")})
		require.Equal(t, int64(2), n)
		return err
	})
	hsRun(t, e, func(tx *Tx) error {
		ok, err := tx.Exists([]byte("h"))
		require.False(t, ok)
		return err
	})
	require.Equal(t, 0, subRecords(t, e, "h"))
	require.Equal(t, int64(0), e.DBSize(0))
}

func TestHashEngineIncrByFloatFormat(t *testing.T) {
	e := openHSEngine(t)
	steps := []struct{ incr, want string }{
		{"0.1", "0.1"}, {"0.2", "0.3"}, {"-0.3", "0"}, {"5.0e3", "5000"}, {"-5000", "0"},
		{"1e20", "100000000000000000000"},
	}
	for _, s := range steps {
		hsRun(t, e, func(tx *Tx) error {
			v, err := tx.HashIncrByFloat([]byte("h"), []byte("f"), []byte(s.incr))
			require.Equal(t, s.want, string(v), "after +%s", s.incr)
			return err
		})
	}
	tx := e.Begin(0)
	_, err := tx.HashIncrByFloat([]byte("h"), []byte("f"), []byte("inf"))
	require.ErrorIs(t, err, ErrHashNaNOrInf)
	_, err = tx.HashIncrByFloat([]byte("h"), []byte("f"), []byte("abc"))
	require.ErrorIs(t, err, ErrStringNotFloat)
	tx.Discard()
}

func TestHashEngineEncodingSticky(t *testing.T) {
	e := openHSEngine(t)
	meta := func() encoding.Metadata {
		tx := e.Begin(0)
		m, ok, err := tx.Lookup([]byte("h"))
		require.NoError(t, err)
		require.True(t, ok)
		return m
	}
	for i := 0; i < 128; i++ {
		hsRun(t, e, func(tx *Tx) error {
			_, err := tx.HashSet([]byte("h"), [][]byte{[]byte(fmt.Sprint("f", i)), []byte("v")}, false)
			return err
		})
	}
	m := meta()
	require.Equal(t, "listpack", HashEncoding(&m))
	hsRun(t, e, func(tx *Tx) error {
		_, err := tx.HashSet([]byte("h"), [][]byte{[]byte("f128"), []byte("v")}, false)
		return err
	})
	m = meta()
	require.Equal(t, "hashtable", HashEncoding(&m))
	hsRun(t, e, func(tx *Tx) error {
		_, err := tx.HashDel([]byte("h"), [][]byte{[]byte("f1"), []byte("f2"), []byte("f3")})
		return err
	})
	m = meta()
	require.Equal(t, "hashtable", HashEncoding(&m), "Redis never converts back")
	require.Equal(t, uint64(126), m.Size)
}

// TestHashEngineScanCursorFallback checks that a cursor whose server-side
// slot was reused resumes from its prefix without skipping elements.
func TestHashEngineScanCursorFallback(t *testing.T) {
	e := openHSEngine(t)
	var pairs [][]byte
	for i := 0; i < 300; i++ {
		pairs = append(pairs, []byte(fmt.Sprintf("field:%04d", i)), []byte("v"))
	}
	hsRun(t, e, func(tx *Tx) error { _, err := tx.HashSet([]byte("h"), pairs, false); return err })
	seen := map[string]int{}
	cursor := uint64(0)
	for round := 0; ; round++ {
		tx := e.Begin(0)
		next, err := tx.HashScan([]byte("h"), cursor, 7, func(f, _ []byte) error {
			seen[string(f)]++
			return nil
		})
		require.NoError(t, err)
		tx.Discard()
		if next == 0 {
			break
		}
		require.Less(t, round, 10000)
		if round%3 == 0 {
			// Evict every slot: the next step must fall back to the
			// cursor's embedded prefix.
			for i := 0; i < scanSlots; i++ {
				newScanCursor([]byte("zzz"))
			}
		}
		cursor = next
	}
	require.Len(t, seen, 300, "every field returned at least once")
}

func TestHashEngineRandomWalkUniformity(t *testing.T) {
	e := openHSEngine(t)
	const n = 5000
	var pairs [][]byte
	for i := 0; i < n; i++ {
		pairs = append(pairs, []byte(fmt.Sprintf("member:%05d", i)), []byte(fmt.Sprint(i)))
	}
	hsRun(t, e, func(tx *Tx) error { _, err := tx.HashSet([]byte("h"), pairs, false); return err })
	tx := e.Begin(0)
	defer tx.Discard()
	c, err := tx.openHash([]byte("h"))
	require.NoError(t, err)
	it, err := c.iter()
	require.NoError(t, err)
	defer it.Close()
	buckets := make([]int, 10)
	const draws = 20000
	for i := 0; i < draws; i++ {
		k, ok := c.walk(it)
		require.True(t, ok)
		var idx int
		_, err := fmt.Sscanf(string(k[c.plen:]), "member:%05d", &idx)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(idx), string(it.Value()), "value of the picked field")
		buckets[idx*10/n]++
	}
	for b, cnt := range buckets {
		require.InDelta(t, draws/10, cnt, draws/10*0.25, "bucket %d", b)
	}
}

// TestHashEngineRandomWalkUnpadded samples a hash whose fields are
// unpadded counters ("m:0".."m:9999": short fields are prefixes of longer
// ones, and the "m:0" branch holds one field): the walk must still pick
// by digit count close to the true shares.
func TestHashEngineRandomWalkUnpadded(t *testing.T) {
	e := openHSEngine(t)
	const n = 10000
	var pairs [][]byte
	for i := 0; i < n; i++ {
		pairs = append(pairs, []byte(fmt.Sprintf("m:%d", i)), nil)
	}
	hsRun(t, e, func(tx *Tx) error { _, err := tx.HashSet([]byte("h"), pairs, false); return err })
	tx := e.Begin(0)
	defer tx.Discard()
	c, err := tx.openHash([]byte("h"))
	require.NoError(t, err)
	it, err := c.iter()
	require.NoError(t, err)
	defer it.Close()
	byDigits := make([]float64, 5)
	const draws = 20000
	for i := 0; i < draws; i++ {
		k, ok := c.walk(it)
		require.True(t, ok)
		byDigits[len(k)-c.plen-2] += 1.0 / draws
	}
	t.Logf("share by digit count: %.4f", byDigits[1:])
	// True shares: 10, 90, 900 and 9000 fields of 10000. An equal share
	// per trie branch would give about 10%, 9%, 8% and 73%.
	require.Less(t, byDigits[1], 0.02)
	require.Less(t, byDigits[2], 0.025)
	require.InDelta(t, 0.09, byDigits[3], 0.025)
	require.InDelta(t, 0.9, byDigits[4], 0.04)
}
