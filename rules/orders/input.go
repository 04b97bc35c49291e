package orders

import "github.com/entitle-rules/entitle/domain"

// The input limits of the store API's requests (domain.MaxText and the
// others), checked at the start of each use case, before any store is read:
// a NUL byte, invalid UTF-8, an over-long string or an out-of-range number
// gets the same CodeInvalid naming its field on every store.

func (q CustomerQuery) check() error {
	return domain.CheckTexts("region", q.Region, "resellerName", q.ResellerName, "endCustomerName", q.EndCustomerName)
}

func (q ProductQuery) check() error {
	var p domain.Problems
	domain.CheckInt(&p, "resellerbillToSiteUseId", q.ResellerBillToSiteUseID, -domain.MaxID, domain.MaxID)
	domain.CheckText(&p, "serviceType", q.ServiceType, domain.MaxText)
	domain.CheckText(&p, "model", q.Model, domain.MaxText)
	domain.CheckText(&p, "partDescription", q.PartDescription, domain.MaxText)
	return p.Err()
}

func (q OrderLookup) check() error {
	var p domain.Problems
	domain.CheckInt(&p, "uniqueID", q.UniqueID, -domain.MaxID, domain.MaxID)
	domain.CheckText(&p, "serialNumber", q.SerialNumber, domain.MaxText)
	domain.CheckText(&p, "poNumber", q.PONumber, domain.MaxText)
	return p.Err()
}

func (q ActivationQuery) check() error {
	var p domain.Problems
	domain.CheckInt(&p, "orderNumber", q.OrderNumber, -domain.MaxID, domain.MaxID)
	domain.CheckText(&p, "serialNumber", q.SerialNumber, domain.MaxText)
	return p.Err()
}

func (r ResendRequest) check() error {
	var p domain.Problems
	domain.CheckInt(&p, "orderNumber", r.OrderNumber, -domain.MaxID, domain.MaxID)
	domain.CheckText(&p, "serialNumber", r.SerialNumber, domain.MaxText)
	domain.CheckText(&p, "partNumber", r.PartNumber, domain.MaxText)
	domain.CheckText(&p, "customerOrderRef", r.CustomerOrderRef, domain.MaxText)
	domain.CheckDate(&p, "activationDate", r.ActivationDate)
	return p.Err()
}
