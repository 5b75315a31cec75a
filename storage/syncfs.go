package storage

import (
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// FsyncPolicy mirrors Redis's appendfsync directive.
type FsyncPolicy int

const (
	// FsyncEverySec: every acknowledged write has been written to the WAL
	// file (it is in the kernel, so a process crash loses nothing) and the
	// WAL is fsynced in the background once a second (a machine crash loses
	// at most about a second).
	FsyncEverySec FsyncPolicy = iota
	// FsyncAlways: the WAL is fsynced before every reply.
	FsyncAlways
	// FsyncNo: written to the kernel before the reply; the kernel decides
	// when it reaches the disk.
	FsyncNo
)

// ParseFsyncPolicy parses an appendfsync value.
func ParseFsyncPolicy(s string) (FsyncPolicy, bool) {
	switch strings.ToLower(s) {
	case "always":
		return FsyncAlways, true
	case "everysec":
		return FsyncEverySec, true
	case "no":
		return FsyncNo, true
	}
	return 0, false
}

func (p FsyncPolicy) String() string {
	switch p {
	case FsyncAlways:
		return "always"
	case FsyncNo:
		return "no"
	}
	return "everysec"
}

// walFS wraps the OS filesystem so that the fsync of WAL files follows the
// configured policy. Pebble's own NoSync mode leaves a commit in a userspace
// buffer, which a process crash loses; instead Shale always commits with
// Sync=true (Pebble then write()s the record to the file before the commit
// returns) and this wrapper decides whether that sync reaches the disk now
// (always), once a second in the background (everysec) or never (no).
type walFS struct {
	vfs.FS
	mu     sync.Mutex
	policy FsyncPolicy
	open   map[*walFile]struct{}
	stop   chan struct{}
	done   chan struct{}
	// lastSync records the time of the last background fsync (for INFO).
	lastSync time.Time
	syncErrs int64
}

func newWALFS(base vfs.FS, policy FsyncPolicy) *walFS {
	return &walFS{FS: base, policy: policy, open: map[*walFile]struct{}{}}
}

func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs *walFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !isWAL(name) {
		return f, err
	}
	w := &walFile{File: f, fs: fs}
	fs.mu.Lock()
	fs.open[w] = struct{}{}
	fs.mu.Unlock()
	return w, nil
}

func (fs *walFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	return fs.wrap(name, f, err)
}

func (fs *walFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	return fs.wrap(newname, f, err)
}

func (fs *walFS) OpenReadWrite(name string, cat vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, cat, opts...)
	return fs.wrap(name, f, err)
}

// Policy returns the current policy.
func (fs *walFS) Policy() FsyncPolicy {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.policy
}

// SetPolicy changes the policy at runtime (CONFIG SET appendfsync).
func (fs *walFS) SetPolicy(p FsyncPolicy) {
	fs.mu.Lock()
	fs.policy = p
	fs.mu.Unlock()
	if p != FsyncNo {
		fs.syncAll()
	}
}

// syncAll fsyncs every open WAL file.
func (fs *walFS) syncAll() {
	fs.mu.Lock()
	files := make([]*walFile, 0, len(fs.open))
	for f := range fs.open {
		files = append(files, f)
	}
	fs.mu.Unlock()
	for _, f := range files {
		if err := f.File.SyncData(); err != nil {
			fs.mu.Lock()
			fs.syncErrs++
			fs.mu.Unlock()
		}
	}
	fs.mu.Lock()
	fs.lastSync = time.Now()
	fs.mu.Unlock()
}

// startBackground starts the once-a-second fsync loop used by everysec.
func (fs *walFS) startBackground() {
	fs.stop = make(chan struct{})
	fs.done = make(chan struct{})
	go func() {
		defer close(fs.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-fs.stop:
				return
			case <-t.C:
				if fs.Policy() == FsyncEverySec {
					fs.syncAll()
				}
			}
		}
	}()
}

func (fs *walFS) stopBackground() {
	if fs.stop != nil {
		close(fs.stop)
		<-fs.done
		fs.stop = nil
	}
}

// walFile is a WAL file whose syncs follow the policy.
type walFile struct {
	vfs.File
	fs *walFS
}

func (f *walFile) Sync() error {
	if f.fs.Policy() == FsyncAlways {
		return f.File.Sync()
	}
	return nil
}

func (f *walFile) SyncData() error {
	if f.fs.Policy() == FsyncAlways {
		return f.File.SyncData()
	}
	return nil
}

func (f *walFile) SyncTo(length int64) (bool, error) {
	if f.fs.Policy() == FsyncAlways {
		return f.File.SyncTo(length)
	}
	// Report a full sync so Pebble does not fall back to another Sync call.
	return true, nil
}

// Close makes the file durable before it goes away: once closed, the
// background loop can no longer reach it.
func (f *walFile) Close() error {
	f.fs.mu.Lock()
	delete(f.fs.open, f)
	f.fs.mu.Unlock()
	if f.fs.Policy() != FsyncNo {
		_ = f.File.SyncData()
	}
	return f.File.Close()
}
