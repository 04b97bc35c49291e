package orders

import (
	"context"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// LoadSnapshot reads, inside tx, everything a decision on req by p needs, at
// instant now. Only the customers of p's partner are visible: another
// client's site is as unknown as a site that does not exist. CreateOrder and
// the tests written in rule files both decide from it.
func LoadSnapshot(ctx context.Context, tx ports.OrdersTx, p domain.Principal, req *domain.OrderRequest, now time.Time) (*Snapshot, error) {
	clientID, err := partnerOf(p)
	if err != nil {
		return nil, err
	}
	return loadSnapshot(ctx, tx, clientID, req, now)
}

func loadSnapshot(ctx context.Context, tx ports.OrdersTx, clientID string, req *domain.OrderRequest, now time.Time) (*Snapshot, error) {
	// The serials first: a store serializes transactions on them (and may
	// read them ahead, in one round trip).
	serials := make([]string, 0, len(req.Lines))
	for i := range req.Lines {
		serials = append(serials, req.Lines[i].SerialNumber)
	}
	if err := tx.LockSerials(ctx, serials...); err != nil {
		return nil, err
	}
	s := &Snapshot{Now: now, Parts: map[string]*domain.Part{}, Models: map[string]*domain.Model{},
		Devices: map[string]*domain.Device{}, Timelines: map[string]domain.Timeline{},
		Trials: map[string][]domain.TrialGrant{}, InProgress: map[string]bool{}, Coupons: map[string]*domain.Coupon{},
		OwnSSOEmails: map[string]string{}}
	billTo, err := visibleSiteOwner(ctx, tx, clientID, req.BillToSiteUseID, domain.BillTo)
	if err != nil {
		return nil, err
	}
	if billTo != nil && billTo.Kind == domain.Reseller {
		s.BillTo = billTo
	}
	shipTo, err := visibleSiteOwner(ctx, tx, clientID, req.ShipToSiteUseID, domain.ShipTo)
	if err != nil {
		return nil, err
	}
	if shipTo != nil && shipsFor(s.BillTo, shipTo) {
		s.ShipTo = shipTo
	}
	if s.BillTo != nil {
		if s.PriceList, err = priceListOf(ctx, tx.Catalog(), s.BillTo); err != nil {
			return nil, err
		}
	}
	cat := tx.Catalog()
	for i := range req.Lines {
		l := &req.Lines[i]
		if _, seen := s.Parts[l.PartNumber]; !seen && l.PartNumber != "" {
			p, err := cat.Part(ctx, l.PartNumber)
			if err != nil && !notFound(err) {
				return nil, err
			}
			s.Parts[l.PartNumber] = nil
			if err == nil {
				s.Parts[l.PartNumber] = &p
			}
		}
		if k := ModelKey(l.ManufacturerModel); k != "" {
			if _, seen := s.Models[k]; !seen {
				man, name := domain.SplitModelKey(l.ManufacturerModel)
				m, err := cat.Model(ctx, man, name)
				if err != nil && !notFound(err) {
					return nil, err
				}
				s.Models[k] = nil
				if err == nil {
					s.Models[k] = &m
				}
			}
		}
		if err := loadSerial(ctx, tx, s, clientID, l.SerialNumber); err != nil {
			return nil, err
		}
		if l.CouponNumber != "" {
			c, err := cat.Coupon(ctx, l.CouponNumber)
			if err != nil && !notFound(err) {
				return nil, err
			}
			if err == nil {
				s.Coupons[c.Number] = &c
			}
		}
	}
	if req.PromoCode != "" {
		p, err := cat.Promo(ctx, req.PromoCode)
		if err != nil && !notFound(err) {
			return nil, err
		}
		if err == nil {
			s.Promo = &p
		}
	}
	return s, nil
}

func loadSerial(ctx context.Context, tx ports.OrdersTx, s *Snapshot, clientID, serial string) error {
	key := domain.SerialKey(serial)
	if _, seen := s.Timelines[key]; seen || serial == "" {
		return nil
	}
	d, err := tx.Devices().BySerial(ctx, serial)
	switch {
	case err == nil:
		s.Devices[key] = &d
	case !notFound(err):
		return err
	}
	tl, err := tx.Subscriptions().BySerial(ctx, serial)
	if err != nil {
		return err
	}
	s.Timelines[key] = tl
	if s.Trials[key], err = tx.Trials().BySerial(ctx, serial); err != nil {
		return err
	}
	if s.InProgress[key], err = tx.Orders().InProgress(ctx, serial); err != nil {
		return err
	}
	s.OwnSSOEmails[key], err = ownSSOEmail(ctx, tx, clientID, serial)
	return err
}

// ownSSOEmail returns the latest valid SSO e-mail clientID's own orders gave
// for serial (newest order first, its last line naming the serial first),
// or "". What one client sent never reaches another's fallback or delivery.
func ownSSOEmail(ctx context.Context, tx ports.OrdersTx, clientID, serial string) (string, error) {
	key := domain.SerialKey(serial)
	if clientID == "" || key == "" {
		return "", nil
	}
	orders, err := tx.Orders().Find(ctx, domain.OrderQuery{ClientID: clientID, SerialKey: key})
	if err != nil {
		return "", err
	}
	for _, o := range orders {
		for i := len(o.Lines) - 1; i >= 0; i-- {
			l := &o.Lines[i]
			if domain.SerialKey(l.SerialNumber) == key && domain.ValidEmail(l.SSOUserEmailAddress) {
				return l.SSOUserEmailAddress, nil
			}
		}
	}
	return "", nil
}

// visibleSiteOwner returns the active customer of clientID owning the site,
// or nil.
func visibleSiteOwner(ctx context.Context, tx ports.OrdersTx, clientID string, siteUseID int64, use domain.SiteUse) (*domain.Customer, error) {
	if siteUseID == 0 {
		return nil, nil
	}
	c, err := tx.Customers().BySite(ctx, siteUseID, use)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.ClientID != clientID || !c.Active {
		return nil, nil
	}
	return &c, nil
}

// shipsFor reports whether goods billed to billTo may ship to shipTo: the
// reseller itself or one of its end customers.
func shipsFor(billTo, shipTo *domain.Customer) bool {
	if billTo == nil {
		return true
	}
	return shipTo.ID == billTo.ID || shipTo.ParentID == billTo.ID
}

// priceListOf returns the customer's price list, else its country's, else nil.
func priceListOf(ctx context.Context, cat ports.Catalog, c *domain.Customer) (*domain.PriceList, error) {
	var (
		l   domain.PriceList
		err error
	)
	if c.PriceListID != "" {
		l, err = cat.PriceList(ctx, c.PriceListID)
	} else {
		l, err = cat.PriceListForCountry(ctx, c.Country)
	}
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}
