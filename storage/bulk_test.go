package storage

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// bulkFill writes n records in random order through batches of 100 plus a
// counter merge per batch, in bulk mode with the given run budget.
func bulkFill(t *testing.T, s *Store, n, budget int) (*BulkLoader, []string) {
	t.Helper()
	bl, err := s.StartBulk(filepath.Join(t.TempDir(), "bulk"), budget)
	require.NoError(t, err)
	perm := rand.New(rand.NewSource(1)).Perm(n)
	var want []string
	b := s.NewBatch()
	for i, p := range perm {
		k := fmt.Sprintf("key:%08d", p)
		want = append(want, k)
		b.Set([]byte(k), bulkValue(p))
		if i%100 == 99 {
			b.Merge([]byte("count"), EncodeCounter(100))
			require.NoError(t, s.Commit(b))
			b = s.NewBatch()
		}
	}
	require.NoError(t, s.Commit(b))
	slices.Sort(want)
	return bl, want
}

// bulkValue is a ~200-byte value that does not compress much, so tables
// reach their target size.
func bulkValue(i int) []byte {
	h := sha256.Sum256([]byte(strconv.Itoa(i)))
	return []byte(fmt.Sprintf("value-%d-%x%x%x", i, h, h[:16], h[16:]))
}

func TestBulkLoadSortsSpillsAndIngests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget int
		runs   bool
	}{{"in-memory", 64 << 20, false}, {"spilled-runs", 1 << 20, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir)
			set(t, s, "count", string(EncodeCounter(0)))
			bl, want := bulkFill(t, s, 20000, tc.budget)
			// Bulk writes are not visible before Finish.
			_, ok := get(t, s, want[0])
			require.False(t, ok)
			require.NoError(t, bl.Finish(1<<20))
			require.Equal(t, tc.runs, bl.Stats.Runs > 1, "runs=%d", bl.Stats.Runs)
			require.Greater(t, bl.Stats.Tables, 1, "a 1 MB table target splits 4 MB of records")
			require.Equal(t, want, keys(t, s, "key:", "key;"))
			v, ok := get(t, s, "key:00012345")
			require.True(t, ok)
			require.Equal(t, string(bulkValue(12345)), v)
			c, _ := get(t, s, "count")
			require.EqualValues(t, 20000, DecodeCounter([]byte(c)))
			// Normal commits work again, and everything survives a reopen.
			set(t, s, "after", "1")
			require.NoError(t, s.Close())
			s = openTest(t, dir)
			defer s.Close()
			require.Len(t, keys(t, s, "key:", "key;"), 20000)
			_, ok = get(t, s, "after")
			require.True(t, ok)
		})
	}
}

func TestBulkLoadDuplicateKey(t *testing.T) {
	for _, budget := range []int{64 << 20, 1 << 20} {
		s := openTest(t, t.TempDir())
		bl, _ := bulkFill(t, s, 10000, budget)
		b := s.NewBatch()
		b.Set([]byte("key:00000042"), []byte("again"))
		require.NoError(t, s.Commit(b))
		err := bl.Finish(0)
		var dup *DuplicateKeyError
		require.True(t, errors.As(err, &dup), "%v", err)
		require.Equal(t, "key:00000042", string(dup.Key))
		require.ErrorIs(t, err, ErrDuplicateKey)
		_, ok := get(t, s, "key:00000001")
		require.False(t, ok, "nothing is ingested after an error")
		require.NoError(t, s.Close())
	}
}

func TestBulkLoadRejectsDeletes(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	bl, err := s.StartBulk(filepath.Join(t.TempDir(), "bulk"), 0)
	require.NoError(t, err)
	b := s.NewBatch()
	b.Delete([]byte("x"))
	require.Error(t, s.Commit(b))
	bl.Abort()
	set(t, s, "x", "1")
	v, _ := get(t, s, "x")
	require.Equal(t, "1", v)
}

func TestBulkLoadLargeRecords(t *testing.T) {
	// Four partitions even on a small machine, so the big records are
	// spread over several merges.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	s := openTest(t, t.TempDir())
	defer s.Close()
	bl, err := s.StartBulk(filepath.Join(t.TempDir(), "bulk"), 1<<20)
	require.NoError(t, err)
	big := func(i int) []byte {
		v := make([]byte, 300<<10+i)
		rand.New(rand.NewSource(int64(i))).Read(v)
		return v
	}
	for i := 29; i >= 0; i-- { // out of order, interleaved with runs' worth of small records
		b := s.NewBatch()
		b.Set([]byte(fmt.Sprintf("k:%05d:big", i*997%30000)), big(i))
		for j := 0; j < 1000; j++ {
			b.Set([]byte(fmt.Sprintf("k:%05d", (i*1000+j)*7919%30000)), bulkValue(j))
		}
		require.NoError(t, s.Commit(b))
	}
	require.NoError(t, bl.Finish(0))
	require.Greater(t, bl.Stats.Runs, 1)
	require.Equal(t, 4, bl.Stats.Partitions)
	all := keys(t, s, "k:", "k;")
	require.Len(t, all, 30000+30)
	require.True(t, slices.IsSorted(all))
	for _, i := range []int{0, 17, 29} {
		v, ok := get(t, s, fmt.Sprintf("k:%05d:big", i*997%30000))
		require.True(t, ok)
		require.Equal(t, string(big(i)), v)
	}
}

// The radix sort orders keys as bytes.Compare does, including keys shorter
// than the 8-byte prefix, keys that are prefixes of others, and long
// shared prefixes.
func TestBulkRunSortMatchesBytesOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabet := []byte{0, 1, 'a', 'b', 'k', 0xff}
	for round := 0; round < 20; round++ {
		run := &bulkRun{}
		var want []string
		n := 1 + rng.Intn(5000)
		for i := 0; i < n; i++ {
			k := []byte("k\x00\x00")[:rng.Intn(4)]
			for j := rng.Intn(14); j > 0; j-- {
				k = append(k, alphabet[rng.Intn(len(alphabet))])
			}
			run.add(k, nil)
			want = append(want, string(k))
		}
		run.sort(make([]bulkRecord, n))
		slices.Sort(want)
		for i := range want {
			require.Equal(t, want[i], string(run.key(i)), "round %d record %d", round, i)
		}
	}
}
