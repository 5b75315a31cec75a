package engine

import (
	"bytes"
	"slices"

	"github.com/shaledb/shale/encoding"
)

// Sets: metadata (TypeSet, version, size = member count, encoding tail)
// plus one sub-record per member: AppendSubKey(mk, version, TagMember) |
// member -> empty. SISMEMBER is one point read, SCARD the metadata only,
// SMEMBERS one bounded iterator; SINTER walks the smallest set and point
// checks the others; SUNION merges the sets' sorted iterators. The shared
// machinery is in hashset.go.

func init() {
	EncodingOf[encoding.TypeSet] = func(_ *Tx, _ []byte, m encoding.Metadata) string { return SetEncoding(&m) }
}

func (tx *Tx) openSet(key []byte) (*coll, error) {
	return tx.openColl(key, encoding.TypeSet, encoding.TagMember)
}

// SetEncoding is what OBJECT ENCODING reports for a set: "intset" while it
// has only ever held integers and at most 512 of them, "hashtable" from
// then on (Redis 7.0 has no listpack sets and never converts back).
func SetEncoding(m *encoding.Metadata) string {
	if encOf(m) == encBig {
		return "hashtable"
	}
	return "intset"
}

// isIntMember reports whether an intset could hold m (Redis's
// isSdsRepresentableAsLongLong).
func isIntMember(m []byte) bool {
	_, ok := ParseInt64(m)
	return ok
}

// noteAdd updates the encoding after a member was added.
func (c *coll) noteSetAdd(m []byte) {
	if c.enc() == encSmall && (!isIntMember(m) || c.size() > hsSetMaxIntEntries) {
		c.setBig()
	}
}

// SetAdd adds members and returns how many were new.
func (tx *Tx) SetAdd(key []byte, members [][]byte) (int64, error) {
	c, err := tx.openSet(key)
	if err != nil {
		return 0, err
	}
	isNew := !c.ok
	if isNew {
		c.create(encoding.TypeSet)
	}
	var seen seenSet
	var added int64
	for _, m := range members {
		if !seen.add(m) {
			continue
		}
		if !isNew {
			ok, err := c.has(m)
			if err != nil {
				return 0, err
			}
			if ok {
				continue
			}
		}
		c.put(m, nil)
		added++
		c.addSize(1)
		c.noteSetAdd(m)
	}
	return added, c.save(added > 0)
}

// SetRem removes members and returns how many existed. A set left empty is
// deleted.
func (tx *Tx) SetRem(key []byte, members [][]byte) (int64, error) {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return 0, err
	}
	var seen seenSet
	var n int64
	for _, m := range members {
		if !seen.add(m) {
			continue
		}
		ok, err := c.has(m)
		if err != nil {
			return 0, err
		}
		if ok {
			c.del(m)
			n++
		}
	}
	c.addSize(-n)
	return n, c.save(n > 0)
}

// SetCard returns the number of members (metadata only).
func (tx *Tx) SetCard(key []byte) (int64, error) {
	m, ok, err := tx.LookupType(key, encoding.TypeSet)
	if err != nil || !ok {
		return 0, err
	}
	return int64(m.Size), nil
}

// SetIsMember reports whether member is in the set.
func (tx *Tx) SetIsMember(key, member []byte) (bool, error) {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return false, err
	}
	return c.has(member)
}

// SetMIsMember calls fn with the membership of each member.
func (tx *Tx) SetMIsMember(key []byte, members [][]byte, fn func(bool)) error {
	c, err := tx.openSet(key)
	if err != nil {
		return err
	}
	for _, m := range members {
		ok := false
		if c.ok {
			if ok, err = c.has(m); err != nil {
				return err
			}
		}
		fn(ok)
	}
	return nil
}

// SetMembers calls fn for every member: intset-encoded sets (at most 512
// integers) in numeric order as Redis replies them, others in byte order,
// streaming. member is valid only during the call.
func (tx *Tx) SetMembers(key []byte, fn func(member []byte) error) error {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return err
	}
	return c.members(fn)
}

func (c *coll) members(fn func(member []byte) error) error {
	if c.enc() == encSmall && c.size() <= hsSetMaxIntEntries {
		return c.intsetOrder(fn)
	}
	return c.forEach(func(m, _ []byte) error { return fn(m) })
}

// intsetOrder replays a small all-integer set in numeric order (the order
// of Redis's intset).
func (c *coll) intsetOrder(fn func(member []byte) error) error {
	type im struct {
		n int64
		m []byte
	}
	all := make([]im, 0, c.size())
	err := c.forEach(func(m, _ []byte) error {
		n, _ := ParseInt64(m)
		all = append(all, im{n, bytes.Clone(m)})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b im) int {
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	})
	for _, x := range all {
		if err := fn(x.m); err != nil {
			return err
		}
	}
	return nil
}

// SetRandom returns one random member.
func (tx *Tx) SetRandom(key []byte) ([]byte, bool, error) {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return nil, false, err
	}
	s, ok, err := c.sampleOne()
	return s.elem, ok, err
}

// SetRandomCount implements SRANDMEMBER's count (see HashRandomCount).
func (tx *Tx) SetRandomCount(key []byte, count int64, fn func(member []byte) error) (bool, error) {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return false, err
	}
	return true, c.randomCount(count, func(m, _ []byte) error { return fn(m) })
}

// SetPop removes and returns one random member.
func (tx *Tx) SetPop(key []byte) ([]byte, bool, error) {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return nil, false, err
	}
	s, ok, err := c.sampleOne()
	if err != nil || !ok {
		return nil, false, err
	}
	c.del(s.elem)
	c.addSize(-1)
	return s.elem, true, c.save(true)
}

// SetPopCount removes count random distinct members (all of them, deleting
// the key, when count >= size) and calls fn for each. exists is false for a
// missing key.
func (tx *Tx) SetPopCount(key []byte, count int64, fn func(member []byte) error) (bool, error) {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return false, err
	}
	if count <= 0 {
		return true, nil
	}
	if count >= c.size() {
		if err := c.members(fn); err != nil {
			return true, err
		}
		_, err := tx.Delete(key)
		return true, err
	}
	var n int64
	err = c.sampleDistinct(count, func(m, _ []byte) error {
		c.del(m)
		n++
		return fn(m)
	})
	if err != nil {
		return true, err
	}
	c.addSize(-n)
	return true, c.save(true)
}

// SetMove moves member from src to dst and reports whether it was moved
// (Redis's SMOVE: a missing source gives false before dst is type checked).
func (tx *Tx) SetMove(src, dst, member []byte) (bool, error) {
	s, err := tx.openSet(src)
	if err != nil {
		return false, err
	}
	if !s.ok {
		return false, nil
	}
	d, err := tx.openSet(dst)
	if err != nil {
		return false, err
	}
	if bytes.Equal(src, dst) {
		return s.has(member)
	}
	ok, err := s.has(member)
	if err != nil || !ok {
		return false, err
	}
	s.del(member)
	s.addSize(-1)
	if err := s.save(true); err != nil {
		return false, err
	}
	present := false
	if d.ok {
		if present, err = d.has(member); err != nil {
			return false, err
		}
	} else {
		d.create(encoding.TypeSet)
	}
	if !present {
		d.put(member, nil)
		d.addSize(1)
		d.noteSetAdd(member)
	}
	return true, d.save(true)
}

// SetOp is a set algebra operation.
type SetOp int

const (
	SetUnion SetOp = iota
	SetInter
	SetDiff
)

// openSets looks up every key of a multi-key set command; any key of
// another type fails the command (after all are looked up, as Redis).
func (tx *Tx) openSets(keys [][]byte) ([]*coll, error) {
	cs := make([]*coll, len(keys))
	var wrong error
	for i, k := range keys {
		c, err := tx.openSet(k)
		if err != nil {
			if err == ErrWrongType {
				wrong = err
				continue
			}
			return nil, err
		}
		cs[i] = c
	}
	if wrong != nil {
		return nil, wrong
	}
	return cs, nil
}

// SetAlgebra computes op over the sets at keys, calling fn for each member
// of the result (streaming; member is valid only during the call). Union
// yields byte order, intersection the order of the smallest set,
// difference the order of the first set.
func (tx *Tx) SetAlgebra(op SetOp, keys [][]byte, fn func(member []byte) error) error {
	cs, err := tx.openSets(keys)
	if err != nil {
		return err
	}
	return setAlgebra(op, keys, cs, fn)
}

func setAlgebra(op SetOp, keys [][]byte, cs []*coll, fn func(member []byte) error) error {
	switch op {
	case SetUnion:
		return mergeUnion(cs, fn)
	case SetInter:
		return interEach(cs, 0, fn)
	}
	// Difference: walk the first set, point check the others. A set
	// subtracted from itself leaves nothing.
	first := cs[0]
	if !first.ok {
		return nil
	}
	others := make([]*coll, 0, len(cs)-1)
	for i := 1; i < len(cs); i++ {
		if bytes.Equal(keys[i], keys[0]) {
			return nil
		}
		if cs[i].ok && cs[i].size() > 0 {
			others = append(others, cs[i])
		}
	}
	return first.forEach(func(m, _ []byte) error {
		for _, o := range others {
			ok, err := o.has(m)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		}
		return fn(m)
	})
}

// stopIter ends an iteration early.
type stopIter struct{}

func (stopIter) Error() string { return "stop" }

// interEach streams the intersection: the smallest set is walked and each
// member point-checked in the others; limit > 0 stops after limit members.
func interEach(cs []*coll, limit int64, fn func(member []byte) error) error {
	for _, c := range cs {
		if !c.ok || c.size() == 0 {
			return nil
		}
	}
	order := slices.Clone(cs)
	slices.SortStableFunc(order, func(a, b *coll) int {
		switch {
		case a.size() < b.size():
			return -1
		case a.size() > b.size():
			return 1
		}
		return 0
	})
	smallest := order[0]
	others := make([]*coll, 0, len(order)-1)
	for _, o := range order[1:] {
		if !bytes.Equal(o.mk, smallest.mk) {
			others = append(others, o)
		}
	}
	var n int64
	walk := smallest.forEach
	if smallest.enc() == encSmall && smallest.size() <= hsSetMaxIntEntries {
		// Redis replies an intset's members in numeric order.
		walk = func(f func(elem, val []byte) error) error {
			return smallest.intsetOrder(func(m []byte) error { return f(m, nil) })
		}
	}
	err := walk(func(m, _ []byte) error {
		for _, o := range others {
			ok, err := o.has(m)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
		}
		n++
		if err := fn(m); err != nil {
			return err
		}
		if limit > 0 && n >= limit {
			return stopIter{}
		}
		return nil
	})
	if _, ok := err.(stopIter); ok {
		return nil
	}
	return err
}

// SetInterCard returns the size of the intersection, counting at most limit
// members when limit > 0.
func (tx *Tx) SetInterCard(keys [][]byte, limit int64) (int64, error) {
	cs, err := tx.openSets(keys)
	if err != nil {
		return 0, err
	}
	var n int64
	err = interEach(cs, limit, func([]byte) error { n++; return nil })
	return n, err
}

// SetAlgebraStore computes op over the sets at keys and stores the result in
// dst, replacing whatever dst held (any type, without its TTL); an empty
// result deletes dst. The result streams from the sources' committed
// records into dst's new version, so nothing is held in memory. It returns
// the result size.
func (tx *Tx) SetAlgebraStore(op SetOp, dst []byte, keys [][]byte) (int64, error) {
	cs, err := tx.openSets(keys)
	if err != nil {
		return 0, err
	}
	// The destination is written under a fresh version: the sources (which
	// may include dst) are read at their committed versions, unaffected.
	mk := tx.MetaKey(dst)
	out := &coll{tx: tx, key: dst, tag: encoding.TagMember}
	out.kbuf = append(make([]byte, 0, 2*len(mk)+64), mk...)
	out.mk = out.kbuf[:len(mk):len(mk)]
	out.kbuf = out.kbuf[len(mk):]
	out.create(encoding.TypeSet)
	err = setAlgebra(op, keys, cs, func(m []byte) error {
		out.put(m, nil)
		out.addSize(1)
		out.noteSetAdd(m)
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := out.size()
	if n == 0 {
		_, err := tx.Delete(dst)
		return 0, err
	}
	return n, out.save(true)
}

// SetScan runs one SSCAN step (see HashScan). Intset-encoded sets are
// returned whole, in numeric order, with cursor 0.
func (tx *Tx) SetScan(key []byte, cursor uint64, count int64, fn func(member []byte) error) (uint64, error) {
	c, err := tx.openSet(key)
	if err != nil || !c.ok {
		return 0, err
	}
	if c.enc() == encSmall {
		return 0, c.intsetOrder(fn)
	}
	return c.scan(cursor, count, func(m, _ []byte) error { return fn(m) })
}
