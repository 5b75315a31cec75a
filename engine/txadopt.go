package engine

// AdoptPending moves the durability waits of writes other committed with
// DeferSync onto tx. A script's commands commit through the script
// client's Tx; the calling client adopts their waits, so its reply (sent
// after WaitDurable) is never ahead of the script's writes, and a pipeline
// of scripts still pays one WAL wait.
func (tx *Tx) AdoptPending(other *Tx) {
	tx.pending = append(tx.pending, other.pending...)
	for i := range other.pending {
		other.pending[i] = nil
	}
	other.pending = other.pending[:0]
}
