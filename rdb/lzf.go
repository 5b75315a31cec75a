package rdb

import "errors"

var errLZF = errors.New("invalid LZF compressed string")

// lzfDecompress decompresses in into a buffer of exactly outLen bytes.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
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
		for k := 0; k < n; k++ { // byte by byte: the source may overlap the output
			out = append(out, out[ref+k])
		}
	}
	if len(out) != outLen {
		return nil, errLZF
	}
	return out, nil
}
