// Command job-probe schedules Dapr jobs when asked and records each
// delivery: see package jobprobe.
package main

import (
	"github.com/example/order-saga/loadgen/jobprobe"
	"github.com/example/order-saga/platform/frame"
)

func main() { frame.Main(jobprobe.AppID, jobprobe.Port, jobprobe.New) }
