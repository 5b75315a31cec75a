package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Decoders of Redis's compact encodings (ziplist, listpack, intset,
// zipmap). Each walks a blob and calls fn with every element; integer
// elements are passed as their decimal text, in a scratch buffer that is
// only valid during the call. Every length is checked against the blob, so
// corrupt input is an error, never a panic.

var (
	errZiplist  = errors.New("ziplist integrity check failed")
	errListpack = errors.New("listpack integrity check failed")
	errIntset   = errors.New("intset integrity check failed")
	errZipmap   = errors.New("zipmap integrity check failed")
)

// ziplistEach walks a ziplist.
func ziplistEach(b []byte, fn func(e []byte) error) error {
	if len(b) < 11 || int(binary.LittleEndian.Uint32(b[0:4])) != len(b) || b[len(b)-1] != 0xff {
		return errZiplist
	}
	var num [24]byte
	p := 10
	for {
		if p >= len(b) {
			return errZiplist
		}
		if b[p] == 0xff {
			if p != len(b)-1 {
				return errZiplist
			}
			return nil
		}
		// prevlen
		if b[p] == 0xfe {
			p += 5
		} else {
			p++
		}
		if p >= len(b) {
			return errZiplist
		}
		enc := b[p]
		var e []byte
		switch enc >> 6 {
		case 0:
			n := int(enc & 0x3f)
			p++
			if p+n > len(b) {
				return errZiplist
			}
			e, p = b[p:p+n], p+n
		case 1:
			if p+2 > len(b) {
				return errZiplist
			}
			n := int(enc&0x3f)<<8 | int(b[p+1])
			p += 2
			if p+n > len(b) {
				return errZiplist
			}
			e, p = b[p:p+n], p+n
		case 2:
			if p+5 > len(b) {
				return errZiplist
			}
			n := int(binary.BigEndian.Uint32(b[p+1 : p+5]))
			p += 5
			if n < 0 || n > len(b)-p {
				return errZiplist
			}
			e, p = b[p:p+n], p+n
		default:
			p++
			var v int64
			var w int
			switch enc {
			case 0xc0:
				w = 2
			case 0xd0:
				w = 4
			case 0xe0:
				w = 8
			case 0xf0:
				w = 3
			case 0xfe:
				w = 1
			default:
				if enc >= 0xf1 && enc <= 0xfd {
					v = int64(enc&0x0f) - 1
				} else {
					return errZiplist
				}
			}
			if p+w > len(b) {
				return errZiplist
			}
			switch w {
			case 1:
				v = int64(int8(b[p]))
			case 2:
				v = int64(int16(binary.LittleEndian.Uint16(b[p:])))
			case 3:
				v = int64(int32(uint32(b[p])<<8|uint32(b[p+1])<<16|uint32(b[p+2])<<24) >> 8)
			case 4:
				v = int64(int32(binary.LittleEndian.Uint32(b[p:])))
			case 8:
				v = int64(binary.LittleEndian.Uint64(b[p:]))
			}
			p += w
			e = strconv.AppendInt(num[:0], v, 10)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// listpackEach walks a listpack.
func listpackEach(b []byte, fn func(e []byte) error) error {
	if len(b) < 7 || int(binary.LittleEndian.Uint32(b[0:4])) != len(b) || b[len(b)-1] != 0xff {
		return errListpack
	}
	var num [24]byte
	p := 6
	for {
		if p >= len(b) {
			return errListpack
		}
		c := b[p]
		if c == 0xff {
			if p != len(b)-1 {
				return errListpack
			}
			return nil
		}
		start := p
		var e []byte
		var iv int64
		isInt := false
		switch {
		case c&0x80 == 0:
			iv, isInt = int64(c&0x7f), true
			p++
		case c&0xc0 == 0x80:
			n := int(c & 0x3f)
			p++
			if p+n > len(b) {
				return errListpack
			}
			e, p = b[p:p+n], p+n
		case c&0xe0 == 0xc0:
			if p+2 > len(b) {
				return errListpack
			}
			u := uint64(c&0x1f)<<8 | uint64(b[p+1])
			if u >= 1<<12 {
				iv = int64(u) - 1<<13
			} else {
				iv = int64(u)
			}
			isInt = true
			p += 2
		case c&0xf0 == 0xe0:
			if p+2 > len(b) {
				return errListpack
			}
			n := int(c&0x0f)<<8 | int(b[p+1])
			p += 2
			if p+n > len(b) {
				return errListpack
			}
			e, p = b[p:p+n], p+n
		case c == 0xf0:
			if p+5 > len(b) {
				return errListpack
			}
			n := int(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
			if n < 0 || n > len(b)-p {
				return errListpack
			}
			e, p = b[p:p+n], p+n
		case c >= 0xf1 && c <= 0xf4:
			w := [...]int{2, 3, 4, 8}[c-0xf1]
			p++
			if p+w > len(b) {
				return errListpack
			}
			var u uint64
			for i := w - 1; i >= 0; i-- {
				u = u<<8 | uint64(b[p+i])
			}
			if w < 8 { // sign-extend
				shift := uint(64 - 8*w)
				iv = int64(u<<shift) >> shift
			} else {
				iv = int64(u)
			}
			isInt = true
			p += w
		default:
			return errListpack
		}
		// backlen: the entry's length (encoding + data) in 1..5 bytes
		l := p - start
		bl := 1
		switch {
		case l <= 127: // thresholds as in Redis's lpEncodeBacklen
			bl = 1
		case l < 16383:
			bl = 2
		case l < 2097151:
			bl = 3
		case l < 268435455:
			bl = 4
		default:
			bl = 5
		}
		p += bl
		if p > len(b) {
			return errListpack
		}
		if isInt {
			e = strconv.AppendInt(num[:0], iv, 10)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// intsetEach walks an intset.
func intsetEach(b []byte, fn func(e []byte) error) error {
	if len(b) < 8 {
		return errIntset
	}
	w := int(binary.LittleEndian.Uint32(b[0:4]))
	n := uint64(binary.LittleEndian.Uint32(b[4:8]))
	if (w != 2 && w != 4 && w != 8) || uint64(len(b)-8) != n*uint64(w) {
		return errIntset
	}
	var num [24]byte
	for i := 0; i < int(n); i++ {
		q := b[8+i*w:]
		var v int64
		switch w {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(q)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(q)))
		default:
			v = int64(binary.LittleEndian.Uint64(q))
		}
		if err := fn(strconv.AppendInt(num[:0], v, 10)); err != nil {
			return err
		}
	}
	return nil
}

// zipmapEach walks a zipmap (Redis 2.x small hashes): key, value, key, ...
func zipmapEach(b []byte, fn func(e []byte) error) error {
	if len(b) < 2 {
		return errZipmap
	}
	p := 1
	readLen := func() (int, bool) {
		if p >= len(b) {
			return 0, false
		}
		c := b[p]
		if c < 254 {
			p++
			return int(c), true
		}
		if c == 254 && p+5 <= len(b) {
			n := int(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
			return n, n >= 0
		}
		return 0, false
	}
	for {
		if p >= len(b) {
			return errZipmap
		}
		if b[p] == 0xff {
			return nil
		}
		n, ok := readLen()
		if !ok || n > len(b)-p {
			return errZipmap
		}
		if err := fn(b[p : p+n]); err != nil {
			return err
		}
		p += n
		n, ok = readLen()
		if !ok || p >= len(b) {
			return errZipmap
		}
		free := int(b[p])
		p++
		if n > len(b)-p || free > len(b)-p-n {
			return errZipmap
		}
		if err := fn(b[p : p+n]); err != nil {
			return err
		}
		p += n + free
	}
}
