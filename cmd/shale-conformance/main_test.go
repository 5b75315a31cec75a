package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shaledb/shale/conformance"
	"github.com/shaledb/shale/conformance/fakeredis"
	"github.com/stretchr/testify/require"
)

// strlenBug answers STRLEN wrongly for values of 4 bytes or more.
func strlenBug(args []string, r conformance.Value) conformance.Value {
	if strings.EqualFold(args[0], "strlen") && r.Kind == conformance.KindInt && r.Int >= 4 {
		r.Int++
	}
	return r
}

func caseDir(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "strings"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "strings", "strlen.case"), []byte(`=== strlen
> SET k hello
+OK
> STRLEN k
:5
=== append
> APPEND k ab
:2
> GET k
"ab"
`), 0o644))
	return dir
}

func TestRunExitCodes(t *testing.T) {
	good := fakeredis.Start(t, nil)
	bad := fakeredis.Start(t, strlenBug)
	dir := caseDir(t)
	var out bytes.Buffer
	require.Equal(t, 0, cmdRun([]string{"--addr", good.Addr, "--cases", dir}, &out))
	require.Contains(t, out.String(), "2 cases, 2 passed, 0 failed")

	out.Reset()
	require.Equal(t, 1, cmdRun([]string{"--addr", bad.Addr, "--cases", dir}, &out))
	require.Contains(t, out.String(), "FAIL strings/strlen.case: strlen (line 4)")
	require.Contains(t, out.String(), "expected :5, got :6")

	// Filters and options in any order; JSON report.
	out.Reset()
	require.Equal(t, 0, cmdRun([]string{"--cases", dir, "append", "--addr", bad.Addr, "--json"}, &out))
	var rep conformance.Report
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Equal(t, 1, rep.Totals.Passed)
	require.Equal(t, 1, rep.Commands["append"].Passed)

	// Nothing listening: every case fails on setup.
	out.Reset()
	port, err := freePort() // closed again: nothing listens there
	require.NoError(t, err)
	require.Equal(t, 1, cmdRun([]string{"--addr", "127.0.0.1:" + strconv.Itoa(port), "--cases", dir, "--timeout", "1s"}, &out))
	require.Contains(t, out.String(), "setup: connect", out.String())
}

func TestDiffAndFuzzExitCodes(t *testing.T) {
	good := fakeredis.Start(t, nil)
	bad := fakeredis.Start(t, strlenBug)
	dir := caseDir(t)
	var out bytes.Buffer
	require.Equal(t, 1, cmdDiff([]string{"--addr", bad.Addr, "--reference", good.Addr, "--cases", dir}, &out))
	require.Contains(t, out.String(), "DIFF strings/strlen.case: strlen")
	require.Regexp(t, `:5 +\| :6`, out.String())
	out.Reset()
	require.Equal(t, 0, cmdDiff([]string{"--addr", good.Addr, "--reference", good.Addr, "--cases", dir}, &out))
	require.Equal(t, 2, cmdDiff([]string{"--addr", good.Addr, "--cases", dir}, &out), "diff without a reference is a usage error")

	out.Reset()
	require.Equal(t, 1, cmdFuzz([]string{"--addr", bad.Addr, "--reference", good.Addr, "--cases", dir, "--seed", "3", "--ops", "3000", "--json"}, &out))
	var res conformance.FuzzResult
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	require.NotNil(t, res.Diff)
	require.LessOrEqual(t, len(res.Diff.Reproducer), 4)
	require.Contains(t, res.Diff.Case, "> STRLEN")
	out.Reset()
	good2 := fakeredis.Start(t, nil)
	require.Equal(t, 0, cmdFuzz([]string{"--addr", good2.Addr, "--reference", good.Addr, "--cases", dir, "--ops", "500"}, &out))
	require.Contains(t, out.String(), "no difference")
}

func TestReplayCommand(t *testing.T) {
	good := fakeredis.Start(t, nil)
	bad := fakeredis.Start(t, strlenBug)
	capture := filepath.Join(t.TempDir(), "capture.txt")
	require.NoError(t, os.WriteFile(capture, []byte(`OK
1700000000.000001 [0 127.0.0.1:1000] "SET" "k" "hello"
1700000000.000002 [0 127.0.0.1:1000] "STRLEN" "k"
`), 0o644))
	var out bytes.Buffer
	require.Equal(t, 1, cmdReplay([]string{"--monitor", capture, "--addr", bad.Addr, "--reference", good.Addr, "--flushall"}, &out))
	require.Contains(t, out.String(), "> STRLEN k")
	require.Contains(t, out.String(), "1 differing replies")
	out.Reset()
	good2 := fakeredis.Start(t, nil)
	require.Equal(t, 0, cmdReplay([]string{"--monitor", capture, "--addr", good2.Addr, "--reference", good.Addr, "--flushall"}, &out))
	require.Contains(t, out.String(), "0 differing replies")
}

func TestRecordRefusesNonRedis(t *testing.T) {
	fake := fakeredis.Start(t, nil)
	dir := caseDir(t)
	before, err := os.ReadFile(filepath.Join(dir, "strings", "strlen.case"))
	require.NoError(t, err)
	var out bytes.Buffer
	require.Equal(t, 2, cmdRecord([]string{"--addr", fake.Addr, "--cases", dir}, &out))
	after, err := os.ReadFile(filepath.Join(dir, "strings", "strlen.case"))
	require.NoError(t, err)
	require.Equal(t, before, after)

	// --force records anyway; the fake answers like Redis here, so
	// nothing changes.
	out.Reset()
	require.Equal(t, 0, cmdRecord([]string{"--addr", fake.Addr, "--cases", dir, "--force"}, &out))
	require.Contains(t, out.String(), "0 changed")
}
