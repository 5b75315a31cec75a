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

// Len is the listpack's current size in bytes (without the terminator).
func (l *Listpack) Len() int { return len(l.b) }

// StreamNodeBuilder packs consecutive stream entries into listpack nodes
// the way Redis's streamAppendItem does: a node takes entries until it
// holds stream-node-max-entries (100) or would reach
// stream-node-max-bytes (4096); the first entry's fields become the master
// fields, and later entries with the same field names store only values.
type StreamNodeBuilder struct {
	MaxEntries, MaxBytes int
	lp                   *Listpack
	masterMs, masterSeq  uint64
	master               [][]byte
	count                int
}

// Fits reports whether an entry with these fields goes into the open node.
func (b *StreamNodeBuilder) Fits(fields [][]byte) bool {
	if b.lp == nil {
		return false
	}
	tot := 0
	for _, f := range fields {
		tot += len(f)
	}
	return b.lp.Len()+tot < b.MaxBytes && b.count < b.MaxEntries
}

// Open reports whether a node is being built.
func (b *StreamNodeBuilder) Open() bool { return b.lp != nil }

// Add appends an entry, starting a node if none is open (call Fits and
// Finish first to close a full node).
func (b *StreamNodeBuilder) Add(ms, seq uint64, fields [][]byte) {
	nf := len(fields) / 2
	if b.lp == nil {
		b.lp = NewListpack()
		b.masterMs, b.masterSeq, b.count = ms, seq, 0
		b.master = b.master[:0]
		b.lp.AppendInt(0) // count, patched by Finish (always <= 127: one byte)
		b.lp.AppendInt(0) // deleted
		b.lp.AppendInt(int64(nf))
		for i := 0; i+1 < len(fields); i += 2 {
			b.lp.Append(fields[i])
			b.master = append(b.master, append([]byte(nil), fields[i]...))
		}
		b.lp.AppendInt(0) // master entry terminator
	}
	same := nf == len(b.master)
	for i := 0; same && i < nf; i++ {
		same = string(fields[2*i]) == string(b.master[i])
	}
	if same {
		b.lp.AppendInt(2) // SAMEFIELDS
	} else {
		b.lp.AppendInt(0)
	}
	b.lp.AppendInt(int64(ms - b.masterMs))
	b.lp.AppendInt(int64(seq - b.masterSeq))
	if same {
		for i := 1; i < len(fields); i += 2 {
			b.lp.Append(fields[i])
		}
		b.lp.AppendInt(int64(nf + 3))
	} else {
		b.lp.AppendInt(int64(nf))
		for _, f := range fields {
			b.lp.Append(f)
		}
		b.lp.AppendInt(int64(2*nf + 4))
	}
	b.count++
}

// Finish closes the open node and returns its key (master id, 16 bytes
// big-endian) and listpack.
func (b *StreamNodeBuilder) Finish() (key, lp []byte) {
	b.lp.b[6] = byte(b.count)
	lp = b.lp.Bytes()
	key = binary.BigEndian.AppendUint64(make([]byte, 0, 16), b.masterMs)
	key = binary.BigEndian.AppendUint64(key, b.masterSeq)
	b.lp = nil
	return key, lp
}
