package engine

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/shaledb/shale/encoding"
)

// HyperLogLog in Redis's own representation, so values move between Redis
// and Shale with GET/SET and PFCOUNT answers the same integer: a string
// starting with the 16-byte header "HYLL" | encoding | 3 unused | cached
// cardinality (u64 little-endian, bit 63 of the last byte set = stale),
// followed by the registers, sparse (run-length opcodes) or dense (16384
// registers of 6 bits, little-endian bit packing). The hash is
// MurmurHash64A with seed 0xadc83b19; the estimator is Redis 7's (Ertl's
// improved raw estimator, hllCount with tau/sigma).

const (
	hllP          = 14
	hllQ          = 64 - hllP
	hllRegisters  = 1 << hllP
	hllPMask      = hllRegisters - 1
	hllBits       = 6
	hllRegMax     = (1 << hllBits) - 1
	hllHdrSize    = 16
	hllDenseSize  = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense      = 0
	hllSparse     = 1
	hllMaxEncode  = 1
	hllAlphaInf   = 0.721347520444481703680
	sparseValMax  = 32
	sparseValLen  = 4
	sparseZeroMax = 64
	sparseXZMax   = 16384
)

// HLL errors, with their Redis codes.
var (
	ErrHLLWrongType = errors.New("WRONGTYPE Key is not a valid HyperLogLog string value.")
	ErrHLLCorrupt   = errors.New("INVALIDOBJ Corrupted HLL object detected")
	ErrHLLNoKey     = errors.New("ERR The specified key does not exist")
	ErrHLLNotSparse = errors.New("ERR HLL encoding is not sparse")
)

// murmurHash64A is Redis's MurmurHash64A (little-endian reads).
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register index of ele and the length of its
// "000..1" pattern (1..Q+1), as Redis's hllPatLen.
func hllPatLen(ele []byte) (int, uint8) {
	hash := murmurHash64A(ele, 0xadc83b19)
	index := int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ
	count := uint8(1)
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

// Dense register access. The last register ends inside the last byte, so
// the second byte is only touched when it exists.
func denseGet(regs []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(regs[b]) >> fb
	if b+1 < len(regs) {
		v |= uint(regs[b+1]) << (8 - fb)
	}
	return uint8(v & hllRegMax)
}

func denseSet(regs []byte, i int, val uint8) {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	regs[b] &^= byte(hllRegMax << fb)
	regs[b] |= byte(v << fb)
	if b+1 < len(regs) {
		regs[b+1] &^= byte(hllRegMax >> (8 - fb))
		regs[b+1] |= byte(v >> (8 - fb))
	}
}

// Sparse opcodes: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx.
func spIsZero(b byte) bool  { return b&0xc0 == 0 }
func spIsXZero(b byte) bool { return b&0xc0 == 0x40 }
func spIsVal(b byte) bool   { return b&0x80 != 0 }
func spZeroLen(b byte) int  { return int(b&0x3f) + 1 }
func spXZeroLen(b0, b1 byte) int {
	return (int(b0&0x3f)<<8 | int(b1)) + 1
}
func spValValue(b byte) int { return int(b>>2&0x1f) + 1 }
func spValLen(b byte) int   { return int(b&0x3) + 1 }
func spVal(val, n int) byte { return byte((val-1)<<2|(n-1)) | 0x80 }
func spZero(n int) byte     { return byte(n - 1) }
func spXZero(n int) (byte, byte) {
	l := n - 1
	return byte(l>>8) | 0x40, byte(l & 0xff)
}

// NewHLL returns an empty HyperLogLog: sparse, all registers zero, cached
// cardinality 0 (Redis's createHLLObject).
func NewHLL() []byte {
	h := make([]byte, hllHdrSize, hllHdrSize+2*((hllRegisters+sparseXZMax-1)/sparseXZMax))
	copy(h, "HYLL")
	h[4] = hllSparse
	for aux := hllRegisters; aux > 0; {
		n := min(aux, sparseXZMax)
		b0, b1 := spXZero(n)
		h = append(h, b0, b1)
		aux -= n
	}
	return h
}

// IsHLL reports whether v is a valid HyperLogLog string (Redis's
// isHLLObjectOrReply checks).
func IsHLL(v []byte) bool {
	if len(v) < hllHdrSize || string(v[:4]) != "HYLL" || v[4] > hllMaxEncode {
		return false
	}
	return v[4] != hllDense || len(v) == hllDenseSize
}

func hllInvalidate(h []byte) { h[15] |= 0x80 }

func hllValidCache(h []byte) bool { return h[15]&0x80 == 0 }

// hllToDense converts a sparse HLL to dense (returns h itself when already
// dense). ok is false for a corrupt sparse representation.
func hllToDense(h []byte) ([]byte, bool) {
	if h[4] == hllDense {
		return h, true
	}
	d := make([]byte, hllDenseSize)
	copy(d, h[:hllHdrSize]) // magic and cached cardinality
	d[4] = hllDense
	regs := d[hllHdrSize:]
	idx := 0
	p := hllHdrSize
	for p < len(h) {
		switch b := h[p]; {
		case spIsZero(b):
			idx += spZeroLen(b)
			p++
		case spIsXZero(b):
			if p+1 >= len(h) {
				return nil, false
			}
			idx += spXZeroLen(b, h[p+1])
			p += 2
		default:
			n, v := spValLen(b), spValValue(b)
			if idx+n > hllRegisters {
				p = len(h) // overflow: Redis stops and reports corruption
				break
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, uint8(v))
				idx++
			}
			p++
		}
	}
	if idx != hllRegisters {
		return nil, false
	}
	return d, true
}

// hllSparseSet sets register index to count if greater (Redis's
// hllSparseSet). It returns the new value (possibly promoted to dense),
// 1 if changed, 0 if not, -1 for a corrupt value.
func hllSparseSet(h []byte, index int, count uint8, maxBytes int) ([]byte, int) {
	if count > sparseValMax {
		return hllPromote(h, index, count)
	}
	end := len(h)
	p := hllHdrSize
	first, span := 0, 0
	prev := -1
	for p < end {
		oplen := 1
		b := h[p]
		switch {
		case spIsZero(b):
			span = spZeroLen(b)
		case spIsVal(b):
			span = spValLen(b)
		default:
			if p+1 >= end {
				return h, -1
			}
			span = spXZeroLen(b, h[p+1])
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return h, -1
	}
	b := h[p]
	isZero, isXZero, isVal := spIsZero(b), spIsXZero(b), spIsVal(b)
	var runlen int
	switch {
	case isZero:
		runlen = spZeroLen(b)
	case isXZero:
		runlen = spXZeroLen(b, h[p+1])
	default:
		runlen = spValLen(b)
	}
	updated := false
	if isVal {
		if uint8(spValValue(b)) >= count {
			return h, 0
		}
		if runlen == 1 {
			h[p] = spVal(int(count), 1)
			updated = true
		}
	}
	if !updated && isZero && runlen == 1 {
		h[p] = spVal(int(count), 1)
		updated = true
	}
	if !updated {
		var seq [5]byte
		n := 0
		last := first + span - 1
		if isZero || isXZero {
			if index != first {
				l := index - first
				if l > sparseZeroMax {
					seq[n], seq[n+1] = spXZero(l)
					n += 2
				} else {
					seq[n] = spZero(l)
					n++
				}
			}
			seq[n] = spVal(int(count), 1)
			n++
			if index != last {
				l := last - index
				if l > sparseZeroMax {
					seq[n], seq[n+1] = spXZero(l)
					n += 2
				} else {
					seq[n] = spZero(l)
					n++
				}
			}
		} else {
			cur := spValValue(b)
			if index != first {
				seq[n] = spVal(cur, index-first)
				n++
			}
			seq[n] = spVal(int(count), 1)
			n++
			if index != last {
				seq[n] = spVal(cur, last-index)
				n++
			}
		}
		oldlen := 1
		if isXZero {
			oldlen = 2
		}
		delta := n - oldlen
		if delta > 0 && len(h)+delta > maxBytes {
			return hllPromote(h, index, count)
		}
		next := p + oldlen
		if delta > 0 {
			h = append(h, seq[:delta]...) // room; overwritten by the shift
		}
		copy(h[next+delta:], h[next:end])
		h = h[:end+delta]
		copy(h[p:], seq[:n])
		end += delta
	}
	// Merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes
	// from the previous one.
	p = hllHdrSize
	if prev >= 0 {
		p = prev
	}
	for scan := 5; p < end && scan > 0; scan-- {
		b := h[p]
		if spIsXZero(b) {
			p += 2
			continue
		} else if spIsZero(b) {
			p++
			continue
		}
		if p+1 < end && spIsVal(h[p+1]) {
			v1, v2 := spValValue(b), spValValue(h[p+1])
			if v1 == v2 {
				l := spValLen(b) + spValLen(h[p+1])
				if l <= sparseValLen {
					h[p+1] = spVal(v1, l)
					copy(h[p:], h[p+1:end])
					end--
					h = h[:end]
					continue
				}
			}
		}
		p++
	}
	hllInvalidate(h)
	return h, 1
}

func hllPromote(h []byte, index int, count uint8) ([]byte, int) {
	d, ok := hllToDense(h)
	if !ok {
		return h, -1
	}
	regs := d[hllHdrSize:]
	if count > denseGet(regs, index) {
		denseSet(regs, index, count)
	}
	return d, 1
}

// hllSet sets one register of h to count if greater, in either encoding.
func hllSet(h []byte, index int, count uint8, maxBytes int) ([]byte, int) {
	switch h[4] {
	case hllDense:
		regs := h[hllHdrSize:]
		if count > denseGet(regs, index) {
			denseSet(regs, index, count)
			return h, 1
		}
		return h, 0
	case hllSparse:
		return hllSparseSet(h, index, count, maxBytes)
	}
	return h, -1
}

// hllAdd adds one element (Redis's hllAdd).
func hllAdd(h []byte, ele []byte, maxBytes int) ([]byte, int) {
	idx, count := hllPatLen(ele)
	return hllSet(h, idx, count, maxBytes)
}

// hllHisto fills the register histogram of h; ok is false for a corrupt
// sparse value.
func hllHisto(h []byte, histo *[64]int) bool {
	if h[4] == hllDense {
		regs := h[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			histo[denseGet(regs, i)]++
		}
		return true
	}
	idx := 0
	for p := hllHdrSize; p < len(h); {
		switch b := h[p]; {
		case spIsZero(b):
			n := spZeroLen(b)
			idx += n
			histo[0] += n
			p++
		case spIsXZero(b):
			if p+1 >= len(h) {
				return false
			}
			n := spXZeroLen(b, h[p+1])
			idx += n
			histo[0] += n
			p += 2
		default:
			n := spValLen(b)
			idx += n
			histo[spValValue(b)] += n
			p++
		}
	}
	return idx == hllRegisters
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y := 1.0
	z := x
	for {
		x = float64(x * x)
		zPrime := z
		z += float64(x * y) // explicit conversions: no fused multiply-add
		y += y
		if zPrime == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y := 1.0
	z := 1 - x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zPrime == z {
			return z / 3
		}
	}
}

// hllEstimate is Redis 7's hllCount estimator over a register histogram.
func hllEstimate(histo *[64]int) uint64 {
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(histo[0])/m))
	e := hllAlphaInf * m * m / z
	return uint64(math.Round(e)) // llroundl: half away from zero
}

// hllCount computes the cardinality of h (ignoring the cache).
func hllCount(h []byte) (uint64, bool) {
	var histo [64]int
	if !hllHisto(h, &histo) {
		return 0, false
	}
	return hllEstimate(&histo), true
}

// hllMergeInto raises max[i] to h's register i (Redis's hllMerge).
func hllMergeInto(max *[hllRegisters]uint8, h []byte) bool {
	if h[4] == hllDense {
		regs := h[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			if v := denseGet(regs, i); v > max[i] {
				max[i] = v
			}
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(h); {
		switch b := h[p]; {
		case spIsZero(b):
			i += spZeroLen(b)
			p++
		case spIsXZero(b):
			if p+1 >= len(h) {
				return false
			}
			i += spXZeroLen(b, h[p+1])
			p += 2
		default:
			n, v := spValLen(b), uint8(spValValue(b))
			if i+n > hllRegisters {
				return false
			}
			for ; n > 0; n-- {
				if v > max[i] {
					max[i] = v
				}
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

// --- Tx operations --------------------------------------------------------

// hllLookup returns key's HLL value (a copy the caller may modify), its
// metadata and whether it exists. A non-string key gives ErrWrongType, a
// string that is no HLL ErrHLLWrongType.
func (tx *Tx) hllLookup(key []byte) ([]byte, encoding.Metadata, bool, error) {
	m, ok, err := tx.GetStringMeta(key)
	if err != nil || !ok {
		return nil, m, ok, err
	}
	if !IsHLL(m.Value) {
		return nil, m, true, ErrHLLWrongType
	}
	v := make([]byte, len(m.Value), len(m.Value)+8)
	copy(v, m.Value)
	return v, m, true, nil
}

// hllStore writes an HLL value back, keeping the TTL. Redis builds these
// values as raw strings.
func (tx *Tx) hllStore(key, v []byte, expireAt int64) error {
	raw := encoding.AppendStringFlags(make([]byte, 0, encoding.HeaderLen+len(v)), encoding.FlagStringRaw, expireAt, v)
	return tx.PutMeta(key, raw)
}

// PFAdd adds elements to the HLL at key (created if missing) and reports
// whether a register changed or the key was created. maxBytes is
// hll-sparse-max-bytes.
func (tx *Tx) PFAdd(key []byte, elems [][]byte, maxBytes int) (bool, error) {
	h, m, ok, err := tx.hllLookup(key)
	if err != nil {
		return false, err
	}
	updated := 0
	if !ok {
		h = NewHLL()
		m.ExpireAt = 0
		updated++
	}
	for _, e := range elems {
		var r int
		h, r = hllAdd(h, e, maxBytes)
		if r < 0 {
			return false, ErrHLLCorrupt
		}
		updated += r
	}
	if updated == 0 {
		return false, nil
	}
	hllInvalidate(h)
	return true, tx.hllStore(key, h, m.ExpireAt)
}

// PFCount returns the cardinality of the union of the HLLs at keys
// (missing keys are empty). With one key the cached cardinality is used,
// or computed and stored back in the value as Redis does.
func (tx *Tx) PFCount(keys [][]byte) (uint64, error) {
	if len(keys) == 1 {
		// The cached cardinality is read without copying the value.
		m, ok, err := tx.GetStringMeta(keys[0])
		if err != nil || !ok {
			return 0, err
		}
		if !IsHLL(m.Value) {
			return 0, ErrHLLWrongType
		}
		if hllValidCache(m.Value) {
			return binary.LittleEndian.Uint64(m.Value[8:16]), nil
		}
		h := append([]byte(nil), m.Value...)
		card, ok := hllCount(h)
		if !ok {
			return 0, ErrHLLCorrupt
		}
		binary.LittleEndian.PutUint64(h[8:16], card)
		return card, tx.hllStore(keys[0], h, m.ExpireAt)
	}
	var max [hllRegisters]uint8
	for _, k := range keys {
		m, ok, err := tx.GetStringMeta(k)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if !IsHLL(m.Value) {
			return 0, ErrHLLWrongType
		}
		if !hllMergeInto(&max, m.Value) {
			return 0, ErrHLLCorrupt
		}
	}
	var histo [64]int
	for _, v := range max {
		histo[v]++
	}
	return hllEstimate(&histo), nil
}

// PFMerge merges the HLLs at srcs (and dst itself) into dst.
func (tx *Tx) PFMerge(dst []byte, srcs [][]byte, maxBytes int) error {
	var max [hllRegisters]uint8
	useDense := false
	merge := func(k []byte) error {
		h, _, ok, err := tx.hllLookup(k)
		if err != nil || !ok {
			return err
		}
		if h[4] == hllDense {
			useDense = true
		}
		if !hllMergeInto(&max, h) {
			return ErrHLLCorrupt
		}
		return nil
	}
	if err := merge(dst); err != nil {
		return err
	}
	for _, k := range srcs {
		if err := merge(k); err != nil {
			return err
		}
	}
	h, m, ok, err := tx.hllLookup(dst)
	if err != nil {
		return err
	}
	if !ok {
		h = NewHLL()
		m.ExpireAt = 0
	}
	if useDense {
		var ok bool
		if h, ok = hllToDense(h); !ok {
			return ErrHLLCorrupt
		}
	}
	for j := 0; j < hllRegisters; j++ {
		if max[j] != 0 {
			h, _ = hllSet(h, j, max[j], maxBytes)
		}
	}
	hllInvalidate(h)
	return tx.hllStore(dst, h, m.ExpireAt)
}

// PFDebug runs a PFDEBUG subcommand (lowercased sub: getreg, decode,
// encoding, todense). It returns the registers (getreg), the decoded text
// (decode), the encoding name (encoding) or whether it converted (todense).
// ok is false for an unknown subcommand.
func (tx *Tx) PFDebug(sub string, key []byte) (regs []int64, text string, converted bool, ok bool, err error) {
	h, m, exists, err := tx.hllLookup(key)
	if err != nil {
		return nil, "", false, true, err
	}
	if !exists {
		return nil, "", false, true, ErrHLLNoKey
	}
	switch sub {
	case "getreg", "todense":
		if h[4] == hllSparse {
			d, ok := hllToDense(h)
			if !ok {
				return nil, "", false, true, ErrHLLCorrupt
			}
			h = d
			converted = true
			if err := tx.hllStore(key, h, m.ExpireAt); err != nil {
				return nil, "", false, true, err
			}
		}
		if sub == "getreg" {
			regs = make([]int64, hllRegisters)
			for i := range regs {
				regs[i] = int64(denseGet(h[hllHdrSize:], i))
			}
		}
		return regs, "", converted, true, nil
	case "decode":
		if h[4] != hllSparse {
			return nil, "", false, true, ErrHLLNotSparse
		}
		var out []byte
		for p := hllHdrSize; p < len(h); {
			if len(out) > 0 {
				out = append(out, ' ')
			}
			switch b := h[p]; {
			case spIsZero(b):
				out = append(out, "z:"...)
				out = appendInt(out, spZeroLen(b))
				p++
			case spIsXZero(b) && p+1 < len(h):
				out = append(out, "Z:"...)
				out = appendInt(out, spXZeroLen(b, h[p+1]))
				p += 2
			case spIsXZero(b):
				out = append(out, "Z:"...)
				out = appendInt(out, spXZeroLen(b, 0))
				p += 2
			default:
				out = append(out, "v:"...)
				out = appendInt(out, spValValue(b))
				out = append(out, ',')
				out = appendInt(out, spValLen(b))
				p++
			}
		}
		return nil, string(out), false, true, nil
	case "encoding":
		if h[4] == hllDense {
			return nil, "dense", false, true, nil
		}
		return nil, "sparse", false, true, nil
	}
	return nil, "", false, false, nil
}

func appendInt(dst []byte, n int) []byte {
	if n >= 10 {
		dst = appendInt(dst, n/10)
	}
	return append(dst, byte('0'+n%10))
}

// HLLSelfTest checks the register encodings and the estimator the way
// Redis's PFSELFTEST does; it returns a description of the first failure.
func HLLSelfTest() string {
	// Dense registers: set random values, read them back.
	regs := make([]byte, hllDenseSize-hllHdrSize)
	want := make([]uint8, hllRegisters)
	seed := uint64(0x9e3779b97f4a7c15)
	for round := 0; round < 100; round++ {
		for i := range want {
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			want[i] = uint8(seed & hllRegMax)
			denseSet(regs, i, want[i])
		}
		for i := range want {
			if denseGet(regs, i) != want[i] {
				return "TESTFAILED Register error at " + string(appendInt(nil, i))
			}
		}
	}
	// Sparse and dense must agree, and the estimate stay within bounds.
	sparse := NewHLL()
	dense, _ := hllToDense(NewHLL())
	var ele [8]byte
	relerr := 1.04 / math.Sqrt(hllRegisters)
	checkpoint := uint64(1)
	for j := uint64(1); j <= 10000000; j++ {
		binary.LittleEndian.PutUint64(ele[:], j)
		dense, _ = hllAdd(dense, ele[:], 0)
		if sparse != nil {
			sparse, _ = hllAdd(sparse, ele[:], 3000)
			if sparse[4] == hllDense {
				sparse = nil
			}
		}
		if j != checkpoint {
			continue
		}
		checkpoint *= 10
		abserr := float64(j) * relerr
		if j == 10 {
			abserr = 1
		}
		if j >= 100000 {
			abserr *= 1.25
		}
		if j >= 10000000 {
			abserr *= 1.25
		}
		card, _ := hllCount(dense)
		if sparse != nil {
			if c2, _ := hllCount(sparse); c2 != card {
				return "TESTFAILED sparse and dense estimates differ"
			}
		}
		if math.Abs(float64(j)-float64(card)) > abserr*5 {
			return "TESTFAILED too big error. card:" + string(appendInt(nil, int(card))) + " abserr:" + string(appendInt(nil, int(abserr)))
		}
	}
	return ""
}
