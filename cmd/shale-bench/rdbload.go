package main

// RDB load benchmark: how long `shale-rdb import` takes to turn an RDB
// file into a Shale data directory, against how long redis-server takes
// to load the same file, side by side, several runs each (medians).
//
//	shale-bench -make-rdb big.rdb [-rdb-keys 10000000]   build a mixed-type RDB with redis-server
//	shale-bench -rdb big.rdb [-runs 3]                   time both loads

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// loadResult is one load of the file.
type loadResult struct {
	wall    time.Duration
	ownSecs float64 // the server's own figure (redis: "DB loaded from disk"), 0 if none
	peakRSS int64   // bytes
}

var redisLoaded = regexp.MustCompile(`DB loaded from disk: ([0-9.]+) seconds`)

// loadRedis starts redis-server on the file and waits until it answers
// PING (it answers LOADING until the file is in memory).
func loadRedis(o options, path string) (loadResult, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return loadResult{}, err
	}
	t0 := time.Now()
	s, err := start("redis", o.redisBin, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", filepath.Dir(abs), "--dbfilename", filepath.Base(abs)}
	})
	if err != nil {
		return loadResult{}, err
	}
	r := loadResult{wall: time.Since(t0)}
	_, r.peakRSS, _ = s.memory()
	s.stop()
	if m := redisLoaded.FindStringSubmatch(s.out.String()); m != nil {
		r.ownSecs, _ = strconv.ParseFloat(m[1], 64)
	} else {
		return r, fmt.Errorf("redis-server did not report loading %s:\n%s", path, lastLine(s.out.String()))
	}
	return r, nil
}

// loadShale runs shale-rdb import into a new directory under tmp.
func loadShale(rdbBin, path, tmp string) (loadResult, error) {
	dir, err := os.MkdirTemp(tmp, "import-")
	if err != nil {
		return loadResult{}, err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	cmd := exec.Command(rdbBin, "import", path, "--dir", data, "--quiet")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	r := loadResult{wall: time.Since(t0)}
	if err != nil {
		return r, fmt.Errorf("shale-rdb import: %v\n%s", err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSS = ru.Maxrss << 10
	}
	return r, nil
}

func buildTool(tmp, name string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	return bin, nil
}

func runRDBLoad(o options, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".shale-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintln(os.Stderr, "building shale-rdb...")
	rdbBin, err := buildTool(tmp, "shale-rdb")
	if err != nil {
		return err
	}
	var redisWall, redisOwn, shaleWall []float64
	var redisPeak, shalePeak int64
	for i := 0; i < o.runs; i++ {
		// Alternate which goes first so neither always meets a warm or a
		// cold page cache.
		order := []string{"redis", "shale"}
		if i%2 == 1 {
			order = []string{"shale", "redis"}
		}
		for _, who := range order {
			if who == "redis" {
				r, err := loadRedis(o, path)
				if err != nil {
					return err
				}
				redisWall = append(redisWall, r.wall.Seconds())
				redisOwn = append(redisOwn, r.ownSecs)
				redisPeak = max(redisPeak, r.peakRSS)
				if o.verbose {
					fmt.Fprintf(os.Stderr, "run %d redis: %.2fs (own %.2fs) peak %.0f MB\n", i+1, r.wall.Seconds(), r.ownSecs, mb(r.peakRSS))
				}
			} else {
				r, err := loadShale(rdbBin, path, tmp)
				if err != nil {
					return err
				}
				shaleWall = append(shaleWall, r.wall.Seconds())
				shalePeak = max(shalePeak, r.peakRSS)
				if o.verbose {
					fmt.Fprintf(os.Stderr, "run %d shale: %.2fs peak %.0f MB\n", i+1, r.wall.Seconds(), mb(r.peakRSS))
				}
			}
		}
	}
	rw, ro, sw := median(redisWall), median(redisOwn), median(shaleWall)
	fmt.Printf("RDB load: %s (%.0f MB), median of %d runs\n", path, mb(fi.Size()), o.runs)
	fmt.Printf("  redis-server load   %7.2f s (its log: %.2f s)  peak RSS %6.0f MB\n", rw, ro, mb(redisPeak))
	fmt.Printf("  shale-rdb import    %7.2f s                    peak RSS %6.0f MB\n", sw, mb(shalePeak))
	fmt.Printf("  speed ratio (Redis time / Shale time): %.2f\n", rw/sw)
	return nil
}

// makeRDB fills a scratch redis-server with keys of every type (9 in 10
// strings of 80 random characters, a twentieth with a TTL; the rest
// hashes, lists, sets and sorted sets of 10 elements) and saves it to
// path. redis-cli --pipe feeds it.
func makeRDB(o options, path string, keys int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	s, err := start("redis", o.redisBin, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", filepath.Dir(abs), "--dbfilename", filepath.Base(abs)}
	})
	if err != nil {
		return err
	}
	defer s.stop()
	cli := exec.Command("redis-cli", "-p", strconv.Itoa(s.port), "--pipe")
	in, err := cli.StdinPipe()
	if err != nil {
		return err
	}
	cli.Stdout, cli.Stderr = os.Stderr, os.Stderr
	if err := cli.Start(); err != nil {
		return err
	}
	w := bufio.NewWriterSize(in, 1<<20)
	cmd := func(args ...string) {
		fmt.Fprintf(w, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	var rnd [60]byte
	for i := 0; i < keys; i++ {
		n := strconv.Itoa(i)
		switch {
		case i%10 != 9:
			rand.Read(rnd[:])
			k := "key:" + n
			cmd("SET", k, base64.StdEncoding.EncodeToString(rnd[:]))
			if i%20 == 0 {
				cmd("EXPIRE", k, "99999999")
			}
		case i%40 == 9:
			args := []string{"HSET", "h:" + n}
			for j := 0; j < 10; j++ {
				args = append(args, "f"+strconv.Itoa(j), "value-"+n+"-"+strconv.Itoa(j))
			}
			cmd(args...)
		case i%40 == 19:
			args := []string{"RPUSH", "l:" + n}
			for j := 0; j < 10; j++ {
				args = append(args, "item-"+strconv.Itoa(j))
			}
			cmd(args...)
		case i%40 == 29:
			args := []string{"SADD", "s:" + n}
			for j := 0; j < 10; j++ {
				args = append(args, "m"+strconv.Itoa(j))
			}
			cmd(args...)
		default:
			args := []string{"ZADD", "z:" + n}
			for j := 0; j < 10; j++ {
				args = append(args, strconv.FormatFloat(float64(j)*1.5, 'g', -1, 64), "zm"+strconv.Itoa(j))
			}
			cmd(args...)
		}
	}
	cmd("SAVE")
	if err := w.Flush(); err != nil {
		return err
	}
	in.Close()
	if err := cli.Wait(); err != nil {
		return fmt.Errorf("redis-cli --pipe: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d keys, %.0f MB\n", abs, keys, mb(fi.Size()))
	return nil
}
