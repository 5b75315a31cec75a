package commands

// Small reply helpers for the common handler shape "call the engine, reply
// with its result or its error".

// replyInt writes n, or err as an error reply.
func (c *Ctx) replyInt(n int64, err error) {
	if err != nil {
		c.Err(err)
		return
	}
	c.R.Int(n)
}

// replyBool writes :1 or :0, or err as an error reply.
func (c *Ctx) replyBool(ok bool, err error) {
	if err != nil {
		c.Err(err)
		return
	}
	if ok {
		c.R.Int(1)
	} else {
		c.R.Int(0)
	}
}

// replyRemoved replies to a command that removed n elements of the key in
// Args[1] (HDEL, SREM): the event when something went, "del" when the key
// emptied and vanished, then the count.
func (c *Ctx) replyRemoved(n int64, err error, class NotifyClass, event string) {
	if err != nil {
		c.Err(err)
		return
	}
	if n > 0 {
		Notify(c, class, event, c.Args[1])
		NotifyIfRemoved(c, c.Args[1])
	}
	c.R.Int(n)
}
