// Command shale-bench compares Shale with a real Redis using
// redis-benchmark: it starts shale-server (fresh temp dir, free loopback
// port) and redis-server (--save "" --appendonly no), runs each test at
// each pipeline depth several times against both, and prints the median
// requests per second, the ratio, and both servers' memory afterwards.
//
// It is a report, not a test: it exits 0 whatever the numbers are (and 1
// only if it cannot run at all, e.g. redis-benchmark is missing).
//
//	go run ./cmd/shale-bench [-n 100000] [-runs 3] [-tests set,get,incr,mset,lpush,...] [-pipelines 1,16]
//	go run ./cmd/shale-bench -make-rdb big.rdb [-rdb-keys 10000000]
//	go run ./cmd/shale-bench -rdb big.rdb [-runs 3]   (RDB import vs redis-server load; see rdbload.go)
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	requests  int
	clients   int
	runs      int
	keyspace  int
	dataSize  int
	tests     []string
	pipelines []int
	shaleBin  string
	shaleArgs []string
	redisBin  string
	benchBin  string
	verbose   bool
}

func main() {
	var o options
	var tests, pipelines, shaleArgs string
	flag.IntVar(&o.requests, "n", 100000, "requests per redis-benchmark run")
	flag.IntVar(&o.clients, "c", 50, "parallel connections (redis-benchmark -c)")
	flag.IntVar(&o.runs, "runs", 3, "runs per test, server and pipeline depth (the median is reported)")
	flag.IntVar(&o.keyspace, "r", 0, "random keyspace size (redis-benchmark -r); 0 uses one key per test, as redis-benchmark does by default")
	flag.IntVar(&o.dataSize, "d", 3, "value size in bytes (redis-benchmark -d)")
	flag.StringVar(&tests, "tests", "set,get,incr,mset,lpush,lpop,sadd,hset,zadd,lrange_100", "comma-separated redis-benchmark tests")
	flag.StringVar(&pipelines, "pipelines", "1,16", "comma-separated pipeline depths (redis-benchmark -P)")
	flag.StringVar(&o.shaleBin, "shale", "", "shale-server binary (default: go build ./cmd/shale-server into a temp dir)")
	flag.StringVar(&shaleArgs, "shale-args", "", "extra shale-server arguments, space-separated (e.g. \"--appendfsync always\")")
	flag.StringVar(&o.redisBin, "redis-server", "redis-server", "redis-server binary")
	flag.StringVar(&o.benchBin, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	flag.BoolVar(&o.verbose, "v", false, "print every run")
	rdbFile := flag.String("rdb", "", "instead: time shale-rdb import of this RDB file against redis-server loading it")
	makeRDBFile := flag.String("make-rdb", "", "instead: write a mixed-type RDB file of -rdb-keys keys with redis-server")
	rdbKeys := flag.Int("rdb-keys", 10000000, "keys for -make-rdb")
	flag.Parse()
	if *makeRDBFile != "" || *rdbFile != "" {
		var err error
		if *makeRDBFile != "" {
			err = makeRDB(o, *makeRDBFile, *rdbKeys)
		} else {
			err = runRDBLoad(o, *rdbFile)
		}
		if err != nil {
			fatalf("%v", err)
		}
		return
	}
	for _, t := range strings.Split(tests, ",") {
		if t = strings.TrimSpace(strings.ToLower(t)); t != "" {
			o.tests = append(o.tests, t)
		}
	}
	for _, p := range strings.Split(pipelines, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			fatalf("bad pipeline depth %q", p)
		}
		o.pipelines = append(o.pipelines, n)
	}
	o.shaleArgs = strings.Fields(shaleArgs)
	if o.runs < 1 || o.requests < 1 || len(o.tests) == 0 {
		fatalf("-runs, -n and -tests must be positive")
	}
	if err := run(o); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "shale-bench: "+format+"\n", args...)
	os.Exit(1)
}

// server is a running server subprocess.
type server struct {
	name   string
	port   int
	cmd    *exec.Cmd
	out    bytes.Buffer
	exited chan struct{}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start launches bin with args plus the port flag and waits for PING. It
// retries with another port if the chosen one was taken meanwhile.
func start(name, bin string, args func(port int) []string) (*server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &server{name: name, port: port, exited: make(chan struct{})}
		s.cmd = exec.Command(bin, args(port)...)
		s.cmd.Stdout = &s.out
		s.cmd.Stderr = &s.out
		if err := s.cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting %s: %w", name, err)
		}
		go func() { _ = s.cmd.Wait(); close(s.exited) }()
		if lastErr = s.waitReady(20 * time.Second); lastErr == nil {
			return s, nil
		}
		s.stop()
	}
	return nil, lastErr
}

func (s *server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited during startup:\n%s", s.name, s.out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr(), time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Write([]byte("PING\r\n"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if line == "+PONG\r\n" {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer PING within %s", s.name, timeout)
}

func (s *server) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// stop asks the server to exit (SIGTERM) and kills it if it lingers.
func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// memory returns the server's resident set size and its peak, in bytes,
// from /proc (Linux).
func (s *server) memory() (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n << 10
		case "VmHWM:":
			peak = n << 10
		}
	}
	return rss, peak, nil
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found: run from the Shale source tree or pass -shale")
		}
		dir = parent
	}
}

func buildShale(tmp string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, "shale-server")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/shale-server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/shale-server: %v\n%s", err, out)
	}
	return bin, nil
}

// result is one redis-benchmark measurement.
type result struct {
	rps float64
	p50 float64 // ms
	err string  // why there is no rps
}

// bench runs one redis-benchmark test against s.
func bench(o options, s *server, test string, pipeline int) result {
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-t", test,
		"-n", strconv.Itoa(o.requests), "-c", strconv.Itoa(o.clients), "-P", strconv.Itoa(pipeline),
		"-d", strconv.Itoa(o.dataSize), "--csv", "-q"}
	if o.keyspace > 0 {
		args = append(args, "-r", strconv.Itoa(o.keyspace))
	}
	cmd := exec.Command(o.benchBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	// redis-benchmark exits 1 on the first error reply (e.g. an unknown
	// command), after printing it on stderr.
	if err != nil {
		msg := strings.TrimSpace(lastLine(stderr.String()))
		if msg == "" {
			msg = err.Error()
		}
		return result{err: msg}
	}
	return parseCSV(&stdout)
}

// parseCSV reads redis-benchmark --csv output: a header row, then one row
// per test ("SET","86206.90","0.311","0.088","0.303",...).
func parseCSV(r io.Reader) result {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return result{err: "unreadable redis-benchmark output: " + err.Error()}
	}
	// The last row is the test itself: LRANGE_* tests print their LPUSH
	// setup ("LPUSH (needed to benchmark LRANGE)") first.
	res := result{err: "no result in redis-benchmark output"}
	for _, row := range rows {
		if len(row) < 5 || row[0] == "test" {
			continue
		}
		rps, err := strconv.ParseFloat(row[1], 64)
		if err != nil {
			continue
		}
		p50, _ := strconv.ParseFloat(row[4], 64)
		res = result{rps: rps, p50: p50}
	}
	return res
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "WARNING") {
			return l
		}
	}
	return ""
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type key struct {
	test     string
	pipeline int
	server   string
}

func run(o options) error {
	for _, b := range []string{o.redisBin, o.benchBin} {
		if _, err := exec.LookPath(b); err != nil {
			return fmt.Errorf("%s not found (apt-get install redis-server redis-tools)", b)
		}
	}
	tmp, err := os.MkdirTemp("", "shale-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.shaleBin == "" {
		fmt.Fprintln(os.Stderr, "building shale-server...")
		if o.shaleBin, err = buildShale(tmp); err != nil {
			return err
		}
	}

	shale, err := start("shale", o.shaleBin, func(port int) []string {
		// No save points, as for redis-server below: both measure serving.
		return append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", filepath.Join(tmp, "data"), "--save", ""}, o.shaleArgs...)
	})
	if err != nil {
		return err
	}
	defer shale.stop()
	redis, err := start("redis", o.redisBin, func(port int) []string {
		return []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--dir", tmp, "--logfile", ""}
	})
	if err != nil {
		return err
	}
	defer redis.stop()

	// Ctrl-C: stop both servers before exiting.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		shale.stop()
		redis.stop()
		os.RemoveAll(tmp)
		os.Exit(130)
	}()

	servers := []*server{redis, shale}
	fmt.Printf("redis-benchmark -n %d -c %d -d %d", o.requests, o.clients, o.dataSize)
	if o.keyspace > 0 {
		fmt.Printf(" -r %d", o.keyspace)
	}
	fmt.Printf(", %d runs each, median reported\n", o.runs)
	fmt.Printf("redis: %s --save '' --appendonly no (no persistence) on port %d\n", o.redisBin, redis.port)
	fmt.Printf("shale: %s on port %d (every write in the WAL before its reply; appendfsync everysec unless set)\n\n",
		strings.Join(append([]string{o.shaleBin}, o.shaleArgs...), " "), shale.port)

	rps := map[key][]float64{}
	p50 := map[key][]float64{}
	errs := map[key]string{}
	started := time.Now()
	for r := 0; r < o.runs; r++ {
		for _, test := range o.tests {
			for _, pl := range o.pipelines {
				// Alternate which server goes first so drift (compaction,
				// page cache, thermal) does not favour one side.
				order := servers
				if r%2 == 1 {
					order = []*server{shale, redis}
				}
				for _, s := range order {
					k := key{test, pl, s.name}
					res := bench(o, s, test, pl)
					if res.err != "" {
						errs[k] = res.err
					} else {
						rps[k] = append(rps[k], res.rps)
						p50[k] = append(p50[k], res.p50)
					}
					if o.verbose {
						fmt.Fprintf(os.Stderr, "run %d %-5s -P %-3d %-5s %10.0f rps %s\n", r+1, test, pl, s.name, res.rps, res.err)
					}
				}
			}
		}
		fmt.Fprintf(os.Stderr, "run %d/%d done (%s)\n", r+1, o.runs, time.Since(started).Round(time.Second))
	}

	report(os.Stdout, o, rps, p50, errs)

	fmt.Println()
	for _, s := range servers {
		rss, peak, err := s.memory()
		if err != nil {
			fmt.Printf("%-6s RSS: unavailable (%v)\n", s.name, err)
			continue
		}
		fmt.Printf("%-6s RSS after the run: %7.1f MB (peak %.1f MB)\n", s.name, mb(rss), mb(peak))
	}
	if st, err := dirSize(filepath.Join(tmp, "data")); err == nil {
		fmt.Printf("shale  data directory: %.1f MB\n", mb(st))
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n, err
}

func report(w io.Writer, o options, rps, p50 map[key][]float64, errs map[key]string) {
	fmt.Fprintf(w, "%-6s %4s  %12s %12s %8s   %9s %9s\n", "test", "-P", "redis rps", "shale rps", "ratio", "redis p50", "shale p50")
	fmt.Fprintln(w, strings.Repeat("-", 70))
	var notes []string
	for _, test := range o.tests {
		for _, pl := range o.pipelines {
			rk, sk := key{test, pl, "redis"}, key{test, pl, "shale"}
			cell := func(k key) string {
				if len(rps[k]) == 0 {
					msg := errs[k]
					if len(msg) > 110 {
						msg = msg[:110] + "..."
					}
					notes = append(notes, fmt.Sprintf("%s %s -P %d: %s", k.server, test, pl, msg))
					return "n/a"
				}
				return fmt.Sprintf("%.0f", median(rps[k]))
			}
			lat := func(k key) string {
				if len(p50[k]) == 0 {
					return "n/a"
				}
				return fmt.Sprintf("%.3fms", median(p50[k]))
			}
			ratio := "n/a"
			if len(rps[rk]) > 0 && len(rps[sk]) > 0 {
				ratio = fmt.Sprintf("%.2f", median(rps[sk])/median(rps[rk]))
			}
			fmt.Fprintf(w, "%-6s %4d  %12s %12s %8s   %9s %9s\n", strings.ToUpper(test), pl, cell(rk), cell(sk), ratio, lat(rk), lat(sk))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nerrors:")
		for _, n := range notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
}
