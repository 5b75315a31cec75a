package encoding

import (
	"encoding/binary"
)

// Type is a Redis value type as stored in the metadata record.
type Type byte

const (
	TypeString Type = 0
	TypeHash   Type = 1
	TypeList   Type = 2
	TypeSet    Type = 3
	TypeZSet   Type = 4
	TypeStream Type = 5
	typeMax         = TypeStream
)

// String returns the name TYPE replies with.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// Metadata flag bits (high nibble of byte 0).
const (
	// FlagFragmented marks a string stored as fragments (sub-records) rather
	// than inline: big bitmaps. The layout then has version and size like a
	// collection.
	FlagFragmented byte = 0x10
	// The next flags only record what OBJECT ENCODING / OBJECT REFCOUNT
	// report for an inline string, which depends on how Redis built it.
	// FlagStringRaw: built by APPEND/SETRANGE ("raw" whatever its length).
	FlagStringRaw byte = 0x20
	// FlagStringNoInt: built from a float (INCRBYFLOAT): embstr/raw by
	// length, never "int".
	FlagStringNoInt byte = 0x40
	// FlagStringUnshared: an integer Redis would not share (a COPY):
	// refcount 1.
	FlagStringUnshared byte = 0x80
)

// Metadata is the decoded metadata record of one user key.
//
//	byte 0        type (low nibble) | flags (high nibble)
//	bytes 1..8    expireAtMs int64 big-endian (0 = no expiry)
//	inline string: bytes 9.. are the value
//	otherwise:    version u64 | size u64 | type-specific bytes
type Metadata struct {
	Type     Type
	Flags    byte
	ExpireAt int64 // unix ms, 0 = persistent
	Version  uint64
	Size     uint64 // elements in a collection; bytes in a fragmented string
	// Value is the inline string value; for collections the type-specific
	// tail (e.g. list head/tail positions). Aliases the decoded buffer.
	Value []byte
}

// HeaderLen is the length of the common header (type/flags + expiry).
const HeaderLen = 9

// versionedLen is the header length of a versioned (sub-record) metadata.
const versionedLen = HeaderLen + 16

// IsInlineString reports whether the metadata holds its value inline.
func (m *Metadata) IsInlineString() bool {
	return m.Type == TypeString && m.Flags&FlagFragmented == 0
}

// Expired reports whether the key has expired at nowMs.
func (m *Metadata) Expired(nowMs int64) bool {
	return m.ExpireAt != 0 && m.ExpireAt <= nowMs
}

// AppendString appends an inline string metadata value.
func AppendString(dst []byte, expireAt int64, value []byte) []byte {
	return AppendStringFlags(dst, 0, expireAt, value)
}

// AppendStringFlags appends an inline string metadata value with encoding
// flags (FlagStringRaw, ...).
func AppendStringFlags(dst []byte, flags byte, expireAt int64, value []byte) []byte {
	dst = append(dst, byte(TypeString)|flags&^FlagFragmented)
	dst = binary.BigEndian.AppendUint64(dst, uint64(expireAt))
	return append(dst, value...)
}

// Encode appends the encoded metadata to dst.
func (m *Metadata) Encode(dst []byte) []byte {
	dst = append(dst, byte(m.Type)|m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.ExpireAt))
	if !m.IsInlineString() {
		dst = binary.BigEndian.AppendUint64(dst, m.Version)
		dst = binary.BigEndian.AppendUint64(dst, m.Size)
	}
	return append(dst, m.Value...)
}

// DecodeMetadata parses a metadata record. Value aliases b.
func DecodeMetadata(b []byte) (Metadata, error) {
	var m Metadata
	if len(b) < HeaderLen {
		return m, ErrCorrupt
	}
	m.Type = Type(b[0] & 0x0f)
	m.Flags = b[0] & 0xf0
	if m.Type > typeMax {
		return m, ErrCorrupt
	}
	m.ExpireAt = int64(binary.BigEndian.Uint64(b[1:9]))
	if m.ExpireAt < 0 {
		return m, ErrCorrupt
	}
	if m.IsInlineString() {
		m.Value = b[HeaderLen:]
		return m, nil
	}
	if len(b) < versionedLen {
		return m, ErrCorrupt
	}
	m.Version = binary.BigEndian.Uint64(b[9:17])
	m.Size = binary.BigEndian.Uint64(b[17:25])
	m.Value = b[versionedLen:]
	return m, nil
}

// PeekType returns the type and expiry of an encoded metadata record
// without a full decode (used on the hot path).
func PeekType(b []byte) (Type, int64, bool) {
	if len(b) < HeaderLen {
		return 0, 0, false
	}
	return Type(b[0] & 0x0f), int64(binary.BigEndian.Uint64(b[1:9])), true
}

// ListMeta is the type-specific tail of a list's metadata: the positions of
// the first element and one past the last. Pushing left decrements Head,
// pushing right increments Tail; both start in the middle of the u64 range.
type ListMeta struct {
	Head, Tail uint64
}

// ListInitialPos is where an empty list's Head and Tail start.
const ListInitialPos = uint64(1) << 63

// AppendListMeta appends a list's type-specific tail.
func AppendListMeta(dst []byte, l ListMeta) []byte {
	dst = binary.BigEndian.AppendUint64(dst, l.Head)
	return binary.BigEndian.AppendUint64(dst, l.Tail)
}

// DecodeListMeta parses a list's type-specific tail.
func DecodeListMeta(b []byte) (ListMeta, error) {
	if len(b) < 16 {
		return ListMeta{}, ErrCorrupt
	}
	return ListMeta{Head: binary.BigEndian.Uint64(b[0:8]), Tail: binary.BigEndian.Uint64(b[8:16])}, nil
}
