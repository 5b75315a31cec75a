package server

import (
	"fmt"
	"log"

	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/storage"
)

// Open opens the engine the configuration describes and returns a server
// around it (not yet listening).
func Open(cfg *config.Config, h Handler, logger *log.Logger) (*Server, error) {
	so := storage.DefaultOptions(cfg.Get("dir"))
	pol, ok := storage.ParseFsyncPolicy(cfg.Get("appendfsync"))
	if !ok {
		return nil, fmt.Errorf("invalid appendfsync %q", cfg.Get("appendfsync"))
	}
	so.Fsync = pol
	so.BlockCacheBytes = cfg.Int("block-cache-size")
	eng, err := engine.Open(engine.Options{
		Storage:    so,
		CacheBytes: cfg.Int("cache-size"),
		Databases:  int(cfg.Int("databases")),
	})
	if err != nil {
		return nil, fmt.Errorf("can't open the data directory %s: %w", cfg.Get("dir"), err)
	}
	s := New(cfg, eng, h, logger)
	cfg.Watch("appendfsync", func(v string) error {
		p, _ := storage.ParseFsyncPolicy(v)
		eng.Store().SetFsync(p)
		return nil
	})
	cfg.Watch("cache-size", func(v string) error {
		eng.Cache().SetMaxBytes(cfg.Int("cache-size"))
		return nil
	})
	return s, nil
}
