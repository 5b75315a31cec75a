package rdb

import (
	"bufio"
	"bytes"
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
	w        *bufio.Writer
	crc      uint64
	err      error
	version  int
	tmp      [16]byte
	written  int64
	compress bool
	noCRC    bool
	lzf      *lzfCompressor // taken from lzfPool when first needed
	cbuf     []byte         // compressed output, reused
}

// NewWriter returns a Writer producing RDB version (DefaultVersion if 0),
// with strings uncompressed and the checksum computed.
func NewWriter(w io.Writer, version int) *Writer {
	if version == 0 {
		version = DefaultVersion
	}
	size := 256 << 10
	if _, ok := w.(*bytes.Buffer); ok {
		size = 4 << 10 // a DUMP payload: memory already, no big buffer needed
	}
	return &Writer{w: bufio.NewWriterSize(w, size), version: version}
}

// SetCompression turns LZF compression of strings on or off (Redis's
// rdbcompression).
func (w *Writer) SetCompression(on bool) { w.compress = on }

// SetChecksum turns the CRC-64 off or on; call it before writing. Off, the
// writer computes nothing and End writes eight zero bytes, which Redis
// takes for "no checksum" (rdbchecksum no). DUMP payloads carry their own
// checksum (DumpFooter), so their writer needs none.
func (w *Writer) SetChecksum(on bool) { w.noCRC = !on }

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
	if !w.noCRC {
		w.crc = CRC64(w.crc, p)
	}
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

// AppendLen appends an RDB length.
func AppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// Len writes an RDB length.
func (w *Writer) Len(n uint64) { w.raw(AppendLen(w.tmp[:0], n)) }

// StringHeader writes the length of a plain string whose n bytes follow
// with Raw (lets a big string be streamed uncompressed).
func (w *Writer) StringHeader(n uint64) { w.Len(n) }

// appendIntString appends b integer-encoded (RDB_ENCVAL_INT8/16/32) when
// Redis would (rdbTryIntegerEncoding: a canonical decimal that fits 32
// bits); ok is false otherwise.
func appendIntString(dst, b []byte) ([]byte, bool) {
	if len(b) == 0 || len(b) > 11 {
		return dst, false
	}
	v, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil || strconv.FormatInt(v, 10) != string(b) {
		return dst, false
	}
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, 0xc0, byte(int8(v))), true
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(dst, 0xc1), uint16(int16(v))), true
	}
	return binary.LittleEndian.AppendUint32(append(dst, 0xc2), uint32(int32(v))), true
}

// lzfMinLen is the shortest string Redis tries to compress (rdbSaveRawString:
// len > 20).
const lzfMinLen = 21

// AppendString appends b as Redis's rdbSaveRawString writes it: integer-
// encoded when it is a small integer, else (when compress and b is longer
// than 20 bytes) RDB_ENCVAL_LZF, compressed length, length and data if
// LZF fits it in len(b)-4 bytes, else plain.
func AppendString(dst, b []byte, compress bool) []byte {
	if d, ok := appendIntString(dst, b); ok {
		return d
	}
	if compress && len(b) >= lzfMinLen {
		// Room for the header (the compressed length is not known yet and
		// takes at most as many bytes as the original's), then the data.
		start := len(dst)
		hdr := AppendLen(AppendLen(append(dst, 0xc3), uint64(len(b))), uint64(len(b)))
		hlen := len(hdr) - start
		if d, ok := AppendLZF(hdr, b, len(b)-4); ok {
			clen := len(d) - start - hlen
			var h [19]byte
			fixed := AppendLen(AppendLen(append(h[:0], 0xc3), uint64(clen)), uint64(len(b)))
			n := copy(d[start:], fixed)
			if n < hlen { // shorter header: move the data down
				copy(d[start+n:], d[start+hlen:])
			}
			return d[:start+n+clen]
		}
		dst = hdr[:start]
	}
	return append(AppendLen(dst, uint64(len(b))), b...)
}

// String writes a string as Redis would (see AppendString), compressed
// when the writer's compression is on.
func (w *Writer) String(b []byte) {
	if d, ok := appendIntString(w.tmp[:0], b); ok {
		w.raw(d)
		return
	}
	if w.compress && len(b) >= lzfMinLen {
		if w.lzf == nil {
			w.lzf = lzfPool.Get().(*lzfCompressor)
		}
		var ok bool
		if w.cbuf, ok = w.lzf.compress(w.cbuf[:0], b, len(b)-4); ok {
			w.byte1(0xc3)
			w.Len(uint64(len(w.cbuf)))
			w.Len(uint64(len(b)))
			w.raw(w.cbuf)
			if cap(w.cbuf) > 1<<20 {
				w.cbuf = nil // do not keep a big value's buffer
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

// End writes EOF and the checksum (zero when it is off), and flushes.
func (w *Writer) End() error {
	w.byte1(opEOF)
	binary.LittleEndian.PutUint64(w.tmp[:8], w.crc) // stays 0 with the checksum off
	w.raw(w.tmp[:8])
	return w.Flush()
}

// Flush flushes buffered output and gives back the compressor's table
// (taken again if more strings come).
func (w *Writer) Flush() error {
	if w.lzf != nil {
		lzfPool.Put(w.lzf)
		w.lzf = nil
	}
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

// ValueReader reads RDB lengths and strings (integer-encoded and LZF
// ones too) from a byte slice, such as the body of a FUNCTION DUMP payload.
type ValueReader struct {
	r Reader
	n int64
}

// NewValueReader returns a ValueReader on b.
func NewValueReader(b []byte) *ValueReader {
	v := &ValueReader{n: int64(len(b))}
	v.r = Reader{r: &sliceReader{b: b}, buf: make([]byte, max(64, min(len(b), 64<<10))), noCRC: true}
	return v
}

// More reports whether bytes are left.
func (v *ValueReader) More() bool { return v.r.off < v.n }

// ReadByte reads one byte (a type or opcode).
func (v *ValueReader) ReadByte() (byte, error) { return v.r.byte1() }

// ReadLen reads a length; encoded reports a special string encoding
// (RDB_ENCVAL_*), whose number is then returned as n.
func (v *ValueReader) ReadLen() (n uint64, encoded bool, err error) { return v.r.readLen() }

// ReadString reads a string (plain, integer-encoded or LZF-compressed).
func (v *ValueReader) ReadString() ([]byte, error) { return v.r.readString() }
