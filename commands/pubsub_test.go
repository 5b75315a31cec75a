package commands_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// psConn is a raw RESP connection for byte-exact checks.
type psConn struct {
	t  *testing.T
	nc net.Conn
	rd *bufio.Reader
}

func psDial(t *testing.T, s *servertest.Server) *psConn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &psConn{t: t, nc: nc, rd: bufio.NewReader(nc)}
}

func psEncode(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

func (p *psConn) send(args ...string) {
	p.t.Helper()
	_, err := p.nc.Write(psEncode(args...))
	require.NoError(p.t, err)
}

// expect reads exactly len(want) bytes and compares them.
func (p *psConn) expect(want string) {
	p.t.Helper()
	require.NoError(p.t, p.nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	got := make([]byte, len(want))
	_, err := io.ReadFull(p.rd, got)
	require.NoError(p.t, err, "waiting for %q, got %q", want, got)
	require.Equal(p.t, want, string(got))
}

// do sends a command and checks its exact reply bytes.
func (p *psConn) do(want string, args ...string) {
	p.t.Helper()
	p.send(args...)
	p.expect(want)
}

// quiet checks that nothing arrives for a short while.
func (p *psConn) quiet() {
	p.t.Helper()
	require.NoError(p.t, p.nc.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	b, err := p.rd.Peek(1)
	require.Error(p.t, err, "unexpected output %q", b)
}

func psBulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

func psConfirm(kind, ch string, n int) string {
	return "*3\r\n" + psBulk(kind) + psBulk(ch) + fmt.Sprintf(":%d\r\n", n)
}

// The RESP2 replies below were recorded from Redis 7.0.15.
func TestPubSubRESP2SubscribedMode(t *testing.T) {
	s := servertest.Start(t)
	p := psDial(t, s)

	p.do("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", "UNSUBSCRIBE")
	p.do("*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n", "PUNSUBSCRIBE")
	p.do("*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n", "SUNSUBSCRIBE")
	p.do(psConfirm("unsubscribe", "a", 0)+psConfirm("unsubscribe", "b", 0), "UNSUBSCRIBE", "a", "b")
	// Not subscribed: PING and other commands behave normally.
	p.do("+PONG\r\n", "PING")

	p.do(psConfirm("subscribe", "a", 1)+psConfirm("subscribe", "b", 2)+psConfirm("subscribe", "a", 2), "SUBSCRIBE", "a", "b", "a")
	p.do("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
	p.do("*2\r\n$4\r\npong\r\n$1\r\nx\r\n", "PING", "x")
	p.do("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "GET", "x")
	p.do("-ERR Can't execute 'pubsub|numpat': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "PUBSUB", "NUMPAT")
	p.do("-ERR Can't execute 'hello': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "HELLO", "3")
	// Arity errors come first, as in Redis.
	p.do("-ERR wrong number of arguments for 'get' command\r\n", "GET")
	// Shard subscriptions count on their own; patterns with channels.
	p.do(psConfirm("ssubscribe", "s1", 1)+psConfirm("ssubscribe", "s2", 2), "SSUBSCRIBE", "s1", "s2")
	p.do("*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n", "PSUBSCRIBE", "p*")
	p.do(psConfirm("subscribe", "c", 4), "SUBSCRIBE", "c")
	p.do(psConfirm("unsubscribe", "a", 3)+psConfirm("unsubscribe", "b", 2)+psConfirm("unsubscribe", "c", 1), "UNSUBSCRIBE")
	p.do(psConfirm("sunsubscribe", "s1", 1)+psConfirm("sunsubscribe", "s2", 0), "SUNSUBSCRIBE")
	// Still subscribed to a pattern.
	p.do("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
	p.do("*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n", "PUNSUBSCRIBE", "p*")
	p.do("+PONG\r\n", "PING")
	p.do("$-1\r\n", "GET", "x")

	// A shard subscription alone keeps the client in subscribed mode.
	p.do(psConfirm("subscribe", "a", 1), "SUBSCRIBE", "a")
	p.do(psConfirm("ssubscribe", "s", 1), "SSUBSCRIBE", "s")
	p.do(psConfirm("unsubscribe", "a", 0), "UNSUBSCRIBE", "a")
	p.do("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
	p.do(psConfirm("sunsubscribe", "s", 0), "SUNSUBSCRIBE")
	p.do("+PONG\r\n", "PING")

	// Arity errors for the subscribe commands.
	p.do("-ERR wrong number of arguments for 'subscribe' command\r\n", "SUBSCRIBE")
	p.do("-ERR wrong number of arguments for 'psubscribe' command\r\n", "PSUBSCRIBE")
	p.do("-ERR wrong number of arguments for 'ssubscribe' command\r\n", "SSUBSCRIBE")
	p.do("-ERR wrong number of arguments for 'publish' command\r\n", "PUBLISH", "x")

	// RESET leaves subscribed mode.
	p.do(psConfirm("subscribe", "x", 1), "SUBSCRIBE", "x")
	p.do("+RESET\r\n", "RESET")
	p.do("$-1\r\n", "GET", "x")
	p.do("*2\r\n$1\r\nx\r\n:0\r\n", "PUBSUB", "NUMSUB", "x")

	// QUIT is allowed and closes after its reply.
	p.do(psConfirm("subscribe", "x", 1), "SUBSCRIBE", "x")
	p.do("+OK\r\n", "QUIT")
	require.NoError(t, p.nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := p.rd.ReadByte()
	require.ErrorIs(t, err, io.EOF)
}

func TestPubSubRESP2Messages(t *testing.T) {
	s := servertest.Start(t)
	sub := psDial(t, s)
	pub := s.Client()
	ctx := context.Background()

	sub.do(psConfirm("subscribe", "news", 1), "SUBSCRIBE", "news")
	sub.do("*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n", "PSUBSCRIBE", "n*")
	n, err := pub.Publish(ctx, "news", "hello").Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "one channel and one pattern delivery")
	// Channel subscribers first, then patterns, as in Redis.
	sub.expect("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n")
	sub.expect("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n")
	n, err = pub.Publish(ctx, "nope", "x").Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	sub.expect("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnope\r\n$1\r\nx\r\n")
	n, err = pub.Publish(ctx, "other", "x").Result()
	require.NoError(t, err)
	require.EqualValues(t, 0, n)
	sub.quiet()

	// Binary-safe payloads and channel names.
	bin := "a\r\nb\x00c"
	sub.do(psConfirm("subscribe", bin, 3), "SUBSCRIBE", bin)
	n, err = pub.Publish(ctx, bin, bin).Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	sub.expect("*3\r\n$7\r\nmessage\r\n" + psBulk(bin) + psBulk(bin))

	// SPUBLISH reaches shard subscribers only.
	sub.do(psConfirm("ssubscribe", "news", 1), "SSUBSCRIBE", "news")
	n, err = pub.SPublish(ctx, "news", "sharded").Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	sub.expect("*3\r\n$8\r\nsmessage\r\n$4\r\nnews\r\n$7\r\nsharded\r\n")
	sub.quiet()
}

func TestPubSubRESP3(t *testing.T) {
	s := servertest.Start(t)
	p := psDial(t, s)
	p.send("HELLO", "3")
	// Skip the HELLO map: read until its last element (modules => empty array).
	require.NoError(t, p.nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		line, err := p.rd.ReadString('\n')
		require.NoError(t, err)
		if line == "*0\r\n" {
			break
		}
	}
	p.do(">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n", "UNSUBSCRIBE")
	p.do(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", "SUBSCRIBE", "a")
	// Every command is allowed in RESP3, and PING is a plain PONG.
	p.do("+PONG\r\n", "PING")
	p.do("_\r\n", "GET", "x")
	// A message to itself comes before the PUBLISH reply (Redis order).
	p.do(">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n:1\r\n", "PUBLISH", "a", "hi")
	p.do(">3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:2\r\n", "PSUBSCRIBE", "a*")
	p.do(">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n>4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$2\r\nhi\r\n:2\r\n", "PUBLISH", "a", "hi")
	p.do(">3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n", "SSUBSCRIBE", "a")
	p.do(">3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$2\r\nyo\r\n:1\r\n", "SPUBLISH", "a", "yo")
	p.do("*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:0\r\n", "PUBSUB", "NUMSUB", "a", "b")
	p.do("*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:0\r\n", "PUBSUB", "SHARDNUMSUB", "a", "b")
	p.do("*1\r\n$1\r\na\r\n", "PUBSUB", "CHANNELS")
	p.do("*1\r\n$1\r\na\r\n", "PUBSUB", "SHARDCHANNELS")
	p.do(":1\r\n", "PUBSUB", "NUMPAT")
	p.do(">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n", "UNSUBSCRIBE")
	p.do(">3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:0\r\n", "PUNSUBSCRIBE")
	p.do(">3\r\n$12\r\nsunsubscribe\r\n$1\r\na\r\n:0\r\n", "SUNSUBSCRIBE")

	// Messages from another client arrive as push frames.
	p.do(">3\r\n$9\r\nsubscribe\r\n$1\r\nz\r\n:1\r\n", "SUBSCRIBE", "z")
	require.NoError(t, s.Client().Publish(context.Background(), "z", "from-other").Err())
	p.expect(">3\r\n$7\r\nmessage\r\n$1\r\nz\r\n$10\r\nfrom-other\r\n")
	// HELLO 2 turns the connection back into RESP2 subscribed mode.
	p.send("HELLO", "2")
	for {
		line, err := p.rd.ReadString('\n')
		require.NoError(t, err)
		if line == "*0\r\n" {
			break
		}
	}
	p.do("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
}

func TestPubSubGoRedis(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			s := servertest.Start(t)
			ctx := context.Background()
			subc := s.ClientWith(&redis.Options{Protocol: proto})
			pub := s.Client()

			ps := subc.Subscribe(ctx, "chat", "room")
			defer ps.Close()
			// Receive the confirmations.
			for i := 0; i < 2; i++ {
				m, err := ps.Receive(ctx)
				require.NoError(t, err)
				require.IsType(t, &redis.Subscription{}, m)
			}
			require.NoError(t, ps.PSubscribe(ctx, "user:*"))
			m, err := ps.Receive(ctx)
			require.NoError(t, err)
			require.Equal(t, &redis.Subscription{Kind: "psubscribe", Channel: "user:*", Count: 3}, m)

			ns, err := pub.PubSubNumSub(ctx, "chat", "room", "none").Result()
			require.NoError(t, err)
			require.Equal(t, map[string]int64{"chat": 1, "room": 1, "none": 0}, ns)
			np, err := pub.PubSubNumPat(ctx).Result()
			require.NoError(t, err)
			require.EqualValues(t, 1, np)
			chans, err := pub.PubSubChannels(ctx, "*").Result()
			require.NoError(t, err)
			sort.Strings(chans)
			require.Equal(t, []string{"chat", "room"}, chans)
			chans, err = pub.PubSubChannels(ctx, "c*").Result()
			require.NoError(t, err)
			require.Equal(t, []string{"chat"}, chans)

			ch := ps.Channel()
			for i := 0; i < 100; i++ {
				require.NoError(t, pub.Publish(ctx, "chat", fmt.Sprint("m", i)).Err())
			}
			n, err := pub.Publish(ctx, "user:42", "login").Result()
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			for i := 0; i < 100; i++ {
				select {
				case msg := <-ch:
					require.Equal(t, "chat", msg.Channel)
					require.Equal(t, fmt.Sprint("m", i), msg.Payload, "messages arrive in publish order")
				case <-time.After(5 * time.Second):
					t.Fatal("message not delivered")
				}
			}
			select {
			case msg := <-ch:
				require.Equal(t, "user:*", msg.Pattern)
				require.Equal(t, "user:42", msg.Channel)
				require.Equal(t, "login", msg.Payload)
			case <-time.After(5 * time.Second):
				t.Fatal("pattern message not delivered")
			}
		})
	}
}

func TestPubSubGlobPatterns(t *testing.T) {
	s := servertest.Start(t)
	sub := psDial(t, s)
	pub := s.Client()
	ctx := context.Background()
	sub.do("*3\r\n$10\r\npsubscribe\r\n$7\r\nh?llo.*\r\n:1\r\n", "PSUBSCRIBE", "h?llo.*")
	sub.do("*3\r\n$10\r\npsubscribe\r\n$8\r\nx[a-c]\\*\r\n:2\r\n", "PSUBSCRIBE", `x[a-c]\*`)
	cases := []struct {
		ch   string
		want int64
	}{
		{"hello.world", 1}, {"hallo.", 1}, {"Hello.x", 0}, {"hllo.x", 0},
		{"xb*", 1}, {"xd*", 0}, {"xbb", 0},
	}
	for _, c := range cases {
		n, err := pub.Publish(ctx, c.ch, "m").Result()
		require.NoError(t, err)
		require.Equal(t, c.want, n, c.ch)
	}
	sub.expect("*4\r\n$8\r\npmessage\r\n$7\r\nh?llo.*\r\n$11\r\nhello.world\r\n$1\r\nm\r\n")
	sub.expect("*4\r\n$8\r\npmessage\r\n$7\r\nh?llo.*\r\n$6\r\nhallo.\r\n$1\r\nm\r\n")
	sub.expect("*4\r\n$8\r\npmessage\r\n$8\r\nx[a-c]\\*\r\n$3\r\nxb*\r\n$1\r\nm\r\n")
	sub.quiet()
}

func TestPubSubIntrospection(t *testing.T) {
	s := servertest.Start(t)
	a, b := psDial(t, s), psDial(t, s)
	c := psDial(t, s)
	a.do("*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:1\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\ny*\r\n:2\r\n", "PSUBSCRIBE", "x*", "y*")
	b.do("*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:1\r\n", "PSUBSCRIBE", "x*")
	b.do(psConfirm("subscribe", "xa", 2), "SUBSCRIBE", "xa")
	b.do(psConfirm("ssubscribe", "sh", 1), "SSUBSCRIBE", "sh")

	// NUMPAT counts distinct patterns (Redis 7.0).
	c.do(":2\r\n", "PUBSUB", "NUMPAT")
	c.do("*1\r\n$2\r\nxa\r\n", "PUBSUB", "CHANNELS")
	c.do("*1\r\n$2\r\nxa\r\n", "PUBSUB", "CHANNELS", "x?")
	c.do("*0\r\n", "PUBSUB", "CHANNELS", "y*")
	c.do("*1\r\n$2\r\nsh\r\n", "PUBSUB", "SHARDCHANNELS")
	c.do("*0\r\n", "PUBSUB", "SHARDCHANNELS", "z*")
	c.do("*2\r\n$2\r\nsh\r\n:1\r\n", "PUBSUB", "SHARDNUMSUB", "sh")
	c.do("*0\r\n", "PUBSUB", "NUMSUB")
	c.do("*0\r\n", "PUBSUB", "SHARDNUMSUB")
	c.do(":3\r\n", "PUBLISH", "xa", "m")
	c.do(":1\r\n", "SPUBLISH", "sh", "m")
	c.do(":0\r\n", "SPUBLISH", "xa", "m")

	// Errors, as Redis 7.0 words them.
	c.do("-ERR wrong number of arguments for 'pubsub' command\r\n", "PUBSUB")
	c.do("-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n", "PUBSUB", "foo")
	c.do("-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n", "PUBSUB", "CHANNELS", "a", "b")
	c.do("-ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB HELP.\r\n", "PUBSUB", "shardchannels", "a", "b")
	c.do("-ERR wrong number of arguments for 'pubsub|numpat' command\r\n", "PUBSUB", "NUMPAT", "a")
	c.do("*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANNELS [<pattern>]\r\n+    Return the currently active channels matching a <pattern> (default: '*').\r\n+NUMPAT\r\n+    Return number of subscriptions to patterns.\r\n+NUMSUB [<channel> ...]\r\n+    Return the number of subscribers for the specified channels, excluding\r\n+    pattern subscriptions(default: no channels).\r\n+SHARDCHANNELS [<pattern>]\r\n+    Return the currently active shard level channels matching a <pattern> (default: '*').\r\n+SHARDNUMSUB [<shardchannel> ...]\r\n+    Return the number of subscribers for the specified shard level channel(s)\r\n+HELP\r\n+    Prints this help.\r\n", "PUBSUB", "HELP")

	// CLIENT LIST shows the subscription counts and the P flag.
	var infos []string
	for _, cl := range s.Srv.Clients() {
		infos = append(infos, cl.Info())
	}
	joined := strings.Join(infos, "\n")
	require.Contains(t, joined, "flags=P db=0 sub=0 psub=2 ssub=0")
	require.Contains(t, joined, "flags=P db=0 sub=1 psub=1 ssub=1")
	require.Contains(t, joined, "flags=N db=0 sub=0 psub=0 ssub=0")

	// A disconnected subscriber's subscriptions go away.
	a.nc.Close()
	b.nc.Close()
	require.Eventually(t, func() bool {
		ch, pat, sh := s.Srv.PubSub().Counts()
		return ch == 0 && pat == 0 && sh == 0
	}, 5*time.Second, 10*time.Millisecond)
	c.do(":0\r\n", "PUBSUB", "NUMPAT")
	c.do(":0\r\n", "PUBLISH", "xa", "m")
}

// SUBSCRIBE inside MULTI takes effect, and a PING queued after it answers in
// subscribed-mode form (recorded from Redis 7.0.15).
func TestPubSubInsideMulti(t *testing.T) {
	s := servertest.Start(t)
	p := psDial(t, s)
	p.do("+OK\r\n", "MULTI")
	p.do("+QUEUED\r\n", "SUBSCRIBE", "a")
	p.do("+QUEUED\r\n", "PING")
	p.do("*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n", "EXEC")
	p.do("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "GET", "a")
	require.NoError(t, s.Client().Publish(context.Background(), "a", "after").Err())
	p.expect("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nafter\r\n")

	// A message a client publishes to itself inside EXEC lands inside the
	// EXEC array, exactly where Redis 7.0.15 puts it.
	q := psDial(t, s)
	q.do("+OK\r\n", "MULTI")
	q.do("+QUEUED\r\n", "SUBSCRIBE", "q")
	q.do("+QUEUED\r\n", "PUBLISH", "q", "hi")
	q.do("+QUEUED\r\n", "UNSUBSCRIBE", "q")
	q.do("*3\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$1\r\nq\r\n$2\r\nhi\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nq\r\n:0\r\n", "EXEC")
}

// Pipelined commands around a SUBSCRIBE keep their order: replies buffered
// before the subscription, the confirmation, then messages.
func TestPubSubPipelineOrder(t *testing.T) {
	s := servertest.Start(t)
	p := psDial(t, s)
	var buf []byte
	buf = append(buf, psEncode("SET", "k", "v")...)
	buf = append(buf, psEncode("GET", "k")...)
	buf = append(buf, psEncode("SUBSCRIBE", "c1", "c2")...)
	buf = append(buf, psEncode("PING")...)
	_, err := p.nc.Write(buf)
	require.NoError(t, err)
	p.expect("+OK\r\n$1\r\nv\r\n" + psConfirm("subscribe", "c1", 1) + psConfirm("subscribe", "c2", 2) + "*2\r\n$4\r\npong\r\n$0\r\n\r\n")

	// Many publishers at once: every message arrives, whole, once.
	ctx := context.Background()
	const pubs, each = 8, 200
	done := make(chan error, pubs)
	for i := 0; i < pubs; i++ {
		go func(i int) {
			c := s.Client()
			for j := 0; j < each; j++ {
				if err := c.Publish(ctx, "c1", fmt.Sprintf("%d-%d", i, j)).Err(); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(i)
	}
	for i := 0; i < pubs; i++ {
		require.NoError(t, <-done)
	}
	last := make([]int, pubs)
	for i := range last {
		last[i] = -1
	}
	require.NoError(t, p.nc.SetReadDeadline(time.Now().Add(10*time.Second)))
	for n := 0; n < pubs*each; n++ {
		var hdr, kind, ch, msg string
		for _, dst := range []*string{&hdr} {
			*dst, err = p.rd.ReadString('\n')
			require.NoError(t, err)
		}
		require.Equal(t, "*3\r\n", hdr)
		for _, dst := range []*string{&kind, &ch, &msg} {
			_, err = p.rd.ReadString('\n') // $len
			require.NoError(t, err)
			*dst, err = p.rd.ReadString('\n')
			require.NoError(t, err)
		}
		require.Equal(t, "message\r\n", kind)
		require.Equal(t, "c1\r\n", ch)
		var pi, pj int
		_, err = fmt.Sscanf(strings.TrimSpace(msg), "%d-%d", &pi, &pj)
		require.NoError(t, err)
		require.Equal(t, last[pi]+1, pj, "messages of one publisher stay in order")
		last[pi] = pj
	}
	p.quiet()
}

// A subscriber that stops reading is disconnected once its pending output
// reaches the hard limit, while the publisher keeps going and a subscriber
// that reads gets everything.
func TestPubSubSlowSubscriberHardLimit(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	pub := s.Client()
	require.NoError(t, pub.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 1mb 512kb 60").Err())

	slow := psDial(t, s)
	slow.do(psConfirm("subscribe", "firehose", 1), "SUBSCRIBE", "firehose")
	good := psDial(t, s)
	good.do(psConfirm("subscribe", "firehose", 1), "SUBSCRIBE", "firehose")
	payload := strings.Repeat("x", 1024)
	frame := int64(len("*3\r\n$7\r\nmessage\r\n$8\r\nfirehose\r\n$1024\r\n\r\n") + len(payload))
	// The good subscriber drains its socket continuously.
	var goodBytes atomic.Int64
	goodDone := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := good.nc.Read(buf)
			goodBytes.Add(int64(n))
			if err != nil {
				goodDone <- err
				return
			}
		}
	}()

	disconnected := false
	sent := 0
	// Kernel socket buffers absorb some MB before the queue grows; 64 MB
	// is far beyond them.
	for i := 0; i < 64<<10; i++ {
		n, err := pub.Publish(ctx, "firehose", payload).Result()
		require.NoError(t, err)
		sent++
		if n == 1 {
			disconnected = true
			break
		}
		require.EqualValues(t, 2, n)
	}
	require.True(t, disconnected, "slow subscriber still subscribed after %d messages", sent)
	require.EqualValues(t, 1, s.Srv.PubSub().LimitDisconnections.Load())

	// The publisher goes on, and the good subscriber got every message.
	for i := 0; i < 10; i++ {
		n, err := pub.Publish(ctx, "firehose", payload).Result()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
	}
	want := int64(sent+10) * frame
	require.Eventually(t, func() bool { return goodBytes.Load() >= want }, 10*time.Second, 10*time.Millisecond,
		"good subscriber got %d of %d bytes", goodBytes.Load(), want)
	require.Equal(t, want, goodBytes.Load())
	select {
	case err := <-goodDone:
		t.Fatalf("good subscriber disconnected: %v", err)
	default:
	}

	// The slow connection is closed: reading drains what the kernel held,
	// then ends.
	require.NoError(t, slow.nc.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err := io.Copy(io.Discard, slow.rd)
	require.NoError(t, err, "connection should end with EOF, not a timeout")
}

// The soft limit disconnects a subscriber that stays above it for longer
// than the configured seconds.
func TestPubSubSlowSubscriberSoftLimit(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	pub := s.Client()
	require.NoError(t, pub.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 0 64kb 1").Err())
	slow := psDial(t, s)
	slow.do(psConfirm("subscribe", "ch", 1), "SUBSCRIBE", "ch")
	payload := strings.Repeat("y", 8<<10)
	start := time.Now()
	for {
		n, err := pub.Publish(ctx, "ch", payload).Result()
		require.NoError(t, err)
		if n == 0 {
			break
		}
		require.Less(t, time.Since(start), 60*time.Second, "soft limit never enforced")
		if time.Since(start) > 500*time.Millisecond {
			time.Sleep(10 * time.Millisecond) // past the buffers: just wait out the seconds
		}
	}
	// Above the soft limit for more than one second (never the hard one).
	require.GreaterOrEqual(t, time.Since(start), time.Second)
	require.EqualValues(t, 1, s.Srv.PubSub().LimitDisconnections.Load())
}
