package engine

import "github.com/shaledb/shale/encoding"

// AssumeAbsent tells the Tx that key does not exist, so its first lookup
// reads neither the hot tier nor storage. Only for bulk loading into a
// database known to be empty (shale-rdb import), where that read is most
// of the cost of writing a small key.
func (tx *Tx) AssumeAbsent(key []byte) {
	mk := encoding.AppendMetaKey(tx.buf[:0], tx.pdb, key)
	tx.buf = mk
	if tx.memoFind(mk) >= 0 {
		return
	}
	tx.memoAdd(memoEntry{metaKey: tx.keep(mk)})
}
