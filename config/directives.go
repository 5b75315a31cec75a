package config

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	llongMax = math.MaxInt64
)

// Constructors keep the table readable.
func boolD(name, def string, mutable bool) Directive {
	return Directive{Name: name, Kind: KindBool, Default: def, Mutable: mutable, Compat: true}
}

func intD(name string, def, min, max int64, mutable bool) Directive {
	return Directive{Name: name, Kind: KindInt, Default: strconv.FormatInt(def, 10), Min: min, Max: max, Mutable: mutable, Compat: true}
}

func memD(name string, def, min, max int64, mutable bool) Directive {
	return Directive{Name: name, Kind: KindMemory, Default: strconv.FormatInt(def, 10), Min: min, Max: max, Mutable: mutable, Compat: true}
}

func strD(name, def string, mutable, emptyIsNull bool) Directive {
	return Directive{Name: name, Kind: KindString, Default: def, Mutable: mutable, EmptyIsNull: emptyIsNull, Compat: true}
}

func enumD(name, def string, mutable bool, values ...string) Directive {
	return Directive{Name: name, Kind: KindEnum, Default: def, Enum: values, Mutable: mutable, Compat: true}
}

func alias(d Directive, a string) Directive { d.Alias = a; return d }
func live(d Directive) Directive            { d.Compat = false; return d }

// table lists every directive Shale understands: Redis 7.0's parameters
// with their defaults, ranges and mutability (so CONFIG GET/SET behave as
// in Redis), plus Shale's own (cache-size, block-cache-size). Parameters
// marked live take effect in Shale; the others (Compat) are validated,
// stored and reported only.
var table = []Directive{
	// Network and clients.
	{Name: "bind", Kind: KindSpecial, Default: "127.0.0.1", Multi: true, parse: parseBind, rewrite: rewriteBind},
	live(intD("port", 6379, 0, 65535, false)),
	live(intD("maxclients", 10000, 1, uintMax, true)),
	live(intD("timeout", 0, 0, intMax, true)),
	live(intD("tcp-keepalive", 300, 0, intMax, true)),
	intD("tcp-backlog", 511, 0, intMax, false),
	live(memD("proto-max-bulk-len", 512<<20, 1<<20, longMax, true)),
	memD("client-query-buffer-limit", 1<<30, 1<<20, longMax, true),
	{Name: "client-output-buffer-limit", Kind: KindSpecial, Default: defaultOutputLimits, Multi: true, Mutable: true, parse: parseOutputLimits, rewrite: rewriteOutputLimits},
	{Name: "maxmemory-clients", Kind: KindSpecial, Default: "0", Mutable: true, Compat: true, parse: parseMemoryOrPercent, rewrite: rewriteMemoryOrPercent},
	boolD("protected-mode", "yes", true),
	strD("unixsocket", "", false, true),
	{Name: "unixsocketperm", Kind: KindSpecial, Default: "0", Compat: true, parse: parseOctal},
	strD("bind-source-addr", "", true, true),
	intD("socket-mark-id", 0, 0, uintMax, true),
	intD("io-threads", 1, 1, 128, false),
	boolD("io-threads-do-reads", "no", false),

	// Security.
	live(Directive{Name: "requirepass", Kind: KindString, Mutable: true, EmptyIsNull: true}),
	strD("aclfile", "", false, false),
	intD("acllog-max-len", 128, 0, longMax, true),
	enumD("acl-pubsub-default", "resetchannels", true, "allchannels", "resetchannels"),
	enumD("enable-protected-configs", "no", false, "no", "yes", "local"),
	enumD("enable-debug-command", "no", false, "no", "yes", "local"),
	enumD("enable-module-command", "no", false, "no", "yes", "local"),

	// General.
	live(intD("databases", 16, 1, intMax, false)),
	live(enumD("loglevel", "notice", true, "debug", "verbose", "notice", "warning")),
	live(strD("logfile", "", false, false)),
	boolD("daemonize", "no", false),
	enumD("supervised", "no", false, "upstart", "systemd", "auto", "no"),
	strD("pidfile", "", false, true),
	boolD("syslog-enabled", "no", false),
	strD("syslog-ident", "redis", false, false),
	enumD("syslog-facility", "local0", false, "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"),
	boolD("always-show-logo", "no", false),
	boolD("set-proc-title", "yes", false),
	strD("proc-title-template", "{title} {listen-addr} {server-mode}", true, false),
	boolD("crash-log-enabled", "yes", true),
	boolD("crash-memcheck-enabled", "yes", true),
	boolD("disable-thp", "yes", false),
	strD("ignore-warnings", "", true, false),
	{Name: "hz", Kind: KindSpecial, Default: "10", Mutable: true, Compat: true, parse: parseHz},
	boolD("dynamic-hz", "yes", true),
	intD("active-expire-effort", 1, 1, 10, true),
	boolD("activerehashing", "yes", true),
	intD("shutdown-timeout", 10, 0, intMax, true),
	{Name: "shutdown-on-sigint", Kind: KindSpecial, Default: "default", Multi: true, Mutable: true, Compat: true, parse: parseShutdownFlags},
	{Name: "shutdown-on-sigterm", Kind: KindSpecial, Default: "default", Multi: true, Mutable: true, Compat: true, parse: parseShutdownFlags},
	strD("server_cpulist", "", false, true),
	strD("bio_cpulist", "", false, true),
	strD("aof_rewrite_cpulist", "", false, true),
	strD("bgsave_cpulist", "", false, true),
	enumD("oom-score-adj", "no", true, "no", "yes", "relative", "absolute"),
	{Name: "oom-score-adj-values", Kind: KindSpecial, Default: "0 200 800", Multi: true, Mutable: true, Compat: true, parse: parseOOMValues, rewrite: rewriteWords},
	boolD("jemalloc-bg-thread", "yes", true),
	enumD("sanitize-dump-payload", "no", true, "no", "yes", "clients"),
	enumD("propagation-error-behavior", "ignore", true, "ignore", "panic", "panic-on-replicas"),

	// Persistence. Shale keeps every write in its write-ahead log and
	// sstables; appendfsync sets when the log is fsynced.
	{Name: "dir", Kind: KindSpecial, Default: "./data", Protected: true, parse: parseDir, rewrite: rewriteDir},
	{Name: "save", Kind: KindSpecial, Default: "3600 1 300 100 60 10000", Multi: true, Mutable: true, Compat: true, parse: parseSave, rewrite: rewriteSave},
	{Name: "dbfilename", Kind: KindString, Default: "dump.rdb", Mutable: true, Protected: true, parse: parseFilename},
	live(enumD("appendfsync", "everysec", true, "everysec", "always", "no")),
	boolD("appendonly", "yes", true),
	strD("appendfilename", "appendonly.aof", false, false),
	strD("appenddirname", "appendonlydir", false, false),
	boolD("rdbcompression", "yes", true),
	boolD("rdbchecksum", "yes", false),
	boolD("rdb-del-sync-files", "no", true),
	boolD("rdb-save-incremental-fsync", "yes", true),
	boolD("stop-writes-on-bgsave-error", "yes", true),
	boolD("aof-rewrite-incremental-fsync", "yes", true),
	boolD("no-appendfsync-on-rewrite", "no", true),
	boolD("aof-load-truncated", "yes", true),
	boolD("aof-use-rdb-preamble", "yes", true),
	boolD("aof-timestamp-enabled", "no", true),
	boolD("aof-disable-auto-gc", "no", true),
	intD("auto-aof-rewrite-percentage", 100, 0, intMax, true),
	memD("auto-aof-rewrite-min-size", 64<<20, 0, llongMax, true),

	// Memory. maxmemory is reported (INFO maxmemory); Shale's dataset
	// lives on disk, so it does not evict. The hot tier is sized by
	// cache-size, Pebble's block cache by block-cache-size.
	live(memD("maxmemory", 0, 0, llongMax, true)),
	live(enumD("maxmemory-policy", "noeviction", true, "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")),
	intD("maxmemory-samples", 5, 1, intMax, true),
	intD("maxmemory-eviction-tenacity", 10, 0, 100, true),
	live(memD("cache-size", 256<<20, 0, llongMax, true)),
	live(memD("block-cache-size", 256<<20, 1<<20, llongMax, false)),
	intD("lfu-log-factor", 10, 0, intMax, true),
	intD("lfu-decay-time", 1, 0, intMax, true),
	boolD("lazyfree-lazy-eviction", "no", true),
	boolD("lazyfree-lazy-expire", "no", true),
	boolD("lazyfree-lazy-server-del", "no", true),
	boolD("lazyfree-lazy-user-del", "no", true),
	boolD("lazyfree-lazy-user-flush", "no", true),
	boolD("activedefrag", "no", true),
	memD("active-defrag-ignore-bytes", 100<<20, 1, llongMax, true),
	intD("active-defrag-threshold-lower", 10, 0, 1000, true),
	intD("active-defrag-threshold-upper", 100, 0, 1000, true),
	intD("active-defrag-cycle-min", 1, 1, 99, true),
	intD("active-defrag-cycle-max", 25, 1, 99, true),
	intD("active-defrag-max-scan-fields", 1000, 1, longMax, true),

	// Encodings (Shale's on-disk layout has no listpacks or intsets).
	alias(intD("hash-max-listpack-entries", 512, 0, longMax, true), "hash-max-ziplist-entries"),
	alias(memD("hash-max-listpack-value", 64, 0, longMax, true), "hash-max-ziplist-value"),
	alias(intD("list-max-listpack-size", -2, intMin, intMax, true), "list-max-ziplist-size"),
	intD("list-compress-depth", 0, 0, intMax, true),
	intD("set-max-intset-entries", 512, 0, longMax, true),
	alias(intD("zset-max-listpack-entries", 128, 0, longMax, true), "zset-max-ziplist-entries"),
	alias(memD("zset-max-listpack-value", 64, 0, longMax, true), "zset-max-ziplist-value"),
	memD("hll-sparse-max-bytes", 3000, 0, longMax, true),
	memD("stream-node-max-bytes", 4096, 0, longMax, true),
	intD("stream-node-max-entries", 100, 0, llongMax, true),

	// Monitoring.
	live(intD("slowlog-log-slower-than", 10000, -1, llongMax, true)),
	live(intD("slowlog-max-len", 128, 0, longMax, true)),
	intD("latency-monitor-threshold", 0, 0, llongMax, true),
	boolD("latency-tracking", "yes", true),
	{Name: "latency-tracking-info-percentiles", Kind: KindSpecial, Default: "50 99 99.9", Multi: true, Mutable: true, Compat: true, parse: parsePercentiles, rewrite: rewriteWords},
	{Name: "notify-keyspace-events", Kind: KindSpecial, Default: "", Mutable: true, parse: parseKeyspaceEvents, rewrite: rewriteQuoted},
	live(alias(intD("busy-reply-threshold", 5000, 0, longMax, true), "lua-time-limit")),
	intD("tracking-table-max-keys", 1000000, 0, longMax, true),

	// Replication (Shale does not replicate).
	{Name: "replicaof", Alias: "slaveof", Kind: KindSpecial, Multi: true, Compat: true, parse: parseReplicaOf, rewrite: rewriteNothing},
	strD("masterauth", "", true, true),
	strD("masteruser", "", true, true),
	alias(boolD("replica-serve-stale-data", "yes", true), "slave-serve-stale-data"),
	alias(boolD("replica-read-only", "yes", true), "slave-read-only"),
	alias(boolD("replica-lazy-flush", "no", true), "slave-lazy-flush"),
	alias(boolD("replica-ignore-maxmemory", "yes", true), "slave-ignore-maxmemory"),
	boolD("replica-announced", "yes", true),
	alias(intD("replica-priority", 100, 0, intMax, true), "slave-priority"),
	alias(strD("replica-announce-ip", "", true, true), "slave-announce-ip"),
	alias(intD("replica-announce-port", 0, 0, 65535, true), "slave-announce-port"),
	boolD("replica-ignore-disk-write-errors", "no", true),
	boolD("repl-diskless-sync", "yes", true),
	intD("repl-diskless-sync-delay", 5, 0, intMax, true),
	intD("repl-diskless-sync-max-replicas", 0, 0, intMax, true),
	enumD("repl-diskless-load", "disabled", true, "disabled", "on-empty-db", "swapdb"),
	boolD("repl-disable-tcp-nodelay", "no", true),
	memD("repl-backlog-size", 1<<20, 1, llongMax, true),
	intD("repl-backlog-ttl", 3600, 0, longMax, true),
	intD("repl-timeout", 60, 1, intMax, true),
	alias(intD("repl-ping-replica-period", 10, 1, intMax, true), "repl-ping-slave-period"),
	alias(intD("min-replicas-to-write", 0, 0, intMax, true), "min-slaves-to-write"),
	alias(intD("min-replicas-max-lag", 10, 0, intMax, true), "min-slaves-max-lag"),

	// Cluster (Shale runs standalone).
	boolD("cluster-enabled", "no", false),
	strD("cluster-config-file", "nodes.conf", false, false),
	intD("cluster-node-timeout", 15000, 0, llongMax, true),
	intD("cluster-port", 0, 0, 65535, false),
	strD("cluster-announce-ip", "", true, true),
	strD("cluster-announce-hostname", "", true, true),
	intD("cluster-announce-port", 0, 0, 65535, true),
	intD("cluster-announce-bus-port", 0, 0, 65535, true),
	intD("cluster-announce-tls-port", 0, 0, 65535, true),
	alias(intD("cluster-replica-validity-factor", 10, 0, intMax, true), "cluster-slave-validity-factor"),
	intD("cluster-migration-barrier", 1, 0, intMax, true),
	boolD("cluster-require-full-coverage", "yes", true),
	alias(boolD("cluster-replica-no-failover", "no", true), "cluster-slave-no-failover"),
	boolD("cluster-allow-reads-when-down", "no", true),
	boolD("cluster-allow-pubsubshard-when-down", "yes", true),
	boolD("cluster-allow-replica-migration", "yes", true),
	memD("cluster-link-sendbuf-limit", 0, 0, llongMax, true),
	enumD("cluster-preferred-endpoint-type", "ip", true, "ip", "hostname", "unknown-endpoint"),

	// TLS (Shale serves plain TCP).
	intD("tls-port", 0, 0, 65535, true),
	strD("tls-cert-file", "", true, true),
	strD("tls-key-file", "", true, true),
	strD("tls-key-file-pass", "", true, true),
	strD("tls-client-cert-file", "", true, true),
	strD("tls-client-key-file", "", true, true),
	strD("tls-client-key-file-pass", "", true, true),
	strD("tls-dh-params-file", "", true, true),
	strD("tls-ca-cert-file", "", true, true),
	strD("tls-ca-cert-dir", "", true, true),
	strD("tls-protocols", "", true, true),
	strD("tls-ciphers", "", true, true),
	strD("tls-ciphersuites", "", true, true),
	enumD("tls-auth-clients", "yes", true, "no", "yes", "optional"),
	boolD("tls-replication", "no", true),
	boolD("tls-cluster", "no", true),
	boolD("tls-prefer-server-ciphers", "no", true),
	boolD("tls-session-caching", "yes", true),
	intD("tls-session-cache-size", 20480, 0, intMax, true),
	intD("tls-session-cache-timeout", 300, 0, intMax, true),
}

// byName maps every name and alias to its directive.
var byName = func() map[string]*Directive {
	m := make(map[string]*Directive, 2*len(table))
	for i := range table {
		d := &table[i]
		d.idx = i
		if _, dup := m[d.Name]; dup {
			panic("config: duplicate directive " + d.Name)
		}
		m[d.Name] = d
		if d.Alias != "" {
			m[d.Alias] = d
		}
	}
	return m
}()

// ---------------------------------------------------------------------------
// Special directives.

func parseBind(args []string, _ string) (string, error) {
	if len(args) > 16 {
		return "", fmt.Errorf("Too many bind addresses specified.")
	}
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	return strings.Join(args, " "), nil
}

func rewriteBind(d *Directive, v string) ([]string, bool) {
	if v == d.Default {
		return nil, false
	}
	if v == "" {
		return []string{"bind \"\""}, true
	}
	return []string{"bind " + v}, true
}

func parseSave(args []string, cur string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return "", fmt.Errorf("Invalid save parameters")
	}
	for i, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || (i%2 == 0 && n < 1) || (i%2 == 1 && n < 0) {
			return "", fmt.Errorf("Invalid save parameters")
		}
		args[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(args, " "), nil
}

func rewriteSave(_ *Directive, v string) ([]string, bool) {
	if v == "" {
		return []string{`save ""`}, true
	}
	w := strings.Fields(v)
	var lines []string
	for i := 0; i+1 < len(w); i += 2 {
		lines = append(lines, "save "+w[i]+" "+w[i+1])
	}
	return lines, true
}

const defaultOutputLimits = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

var outputClasses = []string{"normal", "slave", "pubsub"}

func parseOutputLimits(args []string, cur string) (string, error) {
	if len(args)%4 != 0 {
		return "", fmt.Errorf("Wrong number of arguments in buffer limit configuration.")
	}
	limits := map[string][3]string{}
	cw := strings.Fields(cur)
	for i := 0; i+3 < len(cw); i += 4 {
		limits[cw[i]] = [3]string{cw[i+1], cw[i+2], cw[i+3]}
	}
	for i := 0; i < len(args); i += 4 {
		class := strings.ToLower(args[i])
		switch class {
		case "normal", "pubsub":
		case "slave", "replica":
			class = "slave"
		default:
			return "", fmt.Errorf("Invalid client class specified in buffer limit configuration.")
		}
		hard, err1 := parseMemory(args[i+1])
		soft, err2 := parseMemory(args[i+2])
		secs, err3 := strconv.ParseInt(args[i+3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
			return "", fmt.Errorf("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		limits[class] = [3]string{strconv.FormatInt(hard, 10), strconv.FormatInt(soft, 10), strconv.FormatInt(secs, 10)}
	}
	var b strings.Builder
	for _, class := range outputClasses {
		l := limits[class]
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s %s %s %s", class, l[0], l[1], l[2])
	}
	return b.String(), nil
}

func rewriteOutputLimits(d *Directive, v string) ([]string, bool) {
	cw, dw := strings.Fields(v), strings.Fields(d.Default)
	var lines []string
	force := false
	for i := 0; i+3 < len(cw) && i+3 < len(dw); i += 4 {
		class := cw[i]
		if class == "slave" {
			class = "replica"
		}
		hard, _ := strconv.ParseInt(cw[i+1], 10, 64)
		soft, _ := strconv.ParseInt(cw[i+2], 10, 64)
		lines = append(lines, fmt.Sprintf("client-output-buffer-limit %s %s %s %s", class, FormatMemory(hard), FormatMemory(soft), cw[i+3]))
		if cw[i+1] != dw[i+1] || cw[i+2] != dw[i+2] || cw[i+3] != dw[i+3] {
			force = true
		}
	}
	return lines, force
}

func parseMemoryOrPercent(args []string, _ string) (string, error) {
	v := args[0]
	if n, err := parseMemory(v); err == nil {
		return strconv.FormatInt(n, 10), nil
	}
	if len(v) > 1 && v[len(v)-1] == '%' {
		if n, ok := parseLL(v[:len(v)-1]); ok && n >= 0 {
			if n > 100 {
				return "", fmt.Errorf("percentage argument must be less or equal to 100")
			}
			return strconv.FormatInt(n, 10) + "%", nil
		}
	}
	return "", fmt.Errorf("argument must be a memory or percent value")
}

func rewriteMemoryOrPercent(d *Directive, v string) ([]string, bool) {
	if strings.HasSuffix(v, "%") {
		return []string{d.Name + " " + v}, v != d.Default
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return []string{d.Name + " " + FormatMemory(n)}, v != d.Default
}

func parseOctal(args []string, _ string) (string, error) {
	n, err := strconv.ParseInt(args[0], 8, 64)
	if err != nil {
		return "", fmt.Errorf("argument couldn't be parsed as an octal number")
	}
	if n < 0 || n > 0o777 {
		return "", fmt.Errorf("argument must be between 0 and 777 inclusive")
	}
	return strconv.FormatInt(n, 8), nil
}

// parseHz accepts 0..INT_MAX and clamps to 1..500 as Redis does.
func parseHz(args []string, _ string) (string, error) {
	n, ok := parseLL(args[0])
	if !ok {
		return "", fmt.Errorf("argument couldn't be parsed into an integer")
	}
	if n < 0 || n > intMax {
		return "", fmt.Errorf("argument must be between 0 and %d inclusive", intMax)
	}
	n = max(1, min(n, 500))
	return strconv.FormatInt(n, 10), nil
}

func parseShutdownFlags(args []string, _ string) (string, error) {
	seen := map[string]bool{}
	var out []string
	for _, a := range args {
		la := strings.ToLower(a)
		switch la {
		case "default", "save", "nosave", "now", "force":
		default:
			return "", fmt.Errorf("argument(s) must be one of the following: default, save, nosave, now, force")
		}
		if !seen[la] {
			seen[la] = true
			out = append(out, la)
		}
	}
	if (seen["save"] && seen["nosave"]) || (seen["default"] && len(out) > 1) {
		return "", fmt.Errorf("argument(s) must be one of the following: default, save, nosave, now, force")
	}
	return strings.Join(out, " "), nil
}

func parseOOMValues(args []string, _ string) (string, error) {
	if len(args) != 3 {
		return "", fmt.Errorf("wrong number of arguments")
	}
	out := make([]string, 3)
	for i, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < -2000 || n > 2000 {
			return "", fmt.Errorf("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), nil
}

func parsePercentiles(args []string, _ string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("Invalid latency-tracking-info-percentiles parameters")
		}
		if f > 100 || f < 0 {
			return "", fmt.Errorf("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		out[i] = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strings.Join(out, " "), nil
}

// Keyspace event classes in Redis's canonical order.
const (
	evGeneric = 1 << iota
	evString
	evList
	evSet
	evHash
	evZset
	evExpired
	evEvicted
	evStream
	evModule
	evNew
	evKeyspace
	evKeyevent
	evKeyMiss
	evAll = evGeneric | evString | evList | evSet | evHash | evZset | evExpired | evEvicted | evStream | evModule
)

// parseKeyspaceEvents validates notify-keyspace-events and returns its
// canonical form ("KEA" → "AKE"), as CONFIG GET shows it.
func parseKeyspaceEvents(args []string, _ string) (string, error) {
	flags := 0
	for _, ch := range []byte(args[0]) {
		switch ch {
		case 'A':
			flags |= evAll
		case 'g':
			flags |= evGeneric
		case '$':
			flags |= evString
		case 'l':
			flags |= evList
		case 's':
			flags |= evSet
		case 'h':
			flags |= evHash
		case 'z':
			flags |= evZset
		case 'x':
			flags |= evExpired
		case 'e':
			flags |= evEvicted
		case 'K':
			flags |= evKeyspace
		case 'E':
			flags |= evKeyevent
		case 't':
			flags |= evStream
		case 'm':
			flags |= evKeyMiss
		case 'd':
			flags |= evModule
		case 'n':
			flags |= evNew
		default:
			return "", fmt.Errorf("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
	}
	var b []byte
	if flags&evAll == evAll {
		b = append(b, 'A')
	} else {
		for _, f := range []struct {
			bit int
			ch  byte
		}{{evGeneric, 'g'}, {evString, '$'}, {evList, 'l'}, {evSet, 's'}, {evHash, 'h'}, {evZset, 'z'}, {evExpired, 'x'}, {evEvicted, 'e'}, {evStream, 't'}, {evModule, 'd'}, {evNew, 'n'}} {
			if flags&f.bit != 0 {
				b = append(b, f.ch)
			}
		}
	}
	if flags&evAll == evAll && flags&evNew != 0 {
		b = append(b, 'n')
	}
	if flags&evKeyspace != 0 {
		b = append(b, 'K')
	}
	if flags&evKeyevent != 0 {
		b = append(b, 'E')
	}
	if flags&evKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b), nil
}

// parseReplicaOf accepts "no one" only: Shale does not replicate.
func parseReplicaOf(args []string, _ string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	if len(args) != 2 {
		return "", fmt.Errorf("wrong number of arguments")
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return "", nil
	}
	return "", fmt.Errorf("replication is not supported by Shale")
}

func parseDir(args []string, _ string) (string, error) {
	if args[0] == "" {
		return "", fmt.Errorf("dir can't be empty")
	}
	return args[0], nil
}

// absDir returns dir as an absolute path: Redis runs inside its dir, so
// CONFIG GET dir and CONFIG REWRITE show an absolute path.
func absDir(v string) string {
	if v == "" || filepath.IsAbs(v) {
		return v
	}
	if a, err := filepath.Abs(v); err == nil {
		return a
	}
	return v
}

func rewriteDir(_ *Directive, v string) ([]string, bool) {
	return []string{"dir " + Repr(absDir(v))}, true
}

func parseFilename(args []string, _ string) (string, error) {
	if strings.ContainsRune(args[0], os.PathSeparator) {
		return "", fmt.Errorf("dbfilename can't be a path, just a filename")
	}
	return args[0], nil
}

func rewriteWords(d *Directive, v string) ([]string, bool) {
	if v == "" {
		return []string{d.Name + ` ""`}, v != d.Default
	}
	return []string{d.Name + " " + v}, v != d.Default
}

func rewriteQuoted(d *Directive, v string) ([]string, bool) {
	return []string{d.Name + " " + Repr(v)}, v != d.Default
}

func rewriteNothing(*Directive, string) ([]string, bool) { return nil, false }
