package engine

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/shaledb/shale/encoding"
	"github.com/stretchr/testify/require"
)

func zitems(pairs ...any) []ZItem {
	var out []ZItem
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, ZItem{Score: pairs[i].(float64), Member: []byte(pairs[i+1].(string))})
	}
	return out
}

func zAll(t testing.TB, e *Engine, key string) []ZItem {
	t.Helper()
	var out []ZItem
	lzRun(t, e, func(tx *Tx) error {
		var err error
		out, err = tx.ZRangeByRank([]byte(key), 0, -1, false)
		return err
	})
	return out
}

func TestZSetEngineRecordsAndOrder(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("z")
	lzRun(t, e, func(tx *Tx) error {
		res, err := tx.ZAdd(k, zitems(2.0, "b", 1.0, "c", 1.0, "a", math.Inf(-1), "n", math.Inf(1), "p", -0.5, "m"), ZAddFlags{})
		require.Equal(t, int64(6), res.Added)
		return err
	})
	got := zAll(t, e, "z")
	var names []string
	for _, it := range got {
		names = append(names, string(it.Member))
	}
	// Score order, equal scores by member bytes.
	require.Equal(t, []string{"n", "m", "a", "c", "b", "p"}, names)
	// metadata + 2 records per member.
	require.Equal(t, 1+2*6, lzLiveRecords(t, e, "z"))
	// Updating a score rewrites the index entry, no stale one remains.
	lzRun(t, e, func(tx *Tx) error {
		_, err := tx.ZAdd(k, zitems(10.0, "a"), ZAddFlags{})
		return err
	})
	require.Equal(t, 1+2*6, lzLiveRecords(t, e, "z"))
	require.Equal(t, "a", string(zAll(t, e, "z")[4].Member))
	// Duplicate members in one ZADD: last wins, counted once.
	lzRun(t, e, func(tx *Tx) error {
		res, err := tx.ZAdd(k, zitems(1.0, "q", 2.0, "q", 3.0, "q"), ZAddFlags{})
		require.Equal(t, int64(1), res.Added)
		require.Equal(t, int64(2), res.Updated)
		return err
	})
	require.Equal(t, 1+2*7, lzLiveRecords(t, e, "z"))
	lzRun(t, e, func(tx *Tx) error {
		s, ok, err := tx.ZScore(k, []byte("q"))
		require.True(t, ok)
		require.Equal(t, 3.0, s)
		return err
	})
}

// ZREMRANGEBYRANK from the bottom raises the low hint past the deleted
// entries, so later reads seek over their tombstones.
func TestZSetEngineHintsTighten(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("lb")
	var items []ZItem
	for i := 0; i < 100; i++ {
		items = append(items, ZItem{Score: float64(i), Member: []byte(fmt.Sprintf("m%03d", i))})
	}
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd(k, items, ZAddFlags{}); return err })
	lzRun(t, e, func(tx *Tx) error {
		n, err := tx.ZRemRangeByRank(k, 0, 9)
		require.Equal(t, int64(10), n)
		return err
	})
	tx := e.Begin(0)
	z, err := tx.openZSet(k)
	require.NoError(t, err)
	require.True(t, z.hints)
	require.Equal(t, 10.0, encoding.DecodeScore(z.lo[:]))
	require.Equal(t, 99.0, encoding.DecodeScore(z.hi[:]))
	lzRun(t, e, func(tx *Tx) error {
		_, _, err := tx.ZPop(k, true, 5)
		return err
	})
	tx = e.Begin(0)
	z, err = tx.openZSet(k)
	require.NoError(t, err)
	require.Equal(t, 94.0, encoding.DecodeScore(z.hi[:]))
	// Adding below the low hint lowers it again.
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd(k, zitems(-3.0, "low"), ZAddFlags{}); return err })
	got := zAll(t, e, "lb")
	require.Equal(t, "low", string(got[0].Member))
	require.Equal(t, "m010", string(got[1].Member))
	require.Equal(t, "m094", string(got[len(got)-1].Member))
	require.Len(t, got, 86)
	// Removing from the middle leaves the hints as they were.
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZRem(k, lzb("m050", "m051")); return err })
	tx = e.Begin(0)
	z, _ = tx.openZSet(k)
	require.Equal(t, -3.0, encoding.DecodeScore(z.lo[:]))
	require.Equal(t, 94.0, encoding.DecodeScore(z.hi[:]))
}

// A sorted set emptied by pops or removals is deleted without leftovers.
func TestZSetEngineDrainNoLeftovers(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("z")
	for round := 0; round < 10; round++ {
		lzRun(t, e, func(tx *Tx) error {
			_, err := tx.ZAdd(k, zitems(1.0, "a", 2.0, "b", 3.0, "c"), ZAddFlags{})
			return err
		})
		lzRun(t, e, func(tx *Tx) error {
			switch round % 3 {
			case 0:
				_, _, err := tx.ZPop(k, false, 10)
				return err
			case 1:
				_, err := tx.ZRemRangeByScore(k, ZScoreRange{Min: math.Inf(-1), Max: math.Inf(1)})
				return err
			default:
				_, err := tx.ZRem(k, lzb("a", "b", "c"))
				return err
			}
		})
		require.Equal(t, 0, lzLiveRecords(t, e, "z"))
	}
	require.Equal(t, int64(0), e.DBSize(0))
}

// Random operations against a sorted-slice model.
func TestZSetEngineModel(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("zm")
	r := rand.New(rand.NewPCG(3, 9))
	model := map[string]float64{}
	sorted := func() []ZItem {
		var out []ZItem
		for m, s := range model {
			out = append(out, ZItem{Member: []byte(m), Score: s})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Score != out[j].Score {
				return out[i].Score < out[j].Score
			}
			return bytes.Compare(out[i].Member, out[j].Member) < 0
		})
		return out
	}
	for step := 0; step < 600; step++ {
		m := fmt.Sprintf("m%d", r.IntN(40))
		s := float64(r.IntN(20) - 10)
		switch r.IntN(6) {
		case 0, 1:
			lzRun(t, e, func(tx *Tx) error {
				_, err := tx.ZAdd(k, []ZItem{{Member: []byte(m), Score: s}}, ZAddFlags{})
				return err
			})
			model[m] = s
		case 2:
			lzRun(t, e, func(tx *Tx) error { _, err := tx.ZRem(k, [][]byte{[]byte(m)}); return err })
			delete(model, m)
		case 3:
			a, b := int64(r.IntN(10)-3), int64(r.IntN(10)-3)
			lzRun(t, e, func(tx *Tx) error { _, err := tx.ZRemRangeByRank(k, a, b); return err })
			all := sorted()
			if a, b, ok := normRange(a, b, int64(len(all))); ok {
				for _, it := range all[a : b+1] {
					delete(model, string(it.Member))
				}
			}
		case 4:
			lzRun(t, e, func(tx *Tx) error { _, _, err := tx.ZPop(k, r.IntN(2) == 0, int64(r.IntN(3))); return err })
			model = map[string]float64{}
			for _, it := range zAll(t, e, "zm") {
				model[string(it.Member)] = it.Score
			}
		case 5:
			lo, hi := s, s+float64(r.IntN(5))
			var got []ZItem
			lzRun(t, e, func(tx *Tx) error {
				var err error
				got, err = tx.ZRangeByScore(k, ZScoreRange{Min: lo, Max: hi, MinEx: r.IntN(2) == 0}, false, 0, -1)
				return err
			})
			for _, it := range got {
				require.GreaterOrEqual(t, it.Score, lo)
				require.LessOrEqual(t, it.Score, hi)
			}
		}
		want := sorted()
		got := zAll(t, e, "zm")
		if len(want) == 0 {
			require.Empty(t, got)
			continue
		}
		require.Equal(t, want, got, "step %d", step)
		for i, it := range want {
			lzRun(t, e, func(tx *Tx) error {
				rank, ok, err := tx.ZRank(k, it.Member, false)
				require.True(t, ok)
				require.Equal(t, int64(i), rank)
				rev, _, _ := tx.ZRank(k, it.Member, true)
				require.Equal(t, int64(len(want)-1-i), rev)
				return err
			})
			if i > 3 {
				break
			}
		}
		require.Equal(t, 1+2*len(want), lzLiveRecords(t, e, "zm"))
	}
}

// A member added below the lowest score is an outlier: the walk reaches it
// from lo and then seeks to base; trimming it resets base to the lowest
// survivor. The counts stay exact through updates and removals.
func TestZSetEngineOutliers(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("lb")
	var items []ZItem
	for i := 0; i < 20; i++ {
		items = append(items, ZItem{Score: float64(100 + i), Member: []byte(fmt.Sprintf("m%02d", i))})
	}
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd(k, items, ZAddFlags{}); return err })
	open := func() *zset {
		tx := e.Begin(0)
		z, err := tx.openZSet(k)
		require.NoError(t, err)
		return z
	}
	z := open()
	require.Equal(t, 100.0, encoding.DecodeScore(z.base[:]))
	require.Equal(t, uint32(0), z.nlow)
	// Trimming the bottom moves base to the lowest survivor.
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZRemRangeByRank(k, 0, 4); return err })
	z = open()
	require.Equal(t, 105.0, encoding.DecodeScore(z.base[:]))
	require.Equal(t, 105.0, encoding.DecodeScore(z.lo[:]))
	// The high end was not touched: still the loose hints of a fresh set
	// (top at the first score added, the 15 survivors above it counted).
	require.Equal(t, uint32(15), z.nhigh)
	// Popping the highest member re-derives the high end.
	lzRun(t, e, func(tx *Tx) error { _, _, err := tx.ZPop(k, true, 1); return err })
	z = open()
	require.Equal(t, uint32(0), z.nhigh)
	require.Equal(t, 118.0, encoding.DecodeScore(z.top[:]))
	// Two members below base are outliers; an update moving one above base
	// and back is counted both ways.
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd(k, zitems(1.0, "x", 2.0, "y"), ZAddFlags{}); return err })
	require.Equal(t, uint32(2), open().nlow)
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd(k, zitems(500.0, "y"), ZAddFlags{}); return err })
	z = open()
	require.Equal(t, uint32(1), z.nlow)
	require.Equal(t, uint32(1), z.nhigh) // above top (118)
	// Moving the highest member re-derives the hints from the survivors
	// (exact ends, no outliers) and then counts its new position.
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd(k, zitems(3.0, "y"), ZAddFlags{}); return err })
	z = open()
	require.Equal(t, uint32(0), z.nlow)
	require.Equal(t, uint32(0), z.nhigh)
	require.Equal(t, 1.0, encoding.DecodeScore(z.base[:]))
	require.Equal(t, 1.0, encoding.DecodeScore(z.lo[:]))
	require.Equal(t, 118.0, encoding.DecodeScore(z.top[:]))
	require.Equal(t, 118.0, encoding.DecodeScore(z.hi[:]))
	// Ranks and ranges cross from the outliers to base correctly.
	got := zAll(t, e, "lb")
	require.Len(t, got, 16)
	require.Equal(t, "x", string(got[0].Member))
	require.Equal(t, "y", string(got[1].Member))
	require.Equal(t, "m05", string(got[2].Member))
	lzRun(t, e, func(tx *Tx) error {
		r, ok, err := tx.ZRank(k, []byte("m05"), false)
		require.True(t, ok)
		require.Equal(t, int64(2), r)
		items, err2 := tx.ZRangeByRank(k, 1, 3, false)
		require.NoError(t, err2)
		require.Equal(t, []string{"y", "m05", "m06"}, []string{string(items[0].Member), string(items[1].Member), string(items[2].Member)})
		items, err2 = tx.ZRangeByScore(k, ZScoreRange{Min: math.Inf(-1), Max: 105}, false, 0, -1)
		require.NoError(t, err2)
		require.Len(t, items, 3)
		return err
	})
	// Any removal re-derives the hints from the survivors: removing the
	// lowest outlier makes the next one the base.
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZRem(k, lzb("x")); return err })
	z = open()
	require.Equal(t, uint32(0), z.nlow)
	require.Equal(t, 3.0, encoding.DecodeScore(z.base[:]))
	// Popping the minimum resets base.
	lzRun(t, e, func(tx *Tx) error { _, _, err := tx.ZPop(k, false, 1); return err })
	z = open()
	require.Equal(t, uint32(0), z.nlow)
	require.Equal(t, 105.0, encoding.DecodeScore(z.base[:]))
	require.Len(t, zAll(t, e, "lb"), 14)
}

// A ZINCRBY-driven leaderboard: members leave the bottom edge one update at a
// time, and each such update re-derives the low end, so lo stays the exact
// lowest score.
func TestZSetEngineEdgeMoves(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("inc")
	var items []ZItem
	for i := 0; i < 50; i++ {
		items = append(items, ZItem{Score: float64(i), Member: []byte(fmt.Sprintf("p%02d", i))})
	}
	lzRun(t, e, func(tx *Tx) error { _, err := tx.ZAdd(k, items, ZAddFlags{}); return err })
	r := rand.New(rand.NewPCG(4, 4))
	for step := 0; step < 300; step++ {
		m := []byte(fmt.Sprintf("p%02d", r.IntN(50)))
		if step%3 == 0 {
			// The current lowest member scores.
			lzRun(t, e, func(tx *Tx) error {
				it, err := tx.ZRangeByRank(k, 0, 0, false)
				m = it[0].Member
				return err
			})
		}
		lzRun(t, e, func(tx *Tx) error {
			_, err := tx.ZAdd(k, []ZItem{{Member: m, Score: float64(r.IntN(20))}}, ZAddFlags{Incr: true})
			return err
		})
		all := zAll(t, e, "inc")
		require.Len(t, all, 50)
		tx := e.Begin(0)
		z, err := tx.openZSet(k)
		require.NoError(t, err)
		require.LessOrEqual(t, encoding.DecodeScore(z.lo[:]), all[0].Score)
		require.GreaterOrEqual(t, encoding.DecodeScore(z.hi[:]), all[49].Score)
		if step%3 == 0 {
			require.Equal(t, all[0].Score, encoding.DecodeScore(z.lo[:]), "step %d", step)
		}
		for i := 1; i < len(all); i++ {
			require.True(t, all[i-1].Score < all[i].Score || (all[i-1].Score == all[i].Score && string(all[i-1].Member) < string(all[i].Member)))
		}
	}
}
