package engine

import (
	"bytes"
	"errors"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// ErrWrongType is returned when a command meets a key of another type.
var ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")

// Tx is one command's view of the database. The caller holds the locks of
// every key the command touches; reads see the cache and storage plus the
// command's own writes; writes accumulate in one batch that Commit applies
// atomically. A Tx is reused across commands of one client (Reset).
type Tx struct {
	e   *Engine
	db  int // logical database
	pdb int // physical database
	Now int64

	batch    *storage.Batch
	memo     []memoEntry
	memoMap  map[string]int
	deltas   []countDelta
	modified []modifiedKey
	nmod     int
	buf      []byte
	// arena holds the memo's metadata keys for one command, so lookups do
	// not allocate per key (nothing retains them past the command).
	arena []byte
	// lastKey/lastIdx/lastPdb: the memo entry of the last key looked up.
	lastKey []byte
	lastIdx int
	lastPdb int

	// DeferSync makes Commit return once the writes are applied, leaving
	// the WAL wait to WaitDurable (pipelining: the dispatcher waits once
	// before the replies of a whole pipeline are sent).
	DeferSync bool
	pending   []*storage.Pending

	// Pipeline batch state (see StartBatch). subPrior is the sub-record
	// overlay: what the batch's earlier commands wrote, plus committed
	// sub-records already read in this batch (valid while the batch holds
	// the keys' locks). subCur is the current command's sub-record writes,
	// folded into subPrior when the next command starts, so each command
	// reads the state as of its own start, as an unbatched one does.
	batched  bool
	broken   bool
	subPrior map[string]subEntry
	subCur   []subWrite
	markNmod int
	markLen  int
}

type subEntry struct {
	val     []byte
	del     bool // absent (deleted by the batch, or not in storage)
	written bool // written by the batch (not just read from storage)
}

type subWrite struct {
	key string
	val []byte
	del bool
}

type memoEntry struct {
	metaKey []byte
	raw     []byte // encoded metadata, nil when absent
	fromDB  bool   // raw was read from storage (fill the cache on success)
	written bool   // raw was written by this Tx
}

type countDelta struct {
	pdb           int
	keys, expires int64
}

type modifiedKey struct {
	db  int
	key []byte
}

// Begin starts a Tx on logical database db. The caller must already hold
// the locks for the keys it will touch.
func (e *Engine) Begin(db int) *Tx {
	tx := &Tx{}
	tx.Reset(e, db)
	return tx
}

// Reset prepares tx for a new command on database db.
func (tx *Tx) Reset(e *Engine, db int) { tx.ResetAt(e, db, NowMs()) }

// ResetAt is Reset with the command's clock (unix ms) supplied.
func (tx *Tx) ResetAt(e *Engine, db int, nowMs int64) {
	tx.e = e
	tx.db = db
	tx.pdb = e.Physical(db)
	tx.Now = nowMs
	tx.batch = nil
	for i := range tx.memo {
		tx.memo[i] = memoEntry{}
	}
	tx.memo = tx.memo[:0]
	tx.memoMap = nil
	tx.deltas = tx.deltas[:0]
	tx.modified = tx.modified[:0]
	tx.nmod = 0
	tx.lastIdx = -1
	if cap(tx.arena) > 64<<10 {
		tx.arena = nil
	}
	tx.arena = tx.arena[:0]
	if tx.batched || tx.broken {
		tx.batched, tx.broken = false, false
		tx.clearOverlay()
	}
}

// StartBatch makes the Tx (just Reset) the start of a pipeline batch: the
// sub-record writes of its commands are kept in an overlay that the point
// reads of later commands consult (coll.get, list.get, zset.score), so
// collection commands that only read and write single sub-records can share
// one Tx. Iterators still read committed storage only: a command that
// iterates a key's sub-records must not run inside a batch that wrote them
// (commands/batch.go admits only point commands; ZADD skips its optional
// hint tightening, see zset.go).
func (tx *Tx) StartBatch() {
	tx.batched = true
	tx.mark()
}

// Continue starts the next command of a pipeline batch on the same Tx:
// its memo, batch, counters and hooks carry over (so the command sees the
// batch's earlier writes) and only the clock moves.
func (tx *Tx) Continue(nowMs int64) {
	tx.Now = nowMs
	if tx.batched {
		for _, w := range tx.subCur {
			tx.subPrior[w.key] = subEntry{val: w.val, del: w.del, written: true}
		}
		clear(tx.subCur)
		tx.subCur = tx.subCur[:0]
		tx.mark()
	}
}

// Broken reports that a batched command dropped its partial writes
// (Discard after writing): the batch lost them with it and must not be
// acknowledged.
func (tx *Tx) Broken() bool { return tx.broken }

func (tx *Tx) clearOverlay() {
	if len(tx.subPrior) > 4096 {
		tx.subPrior = nil
	} else {
		clear(tx.subPrior)
	}
	clear(tx.subCur)
	tx.subCur = tx.subCur[:0]
}

// mark records where the current command's writes begin.
func (tx *Tx) mark() {
	tx.markNmod = tx.nmod
	tx.markLen = tx.batchLen()
	if tx.subPrior == nil {
		tx.subPrior = make(map[string]subEntry, 64)
	}
}

func (tx *Tx) batchLen() int {
	if tx.batch == nil || tx.batch.Empty() {
		return 0
	}
	return tx.batch.Len()
}

// cmdWrote reports whether the current command of a batch wrote anything.
func (tx *Tx) cmdWrote() bool {
	return tx.nmod != tx.markNmod || len(tx.subCur) > 0 || tx.batchLen() != tx.markLen
}

// subGet reads a sub-record: in a batch through the overlay (the batch's
// earlier writes, and committed records read before), else from storage.
// In a batch the value is shared with the overlay: callers must not
// modify it.
func (tx *Tx) subGet(dst, k []byte) ([]byte, bool, error) {
	if !tx.batched {
		return tx.e.store.Get(dst, k)
	}
	if e, ok := tx.subPrior[string(k)]; ok {
		return e.val, !e.del, nil
	}
	v, ok, err := tx.e.store.Get(nil, k)
	if err != nil {
		return nil, false, err
	}
	tx.subPrior[string(k)] = subEntry{val: v, del: !ok}
	return v, ok, nil
}

// subGetAhead is subGet for a reader that will next want the records
// after k in [lo, hi) (consecutive pipelined LPOPs, or before k for RPOPs
// with reverse): in a batch, a miss reads the committed records of the
// whole range with one iterator into the overlay, so the next commands of
// the batch find theirs there instead of paying a point read each. The
// batch holds the key's lock, so what it read stays current.
func (tx *Tx) subGetAhead(k, lo, hi []byte, reverse bool) ([]byte, bool, error) {
	if !tx.batched {
		return tx.e.store.Get(nil, k)
	}
	if e, ok := tx.subPrior[string(k)]; ok {
		return e.val, !e.del, nil
	}
	it, err := tx.e.store.NewIter(lo, hi)
	if err != nil {
		return nil, false, err
	}
	step, ok := it.Next, it.First()
	if reverse {
		step, ok = it.Prev, it.Last()
	}
	for ; ok; ok = step() {
		if _, seen := tx.subPrior[string(it.Key())]; !seen {
			tx.subPrior[string(it.Key())] = subEntry{val: bytes.Clone(it.Value())}
		}
	}
	err = it.Close()
	if err != nil {
		return nil, false, err
	}
	e, ok := tx.subPrior[string(k)]
	if !ok {
		e = subEntry{del: true}
		tx.subPrior[string(k)] = e
	}
	return e.val, !e.del, nil
}

// subSet writes a sub-record.
func (tx *Tx) subSet(k, v []byte) {
	tx.Batch().Set(k, v)
	if tx.batched {
		tx.subCur = append(tx.subCur, subWrite{key: string(k), val: bytes.Clone(v)})
	}
}

// subDel deletes a sub-record.
func (tx *Tx) subDel(k []byte) {
	tx.Batch().Delete(k)
	if tx.batched {
		tx.subCur = append(tx.subCur, subWrite{key: string(k), del: true})
	}
}

// batchWrote reports whether an earlier command of the open batch wrote a
// sub-record in [start, end) (which committed storage does not show yet).
func (tx *Tx) batchWrote(start, end []byte) bool {
	if !tx.batched {
		return false
	}
	for k, e := range tx.subPrior {
		if e.written && k >= string(start) && k < string(end) {
			return true
		}
	}
	return false
}

// BatchBytes returns the size of the uncommitted batch.
func (tx *Tx) BatchBytes() int {
	if tx.batch == nil {
		return 0
	}
	return tx.batch.Len()
}

// noteLast remembers the memo entry of the last key looked up.
func (tx *Tx) noteLast(key []byte, i int) {
	tx.lastKey = append(tx.lastKey[:0], key...)
	tx.lastIdx, tx.lastPdb = i, tx.pdb
}

// keep copies b into the arena.
func (tx *Tx) keep(b []byte) []byte {
	n := len(tx.arena)
	tx.arena = append(tx.arena, b...)
	return tx.arena[n:len(tx.arena):len(tx.arena)]
}

// Engine returns the engine.
func (tx *Tx) Engine() *Engine { return tx.e }

// DB returns the logical database.
func (tx *Tx) DB() int { return tx.db }

// UseDB switches the Tx to another logical database (MOVE, COPY ... DB).
func (tx *Tx) UseDB(db int) {
	tx.db = db
	tx.pdb = tx.e.Physical(db)
}

// MetaKey returns the metadata key of key in the current database. The
// result is valid until the next call.
func (tx *Tx) MetaKey(key []byte) []byte {
	tx.buf = encoding.AppendMetaKey(tx.buf[:0], tx.pdb, key)
	return tx.buf
}

func (tx *Tx) memoFind(mk []byte) int {
	if tx.memoMap != nil {
		if i, ok := tx.memoMap[string(mk)]; ok {
			return i
		}
		return -1
	}
	for i := range tx.memo {
		if string(tx.memo[i].metaKey) == string(mk) {
			return i
		}
	}
	return -1
}

func (tx *Tx) memoAdd(m memoEntry) int {
	tx.memo = append(tx.memo, m)
	i := len(tx.memo) - 1
	if tx.memoMap != nil {
		tx.memoMap[string(m.metaKey)] = i
	} else if len(tx.memo) > 16 {
		tx.memoMap = make(map[string]int, 32)
		for j := range tx.memo {
			tx.memoMap[string(tx.memo[j].metaKey)] = j
		}
	}
	return i
}

// raw returns the encoded metadata of key (even if expired) and its
// metadata key.
func (tx *Tx) raw(key []byte) (mk, raw []byte, err error) {
	// Most commands look the same key up more than once (Lookup, then
	// PutMeta): skip rebuilding its metadata key and searching the memo.
	if tx.lastIdx >= 0 && tx.lastIdx < len(tx.memo) && tx.lastPdb == tx.pdb && string(key) == string(tx.lastKey) {
		m := &tx.memo[tx.lastIdx]
		return m.metaKey, m.raw, nil
	}
	mk = encoding.AppendMetaKey(tx.buf[:0], tx.pdb, key)
	tx.buf = mk
	if i := tx.memoFind(mk); i >= 0 {
		tx.noteLast(key, i)
		return tx.memo[i].metaKey, tx.memo[i].raw, nil
	}
	own := tx.keep(mk)
	if v, ok := tx.e.cache.Get(mk); ok {
		tx.noteLast(key, tx.memoAdd(memoEntry{metaKey: own, raw: v}))
		return own, v, nil
	}
	v, ok, err := tx.e.store.Get(nil, mk)
	if err != nil {
		return own, nil, err
	}
	if !ok {
		v = nil
	}
	tx.noteLast(key, tx.memoAdd(memoEntry{metaKey: own, raw: v, fromDB: ok}))
	return own, v, nil
}

// Lookup returns key's metadata. exists is false for a missing or expired
// key. In a write Tx an expired key is deleted on the way (lazy expiry).
func (tx *Tx) Lookup(key []byte) (m encoding.Metadata, exists bool, err error) {
	_, raw, err := tx.raw(key)
	if err != nil || raw == nil {
		return m, false, err
	}
	m, err = encoding.DecodeMetadata(raw)
	if err != nil {
		return m, false, err
	}
	if m.Expired(tx.Now) {
		return encoding.Metadata{}, false, nil
	}
	return m, true, nil
}

// LookupType is Lookup that also checks the type: a key of another type
// gives ErrWrongType.
func (tx *Tx) LookupType(key []byte, t encoding.Type) (encoding.Metadata, bool, error) {
	m, ok, err := tx.Lookup(key)
	if err == nil && ok && m.Type != t {
		return m, false, ErrWrongType
	}
	return m, ok, err
}

// Exists reports whether key exists (not expired).
func (tx *Tx) Exists(key []byte) (bool, error) {
	_, ok, err := tx.Lookup(key)
	return ok, err
}

func (tx *Tx) ensureBatch() {
	if tx.batch == nil {
		tx.batch = tx.e.store.NewBatch()
	}
}

// Batch returns the Tx's write batch (for sub-record writes).
func (tx *Tx) Batch() *storage.Batch {
	tx.ensureBatch()
	return tx.batch
}

func (tx *Tx) delta(pdb int, keys, expires int64) {
	if keys == 0 && expires == 0 {
		return
	}
	for i := range tx.deltas {
		if tx.deltas[i].pdb == pdb {
			tx.deltas[i].keys += keys
			tx.deltas[i].expires += expires
			return
		}
	}
	tx.deltas = append(tx.deltas, countDelta{pdb: pdb, keys: keys, expires: expires})
}

// pointDeleteMax is the most sub-records a key may have for its deletion to
// use point deletions. Range deletions are O(1) to write whatever the key
// holds, but each one is a range tombstone that every iterator overlapping
// it must consult until compaction drops it; for a small key, a few point
// tombstones are cheaper for everyone.
const pointDeleteMax = 64

// dropRecords deletes the sub-records of a versioned metadata record: point
// deletions for small keys, one range deletion for big ones.
func (tx *Tx) dropRecords(mk []byte, m *encoding.Metadata) {
	if m.IsInlineString() {
		return
	}
	start, end := encoding.VersionRange(mk, m.Version)
	if m.Size <= pointDeleteMax/2 {
		if it, err := tx.e.store.NewIter(start, end); err == nil {
			var keys [][]byte
			n := 0
			ok := it.First()
			for ; ok && n < pointDeleteMax; ok = it.Next() {
				keys = append(keys, append([]byte(nil), it.Key()...))
				n++
			}
			it.Close()
			if !ok {
				for _, k := range keys {
					tx.batch.Delete(k)
				}
				if tx.batched {
					// The iterator saw committed records only: also drop
					// what the batch wrote under this version.
					tx.dropOverlay(start, end)
				}
				return
			}
		}
	}
	tx.batch.DeleteRange(start, end)
}

// PutMeta writes key's metadata record (already encoded in raw, which the
// Tx retains). It keeps the key counters, the expiry index and the hot tier
// in step, and drops the sub-records of the previous value when the new
// record is a different version (overwrite or type change).
func (tx *Tx) PutMeta(key []byte, raw []byte) error {
	mk, prevRaw, err := tx.raw(key)
	if err != nil {
		return err
	}
	nm, err := encoding.DecodeMetadata(raw)
	if err != nil {
		return err
	}
	tx.ensureBatch()
	var keysDelta, expDelta int64
	if prevRaw == nil {
		keysDelta = 1
		if nm.ExpireAt != 0 {
			expDelta = 1
			tx.setExpireIndex(nm.ExpireAt, key)
		}
	} else {
		pm, err := encoding.DecodeMetadata(prevRaw)
		if err != nil {
			return err
		}
		if pm.IsInlineString() != nm.IsInlineString() || pm.Version != nm.Version {
			tx.dropRecords(mk, &pm)
		}
		if pm.ExpireAt != nm.ExpireAt {
			if pm.ExpireAt != 0 {
				expDelta--
				tx.delExpireIndex(pm.ExpireAt, key)
			}
			if nm.ExpireAt != 0 {
				expDelta++
				tx.setExpireIndex(nm.ExpireAt, key)
			}
		}
	}
	tx.delta(tx.pdb, keysDelta, expDelta)
	// The metadata record itself is written at Commit, once per key: a
	// pipeline batch that sets one hot key many times puts one version in
	// the memtable, not one per command.
	tx.record(mk, raw, key)
	return nil
}

// record notes a metadata write in the memo (for read-your-writes, the
// cache update and the modified-key hooks).
func (tx *Tx) record(mk, raw, key []byte) {
	i := tx.memoFind(mk)
	if i < 0 {
		i = tx.memoAdd(memoEntry{metaKey: tx.keep(mk)})
	}
	tx.memo[i].raw = raw
	tx.memo[i].written = true
	tx.memo[i].fromDB = false
	tx.noteModified(key)
}

// noteModified remembers key for the OnModified hook (copied only when a
// hook is installed) and the dirty counter.
func (tx *Tx) noteModified(key []byte) {
	tx.nmod++
	if tx.e.OnModified != nil && tx.e.tracking.Load() > 0 {
		tx.modified = append(tx.modified, modifiedKey{db: tx.db, key: append([]byte(nil), key...)})
	}
}

// Delete removes key with all its records. It reports whether the key
// existed (an expired key is removed but reported as absent).
func (tx *Tx) Delete(key []byte) (bool, error) { return tx.deleteKey(key, true) }

// deleteKey deletes key's metadata (and, with dropSubRecords, the
// sub-records of its version), keeping counters and the expiry index in
// step. It reports whether the key existed unexpired.
func (tx *Tx) deleteKey(key []byte, dropSubRecords bool) (bool, error) {
	mk, prevRaw, err := tx.raw(key)
	if err != nil || prevRaw == nil {
		return false, err
	}
	pm, err := encoding.DecodeMetadata(prevRaw)
	if err != nil {
		return false, err
	}
	tx.ensureBatch() // the metadata deletion itself is written at Commit
	if dropSubRecords {
		tx.dropRecords(mk, &pm)
	}
	var expDelta int64
	if pm.ExpireAt != 0 {
		expDelta = -1
		tx.delExpireIndex(pm.ExpireAt, key)
	}
	tx.delta(tx.pdb, -1, expDelta)
	tx.record(mk, nil, key)
	return !pm.Expired(tx.Now), nil
}

// dropOverlay deletes the batch's sub-record writes in [start, end).
func (tx *Tx) dropOverlay(start, end []byte) {
	in := func(k string) bool { return k >= string(start) && k < string(end) }
	var drop []string
	for k, e := range tx.subPrior {
		if e.written && !e.del && in(k) {
			drop = append(drop, k)
		}
	}
	for _, w := range tx.subCur {
		if !w.del && in(w.key) {
			drop = append(drop, w.key)
		}
	}
	for _, k := range drop {
		tx.subDel([]byte(k))
	}
}

func (tx *Tx) setExpireIndex(at int64, key []byte) {
	tx.batch.Set(encoding.AppendExpireKey(nil, at, tx.pdb, key), nil)
}

func (tx *Tx) delExpireIndex(at int64, key []byte) {
	tx.batch.Delete(encoding.AppendExpireKey(nil, at, tx.pdb, key))
}

// Touch marks key as modified without changing it (hooks only).
func (tx *Tx) Touch(key []byte) { tx.noteModified(key) }

// Commit applies every write of the Tx atomically. On error nothing was
// applied and the hot tier is left coherent.
func (tx *Tx) Commit() error {
	e := tx.e
	if tx.batched {
		tx.batched = false
		tx.clearOverlay()
	}
	if tx.batch == nil {
		tx.fillCache()
		return nil
	}
	for _, d := range tx.deltas {
		if d.keys != 0 {
			tx.batch.Merge(encoding.KeyCountKey(d.pdb), storage.EncodeCounter(d.keys))
		}
		if d.expires != 0 {
			tx.batch.Merge(encoding.ExpiresCountKey(d.pdb), storage.EncodeCounter(d.expires))
		}
	}
	// Metadata records: the final state of every key this Tx wrote.
	for i := range tx.memo {
		if m := &tx.memo[i]; m.written {
			if m.raw == nil {
				tx.batch.Delete(m.metaKey)
			} else {
				tx.batch.Set(m.metaKey, m.raw)
			}
		}
	}
	b := tx.batch
	tx.batch = nil
	var err error
	if tx.DeferSync {
		var p *storage.Pending
		p, err = e.store.CommitNoWait(b)
		if p != nil {
			tx.pending = append(tx.pending, p)
		}
	} else {
		err = e.store.Commit(b)
	}
	if err != nil {
		for i := range tx.memo {
			if tx.memo[i].written {
				e.cache.Invalidate(tx.memo[i].metaKey)
			}
		}
		return err
	}
	for _, d := range tx.deltas {
		e.keys[d.pdb].Add(d.keys)
		e.expires[d.pdb].Add(d.expires)
	}
	for i := range tx.memo {
		m := &tx.memo[i]
		if m.written && m.raw == nil {
			e.cache.PutAbsent(m.metaKey)
		} else if m.written {
			e.cache.Put(m.metaKey, m.raw)
		} else if m.fromDB {
			e.cache.Fill(m.metaKey, m.raw)
		}
	}
	e.Stats.Dirty.Add(int64(tx.nmod))
	if e.OnModified != nil {
		for _, m := range tx.modified {
			e.OnModified(m.db, m.key)
		}
	}
	return nil
}

// WaitDurable waits until every write committed with DeferSync is durable
// as the fsync policy promises. It must be called before those writes are
// acknowledged.
func (tx *Tx) WaitDurable() error {
	var first error
	for i, p := range tx.pending {
		if err := p.Wait(); err != nil && first == nil {
			first = err
		}
		tx.pending[i] = nil
	}
	tx.pending = tx.pending[:0]
	return first
}

// HasPending reports whether writes await WaitDurable.
func (tx *Tx) HasPending() bool { return len(tx.pending) > 0 }

// fillCache caches what a read-only Tx read from storage.
func (tx *Tx) fillCache() {
	for i := range tx.memo {
		if tx.memo[i].fromDB {
			tx.e.cache.Fill(tx.memo[i].metaKey, tx.memo[i].raw)
		}
	}
}

// Discard drops the Tx's uncommitted writes. In a pipeline batch it drops
// nothing when the current command wrote nothing (a command that fails
// before writing leaves the batch's earlier commands alone); otherwise the
// whole batch goes and the Tx is marked Broken.
func (tx *Tx) Discard() {
	if tx.batched {
		if !tx.cmdWrote() {
			return
		}
		tx.broken = true
	}
	if tx.batch != nil {
		tx.batch.Close()
		tx.batch = nil
	}
}
