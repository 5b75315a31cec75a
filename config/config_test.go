package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestConfigDefaults(t *testing.T) {
	c := New()
	require.Equal(t, "6379", c.Get("port"))
	require.Equal(t, int64(6379), c.Int("port"))
	require.Equal(t, int64(512<<20), c.Int("proto-max-bulk-len"))
	require.Equal(t, "536870912", c.Get("proto-max-bulk-len"))
	require.Equal(t, "3600 1 300 100 60 10000", c.Get("save"))
	require.Equal(t, "noeviction", c.Get("maxmemory-policy"))
	require.Equal(t, "512", c.Get("hash-max-ziplist-entries"), "aliases read the same value")
	require.Equal(t, "", c.Get("nosuch"))
	require.True(t, filepath.IsAbs(c.Get("dir")), "dir is shown absolute like Redis")
	require.Equal(t, "", c.File())
}

func TestConfigLoadFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "extra.conf", "maxmemory-policy allkeys-lru\nhz 1000\n")
	p := writeFile(t, dir, "shale.conf", `# comment
   port 7000
requirepass "a b\"c"
dbfilename 'my file.rdb'
save ""
save 900 1
save 300 10
bind "127.0.0.1 ::1"
include extra.conf
maxmemory 1gb
slowlog-max-len 5
notify-keyspace-events KEA
hash-max-ziplist-entries 64
`)
	c, err := Load([]string{p})
	require.NoError(t, err)
	require.Equal(t, p, c.File())
	require.Equal(t, int64(7000), c.Int("port"))
	require.Equal(t, `a b"c`, c.Get("requirepass"))
	require.Equal(t, "my file.rdb", c.Get("dbfilename"))
	require.Equal(t, "900 1 300 10", c.Get("save"), "save lines after the first add to it")
	require.Equal(t, "127.0.0.1 ::1", c.Get("bind"))
	require.Equal(t, "allkeys-lru", c.Get("maxmemory-policy"), "include is read")
	require.Equal(t, "500", c.Get("hz"), "hz is clamped to 500")
	require.Equal(t, int64(1<<30), c.Int("maxmemory"))
	require.Equal(t, "1073741824", c.Get("maxmemory"))
	require.Equal(t, int64(5), c.Int("slowlog-max-len"))
	require.Equal(t, "AKE", c.Get("notify-keyspace-events"))
	require.Equal(t, "64", c.Get("hash-max-listpack-entries"))
}

func TestConfigLoadSaveEmpty(t *testing.T) {
	dir := t.TempDir()
	c, err := Load([]string{writeFile(t, dir, "a.conf", "save \"\"\n")})
	require.NoError(t, err)
	require.Equal(t, "", c.Get("save"))

	c, err = Load([]string{"--save", ""})
	require.NoError(t, err)
	require.Equal(t, "", c.Get("save"))

	// "--save" with no value is save "" (Redis 7 compatibility).
	c, err = Load([]string{"--save", "--port", "7001"})
	require.NoError(t, err)
	require.Equal(t, "", c.Get("save"))
	require.Equal(t, "7001", c.Get("port"))

	c, err = Load([]string{"--save", "900 1"})
	require.NoError(t, err)
	require.Equal(t, "900 1", c.Get("save"))
}

func TestConfigLoadOverrides(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "s.conf", "port 7000\ndir /tmp\n")
	c, err := Load([]string{p, "--port", "6380", "--dir", "./x", "--bind", "127.0.0.1", "::1", "--maxmemory", "10mb"})
	require.NoError(t, err)
	require.Equal(t, int64(6380), c.Int("port"), "command line overrides the file")
	abs, _ := filepath.Abs("./x")
	require.Equal(t, abs, c.Get("dir"))
	require.Equal(t, "127.0.0.1 ::1", c.Get("bind"))
	require.Equal(t, int64(10<<20), c.Int("maxmemory"))

	c, err = Load([]string{"--port 6390"})
	require.NoError(t, err)
	require.Equal(t, "6390", c.Get("port"))
}

func TestConfigLoadErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		content string
		want    []string
	}{
		{"# c\nport 6379\nmaxclients abc\n", []string{"FATAL CONFIG FILE ERROR (Redis 7.0.15)", "at line 3", ">>> 'maxclients abc'", "argument couldn't be parsed into an integer"}},
		{"nosuch 1\n", []string{"at line 1", ">>> 'nosuch 1'", "Bad directive or wrong number of arguments"}},
		{"port \"abc\n", []string{"Unbalanced quotes in configuration line"}},
		{"port 1 2\n", []string{">>> 'port 1 2'", "wrong number of arguments"}},
		{"save 1\n", []string{"Invalid save parameters"}},
		{"appendfsync foo\n", []string{"argument(s) must be one of the following: everysec, always, no"}},
		{"maxmemory 1x\n", []string{"argument must be a memory value"}},
		{"port 70000\n", []string{"argument must be between 0 and 65535 inclusive"}},
		{"timeout 010\n", []string{"argument couldn't be parsed into an integer"}},
		{"protected-mode maybe\n", []string{"argument must be 'yes' or 'no'"}},
		{"notify-keyspace-events Q\n", []string{"Invalid event class character. Use 'Ag$lshzxeKEtmdn'."}},
		{"include nosuch.conf\n", []string{"Fatal error, can't open config file", "No such file or directory"}},
	}
	for _, tc := range cases {
		p := writeFile(t, dir, "bad.conf", tc.content)
		_, err := Load([]string{p})
		require.Error(t, err, tc.content)
		for _, w := range tc.want {
			require.Contains(t, err.Error(), w, tc.content)
		}
		if !strings.Contains(tc.content, "include") {
			require.Contains(t, err.Error(), p, "the error names the file")
		}
	}

	_, err := Load([]string{filepath.Join(dir, "missing.conf")})
	require.ErrorContains(t, err, "can't open config file")

	_, err = Load([]string{"--port", "abc"})
	require.ErrorContains(t, err, `>>> 'port "abc"'`)
	require.ErrorContains(t, err, "argument couldn't be parsed into an integer")
	require.ErrorContains(t, err, "at line 2")

	_, err = Load([]string{"--nosuch", "1"})
	require.ErrorContains(t, err, "Bad directive or wrong number of arguments")
}

func TestConfigSetMulti(t *testing.T) {
	c := New()
	require.NoError(t, c.SetMulti([]string{"maxclients", "500", "MAXMEMORY", "1gb", "maxmemory-policy", "ALLKEYS-LRU"}, true))
	require.Equal(t, int64(500), c.Int("maxclients"))
	require.Equal(t, "1073741824", c.Get("maxmemory"))
	require.Equal(t, "allkeys-lru", c.Get("maxmemory-policy"))

	errText := func(err error) string {
		var se *SetError
		require.True(t, errors.As(err, &se), "%v", err)
		return se.Error()
	}
	// A bad value leaves every parameter untouched.
	err := c.SetMulti([]string{"maxclients", "600", "maxmemory", "abc"}, true)
	require.Equal(t, "CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value", errText(err))
	require.Equal(t, int64(500), c.Int("maxclients"))

	require.Equal(t, "Unknown option or number of arguments for CONFIG SET - 'foo'",
		errText(c.SetMulti([]string{"maxclients", "abc", "foo", "bar"}, true)))
	require.Equal(t, "CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter",
		errText(c.SetMulti([]string{"maxclients", "10", "maxclients", "20"}, true)))
	require.Equal(t, "CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config",
		errText(c.SetMulti([]string{"DAEMONIZE", "yes"}, true)))
	require.Equal(t, "CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
		errText(c.SetMulti([]string{"dir", "/tmp"}, true)))
	require.Equal(t, "CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive",
		errText(c.SetMulti([]string{"maxclients", "0"}, true)))
	require.Equal(t, "CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning",
		errText(c.SetMulti([]string{"loglevel", "foo"}, true)))
	require.Equal(t, "CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
		errText(c.SetMulti([]string{"save", "100"}, true)))

	require.NoError(t, c.Set("save", "100 10 50 5"))
	require.Equal(t, "100 10 50 5", c.Get("save"))
	require.NoError(t, c.Set("save", ""))
	require.Equal(t, "", c.Get("save"))
	require.NoError(t, c.Set("hz", "0"))
	require.Equal(t, "1", c.Get("hz"))
	require.NoError(t, c.Set("maxmemory", "1g"))
	require.Equal(t, int64(1e9), c.Int("maxmemory"))
	require.NoError(t, c.Set("client-output-buffer-limit", "normal 1mb 2mb 3"))
	require.Equal(t, "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60", c.Get("client-output-buffer-limit"))
	require.NoError(t, c.Set("maxmemory-clients", "10%"))
	require.Equal(t, "10%", c.Get("maxmemory-clients"))
}

func TestConfigWatchRollback(t *testing.T) {
	c := New()
	var applied []string
	c.Watch("maxclients", func(v string) error { applied = append(applied, "maxclients="+v); return nil })
	c.Watch("timeout", func(v string) error {
		if v == "13" {
			return errors.New("unlucky")
		}
		return nil
	})
	err := c.SetMulti([]string{"maxclients", "77", "timeout", "13"}, true)
	require.EqualError(t, err, "CONFIG SET failed (possibly related to argument 'timeout') - unlucky")
	require.Equal(t, "10000", c.Get("maxclients"), "rolled back")
	require.Equal(t, "0", c.Get("timeout"))
	require.Equal(t, []string{"maxclients=77", "maxclients=10000"}, applied, "watchers see the rollback")

	require.NoError(t, c.SetMulti([]string{"maxclients", "77", "timeout", "12"}, true))
	require.Equal(t, int64(77), c.Int("maxclients"))
	require.Equal(t, int64(12), c.Int("timeout"))
}

func TestConfigProtectedLocal(t *testing.T) {
	dir := t.TempDir()
	c, err := Load([]string{"--enable-protected-configs", "local"})
	require.NoError(t, err)
	require.NoError(t, c.SetMulti([]string{"dbfilename", "x.rdb"}, true))
	require.Error(t, c.SetMulti([]string{"dbfilename", "y.rdb"}, false))
	require.Equal(t, "x.rdb", c.Get("dbfilename"))
	// dir is protected and, in Shale, cannot move at runtime.
	require.ErrorContains(t, c.SetMulti([]string{"dir", dir}, true), "can't set immutable config")
}

func TestConfigRewrite(t *testing.T) {
	dir := t.TempDir()
	inc := writeFile(t, dir, "inc.conf", "# included\nmaxmemory-policy allkeys-lru\n")
	p := writeFile(t, dir, "r.conf", `# top comment
port 23807
save ""

# memory
maxmemory 100mb
include `+inc+`
timeout 0
timeout 5
appendonly no
dir `+dir+`
hash-max-ziplist-entries 100
`)
	c, err := Load([]string{p})
	require.NoError(t, err)
	require.NoError(t, c.SetMulti([]string{"maxclients", "500", "hz", "20", "timeout", "7", "maxmemory", "200mb",
		"loglevel", "notice", "maxmemory-policy", "volatile-lru", "requirepass", `x "y`, "hash-max-listpack-entries", "128"}, true))
	require.NoError(t, c.Rewrite())
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, `# top comment
port 23807
save ""

# memory
maxmemory 200mb
include `+inc+`
timeout 7

appendonly no
dir "`+dir+`"
hash-max-listpack-entries 128

# Generated by CONFIG REWRITE
maxclients 500
requirepass "x \"y"
hz 20
maxmemory-policy volatile-lru
`, string(got))

	// The rewritten file loads back to the same values.
	c2, err := Load([]string{p})
	require.NoError(t, err)
	for _, n := range []string{"maxclients", "hz", "timeout", "maxmemory", "maxmemory-policy", "requirepass", "save", "hash-max-listpack-entries"} {
		require.Equal(t, c.Get(n), c2.Get(n), n)
	}

	// A second rewrite changes nothing; clearing a value removes its line.
	require.NoError(t, c2.SetMulti([]string{"requirepass", "", "save", "60 1 30 2"}, true))
	require.NoError(t, c2.Rewrite())
	got, err = os.ReadFile(p)
	require.NoError(t, err)
	require.NotContains(t, string(got), "requirepass")
	require.Contains(t, string(got), "port 23807\nsave 60 1\n\n# memory")
	// As in Redis, the old file's final newline leaves an empty line
	// before appended lines.
	require.Contains(t, string(got), "maxmemory-policy volatile-lru\n\nsave 30 2\n")
	require.Equal(t, 1, strings.Count(string(got), rewriteSignature))

	require.ErrorIs(t, New().Rewrite(), ErrNoConfigFile)
}

func TestConfigSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{`set a b`, []string{"set", "a", "b"}, false},
		{`a "b c" 'd e'`, []string{"a", "b c", "d e"}, false},
		{`a "\x41\n" ""`, []string{"a", "A\n", ""}, false},
		{`a 'it\'s'`, []string{"a", "it's"}, false},
		{`a "b"c`, nil, true},
		{`a "b`, nil, true},
		{`a 'b`, nil, true},
	} {
		got, err := SplitArgs(tc.in)
		if tc.bad {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	// Repr round-trips through SplitArgs.
	for _, s := range []string{"", "plain", `q"uo\te`, "nl\n\r\t\x01\xff"} {
		got, err := SplitArgs("x " + Repr(s))
		require.NoError(t, err)
		require.Equal(t, []string{"x", s}, got)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv("SHALE_CACHE_SIZE", "1mb")
	t.Setenv("SHALE_APPENDFSYNC", "always")
	t.Setenv("SHALE_SAVE", "")
	c, err := Load([]string{"--appendfsync", "no"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Int("cache-size"); got != 1<<20 {
		t.Fatalf("cache-size from env: %d", got)
	}
	if got := c.Get("appendfsync"); got != "no" {
		t.Fatalf("command line must override env, got %q", got)
	}
	if got := c.Get("save"); got != "" {
		t.Fatalf("save from env: %q", got)
	}
	t.Setenv("SHALE_PORT", "notanumber")
	if _, err := Load(nil); err == nil || !strings.Contains(err.Error(), "SHALE_PORT") {
		t.Fatalf("bad env value must be refused naming the variable, got %v", err)
	}
}
