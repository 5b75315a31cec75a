package commands_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Pipelined string commands run in one batch: later commands see earlier
// writes, errors stay per command, and everything is there afterwards,
// also after a restart.
func TestPipelineBatchSemantics(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	c := s.ClientWith(&redis.Options{PoolSize: 1})
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Incr(ctx, "a")
		p.Get(ctx, "a")
		p.Set(ctx, "s", "abc", 0)
		p.Incr(ctx, "s") // error, does not stop the batch
		p.MSet(ctx, "x", "1", "y", "2")
		p.MGet(ctx, "a", "x", "y", "nokey")
		p.SetNX(ctx, "a", "9", 0)
		p.HSet(ctx, "h", "f", "v") // not batchable: flushes first
		p.Get(ctx, "a")
		return nil
	})
	require.Error(t, err) // the INCR of "s"
	require.Equal(t, "2", cmds[2].(*redis.StringCmd).Val())
	require.EqualError(t, cmds[4].Err(), "ERR value is not an integer or out of range")
	require.Equal(t, []any{"2", "1", "2", nil}, cmds[6].(*redis.SliceCmd).Val())
	require.False(t, cmds[7].(*redis.BoolCmd).Val())
	require.Equal(t, "2", cmds[9].(*redis.StringCmd).Val())
	require.EqualValues(t, 5, c.DBSize(ctx).Val())
	s.Restart()
	c = s.Client()
	require.Equal(t, "2", c.Get(ctx, "a").Val())
	require.EqualValues(t, 5, c.DBSize(ctx).Val())
}

// Pipelines of many clients on overlapping keys neither deadlock nor lose
// increments.
func TestPipelineBatchConcurrentIncrements(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	const clients, rounds, per = 8, 30, 20
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := s.ClientWith(&redis.Options{PoolSize: 1})
			for r := 0; r < rounds; r++ {
				_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					for k := 0; k < per; k++ {
						// Keys in different orders per client: lock order
						// differs, TryLock must back off instead of deadlocking.
						p.Incr(ctx, fmt.Sprintf("k%d", (k*(i+1))%per))
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	c := s.Client()
	var total int64
	for k := 0; k < per; k++ {
		n, err := c.Get(ctx, fmt.Sprintf("k%d", k)).Int64()
		if err == redis.Nil {
			continue
		}
		require.NoError(t, err)
		total += n
	}
	require.EqualValues(t, clients*rounds*per, total)
}
