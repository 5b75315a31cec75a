// Command shale-server is Shale: a Redis-compatible server that keeps its
// data on disk in Pebble.
//
//	shale-server [/path/to/shale.conf] [--port 6380 --dir ./data ...]
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"syscall"

	"github.com/shaledb/shale/commands"
	"github.com/shaledb/shale/config"
	"github.com/shaledb/shale/server"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Printf("Shale server v=%s (Redis %s compatible)\n", server.ShaleVersion, server.Version)
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help") {
		fmt.Println("Usage: shale-server [/path/to/shale.conf] [--option value ...]")
		return
	}
	cfg, err := config.Load(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// SHALE_PPROF=127.0.0.1:6060 exposes net/http/pprof for profiling.
	if addr := os.Getenv("SHALE_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
	os.Exit(run(cfg))
}

func run(cfg *config.Config) int {
	var out io.Writer = os.Stdout
	if lf := cfg.Get("logfile"); lf != "" {
		f, err := os.OpenFile(lf, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Can't open the log file: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	logger := log.New(out, fmt.Sprintf("%d:M ", os.Getpid()), log.LstdFlags|log.Lmicroseconds)

	srv, err := server.Open(cfg, commands.Dispatch, logger)
	if err != nil {
		logger.Printf("# %v", err)
		return 1
	}
	commands.Attach(srv)
	if err := srv.Listen(); err != nil {
		logger.Printf("# Failed listening on port %s (tcp): %v", cfg.Get("port"), err)
		srv.Shutdown()
		return 1
	}
	logger.Printf("* Shale %s (Redis %s compatible) ready to accept connections tcp on %s, data in %s", server.ShaleVersion, server.Version, srv.Addr(), cfg.Get("dir"))

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sigs
		logger.Printf("# Received %s, scheduling shutdown...", s)
		srv.Shutdown()
	}()
	if err := srv.Serve(); err != nil {
		logger.Printf("# %v", err)
	}
	srv.Shutdown()
	<-srv.Done()
	logger.Printf("# Shale is now ready to exit, bye bye...")
	return 0
}
