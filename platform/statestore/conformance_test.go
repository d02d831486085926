package statestore_test

import (
	"testing"

	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/platform/statestore/storetest"
)

func TestTheInProcessStoreKeepsTheContract(t *testing.T) {
	t.Parallel()
	storetest.Conformance(t, statestore.NewMemory(), "s", "conformance")
}
