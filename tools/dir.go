package tools

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/storage"
)

// OpenDir opens a (stopped) Shale data directory for offline work: no
// active expiry, no hot tier (nothing is read twice), no fsync per batch
// (the close flushes everything).
func OpenDir(dir string, databases int) (*engine.Engine, error) {
	so := storage.DefaultOptions(dir)
	so.Fsync = storage.FsyncNo
	so.MemTableBytes = 128 << 20
	return engine.Open(engine.Options{Storage: so, CacheBytes: 0, Databases: databases, DisableActiveExpiry: true})
}

func dirEmpty(dir string) (exists, empty bool, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, true, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, len(ents) == 0, nil
}

// ImportDir imports an RDB file into a new Shale data directory dir (absent
// or empty). It builds the data in a temporary sibling directory and
// renames it into place only when the whole file was read: on any error
// dir is left as it was, without partial data.
func ImportDir(rdbPath, dir string, databases int, opt ImportOptions) (*ImportStats, error) {
	exists, empty, err := dirEmpty(dir)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, fmt.Errorf("target data directory %s is not empty (import needs a new or empty directory)", dir)
	}
	in, err := os.Open(rdbPath)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".import-")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	e, err := OpenDir(tmp, databases)
	if err != nil {
		return nil, err
	}
	opt.BulkDir = filepath.Join(tmp, "bulk-sort")
	st, err := Import(e, in, opt)
	if err != nil {
		e.Close()
		return st, err
	}
	if err := e.Store().Flush(); err != nil {
		e.Close()
		return st, err
	}
	if err := e.Close(); err != nil {
		return st, err
	}
	if exists {
		if err := os.Remove(abs); err != nil {
			return st, err
		}
	}
	if err := os.Rename(tmp, abs); err != nil {
		return st, err
	}
	ok = true
	return st, nil
}

// ExportDir writes the data directory dir (of a stopped server) to an RDB
// file at out, through a temporary file renamed into place.
func ExportDir(dir, out string, databases int, opt ExportOptions) (*ExportStats, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	e, err := OpenDir(dir, databases)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return ExportFile(e, out, opt)
}

// ExportFile exports e to path atomically (temporary file, fsync, rename).
func ExportFile(e *engine.Engine, path string, opt ExportOptions) (*ExportStats, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-")
	if err != nil {
		return nil, err
	}
	st, err := Export(e, f, opt)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), abs)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return st, err
}

// DBReport is what one database of an RDB file holds.
type DBReport struct {
	Keys     [7]int64 // per rdb.Kind
	Elements [7]int64
	Expires  int64
	Expired  int64 // already expired at verify time
	Empty    int64 // empty collections
}

// VerifyReport is what an RDB file holds.
type VerifyReport struct {
	Version   int
	Aux       [][2]string
	Functions int
	DBs       map[int]*DBReport
	Bytes     int64
	// Digest is the DEBUG DIGEST Redis (or Shale) reports once the file is
	// loaded: compare it with the server's after an import.
	Digest string
}

// Verify reads an RDB stream completely (checksum included) without
// importing it and reports what it holds.
func Verify(r io.Reader, nowMs int64) (*VerifyReport, error) {
	if nowMs == 0 {
		nowMs = engine.NowMs()
	}
	rep := &VerifyReport{DBs: map[int]*DBReport{}}
	rd := rdb.NewReader(r)
	var n int64
	digest := newDatasetDigest(nowMs)
	err := rd.Parse(func(e *rdb.Event) error {
		digest.event(e)
		switch e.Type {
		case rdb.EvAux:
			rep.Aux = append(rep.Aux, [2]string{string(e.Field), string(e.Value)})
		case rdb.EvFunction:
			rep.Functions++
		case rdb.EvKey:
			n = 0
		case rdb.EvString, rdb.EvListElem, rdb.EvSetMember, rdb.EvHashField, rdb.EvZMember, rdb.EvStreamEntry:
			n++
		case rdb.EvStreamMeta:
			n = max(n, 1) // an empty stream is still a key
		case rdb.EvKeyEnd:
			d := rep.DBs[e.DB]
			if d == nil {
				d = &DBReport{}
				rep.DBs[e.DB] = d
			}
			switch {
			case n == 0:
				d.Empty++
			case e.ExpireAt != 0 && e.ExpireAt <= nowMs:
				d.Expired++
			default:
				d.Keys[e.Kind]++
				d.Elements[e.Kind] += n
				if e.ExpireAt != 0 {
					d.Expires++
				}
			}
		}
		return nil
	})
	rep.Version = rd.Version()
	rep.Bytes = rd.Offset()
	rep.Digest = digest.hex()
	return rep, err
}

// Format prints a report.
func (rep *VerifyReport) Format(w io.Writer) {
	fmt.Fprintf(w, "RDB version %d, %d bytes\n", rep.Version, rep.Bytes)
	for _, a := range rep.Aux {
		fmt.Fprintf(w, "aux %s = %q\n", a[0], a[1])
	}
	if rep.Functions > 0 {
		fmt.Fprintf(w, "function libraries: %d\n", rep.Functions)
	}
	var dbs []int
	for db := range rep.DBs {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	for _, db := range dbs {
		d := rep.DBs[db]
		var total int64
		var parts []string
		for k, n := range d.Keys {
			total += n
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%s=%d (%d elements)", rdb.Kind(k), n, d.Elements[k]))
			}
		}
		fmt.Fprintf(w, "db%d: keys=%d expires=%d %s", db, total, d.Expires, strings.Join(parts, " "))
		if d.Expired > 0 {
			fmt.Fprintf(w, " already-expired=%d", d.Expired)
		}
		if d.Empty > 0 {
			fmt.Fprintf(w, " empty-collections=%d", d.Empty)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "digest %s (DEBUG DIGEST once loaded)\n", rep.Digest)
}
