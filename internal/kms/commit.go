package kms

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// maxBatch bounds the writes one transaction carries.
const maxBatch = 512

// pruneEvery is how often the committer deletes history past retention.
const pruneEvery = time.Hour

// pending is a write waiting for its commit.
type pending struct {
	w    write
	done chan error
}

// committer is the single writer of the database. Writes queue on a channel;
// the committer takes everything queued (up to maxBatch), commits it in one
// transaction, and only then tells each submitter the result. So an answer
// is never sent for a request whose count and history are not on disk, and
// concurrent requests share one fsync.
type committer struct {
	db        *sql.DB
	bw        *batchWriter
	now       func() time.Time
	retention func() time.Duration
	queue     chan pending
	stopped   chan struct{}
	mu        sync.RWMutex // held for reading by submitters, for writing by close
	closed    bool
	lastPrune time.Time
	ws        []write                                // reused by commit
	onBatch   atomic.Pointer[func(n int, err error)] // metrics; set by Handler while the committer runs
	// beforeCommit, when set (tests), runs after a batch is written and
	// before it is committed.
	beforeCommit func(n int)
}

func newCommitter(db *sql.DB, now func() time.Time, retention func() time.Duration) *committer {
	c := &committer{db: db, bw: newBatchWriter(db), now: now, retention: retention, queue: make(chan pending, maxBatch), stopped: make(chan struct{})}
	go c.run()
	return c
}

// submit queues w and waits until the batch holding it committed. order is
// called with the write queued (under the caller's lock, so queue order is
// the order of the in-memory changes); it returns once queued.
func (c *committer) submit(ctx context.Context, w write) (wait func() error) {
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return func() error {
			return hresult.New(hresult.ServiceFailure, "the KMS host is shutting down").WithHint("retry in a moment")
		}
	}
	p := pending{w: w, done: make(chan error, 1)}
	c.queue <- p
	c.mu.RUnlock()
	return func() error {
		// The commit is waited for even if ctx ends: the answer is only
		// dropped, never sent before the commit.
		return <-p.done
	}
}

// close stops accepting writes, commits what is queued and waits.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.stopped
}

func (c *committer) run() {
	defer close(c.stopped)
	defer c.bw.close()
	batch := make([]pending, 0, maxBatch)
	for p := range c.queue {
		batch = append(batch[:0], p)
	fill:
		for len(batch) < maxBatch {
			select {
			case q, ok := <-c.queue:
				if !ok {
					break fill
				}
				batch = append(batch, q)
			default:
				break fill
			}
		}
		err := c.commit(batch)
		if f := c.onBatch.Load(); f != nil {
			(*f)(len(batch), err)
		}
		for _, q := range batch {
			q.done <- err
		}
	}
}

func (c *committer) commit(batch []pending) error {
	ws := c.ws[:0]
	for _, p := range batch {
		ws = append(ws, p.w)
	}
	c.ws = ws
	now := c.now()
	var prune time.Time
	if now.Sub(c.lastPrune) >= pruneEvery {
		prune = now.Add(-c.retention())
	}
	ctx := context.Background()
	ops := c.bw.plan(ws)
	err := c.bw.prepare(ctx, ops)
	if err != nil {
		err = dbErr(err, "cannot prepare the KMS database writes")
	} else {
		err = inTx(ctx, c.db, func(tx *sql.Tx) error {
			if err := c.bw.apply(ctx, tx, ops, prune, now); err != nil {
				return err
			}
			if c.beforeCommit != nil {
				c.beforeCommit(len(ws))
			}
			return nil
		})
	}
	if err == nil && !prune.IsZero() {
		c.lastPrune = now
	}
	if err != nil {
		return hresult.From(err).WithHint("the request was not recorded; check the disk of the KMS host and retry")
	}
	return nil
}
