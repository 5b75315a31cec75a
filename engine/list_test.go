package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
	"github.com/stretchr/testify/require"
)

// openLZEngine opens an engine on a temp dir for the list/zset tests.
func openLZEngine(t testing.TB) *Engine {
	t.Helper()
	o := storage.DefaultOptions(t.TempDir())
	o.BlockCacheBytes = 8 << 20
	o.MemTableBytes = 8 << 20
	e, err := Open(Options{Storage: o, CacheBytes: 1 << 20, DisableActiveExpiry: true})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// lzRun runs fn in a Tx on db 0 and commits it.
func lzRun(t testing.TB, e *Engine, fn func(tx *Tx) error) {
	t.Helper()
	tx := e.Begin(0)
	require.NoError(t, fn(tx))
	require.NoError(t, tx.Commit())
}

// lzLiveRecords counts the live records under key's metadata key (the
// metadata itself and the sub-records of every version).
func lzLiveRecords(t testing.TB, e *Engine, key string) int {
	t.Helper()
	mk := encoding.MetaKey(e.Physical(0), []byte(key))
	it, err := e.Store().NewIter(mk, encoding.KeyRecordsEnd(mk))
	require.NoError(t, err)
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

func lzb(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func listAll(t testing.TB, e *Engine, key string) []string {
	t.Helper()
	var out []string
	lzRun(t, e, func(tx *Tx) error {
		return tx.ListRange([]byte(key), 0, -1, func(int64) {}, func(v []byte) { out = append(out, string(v)) })
	})
	return out
}

func TestListEnginePushPopPositions(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("q")
	lzRun(t, e, func(tx *Tx) error {
		n, err := tx.ListPush(k, lzb("a", "b"), false, false)
		require.Equal(t, int64(2), n)
		return err
	})
	lzRun(t, e, func(tx *Tx) error {
		n, err := tx.ListPush(k, lzb("x", "y"), true, false)
		require.Equal(t, int64(4), n)
		return err
	})
	require.Equal(t, []string{"y", "x", "a", "b"}, listAll(t, e, "q"))
	// Head moved left twice from the initial position; Tail right twice.
	tx := e.Begin(0)
	l, err := tx.openList(k)
	require.NoError(t, err)
	require.Equal(t, encoding.ListInitialPos-2, l.lm.Head)
	require.Equal(t, encoding.ListInitialPos+2, l.lm.Tail)
	require.Equal(t, uint64(4), l.meta.Size)
	// 1 metadata record + 4 elements.
	require.Equal(t, 5, lzLiveRecords(t, e, "q"))
	lzRun(t, e, func(tx *Tx) error {
		vals, ok, err := tx.ListPop(k, false, 10)
		require.True(t, ok)
		require.Equal(t, lzb("b", "a", "x", "y"), vals)
		return err
	})
	// Drained: no live record left, and the key is gone.
	require.Equal(t, 0, lzLiveRecords(t, e, "q"))
	require.Equal(t, int64(0), e.DBSize(0))
}

// A queue drained to empty again and again leaves no live records behind
// and never needs a range deletion.
func TestListEngineQueueDrainNoLeftovers(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("queue")
	for round := 0; round < 20; round++ {
		lzRun(t, e, func(tx *Tx) error {
			_, err := tx.ListPush(k, lzb("1", "2", "3", "4", "5"), true, false)
			return err
		})
		for i := 0; i < 5; i++ {
			lzRun(t, e, func(tx *Tx) error {
				v, ok, err := tx.ListPop(k, false, 1)
				require.True(t, ok)
				require.Equal(t, fmt.Sprint(i+1), string(v[0]))
				return err
			})
		}
		require.Equal(t, 0, lzLiveRecords(t, e, "queue"))
	}
	require.Equal(t, int64(0), e.DBSize(0))
}

// The middle operations against a plain slice model, with both shift
// directions exercised.
func TestListEngineMiddleOpsModel(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("m")
	r := rand.New(rand.NewPCG(7, 7))
	var model []string
	for i := 0; i < 40; i++ {
		model = append(model, fmt.Sprint(r.IntN(6)))
	}
	lzRun(t, e, func(tx *Tx) error {
		_, err := tx.ListPush(k, lzb(model...), false, false)
		return err
	})
	for step := 0; step < 400; step++ {
		v := fmt.Sprint(r.IntN(6))
		switch r.IntN(4) {
		case 0: // LINSERT BEFORE/AFTER
			pivot := fmt.Sprint(r.IntN(6))
			before := r.IntN(2) == 0
			idx := -1
			for i, x := range model {
				if x == pivot {
					idx = i
					break
				}
			}
			lzRun(t, e, func(tx *Tx) error {
				n, err := tx.ListInsert(k, before, []byte(pivot), []byte(v))
				if idx < 0 && len(model) > 0 {
					require.Equal(t, int64(-1), n)
				}
				return err
			})
			if idx >= 0 {
				if !before {
					idx++
				}
				model = append(model[:idx], append([]string{v}, model[idx:]...)...)
			}
		case 1: // LREM
			count := int64(r.IntN(5) - 2)
			var removed int64
			lzRun(t, e, func(tx *Tx) error {
				var err error
				removed, err = tx.ListRem(k, count, []byte(v))
				return err
			})
			var want int64
			if count >= 0 {
				out := model[:0:0]
				for _, x := range model {
					if x == v && (count == 0 || want < count) {
						want++
						continue
					}
					out = append(out, x)
				}
				model = out
			} else {
				out := make([]string, 0, len(model))
				for i := len(model) - 1; i >= 0; i-- {
					if model[i] == v && want < -count {
						want++
						continue
					}
					out = append([]string{model[i]}, out...)
				}
				model = out
			}
			require.Equal(t, want, removed)
		case 2: // LSET
			if len(model) > 0 {
				i := r.IntN(len(model))
				lzRun(t, e, func(tx *Tx) error { return tx.ListSet(k, int64(i), []byte(v)) })
				model[i] = v
			}
		case 3: // push at either end, pop from the left
			left := r.IntN(2) == 0
			lzRun(t, e, func(tx *Tx) error {
				_, err := tx.ListPush(k, lzb(v, v+"'"), left, false)
				return err
			})
			if left {
				model = append([]string{v + "'", v}, model...)
			} else {
				model = append(model, v, v+"'")
			}
			lzRun(t, e, func(tx *Tx) error {
				vals, _, err := tx.ListPop(k, true, 1)
				require.Equal(t, model[0], string(vals[0]))
				model = model[1:]
				return err
			})
		}
		got := listAll(t, e, "m")
		if len(model) == 0 {
			require.Empty(t, got)
		} else {
			require.Equal(t, model, got, "step %d", step)
		}
		// Live records: metadata + one per element, never any stale
		// position inside or outside [Head, Tail).
		if len(model) > 0 {
			require.Equal(t, len(model)+1, lzLiveRecords(t, e, "m"))
		}
	}
}

func TestListEngineTrimBigUsesRange(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("big")
	vals := make([][]byte, 3000)
	for i := range vals {
		vals[i] = []byte(fmt.Sprint(i))
	}
	lzRun(t, e, func(tx *Tx) error {
		_, err := tx.ListPush(k, vals, false, false)
		return err
	})
	lzRun(t, e, func(tx *Tx) error { return tx.ListTrim(k, 1000, 1009) })
	got := listAll(t, e, "big")
	require.Len(t, got, 10)
	require.Equal(t, "1000", got[0])
	require.Equal(t, "1009", got[9])
	require.Equal(t, 11, lzLiveRecords(t, e, "big"))
	lzRun(t, e, func(tx *Tx) error { return tx.ListTrim(k, 5, 1) })
	require.Equal(t, 0, lzLiveRecords(t, e, "big"))
}

func TestListEngineMoveSameKey(t *testing.T) {
	e := openLZEngine(t)
	k := []byte("rot")
	lzRun(t, e, func(tx *Tx) error {
		_, err := tx.ListPush(k, lzb("a", "b", "c"), false, false)
		return err
	})
	for _, c := range []struct {
		srcLeft, dstLeft bool
		want             []string
	}{
		{false, true, []string{"c", "a", "b"}},
		{true, false, []string{"a", "b", "c"}},
		{true, true, []string{"a", "b", "c"}},
		{false, false, []string{"a", "b", "c"}},
	} {
		lzRun(t, e, func(tx *Tx) error {
			_, ok, err := tx.ListMove(k, k, c.srcLeft, c.dstLeft)
			require.True(t, ok)
			return err
		})
		require.Equal(t, c.want, listAll(t, e, "rot"))
		require.Equal(t, 4, lzLiveRecords(t, e, "rot"))
	}
}
