package engine

import (
	"slices"
	"sync"
	"time"

	"github.com/shaledb/shale/encoding"
)

// Active expiry: a background loop walks the expiry index (ordered by
// expiry time) from its start up to now and deletes each expired key under
// that key's lock, exactly as a DEL would, so counters, the hot tier and
// hooks stay in step. Redis samples randomly; the ordered index lets Shale
// reclaim every expired key promptly instead.

const (
	expiryTick       = 100 * time.Millisecond
	expiryBatch      = 256
	expiryBudgetTick = 50 * time.Millisecond
)

func (e *Engine) startActiveExpiry() {
	e.stopExpiry = make(chan struct{})
	e.expiryDone = make(chan struct{})
	go func() {
		defer close(e.expiryDone)
		t := time.NewTicker(expiryTick)
		defer t.Stop()
		for {
			select {
			case <-e.stopExpiry:
				return
			case <-t.C:
				if e.expiryPaused.Load() {
					continue
				}
				start := time.Now()
				for time.Since(start) < expiryBudgetTick {
					n, err := e.ExpireCycle(expiryBatch)
					if err != nil || n < expiryBatch {
						break
					}
				}
			}
		}
	}()
}

func (e *Engine) stopActiveExpiry() {
	if e.stopExpiry != nil {
		close(e.stopExpiry)
		<-e.expiryDone
		e.stopExpiry = nil
	}
}

// logicalOf maps a physical database id back to its logical number. The
// caller holds the world lock (shared or exclusive).
func (e *Engine) logicalOf(pdb int) int {
	for i := range e.physical {
		if int(e.physical[i].Load()) == pdb {
			return i
		}
	}
	return pdb
}

// Full passes: ExpireCycle normally resumes where it stopped, because the
// entries it processed leave tombstones at the start of the index and
// walking over all of them on every batch made reclaiming n keys O(n²). A
// key written with an expiry already in the past can land behind the resume
// position, so now and then a cycle restarts from the start of the index:
// every expiryFullPass, or less often when walking the tombstones is costly
// (at most ~2% of the time goes into it), until compaction removes them.
const (
	expiryFullPass    = 2 * time.Second
	expiryFullPassMax = time.Minute
)

// expiryState is where ExpireCycle resumes.
type expiryState struct {
	mu        sync.Mutex
	from      []byte        // lower bound of the next cycle; nil: the start
	passFrom  time.Time     // when the current full pass started
	passEvery time.Duration // time between full passes
}

// ExpireCycle reclaims up to limit expired keys and returns how many index
// entries it processed.
func (e *Engine) ExpireCycle(limit int) (int, error) {
	st := &e.ks.expiry
	st.mu.Lock()
	defer st.mu.Unlock()
	now := NowMs()
	full := st.from == nil || time.Since(st.passFrom) > max(st.passEvery, expiryFullPass)
	if full {
		st.from = []byte{encoding.NSExpire}
		st.passFrom = time.Now()
	}
	it, err := e.store.NewIter(st.from, encoding.ExpireKeyUpperBound(now))
	if err != nil {
		return 0, err
	}
	ok := it.First()
	if full {
		st.passEvery = min(50*time.Since(st.passFrom), expiryFullPassMax)
	}
	var entries []expiryEntry
	for ; ok && len(entries) < limit; ok = it.Next() {
		ik := append([]byte(nil), it.Key()...)
		at, pdb, key, perr := encoding.ParseExpireKey(ik)
		if perr != nil || pdb >= e.databases {
			pdb = -1 // garbage: dropped below
		}
		entries = append(entries, expiryEntry{ik: ik, at: at, pdb: pdb, key: key})
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	n := len(entries)
	var last []byte
	if n > 0 {
		last = entries[n-1].ik
	}
	// One batch per physical database: the keys' stripes are locked
	// together (in ascending order, like a multi-key command) and all
	// deletions share one commit, so a burst of expiries costs one WAL
	// write per batch instead of one per key.
	for len(entries) > 0 {
		pdb := entries[0].pdb
		group := entries[:0:0]
		rest := entries[:0]
		for _, en := range entries {
			if en.pdb == pdb {
				group = append(group, en)
			} else {
				rest = append(rest, en)
			}
		}
		entries = rest
		if pdb < 0 {
			b := e.store.NewBatch()
			for _, en := range group {
				b.Delete(en.ik)
			}
			err = e.store.Commit(b)
		} else {
			err = e.expireGroup(pdb, group)
		}
		if err != nil {
			st.from = nil
			return 0, err
		}
	}
	if last != nil {
		st.from = append(last, 0) // the next key after the last processed
	}
	return n, nil
}

type expiryEntry struct {
	ik  []byte // the index key
	at  int64
	pdb int // -1 for an unparsable entry
	key []byte
}

// expireGroup deletes the expired keys of one physical database named by
// index entries, and drops the entries that are stale (key gone, or its
// expiry changed).
func (e *Engine) expireGroup(pdb int, group []expiryEntry) error {
	keys := make([][]byte, len(group))
	for i := range group {
		keys[i] = group[i].key
	}
	var g Guard
	e.lockPhysicalKeys(&g, pdb, keys)
	defer g.Unlock()
	tx := &Tx{}
	db := e.logicalOf(pdb)
	tx.Reset(e, db)
	var expired [][]byte
	for _, en := range group {
		m, present, err := tx.rawMeta(en.key)
		if err != nil {
			return err
		}
		switch {
		case present && m.ExpireAt == en.at && m.Expired(tx.Now):
			if _, err := tx.Delete(en.key); err != nil {
				tx.Discard()
				return err
			}
			expired = append(expired, en.key)
		case !present || m.ExpireAt != en.at:
			tx.Batch().Delete(en.ik)
		}
	}
	if err := tx.Commit(); err != nil {
		tx.Discard()
		return err
	}
	e.Stats.ExpiredKeys.Add(int64(len(expired)))
	if e.OnExpired != nil {
		for _, k := range expired {
			e.OnExpired(db, k)
		}
	}
	return nil
}

// lockPhysicalKeys locks keys of one physical database exclusively (active
// expiry): the world lock shared, then the stripes in ascending order.
func (e *Engine) lockPhysicalKeys(g *Guard, pdb int, keys [][]byte) {
	g.e, g.world, g.write = e, false, true
	e.world.RLock()
	s := g.stripes[:0]
	for _, k := range keys {
		s = append(s, stripeOf(pdb, k))
	}
	slices.Sort(s)
	g.stripes = slices.Compact(s)
	for _, st := range g.stripes {
		e.locks.stripes[st].Lock()
	}
}

// rawMeta returns key's metadata even if it has expired.
func (tx *Tx) rawMeta(key []byte) (encoding.Metadata, bool, error) {
	_, raw, err := tx.raw(key)
	if err != nil || raw == nil {
		return encoding.Metadata{}, false, err
	}
	m, err := encoding.DecodeMetadata(raw)
	return m, err == nil, err
}

// ExpireAt result codes, as EXPIRE replies.
const (
	ExpireNotSet = 0
	ExpireSet    = 1
)

// ExpireFlags are EXPIRE's NX/XX/GT/LT conditions.
type ExpireFlags struct{ NX, XX, GT, LT bool }

// SetExpire sets (at > 0) or removes (at == 0) key's expiry, honouring the
// NX/XX/GT/LT conditions. A time in the past deletes the key. It reports
// whether the expiry was changed.
func (tx *Tx) SetExpire(key []byte, at int64, f ExpireFlags) (bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return false, err
	}
	cur := m.ExpireAt
	switch {
	case f.NX && cur != 0:
		return false, nil
	case f.XX && cur == 0:
		return false, nil
	case f.GT && (cur == 0 || at <= cur):
		// A persistent key counts as an infinite TTL for GT/LT.
		return false, nil
	case f.LT && cur != 0 && at >= cur:
		return false, nil
	}
	if at <= tx.Now {
		_, err := tx.Delete(key)
		return err == nil, err
	}
	m.ExpireAt = at
	return true, tx.PutMeta(key, m.Encode(nil))
}

// Persist removes key's expiry; it reports whether there was one.
func (tx *Tx) Persist(key []byte) (bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok || m.ExpireAt == 0 {
		return false, err
	}
	m.ExpireAt = 0
	return true, tx.PutMeta(key, m.Encode(nil))
}

// SetActiveExpiry pauses (false) or resumes (true) the background expiry
// loop (DEBUG SET-ACTIVE-EXPIRE). Lazy expiry on access is unaffected.
func (e *Engine) SetActiveExpiry(on bool) { e.expiryPaused.Store(!on) }
