package memory

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// The first numbers Orders.Create hands out: the seed's sample uniqueId and
// orderNumber, so a fresh store answers like the seed's examples.
const (
	firstUniqueID    = domain.FirstUniqueID
	firstOrderNumber = domain.FirstOrderNumber
)

// Store is an in-memory ports.Store. It is safe for concurrent use: Updates
// run one at a time, Views run alongside each other and alongside the body
// of an Update, and each sees the state as of its start.
type Store struct {
	// writer serializes Updates; a transaction's body runs holding only it.
	writer sync.Mutex
	// mu keeps Views out while an Update commits, the only moment db changes.
	mu     sync.RWMutex
	db     tables
	closed atomic.Bool
}

// New returns an empty Store.
func New() *Store {
	s := &Store{}
	for _, l := range s.db.layers() {
		l.init()
	}
	s.db.seq = counters{uniqueID: firstUniqueID, orderNumber: firstOrderNumber}
	return s
}

// View runs fn in a read-only transaction over the last committed state;
// writes fail with CodeInternal. It returns fn's error unchanged, or
// CodeUnavailable when the store is closed or ctx is done.
func (s *Store) View(ctx context.Context, fn func(ports.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return run(fn, &tx{db: s.db})
}

// Update runs fn in a read-write transaction and commits its writes when fn
// returns nil. When fn returns an error or panics, nothing it wrote is kept:
// its writes only ever lived in the transaction's layers, so there is
// nothing to undo and a panic needs no recover; it reaches the caller as it
// was. Update never retries. It returns fn's error unchanged, or
// CodeUnavailable when the store is closed or ctx is done before the commit.
func (s *Store) Update(ctx context.Context, fn func(ports.Tx) error) error {
	s.writer.Lock()
	defer s.writer.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	t := &tx{Guard: sqlrow.Guard{Writable: true}, db: s.db}
	if err := run(fn, t); err != nil {
		return err
	}
	// A caller that gave up must not find its work committed behind its back,
	// as it would not with a SQL store.
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range t.db.layers() {
		l.commit()
	}
	s.db.seq = t.db.seq
	return nil
}

// Close makes every later View and Update fail with CodeUnavailable. It
// always returns nil; closing twice is harmless.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

func (s *Store) usable(ctx context.Context) error { return sqlrow.Usable(ctx, "", s.closed.Load()) }

// run runs fn in t, and ends t when fn returns: a Tx kept past that would
// read maps a later commit is writing.
func run(fn func(ports.Tx) error, t *tx) error {
	defer t.End()
	return fn(t)
}

// tables is the whole state: the rows, the indexes that keep lookups
// independent of the store's size, and the counters. Store.db holds it with
// no writes pending; each transaction works on a copy that shares the base
// maps and collects its own writes.
type tables struct {
	customers      layer[string, domain.Customer]
	siteOwners     layer[siteKey, string]
	clientCustomer layer[string, []string]

	parts        layer[string, domain.Part]
	models       layer[modelKey, domain.Model]
	modelsByName layer[string, []modelKey]
	priceLists   layer[string, domain.PriceList]
	countryList  layer[string, string]
	promos       layer[string, domain.PromoCode]
	coupons      layer[string, domain.Coupon]

	devices        layer[string, domain.Device]
	subs           layer[string, domain.Subscription]
	subsBySerial   layer[string, []string]
	subsByOrder    layer[int64, []string]
	trials         layer[trialKey, domain.TrialGrant]
	trialsBySerial layer[string, []domain.ProductLine]
	activations    layer[string, domain.Activation]
	actsBySerial   layer[string, []string]
	// actsPending lists the ids of PENDING activations (the outbox), key
	// and value alike, so Claim reads only those.
	actsPending layer[string, string]

	orders         layer[int64, domain.Order]
	orderNumbers   layer[int64, int64]
	ordersByClient layer[string, []int64]
	ordersBySerial layer[string, []int64]
	ordersByPO     layer[string, []int64]
	inProgress     layer[string, int64]

	audit          layer[int64, domain.AuditEvent]
	auditBySubject layer[string, []int64]
	auditByAccount layer[int64, []int64]

	clients      layer[string, domain.Client]
	clientsByKey layer[string, string] // APIKeyHash -> client id
	tokens       layer[string, domain.Token]
	idem         layer[idemKey, ports.IdempotencyRecord]

	seatTables
	accountTables
	decisionTables

	seq counters
}

// counters are the next numbers to hand out. They live in the transaction like
// everything else, so a rolled-back Create consumes no number: order numbers
// have no gaps, unlike those of a SQL sequence.
type counters struct {
	uniqueID, orderNumber, audit       int64
	account, user, license, assignment int64
	link                               int64
	decision                           int64
}

type committer interface {
	init()
	commit()
}

func (d *tables) layers() []committer {
	ls := []committer{
		&d.customers, &d.siteOwners, &d.clientCustomer,
		&d.parts, &d.models, &d.modelsByName, &d.priceLists, &d.countryList, &d.promos, &d.coupons,
		&d.devices, &d.subs, &d.subsBySerial, &d.subsByOrder, &d.trials, &d.trialsBySerial,
		&d.activations, &d.actsBySerial, &d.actsPending,
		&d.orders, &d.orderNumbers, &d.ordersByClient, &d.ordersBySerial, &d.ordersByPO, &d.inProgress,
		&d.audit, &d.auditBySubject, &d.auditByAccount,
		&d.clients, &d.clientsByKey, &d.tokens, &d.idem,
	}
	ls = append(ls, d.seatTables.layers()...)
	ls = append(ls, d.accountTables.layers()...)
	return append(ls, d.decisionTables.layers()...)
}
