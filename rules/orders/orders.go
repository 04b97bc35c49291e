package orders

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Receipt is what CreateOrder returns for an accepted order.
type Receipt struct {
	UniqueID    int64
	OrderNumber int64
	Status      domain.OrderStatus
	Decision    domain.Decision
}

// CreateOrder decides an order for clientID and, when the rules allow every
// line, creates it in one transaction: the order (SUCCESS, or ORDER_ON_HOLD
// when the rules hold it) and its lines, the devices first ordered, a
// subscription per line with the derived dates, the trial ledger entries,
// the coupon redemptions, one audit event, and for an order not on hold an
// activation per line, PENDING: the outbox entry that DeliverDue hands to
// the Activator once the transaction has committed (RunDeliveries does so
// at once). When any line is refused it writes nothing but the decision's
// record in the decision log (ports.Decisions; an accepted order's record
// commits with the order) and returns a *domain.Error of CodeInvalid whose
// Violations hold every problem of every line. When ctx carries an Idempotency-Key (ports.WithIdempotencyKey), the
// order is bound to it (OrderRef) in the same transaction.
//
// While an order is being committed, another order naming one of its
// serials is refused at once with rule 12's answer (ORDER_IN_PROGRESS,
// domain.OrderInProgressMessage), whether it reaches this Service (which
// keeps the serials of the orders it is committing) or another process
// sharing the store (ports.OrdersTx.ClaimSerials). A claim lasts only as
// long as the transaction: a crash leaves no serial blocked.
func (e *Service) CreateOrder(ctx context.Context, p domain.Principal, req domain.OrderRequest) (Receipt, error) {
	clientID, err := partnerOf(p)
	if err != nil {
		return Receipt{}, err
	}
	if len(req.Lines) > MaxLines {
		return Receipt{}, domain.Errorf(domain.CodeInvalid, "lines", "an order has at most %d lines; this one has %d", MaxLines, len(req.Lines))
	}
	if err := req.CheckInput(); err != nil {
		return Receipt{}, err
	}
	serials := make([]string, len(req.Lines))
	for i := range req.Lines {
		serials[i] = req.Lines[i].SerialNumber
	}
	release, held := e.committing.take(serials)
	if held != "" {
		return Receipt{}, inProgressRefusal(&req, domain.OrderInProgressError("serialNumber", held, 0))
	}
	defer release()
	set := e.Rules()
	now := e.clock.Now().UTC()
	var (
		rc      Receipt
		acts    int
		refused error
	)
	err = e.store.Update(ctx, func(tx ports.Tx) error {
		rc, acts, refused = Receipt{}, 0, nil
		if err := tx.ClaimSerials(ctx, serials...); err != nil {
			if domain.ErrorCode(err) == domain.CodeConflict {
				return inProgressRefusal(&req, err)
			}
			return err
		}
		snap, err := loadSnapshot(ctx, tx, clientID, &req, now)
		if err != nil {
			return err
		}
		d := Decide(set, snap, &req)
		rc.Decision = d
		if err := e.logDecision(ctx, tx, p, &req, snap, &d, now); err != nil {
			return err
		}
		if !d.Allowed {
			// The refusal's record commits, and nothing else.
			refused = d.Err()
			return nil
		}
		o := e.buildOrder(clientID, &req, snap, &d, now)
		for i := range o.Lines {
			o.Lines[i].SubscriptionID = e.ids.NewID()
		}
		if err := tx.Orders().Create(ctx, &o); err != nil {
			if domain.ErrorCode(err) == domain.CodeConflict {
				return inProgressRefusal(&req, err)
			}
			return err
		}
		rc.UniqueID, rc.OrderNumber, rc.Status = o.UniqueID, o.OrderNumber, o.Status
		acts, err = e.writeGrants(ctx, tx, &o, snap, now)
		if err != nil {
			return err
		}
		// Under an Idempotency-Key the order is bound to the key in its own
		// transaction, so a retry after a crash finds the order, not a
		// second one.
		if client, key, ok := ports.IdempotencyKeyFrom(ctx); ok {
			if err := tx.Idempotency().Bind(ctx, client, key, OrderRef(o.UniqueID)); err != nil {
				return err
			}
		}
		return tx.Audit().Append(ctx, domain.AuditEvent{
			ID: e.ids.NewID(), At: now, Actor: clientID, Command: "CreateOrder",
			Subject: "order:" + strconv.FormatInt(o.UniqueID, 10), Allowed: true, RulesetHash: set.Hash(),
		})
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return rc, err
	}
	if acts > 0 {
		e.kickDeliveries()
	}
	return rc, nil
}

// OrderRef is how CreateOrder names an order it bound to an Idempotency-Key
// (ports.IdempotencyRecord.Ref); ParseOrderRef reads it back.
func OrderRef(uniqueID int64) string { return "order:" + strconv.FormatInt(uniqueID, 10) }

// ParseOrderRef returns the unique id of an OrderRef; false for any other
// reference.
func ParseOrderRef(ref string) (int64, bool) {
	s, ok := strings.CutPrefix(ref, "order:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// MaxLines bounds the lines of one order before any rule runs or the store
// is read: the rules' own limit (20 in the shipped files) says what is
// allowed; this keeps a huge request from holding the store's writer.
const MaxLines = 1000

// inProgressRefusal turns a serial claimed by an order being committed (in
// this Service, or in another process through ClaimSerials), or the store's
// one-in-progress-order-per-serial conflict, into the refusal rule 12
// gives, so a racing request reads the same answer as one that came while
// an earlier version left the order in progress.
func inProgressRefusal(req *domain.OrderRequest, cause error) error {
	var vs []domain.Violation
	for i := range req.Lines {
		vs = append(vs, domain.Violation{RuleID: "store.in-progress", Code: "ORDER_IN_PROGRESS",
			Field:   "lines[" + strconv.Itoa(i) + "].serialNumber",
			Message: domain.OrderInProgressMessage})
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: "the order was refused", Violations: vs, Err: cause}
}

func (e *Service) buildOrder(clientID string, req *domain.OrderRequest, snap *Snapshot, d *domain.Decision, now time.Time) domain.Order {
	o := domain.Order{
		ClientID: clientID, PONumber: req.CustomerPONumber, CustomerOrderRef: req.CustomerOrderRef,
		Currency: domain.Currency(strings.ToUpper(req.CurrencyCode)), PromoCode: req.PromoCode,
		ActivationCountry: d.ActivationCountry, BillToSiteUseID: req.BillToSiteUseID, ShipToSiteUseID: req.ShipToSiteUseID,
		BillToContact: domain.Contact{Email: req.BillToContactEmail, Phone: orDecline(req.BillToContactPhone)},
		ShipToContact: domain.Contact{Email: req.ShipToContactEmail, Phone: orDecline(req.ShipToContactPhone)},
		Status:        domain.OrderSuccess, CreatedAt: now, RulesetHash: d.RulesetHash,
	}
	if snap.BillTo != nil {
		o.CustomerID, o.BillToCustomer = snap.BillTo.ID, snap.BillTo.Name
	}
	if snap.ShipTo != nil {
		o.ShipToCustomerID, o.ShipToCustomer = snap.ShipTo.ID, snap.ShipTo.Name
	}
	if d.Hold != nil {
		o.Status, o.HoldReason = domain.OrderOnHold, d.Hold.Reason
	}
	custDisc := decimal.Zero
	if snap.BillTo != nil && snap.BillTo.DiscountPercent != "" {
		// Data files are checked on load; a value that still does not
		// parse gives no discount rather than a wrong one.
		if d, err := decimal.NewFromString(snap.BillTo.DiscountPercent); err == nil {
			custDisc = d
		}
	}
	total := decimal.Zero
	for i := range req.Lines {
		lr, out := &req.Lines[i], &d.Lines[i]
		part := snap.Parts[lr.PartNumber]
		line := domain.OrderLine{
			LineNumber: lr.LineNumber, ServiceType: domain.ServiceType(strings.ToUpper(lr.ServiceType)),
			ManufacturerModel: lr.ManufacturerModel, SerialNumber: out.SerialNumber, PartNumber: lr.PartNumber,
			PartDescription: part.Description, ProductLine: part.ProductLine, Kind: out.Kind,
			ServiceStartDate: out.ServiceStartDate, ServiceEndDate: out.ServiceEndDate,
			DurationDays: out.ServiceStartDate.DaysUntil(out.ServiceEndDate), Quantity: 1,
			AutoRenewal: out.AutoRenewal, GeoFenceRegion: lr.GeoFenceRegion, ActivationType: out.ActivationType,
			ActivationDate: out.ActivationDate, CouponNumber: lr.CouponNumber, SSOUserEmailAddress: out.SSOUserEmailAddress,
			SimIncludedFlag: out.SimIncludedFlag, SimNumber: lr.SimNumber, DeviceKey: lr.DeviceKey, CarrierName: out.CarrierName,
		}
		line.UnitPrice, line.NetPrice = linePrice(snap.PriceList, lr.PartNumber, custDisc)
		total = total.Add(line.NetPrice)
		o.Lines = append(o.Lines, line)
	}
	if snap.Promo != nil {
		total = domain.Money{Amount: total}.Discount(snap.Promo.DiscountPercent).Amount
	}
	o.Total = total
	return o
}

// linePrice returns a part's list price and its price after the item's
// standard discount and the customer's discount (rule 15).
func linePrice(pl *domain.PriceList, partNumber string, customerDiscount decimal.Decimal) (unit, net decimal.Decimal) {
	if pl == nil {
		return decimal.Zero, decimal.Zero
	}
	it, ok := pl.Item(partNumber)
	if !ok {
		return decimal.Zero, decimal.Zero
	}
	m := domain.Money{Amount: it.ListPrice, Currency: pl.Currency}
	return it.ListPrice, m.Discount(it.DiscountPercent).Discount(customerDiscount).Amount
}

func orDecline(phone string) string {
	if phone == "" {
		return "DECLINE"
	}
	return phone
}

// writeGrants writes what an accepted order grants: devices, subscriptions,
// trial ledger entries, coupon redemptions, and the activations to deliver
// (the outbox, PENDING and due at once; none for an order on hold). It
// returns how many activations it wrote.
func (e *Service) writeGrants(ctx context.Context, tx ports.Tx, o *domain.Order, snap *Snapshot, now time.Time) (int, error) {
	acts := 0
	for i := range o.Lines {
		l := &o.Lines[i]
		part := snap.Parts[l.PartNumber]
		// A device first ordered becomes known. Its record is shared by every
		// client, so the SSO e-mail of an order stays on the order's line
		// (where that client's fallback and resends read it), never on the
		// device.
		if snap.Devices[domain.SerialKey(l.SerialNumber)] == nil {
			dev := domain.Device{Serial: l.SerialNumber, ServiceType: l.ServiceType, Model: l.ManufacturerModel}
			if err := tx.Devices().Put(ctx, dev); err != nil {
				return 0, err
			}
		}
		sub := domain.Subscription{
			ID: l.SubscriptionID, Serial: l.SerialNumber, PartNumber: l.PartNumber, ProductLine: l.ProductLine,
			Start: l.ServiceStartDate, End: l.ServiceEndDate, Kind: l.Kind, AutoRenew: l.AutoRenewal,
			OrderID: o.UniqueID, Line: l.LineNumber, CreatedAt: now,
		}
		if err := tx.Subscriptions().Put(ctx, sub); err != nil {
			return 0, err
		}
		if l.Kind == domain.Trial {
			g := domain.TrialGrant{SerialKey: domain.SerialKey(l.SerialNumber), ProductLine: l.ProductLine, OrderID: o.UniqueID, PartNumber: l.PartNumber, GrantedAt: now}
			if err := tx.Trials().Record(ctx, g); err != nil {
				return 0, err
			}
		}
		if l.CouponNumber != "" {
			if err := tx.Catalog().RedeemCoupon(ctx, l.CouponNumber); err != nil {
				return 0, err
			}
		}
		if o.Status == domain.OrderOnHold {
			continue
		}
		a := domain.Activation{
			ID: e.ids.NewID(), SubscriptionID: sub.ID, OrderID: o.UniqueID, Serial: l.SerialNumber, PartNumber: l.PartNumber,
			Method: part.ActivationMethod, RequestType: "ORDER", Date: l.ActivationDate, RequestedAt: now,
			Passcode: passcode(e.ids.NewID()), Email: l.SSOUserEmailAddress, Delivery: domain.PendingDelivery(now),
		}
		if a.Method == "" {
			a.Method = domain.OTA
		}
		if err := tx.Activations().Put(ctx, a); err != nil {
			return 0, err
		}
		acts++
	}
	return acts, nil
}

// passcode derives a 16-character passcode from an opaque random id.
func passcode(id string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(id) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() == 16 {
			break
		}
	}
	return b.String()
}

// Resume finishes the orders that earlier versions of entitle, which
// committed an order ORDER_CREATION_INPROGRESS and completed it in a second
// transaction, left in progress when they crashed between the two: each
// becomes SUCCESS and its activations PENDING again, due now, in one
// transaction per order, for the deliverer (DeliverDue) to hand to the
// Activator, which is idempotent by activation id. CreateOrder no longer
// leaves orders in progress. It returns how many orders it finished.
// `entitle serve` calls it at start.
func (e *Service) Resume(ctx context.Context) (int, error) { return e.ResumeOlderThan(ctx, 0) }

// ResumeOlderThan is Resume for orders created at least age ago, so that
// instances of an earlier version still sharing the store finish their own.
func (e *Service) ResumeOlderThan(ctx context.Context, age time.Duration) (int, error) {
	now := e.clock.Now().UTC()
	cutoff := now.Add(-age)
	var pending []int64
	if err := e.store.View(ctx, func(tx ports.Tx) error {
		var err error
		pending, err = tx.Orders().Pending(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range pending {
		finished := false
		err := e.store.Update(ctx, func(tx ports.Tx) error {
			finished = false
			o, err := tx.Orders().Get(ctx, id)
			if err != nil {
				return err
			}
			// Get in an Update reads the order as committed last (PostgreSQL
			// locks its row), so two instances never finish it twice.
			if o.Status != domain.OrderInProgress || o.CreatedAt.After(cutoff) {
				return nil // finished already, or too fresh
			}
			seen := map[string]bool{}
			for _, l := range o.Lines {
				key := domain.SerialKey(l.SerialNumber)
				if seen[key] {
					continue // one look per serial, so each activation is queued once
				}
				seen[key] = true
				as, err := tx.Activations().BySerial(ctx, l.SerialNumber)
				if err != nil {
					return err
				}
				for _, a := range as {
					if a.OrderID == id && a.RequestType == "ORDER" && a.Delivery.State != domain.DeliveryPending {
						a.Delivery = domain.PendingDelivery(now)
						if err := tx.Activations().Put(ctx, a); err != nil {
							return err
						}
					}
				}
			}
			if err := tx.Orders().SetStatus(ctx, id, domain.OrderSuccess, ""); err != nil {
				return err
			}
			finished = true
			return tx.Audit().Append(ctx, domain.AuditEvent{ID: e.ids.NewID(), At: now, Actor: "entitle", Command: "CompleteOrder",
				Subject: "order:" + strconv.FormatInt(id, 10), Allowed: true, RulesetHash: e.Rules().Hash()})
		})
		if err != nil {
			return n, err
		}
		if finished {
			n++
			e.kickDeliveries()
		}
	}
	return n, nil
}

// OrderLookup selects orders for GetOrder: at least one field is needed.
type OrderLookup struct {
	UniqueID     int64
	SerialNumber string
	PONumber     string
}

// GetOrder returns clientID's orders matching q, newest first. It fails with
// CodeInvalid when q is empty and with ErrNoMatch when nothing of this
// client matches, which is also the answer for another client's order.
func (e *Service) GetOrder(ctx context.Context, p domain.Principal, q OrderLookup) ([]domain.Order, error) {
	clientID, err := partnerOf(p)
	if err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	if q.UniqueID == 0 && strings.TrimSpace(q.SerialNumber) == "" && strings.TrimSpace(q.PONumber) == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "uniqueID", "give at least one of uniqueID, serialNumber or poNumber")
	}
	var out []domain.Order
	err = e.store.View(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Orders().Find(ctx, domain.OrderQuery{ClientID: clientID, UniqueID: q.UniqueID, SerialKey: serialKeyOrEmpty(q.SerialNumber), PONumber: q.PONumber})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNoMatch
	}
	return out, nil
}

func serialKeyOrEmpty(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return domain.SerialKey(s)
}
