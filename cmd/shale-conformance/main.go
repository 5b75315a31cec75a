// Command shale-conformance checks that a server answers like Redis 7.0.
//
//	shale-conformance run    --addr HOST:PORT [--cases DIR] [--json] [FILTER...]
//	shale-conformance record --addr HOST:PORT --cases DIR [--force] [FILTER...]
//	shale-conformance diff   --addr HOST:PORT --reference HOST:PORT [--json] [FILTER...]
//	shale-conformance fuzz   --addr HOST:PORT --reference HOST:PORT --seed N --ops N [--json]
//	shale-conformance replay --monitor capture.txt --addr HOST:PORT --reference HOST:PORT [--flushall] [--json]
//	shale-conformance ci     --shale-server bin/shale-server [--redis-server redis-server]
//
// run, diff and fuzz empty the servers they talk to (FLUSHALL before every
// case): point them at scratch servers. The exit status is 1 when anything
// fails or differs, 2 on usage or connection errors.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shaledb/shale/conformance"
)

const usage = `usage: shale-conformance <command> [options] [FILTER...]

commands:
  run      check a server against the recorded expectations
  record   (re)record expectations from a real Redis 7.0
  diff     run the cases on a server and a reference Redis, show differences side by side
  fuzz     random differential testing against a reference, shrinks the first difference
  replay   replay a redis-cli MONITOR capture against a server and a reference
  ci       start redis-server and shale-server on free loopback ports, run diff and fuzz

FILTER keeps cases whose group, file or name contains it (e.g. "strings", "incr").
run "shale-conformance <command> -h" for the options of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "run":
		code = cmdRun(os.Args[2:], os.Stdout)
	case "record":
		code = cmdRecord(os.Args[2:], os.Stdout)
	case "diff":
		code = cmdDiff(os.Args[2:], os.Stdout)
	case "fuzz":
		code = cmdFuzz(os.Args[2:], os.Stdout)
	case "replay":
		code = cmdReplay(os.Args[2:], os.Stdout)
	case "ci":
		code = cmdCI(os.Args[2:], os.Stdout)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", os.Args[1], usage)
		code = 2
	}
	os.Exit(code)
}

// common holds the options shared by the commands.
type common struct {
	fs        *flag.FlagSet
	addr      *string
	reference *string
	cases     *string
	json      *bool
	password  *string
	user      *string
	timeout   *time.Duration
	quiet     *bool
	// positional are the FILTER arguments.
	positional []string
}

func newCommon(name string, withRef bool) *common {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c := &common{fs: fs}
	c.addr = fs.String("addr", "127.0.0.1:6379", "server to check (HOST:PORT or unix socket path)")
	if withRef {
		c.reference = fs.String("reference", "", "reference Redis 7.0 (HOST:PORT)")
	}
	c.cases = fs.String("cases", "", "case directory (default: the cases built into this binary)")
	c.json = fs.Bool("json", false, "print the report as JSON")
	c.password = fs.String("password", "", "AUTH password for the servers")
	c.user = fs.String("user", "", "AUTH user name (with --password)")
	c.timeout = fs.Duration("timeout", 10*time.Second, "how long to wait for each reply")
	c.quiet = fs.Bool("q", false, "leave the per-command table out of the text report")
	return c
}

func (c *common) parse(args []string) error {
	// Accept options after the filters too.
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			return err
		}
		args = c.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	c.positional = pos
	return nil
}

func (c *common) target(addr string) *conformance.Target {
	t := &conformance.Target{Addr: addr, Timeout: *c.timeout}
	if *c.password != "" {
		t.Auth = []string{"AUTH", *c.password}
		if *c.user != "" {
			t.Auth = []string{"AUTH", *c.user, *c.password}
		}
	}
	return t
}

func (c *common) files() ([]*conformance.File, error) {
	var files []*conformance.File
	var err error
	if *c.cases != "" {
		files, err = conformance.LoadDir(*c.cases)
	} else {
		files, err = conformance.LoadEmbedded()
	}
	if err != nil {
		return nil, err
	}
	return conformance.Filter(files, c.positional), nil
}

func fail(format string, a ...any) int {
	fmt.Fprintf(os.Stderr, "shale-conformance: "+format+"\n", a...)
	return 2
}

func cmdRun(args []string, out io.Writer) int {
	c := newCommon("run", false)
	if err := c.parse(args); err != nil {
		return 2
	}
	files, err := c.files()
	if err != nil {
		return fail("%v", err)
	}
	rep := conformance.Run(files, c.target(*c.addr))
	if *c.json {
		conformance.WriteJSON(out, rep)
	} else {
		rep.WriteText(out, !*c.quiet)
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

func cmdDiff(args []string, out io.Writer) int {
	c := newCommon("diff", true)
	if err := c.parse(args); err != nil {
		return 2
	}
	if *c.reference == "" {
		return fail("diff needs --reference HOST:PORT (a real Redis 7.0)")
	}
	files, err := c.files()
	if err != nil {
		return fail("%v", err)
	}
	rep := conformance.Diff(files, c.target(*c.addr), c.target(*c.reference))
	if *c.json {
		conformance.WriteJSON(out, rep)
	} else {
		rep.WriteText(out, !*c.quiet)
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

func cmdRecord(args []string, out io.Writer) int {
	c := newCommon("record", false)
	force := c.fs.Bool("force", false, "record even from a server that is not Redis 7.0")
	dry := c.fs.Bool("dry-run", false, "show what would change without writing")
	if err := c.parse(args); err != nil {
		return 2
	}
	if *c.cases == "" {
		if st, err := os.Stat("conformance/cases"); err == nil && st.IsDir() {
			*c.cases = "conformance/cases"
		} else {
			return fail("record rewrites case files: give --cases DIR")
		}
	}
	t := c.target(*c.addr)
	version, err := conformance.CheckRedis(t)
	if err != nil {
		if !*force {
			return fail("refusing to record: %v (use --force to record anyway)", err)
		}
		fmt.Fprintf(os.Stderr, "warning: %v; recording anyway (--force)\n", err)
	}
	files, err := c.files()
	if err != nil {
		return fail("%v", err)
	}
	changed := 0
	for _, f := range files {
		res, err := conformance.Record(f, t)
		if err != nil {
			return fail("%v", err)
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(os.Stderr, "warning: %s\n", w)
		}
		if res.Changed {
			changed++
			fmt.Fprintf(out, "updated %s\n", f.Path)
			if !*dry {
				if err := conformance.WriteRecorded(*c.cases, res); err != nil {
					return fail("%v", err)
				}
			}
		}
	}
	fmt.Fprintf(out, "recorded %d files from Redis %s at %s: %d changed\n", len(files), version, t.Addr, changed)
	return 0
}

func cmdFuzz(args []string, out io.Writer) int {
	c := newCommon("fuzz", true)
	seed := c.fs.Int64("seed", 1, "random seed (same seed, same commands)")
	ops := c.fs.Int("ops", 1000, "number of commands to send")
	verbose := c.fs.Bool("v", false, "log progress to stderr")
	exclude := c.fs.String("exclude", "", "commands not to send, comma-separated (e.g. xadd,config)")
	skipUnknown := c.fs.Bool("skip-unknown", false, "leave out commands the target answers with 'unknown command' (listed in the report) instead of stopping there")
	if err := c.parse(args); err != nil {
		return 2
	}
	if *c.reference == "" {
		return fail("fuzz needs --reference HOST:PORT (a real Redis 7.0)")
	}
	files, err := c.files()
	if err != nil {
		return fail("%v", err)
	}
	cfg := &conformance.FuzzConfig{Target: c.target(*c.addr), Reference: c.target(*c.reference), Seed: *seed, Ops: *ops, Files: files}
	cfg.SkipUnknown = *skipUnknown
	if *exclude != "" {
		cfg.Exclude = strings.Split(*exclude, ",")
	}
	if *verbose {
		cfg.Log = os.Stderr
	}
	res, err := conformance.Fuzz(cfg)
	if err != nil {
		return fail("%v", err)
	}
	if *c.json {
		conformance.WriteJSON(out, res)
	} else {
		res.WriteText(out)
	}
	if res.Diff != nil {
		return 1
	}
	return 0
}

func cmdReplay(args []string, out io.Writer) int {
	c := newCommon("replay", true)
	monitor := c.fs.String("monitor", "", "file with redis-cli MONITOR output (- for stdin)")
	flush := c.fs.Bool("flushall", false, "empty both servers first (the capture started from an empty server)")
	maxDiffs := c.fs.Int("max-diffs", 50, "differences shown in full in the text report (0: all)")
	blockWait := c.fs.Duration("block-wait", 200*time.Millisecond, "how long a blocking command may wait before the replay moves on")
	if err := c.parse(args); err != nil {
		return 2
	}
	if *c.reference == "" || *monitor == "" {
		return fail("replay needs --monitor FILE and --reference HOST:PORT")
	}
	var in io.Reader = os.Stdin
	if *monitor != "-" {
		f, err := os.Open(*monitor)
		if err != nil {
			return fail("%v", err)
		}
		defer f.Close()
		in = f
	}
	entries, warns, err := conformance.ParseMonitor(in)
	if err != nil {
		return fail("%v", err)
	}
	for i, w := range warns {
		if i == 10 {
			fmt.Fprintf(os.Stderr, "warning: ... %d more unreadable lines\n", len(warns)-10)
			break
		}
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	rep, err := conformance.Replay(&conformance.ReplayConfig{Target: c.target(*c.addr), Reference: c.target(*c.reference),
		Entries: entries, FlushAll: *flush, BlockWait: *blockWait})
	if err != nil {
		return fail("%v", err)
	}
	if *c.json {
		conformance.WriteJSON(out, rep)
	} else {
		rep.WriteText(out, *maxDiffs)
	}
	if len(rep.Differences) > 0 {
		return 1
	}
	return 0
}
