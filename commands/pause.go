package commands

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaledb/shale/server"
)

// CLIENT PAUSE / UNPAUSE as Redis 7.0: while a pause lasts, every command
// (ALL) or every command that writes or may replicate (WRITE) waits before
// it runs, MULTI queueing included, and EXEC of a transaction that queued
// such a command. A new pause only ever extends the end time and makes the
// mode stricter; UNPAUSE ends it at once (in ALL mode UNPAUSE itself waits,
// as in Redis).

const (
	pauseNone = iota
	pauseWrite
	pauseAll
)

type pauseState struct {
	mu   sync.Mutex
	mode int
	end  time.Time
	wake chan struct{} // closed whenever the pause changes
}

var (
	pauseStates sync.Map // *server.Server -> *pauseState
	// pausesActive counts servers with a pause set, so the hook costs one
	// atomic load when nothing is paused.
	pausesActive atomic.Int32
)

func pauseOf(s *server.Server) *pauseState {
	if ps, ok := pauseStates.Load(s); ok {
		return ps.(*pauseState)
	}
	ps, _ := pauseStates.LoadOrStore(s, &pauseState{wake: make(chan struct{})})
	return ps.(*pauseState)
}

// set applies a pause (mode pauseNone: unpause) and wakes the waiters so
// they look again.
func (ps *pauseState) set(mode int, end time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	was := ps.mode != pauseNone
	if mode == pauseNone {
		ps.mode = pauseNone
	} else {
		ps.mode = max(ps.mode, mode)
		if end.After(ps.end) || !was {
			ps.end = end
		}
	}
	switch now := ps.mode != pauseNone; {
	case now && !was:
		pausesActive.Add(1)
	case !now && was:
		pausesActive.Add(-1)
	}
	close(ps.wake)
	ps.wake = make(chan struct{})
}

// pausedFor reports whether cmd must wait now, and until what (or until
// wake is closed).
func (ps *pauseState) pausedFor(write bool) (bool, time.Time, <-chan struct{}) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.mode == pauseNone {
		return false, time.Time{}, nil
	}
	if !time.Now().Before(ps.end) {
		ps.mode = pauseNone
		pausesActive.Add(-1)
		return false, time.Time{}, nil
	}
	if ps.mode == pauseWrite && !write {
		return false, time.Time{}, nil
	}
	return true, ps.end, ps.wake
}

// pauseHook holds a command while the server is paused for it. It runs
// before MULTI queueing (multi.go registers it first), as Redis checks the
// pause before queueing.
func pauseHook(c *server.Client, cmd *Command, _ [][]byte) bool {
	if pausesActive.Load() == 0 {
		return false
	}
	srv := c.Server()
	ps := pauseOf(srv)
	write := cmd.Flags&(Write|MayReplicate) != 0 || (cmd.Name == "exec" && queuedMayWrite(c))
	for {
		paused, end, wake := ps.pausedFor(write)
		if !paused {
			return false
		}
		// A pipeline batch commits first: its key locks must not be held
		// while this client waits.
		flushBatch(c)
		t := time.NewTimer(time.Until(end))
		select {
		case <-wake:
		case <-t.C:
		case <-srv.Done():
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// clientPause is CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE.
func clientPause(c *Ctx) {
	ps := pauseOf(c.Srv)
	if strings.EqualFold(string(c.Args[1]), "unpause") {
		ps.set(pauseNone, time.Time{})
		c.R.OK()
		return
	}
	if len(c.Args) > 4 {
		c.R.Error("ERR unknown subcommand or wrong number of arguments for '" + trunc(string(c.Args[1])) + "'. Try CLIENT HELP.")
		return
	}
	ms, ok := ParseInt(c.Args[2])
	if !ok {
		c.R.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.R.Error("ERR timeout is negative")
		return
	}
	mode := pauseAll
	if len(c.Args) == 4 {
		switch {
		case EqualFold(c.Args[3], "write"):
			mode = pauseWrite
		case EqualFold(c.Args[3], "all"):
		default:
			c.R.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	// At most ~34 years: a larger timeout would overflow a Duration.
	ps.set(mode, time.Now().Add(time.Duration(min(ms, 1<<40))*time.Millisecond))
	c.R.OK()
}
