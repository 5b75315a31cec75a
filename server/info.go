package server

import (
	"bytes"
	"io"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process and server statistics for INFO, and the server cron that samples
// them (instantaneous rates, memory peak) and closes idle clients
// (timeout), as Redis's serverCron/clientsCron do.

// statsSamples is STATS_METRIC_SAMPLES: rates average the last 16 samples
// taken every 100 ms.
const statsSamples = 16

type rate struct {
	samples [statsSamples]float64
	idx     int
	lastT   time.Time
	lastV   int64
}

func (r *rate) track(now time.Time, v int64) {
	if !r.lastT.IsZero() {
		dt := now.Sub(r.lastT).Seconds()
		if dt > 0 {
			r.samples[r.idx] = float64(v-r.lastV) / dt
			r.idx = (r.idx + 1) % statsSamples
		}
	}
	r.lastT, r.lastV = now, v
}

func (r *rate) value() float64 {
	var sum float64
	for _, s := range r.samples {
		sum += s
	}
	return sum / statsSamples
}

func (r *rate) reset() { r.samples = [statsSamples]float64{} }

// serverMetrics is the cron's per-server state.
type serverMetrics struct {
	mu        sync.Mutex
	ops       rate
	in, out   rate
	peak      int64
	startMem  int64
	replID    string
	cronStart sync.Once
}

var metricsBySrv sync.Map // *Server → *serverMetrics

func (s *Server) metrics() *serverMetrics {
	if m, ok := metricsBySrv.Load(s); ok {
		return m.(*serverMetrics)
	}
	m, _ := metricsBySrv.LoadOrStore(s, &serverMetrics{replID: newRunID()})
	return m.(*serverMetrics)
}

// StartCron starts the server's background cron (idempotent); it stops
// when the server shuts down.
func (s *Server) StartCron() {
	m := s.metrics()
	m.cronStart.Do(func() {
		m.mu.Lock()
		m.startMem = s.UsedMemory()
		m.peak = m.startMem
		m.mu.Unlock()
		go s.cron(m)
	})
}

func (s *Server) cron(m *serverMetrics) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	defer metricsBySrv.Delete(s)
	for n := 0; ; n++ {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			m.mu.Lock()
			m.ops.track(now, s.Stats.CommandsProcessed.Load())
			m.in.track(now, s.Stats.NetInputBytes.Load())
			m.out.track(now, s.Stats.NetOutputBytes.Load()+s.pubsub.OutputBytes())
			m.mu.Unlock()
			if n%10 == 0 {
				s.notePeak(s.UsedMemory())
				s.closeIdleClients(now)
			}
		}
	}
}

// InstantaneousOps returns instantaneous_ops_per_sec.
func (s *Server) InstantaneousOps() int64 {
	m := s.metrics()
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(m.ops.value())
}

// InstantaneousKbps returns instantaneous_input_kbps and _output_kbps.
func (s *Server) InstantaneousKbps() (in, out float64) {
	m := s.metrics()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.in.value() / 1024, m.out.value() / 1024
}

// ReplID returns the server's replication id (master_replid).
func (s *Server) ReplID() string { return s.metrics().replID }

func (s *Server) notePeak(used int64) int64 {
	m := s.metrics()
	m.mu.Lock()
	defer m.mu.Unlock()
	if used > m.peak {
		m.peak = used
	}
	return m.peak
}

// MemoryPeak returns used_memory_peak, counting used as a new sample.
func (s *Server) MemoryPeak(used int64) int64 { return s.notePeak(used) }

// MemoryStartup returns the memory used when the server started serving.
func (s *Server) MemoryStartup() int64 {
	m := s.metrics()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.startMem
}

// ResetStats zeroes the server's counters and sampled rates (CONFIG
// RESETSTAT). The memory peak restarts from the current usage.
func (s *Server) ResetStats() {
	s.Stats.CommandsProcessed.Store(0)
	s.Stats.ConnectionsReceived.Store(0)
	s.Stats.RejectedConnections.Store(0)
	s.Stats.NetInputBytes.Store(0)
	s.Stats.NetOutputBytes.Store(0)
	s.Stats.ErrorReplies.Store(0)
	m := s.metrics()
	m.mu.Lock()
	m.ops.reset()
	m.in.reset()
	m.out.reset()
	m.peak = 0
	m.mu.Unlock()
}

var (
	heapMu      sync.Mutex
	heapMetrics = []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
)

func readHeap() (objects, unused, total, released int64) {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapMetrics)
	v := func(i int) int64 {
		if heapMetrics[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(heapMetrics[i].Value.Uint64())
	}
	return v(0), v(1), v(2), v(3)
}

// GoHeapBytes returns the bytes of live (and not yet swept) Go heap
// objects; the hot tier lives there. runtime/metrics does not stop the
// world, unlike runtime.ReadMemStats.
func GoHeapBytes() int64 {
	objects, _, _, _ := readHeap()
	return objects
}

// AllocatorStats returns INFO's allocator_allocated, _active and _resident
// for the Go runtime: heap objects, heap spans in use, and memory mapped
// by the runtime and not returned to the OS.
func AllocatorStats() (allocated, active, resident int64) {
	objects, unused, total, released := readHeap()
	return objects, objects + unused, total - released
}

// UsedMemory is INFO used_memory: the Go heap (which holds the hot tier
// and every client buffer) plus Pebble's manually allocated block cache
// and memtables, which live outside the Go heap.
func (s *Server) UsedMemory() int64 {
	used := GoHeapBytes()
	if s.Engine != nil {
		st := s.Engine.Store().Stats()
		used += st.BlockCacheBytes + int64(st.MemTableBytes)
	}
	return used
}

// RSSBytes returns the process's resident set size (used_memory_rss),
// from /proc/self/statm.
func RSSBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// TotalSystemMemory returns the machine's memory (total_system_memory).
func TotalSystemMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "MemTotal:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// CPUUsage returns the process's system and user CPU seconds
// (used_cpu_sys, used_cpu_user) and its children's.
func CPUUsage() (sys, user, childSys, childUser time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		sys, user = tvDur(ru.Stime), tvDur(ru.Utime)
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		childSys, childUser = tvDur(ru.Stime), tvDur(ru.Utime)
	}
	return
}

func tvDur(tv syscall.Timeval) time.Duration {
	return time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond
}

// FormatCPU renders a CPU time as Redis does ("%ld.%06ld").
func FormatCPU(d time.Duration) string {
	us := d.Microseconds()
	frac := strconv.FormatInt(us%1e6, 10)
	return strconv.FormatInt(us/1e6, 10) + "." + strings.Repeat("0", 6-len(frac)) + frac
}

// BytesToHuman formats n as Redis's bytesToHuman ("894.82K", "1.00G").
func BytesToHuman(n int64) string {
	if n < 0 {
		return "-" + BytesToHuman(-n)
	}
	units := []string{"K", "M", "G", "T", "P"}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	d := float64(n) / 1024
	for _, u := range units {
		if d < 1024 || u == "P" {
			return strconv.FormatFloat(d, 'f', 2, 64) + u
		}
		d /= 1024
	}
	return strconv.FormatInt(n, 10) + "B"
}

// ---------------------------------------------------------------------------
// Client state used by CLIENT, INFO and the cron.

// ClientFlagHooks let other layers add CLIENT LIST flag letters for a
// client: "x" in MULTI, "b" blocked, "d" dirty CAS, ... Clients flagged
// "b" are exempt from the idle timeout, as in Redis.
var ClientFlagHooks []func(c *Client) string

// Flags returns c's CLIENT LIST flags ("N" when none).
func (c *Client) Flags() string {
	sub, psub, ssub, _ := c.pubsubInfo()
	return c.flagString(sub+psub+ssub > 0)
}

func (c *Client) flagString(pubsub bool) string {
	var b []byte
	if pubsub {
		b = append(b, 'P')
	}
	for _, h := range ClientFlagHooks {
		b = append(b, h(c)...)
	}
	if c.noEvict.Load() {
		b = append(b, 'e')
	}
	if len(b) == 0 {
		return "N"
	}
	return string(b)
}

// IsPubSub reports whether c has subscriptions (CLIENT LIST TYPE pubsub).
func (c *Client) IsPubSub() bool { return c.PubSubCount() > 0 }

// SetNoEvict sets CLIENT NO-EVICT.
func (c *Client) SetNoEvict(on bool) { c.noEvict.Store(on) }

// IdleSeconds returns how long c has been idle (CLIENT LIST idle=).
func (c *Client) IdleSeconds(now time.Time) int64 {
	return (now.UnixMilli() - c.lastUse.Load()) / 1000
}

// ReplyMode values for CLIENT REPLY.
const (
	ReplyOn = iota
	ReplyOff
	ReplySkip
)

// SetReplyMode implements CLIENT REPLY ON|OFF|SKIP. SKIP drops the reply
// of the next command only; CLIENT REPLY SKIP itself is never answered.
func (c *Client) SetReplyMode(mode int) {
	switch mode {
	case ReplyOn:
		c.replyOff, c.replySkip = false, false
	case ReplyOff:
		c.replyOff = true
	case ReplySkip:
		if !c.replyOff {
			c.replySkipNext = true
		}
	}
}

// applyReplyMode drops the reply just produced when CLIENT REPLY says so
// and moves the SKIP state on by one command (called after each command).
func (c *Client) applyReplyMode() {
	if c.replyOff || c.replySkip || c.replySkipNext {
		c.Reply.Buf = c.Reply.Buf[:0]
	}
	c.replySkip = false
	if c.replySkipNext {
		c.replySkipNext = false
		c.replySkip = true
	}
}

// closeIdleClients closes clients idle for longer than timeout seconds,
// except subscribers and blocked clients (Redis's clientsCronHandleTimeout).
func (s *Server) closeIdleClients(now time.Time) {
	timeout := s.Config.Int("timeout")
	if timeout <= 0 {
		return
	}
	for _, c := range s.Clients() {
		if c.Closing() || c.IdleSeconds(now) <= timeout {
			continue
		}
		if f := c.Flags(); strings.ContainsAny(f, "Pb") {
			continue
		}
		c.Kill()
	}
}

// ---------------------------------------------------------------------------
// loglevel

// logLevels maps Redis's log line markers to loglevel ranks.
var logLevels = map[byte]int{'.': 0, '-': 1, '*': 2, '#': 3}

// levelWriter drops log lines below the configured loglevel. Lines carry
// Redis's level marker after the timestamp ("# warning", "* notice",
// "- verbose", ". debug"); unmarked lines always pass.
type levelWriter struct {
	w   io.Writer
	cfg interface{ Get(string) string }
}

// FilterLogLevel makes s.Logger honour loglevel (CONFIG SET loglevel
// applies to the next line).
func (s *Server) FilterLogLevel() {
	if _, ok := s.Logger.Writer().(*levelWriter); ok {
		return
	}
	s.Logger.SetOutput(&levelWriter{w: s.Logger.Writer(), cfg: s.Config})
}

func (l *levelWriter) Write(p []byte) (int, error) {
	min := 2
	switch l.cfg.Get("loglevel") {
	case "debug":
		min = 0
	case "verbose":
		min = 1
	case "warning":
		min = 3
	}
	// The marker follows the prefix and timestamp, within the first bytes.
	for i := 0; i+2 < len(p) && i < 64; i++ {
		if p[i] == ' ' && p[i+2] == ' ' {
			if lv, ok := logLevels[p[i+1]]; ok {
				if lv < min {
					return len(p), nil
				}
				break
			}
		}
	}
	return l.w.Write(p)
}
