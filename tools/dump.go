package tools

import (
	"bytes"
	"errors"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/rdb"
)

// DumpVersion is the RDB version DUMP payloads carry (Redis 7.0's).
const DumpVersion = 10

// RestoreMaxVersion is the newest payload version RESTORE accepts: Redis
// 7.0 stops at 10, Shale also reads 7.2 and 7.4 payloads (11, 12).
const RestoreMaxVersion = rdb.MaxVersion

// Errors of RESTORE (the command layer adds the "ERR " code).
var (
	ErrDumpPayload = errors.New("DUMP payload version or checksum are wrong")
	ErrBadFormat   = errors.New("Bad data format")
)

// DumpOptions tunes DumpValueWith.
type DumpOptions struct {
	// Compress LZF-compresses strings longer than 20 bytes, as Redis's
	// DUMP does with rdbcompression yes.
	Compress bool
}

// DumpValue serializes key's value as a DUMP payload, uncompressed. The
// caller holds the key's lock; ok is false when the key does not exist.
func DumpValue(tx *engine.Tx, key []byte) (payload []byte, ok bool, err error) {
	return DumpValueWith(tx, key, DumpOptions{})
}

// DumpValueWith is DumpValue with options.
func DumpValueWith(tx *engine.Tx, key []byte, opt DumpOptions) (payload []byte, ok bool, err error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return nil, false, err
	}
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, DumpVersion)
	w.SetCompression(opt.Compress)
	w.SetChecksum(false) // DumpFooter computes the payload's own
	mk := append([]byte(nil), tx.MetaKey(key)...)
	if err := writeValue(tx.Engine().Store(), tx, w, mk, key, &m, false, opt.Compress); err != nil {
		return nil, false, err
	}
	if err := w.Flush(); err != nil {
		return nil, false, err
	}
	return rdb.DumpFooter(buf.Bytes(), DumpVersion), true, nil
}

// Restored is a decoded DUMP payload, ready to be written.
type Restored struct {
	Kind  rdb.Kind
	Str   []byte
	Elems [][]byte // list/set elements, or hash field/value pairs
	Items []engine.ZItem
	n     int
	// payload is kept for streams, which are written by replaying it
	payload []byte
}

// DecodeDump checks and decodes a DUMP payload completely (so RESTORE
// writes nothing from a payload that turns out to be bad).
func DecodeDump(payload []byte) (*Restored, error) {
	r := &Restored{}
	err := rdb.ParseDump(payload, RestoreMaxVersion, func(e *rdb.Event) error {
		switch e.Type {
		case rdb.EvKey:
			r.Kind = e.Kind
			if e.Kind == rdb.KindModule {
				return ErrBadFormat
			}
		case rdb.EvStreamMeta:
			r.n++ // a stream is a value even when empty
		case rdb.EvString:
			r.Str = append([]byte{}, e.Value...)
			r.n++
		case rdb.EvListElem, rdb.EvSetMember:
			r.Elems = append(r.Elems, append([]byte{}, e.Value...))
			r.n++
		case rdb.EvHashField:
			r.Elems = append(r.Elems, append([]byte{}, e.Field...), append([]byte{}, e.Value...))
			r.n++
		case rdb.EvZMember:
			r.Items = append(r.Items, engine.ZItem{Member: append([]byte{}, e.Value...), Score: e.Score})
			r.n++
		}
		return nil
	})
	if errors.Is(err, rdb.ErrDumpPayload) {
		return nil, ErrDumpPayload
	}
	if err != nil {
		return nil, ErrBadFormat
	}
	if r.n == 0 { // an empty collection: Redis refuses it too
		return nil, ErrBadFormat
	}
	if r.Kind == rdb.KindStream {
		r.payload = payload
	}
	return r, nil
}

// Write stores the decoded value at key (which the caller made absent)
// with expireAt (unix ms, 0 = none).
func (r *Restored) Write(tx *engine.Tx, key []byte, expireAt int64) error {
	var err error
	switch r.Kind {
	case rdb.KindString:
		return tx.SetString(key, r.Str, expireAt)
	case rdb.KindList:
		_, err = tx.ListPush(key, r.Elems, false, false)
	case rdb.KindSet:
		_, err = tx.SetAdd(key, r.Elems)
	case rdb.KindHash:
		_, err = tx.HashSet(key, r.Elems, false)
	case rdb.KindZSet:
		_, err = tx.ZAdd(key, r.Items, engine.ZAddFlags{})
	case rdb.KindStream:
		err = r.writeStream(tx, key)
	default:
		return ErrBadFormat
	}
	if err == nil && expireAt != 0 {
		_, err = tx.SetExpire(key, expireAt, engine.ExpireFlags{})
	}
	return err
}

// writeStream replays a (validated) stream payload into tx with the
// importer's stream logic; everything stays in tx's batch.
func (r *Restored) writeStream(tx *engine.Tx, key []byte) error {
	im := &importer{e: tx.Engine(), st: &ImportStats{}, now: tx.Now, tx: tx, txDB: tx.DB(),
		opt: ImportOptions{BatchElements: int(^uint(0) >> 1)}}
	im.rd = rdb.NewReader(nil)
	return rdb.ParseDump(r.payload, RestoreMaxVersion, func(e *rdb.Event) error {
		e.Key, e.DB = key, tx.DB()
		return im.event(e)
	})
}
