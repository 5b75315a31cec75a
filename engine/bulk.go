package engine

import "github.com/shaledb/shale/encoding"

// AssumeAbsent tells the Tx that key does not exist, so its first lookup
// reads neither the hot tier nor storage. Only for bulk loading into a
// database known to be empty (shale-rdb import), where that read is most
// of the cost of writing a small key. It returns false if this Tx has
// already seen key (a duplicate in the loaded data).
func (tx *Tx) AssumeAbsent(key []byte) bool {
	mk := encoding.AppendMetaKey(tx.buf[:0], tx.pdb, key)
	tx.buf = mk
	if tx.memoFind(mk) >= 0 {
		return false
	}
	tx.memoAdd(memoEntry{metaKey: tx.keep(mk)})
	return true
}

// WriteSubRecords commits the sub-records written so far and keeps the
// metadata records and counters for Commit, so a huge key can be loaded in
// bounded memory within one Tx. Sub-records are invisible until metadata
// of their version is committed, so this is safe while creating keys; it
// must not follow a deletion or overwrite in the same Tx (the old value's
// records would go before its metadata does).
func (tx *Tx) WriteSubRecords() error {
	if tx.batch == nil || tx.batch.Empty() {
		return nil
	}
	b := tx.batch
	// A new batch, not nil: Commit still has the metadata to write.
	tx.batch = tx.e.store.NewBatch()
	return tx.e.store.Commit(b)
}
