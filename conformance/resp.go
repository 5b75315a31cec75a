// Package conformance checks that a server answers like Redis 7.0: it runs
// recorded case files (commands plus exact, RESP-typed expected replies)
// against a server, compares two servers side by side, fuzzes them
// differentially and replays captured MONITOR workloads.
//
// It talks RESP over its own raw connection (not a client library) so that
// every reply keeps its exact wire type: status vs bulk, null bulk vs null
// array, RESP3 maps, sets, doubles, booleans, big numbers and verbatim
// strings.
package conformance

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// Kind is the wire type of a reply.
type Kind byte

// Reply kinds. The values are the RESP type bytes where one exists.
const (
	KindStatus    Kind = '+'
	KindError     Kind = '-'
	KindInt       Kind = ':'
	KindBulk      Kind = '$'
	KindArray     Kind = '*'
	KindMap       Kind = '%'
	KindSet       Kind = '~'
	KindPush      Kind = '>'
	KindDouble    Kind = ','
	KindBool      Kind = '#'
	KindBigNum    Kind = '('
	KindVerbatim  Kind = '='
	KindNull      Kind = '_' // RESP3 null
	KindNullBulk  Kind = 'b' // RESP2 $-1
	KindNullArray Kind = 'a' // RESP2 *-1
)

// Name is a human name for the kind, used in messages.
func (k Kind) Name() string {
	switch k {
	case KindStatus:
		return "status"
	case KindError:
		return "error"
	case KindInt:
		return "integer"
	case KindBulk:
		return "bulk"
	case KindArray:
		return "array"
	case KindMap:
		return "map"
	case KindSet:
		return "set"
	case KindPush:
		return "push"
	case KindDouble:
		return "double"
	case KindBool:
		return "boolean"
	case KindBigNum:
		return "big number"
	case KindVerbatim:
		return "verbatim"
	case KindNull:
		return "null"
	case KindNullBulk:
		return "null bulk"
	case KindNullArray:
		return "null array"
	}
	return fmt.Sprintf("kind(%q)", byte(k))
}

// Aggregate reports whether the kind holds elements.
func (k Kind) Aggregate() bool {
	return k == KindArray || k == KindMap || k == KindSet || k == KindPush
}

// Value is one reply exactly as it came off the wire.
type Value struct {
	Kind Kind
	// Str holds status, error, bulk, double, big number and verbatim text
	// (without the "txt:" format, which is in Format).
	Str    string
	Format string // verbatim format ("txt", "mkd")
	Int    int64
	Bool   bool
	// Elems holds aggregate elements; a map holds key, value, key, value...
	Elems []Value
}

// Len is the element count of an aggregate as written on the wire (pairs for
// maps).
func (v Value) Len() int {
	if v.Kind == KindMap {
		return len(v.Elems) / 2
	}
	return len(v.Elems)
}

// Equal reports exact equality (types and order included).
func (v Value) Equal(o Value) bool {
	if v.Kind != o.Kind || v.Str != o.Str || v.Int != o.Int || v.Bool != o.Bool || v.Format != o.Format || len(v.Elems) != len(o.Elems) {
		return false
	}
	for i := range v.Elems {
		if !v.Elems[i].Equal(o.Elems[i]) {
			return false
		}
	}
	return true
}

// IsError reports whether v is an error reply.
func (v Value) IsError() bool { return v.Kind == KindError }

// String renders v on one line in case-file syntax (used in messages).
func (v Value) String() string { return FormatInline(v) }

// ErrProtocol reports a malformed reply.
var ErrProtocol = errors.New("protocol error")

// maxBulk bounds what we accept from a server (Redis's proto-max-bulk-len).
const maxBulk = 512 << 20

// Reader reads RESP2/RESP3 values.
type Reader struct {
	r *bufio.Reader
}

// NewReader wraps r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 64<<10)} }

func (r *Reader) line() (string, error) {
	s, err := r.r.ReadString('\n')
	if err != nil {
		if err == io.EOF && s != "" {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	if len(s) < 2 || s[len(s)-2] != '\r' {
		return "", fmt.Errorf("%w: line without CRLF: %q", ErrProtocol, s)
	}
	return s[:len(s)-2], nil
}

// Read reads one value. Attributes (|) are read and dropped.
func (r *Reader) Read() (Value, error) {
	ln, err := r.line()
	if err != nil {
		return Value{}, err
	}
	if ln == "" {
		return Value{}, fmt.Errorf("%w: empty line", ErrProtocol)
	}
	t, rest := ln[0], ln[1:]
	switch t {
	case '+':
		return Value{Kind: KindStatus, Str: rest}, nil
	case '-':
		return Value{Kind: KindError, Str: rest}, nil
	case ':':
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%w: bad integer %q", ErrProtocol, rest)
		}
		return Value{Kind: KindInt, Int: n}, nil
	case ',':
		return Value{Kind: KindDouble, Str: rest}, nil
	case '(':
		return Value{Kind: KindBigNum, Str: rest}, nil
	case '#':
		if rest != "t" && rest != "f" {
			return Value{}, fmt.Errorf("%w: bad boolean %q", ErrProtocol, rest)
		}
		return Value{Kind: KindBool, Bool: rest == "t"}, nil
	case '_':
		return Value{Kind: KindNull}, nil
	case '$', '=', '!':
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || n < -1 || n > maxBulk {
			return Value{}, fmt.Errorf("%w: bad length %q", ErrProtocol, rest)
		}
		if n == -1 {
			if t != '$' {
				return Value{}, fmt.Errorf("%w: null %c", ErrProtocol, t)
			}
			return Value{Kind: KindNullBulk}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r.r, buf); err != nil {
			return Value{}, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Value{}, fmt.Errorf("%w: bulk without CRLF", ErrProtocol)
		}
		s := string(buf[:n])
		switch t {
		case '!': // RESP3 blob error
			return Value{Kind: KindError, Str: s}, nil
		case '=':
			if len(s) < 4 || s[3] != ':' {
				return Value{}, fmt.Errorf("%w: bad verbatim %q", ErrProtocol, s)
			}
			return Value{Kind: KindVerbatim, Format: s[:3], Str: s[4:]}, nil
		}
		return Value{Kind: KindBulk, Str: s}, nil
	case '*', '%', '~', '>', '|':
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || n < -1 || n > 1<<24 {
			return Value{}, fmt.Errorf("%w: bad count %q", ErrProtocol, rest)
		}
		if n == -1 {
			if t != '*' {
				return Value{}, fmt.Errorf("%w: null %c", ErrProtocol, t)
			}
			return Value{Kind: KindNullArray}, nil
		}
		cnt := n
		if t == '%' || t == '|' {
			cnt *= 2
		}
		elems := make([]Value, 0, cnt)
		for i := int64(0); i < cnt; i++ {
			e, err := r.Read()
			if err != nil {
				return Value{}, err
			}
			elems = append(elems, e)
		}
		if t == '|' { // attribute: metadata for the next value, dropped
			return r.Read()
		}
		return Value{Kind: Kind(t), Elems: elems}, nil
	}
	return Value{}, fmt.Errorf("%w: unknown type byte %q", ErrProtocol, t)
}

// AppendCommand appends args as a RESP array of bulk strings.
func AppendCommand(dst []byte, args []string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// AppendValue appends v in wire form (used by test servers and proxies).
func AppendValue(dst []byte, v Value) []byte {
	line := func(t byte, s string) {
		dst = append(dst, t)
		dst = append(dst, s...)
		dst = append(dst, '\r', '\n')
	}
	switch v.Kind {
	case KindStatus, KindError, KindDouble, KindBigNum:
		line(byte(v.Kind), v.Str)
	case KindInt:
		line(':', strconv.FormatInt(v.Int, 10))
	case KindBool:
		if v.Bool {
			line('#', "t")
		} else {
			line('#', "f")
		}
	case KindNull:
		line('_', "")
	case KindNullBulk:
		line('$', "-1")
	case KindNullArray:
		line('*', "-1")
	case KindBulk:
		line('$', strconv.Itoa(len(v.Str)))
		dst = append(dst, v.Str...)
		dst = append(dst, '\r', '\n')
	case KindVerbatim:
		s := v.Format + ":" + v.Str
		line('=', strconv.Itoa(len(s)))
		dst = append(dst, s...)
		dst = append(dst, '\r', '\n')
	case KindArray, KindSet, KindPush, KindMap:
		line(byte(v.Kind), strconv.Itoa(v.Len()))
		for _, e := range v.Elems {
			dst = AppendValue(dst, e)
		}
	}
	return dst
}

// Conn is a raw RESP connection.
type Conn struct {
	Addr    string
	Timeout time.Duration // per reply; 0 means 10s
	nc      net.Conn
	rd      *Reader
	buf     []byte
}

// DialTimeout bounds connecting.
const DialTimeout = 5 * time.Second

// Dial connects to addr (HOST:PORT or a unix socket path).
func Dial(addr string) (*Conn, error) {
	network := "tcp"
	if len(addr) > 0 && addr[0] == '/' {
		network = "unix"
	}
	nc, err := net.DialTimeout(network, addr, DialTimeout)
	if err != nil {
		return nil, err
	}
	return &Conn{Addr: addr, nc: nc, rd: NewReader(nc)}, nil
}

func (c *Conn) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 10 * time.Second
}

// Send writes one command without reading its reply.
func (c *Conn) Send(args ...string) error {
	c.buf = AppendCommand(c.buf[:0], args)
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.timeout()))
	_, err := c.nc.Write(c.buf)
	return err
}

// SendMany pipelines several commands in one write.
func (c *Conn) SendMany(cmds [][]string) error {
	c.buf = c.buf[:0]
	for _, a := range cmds {
		c.buf = AppendCommand(c.buf, a)
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.timeout()))
	_, err := c.nc.Write(c.buf)
	return err
}

// Receive reads one reply.
func (c *Conn) Receive() (Value, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.timeout()))
	return c.rd.Read()
}

// ReceiveWithin reads one reply waiting at most d.
func (c *Conn) ReceiveWithin(d time.Duration) (Value, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	return c.rd.Read()
}

// Do sends one command and reads its reply.
func (c *Conn) Do(args ...string) (Value, error) {
	if err := c.Send(args...); err != nil {
		return Value{}, err
	}
	return c.Receive()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }
