package commands

import (
	"strconv"

	"github.com/shaledb/shale/server"
)

// Keyspace notifications (notify-keyspace-events). A command that modifies
// a key calls Notify with the event's class and name, as Redis's
// notifyKeyspaceEvent; the events are published on
// __keyspace@<db>__:<key> and __keyevent@<db>__:<event> once the command's
// writes are committed, never for a write that failed.

// NotifyClass is an event class: the flag letters of notify-keyspace-events.
type NotifyClass uint32

const (
	NotifyKeyspace NotifyClass = 1 << iota // K
	NotifyKeyevent                         // E
	NotifyGeneric                          // g: DEL, EXPIRE, RENAME, ...
	NotifyString                           // $
	NotifyList                             // l
	NotifySet                              // s
	NotifyHash                             // h
	NotifyZSet                             // z
	NotifyExpired                          // x
	NotifyEvicted                          // e
	NotifyStream                           // t
	NotifyKeyMiss                          // m
	NotifyModule                           // d
	NotifyNew                              // n
	// NotifyAll is what 'A' stands for.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZSet | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// ParseNotifyFlags reads a notify-keyspace-events value.
func ParseNotifyFlags(s string) (NotifyClass, bool) {
	var f NotifyClass
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			f |= NotifyAll
		case 'g':
			f |= NotifyGeneric
		case '$':
			f |= NotifyString
		case 'l':
			f |= NotifyList
		case 's':
			f |= NotifySet
		case 'h':
			f |= NotifyHash
		case 'z':
			f |= NotifyZSet
		case 'x':
			f |= NotifyExpired
		case 'e':
			f |= NotifyEvicted
		case 'K':
			f |= NotifyKeyspace
		case 'E':
			f |= NotifyKeyevent
		case 't':
			f |= NotifyStream
		case 'm':
			f |= NotifyKeyMiss
		case 'd':
			f |= NotifyModule
		case 'n':
			f |= NotifyNew
		default:
			return 0, false
		}
	}
	return f, true
}

// keyEvent is a notification waiting for its command's commit.
type keyEvent struct {
	event string
	db    int
	key   []byte
	at    int // length of the reply buffer when it was raised
}

// Notify records a keyspace event for key in the client's database, to be
// published after the command commits. With notifications off (the
// default) it costs one atomic load.
//
// Call it where Redis calls notifyKeyspaceEvent relative to the reply
// (most commands notify before replying, GETDEL and GETEX after): a RESP3
// client subscribed to its own events gets them at that point of its
// output, as from Redis.
func Notify(c *Ctx, class NotifyClass, event string, key []byte) {
	if NotifyClass(c.Srv.PubSub().NotifyFlags())&class != 0 { // small enough to inline
		c.addNote(class, event, key, c.DB)
	}
}

// NotifyDB is Notify for a key of another database (MOVE, COPY ... DB).
func NotifyDB(c *Ctx, class NotifyClass, event string, key []byte, db int) {
	if NotifyClass(c.Srv.PubSub().NotifyFlags())&class != 0 {
		c.addNote(class, event, key, db)
	}
}

// NotifyAt is Notify for an event Redis raises before part of the reply
// already written: at is the length the reply buffer had at that point.
func NotifyAt(c *Ctx, class NotifyClass, event string, key []byte, at int) {
	if NotifyClass(c.Srv.PubSub().NotifyFlags())&class != 0 {
		c.addNote(class, event, key, c.DB)
		c.notes[len(c.notes)-1].at = at
	}
}

// NotifyOn reports whether events of class are published, for commands
// that need extra work (an existence check) only to raise them.
func NotifyOn(c *Ctx, class NotifyClass) bool {
	f := NotifyClass(c.Srv.PubSub().NotifyFlags())
	return f&class != 0 && f&(NotifyKeyspace|NotifyKeyevent) != 0
}

// NotifyIfRemoved raises the generic "del" event if key no longer exists:
// a collection command removed its last element, so Redis deleted the key.
func NotifyIfRemoved(c *Ctx, key []byte) {
	if !NotifyOn(c, NotifyGeneric) {
		return
	}
	if ok, err := c.Tx.Exists(key); err == nil && !ok {
		c.addNote(NotifyGeneric, "del", key, c.DB)
	}
}

// keyExists reports whether key exists, only when events of class are
// published (it answers true otherwise, without a lookup).
func keyExists(c *Ctx, class NotifyClass, key []byte) bool {
	if !NotifyOn(c, class) {
		return true
	}
	ok, err := c.Tx.Exists(key)
	return err == nil && ok
}

func (c *Ctx) addNote(class NotifyClass, event string, key []byte, db int) {
	if NotifyClass(c.Srv.PubSub().NotifyFlags())&(NotifyKeyspace|NotifyKeyevent) == 0 {
		return
	}
	// The key may alias buffers reused before the commit: keep a copy.
	c.notes = append(c.notes, keyEvent{event: event, db: db, key: append([]byte(nil), key...), at: len(c.R.Buf)})
}

// flushNotify publishes the events of a committed command whose reply
// starts at mark in the reply buffer. Redis publishes during the command,
// so the events a RESP3 client receives about its own writes are spliced
// into its reply where they were raised.
func (c *Ctx) flushNotify(mark int) {
	r := c.R
	tail := append([]byte(nil), r.Buf[mark:]...)
	r.Buf = r.Buf[:mark]
	done := 0 // bytes of tail copied back
	for _, e := range c.notes {
		if at := min(max(e.at-mark, done), len(tail)); at > done {
			r.Buf = append(r.Buf, tail[done:at]...)
			done = at
		}
		publishKeyEvent(c.Srv, c.Client, e.event, e.key, e.db)
	}
	r.Buf = append(r.Buf, tail[done:]...)
	c.notes = nil
}

// publishKeyEvent publishes one event on the channels the flags ask for.
func publishKeyEvent(s *server.Server, from *server.Client, event string, key []byte, db int) {
	ps := s.PubSub()
	f := NotifyClass(ps.NotifyFlags())
	var buf [64]byte
	ch := buf[:0]
	if f&NotifyKeyspace != 0 {
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		ps.Publish(from, ch, []byte(event))
	}
	if f&NotifyKeyevent != 0 {
		ch = append(ch[:0], "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		ps.Publish(from, ch, key)
	}
}

// attachNotify follows notify-keyspace-events and publishes the expired
// events of active expiry.
func attachNotify(s *server.Server) {
	ps := s.PubSub()
	apply := func(v string) error {
		f, _ := ParseNotifyFlags(v)
		ps.SetNotifyFlags(uint32(f))
		return nil
	}
	_ = apply(s.Config.Get("notify-keyspace-events"))
	s.Config.Watch("notify-keyspace-events", apply)
	eng := s.Engine
	prev := eng.OnExpired
	eng.OnExpired = func(db int, key []byte) {
		if prev != nil {
			prev(db, key)
		}
		if NotifyClass(ps.NotifyFlags())&NotifyExpired != 0 {
			publishKeyEvent(s, nil, "expired", key, db)
		}
	}
}
