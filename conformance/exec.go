package conformance

import (
	"fmt"
	"time"
)

// Target is a server under test.
type Target struct {
	Addr string
	// Auth, when set, is sent on every new connection (e.g. {"AUTH", "pw"}).
	Auth []string
	// Timeout bounds each reply (default 10s).
	Timeout time.Duration
	// Flush, when set, empties the server instead of sending FLUSHALL
	// before each case (in-process servers that lack FLUSHALL).
	Flush func() error
}

// Dial opens an (authenticated) connection.
func (t *Target) Dial() (*Conn, error) {
	c, err := Dial(t.Addr)
	if err != nil {
		return nil, err
	}
	c.Timeout = t.Timeout
	if len(t.Auth) > 0 {
		v, err := c.Do(t.Auth...)
		if err != nil {
			c.Close()
			return nil, err
		}
		if v.IsError() {
			c.Close()
			return nil, fmt.Errorf("%s: %s", t.Auth[0], v.Str)
		}
	}
	return c, nil
}

// Reset brings the server to the clean state every case starts from:
// FLUSHALL, SELECT 0, HELLO 2 on the given connection.
func Reset(c *Conn) error { return reset(c, nil) }

// Reset cleans the server through c, with t.Flush when set.
func (t *Target) Reset(c *Conn) error { return reset(c, t.Flush) }

func reset(c *Conn, flush func() error) error {
	cmds := [][]string{{"FLUSHALL"}, {"SELECT", "0"}, {"HELLO", "2"}}
	if flush != nil {
		if err := flush(); err != nil {
			return fmt.Errorf("flush: %v", err)
		}
		cmds = cmds[1:]
	}
	for _, cmd := range cmds {
		v, err := c.Do(cmd...)
		if err != nil {
			return fmt.Errorf("%s: %v", cmd[0], err)
		}
		if v.IsError() {
			return fmt.Errorf("%s: %s", cmd[0], v.Str)
		}
	}
	return nil
}

// Reply is what one command got: a value, or a connection error.
type Reply struct {
	Value Value
	Err   error
}

// String renders the reply for messages.
func (r Reply) String() string {
	if r.Err != nil {
		return "(connection error: " + r.Err.Error() + ")"
	}
	return FormatInline(r.Value)
}

// Lines renders the reply as case-file lines.
func (r Reply) Lines() []string {
	if r.Err != nil {
		return []string{r.String()}
	}
	return FormatValue(r.Value, Ordered)
}

type session struct {
	conn    *Conn
	pending []*Op
	dead    error
}

// ExecCase runs the case's steps on t from a clean state. visit is called
// for every command's reply in the order replies are read; returning false
// stops the case. The error is a setup failure (connect, FLUSHALL...).
func (t *Target) ExecCase(c *Case, visit func(op *Op, r Reply) bool) error {
	sessions := map[string]*session{}
	var order []*session
	defer func() {
		for _, s := range order {
			if s.conn != nil {
				s.conn.Close()
			}
		}
	}()
	open := func(name string) (*session, error) {
		conn, err := t.Dial()
		if err != nil {
			return nil, err
		}
		s := &session{conn: conn}
		sessions[name] = s
		order = append(order, s)
		return s, nil
	}
	main, err := open("main")
	if err != nil {
		return fmt.Errorf("connect %s: %v", t.Addr, err)
	}
	if err := reset(main.conn, t.Flush); err != nil {
		return err
	}
	receive := func(s *session) Reply {
		if s.dead != nil {
			return Reply{Err: s.dead}
		}
		v, err := s.conn.Receive()
		if err != nil {
			s.dead = err
			return Reply{Err: err}
		}
		return Reply{Value: v}
	}
	drain := func(s *session) bool {
		for len(s.pending) > 0 {
			op := s.pending[0]
			s.pending = s.pending[1:]
			if !visit(op, receive(s)) {
				return false
			}
		}
		return true
	}
	cur := main
	for _, op := range c.Ops {
		switch op.Kind {
		case OpSleep:
			time.Sleep(op.Dur)
		case OpConn:
			s := sessions[op.Conn]
			if s == nil {
				if s, err = open(op.Conn); err != nil {
					return fmt.Errorf("line %d: connect: %v", op.Line, err)
				}
			}
			cur = s
		case OpReconnect:
			if !drain(cur) {
				return nil
			}
			cur.conn.Close()
			conn, err := t.Dial()
			if err != nil {
				return fmt.Errorf("line %d: reconnect: %v", op.Line, err)
			}
			cur.conn, cur.dead = conn, nil
		case OpCommand, OpSend:
			if op.Kind == OpCommand && !drain(cur) {
				return nil
			}
			if cur.dead == nil {
				if err := cur.conn.Send(op.Args...); err != nil {
					cur.dead = err
				}
			}
			if op.Kind == OpSend {
				cur.pending = append(cur.pending, op)
				continue
			}
			if !visit(op, receive(cur)) {
				return nil
			}
		}
	}
	for _, s := range order {
		if !drain(s) {
			return nil
		}
	}
	return nil
}
