package server

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shaledb/shale/engine"
	"github.com/tidwall/redcon"
)

// Client is one connection's state. It is owned by the connection's
// goroutine; the fields other goroutines read (CLIENT LIST, CLIENT KILL) are
// guarded by mu or atomic.
type Client struct {
	ID   int64
	srv  *Server
	conn redcon.Conn

	// Owned by the connection goroutine.
	DB            int
	Authenticated bool
	Reply         Reply
	Tx            engine.Tx
	Guard         engine.Guard
	// KeyBuf is scratch space for a command's key list.
	KeyBuf [][]byte
	// PipelineMore is set while more commands of the same pipeline are
	// already read and waiting: the command layer may then keep a batch
	// of simple writes open across them (commands/batch.go).
	PipelineMore bool
	// Batching is set while the command layer keeps a pipeline batch open
	// (its Tx and key locks); BatchCommands counts its commands.
	Batching      bool
	BatchCommands int
	// Ctx is the command layer's reusable per-client context.
	Ctx any
	// Multi is the transaction (MULTI/WATCH) state of the command layer.
	Multi any
	// State is free for higher layers (MULTI queue, subscriptions, ...).
	State any

	Addr      string
	LocalAddr string
	Created   time.Time

	// Pub/sub state (pubsub.go): subscriptions, and the output queue every
	// write goes through once the client subscribed.
	subs atomic.Pointer[clientSubs]
	out  atomic.Pointer[outQueue]

	mu       sync.Mutex
	name     string
	lastCmd  atomic.Pointer[string]
	lib      string
	libVer   string
	proto    atomic.Int32
	dbShared atomic.Int32
	lastUse  atomic.Int64 // unix ms
	closing  atomic.Bool
	monitor  atomic.Bool

	// CLIENT REPLY state (owned by the connection goroutine) and CLIENT
	// NO-EVICT (info.go).
	replyOff, replySkip, replySkipNext bool
	noEvict                            atomic.Bool
}

// Server returns the server the client is connected to.
func (c *Client) Server() *Server { return c.srv }

// Proto returns the client's protocol version (2 or 3).
func (c *Client) Proto() int { return int(c.proto.Load()) }

// SetProto switches the protocol (HELLO).
func (c *Client) SetProto(p int) {
	c.proto.Store(int32(p))
	c.Reply.Proto = p
}

// SelectDB switches the selected database.
func (c *Client) SelectDB(db int) {
	c.DB = db
	c.dbShared.Store(int32(db))
}

// Name returns the client name (CLIENT SETNAME).
func (c *Client) Name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// SetName sets the client name.
func (c *Client) SetName(n string) {
	c.mu.Lock()
	c.name = n
	c.mu.Unlock()
}

// SetLibInfo records CLIENT SETINFO values.
func (c *Client) SetLibInfo(lib, ver string) {
	c.mu.Lock()
	if lib != "" {
		c.lib = lib
	}
	if ver != "" {
		c.libVer = ver
	}
	c.mu.Unlock()
}

// NoteCommand records the command being run (CLIENT LIST cmd=) at nowMs.
// name must be a stable string (the command table's), so storing its
// address costs no allocation.
func (c *Client) NoteCommand(name *string, nowMs int64) {
	c.lastCmd.Store(name)
	c.lastUse.Store(nowMs)
}

// Close closes the connection after the pending reply is flushed (QUIT).
func (c *Client) Close() {
	c.closing.Store(true)
}

// Closing reports whether the client is being closed.
func (c *Client) Closing() bool { return c.closing.Load() }

// Kill closes the connection from any goroutine (CLIENT KILL).
func (c *Client) Kill() {
	c.closing.Store(true)
	if nc := c.conn.NetConn(); nc != nil {
		_ = nc.Close()
	}
}

// Info renders the client as a CLIENT LIST / CLIENT INFO line.
func (c *Client) Info() string {
	c.mu.Lock()
	name, lib, libVer := c.name, c.lib, c.libVer
	c.mu.Unlock()
	cmd := "NULL"
	if p := c.lastCmd.Load(); p != nil {
		cmd = *p
	}
	now := time.Now()
	age := int64(now.Sub(c.Created) / time.Second)
	idle := (now.UnixMilli() - c.lastUse.Load()) / 1000
	var b strings.Builder
	b.WriteString("id=")
	b.WriteString(strconv.FormatInt(c.ID, 10))
	b.WriteString(" addr=" + c.Addr + " laddr=" + c.LocalAddr)
	b.WriteString(" fd=" + strconv.FormatInt(c.ID+7, 10))
	b.WriteString(" name=" + name)
	b.WriteString(" age=" + strconv.FormatInt(age, 10))
	b.WriteString(" idle=" + strconv.FormatInt(idle, 10))
	sub, psub, ssub, omem := c.pubsubInfo()
	b.WriteString(" flags=" + c.flagString(sub+psub+ssub > 0) + " db=" + strconv.Itoa(int(c.dbShared.Load())))
	b.WriteString(" sub=" + strconv.Itoa(sub) + " psub=" + strconv.Itoa(psub) + " ssub=" + strconv.Itoa(ssub))
	b.WriteString(" multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=" + strconv.FormatInt(omem, 10) + " tot-mem=0 events=r")
	b.WriteString(" cmd=" + cmd)
	b.WriteString(" user=default redir=-1 resp=" + strconv.Itoa(c.Proto()))
	if lib != "" || libVer != "" {
		b.WriteString(" lib-name=" + lib + " lib-ver=" + libVer)
	}
	return b.String()
}

func localAddr(conn redcon.Conn) string {
	if nc := conn.NetConn(); nc != nil {
		if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
			return a.String()
		}
		return nc.LocalAddr().String()
	}
	return ""
}
