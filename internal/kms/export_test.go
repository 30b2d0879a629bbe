package kms

// Crash leaves h as a kill -9 would: the applier stops without applying
// the journal, and the journal, the database and the directory lock are
// dropped as they are.
func (h *Host) Crash() {
	h.applier.once.Do(func() {
		close(h.applier.stop)
		<-h.applier.done
		h.journal.close()
		h.applier.bw.close()
	})
	h.db.Close()
	h.lock.unlock()
}
