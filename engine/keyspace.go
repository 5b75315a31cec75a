package engine

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// Keyspace operations: copying a key of any type (RENAME, COPY, MOVE),
// iterating a database's keys (SCAN, KEYS, RANDOMKEY), and the whole-database
// operations (FLUSHDB, FLUSHALL, SWAPDB).

// NewVersion returns a fresh version for a new incarnation of a collection:
// greater than every version issued before, also across restarts.
func (e *Engine) NewVersion() uint64 { return e.nextVersion() }

// ErrNoSuchKey is RENAME's error for a missing source key.
var ErrNoSuchKey = errors.New("ERR no such key")

// cloneValue returns the encoded metadata of a copy of m (the value of the
// key whose metadata key is srcMK) to be stored under dstMK, writing the copy
// of every sub-record into the Tx's batch. A collection gets a fresh version
// so the copy never shares records with the source or with a previous value
// of the destination. The TTL is kept; callers change it if they need to.
func (tx *Tx) cloneValue(m encoding.Metadata, srcMK, dstMK []byte) ([]byte, error) {
	if m.IsInlineString() {
		return m.Encode(nil), nil
	}
	ver := tx.e.nextVersion()
	if err := tx.e.copyRecords(tx.Batch(), srcMK, m.Version, dstMK, ver); err != nil {
		return nil, err
	}
	m.Version = ver
	return m.Encode(nil), nil
}

// copyRecords writes every sub-record of (srcMK, srcVer) under (dstMK,
// dstVer) into b: the key's prefix (metadata key and version) is rewritten,
// the tag, sub-key and value are kept. It works for every type because it
// does not look inside the records.
func (e *Engine) copyRecords(b *storage.Batch, srcMK []byte, srcVer uint64, dstMK []byte, dstVer uint64) error {
	start, end := encoding.VersionRange(srcMK, srcVer)
	it, err := e.store.NewIter(start, end)
	if err != nil {
		return err
	}
	prefixLen := len(srcMK) + 8
	buf := binary.BigEndian.AppendUint64(append([]byte(nil), dstMK...), dstVer)
	dstPrefixLen := len(buf)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) < prefixLen {
			continue
		}
		buf = append(buf[:dstPrefixLen], k[prefixLen:]...)
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return err
		}
		b.Set(buf, v) // the batch copies key and value
	}
	return it.Close()
}

// Rename results.
const (
	RenameOK     = iota // renamed
	RenameNoKey         // the source does not exist
	RenameExists        // RENAMENX: the destination exists
)

// Rename renames src to dst in the Tx's database, replacing dst unless nx
// is set. The value keeps its TTL.
func (tx *Tx) Rename(src, dst []byte, nx bool) (int, error) {
	m, ok, err := tx.Lookup(src)
	if err != nil {
		return 0, err
	}
	if !ok {
		return RenameNoKey, nil
	}
	if string(src) == string(dst) {
		if nx {
			return RenameExists, nil
		}
		return RenameOK, nil
	}
	if nx {
		exists, err := tx.Exists(dst)
		if err != nil {
			return 0, err
		}
		if exists {
			return RenameExists, nil
		}
	}
	srcMK := encoding.MetaKey(tx.pdb, src)
	dstMK := encoding.MetaKey(tx.pdb, dst)
	raw, err := tx.cloneValue(m, srcMK, dstMK)
	if err != nil {
		return 0, err
	}
	if err := tx.PutMeta(dst, raw); err != nil {
		return 0, err
	}
	if _, err := tx.Delete(src); err != nil {
		return 0, err
	}
	return RenameOK, nil
}

// CopyKey copies src of the Tx's database to dst of logical database dstDB,
// TTL included. An existing destination is replaced only with replace; the
// result reports whether the copy was made. The Tx stays on its database.
func (tx *Tx) CopyKey(src []byte, dstDB int, dst []byte, replace bool) (bool, error) {
	m, ok, err := tx.Lookup(src)
	if err != nil || !ok {
		return false, err
	}
	srcDB := tx.db
	srcMK := encoding.MetaKey(tx.pdb, src)
	tx.UseDB(dstDB)
	defer tx.UseDB(srcDB)
	exists, err := tx.Exists(dst)
	if err != nil {
		return false, err
	}
	if exists && !replace {
		return false, nil
	}
	if m.IsInlineString() {
		// A copy is a new object: Redis never shares it (OBJECT REFCOUNT 1).
		m.Flags |= encoding.FlagStringUnshared
	}
	raw, err := tx.cloneValue(m, srcMK, encoding.MetaKey(tx.pdb, dst))
	if err != nil {
		return false, err
	}
	return true, tx.PutMeta(dst, raw)
}

// MoveKey moves key from the Tx's database to logical database dstDB,
// keeping its TTL. It reports false when the key does not exist or the
// destination already holds it.
func (tx *Tx) MoveKey(key []byte, dstDB int) (bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return false, err
	}
	srcDB := tx.db
	srcMK := encoding.MetaKey(tx.pdb, key)
	tx.UseDB(dstDB)
	exists, err := tx.Exists(key)
	if err != nil || exists {
		tx.UseDB(srcDB)
		return false, err
	}
	raw, err := tx.cloneValue(m, srcMK, encoding.MetaKey(tx.pdb, key))
	if err == nil {
		err = tx.PutMeta(key, raw)
	}
	tx.UseDB(srcDB)
	if err != nil {
		return false, err
	}
	_, err = tx.Delete(key)
	return err == nil, err
}

// --- iteration -----------------------------------------------------------

// dbBounds returns the bounds of every record of physical database pdb.
func dbBounds(pdb int) (lo, hi []byte) {
	lo = encoding.DBPrefix(pdb)
	hi = encoding.PrefixEnd(encoding.DBPrefix(pdb))
	return lo, hi
}

// keyIter walks the metadata records of one database in key order
// (slot, key length, key), stepping over every key's sub-records with one
// seek instead of visiting them.
type keyIter struct {
	it *storage.Iter
	// Current metadata record.
	mk   []byte
	key  []byte
	slot uint16
	val  []byte
}

func (e *Engine) newKeyIter(pdb int) (*keyIter, error) {
	lo, hi := dbBounds(pdb)
	it, err := e.store.NewIter(lo, hi)
	if err != nil {
		return nil, err
	}
	return &keyIter{it: it}, nil
}

// settle moves forward from the iterator's position to the first metadata
// record and loads it; ok is false at the end.
func (ki *keyIter) settle(ok bool) bool {
	for ok {
		k := ki.it.Key()
		p, err := encoding.ParseDataKey(k)
		if err != nil {
			ok = ki.it.Next()
			continue
		}
		if !p.IsMeta() {
			// A sub-record: skip every record of its key in one seek.
			ok = ki.it.SeekGE(encoding.KeyRecordsEnd(k[:encoding.MetaPrefixLen+len(p.Key)]))
			continue
		}
		ki.mk, ki.key, ki.slot = k, p.Key, p.Slot
		ki.val = ki.it.Value()
		return true
	}
	return false
}

func (ki *keyIter) seekGE(k []byte) bool { return ki.settle(ki.it.SeekGE(k)) }
func (ki *keyIter) first() bool          { return ki.settle(ki.it.First()) }
func (ki *keyIter) next() bool           { return ki.settle(ki.it.Next()) }
func (ki *keyIter) close() error         { return ki.it.Close() }

// live decodes the current record's type and reports whether the key is
// alive at now.
func (ki *keyIter) live(now int64) (encoding.Type, bool) {
	t, at, ok := encoding.PeekType(ki.val)
	if !ok {
		return 0, false
	}
	return t, at == 0 || at > now
}

// ForEachKey calls fn for every live key of logical database db at now, in
// storage order, until fn returns false. key is only valid during the call.
func (e *Engine) ForEachKey(db int, now int64, fn func(key []byte, t encoding.Type) bool) error {
	ki, err := e.newKeyIter(e.Physical(db))
	if err != nil {
		return err
	}
	for ok := ki.first(); ok; ok = ki.next() {
		if t, live := ki.live(now); live && !fn(ki.key, t) {
			break
		}
	}
	return ki.close()
}

// --- SCAN cursors ----------------------------------------------------------

// A SCAN cursor is an unsigned integer: the low 14 bits are the slot to
// resume in, the high bits an id into a bounded table that remembers the
// exact last key returned. Keys are stored in (slot, length, key) order, so
// resuming after that key returns every key that existed for the whole scan.
// An id the table no longer knows (evicted, forged, or from before a
// restart) resumes at the start of the slot: duplicates, never misses.
const (
	cursorSlotBits = 14
	cursorSlotMask = 1<<cursorSlotBits - 1
	// 48-bit ids keep cursors below 2^62: clients that parse cursors as
	// signed 64-bit integers work too.
	cursorIDMask    = 1<<48 - 1
	scanTableMax    = 100_000
	scanTableMaxMem = 64 << 20
)

// keyspaceState is the engine's state for this file and expire.go.
type keyspaceState struct {
	scans  scanTable
	expiry expiryState
}

type scanPos struct {
	slot uint16
	key  string
}

// scanTable is the bounded id -> position map, evicting in insertion order
// (a cursor is normally used once, right after it was handed out). The zero
// value is ready to use.
type scanTable struct {
	mu    sync.Mutex
	next  uint64
	m     map[uint64]scanPos
	order []uint64 // ids, oldest first
	mem   int
}

func (t *scanTable) put(p scanPos) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[uint64]scanPos)
		// A random start makes ids handed out by an earlier process
		// unlikely to name positions of this one.
		t.next = rand.Uint64() & cursorIDMask
	}
	for len(t.order) > 0 && (len(t.m) >= scanTableMax || t.mem+len(p.key) > scanTableMaxMem) {
		old := t.order[0]
		t.order = t.order[1:]
		if q, ok := t.m[old]; ok {
			t.mem -= len(q.key)
			delete(t.m, old)
		}
	}
	t.next = (t.next + 1) & cursorIDMask
	if t.next == 0 {
		t.next = 1
	}
	id := t.next
	if q, ok := t.m[id]; ok { // ids wrapped around onto a live one
		t.mem -= len(q.key)
	}
	t.m[id] = p
	t.mem += len(p.key)
	t.order = append(t.order, id)
	return id
}

func (t *scanTable) get(id uint64) (scanPos, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.m[id]
	return p, ok
}

// Scan runs one SCAN step on logical database db from cursor: it examines
// up to count keys (expired ones included, as Redis counts them), calls fn
// for each live one, and returns the cursor to continue from (0 when the
// database has been fully walked). key is only valid during the call.
func (e *Engine) Scan(db int, cursor uint64, count int, now int64, fn func(key []byte, t encoding.Type)) (uint64, error) {
	pdb := e.Physical(db)
	if count < 1 {
		count = 1
	}
	slot := uint16(cursor & cursorSlotMask)
	id := cursor >> cursorSlotBits
	ki, err := e.newKeyIter(pdb)
	if err != nil {
		return 0, err
	}
	var ok bool
	if p, known := e.ks.scans.get(id); id != 0 && known && p.slot == slot {
		ok = ki.seekGE(encoding.KeyRecordsEnd(encoding.MetaKey(pdb, []byte(p.key))))
	} else {
		ok = ki.seekGE(encoding.SlotPrefix(pdb, slot))
	}
	var last scanPos
	for n := 0; ok && n < count; n++ {
		if t, live := ki.live(now); live {
			fn(ki.key, t)
		}
		last.slot = ki.slot
		last.key = string(ki.key)
		ok = ki.next()
	}
	if err := ki.close(); err != nil || !ok {
		return 0, err
	}
	return e.ks.scans.put(last)<<cursorSlotBits | uint64(last.slot), nil
}

// RandomKey returns a random live key of logical database db, or nil when
// it has none. It terminates even when every key has expired: it walks the
// database at most once.
func (e *Engine) RandomKey(db int, now int64) ([]byte, error) {
	pdb := e.Physical(db)
	if e.keys[pdb].Load() <= 0 {
		return nil, nil
	}
	ki, err := e.newKeyIter(pdb)
	if err != nil {
		return nil, err
	}
	defer ki.close()
	// A small database is drawn from uniformly; a big one from a random
	// slot onwards (keys after sparse slots are somewhat favoured).
	if e.keys[pdb].Load() <= 128 {
		var keys [][]byte
		for ok := ki.first(); ok; ok = ki.next() {
			if _, live := ki.live(now); live {
				keys = append(keys, append([]byte(nil), ki.key...))
			}
		}
		if len(keys) == 0 {
			return nil, nil
		}
		return keys[rand.IntN(len(keys))], nil
	}
	start := uint16(rand.IntN(encoding.SlotCount))
	for ok := ki.seekGE(encoding.SlotPrefix(pdb, start)); ok; ok = ki.next() {
		if _, live := ki.live(now); live {
			return append([]byte(nil), ki.key...), nil
		}
	}
	for ok := ki.first(); ok && ki.slot < start; ok = ki.next() {
		if _, live := ki.live(now); live {
			return append([]byte(nil), ki.key...), nil
		}
	}
	return nil, nil
}

// --- whole-database operations --------------------------------------------
// The caller holds the world lock exclusively (LockWorld).

// FlushDB removes every key of logical database db and returns how many
// there were. The expiry-index entries of the flushed keys become stale;
// active expiry drops them when their time comes.
func (e *Engine) FlushDB(db int) (int64, error) {
	pdb := e.Physical(db)
	lo, hi := dbBounds(pdb)
	b := e.store.NewBatch()
	b.DeleteRange(lo, hi)
	// Set, not Merge: the counter restarts from zero whatever it held.
	b.Set(encoding.KeyCountKey(pdb), storage.EncodeCounter(0))
	b.Set(encoding.ExpiresCountKey(pdb), storage.EncodeCounter(0))
	if err := e.store.Commit(b); err != nil {
		return 0, err
	}
	n := e.keys[pdb].Swap(0)
	e.expires[pdb].Store(0)
	e.cache.Clear()
	e.Stats.Dirty.Add(n)
	if e.OnFlush != nil {
		e.OnFlush(db)
	}
	return n, nil
}

// FlushAll removes every key of every database and the whole expiry index,
// and returns how many keys there were. The logical->physical database map
// (SWAPDB) is kept, as Redis keeps swapped databases swapped.
func (e *Engine) FlushAll() (int64, error) {
	b := e.store.NewBatch()
	b.DeleteRange([]byte{encoding.NSData}, []byte{encoding.NSData + 1})
	b.DeleteRange([]byte{encoding.NSExpire}, []byte{encoding.NSExpire + 1})
	for p := 0; p < e.databases; p++ {
		b.Set(encoding.KeyCountKey(p), storage.EncodeCounter(0))
		b.Set(encoding.ExpiresCountKey(p), storage.EncodeCounter(0))
	}
	if err := e.store.Commit(b); err != nil {
		return 0, err
	}
	var n int64
	for p := 0; p < e.databases; p++ {
		n += e.keys[p].Swap(0)
		e.expires[p].Store(0)
	}
	e.cache.Clear()
	e.Stats.Dirty.Add(n)
	if e.OnFlush != nil {
		e.OnFlush(-1)
	}
	return n, nil
}

// SwapDB swaps logical databases a and b in O(1): only two entries of the
// logical->physical map change (persisted in one write). Key counters are
// per physical database and follow automatically; the hot tier is keyed by
// physical ids, so it stays valid.
func (e *Engine) SwapDB(a, b int) error {
	if a == b {
		return nil
	}
	pa, pb := e.physical[a].Load(), e.physical[b].Load()
	v := make([]byte, 0, 2*e.databases)
	for i := range e.physical {
		p := e.physical[i].Load()
		switch i {
		case a:
			p = pb
		case b:
			p = pa
		}
		v = binary.BigEndian.AppendUint16(v, uint16(p))
	}
	batch := e.store.NewBatch()
	batch.Set(physicalMapKey, v)
	if err := e.store.Commit(batch); err != nil {
		return err
	}
	e.physical[a].Store(pb)
	e.physical[b].Store(pa)
	e.Stats.Dirty.Add(1)
	if e.OnSwapDB != nil {
		e.OnSwapDB(a, b)
	}
	return nil
}
