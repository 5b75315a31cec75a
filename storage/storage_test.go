package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	o := DefaultOptions(dir)
	o.BlockCacheBytes = 8 << 20
	o.MemTableBytes = 4 << 20
	s, err := Open(o)
	require.NoError(t, err)
	return s
}

func set(t *testing.T, s *Store, kv ...string) {
	t.Helper()
	b := s.NewBatch()
	for i := 0; i < len(kv); i += 2 {
		b.Set([]byte(kv[i]), []byte(kv[i+1]))
	}
	require.NoError(t, s.Commit(b))
}

func get(t *testing.T, r Reader, k string) (string, bool) {
	t.Helper()
	v, ok, err := r.Get(nil, []byte(k))
	require.NoError(t, err)
	return string(v), ok
}

func keys(t *testing.T, r Reader, lower, upper string) []string {
	t.Helper()
	var lo []byte
	if lower != "" {
		// Not []byte(""): Pebble's invariants build (-race) indexes
		// a non-nil lower bound's first byte.
		lo = []byte(lower)
	}
	it, err := r.NewIter(lo, []byte(upper))
	require.NoError(t, err)
	defer it.Close()
	var out []string
	for it.First(); it.Valid(); it.Next() {
		out = append(out, string(it.Key()))
	}
	return out
}

func TestStoreBasics(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()

	_, ok := get(t, s, "a")
	require.False(t, ok)
	set(t, s, "a", "1", "b", "2", "c", "3", "d", "4")
	v, ok := get(t, s, "b")
	require.True(t, ok)
	require.Equal(t, "2", v)

	// Get appends to dst.
	out, ok, err := s.Get([]byte("x="), []byte("a"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "x=1", string(out))

	require.Equal(t, []string{"b", "c"}, keys(t, s, "b", "d"))

	b := s.NewBatch()
	require.True(t, b.Empty())
	b.Delete([]byte("a"))
	b.DeleteRange([]byte("b"), []byte("d"))
	require.False(t, b.Empty())
	require.Greater(t, b.Len(), 0)
	require.NoError(t, s.Commit(b))
	require.Equal(t, []string{"d"}, keys(t, s, "", "z"))

	// Committing an empty batch is a no-op.
	require.NoError(t, s.Commit(s.NewBatch()))

	// Reset reuses a batch.
	b = s.NewBatch()
	b.Set([]byte("gone"), []byte("x"))
	b.Reset()
	b.Set([]byte("kept"), []byte("y"))
	require.NoError(t, s.Commit(b))
	_, ok = get(t, s, "gone")
	require.False(t, ok)
	_, ok = get(t, s, "kept")
	require.True(t, ok)
}

func TestStoreCounterMerge(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	for _, d := range []int64{5, -2, 10, -13} {
		b := s.NewBatch()
		b.Merge([]byte("cnt"), EncodeCounter(d))
		require.NoError(t, s.Commit(b))
	}
	v, ok, err := s.Get(nil, []byte("cnt"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, int64(0), DecodeCounter(v))
	b := s.NewBatch()
	b.Merge([]byte("cnt"), EncodeCounter(7))
	require.NoError(t, s.Commit(b))
	require.NoError(t, s.Flush())
	require.NoError(t, s.Close())

	// Merges survive reopening (and the merger is found by name).
	s = openTest(t, dir)
	defer s.Close()
	v, ok, err = s.Get(nil, []byte("cnt"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, int64(7), DecodeCounter(v))
}

func TestStoreSnapshotIsolation(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	set(t, s, "k", "old")
	snap := s.NewSnapshot()
	set(t, s, "k", "new", "k2", "x")
	v, _ := get(t, snap, "k")
	require.Equal(t, "old", v)
	_, ok := get(t, snap, "k2")
	require.False(t, ok)
	require.Equal(t, []string{"k"}, keys(t, snap, "", "z"))
	v, _ = get(t, s, "k")
	require.Equal(t, "new", v)
	require.NoError(t, snap.Close())
}

func TestStoreReopenAndCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	for i := 0; i < 1000; i++ {
		set(t, s, fmt.Sprintf("key:%04d", i), fmt.Sprintf("val:%d", i))
	}
	cp := filepath.Join(t.TempDir(), "cp")
	require.NoError(t, s.Checkpoint(cp))
	set(t, s, "after", "checkpoint")
	require.NoError(t, s.Compact([]byte("key:"), []byte("key;")))
	require.Equal(t, dir, s.Dir())
	st := s.Stats()
	require.Greater(t, st.DiskBytes, uint64(0))
	require.NotNil(t, s.Metrics())
	require.NoError(t, s.Close())

	s = openTest(t, dir)
	require.Len(t, keys(t, s, "key:", "key;"), 1000)
	v, _ := get(t, s, "key:0999")
	require.Equal(t, "val:999", v)
	_, ok := get(t, s, "after")
	require.True(t, ok)
	require.NoError(t, s.Close())

	// The checkpoint opens on its own and holds the state at its time.
	c := openTest(t, cp)
	defer c.Close()
	require.Len(t, keys(t, c, "key:", "key;"), 1000)
	_, ok = get(t, c, "after")
	require.False(t, ok)
}

func TestStoreSetFsync(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	require.Equal(t, FsyncEverySec, s.Fsync())
	s.SetFsync(FsyncAlways)
	require.Equal(t, FsyncAlways, s.Fsync())
	set(t, s, "k", "v")
	s.SetFsync(FsyncNo)
	set(t, s, "k", "w")
	v, _ := get(t, s, "k")
	require.Equal(t, "w", v)
}

func TestStoreOpenErrors(t *testing.T) {
	_, err := Open(Options{})
	require.Error(t, err)
	// A directory path that is a regular file cannot be opened.
	f := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(f, []byte("x"), 0o644))
	_, err = Open(DefaultOptions(f))
	require.Error(t, err)
}

func TestCounterEncoding(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 1 << 62, -1 << 63} {
		require.Equal(t, v, DecodeCounter(EncodeCounter(v)))
	}
}
