package e2e

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// A fault run places orders at a steady rate while processes die, stall
// and the broker delivers some events twice, and then checks that nothing
// was lost or applied twice. `make test` runs the short one on Redis
// Streams, with the state in Redis and in PostgreSQL; `make test-faults`
// the full one on every broker and store it names.
var (
	faultsFull    = flag.Bool("faults.full", false, "run the full fault run (3,000 orders) instead of the short one")
	faultsBrokers = flag.String("faults.brokers", "redis", "comma-separated brokers to run the fault run on: redis, rabbitmq")
	faultsStores  = flag.String("faults.stores", "redis,postgres", "comma-separated state stores to run the fault run on: redis, postgres")
)

// faultLoad is the size of a fault run, and how long each killed process
// stays down (0: the supervisor starts it again after its back-off).
type faultLoad struct {
	orders int
	rate   float64 // orders per second
	down   time.Duration
}

var (
	shortFaults = faultLoad{orders: 1_000, rate: 40}
	fullFaults  = faultLoad{orders: 3_000, rate: 40}
	// longOutages keeps each killed process down longer than a delivery's
	// retries (8 s) and the pub/sub component's processingTimeout (15 s),
	// as a kubelet's back-off does after four restarts; the kills overlap,
	// several processes being down at once.
	longOutages = faultLoad{orders: 1_000, rate: 10, down: 25 * time.Second}
)

// outageDeadline is the orders' deadline in a run with long outages:
// orders stuck behind a process that is down are canceled within the run.
const outageDeadline = 30 * time.Second

const (
	// duplicatedShare of the broker's entries are added to it once more.
	duplicatedShare = 0.10
	// stallFor is how long one consumer stays stopped: past the pub/sub
	// component's processingTimeout (15s), so that what it holds is taken
	// over by the other replica.
	stallFor = 20 * time.Second
	// recoveryBound is how long after the last fault every order must be
	// final: what a dead or stalled consumer held is handled again within
	// processingTimeout and a few reclaim rounds (see pubsub.yaml).
	recoveryBound = 60 * time.Second
	// redriveAfter is order-svc's RedriveAfter: how long an order stays
	// open before its OrderCreated is published again.
	redriveAfter = 30 * time.Second
)

// TestNothingIsLostWhileProcessesDieUnderLoad runs the saga under a steady
// load with two replicas of stock-svc and payment-svc, supervised as `make
// run` supervises them, and during the load: kills each service and one
// sidecar of each with SIGKILL, kills Redis, stops one stock-svc instance
// (service and sidecar) past processingTimeout, restarts the broker when
// it is not Redis, and adds a tenth of the broker's entries again. Once
// every order is final it checks, order by order and unit by unit, that
// nothing was lost or applied twice, and prints the figures.
func TestNothingIsLostWhileProcessesDieUnderLoad(t *testing.T) {
	load := shortFaults
	if *faultsFull {
		load = fullFaults
	}
	for _, broker := range strings.Split(*faultsBrokers, ",") {
		for _, store := range strings.Split(*faultsStores, ",") {
			t.Run(broker+" broker, "+store+" store", func(t *testing.T) { runFaults(t, broker, store, load) })
		}
	}
}

// TestEveryOrderEndsAndNothingStaysHeldWhileProcessesStayDown is the same
// run with every process killed and kept down for longer than a
// delivery's retries, and an order deadline of 30 s: every order ends,
// at its deadline when the saga cannot finish it, and what the saga took
// for a canceled order is given back, money and units, exactly.
func TestEveryOrderEndsAndNothingStaysHeldWhileProcessesStayDown(t *testing.T) {
	for _, broker := range strings.Split(*faultsBrokers, ",") {
		t.Run(broker+" broker, redis store", func(t *testing.T) { runFaults(t, broker, "redis", longOutages) })
	}
}

func runFaults(t *testing.T, broker, store string, load faultLoad) {
	var o stack.Options
	if broker != "redis" {
		o = startBroker(t, broker)
	}
	o.State, o.Supervise, o.Persist = store, true, true
	o.Replicas = map[string]int{contracts.AppStock: 2, contracts.AppPayment: 2}
	if load.down > 0 {
		o.Env = map[string][]string{contracts.AppOrder: {"ORDER_DEADLINE=" + outageDeadline.String()}}
	}
	s := ownStack(t, o)
	a := newAPI(t, s)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	shop := openShop(a, rng)
	plans := shop.plan(rng, load.orders, 0)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dup := duplicator(t, s, o, seed)
	dupDone := make(chan struct{})
	go func() { defer close(dupDone); dup.run(ctx) }()

	span := time.Duration(float64(load.orders) / load.rate * float64(time.Second))
	rig := &faultRig{s: s, o: o, down: load.down}
	faults := rig.schedule(broker)
	if s.Postgres != nil {
		faults = slices.Insert(faults, slices.IndexFunc(faults, func(f fault) bool { return strings.Contains(f.name, " redis") })+1, rig.killFault("postgres"))
	}
	began := time.Now()
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); rig.apply(faults, span) }()
	placed, retried := placeAtRate(t, s, plans, load.rate)
	loadEnded := time.Now()
	<-faultsDone
	var over time.Duration // when the last fault was over, after began
	for _, f := range rig.done {
		over = max(over, f.at+f.backIn)
	}
	lastFault := began.Add(over)
	cancel()
	<-dupDone

	final, lost := finalOrders(t, a, placed, recoveryBound)
	allFinal := time.Now()
	sum := tally(t, shop, plans, final)
	bad := checkConserved(t, a, shop, final, sum)
	settled := time.Now()
	refunded := 0
	for _, o := range final {
		if o.RefundedCents > 0 {
			refunded++
		}
	}
	letters := map[string]int{}
	redriven := 0
	for _, inst := range []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment} {
		letters[inst] = metricSum(t, s, inst, "saga_dead_letters_total{")
		redriven += metricSum(t, s, inst, "saga_dead_letters_redriven_total{")
	}

	r := faultReport{
		broker: broker, store: store, load: load, took: loadEnded.Sub(began), retried: retried, faults: rig.done,
		dupSeen: dup.seen.Load(), dupAdded: dup.added.Load(), sum: sum, lost: lost, bad: bad,
		afterLoad: allFinal.Sub(loadEnded), afterFaults: allFinal.Sub(lastFault), settledAfterFaults: settled.Sub(lastFault),
		refunded: refunded, letters: letters, lettersRedriven: redriven,
		sagas: sagaTimes(final), restarts: s.Restarts(), products: len(shop.products), wallets: len(shop.customers),
		redriven: metricSum(t, s, contracts.AppOrder, "saga_orders_redriven_total"),
	}
	fmt.Fprint(os.Stdout, r)
	t.Log("\n" + r.String())
	for _, f := range rig.done {
		if f.err != nil {
			t.Errorf("%s: %v", f.name, f.err)
		}
	}
	if r.dupAdded == 0 {
		t.Errorf("no entry was added again to the broker (%d seen)", r.dupSeen)
	}
}

// placeAtRate places every planned order at a steady rate, each from its
// own goroutine so that a slow answer does not slow the load, and returns
// the answers in the order of the plans and how many orders took more
// than one POST.
func placeAtRate(t *testing.T, s *stack.Stack, plans []plannedOrder, rate float64) ([]placedOrder, int) {
	t.Helper()
	placed := make([]placedOrder, len(plans))
	errs := make([]error, len(plans))
	var retried atomic.Int64
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i := range plans {
		if i > 0 {
			<-tick.C
		}
		wg.Go(func() {
			var attempts int
			placed[i], attempts, errs[i] = placeOnce(s, plans[i])
			if attempts > 1 {
				retried.Add(1)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("order %d of %d: %v", i, len(plans), err)
		}
	}
	return placed, int(retried.Load())
}

// fault is one thing done to the stack during the load.
type fault struct {
	name  string
	apply func(ctx context.Context) error // returns once the stack is back
	// alongside faults run while the next ones go on.
	alongside bool
}

// doneFault is a fault as it went: when, and how long until the stack was
// back.
type doneFault struct {
	name    string
	at      time.Duration
	backIn  time.Duration
	err     error
	ordinal int
}

// faultRig does the faults of a run to its stack.
type faultRig struct {
	s    *stack.Stack
	o    stack.Options
	down time.Duration // how long a killed process stays down; 0: its back-off
	mu   sync.Mutex
	done []doneFault
}

// schedule lists the faults of a run: each service and each sidecar
// killed, Redis and the Dapr scheduler killed, one stock-svc instance
// stalled (after its sidecar was killed and came back) unless every
// process stays down long, and the broker restarted when it is not Redis.
func (r *faultRig) schedule(broker string) []fault {
	kill := r.killFault
	stalled := contracts.AppStock + "-2"
	fs := []fault{
		kill(contracts.AppOrder),
		kill(stalled + "/dapr"),
		kill(contracts.AppStock + "/dapr"),
		kill(contracts.AppPayment),
		kill(contracts.AppOrder + "/dapr"),
		kill("redis"),
		kill("scheduler"),
		kill(contracts.AppStock),
		kill(contracts.AppPayment + "/dapr"),
		kill(contracts.AppPayment + "-2/dapr"),
	}
	if r.down == 0 {
		// With long outages every process is down for longer than this.
		fs = slices.Insert(fs, 4, fault{name: fmt.Sprintf("SIGSTOP %s and its sidecar for %s", stalled, stallFor), alongside: true,
			apply: func(ctx context.Context) error { return r.stall(ctx, stalled, stallFor) }})
	}
	if r.o.RestartBroker != nil {
		fs = append(fs, fault{name: "restart " + broker, apply: func(ctx context.Context) error {
			if err := r.o.RestartBroker(ctx); err != nil {
				return err
			}
			return r.s.WaitReady(ctx, r.s.Instances...)
		}})
	}
	return fs
}

// killFault kills a process of the stack, and keeps it down as the run
// says.
func (r *faultRig) killFault(name string) fault {
	if r.down > 0 {
		return fault{name: fmt.Sprintf("kill -9 %s, down %s", name, r.down), alongside: true,
			apply: func(ctx context.Context) error { return r.kill(ctx, name) }}
	}
	return fault{name: "kill -9 " + name, apply: func(ctx context.Context) error { return r.kill(ctx, name) }}
}

// apply does the faults one after the other, spread evenly over span,
// and returns once every one of them is over.
func (r *faultRig) apply(faults []fault, span time.Duration) {
	began := time.Now()
	gap := span / time.Duration(len(faults)+1)
	var alongside sync.WaitGroup
	for i, f := range faults {
		if wait := time.Until(began.Add(gap * time.Duration(i+1))); wait > 0 {
			<-time.After(wait)
		}
		do := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			at := time.Since(began)
			err := f.apply(ctx)
			r.mu.Lock()
			r.done = append(r.done, doneFault{name: f.name, at: at, backIn: time.Since(began) - at, err: err, ordinal: i})
			r.mu.Unlock()
		}
		if f.alongside {
			alongside.Go(do)
		} else {
			do()
		}
	}
	alongside.Wait()
	slices.SortFunc(r.done, func(a, b doneFault) int { return a.ordinal - b.ordinal })
}

// kill kills a process of the stack as a crash would, and waits until the
// supervisor has started it again and it is ready.
func (r *faultRig) kill(ctx context.Context, name string) error {
	old := r.s.Pids()[name]
	if old == 0 {
		return fmt.Errorf("no process %s", name)
	}
	if r.down > 0 {
		if err := r.s.KillFor(name, r.down); err != nil {
			return err
		}
	} else if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		return err
	}
	err := poll(time.Minute+r.down, func() error {
		if pid := r.s.Pids()[name]; pid == 0 || pid == old {
			return fmt.Errorf("%s not started again", name)
		}
		switch name {
		case "redis":
			return stack.Ping(ctx, r.s.Redis.Addr, r.s.Redis.Password)
		case "scheduler":
			return r.s.Scheduler.Healthy(ctx)
		case "postgres":
			return r.s.Postgres.Ping(ctx)
		}
		return nil
	})
	if err != nil || name == "redis" || name == "scheduler" || name == "postgres" {
		return err
	}
	return r.s.WaitReady(ctx, strings.TrimSuffix(name, "/dapr"))
}

// stall stops an instance's service and sidecar for d, as a paused VM or
// a long GC pause would, then lets them go on and waits until the
// instance is ready.
func (r *faultRig) stall(ctx context.Context, inst string, d time.Duration) error {
	pids := r.s.Pids()
	group := []int{pids[inst], pids[inst+"/dapr"]}
	if slices.Contains(group, 0) {
		return fmt.Errorf("%s or its sidecar is not running", inst)
	}
	for _, pid := range group {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			return err
		}
	}
	<-time.After(d)
	for _, pid := range group {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			return err
		}
	}
	return r.s.WaitReady(ctx, inst)
}

// sagaTimes are the durations of the sagas of final orders, from the
// order's acceptance to its last change, sorted.
func sagaTimes(orders []orderView) []time.Duration {
	out := make([]time.Duration, 0, len(orders))
	for _, o := range orders {
		if o.Final() {
			out = append(out, o.UpdatedAt.Sub(o.CreatedAt))
		}
	}
	slices.Sort(out)
	return out
}

// faultReport is the figures of one fault run.
type faultReport struct {
	broker, store     string
	load              faultLoad
	took              time.Duration
	retried           int
	faults            []doneFault
	dupSeen, dupAdded int64
	sum               outcome
	lost              int
	bad               broken
	afterLoad         time.Duration
	afterFaults       time.Duration
	sagas             []time.Duration
	restarts          map[string]int
	products, wallets int
	redriven          int
	// What long outages leave to undo: the time from the last fault to
	// the last hold settled and refund made, the orders refunded, and the
	// dead letters each service kept and how many were sent again.
	settledAfterFaults time.Duration
	refunded           int
	letters            map[string]int
	lettersRedriven    int
}

func (r faultReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nFault run on %s, the state in %s: %d orders at %.0f/s (%.1fs), 2 stock-svc and 2 payment-svc replicas\n\n",
		r.broker, r.store, r.load.orders, r.load.rate, r.took.Seconds())
	fmt.Fprintf(&b, "| fault | at | back after |\n|---|---|---|\n")
	for _, f := range r.faults {
		back := fmt.Sprintf("%.1fs", f.backIn.Seconds())
		if f.err != nil {
			back = "FAILED: " + f.err.Error()
		}
		fmt.Fprintf(&b, "| %s | %.1fs | %s |\n", f.name, f.at.Seconds(), back)
	}
	fmt.Fprintf(&b, "| %.0f%% of the broker's entries added again | during the load | %d of %d |\n\n",
		duplicatedShare*100, r.dupAdded, r.dupSeen)
	fmt.Fprintf(&b, "| figure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| orders | %d accepted: %d confirmed, %d canceled %v |\n", len(r.sagas)+r.lost, r.sum.confirmed, r.sum.canceled, r.sum.reasons)
	fmt.Fprintf(&b, "| POSTs retried (same Idempotency-Key) | %d orders |\n", r.retried)
	fmt.Fprintf(&b, "| restarts by the supervisor | %s |\n", restartList(r.restarts))
	fmt.Fprintf(&b, "| orders announced again, open after %s (order-svc since its restart) | %d |\n", redriveAfter, r.redriven)
	fmt.Fprintf(&b, "| every order final | %.1fs after the last fault was over, %.1fs after the load (bound %s) |\n",
		r.afterFaults.Seconds(), r.afterLoad.Seconds(), recoveryBound)
	fmt.Fprintf(&b, "| canceled by order-svc: at the deadline, or an event given up on | %d, %d |\n",
		r.sum.reasons["deadline exceeded"], r.sum.reasons["was given up on"])
	fmt.Fprintf(&b, "| paid, then canceled and refunded | %d orders |\n", r.refunded)
	fmt.Fprintf(&b, "| dead letters kept (order-svc, stock-svc, payment-svc), sent again | %d, %d, %d; %d |\n",
		r.letters[contracts.AppOrder], r.letters[contracts.AppStock], r.letters[contracts.AppPayment], r.lettersRedriven)
	fmt.Fprintf(&b, "| every hold settled, every refund made | %.1fs after the last fault was over |\n", r.settledAfterFaults.Seconds())
	fmt.Fprintf(&b, "| saga time p50 / p99 / max | %s / %s / %s |\n", quantile(r.sagas, 0.50), quantile(r.sagas, 0.99), quantile(r.sagas, 1))
	fmt.Fprintf(&b, "| sold, charged | %d units, %d cents |\n\n", r.sum.units, r.sum.cents)
	fmt.Fprintf(&b, "| invariant | broken |\n|---|---|\n")
	fmt.Fprintf(&b, "| every accepted order final, none lost (202 then 404) | %d |\n", r.lost)
	fmt.Fprintf(&b, "| per product: initial = available + sold, reserved = 0 (%d products) | %d |\n", r.products, r.bad.products)
	fmt.Fprintf(&b, "| per customer: balance = initial − confirmed totals (%d wallets) | %d |\n", r.wallets, r.bad.wallets)
	fmt.Fprintf(&b, "| one COMPLETED payment per confirmed order, none for canceled | %d |\n", r.bad.payments)
	return b.String()
}

func restartList(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, m[n]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// quantile is the q-quantile of sorted durations, rounded for reading.
func quantile(sorted []time.Duration, q float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	d := sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
