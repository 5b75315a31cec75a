package commands_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// admClientField returns field of a CLIENT LIST / CLIENT INFO line.
func admClientField(line, field string) string {
	for _, kv := range strings.Fields(line) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == field {
			return v
		}
	}
	return ""
}

// admClientLines splits CLIENT LIST output into lines.
func admClientLines(t *testing.T, v any) []string {
	t.Helper()
	s := v.(string)
	require.True(t, s == "" || strings.HasSuffix(s, "\n"), "each line ends with \\n: %q", s)
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestAdminClientIDNameInfo(t *testing.T) {
	s := servertest.Start(t)
	rc := admDial(t, s.Addr)
	idReply := rc.do("CLIENT", "ID")
	require.Regexp(t, `^:\d+\r\n$`, idReply)
	id := strings.TrimSuffix(idReply[1:], "\r\n")

	require.Equal(t, "$-1\r\n", rc.do("CLIENT", "GETNAME"))
	require.Equal(t, "+OK\r\n", rc.do("CLIENT", "SETNAME", "worker-1"))
	require.Equal(t, "$8\r\nworker-1\r\n", rc.do("CLIENT", "GETNAME"))
	require.Equal(t, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n", rc.do("CLIENT", "SETNAME", "a b"))
	require.Equal(t, "+OK\r\n", rc.do("CLIENT", "SETNAME", ""))
	require.Equal(t, "$-1\r\n", rc.do("CLIENT", "GETNAME"))
	rc.do("CLIENT", "SETNAME", "worker-1")

	info := rc.do("CLIENT", "INFO")
	require.True(t, strings.HasPrefix(info, "$"), info)
	line := info[strings.Index(info, "\r\n")+2 : len(info)-2]
	require.True(t, strings.HasSuffix(line, "\n"))
	require.Equal(t, id, admClientField(line, "id"))
	require.Equal(t, "worker-1", admClientField(line, "name"))
	require.Equal(t, "client|info", admClientField(line, "cmd"))
	require.Equal(t, "N", admClientField(line, "flags"))
	require.Equal(t, "0", admClientField(line, "db"))
	require.Equal(t, rc.nc.LocalAddr().String(), admClientField(line, "addr"))
	require.Equal(t, s.Addr, admClientField(line, "laddr"))

	// RESP3: CLIENT INFO and CLIENT LIST are verbatim strings.
	rc.do("HELLO", "3")
	require.True(t, strings.HasPrefix(rc.do("CLIENT", "INFO"), "="), "verbatim")
	require.Contains(t, rc.do("CLIENT", "LIST"), "txt:id=")

	// HELLO's id is CLIENT ID.
	c := s.Client()
	hello := admDo(t, c, "HELLO", "2").([]any)
	cid := admDo(t, c, "CLIENT", "ID").(int64)
	require.Equal(t, cid, hello[7])

	require.Equal(t, "ERR wrong number of arguments for 'client|id' command", admErr(t, c, "CLIENT", "ID", "x"))
	require.Equal(t, "ERR wrong number of arguments for 'client' command", admErr(t, c, "CLIENT"))
	// Redis 7.0 has neither SETINFO nor NO-TOUCH (7.2).
	require.Equal(t, "ERR unknown subcommand 'setinfo'. Try CLIENT HELP.", admErr(t, c, "CLIENT", "setinfo", "lib-name", "x"))
	require.Equal(t, "ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.", admErr(t, c, "CLIENT", "NO-TOUCH", "on"))
}

func TestAdminClientGoRedisIdentity(t *testing.T) {
	s := servertest.Start(t)
	// go-redis sends CLIENT SETINFO on connect (as for Redis 7.0, which
	// rejects it) and must still work.
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Set(admCtx, "k", "v", 0).Err())
	require.Equal(t, "v", c.Get(admCtx, "k").Val())
}

func TestAdminClientList(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	a := admDial(t, s.Addr)
	a.do("CLIENT", "SETNAME", "alpha")
	b := admDial(t, s.Addr)
	require.True(t, strings.HasPrefix(b.do("SUBSCRIBE", "news"), "*3\r\n"))
	aid := strings.TrimSuffix(a.do("CLIENT", "ID")[1:], "\r\n")

	lines := admClientLines(t, admDo(t, c, "CLIENT", "LIST"))
	require.Len(t, lines, 3)
	ids := []int{}
	for _, l := range lines {
		id, err := strconv.Atoi(admClientField(l, "id"))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	require.IsIncreasing(t, ids)
	self := lines[len(lines)-1]
	require.Equal(t, "client|list", admClientField(self, "cmd"))

	pub := admClientLines(t, admDo(t, c, "CLIENT", "LIST", "TYPE", "pubsub"))
	require.Len(t, pub, 1)
	require.Equal(t, "P", admClientField(pub[0], "flags"))
	require.Equal(t, "1", admClientField(pub[0], "sub"))
	require.Len(t, admClientLines(t, admDo(t, c, "CLIENT", "LIST", "TYPE", "normal")), 2)
	require.Equal(t, "", admDo(t, c, "CLIENT", "LIST", "TYPE", "master"))
	require.Equal(t, "", admDo(t, c, "CLIENT", "LIST", "TYPE", "replica"))

	byID := admClientLines(t, admDo(t, c, "CLIENT", "LIST", "ID", aid, "999999"))
	require.Len(t, byID, 1)
	require.Equal(t, "alpha", admClientField(byID[0], "name"))
	require.Equal(t, "", admDo(t, c, "CLIENT", "LIST", "ID", "0"))

	require.Equal(t, "ERR Unknown client type 'foo'", admErr(t, c, "CLIENT", "LIST", "TYPE", "foo"))
	require.Equal(t, "ERR Invalid client ID", admErr(t, c, "CLIENT", "LIST", "ID", "abc"))
	require.Equal(t, "ERR syntax error", admErr(t, c, "CLIENT", "LIST", "foo"))
	require.Equal(t, "ERR syntax error", admErr(t, c, "CLIENT", "LIST", "TYPE", "normal", "ID", "1"))

	require.Equal(t, "OK", admDo(t, c, "CLIENT", "NO-EVICT", "on"))
	self = admDo(t, c, "CLIENT", "INFO").(string)
	require.Equal(t, "e", admClientField(self, "flags"))
	require.Equal(t, "OK", admDo(t, c, "CLIENT", "NO-EVICT", "OFF"))
	require.Equal(t, "N", admClientField(admDo(t, c, "CLIENT", "INFO").(string), "flags"))
	require.Equal(t, "ERR syntax error", admErr(t, c, "CLIENT", "NO-EVICT", "maybe"))
}

func TestAdminClientKill(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	victim := admDial(t, s.Addr)
	vid := strings.TrimSuffix(victim.do("CLIENT", "ID")[1:], "\r\n")

	require.Equal(t, int64(1), admDo(t, c, "CLIENT", "KILL", "ID", vid))
	require.True(t, victim.closed(5*time.Second), "the victim's connection is closed")
	require.NotContains(t, admDo(t, c, "CLIENT", "LIST"), "id="+vid+" ")
	require.Equal(t, int64(0), admDo(t, c, "CLIENT", "KILL", "ID", vid), "already gone")

	// Old form: by address, +OK, or an error when nobody matches.
	v2 := admDial(t, s.Addr)
	require.Equal(t, "+PONG\r\n", v2.do("PING"))
	require.Equal(t, "OK", admDo(t, c, "CLIENT", "KILL", v2.nc.LocalAddr().String()))
	require.True(t, v2.closed(5*time.Second))
	require.Equal(t, "ERR No such client", admErr(t, c, "CLIENT", "KILL", "1.2.3.4:5"))

	// Filters combine; SKIPME yes (the default) spares the caller.
	v3 := admDial(t, s.Addr)
	v3.do("PING")
	v4 := admDial(t, s.Addr)
	require.True(t, strings.HasPrefix(v4.do("SUBSCRIBE", "ch"), "*3\r\n"))
	require.Equal(t, int64(1), admDo(t, c, "CLIENT", "KILL", "TYPE", "pubsub"))
	require.True(t, v4.closed(5*time.Second))
	require.False(t, v3.closed(100*time.Millisecond))
	require.Equal(t, int64(0), admDo(t, c, "CLIENT", "KILL", "ADDR", v3.nc.LocalAddr().String(), "ID", "999999"))
	require.Equal(t, int64(1), admDo(t, c, "CLIENT", "KILL", "LADDR", s.Addr, "USER", "default"), "everyone but the caller")
	require.True(t, v3.closed(5*time.Second))
	require.Equal(t, "PONG", admDo(t, c, "PING"))

	// SKIPME no: the caller is killed after its reply.
	self := admDial(t, s.Addr)
	require.Equal(t, ":1\r\n", self.do("CLIENT", "KILL", "LADDR", s.Addr, "TYPE", "normal", "SKIPME", "no", "ID", strings.TrimSuffix(self.do("CLIENT", "ID")[1:], "\r\n")))
	require.True(t, self.closed(5*time.Second))

	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"ID", "abc"}, "ERR client-id should be greater than 0"},
		{[]any{"ID", "0"}, "ERR client-id should be greater than 0"},
		{[]any{"TYPE", "foo"}, "ERR Unknown client type 'foo'"},
		{[]any{"USER", "nobody"}, "ERR No such user 'nobody'"},
		{[]any{"SKIPME", "maybe"}, "ERR syntax error"},
		{[]any{"MAXAGE", "10"}, "ERR syntax error"},
		{[]any{"ID", "1", "SKIPME"}, "ERR syntax error"},
		{[]any{"foo", "bar"}, "ERR syntax error"},
	} {
		require.Equal(t, tc.want, admErr(t, c, append([]any{"CLIENT", "KILL"}, tc.args...)...), "%v", tc.args)
	}
}

func TestAdminClientReply(t *testing.T) {
	s := servertest.Start(t)
	rc := admDial(t, s.Addr)
	rc.send("CLIENT", "REPLY", "OFF")
	rc.send("SET", "k", "1")
	rc.send("PING", "nobody hears this")
	require.Equal(t, "+OK\r\n", rc.do("CLIENT", "REPLY", "ON"))
	require.Equal(t, "$1\r\n1\r\n", rc.do("GET", "k"), "commands ran while replies were off")

	rc.send("CLIENT", "REPLY", "SKIP")
	rc.send("PING", "skipped")
	require.Equal(t, "$4\r\nseen\r\n", rc.do("PING", "seen"))

	// SKIP while OFF changes nothing; ON turns everything back on.
	rc.send("CLIENT", "REPLY", "OFF")
	rc.send("CLIENT", "REPLY", "SKIP")
	rc.send("PING", "a")
	require.Equal(t, "+OK\r\n", rc.do("CLIENT", "REPLY", "ON"))
	require.Equal(t, "-ERR syntax error\r\n", rc.do("CLIENT", "REPLY", "maybe"))
}

func TestAdminClientHelp(t *testing.T) {
	s := servertest.Start(t)
	v := admDo(t, s.Client(), "CLIENT", "HELP").([]any)
	require.Len(t, v, 48)
	require.Equal(t, "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", v[0])
	require.Equal(t, "NO-EVICT (ON|OFF)", v[44])
	require.Equal(t, "HELP", v[46])
}
