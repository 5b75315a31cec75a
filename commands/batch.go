package commands

import (
	"time"

	"github.com/shaledb/shale/server"
)

// Pipeline batching. A client that pipelines simple string commands (the
// redis-benchmark -P shape, bulk loaders, caches warming up) would pay one
// Pebble commit per command, and every commit goes through Pebble's
// serialized commit pipeline. Instead, while more commands of the same
// pipeline are already read, consecutive batchable commands run in one Tx:
// the Tx keeps its batch and memo (so a GET sees the pipeline's earlier
// SET), the key locks taken stay held, and everything commits once — at the
// pipeline's end, before the first command that is not batchable, or when
// a lock the batch needs is busy. Other clients cannot observe the batch
// half-applied: they would need one of its keys, whose lock it holds.
// Replies are still sent only after the commit is durable (the server
// flushes a pipeline's replies after its last command), and if the commit
// fails the connection is closed so none of them is sent.

// batchable marks the commands that may join a pipeline batch: they only
// read and write inline string metadata records, so the Tx memo is all they
// need to see the batch's own writes.
var batchable = map[string]bool{
	"get": true, "set": true, "setnx": true, "setex": true, "psetex": true,
	"getset": true, "incr": true, "decr": true, "incrby": true, "decrby": true,
	"mget": true, "mset": true, "msetnx": true, "strlen": true, "exists": true,
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
		c.BatchCommands = 0
	} else {
		c.Tx.Continue(now)
	}
	execBody(c, cmd, args, t0)
	c.BatchCommands++
	if !c.PipelineMore || c.BatchCommands >= batchMaxCommands || c.Tx.BatchBytes() >= batchMaxBytes {
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
	err := c.Tx.Commit()
	if err != nil {
		c.Tx.Discard()
	}
	c.Guard.Unlock()
	if err != nil {
		c.Server().Logger.Printf("# storage error committing a pipeline batch, closing client %d: %v", c.ID, err)
		c.Kill()
	}
}

func init() {
	// A client that goes away mid-pipeline (killed, disconnected) still
	// commits what its executed commands wrote, and frees their locks.
	CloseHooks = append(CloseHooks, flushBatch)
}
