package commands

import (
	"sync"

	"github.com/shaledb/shale/server"
)

//go:generate go run gen_keyspecs.go 127.0.0.1:6399

var applyRedisSpecsOnce sync.Once

// applyRedisSpecs gives every command the key specs and tips Redis 7.0.15
// reports (keyspecs_redis.go, generated from a real server), so COMMAND
// INFO and COMMAND GETKEYS answer exactly as Redis does. It runs once, when
// the first server attaches: every init() has registered its commands by
// then.
func applyRedisSpecs() {
	applyRedisSpecsOnce.Do(func() {
		var visit func(cmd *Command)
		visit = func(cmd *Command) {
			if specs, ok := redisKeySpecs[cmd.Name]; ok {
				cmd.KeySpecs = specs
				cmd.Tips = redisTips[cmd.Name]
			} else if tips, ok := redisTips[cmd.Name]; ok {
				cmd.Tips = tips
			}
			for _, sub := range cmd.Subcommands {
				visit(sub)
			}
		}
		for _, cmd := range registry.cmds {
			visit(cmd)
		}
	})
}

func init() {
	AttachHooks = append(AttachHooks, func(_ *server.Server) { applyRedisSpecs() })
}
