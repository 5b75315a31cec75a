package commands_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/commands"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// nfEvent is the pmessage frame for one keyspace and one keyevent message
// seen through PSUBSCRIBE __key*__:*.
func nfEvent(db int, event, key string) string {
	pat := "__key*__:*"
	ks := fmt.Sprintf("__keyspace@%d__:%s", db, key)
	ke := fmt.Sprintf("__keyevent@%d__:%s", db, event)
	return "*4\r\n" + psBulk("pmessage") + psBulk(pat) + psBulk(ks) + psBulk(event) +
		"*4\r\n" + psBulk("pmessage") + psBulk(pat) + psBulk(ke) + psBulk(key)
}

func nfSubscribe(t *testing.T, s *servertest.Server) *psConn {
	sub := psDial(t, s)
	sub.do("*3\r\n$10\r\npsubscribe\r\n$10\r\n__key*__:*\r\n:1\r\n", "PSUBSCRIBE", "__key*__:*")
	return sub
}

func TestNotifyStringEvents(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "KEA")
	sub := nfSubscribe(t, s)
	c := s.Client()
	ctx := context.Background()

	require.NoError(t, c.Set(ctx, "foo", "bar", 0).Err())
	sub.expect(nfEvent(0, "set", "foo"))
	require.NoError(t, c.Set(ctx, "foo", "bar", time.Hour).Err())
	sub.expect(nfEvent(0, "set", "foo") + nfEvent(0, "expire", "foo"))
	// INCR is notified as incrby, as in Redis.
	require.NoError(t, c.Incr(ctx, "n").Err())
	require.NoError(t, c.DecrBy(ctx, "n", 5).Err())
	sub.expect(nfEvent(0, "incrby", "n") + nfEvent(0, "incrby", "n"))
	require.NoError(t, c.IncrByFloat(ctx, "n", 1.5).Err())
	sub.expect(nfEvent(0, "incrbyfloat", "n"))
	require.NoError(t, c.Append(ctx, "foo", "!").Err())
	sub.expect(nfEvent(0, "append", "foo"))
	require.NoError(t, c.SetRange(ctx, "foo", 1, "X").Err())
	sub.expect(nfEvent(0, "setrange", "foo"))
	// An empty SETRANGE changes nothing and notifies nothing.
	require.NoError(t, c.SetRange(ctx, "foo", 1, "").Err())
	require.NoError(t, c.MSet(ctx, "m1", "a", "m2", "b").Err())
	sub.expect(nfEvent(0, "set", "m1") + nfEvent(0, "set", "m2"))
	require.NoError(t, c.GetEx(ctx, "m1", 0).Err()) // no option: no event
	require.NoError(t, c.Do(ctx, "GETEX", "m1", "PX", "100000").Err())
	sub.expect(nfEvent(0, "expire", "m1"))
	require.NoError(t, c.Do(ctx, "GETEX", "m1", "PERSIST").Err())
	sub.expect(nfEvent(0, "persist", "m1"))
	require.NoError(t, c.Do(ctx, "GETEX", "m1", "PERSIST").Err()) // nothing to persist
	require.NoError(t, c.GetDel(ctx, "m2").Err())
	sub.expect(nfEvent(0, "del", "m2"))
	require.ErrorIs(t, c.GetDel(ctx, "m2").Err(), redis.Nil) // missing: no event
	// Failed commands notify nothing.
	require.Error(t, c.Incr(ctx, "foo").Err())
	require.Error(t, c.Do(ctx, "SET", "foo", "x", "EX", "-1").Err())
	require.NoError(t, c.SetNX(ctx, "foo", "x", 0).Err()) // exists: not set
	sub.quiet()

	// Another database.
	c2 := s.ClientWith(&redis.Options{DB: 3})
	require.NoError(t, c2.Set(ctx, "k", "v", 0).Err())
	sub.expect(nfEvent(3, "set", "k"))
}

func TestNotifyExpiredByActiveExpiry(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "Ex")
	sub := psDial(t, s)
	sub.do(psConfirm("subscribe", "__keyevent@0__:expired", 1), "SUBSCRIBE", "__keyevent@0__:expired")
	c := s.Client()
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "short", "v", 50*time.Millisecond).Err())
	require.NoError(t, c.Set(ctx, "long", "v", time.Hour).Err())
	// Only 'x' and 'E' are on: the set/expire events are not published.
	sub.expect("*3\r\n" + psBulk("message") + psBulk("__keyevent@0__:expired") + psBulk("short"))
	sub.quiet()
	n, err := c.Exists(ctx, "short", "long").Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

func TestNotifyClassesAndConfig(t *testing.T) {
	s := servertest.Start(t)
	sub := nfSubscribe(t, s)
	c := s.Client()
	ctx := context.Background()

	// Off by default.
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	sub.quiet()

	set := func(v string) {
		t.Helper()
		require.NoError(t, s.Srv.Config.Set("notify-keyspace-events", v))
	}
	// Keyspace channel only, string class only.
	set("K$")
	require.NoError(t, c.Set(ctx, "a", "2", time.Hour).Err())
	sub.expect("*4\r\n" + psBulk("pmessage") + psBulk("__key*__:*") + psBulk("__keyspace@0__:a") + psBulk("set"))
	sub.quiet() // 'expire' is generic (g): not selected
	// Keyevent channel only, generic class only.
	set("Eg")
	require.NoError(t, c.Set(ctx, "a", "3", time.Hour).Err())
	sub.expect("*4\r\n" + psBulk("pmessage") + psBulk("__key*__:*") + psBulk("__keyevent@0__:expire") + psBulk("a"))
	sub.quiet()
	// A class without K or E publishes nothing.
	set("A")
	require.NoError(t, c.Set(ctx, "a", "4", 0).Err())
	sub.quiet()
	set("")
	require.NoError(t, c.Set(ctx, "a", "5", 0).Err())
	sub.quiet()

	flags, ok := commands.ParseNotifyFlags("KEA")
	require.True(t, ok)
	require.Equal(t, commands.NotifyKeyspace|commands.NotifyKeyevent|commands.NotifyAll, flags)
	require.Zero(t, flags&commands.NotifyKeyMiss)
	require.Zero(t, flags&commands.NotifyNew)
	_, ok = commands.ParseNotifyFlags("K!")
	require.False(t, ok)
}

// A RESP3 client that publishes an event about its own write gets it before
// its reply, as Redis sends it during the command.
func TestNotifySelfRESP3(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "E$")
	p := psDial(t, s)
	p.send("HELLO", "3")
	require.NoError(t, p.nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		line, err := p.rd.ReadString('\n')
		require.NoError(t, err)
		if line == "*0\r\n" {
			break
		}
	}
	p.do(">3\r\n$9\r\nsubscribe\r\n$18\r\n__keyevent@0__:set\r\n:1\r\n", "SUBSCRIBE", "__keyevent@0__:set")
	p.do(">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n+OK\r\n", "SET", "k", "v")
	// SET ... GET and GETSET reply first, then notify (recorded from Redis
	// 7.0.15).
	p.do("$1\r\nv\r\n>3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n", "SET", "k", "w", "GET")
	p.do("$1\r\nw\r\n>3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n", "GETSET", "k", "x")
	// Inside EXEC the events sit inside the array, before each reply.
	p.do("+OK\r\n", "MULTI")
	p.do("+QUEUED\r\n", "SET", "a", "1")
	p.do("+QUEUED\r\n", "GET", "a")
	p.do("+QUEUED\r\n", "SET", "b", "2")
	p.do("*3\r\n>3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\na\r\n+OK\r\n$1\r\n1\r\n>3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nb\r\n+OK\r\n", "EXEC")
	// A failed write publishes nothing.
	p.do("-ERR syntax error\r\n", "SET", "k", "v", "NX", "XX")
	p.quiet()
}
