package config

import "math"

// table lists every directive Shale understands.
var table = []Directive{
	{Name: "bind", Kind: KindString, Default: "127.0.0.1", Multi: true},
	{Name: "port", Kind: KindInt, Default: "6379", Min: 0, Max: 65535},
	{Name: "dir", Kind: KindString, Default: "./data", Mutable: true},
	{Name: "databases", Kind: KindInt, Default: "16", Min: 1, Max: 65536},
	{Name: "requirepass", Kind: KindString, Default: "", Mutable: true},
	{Name: "appendfsync", Kind: KindEnum, Default: "everysec", Enum: []string{"always", "everysec", "no"}, Mutable: true},
	{Name: "appendonly", Kind: KindBool, Default: "yes", Mutable: true},
	{Name: "maxclients", Kind: KindInt, Default: "10000", Min: 1, Max: math.MaxInt32, Mutable: true},
	{Name: "timeout", Kind: KindInt, Default: "0", Min: 0, Max: math.MaxInt32, Mutable: true},
	{Name: "tcp-keepalive", Kind: KindInt, Default: "300", Min: 0, Max: math.MaxInt32, Mutable: true},
	{Name: "loglevel", Kind: KindEnum, Default: "notice", Enum: []string{"debug", "verbose", "notice", "warning", "nothing"}, Mutable: true},
	{Name: "logfile", Kind: KindString, Default: ""},
	{Name: "cache-size", Kind: KindMemory, Default: "268435456", Min: 0, Mutable: true},
	{Name: "block-cache-size", Kind: KindMemory, Default: "268435456", Min: 1 << 20},
	{Name: "maxmemory", Kind: KindMemory, Default: "0", Min: 0, Mutable: true},
	{Name: "maxmemory-policy", Kind: KindEnum, Default: "noeviction", Enum: []string{"volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction"}, Mutable: true},
	{Name: "slowlog-log-slower-than", Kind: KindInt, Default: "10000", Min: -1, Max: math.MaxInt64, Mutable: true},
	{Name: "slowlog-max-len", Kind: KindInt, Default: "128", Min: 0, Max: math.MaxInt64, Mutable: true},
	{Name: "save", Kind: KindString, Default: "3600 1 300 100 60 10000", Mutable: true, Multi: true},
	{Name: "dbfilename", Kind: KindString, Default: "dump.rdb", Mutable: true},
	{Name: "proto-max-bulk-len", Kind: KindMemory, Default: "536870912", Min: 1 << 20, Mutable: true},
	{Name: "daemonize", Kind: KindBool, Default: "no"},
	{Name: "pidfile", Kind: KindString, Default: ""},
	{Name: "protected-mode", Kind: KindBool, Default: "yes", Mutable: true},
}

var byName = func() map[string]*Directive {
	m := make(map[string]*Directive, len(table))
	for i := range table {
		m[table[i].Name] = &table[i]
	}
	return m
}()
