// Package tools holds the RDB import, export and verify logic behind the
// shale-rdb command (and, later, the server's first-start import and SAVE).
// It connects the streaming reader/writer in rdb/ with the engine.
package tools

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/storage"
)

// ImportStats summarises an import.
type ImportStats struct {
	Keys          [7]int64 // per rdb.Kind
	Elements      int64
	Bytes         int64 // bytes of the RDB consumed
	Expired       int64 // keys dropped because their TTL had passed
	Empty         int64 // empty collections skipped
	Streams       int64 // stream keys skipped (unused: streams are imported)
	FieldTTLsLost int64 // hash fields whose per-field TTL was dropped
	Functions     int   // function libraries found (stored; the server loads them)
	Version       int
	Duration      time.Duration
	Bulk          storage.BulkStats // the sorted-table path's figures (BulkDir)
}

// TotalKeys is the number of keys imported.
func (s *ImportStats) TotalKeys() int64 {
	var n int64
	for _, k := range s.Keys {
		n += k
	}
	return n
}

// ImportOptions tunes Import.
type ImportOptions struct {
	// NowMs is the clock keys' expiry is compared with (0 = now).
	NowMs int64
	// Progress, when set, is called with the bytes consumed so far every
	// few thousand keys.
	Progress func(offset int64)
	// BatchElements bounds the elements written per commit.
	BatchElements int
	// StrictStreams makes a stream key an error instead of a skipped key.
	StrictStreams bool
	// Fresh promises the target databases are empty (ImportDir), so keys
	// are written without first looking for an existing value.
	Fresh bool
	// BulkDir, when set, makes Import sort the records and ingest them as
	// sorted tables (storage bulk mode) instead of writing them through the
	// memtable: several times faster, for a store that is empty and has no
	// other writer. It is the temporary directory for the sort, on the
	// store's filesystem; it implies Fresh.
	BulkDir string
	// BulkMemory bounds the sort's memory (0: 64 MB per run, two runs).
	BulkMemory int
}

// importer feeds reader events into the engine. Writes of many keys share
// one Tx (one Pebble batch) until BatchElements elements are pending, so
// small keys cost no commit each; a big collection is split over several
// commits.
type importer struct {
	e     *engine.Engine
	opt   ImportOptions
	st    *ImportStats
	tx    *engine.Tx
	txDB  int
	n     int // elements pending in tx
	now   int64
	skip  bool
	fresh bool // current key not written yet
	count int64
	key   []byte
	db    int
	exp   int64
	kind  rdb.Kind
	buf   [][]byte
	zbuf  []engine.ZItem
	rd    *rdb.Reader

	// the stream being imported (kept in one Tx: entries go straight into
	// its batch) and the PEL of its current group
	stream   *engine.Stream
	sgroup   *engine.StreamGroup
	spel     map[rdb.StreamID]*rdb.PendingEntry
	streamV1 bool
	streamV3 bool

	funcs [][]byte // function libraries' code
}

// Import reads an RDB stream into e. Keys already in e with a name found in
// the file are replaced. On error some keys may have been written: callers
// that need all-or-nothing import into a fresh directory (see ImportDir).
func Import(e *engine.Engine, r io.Reader, opt ImportOptions) (*ImportStats, error) {
	start := time.Now()
	if opt.NowMs == 0 {
		opt.NowMs = engine.NowMs()
	}
	if opt.BatchElements <= 0 {
		opt.BatchElements = 4096
	}
	var bulk *storage.BulkLoader
	if opt.BulkDir != "" {
		opt.Fresh = true
		if opt.BulkMemory <= 0 {
			opt.BulkMemory = 64 << 20
		}
		var err error
		if bulk, err = e.Store().StartBulk(opt.BulkDir, opt.BulkMemory); err != nil {
			return nil, err
		}
		e.Cache().Pause(true)
		defer e.Cache().Pause(false)
	}
	st := &ImportStats{}
	im := &importer{e: e, opt: opt, st: st, now: opt.NowMs, txDB: -1}
	im.rd = rdb.NewReader(r)
	err := im.rd.Parse(im.event)
	if err == nil {
		err = im.commit()
	}
	if bulk != nil {
		if err == nil {
			err = duplicateError(bulk.Finish(0))
			st.Bulk = bulk.Stats
		} else {
			if im.tx != nil {
				im.tx.Discard()
				im.tx = nil
			}
			bulk.Abort()
		}
	}
	if err == nil && len(im.funcs) > 0 {
		err = storeFunctions(e, im.funcs)
	} else if err != nil && im.tx != nil {
		im.tx.Discard()
	}
	st.Bytes = im.rd.Offset()
	st.Version = im.rd.Version()
	st.Duration = time.Since(start)
	return st, err
}

// ensureTx makes im.tx a Tx on the current key's database.
func (im *importer) ensureTx() error {
	if im.tx != nil && im.txDB == im.db {
		return nil
	}
	if err := im.commit(); err != nil {
		return err
	}
	im.tx = im.e.Begin(im.db)
	im.tx.Now = im.now
	im.txDB = im.db
	return nil
}

func (im *importer) commit() error {
	if im.tx == nil {
		return nil
	}
	err := im.tx.Commit()
	im.tx = nil
	im.txDB = -1
	im.n = 0
	return err
}

// flush writes buffered elements of the current key.
func (im *importer) flush() error {
	if len(im.buf) == 0 && len(im.zbuf) == 0 {
		return nil
	}
	if err := im.ensureTx(); err != nil {
		return err
	}
	tx := im.tx
	if im.fresh {
		if im.opt.Fresh {
			if !tx.AssumeAbsent(im.key) {
				return im.duplicate()
			}
		} else if _, err := tx.Delete(im.key); err != nil {
			return err
		}
		im.fresh = false
	}
	var err error
	switch im.kind {
	case rdb.KindList:
		_, err = tx.ListPush(im.key, im.buf, false, false)
	case rdb.KindSet:
		_, err = tx.SetAdd(im.key, im.buf)
	case rdb.KindHash:
		_, err = tx.HashSet(im.key, im.buf, false)
	case rdb.KindZSet:
		_, err = tx.ZAdd(im.key, im.zbuf, engine.ZAddFlags{})
	}
	im.n += len(im.buf) + len(im.zbuf)
	im.buf = im.buf[:0]
	im.zbuf = im.zbuf[:0]
	if err != nil {
		return err
	}
	if im.n >= im.opt.BatchElements {
		if im.opt.Fresh {
			// Keep the key's metadata pending (its next elements are
			// added to it) and write what is done; EvKeyEnd commits.
			return im.tx.WriteSubRecords()
		}
		return im.commit()
	}
	return nil
}

// duplicateError words a bulk load's duplicate-record error for the user:
// Redis refuses such a file too ("Duplicate key found in RDB file").
func duplicateError(err error) error {
	var dup *storage.DuplicateKeyError
	if !errors.As(err, &dup) {
		return err
	}
	p, perr := encoding.ParseDataKey(dup.Key)
	switch {
	case perr != nil:
		return err
	case p.IsMeta():
		return duplicateKey(p.Key, p.DB)
	default:
		return fmt.Errorf("the RDB file holds key %q (database %d) with a duplicate member, field or entry", p.Key, p.DB)
	}
}

// duplicate is the error for a key seen twice in one database of a fresh
// import (within one Tx; across Txs the bulk sort finds it).
func (im *importer) duplicate() error { return duplicateKey(im.key, im.db) }

func duplicateKey(key []byte, db int) error {
	return fmt.Errorf("the RDB file holds key %q twice in database %d", key, db)
}

func cp(b []byte) []byte { return append([]byte(nil), b...) }

func (im *importer) add(elems ...[]byte) error {
	for _, e := range elems {
		im.buf = append(im.buf, cp(e))
	}
	im.count++
	if len(im.buf) >= 1024 {
		return im.flush()
	}
	return nil
}

func (im *importer) event(ev *rdb.Event) error {
	switch ev.Type {
	case rdb.EvFunction:
		im.st.Functions++
		im.funcs = append(im.funcs, cp(ev.Value))
	case rdb.EvKey:
		if ev.DB >= im.e.Databases() {
			return fmt.Errorf("the RDB file uses database %d but Shale has %d databases (raise 'databases')", ev.DB, im.e.Databases())
		}
		im.key, im.db, im.exp, im.kind = cp(ev.Key), ev.DB, ev.ExpireAt, ev.Kind
		im.count, im.fresh = 0, true
		im.skip = false
		if ev.ExpireAt != 0 && ev.ExpireAt <= im.now {
			im.skip = true
			im.st.Expired++
		} else if ev.Kind == rdb.KindStream {
			return im.beginStream(ev)
		}
	case rdb.EvString:
		if im.skip {
			return nil
		}
		im.count++
		if err := im.ensureTx(); err != nil {
			return err
		}
		if im.opt.Fresh && !im.tx.AssumeAbsent(im.key) {
			return im.duplicate()
		}
		if err := im.tx.SetString(im.key, ev.Value, im.exp); err != nil {
			return err
		}
		im.fresh = false
		im.n++
	case rdb.EvListElem, rdb.EvSetMember:
		if !im.skip {
			return im.add(ev.Value)
		}
	case rdb.EvHashField:
		if im.skip {
			return nil
		}
		if ev.FieldExpireAt != 0 {
			if ev.FieldExpireAt <= im.now {
				return nil // the field has expired: Redis drops it on load
			}
			im.st.FieldTTLsLost++
		}
		return im.add(ev.Field, ev.Value)
	case rdb.EvZMember:
		if !im.skip {
			im.zbuf = append(im.zbuf, engine.ZItem{Member: cp(ev.Value), Score: ev.Score})
			im.count++
			if len(im.zbuf) >= 1024 {
				return im.flush()
			}
		}
	case rdb.EvStreamEntry, rdb.EvStreamMeta, rdb.EvStreamGroup, rdb.EvStreamConsumer:
		if !im.skip {
			return im.streamEvent(ev)
		}
	case rdb.EvKeyEnd:
		if im.skip {
			return nil
		}
		if im.stream != nil {
			if err := im.stream.Save(); err != nil {
				return err
			}
			im.stream, im.sgroup, im.spel = nil, nil, nil
		}
		if err := im.flush(); err != nil {
			return err
		}
		if im.count == 0 {
			im.st.Empty++
			return nil
		}
		if im.kind != rdb.KindString && im.exp != 0 {
			if err := im.ensureTx(); err != nil {
				return err
			}
			if _, err := im.tx.SetExpire(im.key, im.exp, engine.ExpireFlags{}); err != nil {
				return err
			}
		}
		im.st.Keys[im.kind]++
		im.st.Elements += im.count
		if im.n >= im.opt.BatchElements {
			if err := im.commit(); err != nil {
				return err
			}
		}
		if im.opt.Progress != nil && im.st.TotalKeys()%4096 == 0 {
			im.opt.Progress(im.rd.Offset())
		}
	}
	return nil
}

func (im *importer) beginStream(ev *rdb.Event) error {
	if err := im.ensureTx(); err != nil {
		return err
	}
	if im.opt.Fresh {
		if !im.tx.AssumeAbsent(im.key) {
			return im.duplicate()
		}
	} else if _, err := im.tx.Delete(im.key); err != nil {
		return err
	}
	im.fresh = false
	s, err := im.tx.OpenStream(im.key)
	if err != nil {
		return err
	}
	s.Create()
	im.stream = s
	im.streamV1 = ev.RDBType == rdb.TypeStreamListpacks
	im.streamV3 = ev.RDBType >= rdb.TypeStreamListpacks3
	return nil
}

func sid(id rdb.StreamID) engine.StreamID { return engine.StreamID{Ms: id.Ms, Seq: id.Seq} }

// streamEvent applies one stream event. Files from Redis < 7 (stream type
// 15) lack first/max-deleted ids, entries-added and entries-read: they are
// derived as Redis 7 does on load (entries added = length, max deleted =
// 0-0, first id from the data, entries read unknown, active = seen time).
func (im *importer) streamEvent(ev *rdb.Event) error {
	s := im.stream
	switch ev.Type {
	case rdb.EvStreamEntry:
		fields := make([][]byte, len(ev.Fields))
		for i, f := range ev.Fields {
			fields[i] = cp(f)
		}
		if _, err := s.Add(engine.IDSpec{ID: sid(ev.ID)}, fields); err != nil {
			return fmt.Errorf("stream %q entry %s: %w", im.key, ev.ID, err)
		}
		im.n++
		if im.opt.Fresh && im.n%im.opt.BatchElements == 0 {
			// A huge stream's entries leave in bounded batches; its
			// metadata, groups and PEL are written at EvKeyEnd.
			return im.tx.WriteSubRecords()
		}
	case rdb.EvStreamMeta:
		m := ev.Stream
		if uint64(s.Len()) != m.Length {
			return fmt.Errorf("stream %q: %d entries but the header says %d", im.key, s.Len(), m.Length)
		}
		s.Last = sid(m.LastID)
		if m.HasV2 {
			s.First, s.MaxDeleted, s.EntriesAdded = sid(m.FirstID), sid(m.MaxDeletedID), m.EntriesAdded
		} else {
			s.MaxDeleted, s.EntriesAdded = engine.StreamID{}, m.Length
		}
		s.MarkDirty()
		im.count++ // a stream is a key even when empty
	case rdb.EvStreamGroup:
		g := ev.Group
		er := g.EntriesRead
		if im.streamV1 || er < 0 {
			er = engine.StreamInvalidRead
		}
		im.sgroup = s.CreateGroup(g.Name, sid(g.LastID), er)
		im.spel = make(map[rdb.StreamID]*rdb.PendingEntry, len(g.PEL))
		for i := range g.PEL {
			p := g.PEL[i]
			p.Consumer = cp(p.Consumer)
			im.spel[p.ID] = &p
		}
	case rdb.EvStreamConsumer:
		c := s.CreateConsumer(im.sgroup, ev.Consumer.Name)
		c.SeenTime = ev.Consumer.SeenTime
		c.ActiveTime = ev.Consumer.ActiveTime
		if !im.streamV3 { // not stored before RDB 11: Redis 7.2+ uses the seen time
			c.ActiveTime = c.SeenTime
		}
		for _, id := range ev.Consumer.Pending {
			p := im.spel[id]
			if p == nil {
				return fmt.Errorf("stream %q: pending entry %s of consumer %q is not in the group's PEL", im.key, id, ev.Consumer.Name)
			}
			s.PutPending(im.sgroup, sid(id), &engine.StreamPending{DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}, nil, c)
		}
		s.ConsumerChanged(im.sgroup, c)
	}
	return nil
}

// functionsKey is where the server keeps its function libraries: a
// FUNCTION DUMP payload (see commands/scripting.go), loaded at start.
var functionsKey = encoding.InternalKey("functions")

// storeFunctions replaces the stored function libraries with libs. A
// running server picks them up at its next start.
func storeFunctions(e *engine.Engine, libs [][]byte) error {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, DumpVersion)
	for _, code := range libs {
		w.Function(code)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	b := e.Store().NewBatch()
	b.Set(functionsKey, rdb.DumpFooter(buf.Bytes(), DumpVersion))
	return e.Store().Commit(b)
}

// loadFunctions returns the stored libraries' code.
func loadFunctions(get func(dst, key []byte) ([]byte, bool, error)) ([][]byte, error) {
	payload, ok, err := get(nil, functionsKey)
	if err != nil || !ok || len(payload) < 10 {
		return nil, err
	}
	// The payload is a run of FUNCTION2 opcodes: read it as an RDB body.
	body := append([]byte("REDIS0010"), payload[:len(payload)-10]...)
	body = append(body, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
	var libs [][]byte
	err = rdb.NewReader(bytes.NewReader(body)).Parse(func(e *rdb.Event) error {
		if e.Type == rdb.EvFunction {
			libs = append(libs, cp(e.Value))
		}
		return nil
	})
	return libs, err
}

// StoredFunctions returns the function libraries' code stored in e.
func StoredFunctions(e *engine.Engine) ([][]byte, error) { return loadFunctions(e.Store().Get) }
