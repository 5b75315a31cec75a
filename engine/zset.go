package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"sort"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// Sorted sets
//
// A sorted set is its metadata (TypeZSet, version, size, and a 41-byte
// tail, see below) plus two sub-records per member:
//
//	AppendSubKey(mk, v, TagMember) | member                  -> score (float64 bits, 8 bytes BE)
//	AppendSubKey(mk, v, TagScore)  | EncodeScore(s) | member -> empty
//
// The member records answer ZSCORE/ZMSCORE/ZADD with one point read; the
// score index is ordered by (score, member bytes), which is exactly Redis's
// skiplist order, so every range query is one bounded iterator. Rank
// queries walk the index: ZRANGE by rank is O(offset+count) from the nearer
// end, ZRANK is O(min(rank, n-rank)), ZRANGEBYSCORE ... LIMIT o c is
// O(log n + o + c).
//
// The metadata tail keeps deleted index entries out of the way of reads:
//
//	lo(8) | hi(8) | flags(1) | base(8) | top(8) | nlow(4) | nhigh(4)
//
// (scores as EncodeScore bytes). lo <= every live score <= hi: iterators
// over the score index are bounded by them. base and top split off the
// "outliers": exactly nlow live entries score below base and nhigh above
// top. A command that removes the entry at either end (ZREMRANGEBYRANK 0 k,
// ZPOPMIN, ZPOPMAX, ZREM, ...), or a single-member ZADD/ZINCRBY that moves
// it, resets lo = base to the lowest surviving score (hi = top to the
// highest) with no outliers; a ZADD below base counts one more. Walks from
// either end step through the outliers one by one and then seek straight to
// base (or top). A set with no tail (written by another layer) gets the
// widest valid hints (-inf/+inf, no outliers).
//
// That is what keeps a leaderboard trimmed from the bottom fast: every
// entry it deletes is below its lowest live score when deleted, so all its
// tombstones lie below base, and a new member added below them (then
// trimmed at once) is reached with one seek from lo and left with one seek
// to base, instead of a walk over every tombstone between the two, which an
// LSM keeps until compaction (a whole memtable's worth). Likewise a ZINCRBY
// leaderboard, whose members leave the bottom as they score: the low end
// follows them. Tombstones between live entries (members that moved away
// from the middle) are still walked until compaction removes them.
//
// flags bit 0 records that Redis would have converted the set to a
// skiplist (more than 128 members or a member longer than 64 bytes): the
// conversion is sticky in Redis, and it decides OBJECT ENCODING and ZSCAN's
// reply shape.

// ZItem is one member of a sorted set with its score.
type ZItem struct {
	Member []byte
	Score  float64
}

// ZAddFlags are ZADD's options.
type ZAddFlags struct{ NX, XX, GT, LT, Incr bool }

// ZAddResult is what ZADD replies with.
type ZAddResult struct {
	Added, Updated, Processed int64
	// Score is the member's final score (INCR).
	Score float64
}

// ZScoreRange is a score interval (ZRANGEBYSCORE syntax).
type ZScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// ZLexBound is one end of a ZRANGEBYLEX interval: "-" (Inf -1), "+" (Inf
// +1), "[value" or "(value" (Ex).
type ZLexBound struct {
	Value []byte
	Inf   int
	Ex    bool
}

// ZLexRange is a member interval (ZRANGEBYLEX syntax).
type ZLexRange struct{ Min, Max ZLexBound }

// ErrZNaN is ZADD INCR / ZINCRBY reaching NaN (inf + -inf).
var ErrZNaN = errors.New("resulting score is not a number (NaN)")

// Redis 7.0 listpack limits for sorted sets (zset-max-listpack-entries,
// zset-max-listpack-value).
const (
	ZSetListpackEntries = 128
	ZSetListpackValue   = 64
)

const (
	zsetTailLen      = 41
	zsetFlagSkiplist = 1
)

// zset is one command's view of a sorted set.
type zset struct {
	tx   *Tx
	key  []byte
	mk   []byte
	meta encoding.Metadata
	// Score hints (see the top of the file), valid when hints is set. The
	// c* copies are the committed values, which walks must use (they read
	// the committed index); the others are what save writes.
	lo, hi, base, top [8]byte
	nlow, nhigh       uint32
	cbase, ctop       [8]byte
	cnlow, cnhigh     uint32
	hints             bool
	flags             byte
	exists            bool
	fresh             bool // created by this command: nothing committed to read
	kbuf              []byte
	// pend holds the members this command already wrote, for commands
	// that may touch one member twice (sub-record reads only see the
	// committed state). nil when unused.
	pend map[string]zpend
}

type zpend struct {
	score   float64
	present bool
}

func (tx *Tx) openZSet(key []byte) (*zset, error) {
	mk, raw, err := tx.raw(key)
	if err != nil {
		return nil, err
	}
	z := &zset{tx: tx, key: key, mk: mk}
	if raw == nil {
		return z, nil
	}
	m, err := encoding.DecodeMetadata(raw)
	if err != nil {
		return nil, err
	}
	if m.Expired(tx.Now) {
		return z, nil
	}
	if m.Type != encoding.TypeZSet {
		return nil, ErrWrongType
	}
	z.meta, z.exists = m, true
	if v := m.Value; len(v) >= zsetTailLen {
		copy(z.lo[:], v[0:8])
		copy(z.hi[:], v[8:16])
		z.flags = v[16]
		copy(z.base[:], v[17:25])
		copy(z.top[:], v[25:33])
		z.nlow = binary.BigEndian.Uint32(v[33:37])
		z.nhigh = binary.BigEndian.Uint32(v[37:41])
		z.hints = true
	} else {
		// No tail (written by another layer): the widest valid hints.
		z.lo, z.base = scoreBytes(math.Inf(-1)), scoreBytes(math.Inf(-1))
		z.hi, z.top = scoreBytes(math.Inf(1)), scoreBytes(math.Inf(1))
		z.hints = true
	}
	z.cbase, z.ctop, z.cnlow, z.cnhigh = z.base, z.top, z.nlow, z.nhigh
	return z, nil
}

func (z *zset) size() int64 { return int64(z.meta.Size) }

func (z *zset) create() {
	if !z.exists {
		z.meta = encoding.Metadata{Type: encoding.TypeZSet, Version: z.tx.e.nextVersion()}
		z.exists = true
		z.fresh = true
		z.hints = false
	}
}

func (z *zset) memberKey(m []byte) []byte {
	z.kbuf = encoding.AppendSubKey(z.kbuf[:0], z.mk, z.meta.Version, encoding.TagMember)
	z.kbuf = append(z.kbuf, m...)
	return z.kbuf
}

func (z *zset) scoreKey(s float64, m []byte) []byte {
	z.kbuf = encoding.AppendSubKey(z.kbuf[:0], z.mk, z.meta.Version, encoding.TagScore)
	z.kbuf = encoding.EncodeScore(z.kbuf, s)
	z.kbuf = append(z.kbuf, m...)
	return z.kbuf
}

// normScore folds -0 onto 0: Redis 7.0 stores small sets as listpacks,
// which print -0 as 0.
func normScore(s float64) float64 {
	if s == 0 {
		return 0
	}
	return s
}

func scoreBytes(s float64) (b [8]byte) {
	encoding.EncodeScore(b[:0], s)
	return
}

// score returns member's current score as this command sees it.
func (z *zset) score(m []byte) (float64, bool, error) {
	if !z.exists {
		return 0, false, nil
	}
	if z.pend != nil {
		if p, ok := z.pend[string(m)]; ok {
			return p.score, p.present, nil
		}
	}
	if z.fresh {
		return 0, false, nil
	}
	var buf [8]byte
	v, ok, err := z.tx.subGet(buf[:0], z.memberKey(m))
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, errors.New("corrupt sorted set member")
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v)), true, nil
}

// put writes member m with score s; old is its previous score if had.
func (z *zset) put(m []byte, s float64, old float64, had bool) {
	if had {
		z.tx.subDel(z.scoreKey(old, m))
	} else {
		z.meta.Size++
		if z.meta.Size > ZSetListpackEntries || len(m) > ZSetListpackValue {
			z.flags |= zsetFlagSkiplist
		}
	}
	var sv [8]byte
	binary.BigEndian.PutUint64(sv[:], math.Float64bits(s))
	z.tx.subSet(z.memberKey(m), sv[:])
	z.tx.subSet(z.scoreKey(s, m), nil)
	if had {
		z.unhint(old)
	}
	enc := scoreBytes(s)
	if !z.hints {
		z.lo, z.hi, z.base, z.top, z.nlow, z.nhigh, z.hints = enc, enc, enc, enc, 0, 0, true
	} else {
		z.widen(enc)
	}
	if z.pend != nil {
		z.pend[string(m)] = zpend{score: s, present: true}
	}
}

// widen accounts for a new entry with encoded score enc in the hints.
func (z *zset) widen(enc [8]byte) {
	if bytes.Compare(enc[:], z.lo[:]) < 0 {
		z.lo = enc
	}
	if bytes.Compare(enc[:], z.hi[:]) > 0 {
		z.hi = enc
	}
	if bytes.Compare(enc[:], z.base[:]) < 0 {
		z.nlow++
	}
	if bytes.Compare(enc[:], z.top[:]) > 0 {
		z.nhigh++
	}
}

// unhint accounts for the removal of an entry scoring s in the outlier
// counts (lo/hi stay valid bounds).
func (z *zset) unhint(s float64) {
	if !z.hints {
		return
	}
	enc := scoreBytes(s)
	if bytes.Compare(enc[:], z.base[:]) < 0 && z.nlow > 0 {
		z.nlow--
	}
	if bytes.Compare(enc[:], z.top[:]) > 0 && z.nhigh > 0 {
		z.nhigh--
	}
}

// remove deletes member m whose score is s.
func (z *zset) remove(m []byte, s float64) {
	z.tx.subDel(z.memberKey(m))
	z.tx.subDel(z.scoreKey(s, m))
	z.meta.Size--
	z.unhint(s)
	if z.pend != nil {
		z.pend[string(m)] = zpend{}
	}
}

// batchWrote reports whether an earlier command of the open pipeline batch
// wrote sub-records of this set's version.
func (z *zset) batchWrote() bool {
	if !z.tx.batched {
		return false
	}
	start, end := encoding.VersionRange(z.mk, z.meta.Version)
	return z.tx.batchWrote(start, end)
}

// save writes the metadata, or deletes the key when the set is empty (its
// records were all point-deleted by this command).
func (z *zset) save() error {
	if z.meta.Size == 0 {
		return z.tx.dropDrainedKey(z.key)
	}
	return z.tx.PutMeta(z.key, z.encodeMeta())
}

// encodeMeta encodes the metadata record with its hints tail.
func (z *zset) encodeMeta() []byte {
	m := z.meta
	m.Value = nil
	raw := m.Encode(make([]byte, 0, encoding.HeaderLen+16+zsetTailLen))
	raw = append(raw, z.lo[:]...)
	raw = append(raw, z.hi[:]...)
	raw = append(raw, z.flags)
	raw = append(raw, z.base[:]...)
	raw = append(raw, z.top[:]...)
	raw = binary.BigEndian.AppendUint32(raw, z.nlow)
	raw = binary.BigEndian.AppendUint32(raw, z.nhigh)
	return raw
}

// ZSetToSkiplist makes the sorted set at key report OBJECT ENCODING
// "skiplist" from now on, as Redis's SORT converts every sorted set it
// sorts (zsetConvert). Only the encoding changes, which is not a
// modification: no modified-key hook runs and the dirty count stays. The
// caller must hold key's lock exclusively.
func (tx *Tx) ZSetToSkiplist(key []byte) error {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists || z.size() > ZSetListpackEntries || z.flags&zsetFlagSkiplist != 0 {
		return err
	}
	z.flags |= zsetFlagSkiplist
	raw := z.encodeMeta()
	tx.ensureBatch()
	i := tx.memoFind(z.mk)
	if i < 0 {
		i = tx.memoAdd(memoEntry{metaKey: tx.keep(z.mk)})
	}
	tx.memo[i].raw, tx.memo[i].written, tx.memo[i].fromDB = raw, true, false
	return nil
}

// indexPrefix returns a fresh score-index prefix.
func (z *zset) indexPrefix() []byte {
	return encoding.AppendSubKey(make([]byte, 0, len(z.mk)+9+8), z.mk, z.meta.Version, encoding.TagScore)
}

// zIter walks the score index of one sorted set, bounded by its hints.
// first/next and last/prev walk from the ends through the outliers and
// then seek to base/top (see the top of the file); the embedded iterator's
// own methods are plain steps.
type zIter struct {
	*storage.Iter
	prefix []byte
	z      *zset
	left   uint32 // outliers still to step through before the seek
}

func (z *zset) iter() (*zIter, error) {
	p := z.indexPrefix()
	var lower, upper []byte
	if z.hints {
		lower = append(append([]byte(nil), p...), z.lo[:]...)
		upper = encoding.PrefixEnd(append(append([]byte(nil), p...), z.hi[:]...))
	} else {
		lower = p
		upper = encoding.PrefixEnd(append([]byte(nil), p...))
	}
	it, err := z.tx.e.store.NewIter(lower, upper)
	if err != nil {
		return nil, err
	}
	return &zIter{Iter: it, prefix: p, z: z}, nil
}

// first positions at the lowest entry.
func (zi *zIter) first() bool {
	if !zi.z.hints {
		return zi.First()
	}
	zi.left = zi.z.cnlow
	if zi.left == 0 {
		return zi.SeekGE(append(append([]byte(nil), zi.prefix...), zi.z.cbase[:]...))
	}
	return zi.First()
}

// next steps up from an entry reached by first/next.
func (zi *zIter) next() bool {
	if zi.left > 0 {
		zi.left--
		if zi.left == 0 {
			return zi.SeekGE(append(append([]byte(nil), zi.prefix...), zi.z.cbase[:]...))
		}
	}
	return zi.Next()
}

// last positions at the highest entry.
func (zi *zIter) last() bool {
	if !zi.z.hints {
		return zi.Last()
	}
	zi.left = zi.z.cnhigh
	if zi.left == 0 {
		return zi.seekTop()
	}
	return zi.Last()
}

// prev steps down from an entry reached by last/prev.
func (zi *zIter) prev() bool {
	if zi.left > 0 {
		zi.left--
		if zi.left == 0 {
			return zi.seekTop()
		}
	}
	return zi.Prev()
}

// seekTop positions at the last entry scoring top or less.
func (zi *zIter) seekTop() bool {
	k := incKey(append(append([]byte(nil), zi.prefix...), zi.z.ctop[:]...))
	if k == nil {
		return zi.Last()
	}
	return zi.SeekLT(k)
}

// move is next (forward) or prev.
func (zi *zIter) move(forward bool) bool {
	if forward {
		return zi.next()
	}
	return zi.prev()
}

func (zi *zIter) score() float64 { return encoding.DecodeScore(zi.Key()[len(zi.prefix):]) }
func (zi *zIter) member() []byte { return zi.Key()[len(zi.prefix)+8:] }

// seekScore positions at the first entry >= (s, "") (forward), or the last
// entry <= (s, +inf member) (reverse); exclusive excludes score s itself.
func (zi *zIter) seekScore(s float64, rev, exclusive bool) bool {
	k := encoding.EncodeScore(append([]byte(nil), zi.prefix...), s)
	if !rev {
		if exclusive {
			k = incKey(k)
			if k == nil {
				return false
			}
		}
		return zi.SeekGE(k)
	}
	if !exclusive {
		k = incKey(k)
		if k == nil {
			return zi.Last()
		}
	}
	return zi.SeekLT(k)
}

// incKey increments the last 8 bytes of k as a big-endian integer (nil on
// overflow).
func incKey(k []byte) []byte {
	for i := len(k) - 1; i >= len(k)-8; i-- {
		k[i]++
		if k[i] != 0 {
			return k
		}
	}
	return nil
}

// zcollect gathers items with one arena for all members.
type zcollect struct {
	arena  []byte
	ends   []int
	scores []float64
}

func (c *zcollect) add(m []byte, s float64) {
	c.arena = append(c.arena, m...)
	c.ends = append(c.ends, len(c.arena))
	c.scores = append(c.scores, s)
}

func (c *zcollect) items() []ZItem {
	out := make([]ZItem, len(c.ends))
	start := 0
	for i, e := range c.ends {
		out[i] = ZItem{Member: c.arena[start:e:e], Score: c.scores[i]}
		start = e
	}
	return out
}

func reverseItems(it []ZItem) {
	for i, j := 0, len(it)-1; i < j; i, j = i+1, j-1 {
		it[i], it[j] = it[j], it[i]
	}
}

// ZAdd adds or updates members (ZADD/ZINCRBY). Nothing is written when it
// returns an error.
func (tx *Tx) ZAdd(key []byte, items []ZItem, f ZAddFlags) (ZAddResult, error) {
	var res ZAddResult
	z, err := tx.openZSet(key)
	if err != nil {
		return res, err
	}
	if !z.exists && f.XX {
		return res, nil
	}
	z.create()
	if len(items) > 1 {
		z.pend = make(map[string]zpend, len(items))
	}
	lo0, hi0 := z.lo, z.hi
	// moved is the one member a single-pair ZADD/ZINCRBY moved from the
	// lowest or highest score (see below).
	var moved *ZItem
	for _, it := range items {
		cur, had, err := z.score(it.Member)
		if err != nil {
			return res, err
		}
		s := it.Score
		if had {
			if f.NX {
				continue
			}
			if f.Incr {
				s = cur + s
				if math.IsNaN(s) {
					return res, ErrZNaN
				}
			}
			if (f.LT && s >= cur) || (f.GT && s <= cur) {
				continue
			}
			res.Processed++
			res.Score = s
			if s != cur {
				z.put(it.Member, normScore(s), cur, true)
				res.Updated++
				if old := scoreBytes(cur); len(items) == 1 && (old == lo0 || old == hi0) {
					moved = &ZItem{Member: it.Member, Score: cur}
				}
			}
			continue
		}
		if f.XX {
			continue
		}
		res.Processed++
		res.Score = s
		res.Added++
		z.put(it.Member, normScore(s), 0, false)
	}
	if res.Added+res.Updated == 0 {
		return res, nil
	}
	if moved != nil && z.meta.Size == 1 {
		// The member was the set's only entry: the hints are its new
		// score alone (tighten would find no survivor and leave put's
		// count of the new position in place, to be counted twice).
		enc := scoreBytes(normScore(res.Score))
		z.lo, z.hi, z.base, z.top, z.nlow, z.nhigh = enc, enc, enc, enc, 0, 0
	} else if moved != nil && !z.batchWrote() {
		// The member left the edge of the index (a leaderboard's lowest
		// player scored): re-derive the hints from the survivors, then
		// count its new position, so that reads from that end do not
		// walk over the tombstones of entries that moved away from it.
		// (Skipped when an earlier command of a pipeline batch wrote this
		// set: the walk reads committed storage, which does not show that
		// yet. put already kept the hints valid, only less tight.)
		if err := z.tighten([]ZItem{*moved}, true, true); err != nil {
			return res, err
		}
		z.widen(scoreBytes(normScore(res.Score)))
	}
	return res, z.save()
}

// ZScore returns member's score.
func (tx *Tx) ZScore(key, member []byte) (float64, bool, error) {
	z, err := tx.openZSet(key)
	if err != nil {
		return 0, false, err
	}
	return z.score(member)
}

// ZMScore returns the scores of members; missing ones are NaN.
func (tx *Tx) ZMScore(key []byte, members [][]byte) ([]float64, error) {
	z, err := tx.openZSet(key)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(members))
	for i, m := range members {
		s, ok, err := z.score(m)
		if err != nil {
			return nil, err
		}
		if !ok {
			s = math.NaN()
		}
		out[i] = s
	}
	return out, nil
}

// ZCard returns the number of members (0 for a missing key).
func (tx *Tx) ZCard(key []byte) (int64, error) {
	z, err := tx.openZSet(key)
	if err != nil {
		return 0, err
	}
	return z.size(), nil
}

// ZRank returns member's 0-based rank, ascending or (rev) descending. It
// walks the score index from both ends at once: O(min(rank, n-rank)).
func (tx *Tx) ZRank(key, member []byte, rev bool) (int64, bool, error) {
	z, err := tx.openZSet(key)
	if err != nil {
		return 0, false, err
	}
	s, ok, err := z.score(member)
	if err != nil || !ok {
		return 0, false, err
	}
	fwd, err := z.iter()
	if err != nil {
		return 0, false, err
	}
	defer fwd.Close()
	bwd, err := z.iter()
	if err != nil {
		return 0, false, err
	}
	defer bwd.Close()
	target := encoding.EncodeScore(append([]byte(nil), fwd.prefix...), s)
	target = append(target, member...)
	okF, okB := fwd.first(), bwd.last()
	for i := int64(0); okF || okB; i++ {
		if okF {
			if bytes.Equal(fwd.Key(), target) {
				if rev {
					return z.size() - 1 - i, true, nil
				}
				return i, true, nil
			}
			okF = fwd.next()
		}
		if okB {
			if bytes.Equal(bwd.Key(), target) {
				if rev {
					return i, true, nil
				}
				return z.size() - 1 - i, true, nil
			}
			okB = bwd.prev()
		}
	}
	return 0, false, errors.New("corrupt sorted set index")
}

// rankWalk calls fn for the entries of ranks [start, stop] (already
// normalized, 0 <= start <= stop < n) in ascending (rev false) or
// descending order, walking from whichever end of the index is nearer. m
// is only valid during the call; fn returns false to stop.
func (z *zset) rankWalk(start, stop int64, rev bool, fn func(m []byte, s float64) bool) error {
	n := z.size()
	zi, err := z.iter()
	if err != nil {
		return err
	}
	defer zi.Close()
	// The range in ascending-rank terms.
	a, b := start, stop
	if rev {
		a, b = n-1-stop, n-1-start
	}
	fromLow := a <= n-1-b
	var ok bool
	if fromLow {
		ok = zi.first()
		for i := int64(0); ok && i < a; i++ {
			ok = zi.next()
		}
	} else {
		ok = zi.last()
		for i := n - 1; ok && i > b; i-- {
			ok = zi.prev()
		}
	}
	// No step past the last entry wanted: it could walk tombstones.
	if fromLow != rev {
		// Walking in output order.
		for i := a; ok && i <= b; i++ {
			if !fn(zi.member(), zi.score()) {
				return nil
			}
			if i < b {
				ok = zi.move(fromLow)
			}
		}
		return zi.Error()
	}
	// Walking against output order: collect, then replay reversed.
	var c zcollect
	for i := a; ok && i <= b; i++ {
		c.add(zi.member(), zi.score())
		if i < b {
			ok = zi.move(fromLow)
		}
	}
	if err := zi.Error(); err != nil {
		return err
	}
	items := c.items()
	for i := len(items) - 1; i >= 0; i-- {
		if !fn(items[i].Member, items[i].Score) {
			break
		}
	}
	return nil
}

// lexCmpBound compares a member with a bound as Redis's sdscmplex does
// ("-" sorts before everything, "+" after).
func lexCmpBound(m []byte, b *ZLexBound) int {
	switch b.Inf {
	case -1:
		return 1
	case 1:
		return -1
	}
	return bytes.Compare(m, b.Value)
}

// empty reports the ranges Redis rejects up front (min > max, or min ==
// max with an exclusive end).
func (r *ZLexRange) empty() bool {
	var cmp int
	switch {
	case r.Min.Inf != 0 && r.Min.Inf == r.Max.Inf:
		cmp = 0
	case r.Min.Inf == -1 || r.Max.Inf == 1:
		cmp = -1
	case r.Min.Inf == 1 || r.Max.Inf == -1:
		cmp = 1
	default:
		cmp = bytes.Compare(r.Min.Value, r.Max.Value)
	}
	return cmp > 0 || (cmp == 0 && (r.Min.Ex || r.Max.Ex))
}

func (r *ZLexRange) gteMin(m []byte) bool {
	c := lexCmpBound(m, &r.Min)
	if r.Min.Ex {
		return c > 0
	}
	return c >= 0
}

func (r *ZLexRange) lteMax(m []byte) bool {
	c := lexCmpBound(m, &r.Max)
	if r.Max.Ex {
		return c < 0
	}
	return c <= 0
}

func (r *ZScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

func (r *ZScoreRange) gteMin(s float64) bool {
	if r.MinEx {
		return s > r.Min
	}
	return s >= r.Min
}

func (r *ZScoreRange) lteMax(s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

// scoreWalk calls fn for the entries within r, ascending or (rev)
// descending: one seek, then a walk over exactly the matching entries.
func (z *zset) scoreWalk(r ZScoreRange, rev bool, fn func(m []byte, s float64) bool) error {
	if !z.exists || r.empty() {
		return nil
	}
	zi, err := z.iter()
	if err != nil {
		return err
	}
	defer zi.Close()
	// From an end of the index (the common -inf / +inf), walk in from
	// there (through the outliers, then one seek); otherwise seek.
	var ok bool
	if !rev {
		if lo := scoreBytes(r.Min); bytes.Compare(lo[:], z.lo[:]) <= 0 {
			for ok = zi.first(); ok && !r.gteMin(zi.score()); ok = zi.next() {
			}
		} else {
			ok = zi.seekScore(r.Min, false, r.MinEx)
		}
	} else {
		if hi := scoreBytes(r.Max); bytes.Compare(hi[:], z.hi[:]) >= 0 {
			for ok = zi.last(); ok && !r.lteMax(zi.score()); ok = zi.prev() {
			}
		} else {
			ok = zi.seekScore(r.Max, true, r.MaxEx)
		}
	}
	for ; ok; ok = zi.move(!rev) {
		s := zi.score()
		if (!rev && !r.lteMax(s)) || (rev && !r.gteMin(s)) {
			break
		}
		if !fn(zi.member(), s) {
			break
		}
	}
	return zi.Error()
}

// lexWalk calls fn for the entries within r as Redis 7.0 does for a
// listpack: ascending, it finds the first entry whose member is >= min and
// then goes on while members are <= max (descending, the mirror image).
// Redis's lex commands assume equal scores; when they are (first and last
// scores equal) the start is found with one seek, otherwise by walking.
func (z *zset) lexWalk(r ZLexRange, rev bool, fn func(m []byte, s float64) bool) error {
	if !z.exists || r.empty() {
		return nil
	}
	zi, err := z.iter()
	if err != nil {
		return err
	}
	defer zi.Close()
	// Redis's early exit: last member < min or first member > max.
	if !zi.last() || !r.gteMin(zi.member()) {
		return zi.Error()
	}
	lastScore := zi.score()
	if !zi.first() || !r.lteMax(zi.member()) {
		return zi.Error()
	}
	equal := zi.score() == lastScore
	var ok bool
	if !rev {
		ok = true // at the first entry
		if equal && r.Min.Inf == 0 {
			k := append(encoding.EncodeScore(append([]byte(nil), zi.prefix...), lastScore), r.Min.Value...)
			zi.left = 0
			ok = zi.SeekGE(k)
		}
		for ; ok && !r.gteMin(zi.member()); ok = zi.next() {
		}
		for ; ok && r.lteMax(zi.member()); ok = zi.next() {
			if !fn(zi.member(), zi.score()) {
				break
			}
		}
		return zi.Error()
	}
	ok = zi.last()
	if equal && r.Max.Inf == 0 {
		k := append(encoding.EncodeScore(append([]byte(nil), zi.prefix...), lastScore), r.Max.Value...)
		if !r.Max.Ex {
			k = append(k, 0)
		}
		zi.left = 0
		ok = zi.SeekLT(k)
	}
	for ; ok && !r.lteMax(zi.member()); ok = zi.prev() {
	}
	for ; ok && r.gteMin(zi.member()); ok = zi.prev() {
		if !fn(zi.member(), zi.score()) {
			break
		}
	}
	return zi.Error()
}

// limited wraps fn with a LIMIT offset count: offset < 0 or count == 0
// give nothing, count < 0 means no limit (Redis's semantics).
func limited(offset, count int64, fn func(m []byte, s float64) bool) (func(m []byte, s float64) bool, bool) {
	if offset < 0 || count == 0 {
		return nil, false
	}
	return func(m []byte, s float64) bool {
		if offset > 0 {
			offset--
			return true
		}
		if !fn(m, s) {
			return false
		}
		if count > 0 {
			count--
			return count > 0
		}
		return true
	}, true
}

// ZRangeByRank returns the members of ranks [start, stop] (ZRANGE index
// rules), ascending or (rev) descending.
func (tx *Tx) ZRangeByRank(key []byte, start, stop int64, rev bool) ([]ZItem, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return nil, err
	}
	start, stop, ok := normRange(start, stop, z.size())
	if !ok {
		return nil, nil
	}
	var c zcollect
	err = z.rankWalk(start, stop, rev, func(m []byte, s float64) bool { c.add(m, s); return true })
	return c.items(), err
}

// ZRangeByScore returns the members within r, after skipping offset of
// them and up to count (< 0: all).
func (tx *Tx) ZRangeByScore(key []byte, r ZScoreRange, rev bool, offset, count int64) ([]ZItem, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return nil, err
	}
	var c zcollect
	fn, ok := limited(offset, count, func(m []byte, s float64) bool { c.add(m, s); return true })
	if !ok {
		return nil, nil
	}
	err = z.scoreWalk(r, rev, fn)
	return c.items(), err
}

// ZRangeByLex returns the members within r (see lexWalk), after skipping
// offset of them and up to count (< 0: all).
func (tx *Tx) ZRangeByLex(key []byte, r ZLexRange, rev bool, offset, count int64) ([]ZItem, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return nil, err
	}
	var c zcollect
	fn, ok := limited(offset, count, func(m []byte, s float64) bool { c.add(m, s); return true })
	if !ok {
		return nil, nil
	}
	err = z.lexWalk(r, rev, fn)
	return c.items(), err
}

// ZCount counts the members within r: O(1) for (-inf, +inf), otherwise a
// walk over the matching entries.
func (tx *Tx) ZCount(key []byte, r ZScoreRange) (int64, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return 0, err
	}
	if math.IsInf(r.Min, -1) && !r.MinEx && math.IsInf(r.Max, 1) && !r.MaxEx {
		return z.size(), nil
	}
	var n int64
	err = z.scoreWalk(r, false, func([]byte, float64) bool { n++; return true })
	return n, err
}

// ZLexCount counts the members within r.
func (tx *Tx) ZLexCount(key []byte, r ZLexRange) (int64, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return 0, err
	}
	var n int64
	err = z.lexWalk(r, false, func([]byte, float64) bool { n++; return true })
	return n, err
}

// removeItems deletes the given members (ascending index order), tightens
// the score hints past them and saves.
func (z *zset) removeItems(items []ZItem) error {
	if len(items) == 0 {
		return nil
	}
	// Only an end that lost its extreme entry needs re-deriving (one seek
	// saved per trim on the other end).
	first, last := scoreBytes(items[0].Score), scoreBytes(items[len(items)-1].Score)
	low := bytes.Compare(first[:], z.lo[:]) <= 0
	high := bytes.Compare(last[:], z.hi[:]) >= 0
	for _, it := range items {
		z.remove(it.Member, it.Score)
	}
	if err := z.tighten(items, low, high); err != nil {
		return err
	}
	return z.save()
}

// tighten resets the hints of the low and/or high end to the lowest/highest
// entries that survive the deletion of del (sorted in index order): lo =
// base and hi = top, with no outliers. Deleted entries at either end are still visible to reads in
// this command, so they are skipped by matching them in order; the cost is
// a few seeks plus the deleted entries at the ends, which the caller has
// just walked anyway.
func (z *zset) tighten(del []ZItem, low, high bool) error {
	if z.meta.Size == 0 || !z.hints || !(low || high) {
		return nil
	}
	zi, err := z.iter()
	if err != nil {
		return err
	}
	defer zi.Close()
	same := func(it ZItem) bool {
		return zi.score() == it.Score && bytes.Equal(zi.member(), it.Member)
	}
	i := 0
	for ok := low && zi.first(); ok; ok = zi.next() {
		if i < len(del) && same(del[i]) {
			i++
			continue
		}
		z.lo = scoreBytes(zi.score())
		z.base, z.nlow = z.lo, 0
		break
	}
	j := len(del) - 1
	for ok := high && zi.last(); ok; ok = zi.prev() {
		if j >= 0 && same(del[j]) {
			j--
			continue
		}
		z.hi = scoreBytes(zi.score())
		z.top, z.nhigh = z.hi, 0
		break
	}
	return zi.Error()
}

func sortItems(items []ZItem) {
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Score != b.Score {
			return a.Score < b.Score
		}
		return bytes.Compare(a.Member, b.Member) < 0
	})
}

// ZRem removes members and returns how many existed.
func (tx *Tx) ZRem(key []byte, members [][]byte) (int64, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return 0, err
	}
	var items []ZItem
	var seen map[string]struct{}
	if len(members) > 1 {
		seen = make(map[string]struct{}, len(members))
	}
	for _, m := range members {
		if seen != nil {
			if _, dup := seen[string(m)]; dup {
				continue
			}
			seen[string(m)] = struct{}{}
		}
		s, ok, err := z.score(m)
		if err != nil {
			return 0, err
		}
		if ok {
			items = append(items, ZItem{Member: m, Score: s})
		}
	}
	sortItems(items)
	return int64(len(items)), z.removeItems(items)
}

// ZRemRangeByRank removes ranks [start, stop] and returns how many.
func (tx *Tx) ZRemRangeByRank(key []byte, start, stop int64) (int64, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return 0, err
	}
	start, stop, ok := normRange(start, stop, z.size())
	if !ok {
		return 0, nil
	}
	var c zcollect
	if err := z.rankWalk(start, stop, false, func(m []byte, s float64) bool { c.add(m, s); return true }); err != nil {
		return 0, err
	}
	items := c.items()
	return int64(len(items)), z.removeItems(items)
}

// ZRemRangeByScore removes the members within r.
func (tx *Tx) ZRemRangeByScore(key []byte, r ZScoreRange) (int64, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return 0, err
	}
	var c zcollect
	if err := z.scoreWalk(r, false, func(m []byte, s float64) bool { c.add(m, s); return true }); err != nil {
		return 0, err
	}
	items := c.items()
	return int64(len(items)), z.removeItems(items)
}

// ZRemRangeByLex removes the members within r (see lexWalk).
func (tx *Tx) ZRemRangeByLex(key []byte, r ZLexRange) (int64, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return 0, err
	}
	var c zcollect
	if err := z.lexWalk(r, false, func(m []byte, s float64) bool { c.add(m, s); return true }); err != nil {
		return 0, err
	}
	items := c.items()
	return int64(len(items)), z.removeItems(items)
}

// ZPop removes and returns up to count members with the lowest (or, max,
// highest) scores, in pop order. exists is false for a missing key.
func (tx *Tx) ZPop(key []byte, max bool, count int64) (items []ZItem, exists bool, err error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return nil, false, err
	}
	if count > z.size() {
		count = z.size()
	}
	if count <= 0 {
		return nil, true, nil
	}
	var c zcollect
	if err := z.rankWalk(0, count-1, max, func(m []byte, s float64) bool { c.add(m, s); return true }); err != nil {
		return nil, true, err
	}
	items = c.items()
	asc := items
	if max {
		asc = append([]ZItem(nil), items...)
		reverseItems(asc)
	}
	return items, true, z.removeItems(asc)
}

// ZSample returns the members at the given ranks (ascending ranks, repeats
// allowed), in the same order: one walk up to the highest rank.
func (tx *Tx) ZSample(key []byte, ranks []int64) ([]ZItem, error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists || len(ranks) == 0 {
		return nil, err
	}
	n := z.size()
	last := ranks[len(ranks)-1]
	if last >= n {
		last = n - 1
	}
	var c zcollect
	i := 0
	var rank int64
	err = z.rankWalk(0, last, false, func(m []byte, s float64) bool {
		for i < len(ranks) && ranks[i] == rank {
			c.add(m, s)
			i++
		}
		rank++
		return i < len(ranks)
	})
	return c.items(), err
}

// ZStore replaces key with a sorted set of items (distinct members), or
// deletes it when items is empty (ZRANGESTORE, ZUNIONSTORE, ...). It
// returns the new size.
func (tx *Tx) ZStore(key []byte, items []ZItem) (int64, error) {
	if len(items) == 0 {
		_, err := tx.Delete(key)
		return 0, err
	}
	mk, _, err := tx.raw(key)
	if err != nil {
		return 0, err
	}
	z := &zset{tx: tx, key: key, mk: mk}
	z.create()
	for _, it := range items {
		z.put(it.Member, normScore(it.Score), 0, false)
	}
	return z.size(), z.save()
}

// ZSetEncoding returns the OBJECT ENCODING Redis 7.0 would report for a
// sorted set with metadata m.
func ZSetEncoding(m *encoding.Metadata) string {
	if m.Size > ZSetListpackEntries || (len(m.Value) >= zsetTailLen && m.Value[16]&zsetFlagSkiplist != 0) {
		return "skiplist"
	}
	return "listpack"
}

// ZSource is an input of ZUNION/ZINTER/ZDIFF: a sorted set, or a set whose
// members all score 1.
type ZSource struct {
	z     *zset
	IsSet bool
}

// OpenZSource opens key as a ZUNION-style input; a missing key gives nil.
func (tx *Tx) OpenZSource(key []byte) (*ZSource, error) {
	mk, raw, err := tx.raw(key)
	if err != nil || raw == nil {
		return nil, err
	}
	m, err := encoding.DecodeMetadata(raw)
	if err != nil {
		return nil, err
	}
	if m.Expired(tx.Now) {
		return nil, nil
	}
	if m.Type != encoding.TypeZSet && m.Type != encoding.TypeSet {
		return nil, ErrWrongType
	}
	// A set's members are TagMember records too (with empty values).
	z := &zset{tx: tx, key: key, mk: mk, meta: m, exists: true}
	return &ZSource{z: z, IsSet: m.Type == encoding.TypeSet}, nil
}

// Size returns the number of members.
func (s *ZSource) Size() int64 { return s.z.size() }

// Score returns member's score (1 for a set member).
func (s *ZSource) Score(member []byte) (float64, bool, error) {
	if !s.IsSet {
		return s.z.score(member)
	}
	_, ok, err := s.z.tx.e.store.Get(nil, s.z.memberKey(member))
	return 1, ok, err
}

// Each calls fn for every member in member order; m is valid only during
// the call.
func (s *ZSource) Each(fn func(m []byte, score float64) bool) error {
	return s.z.memberWalk(nil, func(m []byte, sc float64) bool {
		if s.IsSet {
			sc = 1
		}
		return fn(m, sc)
	})
}

// memberWalk calls fn for the member records from member from on (nil:
// from the start) in member order.
func (z *zset) memberWalk(from []byte, fn func(m []byte, s float64) bool) error {
	p := encoding.AppendSubKey(nil, z.mk, z.meta.Version, encoding.TagMember)
	upper := encoding.PrefixEnd(append([]byte(nil), p...))
	lower := append(append([]byte(nil), p...), from...)
	it, err := z.tx.e.store.NewIter(lower, upper)
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		var s float64
		if v := it.Value(); len(v) == 8 {
			s = math.Float64frombits(binary.BigEndian.Uint64(v))
		}
		if !fn(it.Key()[len(p):], s) {
			break
		}
	}
	return it.Close()
}

// ZScan returns one ZSCAN page through fn. A set Redis would keep as a
// listpack comes whole, in score order, with cursor 0, as Redis replies for
// listpacks (fn is told, since Redis then formats scores differently).
// Otherwise up to count members from the cursor's position on, in member
// order, and the cursor to continue with (0 when done); the cursors are
// the ones HSCAN/SSCAN use (newScanCursor).
func (tx *Tx) ZScan(key []byte, cursor uint64, count int64, fn func(m []byte, s float64, listpack bool)) (next uint64, err error) {
	z, err := tx.openZSet(key)
	if err != nil || !z.exists {
		return 0, err
	}
	if ZSetEncoding(&z.meta) == "listpack" {
		err = z.rankWalk(0, z.size()-1, false, func(m []byte, s float64) bool { fn(m, s, true); return true })
		return 0, err
	}
	var n int64
	err = z.memberWalk(scanStart(cursor), func(m []byte, s float64) bool {
		if n == count {
			next = newScanCursor(m)
			return false
		}
		fn(m, s, false)
		n++
		return true
	})
	return next, err
}

func init() {
	EncodingOf[encoding.TypeZSet] = func(_ *Tx, _ []byte, m encoding.Metadata) string { return ZSetEncoding(&m) }
}
