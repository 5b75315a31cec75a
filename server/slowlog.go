package server

import (
	"strconv"
	"sync"
	"time"
)

// SlowlogEntry is one SLOWLOG GET entry.
type SlowlogEntry struct {
	ID         int64
	Time       int64 // unix seconds
	Micros     int64
	Args       []string
	ClientAddr string
	ClientName string
}

// Slowlog keeps the slowest commands, newest first, as Redis does.
type Slowlog struct {
	mu      sync.Mutex
	entries []SlowlogEntry // newest first
	nextID  int64
}

const (
	slowlogMaxArgs   = 32  // SLOWLOG_ENTRY_MAX_ARGC
	slowlogMaxString = 128 // SLOWLOG_ENTRY_MAX_STRING
)

// Add records a command that took d, trimming the log to maxLen entries.
// Arguments are shortened exactly as Redis shortens them.
func (l *Slowlog) Add(c *Client, args [][]byte, d time.Duration, maxLen int64) {
	n := len(args)
	if n > slowlogMaxArgs {
		n = slowlogMaxArgs
	}
	out := make([]string, n)
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgs-1 && len(args) > slowlogMaxArgs {
			out[i] = "... (" + strconv.Itoa(len(args)-slowlogMaxArgs+1) + " more arguments)"
			break
		}
		a := args[i]
		if len(a) > slowlogMaxString {
			out[i] = string(a[:slowlogMaxString]) + "... (" + strconv.Itoa(len(a)-slowlogMaxString) + " more bytes)"
		} else {
			out[i] = string(a)
		}
	}
	e := SlowlogEntry{Time: time.Now().Unix(), Micros: d.Microseconds(), Args: out}
	if c != nil {
		e.ClientAddr, e.ClientName = c.Addr, c.Name()
	}
	l.mu.Lock()
	e.ID = l.nextID
	l.nextID++
	l.entries = append([]SlowlogEntry{e}, l.entries...)
	if maxLen >= 0 && int64(len(l.entries)) > maxLen {
		l.entries = l.entries[:maxLen]
	}
	l.mu.Unlock()
}

// Get returns up to count newest entries (count < 0: all).
func (l *Slowlog) Get(count int64) []SlowlogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int64(len(l.entries))
	if count >= 0 && count < n {
		n = count
	}
	return append([]SlowlogEntry(nil), l.entries[:n]...)
}

// Len returns the number of entries.
func (l *Slowlog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Reset empties the log.
func (l *Slowlog) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}
