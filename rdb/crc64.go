package rdb

import "encoding/binary"

// Redis uses CRC-64/Jones (reflected polynomial 0x95ac9329ac4bc9b5, initial
// value 0, no final xor). Go's hash/crc64 only has a fast (slicing-by-8)
// path for its two built-in polynomials, and its byte-at-a-time loop was
// 7% of an RDB import, so the table is sliced here (as Redis's crcspeed).
var jonesTables = func() (t [8][256]uint64) {
	const poly = 0x95ac9329ac4bc9b5
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return t
}()

// CRC64 continues a Redis CRC-64 over p.
func CRC64(crc uint64, p []byte) uint64 {
	t := &jonesTables
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}
