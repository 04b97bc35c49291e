package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock another process
	// holds on the file (another entitle, a backup, the sqlite3 shell) before
	// failing with CodeUnavailable. Zero means 5 seconds.
	BusyTimeout time.Duration
	// ReaderConns is how many connections serve Views at once; more Views
	// wait for one to be free. Zero means GOMAXPROCS, at least 4.
	ReaderConns int
	// OnRetry, when set, is called before an Update's fn runs again
	// because the transaction it shared with other Updates was lost by
	// another's failure (see groupcommit.go), with the number of the run
	// that was lost (from 1) and why, for metrics and logs. It is called
	// from the goroutine running Update and must be safe for concurrent
	// use.
	OnRetry func(attempt int, err error)
}

func (o Options) withDefaults() Options {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReaderConns <= 0 {
		o.ReaderConns = max(4, runtime.GOMAXPROCS(0))
	}
	return o
}

// Store is a ports.Store over one SQLite file. It is safe for concurrent
// use: Updates run one at a time on the single writer connection, Views run
// alongside each other and alongside an Update, each on a snapshot of the
// last commit.
type Store struct {
	writer  *pool
	readers *pool
	// w runs the Updates, in batches, on the writer pool's connection.
	w *writer
	// closing is closed by Close; waiting for a connection ends with it.
	closing   chan struct{}
	closeOnce sync.Once
	closeErr  error
	// catalog is what the Store read of the catalog (catalogcache.go).
	catalog catalogCache
}

// Open opens the SQLite database at path, creating the file when it does
// not exist, and migrates its schema to the latest version this build knows.
// It fails with CodeInvalid for an empty or in-memory path, a path holding
// '?', or a database whose schema is newer than this build (migrations only
// go forward: run the newer entitle); with CodeUnavailable when another
// process keeps the file locked longer than opts.BusyTimeout; and with
// CodeInternal when the file cannot be created or is not a SQLite database.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, latest)
}

// open is Open migrating only up to version upTo, so a test can make a
// database as an older build left it.
func open(path string, opts Options, upTo int) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	wdb, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInternal, "sqlite: open %s", path)
	}
	// One writer connection: SQLite takes one writer per file anyway, and
	// queuing writers here (rather than on the file lock) keeps them in
	// arrival order and never busy-waiting.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s := &Store{closing: make(chan struct{})}
	s.writer = newPool(wdb, path, 1, "BEGIN IMMEDIATE")
	s.writer.catalog = &s.catalog
	// The migrations run before any reader opens, so readers always find the
	// file in WAL mode with the schema they expect.
	if err := s.migrate(context.Background(), path, upTo); err != nil {
		_ = s.writer.shut()
		return nil, err
	}
	rdb, err := sql.Open("sqlite", dsn(path, opts, true))
	if err != nil {
		_ = s.writer.shut()
		return nil, domain.Wrap(err, domain.CodeInternal, "sqlite: open %s for reading", path)
	}
	rdb.SetMaxOpenConns(opts.ReaderConns)
	rdb.SetMaxIdleConns(opts.ReaderConns)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	// A deferred BEGIN takes its snapshot at the first read and never asks
	// for the write lock, which is all a View needs.
	s.readers = newPool(rdb, path, opts.ReaderConns, "BEGIN")
	s.readers.catalog = &s.catalog
	s.w = newWriter(s.writer, s.closing)
	s.w.onRetry = opts.OnRetry
	return s, nil
}

func checkPath(path string) error {
	switch {
	case path == "":
		return domain.Errorf(domain.CodeInvalid, "path", "sqlite: the database path is empty")
	case path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory"):
		// Each connection would see its own empty database: the writer's
		// commits would never reach the readers.
		return domain.Errorf(domain.CodeInvalid, "path", "sqlite: an in-memory database cannot be shared by the writer and the readers; give a file path (or use adapters/memory)")
	case strings.ContainsRune(path, '?'):
		// The driver splits the DSN at the first '?', which would cut the path.
		return domain.Errorf(domain.CodeInvalid, "path", "sqlite: the database path %q holds a '?', which the driver would read as the start of its options", path)
	}
	return nil
}

// dsn returns the driver's data source name for path. The pragmas are DSN
// parameters rather than statements run after opening because database/sql
// opens connections when it likes: every connection it opens must get them.
// An Update's COMMIT has written the WAL through the OS before it returns,
// so a killed process loses nothing acknowledged; synchronous=FULL also
// syncs the WAL at every commit, so an OS crash or power cut does not either.
// Foreign keys are off by default in SQLite; the busy timeout makes a lock
// held by another process a wait rather than an immediate SQLITE_BUSY.
func dsn(path string, opts Options, readOnly bool) string {
	q := url.Values{}
	// Rounded up: a timeout under a millisecond must not become "never wait".
	ms := (opts.BusyTimeout + time.Millisecond - 1) / time.Millisecond
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(int64(ms), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	if readOnly {
		// A View cannot write, whatever its function tries.
		q.Add("_pragma", "query_only(1)")
	} else {
		// The writer's savepoints (one per Update of a batch, see
		// groupcommit.go) copy each page they change to a sub-journal.
		// SQLite keeps it in memory up to 64 KiB, then moves it to a
		// temporary file for the rest of the transaction; an order's first
		// Update changes more pages than that, so every page would also be
		// written to that file (measured: 15% of the orders/s at 16
		// callers). Kept in memory, it is emptied at each Update's release
		// and holds one Update's pages at most.
		q.Add("_pragma", "temp_store(MEMORY)")
	}
	return path + "?" + q.Encode()
}

// View runs fn in a read-only transaction over the last committed state;
// writes fail with CodeInternal. It returns fn's error unchanged, or
// CodeUnavailable when the store is closed or ctx is done before fn starts.
// A panic in fn reaches the caller after the transaction has ended.
func (s *Store) View(ctx context.Context, fn func(ports.Tx) error) error {
	c, err := s.readers.acquire(ctx, s.closing)
	if err != nil {
		return err
	}
	defer s.readers.release(c)
	if err := c.begin(ctx); err != nil {
		return c.fail(ctx, err, "sqlite: begin a read transaction")
	}
	t := newTx(c, false)
	// Deferred, so a panicking fn leaves no transaction open on a pooled
	// connection; a read transaction has nothing to commit.
	defer func() {
		t.End()
		c.rollback()
	}()
	return fn(t)
}

// Update runs fn in a write transaction and commits when fn returns nil.
// Updates run one at a time on the single writer, and those that queue
// while one runs share the next transaction, each inside a savepoint of its
// own, so one fsync makes a whole batch durable (see groupcommit.go). Each
// caller still gets its own outcome: Update returns nil only once the
// commit holding fn's work is on disk; when fn returns an error or panics,
// its own writes are rolled back and the error or panic reaches the caller
// unchanged, while the others of its batch commit. fn runs once, unless a
// failure of another Update ends the transaction they shared: then fn runs
// again in the next one (ports.Store allows it).
//
// In fn, a statement starts only while ctx is not done; once started it
// runs to its end, since interrupting a write would roll back the other
// Updates of the batch with it. Update fails with CodeUnavailable when the
// store is closed, when ctx is done before fn's work is decided (a caller
// that gave up never finds its work committed behind its back), or when
// another process holds the file's write lock longer than the busy timeout;
// and with CodeInternal when the commit fails.
func (s *Store) Update(ctx context.Context, fn func(ports.Tx) error) error {
	return s.w.update(ctx, fn)
}

// Close waits for the Views and the batch of Updates under way, then
// closes every connection. Updates still queued and later Views and Updates
// fail with CodeUnavailable. Closing twice returns the first Close's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.w.exited
		s.closeErr = errors.Join(s.readers.shut(), s.writer.shut())
	})
	return s.closeErr
}

// pool hands out long-lived connections of one *sql.DB. It holds them
// itself, rather than letting database/sql pick one per statement, because a
// transaction started with a raw BEGIN must run every statement on its own
// connection, and because statements prepared on a connection can then be
// kept for its whole life (see conn.stmt).
type pool struct {
	db *sql.DB
	// slots holds one *conn per connection the pool may open; a *conn whose
	// c is nil connects when first taken.
	slots chan *conn
	begin string
	file  string // for messages
	// statements counts the statements run on the pool's connections
	// (DESIGN.md, "The write path": the SQL shape is the cost); traced, when
	// set before the pool is used, is told each one's text.
	statements atomic.Int64
	traced     func(query string)
	// catalog is the Store's (catalogcache.go), shared by both pools.
	catalog *catalogCache
}

func newPool(db *sql.DB, file string, size int, begin string) *pool {
	p := &pool{db: db, file: file, slots: make(chan *conn, size), begin: begin}
	for range size {
		p.slots <- &conn{p: p}
	}
	return p
}

// acquire waits for a free connection. It fails with CodeUnavailable when
// the store closes or ctx is done first.
func (p *pool) acquire(ctx context.Context, closing <-chan struct{}) (*conn, error) {
	select {
	case <-closing:
		return nil, sqlrow.Closed("sqlite")
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, sqlrow.Abandoned("sqlite", err)
	}
	var c *conn
	select {
	case c = <-p.slots:
	case <-closing:
		return nil, sqlrow.Closed("sqlite")
	case <-ctx.Done():
		return nil, sqlrow.Abandoned("sqlite", ctx.Err())
	}
	select {
	case <-closing:
		// Close is draining the slots: give this one back for it to close.
		p.slots <- c
		return nil, sqlrow.Closed("sqlite")
	default:
	}
	if c.c == nil {
		sc, err := p.db.Conn(ctx)
		if err != nil {
			p.slots <- c
			return nil, translate(ctx, err, "sqlite: open %s", p.file)
		}
		c.c = sc
	}
	return c, nil
}

// release returns c to the pool, replacing it with a fresh slot when it
// broke: its state (an open transaction, a dead handle) is unknown.
func (p *pool) release(c *conn) {
	if c.broken {
		_ = c.close()
		c = &conn{p: p}
	}
	p.slots <- c
}

// shut takes every slot back, waiting for those in use, and closes them and
// the database.
func (p *pool) shut() error {
	var errs []error
	for range cap(p.slots) {
		c := <-p.slots
		errs = append(errs, c.close())
	}
	errs = append(errs, p.db.Close())
	return errors.Join(errs...)
}

// conn is one connection with the statements prepared on it. It is used by
// one transaction at a time.
type conn struct {
	p *pool
	c *sql.Conn
	// stmts caches prepared statements by their text. The texts are the
	// package's constant queries and the few shapes Orders.Find builds, so
	// the cache stays small; preparing once per connection instead of once
	// per call is most of the cost of a short statement.
	stmts  map[string]*sql.Stmt
	broken bool
	// What the open transaction did with the catalog (catalogcache.go):
	// the version it reads it at (0 until its first catalog read), and
	// whether it wrote it. begin resets them.
	catVersion int64
	catWrote   bool
}

// begin starts a transaction on c with the pool's BEGIN.
func (c *conn) begin(ctx context.Context) error {
	c.catVersion, c.catWrote = 0, false
	return c.exec(ctx, c.p.begin)
}

// stmt returns the statement of query prepared on c, for one run of it.
func (c *conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.p.statements.Add(1)
	if c.p.traced != nil {
		c.p.traced(query)
	}
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*sql.Stmt)
	}
	c.stmts[query] = st
	return st, nil
}

// exec runs a statement without arguments (BEGIN, COMMIT, SAVEPOINT);
// these too are prepared once per connection.
func (c *conn) exec(ctx context.Context, query string) error {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx)
	return err
}

// script runs SQL that may hold several statements (a migration), which a
// prepared statement would cut after the first.
func (c *conn) script(ctx context.Context, sql string) error {
	_, err := c.c.ExecContext(ctx, sql)
	return err
}

// rollback ends the transaction on c. When that fails the connection's state
// is unknown, so it is replaced rather than handed to the next caller.
func (c *conn) rollback() {
	if err := c.exec(context.Background(), "ROLLBACK"); err != nil {
		c.broken = true
	}
}

// fail translates err (see translate) and marks c broken when the driver
// says the connection is unusable.
func (c *conn) fail(ctx context.Context, err error, format string, args ...any) error {
	if isBadConn(err) {
		c.broken = true
	}
	return translate(ctx, err, format, args...)
}

func (c *conn) close() error {
	if c.c == nil {
		return nil
	}
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	errs = append(errs, c.c.Close())
	c.c, c.stmts = nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close a connection: %w", err)
	}
	return nil
}
