package rdb

import (
	"errors"
	"math"
	"sync"
)

// LZF as Redis uses it for RDB strings (rdbSaveLzfStringObject /
// rdbLoadLzfStringObject): liblzf 3.6 built with HLOG 16, VERY_FAST and
// hash slots kept as offsets. This is the only LZF code in Shale.

var errLZF = errors.New("invalid LZF compressed string")

// lzfMaxRatio bounds LZF's expansion: the best a compressed byte can do is
// a three-byte back reference producing 264 bytes.
const lzfMaxRatio = 88

const (
	lzfHlog   = 16
	lzfHsize  = 1 << lzfHlog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
	// lzfSlack is room past the output limit: like the C code, the
	// compressor may step a few bytes past it before rejecting the result.
	lzfSlack = 8
)

// lzfCompressor holds liblzf's hash table between calls. Each call sees
// a table as good as all zeros (liblzf with INIT_HTAB), so the output is a
// function of the input alone and equals what Redis writes whenever
// Redis's own (uninitialised) table does not hand it a stale match. The
// table is not cleared per call: slots hold position+base, and base moves
// past every position of the previous input, so older slots read as
// negative positions, which never match.
type lzfCompressor struct {
	htab [lzfHsize]uint32
	base int
}

var lzfPool = sync.Pool{New: func() any { return new(lzfCompressor) }}

func lzfIdx(h uint32) uint32 { return ((h >> (3*8 - lzfHlog)) - h*5) & (lzfHsize - 1) }

// AppendLZF appends in, LZF-compressed, to dst when the compressed form
// takes at most limit bytes; otherwise it returns false and dst with its
// length and contents unchanged (its capacity may have grown).
func AppendLZF(dst, in []byte, limit int) ([]byte, bool) {
	c := lzfPool.Get().(*lzfCompressor)
	dst, ok := c.compress(dst, in, limit)
	lzfPool.Put(c)
	return dst, ok
}

// compress is lzf_compress: it appends the compressed form of in to dst,
// or returns false (and dst at its original length) when that needs more
// than limit bytes.
func (c *lzfCompressor) compress(dst, in []byte, limit int) ([]byte, bool) {
	inEnd := len(in)
	if inEnd < 3 || limit <= 0 {
		return dst, false
	}
	start := len(dst)
	if cap(dst)-start < limit+lzfSlack {
		grown := make([]byte, start, start+limit+lzfSlack)
		copy(grown, dst)
		dst = grown
	}
	out := dst[start : start+limit+lzfSlack]
	htab := &c.htab
	if c.base == 0 || c.base+inEnd >= math.MaxUint32 {
		if inEnd >= math.MaxUint32-1 {
			return dst, false
		}
		clear(htab[:])
		c.base = 1 // an empty slot (0) is position -1
	}
	hb := c.base
	c.base += inEnd

	ip, op, lit := 0, 1, 0 // op = 1: start a literal run
	hval := uint32(in[0])<<8 | uint32(in[1])
	for ip < inEnd-2 {
		hval = hval<<8 | uint32(in[ip+2])
		slot := lzfIdx(hval)
		ref := int(htab[slot]) - hb
		htab[slot] = uint32(ip + hb)
		off := ip - ref - 1
		if ref < ip && off < lzfMaxOff && ref > 0 &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			n := 2
			maxlen := min(inEnd-ip-n, lzfMaxRef)
			if op+3+1 >= limit {
				undo := 0
				if lit == 0 {
					undo = 1
				}
				if op-undo+3+1 >= limit {
					return dst, false
				}
			}
			out[op-lit-1] = byte(lit - 1) // stop the run
			if lit == 0 {
				op-- // undo the run: it is empty
			}
			// Extend the match (liblzf's first 16 steps are unrolled; a
			// mismatch among them skips the general loop).
			full := true
			if maxlen > 16 {
				for k := 0; k < 16; k++ {
					n++
					if in[ref+n] != in[ip+n] {
						full = false
						break
					}
				}
			}
			if full {
				for {
					n++
					if n >= maxlen || in[ref+n] != in[ip+n] {
						break
					}
				}
			}
			n -= 2 // octets - 1
			ip++
			if n < 7 {
				out[op] = byte(off>>8 + n<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(n - 7)
				op += 2
			}
			out[op] = byte(off)
			op += 2 // the offset's low byte, then start a run
			lit = 0
			ip += n + 1
			if ip >= inEnd-2 {
				break
			}
			// VERY_FAST: hash the two positions before the new ip.
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = uint32(ip + hb)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = uint32(ip + hb)
			ip++
			continue
		}
		if op >= limit {
			return dst, false
		}
		op, lit = lzfLiteral(out, op, lit, in[ip])
		ip++
	}
	if op+3 > limit { // at most three bytes can be missing here
		return dst, false
	}
	for ; ip < inEnd; ip++ {
		op, lit = lzfLiteral(out, op, lit, in[ip])
	}
	out[op-lit-1] = byte(lit - 1) // end the run
	if lit == 0 {
		op--
	}
	if op > limit {
		return dst, false
	}
	return dst[:start+op], true
}

// lzfLiteral adds b to the current literal run, closing the run at its
// maximum length.
func lzfLiteral(out []byte, op, lit int, b byte) (int, int) {
	out[op] = b
	op++
	lit++
	if lit == lzfMaxLit {
		out[op-lit-1] = byte(lit - 1) // stop the run
		lit = 0
		op++ // start a run
	}
	return op, lit
}

// LZFDecompress is lzf_decompress: it returns in decompressed, which must
// be exactly outLen bytes long.
func LZFDecompress(in []byte, outLen int) ([]byte, error) { return lzfDecompress(in, outLen) }

// lzfDecompress decompresses in into a buffer of exactly outLen bytes.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	if outLen < 0 || outLen/lzfMaxRatio > len(in) {
		return nil, errLZF // more than any LZF input of this size yields
	}
	out := make([]byte, 0, outLen)
	i := 0
	for i < len(in) {
		ctrl := int(in[i])
		i++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > outLen {
				return nil, errLZF
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1
		if n == 7 {
			if i >= len(in) {
				return nil, errLZF
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errLZF
		}
		ref -= int(in[i])
		i++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, errLZF
		}
		if len(out)-ref >= n { // source and destination do not overlap
			out = append(out, out[ref:ref+n]...)
			continue
		}
		for k := 0; k < n; k++ { // byte by byte: the source overlaps the output
			out = append(out, out[ref+k])
		}
	}
	if len(out) != outLen {
		return nil, errLZF
	}
	return out, nil
}
