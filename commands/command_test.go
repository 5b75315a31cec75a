package commands_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// admPairs turns a RESP2 flat map into a Go map.
func admPairs(t *testing.T, v any) map[string]any {
	t.Helper()
	a, ok := v.([]any)
	require.True(t, ok, "%#v", v)
	require.Equal(t, 0, len(a)%2)
	m := map[string]any{}
	for i := 0; i < len(a); i += 2 {
		m[a[i].(string)] = a[i+1]
	}
	return m
}

func TestAdminCommandInfoShape(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	v := admDo(t, c, "COMMAND", "INFO", "get", "MSET", "nosuch", "config").([]any)
	require.Len(t, v, 4)

	get := v[0].([]any)
	require.Len(t, get, 10)
	require.Equal(t, "get", get[0])
	require.Equal(t, int64(2), get[1])
	require.Equal(t, []any{"readonly", "fast"}, get[2])
	require.Equal(t, []any{int64(1), int64(1), int64(1)}, get[3:6])
	require.Equal(t, []any{"@read", "@string", "@fast"}, get[6])
	require.Equal(t, []any{}, get[7])
	specs := get[8].([]any)
	require.Len(t, specs, 1)
	spec := admPairs(t, specs[0])
	require.Equal(t, []any{"RO", "access"}, spec["flags"])
	bs := admPairs(t, spec["begin_search"])
	require.Equal(t, "index", bs["type"])
	require.Equal(t, map[string]any{"index": int64(1)}, admPairs(t, bs["spec"]))
	fk := admPairs(t, spec["find_keys"])
	require.Equal(t, "range", fk["type"])
	require.Equal(t, map[string]any{"lastkey": int64(0), "keystep": int64(1), "limit": int64(0)}, admPairs(t, fk["spec"]))
	require.Equal(t, []any{}, get[9])

	mset := v[1].([]any)
	require.Equal(t, "mset", mset[0])
	require.Equal(t, int64(-3), mset[1])
	require.Equal(t, []any{int64(1), int64(-1), int64(2)}, mset[3:6])
	mfk := admPairs(t, admPairs(t, mset[8].([]any)[0])["find_keys"])
	require.Equal(t, map[string]any{"lastkey": int64(-1), "keystep": int64(2), "limit": int64(0)}, admPairs(t, mfk["spec"]))

	require.Nil(t, v[2], "unknown command: nil element")

	cfg := v[3].([]any)
	require.Equal(t, "config", cfg[0])
	require.Equal(t, int64(-2), cfg[1])
	require.Equal(t, []any{}, cfg[2])
	require.Equal(t, []any{"@slow"}, cfg[6])
	subs := map[string][]any{}
	for _, sub := range cfg[9].([]any) {
		e := sub.([]any)
		require.Len(t, e, 10)
		subs[e[0].(string)] = e
	}
	require.Contains(t, subs, "config|get")
	require.Contains(t, subs, "config|set")
	cs := subs["config|set"]
	require.Equal(t, int64(-4), cs[1])
	require.Equal(t, []any{"admin", "noscript", "loading", "stale"}, cs[2])
	require.Equal(t, []any{"@admin", "@slow", "@dangerous"}, cs[6])
	require.Equal(t, []any{"request_policy:all_nodes", "response_policy:all_succeeded"}, cs[7])

	// A subcommand by its full name.
	one := admDo(t, c, "COMMAND", "INFO", "client|kill").([]any)
	require.Equal(t, "client|kill", one[0].([]any)[0])

	// RESP3: flags, categories, tips and key specs are sets; key specs are maps.
	rc := admDial(t, s.Addr)
	rc.do("HELLO", "3")
	require.Equal(t, "*1\r\n_\r\n", rc.do("COMMAND", "INFO", "nosuch"))
	raw := rc.do("COMMAND", "INFO", "get")
	require.True(t, strings.HasPrefix(raw, "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n"), raw)
	require.True(t, strings.HasSuffix(raw, "$5\r\nlimit\r\n:0\r\n~0\r\n"), raw)
}

func TestAdminCommandAllAndCount(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	n := admDo(t, c, "COMMAND", "COUNT").(int64)
	all := admDo(t, c, "COMMAND").([]any)
	require.Equal(t, int(n), len(all))
	require.Greater(t, n, int64(20))
	names := map[string]bool{}
	for _, e := range all {
		names[e.([]any)[0].(string)] = true
	}
	for _, want := range []string{"get", "set", "info", "config", "client", "command", "time", "shutdown", "ping"} {
		require.True(t, names[want], want)
	}
	require.Equal(t, n, int64(len(admDo(t, c, "COMMAND", "INFO").([]any))), "COMMAND INFO without names is COMMAND")

	// go-redis parses COMMAND (it uses it for routing).
	infos, err := c.Command(admCtx).Result()
	require.NoError(t, err)
	require.True(t, infos["get"].ReadOnly)
	require.Equal(t, int8(1), infos["get"].FirstKeyPos)
	require.Equal(t, int8(2), infos["mset"].StepCount)
	require.Equal(t, "ERR wrong number of arguments for 'command|count' command", admErr(t, c, "COMMAND", "COUNT", "x"))
}

func TestAdminCommandDocs(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	docs := admPairs(t, admDo(t, c, "COMMAND", "DOCS", "get", "nosuch", "config"))
	require.Len(t, docs, 2)
	get := admPairs(t, docs["get"])
	require.Equal(t, "string", get["group"])
	require.Equal(t, "1.0.0", get["since"])
	require.Equal(t, "O(1)", get["complexity"])
	require.NotEmpty(t, get["summary"])
	cfg := admPairs(t, docs["config"])
	require.Equal(t, "A container for server configuration commands", cfg["summary"])
	subs := admPairs(t, cfg["subcommands"])
	require.Equal(t, "Get the values of configuration parameters", admPairs(t, subs["config|get"])["summary"])
	require.Equal(t, "server", admPairs(t, subs["config|get"])["group"])
	require.Equal(t, []any{}, admDo(t, c, "COMMAND", "DOCS", "nosuch"))
	n := admDo(t, c, "COMMAND", "COUNT").(int64)
	require.Len(t, admDo(t, c, "COMMAND", "DOCS").([]any), int(2*n))

	rc := admDial(t, s.Addr)
	rc.do("HELLO", "3")
	require.Equal(t, "%1\r\n$4\r\ntime\r\n%4\r\n$7\r\nsummary\r\n$30\r\nReturn the current server time\r\n$5\r\nsince\r\n$5\r\n2.6.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n",
		rc.do("COMMAND", "DOCS", "time"))
}

func TestAdminCommandList(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	list := admDo(t, c, "COMMAND", "LIST").([]any)
	all := map[string]bool{}
	for _, n := range list {
		all[n.(string)] = true
	}
	require.True(t, all["get"])
	require.True(t, all["config|get"], "subcommands are listed")
	require.True(t, all["client|kill"])

	strs := func(v any) []string {
		var out []string
		for _, e := range v.([]any) {
			out = append(out, e.(string))
		}
		sort.Strings(out)
		return out
	}
	require.Equal(t, []string{"config", "config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"},
		strs(admDo(t, c, "COMMAND", "LIST", "FILTERBY", "PATTERN", "config*")))
	conn := strs(admDo(t, c, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"))
	require.Contains(t, conn, "ping")
	require.Contains(t, conn, "client|id")
	require.NotContains(t, conn, "client", "the container is only @slow")
	require.NotContains(t, conn, "get")
	require.Equal(t, []any{}, admDo(t, c, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcat"))
	require.Equal(t, []any{}, admDo(t, c, "COMMAND", "LIST", "FILTERBY", "MODULE", "x"))
	got, err := c.CommandList(admCtx, &redis.FilterBy{Pattern: "TIM?"}).Result()
	require.NoError(t, err)
	require.Equal(t, []string{"time"}, got)

	require.Equal(t, "ERR syntax error", admErr(t, c, "COMMAND", "LIST", "FILTERBY", "foo", "x"))
	require.Equal(t, "ERR syntax error", admErr(t, c, "COMMAND", "LIST", "foo"))
	require.Equal(t, "ERR syntax error", admErr(t, c, "COMMAND", "LIST", "FILTERBY", "PATTERN"))
}

func TestAdminCommandGetKeys(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	require.Equal(t, []any{"a", "c"}, admDo(t, c, "COMMAND", "GETKEYS", "mset", "a", "b", "c", "d"))
	require.Equal(t, []any{"k"}, admDo(t, c, "COMMAND", "GETKEYS", "GET", "k"))
	keys, err := c.CommandGetKeys(admCtx, "set", "x", "1").Result()
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, keys)

	require.Equal(t, []any{[]any{"a", []any{"RO", "access"}}}, admDo(t, c, "COMMAND", "GETKEYSANDFLAGS", "get", "a"))
	kf := admDo(t, c, "COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2").([]any)
	require.Len(t, kf, 2)
	require.Equal(t, "b", kf[1].([]any)[0])
	require.NotEmpty(t, kf[1].([]any)[1])

	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"nosuch", "a"}, "ERR Invalid command specified"},
		{[]any{"config", "foo"}, "ERR Invalid command specified"},
		{[]any{"config", "get", "x"}, "ERR The command has no key arguments"},
		{[]any{"ping", "x"}, "ERR The command has no key arguments"},
		{[]any{"get", "a", "b"}, "ERR Invalid number of arguments specified for command"},
		{[]any{"mset", "a"}, "ERR Invalid number of arguments specified for command"},
	} {
		require.Equal(t, tc.want, admErr(t, c, append([]any{"COMMAND", "GETKEYS"}, tc.args...)...), "%v", tc.args)
	}
	require.Equal(t, "ERR wrong number of arguments for 'command|getkeys' command", admErr(t, c, "COMMAND", "GETKEYS", "get"))
	require.Equal(t, "ERR wrong number of arguments for 'command|getkeysandflags' command", admErr(t, c, "COMMAND", "GETKEYSANDFLAGS"))
}

func TestAdminCommandHelp(t *testing.T) {
	s := servertest.Start(t)
	v := admDo(t, s.Client(), "COMMAND", "HELP").([]any)
	require.Len(t, v, 21)
	require.Equal(t, "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", v[0])
	require.Equal(t, "(no subcommand)", v[1])
	require.Equal(t, "    Prints this help.", v[20])
}
