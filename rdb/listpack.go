package rdb

import (
	"encoding/binary"
	"strconv"
)

// Listpack builds a listpack (the blob inside stream nodes and other
// compact encodings), encoding elements as Redis's lpAppend does.
type Listpack struct {
	b []byte
	n int
}

// NewListpack returns an empty listpack.
func NewListpack() *Listpack { return &Listpack{b: make([]byte, 6, 256)} }

func (l *Listpack) backlen(start int) {
	n := uint64(len(l.b) - start)
	switch {
	case n <= 127:
		l.b = append(l.b, byte(n))
	case n < 16383:
		l.b = append(l.b, byte(n>>7), byte(n&127)|128)
	case n < 2097151:
		l.b = append(l.b, byte(n>>14), byte((n>>7)&127)|128, byte(n&127)|128)
	case n < 268435455:
		l.b = append(l.b, byte(n>>21), byte((n>>14)&127)|128, byte((n>>7)&127)|128, byte(n&127)|128)
	default:
		l.b = append(l.b, byte(n>>28), byte((n>>21)&127)|128, byte((n>>14)&127)|128, byte((n>>7)&127)|128, byte(n&127)|128)
	}
	l.n++
}

// AppendInt appends an integer element.
func (l *Listpack) AppendInt(v int64) {
	start := len(l.b)
	switch {
	case v >= 0 && v <= 127:
		l.b = append(l.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		l.b = append(l.b, 0xc0|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		l.b = append(l.b, 0xf1)
		l.b = binary.LittleEndian.AppendUint16(l.b, uint16(v))
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		l.b = append(l.b, 0xf2, byte(u), byte(u>>8), byte(u>>16))
	case v >= -2147483648 && v <= 2147483647:
		l.b = append(l.b, 0xf3)
		l.b = binary.LittleEndian.AppendUint32(l.b, uint32(v))
	default:
		l.b = append(l.b, 0xf4)
		l.b = binary.LittleEndian.AppendUint64(l.b, uint64(v))
	}
	l.backlen(start)
}

// Append appends a string element (as an integer when it is one, as
// lpAppend does).
func (l *Listpack) Append(s []byte) {
	if len(s) > 0 && len(s) <= 20 {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && strconv.FormatInt(v, 10) == string(s) {
			l.AppendInt(v)
			return
		}
	}
	start := len(l.b)
	switch n := len(s); {
	case n < 64:
		l.b = append(l.b, 0x80|byte(n))
	case n < 4096:
		l.b = append(l.b, 0xe0|byte(n>>8), byte(n))
	default:
		l.b = append(l.b, 0xf0)
		l.b = binary.LittleEndian.AppendUint32(l.b, uint32(n))
	}
	l.b = append(l.b, s...)
	l.backlen(start)
}

// Bytes finishes the listpack (header and terminator) and returns it.
func (l *Listpack) Bytes() []byte {
	out := append(l.b, 0xff)
	binary.LittleEndian.PutUint32(out[0:4], uint32(len(out)))
	n := l.n
	if n > 65535 {
		n = 65535 // "unknown", as in Redis
	}
	binary.LittleEndian.PutUint16(out[4:6], uint16(n))
	return out
}

// StreamNode returns the listpack of a stream node holding one entry:
// the entry's fields form the master entry and the entry refers to them
// (SAMEFIELDS), so duplicate field names survive.
func StreamNode(fields [][]byte) []byte {
	lp := NewListpack()
	nf := int64(len(fields) / 2)
	lp.AppendInt(1) // count
	lp.AppendInt(0) // deleted
	lp.AppendInt(nf)
	for i := 0; i+1 < len(fields); i += 2 {
		lp.Append(fields[i])
	}
	lp.AppendInt(0) // master entry terminator
	lp.AppendInt(2) // flags: SAMEFIELDS
	lp.AppendInt(0) // ms diff
	lp.AppendInt(0) // seq diff
	for i := 0; i+1 < len(fields); i += 2 {
		lp.Append(fields[i+1])
	}
	lp.AppendInt(nf + 3) // lp-count
	return lp.Bytes()
}
