package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shaledb/shale/conformance"
)

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until addr answers PING.
func waitReady(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		c, err := conformance.Dial(addr)
		if err == nil {
			v, err := c.Do("PING")
			c.Close()
			if err == nil && v.Kind == conformance.KindStatus {
				return nil
			}
			last = err
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer PING: %v", addr, last)
}

type proc struct {
	name string
	cmd  *exec.Cmd
	addr string
}

func startProc(name, bin string, args []string, logPath string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	setDeathSig(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, addr: addr}
	if err := waitReady(addr, 20*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %v (log: %s)", name, err, logPath)
	}
	return p, nil
}

// stop ends the process this command started (by its own handle).
func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// cmdCI is `make conformance`: it starts a real redis-server and a
// shale-server on free loopback ports, checks that the recorded cases
// still describe Redis, then runs diff and a bounded fuzz with fixed seeds.
func cmdCI(args []string, out io.Writer) int {
	fs := flag.NewFlagSet("ci", flag.ContinueOnError)
	shaleBin := fs.String("shale-server", "bin/shale-server", "shale-server binary")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary (Redis 7.0)")
	cases := fs.String("cases", "", "case directory (default: built-in cases)")
	seeds := fs.String("seeds", "1,2,3", "fuzz seeds")
	ops := fs.Int("ops", 2000, "fuzz commands per seed")
	keep := fs.Bool("keep", false, "keep the temporary directory (logs, data)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	tmp, err := os.MkdirTemp("", "shale-conformance-")
	if err != nil {
		return fail("%v", err)
	}
	if !*keep {
		defer os.RemoveAll(tmp)
	}
	for _, d := range []string{"redis", "shale"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return fail("%v", err)
		}
	}
	redis, err := startProc("redis-server", *redisBin, []string{"--port", "{port}", "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", filepath.Join(tmp, "redis")}, filepath.Join(tmp, "redis.log"))
	if err != nil {
		return fail("%v", err)
	}
	defer redis.stop()
	shale, err := startProc("shale-server", *shaleBin, []string{"--port", "{port}", "--bind", "127.0.0.1",
		"--dir", filepath.Join(tmp, "shale")}, filepath.Join(tmp, "shale.log"))
	if err != nil {
		return fail("%v", err)
	}
	defer shale.stop()
	fmt.Fprintf(out, "redis-server on %s, shale-server on %s (work dir %s)\n\n", redis.addr, shale.addr, tmp)

	common := []string{}
	if *cases != "" {
		common = append(common, "--cases", *cases)
	}
	code := 0
	step := func(title string, c int) {
		fmt.Fprintf(out, "== %s: %s\n\n", title, map[bool]string{true: "ok", false: "FAILED"}[c == 0])
		if c > code {
			code = c
		}
	}
	ref := conformance.Target{Addr: redis.addr}
	if v, err := conformance.CheckRedis(&ref); err != nil {
		return fail("reference: %v", err)
	} else {
		fmt.Fprintf(out, "== reference is Redis %s\n", v)
	}
	fmt.Fprintln(out, "== run against redis-server (the cases must describe Redis)")
	step("run redis", cmdRun(append([]string{"--addr", redis.addr, "-q"}, common...), out))
	fmt.Fprintln(out, "== diff shale-server vs redis-server")
	step("diff", cmdDiff(append([]string{"--addr", shale.addr, "--reference", redis.addr}, common...), out))
	for _, s := range strings.Split(*seeds, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		fmt.Fprintf(out, "== fuzz seed %s\n", s)
		step("fuzz seed "+s, cmdFuzz(append([]string{"--addr", shale.addr, "--reference", redis.addr, "--seed", s, "--ops", strconv.Itoa(*ops), "--skip-unknown"}, common...), out))
	}
	return code
}
