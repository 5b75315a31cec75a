// Package engine is Shale's data-type layer: Redis keys and values on top of
// the on-disk layout (encoding), the Pebble wrapper (storage) and the hot
// tier (cache). It owns the key locks that make every command atomic, the
// per-database counters that make DBSIZE exact, and active expiry.
package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaledb/shale/cache"
	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// Options configures an Engine.
type Options struct {
	Storage    storage.Options
	CacheBytes int64
	Databases  int
	// ActiveExpiry enables the background expiry loop (default on).
	DisableActiveExpiry bool
}

// Stats are engine-level counters reported by INFO.
type Stats struct {
	KeyspaceHits   atomic.Int64
	KeyspaceMisses atomic.Int64
	ExpiredKeys    atomic.Int64
	// Dirty counts writes since the last save (rdb_changes_since_last_save).
	Dirty atomic.Int64
}

// Engine is an open Shale database.
type Engine struct {
	store     *storage.Store
	cache     *cache.Cache
	locks     lockTable
	world     sync.RWMutex
	databases int

	// physical maps a logical database number (SELECT n) onto the physical
	// id its records are stored under; SWAPDB swaps two entries in O(1).
	physical []atomic.Int32

	keys    []atomic.Int64 // per physical db
	expires []atomic.Int64 // per physical db

	version atomic.Uint64
	Stats   Stats

	// Hooks for later layers (WATCH, keyspace notifications, blocking
	// commands); nil when unused. Called after commit, with the key lock held.
	OnModified func(db int, key []byte)
	OnExpired  func(db int, key []byte)
	// OnFlush runs after FLUSHDB (db >= 0) or FLUSHALL (db == -1), OnSwapDB
	// after SWAPDB; both with the world lock held (keyspace.go).
	OnFlush  func(db int)
	OnSwapDB func(a, b int)
	// tracking counts the reasons OnModified must be called (watched keys,
	// blocked clients); while zero, commits skip collecting modified keys.
	tracking atomic.Int64
	// expiryPaused stops active expiry (DEBUG SET-ACTIVE-EXPIRE 0).
	expiryPaused atomic.Bool
	// OnWorldRelease runs when a LockWorld guard is released, just before
	// the world lock is dropped (blocking commands serve the keys a
	// MULTI/EXEC or script made ready, as Redis does after the whole unit).
	OnWorldRelease func()
	worldHeld      atomic.Bool

	ks keyspaceState // SCAN cursors, active expiry position (keyspace.go)

	stopExpiry chan struct{}
	expiryDone chan struct{}
	closed     atomic.Bool
}

var physicalMapKey = encoding.InternalKey("dbmap")

// Open opens the engine.
func Open(o Options) (*Engine, error) {
	if o.Databases <= 0 {
		o.Databases = 16
	}
	if o.Databases > 1<<16 {
		return nil, errors.New("engine: too many databases")
	}
	st, err := storage.Open(o.Storage)
	if err != nil {
		return nil, err
	}
	c, err := cache.New(o.CacheBytes)
	if err != nil {
		st.Close()
		return nil, err
	}
	e := &Engine{
		store:     st,
		cache:     c,
		databases: o.Databases,
		physical:  make([]atomic.Int32, o.Databases),
		keys:      make([]atomic.Int64, o.Databases),
		expires:   make([]atomic.Int64, o.Databases),
	}
	e.version.Store(uint64(time.Now().UnixNano()))
	if err := e.loadPhysicalMap(); err != nil {
		e.Close()
		return nil, err
	}
	for p := 0; p < o.Databases; p++ {
		for _, c := range []struct {
			key []byte
			dst *atomic.Int64
		}{{encoding.KeyCountKey(p), &e.keys[p]}, {encoding.ExpiresCountKey(p), &e.expires[p]}} {
			v, ok, err := st.Get(nil, c.key)
			if err != nil {
				e.Close()
				return nil, err
			}
			if ok {
				c.dst.Store(storage.DecodeCounter(v))
			}
		}
	}
	if !o.DisableActiveExpiry {
		e.startActiveExpiry()
	}
	return e, nil
}

func (e *Engine) loadPhysicalMap() error {
	v, ok, err := e.store.Get(nil, physicalMapKey)
	if err != nil {
		return err
	}
	for i := range e.physical {
		e.physical[i].Store(int32(i))
	}
	if !ok {
		return nil
	}
	if len(v)%2 != 0 {
		return fmt.Errorf("engine: corrupt database map")
	}
	n := len(v) / 2
	if n != e.databases {
		// The databases setting changed: only an identity map can be
		// reinterpreted safely.
		for i := 0; i < n; i++ {
			if int(binary.BigEndian.Uint16(v[2*i:])) != i {
				return fmt.Errorf("engine: 'databases' changed from %d to %d after SWAPDB; restore the old setting", n, e.databases)
			}
		}
		return nil
	}
	for i := 0; i < n; i++ {
		e.physical[i].Store(int32(binary.BigEndian.Uint16(v[2*i:])))
	}
	return nil
}

// Close stops background work and closes storage.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	e.stopActiveExpiry()
	e.world.Lock()
	defer e.world.Unlock()
	e.cache.Close()
	return e.store.Close()
}

// Store exposes the storage layer (checkpoints, stats, tools).
func (e *Engine) Store() *storage.Store { return e.store }

// Cache exposes the hot tier (stats).
func (e *Engine) Cache() *cache.Cache { return e.cache }

// Databases returns the number of logical databases.
func (e *Engine) Databases() int { return e.databases }

// Physical returns the physical id of logical database db.
func (e *Engine) Physical(db int) int { return int(e.physical[db].Load()) }

// nextVersion returns a version greater than every version issued before,
// also across restarts (it starts from the wall clock in nanoseconds).
func (e *Engine) nextVersion() uint64 { return e.version.Add(1) }

// DBSize returns the number of keys in logical database db, exact and
// without scanning (expired-but-unreclaimed keys count, as in Redis).
func (e *Engine) DBSize(db int) int64 { return e.keys[e.Physical(db)].Load() }

// ExpiresCount returns how many keys of db carry a TTL.
func (e *Engine) ExpiresCount(db int) int64 { return e.expires[e.Physical(db)].Load() }

// NowMs is the engine's clock in unix milliseconds.
func NowMs() int64 { return time.Now().UnixMilli() }
