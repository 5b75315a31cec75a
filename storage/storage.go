// Package storage wraps Pebble: opening a tuned database, atomic batches,
// bounded iterators, snapshots, range deletions and checkpoints, with the
// WAL's fsync behaviour following Redis's appendfsync.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Options configures a Store.
type Options struct {
	Dir string
	// Fsync is the appendfsync policy.
	Fsync FsyncPolicy
	// BlockCacheBytes sizes Pebble's block cache (decompressed sstable
	// blocks). The hot tier in cache/ sits above it and holds decoded
	// records; this one keeps index/filter blocks and recently read data
	// blocks so a miss in the hot tier is rarely a disk read.
	BlockCacheBytes int64
	// MemTableBytes sizes one memtable.
	MemTableBytes uint64
	// Logger receives Pebble's log lines; nil silences them.
	Logger pebble.Logger
}

// DefaultOptions returns the tuned defaults for dir.
func DefaultOptions(dir string) Options {
	return Options{
		Dir:             dir,
		Fsync:           FsyncEverySec,
		BlockCacheBytes: 256 << 20,
		MemTableBytes:   64 << 20,
	}
}

// Store is an open Pebble database.
type Store struct {
	db    *pebble.DB
	fs    *walFS
	cache *pebble.Cache
	dir   string
	opts  *pebble.Options
	// bulk, when set, receives commits instead of the database (see
	// StartBulk). Only the single bulk writer commits meanwhile.
	bulk atomic.Pointer[BulkLoader]
}

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = pebble.ErrNotFound

type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Errorf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: fatal: "+format+"\n", args...)
	os.Exit(1)
}

// Open opens (creating if needed) the database in o.Dir.
func Open(o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, errors.New("storage: no directory")
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	fs := newWALFS(vfs.Default, o.Fsync)
	cache := pebble.NewCache(o.BlockCacheBytes)
	opts := &pebble.Options{
		FS:     fs,
		Cache:  cache,
		Merger: counterMerger,
		// 64 MB memtables (default 4 MB) absorb write bursts and turn many
		// small flushes into few large ones; two may be queued before writes
		// stall.
		MemTableSize:                o.MemTableBytes,
		MemTableStopWritesThreshold: 4,
		// L0 compaction starts at 4 files and stops writes only at 20, so a
		// write burst slows down before it stalls.
		L0CompactionThreshold: 4,
		L0StopWritesThreshold: 20,
		LBaseMaxBytes:         256 << 20,
		// Background compactions may use every core (Redis traffic is spiky;
		// debt must clear between spikes). At least 2 so one long compaction
		// does not block L0.
		CompactionConcurrencyRange: func() (int, int) { return 1, max(2, runtime.NumCPU()) },
		// Write sstables in 1 MB steps so the OS does not accumulate large
		// dirty page bursts that stall foreground I/O.
		BytesPerSync:       1 << 20,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             o.Logger,
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger{}
	}
	for i := range opts.Levels {
		l := &opts.Levels[i]
		// Bloom filters (10 bits/key, ~1% false positives) make a GET of a
		// missing key, and every metadata lookup, about one block read.
		l.FilterPolicy = bloom.FilterPolicy(10)
		// 32 KB blocks: fewer index entries and better compression for
		// range scans of collections; point reads are served from the
		// block cache or the hot tier anyway.
		l.BlockSize = 32 << 10
	}
	// Tombstone-dense regions (drained queues, trimmed leaderboards,
	// deleted-and-recreated hot keys) are compacted eagerly so iterators
	// do not wade through deleted records.
	opts.Experimental.TombstoneDenseCompactionThreshold = 0.05
	opts.Experimental.DeletionSizeRatioThreshold = 0.5

	opts.EnsureDefaults()
	db, err := pebble.Open(o.Dir, opts)
	cache.Unref()
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, fs: fs, cache: cache, dir: o.Dir, opts: opts}
	fs.startBackground()
	return s, nil
}

// Close flushes and closes the database.
func (s *Store) Close() error {
	s.fs.stopBackground()
	if s.fs.Policy() != FsyncNo {
		s.fs.syncAll()
	}
	return s.db.Close()
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// SetFsync changes the appendfsync policy at runtime.
func (s *Store) SetFsync(p FsyncPolicy) { s.fs.SetPolicy(p) }

// Fsync returns the current appendfsync policy.
func (s *Store) Fsync() FsyncPolicy { return s.fs.Policy() }

// Get appends the value of key to dst. It reports false when the key does
// not exist.
func (s *Store) Get(dst, key []byte) ([]byte, bool, error) {
	v, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return dst, false, nil
	}
	if err != nil {
		return dst, false, err
	}
	dst = append(dst, v...)
	closer.Close()
	return dst, true, nil
}

// writeOpts always asks Pebble to sync: see walFS for what a sync means
// under each appendfsync policy.
var writeOpts = &pebble.WriteOptions{Sync: true}

// Batch is an atomic group of writes.
type Batch struct {
	b *pebble.Batch
}

// NewBatch starts a batch.
func (s *Store) NewBatch() *Batch { return &Batch{b: s.db.NewBatch()} }

// Set puts key=value.
func (b *Batch) Set(key, value []byte) { _ = b.b.Set(key, value, nil) }

// Delete removes key.
func (b *Batch) Delete(key []byte) { _ = b.b.Delete(key, nil) }

// DeleteRange removes every key in [start, end): O(1) to write whatever the
// range holds.
func (b *Batch) DeleteRange(start, end []byte) { _ = b.b.DeleteRange(start, end, nil) }

// Merge adds a merge operand (counters).
func (b *Batch) Merge(key, value []byte) { _ = b.b.Merge(key, value, nil) }

// Empty reports whether the batch holds no writes.
func (b *Batch) Empty() bool { return b.b.Empty() }

// Len returns the batch's encoded size in bytes.
func (b *Batch) Len() int { return b.b.Len() }

// Reset clears the batch for reuse.
func (b *Batch) Reset() { b.b.Reset() }

// Close releases the batch.
func (b *Batch) Close() { _ = b.b.Close() }

// Commit applies the batch atomically, durable as the fsync policy says,
// and releases it.
func (s *Store) Commit(b *Batch) error {
	if b.b.Empty() {
		b.Close()
		return nil
	}
	if bl := s.bulk.Load(); bl != nil {
		err := bl.addBatch(b)
		b.Close()
		return err
	}
	err := s.db.Apply(b.b, writeOpts)
	b.Close()
	return err
}

// CommitNoWait applies the batch (visible to readers at once) without
// waiting for the WAL write/sync; the caller must call Wait on the result
// before acknowledging the write. A pipelined client's commands thus share
// one WAL write instead of paying one each.
func (s *Store) CommitNoWait(b *Batch) (*Pending, error) {
	if b.b.Empty() {
		b.Close()
		return nil, nil
	}
	if s.bulk.Load() != nil {
		return nil, s.Commit(b)
	}
	if err := s.db.ApplyNoSyncWait(b.b, writeOpts); err != nil {
		b.Close()
		return nil, err
	}
	return &Pending{b: b}, nil
}

// Pending is an applied batch whose WAL write may still be in flight.
type Pending struct{ b *Batch }

// Wait blocks until the batch is durable as the fsync policy says, then
// releases it.
func (p *Pending) Wait() error {
	if p == nil {
		return nil
	}
	err := p.b.b.SyncWait()
	p.b.Close()
	return err
}

// Reader is what both the live database and a snapshot can answer.
type Reader interface {
	Get(dst, key []byte) ([]byte, bool, error)
	NewIter(lower, upper []byte) (*Iter, error)
}

// Iter is a bounded iterator. Every iterator is bounded to the prefix of
// what it reads, so it never walks into another key's records or tombstones.
type Iter struct {
	*pebble.Iterator
}

// NewIter returns an iterator over [lower, upper).
func (s *Store) NewIter(lower, upper []byte) (*Iter, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return &Iter{it}, nil
}

// Snapshot is a consistent read-only view.
type Snapshot struct {
	snap *pebble.Snapshot
}

// NewSnapshot takes a snapshot of the current state.
func (s *Store) NewSnapshot() *Snapshot { return &Snapshot{snap: s.db.NewSnapshot()} }

// Get reads from the snapshot; see Store.Get.
func (sn *Snapshot) Get(dst, key []byte) ([]byte, bool, error) {
	v, closer, err := sn.snap.Get(key)
	if err == pebble.ErrNotFound {
		return dst, false, nil
	}
	if err != nil {
		return dst, false, err
	}
	dst = append(dst, v...)
	closer.Close()
	return dst, true, nil
}

// NewIter iterates the snapshot over [lower, upper).
func (sn *Snapshot) NewIter(lower, upper []byte) (*Iter, error) {
	it, err := sn.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	return &Iter{it}, nil
}

// Close releases the snapshot.
func (sn *Snapshot) Close() error { return sn.snap.Close() }

// Checkpoint writes a consistent, openable copy of the database to dir
// (hard-linking sstables where possible).
func (s *Store) Checkpoint(dir string) error {
	return s.db.Checkpoint(dir, pebble.WithFlushedWAL())
}

// Compact compacts [start, end) so deleted records and tombstones are
// physically removed.
func (s *Store) Compact(start, end []byte) error {
	return s.db.Compact(context.Background(), start, end, true)
}

// Flush flushes the memtable to an sstable.
func (s *Store) Flush() error { return s.db.Flush() }

// DiskUsage estimates the bytes on disk for [start, end).
func (s *Store) DiskUsage(start, end []byte) (uint64, error) {
	return s.db.EstimateDiskUsage(start, end)
}

// Metrics returns Pebble's metrics.
func (s *Store) Metrics() *pebble.Metrics { return s.db.Metrics() }

// Stats is a summary of storage state for INFO.
type Stats struct {
	DiskBytes         uint64
	MemTableBytes     uint64
	BlockCacheBytes   int64
	BlockCacheHits    int64
	BlockCacheMisses  int64
	Compactions       int64
	L0Files           int64
	PendingCompaction uint64
	WALBytes          uint64
	ReadAmplification int
	TombstoneCount    uint64
	GarbageBytes      uint64
}

// Stats summarizes Pebble's metrics.
func (s *Store) Stats() Stats {
	m := s.db.Metrics()
	st := Stats{
		DiskBytes:         m.DiskSpaceUsage(),
		MemTableBytes:     m.MemTable.Size,
		BlockCacheBytes:   m.BlockCache.Size,
		BlockCacheHits:    m.BlockCache.Hits,
		BlockCacheMisses:  m.BlockCache.Misses,
		Compactions:       m.Compact.Count,
		L0Files:           m.Levels[0].TablesCount,
		PendingCompaction: m.Compact.EstimatedDebt,
		WALBytes:          m.WAL.PhysicalSize,
		ReadAmplification: m.ReadAmp(),
	}
	st.TombstoneCount = m.Keys.TombstoneCount
	st.GarbageBytes = m.Table.Garbage.PointDeletionsBytesEstimate + m.Table.Garbage.RangeDeletionsBytesEstimate
	return st
}

var _ io.Closer = (*Snapshot)(nil)
