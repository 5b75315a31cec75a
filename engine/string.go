package engine

import (
	"errors"
	"math"
	"math/big"
	"strconv"

	"github.com/shaledb/shale/encoding"
)

// String values live inline in the key's metadata record, so a GET is one
// point read (or one hot-tier hit) and a SET one write. Numbers are stored
// as their decimal text, exactly as a client would read them back.

// String errors (the dispatcher adds the "ERR " code).
var (
	ErrStringNotInteger = errors.New("value is not an integer or out of range")
	ErrStringNotFloat   = errors.New("value is not a valid float")
	ErrIncrOverflow     = errors.New("increment or decrement would overflow")
	ErrIncrNaNOrInf     = errors.New("increment would produce NaN or Infinity")
	ErrStringTooBig     = errors.New("string exceeds maximum allowed size (proto-max-bulk-len)")
	errFragmented       = errors.New("fragmented strings are not readable yet")
)

// readFragmented assembles the value of a fragmented string (a big bitmap
// stored as TagFragment sub-records). The bitmap layer, which owns that
// layout, sets it; until then such values cannot be read as strings.
var readFragmented func(tx *Tx, key []byte, m encoding.Metadata) ([]byte, error)

// stringValue returns the whole value of a string key whose metadata is m.
// m is passed by value so that callers' Metadata stays on the stack (a GET
// must not allocate).
func (tx *Tx) stringValue(key []byte, m encoding.Metadata) ([]byte, error) {
	if m.Flags&encoding.FlagFragmented == 0 {
		return m.Value, nil
	}
	if readFragmented == nil {
		return nil, errFragmented
	}
	return readFragmented(tx, key, m)
}

// GetString returns key's string value (aliasing the cache or a fresh
// buffer: do not modify). A key of another type gives ErrWrongType.
func (tx *Tx) GetString(key []byte) ([]byte, bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return nil, false, err
	}
	if m.Type != encoding.TypeString {
		return nil, true, ErrWrongType
	}
	v, err := tx.stringValue(key, m)
	return v, err == nil, err
}

// GetStringMeta is GetString that also returns the metadata (for the TTL);
// m.Value holds the whole value.
func (tx *Tx) GetStringMeta(key []byte) (encoding.Metadata, bool, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil || !ok {
		return m, false, err
	}
	if m.Type != encoding.TypeString {
		return m, true, ErrWrongType
	}
	m.Value, err = tx.stringValue(key, m)
	return m, err == nil, err
}

// SetString stores value under key with expiry expireAt (unix ms, 0 = none),
// replacing whatever the key held (of any type).
func (tx *Tx) SetString(key, value []byte, expireAt int64) error {
	// The one allocation of a write: the record the batch and memo keep.
	raw := encoding.AppendString(make([]byte, 0, encoding.HeaderLen+len(value)), expireAt, value)
	return tx.PutMeta(key, raw)
}

// GetDel returns key's string value and deletes the key.
func (tx *Tx) GetDel(key []byte) ([]byte, bool, error) {
	v, ok, err := tx.GetString(key)
	if err != nil || !ok {
		return nil, ok, err
	}
	_, err = tx.Delete(key)
	return v, true, err
}

// Append appends val to key's string, creating the key if missing, and
// returns the new length. A result longer than maxLen bytes is refused with
// ErrStringTooBig (only when the key exists: a new key is just val, as in
// Redis). The TTL is kept.
func (tx *Tx) Append(key, val []byte, maxLen int64) (int64, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil {
		return 0, err
	}
	if ok && m.Type != encoding.TypeString {
		return 0, ErrWrongType
	}
	if !ok {
		return int64(len(val)), tx.SetString(key, val, 0)
	}
	cur := stringSize(&m)
	n := cur + int64(len(val))
	if n > maxLen {
		return 0, ErrStringTooBig
	}
	if m.Flags&encoding.FlagFragmented != 0 || n > FragThreshold {
		// Big strings grow fragment by fragment (bitmap.go).
		b, err := tx.OpenBitmap(key)
		if err != nil {
			return 0, err
		}
		if err := b.WriteAt(val, cur); err != nil {
			return 0, err
		}
		return n, b.Flush()
	}
	raw := make([]byte, 0, encoding.HeaderLen+int(n))
	raw = encoding.AppendStringFlags(raw, encoding.FlagStringRaw, m.ExpireAt, m.Value)
	raw = append(raw, val...)
	return n, tx.PutMeta(key, raw)
}

// stringSize is the length of a string value, inline or fragmented.
func stringSize(m *encoding.Metadata) int64 {
	if m.Flags&encoding.FlagFragmented != 0 {
		return int64(m.Size)
	}
	return int64(len(m.Value))
}

// SetRange overwrites key's string at offset with val, zero-padding as
// needed, and returns the new length. offset must be >= 0. An empty val
// changes nothing (a missing key stays missing); a result longer than maxLen
// is refused with ErrStringTooBig. The TTL is kept.
func (tx *Tx) SetRange(key []byte, offset int64, val []byte, maxLen int64) (int64, error) {
	m, ok, err := tx.Lookup(key)
	if err != nil {
		return 0, err
	}
	if ok && m.Type != encoding.TypeString {
		return 0, ErrWrongType
	}
	var cur int64
	if ok {
		cur = stringSize(&m)
	}
	if len(val) == 0 {
		return cur, nil // also 0 for a missing key
	}
	if offset > maxLen-int64(len(val)) {
		return 0, ErrStringTooBig
	}
	n := max(cur, offset+int64(len(val)))
	if m.Flags&encoding.FlagFragmented != 0 || n > FragThreshold {
		// Big strings are written fragment by fragment (bitmap.go).
		b, err := tx.OpenBitmap(key)
		if err != nil {
			return 0, err
		}
		if err := b.WriteAt(val, offset); err != nil {
			return 0, err
		}
		return n, b.Flush()
	}
	raw := make([]byte, encoding.HeaderLen+int(n))
	// Header and old value; the rest is already zero. Redis builds
	// SETRANGE results as raw strings.
	encoding.AppendStringFlags(raw[:0], encoding.FlagStringRaw, m.ExpireAt, m.Value)
	copy(raw[encoding.HeaderLen+int(offset):], val)
	return n, tx.PutMeta(key, raw)
}

// IncrBy adds delta to the integer stored at key (a missing key counts as
// 0) and returns the result. The TTL is kept.
func (tx *Tx) IncrBy(key []byte, delta int64) (int64, error) {
	m, ok, err := tx.GetStringMeta(key)
	if err != nil {
		return 0, err
	}
	var cur int64
	if ok {
		if cur, ok = ParseInt64(m.Value); !ok {
			return 0, ErrStringNotInteger
		}
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) ||
		(delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return 0, ErrIncrOverflow
	}
	cur += delta
	var tmp [20]byte // formatting on the stack: SetString makes the one copy
	return cur, tx.SetString(key, strconv.AppendInt(tmp[:0], cur, 10), m.ExpireAt)
}

// IncrByFloat adds the float text incr to the number stored at key (a
// missing key counts as 0) in Redis's long double arithmetic and returns
// the stored result text. The TTL is kept.
func (tx *Tx) IncrByFloat(key, incr []byte) ([]byte, error) {
	m, ok, err := tx.GetStringMeta(key)
	if err != nil {
		return nil, err
	}
	cur := new(big.Float).SetPrec(LongDoublePrec)
	if ok {
		if cur, ok = ParseLongDouble(m.Value); !ok {
			return nil, ErrStringNotFloat
		}
	}
	inc, ok := ParseLongDouble(incr)
	if !ok {
		return nil, ErrStringNotFloat
	}
	sum, ok := AddLongDouble(cur, inc)
	if !ok {
		return nil, ErrIncrNaNOrInf
	}
	v := AppendHumanLongDouble(nil, sum)
	raw := encoding.AppendStringFlags(make([]byte, 0, encoding.HeaderLen+len(v)), encoding.FlagStringNoInt, m.ExpireAt, v)
	return v, tx.PutMeta(key, raw)
}

// ParseInt64 parses a signed 64-bit integer exactly as Redis's string2ll:
// optional '-', no '+', no spaces, no leading zeros, at most 20 bytes. It is
// how stored numbers (strings, hash fields) are read.
func ParseInt64(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '-' {
		if n == 1 {
			return 0, false
		}
		i, neg = 1, true
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// Long double emulation. Redis does INCRBYFLOAT and HINCRBYFLOAT in C long
// double, the x87 80-bit format on x86-64: a 64-bit mantissa and a 15-bit
// exponent. That precision is visible (0.1+0.2 prints as 0.3, not
// 0.30000000000000004), so the arithmetic runs on big.Float rounded to 64
// bits, with the format's range limits applied by hand.
const (
	// LongDoublePrec is the mantissa precision of an x87 long double.
	LongDoublePrec = 64
	// ldMaxExp: |x| < 2^16384 (big.Float exponents put the mantissa in [0.5, 1)).
	ldMaxExp = 16384
	// ldZeroExp: values below half the smallest subnormal (2^-16445) round to 0.
	ldZeroExp = -16445
	// ldMaxChars is Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are refused.
	ldMaxChars = 5 * 1024
)

// ParseLongDouble parses b as Redis's string2ld does (strtold on the whole
// argument): decimal or 0x hexadecimal floats, "inf"/"infinity" with an
// optional sign; no spaces, no NaN; a value that overflows or underflows to
// zero is refused.
func ParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars {
		return nil, false
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	rest := b[i:]
	z := new(big.Float).SetPrec(LongDoublePrec)
	if asciiEqualFold(rest, "inf") || asciiEqualFold(rest, "infinity") {
		return z.SetInf(neg), true
	}
	if len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		return parseHexLongDouble(z, rest[2:], neg)
	}
	// Decimal: digits [. digits] [e [sign] digits], at least one digit.
	var mant []byte // significant digits without the point
	exp := int64(0) // decimal exponent applied to mant
	digits := 0
	j := 0
	for ; j < len(rest) && isDigit(rest[j]); j++ {
		mant = append(mant, rest[j])
		digits++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for ; j < len(rest) && isDigit(rest[j]); j++ {
			mant = append(mant, rest[j])
			exp--
			digits++
		}
	}
	if digits == 0 {
		return nil, false
	}
	if j < len(rest) {
		if rest[j] != 'e' && rest[j] != 'E' {
			return nil, false
		}
		e, ok := parseExponent(rest[j+1:])
		if !ok {
			return nil, false
		}
		exp += e
	}
	// Strip leading zeros; an all-zero mantissa is an exact zero.
	k := 0
	for k < len(mant) && mant[k] == '0' {
		k++
	}
	mant = mant[k:]
	if len(mant) == 0 {
		if neg {
			z.Neg(z)
		}
		return z, true
	}
	// Decimal magnitude: 10^(mag-1) <= |x| < 10^mag. Out-of-range values
	// are decided without building huge powers of ten.
	mag := exp + int64(len(mant))
	if mag > 4934 || mag < -4952 {
		return nil, false
	}
	num, _ := new(big.Int).SetString(string(mant), 10)
	if exp >= 0 {
		num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil))
		z.SetInt(num) // one correct rounding to 64 bits
	} else {
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp), nil)
		// Exact operands, so Quo rounds once, correctly, as strtold does.
		z.Quo(new(big.Float).SetInt(num), new(big.Float).SetInt(den))
	}
	if neg {
		z.Neg(z)
	}
	return z, ldInRange(z)
}

// parseHexLongDouble parses the part after "0x": hex digits [. hex digits]
// [p [sign] decimal digits].
func parseHexLongDouble(z *big.Float, s []byte, neg bool) (*big.Float, bool) {
	j, digits, nonzero := 0, 0, false
	for ; j < len(s) && isHex(s[j]); j++ {
		digits++
		nonzero = nonzero || s[j] != '0'
	}
	if j < len(s) && s[j] == '.' {
		j++
		for ; j < len(s) && isHex(s[j]); j++ {
			digits++
			nonzero = nonzero || s[j] != '0'
		}
	}
	if digits == 0 {
		return nil, false
	}
	if j < len(s) {
		if s[j] != 'p' && s[j] != 'P' {
			return nil, false
		}
		if _, ok := parseExponent(s[j+1:]); !ok {
			return nil, false
		}
	}
	if !nonzero {
		if neg {
			z.Neg(z)
		}
		return z, true
	}
	txt := "0x" + string(s)
	if _, _, err := z.Parse(txt, 0); err != nil {
		return nil, false // exponent beyond any range: overflow or underflow
	}
	if neg {
		z.Neg(z)
	}
	return z, ldInRange(z)
}

// parseExponent parses [sign] digits, saturating far beyond any float range.
func parseExponent(s []byte) (int64, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	var e int64
	for _, c := range s {
		if !isDigit(c) {
			return 0, false
		}
		if e < 1<<40 {
			e = e*10 + int64(c-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

// ldInRange reports whether a finite nonzero z (rounded to 64 bits) is
// representable as a long double rather than overflowing or vanishing.
func ldInRange(z *big.Float) bool {
	if z.IsInf() || z.Sign() == 0 {
		return true
	}
	exp := z.MantExp(nil)
	if exp > ldMaxExp {
		return false
	}
	if exp < ldZeroExp {
		return false
	}
	if exp == ldZeroExp {
		// |x| in [2^-16446, 2^-16445): exactly half the smallest subnormal
		// rounds to even (zero); anything above rounds up to it.
		half := new(big.Float).SetMantExp(big.NewFloat(0.5), ldZeroExp)
		if new(big.Float).Abs(z).Cmp(half) == 0 {
			return false
		}
	}
	return true
}

// AddLongDouble returns a+b rounded as long double arithmetic does; ok is
// false when the sum is infinite or NaN (either operand infinite, or an
// overflow).
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	z := new(big.Float).SetPrec(LongDoublePrec).Add(a, b)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// AppendHumanLongDouble formats x as Redis's ld2string in LD_STR_HUMAN mode,
// the format INCRBYFLOAT and HINCRBYFLOAT store and reply: "%.17Lf" with
// the trailing zeros (and a bare point) removed and "-0" shown as "0". So
// 0.1+0.2 gives "0.3", 3+2 gives "5", 1e20 gives "100000000000000000000".
func AppendHumanLongDouble(dst []byte, x *big.Float) []byte {
	if x.IsInf() {
		if x.Signbit() {
			return append(dst, "-inf"...)
		}
		return append(dst, "inf"...)
	}
	start := len(dst)
	dst = x.Append(dst, 'f', 17) // exact decimal, ties to even, like glibc
	l := len(dst)
	for l > start && dst[l-1] == '0' {
		l--
	}
	if l > start && dst[l-1] == '.' {
		l--
	}
	dst = dst[:l]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// LCSMatch is one matched range of LCS ... IDX: a[AStart..AEnd] equals
// b[BStart..BEnd] (inclusive), Len bytes long.
type LCSMatch struct {
	AStart, AEnd, BStart, BEnd, Len int64
}

// LCS computes the longest common subsequence of a and b with the dynamic
// programming table Redis uses (so ties resolve to the same subsequence).
// It returns the subsequence when wantString is set, its length, and when
// wantMatches is set the matched ranges from the end of the strings
// backwards, skipping ranges shorter than minMatchLen.
func LCS(a, b []byte, wantString, wantMatches bool, minMatchLen int64) (lcs []byte, length int64, matches []LCSMatch) {
	alen, blen := len(a), len(b)
	w := blen + 1
	tab := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				tab[i*w+j] = tab[(i-1)*w+j-1] + 1
			} else {
				tab[i*w+j] = max(tab[(i-1)*w+j], tab[i*w+j-1])
			}
		}
	}
	length = int64(tab[alen*w+blen])
	if !wantString && !wantMatches {
		return nil, length, nil
	}
	idx := length
	if wantString {
		lcs = make([]byte, length)
	}
	// Walk back from the end as Redis does, tracking the current range;
	// alen as arange start means "no range open".
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			if wantString {
				lcs[idx-1] = a[i-1]
			}
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if tab[(i-1)*w+j] > tab[i*w+j-1] {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			n := int64(aEnd - aStart + 1)
			if wantMatches && (minMatchLen == 0 || n >= minMatchLen) {
				matches = append(matches, LCSMatch{int64(aStart), int64(aEnd), int64(bStart), int64(bEnd), n})
			}
			aStart = alen
		}
	}
	return lcs, length, matches
}
