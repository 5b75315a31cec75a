// Package fakeredis is a tiny RESP server for testing the conformance
// tools without a real Redis: a handful of string commands over an
// in-memory map, with a hook to plant a wrong reply, and a proxy mode that
// forwards to a real server while rewriting chosen replies.
package fakeredis

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shaledb/shale/conformance"
)

// Bug rewrites a reply: it gets the command and the correct reply.
type Bug func(args []string, reply conformance.Value) conformance.Value

// Server is a running fake.
type Server struct {
	Addr string
	ln   net.Listener
	mu   sync.Mutex
	dbs  [16]map[string]string
	bug  Bug
	// backend, when set, makes the server a proxy to that address.
	backend string
	wg      sync.WaitGroup
	conns   map[net.Conn]bool
}

// Start starts an in-memory fake on 127.0.0.1; bug may be nil.
func Start(t testing.TB, bug Bug) *Server {
	return start(t, bug, "")
}

// Proxy starts a proxy to backend that passes bug every reply.
func Proxy(t testing.TB, backend string, bug Bug) *Server {
	return start(t, bug, backend)
}

func start(t testing.TB, bug Bug, backend string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, bug: bug, backend: backend, conns: map[net.Conn]bool{}}
	for i := range s.dbs {
		s.dbs[i] = map[string]string{}
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and its connections.
func (s *Server) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	var backend *conformance.Conn
	if s.backend != "" {
		b, err := conformance.Dial(s.backend)
		if err != nil {
			return
		}
		defer b.Close()
		backend = b
	}
	rd := conformance.NewReader(c)
	db := 0
	var out []byte
	for {
		v, err := rd.Read()
		if err != nil || v.Kind != conformance.KindArray {
			return
		}
		args := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			args[i] = e.Str
		}
		var reply conformance.Value
		quit := false
		if backend != nil {
			reply, err = backend.Do(args...)
			if err != nil {
				return
			}
		} else {
			reply, quit = s.exec(&db, args)
		}
		if s.bug != nil {
			reply = s.bug(args, reply)
		}
		out = conformance.AppendValue(out[:0], reply)
		if _, err := c.Write(out); err != nil || quit {
			return
		}
	}
}

func status(s string) conformance.Value {
	return conformance.Value{Kind: conformance.KindStatus, Str: s}
}
func errv(s string) conformance.Value { return conformance.Value{Kind: conformance.KindError, Str: s} }
func intv(n int64) conformance.Value  { return conformance.Value{Kind: conformance.KindInt, Int: n} }
func bulk(s string) conformance.Value { return conformance.Value{Kind: conformance.KindBulk, Str: s} }

var nilBulk = conformance.Value{Kind: conformance.KindNullBulk}

// arity of the commands the fake knows (Redis conventions).
var arity = map[string]int{
	"ping": -1, "flushall": -1, "select": 2, "hello": -1, "command": -2, "quit": -1,
	"set": 3, "get": 2, "del": -2, "incr": 2, "append": 3, "strlen": 2, "exists": -2,
}

func (s *Server) exec(db *int, args []string) (conformance.Value, bool) {
	name := strings.ToLower(args[0])
	a, ok := arity[name]
	if !ok {
		return errv("ERR unknown command '" + args[0] + "'"), false
	}
	if a > 0 && len(args) != a || a < 0 && len(args) < -a {
		return errv("ERR wrong number of arguments for '" + name + "' command"), false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.dbs[*db]
	switch name {
	case "ping":
		return status("PONG"), false
	case "quit":
		return status("OK"), true
	case "flushall":
		for i := range s.dbs {
			s.dbs[i] = map[string]string{}
		}
		return status("OK"), false
	case "select":
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 || n >= len(s.dbs) {
			return errv("ERR DB index is out of range"), false
		}
		*db = n
		return status("OK"), false
	case "hello":
		return conformance.Value{Kind: conformance.KindArray, Elems: []conformance.Value{bulk("server"), bulk("fake"), bulk("proto"), intv(2)}}, false
	case "command":
		// COMMAND GETKEYS <cmd> <args>: the key is the first argument,
		// every argument for DEL and EXISTS.
		if !strings.EqualFold(args[1], "getkeys") || len(args) < 4 {
			return errv("ERR syntax error"), false
		}
		sub := strings.ToLower(args[2])
		if _, ok := arity[sub]; !ok || sub == "ping" || sub == "flushall" || sub == "select" || sub == "hello" || sub == "command" || sub == "quit" {
			return errv("ERR The command has no key arguments"), false
		}
		keys := []conformance.Value{bulk(args[3])}
		if sub == "del" || sub == "exists" {
			keys = keys[:0]
			for _, k := range args[3:] {
				keys = append(keys, bulk(k))
			}
		}
		return conformance.Value{Kind: conformance.KindArray, Elems: keys}, false
	case "set":
		m[args[1]] = args[2]
		return status("OK"), false
	case "get":
		v, ok := m[args[1]]
		if !ok {
			return nilBulk, false
		}
		return bulk(v), false
	case "del", "exists":
		n := int64(0)
		for _, k := range args[1:] {
			if _, ok := m[k]; ok {
				n++
				if name == "del" {
					delete(m, k)
				}
			}
		}
		return intv(n), false
	case "incr":
		v, ok := m[args[1]]
		if !ok {
			v = "0"
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != v {
			return errv("ERR value is not an integer or out of range"), false
		}
		n++
		m[args[1]] = strconv.FormatInt(n, 10)
		return intv(n), false
	case "append":
		m[args[1]] += args[2]
		return intv(int64(len(m[args[1]]))), false
	case "strlen":
		return intv(int64(len(m[args[1]]))), false
	}
	return errv("ERR unknown command"), false
}
