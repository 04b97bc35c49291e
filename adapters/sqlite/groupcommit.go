package sqlite

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Group commit. SQLite has one writer per file and every commit pays an
// fsync (synchronous=FULL), which costs far more than the statements of an
// order. So the writer goroutine takes every Update waiting when it starts a
// transaction, up to maxBatch, into that one transaction: each Update runs
// inside a SAVEPOINT of its own and one COMMIT, one fsync, makes them all
// durable. (An Update alone in its transaction needs no savepoint.) A lone
// Update is never held back to wait for company: a batch is what queued
// while the previous transaction ran, nothing waits on a timer, and an
// Update that finds the writer idle and nothing queued runs its own
// transaction at once on its own goroutine (direct), as before batching.
//
// Each fn runs on its caller's goroutine, not the writer's: the writer hands
// the connection to one caller at a time (its turn) and waits for it to hand
// it back. So a panic or runtime.Goexit in fn unwinds the caller's own stack,
// as it would without batching, after a deferred function has rolled back
// that caller's savepoint and handed the connection back; the writer then
// goes on with the rest of the batch. An Update whose fn fails, or whose ctx
// is done before its work is decided, rolls back its savepoint only and
// returns at once; the others of its batch commit.
//
// A statement failure that ends the whole transaction (SQLITE_FULL,
// SQLITE_IOERR, a lost connection: see endsTransaction) would take the work
// of the Updates before it in the batch along with it. Those Updates did
// nothing wrong, so they run again in the next transaction (ports.Store lets
// a store run fn more than once), at most maxRuns times each; the Update
// whose statement failed gets its own error.

// maxBatch bounds the Updates one transaction holds, so a commit's WAL
// growth and the wait of the batch's first caller stay bounded.
const maxBatch = 64

// maxRuns bounds how many times one Update's fn runs when the transactions
// it joined keep being lost by other Updates' failures.
const maxRuns = 4

// The life of an update, in update.state. Only the two moves out of
// queued race: the caller's withdrawal (its ctx is done before its turn)
// and the writer's taking it for a turn or an answer.
const (
	queued int32 = iota // waiting: for its turn, or, after a lost transaction, to run again
	taken               // the writer gives it a turn or an answer; the caller must take it
	gone                // the caller withdrew before its turn
)

// update is one Update waiting for, having, or back from its turn.
type update struct {
	ctx   context.Context
	fn    func(ports.Tx) error
	state atomic.Int32
	// msg carries the writer's turn or answer to the caller; buffered, so
	// the writer never waits for a caller to be scheduled.
	msg chan message
	// back carries how the turn ended to the writer; buffered, so a
	// panicking caller hands the connection back and unwinds at once.
	back chan report
	runs int // turns given; only run's goroutine reads and writes it
}

// message is the writer's word to one update: its turn on c (alone: the
// only one of its transaction), or an answer (err is the Update's result),
// or run again (err is then why the transaction was lost).
type message struct {
	c     *conn
	alone bool
	err   error
	again bool
}

// report is how a turn ended. pending: fn succeeded and its savepoint was
// released, so the work waits for the commit (or, when lost, for another
// run). lost: the transaction did not survive the turn (cause says why).
// Otherwise err is the Update's result, already returned to its caller.
type report struct {
	err     error
	pending bool
	lost    bool
	cause   error
}

// writer runs the Updates, one write transaction at a time (busy): in
// batches on its own goroutine (run), or one on its caller's (direct).
type writer struct {
	pool    *pool
	closing <-chan struct{}

	mu      sync.Mutex
	waiting []*update
	stopped bool
	// busy is held by whoever runs a write transaction: run, from one
	// batch to the next while there is work, or an Update that found the
	// writer idle and nothing queued (see direct).
	busy bool
	wake chan struct{} // cap 1: something was queued, or the writer is free

	exited chan struct{} // closed when run returns

	// What the batches did, for benchmarks and tests.
	commits, committed atomic.Int64

	// onRetry is Options.OnRetry; set before the first Update.
	onRetry func(attempt int, err error)
}

func newWriter(p *pool, closing <-chan struct{}) *writer {
	w := &writer{pool: p, closing: closing, wake: make(chan struct{}, 1), exited: make(chan struct{})}
	go w.run()
	return w
}

// update runs fn as one Update: see Store.Update.
func (w *writer) update(ctx context.Context, fn func(ports.Tx) error) error {
	select {
	case <-w.closing:
		return sqlrow.Closed("sqlite")
	default:
	}
	if err := ctx.Err(); err != nil {
		return sqlrow.Abandoned("sqlite", err)
	}
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return sqlrow.Closed("sqlite")
	}
	if !w.busy && len(w.waiting) == 0 {
		w.busy = true
		w.mu.Unlock()
		return w.direct(ctx, fn)
	}
	u := &update{ctx: ctx, fn: fn, msg: make(chan message, 1), back: make(chan report, 1)}
	w.waiting = append(w.waiting, u)
	w.mu.Unlock()
	w.signal()
	lost := 0 // this Update's runs lost with their transaction
	for {
		var m message
		select {
		case m = <-u.msg:
		case <-ctx.Done():
			if u.state.CompareAndSwap(queued, gone) {
				return sqlrow.Abandoned("sqlite", ctx.Err())
			}
			m = <-u.msg // the writer took it first: its word is on the way
		}
		if m.c == nil {
			return m.err
		}
		r := u.turn(m.c, m.alone)
		if !r.pending {
			return r.err
		}
		// The work is decided: wait for the commit that holds it, whatever
		// ctx does now, or to be told to run again.
		if m = <-u.msg; !m.again {
			return m.err
		}
		lost++
		if w.onRetry != nil {
			w.onRetry(lost, m.err)
		}
	}
}

// direct runs fn in a transaction of its own, on the caller's goroutine,
// for an Update that found the writer idle and nothing queued: a lone
// caller pays no hand-offs between goroutines. The caller holds w.busy; the
// Updates that queue meanwhile wait for the writer, which direct wakes when
// it is done.
func (w *writer) direct(ctx context.Context, fn func(ports.Tx) error) error {
	defer w.free()
	c, err := w.pool.acquire(ctx, w.closing)
	if err != nil {
		return err
	}
	defer w.pool.release(c)
	if err := c.begin(ctx); err != nil {
		return c.fail(ctx, err, "sqlite: begin a write transaction")
	}
	t := newTx(c, true)
	ended := false
	defer func() {
		t.End()
		if !ended {
			// fn panicked or called Goexit: undo its writes, and let the
			// panic go on to the caller as it was (no recover, so its stack
			// is kept).
			c.rollback()
		}
	}()
	err = fn(t)
	ended = true
	if err == nil {
		if cerr := ctx.Err(); cerr != nil {
			err = sqlrow.Abandoned("sqlite", cerr)
		}
	}
	if err != nil {
		c.rollback()
		return err
	}
	// Once decided, the commit runs to the end: an interrupted COMMIT would
	// leave the caller unsure whether its work was kept.
	bg := context.WithoutCancel(ctx)
	if err := c.exec(bg, "COMMIT"); err != nil {
		c.rollback()
		return c.fail(bg, err, "sqlite: commit")
	}
	w.commits.Add(1)
	w.committed.Add(1)
	return nil
}

// free gives up w.busy after direct, waking the writer for what queued.
func (w *writer) free() {
	w.mu.Lock()
	w.busy = false
	queued := len(w.waiting) > 0
	w.mu.Unlock()
	if queued {
		w.signal()
	}
}

// signal wakes the writer, unless a wake is pending already.
func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// turn runs fn in a savepoint on c, reporting to the writer how it ended,
// and returns that report. The report is sent from a deferred function, so
// a panic or Goexit in fn hands c back to the writer, its savepoint rolled
// back, before it goes on up the caller's stack. When u is alone in its
// transaction, fn runs without a savepoint: the writer rolls back the
// transaction when fn's work is not pending, and commits it when it is.
func (u *update) turn(c *conn, alone bool) (r report) {
	// The savepoint's own statements run to the end whatever u.ctx does:
	// one interrupted would leave the others' transaction unknown.
	bg := context.WithoutCancel(u.ctx)
	t := newTx(c, true)
	returned := false
	defer func() {
		t.End()
		if !returned {
			r = report{}
			if !alone { // alone, the writer rolls back the transaction
				if err := rollbackTo(bg, c); err != nil {
					r.lost, r.cause = true, err
				}
			}
		}
		if c.broken && !r.lost {
			r.lost, r.cause = true, domain.Errorf(domain.CodeUnavailable, "", "sqlite: the connection was lost")
		}
		u.back <- r
	}()
	if err := u.ctx.Err(); err != nil {
		returned = true
		return report{err: sqlrow.Abandoned("sqlite", err)}
	}
	if !alone {
		if err := c.exec(bg, "SAVEPOINT batched"); err != nil {
			returned = true
			// Nothing of fn ran: it is as innocent as the Updates before it.
			return report{pending: true, lost: true, cause: c.fail(bg, err, "sqlite: start an Update's savepoint")}
		}
	}
	err := u.fn(t)
	returned = true
	if err == nil {
		if cerr := u.ctx.Err(); cerr != nil {
			// A caller that gave up never finds its work committed behind
			// its back.
			err = sqlrow.Abandoned("sqlite", cerr)
		}
	}
	switch {
	case alone:
		return report{err: err, pending: err == nil}
	case err != nil:
		r = report{err: err}
		if rerr := rollbackTo(bg, c); rerr != nil {
			r.lost, r.cause = true, rerr
		}
		return r
	}
	if err := c.exec(bg, "RELEASE batched"); err != nil {
		// The transaction was gone before the release: fn's work is lost
		// with it, through no statement that told fn so.
		return report{pending: true, lost: true, cause: c.fail(bg, err, "sqlite: release an Update's savepoint")}
	}
	return report{pending: true}
}

// rollbackTo undoes an Update's savepoint and ends it.
func rollbackTo(ctx context.Context, c *conn) error {
	if err := c.exec(ctx, "ROLLBACK TO batched"); err != nil {
		return c.fail(ctx, err, "sqlite: roll back an Update's savepoint")
	}
	if err := c.exec(ctx, "RELEASE batched"); err != nil {
		return c.fail(ctx, err, "sqlite: end an Update's savepoint")
	}
	return nil
}

// run takes batches until the store closes.
func (w *writer) run() {
	defer close(w.exited)
	var again []*update // to run again, ahead of the queue
	// holding: run holds w.busy, so it goes on to the next batch without
	// waiting to be woken (again is empty otherwise).
	holding := false
	for {
		if !holding {
			select {
			case <-w.wake:
			case <-w.closing:
				w.stop(nil)
				return
			}
		}
		select {
		case <-w.closing:
			w.stop(again)
			return
		default:
		}
		batch := w.take(again, holding)
		again = nil
		if holding = len(batch) > 0; holding {
			again = w.batch(batch)
		}
	}
}

// take returns first followed by what is queued, up to maxBatch in all,
// leaving out those whose callers withdrew, and takes w.busy for them.
// With nothing to run it gives w.busy up; when a direct Update holds it,
// take returns nothing and the Update wakes the writer when it is done.
func (w *writer) take(first []*update, holding bool) []*update {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy && !holding {
		return nil
	}
	batch := first
	n := 0
	for ; n < len(w.waiting) && len(batch) < maxBatch; n++ {
		if u := w.waiting[n]; u.state.Load() != gone {
			batch = append(batch, u)
		}
	}
	rest := copy(w.waiting, w.waiting[n:])
	clear(w.waiting[rest:])
	w.waiting = w.waiting[:rest]
	w.busy = len(batch) > 0
	return batch
}

// stop answers everything still waiting, again included, with Closed, and
// refuses later Updates.
func (w *writer) stop(again []*update) {
	w.mu.Lock()
	w.stopped = true
	waiting := append(again, w.waiting...)
	w.waiting = nil
	w.mu.Unlock()
	for _, u := range waiting {
		w.answer(u, sqlrow.Closed("sqlite"))
	}
}

// answer gives u its result, unless its caller withdrew first.
func (w *writer) answer(u *update, err error) {
	if u.state.CompareAndSwap(queued, taken) {
		u.msg <- message{err: err}
	}
}

// batch runs one transaction for the updates of batch and returns those to
// run again.
func (w *writer) batch(batch []*update) (again []*update) {
	bg := context.Background()
	c, err := w.pool.acquire(bg, w.closing)
	if err != nil {
		for _, u := range batch {
			w.answer(u, err)
		}
		return nil
	}
	defer w.pool.release(c)
	// BEGIN IMMEDIATE takes the write lock now rather than at the first
	// write, so a transaction that read first never fails to upgrade. It
	// waits out another process's lock for the busy timeout.
	if err := c.begin(bg); err != nil {
		err = c.fail(bg, err, "sqlite: begin a write transaction")
		for _, u := range batch {
			w.answer(u, err)
		}
		return nil
	}
	var pending []*update
	alone := len(batch) == 1
	for i, u := range batch {
		if !u.state.CompareAndSwap(queued, taken) {
			continue // withdrawn
		}
		u.runs++
		u.msg <- message{c: c, alone: alone}
		r := <-u.back
		if r.pending {
			pending = append(pending, u)
		}
		if r.lost {
			c.rollback()
			// The work of pending is gone with the transaction: each runs
			// again ahead of the rest of the batch, which has not run yet.
			for _, p := range pending {
				if p.runs >= maxRuns {
					p.msg <- message{err: domain.Wrap(r.cause, domain.CodeUnavailable,
						"sqlite: the transaction this Update joined was lost %d times, by other Updates' failures", p.runs)}
					continue
				}
				p.state.Store(queued)
				p.msg <- message{again: true, err: r.cause}
				again = append(again, p)
			}
			return append(again, batch[i+1:]...)
		}
	}
	if len(pending) == 0 {
		c.rollback() // nothing to keep: no fsync
		return nil
	}
	// Once begun, the commit runs to the end: an interrupted COMMIT would
	// leave its callers unsure whether their work was kept.
	err = c.exec(bg, "COMMIT")
	if err != nil {
		c.rollback()
		err = c.fail(bg, err, "sqlite: commit")
	} else {
		w.commits.Add(1)
		w.committed.Add(int64(len(pending)))
	}
	for _, u := range pending {
		u.msg <- message{err: err}
	}
	return nil
}

// batchStats returns how many transactions committed Updates and how many
// Updates they held.
func (w *writer) batchStats() (commits, updates int64) {
	return w.commits.Load(), w.committed.Load()
}
