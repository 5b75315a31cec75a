package encoding

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// Decoders see whatever is on disk: they must reject garbage with an error,
// never panic, and whatever they accept must re-encode to the same bytes.

func FuzzDecodeMetadata(f *testing.F) {
	f.Add([]byte{})
	f.Add(AppendString(nil, 0, []byte("v")))
	f.Add(AppendString(nil, 1700000000000, nil))
	for _, t := range []Type{TypeHash, TypeList, TypeSet, TypeZSet, TypeStream} {
		m := Metadata{Type: t, Version: 3, Size: 4, ExpireAt: 5}
		f.Add(m.Encode(nil))
	}
	f.Add((&Metadata{Type: TypeString, Flags: FlagFragmented, Version: 1, Size: 100}).Encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMetadata(b)
		typ, exp, ok := PeekType(b)
		if ok != (len(b) >= HeaderLen) {
			t.Fatalf("PeekType ok=%v for %d bytes", ok, len(b))
		}
		if err != nil {
			return
		}
		if typ != m.Type || exp != m.ExpireAt {
			t.Fatalf("PeekType disagrees: %v/%d vs %v/%d", typ, exp, m.Type, m.ExpireAt)
		}
		if m.Type > typeMax || m.ExpireAt < 0 {
			t.Fatalf("accepted invalid metadata %+v", m)
		}
		if re := m.Encode(nil); !bytes.Equal(re, b) {
			t.Fatalf("re-encode differs:\n in  %x\n out %x", b, re)
		}
		if m.Type == TypeList {
			_, _ = DecodeListMeta(m.Value)
		}
	})
}

func FuzzParseDataKey(f *testing.F) {
	f.Add([]byte{})
	f.Add(MetaKey(0, []byte("foo")))
	f.Add(MetaKey(65535, nil))
	f.Add(append(AppendSubKey(nil, MetaKey(2, []byte("h")), 9, TagField), "field"...))
	f.Add([]byte{NSData, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseDataKey(b)
		if err != nil {
			return
		}
		// Rebuild from the parts, keeping the stored slot.
		re := []byte{NSData}
		re = binary.BigEndian.AppendUint16(re, uint16(p.DB))
		re = binary.BigEndian.AppendUint16(re, p.Slot)
		re = binary.BigEndian.AppendUint32(re, uint32(len(p.Key)))
		re = append(re, p.Key...)
		re = append(re, p.Sub...)
		if !bytes.Equal(re, b) {
			t.Fatalf("rebuild differs:\n in  %x\n out %x", b, re)
		}
		if p.Sub != nil && len(p.Sub) == 0 {
			t.Fatalf("empty non-nil Sub")
		}
		// A key built by AppendMetaKey from the parsed parts parses back.
		mk := MetaKey(p.DB, p.Key)
		q, err := ParseDataKey(mk)
		if err != nil || !q.IsMeta() || !bytes.Equal(q.Key, p.Key) || q.DB != p.DB {
			t.Fatalf("MetaKey(%d, %x) does not round trip: %+v %v", p.DB, p.Key, q, err)
		}
	})
}

func FuzzParseExpireKey(f *testing.F) {
	f.Add([]byte{})
	f.Add(AppendExpireKey(nil, 1700000000000, 1, []byte("k")))
	f.Add(AppendExpireKey(nil, math.MaxInt64, 65535, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		at, db, key, err := ParseExpireKey(b)
		if err != nil {
			return
		}
		if re := AppendExpireKey(nil, at, db, key); !bytes.Equal(re, b) {
			t.Fatalf("re-encode differs:\n in  %x\n out %x", b, re)
		}
	})
}

// FuzzEncodeScore checks that byte order equals numeric order for any two
// non-NaN floats.
func FuzzEncodeScore(f *testing.F) {
	f.Add(0.0, math.Copysign(0, -1))
	f.Add(math.Inf(-1), -math.MaxFloat64)
	f.Add(math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64)
	f.Add(1.0, 1.0000000000000002)
	f.Fuzz(func(t *testing.T, a, b float64) {
		if math.IsNaN(a) || math.IsNaN(b) {
			return
		}
		ea, eb := EncodeScore(nil, a), EncodeScore(nil, b)
		want := 0
		if a < b {
			want = -1
		} else if a > b {
			want = 1
		}
		if got := bytes.Compare(ea, eb); got != want {
			t.Fatalf("order of %v, %v: bytes %d, numbers %d", a, b, got, want)
		}
		if d := DecodeScore(ea); d != a {
			t.Fatalf("round trip %v -> %v", a, d)
		}
	})
}

func FuzzSlot(f *testing.F) {
	f.Add([]byte("{user1000}.following"))
	f.Add([]byte("{}{a}"))
	f.Fuzz(func(t *testing.T, k []byte) {
		s := Slot(k)
		if s >= SlotCount {
			t.Fatalf("slot %d out of range", s)
		}
		// The hash-tag rule: a key with a non-empty tag hashes like the tag.
		if i := bytes.IndexByte(k, '{'); i >= 0 {
			if j := bytes.IndexByte(k[i+1:], '}'); j > 0 {
				if tag := k[i+1 : i+1+j]; Slot(tag) != s && bytes.IndexByte(tag, '{') < 0 {
					t.Fatalf("slot of %q (%d) differs from its tag %q (%d)", k, s, tag, Slot(tag))
				}
			}
		}
	})
}
