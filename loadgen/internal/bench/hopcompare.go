package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/example/order-saga/loadgen/internal/hop"
	"github.com/example/order-saga/loadgen/internal/report"
)

// HopComparison is the bare hop over each channel between the sidecar and
// its app, measured in turns on one stack: it is written as JSON.
type HopComparison struct {
	report.Provenance
	StartedAt time.Time  `json:"startedAt"`
	Machine   Machine    `json:"machine"`
	Options   Options    `json:"options"`
	Rounds    [][]HopRun `json:"rounds"` // one run of each channel per round
}

// comparedChannels are the channels CompareHops measures: the saga's own
// (HTTP deliveries, publishes over TCP) first.
var comparedChannels = []hop.Channel{{}, {HTTPPublish: true}, {GRPC: true}, {H2C: true}, {Socket: true}, {GRPC: true, Socket: true}, {GRPC: true, HTTPPublish: true}}

// hopRounds is how many times each channel is measured, in turns, so that
// a slow stretch of the machine falls on all of them alike.
const hopRounds = 3

// CompareHops measures the bare hop over each of comparedChannels, in
// hopRounds turns on one stack, prints a table of the medians to out and
// writes <OutDir>/<timestamp>-hop.json.
func CompareHops(ctx context.Context, o Options, out, log io.Writer) (*HopComparison, error) {
	started := time.Now()
	stamp := started.Format("20060102-150405")
	o, err := prepare(o)
	if err != nil {
		return nil, err
	}
	res := &HopComparison{Provenance: report.Collect(), StartedAt: started, Machine: describeMachine(), Options: o}
	s, logs, stop, err := startStack(ctx, o, filepath.Join(o.OutDir, stamp+"-hop.log"), log)
	if err != nil {
		return nil, err
	}
	defer stop()
	res.Machine.Versions = versions(o)
	for round := 1; round <= hopRounds; round++ {
		var runs []HopRun
		for _, ch := range comparedChannels {
			fmt.Fprintf(log, "round %d of %d: the bare hop with %s, %d messages\n", round, hopRounds, ch.Name(), o.HopMessages)
			h, err := measureHop(ctx, o, s, logs, ch)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ch.Name(), err)
			}
			runs = append(runs, h)
		}
		res.Rounds = append(res.Rounds, runs)
	}
	printHopTable(out, res)
	b, _ := json.MarshalIndent(res, "", "  ")
	file := filepath.Join(o.OutDir, stamp+"-hop.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nresults written to %s\n", rel(o.Root, file))
	return res, nil
}

func printHopTable(w io.Writer, res *HopComparison) {
	fmt.Fprintf(w, "Bare Dapr hop by channel: %s\n%d messages by %d publishers, median of %d rounds\n\n",
		describeRun(res.Provenance, res.Machine), res.Options.HopMessages, res.Options.HopPublishers, len(res.Rounds))
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "channel\tdelivered/s\tsidecar and Redis, ms CPU per message\tpublishers and subscriber, ms CPU per message\t\n")
	for i, ch := range comparedChannels {
		var rate, side, self []float64
		for _, round := range res.Rounds {
			rate = append(rate, round[i].DeliveredPerSecond)
			side = append(side, round[i].CPUPerHopMs)
			self = append(self, round[i].SelfCPUPerHopMs)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.3f\t%.3f\t\n", ch.Name(), median(rate), median(side), median(self))
	}
	tw.Flush()
}

// median is the middle value of v (the mean of the two middle ones for an
// even count), 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.SortedFunc(slices.Values(v), cmp.Compare[float64])
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
