package server

import (
	"errors"
	"net"
	"sync/atomic"
)

// guardListener wraps accepted connections in guardConn, which enforces
// Redis's protocol limits before redcon buffers anything: redcon would
// otherwise grow its buffer to whatever length a client announces.
type guardListener struct {
	net.Listener
	srv *Server
}

func (l *guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, srv: l.srv}, nil
}

const (
	inlineMax          = 64 << 10 // PROTO_INLINE_MAX_SIZE
	unauthMultibulkMax = 10
	unauthBulkMax      = 16384
	maxMultibulkCount  = 1<<31 - 1
	errProtocolPrefix  = "-ERR Protocol error: "
)

// Framing states; the zero value is the start of a command.
const (
	guardStart = iota
	guardMultibulkCount
	guardBulkStart
	guardBulkLen
	guardBulkBody
	guardInline
	guardPassthrough
)

var errProtocolLimit = errors.New("protocol limit exceeded")

// guardConn tracks RESP framing as bytes arrive. When a frame breaks a
// limit, it hands redcon only the bytes before that frame; the next Read
// writes Redis's error and fails, so earlier pipelined commands are still
// answered first. The unauthenticated limits are re-checked once the
// commands before the frame have run, so a pipelined AUTH counts.
type guardConn struct {
	net.Conn
	srv    *Server
	client atomic.Pointer[Client]

	state    int
	num      int64
	neg      bool
	digits   int
	lineLen  int
	argsLeft int64
	bodyLeft int64
	pending  string // error to send on the next Read
	// carry holds bytes read from the socket but held back from redcon
	// until the commands before them have run.
	carry []byte
}

func (g *guardConn) Read(p []byte) (int, error) {
	if g.pending != "" {
		_, _ = g.Conn.Write([]byte(errProtocolPrefix + g.pending + "\r\n"))
		return 0, errProtocolLimit
	}
	var n int
	var err error
	if len(g.carry) > 0 {
		n = copy(p, g.carry)
		g.carry = g.carry[n:]
	} else {
		n, err = g.Conn.Read(p)
	}
	if n == 0 {
		return 0, err
	}
	out, end, msg, unauth := g.feed(p[:n])
	if msg == "" {
		return end, err
	}
	if unauth && out > 0 {
		// Let the commands before this frame (maybe an AUTH) run, then
		// look at the frame again from its start.
		g.carry = append(append([]byte(nil), p[out:end]...), g.carry...)
		g.state = guardStart
		return out, nil
	}
	g.pending = msg
	if out == 0 {
		_, _ = g.Conn.Write([]byte(errProtocolPrefix + g.pending + "\r\n"))
		return 0, errProtocolLimit
	}
	return out, nil
}

func (g *guardConn) authenticated() bool {
	c := g.client.Load()
	return c == nil || c.Authenticated
}

func (g *guardConn) maxBulk() int64 {
	if n := g.srv.maxBulk.Load(); n > 0 {
		return n
	}
	return 512 << 20
}

// feed advances the framing state over p, in place: empty multibulk frames
// (*0, *-1), which Redis skips, are cut out of p. It returns how many bytes
// may be passed on (out), the end of the valid data in p after cutting, and
// if a limit was broken the error text and whether it is an
// unauthenticated-client limit.
func (g *guardConn) feed(p []byte) (out, end int, msg string, unauth bool) {
	frameStart := 0  // start of the current command in p
	started := false // the current command started in this p
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch g.state {
		case guardPassthrough:
			return len(p), len(p), "", false
		case guardStart:
			frameStart, started = i, true
			if c == '*' {
				g.state, g.num, g.neg, g.digits = guardMultibulkCount, 0, false, 0
			} else {
				g.state, g.lineLen = guardInline, 1
				if c == '\n' {
					g.state = guardStart
				}
			}
		case guardInline:
			if c == '\n' {
				g.state = guardStart
				continue
			}
			g.lineLen++
			if g.lineLen > inlineMax {
				return frameStart, len(p), "too big inline request", false
			}
		case guardMultibulkCount, guardBulkLen:
			bad := "invalid bulk length"
			if g.state == guardMultibulkCount {
				bad = "invalid multibulk length"
			}
			switch {
			case c == '-' && g.digits == 0 && !g.neg:
				g.neg = true
			case c >= '0' && c <= '9':
				// string2ll rules: no leading zeros, at most 18 digits here.
				if g.digits == 1 && g.num == 0 || g.digits >= 18 {
					return frameStart, len(p), bad, false
				}
				g.digits++
				g.num = g.num*10 + int64(c-'0')
			case c == '\r':
			case c == '\n':
				if g.digits == 0 {
					return frameStart, len(p), bad, false
				}
				n := g.num
				if g.neg {
					n = -n
				}
				if g.state == guardMultibulkCount {
					if n > maxMultibulkCount {
						return frameStart, len(p), bad, false
					}
					if n <= 0 && !started {
						// Its start was already handed on: redcon
						// rejects it (Redis would skip it); keep
						// checking what follows.
						g.state = guardStart
						continue
					}
					if n <= 0 {
						// An empty command: Redis ignores it.
						cut := i + 1 - frameStart
						copy(p[frameStart:], p[i+1:])
						p = p[:len(p)-cut]
						i = frameStart - 1
						g.state = guardStart
						continue
					}
					if n > unauthMultibulkMax && !g.authenticated() {
						return frameStart, len(p), "unauthenticated multibulk length", true
					}
					g.argsLeft = n
					g.state = guardBulkStart
					continue
				}
				if n < 0 || n > g.maxBulk() {
					return frameStart, len(p), bad, false
				}
				if n > unauthBulkMax && !g.authenticated() {
					return frameStart, len(p), "unauthenticated bulk length", true
				}
				g.bodyLeft = n + 2
				g.state = guardBulkBody
			default:
				return frameStart, len(p), bad, false
			}
		case guardBulkStart:
			if c != '$' {
				// redcon reports Redis's "expected '$', got 'x'".
				g.state = guardPassthrough
				continue
			}
			g.state, g.num, g.neg, g.digits = guardBulkLen, 0, false, 0
		case guardBulkBody:
			skip := int64(len(p) - i)
			if skip > g.bodyLeft {
				skip = g.bodyLeft
			}
			g.bodyLeft -= skip
			i += int(skip) - 1
			if g.bodyLeft == 0 {
				g.argsLeft--
				if g.argsLeft == 0 {
					g.state = guardStart
				} else {
					g.state = guardBulkStart
				}
			}
		}
	}
	return len(p), len(p), "", false
}
