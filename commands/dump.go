package commands

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shaledb/shale/encoding"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
	"github.com/shaledb/shale/tools"
)

// DUMP and RESTORE, with Redis's payload format (RDB value, RDB version,
// CRC64): payloads move between Shale and Redis in both directions.

func init() {
	Register(
		&Command{Name: "dump", Arity: 2, Flags: Readonly, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatKeyspace | CatRead | CatSlow, Handler: dumpCmd, Group: "generic", Summary: "Return a serialized version of the value stored at the specified key.", Since: "2.6.0", Complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", Tips: []string{"nondeterministic_output"}, KeySpecs: []KeySpec{RangeSpec("RO access", 1, 1, 1)}},
		&Command{Name: "restore", Arity: -4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatKeyspace | CatWrite | CatSlow | CatDangerous, Handler: restoreCmd, Group: "generic", Summary: "Create a key using the provided serialized value, previously obtained using DUMP.", Since: "2.6.0", Complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", KeySpecs: []KeySpec{RangeSpec("OW update", 1, 1, 1)}},
		&Command{Name: "restore-asking", Arity: -4, Flags: Write | DenyOOM | Asking, FirstKey: 1, LastKey: 1, Step: 1, Categories: CatKeyspace | CatWrite | CatSlow | CatDangerous, Handler: restoreCmd, Group: "server", Summary: "An internal command for migrating keys in a cluster", Since: "3.0.0", Complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", KeySpecs: []KeySpec{RangeSpec("OW update", 1, 1, 1)}},
	)
}

func dumpCmd(c *Ctx) {
	payload, ok, err := tools.DumpValueWith(c.Tx, c.Args[1], tools.DumpOptions{Compress: c.Srv.Config.Bool("rdbcompression")})
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.R.Null()
	default:
		c.R.Bulk(payload)
	}
}

// restoreCmd follows Redis 7.0's restoreCommand: options, then BUSYKEY,
// then the TTL, then the payload's trailer, then its content.
func restoreCmd(c *Ctx) {
	key := c.Args[1]
	replace, absttl := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		a := c.Args[j]
		switch {
		case EqualFold(a, "replace"):
			replace = true
		case EqualFold(a, "absttl"):
			absttl = true
		case EqualFold(a, "idletime") && more >= 1 && freq == -1:
			v, ok := c.ParseIntArg(c.Args[j+1])
			if !ok {
				return
			}
			if v < 0 {
				c.R.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = v
			j++
		case EqualFold(a, "freq") && more >= 1 && idle == -1:
			v, ok := c.ParseIntArg(c.Args[j+1])
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				c.R.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = v
			j++
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	// IDLETIME/FREQ only feed eviction hints, which Shale does not keep.
	_, _ = idle, freq
	if !replace {
		exists, err := c.Tx.Exists(key)
		if err != nil {
			c.Err(err)
			return
		}
		if exists {
			c.R.Error("BUSYKEY Target key name already exists.")
			return
		}
	}
	ttl, ok := c.ParseIntArg(c.Args[2])
	if !ok {
		return
	}
	if ttl < 0 {
		c.R.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	val, err := tools.DecodeDump(c.Args[3])
	if err != nil {
		if errors.Is(err, tools.ErrDumpPayload) || errors.Is(err, tools.ErrBadFormat) {
			c.R.Error("ERR " + err.Error())
		} else {
			c.Err(err)
		}
		return
	}
	deleted := false
	if replace {
		if deleted, err = c.Tx.Delete(key); err != nil {
			c.Err(err)
			return
		}
	}
	if ttl != 0 && !absttl {
		ttl += c.Tx.Now
	}
	if ttl != 0 && ttl <= c.Tx.Now {
		// Already expired: the key is not created (a replaced one is gone).
		if deleted {
			Notify(c, NotifyGeneric, "del", key)
		}
		c.R.OK()
		return
	}
	if err := val.Write(c.Tx, key, ttl); err != nil {
		c.Err(err)
		return
	}
	Notify(c, NotifyGeneric, "restore", key)
	c.R.OK()
}

// SAVE, BGSAVE and LASTSAVE write dir/dbfilename as an RDB 10 file from one
// Pebble snapshot (tools.ExportFile: temporary file, fsync, rename), so
// writes keep flowing while a BGSAVE runs. rdbcompression and rdbchecksum
// apply as in Redis (DUMP follows rdbcompression too).

type saveState struct {
	mu         sync.Mutex
	inProgress bool
	scheduled  bool
	lastSave   int64 // unix seconds of the last successful save
	lastTry    int64 // unix seconds of the last background save started
	lastOK     bool
	saves      int64
}

var (
	saveStatesMu sync.Mutex
	saveStates   = map[*server.Server]*saveState{}
)

func saveStateOf(s *server.Server) *saveState {
	saveStatesMu.Lock()
	defer saveStatesMu.Unlock()
	st := saveStates[s]
	if st == nil {
		st = &saveState{lastSave: s.Started.Unix(), lastOK: true}
		saveStates[s] = st
	}
	return st
}

func init() {
	Register(
		&Command{Name: "save", Arity: 1, Flags: Admin | NoScript | NoAsyncLoading | NoMulti, Lock: LockNone, Categories: CatAdmin | CatSlow | CatDangerous, Handler: saveCmd, Group: "server", Summary: "Synchronously save the dataset to disk", Since: "1.0.0", Complexity: "O(N) where N is the total number of keys in all databases"},
		&Command{Name: "bgsave", Arity: -1, Flags: Admin | NoScript | NoAsyncLoading, Lock: LockNone, Categories: CatAdmin | CatSlow | CatDangerous, Handler: bgsaveCmd, Group: "server", Summary: "Asynchronously save the dataset to disk", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "lastsave", Arity: 1, Flags: Loading | Stale | Fast, Lock: LockNone, Categories: CatAdmin | CatFast | CatDangerous, Handler: lastsaveCmd, Group: "server", Summary: "Get the UNIX time stamp of the last successful save to disk", Since: "1.0.0", Complexity: "O(1)", Tips: []string{"nondeterministic_output"}},
	)
}

// saveNow writes the RDB file; it returns the error to report.
func saveNow(srv *server.Server, eng *engine.Engine) error {
	st := saveStateOf(srv)
	dirty := eng.Stats.Dirty.Load()
	path := filepath.Join(srv.Config.Get("dir"), srv.Config.Get("dbfilename"))
	_, err := tools.ExportFile(eng, path, tools.ExportOptions{
		Compress:   srv.Config.Bool("rdbcompression"),
		NoChecksum: !srv.Config.Bool("rdbchecksum"),
	})
	st.mu.Lock()
	defer st.mu.Unlock()
	st.lastOK = err == nil
	if err == nil {
		st.lastSave = time.Now().Unix()
		st.saves++
		eng.Stats.Dirty.Add(-dirty)
	}
	return err
}

func saveCmd(c *Ctx) {
	st := saveStateOf(c.Srv)
	st.mu.Lock()
	busy := st.inProgress
	st.mu.Unlock()
	if busy {
		c.R.Error("ERR Background save already in progress")
		return
	}
	if err := saveNow(c.Srv, c.Eng); err != nil {
		c.Err(err)
		return
	}
	c.R.OK()
}

func bgsaveCmd(c *Ctx) {
	schedule := false
	if len(c.Args) > 1 {
		if len(c.Args) == 2 && EqualFold(c.Args[1], "schedule") {
			schedule = true
		} else {
			c.R.Error(ErrSyntax)
			return
		}
	}
	st := saveStateOf(c.Srv)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.inProgress {
		if schedule {
			st.scheduled = true
			c.R.Status("Background saving scheduled")
			return
		}
		c.R.Error("ERR Background save already in progress")
		return
	}
	st.startLocked(c.Srv, c.Eng)
	c.R.Status("Background saving started")
}

// startLocked starts a background save (st.mu held, none running).
func (st *saveState) startLocked(srv *server.Server, eng *engine.Engine) {
	st.inProgress = true
	st.lastTry = time.Now().Unix()
	go func() {
		for {
			if err := saveNow(srv, eng); err != nil {
				srv.Logger.Printf("# Background saving error: %v", err)
			}
			st.mu.Lock()
			if !st.scheduled {
				st.inProgress = false
				st.mu.Unlock()
				return
			}
			st.scheduled = false
			st.mu.Unlock()
		}
	}()
}

// saveRetryDelay is Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed
// save, save points wait this long before trying again.
const saveRetryDelay = 5

// attachSavePoints runs the "save <seconds> <changes>" points as Redis's
// serverCron does: a background save starts when, for some point, at
// least <changes> writes happened and more than <seconds> passed since
// the last successful save. Never while the first-start import loads.
func attachSavePoints(s *server.Server) {
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.Done():
				return
			case <-tick.C:
			}
			if s.Loading.Load() {
				continue
			}
			checkSavePoints(s, time.Now().Unix())
		}
	}()
}

func checkSavePoints(s *server.Server, now int64) {
	f := strings.Fields(s.Config.Get("save"))
	dirty := s.Engine.Stats.Dirty.Load()
	st := saveStateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.inProgress {
		return
	}
	for i := 0; i+1 < len(f); i += 2 {
		secs, err1 := strconv.ParseInt(f[i], 10, 64)
		changes, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if dirty >= changes && now-st.lastSave > secs && (st.lastOK || now-st.lastTry > saveRetryDelay) {
			s.Logger.Printf("* %d changes in %d seconds. Saving...", changes, secs)
			st.startLocked(s, s.Engine)
			return
		}
	}
}

func lastsaveCmd(c *Ctx) {
	st := saveStateOf(c.Srv)
	st.mu.Lock()
	defer st.mu.Unlock()
	c.R.Int(st.lastSave)
}

// BgsaveInProgress reports whether a BGSAVE is running (INFO persistence).
func BgsaveInProgress(s *server.Server) bool {
	st := saveStateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.inProgress
}

// LastSaveOK reports the last successful save's time, whether the last
// save succeeded and how many saves succeeded (INFO persistence).
func LastSaveOK(s *server.Server) (lastSave int64, ok bool, saves int64) {
	st := saveStateOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.lastSave, st.lastOK, st.saves
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// rdbLoadedKey marks a data directory that has been started once: only
// then is dir/dbfilename imported, so a FLUSHALL followed by a restart
// does not bring an old dump back.
var rdbLoadedKey = encoding.InternalKey("rdb-first-start")

func init() {
	AttachHooks = append(AttachHooks, attachSavePoints)
	// Last: the import runs in the background and must find the server
	// fully set up (hooks such as WATCH's install engine callbacks).
	LateAttachHooks = append(LateAttachHooks, attachRDBLoad)
	// Before MULTI's queueing hook (multi.go), as Redis rejects a command
	// during loading before it would be queued.
	Hooks = append(Hooks, loadingHook)
}

// errLoading is Redis's reply to a command without the loading flag while
// the dataset loads.
const errLoading = "LOADING Redis is loading the dataset in memory"

func loadingHook(c *server.Client, cmd *Command, _ [][]byte) bool {
	if !c.Server().Loading.Load() || cmd.Flags&Loading != 0 {
		return false
	}
	AbortMulti(c)
	c.Reply.Error(errLoading)
	c.Server().Stats.ErrorReplies.Add(1)
	return true
}

// AfterLoadHooks run once the first-start import has loaded a dump (the
// scripting layer loads the imported function libraries).
var AfterLoadHooks []func(*server.Server)

// attachRDBLoad imports dir/dbfilename on the first start of an empty data
// directory, so pointing Shale at Redis's own directory just works. As
// Redis does while it loads, the server accepts connections meanwhile and
// answers LOADING to every command without the loading flag (INFO, CONFIG,
// PUBLISH, SHUTDOWN... still work), so no command sees a partial dataset
// and the import keeps its bulk mode (sorted tables, no other writer).
func attachRDBLoad(s *server.Server) {
	st := s.Engine.Store()
	if _, seen, err := st.Get(nil, rdbLoadedKey); err != nil || seen {
		return
	}
	mark := func() {
		b := st.NewBatch()
		b.Set(rdbLoadedKey, []byte{1})
		if err := st.Commit(b); err != nil {
			s.Logger.Printf("# Can't record the first start: %v", err)
		}
	}
	empty := true
	for db := 0; db < s.Engine.Databases(); db++ {
		if s.Engine.DBSize(db) != 0 {
			empty = false
		}
	}
	path := filepath.Join(s.Config.Get("dir"), s.Config.Get("dbfilename"))
	f, err := os.Open(path)
	if !empty || err != nil {
		mark()
		return
	}
	// A sort directory left by a crash during an earlier attempt goes
	// first.
	storeDir := st.Dir()
	if stale, _ := filepath.Glob(filepath.Join(storeDir, "import-sort-*")); len(stale) > 0 {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	sortDir, err := os.MkdirTemp(storeDir, "import-sort-")
	if err != nil {
		f.Close()
		s.Logger.Printf("# Failed importing %s: %v", path, err)
		return
	}
	s.Logger.Printf("* Empty data directory and %s present: importing it", path)
	s.Load.Start.Store(time.Now().Unix())
	if fi, err := f.Stat(); err == nil {
		s.Load.Total.Store(fi.Size())
	}
	s.Load.Loaded.Store(0)
	s.Loading.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer f.Close()
		defer s.Loading.Store(false)
		// A shutdown stops the import: reading fails, the sort is
		// dropped, and the directory stays unmarked for the next start.
		in := &stopReader{r: f, stop: s.Done()}
		stats, err := tools.Import(s.Engine, in, tools.ImportOptions{BulkDir: sortDir, Progress: s.Load.Loaded.Store})
		if err != nil {
			if in.stopped {
				s.Logger.Printf("# Import of %s interrupted by shutdown", path)
				return
			}
			s.Logger.Printf("# Failed importing %s: %v", path, err)
			if _, ferr := s.Engine.FlushAll(); ferr != nil {
				s.Logger.Printf("# Failed clearing the partial import: %v", ferr)
			}
			return
		}
		mark()
		// As in Redis, loading is not a change: the save points must not
		// export the dataset again right after importing it.
		s.Engine.Stats.Dirty.Add(-s.Engine.Stats.Dirty.Load())
		for _, h := range AfterLoadHooks {
			h(s)
		}
		s.Logger.Printf("* Done loading RDB, keys loaded: %d, keys expired: %d.", stats.TotalKeys(), stats.Expired)
		s.Logger.Printf("* DB loaded from disk: %.3f seconds", stats.Duration.Seconds())
	}()
	prev := s.ShutdownHook
	s.ShutdownHook = func() {
		<-done // the storage must outlive the import
		if prev != nil {
			prev()
		}
	}
}

// stopReader fails reads once stop is closed.
type stopReader struct {
	r       io.Reader
	stop    <-chan struct{}
	stopped bool
}

func (s *stopReader) Read(p []byte) (int, error) {
	select {
	case <-s.stop:
		s.stopped = true
		return 0, errors.New("server shutting down")
	default:
	}
	return s.r.Read(p)
}
