module github.com/example/order-saga/devcluster

go 1.26.0

require (
	github.com/example/order-saga/contracts v0.0.0
	github.com/google/go-containerregistry v0.22.1
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/example/order-saga/contracts => ../contracts
