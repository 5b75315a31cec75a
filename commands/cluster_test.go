package commands_test

import (
	"strings"
	"testing"

	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// Without cluster mode, CLUSTER, READONLY, READWRITE and ASKING answer
// byte for byte as a standalone Redis 7.0 does, and their COMMAND INFO
// entries are Redis's.
func TestClusterCommandsAnswerAsStandaloneRedis(t *testing.T) {
	raddr := dumpRealRedis(t).Options().Addr
	s := servertest.Start(t)
	for _, line := range []string{
		"CLUSTER INFO", "CLUSTER SLOTS", "CLUSTER SHARDS", "CLUSTER NODES", "CLUSTER HELP", "CLUSTER MYID",
		"CLUSTER KEYSLOT foo", "CLUSTER COUNTKEYSINSLOT 1", "CLUSTER SETSLOT 1 NODE x",
		"CLUSTER", "CLUSTER SLOTS extra", "CLUSTER NOSUCH", "cluster info",
		"READONLY", "READWRITE", "ASKING", "READONLY extra",
		"COMMAND INFO CLUSTER|INFO CLUSTER|SLOTS CLUSTER|SHARDS CLUSTER|KEYSLOT READONLY READWRITE ASKING",
		"COMMAND DOCS READONLY", "COMMAND INFO RESTORE-ASKING",
		"RESTORE-ASKING k 0 bad", "RESTORE-ASKING k", "COMMAND GETKEYS RESTORE-ASKING k 0 x",
	} {
		args := strings.Fields(line)
		require.Equal(t, migRaw(t, raddr, args...), migRaw(t, s.Addr, args...), line)
	}
}

// MODULE answers as a Redis 7.0 with no module loaded, under both
// enable-module-command settings.
func TestModuleCommandsAnswerAsRedis(t *testing.T) {
	for _, mode := range []string{"no", "yes"} {
		raddr := dumpRealRedis(t, "--enable-module-command", mode).Options().Addr
		s := servertest.Start(t, "--enable-module-command", mode)
		for _, line := range []string{
			"MODULE LIST", "MODULE HELP", "MODULE LOAD /nonexistent.so", "MODULE LOADEX /x.so CONFIG a b",
			"MODULE UNLOAD foo", "MODULE", "MODULE LIST x", "MODULE NOSUCH",
			"COMMAND INFO MODULE|LIST MODULE|LOAD MODULE|LOADEX MODULE|UNLOAD MODULE|HELP",
		} {
			args := strings.Fields(line)
			require.Equal(t, migRaw(t, raddr, args...), migRaw(t, s.Addr, args...), "%s (enable-module-command %s)", line, mode)
		}
	}
}
