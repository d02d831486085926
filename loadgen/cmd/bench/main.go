// Command bench measures the saga on a local stack of its own, as
// `make bench` does; see docs/benchmark.md.
package main

import "github.com/example/order-saga/loadgen/internal/cli"

func main() { cli.Main("bench", cli.Bench) }
