package kms

import (
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointEvery is how often the checkpointer copies the WAL into the
// database file.
const checkpointEvery = time.Second

// checkpointer copies the write-ahead log into the database file from a
// connection of its own, off the commit path: the writer's connection has
// automatic checkpoints off, so no request waits for a checkpoint's
// writes and fsyncs. A passive checkpoint never blocks the writer.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// startCheckpointer turns automatic checkpoints off on writer and starts
// checkpointing the database at path every checkpointEvery.
func startCheckpointer(writer *sql.DB, path string, log *slog.Logger) (*checkpointer, error) {
	db, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	if _, err := writer.Exec(`PRAGMA wal_autocheckpoint=0`); err != nil {
		db.Close()
		return nil, dbErr(err, "cannot set up the KMS database")
	}
	c := &checkpointer{db: db, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if _, err := c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				c.log.Warn("WAL checkpoint failed; will retry", "err", err)
			}
		}
	}
}

// close stops checkpointing and, once the writer is done, moves what is
// left of the WAL into the database file. Closing twice is harmless.
func (c *checkpointer) close() {
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		_, _ = c.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		c.db.Close()
	})
}
