package commands

import (
	"errors"
	"hash/fnv"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/server"
)

// Server administration: INFO, CONFIG, TIME, SHUTDOWN.

func init() {
	const adminFlags = Admin | NoScript | Loading | Stale
	const adminCats = CatAdmin | CatSlow | CatDangerous
	Register(
		&Command{Name: "info", Arity: -1, Flags: Loading | Stale, Categories: CatSlow | CatDangerous, Handler: infoCmd, Lock: LockNone,
			Tips:  []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
			Group: "server", Summary: "Get information and statistics about the server", Since: "1.0.0", Complexity: "O(1)"},
		&Command{Name: "time", Arity: 1, Flags: Loading | Stale | Fast, Categories: CatFast, Handler: timeCmd, Lock: LockNone,
			Tips:  []string{"nondeterministic_output"},
			Group: "server", Summary: "Return the current server time", Since: "2.6.0", Complexity: "O(1)"},
		&Command{Name: "shutdown", Arity: -1, Flags: adminFlags | NoMulti | AllowBusy, Categories: adminCats, Handler: shutdownCmd, Lock: LockNone,
			Group: "server", Summary: "Synchronously save the dataset to disk and then shut down the server", Since: "1.0.0",
			Complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"},

		&Command{Name: "config", Arity: -2, Categories: CatSlow,
			Group: "server", Summary: "A container for server configuration commands", Since: "2.0.0", Complexity: "Depends on subcommand."},
		&Command{Name: "config|get", Arity: -3, Flags: adminFlags, Categories: adminCats, Handler: configGet, Lock: LockNone,
			Summary: "Get the values of configuration parameters", Since: "2.0.0", Complexity: "O(N) when N is the number of configuration parameters provided"},
		&Command{Name: "config|set", Arity: -4, Flags: adminFlags, Categories: adminCats, Handler: configSet, Lock: LockNone,
			Tips:    []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
			Summary: "Set configuration parameters to the given values", Since: "2.0.0", Complexity: "O(N) when N is the number of configuration parameters provided"},
		&Command{Name: "config|resetstat", Arity: 2, Flags: adminFlags, Categories: adminCats, Handler: configResetStat, Lock: LockNone,
			Summary: "Reset the stats returned by INFO", Since: "2.0.0", Complexity: "O(1)"},
		&Command{Name: "config|rewrite", Arity: 2, Flags: adminFlags, Categories: adminCats, Handler: configRewrite, Lock: LockNone,
			Summary: "Rewrite the configuration file with the in memory configuration", Since: "2.8.0", Complexity: "O(1)"},
		&Command{Name: "config|help", Arity: 2, Flags: Loading | Stale, Categories: CatSlow, Handler: configHelp, Lock: LockNone,
			Summary: "Show helpful text about the different subcommands", Since: "5.0.0", Complexity: "O(1)"},
	)
}

func init() {
	// The server's log honours loglevel.
	AttachHooks = append(AttachHooks, func(s *server.Server) { s.FilterLogLevel() })
}

// Extension points for other layers.
var (
	// InfoValues override INFO fields this file cannot know
	// (blocked_clients, rdb_last_save_time, number_of_cached_scripts, ...):
	// field name → value.
	InfoValues = map[string]func(s *server.Server) string{}
	// InfoSectionHooks append "name:value" lines to a section
	// ("commandstats", "errorstats", "latencystats", or any other).
	InfoSectionHooks = map[string][]func(s *server.Server, w *InfoWriter){}
	// ResetStatHooks run on CONFIG RESETSTAT (command stats, error stats,
	// slowlog-independent counters of other layers).
	ResetStatHooks []func(s *server.Server)
	// ShutdownHooks run before SHUTDOWN closes the server; save tells
	// whether SAVE was asked for (an RDB export, ...).
	ShutdownHooks []func(s *server.Server, save bool)
)

// ---------------------------------------------------------------------------
// INFO

// InfoWriter accumulates INFO text.
type InfoWriter struct {
	b   []byte
	srv *server.Server
}

// Field writes "name:value\r\n"; an InfoValues entry for name wins.
func (w *InfoWriter) Field(name, value string) {
	if f := InfoValues[name]; f != nil {
		value = f(w.srv)
	}
	w.b = append(w.b, name...)
	w.b = append(w.b, ':')
	w.b = append(w.b, value...)
	w.b = append(w.b, '\r', '\n')
}

// Int writes an integer field.
func (w *InfoWriter) Int(name string, v int64) { w.Field(name, strconv.FormatInt(v, 10)) }

// infoSection is one INFO section in Redis's order.
type infoSection struct {
	name, title string
	dflt        bool // part of "default"
	gen         func(w *InfoWriter, s *server.Server)
}

var infoSectionList []infoSection

func init() {
	infoSectionList = []infoSection{
		{"server", "Server", true, infoServer},
		{"clients", "Clients", true, infoClients},
		{"memory", "Memory", true, infoMemory},
		{"persistence", "Persistence", true, infoPersistence},
		{"stats", "Stats", true, infoStats},
		{"replication", "Replication", true, infoReplication},
		{"cpu", "CPU", true, infoCPU},
		{"modules", "Modules", true, nil},
		{"commandstats", "Commandstats", false, nil},
		{"errorstats", "Errorstats", true, nil},
		{"latencystats", "Latencystats", false, nil},
		{"cluster", "Cluster", true, func(w *InfoWriter, _ *server.Server) { w.Int("cluster_enabled", 0) }},
		{"keyspace", "Keyspace", true, infoKeyspace},
		{"shale", "Shale", false, infoShale},
	}
}

func infoCmd(c *Ctx) {
	want := map[string]bool{}
	all, everything, dflt := false, false, len(c.Args) == 1
	for _, a := range c.Args[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "all":
			all = true
		case "everything":
			everything = true
		case "default":
			dflt = true
		default:
			want[s] = true
		}
	}
	c.R.Verbatim(GenInfo(c.Srv, func(sec *infoSection) bool {
		switch {
		case everything, want[sec.name]:
			return true
		case all:
			return true // "all" has every section; Shale's included
		case dflt:
			return sec.dflt
		}
		return false
	}), "txt")
}

// GenInfo renders the INFO sections pick selects.
func GenInfo(s *server.Server, pick func(*infoSection) bool) string {
	w := &InfoWriter{srv: s}
	n := 0
	for i := range infoSectionList {
		sec := &infoSectionList[i]
		if !pick(sec) {
			continue
		}
		if n > 0 {
			w.b = append(w.b, '\r', '\n')
		}
		n++
		w.b = append(w.b, "# "+sec.title+"\r\n"...)
		if sec.gen != nil {
			sec.gen(w, s)
		}
		for _, h := range InfoSectionHooks[sec.name] {
			h(s, w)
		}
	}
	return string(w.b)
}

// Info returns the text of INFO for the named sections ("" = default).
func Info(s *server.Server, sections ...string) string {
	if len(sections) == 0 {
		return GenInfo(s, func(sec *infoSection) bool { return sec.dflt })
	}
	return GenInfo(s, func(sec *infoSection) bool {
		for _, n := range sections {
			if strings.EqualFold(n, sec.name) || strings.EqualFold(n, "everything") || strings.EqualFold(n, "all") {
				return true
			}
		}
		return false
	})
}

var buildID = func() string {
	h := fnv.New64a()
	h.Write([]byte(server.ShaleVersion + runtime.Version()))
	return strconv.FormatUint(h.Sum64(), 16)
}()

var executable = func() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return os.Args[0]
}()

func listenPort(s *server.Server) string {
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		return strconv.Itoa(a.Port)
	}
	return s.Config.Get("port")
}

func infoServer(w *InfoWriter, s *server.Server) {
	now := time.Now()
	up := int64(now.Sub(s.Started) / time.Second)
	w.Field("redis_version", server.Version)
	w.Field("redis_git_sha1", "00000000")
	w.Field("redis_git_dirty", "0")
	w.Field("redis_build_id", buildID)
	w.Field("redis_mode", "standalone")
	w.Field("os", server.OSName())
	w.Int("arch_bits", strconv.IntSize)
	w.Field("monotonic_clock", "POSIX clock_gettime")
	w.Field("multiplexing_api", "epoll")
	w.Field("atomicvar_api", "c11-builtin")
	w.Field("gcc_version", "0.0.0")
	w.Int("process_id", int64(os.Getpid()))
	w.Field("process_supervised", "no")
	w.Field("run_id", s.RunID)
	w.Field("tcp_port", listenPort(s))
	w.Int("server_time_usec", now.UnixMicro())
	w.Int("uptime_in_seconds", up)
	w.Int("uptime_in_days", up/86400)
	w.Field("hz", s.Config.Get("hz"))
	w.Field("configured_hz", s.Config.Get("hz"))
	w.Int("lru_clock", now.Unix()&(1<<24-1))
	w.Field("executable", executable)
	w.Field("config_file", s.Config.File())
	w.Field("io_threads_active", "0")
}

// liveClients returns the connected clients that are not being closed
// (a killed client disappears at once, as in Redis).
func liveClients(s *server.Server) []*server.Client {
	cs := s.Clients()
	out := cs[:0]
	for _, c := range cs {
		if !c.Closing() {
			out = append(out, c)
		}
	}
	return out
}

func infoClients(w *InfoWriter, s *server.Server) {
	w.Int("connected_clients", int64(len(liveClients(s))))
	w.Int("cluster_connections", 0)
	w.Field("maxclients", s.Config.Get("maxclients"))
	w.Int("client_recent_max_input_buffer", 0)
	w.Int("client_recent_max_output_buffer", 0)
	w.Int("blocked_clients", 0)
	w.Int("tracking_clients", 0)
	w.Int("clients_in_timeout_table", 0)
}

func ratio(a, b int64) string {
	if b == 0 {
		return "0.00"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64)
}

func perc(a, b int64) string {
	if b <= 0 {
		return "0.00%"
	}
	return strconv.FormatFloat(float64(a)*100/float64(b), 'f', 2, 64) + "%"
}

func infoMemory(w *InfoWriter, s *server.Server) {
	used := s.UsedMemory()
	rss := server.RSSBytes()
	peak := s.MemoryPeak(used)
	startup := s.MemoryStartup()
	hot := s.Engine.Cache().Stats().Bytes
	overhead := used - hot
	if overhead < 0 {
		overhead = 0
	}
	sys := server.TotalSystemMemory()
	maxmem := s.Config.Int("maxmemory")
	w.Int("used_memory", used)
	w.Field("used_memory_human", server.BytesToHuman(used))
	w.Int("used_memory_rss", rss)
	w.Field("used_memory_rss_human", server.BytesToHuman(rss))
	w.Int("used_memory_peak", peak)
	w.Field("used_memory_peak_human", server.BytesToHuman(peak))
	w.Field("used_memory_peak_perc", perc(used, peak))
	w.Int("used_memory_overhead", overhead)
	w.Int("used_memory_startup", startup)
	w.Int("used_memory_dataset", hot)
	w.Field("used_memory_dataset_perc", perc(hot, used-startup))
	allocated, active, resident := server.AllocatorStats()
	w.Int("allocator_allocated", allocated)
	w.Int("allocator_active", active)
	w.Int("allocator_resident", resident)
	w.Int("total_system_memory", sys)
	w.Field("total_system_memory_human", server.BytesToHuman(sys))
	w.Int("used_memory_lua", 0)
	w.Int("used_memory_vm_eval", 0)
	w.Field("used_memory_lua_human", "0B")
	w.Int("used_memory_scripts_eval", 0)
	w.Int("number_of_cached_scripts", 0)
	w.Int("number_of_functions", 0)
	w.Int("number_of_libraries", 0)
	w.Int("used_memory_vm_functions", 0)
	w.Int("used_memory_vm_total", 0)
	w.Field("used_memory_vm_total_human", "0B")
	w.Int("used_memory_functions", 0)
	w.Int("used_memory_scripts", 0)
	w.Field("used_memory_scripts_human", "0B")
	w.Int("maxmemory", maxmem)
	w.Field("maxmemory_human", server.BytesToHuman(maxmem))
	w.Field("maxmemory_policy", s.Config.Get("maxmemory-policy"))
	w.Field("allocator_frag_ratio", ratio(active, allocated))
	w.Int("allocator_frag_bytes", active-allocated)
	w.Field("allocator_rss_ratio", ratio(resident, active))
	w.Int("allocator_rss_bytes", resident-active)
	w.Field("rss_overhead_ratio", ratio(rss, resident))
	w.Int("rss_overhead_bytes", rss-resident)
	w.Field("mem_fragmentation_ratio", ratio(rss, used))
	w.Int("mem_fragmentation_bytes", rss-used)
	w.Int("mem_not_counted_for_evict", 0)
	w.Int("mem_replication_backlog", 0)
	w.Int("mem_total_replication_buffers", 0)
	w.Int("mem_clients_slaves", 0)
	w.Int("mem_clients_normal", 0)
	w.Int("mem_cluster_links", 0)
	w.Int("mem_aof_buffer", 0)
	w.Field("mem_allocator", "libc")
	w.Int("active_defrag_running", 0)
	w.Int("lazyfree_pending_objects", 0)
	w.Int("lazyfreed_objects", 0)
}

func infoPersistence(w *InfoWriter, s *server.Server) {
	aof := s.Config.Bool("appendonly")
	loading := s.Loading.Load()
	if loading {
		w.Int("loading", 1)
	} else {
		w.Int("loading", 0)
	}
	w.Int("async_loading", 0)
	w.Int("current_cow_peak", 0)
	w.Int("current_cow_size", 0)
	w.Int("current_cow_size_age", 0)
	w.Field("current_fork_perc", "0.00")
	w.Int("current_save_keys_processed", 0)
	w.Int("current_save_keys_total", 0)
	w.Int("rdb_changes_since_last_save", s.Engine.Stats.Dirty.Load())
	lastSave, lastOK, saves := LastSaveOK(s) // dump.go
	w.Int("rdb_bgsave_in_progress", boolInt(BgsaveInProgress(s)))
	w.Int("rdb_last_save_time", lastSave)
	w.Field("rdb_last_bgsave_status", map[bool]string{true: "ok", false: "err"}[lastOK])
	w.Int("rdb_last_bgsave_time_sec", -1)
	w.Int("rdb_current_bgsave_time_sec", -1)
	w.Int("rdb_saves", saves)
	w.Int("rdb_last_cow_size", 0)
	w.Int("rdb_last_load_keys_expired", 0)
	w.Int("rdb_last_load_keys_loaded", 0)
	if aof {
		w.Int("aof_enabled", 1)
	} else {
		w.Int("aof_enabled", 0)
	}
	w.Int("aof_rewrite_in_progress", 0)
	w.Int("aof_rewrite_scheduled", 0)
	w.Int("aof_last_rewrite_time_sec", -1)
	w.Int("aof_current_rewrite_time_sec", -1)
	w.Field("aof_last_bgrewrite_status", "ok")
	w.Int("aof_rewrites", 0)
	w.Int("aof_rewrites_consecutive_failures", 0)
	w.Field("aof_last_write_status", "ok")
	w.Int("aof_last_cow_size", 0)
	w.Int("module_fork_in_progress", 0)
	w.Int("module_fork_last_cow_size", 0)
	if aof {
		// The write-ahead log plays the AOF's part.
		wal := int64(s.Engine.Store().Stats().WALBytes)
		w.Int("aof_current_size", wal)
		w.Int("aof_base_size", 0)
		w.Int("aof_pending_rewrite", 0)
		w.Int("aof_buffer_length", 0)
		w.Int("aof_pending_bio_fsync", 0)
		w.Int("aof_delayed_fsync", 0)
	}
	if loading {
		// Redis's progress figures, computed as it computes them.
		start, total, loaded := s.Load.Start.Load(), s.Load.Total.Load(), s.Load.Loaded.Load()
		perc, remaining := 0.0, int64(1)
		if total > 0 {
			perc = float64(loaded) / float64(total) * 100
			remaining = total - loaded
		}
		eta := int64(1) // Redis's placeholder before a second has passed
		if elapsed := time.Now().Unix() - start; elapsed > 0 {
			eta = elapsed * remaining / (loaded + 1)
		}
		w.Int("loading_start_time", start)
		w.Int("loading_total_bytes", total)
		w.Int("loading_rdb_used_mem", 0)
		w.Int("loading_loaded_bytes", loaded)
		w.Field("loading_loaded_perc", strconv.FormatFloat(perc, 'f', 2, 64))
		w.Int("loading_eta_seconds", eta)
	}
}

func infoStats(w *InfoWriter, s *server.Server) {
	st := &s.Stats
	es := &s.Engine.Stats
	in, out := s.InstantaneousKbps()
	channels, patterns, shard := s.PubSub().Counts()
	cmds := st.CommandsProcessed.Load()
	w.Int("total_connections_received", st.ConnectionsReceived.Load())
	w.Int("total_commands_processed", cmds)
	w.Int("instantaneous_ops_per_sec", s.InstantaneousOps())
	w.Int("total_net_input_bytes", st.NetInputBytes.Load())
	w.Int("total_net_output_bytes", st.NetOutputBytes.Load()+s.PubSub().OutputBytes())
	w.Int("total_net_repl_input_bytes", 0)
	w.Int("total_net_repl_output_bytes", 0)
	w.Field("instantaneous_input_kbps", strconv.FormatFloat(in, 'f', 2, 64))
	w.Field("instantaneous_output_kbps", strconv.FormatFloat(out, 'f', 2, 64))
	w.Field("instantaneous_input_repl_kbps", "0.00")
	w.Field("instantaneous_output_repl_kbps", "0.00")
	w.Int("rejected_connections", st.RejectedConnections.Load())
	w.Int("sync_full", 0)
	w.Int("sync_partial_ok", 0)
	w.Int("sync_partial_err", 0)
	w.Int("expired_keys", es.ExpiredKeys.Load())
	w.Field("expired_stale_perc", "0.00")
	w.Int("expired_time_cap_reached_count", 0)
	w.Int("expire_cycle_cpu_milliseconds", 0)
	w.Int("evicted_keys", 0)
	w.Int("evicted_clients", 0)
	w.Int("total_eviction_exceeded_time", 0)
	w.Int("current_eviction_exceeded_time", 0)
	w.Int("keyspace_hits", es.KeyspaceHits.Load())
	w.Int("keyspace_misses", es.KeyspaceMisses.Load())
	w.Int("pubsub_channels", int64(channels))
	w.Int("pubsub_patterns", int64(patterns))
	w.Int("pubsubshard_channels", int64(shard))
	w.Int("latest_fork_usec", 0)
	w.Int("total_forks", 0)
	w.Int("migrate_cached_sockets", int64(MigrateCachedSockets(s)))
	w.Int("slave_expires_tracked_keys", 0)
	w.Int("active_defrag_hits", 0)
	w.Int("active_defrag_misses", 0)
	w.Int("active_defrag_key_hits", 0)
	w.Int("active_defrag_key_misses", 0)
	w.Int("total_active_defrag_time", 0)
	w.Int("current_active_defrag_time", 0)
	w.Int("tracking_total_keys", 0)
	w.Int("tracking_total_items", 0)
	w.Int("tracking_total_prefixes", 0)
	w.Int("unexpected_error_replies", 0)
	w.Int("total_error_replies", st.ErrorReplies.Load())
	w.Int("dump_payload_sanitizations", 0)
	// Every command is one read and one reply write here.
	w.Int("total_reads_processed", cmds)
	w.Int("total_writes_processed", cmds)
	w.Int("io_threaded_reads_processed", 0)
	w.Int("io_threaded_writes_processed", 0)
	w.Int("reply_buffer_shrinks", 0)
	w.Int("reply_buffer_expands", 0)
}

func infoReplication(w *InfoWriter, s *server.Server) {
	w.Field("role", "master")
	w.Int("connected_slaves", 0)
	w.Field("master_failover_state", "no-failover")
	w.Field("master_replid", s.ReplID())
	w.Field("master_replid2", "0000000000000000000000000000000000000000")
	w.Int("master_repl_offset", 0)
	w.Int("second_repl_offset", -1)
	w.Int("repl_backlog_active", 0)
	w.Field("repl_backlog_size", s.Config.Get("repl-backlog-size"))
	w.Int("repl_backlog_first_byte_offset", 0)
	w.Int("repl_backlog_histlen", 0)
}

func infoCPU(w *InfoWriter, _ *server.Server) {
	sys, user, csys, cuser := server.CPUUsage()
	w.Field("used_cpu_sys", server.FormatCPU(sys))
	w.Field("used_cpu_user", server.FormatCPU(user))
	w.Field("used_cpu_sys_children", server.FormatCPU(csys))
	w.Field("used_cpu_user_children", server.FormatCPU(cuser))
}

func infoKeyspace(w *InfoWriter, s *server.Server) {
	e := s.Engine
	for db := 0; db < e.Databases(); db++ {
		keys := e.DBSize(db)
		if keys <= 0 {
			continue
		}
		w.Field("db"+strconv.Itoa(db), "keys="+strconv.FormatInt(keys, 10)+",expires="+strconv.FormatInt(e.ExpiresCount(db), 10)+",avg_ttl=0")
	}
}

func infoShale(w *InfoWriter, s *server.Server) {
	st := s.Engine.Store().Stats()
	cs := s.Engine.Cache().Stats()
	w.Field("shale_version", server.ShaleVersion)
	w.Field("go_version", runtime.Version())
	w.Int("disk_bytes", int64(st.DiskBytes))
	w.Int("wal_bytes", int64(st.WALBytes))
	w.Int("memtable_bytes", int64(st.MemTableBytes))
	w.Int("block_cache_bytes", st.BlockCacheBytes)
	w.Int("block_cache_max_bytes", s.Config.Int("block-cache-size"))
	w.Int("block_cache_hits", st.BlockCacheHits)
	w.Int("block_cache_misses", st.BlockCacheMisses)
	w.Int("compactions", st.Compactions)
	w.Int("l0_files", st.L0Files)
	w.Int("pending_compaction_bytes", int64(st.PendingCompaction))
	w.Int("read_amplification", int64(st.ReadAmplification))
	w.Int("tombstones", int64(st.TombstoneCount))
	w.Int("garbage_bytes", int64(st.GarbageBytes))
	w.Int("hot_tier_hits", cs.Hits)
	w.Int("hot_tier_misses", cs.Misses)
	w.Int("hot_tier_bytes", cs.Bytes)
	w.Int("hot_tier_max_bytes", cs.MaxBytes)
	w.Int("hot_tier_items", cs.Items)
	w.Field("appendfsync", s.Engine.Store().Fsync().String())
}

// ---------------------------------------------------------------------------
// CONFIG

func configGet(c *Ctx) {
	type kv struct{ name, value string }
	var out []kv
	seen := map[string]bool{}
	add := func(name, canonical string) {
		l := strings.ToLower(name)
		if seen[l] {
			return
		}
		seen[l] = true
		out = append(out, kv{name, c.Srv.Config.Get(canonical)})
	}
	for _, a := range c.Args[2:] {
		pat := string(a)
		if !strings.ContainsAny(pat, "[*?") {
			// An exact name (or alias) is echoed as typed, like Redis.
			if d, ok := config.Lookup(pat); ok {
				add(pat, d.Name)
			}
			continue
		}
		for _, n := range config.Names() {
			if GlobMatch(a, []byte(n), true) {
				add(n, n)
			}
		}
	}
	c.R.Map(len(out))
	for _, p := range out {
		c.R.BulkString(p.name)
		c.R.BulkString(p.value)
	}
}

func configSet(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.R.Error(ErrSyntax) // what 7.0.15 answers to an odd count
		return
	}
	pairs := make([]string, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		pairs = append(pairs, string(a))
	}
	if err := c.Srv.Config.SetMulti(pairs, isLoopback(c.Client.Addr)); err != nil {
		c.R.Error("ERR " + err.Error())
		return
	}
	c.R.OK()
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func configResetStat(c *Ctx) {
	ResetStats(c.Srv)
	c.R.OK()
}

// ResetStats zeroes the statistics INFO reports (CONFIG RESETSTAT): server
// counters, keyspace hits/misses, expired keys, hot tier hits/misses, and
// other layers' through ResetStatHooks.
func ResetStats(s *server.Server) {
	s.ResetStats()
	s.Engine.Stats.KeyspaceHits.Store(0)
	s.Engine.Stats.KeyspaceMisses.Store(0)
	s.Engine.Stats.ExpiredKeys.Store(0)
	s.Engine.Cache().ResetStats()
	for _, h := range ResetStatHooks {
		h(s)
	}
}

func configRewrite(c *Ctx) {
	err := c.Srv.Config.Rewrite()
	switch {
	case errors.Is(err, config.ErrNoConfigFile):
		c.R.Error("ERR The server is running without a config file")
	case err != nil:
		c.Srv.Logger.Printf("# CONFIG REWRITE failed: %v", err)
		c.R.Error("ERR Rewriting config file: " + strerror(err))
	default:
		c.Srv.Logger.Printf("# CONFIG REWRITE executed with success.")
		c.R.OK()
	}
}

func strerror(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	msg := err.Error()
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return msg
}

// replyHelp writes a HELP reply as Redis's addReplyHelp does.
func replyHelp(c *Ctx, lines ...string) {
	name := strings.ToUpper(c.Cmd.Name)
	if i := strings.IndexByte(name, '|'); i > 0 {
		name = name[:i]
	}
	c.R.Array(len(lines) + 3)
	c.R.Status(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.R.Status(l)
	}
	c.R.Status("HELP")
	c.R.Status("    Prints this help.")
}

func configHelp(c *Ctx) {
	replyHelp(c,
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	)
}

// ---------------------------------------------------------------------------
// TIME, SHUTDOWN

func timeCmd(c *Ctx) {
	now := time.Now()
	var buf [24]byte
	c.R.Array(2)
	c.R.Bulk(strconv.AppendInt(buf[:0], now.Unix(), 10))
	c.R.Bulk(strconv.AppendInt(buf[:0], int64(now.Nanosecond()/1000), 10))
}

func shutdownCmd(c *Ctx) {
	var nosave, save, now, force, abort bool
	for _, a := range c.Args[1:] {
		switch {
		case EqualFold(a, "NOSAVE"):
			nosave = true
		case EqualFold(a, "SAVE"):
			save = true
		case EqualFold(a, "NOW"):
			now = true
		case EqualFold(a, "FORCE"):
			force = true
		case EqualFold(a, "ABORT"):
			abort = true
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	if (abort && (nosave || save || now || force)) || (nosave && save) {
		c.R.Error(ErrSyntax)
		return
	}
	if abort {
		// Shale shuts down at once: there is never a shutdown to abort.
		c.R.Error("ERR No shutdown in progress.")
		return
	}
	srv := c.Srv
	srv.Logger.Printf("# User requested shutdown...")
	for _, h := range ShutdownHooks {
		h(srv, save)
	}
	if save {
		// As Redis, SHUTDOWN SAVE writes dir/dbfilename (a plain SHUTDOWN
		// does not: the data directory itself is the durable copy).
		// Flushing the memtable too makes the next start skip WAL replay.
		err := saveNow(srv, srv.Engine)
		if err == nil {
			err = srv.Engine.Store().Flush()
		}
		if err != nil && !force {
			srv.Logger.Printf("# Error trying to save the DB, can't exit: %v", err)
			c.R.Error("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	// As in Redis a successful SHUTDOWN sends no reply: the connection is
	// closed and the process exits (main waits for Shutdown to finish).
	c.Client.Close()
	srv.Shutdown()
}
