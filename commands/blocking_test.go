package commands_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// blockClient is a one-connection client without read deadline, for
// commands that block.
func blockClient(s *servertest.Server) *redis.Client {
	return s.ClientWith(&redis.Options{PoolSize: 1, ReadTimeout: -1, MaxRetries: -1})
}

func blockedClients(t *testing.T, c *redis.Client) int {
	info, err := c.Info(context.Background(), "clients").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "blocked_clients:"); ok {
			n, err := strconv.Atoi(v)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no blocked_clients in INFO")
	return 0
}

// waitBlocked waits until n clients are blocked.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for blockedClients(t, c) != n {
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never reached %d (now %d)", n, blockedClients(t, c))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type doResult struct {
	v   any
	err error
}

// goDo runs a command on its own client in the background.
func goDo(s *servertest.Server, args ...any) (<-chan doResult, *redis.Client) {
	c := blockClient(s)
	ch := make(chan doResult, 1)
	go func() {
		v, err := c.Do(context.Background(), args...).Result()
		ch <- doResult{v, err}
	}()
	return ch, c
}

func recv(t *testing.T, ch <-chan doResult) doResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("blocked command never returned")
	}
	return doResult{}
}

func TestBlockingBLPOPWokenByPush(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, _ := goDo(s, "BLPOP", "l", "0")
	waitBlocked(t, c, 1)
	require.Equal(t, int64(2), c.RPush(ctx, "l", "x", "y").Val())
	// Served before the pusher's next command can see the list.
	require.Equal(t, []string{"y"}, c.LRange(ctx, "l", 0, -1).Val())
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"l", "x"}, r.v)
	require.Equal(t, 0, blockedClients(t, c))

	// BRPOP from the tail, data present: no blocking.
	c.RPush(ctx, "l", "z")
	v, err := c.BRPop(ctx, time.Second, "l").Result()
	require.NoError(t, err)
	require.Equal(t, []string{"l", "z"}, v)
	v, err = c.BRPop(ctx, time.Second, "l").Result()
	require.NoError(t, err)
	require.Equal(t, []string{"l", "y"}, v)
	require.Equal(t, int64(0), c.Exists(ctx, "l").Val())
}

func TestBlockingTimeoutsAndErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	start := time.Now()
	_, err := c.Do(ctx, "BLPOP", "nolist", "0.1").Result()
	require.ErrorIs(t, err, redis.Nil)
	require.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"BLPOP", "l", "-1"}, "ERR timeout is negative"},
		{[]any{"BLPOP", "l", "abc"}, "ERR timeout is not a float or out of range"},
		{[]any{"BLPOP", "l", "inf"}, "ERR timeout is negative"},
		{[]any{"BRPOP", "l", "1e20"}, "ERR timeout is negative"},
		{[]any{"BLMOVE", "a", "b", "LEFT", "x", "0"}, "ERR syntax error"},
		{[]any{"BLMOVE", "a", "b", "LEFT", "RIGHT", "x"}, "ERR timeout is not a float or out of range"},
		{[]any{"BLMPOP", "0", "0", "a", "LEFT"}, "ERR numkeys should be greater than 0"},
		{[]any{"BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0"}, "ERR count should be greater than 0"},
		{[]any{"BLMPOP", "x", "1", "a", "LEFT"}, "ERR timeout is not a float or out of range"},
		{[]any{"BZPOPMIN", "z", "-0.5"}, "ERR timeout is negative"},
		{[]any{"BZMPOP", "0", "1", "z", "UP"}, "ERR syntax error"},
		{[]any{"BLPOP", "l"}, "ERR wrong number of arguments for 'blpop' command"},
		{[]any{"CLIENT", "UNBLOCK", "1", "foo"}, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"},
		{[]any{"CLIENT", "UNBLOCK", "abc"}, "ERR value is not an integer or out of range"},
	} {
		_, err := c.Do(ctx, tc.args...).Result()
		require.EqualError(t, err, tc.want, "%v", tc.args)
	}
	c.Set(ctx, "s", "v", 0)
	_, err = c.Do(ctx, "BLPOP", "nolist", "s", "0").Result()
	require.EqualError(t, err, "WRONGTYPE Operation against a key holding the wrong kind of value")
	_, err = c.Do(ctx, "BZPOPMAX", "s", "0").Result()
	require.EqualError(t, err, "WRONGTYPE Operation against a key holding the wrong kind of value")
	require.Equal(t, int64(0), c.Do(ctx, "CLIENT", "UNBLOCK", "999").Val())

	// Timeout replies, byte for byte, in RESP2 and RESP3.
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	send := func(cmd string) {
		_, err := conn.Write([]byte(cmd))
		require.NoError(t, err)
	}
	line := func() string {
		l, err := br.ReadString('\n')
		require.NoError(t, err)
		return l
	}
	for _, cmd := range []string{"BLPOP nolist 0.01", "BLMOVE a b LEFT RIGHT 0.01", "BZPOPMIN z 0.01", "BLMPOP 0.01 1 a LEFT"} {
		send(cmd + "\r\n")
		require.Equal(t, "*-1\r\n", line(), cmd)
	}
	send("HELLO 3\r\n")
	require.Equal(t, "%7\r\n", line())
	for line() != "modules\r\n" {
	}
	require.Equal(t, "*0\r\n", line())
	for _, cmd := range []string{"BLPOP nolist 0.01", "BRPOPLPUSH a b 0.01", "BZMPOP 0.01 1 z MIN"} {
		send(cmd + "\r\n")
		require.Equal(t, "_\r\n", line(), cmd)
	}
}

func TestBlockingFIFOAcrossClients(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	var chans []<-chan doResult
	for i := 0; i < 3; i++ {
		ch, _ := goDo(s, "BLPOP", "q", "0")
		chans = append(chans, ch)
		waitBlocked(t, c, i+1)
	}
	list := c.Do(ctx, "CLIENT", "LIST").Val().(string)
	require.Equal(t, 3, strings.Count(list, " flags=b "), list)
	require.Equal(t, int64(3), c.RPush(ctx, "q", "1", "2", "3").Val())
	for i, ch := range chans {
		r := recv(t, ch)
		require.NoError(t, r.err)
		require.Equal(t, []any{"q", strconv.Itoa(i + 1)}, r.v)
	}
	require.Equal(t, int64(0), c.Exists(ctx, "q").Val())
	require.Equal(t, 0, blockedClients(t, c))
}

func TestBlockingMultipleKeys(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, _ := goDo(s, "BLPOP", "a", "b", "c", "0")
	waitBlocked(t, c, 1)
	c.RPush(ctx, "c", "fromc")
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"c", "fromc"}, r.v)

	// Several keys ready in one transaction: the first key that got data
	// serves the client, the other keeps its element.
	ch, _ = goDo(s, "BRPOP", "a", "b", "0")
	waitBlocked(t, c, 1)
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, "b", "fromb")
		p.RPush(ctx, "a", "froma")
		p.LLen(ctx, "b")
		return nil
	})
	require.NoError(t, err)
	r = recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"b", "fromb"}, r.v)
	require.Equal(t, []string{"froma"}, c.LRange(ctx, "a", 0, -1).Val())
}

func TestBlockingInsideMulti(t *testing.T) {
	s := servertest.Start(t)
	c := s.ClientWith(&redis.Options{PoolSize: 1})
	ctx := context.Background()
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "BLPOP", "empty", "0")
		p.Do(ctx, "BZPOPMIN", "empty", "0")
		p.Do(ctx, "BLMOVE", "empty", "x", "LEFT", "LEFT", "0")
		return nil
	})
	require.ErrorIs(t, err, redis.Nil)
	for _, cmd := range cmds {
		require.ErrorIs(t, cmd.Err(), redis.Nil)
	}
	require.Equal(t, 0, blockedClients(t, c))

	// A waiter is served after the whole transaction, as in Redis: the
	// transaction's own LLEN still sees the element.
	ch, _ := goDo(s, "BLPOP", "l", "0")
	waitBlocked(t, c, 1)
	cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, "l", "a")
		p.LLen(ctx, "l")
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), cmds[1].(*redis.IntCmd).Val())
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"l", "a"}, r.v)
	require.Equal(t, int64(0), c.LLen(ctx, "l").Val())

	// A transaction that pushes and pops leaves nothing to serve.
	ch, _ = goDo(s, "BLPOP", "l", "0.3")
	waitBlocked(t, c, 1)
	cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, "l", "b")
		p.LPop(ctx, "l")
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, "b", cmds[1].(*redis.StringCmd).Val())
	r = recv(t, ch)
	require.ErrorIs(t, r.err, redis.Nil)
}

func TestBlockingWokenByScriptAndRename(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, _ := goDo(s, "BLPOP", "l", "0")
	waitBlocked(t, c, 1)
	require.NoError(t, c.Eval(ctx, "redis.call('rpush', KEYS[1], 'x'); return redis.call('llen', KEYS[1])", []string{"l"}).Err())
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"l", "x"}, r.v)

	ch, _ = goDo(s, "BLPOP", "dst", "0")
	waitBlocked(t, c, 1)
	c.RPush(ctx, "src", "moved")
	require.NoError(t, c.Rename(ctx, "src", "dst").Err())
	r = recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"dst", "moved"}, r.v)
	require.Equal(t, int64(0), c.Exists(ctx, "dst").Val())

	// A key of the wrong type keeps the client blocked.
	ch, _ = goDo(s, "BLPOP", "k", "0.3")
	waitBlocked(t, c, 1)
	c.Set(ctx, "k", "str", 0)
	r = recv(t, ch)
	require.ErrorIs(t, r.err, redis.Nil)
	require.Equal(t, "str", c.Get(ctx, "k").Val())
}

func TestBlockingBLMOVE(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	mv, _ := goDo(s, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
	waitBlocked(t, c, 1)
	pop, _ := goDo(s, "BLPOP", "dst", "0")
	waitBlocked(t, c, 2)
	c.RPush(ctx, "src", "a", "b")
	r := recv(t, mv)
	require.NoError(t, r.err)
	require.Equal(t, "b", r.v)
	// The moved element woke the second client in turn.
	r = recv(t, pop)
	require.NoError(t, r.err)
	require.Equal(t, []any{"dst", "b"}, r.v)
	require.Equal(t, []string{"a"}, c.LRange(ctx, "src", 0, -1).Val())
	require.Equal(t, int64(0), c.Exists(ctx, "dst").Val())

	mv, _ = goDo(s, "BRPOPLPUSH", "q", "done", "0")
	waitBlocked(t, c, 1)
	c.RPush(ctx, "q", "job1", "job2")
	r = recv(t, mv)
	require.NoError(t, r.err)
	require.Equal(t, "job2", r.v)
	require.Equal(t, []string{"job2"}, c.LRange(ctx, "done", 0, -1).Val())
	require.Equal(t, []string{"job1"}, c.LRange(ctx, "q", 0, -1).Val())

	// Data present: no blocking.
	v, err := c.BLMove(ctx, "q", "done", "LEFT", "RIGHT", 0).Result()
	require.NoError(t, err)
	require.Equal(t, "job1", v)
	require.Equal(t, []string{"job2", "job1"}, c.LRange(ctx, "done", 0, -1).Val())
}

func TestBlockingLMPOPAndZSets(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, _ := goDo(s, "BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "2")
	waitBlocked(t, c, 1)
	c.RPush(ctx, "y", "1", "2", "3")
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"y", []any{"3", "2"}}, r.v)

	ch, _ = goDo(s, "BZPOPMIN", "z1", "z2", "0")
	waitBlocked(t, c, 1)
	c.ZAdd(ctx, "z2", redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 1.5, Member: "a"})
	r = recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"z2", "a", "1.5"}, r.v)

	ch, _ = goDo(s, "BZPOPMAX", "z3", "0")
	waitBlocked(t, c, 1)
	c.ZAdd(ctx, "z3", redis.Z{Score: 1, Member: "lo"}, redis.Z{Score: 9, Member: "hi"})
	r = recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"z3", "hi", "9"}, r.v)

	ch, _ = goDo(s, "BZMPOP", "0", "1", "z4", "MIN", "COUNT", "10")
	waitBlocked(t, c, 1)
	c.ZAdd(ctx, "z4", redis.Z{Score: 1, Member: "m1"}, redis.Z{Score: 2, Member: "m2"})
	r = recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"z4", []any{[]any{"m1", "1"}, []any{"m2", "2"}}}, r.v)
	require.Equal(t, int64(0), c.Exists(ctx, "z4").Val())

	// Existing data, no blocking.
	v, err := c.BZPopMax(ctx, time.Second, "z2").Result()
	require.NoError(t, err)
	require.Equal(t, "b", v.Member)
	require.Equal(t, "z2", v.Key)
}

func TestBlockingClientUnblock(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, bc := goDo(s, "BLPOP", "l", "0")
	waitBlocked(t, c, 1)
	id := clientIDOf(t, c)
	require.Equal(t, int64(1), c.Do(ctx, "CLIENT", "UNBLOCK", id).Val())
	r := recv(t, ch)
	require.ErrorIs(t, r.err, redis.Nil)
	require.Equal(t, int64(0), c.Do(ctx, "CLIENT", "UNBLOCK", id).Val())
	// The connection is usable again.
	require.Equal(t, "PONG", bc.Ping(ctx).Val())

	ch, _ = goDo(s, "BZPOPMIN", "z", "0")
	waitBlocked(t, c, 1)
	id = clientIDOf(t, c)
	require.Equal(t, int64(1), c.Do(ctx, "CLIENT", "UNBLOCK", id, "ERROR").Val())
	r = recv(t, ch)
	require.EqualError(t, r.err, "UNBLOCKED client unblocked via CLIENT UNBLOCK")
	require.Equal(t, 0, blockedClients(t, c))
	// A later push stays in the list.
	c.RPush(ctx, "l", "x")
	require.Equal(t, int64(1), c.LLen(ctx, "l").Val())
}

// clientIDOf returns the id of the one blocked client (flags=b).
func clientIDOf(t *testing.T, c *redis.Client) string {
	list, err := c.Do(context.Background(), "CLIENT", "LIST").Text()
	require.NoError(t, err)
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " flags=b ") {
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "id="), " ")
			return id
		}
	}
	t.Fatalf("no blocked client in %q", list)
	return ""
}

func TestBlockingClientKillAndDisconnect(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, _ := goDo(s, "BLPOP", "l", "0")
	waitBlocked(t, c, 1)
	id := clientIDOf(t, c)
	require.Equal(t, int64(1), c.Do(ctx, "CLIENT", "KILL", "ID", id).Val())
	r := recv(t, ch)
	require.Error(t, r.err)
	waitBlocked(t, c, 0)
	c.RPush(ctx, "l", "kept")
	require.Equal(t, []string{"kept"}, c.LRange(ctx, "l", 0, -1).Val())

	// A client that disconnects while blocked leaves the queue.
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	_, err = conn.Write([]byte("BLPOP other 0\r\n"))
	require.NoError(t, err)
	waitBlocked(t, c, 1)
	conn.Close()
	waitBlocked(t, c, 0)
	c.RPush(ctx, "other", "kept")
	require.Equal(t, int64(1), c.LLen(ctx, "other").Val())
}

func TestBlockingShutdownWithBlockedClients(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	var chans []<-chan doResult
	for i := 0; i < 3; i++ {
		ch, _ := goDo(s, "BLPOP", fmt.Sprint("l", i), "0")
		chans = append(chans, ch)
	}
	waitBlocked(t, c, 3)
	s.Restart()
	for _, ch := range chans {
		r := recv(t, ch)
		require.Error(t, r.err)
	}
	c2 := s.Client()
	require.Equal(t, "PONG", c2.Ping(context.Background()).Val())
	require.Equal(t, 0, blockedClients(t, c2))
}

func TestBlockingJobQueueStress(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	const producers, consumers, perProducer = 4, 6, 250
	total := producers * perProducer
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for i := 0; i < consumers; i++ {
		wg.Add(1)
		c := blockClient(s)
		go func() {
			defer wg.Done()
			for {
				v, err := c.Do(ctx, "BLPOP", "jobs", "jobs2", "0.2").Result()
				if err == redis.Nil {
					select {
					case <-done:
						return
					default:
						continue
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				item := v.([]any)[1].(string)
				mu.Lock()
				seen[item]++
				n := len(seen)
				mu.Unlock()
				if n == total {
					close(done)
				}
			}
		}()
	}
	var pw sync.WaitGroup
	for p := 0; p < producers; p++ {
		pw.Add(1)
		c := blockClient(s)
		go func(p int) {
			defer pw.Done()
			for i := 0; i < perProducer; i++ {
				key := "jobs"
				if i%3 == 0 {
					key = "jobs2"
				}
				if err := c.RPush(ctx, key, fmt.Sprintf("p%d-%d", p, i)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(p)
	}
	pw.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("not every job was consumed")
	}
	wg.Wait()
	require.Len(t, seen, total)
	for item, n := range seen {
		require.Equal(t, 1, n, item)
	}
	c := s.Client()
	require.Equal(t, int64(0), c.Exists(ctx, "jobs", "jobs2").Val())
}

func TestBlockingXREAD(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	c.XAdd(ctx, &redis.XAddArgs{Stream: "s1", ID: "1-1", Values: []string{"old", "1"}})
	ch, _ := goDo(s, "XREAD", "BLOCK", "0", "STREAMS", "s0", "s1", "$", "$")
	waitBlocked(t, c, 1)
	c.XAdd(ctx, &redis.XAddArgs{Stream: "s1", ID: "2-1", Values: []string{"f", "v"}})
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{[]any{"s1", []any{[]any{"2-1", []any{"f", "v"}}}}}, r.v)

	// Timeout in milliseconds: a null reply.
	_, err := c.Do(ctx, "XREAD", "BLOCK", "50", "STREAMS", "s1", "$").Result()
	require.ErrorIs(t, err, redis.Nil)
	// Data after the given ID: no blocking.
	v, err := c.Do(ctx, "XREAD", "BLOCK", "0", "STREAMS", "s1", "1-1").Result()
	require.NoError(t, err)
	require.Equal(t, []any{[]any{"s1", []any{[]any{"2-1", []any{"f", "v"}}}}}, v)
	_, err = c.Do(ctx, "XREAD", "BLOCK", "-1", "STREAMS", "s1", "$").Result()
	require.EqualError(t, err, "ERR timeout is negative")

	// XREADGROUP >: the entry is delivered to the consumer and pending.
	require.NoError(t, c.XGroupCreateMkStream(ctx, "gs", "g", "$").Err())
	ch, _ = goDo(s, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "gs", ">")
	waitBlocked(t, c, 1)
	c.XAdd(ctx, &redis.XAddArgs{Stream: "gs", ID: "5-0", Values: []string{"job", "1"}})
	r = recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{[]any{"gs", []any{[]any{"5-0", []any{"job", "1"}}}}}, r.v)
	p, err := c.XPending(ctx, "gs", "g").Result()
	require.NoError(t, err)
	require.Equal(t, int64(1), p.Count)
	require.Equal(t, int64(1), p.Consumers["alice"])

	// Inside MULTI, no blocking.
	cmds, err := c.TxPipelined(ctx, func(pp redis.Pipeliner) error {
		pp.Do(ctx, "XREAD", "BLOCK", "0", "STREAMS", "gs", "$")
		return nil
	})
	require.ErrorIs(t, err, redis.Nil)
	require.ErrorIs(t, cmds[0].Err(), redis.Nil)
}

func TestBlockingInScripts(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	// BLMPOP/BZMPOP run without blocking in a script; BLPOP is refused
	// (noscript), as in Redis 7.0.
	_, err := c.Eval(ctx, "return redis.call('blmpop', 0, 1, 'nolist', 'left')", nil).Result()
	require.ErrorIs(t, err, redis.Nil)
	_, err = c.Eval(ctx, "return redis.call('blpop', 'x', 0)", nil).Result()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "ERR This Redis command is not allowed from script"), err.Error())
	v, err := c.Eval(ctx, "redis.call('zadd', KEYS[1], 1, 'm'); return redis.call('bzmpop', 0, 1, KEYS[1], 'min')", []string{"z"}).Result()
	require.NoError(t, err)
	require.Equal(t, []any{"z", []any{[]any{"m", "1"}}}, v)
	require.Equal(t, 0, blockedClients(t, c))
}

func TestBlockingSwapDBAndRESP3(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, _ := goDo(s, "BLPOP", "l", "0")
	waitBlocked(t, c, 1)
	c1 := s.ClientWith(&redis.Options{DB: 1, PoolSize: 1})
	c1.RPush(ctx, "l", "from1")
	require.NoError(t, c.Do(ctx, "SWAPDB", "0", "1").Err())
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, []any{"l", "from1"}, r.v)

	// A RESP3 client served by another client's push gets RESP3 types.
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	line := func() string {
		l, err := br.ReadString('\n')
		require.NoError(t, err)
		return l
	}
	_, err = conn.Write([]byte("HELLO 3\r\n"))
	require.NoError(t, err)
	for line() != "modules\r\n" {
	}
	require.Equal(t, "*0\r\n", line())
	_, err = conn.Write([]byte("BZPOPMIN z 0\r\n"))
	require.NoError(t, err)
	waitBlocked(t, c, 1)
	c.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "m"})
	var got []string
	for i := 0; i < 6; i++ {
		got = append(got, line())
	}
	require.Equal(t, []string{"*3\r\n", "$1\r\n", "z\r\n", "$1\r\n", "m\r\n", ",1.5\r\n"}, got)
}

// 200 clients blocked on 20 lists are served in arrival order per list.
func TestBlockingArrivalOrderManyClients(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	const lists, per = 20, 10
	type res struct {
		list, idx int
		got       string
	}
	out := make(chan res, lists*per)
	var conns []net.Conn
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	for i := 0; i < per; i++ {
		for l := 0; l < lists; l++ {
			cn, err := net.Dial("tcp", s.Addr)
			require.NoError(t, err)
			conns = append(conns, cn)
			_, err = fmt.Fprintf(cn, "BLPOP list%d 0\r\n", l)
			require.NoError(t, err)
			go func(cn net.Conn, l, i int) {
				br := bufio.NewReader(cn)
				var lines []string
				for j := 0; j < 5; j++ {
					s, err := br.ReadString('\n')
					if err != nil {
						return
					}
					lines = append(lines, strings.TrimSpace(s))
				}
				out <- res{l, i, lines[4]}
			}(cn, l, i)
			waitBlocked(t, c, i*lists+l+1)
		}
	}
	for l := 0; l < lists; l++ {
		for i := 0; i < per; i++ {
			c.RPush(ctx, fmt.Sprint("list", l), fmt.Sprint(i))
		}
	}
	for n := 0; n < lists*per; n++ {
		select {
		case r := <-out:
			require.Equal(t, strconv.Itoa(r.idx), r.got, "list%d client %d", r.list, r.idx)
		case <-time.After(10 * time.Second):
			t.Fatal("not every client was served")
		}
	}
	require.Equal(t, 0, blockedClients(t, c))
}

// The writer that makes BLMOVE's source ready holds the destination's
// lock too: the waiter retries under its own locks and still gets the
// element.
func TestBlockingBLMOVEDestinationBusy(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	c.RPush(ctx, "dst", "d1")
	ch, _ := goDo(s, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
	waitBlocked(t, c, 1)
	require.Equal(t, "d1", c.RPopLPush(ctx, "dst", "src").Val())
	r := recv(t, ch)
	require.NoError(t, r.err)
	require.Equal(t, "d1", r.v)
	require.Equal(t, []string{"d1"}, c.LRange(ctx, "dst", 0, -1).Val())
	require.Equal(t, int64(0), c.Exists(ctx, "src").Val())
	require.Equal(t, 0, blockedClients(t, c))
}

// The served pop's events follow the push's, as in Redis 7.0.15.
func TestBlockingKeyspaceEventOrder(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	require.NoError(t, c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err())
	sub := c.PSubscribe(ctx, "__keyevent@0__:*")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	ch, _ := goDo(s, "BLPOP", "l", "0")
	waitBlocked(t, c, 1)
	c.RPush(ctx, "l", "x")
	r := recv(t, ch)
	require.NoError(t, r.err)
	var events []string
	for len(events) < 3 {
		m, err := sub.ReceiveTimeout(ctx, 5*time.Second)
		require.NoError(t, err)
		if msg, ok := m.(*redis.Message); ok {
			events = append(events, msg.Channel+" "+msg.Payload)
		}
	}
	require.Equal(t, []string{"__keyevent@0__:rpush l", "__keyevent@0__:lpop l", "__keyevent@0__:del l"}, events)
}

// XREADGROUP BLOCK errors as Redis 7.0.15 when its group or stream goes.
func TestBlockingXREADGROUPGroupOrStreamGone(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	require.NoError(t, c.XGroupCreateMkStream(ctx, "xs", "g", "$").Err())
	ch, _ := goDo(s, "XREADGROUP", "GROUP", "g", "al", "BLOCK", "0", "STREAMS", "xs", ">")
	waitBlocked(t, c, 1)
	require.NoError(t, c.XGroupDestroy(ctx, "xs", "g").Err())
	c.XAdd(ctx, &redis.XAddArgs{Stream: "xs", Values: []string{"a", "1"}})
	r := recv(t, ch)
	require.EqualError(t, r.err, "NOGROUP the consumer group this client was blocked on no longer exists")

	require.NoError(t, c.XGroupCreate(ctx, "xs", "g", "$").Err())
	ch, _ = goDo(s, "XREADGROUP", "GROUP", "g", "al", "BLOCK", "0", "STREAMS", "xs", ">")
	waitBlocked(t, c, 1)
	c.Del(ctx, "xs")
	r = recv(t, ch)
	require.EqualError(t, r.err, "UNBLOCKED the stream key no longer exists")
}

// BLMOVE whose destination became another type: WRONGTYPE once the
// source gets data, which stays in the source (Redis 7.0.15).
func TestBlockingBLMOVEWrongTypeDestination(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	ch, _ := goDo(s, "BLMOVE", "msrc", "mdst", "LEFT", "LEFT", "0")
	waitBlocked(t, c, 1)
	c.Set(ctx, "mdst", "str", 0)
	c.RPush(ctx, "msrc", "a")
	r := recv(t, ch)
	require.EqualError(t, r.err, "WRONGTYPE Operation against a key holding the wrong kind of value")
	require.Equal(t, []string{"a"}, c.LRange(ctx, "msrc", 0, -1).Val())
	require.Equal(t, "str", c.Get(ctx, "mdst").Val())
}

// A RESP3 subscriber that blocks still gets its messages meanwhile.
func TestBlockingRESP3Subscriber(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	ctx := context.Background()
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	line := func() string {
		l, err := br.ReadString('\n')
		require.NoError(t, err)
		return l
	}
	_, err = conn.Write([]byte("HELLO 3\r\n"))
	require.NoError(t, err)
	for line() != "modules\r\n" {
	}
	require.Equal(t, "*0\r\n", line())
	_, err = conn.Write([]byte("SUBSCRIBE ch\r\n"))
	require.NoError(t, err)
	for i := 0; i < 6; i++ {
		line()
	}
	_, err = conn.Write([]byte("BLPOP pl 0\r\n"))
	require.NoError(t, err)
	waitBlocked(t, c, 1)
	require.Equal(t, int64(1), c.Publish(ctx, "ch", "hi").Val())
	var got []string
	for i := 0; i < 7; i++ {
		got = append(got, line())
	}
	require.Equal(t, []string{">3\r\n", "$7\r\n", "message\r\n", "$2\r\n", "ch\r\n", "$2\r\n", "hi\r\n"}, got)
	c.RPush(ctx, "pl", "v")
	got = got[:0]
	for i := 0; i < 5; i++ {
		got = append(got, line())
	}
	require.Equal(t, []string{"*2\r\n", "$2\r\n", "pl\r\n", "$1\r\n", "v\r\n"}, got)
}

// Inside MULTI, BLMOVE/BRPOPLPUSH answer a null bulk and the others a null
// array, byte for byte as Redis 7.0.15.
func TestBlockingInsideMultiRawReplies(t *testing.T) {
	s := servertest.Start(t)
	conn, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("MULTI\r\nBLMOVE e1 e2 LEFT LEFT 0\r\nBRPOPLPUSH e1 e2 0\r\nBLPOP e1 0\r\nBZPOPMIN e1 0\r\nBLMPOP 0 1 e1 LEFT\r\nXREAD BLOCK 0 STREAMS e1 $\r\nEXEC\r\n"))
	require.NoError(t, err)
	want := "+OK\r\n" + strings.Repeat("+QUEUED\r\n", 6) + "*6\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n"
	buf := make([]byte, 0, len(want))
	br := bufio.NewReader(conn)
	for len(buf) < len(want) {
		b, err := br.ReadByte()
		require.NoError(t, err)
		buf = append(buf, b)
	}
	require.Equal(t, want, string(buf))
}
