package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStreamIDIncrDecr(t *testing.T) {
	id, ok := StreamID{1, ^uint64(0)}.Incr()
	require.True(t, ok)
	require.Equal(t, StreamID{2, 0}, id)
	_, ok = MaxStreamID.Incr()
	require.False(t, ok)
	id, ok = StreamID{2, 0}.Decr()
	require.True(t, ok)
	require.Equal(t, StreamID{1, ^uint64(0)}, id)
	_, ok = StreamID{}.Decr()
	require.False(t, ok)
	require.Equal(t, "5-7", StreamID{5, 7}.String())
	require.Equal(t, -1, StreamID{1, 9}.Cmp(StreamID{2, 0}))
}

// streamAdd adds n entries with IDs i-1 (from..from+n-1) in one Tx each.
func streamAdd(t *testing.T, e *Engine, key string, from, n int) {
	for i := from; i < from+n; i++ {
		lzRun(t, e, func(tx *Tx) error {
			s, err := tx.OpenStream([]byte(key))
			if err != nil {
				return err
			}
			s.Create()
			if _, err := s.Add(IDSpec{ID: StreamID{uint64(i), 1}}, [][]byte{[]byte("f"), []byte("v")}); err != nil {
				return err
			}
			return s.Save()
		})
	}
}

func TestStreamEngineTrimAndMeta(t *testing.T) {
	e := openLZEngine(t)
	streamAdd(t, e, "s", 1, 250)
	// Approximate MAXLEN removes whole 100-entry nodes only.
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		n, err := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 120, Approx: true})
		require.NoError(t, err)
		require.Equal(t, int64(100), n)
		require.Equal(t, StreamID{101, 1}, s.First)
		return s.Save()
	})
	// Exact MINID, then the stream's metadata survives reopening the handle.
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		require.Equal(t, uint64(150), s.Len())
		n, err := s.Trim(TrimArgs{Strategy: TrimMinID, MinID: StreamID{200, 0}})
		require.NoError(t, err)
		require.Equal(t, int64(99), n)
		return s.Save()
	})
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		require.Equal(t, uint64(51), s.Len())
		require.Equal(t, StreamID{200, 1}, s.First)
		require.Equal(t, StreamID{250, 1}, s.Last)
		require.Equal(t, uint64(250), s.EntriesAdded)
		var ids []StreamID
		require.NoError(t, s.Range(StreamID{}, MaxStreamID, 2, false, func(id StreamID, f [][]byte) error {
			require.Equal(t, [][]byte{[]byte("f"), []byte("v")}, f)
			ids = append(ids, id)
			return nil
		}))
		require.Equal(t, []StreamID{{200, 1}, {201, 1}}, ids)
		return nil
	})
}

func TestStreamEngineLag(t *testing.T) {
	e := openLZEngine(t)
	streamAdd(t, e, "s", 1, 5)
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		g := &StreamGroup{Name: []byte("g"), LastID: StreamID{2, 1}, EntriesRead: 2}
		lag, ok := s.Lag(g)
		require.True(t, ok)
		require.Equal(t, int64(3), lag)
		// Unknown counter at the first entry: estimated exactly.
		g.EntriesRead = StreamInvalidRead
		g.LastID = StreamID{1, 1}
		lag, ok = s.Lag(g)
		require.True(t, ok)
		require.Equal(t, int64(4), lag)
		// A tombstone ahead of an arbitrary ID makes the lag unknown.
		n, err := s.Delete([]StreamID{{4, 1}})
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		g.LastID = StreamID{2, 1}
		_, ok = s.Lag(g)
		require.False(t, ok)
		// At the last ID the counter is entries-added.
		require.Equal(t, int64(5), s.EstimateDistance(StreamID{5, 1}))
		require.Equal(t, StreamInvalidRead, s.EstimateDistance(StreamID{6, 0}))
		return s.Save()
	})
}

// A command's PEL and consumer changes are cached, so reading them back in
// the same command sees them (the batch is not readable).
func TestStreamEnginePELCache(t *testing.T) {
	e := openLZEngine(t)
	streamAdd(t, e, "s", 1, 3)
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		g := s.CreateGroup([]byte("g"), StreamID{}, 0)
		c1 := s.CreateConsumer(g, []byte("c1"))
		for i := 1; i <= 3; i++ {
			s.PutPending(g, StreamID{uint64(i), 1}, &StreamPending{DeliveryTime: 7, DeliveryCount: 1}, nil, c1)
		}
		p, ok, err := s.Pending(g, StreamID{2, 1})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "c1", string(p.Owner))
		require.Equal(t, uint64(3), c1.Pending)
		return s.Save()
	})
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		g, ok, err := s.Group([]byte("g"))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, uint64(3), g.Pending)
		c1, ok, err := s.Consumer(g, []byte("c1"))
		require.NoError(t, err)
		require.True(t, ok)
		c2 := s.CreateConsumer(g, []byte("c2"))
		p, _, err := s.Pending(g, StreamID{1, 1})
		require.NoError(t, err)
		s.PutPending(g, StreamID{1, 1}, p, c1, c2)
		var owned []StreamID
		require.NoError(t, s.ConsumerPending(g, []byte("c1"), StreamID{}, MaxStreamID, 0, func(id StreamID) error {
			owned = append(owned, id)
			return nil
		}))
		require.Len(t, owned, 3) // committed state: the move is in the batch
		require.Equal(t, uint64(2), c1.Pending)
		require.Equal(t, uint64(1), c2.Pending)
		return s.Save()
	})
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		g, _, err := s.Group([]byte("g"))
		require.NoError(t, err)
		var owned []StreamID
		require.NoError(t, s.ConsumerPending(g, []byte("c2"), StreamID{}, MaxStreamID, 0, func(id StreamID) error {
			owned = append(owned, id)
			return nil
		}))
		require.Equal(t, []StreamID{{1, 1}}, owned)
		c1, _, err := s.Consumer(g, []byte("c1"))
		require.NoError(t, err)
		n, err := s.DeleteConsumer(g, c1)
		require.NoError(t, err)
		require.Equal(t, uint64(2), n)
		require.Equal(t, uint64(1), g.Pending)
		return s.Save()
	})
	lzRun(t, e, func(tx *Tx) error {
		s, err := tx.OpenStream([]byte("s"))
		require.NoError(t, err)
		g, _, err := s.Group([]byte("g"))
		require.NoError(t, err)
		var all []StreamID
		require.NoError(t, s.PendingRange(g, StreamID{}, MaxStreamID, 0, func(id StreamID, p *StreamPending) error {
			all = append(all, id)
			require.Equal(t, "c2", string(p.Owner))
			return nil
		}))
		require.Equal(t, []StreamID{{1, 1}}, all)
		return nil
	})
}
