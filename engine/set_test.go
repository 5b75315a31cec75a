package engine

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func setMembersOf(t *testing.T, e *Engine, key string) []string {
	t.Helper()
	var out []string
	tx := e.Begin(0)
	defer tx.Discard()
	require.NoError(t, tx.SetMembers([]byte(key), func(m []byte) error {
		out = append(out, string(m))
		return nil
	}))
	return out
}

func TestSetEngineAddRemIntsetOrder(t *testing.T) {
	e := openHSEngine(t)
	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.SetAdd([]byte("s"), bs("10", "2", "-5", "2", "33"))
		require.Equal(t, int64(4), n)
		return err
	})
	require.Equal(t, []string{"-5", "2", "10", "33"}, setMembersOf(t, e, "s"), "intset order is numeric")
	hsRun(t, e, func(tx *Tx) error { _, err := tx.SetAdd([]byte("s"), bs("a")); return err })
	require.Equal(t, []string{"-5", "10", "2", "33", "a"}, setMembersOf(t, e, "s"), "hashtable sets stream in byte order")
	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.SetRem([]byte("s"), bs("a", "a", "nosuch", "-5", "10", "2", "33"))
		require.Equal(t, int64(5), n)
		return err
	})
	require.Empty(t, setMembersOf(t, e, "s"))
	require.Equal(t, 0, subRecords(t, e, "s"))
	require.Equal(t, int64(0), e.DBSize(0))
}

func TestSetEngineStoreOverwritesSource(t *testing.T) {
	e := openHSEngine(t)
	hsRun(t, e, func(tx *Tx) error {
		if _, err := tx.SetAdd([]byte("a"), bs("1", "2", "3")); err != nil {
			return err
		}
		_, err := tx.SetAdd([]byte("b"), bs("2", "3", "4"))
		return err
	})
	// The destination is also a source: it must read the old version.
	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.SetAlgebraStore(SetInter, []byte("a"), bs("a", "b"))
		require.Equal(t, int64(2), n)
		return err
	})
	require.Equal(t, []string{"2", "3"}, setMembersOf(t, e, "a"))
	require.Equal(t, 2, subRecords(t, e, "a"), "old version's records are gone")
	hsRun(t, e, func(tx *Tx) error {
		n, err := tx.SetAlgebraStore(SetDiff, []byte("a"), bs("a", "b"))
		require.Equal(t, int64(0), n)
		return err
	})
	require.Equal(t, 0, subRecords(t, e, "a"))
	require.Equal(t, int64(1), e.DBSize(0))
}

func TestSetEngineSampling(t *testing.T) {
	e := openHSEngine(t)
	const n = 3000
	var members [][]byte
	for i := 0; i < n; i++ {
		members = append(members, []byte(fmt.Sprintf("%08x", uint32(i)*2654435761)))
	}
	hsRun(t, e, func(tx *Tx) error { _, err := tx.SetAdd([]byte("s"), members); return err })
	all := map[string]bool{}
	for _, m := range members {
		all[string(m)] = true
	}
	for _, count := range []int64{1, 5, 20, 100, 2999} {
		tx := e.Begin(0)
		got := map[string]bool{}
		_, err := tx.SetRandomCount([]byte("s"), count, func(m []byte) error {
			require.True(t, all[string(m)], "a member of the set")
			require.False(t, got[string(m)], "distinct")
			got[string(m)] = true
			return nil
		})
		require.NoError(t, err)
		require.Len(t, got, int(count))
		tx.Discard()
	}
	for _, count := range []int64{-1, -7, -50, -5000} {
		tx := e.Begin(0)
		k := 0
		_, err := tx.SetRandomCount([]byte("s"), count, func(m []byte) error {
			require.True(t, all[string(m)])
			k++
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, int(-count), k)
		tx.Discard()
	}
	// SPOP of 10 leaves 2990 distinct members and matching records.
	var popped []string
	hsRun(t, e, func(tx *Tx) error {
		_, err := tx.SetPopCount([]byte("s"), 10, func(m []byte) error {
			popped = append(popped, string(m))
			return nil
		})
		return err
	})
	require.Len(t, popped, 10)
	left := setMembersOf(t, e, "s")
	require.Len(t, left, n-10)
	require.Equal(t, n-10, subRecords(t, e, "s"))
	for _, p := range popped {
		require.NotContains(t, left, p)
	}
}

// TestSetEngineWalkUnbalanced checks the walk terminates and only returns
// members on a skewed trie (one short member beside many long ones, members
// that are prefixes of others, the empty member).
func TestSetEngineWalkUnbalanced(t *testing.T) {
	e := openHSEngine(t)
	members := bs("", "a", "ab", "abc", "b", "\xff", "\xff\xff", "\x00")
	for i := 0; i < 2000; i++ {
		members = append(members, []byte(fmt.Sprintf("c%d", i)))
	}
	hsRun(t, e, func(tx *Tx) error { _, err := tx.SetAdd([]byte("s"), members); return err })
	valid := map[string]bool{}
	for _, m := range members {
		valid[string(m)] = true
	}
	tx := e.Begin(0)
	defer tx.Discard()
	c, err := tx.openSet([]byte("s"))
	require.NoError(t, err)
	it, err := c.iter()
	require.NoError(t, err)
	defer it.Close()
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		k, ok := c.walk(it)
		require.True(t, ok)
		m := string(k[c.plen:])
		require.True(t, valid[m], "walk returned %q", m)
		seen[m] = true
	}
	for _, m := range []string{"", "a", "ab", "abc", "b", "\xff", "\xff\xff", "\x00"} {
		require.True(t, seen[m], "short member %q reachable", m)
	}
	// Distinct sampling of most of a skewed set still terminates.
	got := 0
	require.NoError(t, c.sampleDistinct(1500, func(_, _ []byte) error { got++; return nil }))
	require.Equal(t, 1500, got)
}
