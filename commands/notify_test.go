package commands_test

import (
	"context"
	"fmt"
	"io"
	"strings"
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
		require.NoError(t, c.ConfigSet(ctx, "notify-keyspace-events", v).Err())
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

	// CONFIG GET shows the canonical form; a bad letter is refused.
	set("EKA")
	v, err := c.ConfigGet(ctx, "notify-keyspace-events").Result()
	require.NoError(t, err)
	require.Equal(t, map[string]string{"notify-keyspace-events": "AKE"}, v)
	require.EqualError(t, c.ConfigSet(ctx, "notify-keyspace-events", "K!").Err(),
		"ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
	require.NoError(t, c.Set(ctx, "a", "6", 0).Err())
	sub.expect(nfEvent(0, "set", "a"))

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

// nfCollect reads pmessage frames of PSUBSCRIBE __keyspace@0__:* until want
// events arrived, returning them as "key:event".
func nfCollect(t *testing.T, p *psConn, want int) []string {
	t.Helper()
	require.NoError(t, p.nc.SetReadDeadline(time.Now().Add(10*time.Second)))
	var out []string
	readBulk := func() string {
		line, err := p.rd.ReadString('\n')
		require.NoError(t, err)
		var n int
		_, err = fmt.Sscanf(line, "$%d\r\n", &n)
		require.NoError(t, err, line)
		b := make([]byte, n+2)
		_, err = io.ReadFull(p.rd, b)
		require.NoError(t, err)
		return string(b[:n])
	}
	for len(out) < want {
		hdr, err := p.rd.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "*4\r\n", hdr)
		require.Equal(t, "pmessage", readBulk())
		readBulk() // the pattern
		ch, ev := readBulk(), readBulk()
		out = append(out, strings.TrimPrefix(ch, "__keyspace@0__:")+":"+ev)
	}
	return out
}

// Hash, set, list and sorted-set events: the commands and the event stream
// were recorded from Redis 7.0.15 (KEA).
func TestNotifyCollectionEvents(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "KEA")
	sub := psDial(t, s)
	sub.do("*3\r\n$10\r\npsubscribe\r\n$16\r\n__keyspace@0__:*\r\n:1\r\n", "PSUBSCRIBE", "__keyspace@0__:*")
	c := psDial(t, s)
	cmds := strings.Split("hset h a 1 b 2|hset h a 1|hsetnx h a 9|hsetnx h c 3|hdel h zz|hdel h a b|hincrby h n 5|hincrbyfloat h f 1.5|hdel h c n f|hmset h x 1|"+
		"sadd s a b c|sadd s a|srem s zz|srem s a|sadd one x|spop one|smove s s2 b|smove s s2 zz|sadd s x y|smove s s2 x|sadd s2 y|smove s s2 y|sadd t 1 2 3|"+
		"sunionstore u s2 t|sinterstore u s2 t|sdiffstore u t t|sdiffstore u t t|spop t 0|spop t 3|sadd t 9|spop t 5|"+
		"rpush l a b c d|lpush l z|rpushx nol a|lpushx l y|linsert l before a q|linsert l before nope q|lset l 0 w|lrem l 0 q|lrem l 0 nope|ltrim l 0 3|ltrim nol 0 1|"+
		"lpop l|rpop l 2|lmove l l2 left right|rpoplpush l2 l2|lmpop 2 nol l2 left count 5|rpush m 1|ltrim m 1 0|"+
		"zadd z 1 a 2 b|zadd z 1 a|zadd z ch 5 a|zadd z incr 0 a|zincrby z 0 a|zincrby z 1 a|zadd z nx 9 a|zrem z nope|zrem z b|zadd z 1 b 2 c 3 d|"+
		"zremrangebyrank z 0 0|zremrangebyscore z 100 200|zremrangebyscore z 2 2|zremrangebylex z - +|zadd z 1 a 2 b 3 c|zpopmin z|zpopmax z 5|zadd z 1 a 2 b|"+
		"zmpop 1 z min count 1|zadd y 1 a|zunionstore zu 2 z y|zinterstore zu 2 z nope|zdiffstore zu 1 y|zrangestore zr y 0 -1|zrangestore zr y 5 6", "|")
	for _, line := range cmds {
		c.send(strings.Fields(line)...)
	}
	want := strings.Fields("h:hset h:hset h:hset h:hdel h:hincrby h:hincrbyfloat h:hdel h:del h:hset " +
		"s:sadd s:srem one:sadd one:spop one:del s:srem s2:sadd s:sadd s:srem s2:sadd s2:sadd s:srem t:sadd " +
		"u:sunionstore u:del t:spop t:del t:sadd t:spop t:del " +
		"l:rpush l:lpush l:lpush l:linsert l:lset l:lrem l:ltrim l:lpop l:rpop l2:rpush l:lpop l:del l2:lpush l2:rpop l2:lpop l2:del " +
		"m:rpush m:ltrim m:del " +
		"z:zadd z:zadd z:zincr z:zrem z:zadd z:zremrangebyrank z:zremrangebyscore z:zremrangebylex z:del z:zadd z:zpopmin z:zpopmax z:del " +
		"z:zadd z:zpopmin y:zadd zu:zunionstore zu:del zu:zdiffstore zr:zrangestore zr:del")
	require.Equal(t, want, nfCollect(t, sub, len(want)))
	sub.quiet()
}

// A RESP3 client subscribed to its own keys sees each event at the point
// of its reply where Redis 7.0.15 emits it (recorded).
func TestNotifySelfOrderCollections(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "Kh$zl")
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
	p.do(">3\r\n$9\r\nsubscribe\r\n$16\r\n__keyspace@0__:k\r\n:1\r\n", "SUBSCRIBE", "__keyspace@0__:k")
	ev := func(e string) string { return ">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n" + psBulk(e) }
	p.do(":1\r\n"+ev("hset"), "HSET", "k", "f", "v") // reply, then event
	p.do(ev("hdel")+":1\r\n", "HDEL", "k", "f")      // event, then reply
	p.do(":2\r\n"+ev("rpush"), "RPUSH", "k", "a", "b")
	p.do("$1\r\na\r\n"+ev("lpop"), "LPOP", "k")
	p.do(ev("ltrim")+"+OK\r\n", "LTRIM", "k", "0", "-1")
	p.do(":1\r\n", "DEL", "k")
	p.do(":2\r\n"+ev("zadd"), "ZADD", "k", "1", "a", "2", "b")
	// ZPOPMIN's event sits right after the reply's array header.
	p.do("*2\r\n"+ev("zpopmin")+"$1\r\na\r\n,1\r\n", "ZPOPMIN", "k")
	p.do(ev("set")+"+OK\r\n", "SET", "k", "v")
}

// DEL, EXPIRE, PERSIST and RENAME through the notification path (stream
// recorded from Redis 7.0.15).
func TestNotifyGenericEvents(t *testing.T) {
	s := servertest.Start(t, "--notify-keyspace-events", "KEA")
	sub := psDial(t, s)
	sub.do("*3\r\n$10\r\npsubscribe\r\n$16\r\n__keyspace@0__:*\r\n:1\r\n", "PSUBSCRIBE", "__keyspace@0__:*")
	c := psDial(t, s)
	for _, line := range strings.Split("set a 1|set b 2|del a b nope|set c 3|expire c 100|expire c -1|set d 4|pexpire d 100000|persist d|rename d e|expire nope 10", "|") {
		c.send(strings.Fields(line)...)
	}
	want := strings.Fields("a:set b:set a:del b:del c:set c:expire c:del d:set d:expire d:persist d:rename_from e:rename_to")
	require.Equal(t, want, nfCollect(t, sub, len(want)))
	sub.quiet()
}
