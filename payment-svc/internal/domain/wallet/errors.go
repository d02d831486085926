package wallet

import "errors"

// Sentinel errors of the wallet domain.
var (
	ErrBalanceOutOfRange = errors.New("balance out of range")
	ErrNegativeAmount    = errors.New("negative amount")
)
