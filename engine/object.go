package engine

import (
	"github.com/shaledb/shale/encoding"
)

// OBJECT ENCODING: Shale stores every type the same way on disk, so the
// encoding it reports is the one Redis 7.0 would use for the same value.

// EncodingOf lets each collection type report its OBJECT ENCODING. The
// type's engine file registers a function from init(); a type without one
// gets the defaults below. Read-only once the server runs.
var EncodingOf = map[encoding.Type]func(tx *Tx, key []byte, m encoding.Metadata) string{}

// Redis 7.0's default conversion thresholds.
const (
	hashMaxListpackEntries = 128
	hashMaxListpackValue   = 64
	setMaxIntsetEntries    = 512
	zsetMaxListpackEntries = 128
	zsetMaxListpackValue   = 64
	embstrMaxLen           = 44 // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
)

// ObjectEncoding returns the encoding OBJECT ENCODING reports for key,
// whose metadata is m.
func (tx *Tx) ObjectEncoding(key []byte, m encoding.Metadata) string {
	if f := EncodingOf[m.Type]; f != nil {
		return f(tx, key, m)
	}
	switch m.Type {
	case encoding.TypeString:
		if !m.IsInlineString() || m.Flags&encoding.FlagStringRaw != 0 {
			return "raw"
		}
		if m.Flags&encoding.FlagStringNoInt != 0 {
			if len(m.Value) <= embstrMaxLen {
				return "embstr"
			}
			return "raw"
		}
		return StringEncoding(m.Value)
	case encoding.TypeList:
		return "quicklist" // Redis 7.0 has no listpack lists
	case encoding.TypeHash:
		if m.Size <= hashMaxListpackEntries && tx.subRecordsWithin(key, m, encoding.TagField, hashMaxListpackValue, true, false) {
			return "listpack"
		}
		return "hashtable"
	case encoding.TypeSet:
		if m.Size <= setMaxIntsetEntries && tx.subRecordsWithin(key, m, encoding.TagMember, 0, false, true) {
			return "intset"
		}
		return "hashtable"
	case encoding.TypeZSet:
		if m.Size <= zsetMaxListpackEntries && tx.subRecordsWithin(key, m, encoding.TagMember, zsetMaxListpackValue, false, false) {
			return "listpack"
		}
		return "skiplist"
	case encoding.TypeStream:
		return "stream"
	}
	return "unknown"
}

// StringEncoding is the encoding Redis gives a string value written by SET:
// int when it reads as a 64-bit integer, embstr when short, raw otherwise.
func StringEncoding(v []byte) string {
	if IsInt64(v) {
		return "int"
	}
	if len(v) <= embstrMaxLen {
		return "embstr"
	}
	return "raw"
}

// SharedInteger reports whether Redis would store the string value v as one
// of its shared integer objects (0..9999), whose OBJECT REFCOUNT is
// 2147483647. sharingAllowed is false when maxmemory is set with an LRU or
// LFU policy (Redis then stops sharing integers).
func SharedInteger(v []byte, sharingAllowed bool) bool {
	if !sharingAllowed || len(v) == 0 || len(v) > 4 || !IsInt64(v) {
		return false
	}
	return v[0] != '-'
}

// IsInt64 reports whether v is a 64-bit integer as Redis's string2ll reads
// it: optional '-', no '+', no leading zeros or spaces, at most 20 bytes.
func IsInt64(v []byte) bool {
	n := len(v)
	if n == 0 || n > 20 {
		return false
	}
	if n == 1 && v[0] == '0' {
		return true
	}
	i := 0
	neg := v[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return false
		}
	}
	if v[i] < '1' || v[i] > '9' {
		return false
	}
	var u uint64
	for ; i < n; i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return false
		}
		if u > (1<<64-1-9)/10 {
			return false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		return u <= 1<<63
	}
	return u <= 1<<63-1
}

// subRecordsWithin reports whether every sub-record of key with tag has a
// sub-key (and, with checkValue, a value) of at most maxLen bytes, or, with
// ints, whether every sub-key is an integer. It reads at most the records
// of one small key.
func (tx *Tx) subRecordsWithin(key []byte, m encoding.Metadata, tag byte, maxLen int, checkValue, ints bool) bool {
	mk := encoding.MetaKey(tx.pdb, key)
	lo := encoding.AppendSubKey(nil, mk, m.Version, tag)
	hi := encoding.PrefixEnd(encoding.AppendSubKey(nil, mk, m.Version, tag))
	it, err := tx.e.store.NewIter(lo, hi)
	if err != nil {
		return false
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		sub := it.Key()[len(lo):]
		if ints {
			if !IsInt64(sub) {
				return false
			}
			continue
		}
		if len(sub) > maxLen {
			return false
		}
		if checkValue && len(it.Value()) > maxLen {
			return false
		}
	}
	return true
}
