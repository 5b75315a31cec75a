package engine

import (
	"errors"
	"math"
	"strconv"

	"github.com/shaledb/shale/encoding"
)

// Hashes: metadata (TypeHash, version, size = field count, encoding tail)
// plus one sub-record per field: AppendSubKey(mk, version, TagField) |
// field -> value. HGET is a metadata lookup (usually a hot-tier hit) and one
// point read; HLEN reads the metadata only; HGETALL streams one bounded
// iterator. The shared machinery is in hashset.go.

// Hash errors (the dispatcher adds the "ERR " code).
var (
	ErrHashNotInteger = errors.New("hash value is not an integer")
	ErrHashNotFloat   = errors.New("hash value is not a float")
	ErrHashNaNOrInf   = errors.New("value is NaN or Infinity")
)

func init() {
	EncodingOf[encoding.TypeHash] = func(_ *Tx, _ []byte, m encoding.Metadata) string { return HashEncoding(&m) }
}

func (tx *Tx) openHash(key []byte) (*coll, error) {
	return tx.openColl(key, encoding.TypeHash, encoding.TagField)
}

// HashEncoding is what OBJECT ENCODING reports for a hash: "listpack" until
// it has ever held more than 128 fields or a field or value longer than 64
// bytes (set by HSET/HSETNX/HMSET arguments, as in Redis), "hashtable" from
// then on (Redis never converts back).
func HashEncoding(m *encoding.Metadata) string {
	if encOf(m) == encBig {
		return "hashtable"
	}
	return "listpack"
}

// HashSet sets field/value pairs (pairs = f1 v1 f2 v2 ...); with nx only
// missing fields are set. It returns how many fields were added.
func (tx *Tx) HashSet(key []byte, pairs [][]byte, nx bool) (int64, error) {
	c, err := tx.openHash(key)
	if err != nil {
		return 0, err
	}
	isNew := !c.ok
	if isNew {
		c.create(encoding.TypeHash)
	}
	var seen seenSet
	var added int64
	written := false
	for i := 0; i+1 < len(pairs); i += 2 {
		f, v := pairs[i], pairs[i+1]
		fresh := seen.add(f)
		if fresh {
			exists := false
			if !isNew {
				if exists, err = c.has(f); err != nil {
					return 0, err
				}
			}
			if !exists {
				added++
			} else if nx {
				continue
			}
		} else if nx {
			continue
		}
		if len(f) > hsHashMaxValue || len(v) > hsHashMaxValue {
			c.setBig() // only when written: HSETNX of an existing field keeps a listpack
		}
		c.put(f, v)
		written = true
	}
	c.addSize(added)
	if c.size() > hsHashMaxEntries {
		c.setBig()
	}
	return added, c.save(written)
}

// HashGet returns the value of field.
func (tx *Tx) HashGet(key, field []byte) ([]byte, bool, error) {
	c, err := tx.openHash(key)
	if err != nil || !c.ok {
		return nil, false, err
	}
	return c.get(field)
}

// HashMGet calls fn with the value of each field (ok false when missing);
// v is valid only during the call.
func (tx *Tx) HashMGet(key []byte, fields [][]byte, fn func(v []byte, ok bool)) error {
	c, err := tx.openHash(key)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if !c.ok {
			fn(nil, false)
			continue
		}
		v, ok, err := c.get(f)
		if err != nil {
			return err
		}
		fn(v, ok)
	}
	return nil
}

// HashLen returns the number of fields (metadata only).
func (tx *Tx) HashLen(key []byte) (int64, error) {
	m, ok, err := tx.LookupType(key, encoding.TypeHash)
	if err != nil || !ok {
		return 0, err
	}
	return int64(m.Size), nil
}

// HashExists reports whether field exists.
func (tx *Tx) HashExists(key, field []byte) (bool, error) {
	_, ok, err := tx.HashGet(key, field)
	return ok, err
}

// HashStrLen returns the length of field's value (0 when missing).
func (tx *Tx) HashStrLen(key, field []byte) (int64, error) {
	v, _, err := tx.HashGet(key, field)
	return int64(len(v)), err
}

// HashDel deletes fields and returns how many existed. A hash left empty is
// deleted.
func (tx *Tx) HashDel(key []byte, fields [][]byte) (int64, error) {
	c, err := tx.openHash(key)
	if err != nil || !c.ok {
		return 0, err
	}
	var seen seenSet
	var n int64
	for _, f := range fields {
		if !seen.add(f) {
			continue
		}
		ok, err := c.has(f)
		if err != nil {
			return 0, err
		}
		if ok {
			c.del(f)
			n++
		}
	}
	c.addSize(-n)
	return n, c.save(n > 0)
}

// HashForEach calls fn for every field in byte order (streaming; field and
// value are valid only during the call). It returns the field count from
// the metadata first through n, so a reply header can be written before.
func (tx *Tx) HashForEach(key []byte, fn func(field, value []byte) error) error {
	c, err := tx.openHash(key)
	if err != nil {
		return err
	}
	return c.forEach(fn)
}

// HashIncrBy adds delta to the integer in field (a missing field counts as
// 0) and returns the result.
func (tx *Tx) HashIncrBy(key, field []byte, delta int64) (int64, error) {
	c, err := tx.openHash(key)
	if err != nil {
		return 0, err
	}
	var cur int64
	exists := false
	if c.ok {
		v, ok, err := c.get(field)
		if err != nil {
			return 0, err
		}
		if ok {
			exists = true
			if cur, ok = ParseInt64(v); !ok {
				return 0, ErrHashNotInteger
			}
		}
	} else {
		c.create(encoding.TypeHash)
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) ||
		(delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return 0, ErrIncrOverflow
	}
	cur += delta
	if len(field) > hsHashMaxValue {
		c.setBig()
	}
	var tmp [20]byte
	c.put(field, strconv.AppendInt(tmp[:0], cur, 10))
	if !exists {
		c.addSize(1)
		if c.size() > hsHashMaxEntries {
			c.setBig()
		}
	}
	return cur, c.save(true)
}

// HashIncrByFloat adds the float text incr to the number in field in
// Redis's long double arithmetic and returns the stored result text.
func (tx *Tx) HashIncrByFloat(key, field, incr []byte) ([]byte, error) {
	inc, ok := ParseLongDouble(incr)
	if !ok {
		return nil, ErrStringNotFloat
	}
	if inc.IsInf() {
		return nil, ErrHashNaNOrInf
	}
	c, err := tx.openHash(key)
	if err != nil {
		return nil, err
	}
	exists := false
	var sum []byte
	if c.ok {
		v, ok, err := c.get(field)
		if err != nil {
			return nil, err
		}
		if ok {
			exists = true
			cur, ok := ParseLongDouble(v)
			if !ok {
				return nil, ErrHashNotFloat
			}
			s, ok := AddLongDouble(cur, inc)
			if !ok {
				return nil, ErrIncrNaNOrInf
			}
			sum = AppendHumanLongDouble(nil, s)
		}
	} else {
		c.create(encoding.TypeHash)
	}
	if !exists {
		sum = AppendHumanLongDouble(nil, inc)
		c.addSize(1)
		if c.size() > hsHashMaxEntries {
			c.setBig()
		}
	}
	if len(field) > hsHashMaxValue || len(sum) > hsHashMaxValue {
		c.setBig() // Redis's hashTypeSet converts on long results too
	}
	c.put(field, sum)
	return sum, c.save(true)
}

// HashRandom returns one random field and its value.
func (tx *Tx) HashRandom(key []byte) (field, value []byte, ok bool, err error) {
	c, err := tx.openHash(key)
	if err != nil || !c.ok {
		return nil, nil, false, err
	}
	s, ok, err := c.sampleOne()
	return s.elem, s.val, ok, err
}

// HashRandomCount implements HRANDFIELD's count: count > 0 gives distinct
// fields (all of them when count >= size, streamed), count < 0 gives -count
// fields that may repeat. exists is false for a missing key.
func (tx *Tx) HashRandomCount(key []byte, count int64, fn func(field, value []byte) error) (exists bool, err error) {
	c, err := tx.openHash(key)
	if err != nil || !c.ok {
		return false, err
	}
	return true, c.randomCount(count, fn)
}

// randomCount is the shared count logic of HRANDFIELD and SRANDMEMBER.
func (c *coll) randomCount(count int64, fn func(elem, val []byte) error) error {
	switch {
	case count == 0:
		return nil
	case count > 0 && count >= c.size():
		return c.forEach(fn)
	case count > 0:
		return c.sampleDistinct(count, fn)
	}
	out, err := c.sampleRepeat(-count)
	if err != nil {
		return err
	}
	for _, s := range out {
		if err := fn(s.elem, s.val); err != nil {
			return err
		}
	}
	return nil
}

// HashScan runs one HSCAN step: fn gets up to count fields from cursor on;
// the next cursor is returned (0 at the end).
func (tx *Tx) HashScan(key []byte, cursor uint64, count int64, fn func(field, value []byte) error) (uint64, error) {
	c, err := tx.openHash(key)
	if err != nil {
		return 0, err
	}
	return c.scan(cursor, count, fn)
}
