package cache

import (
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func newTest(t *testing.T, maxBytes int64) *Cache {
	t.Helper()
	c, err := New(maxBytes)
	require.NoError(t, err)
	require.NotNil(t, c)
	t.Cleanup(c.Close)
	return c
}

func get(c *Cache, k string) (string, bool) {
	v, ok := c.Get([]byte(k))
	return string(v), ok
}

func TestNilCacheIsAlwaysMissing(t *testing.T) {
	c, err := New(0)
	require.NoError(t, err)
	require.Nil(t, c)
	c.Fill([]byte("k"), []byte("v"))
	c.Put([]byte("k"), []byte("v"))
	c.Invalidate([]byte("k"))
	c.Clear()
	c.SetMaxBytes(100)
	c.ResetStats()
	_, ok := c.Get([]byte("k"))
	require.False(t, ok)
	require.Equal(t, Stats{}, c.Stats())
	c.Close()
}

func TestFillGetPut(t *testing.T) {
	c := newTest(t, 1<<20)
	_, ok := get(c, "k")
	require.False(t, ok)

	c.Fill([]byte("k"), []byte("v0"))
	c.rc.Wait()
	v, ok := get(c, "k")
	require.True(t, ok)
	require.Equal(t, "v0", v)

	// A write of a cached key is written through.
	c.Put([]byte("k"), []byte("v1"))
	c.rc.Wait()
	v, ok = get(c, "k")
	require.True(t, ok)
	require.Equal(t, "v1", v)

	// Deletion hides it.
	c.Put([]byte("k"), nil)
	_, ok = get(c, "k")
	require.False(t, ok)
	c.rc.Wait()
	_, ok = get(c, "k")
	require.False(t, ok)

	// A write of an uncached key is not cached (but never stale).
	c.Put([]byte("new"), []byte("x"))
	c.rc.Wait()
	if v, ok := get(c, "new"); ok {
		require.Equal(t, "x", v)
	}

	st := c.Stats()
	require.GreaterOrEqual(t, st.Hits, int64(2))
	require.GreaterOrEqual(t, st.Misses, int64(3))
	require.Equal(t, int64(1<<20), st.MaxBytes)
	c.ResetStats()
	st = c.Stats()
	require.Zero(t, st.Hits)
	require.Zero(t, st.Misses)
}

// TestStaleFillIsInvisible: a Fill queued before a write must never be
// served after it, whenever ristretto applies it.
func TestStaleFillIsInvisible(t *testing.T) {
	c := newTest(t, 1<<20)
	for i := 0; i < 200; i++ {
		k := []byte(fmt.Sprintf("key%d", i))
		c.Fill(k, []byte("old"))
		c.Put(k, []byte("new"))
		c.rc.Wait()
		if v, ok := c.Get(k); ok {
			require.Equal(t, "new", string(v), "key %s", k)
		}
		c.Invalidate(k)
		_, ok := c.Get(k)
		require.False(t, ok)
	}
}

func TestClear(t *testing.T) {
	c := newTest(t, 1<<20)
	for i := 0; i < 10; i++ {
		c.Fill([]byte(fmt.Sprint(i)), []byte("v"))
	}
	c.rc.Wait()
	_, ok := get(c, "3")
	require.True(t, ok)
	c.Clear()
	for i := 0; i < 10; i++ {
		_, ok := get(c, fmt.Sprint(i))
		require.False(t, ok)
	}
	// The cache works again after Clear.
	c.Fill([]byte("3"), []byte("after"))
	c.rc.Wait()
	v, ok := get(c, "3")
	require.True(t, ok)
	require.Equal(t, "after", v)
}

func TestOversizedEntriesAreNotCached(t *testing.T) {
	c := newTest(t, 64<<10) // maxEntry = 1 KB
	big := make([]byte, 2<<10)
	c.Fill([]byte("big"), big)
	c.rc.Wait()
	_, ok := get(c, "big")
	require.False(t, ok)

	// A cached key overwritten with an oversized value is invalidated.
	c.Fill([]byte("k"), []byte("small"))
	c.rc.Wait()
	_, ok = get(c, "k")
	require.True(t, ok)
	c.Put([]byte("k"), big)
	c.rc.Wait()
	_, ok = get(c, "k")
	require.False(t, ok)
}

func TestSetMaxBytes(t *testing.T) {
	c := newTest(t, 1<<20)
	c.SetMaxBytes(2 << 20)
	require.Equal(t, int64(2<<20), c.Stats().MaxBytes)
	c.SetMaxBytes(0) // ignored
	require.Equal(t, int64(2<<20), c.Stats().MaxBytes)
}

// TestConcurrentCoherence has goroutines each own a set of keys (as the key
// locks guarantee) and mix reads-with-fill and writes; a read may miss but
// must never return anything but the key's latest value. Keys of different
// goroutines share generation slots and ristretto shards, so cross-talk
// between them is exercised.
func TestConcurrentCoherence(t *testing.T) {
	c := newTest(t, 256<<10)
	const workers, keysPer = 4, 64
	iters := 20000
	if testing.Short() {
		iters = 2000
	}
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(w)))
			latest := map[string]string{} // absent: deleted
			keys := make([][]byte, keysPer)
			for i := range keys {
				keys[i] = []byte(fmt.Sprintf("w%d:k%d", w, i))
			}
			for i := 0; i < iters; i++ {
				k := keys[r.Intn(keysPer)]
				cur, exists := latest[string(k)]
				switch r.Intn(4) {
				case 0: // write
					v := fmt.Sprintf("v%d", i)
					c.Put(k, []byte(v))
					latest[string(k)] = v
				case 1: // delete
					c.Put(k, nil)
					delete(latest, string(k))
				default: // read, filling from "storage" on a miss
					v, ok := c.Get(k)
					if ok && (!exists || string(v) != cur) {
						errs <- fmt.Sprintf("%s: cache returned %q, latest %q (exists %v)", k, v, cur, exists)
						return
					}
					if !ok && exists {
						c.Fill(k, []byte(cur))
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestCachePauseOnlyInvalidates(t *testing.T) {
	c, err := New(1 << 20)
	require.NoError(t, err)
	defer c.Close()
	c.Put([]byte("k"), []byte("v1"))
	c.rc.Wait()
	v, ok := c.Get([]byte("k"))
	require.True(t, ok)
	require.Equal(t, "v1", string(v))
	c.Pause(true)
	c.Put([]byte("k"), []byte("v2")) // invalidates, caches nothing
	c.Put([]byte("n"), []byte("x"))
	c.PutAbsent([]byte("a"))
	c.Fill([]byte("f"), []byte("y"))
	c.rc.Wait()
	for _, k := range []string{"k", "n", "a", "f"} {
		_, ok = c.Get([]byte(k))
		require.False(t, ok, k)
	}
	c.Pause(false)
	c.Put([]byte("k"), []byte("v3"))
	c.rc.Wait()
	v, ok = c.Get([]byte("k"))
	require.True(t, ok)
	require.Equal(t, "v3", string(v))
}
