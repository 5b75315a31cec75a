package commands

import (
	"errors"
	"time"

	"github.com/shaledb/shale/server"
)

// Pipeline batching. A client that pipelines simple commands (the
// redis-benchmark -P shape, bulk loaders, queues, caches warming up) would
// pay one Pebble commit per command, and every commit goes through Pebble's
// serialized commit pipeline. Instead, while more commands of the same
// pipeline are already read, consecutive batchable commands run in one Tx:
// the Tx keeps its batch and memo (so a GET sees the pipeline's earlier
// SET) and its sub-record overlay (so an HGET sees the pipeline's earlier
// HSET, an LPOP its earlier LPUSH), the key locks taken stay held, and
// everything commits once — at the pipeline's end, before the first
// command that is not batchable, or when a lock the batch needs is busy.
// Other clients cannot observe the batch half-applied: they would need one
// of its keys, whose lock it holds. Replies are still sent only after the
// commit is durable (the server flushes a pipeline's replies after its last
// command), and if the commit fails — or a batched command fails after
// writing and drops the batch with its own writes (engine.Tx.Broken) — the
// connection is closed so none of them is sent.

// batchable marks the commands that may join a pipeline batch. String
// commands only read and write inline metadata records, so the Tx memo is
// all they need to see the batch's own writes. The collection commands
// below only read and write single sub-records by key (a hash field, a set
// member, a sorted set member and its score entry, a list element at a
// known position) plus the metadata: in a batch the Tx keeps an overlay of
// the batch's sub-record writes that those point reads consult first
// (engine.Tx.StartBatch). Commands that iterate sub-records (ranges, scans,
// SMEMBERS, HGETALL, pops with a count, LREM/LINSERT, RENAME/COPY, OBJECT
// ENCODING, ...) read committed storage only, so they stay off this list:
// they end the open batch and run alone.
var batchable = map[string]bool{
	"get": true, "set": true, "setnx": true, "setex": true, "psetex": true,
	"getset": true, "incr": true, "decr": true, "incrby": true, "decrby": true,
	"mget": true, "mset": true, "msetnx": true, "strlen": true, "exists": true,

	"lpush": true, "rpush": true, "lpushx": true, "rpushx": true,
	"lpop": true, "rpop": true, "llen": true,
	"sadd": true, "srem": true, "sismember": true, "smismember": true, "scard": true,
	"hset": true, "hsetnx": true, "hmset": true, "hget": true, "hmget": true,
	"hdel": true, "hexists": true, "hlen": true, "hstrlen": true,
	"hincrby": true, "hincrbyfloat": true,
	"zadd": true, "zincrby": true, "zscore": true, "zmscore": true, "zcard": true,
}

// servesWaiters marks the batchable commands that can serve a client
// blocked on their key (BLPOP, BZPOPMIN, ...). Redis serves such a client
// right after the command, before the next one of the pipeline runs; a
// batch would only serve it at its commit, so while any client is blocked
// these commands run on the plain path.
var servesWaiters = map[string]bool{
	"lpush": true, "rpush": true, "lpushx": true, "rpushx": true,
	"zadd": true, "zincrby": true,
}

// batchArgsOK checks the argument shapes that keep a batchable command a
// point command: LPOP/RPOP with a count iterate the list.
func batchArgsOK(cmd *Command, args [][]byte) bool {
	switch cmd.Name {
	case "lpop", "rpop":
		return len(args) == 2
	}
	return true
}

// waitersBlocked reports whether cmd could serve a blocked client now.
func waitersBlocked(c *server.Client, cmd *Command) bool {
	if !servesWaiters[cmd.Name] {
		return false
	}
	reg := registryOf(c.Server())
	return reg != nil && reg.nblocked.Load() > 0
}

const (
	batchMaxCommands = 256
	batchMaxBytes    = 4 << 20
)

// canBatch reports whether cmd may run inside (or start) a pipeline batch.
func canBatch(c *server.Client, cmd *Command) bool {
	if !cmd.batchable || cmd.Lock != LockAuto || cmd.DBKeys != nil {
		return false
	}
	if waitersBlocked(c, cmd) {
		return false
	}
	srv := c.Server()
	// Keyspace notifications are published per command after its commit;
	// subscribers and monitors see output in command order. Keep those
	// clients on the plain path.
	if srv.PubSub().NotifyFlags() != 0 || c.PubSubCount() > 0 || srv.Monitoring() {
		return false
	}
	return true
}

// runBatched runs cmd as part of the client's pipeline batch. It reports
// false if the command must run on the plain path instead.
func runBatched(c *server.Client, cmd *Command, args [][]byte, now int64, t0 time.Time) bool {
	eng := c.Server().Engine
	if !batchArgsOK(cmd, args) {
		return false
	}
	c.KeyBuf = cmd.KeyArgs(c.KeyBuf, args)
	if len(c.KeyBuf) == 0 {
		return false
	}
	if c.Batching && (c.Tx.DB() != c.DB || !eng.TryLockMore(&c.Guard, c.DB, c.KeyBuf)) {
		flushBatch(c)
	}
	if !c.Batching {
		if !c.PipelineMore || !cmd.IsWrite() {
			// A lone command has nothing to batch with, and reads run
			// better under shared locks: only a write opens a batch.
			return false
		}
		eng.LockKeys(&c.Guard, c.DB, c.KeyBuf, true)
		c.Batching = true
		c.Tx.ResetAt(eng, c.DB, now)
		c.Tx.StartBatch()
		c.BatchCommands = 0
	} else {
		c.Tx.Continue(now)
	}
	if waitersBlocked(c, cmd) {
		// A client blocked on one of these keys before the locks were
		// taken (it registers under the key's lock): run on the plain
		// path, which serves it at this command's commit.
		flushBatch(c)
		return false
	}
	execBody(c, cmd, args, t0)
	c.BatchCommands++
	if c.Tx.Broken() || !c.PipelineMore || c.BatchCommands >= batchMaxCommands || c.Tx.BatchBytes() >= batchMaxBytes {
		flushBatch(c)
	}
	return true
}

// flushBatch commits the open batch and releases its locks. On a storage
// error the client is closed: the replies of the batch's commands are
// still unsent and never will be.
func flushBatch(c *server.Client) {
	if !c.Batching {
		return
	}
	c.Batching = false
	var err error
	if c.Tx.Broken() {
		// A command failed half-way and dropped the batch's writes with
		// its own (Tx.Discard): none of the batch's replies may be sent.
		err = errBatchDropped
	} else if err = c.Tx.Commit(); err != nil {
		c.Tx.Discard()
	}
	c.Guard.Unlock()
	if err != nil {
		c.Server().Logger.Printf("# storage error committing a pipeline batch, closing client %d: %v", c.ID, err)
		c.Kill()
	}
}

var errBatchDropped = errors.New("a command failed after writing and dropped the batch")

func init() {
	// A client that goes away mid-pipeline (killed, disconnected) still
	// commits what its executed commands wrote, and frees their locks.
	CloseHooks = append(CloseHooks, flushBatch)
}
