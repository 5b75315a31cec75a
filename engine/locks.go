package engine

import (
	"slices"
	"sync"
)

// lockStripes is the number of key lock stripes. Keys hash onto stripes;
// two keys on one stripe merely serialize, they never deadlock, because a
// command locks all its stripes at once in ascending order.
const lockStripes = 1 << 16

type lockTable struct {
	stripes [lockStripes]sync.RWMutex
}

func stripeOf(db int, key []byte) uint32 {
	h := uint32(2166136261) ^ uint32(db)
	for _, c := range key {
		h = (h ^ uint32(c)) * 16777619
	}
	return h % lockStripes
}

// Guard is a set of held locks, released by Unlock.
type Guard struct {
	e       *Engine
	world   bool // exclusive world lock
	write   bool
	stripes []uint32
	one     [1]uint32
}

// Unlock releases everything the guard holds.
func (g *Guard) Unlock() {
	if g.world {
		if h := g.e.OnWorldRelease; h != nil {
			h()
		}
		g.e.worldHeld.Store(false)
		g.e.world.Unlock()
		return
	}
	for i := len(g.stripes) - 1; i >= 0; i-- {
		if g.write {
			g.e.locks.stripes[g.stripes[i]].Unlock()
		} else {
			g.e.locks.stripes[g.stripes[i]].RUnlock()
		}
	}
	g.e.world.RUnlock()
}

// LockKeys locks the given keys of database db, exclusively when write is
// set, shared otherwise. Commands on different keys proceed in parallel.
func (e *Engine) LockKeys(g *Guard, db int, keys [][]byte, write bool) {
	g.e, g.world, g.write = e, false, write
	e.world.RLock()
	// Stripes hash the physical database (stable while the world lock is
	// held shared), so active expiry, which only knows physical ids, locks
	// the same stripes as commands do.
	db = e.Physical(db)
	if len(keys) == 1 {
		g.one[0] = stripeOf(db, keys[0])
		g.stripes = g.one[:]
	} else {
		s := g.stripes[:0]
		for _, k := range keys {
			s = append(s, stripeOf(db, k))
		}
		slices.Sort(s)
		g.stripes = slices.Compact(s)
	}
	for _, s := range g.stripes {
		if write {
			e.locks.stripes[s].Lock()
		} else {
			e.locks.stripes[s].RLock()
		}
	}
}

// LockKeysMultiDB locks keys that live in different databases (MOVE, COPY
// with DB): pairs of (db, key).
func (e *Engine) LockKeysMultiDB(g *Guard, dbs []int, keys [][]byte) {
	g.e, g.world, g.write = e, false, true
	e.world.RLock()
	s := g.stripes[:0]
	for i, k := range keys {
		s = append(s, stripeOf(e.Physical(dbs[i]), k))
	}
	slices.Sort(s)
	g.stripes = slices.Compact(s)
	for _, s := range g.stripes {
		e.locks.stripes[s].Lock()
	}
}

// lockPhysical locks one key of a physical database (active expiry).
func (e *Engine) lockPhysical(g *Guard, pdb int, key []byte) {
	g.e, g.world, g.write = e, false, true
	e.world.RLock()
	g.one[0] = stripeOf(pdb, key)
	g.stripes = g.one[:]
	e.locks.stripes[g.one[0]].Lock()
}

// LockWorld takes the whole server exclusively: FLUSHALL, SWAPDB, and later
// MULTI/EXEC and scripts, which must not interleave with anything.
func (e *Engine) LockWorld(g *Guard) {
	g.e, g.world = e, true
	e.world.Lock()
	e.worldHeld.Store(true)
}

// WorldLocked reports whether some goroutine holds the world lock
// exclusively. Called from a commit hook it means the committing goroutine
// holds it (every commit holds the world lock at least shared).
func (e *Engine) WorldLocked() bool { return e.worldHeld.Load() }

// TryLockKey write-locks the stripe of key in logical database db without
// waiting; the caller must already hold the world lock (shared or not).
// It returns the stripe to pass to UnlockStripe, and false when the stripe
// is busy (possibly held by the caller itself).
func (e *Engine) TryLockKey(db int, key []byte) (uint32, bool) {
	s := stripeOf(e.Physical(db), key)
	return s, e.locks.stripes[s].TryLock()
}

// UnlockStripe releases a stripe taken by TryLockKey.
func (e *Engine) UnlockStripe(s uint32) { e.locks.stripes[s].Unlock() }

// SameStripe reports whether two keys of db share a lock stripe.
func (e *Engine) SameStripe(db int, a, b []byte) bool {
	p := e.Physical(db)
	return stripeOf(p, a) == stripeOf(p, b)
}

// TryLockMore adds the stripes of keys of database db to a guard that
// already holds exclusive key locks (a pipeline batch), without blocking:
// it reports false, having taken nothing, if any new stripe is busy. The
// caller then releases what it holds before waiting, so holding a batch's
// locks never leads to a deadlock.
func (e *Engine) TryLockMore(g *Guard, db int, keys [][]byte) bool {
	pdb := e.Physical(db)
	n := len(g.stripes)
	for _, k := range keys {
		s := stripeOf(pdb, k)
		if slices.Contains(g.stripes, s) {
			continue
		}
		if !e.locks.stripes[s].TryLock() {
			for _, t := range g.stripes[n:] {
				e.locks.stripes[t].Unlock()
			}
			g.stripes = g.stripes[:n]
			return false
		}
		g.stripes = append(g.stripes, s)
	}
	return true
}
