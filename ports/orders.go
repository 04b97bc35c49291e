package ports

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// OrdersTx is the part of a transaction the orders context (seed 001) works
// on: the customers that order, the catalog they order from, the devices,
// subscriptions and trials an order grants, the orders themselves, and the
// activations that deliver their passcodes.
type OrdersTx interface {
	// LockSerials serializes the transaction with every other one touching
	// the same serials (matched case-insensitively) until it ends. A use case
	// calls it first in an Update, with every serial it will read or write;
	// a store may read them ahead. In a View it does nothing. A store whose
	// writers already run one at a time does nothing either. CodeUnavailable
	// when ctx ends while waiting.
	LockSerials(ctx context.Context, serials ...string) error
	// ClaimSerials is LockSerials for an Update that creates an order: it
	// first claims the serials for that order, and fails at once with
	// CodeConflict (domain.OrderInProgressError) when another transaction,
	// in this process or another one sharing the database, holds a claim on
	// any of them, instead of waiting for it; then it does what LockSerials
	// does. Claims end with the transaction, so a killed process leaves
	// none. A store whose writers run one at a time may implement it as
	// LockSerials. In a View it does nothing.
	ClaimSerials(ctx context.Context, serials ...string) error
	Customers() Customers
	Catalog() Catalog
	Devices() Devices
	Subscriptions() Subscriptions
	Trials() Trials
	Orders() Orders
	Activations() Activations
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
	// Create stores a new order, assigning its UniqueID and OrderNumber, or,
	// for an imported order that comes with both (below
	// domain.FirstUniqueID and domain.FirstOrderNumber, else CodeInvalid),
	// keeping them: a number another order has is then CodeConflict. When
	// the order is ORDER_CREATION_INPROGRESS and another in-progress order
	// holds one of its serials, it fails with CodeConflict
	// (domain.OrderInProgressError); a status domain.ParseOrderStatus refuses
	// is CodeInvalid.
	Create(ctx context.Context, o *domain.Order) error
	// SetStatus changes an order's status and hold reason (CodeNotFound); a
	// status domain.ParseOrderStatus refuses is CodeInvalid, and entering
	// ORDER_CREATION_INPROGRESS while another in-progress order holds one of
	// the order's serials is CodeConflict.
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

// Activations stores passcode deliveries. Each activation is also the outbox
// entry of its delivery: written in the transaction that asks for it, with
// a PENDING Delivery, then claimed and handed to the Activator after that
// transaction commits, by whichever process claims it first.
type Activations interface {
	// Put inserts or replaces (by ID) an activation with its delivery; a
	// delivery a.Delivery.Validate refuses is CodeInvalid.
	Put(ctx context.Context, a domain.Activation) error
	// BySerial returns the activations of a serial, oldest first, each with
	// its delivery state.
	BySerial(ctx context.Context, serial string) ([]domain.Activation, error)
	// Claim returns up to n PENDING activations whose next attempt is due
	// (at or before now), the oldest due first, and moves their next
	// attempt to now+lease, so that no other transaction claims them
	// before the lease runs out: a claimer that dies leaves them to be
	// claimed again then. Rows another open transaction has claimed are
	// skipped, not waited for, so concurrent claimers never get the same
	// activation. The activations returned carry the new next attempt.
	// Only in an Update; n <= 0 or lease <= 0 is CodeInvalid.
	Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]domain.Activation, error)
	// RecordDelivery records the outcome of an attempt to deliver the
	// activation with id: d replaces its delivery (DELIVERED with
	// DeliveredAt; PENDING again with the error and the next attempt; or
	// FAILED, given up, with the last error). It is idempotent by id: an
	// activation already DELIVERED stays as it is, whatever later outcome
	// is recorded (a claimer whose lease ran out may report after another
	// delivered it; the Activator is idempotent by id, so the passcode was
	// delivered). CodeNotFound when no activation has id; a delivery
	// d.Validate refuses is CodeInvalid.
	RecordDelivery(ctx context.Context, id string, d domain.Delivery) error
}

// Activator delivers an activation (a passcode by OTA or e-mail). The engine
// calls it after the transaction that recorded the activation commits,
// outside any transaction, and again after a failure or when a claimer died
// before recording the outcome; it must be idempotent by Activation.ID.
type Activator interface {
	Deliver(ctx context.Context, a domain.Activation) error
}

// ActivatorFunc adapts a function to Activator.
type ActivatorFunc func(ctx context.Context, a domain.Activation) error

// Deliver calls f.
func (f ActivatorFunc) Deliver(ctx context.Context, a domain.Activation) error { return f(ctx, a) }
