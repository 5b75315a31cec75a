package engine

import (
	"github.com/shaledb/shale/encoding"
)

// String values live inline in the key's metadata record, so a GET is one
// point read (or one hot-tier hit) and a SET one write.

// GetString returns key's string value (aliasing the cache or a fresh
// buffer: do not modify). A key of another type gives ErrWrongType.
func (tx *Tx) GetString(key []byte) ([]byte, bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return nil, false, err
	}
	if m.Type != encoding.TypeString {
		return nil, false, ErrWrongType
	}
	return m.Value, true, nil
}

// GetStringMeta is GetString that also returns the metadata (for the TTL).
func (tx *Tx) GetStringMeta(key []byte) (encoding.Metadata, bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return m, false, err
	}
	if m.Type != encoding.TypeString {
		return m, false, ErrWrongType
	}
	return m, true, nil
}

// SetString stores value under key with expiry expireAt (unix ms, 0 = none),
// replacing whatever the key held (of any type).
func (tx *Tx) SetString(key, value []byte, expireAt int64) error {
	raw := encoding.AppendString(make([]byte, 0, encoding.HeaderLen+len(value)), expireAt, value)
	return tx.PutMeta(key, raw)
}
