// Command shale-rdb moves data between Redis RDB files and Shale data
// directories, offline (the server must not be running on DIR):
//
//	shale-rdb import dump.rdb --dir DATA   load an RDB into a new data directory
//	shale-rdb export --dir DATA -o dump.rdb   write a data directory as RDB 10
//	                                          (LZF-compressed unless --no-compress)
//	shale-rdb verify dump.rdb               print what a file holds
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/shaledb/shale/rdb"
	"github.com/shaledb/shale/tools"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  shale-rdb import FILE.rdb --dir DATA [--databases 16] [--sort-memory MB] [--quiet]
  shale-rdb export --dir DATA -o FILE.rdb [--databases 16] [--rdb-version 10] [--no-compress] [--no-checksum]
  shale-rdb verify FILE.rdb`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "import":
		err = runImport(os.Args[2:], os.Stdout, os.Stderr)
	case "export":
		err = runExport(os.Args[2:], os.Stdout)
	case "verify":
		err = runVerify(os.Args[2:], os.Stdout)
	case "-h", "--help", "help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shale-rdb:", err)
		os.Exit(1)
	}
}

// parse accepts flags before and after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runImport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	dir := fs.String("dir", "", "target Shale data directory (new or empty)")
	dbs := fs.Int("databases", 16, "number of databases")
	quiet := fs.Bool("quiet", false, "no progress bar")
	sortMB := fs.Int("sort-memory", 64, "memory for one sort run, in MB (two runs are held at once)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *dir == "" {
		return fmt.Errorf("import needs one RDB file and --dir")
	}
	fi, err := os.Stat(pos[0])
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	opt := tools.ImportOptions{BulkMemory: *sortMB << 20}
	// The sort's arenas are most of the heap and live long; the default
	// GOGC would let garbage grow to their size again.
	debug.SetGCPercent(50)
	if !*quiet {
		bar = progressbar.NewOptions64(fi.Size(), progressbar.OptionSetWriter(stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("importing"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
		opt.Progress = func(off int64) { bar.Set64(off) }
	}
	st, err := tools.ImportDir(pos[0], *dir, *dbs, opt)
	if bar != nil && err == nil {
		bar.Finish()
	}
	if err != nil {
		if st != nil {
			return fmt.Errorf("%w\nnothing was imported: %s is unchanged", err, *dir)
		}
		return err
	}
	fmt.Fprintf(stdout, "imported %d keys (%d elements) from %s (RDB %d, %d bytes) into %s in %s (%.1f MB/s)\n",
		st.TotalKeys(), st.Elements, pos[0], st.Version, st.Bytes, *dir, st.Duration.Round(time.Millisecond),
		float64(st.Bytes)/1e6/max(st.Duration.Seconds(), 1e-9))
	for k, n := range st.Keys {
		if n > 0 {
			fmt.Fprintf(stdout, "  %-7s %d\n", rdb.Kind(k), n)
		}
	}
	if b := st.Bulk; b.Tables > 0 {
		fmt.Fprintf(stdout, "  sorted %d records (%.0f MB) in %d runs, merged %d key ranges into %d tables and ingested them in %s\n",
			b.Records, float64(b.Bytes)/(1<<20), b.Runs, b.Partitions, b.Tables, b.Finish.Round(time.Millisecond))
	}
	if st.Expired > 0 {
		fmt.Fprintf(stdout, "  skipped %d keys already expired\n", st.Expired)
	}
	if st.Empty > 0 {
		fmt.Fprintf(stdout, "  skipped %d empty collections\n", st.Empty)
	}
	if st.Streams > 0 {
		fmt.Fprintf(stdout, "  WARNING: skipped %d stream keys (streams are not supported by this Shale build yet)\n", st.Streams)
	}
	if st.FieldTTLsLost > 0 {
		fmt.Fprintf(stdout, "  WARNING: %d hash fields had a per-field TTL (Redis 7.4); imported without it\n", st.FieldTTLsLost)
	}
	if st.Functions > 0 {
		fmt.Fprintf(stdout, "  function libraries: %d\n", st.Functions)
	}
	return nil
}

func runExport(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	dir := fs.String("dir", "", "Shale data directory (server stopped)")
	out := fs.String("o", "dump.rdb", "output RDB file")
	dbs := fs.Int("databases", 16, "number of databases")
	ver := fs.Int("rdb-version", rdb.DefaultVersion, "RDB version to write (10 = Redis 7.0)")
	noCompress := fs.Bool("no-compress", false, "do not LZF-compress strings (as rdbcompression no)")
	noChecksum := fs.Bool("no-checksum", false, "write a zero checksum (as rdbchecksum no)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *dir == "" {
		return fmt.Errorf("export needs --dir and -o")
	}
	if *ver < 7 || *ver > rdb.MaxVersion {
		return fmt.Errorf("--rdb-version must be between 7 and %d", rdb.MaxVersion)
	}
	st, err := tools.ExportDir(*dir, *out, *dbs, tools.ExportOptions{Version: *ver, Compress: !*noCompress, NoChecksum: *noChecksum})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d keys (%d with TTL) to %s (RDB %d, %d bytes) in %s\n",
		st.TotalKeys(), st.Expires, *out, *ver, st.Bytes, st.Duration.Round(time.Millisecond))
	for k, n := range st.Keys {
		if n > 0 {
			fmt.Fprintf(stdout, "  %-7s %d\n", rdb.Kind(k), n)
		}
	}
	if st.Functions > 0 {
		fmt.Fprintf(stdout, "  function libraries: %d\n", st.Functions)
	}
	return nil
}

func runVerify(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("verify needs one RDB file")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := tools.Verify(f, 0)
	if err != nil {
		return err
	}
	rep.Format(stdout)
	fmt.Fprintln(stdout, "OK: checksum and structure valid")
	return nil
}
