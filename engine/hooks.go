package engine

// TrackModified adds n (may be negative) to the number of reasons the
// OnModified hook must see every modified key: WATCHed keys, blocked
// clients, keyspace notifications. While it is zero, commits skip the work.
func (e *Engine) TrackModified(n int) { e.tracking.Add(int64(n)) }
