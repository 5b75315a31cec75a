package rdb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// DefaultVersion is the RDB version written by default: Redis 7.0 refuses
// anything newer.
const DefaultVersion = 10

// Writer writes an RDB stream. Errors are sticky: after the first one
// every call is a no-op and End returns it.
type Writer struct {
	w       *bufio.Writer
	crc     uint64
	err     error
	version int
	tmp     [16]byte
	written int64
}

// NewWriter returns a Writer producing RDB version (DefaultVersion if 0).
func NewWriter(w io.Writer, version int) *Writer {
	if version == 0 {
		version = DefaultVersion
	}
	return &Writer{w: bufio.NewWriterSize(w, 256<<10), version: version}
}

// Version is the RDB version being written.
func (w *Writer) Version() int { return w.version }

// Written is the number of bytes written so far.
func (w *Writer) Written() int64 { return w.written }

// Err returns the first error.
func (w *Writer) Err() error { return w.err }

func (w *Writer) raw(p []byte) {
	if w.err != nil {
		return
	}
	w.crc = CRC64(w.crc, p)
	w.written += int64(len(p))
	_, w.err = w.w.Write(p)
}

// Raw writes bytes as they are (the body of a string after StringHeader).
func (w *Writer) Raw(p []byte) { w.raw(p) }

func (w *Writer) byte1(b byte) { w.tmp[0] = b; w.raw(w.tmp[:1]) }

// Header writes the signature and version.
func (w *Writer) Header() { w.raw(fmt.Appendf(nil, "REDIS%04d", w.version)) }

// Aux writes an AUX field.
func (w *Writer) Aux(k, v string) {
	w.byte1(opAux)
	w.String([]byte(k))
	w.String([]byte(v))
}

// SelectDB starts a database.
func (w *Writer) SelectDB(db int) { w.byte1(opSelectDB); w.Len(uint64(db)) }

// ResizeDB writes the size hints of the current database.
func (w *Writer) ResizeDB(size, expires uint64) {
	w.byte1(opResizeDB)
	w.Len(size)
	w.Len(expires)
}

// Function writes a function library (FUNCTION2).
func (w *Writer) Function(code []byte) { w.byte1(opFunction2); w.String(code) }

// Len writes an RDB length.
func (w *Writer) Len(n uint64) {
	switch {
	case n < 1<<6:
		w.byte1(byte(n))
	case n < 1<<14:
		w.tmp[0], w.tmp[1] = byte(n>>8)|0x40, byte(n)
		w.raw(w.tmp[:2])
	case n <= math.MaxUint32:
		w.tmp[0] = 0x80
		binary.BigEndian.PutUint32(w.tmp[1:], uint32(n))
		w.raw(w.tmp[:5])
	default:
		w.tmp[0] = 0x81
		binary.BigEndian.PutUint64(w.tmp[1:], n)
		w.raw(w.tmp[:9])
	}
}

// StringHeader writes the length of a plain string whose n bytes follow
// with Raw (lets a big string be streamed).
func (w *Writer) StringHeader(n uint64) { w.Len(n) }

// String writes a string, integer-encoded when Redis would.
func (w *Writer) String(b []byte) {
	if len(b) > 0 && len(b) <= 11 {
		if v, err := strconv.ParseInt(string(b), 10, 32); err == nil && strconv.FormatInt(v, 10) == string(b) {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				w.tmp[0], w.tmp[1] = 0xc0, byte(int8(v))
				w.raw(w.tmp[:2])
			case v >= math.MinInt16 && v <= math.MaxInt16:
				w.tmp[0] = 0xc1
				binary.LittleEndian.PutUint16(w.tmp[1:], uint16(int16(v)))
				w.raw(w.tmp[:3])
			default:
				w.tmp[0] = 0xc2
				binary.LittleEndian.PutUint32(w.tmp[1:], uint32(int32(v)))
				w.raw(w.tmp[:5])
			}
			return
		}
	}
	w.Len(uint64(len(b)))
	w.raw(b)
}

// BinaryDouble writes a ZSET_2 score.
func (w *Writer) BinaryDouble(f float64) {
	binary.LittleEndian.PutUint64(w.tmp[:8], math.Float64bits(f))
	w.raw(w.tmp[:8])
}

// Expire writes an EXPIRETIME_MS opcode for the next key.
func (w *Writer) Expire(ms int64) {
	w.byte1(opExpireTimeMs)
	binary.LittleEndian.PutUint64(w.tmp[:8], uint64(ms))
	w.raw(w.tmp[:8])
}

// Key writes the type byte and the key name; the value follows.
func (w *Writer) Key(t byte, key []byte) {
	w.byte1(t)
	w.String(key)
}

// ValueType writes just a type byte (DUMP payloads).
func (w *Writer) ValueType(t byte) { w.byte1(t) }

// End writes EOF and the checksum, and flushes.
func (w *Writer) End() error {
	w.byte1(opEOF)
	binary.LittleEndian.PutUint64(w.tmp[:8], w.crc)
	w.raw(w.tmp[:8])
	return w.Flush()
}

// Flush flushes buffered output.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// DumpFooter appends the DUMP trailer (RDB version u16 + CRC64, both
// little-endian) to a serialized value.
func DumpFooter(payload []byte, version int) []byte {
	payload = binary.LittleEndian.AppendUint16(payload, uint16(version))
	return binary.LittleEndian.AppendUint64(payload, CRC64(0, payload))
}

// ErrDumpPayload is a DUMP payload whose version or checksum is wrong.
var ErrDumpPayload = fmt.Errorf("DUMP payload version or checksum are wrong")

// ParseDump checks a DUMP payload's trailer and decodes its value, calling
// fn with EvKey (Kind, RDBType), the elements and EvKeyEnd. maxVersion is
// the newest RDB version accepted.
func ParseDump(payload []byte, maxVersion int, fn func(*Event) error) error {
	if len(payload) < 10 {
		return ErrDumpPayload
	}
	n := len(payload)
	ver := int(binary.LittleEndian.Uint16(payload[n-10:]))
	if ver > maxVersion || CRC64(0, payload[:n-8]) != binary.LittleEndian.Uint64(payload[n-8:]) {
		return ErrDumpPayload
	}
	body := payload[:n-10]
	r := &Reader{r: &sliceReader{b: body}, buf: make([]byte, max(64, min(len(body), 64<<10)))}
	r.noCRC = true
	r.version = ver
	r.fn = fn
	t, err := r.byte1()
	if err != nil {
		return r.fail(err)
	}
	kind, ok := KindOf(t)
	if !ok {
		return r.fail(fmt.Errorf("unknown RDB value type %d", t))
	}
	r.ev = Event{Type: EvKey, Kind: kind, RDBType: t}
	if err := r.emit(); err != nil {
		return err
	}
	if err := r.readValue(t, 0, nil); err != nil {
		return r.fail(err)
	}
	if r.off != int64(len(body)) {
		return r.fail(fmt.Errorf("%d trailing bytes after the value", int64(len(body))-r.off))
	}
	r.ev = Event{Type: EvKeyEnd, Kind: kind, RDBType: t}
	return r.emit()
}

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
