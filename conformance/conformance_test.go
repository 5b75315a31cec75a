package conformance_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shaledb/shale/conformance"
	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

// readEnforced reads cases/ENFORCED: the case files Shale must pass.
func readEnforced(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join("cases", "ENFORCED"))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		_, err := os.Stat(filepath.Join("cases", filepath.FromSlash(l)))
		require.NoError(t, err, "ENFORCED lists %s, which does not exist", l)
		out[l] = true
	}
	require.NoError(t, sc.Err())
	return out
}

func loadCases(t *testing.T) []*conformance.File {
	t.Helper()
	files, err := conformance.LoadDir("cases")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestConformanceShale runs every recorded case against an in-process
// Shale. Only the files listed in cases/ENFORCED fail the test; the rest
// are reported so the lead can see what is left (CONFORMANCE_VERBOSE=1
// shows their failures too).
func TestConformanceShale(t *testing.T) {
	s := servertest.Start(t)
	files := loadCases(t)
	enforced := readEnforced(t)
	target := &conformance.Target{Addr: s.Addr, Timeout: 10 * time.Second}
	flushWorks := true
	if c, err := conformance.Dial(s.Addr); err == nil {
		if v, err := c.Do("FLUSHALL"); err != nil || v.IsError() {
			t.Logf("FLUSHALL answers %s: every case gets a fresh server instead", v)
			flushWorks = false
		}
		c.Close()
	}
	var rep *conformance.Report
	if flushWorks {
		rep = conformance.Run(files, target)
	} else {
		s.Stop()
		rep = conformance.NewReport("run", "in-process shale (fresh server per case)", "")
		for _, f := range files {
			for _, c := range f.Cases {
				one := servertest.Start(t)
				fresh := func() error { return nil } // a new server is empty
				rep.AddCase(conformance.RunCase(c, &conformance.Target{Addr: one.Addr, Timeout: 10 * time.Second, Flush: fresh}, rep))
				one.Stop()
			}
		}
	}

	var sb strings.Builder
	rep.WriteText(&sb, false)
	// Failures of unenforced files are not errors: keep the log short.
	var table strings.Builder
	for _, l := range strings.Split(sb.String(), "\n") {
		if !strings.HasPrefix(l, "FAIL ") && !strings.HasPrefix(l, "  ") && l != "" {
			table.WriteString(l + "\n")
		}
	}
	t.Logf("Shale conformance per group:\n%s", table.String())

	type fileStat struct{ passed, total int }
	stats := map[string]*fileStat{}
	for _, c := range rep.Cases {
		st := stats[c.File]
		if st == nil {
			st = &fileStat{}
			stats[c.File] = st
		}
		st.total++
		if c.Status == conformance.Passed {
			st.passed++
		}
		if c.Status == conformance.Failed && !enforced[c.File] && os.Getenv("CONFORMANCE_VERBOSE") != "" {
			var b strings.Builder
			conformance.WriteFailure(&b, "run", c)
			t.Logf("not enforced, failing:\n%s", b.String())
		}
		if c.Status == conformance.Failed && enforced[c.File] {
			var b strings.Builder
			conformance.WriteFailure(&b, "run", c)
			t.Errorf("enforced case failed:\n%s", b.String())
		}
	}
	var pending []string
	n := 0
	for f, st := range stats {
		if !enforced[f] {
			n += st.total
			pending = append(pending, fmt.Sprintf("%s (%d/%d passing)", f, st.passed, st.total))
		}
	}
	sort.Strings(pending)
	if n > 0 {
		t.Logf("%d cases not yet enforced: %s", n, strings.Join(pending, ", "))
	}
	require.NotZero(t, len(enforced), "ENFORCED lists no files")
}

// freePort finds a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis starts a real redis-server on a free loopback port, or skips
// (loudly) when none is installed.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("!!! redis-server is not on PATH: the recorded cases are NOT being checked against a real Redis 7.0 (install redis-server to run this test) !!!")
	}
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := freePort(t)
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--daemonize", "no", "--dir", dir)
		setDeathSig(cmd)
		require.NoError(t, cmd.Start())
		addr := "127.0.0.1:" + strconv.Itoa(port)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			c, err := conformance.Dial(addr)
			if err == nil {
				v, err := c.Do("PING")
				c.Close()
				if err == nil && v.Kind == conformance.KindStatus {
					t.Cleanup(func() {
						_ = cmd.Process.Kill()
						_ = cmd.Wait()
					})
					return addr
				}
			}
			lastErr = err
			time.Sleep(20 * time.Millisecond)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return ""
}

// TestConformanceRedis checks that the recorded cases describe Redis: a
// real redis-server passes all of them.
func TestConformanceRedis(t *testing.T) {
	addr := startRedis(t)
	target := &conformance.Target{Addr: addr}
	v, err := conformance.CheckRedis(target)
	if err != nil {
		t.Skipf("!!! the installed redis-server is not Redis 7.0 (%v): cases not checked !!!", err)
	}
	files := loadCases(t)
	rep := conformance.Run(files, target)
	var sb strings.Builder
	rep.WriteText(&sb, false)
	require.False(t, rep.Failed(), "Redis %s fails recorded cases:\n%s", v, sb.String())
	require.Zero(t, rep.Totals.Skipped)
	require.Equal(t, rep.Totals.Total(), rep.Totals.Passed)
	t.Logf("Redis %s passes all %d cases", v, rep.Totals.Passed)
}
