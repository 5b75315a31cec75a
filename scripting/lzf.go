package scripting

// lzfCompress is liblzf 3.6's lzf_compress as Redis builds it (HLOG 16,
// VERY_FAST, hash slots as offsets), so FUNCTION DUMP payloads are byte for
// byte what Redis writes. It returns nil when the result would not fit in
// outLen bytes. (Redis leaves its hash table uninitialised; a stale slot can
// in rare cases make Redis find an extra match, which changes the bytes but
// not the data.)
func lzfCompress(in []byte, outLen int) []byte {
	const (
		hlog   = 16
		hsize  = 1 << hlog
		maxLit = 1 << 5
		maxOff = 1 << 13
		maxRef = (1 << 8) + (1 << 3)
	)
	inEnd := len(in)
	if inEnd < 3 || outLen <= 0 {
		return nil
	}
	htab := make([]uint32, hsize)
	// Slack past outLen: the C code may advance op past the end before
	// its checks reject the result.
	out := make([]byte, outLen+8)
	frst := func(p int) uint32 { return uint32(in[p])<<8 | uint32(in[p+1]) }
	next := func(v uint32, p int) uint32 { return v<<8 | uint32(in[p+2]) }
	idx := func(h uint32) uint32 { return ((h >> (3*8 - hlog)) - h*5) & (hsize - 1) }
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}

	ip, op, lit := 0, 1, 0 // op++: start run
	hval := frst(ip)
	for ip < inEnd-2 {
		hval = next(hval, ip)
		slot := idx(hval)
		ref := int(htab[slot])
		htab[slot] = uint32(ip)
		off := ip - ref - 1
		if ref < ip && off < maxOff && ref > 0 &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			n := 2
			maxlen := inEnd - ip - n
			if maxlen > maxRef {
				maxlen = maxRef
			}
			if op+3+1 >= outLen && op-b2i(lit == 0)+3+1 >= outLen {
				return nil
			}
			out[op-lit-1] = byte(lit - 1) // stop run
			op -= b2i(lit == 0)           // undo run if length is zero
			matched := false
			if maxlen > 16 {
				matched = true
				for k := 0; k < 16; k++ {
					n++
					if in[ref+n] != in[ip+n] {
						matched = false
						break
					}
				}
			}
			if maxlen <= 16 || matched {
				for {
					n++
					if !(n < maxlen && in[ref+n] == in[ip+n]) {
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
			op++
			lit = 0
			op++ // start run
			ip += n + 1
			if ip >= inEnd-2 {
				break
			}
			ip -= 2
			hval = frst(ip)
			hval = next(hval, ip)
			htab[idx(hval)] = uint32(ip)
			ip++
			hval = next(hval, ip)
			htab[idx(hval)] = uint32(ip)
			ip++
			continue
		}
		if op >= outLen {
			return nil
		}
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == maxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if op+3 > outLen {
		return nil
	}
	for ip < inEnd {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == maxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1) // end run
	op -= b2i(lit == 0)
	if op > outLen {
		return nil
	}
	return out[:op]
}

// appendRDBString appends s as Redis's rdbSaveRawString does for strings
// that are not integers: LZF-compressed when compress is set, s is longer
// than 20 bytes and compression saves at least four bytes.
func appendRDBString(b []byte, s string, compress bool) []byte {
	if compress && len(s) > 20 {
		if c := lzfCompress([]byte(s), len(s)-4); c != nil {
			b = append(b, 0xC3)
			b = appendRDBLen(b, uint64(len(c)))
			b = appendRDBLen(b, uint64(len(s)))
			return append(b, c...)
		}
	}
	b = appendRDBLen(b, uint64(len(s)))
	return append(b, s...)
}
