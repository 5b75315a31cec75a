package rdb

import "hash/crc64"

// Redis uses CRC-64/Jones (reflected polynomial 0x95ac9329ac4bc9b5, initial
// value 0, no final xor). Go's crc64 complements before and after, so the
// state is kept complemented around each Update call.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC64 continues a Redis CRC-64 over p.
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}
