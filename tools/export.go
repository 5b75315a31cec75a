package tools

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/storage"
)

// ExportStats summarises an export.
type ExportStats struct {
	Keys      [7]int64 // per rdb.Kind
	Expires   int64
	Functions int
	Bytes     int64
	Duration  time.Duration
}

// TotalKeys is the number of keys written.
func (s *ExportStats) TotalKeys() int64 {
	var n int64
	for _, k := range s.Keys {
		n += k
	}
	return n
}

// ExportOptions tunes Export.
type ExportOptions struct {
	Version  int    // RDB version (rdb.DefaultVersion if 0)
	RedisVer string // AUX redis-ver (default "7.0.15")
	NowMs    int64  // keys expired at this time are left out (0 = now)
	Progress func(keys int64)
	// Compress LZF-compresses strings longer than 20 bytes as Redis does
	// with rdbcompression yes.
	Compress bool
	// NoChecksum writes a zero CRC-64 (rdbchecksum no) and skips computing it.
	NoChecksum bool
}

// Export writes every database of e as an RDB stream, from one Pebble
// snapshot: writes that land while it runs are not in the file, and the
// file is one consistent point in time.
func Export(e *engine.Engine, out io.Writer, opt ExportOptions) (*ExportStats, error) {
	start := time.Now()
	if opt.NowMs == 0 {
		opt.NowMs = engine.NowMs()
	}
	if opt.RedisVer == "" {
		opt.RedisVer = "7.0.15"
	}
	snap := e.Store().NewSnapshot()
	defer snap.Close()
	w := rdb.NewWriter(out, opt.Version)
	w.SetCompression(opt.Compress)
	w.SetChecksum(!opt.NoChecksum)
	st := &ExportStats{}
	w.Header()
	w.Aux("redis-ver", opt.RedisVer)
	w.Aux("redis-bits", "64")
	w.Aux("ctime", strconv.FormatInt(time.Now().Unix(), 10))
	w.Aux("used-mem", "0")
	w.Aux("aof-base", "0")
	libs, err := loadFunctions(snap.Get)
	if err != nil {
		return st, fmt.Errorf("function libraries: %w", err)
	}
	for _, code := range libs {
		w.Function(code)
	}
	st.Functions = len(libs)
	for db := 0; db < e.Databases(); db++ {
		if err := exportDB(e, snap, w, db, opt, st); err != nil {
			return st, err
		}
	}
	err = w.End()
	st.Bytes = w.Written()
	st.Duration = time.Since(start)
	return st, err
}

func exportDB(e *engine.Engine, snap *storage.Snapshot, w *rdb.Writer, db int, opt ExportOptions, st *ExportStats) error {
	pdb := e.Physical(db)
	lo := encoding.DBPrefix(pdb)
	hi := encoding.PrefixEnd(encoding.DBPrefix(pdb))
	it, err := snap.NewIter(lo, hi)
	if err != nil {
		return err
	}
	defer it.Close()
	selected := false
	for ok := it.First(); ok; {
		k := it.Key()
		p, err := encoding.ParseDataKey(k)
		if err != nil || !p.IsMeta() {
			ok = it.Next() // an orphan sub-record: not part of any live key
			continue
		}
		mk := append([]byte(nil), k...)
		m, err := encoding.DecodeMetadata(append([]byte(nil), it.Value()...))
		if err != nil {
			return fmt.Errorf("db %d key %q: %w", db, p.Key, err)
		}
		key := append([]byte(nil), p.Key...)
		if !m.Expired(opt.NowMs) {
			if !selected {
				w.SelectDB(db)
				w.ResizeDB(uint64(e.DBSize(db)), uint64(e.ExpiresCount(db)))
				selected = true
			}
			if m.ExpireAt != 0 {
				w.Expire(m.ExpireAt)
				st.Expires++
			}
			var tx *engine.Tx
			if m.Type == encoding.TypeStream {
				// Streams are read through the engine (their sub-records'
				// encoding is private to it), outside the snapshot: an
				// offline export or a quiet server gives the same result.
				tx = e.Begin(db)
				tx.Now = opt.NowMs
			}
			err := writeValue(snap, tx, w, mk, key, &m, true, opt.Compress)
			if tx != nil {
				tx.Discard()
			}
			if err != nil {
				return fmt.Errorf("db %d key %q: %w", db, key, err)
			}
			st.Keys[kindOf(m.Type)]++
			if opt.Progress != nil && st.TotalKeys()%4096 == 0 {
				opt.Progress(st.TotalKeys())
			}
			if err := w.Err(); err != nil {
				return err
			}
		}
		ok = it.SeekGE(encoding.KeyRecordsEnd(mk))
	}
	return nil
}

func kindOf(t encoding.Type) rdb.Kind {
	switch t {
	case encoding.TypeList:
		return rdb.KindList
	case encoding.TypeSet:
		return rdb.KindSet
	case encoding.TypeZSet:
		return rdb.KindZSet
	case encoding.TypeHash:
		return rdb.KindHash
	case encoding.TypeStream:
		return rdb.KindStream
	}
	return rdb.KindString
}

// Reader is what writeValue reads sub-records from (a snapshot or the store).
type Reader interface {
	NewIter(lower, upper []byte) (*storage.Iter, error)
}

// subRecords calls fn with the suffix (after tag) and value of each
// sub-record of (mk, version, tag).
func subRecords(r Reader, mk []byte, version uint64, tag byte, fn func(sub, val []byte) error) error {
	lo := encoding.AppendSubKey(nil, mk, version, tag)
	hi := encoding.PrefixEnd(append([]byte(nil), lo...))
	it, err := r.NewIter(lo, hi)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key()[len(lo):], it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// maxCompressedFragmented is the largest fragmented string gathered in
// memory to be compressed; longer ones are streamed uncompressed.
const maxCompressedFragmented = 64 << 20

// writeValue writes one key's value (type byte, then the key name when
// withKey, then the value) in the types Redis 7.0 loads: STRING, LIST,
// SET, ZSET_2, HASH. The element count comes from the metadata and is
// checked against what was read. compress says whether the writer
// compresses (a fragmented string is then gathered to be compressed).
func writeValue(r Reader, tx *engine.Tx, w *rdb.Writer, mk, key []byte, m *encoding.Metadata, withKey, compress bool) error {
	put := func(t byte) {
		if withKey {
			w.Key(t, key)
		} else {
			w.ValueType(t)
		}
	}
	var n uint64
	var err error
	switch m.Type {
	case encoding.TypeString:
		put(rdb.TypeString)
		if m.Flags&encoding.FlagFragmented == 0 {
			w.String(m.Value)
			return nil
		}
		// Fragmented string: stream fragments, zero-filling the gaps, or
		// gather them to be compressed.
		var gathered []byte
		raw := w.Raw
		if compress && m.Size <= maxCompressedFragmented {
			gathered = make([]byte, 0, m.Size)
			raw = func(p []byte) { gathered = append(gathered, p...) }
		} else {
			w.StringHeader(m.Size)
		}
		var off uint64
		zeros := make([]byte, engine.FragSize)
		fill := func(to uint64) {
			for off < to {
				c := min(to-off, uint64(len(zeros)))
				raw(zeros[:c])
				off += c
			}
		}
		err = subRecords(r, mk, m.Version, encoding.TagFragment, func(sub, val []byte) error {
			if len(sub) != 4 {
				return encoding.ErrCorrupt
			}
			at := uint64(binary.BigEndian.Uint32(sub)) * engine.FragSize
			if at >= m.Size {
				return nil
			}
			fill(at)
			val = val[:min(uint64(len(val)), m.Size-at)]
			raw(val)
			off += uint64(len(val))
			return nil
		})
		fill(m.Size)
		if gathered != nil && err == nil {
			w.String(gathered)
		}
		return err
	case encoding.TypeHash:
		put(rdb.TypeHash)
		w.Len(m.Size)
		err = subRecords(r, mk, m.Version, encoding.TagField, func(f, v []byte) error {
			w.String(f)
			w.String(v)
			n++
			return nil
		})
	case encoding.TypeSet:
		put(rdb.TypeSet)
		w.Len(m.Size)
		err = subRecords(r, mk, m.Version, encoding.TagMember, func(mem, _ []byte) error {
			w.String(mem)
			n++
			return nil
		})
	case encoding.TypeList:
		lm, derr := encoding.DecodeListMeta(m.Value)
		if derr != nil {
			return derr
		}
		put(rdb.TypeList)
		size := lm.Tail - lm.Head
		w.Len(size)
		m = &encoding.Metadata{Size: size, Version: m.Version, Type: m.Type}
		err = subRecords(r, mk, m.Version, encoding.TagElement, func(_, v []byte) error {
			w.String(v)
			n++
			return nil
		})
	case encoding.TypeZSet:
		put(rdb.TypeZSet2)
		w.Len(m.Size)
		err = subRecords(r, mk, m.Version, encoding.TagMember, func(mem, sv []byte) error {
			if len(sv) != 8 {
				return encoding.ErrCorrupt
			}
			w.String(mem)
			w.BinaryDouble(math.Float64frombits(binary.BigEndian.Uint64(sv)))
			n++
			return nil
		})
	case encoding.TypeStream:
		if tx == nil {
			return fmt.Errorf("type %s cannot be exported here", m.Type)
		}
		t := byte(rdb.TypeStreamListpacks2)
		if w.Version() >= 11 {
			t = rdb.TypeStreamListpacks3
		} else if w.Version() < 10 {
			t = rdb.TypeStreamListpacks
		}
		put(t)
		return writeStream(tx, w, key, t)
	default:
		return fmt.Errorf("type %s cannot be exported yet", m.Type)
	}
	if err == nil && n != m.Size {
		err = fmt.Errorf("metadata says %d elements, found %d", m.Size, n)
	}
	return err
}

func rawID(id engine.StreamID) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

func millis(w *rdb.Writer, ms int64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(ms))
	w.Raw(b[:])
}

// writeStream writes a stream value: one listpack node per entry (see
// rdb.StreamNode), then the header, the groups with their PEL and the
// consumers with their pending ids.
func writeStream(tx *engine.Tx, w *rdb.Writer, key []byte, t byte) error {
	s, err := tx.OpenStream(key)
	if err != nil {
		return err
	}
	n := uint64(s.Len())
	// Two passes over the entries: the node count precedes the nodes, and
	// holding every node in memory would not stream.
	nodes, seen := 0, uint64(0)
	nb := &rdb.StreamNodeBuilder{MaxEntries: 100, MaxBytes: 4096}
	err = s.Range(engine.StreamID{}, engine.MaxStreamID, 0, false, func(id engine.StreamID, fields [][]byte) error {
		if !nb.Fits(fields) {
			if nb.Open() {
				nb.Finish()
			}
			nodes++
		}
		nb.Add(id.Ms, id.Seq, fields)
		seen++
		return nil
	})
	if err != nil {
		return err
	}
	if seen != n {
		return fmt.Errorf("stream length %d but %d entries found", n, seen)
	}
	if nb.Open() {
		nb.Finish()
	}
	w.Len(uint64(nodes))
	written := 0
	err = s.Range(engine.StreamID{}, engine.MaxStreamID, 0, false, func(id engine.StreamID, fields [][]byte) error {
		if !nb.Fits(fields) && nb.Open() {
			k, lp := nb.Finish()
			w.String(k)
			w.String(lp)
			written++
		}
		nb.Add(id.Ms, id.Seq, fields)
		return nil
	})
	if err != nil {
		return err
	}
	if nb.Open() {
		k, lp := nb.Finish()
		w.String(k)
		w.String(lp)
		written++
	}
	if written != nodes {
		return fmt.Errorf("stream changed during export (%d nodes, then %d)", nodes, written)
	}
	w.Len(n)
	w.Len(s.Last.Ms)
	w.Len(s.Last.Seq)
	if t >= rdb.TypeStreamListpacks2 {
		w.Len(s.First.Ms)
		w.Len(s.First.Seq)
		w.Len(s.MaxDeleted.Ms)
		w.Len(s.MaxDeleted.Seq)
		w.Len(s.EntriesAdded)
	}
	var groups []*engine.StreamGroup
	if err := s.Groups(func(g *engine.StreamGroup) error { groups = append(groups, g); return nil }); err != nil {
		return err
	}
	w.Len(uint64(len(groups)))
	for _, g := range groups {
		w.String(g.Name)
		w.Len(g.LastID.Ms)
		w.Len(g.LastID.Seq)
		if t >= rdb.TypeStreamListpacks2 {
			w.Len(uint64(g.EntriesRead)) // -1 (unknown) is written as (uint64)-1, as Redis does
		}
		type pe struct {
			id engine.StreamID
			p  engine.StreamPending
		}
		var pel []pe
		if err := s.PendingRange(g, engine.StreamID{}, engine.MaxStreamID, 0, func(id engine.StreamID, p *engine.StreamPending) error {
			pel = append(pel, pe{id, *p})
			return nil
		}); err != nil {
			return err
		}
		w.Len(uint64(len(pel)))
		for _, p := range pel {
			w.Raw(rawID(p.id))
			millis(w, p.p.DeliveryTime)
			w.Len(p.p.DeliveryCount)
		}
		var cons []engine.StreamConsumer
		if err := s.Consumers(g, func(c *engine.StreamConsumer) error { cons = append(cons, *c); return nil }); err != nil {
			return err
		}
		w.Len(uint64(len(cons)))
		for _, c := range cons {
			w.String(c.Name)
			millis(w, c.SeenTime)
			if t >= rdb.TypeStreamListpacks3 {
				millis(w, c.ActiveTime)
			}
			var ids []engine.StreamID
			if err := s.ConsumerPending(g, c.Name, engine.StreamID{}, engine.MaxStreamID, 0, func(id engine.StreamID) error {
				ids = append(ids, id)
				return nil
			}); err != nil {
				return err
			}
			w.Len(uint64(len(ids)))
			for _, id := range ids {
				w.Raw(rawID(id))
			}
		}
	}
	return nil
}
