package encoding

import (
	"encoding/binary"
	"math"
)

// EncodeScore maps a float64 onto 8 bytes whose unsigned big-endian order is
// the numeric order: -inf < negative numbers < 0 < positive numbers < +inf.
// Negative zero is folded onto zero so both sort (and compare) equal, as in
// Redis's skiplist. NaN is never stored (Redis rejects it before this point).
func EncodeScore(dst []byte, f float64) []byte {
	if f == 0 {
		f = 0 // folds -0 onto +0
	}
	bits := math.Float64bits(f)
	if bits&(1<<63) != 0 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(dst, bits)
}

// DecodeScore is the inverse of EncodeScore (negative zero decodes as zero).
func DecodeScore(b []byte) float64 {
	bits := binary.BigEndian.Uint64(b)
	if bits&(1<<63) != 0 {
		bits &^= 1 << 63
	} else {
		bits = ^bits
	}
	return math.Float64frombits(bits)
}
