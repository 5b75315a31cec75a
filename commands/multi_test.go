package commands_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

func TestMultiExecQueuesAndRuns(t *testing.T) {
	s := servertest.Start(t)
	c := s.ClientWith(&redis.Options{PoolSize: 1})
	ctx := context.Background()
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Incr(ctx, "a")
		p.Get(ctx, "a")
		return nil
	})
	require.NoError(t, err)
	require.Len(t, cmds, 3)
	require.Equal(t, "2", cmds[2].(*redis.StringCmd).Val())
}

func TestMultiErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.ClientWith(&redis.Options{PoolSize: 1})
	conn := c.Conn()
	defer conn.Close()
	ctx := context.Background()
	do := func(args ...any) (any, error) { return conn.Do(ctx, args...).Result() }

	_, err := do("EXEC")
	require.EqualError(t, err, "ERR EXEC without MULTI")
	_, err = do("DISCARD")
	require.EqualError(t, err, "ERR DISCARD without MULTI")

	v, err := do("MULTI")
	require.NoError(t, err)
	require.Equal(t, "OK", v)
	_, err = do("MULTI")
	require.EqualError(t, err, "ERR MULTI calls can not be nested")
	_, err = do("WATCH", "x")
	require.EqualError(t, err, "ERR WATCH inside MULTI is not allowed")
	v, err = do("SET", "k", "v")
	require.NoError(t, err)
	require.Equal(t, "QUEUED", v)
	_, err = do("NOSUCHCMD")
	require.Error(t, err)
	_, err = do("EXEC")
	require.EqualError(t, err, "EXECABORT Transaction discarded because of previous errors.")
	// Nothing ran.
	_, err = do("GET", "k")
	require.ErrorIs(t, err, redis.Nil)

	// Arity error while queueing aborts too.
	_, _ = do("MULTI")
	_, err = do("GET")
	require.EqualError(t, err, "ERR wrong number of arguments for 'get' command")
	_, err = do("EXEC")
	require.EqualError(t, err, "EXECABORT Transaction discarded because of previous errors.")

	// Runtime errors do not roll back.
	_, _ = do("SET", "s", "abc")
	_, _ = do("MULTI")
	_, _ = do("SET", "k2", "v2")
	_, _ = do("INCR", "s")
	res, err := do("EXEC")
	require.NoError(t, err)
	arr := res.([]any)
	require.Equal(t, "OK", arr[0])
	require.EqualError(t, arr[1].(error), "ERR value is not an integer or out of range")
	v, err = do("GET", "k2")
	require.NoError(t, err)
	require.Equal(t, "v2", v)

	// DISCARD drops the queue.
	_, _ = do("MULTI")
	_, _ = do("SET", "k3", "v3")
	v, err = do("DISCARD")
	require.NoError(t, err)
	require.Equal(t, "OK", v)
	_, err = do("GET", "k3")
	require.ErrorIs(t, err, redis.Nil)
}

func TestWatchAbortsOnChange(t *testing.T) {
	s := servertest.Start(t)
	c1 := s.ClientWith(&redis.Options{PoolSize: 1})
	c2 := s.Client()
	ctx := context.Background()
	conn := c1.Conn()
	defer conn.Close()
	require.NoError(t, c2.Set(ctx, "w", "1", 0).Err())
	require.NoError(t, conn.Do(ctx, "WATCH", "w").Err())
	require.NoError(t, c2.Set(ctx, "w", "2", 0).Err())
	_, err := conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "w", "3", 0)
		return nil
	})
	require.ErrorIs(t, err, redis.TxFailedErr)
	v, _ := c2.Get(ctx, "w").Result()
	require.Equal(t, "2", v)

	// Unchanged watched key: EXEC runs and the watch is cleared.
	require.NoError(t, conn.Do(ctx, "WATCH", "w").Err())
	_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "w", "4", 0)
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, c2.Set(ctx, "w", "5", 0).Err())
	_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "w")
		return nil
	})
	require.NoError(t, err, "the watch ended with the previous EXEC")
}

func TestWatchAbortsOnFlushAndExpiry(t *testing.T) {
	s := servertest.Start(t)
	c1 := s.ClientWith(&redis.Options{PoolSize: 1})
	c2 := s.Client()
	ctx := context.Background()
	conn := c1.Conn()
	defer conn.Close()
	require.NoError(t, c2.Set(ctx, "f", "1", 0).Err())
	require.NoError(t, conn.Do(ctx, "WATCH", "f").Err())
	require.NoError(t, c2.FlushDB(ctx).Err())
	_, err := conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "f", "x", 0)
		return nil
	})
	require.ErrorIs(t, err, redis.TxFailedErr)

	require.NoError(t, c2.Set(ctx, "e", "1", 0).Err())
	require.NoError(t, c2.PExpire(ctx, "e", 50*1e6).Err())
	require.NoError(t, conn.Do(ctx, "WATCH", "e").Err())
	// Wait until it has expired (lazily or actively).
	require.Eventually(t, func() bool { return c2.Exists(ctx, "e").Val() == 0 }, 5e9, 1e7)
	_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "e", "x", 0)
		return nil
	})
	require.ErrorIs(t, err, redis.TxFailedErr)
}

// Many clients doing WATCH/MULTI/EXEC read-modify-write retries on shared
// keys: the final values are exact. 50 clients x 100 increments over 5 keys
// by default; SHALE_STRESS=1 runs issue 6's 50 x 1000.
func TestWatchConcurrentIncrements(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	clients, incs := 50, 100
	if os.Getenv("SHALE_STRESS") != "" {
		incs = 1000
	}
	if testing.Short() {
		clients, incs = 10, 20
	}
	const keys = 5
	var wg sync.WaitGroup
	var retries atomic.Int64
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := s.ClientWith(&redis.Options{PoolSize: 1})
			for n := 0; n < incs; {
				key := fmt.Sprintf("counter%d", (i+n)%keys)
				err := c.Watch(ctx, func(tx *redis.Tx) error {
					v, err := tx.Get(ctx, key).Int()
					if err != nil && err != redis.Nil {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Set(ctx, key, v+1, 0)
						return nil
					})
					return err
				}, key)
				if err == nil {
					n++
				} else if err == redis.TxFailedErr {
					retries.Add(1)
				} else {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	c := s.Client()
	total := 0
	for k := 0; k < keys; k++ {
		v, err := c.Get(ctx, fmt.Sprintf("counter%d", k)).Int()
		require.NoError(t, err)
		total += v
	}
	require.Equal(t, clients*incs, total)
	t.Logf("%d clients x %d WATCH/MULTI/EXEC increments on %d keys: %v, %d retries", clients, incs, keys, time.Since(start), retries.Load())
}
