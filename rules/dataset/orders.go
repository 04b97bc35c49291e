package dataset

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// OrderData is a past order: one a client placed before entitle served it,
// in the TAP Store (seed 001: "orders not created via the API and existing
// in the TAP Store"), with its lines. Each line of a SUCCESS or
// ORDER_ON_HOLD order is one subscription owned through the order by
// clientId, so TAP_GET_ORDER_API finds the order by serialNumber or poNumber
// and TAP_GET_ACTIVATION_STATUS_API and TAP_RESEND_ACTIVATION_API find its
// subscriptions for that client, and for no other. An ERROR order grants
// nothing. The order keeps the uniqueID and orderNumber the TAP Store gave
// it, below the numbers entitle gives the orders it creates (13331 and
// 2342342 up, domain.FirstUniqueID and domain.FirstOrderNumber); loading
// the file again leaves an order already stored under its uniqueID as it
// is.
type OrderData struct {
	UniqueID         int64           `json:"uniqueID"`
	OrderNumber      int64           `json:"orderNumber"`
	ClientID         string          `json:"clientId"`
	PONumber         string          `json:"poNumber"`
	CustomerOrderRef string          `json:"customerOrderRef,omitempty"`
	CurrencyCode     string          `json:"currencyCode"`
	BillToSiteUseID  int64           `json:"billToSiteUseId"`
	ShipToSiteUseID  int64           `json:"shipToSiteUseId,omitempty"` // default: billToSiteUseId's customer
	Status           string          `json:"status,omitempty"`          // SUCCESS (default), ORDER_ON_HOLD or ERROR
	CreatedAt        time.Time       `json:"createdAt"`
	Lines            []OrderLineData `json:"lines"`
}

// OrderLineData is a line of a past order and the subscription it granted.
// serviceEndDate defaults to serviceStartDate plus the part's duration.
type OrderLineData struct {
	LineNumber          int         `json:"lineNumber"`
	SerialNumber        string      `json:"serialNumber"`
	PartNumber          string      `json:"partNumber"`
	ManufacturerModel   string      `json:"manufacturerModel,omitempty"`
	ServiceStartDate    domain.Date `json:"serviceStartDate"`
	ServiceEndDate      domain.Date `json:"serviceEndDate,omitzero"`
	AutoRenewal         bool        `json:"autoRenewal,omitempty"`
	SSOUserEmailAddress string      `json:"ssoUserEmailAddress,omitempty"`
	DeviceKey           string      `json:"deviceKey,omitempty"`
	Kind                string      `json:"kind,omitempty"`      // PAID (default), TRIAL, BUNDLE
	Status              string      `json:"status,omitempty"`    // CANCELED or TERMINATED; empty follows the dates
	Activated           *bool       `json:"activated,omitempty"` // default true
}

// PastOrder is an OrderData checked for its form, ready for Apply: the
// order and, line by line, how its subscription ended and whether it was
// activated. What it names (the client, its sites, the parts) is resolved
// against the store by Apply, so a file of orders alone loads into a store
// that holds the rest.
type PastOrder struct {
	Field string // orders[i], the path problems are reported under
	Order domain.Order
	Lines []PastLine
}

// PastLine is what a past order's line says of its subscription beyond the
// order line.
type PastLine struct {
	Field     string                    // orders[i].lines[j]
	Ended     domain.SubscriptionStatus // CANCELED, TERMINATED or ""
	Activated bool
}

// buildOrders checks the orders part of ds: every problem with its field.
func (ds *Dataset) buildOrders(w *World, p *domain.Problems) {
	ids, numbers := map[int64]string{}, map[int64]string{} // -> field
	for i, od := range ds.Orders {
		f := "orders[" + strconv.Itoa(i) + "]"
		po := PastOrder{Field: f}
		if od.UniqueID <= 0 || od.UniqueID >= domain.FirstUniqueID {
			p.Add("INVALID", f+".uniqueID", "uniqueID %d must be from 1 to %d: the TAP Store's, below the ones entitle gives", od.UniqueID, domain.FirstUniqueID-1)
		} else if prev, dup := ids[od.UniqueID]; dup {
			p.Add("DUPLICATE", f+".uniqueID", "uniqueID %d is %s's too", od.UniqueID, prev)
		} else {
			ids[od.UniqueID] = f
		}
		if od.OrderNumber <= 0 || od.OrderNumber >= domain.FirstOrderNumber {
			p.Add("INVALID", f+".orderNumber", "orderNumber %d must be from 1 to %d: the TAP Store's, below the ones entitle gives", od.OrderNumber, domain.FirstOrderNumber-1)
		} else if prev, dup := numbers[od.OrderNumber]; dup {
			p.Add("DUPLICATE", f+".orderNumber", "orderNumber %d is %s's too", od.OrderNumber, prev)
		} else {
			numbers[od.OrderNumber] = f
		}
		if od.ClientID == "" {
			p.Add("REQUIRED", f+".clientId", "clientId is required: the client that owns the order")
		}
		domain.CheckText(p, f+".poNumber", od.PONumber, domain.MaxText)
		domain.CheckText(p, f+".customerOrderRef", od.CustomerOrderRef, domain.MaxText)
		if strings.TrimSpace(od.PONumber) == "" {
			p.Add("REQUIRED", f+".poNumber", "poNumber is required")
		}
		if !domain.ValidCurrency(od.CurrencyCode) {
			p.Add("INVALID", f+".currencyCode", "currencyCode %q is not an ISO-4217 code", od.CurrencyCode)
		}
		if od.BillToSiteUseID <= 0 {
			p.Add("REQUIRED", f+".billToSiteUseId", "billToSiteUseId must be the positive siteUseId of the reseller billed")
		}
		if od.ShipToSiteUseID < 0 {
			p.Add("INVALID", f+".shipToSiteUseId", "shipToSiteUseId must be a positive siteUseId")
		}
		if od.CreatedAt.IsZero() {
			p.Add("REQUIRED", f+".createdAt", "createdAt is required: when the order was placed, like 2024-05-02T15:04:05Z")
		}
		status := domain.OrderSuccess
		switch st := domain.OrderStatus(strings.ToUpper(od.Status)); st {
		case "":
		case domain.OrderSuccess, domain.OrderOnHold, domain.OrderError:
			status = st
		default:
			p.Add("INVALID", f+".status", "status %q is not SUCCESS, ORDER_ON_HOLD or ERROR (an order in progress is listed under inProgress)", od.Status)
		}
		po.Order = domain.Order{UniqueID: od.UniqueID, OrderNumber: od.OrderNumber, ClientID: od.ClientID, PONumber: od.PONumber, CustomerOrderRef: od.CustomerOrderRef,
			Currency: domain.Currency(od.CurrencyCode), BillToSiteUseID: od.BillToSiteUseID, ShipToSiteUseID: od.ShipToSiteUseID,
			Status: status, CreatedAt: od.CreatedAt.UTC()}
		if len(od.Lines) == 0 {
			p.Add("REQUIRED", f+".lines", "an order has at least one line")
		}
		lineNumbers := map[int]bool{}
		for j, ld := range od.Lines {
			g := f + ".lines[" + strconv.Itoa(j) + "]"
			pl, kind := PastLine{Field: g, Activated: ld.Activated == nil || *ld.Activated}, domain.SubscriptionKind(strings.ToUpper(ld.Kind))
			if ld.LineNumber <= 0 {
				p.Add("INVALID", g+".lineNumber", "lineNumber must be a positive number")
			} else if lineNumbers[ld.LineNumber] {
				p.Add("DUPLICATE", g+".lineNumber", "lineNumber %d is given twice", ld.LineNumber)
			}
			lineNumbers[ld.LineNumber] = true
			if strings.TrimSpace(ld.SerialNumber) == "" {
				p.Add("REQUIRED", g+".serialNumber", "serialNumber is required")
			}
			domain.CheckText(p, g+".serialNumber", ld.SerialNumber, domain.MaxText)
			if ld.PartNumber == "" {
				p.Add("REQUIRED", g+".partNumber", "partNumber is required")
			}
			if ld.ServiceStartDate.IsZero() {
				p.Add("REQUIRED", g+".serviceStartDate", "serviceStartDate is required (YYYY-MM-DD, Pacific time)")
			} else if !ld.ServiceEndDate.IsZero() && ld.ServiceEndDate.Before(ld.ServiceStartDate) {
				p.Add("INVALID", g+".serviceEndDate", "serviceEndDate %s is before serviceStartDate %s", ld.ServiceEndDate, ld.ServiceStartDate)
			}
			switch kind {
			case "":
				kind = domain.Paid
			case domain.Paid, domain.Trial, domain.Bundle:
			default:
				p.Add("INVALID", g+".kind", "kind %q is not PAID, TRIAL or BUNDLE", ld.Kind)
			}
			switch st := domain.SubscriptionStatus(strings.ToUpper(ld.Status)); st {
			case "":
			case domain.Canceled, domain.Terminated:
				pl.Ended = st
			default:
				p.Add("INVALID", g+".status", "status %q is not CANCELED or TERMINATED", ld.Status)
			}
			po.Order.Lines = append(po.Order.Lines, domain.OrderLine{LineNumber: ld.LineNumber, SerialNumber: ld.SerialNumber,
				PartNumber: ld.PartNumber, ManufacturerModel: ld.ManufacturerModel, Kind: kind,
				ServiceStartDate: ld.ServiceStartDate, ServiceEndDate: ld.ServiceEndDate, Quantity: 1, AutoRenewal: ld.AutoRenewal,
				SSOUserEmailAddress: ld.SSOUserEmailAddress, DeviceKey: ld.DeviceKey, Canceled: pl.Ended != ""})
			po.Lines = append(po.Lines, pl)
		}
		w.Orders = append(w.Orders, po)
	}
}

// applyOrders writes the past orders a store does not hold yet (by
// uniqueID), each with its lines' subscriptions, devices and trials. What a
// file names that the store does not hold (the client, a site of another
// client, a part), and a uniqueID or orderNumber the store gave another
// order, are CodeInvalid naming the field, and nothing of the file is
// written.
func (w *World) applyOrders(ctx context.Context, tx ports.Tx) error {
	var p domain.Problems
	for _, po := range w.Orders {
		old, err := tx.Orders().Get(ctx, po.Order.UniqueID)
		if err == nil {
			if old.ClientID != po.Order.ClientID || old.OrderNumber != po.Order.OrderNumber {
				p.Add("CONFLICT", po.Field+".uniqueID", "uniqueID %d is the store's order %d of client %s", old.UniqueID, old.OrderNumber, old.ClientID)
			}
			continue // loaded before: what became of it since is kept
		} else if !notFound(err) {
			return err
		}
		if old, err := tx.Orders().ByOrderNumber(ctx, po.Order.OrderNumber); err == nil {
			p.Add("CONFLICT", po.Field+".orderNumber", "orderNumber %d is the store's order with uniqueID %d", old.OrderNumber, old.UniqueID)
			continue
		} else if !notFound(err) {
			return err
		}
		o := po.Order
		o.Lines = append([]domain.OrderLine(nil), po.Order.Lines...)
		if err := w.resolveOrder(ctx, tx, &po, &o, &p); err != nil {
			return err
		}
		if p.Len() > 0 {
			continue // reported at the end; nothing is written
		}
		if err := tx.Orders().Create(ctx, &o); err != nil {
			return err
		}
		if o.Status == domain.OrderError {
			continue
		}
		for j, l := range o.Lines {
			if err := grantLine(ctx, tx, &o, l, po.Lines[j], &p); err != nil {
				return err
			}
		}
	}
	return p.Err()
}

// resolveOrder fills in what o takes from the store: the client, the
// customers billed and shipped to (theirs, by site), each line's part.
func (w *World) resolveOrder(ctx context.Context, tx ports.Tx, po *PastOrder, o *domain.Order, p *domain.Problems) error {
	f := po.Field
	if _, err := tx.Clients().Get(ctx, o.ClientID); notFound(err) {
		p.Add("UNKNOWN", f+".clientId", "client %q is neither in the data file nor in the store", o.ClientID)
		return nil
	} else if err != nil {
		return err
	}
	site := func(field string, id int64, use domain.SiteUse) (domain.Customer, error) {
		c, err := tx.Customers().BySite(ctx, id, use)
		if notFound(err) || (err == nil && c.ClientID != o.ClientID) {
			p.Add("UNKNOWN", f+"."+field, "%s %d is not a %s site of a customer of client %s", field, id, use, o.ClientID)
			return domain.Customer{}, nil
		}
		return c, err
	}
	bill, err := site("billToSiteUseId", o.BillToSiteUseID, domain.BillTo)
	if err != nil {
		return err
	}
	o.CustomerID, o.BillToCustomer = bill.ID, bill.Name
	o.ShipToCustomerID, o.ShipToCustomer = bill.ID, bill.Name
	if o.ShipToSiteUseID != 0 {
		ship, err := site("shipToSiteUseId", o.ShipToSiteUseID, domain.ShipTo)
		if err != nil {
			return err
		}
		o.ShipToCustomerID, o.ShipToCustomer = ship.ID, ship.Name
	}
	for j := range o.Lines {
		l := &o.Lines[j]
		part, err := tx.Catalog().Part(ctx, l.PartNumber)
		if notFound(err) {
			p.Add("UNKNOWN", po.Lines[j].Field+".partNumber", "part %q is neither in the data file nor in the store", l.PartNumber)
			continue
		} else if err != nil {
			return err
		}
		l.ServiceType, l.PartDescription, l.ProductLine = part.ServiceType, part.Description, part.ProductLine
		if l.ServiceEndDate.IsZero() {
			l.ServiceEndDate = part.Duration.After(l.ServiceStartDate)
		}
		l.DurationDays = l.ServiceStartDate.DaysUntil(l.ServiceEndDate)
		l.SubscriptionID = subscriptionID(o, l.LineNumber)
	}
	return nil
}

// subscriptionID names the subscription of a past order's line after the
// order's uniqueID, so it is the same at every load.
func subscriptionID(o *domain.Order, line int) string {
	return "order-" + strconv.FormatInt(o.UniqueID, 10) + "-line-" + strconv.Itoa(line)
}

// grantLine writes what a line granted: its device when the store does not
// know it, its subscription (of the order, so of the client), and a trial's
// ledger entry. A subscription overlapping a stored one of the same serial
// and product line is CodeInvalid on the line's serviceStartDate.
func grantLine(ctx context.Context, tx ports.Tx, o *domain.Order, l domain.OrderLine, pl PastLine, p *domain.Problems) error {
	if _, err := tx.Devices().BySerial(ctx, l.SerialNumber); notFound(err) {
		if err := tx.Devices().Put(ctx, domain.Device{Serial: l.SerialNumber, ServiceType: l.ServiceType, Model: l.ManufacturerModel}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	sub := domain.Subscription{ID: l.SubscriptionID, Serial: l.SerialNumber, PartNumber: l.PartNumber, ProductLine: l.ProductLine,
		Start: l.ServiceStartDate, End: l.ServiceEndDate, Kind: l.Kind, Ended: pl.Ended, AutoRenew: l.AutoRenewal,
		OrderID: o.UniqueID, Line: l.LineNumber, Activated: pl.Activated, CreatedAt: o.CreatedAt}
	if err := tx.Subscriptions().Put(ctx, sub); domain.ErrorCode(err) == domain.CodeConflict {
		p.Add("OVERLAP", pl.Field+".serviceStartDate", "the subscription of serial %s overlaps another of product line %s: %v", l.SerialNumber, l.ProductLine, err)
		return nil
	} else if err != nil {
		return err
	}
	if l.Kind != domain.Trial {
		return nil
	}
	key := domain.SerialKey(l.SerialNumber)
	have, err := tx.Trials().BySerial(ctx, key)
	if err != nil {
		return err
	}
	for _, g := range have {
		if g.ProductLine == l.ProductLine {
			return nil
		}
	}
	return tx.Trials().Record(ctx, domain.TrialGrant{SerialKey: key, ProductLine: l.ProductLine, OrderID: o.UniqueID,
		PartNumber: l.PartNumber, GrantedAt: o.CreatedAt})
}
