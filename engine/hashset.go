package engine

import (
	"bytes"
	"container/heap"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// Hashes and sets share one layout: a metadata record (type, version, size
// = element count, and a one-byte encoding tail) and one sub-record per
// element under metaKey|version|tag, sorted by the element's bytes:
//
//	hash: AppendSubKey(mk, version, TagField)  | field  -> value
//	set:  AppendSubKey(mk, version, TagMember) | member -> (empty)
//
// This file holds what both types use: opening a collection, point reads,
// bounded iteration, random sampling and SCAN cursors. Nothing here loads a
// whole collection into memory except where it is known to be small.

// Encoding tail of hash and set metadata (Metadata.Value[0]). Redis
// converts a small encoding (listpack for hashes, intset for sets) to a
// hashtable once a threshold is crossed and never converts back; the tail
// records that one-way conversion so OBJECT ENCODING, and the SCAN reply
// shape that depends on it, match Redis.
const (
	encSmall byte = 0 // listpack (hash) / intset (set)
	encBig   byte = 1 // hashtable
)

// Redis 7.0 default thresholds (hash-max-listpack-entries/-value,
// set-max-intset-entries).
const (
	hsHashMaxEntries   = 128
	hsHashMaxValue     = 64
	hsSetMaxIntEntries = 512
)

func encOf(m *encoding.Metadata) byte {
	if len(m.Value) > 0 {
		return m.Value[0]
	}
	return encSmall
}

// coll is one command's handle on a hash or a set.
type coll struct {
	tx     *Tx
	key    []byte
	mk     []byte // owned copy of the metadata key
	tag    byte
	meta   encoding.Metadata
	ok     bool // the collection exists (or was created by this handle)
	dirty  bool // the metadata changed and must be written
	plen   int  // length of the sub-key prefix mk|version|tag
	kbuf   []byte
	vbuf   []byte
	encBuf [1]byte
	arr    [96]byte // kbuf's first backing array: no extra allocation for short keys
}

// openColl looks key up as a collection of type t. A key of another type
// gives ErrWrongType; a missing key gives a handle with ok == false.
func (tx *Tx) openColl(key []byte, t encoding.Type, tag byte) (*coll, error) {
	m, ok, err := tx.LookupType(key, t)
	if err != nil {
		return nil, err
	}
	mk := tx.MetaKey(key)
	c := &coll{tx: tx, key: key, tag: tag, meta: m, ok: ok}
	c.kbuf = append(c.arr[:0], mk...)
	c.mk = c.kbuf[:len(mk):len(mk)]
	c.kbuf = c.kbuf[len(mk):]
	if ok {
		c.encBuf[0] = encOf(&m)
		c.meta.Value = c.encBuf[:]
		c.setPrefix()
	}
	return c, nil
}

func (c *coll) setPrefix() {
	c.kbuf = encoding.AppendSubKey(c.kbuf[:0], c.mk, c.meta.Version, c.tag)
	c.plen = len(c.kbuf)
}

// create turns a missing collection into an empty new one (fresh version;
// the previous value of the key, if any, is dropped by PutMeta on save).
func (c *coll) create(t encoding.Type) {
	c.meta = encoding.Metadata{Type: t, Version: c.tx.e.nextVersion()}
	c.encBuf[0] = encSmall
	c.meta.Value = c.encBuf[:]
	c.ok = true
	c.dirty = true
	c.setPrefix()
}

func (c *coll) size() int64 { return int64(c.meta.Size) }

func (c *coll) enc() byte { return c.encBuf[0] }

func (c *coll) setBig() {
	if c.encBuf[0] != encBig {
		c.encBuf[0] = encBig
		c.dirty = true
	}
}

func (c *coll) addSize(d int64) {
	if d != 0 {
		c.meta.Size = uint64(int64(c.meta.Size) + d)
		c.dirty = true
	}
}

// sub returns the sub-record key of elem (valid until the next call).
func (c *coll) sub(elem []byte) []byte {
	c.kbuf = append(c.kbuf[:c.plen], elem...)
	return c.kbuf
}

// prefix returns a copy of the sub-key prefix mk|version|tag.
func (c *coll) prefix() []byte { return append([]byte(nil), c.kbuf[:c.plen]...) }

// get reads elem's value as of the command's start: committed storage, or
// in a pipeline batch the batch's earlier writes (Tx.subGet); the
// command's own writes are not visible. The value is valid until the next
// get and must not be modified.
func (c *coll) get(elem []byte) ([]byte, bool, error) {
	if c.tx.batched {
		return c.tx.subGet(nil, c.sub(elem))
	}
	v, ok, err := c.tx.e.store.Get(c.vbuf[:0], c.sub(elem))
	if ok {
		c.vbuf = v
	}
	return v, ok, err
}

func (c *coll) has(elem []byte) (bool, error) {
	_, ok, err := c.get(elem)
	return ok, err
}

func (c *coll) put(elem, val []byte) { c.tx.subSet(c.sub(elem), val) }

func (c *coll) del(elem []byte) { c.tx.subDel(c.sub(elem)) }

// iter returns an iterator bounded to this version's elements.
func (c *coll) iter() (*storage.Iter, error) {
	lo := c.prefix()
	hi := encoding.PrefixEnd(c.prefix())
	return c.tx.e.store.NewIter(lo, hi)
}

// forEach calls fn for every element in byte order; elem and val alias the
// iterator and are valid only during the call.
func (c *coll) forEach(fn func(elem, val []byte) error) error {
	if !c.ok || c.meta.Size == 0 {
		return nil
	}
	it, err := c.iter()
	if err != nil {
		return err
	}
	defer it.Close()
	for v := it.First(); v; v = it.Next() {
		if err := fn(it.Key()[c.plen:], it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// save writes the metadata if it changed, deletes the key if it became
// empty, and otherwise just marks the key modified (for WATCH and
// keyspace hooks) when touched is set.
func (c *coll) save(touched bool) error {
	if !c.ok {
		return nil
	}
	if c.meta.Size == 0 {
		_, err := c.tx.Delete(c.key)
		c.ok = false
		return err
	}
	if !c.dirty {
		if touched {
			c.tx.Touch(c.key)
		}
		return nil
	}
	c.dirty = false
	return c.tx.PutMeta(c.key, c.meta.Encode(make([]byte, 0, 32)))
}

// seenSet remembers which arguments a command already handled, because a
// command's sub-record reads do not see its own batch writes (HSET k f 1 f
// 2, SADD s a a). Linear for a few arguments, a map beyond.
type seenSet struct {
	list  [][]byte
	m     map[string]struct{}
	first [4][]byte // list's first backing array
}

// add reports whether b was new.
func (s *seenSet) add(b []byte) bool {
	if s.m != nil {
		if _, ok := s.m[string(b)]; ok {
			return false
		}
		s.m[string(b)] = struct{}{}
		return true
	}
	for _, x := range s.list {
		if bytes.Equal(x, b) {
			return false
		}
	}
	if s.list == nil {
		s.list = s.first[:0]
	}
	s.list = append(s.list, b)
	if len(s.list) > 16 {
		s.m = make(map[string]struct{}, 64)
		for _, x := range s.list {
			s.m[string(x)] = struct{}{}
		}
		s.list = nil
	}
	return true
}

// ---------------------------------------------------------------------------
// Random sampling (HRANDFIELD, SRANDMEMBER, SPOP).
//
// A collection has no rank index, so an element cannot be picked by a
// random position in O(log n). The sampler therefore mixes three methods:
//
//   - exact: collections of at most sampleExactMax elements are read into
//     memory (they are small) and sampled exactly like Redis does;
//   - one pass: when many elements are wanted (count >= size/sampleSweepDiv)
//     one sequential pass selects them exactly uniformly (Knuth's selection
//     sampling for distinct elements, sorted random positions for repeats);
//   - random walk: otherwise each pick descends the byte trie of the
//     elements with a few bounded seeks. At each branching point it picks
//     a child (a distinct next byte) uniformly, then accepts it with a
//     probability proportional to the child's size counted up to walkProbe
//     elements (else picks again), and weighs an element that is a prefix
//     of the others (e.g. "user:1" beside "user:10".."user:19") the same
//     way. This is O(depth) seeks and short scans per pick, exactly uniform
//     near the leaves and for balanced tries (counters, fixed-width ids,
//     hex or base64 digests, ...). Above walkProbe elements subtree sizes
//     are not known, so branches of very different sizes get the same
//     share: with members "a" and "b000".."b999", "b000".."b999" are
//     picked uniformly but the branch "a" about 1 time in 33 rather than 1
//     in 1001. Uniformity is traded for never reading a big collection
//     whole.

const (
	sampleExactMax = 1024
	sampleSweepDiv = 128
	walkEnumSpan   = 80
	walkTries      = 4
	walkProbe      = 32
	walkAttempts   = 16
)

// sampled is an element picked by the sampler (owned copies).
type sampled struct {
	elem, val []byte
}

// loadAll reads every element of a small collection.
func (c *coll) loadAll() ([]sampled, error) {
	out := make([]sampled, 0, c.meta.Size)
	err := c.forEach(func(elem, val []byte) error {
		out = append(out, sampled{bytes.Clone(elem), bytes.Clone(val)})
		return nil
	})
	return out, err
}

// sampleDistinct calls fn for count distinct random elements; count must be
// below the collection size.
func (c *coll) sampleDistinct(count int64, fn func(elem, val []byte) error) error {
	size := c.size()
	if size <= sampleExactMax || count >= size/sampleSweepDiv {
		return c.selectionSample(count, fn)
	}
	it, err := c.iter()
	if err != nil {
		return err
	}
	defer it.Close()
	picked := make(map[string]struct{}, count)
	attempts := int64(0)
	for int64(len(picked)) < count {
		attempts++
		if attempts > 16*count+64 {
			// The walk keeps landing on the same few elements (a very
			// unbalanced trie): finish with one exact pass that skips the
			// elements already returned.
			return c.selectionSampleExcept(count-int64(len(picked)), picked, fn)
		}
		k, ok := c.walk(it)
		if !ok {
			return it.Error()
		}
		elem := k[c.plen:]
		if _, dup := picked[string(elem)]; dup {
			continue
		}
		picked[string(elem)] = struct{}{}
		if err := fn(elem, it.Value()); err != nil {
			return err
		}
	}
	return nil
}

// selectionSample is Knuth's algorithm S: one pass, each element chosen with
// probability needed/remaining, exactly uniform.
func (c *coll) selectionSample(count int64, fn func(elem, val []byte) error) error {
	return c.selectionSampleExcept(count, nil, fn)
}

func (c *coll) selectionSampleExcept(count int64, except map[string]struct{}, fn func(elem, val []byte) error) error {
	remaining := c.size() - int64(len(except))
	need := count
	return c.forEachUntil(func(elem, val []byte) (bool, error) {
		if need == 0 {
			return false, nil
		}
		if except != nil {
			if _, skip := except[string(elem)]; skip {
				return true, nil
			}
		}
		if rand.Int64N(max(remaining, 1)) < need {
			need--
			if err := fn(elem, val); err != nil {
				return false, err
			}
		}
		remaining--
		return true, nil
	})
}

// forEachUntil is forEach with early stop (fn returns false).
func (c *coll) forEachUntil(fn func(elem, val []byte) (bool, error)) error {
	if !c.ok || c.meta.Size == 0 {
		return nil
	}
	it, err := c.iter()
	if err != nil {
		return err
	}
	defer it.Close()
	for v := it.First(); v; v = it.Next() {
		more, err := fn(it.Key()[c.plen:], it.Value())
		if err != nil || !more {
			return err
		}
	}
	return it.Error()
}

// sampleRepeat returns count independently chosen random elements (with
// repetitions), in random order.
func (c *coll) sampleRepeat(count int64) ([]sampled, error) {
	size := c.size()
	out := make([]sampled, 0, count)
	switch {
	case size <= sampleExactMax:
		all, err := c.loadAll()
		if err != nil || len(all) == 0 {
			return out, err
		}
		for i := int64(0); i < count; i++ {
			out = append(out, all[rand.IntN(len(all))])
		}
		return out, nil
	case count >= size/sampleSweepDiv:
		// Sorted random positions, one pass, then shuffle (the pass yields
		// them in element order).
		pos := make([]int64, count)
		for i := range pos {
			pos[i] = rand.Int64N(size)
		}
		slices.Sort(pos)
		i, p := 0, int64(0)
		err := c.forEachUntil(func(elem, val []byte) (bool, error) {
			if i < len(pos) && pos[i] == p {
				s := sampled{bytes.Clone(elem), bytes.Clone(val)}
				for i < len(pos) && pos[i] == p {
					out = append(out, s)
					i++
				}
			}
			p++
			return i < len(pos), nil
		})
		rand.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
		return out, err
	}
	it, err := c.iter()
	if err != nil {
		return out, err
	}
	defer it.Close()
	for int64(len(out)) < count {
		k, ok := c.walk(it)
		if !ok {
			return out, it.Error()
		}
		out = append(out, sampled{bytes.Clone(k[c.plen:]), bytes.Clone(it.Value())})
	}
	return out, nil
}

// sampleOne returns one random element.
func (c *coll) sampleOne() (sampled, bool, error) {
	if c.size() <= sampleExactMax {
		idx := rand.Int64N(max(c.size(), 1))
		var s sampled
		found := false
		i := int64(0)
		err := c.forEachUntil(func(elem, val []byte) (bool, error) {
			if i == idx {
				s = sampled{bytes.Clone(elem), bytes.Clone(val)}
				found = true
				return false, nil
			}
			i++
			return true, nil
		})
		return s, found, err
	}
	it, err := c.iter()
	if err != nil {
		return sampled{}, false, err
	}
	defer it.Close()
	k, ok := c.walk(it)
	if !ok {
		return sampled{}, false, it.Error()
	}
	return sampled{bytes.Clone(k[c.plen:]), bytes.Clone(it.Value())}, true, nil
}

// walk picks a random element by descending the byte trie (see above) and
// leaves it positioned on it; it returns the element's full sub-key (valid
// while the iterator stays there).
func (c *coll) walk(it *storage.Iter) ([]byte, bool) {
	if !it.First() {
		return nil, false
	}
	first := bytes.Clone(it.Key())
	if !it.Last() {
		return nil, false
	}
	last := bytes.Clone(it.Key())
	var seekBuf []byte
	seekChild := func(prefix []byte, b int) bool {
		seekBuf = append(append(seekBuf[:0], prefix...), byte(b))
		return it.SeekGE(seekBuf)
	}
	for !bytes.Equal(first, last) {
		// first and last are the first and last elements of the current
		// subtree; every element in between shares their common prefix
		// and they branch at byte k.
		k := c.plen
		for k < len(first) && k < len(last) && first[k] == last[k] {
			k++
		}
		prefix := first[:k]
		terminal := len(first) == k // first is a proper prefix of the rest
		var lowFirst []byte         // first element of the lowest child
		if terminal {
			if !seekChild(prefix, 0) {
				return nil, false
			}
			lowFirst = bytes.Clone(it.Key())
		} else {
			lowFirst = first
		}
		lo, hi := int(lowFirst[k]), int(last[k])
		var child []byte // first element of the chosen child
		for attempt := 0; ; attempt++ {
			// The short element (terminal) is one more candidate, of size
			// one: picked uniformly among the children, accepted 1 time
			// in walkProbe.
			if terminal && rand.IntN(hi-lo+2) == 0 {
				if attempt >= walkAttempts || rand.IntN(walkProbe) == 0 {
					child = first
					break
				}
				continue
			}
			var ok bool
			if child, ok = c.pickChild(it, prefix, lowFirst, lo, hi, seekChild); !ok {
				return nil, false
			}
			// Accept the child with a probability proportional to its
			// size, counted up to walkProbe, so that a lone element
			// beside big siblings is not picked as often as they are.
			if attempt >= walkAttempts || c.subtreeAtLeast(it, child[:k+1], walkProbe, rand.IntN(walkProbe)+1) {
				break
			}
		}
		if len(child) == k {
			break // the short element itself
		}
		// Descend into the child: its last element is the last key below
		// prefix+child[k].
		first = child
		seekBuf = encoding.PrefixEnd(append(seekBuf[:0], child[:k+1]...))
		var ok bool
		if seekBuf == nil {
			ok = it.Last()
		} else {
			ok = it.SeekLT(seekBuf)
		}
		if !ok {
			return nil, false
		}
		last = bytes.Clone(it.Key())
	}
	if !it.SeekGE(first) {
		return nil, false
	}
	return it.Key(), true
}

// pickChild picks one child of the subtree [first, last] branching at
// byte k = len(prefix), whose next bytes span [lo, hi], and returns its
// first element. Rejection sampling: a random next byte is accepted if some
// element has it, which is uniform over the children and costs one or two
// seeks when they are dense (digits, hex, letters); after walkTries misses
// the children are enumerated if they span at most walkEnumSpan byte
// values, else the first child at or after a random byte is taken (biased
// towards children after gaps).
func (c *coll) pickChild(it *storage.Iter, prefix, first []byte, lo, hi int, seekChild func([]byte, int) bool) ([]byte, bool) {
	k := len(prefix)
	for try := 0; try < walkTries; try++ {
		r := lo + rand.IntN(hi-lo+1)
		if !seekChild(prefix, r) {
			return nil, false
		}
		if key := it.Key(); len(key) > k && int(key[k]) == r {
			return bytes.Clone(key), true
		}
	}
	if hi-lo <= walkEnumSpan {
		firsts := [][]byte{first}
		for b := int(first[k]); b < hi; {
			if !seekChild(prefix, b+1) {
				break
			}
			cur := bytes.Clone(it.Key())
			firsts = append(firsts, cur)
			b = int(cur[k])
		}
		return firsts[rand.IntN(len(firsts))], true
	}
	if !seekChild(prefix, lo+rand.IntN(hi-lo+1)) {
		return nil, false
	}
	return bytes.Clone(it.Key()), true
}

// subtreeAtLeast reports whether at least n elements start with prefix
// (looking at no more than max of them).
func (c *coll) subtreeAtLeast(it *storage.Iter, prefix []byte, max, n int) bool {
	if n <= 1 {
		return true
	}
	seen := 0
	for v := it.SeekGE(prefix); v && seen < max && bytes.HasPrefix(it.Key(), prefix); v = it.Next() {
		seen++
		if seen >= n {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// SCAN cursors (HSCAN, SSCAN).
//
// Elements are visited in byte order, so a scan position is "the next
// element to visit". Redis cursors are 64-bit integers, so the exact
// position is kept server side in a ring of slots and the cursor names the
// slot. In case the slot was reused since (more than scanSlots scan steps
// of other clients in between), the cursor also carries an approximate
// position: the length P of the prefix that all of the collection's
// elements shared, and up to 4 bytes of the next element after it.
//
//	bit 62       always set (a cursor is never 0)
//	bits 48..61  slot number
//	bits 43..47  random tag
//	bits 35..42  P (capped at 255)
//	bits 32..34  number of bytes after P kept (0..4)
//	bits 0..31   those bytes
//
// Resuming from the approximate position may repeat elements, which SCAN
// allows, but never skips one: every element present for the whole scan is
// returned.

const (
	scanSlots    = 1 << 14
	scanKeep     = 4
	scanMaxSaved = 1024 // longer positions are only kept approximately
)

type scanSlot struct {
	cursor uint64
	next   []byte
}

var collScans struct {
	mu    sync.Mutex
	slots [scanSlots]scanSlot
	seq   atomic.Uint64
}

// newScanCursorShared makes a cursor resuming at next; shared is the length
// of the prefix all the collection's elements share.
func newScanCursorShared(next []byte, shared int) uint64 {
	p := min(shared, 255, len(next))
	rest := next[p:]
	n := min(len(rest), scanKeep)
	var b uint64
	for i := 0; i < scanKeep; i++ {
		b <<= 8
		if i < n {
			b |= uint64(rest[i])
		}
	}
	slot := collScans.seq.Add(1) % scanSlots
	cur := 1<<62 | slot<<48 | uint64(rand.IntN(32))<<43 | uint64(p)<<35 | uint64(n)<<32 | b
	if len(next) <= scanMaxSaved {
		collScans.mu.Lock()
		collScans.slots[slot] = scanSlot{cursor: cur, next: bytes.Clone(next)}
		collScans.mu.Unlock()
	}
	return cur
}

// newScanCursor and scanStart are the cursor pair for callers that do not
// know the shared prefix of their elements (ZSCAN): the approximate
// position is then the first 4 bytes of the next element.
func newScanCursor(next []byte) uint64 { return newScanCursorShared(next, 0) }

func scanStart(cursor uint64) []byte { return scanStartShared(cursor, nil, 0) }

// scanStartShared returns the element a scan resumes from (nil: the start);
// first is the collection's first element and shared the length of the
// prefix all its elements share now.
func scanStartShared(cursor uint64, first []byte, shared int) []byte {
	if cursor == 0 || cursor&(1<<62) == 0 {
		return nil
	}
	slot := (cursor >> 48) & (scanSlots - 1)
	collScans.mu.Lock()
	s := collScans.slots[slot]
	collScans.mu.Unlock()
	if s.cursor == cursor {
		return s.next
	}
	p := int(cursor>>35) & 255
	n := min(int(cursor>>32)&7, scanKeep)
	if p > shared {
		// The elements no longer share the prefix the cursor was made
		// with (elements were added since): restart rather than guess.
		return nil
	}
	out := append([]byte(nil), first[:p]...)
	for i := 0; i < n; i++ {
		out = append(out, byte(cursor>>(8*(scanKeep-1-i))))
	}
	return out
}

// scan visits up to count elements from cursor on, calling fn for each,
// and returns the next cursor (0 when done). Small-encoded collections are
// returned whole in one call with cursor 0, as Redis does for listpacks
// and intsets.
func (c *coll) scan(cursor uint64, count int64, fn func(elem, val []byte) error) (uint64, error) {
	if !c.ok {
		return 0, nil
	}
	if c.enc() == encSmall {
		return 0, c.forEach(fn)
	}
	it, err := c.iter()
	if err != nil {
		return 0, err
	}
	defer it.Close()
	// The prefix every element shares (from the first and last ones).
	if !it.First() {
		return 0, it.Error()
	}
	first := bytes.Clone(it.Key()[c.plen:])
	shared := len(first)
	if it.Last() {
		last := it.Key()[c.plen:]
		shared = 0
		for shared < len(first) && shared < len(last) && first[shared] == last[shared] {
			shared++
		}
	}
	start := scanStartShared(cursor, first, shared)
	var v bool
	if len(start) == 0 {
		v = it.First()
	} else {
		v = it.SeekGE(c.sub(start))
	}
	for n := int64(0); v && n < count; v = it.Next() {
		if err := fn(it.Key()[c.plen:], it.Value()); err != nil {
			return 0, err
		}
		n++
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	if !v {
		return 0, nil
	}
	return newScanCursorShared(it.Key()[c.plen:], shared), nil
}

// ---------------------------------------------------------------------------
// Sorted merge over several collections (SUNION).

type mergeItem struct {
	it   *storage.Iter
	plen int
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	return bytes.Compare(h[i].it.Key()[h[i].plen:], h[j].it.Key()[h[j].plen:]) < 0
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeUnion calls fn once for every distinct element of the collections,
// in byte order, streaming over one iterator per collection.
func mergeUnion(cs []*coll, fn func(elem []byte) error) error {
	h := make(mergeHeap, 0, len(cs))
	defer func() {
		for _, m := range h {
			m.it.Close()
		}
	}()
	for _, c := range cs {
		if c == nil || !c.ok || c.meta.Size == 0 {
			continue
		}
		it, err := c.iter()
		if err != nil {
			return err
		}
		if !it.First() {
			err := it.Error()
			it.Close()
			if err != nil {
				return err
			}
			continue
		}
		h = append(h, mergeItem{it: it, plen: c.plen})
	}
	heap.Init(&h)
	var last []byte
	haveLast := false
	for len(h) > 0 {
		top := h[0]
		elem := top.it.Key()[top.plen:]
		if !haveLast || !bytes.Equal(elem, last) {
			last = append(last[:0], elem...)
			haveLast = true
			if err := fn(last); err != nil {
				return err
			}
		}
		if top.it.Next() {
			heap.Fix(&h, 0)
		} else {
			err := top.it.Error()
			top.it.Close()
			heap.Pop(&h)
			if err != nil {
				return err
			}
		}
	}
	return nil
}
