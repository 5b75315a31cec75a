// Package encoding defines Shale's on-disk layout: how every Redis key, its
// metadata and its sub-records are laid out as Pebble keys and values. The
// byte diagrams live in docs/ARCHITECTURE.md; this file is the single place
// that builds and parses those keys.
package encoding

import (
	"encoding/binary"
	"errors"
)

// Namespaces: the first byte of every Pebble key.
const (
	// NSData holds each user key's metadata record and, directly after it,
	// its sub-records: all of a key's records share one contiguous range.
	NSData byte = 'k'
	// NSExpire is the expiry index, ordered by expiry time.
	NSExpire byte = 'x'
	// NSInternal holds server bookkeeping (per-database counters, ...).
	NSInternal byte = 'i'
)

// MetaPrefixLen is the fixed part of a metadata key: ns, db, slot, key length.
const MetaPrefixLen = 1 + 2 + 2 + 4

// ErrCorrupt is returned by decoders for records that do not parse.
var ErrCorrupt = errors.New("corrupt record")

// AppendMetaKey appends the metadata key of (db, key):
//
//	'k' | db u16 | slot u16 | len(key) u32 | key
//
// Every integer is big-endian so a database's keys, and within it a slot's
// keys, are one contiguous range.
func AppendMetaKey(dst []byte, db int, key []byte) []byte {
	dst = append(dst, NSData)
	dst = binary.BigEndian.AppendUint16(dst, uint16(db))
	dst = binary.BigEndian.AppendUint16(dst, Slot(key))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(key)))
	return append(dst, key...)
}

// MetaKey returns a new metadata key for (db, key).
func MetaKey(db int, key []byte) []byte {
	return AppendMetaKey(make([]byte, 0, MetaPrefixLen+len(key)), db, key)
}

// DBPrefix returns the prefix shared by every record of database db.
func DBPrefix(db int) []byte {
	return binary.BigEndian.AppendUint16([]byte{NSData}, uint16(db))
}

// SlotPrefix returns the prefix shared by every record of one slot of db.
func SlotPrefix(db int, slot uint16) []byte {
	return binary.BigEndian.AppendUint16(DBPrefix(db), slot)
}

// ParsedKey is a decoded data-namespace key.
type ParsedKey struct {
	DB   int
	Slot uint16
	Key  []byte // the user key (aliases the input)
	// Sub is nil for a metadata key; for a sub-record it is everything after
	// the user key: version u64 | tag | ... (aliases the input).
	Sub []byte
}

// IsMeta reports whether the parsed key is a metadata record.
func (p ParsedKey) IsMeta() bool { return p.Sub == nil }

// ParseDataKey decodes a data-namespace key (metadata or sub-record).
func ParseDataKey(k []byte) (ParsedKey, error) {
	if len(k) < MetaPrefixLen || k[0] != NSData {
		return ParsedKey{}, ErrCorrupt
	}
	n := binary.BigEndian.Uint32(k[5:9])
	if uint64(len(k)-MetaPrefixLen) < uint64(n) {
		return ParsedKey{}, ErrCorrupt
	}
	end := MetaPrefixLen + int(n)
	p := ParsedKey{
		DB:   int(binary.BigEndian.Uint16(k[1:3])),
		Slot: binary.BigEndian.Uint16(k[3:5]),
		Key:  k[MetaPrefixLen:end:end],
	}
	if end < len(k) {
		p.Sub = k[end:]
	}
	return p, nil
}

// Sub-record tags: the byte after the version in a sub-record key. Every
// type's sub-records are designed here even where the type lands later.
const (
	TagField    byte = 'f' // hash field -> value
	TagMember   byte = 'm' // set member -> empty; zset member -> score (8 bytes, float64 bits)
	TagElement  byte = 'l' // list element at position u64 -> value
	TagScore    byte = 's' // zset score index: EncodeScore(score) | member -> empty
	TagStream   byte = 'e' // stream entry: ms u64 | seq u64 -> fields
	TagGroup    byte = 'g' // stream consumer group: name -> group state
	TagConsumer byte = 'c' // stream consumer: len(group) u32 | group | name -> state
	TagPending  byte = 'p' // stream PEL: len(group) u32 | group | ms | seq -> owner, delivery
	TagFragment byte = 'b' // string/bitmap fragment: index u32 -> bytes
)

// TagConsumerPEL indexes a stream PEL by owner: len(group) u32 | group |
// len(consumer) u32 | consumer | ms | seq -> empty.
const TagConsumerPEL byte = 'q'

// AppendSubKey appends the sub-record key prefix for (metaKey, version, tag):
//
//	metaKey | version u64 | tag
//
// followed by the caller's sub-key bytes. All sub-records of one version of
// a key therefore lie in [SubPrefix(v), SubPrefix(v+1)), which is what makes
// deleting a huge key one range deletion.
func AppendSubKey(dst, metaKey []byte, version uint64, tag byte) []byte {
	dst = append(dst, metaKey...)
	dst = binary.BigEndian.AppendUint64(dst, version)
	return append(dst, tag)
}

// VersionRange returns the bounds [start, end) of every sub-record of one
// version of a key.
func VersionRange(metaKey []byte, version uint64) (start, end []byte) {
	start = binary.BigEndian.AppendUint64(append([]byte(nil), metaKey...), version)
	end = binary.BigEndian.AppendUint64(append([]byte(nil), metaKey...), version+1)
	if version == ^uint64(0) {
		end = PrefixEnd(append([]byte(nil), metaKey...))
	}
	return start, end
}

// KeyRecordsEnd returns the first Pebble key after every record (metadata and
// all sub-records of every version) of the user key whose metadata key is
// metaKey. Iterators use it to skip a collection's sub-records.
func KeyRecordsEnd(metaKey []byte) []byte {
	return PrefixEnd(append([]byte(nil), metaKey...))
}

// PrefixEnd returns the smallest key greater than every key prefixed by p
// (modifying p in place), or nil when there is none.
func PrefixEnd(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			p[i]++
			return p[:i+1]
		}
	}
	return nil
}

// AppendExpireKey appends an expiry-index key:
//
//	'x' | expireAtMs u64 | db u16 | key
//
// so iterating the namespace visits keys in expiry order.
func AppendExpireKey(dst []byte, expireAtMs int64, db int, key []byte) []byte {
	dst = append(dst, NSExpire)
	dst = binary.BigEndian.AppendUint64(dst, uint64(expireAtMs))
	dst = binary.BigEndian.AppendUint16(dst, uint16(db))
	return append(dst, key...)
}

// ExpireKeyUpperBound returns the smallest expiry-index key after every
// entry expiring at or before nowMs.
func ExpireKeyUpperBound(nowMs int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{NSExpire}, uint64(nowMs)+1)
}

// ParseExpireKey decodes an expiry-index key.
func ParseExpireKey(k []byte) (expireAtMs int64, db int, key []byte, err error) {
	if len(k) < 11 || k[0] != NSExpire {
		return 0, 0, nil, ErrCorrupt
	}
	return int64(binary.BigEndian.Uint64(k[1:9])), int(binary.BigEndian.Uint16(k[9:11])), k[11:], nil
}

// Internal keys.
const (
	internalKeyCount     = "keys"
	internalExpiresCount = "expires"
)

// KeyCountKey is the per-database key counter (a merge-summed int64).
func KeyCountKey(db int) []byte {
	return binary.BigEndian.AppendUint16(append([]byte{NSInternal}, internalKeyCount...), uint16(db))
}

// ExpiresCountKey is the per-database counter of keys with a TTL.
func ExpiresCountKey(db int) []byte {
	return binary.BigEndian.AppendUint16(append([]byte{NSInternal}, internalExpiresCount...), uint16(db))
}

// InternalKey returns an internal bookkeeping key named name.
func InternalKey(name string) []byte {
	return append([]byte{NSInternal}, name...)
}
