package ports

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// Store holds entitle's state. Update runs fn in a read-write transaction and
// commits when fn returns nil; View runs fn in a read-only one. A store may
// run fn more than once (retrying serialization conflicts), so fn must not
// have effects outside the transaction. When a repository method fails, a
// refused write leaves nothing of itself, but fn should return an error: a
// SQL store may refuse further statements in that transaction.
// Implementations are safe for concurrent use.
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx gives the repositories of one transaction. It is not safe for concurrent
// use and is invalid once the View or Update that made it returns.
type Tx interface {
	Customers() Customers
	Catalog() Catalog
	Devices() Devices
	Subscriptions() Subscriptions
	Trials() Trials
	Orders() Orders
	Activations() Activations
	Audit() Audit
	Clients() Clients
	Idempotency() Idempotency
}

// Customers stores clients' resellers and end customers with their sites.
type Customers interface {
	// Put inserts or replaces a customer; its site use ids must not belong to
	// another customer (CodeConflict).
	Put(ctx context.Context, c domain.Customer) error
	// Get returns the customer with id (CodeNotFound).
	Get(ctx context.Context, id string) (domain.Customer, error)
	// BySite returns the customer owning siteUseID with that use (CodeNotFound).
	BySite(ctx context.Context, siteUseID int64, use domain.SiteUse) (domain.Customer, error)
	// ByClient returns the customers a client reaches, resellers and end
	// customers, ordered by id.
	ByClient(ctx context.Context, clientID string) ([]domain.Customer, error)
}

// Catalog stores parts, models, price lists, promo codes and coupons.
type Catalog interface {
	PutPart(ctx context.Context, p domain.Part) error
	// Part returns the part with number (CodeNotFound).
	Part(ctx context.Context, number string) (domain.Part, error)
	// Parts returns every part, ordered by number.
	Parts(ctx context.Context) ([]domain.Part, error)

	PutModel(ctx context.Context, m domain.Model) error
	// Model returns the model named name, case-insensitively; manufacturer may
	// be "" to match any (CodeNotFound).
	Model(ctx context.Context, manufacturer, name string) (domain.Model, error)
	// Models returns every model, ordered by manufacturer then name.
	Models(ctx context.Context) ([]domain.Model, error)

	PutPriceList(ctx context.Context, l domain.PriceList) error
	// PriceList returns the list with id (CodeNotFound).
	PriceList(ctx context.Context, id string) (domain.PriceList, error)
	// PriceListForCountry returns the list mapped to country (CodeNotFound).
	PriceListForCountry(ctx context.Context, country string) (domain.PriceList, error)

	PutPromo(ctx context.Context, p domain.PromoCode) error
	// Promo returns the promo code, case-insensitively (CodeNotFound).
	Promo(ctx context.Context, code string) (domain.PromoCode, error)

	PutCoupon(ctx context.Context, c domain.Coupon) error
	// Coupon returns the coupon with number (CodeNotFound).
	Coupon(ctx context.Context, number string) (domain.Coupon, error)
	// RedeemCoupon marks a coupon used; redeeming it twice is CodeConflict.
	RedeemCoupon(ctx context.Context, number string) error
}

// Devices stores receivers by serial.
type Devices interface {
	// Put inserts or replaces the device whose serial key matches d.Serial;
	// the first spelling stored is kept.
	Put(ctx context.Context, d domain.Device) error
	// BySerial returns the device whose serial matches serial case-insensitively
	// (CodeNotFound).
	BySerial(ctx context.Context, serial string) (domain.Device, error)
}

// Subscriptions stores subscriptions.
type Subscriptions interface {
	// Put inserts or replaces (by ID) a subscription. A live subscription that
	// overlaps another live one of the same serial and product line is
	// CodeConflict.
	Put(ctx context.Context, s domain.Subscription) error
	// BySerial returns every subscription of the serial (matched
	// case-insensitively), ordered by start date then id.
	BySerial(ctx context.Context, serial string) (domain.Timeline, error)
	// ByOrder returns the subscriptions an order created, by line number.
	ByOrder(ctx context.Context, orderID int64) ([]domain.Subscription, error)
}

// Trials is the trial ledger: one grant per (serial key, product line), ever.
type Trials interface {
	// Record adds a grant; g.SerialKey is a domain.SerialKey. A second grant
	// of the same serial key and product line is CodeConflict.
	Record(ctx context.Context, g domain.TrialGrant) error
	// BySerial returns the grants of a serial (matched case-insensitively),
	// in the order they were recorded.
	BySerial(ctx context.Context, serial string) ([]domain.TrialGrant, error)
}

// Orders stores orders with their lines.
type Orders interface {
	// Create stores a new order, assigning its UniqueID and OrderNumber. When
	// the order is ORDER_CREATION_INPROGRESS and another in-progress order
	// holds one of its serials, it fails with CodeConflict.
	Create(ctx context.Context, o *domain.Order) error
	// SetStatus changes an order's status and hold reason (CodeNotFound).
	SetStatus(ctx context.Context, uniqueID int64, status domain.OrderStatus, holdReason string) error
	// Get returns the order with uniqueID (CodeNotFound).
	Get(ctx context.Context, uniqueID int64) (domain.Order, error)
	// ByOrderNumber returns the order with that number (CodeNotFound).
	ByOrderNumber(ctx context.Context, orderNumber int64) (domain.Order, error)
	// Find returns the orders matching q, newest first.
	Find(ctx context.Context, q domain.OrderQuery) ([]domain.Order, error)
	// InProgress reports whether an order in ORDER_CREATION_INPROGRESS holds
	// the serial (matched case-insensitively).
	InProgress(ctx context.Context, serial string) (bool, error)
	// Pending returns the unique ids of every order in
	// ORDER_CREATION_INPROGRESS that holds a serial (every order the engine
	// creates does), in increasing order.
	Pending(ctx context.Context) ([]int64, error)
}

// Activations stores passcode deliveries.
type Activations interface {
	Put(ctx context.Context, a domain.Activation) error
	// BySerial returns the activations of a serial, oldest first.
	BySerial(ctx context.Context, serial string) ([]domain.Activation, error)
}

// Audit is the append-only log of state changes.
type Audit interface {
	Append(ctx context.Context, e domain.AuditEvent) error
	// List returns the events about subject ("" for all), oldest first.
	List(ctx context.Context, subject string) ([]domain.AuditEvent, error)
}

// Clients stores API clients and the bearer tokens issued to them, both by
// hash only.
type Clients interface {
	// Put inserts or replaces the client with c.ID; an empty ID is CodeInvalid.
	Put(ctx context.Context, c domain.Client) error
	// Get returns the client with id (CodeNotFound).
	Get(ctx context.Context, id string) (domain.Client, error)
	// PutToken stores a token; a second token with the same hash is CodeConflict.
	PutToken(ctx context.Context, t domain.Token) error
	// Token returns the token whose hash is hash (CodeNotFound).
	Token(ctx context.Context, hash string) (domain.Token, error)
}

// IdempotencyRecord is the stored answer to a write request, so a retry with
// the same Idempotency-Key gets the first answer and never repeats the write.
// A record with Status 0 is a reservation: the first request is still being
// processed (or its process died; the record then expires with the others).
type IdempotencyRecord struct {
	ClientID    string
	Key         string
	RequestHash string // of the request's method, path and body
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// Idempotency stores IdempotencyRecords by (client, key).
type Idempotency interface {
	// Get returns the record of clientID's key (CodeNotFound).
	Get(ctx context.Context, clientID, key string) (IdempotencyRecord, error)
	// Put stores a record, usually a reservation; a second record for the
	// same client and key is CodeConflict, whatever its request hash, so of
	// racing requests exactly one reserves the key.
	Put(ctx context.Context, r IdempotencyRecord) error
	// Complete records the answer (status, body) of the request that
	// reserved clientID's key (CodeNotFound when there is no record).
	Complete(ctx context.Context, clientID, key string, status int, body []byte) error
	// Purge deletes the records created before before and returns how many.
	// Callers keep records at least 24 hours.
	Purge(ctx context.Context, before time.Time) (int, error)
}

// Clock tells the time. Read it once per operation, at the edge.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function such as time.Now to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// IDs makes opaque unique identifiers.
type IDs interface {
	NewID() string
}

// IDsFunc adapts a function to IDs.
type IDsFunc func() string

// NewID calls f.
func (f IDsFunc) NewID() string { return f() }

// Activator delivers an activation (a passcode by OTA or e-mail). The engine
// calls it after the transaction that recorded the activation commits; it must
// be idempotent by Activation.ID.
type Activator interface {
	Deliver(ctx context.Context, a domain.Activation) error
}

// ActivatorFunc adapts a function to Activator.
type ActivatorFunc func(ctx context.Context, a domain.Activation) error

// Deliver calls f.
func (f ActivatorFunc) Deliver(ctx context.Context, a domain.Activation) error { return f(ctx, a) }
