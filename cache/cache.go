// Package cache is Shale's hot tier: a ristretto cache of encoded metadata
// records (which hold string values inline) for the keys clients touch most.
//
// Coherence: ristretto applies new entries asynchronously, so an old Set can
// land after a newer one. Every entry therefore carries the generation of its
// key's slot in a generation table; each write bumps that generation before
// storing its own entry, and a read accepts an entry only if its generation
// is the current one. Readers and writers of one key are serialized by the
// db layer's key locks, so an accepted entry is never older than the last
// acknowledged write.
package cache

import (
	"sync/atomic"
	"unsafe"

	"github.com/dgraph-io/ristretto/v2"
)

const genSlots = 1 << 20

type entry struct {
	gen   uint64
	value []byte
}

// entryOverhead approximates ristretto's per-item bookkeeping in bytes.
const entryOverhead = 96

// Cache is the hot tier. A nil *Cache is a valid, always-missing cache.
type Cache struct {
	rc       *ristretto.Cache[string, *entry]
	gens     []atomic.Uint64
	epoch    atomic.Uint64
	maxEntry int
	hits     atomic.Int64
	misses   atomic.Int64
	// paused makes writes only invalidate (see Pause).
	paused atomic.Bool
}

// New returns a cache holding about maxBytes of records; 0 disables it.
func New(maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		return nil, nil
	}
	// ristretto recommends ~10 counters per expected item; assume ~200-byte
	// items.
	counters := maxBytes / 200 * 10
	if counters < 1e4 {
		counters = 1e4
	}
	rc, err := ristretto.NewCache(&ristretto.Config[string, *entry]{
		NumCounters:        counters,
		MaxCost:            maxBytes,
		BufferItems:        64,
		Metrics:            true,
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, err
	}
	maxEntry := int(maxBytes / 64)
	if maxEntry > 1<<20 {
		maxEntry = 1 << 20 // a single huge string should not evict the hot set
	}
	return &Cache{rc: rc, gens: make([]atomic.Uint64, genSlots), maxEntry: maxEntry}, nil
}

// str views key as a string without copying: ristretto keeps only the
// key's hashes, never the key itself.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func fnv(key []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range key {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

func (c *Cache) gen(key []byte) *atomic.Uint64 {
	return &c.gens[fnv(key)&(genSlots-1)]
}

// current combines the global epoch (bumped by Clear) and the slot generation.
func (c *Cache) current(g *atomic.Uint64) uint64 {
	return c.epoch.Load()<<40 ^ g.Load()
}

// Get returns the cached record for key. The returned slice must not be
// modified; a nil record with ok means the key is known to be absent (see
// PutAbsent). The caller holds key's lock (shared or exclusive).
func (c *Cache) Get(key []byte) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	e, ok := c.rc.Get(str(key))
	if !ok || e.gen != c.current(c.gen(key)) {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return e.value, true
}

// Fill caches a record just read from storage. The caller holds key's lock,
// so the value is current. value is retained: the caller must not reuse it.
func (c *Cache) Fill(key, value []byte) {
	if c == nil || len(value) > c.maxEntry || c.paused.Load() {
		return
	}
	g := c.gen(key)
	c.rc.Set(str(key), &entry{gen: c.current(g), value: value}, int64(len(key)+len(value)+entryOverhead))
}

// Put records a write of key (value nil = deleted). Every older entry for
// the key becomes invisible at once through the generation bump, and the
// new value is written through so the next command on a hot key (SET after
// SET, INCR after INCR) finds its metadata here instead of seeking Pebble's
// memtable past every version of the key written since the last flush. The
// caller holds
// key's exclusive lock and calls Put after the write is committed. value is
// retained.
func (c *Cache) Put(key, value []byte) {
	if c == nil {
		return
	}
	g := c.gen(key)
	g.Add(1)
	if value == nil || len(value) > c.maxEntry || c.paused.Load() {
		return
	}
	c.rc.Set(str(key), &entry{gen: c.current(g), value: value}, int64(len(key)+len(value)+entryOverhead))
}

// PutAbsent records the deletion of key like Put(key, nil) and keeps a
// negative entry: Get then reports (nil, true), "known absent". A hot key
// that is deleted and written again (a queue drained to empty, a counter
// deleted and recreated) is thereby not looked up in storage, where a
// lookup of a deleted key must step over every version of it still in the
// memtable (one per write since the last flush): without this, a queue
// that keeps draining to empty slows down quadratically until the next
// flush. Negative entries are small and go through ristretto's admission
// policy like any other, so a DEL storm of cold keys does not evict the
// hot set.
func (c *Cache) PutAbsent(key []byte) {
	if c == nil {
		return
	}
	g := c.gen(key)
	g.Add(1)
	if c.paused.Load() {
		return
	}
	c.rc.Set(str(key), &entry{gen: c.current(g)}, int64(len(key)+entryOverhead))
}

// Pause stops (on) or resumes (off) filling the cache: while paused,
// writes still invalidate what the cache holds but add nothing. A bulk
// load into a live server (the first-start RDB import) writes millions of
// keys nobody has read; caching them cost more than the load itself.
func (c *Cache) Pause(on bool) {
	if c != nil {
		c.paused.Store(on)
	}
}

// Invalidate makes key's cached record invisible (same as Put(key, nil)).
func (c *Cache) Invalidate(key []byte) { c.Put(key, nil) }

// Clear invalidates everything (FLUSHALL, FLUSHDB, SWAPDB) in O(1).
func (c *Cache) Clear() {
	if c == nil {
		return
	}
	c.epoch.Add(1)
}

// Stats reports hits, misses and the bytes held.
type Stats struct {
	Hits, Misses int64
	Bytes        int64
	MaxBytes     int64
	Items        int64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	m := c.rc.Metrics
	return Stats{
		Hits:     c.hits.Load(),
		Misses:   c.misses.Load(),
		Bytes:    int64(m.CostAdded() - m.CostEvicted()),
		MaxBytes: c.rc.MaxCost(),
		Items:    int64(m.KeysAdded() - m.KeysEvicted()),
	}
}

// ResetStats zeroes the hit and miss counters (CONFIG RESETSTAT).
func (c *Cache) ResetStats() {
	if c == nil {
		return
	}
	c.hits.Store(0)
	c.misses.Store(0)
}

// SetMaxBytes resizes the cache (CONFIG SET cache-size).
func (c *Cache) SetMaxBytes(n int64) {
	if c != nil && n > 0 {
		c.rc.UpdateMaxCost(n)
	}
}

// Close stops the cache's goroutines.
func (c *Cache) Close() {
	if c != nil {
		c.rc.Close()
	}
}
