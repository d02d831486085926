// Command loadgen puts orders on order-svc and follows each to its final
// status; see docs/benchmark.md.
package main

import "github.com/example/order-saga/loadgen/internal/cli"

func main() { cli.Main("loadgen", cli.Loadgen) }
