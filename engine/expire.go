package engine

import (
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

// ExpireCycle reclaims up to limit expired keys and returns how many index
// entries it processed.
func (e *Engine) ExpireCycle(limit int) (int, error) {
	now := NowMs()
	it, err := e.store.NewIter([]byte{encoding.NSExpire}, encoding.ExpireKeyUpperBound(now))
	if err != nil {
		return 0, err
	}
	var entries [][]byte
	for ok := it.First(); ok && len(entries) < limit; ok = it.Next() {
		entries = append(entries, append([]byte(nil), it.Key()...))
	}
	err = it.Close()
	for _, ik := range entries {
		at, pdb, key, perr := encoding.ParseExpireKey(ik)
		if perr != nil || pdb >= e.databases {
			b := e.store.NewBatch()
			b.Delete(ik)
			_ = e.store.Commit(b)
			continue
		}
		if err := e.expireOne(ik, at, pdb, key); err != nil {
			return 0, err
		}
	}
	return len(entries), err
}

func (e *Engine) expireOne(indexKey []byte, at int64, pdb int, key []byte) error {
	var g Guard
	e.lockPhysical(&g, pdb, key)
	defer g.Unlock()
	tx := &Tx{}
	tx.Reset(e, e.logicalOf(pdb))
	m, present, err := tx.rawMeta(key)
	if err != nil {
		return err
	}
	if present && m.ExpireAt == at && m.Expired(tx.Now) {
		if _, err := tx.Delete(key); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		e.Stats.ExpiredKeys.Add(1)
		if e.OnExpired != nil {
			e.OnExpired(tx.db, key)
		}
		return nil
	}
	// A stale index entry: the key is gone or has another expiry.
	if !present || m.ExpireAt != at {
		b := e.store.NewBatch()
		b.Delete(indexKey)
		return e.store.Commit(b)
	}
	return nil
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
