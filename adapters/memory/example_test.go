package memory_test

import (
	"context"
	"fmt"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// A device stored as "TESTApi01" is found as "TestAPI01" and keeps its
// spelling; the first order of a fresh store gets the seed's sample numbers.
func Example() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	o := &domain.Order{ClientID: "client-a", Status: domain.OrderInProgress,
		Lines: []domain.OrderLine{{LineNumber: 1, SerialNumber: "TESTApi01"}}}
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Devices().Put(ctx, domain.Device{Serial: "TESTApi01", ServiceType: domain.VRS}); err != nil {
			return err
		}
		return tx.Orders().Create(ctx, o)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = s.View(ctx, func(tx ports.Tx) error {
		d, err := tx.Devices().BySerial(ctx, "TestAPI01")
		if err != nil {
			return err
		}
		busy, err := tx.Orders().InProgress(ctx, "testapi01")
		fmt.Println(d.Serial, busy, o.UniqueID, o.OrderNumber)
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: TESTApi01 true 13331 2342342
}
