package server

import (
	"math"
	"strconv"
)

// Reply accumulates one command's reply in the client's protocol (RESP2 or
// RESP3). The dispatcher sends it only after the command's writes are
// committed, so nothing is acknowledged before it is durable.
type Reply struct {
	Buf   []byte
	Proto int // 2 or 3
}

func (r *Reply) prefix(c byte, n int64) {
	r.Buf = append(r.Buf, c)
	r.Buf = strconv.AppendInt(r.Buf, n, 10)
	r.Buf = append(r.Buf, '\r', '\n')
}

// Status writes a simple string (+OK).
func (r *Reply) Status(s string) {
	r.Buf = append(r.Buf, '+')
	r.Buf = append(r.Buf, s...)
	r.Buf = append(r.Buf, '\r', '\n')
}

// OK writes +OK.
func (r *Reply) OK() { r.Buf = append(r.Buf, "+OK\r\n"...) }

// Error writes an error; msg carries its own code ("ERR ...", "WRONGTYPE ...").
// Newlines would break the protocol, so they become spaces as in Redis.
func (r *Reply) Error(msg string) {
	r.Buf = append(r.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		r.Buf = append(r.Buf, c)
	}
	r.Buf = append(r.Buf, '\r', '\n')
}

// Int writes an integer.
func (r *Reply) Int(n int64) { r.prefix(':', n) }

// Bulk writes a bulk string.
func (r *Reply) Bulk(b []byte) {
	r.prefix('$', int64(len(b)))
	r.Buf = append(r.Buf, b...)
	r.Buf = append(r.Buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (r *Reply) BulkString(s string) {
	r.prefix('$', int64(len(s)))
	r.Buf = append(r.Buf, s...)
	r.Buf = append(r.Buf, '\r', '\n')
}

// BulkInt writes an integer as a bulk string.
func (r *Reply) BulkInt(n int64) {
	var tmp [24]byte
	r.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes a null bulk ($-1 in RESP2, _ in RESP3).
func (r *Reply) Null() {
	if r.Proto == 3 {
		r.Buf = append(r.Buf, "_\r\n"...)
	} else {
		r.Buf = append(r.Buf, "$-1\r\n"...)
	}
}

// NullArray writes a null array (*-1 in RESP2, _ in RESP3).
func (r *Reply) NullArray() {
	if r.Proto == 3 {
		r.Buf = append(r.Buf, "_\r\n"...)
	} else {
		r.Buf = append(r.Buf, "*-1\r\n"...)
	}
}

// Array writes an array header of n elements.
func (r *Reply) Array(n int) { r.prefix('*', int64(n)) }

// Map writes a map header of n pairs (a flat array of 2n in RESP2).
func (r *Reply) Map(n int) {
	if r.Proto == 3 {
		r.prefix('%', int64(n))
	} else {
		r.prefix('*', int64(2*n))
	}
}

// Set writes a set header (an array in RESP2).
func (r *Reply) Set(n int) {
	if r.Proto == 3 {
		r.prefix('~', int64(n))
	} else {
		r.prefix('*', int64(n))
	}
}

// Push writes a push header (an array in RESP2).
func (r *Reply) Push(n int) {
	if r.Proto == 3 {
		r.prefix('>', int64(n))
	} else {
		r.prefix('*', int64(n))
	}
}

// Double writes a double (a bulk string in RESP2) formatted as Redis 7.0
// does: %.17g, inf and -inf.
func (r *Reply) Double(f float64) {
	if r.Proto == 3 {
		r.Buf = append(r.Buf, ',')
		r.Buf = AppendDouble(r.Buf, f)
		r.Buf = append(r.Buf, '\r', '\n')
		return
	}
	var tmp [32]byte
	r.Bulk(AppendDouble(tmp[:0], f))
}

// Bool writes a boolean (:1/:0 in RESP2).
func (r *Reply) Bool(b bool) {
	if r.Proto == 3 {
		if b {
			r.Buf = append(r.Buf, "#t\r\n"...)
		} else {
			r.Buf = append(r.Buf, "#f\r\n"...)
		}
		return
	}
	if b {
		r.Int(1)
	} else {
		r.Int(0)
	}
}

// Verbatim writes a verbatim string (=len\r\ntxt:... in RESP3, bulk in RESP2).
func (r *Reply) Verbatim(s, format string) {
	if r.Proto != 3 {
		r.BulkString(s)
		return
	}
	r.prefix('=', int64(len(s)+4))
	r.Buf = append(r.Buf, format...)
	r.Buf = append(r.Buf, ':')
	r.Buf = append(r.Buf, s...)
	r.Buf = append(r.Buf, '\r', '\n')
}

// Raw appends pre-encoded RESP.
func (r *Reply) Raw(b []byte) { r.Buf = append(r.Buf, b...) }

// BulkStrings writes an array of bulk strings.
func (r *Reply) BulkStrings(items []string) {
	r.Array(len(items))
	for _, s := range items {
		r.BulkString(s)
	}
}

// AppendDouble formats f as Redis 7.0 does for scores and RESP3 doubles:
// %.17g, with "inf"/"-inf" for infinities.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return appendG17(dst, f)
}

// appendG17 is C's printf("%.17g").
func appendG17(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e17 {
		// Integral values print without a fraction or exponent.
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	b := strconv.AppendFloat(nil, f, 'e', 16, 64)
	// Decide between %e and %f style as %g does: exponent X, precision P=17:
	// use %f if -4 <= X < P.
	epos := 0
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == 'e' {
			epos = i
			break
		}
	}
	exp, _ := strconv.Atoi(string(b[epos+1:]))
	if exp >= -4 && exp < 17 {
		s := strconv.AppendFloat(nil, f, 'f', 16-exp, 64)
		return append(dst, trimZeros(s)...)
	}
	mant := trimZeros(b[:epos])
	dst = append(dst, mant...)
	dst = append(dst, 'e')
	if exp < 0 {
		dst = append(dst, '-')
		exp = -exp
	} else {
		dst = append(dst, '+')
	}
	if exp < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}

// trimZeros removes trailing zeros of a fraction, and the point if bare.
func trimZeros(b []byte) []byte {
	dot := -1
	for i, c := range b {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return b
	}
	i := len(b)
	for i > dot+1 && b[i-1] == '0' {
		i--
	}
	if i == dot+1 {
		i = dot
	}
	return b[:i]
}
