package memory_test

import (
	"testing"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/ports/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store { return memory.New() })
}
