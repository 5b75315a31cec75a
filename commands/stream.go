package commands

import (
	"strconv"

	"github.com/shaledb/shale/engine"
	"github.com/shaledb/shale/server"
)

// Stream commands. The data-type logic (IDs, trimming, groups, PEL, lag) is
// in engine/stream.go; this file parses arguments, checks in Redis 7.0's
// order and formats replies.
//
// XREAD/XREADGROUP BLOCK: the blocking machinery belongs to another layer;
// until it lands a BLOCK is accepted and parsed, served synchronously when
// data is available and otherwise answered with the null array (what a
// timed-out BLOCK replies).

func init() {
	const sw = CatWrite | CatStream
	const sr = CatRead | CatStream
	k1 := func(c *Command) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = 1, 1, 1, "stream"
		return c
	}
	k2 := func(c *Command) *Command {
		c.FirstKey, c.LastKey, c.Step, c.Group = 2, 2, 1, "stream"
		return c
	}
	Register(
		k1(&Command{Name: "xadd", Arity: -5, Flags: Write | DenyOOM | Fast, Categories: sw | CatFast, KeySpecs: []KeySpec{{Notes: "UPDATE instead of INSERT because of the optional trimming feature", Flags: []string{"RW", "update"}, Index: 1, Find: FindRange, KeyStep: 1}}, Handler: xadd, Summary: "Appends a new entry to a stream", Since: "5.0.0", Complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", Tips: []string{"nondeterministic_output"}}),
		k1(&Command{Name: "xlen", Arity: 2, Flags: Readonly | Fast, Categories: sr | CatFast, KeySpecs: []KeySpec{RangeSpec("RO", 1, 0, 1)}, Handler: xlen, Summary: "Return the number of entries in a stream", Since: "5.0.0", Complexity: "O(1)"}),
		k1(&Command{Name: "xrange", Arity: -4, Flags: Readonly, Categories: sr | CatSlow, Handler: xrange, Summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval", Since: "5.0.0", Complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1)."}),
		k1(&Command{Name: "xrevrange", Arity: -4, Flags: Readonly, Categories: sr | CatSlow, Handler: xrevrange, Summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", Since: "5.0.0", Complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1)."}),
		k1(&Command{Name: "xdel", Arity: -3, Flags: Write | Fast, Categories: sw | CatFast, KeySpecs: []KeySpec{RangeSpec("RW delete", 1, 0, 1)}, Handler: xdel, Summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", Since: "5.0.0", Complexity: "O(1) for each single item to delete in the stream, regardless of the stream size."}),
		k1(&Command{Name: "xtrim", Arity: -4, Flags: Write, Categories: sw | CatSlow, KeySpecs: []KeySpec{RangeSpec("RW delete", 1, 0, 1)}, Handler: xtrim, Summary: "Trims the stream to (approximately if '~' is passed) a certain size", Since: "5.0.0", Complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", Tips: []string{"nondeterministic_output"}}),
		k1(&Command{Name: "xsetid", Arity: -3, Flags: Write | DenyOOM | Fast, Categories: sw | CatFast, Handler: xsetid, Summary: "An internal command for replicating stream values", Since: "5.0.0", Complexity: "O(1)"}),
		&Command{Name: "xread", Arity: -4, Flags: Readonly | Blocking | MovableKeys, Categories: sr | CatSlow | CatBlocking, Keys: xreadKeys, KeySpecs: []KeySpec{xreadSpec(1)}, Handler: xread, Group: "stream", Summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", Since: "5.0.0", Complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data."},
		&Command{Name: "xreadgroup", Arity: -7, Flags: Write | Blocking | MovableKeys, Categories: sw | CatSlow | CatBlocking, Keys: xreadKeys, KeySpecs: []KeySpec{xreadSpec(4)}, Handler: xreadgroup, Group: "stream", Summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", Since: "5.0.0", Complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data."},
		k1(&Command{Name: "xack", Arity: -4, Flags: Write | Fast, Categories: sw | CatFast, Handler: xack, Summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", Since: "5.0.0", Complexity: "O(1) for each message ID processed."}),
		k1(&Command{Name: "xpending", Arity: -3, Flags: Readonly, Categories: sr | CatSlow, Handler: xpending, Summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", Since: "5.0.0", Complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", Tips: []string{"nondeterministic_output"}}),
		k1(&Command{Name: "xclaim", Arity: -6, Flags: Write | Fast, Categories: sw | CatFast, Handler: xclaim, Summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", Since: "5.0.0", Complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.", Tips: []string{"nondeterministic_output"}}),
		k1(&Command{Name: "xautoclaim", Arity: -6, Flags: Write | Fast, Categories: sw | CatFast, KeySpecs: []KeySpec{RangeSpec("RW delete", 1, 0, 1)}, Handler: xautoclaim, Summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", Since: "6.2.0", Complexity: "O(1) if COUNT is small.", Tips: []string{"nondeterministic_output"}}),
		&Command{Name: "xgroup", Arity: -2, Categories: CatSlow, Group: "stream", Summary: "A container for consumer groups commands", Since: "5.0.0", Complexity: "Depends on subcommand."},
		k2(&Command{Name: "xgroup|create", Arity: -5, Flags: Write | DenyOOM, Categories: sw | CatSlow, KeySpecs: []KeySpec{RangeSpec("RW insert", 2, 0, 1)}, Handler: xgroupCreate, Summary: "Create a consumer group.", Since: "5.0.0", Complexity: "O(1)"}),
		k2(&Command{Name: "xgroup|setid", Arity: -5, Flags: Write, Categories: sw | CatSlow, Handler: xgroupSetid, Summary: "Set a consumer group to an arbitrary last delivered ID value.", Since: "5.0.0", Complexity: "O(1)"}),
		k2(&Command{Name: "xgroup|destroy", Arity: 4, Flags: Write, Categories: sw | CatSlow, KeySpecs: []KeySpec{RangeSpec("RW delete", 2, 0, 1)}, Handler: xgroupDestroy, Summary: "Destroy a consumer group.", Since: "5.0.0", Complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL)."}),
		k2(&Command{Name: "xgroup|createconsumer", Arity: 5, Flags: Write | DenyOOM, Categories: sw | CatSlow, KeySpecs: []KeySpec{RangeSpec("RW insert", 2, 0, 1)}, Handler: xgroupCreateConsumer, Summary: "Create a consumer in a consumer group.", Since: "6.2.0", Complexity: "O(1)"}),
		k2(&Command{Name: "xgroup|delconsumer", Arity: 5, Flags: Write, Categories: sw | CatSlow, KeySpecs: []KeySpec{RangeSpec("RW delete", 2, 0, 1)}, Handler: xgroupDelConsumer, Summary: "Delete a consumer from a consumer group.", Since: "5.0.0", Complexity: "O(1)"}),
		&Command{Name: "xgroup|help", Arity: 2, Flags: Loading | Stale, Categories: CatStream | CatSlow, Handler: xgroupHelp, Group: "stream", Summary: "Show helpful text about the different subcommands", Since: "5.0.0", Complexity: "O(1)"},
		&Command{Name: "xinfo", Arity: -2, Categories: CatSlow, Group: "stream", Summary: "A container for stream introspection commands", Since: "5.0.0", Complexity: "Depends on subcommand."},
		k2(&Command{Name: "xinfo|stream", Arity: -3, Flags: Readonly, Categories: sr | CatSlow, Handler: xinfoStream, Summary: "Get information about a stream", Since: "5.0.0", Complexity: "O(1)"}),
		k2(&Command{Name: "xinfo|groups", Arity: 3, Flags: Readonly, Categories: sr | CatSlow, Handler: xinfoGroups, Summary: "List the consumer groups of a stream", Since: "5.0.0", Complexity: "O(1)"}),
		k2(&Command{Name: "xinfo|consumers", Arity: 4, Flags: Readonly, Categories: sr | CatSlow, Handler: xinfoConsumers, Summary: "List the consumers in a consumer group", Since: "5.0.0", Complexity: "O(1)", Tips: []string{"nondeterministic_output"}}),
		&Command{Name: "xinfo|help", Arity: 2, Flags: Loading | Stale, Categories: CatStream | CatSlow, Handler: xinfoHelp, Group: "stream", Summary: "Show helpful text about the different subcommands", Since: "5.0.0", Complexity: "O(1)"},
	)
}

// Error texts.
const (
	errStreamID      = "ERR Invalid stream ID specified as stream command argument"
	errStreamIDZero  = "ERR The ID specified in XADD must be greater than 0-0"
	errStreamStartIv = "ERR invalid start ID for the interval"
	errStreamEndIv   = "ERR invalid end ID for the interval"
)

// xreadSpec is XREAD/XREADGROUP's key spec: the first half of what follows
// STREAMS (Redis 7.0 flags both RO access).
func xreadSpec(startFrom int) KeySpec {
	ks := KeywordSpec("RO access", "STREAMS", startFrom, -1, 1)
	ks.Limit = 2
	return ks
}

// xreadKeys returns the keys after STREAMS (the first half of what follows).
func xreadKeys(args [][]byte) [][]byte {
	for i := 1; i < len(args); i++ {
		if EqualFold(args[i], "STREAMS") {
			rest := args[i+1:]
			if len(rest)%2 != 0 {
				return nil
			}
			return rest[:len(rest)/2]
		}
		// Skip option values so a key named "streams" is not mistaken.
		if (EqualFold(args[i], "COUNT") || EqualFold(args[i], "BLOCK")) && i+1 < len(args) {
			i++
		} else if EqualFold(args[i], "GROUP") && i+2 < len(args) {
			i += 2
		}
	}
	return nil
}

// parseU64 is Redis's string2ull for ID parts: string2ll, else strtoull
// (leading white space and a sign allowed, a negative value wraps).
func parseU64(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if n, ok := ParseInt(b); ok {
		if n < 0 {
			return 0, false
		}
		return uint64(n), true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	for _, ch := range b[i:] {
		if ch < '0' || ch > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(string(b[i:]), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseStreamID is streamGenericParseIDOrReply: "-" and "+" unless strict,
// "ms" (seq = missingSeq) or "ms-seq"; with seqAuto non-nil also "ms-*".
func parseStreamID(b []byte, missingSeq uint64, strict bool, seqAuto *bool) (engine.StreamID, bool) {
	if len(b) > 127 {
		return engine.StreamID{}, false
	}
	if len(b) == 1 && !strict {
		switch b[0] {
		case '-':
			return engine.StreamID{}, true
		case '+':
			return engine.MaxStreamID, true
		}
	}
	dot := -1
	for i, ch := range b {
		if ch == '-' {
			dot = i
			break
		}
	}
	if dot < 0 {
		ms, ok := parseU64(b)
		return engine.StreamID{Ms: ms, Seq: missingSeq}, ok
	}
	ms, ok := parseU64(b[:dot])
	if !ok {
		return engine.StreamID{}, false
	}
	rest := b[dot+1:]
	if seqAuto != nil && len(rest) == 1 && rest[0] == '*' {
		*seqAuto = true
		return engine.StreamID{Ms: ms}, true
	}
	seq, ok := parseU64(rest)
	return engine.StreamID{Ms: ms, Seq: seq}, ok
}

// strictID parses an ID without "-"/"+", replying on error.
func (c *Ctx) strictID(b []byte) (engine.StreamID, bool) {
	id, ok := parseStreamID(b, 0, true, nil)
	if !ok {
		c.R.Error(errStreamID)
	}
	return id, ok
}

// intervalID parses an XRANGE/XPENDING bound ("(" = exclusive).
func (c *Ctx) intervalID(b []byte, missingSeq uint64, isStart bool) (engine.StreamID, bool) {
	ex := len(b) > 1 && b[0] == '('
	if ex {
		b = b[1:]
	}
	id, ok := parseStreamID(b, missingSeq, ex, nil) // "(" takes a strict ID
	if !ok {
		c.R.Error(errStreamID)
		return id, false
	}
	if ex {
		if isStart {
			if id, ok = id.Incr(); !ok {
				c.R.Error(errStreamStartIv)
			}
		} else if id, ok = id.Decr(); !ok {
			c.R.Error(errStreamEndIv)
		}
	}
	return id, ok
}

// streamCStr is an argument as Redis's "%s" formats it into an error: cut at the
// first NUL, newlines turned into spaces.
func streamCStr(b []byte) string {
	for i, ch := range b {
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	out := []byte(string(b))
	for i, ch := range out {
		if ch == '\r' || ch == '\n' {
			out[i] = ' '
		}
	}
	return string(out)
}

func (c *Ctx) idReply(id engine.StreamID) {
	var tmp [48]byte
	c.R.Bulk(id.Append(tmp[:0]))
}

func (c *Ctx) entryReply(id engine.StreamID, fields [][]byte) {
	c.R.Array(2)
	c.idReply(id)
	c.R.Array(len(fields))
	for _, f := range fields {
		c.R.Bulk(f)
	}
}

// openStream opens key as a stream, replying WRONGTYPE/storage errors.
func (c *Ctx) openStream(key []byte) (*engine.Stream, bool) {
	s, err := c.Tx.OpenStream(key)
	if err != nil {
		c.Err(err)
		return nil, false
	}
	return s, true
}

// parseTrim is streamParseAddOrTrimArgsOrReply from i on; it returns the
// index where it stopped (xadd: the ID argument) or -1 after an error.
func (c *Ctx) parseTrim(i int, xadd bool, t *engine.TrimArgs, spec *engine.IDSpec, nomk *bool) int {
	args := c.Args
	limitGiven := false
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			spec.Auto = true
			goto done
		case EqualFold(opt, "MAXLEN") && more > 0, EqualFold(opt, "MINID") && more > 0:
			if t.Strategy != engine.TrimNone {
				c.R.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			t.Approx = false
			next := args[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				t.Approx = next[0] == '~'
				i++
			}
			if EqualFold(opt, "MAXLEN") {
				n, ok := c.ParseIntArg(args[i+1])
				if !ok {
					return -1
				}
				if n < 0 {
					c.R.Error("ERR The MAXLEN argument must be >= 0.")
					return -1
				}
				t.MaxLen = n
				t.Strategy = engine.TrimMaxLen
			} else {
				id, ok := c.strictID(args[i+1])
				if !ok {
					return -1
				}
				t.MinID = id
				t.Strategy = engine.TrimMinID
			}
			i++
		case EqualFold(opt, "LIMIT") && more > 0:
			n, ok := c.ParseIntArg(args[i+1])
			if !ok {
				return -1
			}
			if n < 0 {
				c.R.Error("ERR The LIMIT argument must be >= 0.")
				return -1
			}
			t.Limit = n
			limitGiven = true
			i++
		case xadd && EqualFold(opt, "NOMKSTREAM"):
			*nomk = true
		case xadd:
			id, ok := parseStreamID(opt, 0, true, &spec.SeqAuto)
			if !ok {
				c.R.Error(errStreamID)
				return -1
			}
			spec.ID = id
			goto done
		default:
			c.R.Error(ErrSyntax)
			return -1
		}
	}
done:
	if t.Limit != 0 && t.Strategy == engine.TrimNone {
		c.R.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return -1
	}
	if !xadd && t.Strategy == engine.TrimNone {
		c.R.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return -1
	}
	if limitGiven && !t.Approx {
		c.R.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
		return -1
	}
	t.LimitGiven = limitGiven
	return i
}

func xadd(c *Ctx) {
	var t engine.TrimArgs
	var spec engine.IDSpec
	nomk := false
	i := c.parseTrim(2, true, &t, &spec, &nomk)
	if i < 0 {
		return
	}
	fields := c.Args[i+1:]
	if len(fields) < 2 || len(fields)%2 != 0 {
		c.WrongArity()
		return
	}
	if !spec.Auto && !spec.SeqAuto && spec.ID.IsZero() {
		c.R.Error(errStreamIDZero)
		return
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if !s.Exists() {
		if nomk {
			c.R.Null()
			return
		}
		s.Create()
	}
	id, err := s.Add(spec, fields)
	if err != nil {
		c.Err(err)
		return
	}
	trimmed := int64(0)
	if t.Strategy != engine.TrimNone {
		if trimmed, err = s.Trim(t); err != nil {
			c.Err(err)
			return
		}
	}
	if err := s.Save(); err != nil {
		c.Err(err)
		return
	}
	c.idReply(id)
	Notify(c, NotifyStream, "xadd", c.Args[1])
	if trimmed > 0 {
		Notify(c, NotifyStream, "xtrim", c.Args[1])
	}
}

func xlen(c *Ctx) {
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	c.R.Int(int64(s.Len()))
}

func xrange(c *Ctx)    { xrangeGeneric(c, false) }
func xrevrange(c *Ctx) { xrangeGeneric(c, true) }

func xrangeGeneric(c *Ctx, rev bool) {
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := c.intervalID(startArg, 0, true)
	if !ok {
		return
	}
	end, ok := c.intervalID(endArg, ^uint64(0), false)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if EqualFold(c.Args[j], "COUNT") && j+1 < len(c.Args) {
			n, ok := c.ParseIntArg(c.Args[j+1])
			if !ok {
				return
			}
			if n < 0 {
				n = 0
			}
			count = n
			j++
		} else {
			c.R.Error(ErrSyntax)
			return
		}
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if !s.Exists() {
		c.R.Array(0)
		return
	}
	if count == 0 {
		c.R.NullArray()
		return
	}
	if count < 0 {
		count = 0
	}
	c.rangeReply(s, start, end, count, rev)
}

// rangeReply writes the entries of a range as an array.
func (c *Ctx) rangeReply(s *engine.Stream, start, end engine.StreamID, count int64, rev bool) {
	mark := len(c.R.Buf)
	n := 0
	err := s.Range(start, end, count, rev, func(id engine.StreamID, fields [][]byte) error {
		c.entryReply(id, fields)
		n++
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(mark, hdrArray, n)
}

func xdel(c *Ctx) {
	// Redis looks the key up (0 when missing) before parsing the IDs.
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if !s.Exists() {
		c.R.Int(0)
		return
	}
	ids := make([]engine.StreamID, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		id, ok := c.strictID(a)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	n, err := s.Delete(ids)
	if err == nil && n > 0 {
		err = s.Save()
	}
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
	if n > 0 {
		Notify(c, NotifyStream, "xdel", c.Args[1])
	}
}

func xtrim(c *Ctx) {
	var t engine.TrimArgs
	if c.parseTrim(2, false, &t, nil, nil) < 0 {
		return
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if !s.Exists() {
		c.R.Int(0)
		return
	}
	n, err := s.Trim(t)
	if err == nil && n > 0 {
		err = s.Save()
	}
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
	if n > 0 {
		Notify(c, NotifyStream, "xtrim", c.Args[1])
	}
}

func xsetid(c *Ctx) {
	id, ok := c.strictID(c.Args[2])
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel engine.StreamID
	for i := 3; i < len(c.Args); i += 2 {
		more := len(c.Args) - 1 - i
		switch {
		case EqualFold(c.Args[i], "ENTRIESADDED") && more > 0:
			n, ok := c.ParseIntArg(c.Args[i+1])
			if !ok {
				return
			}
			if n < 0 {
				c.R.Error("ERR entries_added must be positive")
				return
			}
			entriesAdded = n
		case EqualFold(c.Args[i], "MAXDELETEDID") && more > 0:
			if maxDel, ok = c.strictID(c.Args[i+1]); !ok {
				return
			}
			if id.Cmp(maxDel) < 0 {
				c.R.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	if !s.Exists() {
		c.R.Error(ErrNoSuchKey)
		return
	}
	if s.Len() > 0 {
		last, _, err := s.LastEntry()
		if err != nil {
			c.Err(err)
			return
		}
		if id.Cmp(last) < 0 {
			c.R.Error("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && int64(s.Len()) > entriesAdded {
			c.R.Error("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.Last = id
	if entriesAdded != -1 {
		s.EntriesAdded = uint64(entriesAdded)
	}
	if !maxDel.IsZero() {
		s.MaxDeleted = maxDel
	}
	s.MarkDirty()
	if err := s.Save(); err != nil {
		c.Err(err)
		return
	}
	c.R.OK()
	Notify(c, NotifyStream, "xsetid", c.Args[1])
}

// ---- XREAD / XREADGROUP ----

type xreadArgs struct {
	count     int64
	block     bool
	streamsAt int
	n         int
	group     []byte
	consumer  []byte
	noack     bool
}

func (c *Ctx) parseXRead(group bool) (a xreadArgs, ok bool) {
	args := c.Args
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case EqualFold(o, "BLOCK") && more > 0:
			i++
			n, ok := ParseInt(args[i])
			if !ok {
				c.R.Error("ERR timeout is not an integer or out of range")
				return a, false
			}
			if n < 0 {
				c.R.Error("ERR timeout is negative")
				return a, false
			}
			a.block = true
		case EqualFold(o, "COUNT") && more > 0:
			i++
			n, ok := c.ParseIntArg(args[i])
			if !ok {
				return a, false
			}
			if n < 0 {
				n = 0
			}
			a.count = n
		case EqualFold(o, "STREAMS") && more > 0:
			a.streamsAt = i + 1
			rest := len(args) - a.streamsAt
			if rest%2 != 0 {
				// Redis 7.0 uses this text for XREADGROUP too.
				c.R.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return a, false
			}
			a.n = rest / 2
			i = len(args)
		case EqualFold(o, "GROUP") && more >= 2:
			if !group {
				c.R.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.group, a.consumer = args[i+1], args[i+2]
			i += 2
		case EqualFold(o, "NOACK"):
			if !group {
				c.R.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.noack = true
		default:
			c.R.Error(ErrSyntax)
			return a, false
		}
	}
	if a.streamsAt == 0 {
		c.R.Error(ErrSyntax)
		return a, false
	}
	if group && a.group == nil {
		c.R.Error("ERR Missing GROUP option for XREADGROUP")
		return a, false
	}
	return a, true
}

func xread(c *Ctx) {
	a, ok := c.parseXRead(false)
	if !ok {
		return
	}
	keys := c.Args[a.streamsAt : a.streamsAt+a.n]
	idArgs := c.Args[a.streamsAt+a.n:]
	streams := make([]*engine.Stream, a.n)
	ids := make([]engine.StreamID, a.n)
	for i, key := range keys {
		s, ok := c.openStream(key)
		if !ok {
			return
		}
		streams[i] = s
		arg := idArgs[i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if s.Exists() {
				ids[i] = s.Last
			}
		case len(arg) == 1 && arg[0] == '>':
			c.R.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
			return
		default:
			if ids[i], ok = c.strictID(arg); !ok {
				return
			}
		}
	}
	mark := len(c.R.Buf)
	served := 0
	for i, s := range streams {
		if !s.Exists() || s.Len() == 0 {
			continue
		}
		last, _, err := s.LastEntry()
		if err != nil {
			c.replyErrAt(mark, err)
			return
		}
		if last.Cmp(ids[i]) <= 0 {
			continue
		}
		served++
		start, _ := ids[i].Incr()
		if c.R.Proto != 3 {
			c.R.Array(2)
		}
		c.R.Bulk(keys[i])
		c.rangeReply(s, start, engine.MaxStreamID, a.count, false)
	}
	if served == 0 {
		if a.block {
			c.blockXRead(a, keys, ids) // blocking.go
			return
		}
		c.R.NullArray()
		return
	}
	if c.R.Proto == 3 {
		c.deferHeader(mark, hdrMap, served)
	} else {
		c.deferHeader(mark, hdrArray, served)
	}
}

func xreadgroup(c *Ctx) {
	a, ok := c.parseXRead(true)
	if !ok {
		return
	}
	keys := c.Args[a.streamsAt : a.streamsAt+a.n]
	idArgs := c.Args[a.streamsAt+a.n:]
	streams := make([]*engine.Stream, a.n)
	groups := make([]*engine.StreamGroup, a.n)
	ids := make([]engine.StreamID, a.n)
	newOnly := make([]bool, a.n)
	for i, key := range keys {
		// A key named twice shares one handle, so the second read sees
		// the group state the first one moved (as in Redis).
		var s *engine.Stream
		for j := 0; j < i; j++ {
			if string(keys[j]) == string(key) {
				s = streams[j]
				break
			}
		}
		if s == nil {
			var ok bool
			if s, ok = c.openStream(key); !ok {
				return
			}
		}
		streams[i] = s
		g, found, err := s.Group(a.group)
		if err != nil {
			c.Err(err)
			return
		}
		if !found {
			c.R.Error("NOGROUP No such key '" + streamCStr(key) + "' or consumer group '" + streamCStr(a.group) + "' in XREADGROUP with GROUP option")
			return
		}
		groups[i] = g
		arg := idArgs[i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			c.R.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
			return
		case len(arg) == 1 && arg[0] == '>':
			newOnly[i] = true
		default:
			if ids[i], ok = c.strictID(arg); !ok {
				return
			}
		}
	}
	mark := len(c.R.Buf)
	served := 0
	fail := func(err error) {
		c.Tx.Discard()
		c.replyErrAt(mark, err)
	}
	for i, s := range streams {
		g := groups[i]
		if newOnly[i] {
			if s.Len() == 0 {
				continue
			}
			last, _, err := s.LastEntry()
			if err != nil {
				fail(err)
				return
			}
			if last.Cmp(g.LastID) <= 0 {
				continue
			}
		}
		cons, created, err := s.LookupOrCreateConsumer(g, a.consumer)
		if err != nil {
			fail(err)
			return
		}
		if created {
			Notify(c, NotifyStream, "xgroup-createconsumer", keys[i])
		}
		served++
		if c.R.Proto != 3 {
			c.R.Array(2)
		}
		c.R.Bulk(keys[i])
		if newOnly[i] {
			err = c.serveNew(s, g, cons, a.count, a.noack)
		} else {
			err = c.serveHistory(s, g, cons, ids[i], a.count)
		}
		if err == nil {
			err = s.Save()
		}
		if err != nil {
			fail(err)
			return
		}
	}
	if served == 0 {
		if a.block {
			c.blockXRead(a, keys, nil) // blocking.go
			return
		}
		c.R.NullArray()
		return
	}
	if c.R.Proto == 3 {
		c.deferHeader(mark, hdrMap, served)
	} else {
		c.deferHeader(mark, hdrArray, served)
	}
}

// serveNew delivers entries after the group's last ID (XREADGROUP >).
func (c *Ctx) serveNew(s *engine.Stream, g *engine.StreamGroup, cons *engine.StreamConsumer, count int64, noack bool) error {
	start, _ := g.LastID.Incr()
	var got []engine.StreamID
	mark := len(c.R.Buf)
	n := 0
	err := s.Range(start, engine.MaxStreamID, count, false, func(id engine.StreamID, fields [][]byte) error {
		c.entryReply(id, fields)
		got = append(got, id)
		n++
		return nil
	})
	if err != nil {
		return err
	}
	c.deferHeader(mark, hdrArray, n)
	for _, id := range got {
		if g.EntriesRead != engine.StreamInvalidRead && !s.RangeHasTombstones(id) {
			g.EntriesRead++
		} else if s.EntriesAdded != 0 {
			g.EntriesRead = s.EstimateDistance(id)
		}
		g.LastID = id
		if noack {
			continue
		}
		p, had, err := s.Pending(g, id)
		if err != nil {
			return err
		}
		var prev *engine.StreamConsumer
		if had {
			prev, _, err = s.Consumer(g, p.Owner)
			if err != nil {
				return err
			}
		}
		np := &engine.StreamPending{DeliveryTime: c.Tx.Now, DeliveryCount: 1}
		if had && prev == nil {
			// Orphan record (owner missing): replace it in place.
			g.Pending--
		}
		s.PutPending(g, id, np, prev, cons)
	}
	s.GroupChanged(g)
	return nil
}

// serveHistory re-delivers the consumer's own pending entries from start
// (XREADGROUP with an ID): each counts as a delivery.
func (c *Ctx) serveHistory(s *engine.Stream, g *engine.StreamGroup, cons *engine.StreamConsumer, start engine.StreamID, count int64) error {
	var ids []engine.StreamID
	if err := s.ConsumerPending(g, cons.Name, start, engine.MaxStreamID, count, func(id engine.StreamID) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		return err
	}
	c.R.Array(len(ids))
	for _, id := range ids {
		fields, ok, err := s.Entry(id)
		if err != nil {
			return err
		}
		if ok {
			c.entryReply(id, fields)
		} else {
			c.R.Array(2)
			c.idReply(id)
			c.R.NullArray()
		}
		p, had, err := s.Pending(g, id)
		if err != nil {
			return err
		}
		if had {
			p.DeliveryCount++
			p.DeliveryTime = c.Tx.Now
			s.PutPending(g, id, p, cons, cons)
		}
	}
	return nil
}

// groupOf opens key and its group for XACK/XCLAIM/XAUTOCLAIM/XPENDING;
// a missing key or group gets Redis's NOGROUP text.
func (c *Ctx) groupOf(key, group []byte) (*engine.Stream, *engine.StreamGroup, bool) {
	s, ok := c.openStream(key)
	if !ok {
		return nil, nil, false
	}
	g, found, err := s.Group(group)
	if err != nil {
		c.Err(err)
		return nil, nil, false
	}
	if !found {
		c.R.Error("NOGROUP No such key '" + streamCStr(key) + "' or consumer group '" + streamCStr(group) + "'")
		return nil, nil, false
	}
	return s, g, true
}

func xack(c *Ctx) {
	// Redis looks the key and group up (0 when missing) before parsing.
	s, ok := c.openStream(c.Args[1])
	if !ok {
		return
	}
	g, found, err := s.Group(c.Args[2])
	if err != nil {
		c.Err(err)
		return
	}
	if !found {
		c.R.Int(0)
		return
	}
	ids := make([]engine.StreamID, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		id, ok := c.strictID(a)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	var n int64
	for _, id := range ids {
		p, had, err := s.Pending(g, id)
		if err != nil {
			c.Err(err)
			return
		}
		if !had {
			continue
		}
		owner, _, err := s.Consumer(g, p.Owner)
		if err != nil {
			c.Err(err)
			return
		}
		s.DelPending(g, id, owner)
		n++
	}
	if n > 0 {
		if err := s.Save(); err != nil {
			c.Err(err)
			return
		}
	}
	c.R.Int(n)
}

func xpending(c *Ctx) {
	args := c.Args
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.R.Error(ErrSyntax)
		return
	}
	var start, end engine.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		si := 3
		if EqualFold(args[3], "IDLE") {
			n, ok := c.ParseIntArg(args[4])
			if !ok {
				return
			}
			minIdle = n
			if len(args) < 8 {
				c.R.Error(ErrSyntax)
				return
			}
			si += 2
		}
		n, ok := c.ParseIntArg(args[si+2])
		if !ok {
			return
		}
		if n < 0 {
			n = 0
		}
		count = n
		if start, ok = c.intervalID(args[si], 0, true); !ok {
			return
		}
		if end, ok = c.intervalID(args[si+1], ^uint64(0), false); !ok {
			return
		}
		if si+3 < len(args) {
			consumer = args[si+3]
		}
	}
	s, g, ok := c.groupOf(args[1], args[2])
	if !ok {
		return
	}
	if len(args) == 3 {
		c.R.Array(4)
		c.R.Int(int64(g.Pending))
		if g.Pending == 0 {
			c.R.Null()
			c.R.Null()
			c.R.NullArray()
			return
		}
		lo, hi, err := s.PendingEdges(g)
		if err != nil {
			c.R.Buf = c.R.Buf[:0]
			c.Err(err)
			return
		}
		c.idReply(lo)
		c.idReply(hi)
		mark := len(c.R.Buf)
		n := 0
		err = s.Consumers(g, func(cs *engine.StreamConsumer) error {
			if cs.Pending == 0 {
				return nil
			}
			c.R.Array(2)
			c.R.Bulk(cs.Name)
			c.R.BulkInt(int64(cs.Pending))
			n++
			return nil
		})
		if err != nil {
			c.Err(err)
			return
		}
		c.deferHeader(mark, hdrArray, n)
		return
	}
	mark := len(c.R.Buf)
	n := 0
	now := c.Tx.Now
	emit := func(id engine.StreamID, p *engine.StreamPending) {
		c.R.Array(4)
		c.idReply(id)
		c.R.Bulk(p.Owner)
		el := now - p.DeliveryTime
		if el < 0 {
			el = 0
		}
		c.R.Int(el)
		c.R.Int(int64(p.DeliveryCount))
		n++
	}
	var err error
	if count > 0 && consumer != nil {
		cs, found, e := s.Consumer(g, consumer)
		if e != nil {
			c.Err(e)
			return
		}
		if !found {
			c.R.Array(0)
			return
		}
		err = s.ConsumerPending(g, cs.Name, start, end, 0, func(id engine.StreamID) error {
			if int64(n) >= count {
				return errStop
			}
			p, ok, err := s.Pending(g, id)
			if err != nil || !ok {
				return err
			}
			if minIdle != 0 && now-p.DeliveryTime < minIdle {
				return nil
			}
			emit(id, p)
			return nil
		})
	} else if count > 0 {
		err = s.PendingRange(g, start, end, 0, func(id engine.StreamID, p *engine.StreamPending) error {
			if int64(n) >= count {
				return errStop
			}
			if minIdle != 0 && now-p.DeliveryTime < minIdle {
				return nil
			}
			emit(id, p)
			return nil
		})
	} else if consumer != nil {
		if _, found, e := s.Consumer(g, consumer); e != nil || !found {
			if e != nil {
				c.Err(e)
			} else {
				c.R.Array(0)
			}
			return
		}
	}
	if err != nil && err != errStop {
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(mark, hdrArray, n)
}

type stopErr struct{}

func (stopErr) Error() string { return "stop" }

var errStop error = stopErr{}

func xclaim(c *Ctx) {
	args := c.Args
	s, ok := c.openStream(args[1])
	if !ok {
		return
	}
	g, found, err := s.Group(args[2])
	if err != nil {
		c.Err(err)
		return
	}
	if !found {
		c.R.Error("NOGROUP No such key '" + streamCStr(args[1]) + "' or consumer group '" + streamCStr(args[2]) + "'")
		return
	}
	minIdle, ok := ParseInt(args[4])
	if !ok {
		c.R.Error("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	now := c.Tx.Now
	var ids []engine.StreamID
	j := 5
	for ; j < len(args); j++ {
		id, ok := parseStreamID(args[j], 0, true, nil)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	lastIDArg := j
	deliveryTime := now
	retry := int64(-1)
	force, justid := false, false
	var lastID engine.StreamID
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case EqualFold(opt, "FORCE"):
			force = true
		case EqualFold(opt, "JUSTID"):
			justid = true
		case EqualFold(opt, "IDLE") && more > 0:
			j++
			n, ok := ParseInt(args[j])
			if !ok {
				c.R.Error("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			deliveryTime = now - n
		case EqualFold(opt, "TIME") && more > 0:
			j++
			n, ok := ParseInt(args[j])
			if !ok {
				c.R.Error("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			deliveryTime = n
		case EqualFold(opt, "RETRYCOUNT") && more > 0:
			j++
			n, ok := ParseInt(args[j])
			if !ok {
				c.R.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retry = n
		case EqualFold(opt, "LASTID") && more > 0:
			j++
			if lastID, ok = c.strictID(args[j]); !ok {
				return
			}
		default:
			c.R.Error("ERR Unrecognized XCLAIM option '" + streamCStr(opt) + "'")
			return
		}
	}
	_ = lastIDArg
	if deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now // a bogus delivery time means now, as in Redis
	}
	if lastID.Cmp(g.LastID) > 0 {
		g.LastID = lastID
		s.GroupChanged(g)
	}
	var cons *engine.StreamConsumer
	mark := len(c.R.Buf)
	n := 0
	for _, id := range ids {
		p, had, err := s.Pending(g, id)
		if err != nil {
			c.replyErrAt(mark, err)
			return
		}
		exists, err := s.HasEntry(id)
		if err != nil {
			c.replyErrAt(mark, err)
			return
		}
		var prev *engine.StreamConsumer
		if had {
			if prev, _, err = s.Consumer(g, p.Owner); err != nil {
				c.replyErrAt(mark, err)
				return
			}
		}
		if !exists {
			if had {
				s.DelPending(g, id, prev)
			}
			continue
		}
		if !had {
			if !force {
				continue
			}
			p = &engine.StreamPending{}
		} else if minIdle > 0 && now-p.DeliveryTime < minIdle {
			continue
		}
		if cons == nil {
			var created bool
			if cons, created, err = s.LookupOrCreateConsumer(g, args[3]); err != nil {
				c.replyErrAt(mark, err)
				return
			}
			if created {
				Notify(c, NotifyStream, "xgroup-createconsumer", args[1])
			}
		}
		p.DeliveryTime = deliveryTime
		if retry >= 0 {
			p.DeliveryCount = uint64(retry)
		} else if !justid {
			p.DeliveryCount++
		}
		s.PutPending(g, id, p, prev, cons)
		if justid {
			c.idReply(id)
		} else {
			fields, _, err := s.Entry(id)
			if err != nil {
				c.replyErrAt(mark, err)
				return
			}
			c.entryReply(id, fields)
		}
		n++
	}
	if err := s.Save(); err != nil {
		c.Tx.Discard()
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(mark, hdrArray, n)
}

func xautoclaim(c *Ctx) {
	args := c.Args
	// Redis parses every argument before it looks the key up.
	minIdle, ok := ParseInt(args[4])
	if !ok {
		c.R.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	start, ok := c.intervalID(args[5], 0, true)
	if !ok {
		return
	}
	const attemptsFactor = 10
	count := int64(100)
	justid := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case EqualFold(args[j], "COUNT") && more > 0:
			j++
			n, ok := ParseInt(args[j])
			if !ok || n < 1 || n > (1<<63-1)/16 { // LONG_MAX / max(sizeof(streamID), 10)
				c.R.Error("ERR COUNT must be > 0")
				return
			}
			count = n
		case EqualFold(args[j], "JUSTID"):
			justid = true
		default:
			c.R.Error(ErrSyntax)
			return
		}
	}
	s, ok := c.openStream(args[1])
	if !ok {
		return
	}
	g, found, err := s.Group(args[2])
	if err != nil {
		c.Err(err)
		return
	}
	if !found {
		c.R.Error("NOGROUP No such key '" + streamCStr(args[1]) + "' or consumer group '" + streamCStr(args[2]) + "'")
		return
	}
	now := c.Tx.Now
	attempts := count * attemptsFactor
	var cons *engine.StreamConsumer
	var deleted []engine.StreamID
	next := engine.StreamID{}
	mark := len(c.R.Buf)
	c.R.Array(3)
	cursorAt := len(c.R.Buf)
	n := 0
	// One pass over the committed PEL; claims go to the batch and the
	// handle's caches. As in Redis, a deleted entry is dropped whatever its
	// idle time and counts against COUNT.
	err = s.PendingRange(g, start, engine.MaxStreamID, 0, func(id engine.StreamID, _ *engine.StreamPending) error {
		if attempts == 0 || count == 0 {
			next = id
			return errStop
		}
		attempts--
		p, had, err := s.Pending(g, id)
		if err != nil || !had {
			return err
		}
		prev, _, err := s.Consumer(g, p.Owner)
		if err != nil {
			return err
		}
		fields, exists, err := s.Entry(id)
		if err != nil {
			return err
		}
		if !exists {
			s.DelPending(g, id, prev)
			deleted = append(deleted, id)
			count--
			return nil
		}
		if minIdle > 0 && now-p.DeliveryTime < minIdle {
			return nil
		}
		if cons == nil {
			var created bool
			if cons, created, err = s.LookupOrCreateConsumer(g, args[3]); err != nil {
				return err
			}
			if created {
				Notify(c, NotifyStream, "xgroup-createconsumer", args[1])
			}
		}
		p.DeliveryTime = now
		if !justid {
			p.DeliveryCount++
		}
		s.PutPending(g, id, p, prev, cons)
		if justid {
			c.idReply(id)
		} else {
			c.entryReply(id, fields)
		}
		n++
		count--
		return nil
	})
	if err != nil && err != errStop {
		c.Tx.Discard()
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(cursorAt, hdrArray, n)
	// The cursor goes before the claimed entries.
	var tmp [48]byte
	h := server.Reply{Proto: c.R.Proto, Buf: tmp[:0]}
	h.Bulk(next.Append(nil))
	c.R.Buf = append(c.R.Buf[:cursorAt], append(h.Buf, c.R.Buf[cursorAt:]...)...)
	c.R.Array(len(deleted))
	for _, id := range deleted {
		c.idReply(id)
	}
	if err := s.Save(); err != nil {
		c.Tx.Discard()
		c.replyErrAt(mark, err)
	}
}

// ---- XGROUP ----

// xgroupOpen is the common prologue of the XGROUP subcommands: the key
// must exist (unless mkstream) and, for some, the group too.
func (c *Ctx) xgroupOpen(mkstream, needGroup bool) (*engine.Stream, *engine.StreamGroup, bool) {
	s, ok := c.openStream(c.Args[2])
	if !ok {
		return nil, nil, false
	}
	if !mkstream && !s.Exists() {
		c.R.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
		return nil, nil, false
	}
	g, found, err := s.Group(c.Args[3])
	if err != nil {
		c.Err(err)
		return nil, nil, false
	}
	if needGroup && !found {
		c.R.Error("NOGROUP No such consumer group '" + streamCStr(c.Args[3]) + "' for key name '" + streamCStr(c.Args[2]) + "'")
		return nil, nil, false
	}
	return s, g, true
}

func (c *Ctx) entriesReadArg(b []byte) (int64, bool) {
	n, ok := c.ParseIntArg(b)
	if !ok {
		return 0, false
	}
	if n < 0 && n != -1 {
		c.R.Error("ERR value for ENTRIESREAD must be positive or -1")
		return 0, false
	}
	return n, true
}

func (c *Ctx) subSyntax() {
	c.R.Error("ERR unknown subcommand or wrong number of arguments for '" + streamCStr(c.Args[1]) + "'. Try " + upper(c.Args[0]) + " HELP.")
}

func upper(b []byte) string {
	out := []byte(string(b))
	for i, ch := range out {
		if ch >= 'a' && ch <= 'z' {
			out[i] = ch - 32
		}
	}
	return string(out)
}

func xgroupCreate(c *Ctx) {
	mk := false
	er := engine.StreamInvalidRead
	for i := 5; i < len(c.Args); {
		if EqualFold(c.Args[i], "MKSTREAM") {
			mk = true
			i++
		} else if EqualFold(c.Args[i], "ENTRIESREAD") && i+1 < len(c.Args) {
			n, ok := c.entriesReadArg(c.Args[i+1])
			if !ok {
				return
			}
			er = n
			i += 2
		} else {
			c.subSyntax()
			return
		}
	}
	s, g, ok := c.xgroupOpen(mk, false)
	if !ok {
		return
	}
	if len(c.Args) > 8 {
		c.subSyntax()
		return
	}
	var id engine.StreamID
	if a := c.Args[4]; len(a) == 1 && a[0] == '$' {
		if s.Exists() {
			id = s.Last
		}
	} else if id, ok = c.strictID(a); !ok {
		return
	}
	if g != nil {
		c.R.Error("BUSYGROUP Consumer Group name already exists")
		return
	}
	s.Create()
	s.CreateGroup(c.Args[3], id, er)
	if err := s.Save(); err != nil {
		c.Err(err)
		return
	}
	c.R.OK()
	Notify(c, NotifyStream, "xgroup-create", c.Args[2])
}

func xgroupSetid(c *Ctx) {
	er := engine.StreamInvalidRead
	// As Redis: ENTRIESREAD's value is checked before the argument count.
	switch {
	case len(c.Args) == 5:
	case len(c.Args) >= 7 && EqualFold(c.Args[5], "ENTRIESREAD"):
		n, ok := c.entriesReadArg(c.Args[6])
		if !ok {
			return
		}
		if len(c.Args) != 7 {
			c.subSyntax()
			return
		}
		er = n
	default:
		c.subSyntax()
		return
	}
	s, g, ok := c.xgroupOpen(false, true)
	if !ok {
		return
	}
	var id engine.StreamID
	if a := c.Args[4]; len(a) == 1 && a[0] == '$' {
		id = s.Last
	} else if id, ok = parseStreamID(a, 0, false, nil); !ok {
		c.R.Error(errStreamID)
		return
	}
	g.LastID = id
	g.EntriesRead = er
	s.GroupChanged(g)
	if err := s.Save(); err != nil {
		c.Err(err)
		return
	}
	c.R.OK()
	Notify(c, NotifyStream, "xgroup-setid", c.Args[2])
}

func xgroupDestroy(c *Ctx) {
	s, g, ok := c.xgroupOpen(false, false)
	if !ok {
		return
	}
	if g == nil {
		c.R.Int(0)
		return
	}
	s.DestroyGroup(g.Name)
	if err := s.Save(); err != nil {
		c.Err(err)
		return
	}
	c.R.Int(1)
	Notify(c, NotifyStream, "xgroup-destroy", c.Args[2])
}

func xgroupCreateConsumer(c *Ctx) {
	s, g, ok := c.xgroupOpen(false, true)
	if !ok {
		return
	}
	_, found, err := s.Consumer(g, c.Args[4])
	if err != nil {
		c.Err(err)
		return
	}
	if found {
		c.R.Int(0)
		return
	}
	s.CreateConsumer(g, c.Args[4])
	if err := s.Save(); err != nil {
		c.Err(err)
		return
	}
	c.R.Int(1)
	Notify(c, NotifyStream, "xgroup-createconsumer", c.Args[2])
}

func xgroupDelConsumer(c *Ctx) {
	s, g, ok := c.xgroupOpen(false, true)
	if !ok {
		return
	}
	cs, found, err := s.Consumer(g, c.Args[4])
	if err != nil {
		c.Err(err)
		return
	}
	if !found {
		c.R.Int(0)
		return
	}
	n, err := s.DeleteConsumer(g, cs)
	if err == nil {
		err = s.Save()
	}
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(int64(n))
	Notify(c, NotifyStream, "xgroup-delconsumer", c.Args[2])
}

var xgroupHelpLines = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

var xinfoHelpLines = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

func streamHelp(c *Ctx, lines []string) {
	c.R.Array(len(lines))
	for _, l := range lines {
		c.R.Status(l)
	}
}

func xgroupHelp(c *Ctx) { streamHelp(c, xgroupHelpLines) }
func xinfoHelp(c *Ctx)  { streamHelp(c, xinfoHelpLines) }

// ---- XINFO ----

func (c *Ctx) kvHeader(n int) {
	if c.R.Proto == 3 {
		c.R.Map(n)
	} else {
		c.R.Array(2 * n)
	}
}

func xinfoStream(c *Ctx) {
	full := false
	count := int64(10)
	args := c.Args
	// Redis looks the key up before it parses FULL/COUNT.
	s, ok := c.openStream(args[2])
	if !ok {
		return
	}
	if !s.Exists() {
		c.R.Error(ErrNoSuchKey)
		return
	}
	if len(args) > 3 {
		if !EqualFold(args[3], "FULL") || (len(args) != 4 && len(args) != 6) {
			c.subSyntax()
			return
		}
		full = true
		if len(args) == 6 {
			if !EqualFold(args[4], "COUNT") {
				c.subSyntax()
				return
			}
			n, ok := c.ParseIntArg(args[5])
			if !ok {
				return
			}
			if n < 0 {
				n = 0
			}
			count = n
		}
	}
	keys, nodes, err := s.NodeCount()
	if err != nil {
		c.Err(err)
		return
	}
	mark := len(c.R.Buf)
	fail := func(err error) {
		c.replyErrAt(mark, err)
	}
	if full {
		c.kvHeader(9)
	} else {
		c.kvHeader(10)
	}
	c.R.BulkString("length")
	c.R.Int(int64(s.Len()))
	c.R.BulkString("radix-tree-keys")
	c.R.Int(keys)
	c.R.BulkString("radix-tree-nodes")
	c.R.Int(nodes)
	c.R.BulkString("last-generated-id")
	c.idReply(s.Last)
	c.R.BulkString("max-deleted-entry-id")
	c.idReply(s.MaxDeleted)
	c.R.BulkString("entries-added")
	c.R.Int(int64(s.EntriesAdded))
	c.R.BulkString("recorded-first-entry-id")
	c.idReply(s.First)
	if !full {
		c.R.BulkString("groups")
		c.R.Int(int64(s.NGroups))
		for _, rev := range []bool{false, true} {
			if rev {
				c.R.BulkString("last-entry")
			} else {
				c.R.BulkString("first-entry")
			}
			got := false
			if err := s.Range(engine.StreamID{}, engine.MaxStreamID, 1, rev, func(id engine.StreamID, f [][]byte) error {
				c.entryReply(id, f)
				got = true
				return nil
			}); err != nil {
				fail(err)
				return
			}
			if !got {
				c.R.Null()
			}
		}
		return
	}
	c.R.BulkString("entries")
	c.rangeReply(s, engine.StreamID{}, engine.MaxStreamID, count, false)
	c.R.BulkString("groups")
	gmark := len(c.R.Buf)
	ng := 0
	now := c.Tx.Now
	err = s.Groups(func(g *engine.StreamGroup) error {
		ng++
		c.kvHeader(7)
		c.R.BulkString("name")
		c.R.Bulk(g.Name)
		c.R.BulkString("last-delivered-id")
		c.idReply(g.LastID)
		c.R.BulkString("entries-read")
		if g.EntriesRead != engine.StreamInvalidRead {
			c.R.Int(g.EntriesRead)
		} else {
			c.R.Null()
		}
		c.R.BulkString("lag")
		if lag, ok := s.Lag(g); ok {
			c.R.Int(lag)
		} else {
			c.R.Null()
		}
		c.R.BulkString("pel-count")
		c.R.Int(int64(g.Pending))
		c.R.BulkString("pending")
		pm := len(c.R.Buf)
		np := 0
		if err := s.PendingRange(g, engine.StreamID{}, engine.MaxStreamID, count, func(id engine.StreamID, p *engine.StreamPending) error {
			c.R.Array(4)
			c.idReply(id)
			c.R.Bulk(p.Owner)
			c.R.Int(p.DeliveryTime)
			c.R.Int(int64(p.DeliveryCount))
			np++
			return nil
		}); err != nil {
			return err
		}
		c.deferHeader(pm, hdrArray, np)
		c.R.BulkString("consumers")
		cm := len(c.R.Buf)
		nc := 0
		if err := s.Consumers(g, func(cs *engine.StreamConsumer) error {
			nc++
			c.kvHeader(4)
			c.R.BulkString("name")
			c.R.Bulk(cs.Name)
			c.R.BulkString("seen-time")
			c.R.Int(cs.SeenTime)
			c.R.BulkString("pel-count")
			c.R.Int(int64(cs.Pending))
			c.R.BulkString("pending")
			qm := len(c.R.Buf)
			nq := 0
			if err := s.ConsumerPending(g, cs.Name, engine.StreamID{}, engine.MaxStreamID, count, func(id engine.StreamID) error {
				p, _, err := s.Pending(g, id)
				if err != nil {
					return err
				}
				c.R.Array(3)
				c.idReply(id)
				if p != nil {
					c.R.Int(p.DeliveryTime)
					c.R.Int(int64(p.DeliveryCount))
				} else {
					c.R.Int(0)
					c.R.Int(0)
				}
				nq++
				return nil
			}); err != nil {
				return err
			}
			c.deferHeader(qm, hdrArray, nq)
			return nil
		}); err != nil {
			return err
		}
		c.deferHeader(cm, hdrArray, nc)
		return nil
	})
	_ = now
	if err != nil {
		fail(err)
		return
	}
	c.deferHeader(gmark, hdrArray, ng)
}

func xinfoGroups(c *Ctx) {
	s, ok := c.openStream(c.Args[2])
	if !ok {
		return
	}
	if !s.Exists() {
		c.R.Error(ErrNoSuchKey)
		return
	}
	mark := len(c.R.Buf)
	n := 0
	err := s.Groups(func(g *engine.StreamGroup) error {
		n++
		c.kvHeader(6)
		c.R.BulkString("name")
		c.R.Bulk(g.Name)
		c.R.BulkString("consumers")
		c.R.Int(int64(g.Consumers))
		c.R.BulkString("pending")
		c.R.Int(int64(g.Pending))
		c.R.BulkString("last-delivered-id")
		c.idReply(g.LastID)
		c.R.BulkString("entries-read")
		if g.EntriesRead != engine.StreamInvalidRead {
			c.R.Int(g.EntriesRead)
		} else {
			c.R.Null()
		}
		c.R.BulkString("lag")
		if lag, ok := s.Lag(g); ok {
			c.R.Int(lag)
		} else {
			c.R.Null()
		}
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(mark, hdrArray, n)
}

func xinfoConsumers(c *Ctx) {
	s, ok := c.openStream(c.Args[2])
	if !ok {
		return
	}
	if !s.Exists() {
		c.R.Error(ErrNoSuchKey)
		return
	}
	g, found, err := s.Group(c.Args[3])
	if err != nil {
		c.Err(err)
		return
	}
	if !found {
		c.R.Error("NOGROUP No such consumer group '" + streamCStr(c.Args[3]) + "' for key name '" + streamCStr(c.Args[2]) + "'")
		return
	}
	mark := len(c.R.Buf)
	n := 0
	now := c.Tx.Now
	err = s.Consumers(g, func(cs *engine.StreamConsumer) error {
		n++
		c.kvHeader(3)
		c.R.BulkString("name")
		c.R.Bulk(cs.Name)
		c.R.BulkString("pending")
		c.R.Int(int64(cs.Pending))
		c.R.BulkString("idle")
		idle := now - cs.SeenTime
		if idle < 0 {
			idle = 0
		}
		c.R.Int(idle)
		return nil
	})
	if err != nil {
		c.replyErrAt(mark, err)
		return
	}
	c.deferHeader(mark, hdrArray, n)
}

var _ = server.Reply{}
