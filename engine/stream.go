package engine

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/storage"
)

// Streams. Nothing here loads a whole stream, group or PEL: every command
// reads the metadata, the few records it names and bounded iterator ranges.
//
// Metadata: TypeStream, version, size = number of live entries, then a
// 64-byte type-specific tail (all big-endian):
//
//	last-id ms u64 | last-id seq u64        last generated ID
//	first-id ms u64 | first-id seq u64      first live entry (0-0 when empty)
//	max-deleted ms u64 | max-deleted seq u64
//	entries-added u64                       every entry ever added
//	groups u64                              number of consumer groups
//
// Sub-records (P(tag) = AppendSubKey(metaKey, version, tag)):
//
//	P(TagStream) | ms u64 | seq u64 -> add-index u64 | n u32 | (len u32 | bytes){n}
//	    an entry; add-index is entries-added after it was added (it places
//	    the entry in a simulated 100-entry radix-tree node, so MAXLEN ~ and
//	    MINID ~ trim whole nodes as Redis does); the list is field, value, ...
//	P(TagGroup) | name -> last-id ms u64 | seq u64 | entries-read i64 (-1 =
//	    unknown) | pending u64 | consumers u64
//	P(TagConsumer) | len(group) u32 | group | name -> seen-time i64 |
//	    active-time i64 | pending u64
//	P(TagPending) | len(group) u32 | group | ms u64 | seq u64 -> delivery-time
//	    i64 | delivery-count u64 | owner name
//	P(TagConsumerPEL) | len(group) u32 | group | len(owner) u32 | owner | ms
//	    u64 | seq u64 -> empty   (the PEL indexed by owner)
//
// A command's sub-record reads do not see its own batch, so a Stream handle
// caches the groups, consumers and PEL records it touched and writes them
// once in Save.

// StreamID is a stream entry ID.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest ID.
var MaxStreamID = StreamID{^uint64(0), ^uint64(0)}

// Cmp compares two IDs.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// IsZero reports whether a is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Append appends "ms-seq".
func (a StreamID) Append(dst []byte) []byte {
	dst = strconv.AppendUint(dst, a.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, a.Seq, 10)
}

// String returns "ms-seq".
func (a StreamID) String() string { return string(a.Append(nil)) }

// Incr returns the next ID; ok is false for the maximum.
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == ^uint64(0) {
		if a.Ms == ^uint64(0) {
			return a, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr returns the previous ID; ok is false for 0-0.
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return a, false
		}
		return StreamID{a.Ms - 1, ^uint64(0)}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

func appendID(dst []byte, id StreamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

func readID(b []byte) StreamID {
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// Stream errors (full reply texts).
var (
	ErrStreamIDSmall     = errors.New("The ID specified in XADD is equal or smaller than the target stream top item")
	ErrStreamExhausted   = errors.New("The stream has exhausted the last possible ID, unable to add more items")
	ErrStreamCorrupt     = errors.New("corrupt stream record")
	streamNodeMaxEntries = uint64(100) // stream-node-max-entries default
)

// StreamInvalidRead is the "unknown" entries-read counter.
const StreamInvalidRead = int64(-1)

const streamTailLen = 64

// StreamGroup is a consumer group's state.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64
	Pending     uint64
	Consumers   uint64
}

// StreamConsumer is a consumer's state.
type StreamConsumer struct {
	Name       []byte
	SeenTime   int64
	ActiveTime int64
	Pending    uint64
}

// StreamPending is one PEL record.
type StreamPending struct {
	DeliveryTime  int64
	DeliveryCount uint64
	Owner         []byte
}

// Stream is one command's handle on a stream key.
type Stream struct {
	tx     *Tx
	key    []byte
	mk     []byte
	meta   encoding.Metadata
	exists bool
	dirty  bool

	Last, First, MaxDeleted StreamID
	EntriesAdded            uint64
	NGroups                 uint64

	groups    map[string]*StreamGroup // nil value: destroyed
	consumers map[string]*StreamConsumer
	cdirty    map[string]bool
	gdirty    map[string]bool
	pel       map[string]*StreamPending // key: group-prefixed id; nil: deleted
	added     []addedEntry              // entries added by this command
	pelOrder  []string
}

// OpenStream looks key up as a stream; a missing key gives a handle whose
// Exists is false. A key of another type gives ErrWrongType.
func (tx *Tx) OpenStream(key []byte) (*Stream, error) {
	m, ok, err := tx.LookupType(key, encoding.TypeStream)
	if err != nil {
		return nil, err
	}
	s := &Stream{tx: tx, key: key, mk: append([]byte(nil), tx.MetaKey(key)...), meta: m, exists: ok}
	if ok {
		v := m.Value
		if len(v) < streamTailLen {
			return nil, ErrStreamCorrupt
		}
		s.Last = readID(v[0:])
		s.First = readID(v[16:])
		s.MaxDeleted = readID(v[32:])
		s.EntriesAdded = binary.BigEndian.Uint64(v[48:])
		s.NGroups = binary.BigEndian.Uint64(v[56:])
		s.meta.Value = nil
	}
	return s, nil
}

// Exists reports whether the stream exists.
func (s *Stream) Exists() bool { return s.exists }

// Len is the number of entries.
func (s *Stream) Len() uint64 { return s.meta.Size }

// Create makes a missing stream an empty new one (written by Save).
func (s *Stream) Create() {
	if s.exists {
		return
	}
	s.meta = encoding.Metadata{Type: encoding.TypeStream, Version: s.tx.e.nextVersion()}
	s.exists = true
	s.dirty = true
}

// Save writes the metadata and every cached group, consumer and PEL change.
func (s *Stream) Save() error {
	if !s.exists {
		return nil
	}
	b := s.tx.Batch()
	for name, g := range s.groups {
		if g != nil && s.gdirty[name] {
			b.Set(s.groupKey([]byte(name)), encodeGroup(g))
		}
	}
	for k, c := range s.consumers {
		if c != nil && s.cdirty[k] {
			b.Set(s.sub(encoding.TagConsumer, []byte(k)), encodeConsumer(c))
		}
	}
	for _, k := range s.pelOrder {
		p := s.pel[k]
		if p != nil {
			b.Set(s.sub(encoding.TagPending, []byte(k)), encodePending(p))
		} else {
			b.Delete(s.sub(encoding.TagPending, []byte(k)))
		}
	}
	s.pelOrder = s.pelOrder[:0]
	clear(s.gdirty)
	clear(s.cdirty)
	if !s.dirty {
		s.tx.Touch(s.key)
		return nil
	}
	s.dirty = false
	raw := s.meta.Encode(make([]byte, 0, 96))
	raw = appendID(raw, s.Last)
	raw = appendID(raw, s.First)
	raw = appendID(raw, s.MaxDeleted)
	raw = binary.BigEndian.AppendUint64(raw, s.EntriesAdded)
	raw = binary.BigEndian.AppendUint64(raw, s.NGroups)
	return s.tx.PutMeta(s.key, raw)
}

// MarkDirty forces Save to rewrite the metadata.
func (s *Stream) MarkDirty() { s.dirty = true }

func (s *Stream) prefix(tag byte) []byte {
	return encoding.AppendSubKey(make([]byte, 0, len(s.mk)+48), s.mk, s.meta.Version, tag)
}

func (s *Stream) sub(tag byte, rest []byte) []byte { return append(s.prefix(tag), rest...) }

func (s *Stream) entryKey(id StreamID) []byte { return appendID(s.prefix(encoding.TagStream), id) }

func (s *Stream) groupKey(name []byte) []byte { return s.sub(encoding.TagGroup, name) }

func groupPrefix(g []byte) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(g)+32), uint32(len(g)))
	return append(b, g...)
}

func consumerSub(g, c []byte) []byte { return append(groupPrefix(g), c...) }

func pelSub(g []byte, id StreamID) []byte { return appendID(groupPrefix(g), id) }

func cpelSub(g, c []byte, id StreamID) []byte {
	b := groupPrefix(g)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c)))
	b = append(b, c...)
	return appendID(b, id)
}

func (s *Stream) iter(lo, hi []byte) (*storage.Iter, error) { return s.tx.e.store.NewIter(lo, hi) }

// ---- entries ----

func encodeEntry(addIdx uint64, fields [][]byte) []byte {
	n := 12
	for _, f := range fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint64(b, addIdx)
	b = binary.BigEndian.AppendUint32(b, uint32(len(fields)))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// decodeEntry parses an entry value; fields alias v.
func decodeEntry(v []byte, fields [][]byte) (uint64, [][]byte, error) {
	if len(v) < 12 {
		return 0, nil, ErrStreamCorrupt
	}
	idx := binary.BigEndian.Uint64(v)
	n := binary.BigEndian.Uint32(v[8:])
	v = v[12:]
	fields = fields[:0]
	for i := uint32(0); i < n; i++ {
		if len(v) < 4 {
			return 0, nil, ErrStreamCorrupt
		}
		l := binary.BigEndian.Uint32(v)
		if uint64(len(v)-4) < uint64(l) {
			return 0, nil, ErrStreamCorrupt
		}
		fields = append(fields, v[4:4+l:4+l])
		v = v[4+l:]
	}
	return idx, fields, nil
}

type addedEntry struct {
	id  StreamID
	idx uint64
}

// IDSpec is a parsed XADD ID argument.
type IDSpec struct {
	Auto    bool // "*"
	SeqAuto bool // "ms-*"
	ID      StreamID
}

// Add appends an entry and returns its ID.
func (s *Stream) Add(spec IDSpec, fields [][]byte) (StreamID, error) {
	if s.Last == MaxStreamID {
		return StreamID{}, ErrStreamExhausted
	}
	var id StreamID
	switch {
	case spec.Auto:
		ms := uint64(s.tx.Now)
		if ms > s.Last.Ms {
			id = StreamID{ms, 0}
		} else {
			id, _ = s.Last.Incr()
		}
	case spec.SeqAuto:
		ms := spec.ID.Ms
		switch {
		case ms > s.Last.Ms:
			id = StreamID{ms, 0}
		case ms == s.Last.Ms && s.Last.Seq != ^uint64(0):
			id = StreamID{ms, s.Last.Seq + 1}
		default:
			return StreamID{}, ErrStreamIDSmall
		}
	default:
		id = spec.ID
		if id.Cmp(s.Last) <= 0 {
			return StreamID{}, ErrStreamIDSmall
		}
	}
	s.EntriesAdded++
	s.tx.Batch().Set(s.entryKey(id), encodeEntry(s.EntriesAdded, fields))
	s.added = append(s.added, addedEntry{id, s.EntriesAdded})
	s.meta.Size++
	s.Last = id
	if s.meta.Size == 1 {
		s.First = id
	}
	s.dirty = true
	return id, nil
}

// Entry reads one entry; fields are valid until the next call.
func (s *Stream) Entry(id StreamID) ([][]byte, bool, error) {
	v, ok, err := s.tx.e.store.Get(nil, s.entryKey(id))
	if err != nil || !ok {
		return nil, false, err
	}
	_, f, err := decodeEntry(v, nil)
	return f, err == nil, err
}

// HasEntry reports whether the entry exists.
func (s *Stream) HasEntry(id StreamID) (bool, error) {
	_, ok, err := s.tx.e.store.Get(nil, s.entryKey(id))
	return ok, err
}

// Range calls fn for the entries with start <= ID <= end (descending when
// rev), at most count of them when count > 0. fields alias the iterator.
func (s *Stream) Range(start, end StreamID, count int64, rev bool, fn func(id StreamID, fields [][]byte) error) error {
	if !s.exists || s.meta.Size == 0 || start.Cmp(end) > 0 {
		return nil
	}
	lo := s.entryKey(start)
	hi := append(s.entryKey(end), 0)
	it, err := s.iter(lo, hi)
	if err != nil {
		return err
	}
	defer it.Close()
	plen := len(lo) - 16
	var fields [][]byte
	var n int64
	ok := it.First()
	if rev {
		ok = it.Last()
	}
	for ; ok; ok = next(it, rev) {
		if count > 0 && n >= count {
			break
		}
		k := it.Key()
		if len(k) != plen+16 {
			continue
		}
		var err error
		_, fields, err = decodeEntry(it.Value(), fields)
		if err != nil {
			return err
		}
		if err := fn(readID(k[plen:]), fields); err != nil {
			return err
		}
		n++
	}
	return it.Error()
}

func next(it *storage.Iter, rev bool) bool {
	if rev {
		return it.Prev()
	}
	return it.Next()
}

// edge returns the first (or last) live entry ID at or after from.
func (s *Stream) firstFrom(from StreamID) (StreamID, bool, error) {
	var id StreamID
	found := false
	err := s.Range(from, MaxStreamID, 1, false, func(i StreamID, _ [][]byte) error {
		id, found = i, true
		return nil
	})
	return id, found, err
}

// LastEntry returns the last entry's ID.
func (s *Stream) LastEntry() (StreamID, bool, error) {
	var id StreamID
	found := false
	err := s.Range(StreamID{}, MaxStreamID, 1, true, func(i StreamID, _ [][]byte) error {
		id, found = i, true
		return nil
	})
	return id, found, err
}

// Delete removes entries and returns how many existed.
func (s *Stream) Delete(ids []StreamID) (int64, error) {
	if !s.exists {
		return 0, nil
	}
	seen := make(map[StreamID]bool, len(ids))
	var n int64
	firstGone := false
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		ok, err := s.HasEntry(id)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		s.tx.Batch().Delete(s.entryKey(id))
		n++
		s.meta.Size--
		if id.Cmp(s.MaxDeleted) > 0 {
			s.MaxDeleted = id
		}
		if id == s.First {
			firstGone = true
		}
	}
	if n == 0 {
		return 0, nil
	}
	s.dirty = true
	if s.meta.Size == 0 {
		s.First = StreamID{}
	} else if firstGone {
		// The batch is not visible to reads: skip the deleted IDs.
		from := s.First
		for {
			id, ok, err := s.firstFrom(from)
			if err != nil {
				return 0, err
			}
			if !ok {
				break
			}
			if !seen[id] {
				s.First = id
				break
			}
			from, _ = id.Incr()
		}
	}
	return n, nil
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// TrimArgs are XADD/XTRIM's trimming options.
type TrimArgs struct {
	Strategy   int
	MaxLen     int64
	MinID      StreamID
	Approx     bool
	Limit      int64 // 0 = none
	LimitGiven bool
}

// Trim removes entries from the head and returns how many. With Approx,
// only whole (simulated) radix-tree nodes of stream-node-max-entries
// entries go, as in Redis.
func (s *Stream) Trim(t TrimArgs) (int64, error) {
	if !s.exists || s.meta.Size == 0 || t.Strategy == TrimNone {
		return 0, nil
	}
	limit := t.Limit
	if t.Approx && !t.LimitGiven {
		limit = int64(streamNodeMaxEntries) * 100
	}
	if !t.Approx {
		limit = 0
	}
	size := int64(s.meta.Size)
	lo := s.entryKey(StreamID{})
	hi := encoding.PrefixEnd(s.prefix(encoding.TagStream))
	it, err := s.iter(lo, hi)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	plen := len(lo) - 16
	// cur walks the committed entries, then the ones this command added
	// (its batch is not visible to the iterator).
	var cur struct {
		id    StreamID
		idx   uint64
		valid bool
	}
	extra := 0
	itOK := it.First()
	load := func() {
		for itOK {
			k, v := it.Key(), it.Value()
			if len(k) == plen+16 && len(v) >= 8 {
				cur.id, cur.idx, cur.valid = readID(k[plen:]), binary.BigEndian.Uint64(v), true
				return
			}
			itOK = it.Next()
		}
		if extra < len(s.added) {
			cur.id, cur.idx, cur.valid = s.added[extra].id, s.added[extra].idx, true
			return
		}
		cur.valid = false
	}
	advance := func() {
		if itOK {
			itOK = it.Next()
		} else {
			extra++
		}
		load()
	}
	load()
	var deleted int64
	var lastDel StreamID
	any := false
	var newFirst StreamID
	haveFirst := false
	if !t.Approx {
		for ; cur.valid; advance() {
			if t.Strategy == TrimMaxLen && size-deleted <= t.MaxLen ||
				t.Strategy == TrimMinID && cur.id.Cmp(t.MinID) >= 0 {
				newFirst, haveFirst = cur.id, true
				break
			}
			lastDel, any = cur.id, true
			deleted++
		}
	} else {
		// Walk node by node: a node is the entries sharing (addIdx-1)/100.
		for cur.valid {
			node := (cur.idx - 1) / streamNodeMaxEntries
			nodeFirst := cur.id
			var nodeLast StreamID
			var entries int64
			for ; cur.valid && (cur.idx-1)/streamNodeMaxEntries == node; advance() {
				nodeLast = cur.id
				entries++
			}
			remove := false
			if t.Strategy == TrimMaxLen {
				remove = size-deleted-entries >= t.MaxLen
			} else {
				remove = nodeLast.Cmp(t.MinID) < 0
			}
			if !remove || (limit > 0 && deleted+entries > limit) {
				newFirst, haveFirst = nodeFirst, true
				break
			}
			deleted += entries
			lastDel, any = nodeLast, true
		}
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	if !any {
		return 0, nil
	}
	end := append(s.entryKey(lastDel), 0)
	s.tx.Batch().DeleteRange(lo, end)
	s.meta.Size -= uint64(deleted)
	if haveFirst && s.meta.Size > 0 {
		s.First = newFirst
	} else {
		s.First = StreamID{}
	}
	s.dirty = true
	return deleted, nil
}

// ---- lag / entries-read (Redis 7.0 semantics) ----

// RangeHasTombstones is Redis's streamRangeHasTombstones(start, end=max).
func (s *Stream) RangeHasTombstones(start StreamID) bool {
	if s.meta.Size == 0 || s.MaxDeleted.IsZero() {
		return false
	}
	if s.First.Cmp(s.MaxDeleted) > 0 {
		return false
	}
	return start.Cmp(s.MaxDeleted) <= 0
}

// EstimateDistance is Redis's streamEstimateDistanceFromFirstEverEntry.
func (s *Stream) EstimateDistance(id StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.meta.Size == 0 && id.Cmp(s.Last) < 1 {
		return int64(s.EntriesAdded)
	}
	c := id.Cmp(s.Last)
	if c == 0 {
		return int64(s.EntriesAdded)
	} else if c > 0 {
		return StreamInvalidRead
	}
	cf := id.Cmp(s.First)
	if s.MaxDeleted.IsZero() || s.MaxDeleted.Cmp(s.First) < 0 {
		if cf < 0 {
			return int64(s.EntriesAdded - s.meta.Size)
		} else if cf == 0 {
			return int64(s.EntriesAdded - s.meta.Size + 1)
		}
	}
	return StreamInvalidRead
}

// Lag returns a group's lag (ok false: unknown, reply nil).
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != StreamInvalidRead && !s.RangeHasTombstones(g.LastID) {
		return int64(s.EntriesAdded) - g.EntriesRead, true
	}
	er := s.EstimateDistance(g.LastID)
	if er != StreamInvalidRead {
		return int64(s.EntriesAdded) - er, true
	}
	return 0, false
}

// ---- groups ----

func encodeGroup(g *StreamGroup) []byte {
	b := make([]byte, 0, 40)
	b = appendID(b, g.LastID)
	b = binary.BigEndian.AppendUint64(b, uint64(g.EntriesRead))
	b = binary.BigEndian.AppendUint64(b, g.Pending)
	return binary.BigEndian.AppendUint64(b, g.Consumers)
}

func decodeGroup(name, v []byte) (*StreamGroup, error) {
	if len(v) < 40 {
		return nil, ErrStreamCorrupt
	}
	return &StreamGroup{
		Name:        append([]byte(nil), name...),
		LastID:      readID(v),
		EntriesRead: int64(binary.BigEndian.Uint64(v[16:])),
		Pending:     binary.BigEndian.Uint64(v[24:]),
		Consumers:   binary.BigEndian.Uint64(v[32:]),
	}, nil
}

// Group returns a consumer group (cached for the command; changes to the
// returned struct are saved after GroupChanged).
func (s *Stream) Group(name []byte) (*StreamGroup, bool, error) {
	if !s.exists {
		return nil, false, nil
	}
	if g, ok := s.groups[string(name)]; ok {
		return g, g != nil, nil
	}
	v, ok, err := s.tx.e.store.Get(nil, s.groupKey(name))
	if err != nil || !ok {
		return nil, false, err
	}
	g, err := decodeGroup(name, v)
	if err != nil {
		return nil, false, err
	}
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	s.groups[string(name)] = g
	return g, true, nil
}

// GroupChanged marks g to be written by Save.
func (s *Stream) GroupChanged(g *StreamGroup) {
	if s.gdirty == nil {
		s.gdirty = map[string]bool{}
	}
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	s.groups[string(g.Name)] = g
	s.gdirty[string(g.Name)] = true
}

// CreateGroup adds a group (the caller checked it does not exist).
func (s *Stream) CreateGroup(name []byte, last StreamID, entriesRead int64) *StreamGroup {
	g := &StreamGroup{Name: append([]byte(nil), name...), LastID: last, EntriesRead: entriesRead}
	s.GroupChanged(g)
	s.NGroups++
	s.dirty = true
	return g
}

// DestroyGroup removes a group with its consumers and PEL.
func (s *Stream) DestroyGroup(name []byte) {
	b := s.tx.Batch()
	b.Delete(s.groupKey(name))
	for _, tag := range []byte{encoding.TagConsumer, encoding.TagPending, encoding.TagConsumerPEL} {
		lo := s.sub(tag, groupPrefix(name))
		b.DeleteRange(lo, encoding.PrefixEnd(append([]byte(nil), lo...)))
	}
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	s.groups[string(name)] = nil
	s.NGroups--
	s.dirty = true
}

// Groups calls fn for every group in name order.
func (s *Stream) Groups(fn func(g *StreamGroup) error) error {
	if !s.exists || s.NGroups == 0 {
		return nil
	}
	lo := s.prefix(encoding.TagGroup)
	it, err := s.iter(lo, encoding.PrefixEnd(append([]byte(nil), lo...)))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		g, err := decodeGroup(it.Key()[len(lo):], it.Value())
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return it.Error()
}

// ---- consumers ----

func encodeConsumer(c *StreamConsumer) []byte {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, uint64(c.SeenTime))
	b = binary.BigEndian.AppendUint64(b, uint64(c.ActiveTime))
	return binary.BigEndian.AppendUint64(b, c.Pending)
}

func decodeConsumer(name, v []byte) (*StreamConsumer, error) {
	if len(v) < 24 {
		return nil, ErrStreamCorrupt
	}
	return &StreamConsumer{
		Name:       append([]byte(nil), name...),
		SeenTime:   int64(binary.BigEndian.Uint64(v)),
		ActiveTime: int64(binary.BigEndian.Uint64(v[8:])),
		Pending:    binary.BigEndian.Uint64(v[16:]),
	}, nil
}

// Consumer returns a group's consumer (cached for the command).
func (s *Stream) Consumer(g *StreamGroup, name []byte) (*StreamConsumer, bool, error) {
	k := string(consumerSub(g.Name, name))
	if c, ok := s.consumers[k]; ok {
		return c, c != nil, nil
	}
	v, ok, err := s.tx.e.store.Get(nil, s.sub(encoding.TagConsumer, []byte(k)))
	if err != nil || !ok {
		return nil, false, err
	}
	c, err := decodeConsumer(name, v)
	if err != nil {
		return nil, false, err
	}
	if s.consumers == nil {
		s.consumers = map[string]*StreamConsumer{}
	}
	s.consumers[k] = c
	return c, true, nil
}

// ConsumerChanged marks c to be written by Save.
func (s *Stream) ConsumerChanged(g *StreamGroup, c *StreamConsumer) {
	k := string(consumerSub(g.Name, c.Name))
	if s.consumers == nil {
		s.consumers = map[string]*StreamConsumer{}
	}
	if s.cdirty == nil {
		s.cdirty = map[string]bool{}
	}
	s.consumers[k] = c
	s.cdirty[k] = true
}

// CreateConsumer adds a consumer (the caller checked it does not exist).
func (s *Stream) CreateConsumer(g *StreamGroup, name []byte) *StreamConsumer {
	c := &StreamConsumer{Name: append([]byte(nil), name...), SeenTime: s.tx.Now, ActiveTime: -1}
	s.ConsumerChanged(g, c)
	g.Consumers++
	s.GroupChanged(g)
	return c
}

// LookupOrCreateConsumer returns the consumer, creating it if needed, and
// refreshes its seen time. created reports a creation.
func (s *Stream) LookupOrCreateConsumer(g *StreamGroup, name []byte) (c *StreamConsumer, created bool, err error) {
	c, ok, err := s.Consumer(g, name)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return s.CreateConsumer(g, name), true, nil
	}
	c.SeenTime = s.tx.Now
	s.ConsumerChanged(g, c)
	return c, false, nil
}

// DeleteConsumer removes a consumer and its pending entries; it returns the
// number of pending entries it had.
func (s *Stream) DeleteConsumer(g *StreamGroup, c *StreamConsumer) (uint64, error) {
	var ids []StreamID
	if err := s.ConsumerPending(g, c.Name, StreamID{}, MaxStreamID, 0, func(id StreamID) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		return 0, err
	}
	b := s.tx.Batch()
	for _, id := range ids {
		s.setPEL(g, id, nil)
	}
	lo := s.sub(encoding.TagConsumerPEL, cpelSub(g.Name, c.Name, StreamID{})[:4+len(g.Name)+4+len(c.Name)])
	b.DeleteRange(lo, encoding.PrefixEnd(append([]byte(nil), lo...)))
	k := string(consumerSub(g.Name, c.Name))
	b.Delete(s.sub(encoding.TagConsumer, []byte(k)))
	if s.consumers == nil {
		s.consumers = map[string]*StreamConsumer{}
	}
	s.consumers[k] = nil
	g.Pending -= uint64(len(ids))
	g.Consumers--
	s.GroupChanged(g)
	return uint64(len(ids)), nil
}

// Consumers calls fn for every consumer of g in name order.
func (s *Stream) Consumers(g *StreamGroup, fn func(c *StreamConsumer) error) error {
	lo := s.sub(encoding.TagConsumer, groupPrefix(g.Name))
	it, err := s.iter(lo, encoding.PrefixEnd(append([]byte(nil), lo...)))
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		c, err := decodeConsumer(it.Key()[len(lo):], it.Value())
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return it.Error()
}

// ---- PEL ----

func encodePending(p *StreamPending) []byte {
	b := make([]byte, 0, 16+len(p.Owner))
	b = binary.BigEndian.AppendUint64(b, uint64(p.DeliveryTime))
	b = binary.BigEndian.AppendUint64(b, p.DeliveryCount)
	return append(b, p.Owner...)
}

func decodePending(v []byte) (*StreamPending, error) {
	if len(v) < 16 {
		return nil, ErrStreamCorrupt
	}
	return &StreamPending{
		DeliveryTime:  int64(binary.BigEndian.Uint64(v)),
		DeliveryCount: binary.BigEndian.Uint64(v[8:]),
		Owner:         append([]byte(nil), v[16:]...),
	}, nil
}

// Pending returns the PEL record of id in g.
func (s *Stream) Pending(g *StreamGroup, id StreamID) (*StreamPending, bool, error) {
	k := string(pelSub(g.Name, id))
	if p, ok := s.pel[k]; ok {
		return p, p != nil, nil
	}
	v, ok, err := s.tx.e.store.Get(nil, s.sub(encoding.TagPending, []byte(k)))
	if err != nil || !ok {
		return nil, false, err
	}
	p, err := decodePending(v)
	if err != nil {
		return nil, false, err
	}
	if s.pel == nil {
		s.pel = map[string]*StreamPending{}
	}
	s.pel[k] = p
	return p, true, nil
}

// setPEL records a PEL change (p nil: delete) for Save.
func (s *Stream) setPEL(g *StreamGroup, id StreamID, p *StreamPending) {
	k := string(pelSub(g.Name, id))
	if s.pel == nil {
		s.pel = map[string]*StreamPending{}
	}
	s.pel[k] = p
	s.pelOrder = append(s.pelOrder, k)
}

// PutPending writes id's PEL record; prevOwner is the previous owner (nil
// for a new record). Owner index and counters are kept in step.
func (s *Stream) PutPending(g *StreamGroup, id StreamID, p *StreamPending, prev *StreamConsumer, owner *StreamConsumer) {
	b := s.tx.Batch()
	if prev == nil {
		g.Pending++
		s.GroupChanged(g)
	}
	if prev != owner {
		if prev != nil {
			b.Delete(s.sub(encoding.TagConsumerPEL, cpelSub(g.Name, prev.Name, id)))
			prev.Pending--
			s.ConsumerChanged(g, prev)
		}
		b.Set(s.sub(encoding.TagConsumerPEL, cpelSub(g.Name, owner.Name, id)), nil)
		owner.Pending++
		s.ConsumerChanged(g, owner)
	}
	p.Owner = owner.Name
	s.setPEL(g, id, p)
}

// DelPending removes id's PEL record owned by owner.
func (s *Stream) DelPending(g *StreamGroup, id StreamID, owner *StreamConsumer) {
	if owner != nil {
		s.tx.Batch().Delete(s.sub(encoding.TagConsumerPEL, cpelSub(g.Name, owner.Name, id)))
		owner.Pending--
		s.ConsumerChanged(g, owner)
	}
	g.Pending--
	s.GroupChanged(g)
	s.setPEL(g, id, nil)
}

// PendingRange calls fn for g's PEL records with start <= id <= end in ID
// order, at most count when count > 0 (committed state).
func (s *Stream) PendingRange(g *StreamGroup, start, end StreamID, count int64, fn func(id StreamID, p *StreamPending) error) error {
	if start.Cmp(end) > 0 {
		return nil
	}
	base := s.sub(encoding.TagPending, groupPrefix(g.Name))
	lo := appendID(append([]byte(nil), base...), start)
	hi := append(appendID(append([]byte(nil), base...), end), 0)
	it, err := s.iter(lo, hi)
	if err != nil {
		return err
	}
	defer it.Close()
	var n int64
	for ok := it.First(); ok && (count <= 0 || n < count); ok = it.Next() {
		k := it.Key()
		if len(k) != len(base)+16 {
			continue
		}
		p, err := decodePending(it.Value())
		if err != nil {
			return err
		}
		if err := fn(readID(k[len(base):]), p); err != nil {
			return err
		}
		n++
	}
	return it.Error()
}

// PendingEdges returns the smallest and largest pending IDs of g.
func (s *Stream) PendingEdges(g *StreamGroup) (lo, hi StreamID, err error) {
	base := s.sub(encoding.TagPending, groupPrefix(g.Name))
	it, err := s.iter(base, encoding.PrefixEnd(append([]byte(nil), base...)))
	if err != nil {
		return lo, hi, err
	}
	defer it.Close()
	if it.First() {
		lo = readID(it.Key()[len(base):])
	}
	if it.Last() {
		hi = readID(it.Key()[len(base):])
	}
	return lo, hi, it.Error()
}

// ConsumerPending calls fn for the IDs consumer owns in g (start..end, at
// most count when count > 0), through the owner index.
func (s *Stream) ConsumerPending(g *StreamGroup, consumer []byte, start, end StreamID, count int64, fn func(id StreamID) error) error {
	if start.Cmp(end) > 0 {
		return nil
	}
	full := cpelSub(g.Name, consumer, StreamID{})
	base := s.sub(encoding.TagConsumerPEL, full[:len(full)-16])
	lo := appendID(append([]byte(nil), base...), start)
	hi := append(appendID(append([]byte(nil), base...), end), 0)
	it, err := s.iter(lo, hi)
	if err != nil {
		return err
	}
	defer it.Close()
	var n int64
	for ok := it.First(); ok && (count <= 0 || n < count); ok = it.Next() {
		k := it.Key()
		if len(k) != len(base)+16 {
			continue
		}
		if err := fn(readID(k[len(base):])); err != nil {
			return err
		}
		n++
	}
	return it.Error()
}

// NodeCount estimates the radix-tree keys/nodes XINFO STREAM reports (one
// node per stream-node-max-entries entries added).
func (s *Stream) NodeCount() (keys, nodes int64, err error) {
	if s.meta.Size == 0 {
		return 0, 1, nil
	}
	var fi, li uint64
	for i, rev := range []bool{false, true} {
		lo := s.entryKey(StreamID{})
		it, e := s.iter(lo, encoding.PrefixEnd(s.prefix(encoding.TagStream)))
		if e != nil {
			return 0, 0, e
		}
		ok := it.First()
		if rev {
			ok = it.Last()
		}
		if ok && len(it.Value()) >= 8 {
			v := binary.BigEndian.Uint64(it.Value())
			if i == 0 {
				fi = v
			} else {
				li = v
			}
		}
		it.Close()
	}
	if li < fi || fi == 0 {
		return 1, 2, nil
	}
	keys = int64((li-1)/streamNodeMaxEntries-(fi-1)/streamNodeMaxEntries) + 1
	nodes = keys + 1
	return keys, nodes, nil
}

func init() {
	EncodingOf[encoding.TypeStream] = func(*Tx, []byte, encoding.Metadata) string { return "stream" }
}
