package engine

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// Lists
//
// A list is its metadata (TypeList, version, size, and the ListMeta tail:
// Head = position of the first element, Tail = one past the last) plus one
// sub-record per element:
//
//	AppendSubKey(metaKey, version, TagElement) | pos u64 BE  ->  value
//
// Element i (0-based from the left) lives at Head+i, so:
//   - LPUSH writes Head-1, RPUSH writes Tail, LPOP/RPOP delete Head or
//     Tail-1: O(1) on disk, one point write or delete per element;
//   - LINDEX/LSET are one point read/write at Head+i;
//   - LRANGE is one bounded iterator over [Head+start, Head+stop];
//   - LINSERT, LREM and LTRIM change the middle: they rewrite the positions
//     of the shorter side (O(min(i, n-i)) for LINSERT at index i, O(n) worst
//     case for LREM).
//
// Popped positions leave point tombstones behind the live range (below Head
// or at/after Tail); no read ever walks them, because every read is bounded
// to [Head, Tail). A list emptied by pops is deleted without a range
// deletion (its records are already point-deleted), so a queue that drains
// to empty over and over does not pile up range tombstones either.

// Errors of the list commands (their Redis texts).
var (
	ErrListNoSuchKey  = errors.New("no such key")
	ErrListIndexRange = errors.New("index out of range")
	errListCorrupt    = errors.New("corrupt list")
)

// listBulkDeleteMin is the number of contiguous elements from which LTRIM
// uses one range deletion instead of point deletions: a range tombstone is
// costly for every later read of the memtable, so it only pays for big runs.
const listBulkDeleteMin = 512

// list is one command's view of a list key.
type list struct {
	tx     *Tx
	key    []byte
	mk     []byte // metadata key (owned by the Tx memo; read only)
	meta   encoding.Metadata
	lm     encoding.ListMeta
	exists bool
	kbuf   []byte // scratch for element keys
}

// openList looks key up as a list. A missing (or expired) key gives an
// empty, non-existing list ready to be created with a fresh version.
func (tx *Tx) openList(key []byte) (*list, error) {
	mk, raw, err := tx.raw(key)
	if err != nil {
		return nil, err
	}
	l := &list{tx: tx, key: key, mk: mk}
	if raw != nil {
		m, err := encoding.DecodeMetadata(raw)
		if err != nil {
			return nil, err
		}
		if !m.Expired(tx.Now) {
			if m.Type != encoding.TypeList {
				return nil, ErrWrongType
			}
			lm, err := encoding.DecodeListMeta(m.Value)
			if err != nil {
				return nil, err
			}
			l.meta, l.lm, l.exists = m, lm, true
			return l, nil
		}
	}
	l.lm = encoding.ListMeta{Head: encoding.ListInitialPos, Tail: encoding.ListInitialPos}
	return l, nil
}

func (l *list) len() int64 { return int64(l.lm.Tail - l.lm.Head) }

func (l *list) elemKey(pos uint64) []byte {
	l.kbuf = encoding.AppendSubKey(l.kbuf[:0], l.mk, l.meta.Version, encoding.TagElement)
	l.kbuf = binary.BigEndian.AppendUint64(l.kbuf, pos)
	return l.kbuf
}

// elemBound returns a fresh element key (iterator bounds must outlive kbuf).
func (l *list) elemBound(pos uint64) []byte {
	k := encoding.AppendSubKey(make([]byte, 0, len(l.mk)+17), l.mk, l.meta.Version, encoding.TagElement)
	return binary.BigEndian.AppendUint64(k, pos)
}

// get reads the element at position pos as of the command's start
// (committed state, or in a pipeline batch the batch's earlier writes).
// The value must not be modified.
func (l *list) get(pos uint64) ([]byte, error) {
	v, ok, err := l.tx.subGet(nil, l.elemKey(pos))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errListCorrupt
	}
	return v, nil
}

// popAhead is the element a single LPOP (left) or RPOP reads at pos: in a
// pipeline batch it reads up to popReadAhead elements from that end at
// once, for the pops that follow.
func (l *list) popAhead(pos uint64, left bool) ([]byte, error) {
	lo, hi := pos, min(l.lm.Tail, pos+popReadAhead)
	if !left {
		lo, hi = max(l.lm.Head, pos+1-min(pos+1, popReadAhead)), pos+1
	}
	v, ok, err := l.tx.subGetAhead(l.elemKey(pos), l.elemBound(lo), l.elemBound(hi), !left)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errListCorrupt
	}
	return v, nil
}

// popReadAhead is how many elements a batched single pop reads at once: a
// pipeline batch holds up to 256 commands, redis-benchmark sends 16.
const popReadAhead = 32

func (l *list) set(pos uint64, v []byte) { l.tx.subSet(l.elemKey(pos), v) }
func (l *list) del(pos uint64)           { l.tx.subDel(l.elemKey(pos)) }

// iter iterates the committed elements at positions [from, to).
func (l *list) iter(from, to uint64) (*storage.Iter, error) {
	return l.tx.e.store.NewIter(l.elemBound(from), l.elemBound(to))
}

func elemPos(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// create gives a new list its version (called before the first write).
func (l *list) create() {
	if !l.exists {
		l.meta = encoding.Metadata{Type: encoding.TypeList, Version: l.tx.e.nextVersion()}
		l.exists = true
	}
}

// save writes the list's metadata, or deletes the key when it is empty.
// drained says every element record was already deleted one by one.
func (l *list) save(drained bool) error {
	if l.lm.Tail == l.lm.Head {
		if drained {
			return l.tx.dropDrainedKey(l.key)
		}
		_, err := l.tx.Delete(l.key)
		return err
	}
	m := l.meta
	m.Size = l.lm.Tail - l.lm.Head
	m.Value = nil
	raw := m.Encode(make([]byte, 0, encoding.HeaderLen+16+16))
	raw = encoding.AppendListMeta(raw, l.lm)
	return l.tx.PutMeta(l.key, raw)
}

// dropDrainedKey deletes a collection key whose sub-records this command has
// already deleted one by one (the last pop of a queue, ...). It is Delete
// without the range deletion of the sub-records: range tombstones make every
// later memtable read more expensive, and here there is nothing left to
// cover.
func (tx *Tx) dropDrainedKey(key []byte) error {
	_, err := tx.deleteKey(key, false)
	return err
}

// ListLen returns the length of the list at key (0 when missing).
func (tx *Tx) ListLen(key []byte) (int64, error) {
	l, err := tx.openList(key)
	if err != nil {
		return 0, err
	}
	return l.len(), nil
}

// ListPush pushes vals one by one to the left (LPUSH) or right (RPUSH) end
// and returns the new length. With onlyIfExists (LPUSHX/RPUSHX) a missing
// key is left alone and 0 returned.
func (tx *Tx) ListPush(key []byte, vals [][]byte, left, onlyIfExists bool) (int64, error) {
	l, err := tx.openList(key)
	if err != nil {
		return 0, err
	}
	if !l.exists && onlyIfExists {
		return 0, nil
	}
	l.create()
	for _, v := range vals {
		if left {
			l.lm.Head--
			l.set(l.lm.Head, v)
		} else {
			l.set(l.lm.Tail, v)
			l.lm.Tail++
		}
	}
	if err := l.save(false); err != nil {
		return 0, err
	}
	return l.len(), nil
}

// ListPop removes up to count elements from one end and returns them in
// pop order. exists is false for a missing key.
func (tx *Tx) ListPop(key []byte, left bool, count int64) (vals [][]byte, exists bool, err error) {
	l, err := tx.openList(key)
	if err != nil || !l.exists {
		return nil, false, err
	}
	vals, err = l.pop(left, count)
	if err != nil {
		return nil, true, err
	}
	return vals, true, l.save(true)
}

// pop removes up to count elements from one end of an existing list (no
// metadata write).
func (l *list) pop(left bool, count int64) ([][]byte, error) {
	if n := l.len(); count > n {
		count = n
	}
	if count <= 0 {
		return nil, nil
	}
	vals := make([][]byte, 0, count)
	if count == 1 {
		// The common LPOP/RPOP: one point read, no iterator.
		pos := l.lm.Head
		if !left {
			pos = l.lm.Tail - 1
		}
		v, err := l.popAhead(pos, left)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	} else {
		var it *storage.Iter
		var err error
		if left {
			it, err = l.iter(l.lm.Head, l.lm.Head+uint64(count))
		} else {
			it, err = l.iter(l.lm.Tail-uint64(count), l.lm.Tail)
		}
		if err != nil {
			return nil, err
		}
		ok := it.First()
		if !left {
			ok = it.Last()
		}
		for ; ok; ok = step(it, left) {
			vals = append(vals, append([]byte(nil), it.Value()...))
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
		if int64(len(vals)) != count {
			return nil, errListCorrupt
		}
	}
	for range vals {
		if left {
			l.del(l.lm.Head)
			l.lm.Head++
		} else {
			l.lm.Tail--
			l.del(l.lm.Tail)
		}
	}
	return vals, nil
}

func step(it *storage.Iter, forward bool) bool {
	if forward {
		return it.Next()
	}
	return it.Prev()
}

// normRange applies Redis's LRANGE/LTRIM index rules to [start, stop] for a
// list of n elements. It reports false when the range is empty.
func normRange(start, stop, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

// ListRange calls count with the number of elements of key between start
// and stop (LRANGE index rules), then fn with each of them in order. v is
// only valid during the call.
func (tx *Tx) ListRange(key []byte, start, stop int64, count func(n int64), fn func(v []byte)) error {
	l, err := tx.openList(key)
	if err != nil {
		return err
	}
	start, stop, ok := normRange(start, stop, l.len())
	if !ok {
		count(0)
		return nil
	}
	n := stop - start + 1
	it, err := l.iter(l.lm.Head+uint64(start), l.lm.Head+uint64(stop)+1)
	if err != nil {
		return err
	}
	count(n)
	var seen int64
	for ok := it.First(); ok && seen < n; ok = it.Next() {
		fn(it.Value())
		seen++
	}
	if err := it.Close(); err != nil {
		return err
	}
	if seen != n {
		return errListCorrupt
	}
	return nil
}

// ListIndex returns the element at index (negative counts from the end).
func (tx *Tx) ListIndex(key []byte, index int64) ([]byte, bool, error) {
	l, err := tx.openList(key)
	if err != nil || !l.exists {
		return nil, false, err
	}
	n := l.len()
	if index < 0 {
		index += n
	}
	if index < 0 || index >= n {
		return nil, false, nil
	}
	v, err := l.get(l.lm.Head + uint64(index))
	return v, err == nil, err
}

// ListSet replaces the element at index: ErrListNoSuchKey for a missing key,
// ErrListIndexRange for an index outside the list.
func (tx *Tx) ListSet(key []byte, index int64, v []byte) error {
	l, err := tx.openList(key)
	if err != nil {
		return err
	}
	if !l.exists {
		return ErrListNoSuchKey
	}
	n := l.len()
	if index < 0 {
		index += n
	}
	if index < 0 || index >= n {
		return ErrListIndexRange
	}
	l.set(l.lm.Head+uint64(index), v)
	return l.save(false)
}

// ListInsert inserts v before or after the first element equal to pivot.
// It returns the new length, -1 when pivot is absent, 0 for a missing key.
// Finding the pivot is O(i); the insertion moves the shorter side, so it is
// O(min(i, n-i)) writes.
func (tx *Tx) ListInsert(key []byte, before bool, pivot, v []byte) (int64, error) {
	l, err := tx.openList(key)
	if err != nil || !l.exists {
		return 0, err
	}
	it, err := l.iter(l.lm.Head, l.lm.Tail)
	if err != nil {
		return 0, err
	}
	idx := int64(-1)
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Equal(it.Value(), pivot) {
			idx = int64(elemPos(it.Key()) - l.lm.Head)
			break
		}
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if idx < 0 {
		return -1, nil
	}
	if !before {
		idx++
	}
	if err := l.insertAt(idx, v); err != nil {
		return 0, err
	}
	if err := l.save(false); err != nil {
		return 0, err
	}
	return l.len(), nil
}

// insertAt makes v the element at index idx (0 <= idx <= len), shifting
// the shorter side by one position.
func (l *list) insertAt(idx int64, v []byte) error {
	n := l.len()
	if idx <= n-idx {
		// Shift elements [0, idx) one position left.
		if err := l.move(l.lm.Head, l.lm.Head+uint64(idx), -1); err != nil {
			return err
		}
		l.lm.Head--
		l.set(l.lm.Head+uint64(idx), v)
		return nil
	}
	// Shift elements [idx, n) one position right.
	if err := l.move(l.lm.Head+uint64(idx), l.lm.Tail, 1); err != nil {
		return err
	}
	l.set(l.lm.Head+uint64(idx), v)
	l.lm.Tail++
	return nil
}

// move rewrites the committed elements at positions [from, to) at
// pos+delta. The vacated positions are not deleted: callers overwrite or
// delete them.
func (l *list) move(from, to uint64, delta int64) error {
	if from >= to {
		return nil
	}
	it, err := l.iter(from, to)
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		l.set(uint64(int64(elemPos(it.Key()))+delta), it.Value())
	}
	return it.Close()
}

// ListRem removes elements equal to v: the first count from the head
// (count > 0), the last -count from the tail (count < 0), or all (0). It
// returns how many were removed. O(n): the survivors on the shorter side of
// the removed span are moved to close the gaps.
func (tx *Tx) ListRem(key []byte, count int64, v []byte) (int64, error) {
	l, err := tx.openList(key)
	if err != nil || !l.exists {
		return 0, err
	}
	fromTail := count < 0
	limit := count
	if fromTail {
		limit = -count
	}
	// Pass 1: find the positions to remove.
	it, err := l.iter(l.lm.Head, l.lm.Tail)
	if err != nil {
		return 0, err
	}
	var hits []uint64
	ok := it.First()
	if fromTail {
		ok = it.Last()
	}
	for ; ok; ok = step(it, !fromTail) {
		if bytes.Equal(it.Value(), v) {
			hits = append(hits, elemPos(it.Key()))
			if limit > 0 && int64(len(hits)) == limit {
				break
			}
		}
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if len(hits) == 0 {
		return 0, nil
	}
	if fromTail {
		// Ascending order for pass 2.
		for i, j := 0, len(hits)-1; i < j; i, j = i+1, j-1 {
			hits[i], hits[j] = hits[j], hits[i]
		}
	}
	if err := l.removePositions(hits); err != nil {
		return 0, err
	}
	if err := l.save(true); err != nil {
		return 0, err
	}
	return int64(len(hits)), nil
}

// removePositions deletes the elements at the given ascending positions and
// closes the gaps by moving the survivors of the cheaper side.
func (l *list) removePositions(hits []uint64) error {
	first, last := hits[0], hits[len(hits)-1]
	k := uint64(len(hits))
	if l.lm.Tail-first <= last-l.lm.Head+1 {
		// Compact towards the head: survivors after first move left by the
		// number of hits before them; the last k positions are freed.
		it, err := l.iter(first, l.lm.Tail)
		if err != nil {
			return err
		}
		w, h := first, 0
		for ok := it.First(); ok; ok = it.Next() {
			pos := elemPos(it.Key())
			if h < len(hits) && pos == hits[h] {
				h++
				continue
			}
			if pos != w {
				l.set(w, it.Value())
			}
			w++
		}
		if err := it.Close(); err != nil {
			return err
		}
		l.deleteRun(w, l.lm.Tail)
		l.lm.Tail -= k
		return nil
	}
	// Compact towards the tail: survivors before last move right.
	it, err := l.iter(l.lm.Head, last+1)
	if err != nil {
		return err
	}
	w, h := last, len(hits)-1
	for ok := it.Last(); ok; ok = it.Prev() {
		pos := elemPos(it.Key())
		if h >= 0 && pos == hits[h] {
			h--
			continue
		}
		if pos != w {
			l.set(w, it.Value())
		}
		w--
	}
	if err := it.Close(); err != nil {
		return err
	}
	l.deleteRun(l.lm.Head, w+1)
	l.lm.Head += k
	return nil
}

// ListTrim keeps only the elements between start and stop (LTRIM rules).
// It costs one deletion per removed element, or one range deletion for big
// removed runs.
func (tx *Tx) ListTrim(key []byte, start, stop int64) error {
	l, err := tx.openList(key)
	if err != nil || !l.exists {
		return err
	}
	start, stop, ok := normRange(start, stop, l.len())
	if !ok {
		l.deleteRun(l.lm.Head, l.lm.Tail)
		l.lm.Head = l.lm.Tail
		return l.save(true)
	}
	newHead, newTail := l.lm.Head+uint64(start), l.lm.Head+uint64(stop)+1
	l.deleteRun(l.lm.Head, newHead)
	l.deleteRun(newTail, l.lm.Tail)
	l.lm.Head, l.lm.Tail = newHead, newTail
	return l.save(false)
}

// deleteRun deletes the elements at positions [from, to).
func (l *list) deleteRun(from, to uint64) {
	if to-from >= listBulkDeleteMin {
		l.tx.Batch().DeleteRange(l.elemBound(from), l.elemBound(to))
		return
	}
	for p := from; p < to; p++ {
		l.del(p)
	}
}

// ListPos returns the indexes of elements equal to v (LPOS): skipping the
// first |rank|-1 matches, scanning from the tail when rank < 0, returning
// at most count matches (0 = all) and comparing at most maxlen elements
// (0 = all).
func (tx *Tx) ListPos(key, v []byte, rank, count, maxlen int64) ([]int64, error) {
	l, err := tx.openList(key)
	if err != nil || !l.exists {
		return nil, err
	}
	fromTail := rank < 0
	skip := rank - 1
	if fromTail {
		skip = -rank - 1
		if rank == -1<<63 {
			skip = 0 // Redis negates LONG_MIN into itself: the first match
		}
	}
	it, err := l.iter(l.lm.Head, l.lm.Tail)
	if err != nil {
		return nil, err
	}
	var out []int64
	ok := it.First()
	if fromTail {
		ok = it.Last()
	}
	for seen := int64(0); ok && (maxlen == 0 || seen < maxlen); ok, seen = step(it, !fromTail), seen+1 {
		if !bytes.Equal(it.Value(), v) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, int64(elemPos(it.Key())-l.lm.Head))
		if count > 0 && int64(len(out)) == count {
			break
		}
	}
	return out, it.Close()
}

// ListMove pops an element from one end of src and pushes it to one end of
// dst (LMOVE/RPOPLPUSH). ok is false when src is missing. A dst of another
// type gives ErrWrongType before anything changes.
func (tx *Tx) ListMove(src, dst []byte, srcLeft, dstLeft bool) (v []byte, ok bool, err error) {
	s, err := tx.openList(src)
	if err != nil || !s.exists {
		return nil, false, err
	}
	same := bytes.Equal(src, dst)
	var d *list
	if !same {
		// The memo hands out one metadata-key buffer per key, so open dst
		// only after src's key has been copied by the memo (it has).
		d, err = tx.openList(dst)
		if err != nil {
			return nil, false, err
		}
	}
	vals, err := s.pop(srcLeft, 1)
	if err != nil {
		return nil, false, err
	}
	v = vals[0]
	if same {
		// Reads see committed state only, so the one list state carries
		// both halves; a position deleted by the pop and rewritten by the
		// push is resolved by batch order (last write wins).
		d = s
	}
	d.create()
	if dstLeft {
		d.lm.Head--
		d.set(d.lm.Head, v)
	} else {
		d.set(d.lm.Tail, v)
		d.lm.Tail++
	}
	if !same {
		if err := s.save(true); err != nil {
			return nil, false, err
		}
	}
	if err := d.save(false); err != nil {
		return nil, false, err
	}
	return v, true, nil
}
