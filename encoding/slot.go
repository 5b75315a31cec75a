package encoding

// SlotCount is the number of Redis Cluster hash slots.
const SlotCount = 16384

// crc16tab is CRC16-CCITT (XMODEM), the checksum Redis Cluster uses for key slots.
var crc16tab = func() (t [256]uint16) {
	for i := 0; i < 256; i++ {
		crc := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return
}()

// CRC16 returns the XMODEM CRC16 of b.
func CRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^c]
	}
	return crc
}

// Slot returns the cluster hash slot of key, honouring the {hash tag} rule:
// if the key holds a '{' followed later by a '}' with at least one byte in
// between, only the bytes between the first '{' and the next '}' are hashed.
func Slot(key []byte) uint16 {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						key = key[i+1 : j]
					}
					return CRC16(key) & (SlotCount - 1)
				}
			}
			break
		}
	}
	return CRC16(key) & (SlotCount - 1)
}
