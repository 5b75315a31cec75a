package storage

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// countingFS counts the syncs that reach real WAL files, underneath walFS.
type countingFS struct {
	vfs.FS
	walSyncs atomic.Int64
}

type countingFile struct {
	vfs.File
	fs  *countingFS
	wal bool
}

func (fs *countingFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return f, err
	}
	return &countingFile{File: f, fs: fs, wal: isWAL(name)}, nil
}

func (fs *countingFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	return fs.wrap(name, f, err)
}

func (fs *countingFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	return fs.wrap(newname, f, err)
}

func (fs *countingFS) OpenReadWrite(name string, cat vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, cat, opts...)
	return fs.wrap(name, f, err)
}

func (f *countingFile) count() {
	if f.wal {
		f.fs.walSyncs.Add(1)
	}
}

func (f *countingFile) Sync() error     { f.count(); return f.File.Sync() }
func (f *countingFile) SyncData() error { f.count(); return f.File.SyncData() }
func (f *countingFile) SyncTo(n int64) (bool, error) {
	f.count()
	return f.File.SyncTo(n)
}

// openCounted opens Pebble the way Store does (walFS over the OS, commits
// with Sync=true) but with a counting layer under walFS.
func openCounted(t *testing.T, policy FsyncPolicy) (*pebble.DB, *walFS, *countingFS) {
	t.Helper()
	cfs := &countingFS{FS: vfs.Default}
	wfs := newWALFS(cfs, policy)
	db, err := pebble.Open(t.TempDir(), &pebble.Options{FS: wfs, Merger: counterMerger, Logger: quietLogger{}})
	require.NoError(t, err)
	wfs.startBackground()
	t.Cleanup(func() {
		wfs.stopBackground()
		_ = db.Close()
	})
	return db, wfs, cfs
}

func commitOne(t *testing.T, db *pebble.DB, k string) {
	t.Helper()
	b := db.NewBatch()
	require.NoError(t, b.Set([]byte(k), []byte("v"), nil))
	require.NoError(t, db.Apply(b, writeOpts))
	require.NoError(t, b.Close())
}

func TestWALFSAlwaysSyncsEveryCommit(t *testing.T) {
	db, _, cfs := openCounted(t, FsyncAlways)
	for i := 0; i < 5; i++ {
		before := cfs.walSyncs.Load()
		commitOne(t, db, string(rune('a'+i)))
		require.Greater(t, cfs.walSyncs.Load(), before, "commit %d did not fsync the WAL", i)
	}
}

func TestWALFSEverySecSyncsInBackground(t *testing.T) {
	db, _, cfs := openCounted(t, FsyncEverySec)
	// The background loop may fire at any moment; retry until a commit is
	// observed not to sync synchronously (a fsync per commit would fail
	// every attempt).
	deferred := false
	for attempt := 0; attempt < 10 && !deferred; attempt++ {
		before := cfs.walSyncs.Load()
		commitOne(t, db, "k")
		deferred = cfs.walSyncs.Load() == before
	}
	require.True(t, deferred, "everysec fsyncs on every commit")

	// Within about a second the background loop fsyncs the WAL.
	before := cfs.walSyncs.Load()
	commitOne(t, db, "k2")
	require.Eventually(t, func() bool { return cfs.walSyncs.Load() > before }, 2500*time.Millisecond, 20*time.Millisecond)
}

func TestWALFSNoNeverSyncs(t *testing.T) {
	db, _, cfs := openCounted(t, FsyncNo)
	before := cfs.walSyncs.Load()
	for i := 0; i < 20; i++ {
		commitOne(t, db, "k")
	}
	time.Sleep(1500 * time.Millisecond) // longer than one background tick
	require.Equal(t, before, cfs.walSyncs.Load())
}

func TestWALFSSetPolicy(t *testing.T) {
	db, wfs, cfs := openCounted(t, FsyncNo)
	commitOne(t, db, "k")
	before := cfs.walSyncs.Load()
	// Switching to a syncing policy fsyncs what is already written.
	wfs.SetPolicy(FsyncAlways)
	require.Greater(t, cfs.walSyncs.Load(), before)
	require.Equal(t, FsyncAlways, wfs.Policy())
	before = cfs.walSyncs.Load()
	commitOne(t, db, "k")
	require.Greater(t, cfs.walSyncs.Load(), before)
}

// TestWALFileDirect exercises walFile without Pebble: only WAL files are
// wrapped, and Sync reaches the file only under always.
func TestWALFileDirect(t *testing.T) {
	cfs := &countingFS{FS: vfs.NewMem()}
	wfs := newWALFS(cfs, FsyncEverySec)
	f, err := wfs.Create("000001.log", vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, ok := f.(*walFile)
	require.True(t, ok)
	_, err = f.Write([]byte("record"))
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.SyncData())
	full, err := f.SyncTo(6)
	require.NoError(t, err)
	require.True(t, full)
	require.Zero(t, cfs.walSyncs.Load())

	wfs.SetPolicy(FsyncAlways) // syncs the open file once
	require.Equal(t, int64(1), cfs.walSyncs.Load())
	require.NoError(t, f.Sync())
	require.Equal(t, int64(2), cfs.walSyncs.Load())

	wfs.SetPolicy(FsyncEverySec)
	n := cfs.walSyncs.Load()
	wfs.syncAll()
	require.Equal(t, n+1, cfs.walSyncs.Load())
	require.False(t, wfs.lastSync.IsZero())

	// Close makes the file durable and forgets it.
	n = cfs.walSyncs.Load()
	require.NoError(t, f.Close())
	require.Equal(t, n+1, cfs.walSyncs.Load())
	wfs.syncAll()
	require.Equal(t, n+1, cfs.walSyncs.Load())

	// Other files are not wrapped.
	g, err := wfs.Create("000002.sst", vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, ok = g.(*walFile)
	require.False(t, ok)
	require.NoError(t, g.Close())
}

func TestParseFsyncPolicy(t *testing.T) {
	for s, want := range map[string]FsyncPolicy{"always": FsyncAlways, "EVERYSEC": FsyncEverySec, "No": FsyncNo} {
		p, ok := ParseFsyncPolicy(s)
		require.True(t, ok)
		require.Equal(t, want, p)
	}
	_, ok := ParseFsyncPolicy("sometimes")
	require.False(t, ok)
	require.Equal(t, "always", FsyncAlways.String())
	require.Equal(t, "everysec", FsyncEverySec.String())
	require.Equal(t, "no", FsyncNo.String())
}
