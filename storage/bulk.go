package storage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Bulk loading. Writing a whole dataset through the memtable in the random
// key order an RDB file has costs most of an import in skiplist searches
// and then rewrites everything in flushes and compactions. In bulk mode the
// store's commits go instead to an external sort: records are collected in
// a memory budget, sorted and spilled as runs, and Finish merges the runs
// into sorted tables that Pebble ingests straight into the bottom level.
// Only for a store that is being filled from empty by one writer (an
// offline import): reads during bulk mode do not see the bulk writes, and
// only sets and counter merges are accepted.

// ErrDuplicateKey is returned (wrapped in a *DuplicateKeyError) by Finish
// when two bulk writes have the same key.
var ErrDuplicateKey = errors.New("storage: bulk load wrote a key twice")

// DuplicateKeyError names the key written twice.
type DuplicateKeyError struct{ Key []byte }

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("storage: bulk load wrote key %q twice", e.Key)
}

func (e *DuplicateKeyError) Unwrap() error { return ErrDuplicateKey }

// bulkRecord locates one record in a run's arena. prefix holds the key's
// first 8 bytes so most comparisons never touch the arena.
type bulkRecord struct {
	prefix uint64
	off    uint32 // key start in the arena
	klen   uint32
	vlen   uint32
}

// bulkRun is one budget's worth of records, sorted before it is spilled.
type bulkRun struct {
	arena []byte
	recs  []bulkRecord
}

func (r *bulkRun) key(i int) []byte {
	x := &r.recs[i]
	return r.arena[x.off : x.off+x.klen]
}

func (r *bulkRun) value(i int) []byte {
	x := &r.recs[i]
	return r.arena[x.off+x.klen : x.off+x.klen+x.vlen]
}

func (r *bulkRun) add(k, v []byte) {
	var p [8]byte
	copy(p[:], k)
	r.recs = append(r.recs, bulkRecord{prefix: binary.BigEndian.Uint64(p[:]), off: uint32(len(r.arena)), klen: uint32(len(k)), vlen: uint32(len(v))})
	r.arena = append(r.arena, k...)
	r.arena = append(r.arena, v...)
}

// sort orders the run by key. tmp is scratch space of at least
// len(r.recs) records.
//
// An MSD radix sort on the keys' 8-byte prefixes comes first: the keys of
// one run share long prefixes (namespace, database, then the hash slot and
// a length field), so a comparison sort would spend most of its
// comparisons on bytes that are equal. Each level buckets by the first
// byte in which the group's prefixes differ; groups that are small or
// share their whole prefix are finished by comparing keys.
func (r *bulkRun) sort(tmp []bulkRecord) {
	radixSort(r.recs, tmp[:len(r.recs)], r.arena)
}

func radixSort(recs, tmp []bulkRecord, arena []byte) {
	if len(recs) < 64 {
		compareSort(recs, arena)
		return
	}
	first := recs[0].prefix
	var diff uint64
	for i := range recs {
		diff |= recs[i].prefix ^ first
	}
	if diff == 0 {
		compareSort(recs, arena)
		return
	}
	shift := 56 - bits.LeadingZeros64(diff)/8*8
	var count, next [256]int
	for i := range recs {
		count[byte(recs[i].prefix>>shift)]++
	}
	sum := 0
	for b, n := range count {
		next[b] = sum
		sum += n
	}
	for i := range recs {
		b := byte(recs[i].prefix >> shift)
		tmp[next[b]] = recs[i]
		next[b]++
	}
	copy(recs, tmp)
	start := 0
	for _, n := range count {
		if n > 1 {
			radixSort(recs[start:start+n], tmp[start:start+n], arena)
		}
		start += n
	}
}

func compareSort(recs []bulkRecord, arena []byte) {
	slices.SortFunc(recs, func(a, b bulkRecord) int {
		if a.prefix != b.prefix {
			if a.prefix < b.prefix {
				return -1
			}
			return 1
		}
		return bytes.Compare(arena[a.off:a.off+a.klen], arena[b.off:b.off+b.klen])
	})
}

// sortScratch returns scratch space for sorting n records. Sorts never
// overlap: the spiller sorts, and Finish only after the spiller stopped.
func (bl *BulkLoader) sortScratch(n int) []bulkRecord {
	if cap(bl.scratch) < n {
		bl.scratch = make([]bulkRecord, n)
	}
	return bl.scratch[:n]
}

// BulkLoader is the external sort behind bulk mode.
type BulkLoader struct {
	s       *Store
	tmp     string // directory for runs and tables (removed by Finish/Abort)
	budget  int
	cur     *bulkRun
	scratch []bulkRecord  // the sort's scratch space (one sort at a time)
	free    chan *bulkRun // arenas handed back by the spiller
	spill   chan *bulkRun
	done    chan struct{}
	amu     sync.Mutex // serializes addBatch
	mu      sync.Mutex
	err     error // first spill error
	// runs[i] holds run i's files, one per key range (partition); the
	// ranges are cut at splits, chosen from the first run (RDB keys come in
	// hash order, so one run is a fair sample), so Finish merges the
	// partitions on all cores at once.
	runs   [][]string
	splits [][]byte
	merges map[string]int64 // counter merge operands, folded
	// Records too big for a run (huge hash values, stream entries) go to
	// one side file; only their keys stay in memory.
	large  []largeRecord
	largeF *os.File
	largeN int64
	Stats  BulkStats
}

// BulkStats describes a bulk load.
type BulkStats struct {
	Records    int64
	Bytes      int64 // keys + values
	Runs       int
	Partitions int
	Tables     int
	Finish     time.Duration // merging the runs into tables and ingesting them
}

// StartBulk puts the store in bulk mode: until Finish or Abort, Commit
// sends a batch's records to the external sort instead of applying them.
// tmpDir must be on the store's filesystem (tables are linked, not
// copied, into the store); budget bounds the memory of one run (two runs
// are in memory at once: one filling, one being spilled).
func (s *Store) StartBulk(tmpDir string, budget int) (*BulkLoader, error) {
	if s.bulk.Load() != nil {
		return nil, errors.New("storage: already in bulk mode")
	}
	if budget < 1<<20 {
		budget = 1 << 20
	}
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, err
	}
	bl := &BulkLoader{
		s: s, tmp: tmpDir, budget: budget,
		free:   make(chan *bulkRun, 2),
		spill:  make(chan *bulkRun),
		done:   make(chan struct{}),
		merges: map[string]int64{},
	}
	bl.free <- bl.newRun()
	bl.cur = bl.newRun()
	go bl.spiller()
	s.bulk.Store(bl)
	return bl, nil
}

// newRun allocates a run's arena at its final size: growing it by
// appending would briefly hold two copies and leave up to twice the
// budget allocated.
//
// Two thirds of the budget hold keys and values, one third the record
// index (24 bytes a record): a run is full when either is, so small
// records and large ones both fill it without reallocation.
func (bl *BulkLoader) newRun() *bulkRun {
	return &bulkRun{arena: make([]byte, 0, bl.budget*2/3), recs: make([]bulkRecord, 0, bl.budget/3/int(unsafe.Sizeof(bulkRecord{})))}
}

// full reports whether a record of n bytes does not fit in the run.
func (r *bulkRun) full(n int) bool {
	return len(r.arena)+n > cap(r.arena) || len(r.recs) == cap(r.recs)
}

// addBatch takes a committed batch's records. Commits are serialized: the
// loader has one intended writer, but a stray background commit must not
// corrupt the runs.
func (bl *BulkLoader) addBatch(b *Batch) error {
	bl.amu.Lock()
	defer bl.amu.Unlock()
	r := b.b.Reader()
	for {
		kind, k, v, ok, err := r.Next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch kind {
		case pebble.InternalKeyKindSet:
			if len(k)+len(v) > cap(bl.cur.arena)/8 {
				if err := bl.addLarge(k, v); err != nil {
					return err
				}
				continue
			}
			if bl.cur.full(len(k) + len(v)) {
				if err := bl.rotate(); err != nil {
					return err
				}
			}
			bl.cur.add(k, v)
			bl.Stats.Records++
			bl.Stats.Bytes += int64(len(k) + len(v))
		case pebble.InternalKeyKindMerge:
			bl.merges[string(k)] += DecodeCounter(v)
		default:
			return fmt.Errorf("storage: bulk mode accepts only sets and merges (got %v)", kind)
		}
	}
}

type largeRecord struct {
	key  []byte
	off  int64
	vlen int
}

// addLarge writes a big record's value to the side file.
func (bl *BulkLoader) addLarge(k, v []byte) error {
	if bl.largeF == nil {
		f, err := os.CreateTemp(bl.tmp, "large-*")
		if err != nil {
			return err
		}
		bl.largeF = f
	}
	if _, err := bl.largeF.WriteAt(v, bl.largeN); err != nil {
		return err
	}
	bl.large = append(bl.large, largeRecord{key: append([]byte(nil), k...), off: bl.largeN, vlen: len(v)})
	bl.largeN += int64(len(v))
	bl.Stats.Records++
	bl.Stats.Bytes += int64(len(k) + len(v))
	return nil
}

// rotate hands the full run to the spiller and continues in a free arena.
func (bl *BulkLoader) rotate() error {
	if err := bl.spillErr(); err != nil {
		return err
	}
	bl.spill <- bl.cur
	next := <-bl.free
	next.arena, next.recs = next.arena[:0], next.recs[:0]
	bl.cur = next
	return nil
}

func (bl *BulkLoader) spillErr() error {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	return bl.err
}

// spiller sorts full runs and writes them to run files, concurrently with
// the producer filling the next run.
func (bl *BulkLoader) spiller() {
	defer close(bl.done)
	for run := range bl.spill {
		paths, err := bl.writeRun(run)
		bl.mu.Lock()
		if err != nil && bl.err == nil {
			bl.err = err
		}
		if err == nil {
			bl.runs = append(bl.runs, paths)
		}
		bl.mu.Unlock()
		bl.free <- run
	}
}

// writeRun sorts run and writes it as one run file per partition:
// uvarint key length, uvarint value length, key, value; in key order. The
// first run written chooses the partitions' split keys.
func (bl *BulkLoader) writeRun(run *bulkRun) ([]string, error) {
	run.sort(bl.sortScratch(len(run.recs)))
	if bl.splits == nil {
		bl.chooseSplits(run)
	}
	paths := make([]string, 0, len(bl.splits)+1)
	var hdr [2 * binary.MaxVarintLen32]byte
	i := 0
	for p := 0; p <= len(bl.splits); p++ {
		f, err := os.CreateTemp(bl.tmp, fmt.Sprintf("run-p%02d-*", p))
		if err != nil {
			return paths, err
		}
		paths = append(paths, f.Name())
		w := bufio.NewWriterSize(f, 1<<20)
		for ; i < len(run.recs); i++ {
			k, v := run.key(i), run.value(i)
			if p < len(bl.splits) && bytes.Compare(k, bl.splits[p]) >= 0 {
				break
			}
			n := binary.PutUvarint(hdr[:], uint64(len(k)))
			n += binary.PutUvarint(hdr[n:], uint64(len(v)))
			w.Write(hdr[:n])
			w.Write(k)
			w.Write(v)
		}
		err = w.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// chooseSplits cuts the key space at quantiles of a sorted run, one range
// per core.
func (bl *BulkLoader) chooseSplits(run *bulkRun) {
	bl.splits = [][]byte{}
	parts := min(runtime.GOMAXPROCS(0), 8)
	for p := 1; p < parts && len(run.recs) >= parts; p++ {
		k := run.key(len(run.recs) * p / parts)
		if n := len(bl.splits); n == 0 || bytes.Compare(k, bl.splits[n-1]) > 0 {
			bl.splits = append(bl.splits, append([]byte(nil), k...))
		}
	}
}

// partition returns the range key belongs to.
func (bl *BulkLoader) partition(key []byte) int {
	p, _ := slices.BinarySearchFunc(bl.splits, key, func(split, k []byte) int {
		if bytes.Compare(split, k) <= 0 {
			return -1
		}
		return 1
	})
	return p
}

// stop ends the spiller and returns its first error.
func (bl *BulkLoader) stop() error {
	if bl.spill != nil {
		close(bl.spill)
		<-bl.done
		bl.spill = nil
	}
	return bl.spillErr()
}

// Abort leaves bulk mode, dropping everything written in it.
func (bl *BulkLoader) Abort() {
	bl.amu.Lock()
	defer bl.amu.Unlock()
	bl.stop()
	bl.closeLarge()
	bl.s.bulk.Store(nil)
	os.RemoveAll(bl.tmp)
}

// Finish sorts and merges everything written in bulk mode into sorted
// tables, ingests them, and leaves bulk mode. targetTable is the size one
// table should reach before the next begins (0: 256 MB).
func (bl *BulkLoader) Finish(targetTable int64) error {
	start := time.Now()
	defer func() { bl.Stats.Finish = time.Since(start) }()
	defer os.RemoveAll(bl.tmp)
	defer bl.closeLarge()
	bl.amu.Lock() // a commit that saw bulk mode finishes first
	defer bl.amu.Unlock()
	bl.s.bulk.Store(nil)
	if err := bl.stop(); err != nil {
		return err
	}
	if targetTable <= 0 {
		targetTable = 256 << 20
	}
	// The counters become plain records in the tables.
	for k, v := range bl.merges {
		if bl.cur.full(len(k) + 8) {
			path, err := bl.writeRun(bl.cur)
			if err != nil {
				return err
			}
			bl.runs = append(bl.runs, path)
			bl.cur.arena, bl.cur.recs = bl.cur.arena[:0], bl.cur.recs[:0]
		}
		bl.cur.add([]byte(k), EncodeCounter(v))
	}
	if len(bl.runs) == 0 {
		// Everything fits in one run: no run files, one partition.
		bl.cur.sort(bl.sortScratch(len(bl.cur.recs)))
		bl.splits = nil
		srcs := [][]bulkSource{{&memSource{run: bl.cur, i: -1}}}
		return bl.mergeAndIngest(srcs, targetTable)
	}
	if len(bl.cur.recs) > 0 {
		paths, err := bl.writeRun(bl.cur)
		if err != nil {
			return err
		}
		bl.runs = append(bl.runs, paths)
	}
	// Both arenas are garbage from here on.
	bl.cur = nil
	for len(bl.free) > 0 {
		<-bl.free
	}
	parts := len(bl.splits) + 1
	srcs := make([][]bulkSource, parts)
	// The merge's read buffers share one run's budget, so memory does not
	// grow with the number of runs (the file's size).
	bufSize := min(1<<20, max(32<<10, bl.budget/(len(bl.runs)*parts)))
	for _, paths := range bl.runs {
		for p, path := range paths {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			srcs[p] = append(srcs[p], &fileSource{r: bufio.NewReaderSize(f, bufSize)})
		}
	}
	return bl.mergeAndIngest(srcs, targetTable)
}

// mergeAndIngest merges each partition's sources into tables (partitions
// in parallel), then ingests all the tables at once: the partitions are
// disjoint key ranges, so the tables do not overlap.
func (bl *BulkLoader) mergeAndIngest(srcs [][]bulkSource, targetTable int64) error {
	if len(bl.large) > 0 {
		slices.SortFunc(bl.large, func(a, b largeRecord) int { return bytes.Compare(a.key, b.key) })
		start := 0
		for p := range srcs {
			end := start
			for end < len(bl.large) && bl.partition(bl.large[end].key) == p {
				end++
			}
			if end > start {
				srcs[p] = append(srcs[p], &largeSource{f: bl.largeF, recs: bl.large[start:end], i: -1})
			}
			start = end
		}
	}
	bl.Stats.Runs = len(bl.runs)
	bl.Stats.Partitions = len(srcs)
	tables := make([][]string, len(srcs))
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for p := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tables[p], errs[p] = bl.writeTables(srcs[p], targetTable, p)
		}()
	}
	wg.Wait()
	var all []string
	for p := range srcs {
		if errs[p] != nil {
			return errs[p]
		}
		all = append(all, tables[p]...)
	}
	bl.Stats.Tables = len(all)
	if len(all) == 0 {
		return nil
	}
	return bl.s.db.Ingest(context.Background(), all)
}

// bulkSource yields records in key order.
type bulkSource interface {
	next() (ok bool, err error)
	key() []byte
	value() []byte
}

type memSource struct {
	run *bulkRun
	i   int
}

func (m *memSource) next() (bool, error) { m.i++; return m.i < len(m.run.recs), nil }
func (m *memSource) key() []byte         { return m.run.key(m.i) }
func (m *memSource) value() []byte       { return m.run.value(m.i) }

func (bl *BulkLoader) closeLarge() {
	if bl.largeF != nil {
		bl.largeF.Close()
		bl.largeF = nil
	}
}

// largeSource reads the big records' values from the side file one at a
// time, in key order.
type largeSource struct {
	f    *os.File
	recs []largeRecord
	i    int
	buf  []byte
}

func (l *largeSource) next() (bool, error) {
	l.i++
	if l.i >= len(l.recs) {
		return false, nil
	}
	r := &l.recs[l.i]
	if cap(l.buf) < r.vlen {
		l.buf = make([]byte, r.vlen)
	}
	l.buf = l.buf[:r.vlen]
	_, err := l.f.ReadAt(l.buf, r.off)
	return err == nil, err
}

func (l *largeSource) key() []byte   { return l.recs[l.i].key }
func (l *largeSource) value() []byte { return l.buf }

type fileSource struct {
	r    *bufio.Reader
	buf  []byte
	klen int
}

func (f *fileSource) next() (bool, error) {
	kl, err := binary.ReadUvarint(f.r)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	vl, err := binary.ReadUvarint(f.r)
	if err != nil {
		return false, err
	}
	n := int(kl + vl)
	if cap(f.buf) < n {
		f.buf = make([]byte, n)
	}
	f.buf = f.buf[:n]
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		return false, err
	}
	f.klen = int(kl)
	return true, nil
}

func (f *fileSource) key() []byte   { return f.buf[:f.klen] }
func (f *fileSource) value() []byte { return f.buf[f.klen:] }

// writeTables merges the sources (of partition part) into tables of about
// target bytes each.
func (bl *BulkLoader) writeTables(srcs []bulkSource, target int64, part int) ([]string, error) {
	// A small heap of source indexes ordered by their current key.
	h := make([]int, 0, len(srcs))
	less := func(a, b int) bool {
		c := bytes.Compare(srcs[h[a]].key(), srcs[h[b]].key())
		return c < 0 || c == 0 && h[a] < h[b]
	}
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(r, l) {
				m = r
			}
			if !less(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i, s := range srcs {
		ok, err := s.next()
		if err != nil {
			return nil, err
		}
		if ok {
			h = append(h, i)
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	wopts := bl.s.opts.MakeWriterOptions(len(bl.s.opts.Levels)-1, bl.s.db.TableFormat())
	var (
		tables []string
		w      *sstable.Writer
		prev   []byte
	)
	closeTable := func() error {
		if w == nil {
			return nil
		}
		err := w.Close()
		w = nil
		return err
	}
	for len(h) > 0 {
		s := srcs[h[0]]
		k := s.key()
		if prev != nil && bytes.Equal(prev, k) {
			closeTable()
			return nil, &DuplicateKeyError{Key: append([]byte(nil), k...)}
		}
		if w == nil {
			path := filepath.Join(bl.tmp, fmt.Sprintf("table-p%02d-%06d.sst", part, len(tables)))
			f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
			if err != nil {
				return nil, err
			}
			w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), wopts)
			tables = append(tables, path)
		}
		if err := w.Set(k, s.value()); err != nil {
			closeTable()
			return nil, err
		}
		prev = append(prev[:0], k...)
		if int64(w.Raw().EstimatedSize()) >= target {
			if err := closeTable(); err != nil {
				return nil, err
			}
		}
		ok, err := s.next()
		if err != nil {
			closeTable()
			return nil, err
		}
		if !ok {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return tables, closeTable()
}
