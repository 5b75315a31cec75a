package engine

import (
	"encoding/binary"
	"math/bits"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// Bitmaps are strings. Small strings stay inline in the metadata record
// (one point read per GETBIT, one record rewrite per SETBIT). A string that
// a partial write (SETBIT, SETRANGE, APPEND, BITFIELD) grows beyond
// FragThreshold bytes becomes fragmented, as in KVRocks: the metadata
// carries FlagFragmented, a version and the byte length (Size), and the
// bytes live in TagFragment sub-records "index u32 -> up to FragSize
// bytes". A missing fragment, or the missing tail of a short one, reads as
// zero bytes, so SETBIT at offset 4,000,000,000 on an empty key writes one
// 4 KB fragment, not 500 MB. BITOP results longer than FragThreshold are
// stored fragmented too, without their all-zero fragments. A plain SET
// always stores inline (the whole value is written anyway), and a
// fragmented string stays fragmented until it is overwritten. Every string
// command sees one value either way: whole-value reads assemble it through
// readFragmented.
const (
	FragSize      = 4096
	FragThreshold = 64 << 10
)

var zeroFrag [FragSize]byte

func init() { readFragmented = assembleFragmented }

// fragKey appends the sub-record key of fragment idx.
func fragKey(dst, mk []byte, version uint64, idx uint32) []byte {
	dst = encoding.AppendSubKey(dst, mk, version, encoding.TagFragment)
	return binary.BigEndian.AppendUint32(dst, idx)
}

// assembleFragmented reads a whole fragmented string.
func assembleFragmented(tx *Tx, key []byte, m encoding.Metadata) ([]byte, error) {
	mk := encoding.MetaKey(tx.pdb, key)
	out := make([]byte, m.Size)
	err := scanFragments(tx.e.store, mk, m.Version, 0, int64(m.Size), func(off int64, data []byte) bool {
		copy(out[off:], data)
		return true
	})
	return out, err
}

// scanFragments calls fn(offset, bytes) for the stored fragment data that
// overlaps [start, end), in order; gaps are zeros the caller supplies.
func scanFragments(st *storage.Store, mk []byte, version uint64, start, end int64, fn func(off int64, data []byte) bool) error {
	if start >= end {
		return nil
	}
	lo := fragKey(nil, mk, version, uint32(start/FragSize))
	hi := fragKey(nil, mk, version, uint32((end-1)/FragSize))
	hi = encoding.PrefixEnd(hi)
	it, err := st.NewIter(lo, hi)
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) < 4 {
			continue
		}
		fstart := int64(binary.BigEndian.Uint32(k[len(k)-4:])) * FragSize
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return err
		}
		s, e := max(start, fstart), min(end, fstart+int64(len(v)))
		if s < e && !fn(s, v[s-fstart:e-fstart]) {
			break
		}
	}
	return it.Close()
}

// Bitmap is one command's view of a string key for the bit commands: reads
// of any byte range (zeros past the end) and in-place writes that grow the
// string, kept in memory until Flush.
type Bitmap struct {
	tx     *Tx
	key    []byte
	mk     []byte
	m      encoding.Metadata
	exists bool
	size   int64

	frag  bool
	fresh bool   // fragmented in this command: nothing stored under the version yet
	val   []byte // inline value
	owned bool   // val is our copy
	frags map[uint32][]byte
	dirty map[uint32]bool
	wrote bool
}

// OpenBitmap opens key as a bitmap. A key of another type gives
// ErrWrongType; a missing key is an empty string.
func (tx *Tx) OpenBitmap(key []byte) (*Bitmap, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil {
		return nil, err
	}
	if ok && m.Type != encoding.TypeString {
		return nil, ErrWrongType
	}
	b := &Bitmap{tx: tx, key: key, mk: encoding.MetaKey(tx.pdb, key), m: m, exists: ok}
	if !ok {
		b.m = encoding.Metadata{}
		return b, nil
	}
	if m.Flags&encoding.FlagFragmented != 0 {
		b.frag = true
		b.size = int64(m.Size)
	} else {
		b.val = m.Value
		b.size = int64(len(m.Value))
	}
	return b, nil
}

// Exists reports whether the key existed when opened.
func (b *Bitmap) Exists() bool { return b.exists }

// Len returns the string length in bytes.
func (b *Bitmap) Len() int64 { return b.size }

// Meta returns the key's metadata as opened (TTL).
func (b *Bitmap) Meta() encoding.Metadata { return b.m }

// fragment returns fragment idx for reading (nil = all zeros).
func (b *Bitmap) fragment(idx uint32) ([]byte, error) {
	if f, ok := b.frags[idx]; ok {
		return f, nil
	}
	if b.fresh {
		return nil, nil
	}
	var kb [96]byte
	v, ok, err := b.tx.e.store.Get(nil, fragKey(kb[:0], b.mk, b.m.Version, idx))
	if err != nil || !ok {
		return nil, err
	}
	return v, nil
}

// wfragment returns fragment idx as a full, writable FragSize buffer.
func (b *Bitmap) wfragment(idx uint32) ([]byte, error) {
	if f, ok := b.frags[idx]; ok {
		b.dirty[idx] = true
		return f, nil
	}
	f := make([]byte, FragSize)
	if !b.fresh {
		old, err := b.fragment(idx)
		if err != nil {
			return nil, err
		}
		copy(f, old)
	}
	if b.frags == nil {
		b.frags = map[uint32][]byte{}
		b.dirty = map[uint32]bool{}
	}
	b.frags[idx] = f
	b.dirty[idx] = true
	return f, nil
}

// ReadAt fills dst with the bytes at off (zeros past the end).
func (b *Bitmap) ReadAt(dst []byte, off int64) error {
	clear(dst)
	if off >= b.size {
		return nil
	}
	n := min(int64(len(dst)), b.size-off)
	if !b.frag {
		copy(dst, b.val[off:off+n])
		return nil
	}
	for done := int64(0); done < n; {
		p := off + done
		idx := uint32(p / FragSize)
		fo := p % FragSize
		l := min(n-done, FragSize-fo)
		f, err := b.fragment(idx)
		if err != nil {
			return err
		}
		if fo < int64(len(f)) {
			copy(dst[done:done+l], f[fo:])
		}
		done += l
	}
	return nil
}

// Byte returns the byte at i (zero past the end).
func (b *Bitmap) Byte(i int64) (byte, error) {
	if i >= b.size || i < 0 {
		return 0, nil
	}
	if !b.frag {
		return b.val[i], nil
	}
	f, err := b.fragment(uint32(i / FragSize))
	if err != nil || int(i%FragSize) >= len(f) {
		return 0, err
	}
	return f[i%FragSize], nil
}

// Scan calls fn with consecutive chunks covering [start, end) clipped to
// the string; zero runs of a fragmented string come as zeroFrag slices. For
// read-only use (it does not see unflushed writes of a fragmented value).
func (b *Bitmap) Scan(start, end int64, fn func(chunk []byte) bool) error {
	end = min(end, b.size)
	if start < 0 {
		start = 0
	}
	if start >= end {
		return nil
	}
	if !b.frag {
		fn(b.val[start:end])
		return nil
	}
	pos := start
	stop := false
	zeros := func(to int64) bool {
		for pos < to {
			n := min(to-pos, FragSize)
			if !fn(zeroFrag[:n]) {
				return false
			}
			pos += n
		}
		return true
	}
	err := scanFragments(b.tx.e.store, b.mk, b.m.Version, start, end, func(off int64, data []byte) bool {
		if !zeros(off) || !fn(data) {
			stop = true
			return false
		}
		pos = off + int64(len(data))
		return true
	})
	if err != nil || stop {
		return err
	}
	zeros(end)
	return nil
}

// grow makes the string at least n bytes long (zero padded), fragmenting
// it when it outgrows FragThreshold.
func (b *Bitmap) grow(n int64) {
	b.wrote = true
	if n <= b.size {
		return
	}
	if !b.frag && n > FragThreshold {
		// Become fragmented under a fresh version: only the non-zero
		// fragments of the current value are written.
		b.frag, b.fresh = true, true
		b.m.Version = b.tx.e.nextVersion()
		b.frags = map[uint32][]byte{}
		b.dirty = map[uint32]bool{}
		for off := int64(0); off < b.size; off += FragSize {
			chunk := b.val[off:min(off+FragSize, b.size)]
			if !allZero(chunk) {
				f := make([]byte, FragSize)
				copy(f, chunk)
				b.frags[uint32(off/FragSize)] = f
				b.dirty[uint32(off/FragSize)] = true
			}
		}
		b.val = nil
	}
	if !b.frag {
		if !b.owned || int64(cap(b.val)) < n {
			nv := make([]byte, n, max(n, int64(2*len(b.val))))
			copy(nv, b.val)
			b.val = nv
			b.owned = true
		} else {
			b.val = b.val[:n]
		}
	}
	b.size = n
}

// EnsureLen zero pads the string to at least n bytes and marks it written
// (so Flush creates a missing key, as Redis's bit commands do).
func (b *Bitmap) EnsureLen(n int64) error {
	if n <= b.size || !b.frag {
		b.grow(n)
		return nil
	}
	// Fragmented: writing the last byte makes the new length stick.
	c, err := b.Byte(n - 1)
	if err != nil {
		return err
	}
	return b.SetByte(n-1, c)
}

// WriteAt writes p at off, growing the string as needed.
func (b *Bitmap) WriteAt(p []byte, off int64) error {
	b.grow(off + int64(len(p)))
	if !b.frag {
		if !b.owned {
			nv := make([]byte, len(b.val))
			copy(nv, b.val)
			b.val, b.owned = nv, true
		}
		copy(b.val[off:], p)
		return nil
	}
	for done := 0; done < len(p); {
		pos := off + int64(done)
		idx := uint32(pos / FragSize)
		fo := int(pos % FragSize)
		l := min(len(p)-done, FragSize-fo)
		if b.fresh || len(p)-done < FragSize || fo != 0 {
			f, err := b.wfragment(idx)
			if err != nil {
				return err
			}
			copy(f[fo:], p[done:done+l])
		} else {
			// A whole fragment is replaced: no need to read it.
			f := make([]byte, FragSize)
			copy(f, p[done:done+l])
			if b.frags == nil {
				b.frags = map[uint32][]byte{}
				b.dirty = map[uint32]bool{}
			}
			b.frags[idx] = f
			b.dirty[idx] = true
		}
		done += l
	}
	return nil
}

// SetByte writes one byte at i, growing the string as needed.
func (b *Bitmap) SetByte(i int64, v byte) error {
	var one = [1]byte{v}
	return b.WriteAt(one[:], i)
}

// Flush stores the value if it was written; the TTL is kept.
func (b *Bitmap) Flush() error {
	if !b.wrote {
		return nil
	}
	if !b.frag {
		raw := encoding.AppendStringFlags(make([]byte, 0, encoding.HeaderLen+len(b.val)), encoding.FlagStringRaw, b.m.ExpireAt, b.val)
		return b.tx.PutMeta(b.key, raw)
	}
	batch := b.tx.Batch()
	var kb []byte
	for idx := range b.dirty {
		f := b.frags[idx]
		// The last fragment stops at the string's end.
		if end := b.size - int64(idx)*FragSize; end < FragSize {
			f = f[:end]
		}
		kb = fragKey(kb[:0], b.mk, b.m.Version, idx)
		if allZero(f) {
			batch.Delete(kb)
		} else {
			batch.Set(kb, f)
		}
	}
	m := encoding.Metadata{Type: encoding.TypeString, Flags: encoding.FlagFragmented | encoding.FlagStringRaw,
		ExpireAt: b.m.ExpireAt, Version: b.m.Version, Size: uint64(b.size)}
	return b.tx.PutMeta(b.key, m.Encode(nil))
}

func allZero(p []byte) bool {
	for len(p) >= 8 {
		if binary.LittleEndian.Uint64(p) != 0 {
			return false
		}
		p = p[8:]
	}
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}

// --- bit operations ---------------------------------------------------------

// GetBit returns the bit at offset (big-endian within bytes).
func (b *Bitmap) GetBit(offset uint64) (int, error) {
	c, err := b.Byte(int64(offset >> 3))
	return int(c>>(7-offset&7)) & 1, err
}

// SetBit sets the bit at offset to v, growing the string, and returns the
// previous bit.
func (b *Bitmap) SetBit(offset uint64, v int) (int, error) {
	i := int64(offset >> 3)
	c, err := b.Byte(i)
	if err != nil {
		return 0, err
	}
	shift := 7 - offset&7
	old := int(c>>shift) & 1
	c &^= 1 << shift
	c |= byte(v&1) << shift
	return old, b.SetByte(i, c)
}

// PopCount counts the set bits of bytes [start, end] (inclusive), the first
// and last byte masked by firstMask/lastMask as Redis's BITCOUNT ... BIT
// (mask bits are excluded).
func (b *Bitmap) PopCount(start, end int64, firstMask, lastMask byte) (int64, error) {
	var n int64
	err := b.Scan(start, end+1, func(p []byte) bool {
		if len(p) > 0 && &p[0] == &zeroFrag[0] {
			return true // a missing fragment
		}
		n += popcount(p)
		return true
	})
	if err != nil {
		return 0, err
	}
	if firstMask != 0 {
		c, err := b.Byte(start)
		if err != nil {
			return 0, err
		}
		n -= int64(bits.OnesCount8(c & firstMask))
	}
	if lastMask != 0 {
		c, err := b.Byte(end)
		if err != nil {
			return 0, err
		}
		n -= int64(bits.OnesCount8(c & lastMask))
	}
	return n, nil
}

func popcount(p []byte) int64 {
	var n int
	for len(p) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	for _, c := range p {
		n += bits.OnesCount8(c)
	}
	return int64(n)
}

// FirstBit is Redis's redisBitpos over bytes [start, start+count): the
// position of the first bit equal to bit relative to start, -1 when looking
// for a 1 that is not there, count*8 when looking for a 0 in all-ones bytes.
func (b *Bitmap) FirstBit(start, count int64, bit int) (int64, error) {
	pos := int64(-1)
	at := start
	err := b.Scan(start, start+count, func(p []byte) bool {
		// Skip whole words that cannot hold the bit (zero runs of sparse
		// bitmaps are the common case).
		skip := uint64(0)
		if bit == 0 {
			skip = ^uint64(0)
		}
		i0 := 0
		for i0+8 <= len(p) && binary.LittleEndian.Uint64(p[i0:]) == skip {
			i0 += 8
		}
		for i := i0; i < len(p); i++ {
			c := p[i]
			if (bit == 1 && c != 0) || (bit == 0 && c != 0xff) {
				if bit == 0 {
					c = ^c
				}
				pos = (at-start+int64(i))*8 + int64(bits.LeadingZeros8(c))
				return false
			}
		}
		at += int64(len(p))
		return true
	})
	if err != nil {
		return 0, err
	}
	if pos < 0 && bit == 0 {
		return count * 8, nil
	}
	return pos, nil
}

// FirstBitInByte is redisBitpos over one byte value.
func FirstBitInByte(c byte, bit int) int64 {
	if bit == 0 {
		c = ^c
	}
	if c == 0 {
		if bit == 0 {
			return 8
		}
		return -1
	}
	return int64(bits.LeadingZeros8(c))
}

// BitOp operations.
const (
	BitAnd = iota
	BitOr
	BitXor
	BitNot
)

// BitOp computes op over the strings at srcs (missing keys are empty) and
// stores the result at dst (deleting dst when every source is empty). It
// returns the result length. A non-string source gives ErrWrongType.
func (tx *Tx) BitOp(op int, dst []byte, srcs [][]byte) (int64, error) {
	bms := make([]*Bitmap, len(srcs))
	var maxlen int64
	for i, k := range srcs {
		bm, err := tx.OpenBitmap(k)
		if err != nil {
			return 0, err
		}
		bms[i] = bm
		maxlen = max(maxlen, bm.Len())
	}
	if maxlen == 0 {
		_, err := tx.Delete(dst)
		return 0, err
	}
	res := make([]byte, FragSize)
	tmp := make([]byte, FragSize)
	compute := func(off int64) ([]byte, error) {
		n := min(FragSize, maxlen-off)
		out := res[:n]
		if err := bms[0].ReadAt(out, off); err != nil {
			return nil, err
		}
		if op == BitNot {
			for i := range out {
				out[i] = ^out[i]
			}
		}
		for _, bm := range bms[1:] {
			in := tmp[:n]
			if err := bm.ReadAt(in, off); err != nil {
				return nil, err
			}
			switch op {
			case BitAnd:
				for i := range out {
					out[i] &= in[i]
				}
			case BitOr:
				for i := range out {
					out[i] |= in[i]
				}
			case BitXor:
				for i := range out {
					out[i] ^= in[i]
				}
			}
		}
		return out, nil
	}
	if maxlen <= FragThreshold {
		v := make([]byte, 0, maxlen)
		for off := int64(0); off < maxlen; off += FragSize {
			out, err := compute(off)
			if err != nil {
				return 0, err
			}
			v = append(v, out...)
		}
		raw := encoding.AppendStringFlags(make([]byte, 0, encoding.HeaderLen+len(v)), encoding.FlagStringRaw, 0, v)
		return maxlen, tx.PutMeta(dst, raw)
	}
	ver := tx.e.nextVersion()
	mk := encoding.MetaKey(tx.pdb, dst)
	batch := tx.Batch()
	var kb []byte
	for off := int64(0); off < maxlen; off += FragSize {
		out, err := compute(off)
		if err != nil {
			return 0, err
		}
		if allZero(out) {
			continue
		}
		kb = fragKey(kb[:0], mk, ver, uint32(off/FragSize))
		batch.Set(kb, out)
	}
	m := encoding.Metadata{Type: encoding.TypeString, Flags: encoding.FlagFragmented | encoding.FlagStringRaw,
		Version: ver, Size: uint64(maxlen)}
	return maxlen, tx.PutMeta(dst, m.Encode(nil))
}

// --- BITFIELD ---------------------------------------------------------------

// Overflow behaviours of BITFIELD.
const (
	OverflowWrap = iota
	OverflowSat
	OverflowFail
)

// readField reads bits [offset, offset+nbits) as an unsigned number.
func (b *Bitmap) readField(offset uint64, nbits int) (uint64, error) {
	var buf [9]byte
	byteOff := int64(offset >> 3)
	if err := b.ReadAt(buf[:], byteOff); err != nil {
		return 0, err
	}
	return getUnsignedField(buf[:], offset&7, nbits), nil
}

func getUnsignedField(p []byte, offset uint64, nbits int) uint64 {
	var v uint64
	for j := 0; j < nbits; j++ {
		c := p[offset>>3]
		v = v<<1 | uint64(c>>(7-offset&7))&1
		offset++
	}
	return v
}

func setUnsignedField(p []byte, offset uint64, nbits int, v uint64) {
	for j := 0; j < nbits; j++ {
		bit := byte(v>>(nbits-1-j)) & 1
		i := offset >> 3
		shift := 7 - offset&7
		p[i] = p[i]&^(1<<shift) | bit<<shift
		offset++
	}
}

// writeField writes v into bits [offset, offset+nbits).
func (b *Bitmap) writeField(offset uint64, nbits int, v uint64) error {
	var buf [9]byte
	byteOff := int64(offset >> 3)
	n := int64((offset&7 + uint64(nbits) + 7) / 8)
	if err := b.ReadAt(buf[:n], byteOff); err != nil {
		return err
	}
	setUnsignedField(buf[:], offset&7, nbits, v)
	return b.WriteAt(buf[:n], byteOff)
}

// FieldGet reads a signed or unsigned field.
func (b *Bitmap) FieldGet(offset uint64, nbits int, signed bool) (int64, error) {
	u, err := b.readField(offset, nbits)
	if err != nil {
		return 0, err
	}
	if signed && nbits < 64 && u&(1<<(nbits-1)) != 0 {
		u |= ^uint64(0) << nbits
	}
	return int64(u), nil
}

// FieldSetOrIncr runs BITFIELD SET (incr false: value is the new value) or
// INCRBY (value is the increment) with overflow mode ow. It returns the
// reply value (old value for SET, new for INCRBY), false when FAIL
// refused the write (reply nil), and whether the field's value changed.
func (b *Bitmap) FieldSetOrIncr(offset uint64, nbits int, signed, incr bool, value int64, ow int) (int64, bool, bool, error) {
	old, err := b.FieldGet(offset, nbits, signed)
	if err != nil {
		return 0, false, false, err
	}
	var newval, ret int64
	var overflow bool
	if signed {
		if incr {
			w, of := checkSignedOverflow(old, value, nbits, ow)
			overflow = of
			newval = old + value
			if of {
				newval = w
			}
			ret = newval
		} else {
			w, of := checkSignedOverflow(value, 0, nbits, ow)
			overflow = of
			newval = value
			if of {
				newval = w
			}
			ret = old
		}
	} else {
		uold := uint64(old)
		var unew uint64
		if incr {
			unew = uold + uint64(value)
			w, of := checkUnsignedOverflow(uold, value, nbits, ow)
			overflow = of
			if of {
				unew = w
			}
			ret = int64(unew)
		} else {
			unew = uint64(value)
			w, of := checkUnsignedOverflow(unew, 0, nbits, ow)
			overflow = of
			if of {
				unew = w
			}
			ret = old
		}
		newval = int64(unew)
	}
	if overflow && ow == OverflowFail {
		return 0, false, false, nil
	}
	return ret, true, old != newval, b.writeField(offset, nbits, uint64(newval))
}

// checkUnsignedOverflow is Redis's checkUnsignedBitfieldOverflow: the
// wrapped or saturated value and whether value+incr overflows.
func checkUnsignedOverflow(value uint64, incr int64, nbits int, ow int) (uint64, bool) {
	maxv := uint64(1)<<nbits - 1
	if nbits == 64 {
		maxv = ^uint64(0)
	}
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	if value > maxv || (incr > 0 && incr > maxincr) {
		if ow == OverflowWrap {
			return (value + uint64(incr)) &^ (^uint64(0) << nbits), true
		}
		return maxv, true
	} else if incr < 0 && incr < minincr {
		if ow == OverflowWrap {
			return (value + uint64(incr)) &^ (^uint64(0) << nbits), true
		}
		return 0, true
	}
	return 0, false
}

// checkSignedOverflow is Redis's checkSignedBitfieldOverflow.
func checkSignedOverflow(value, incr int64, nbits int, ow int) (int64, bool) {
	maxv := int64(1)<<(nbits-1) - 1
	if nbits == 64 {
		maxv = 1<<63 - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if nbits < 64 {
			mask := ^uint64(0) << nbits
			if c&(1<<(nbits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	if value > maxv || (nbits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
		if ow == OverflowWrap {
			return wrap(), true
		}
		return maxv, true
	} else if value < minv || (nbits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
		if ow == OverflowWrap {
			return wrap(), true
		}
		return minv, true
	}
	return 0, false
}

// --- strings ----------------------------------------------------------------

// StringLen returns the length of key's string without reading a
// fragmented value.
func (tx *Tx) StringLen(key []byte) (int64, bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return 0, false, err
	}
	if m.Type != encoding.TypeString {
		return 0, true, ErrWrongType
	}
	if m.Flags&encoding.FlagFragmented != 0 {
		return int64(m.Size), true, nil
	}
	return int64(len(m.Value)), true, nil
}

// StringRange returns bytes [start, end] (inclusive, already clamped into
// the string) of key's value, reading only the fragments it needs.
func (tx *Tx) StringRange(key []byte, start, end int64) ([]byte, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return nil, err
	}
	if m.Type != encoding.TypeString {
		return nil, ErrWrongType
	}
	if m.Flags&encoding.FlagFragmented == 0 {
		return m.Value[start : end+1], nil // inline: no allocation
	}
	b, err := tx.OpenBitmap(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, end-start+1)
	return out, b.ReadAt(out, start)
}
