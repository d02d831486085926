package stack

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"

	"github.com/example/order-saga/contracts"
)

// Ports are the ports of one service and its sidecar.
type Ports struct {
	App          int // the service's own HTTP port
	DaprHTTP     int
	DaprGRPC     int
	DaprInternal int // sidecar-to-sidecar gRPC
	DaprMetrics  int
}

// Apps lists the services in start order.
var Apps = []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment}

// DefaultPorts are the documented local ports.
func DefaultPorts() map[string]Ports {
	return map[string]Ports{
		contracts.AppOrder:   {App: contracts.PortOrder, DaprHTTP: 3501, DaprGRPC: 50001, DaprInternal: 50011, DaprMetrics: 9091},
		contracts.AppStock:   {App: contracts.PortStock, DaprHTTP: 3502, DaprGRPC: 50002, DaprInternal: 50012, DaprMetrics: 9092},
		contracts.AppPayment: {App: contracts.PortPayment, DaprHTTP: 3503, DaprGRPC: 50003, DaprInternal: 50013, DaprMetrics: 9093},
	}
}

// FreePorts picks unused ports for every service, so that several stacks
// can run side by side.
func FreePorts() (map[string]Ports, error) {
	out := map[string]Ports{}
	for _, app := range Apps {
		p, err := freePorts(5)
		if err != nil {
			return nil, err
		}
		out[app] = Ports{App: p[0], DaprHTTP: p[1], DaprGRPC: p[2], DaprInternal: p[3], DaprMetrics: p[4]}
	}
	return out, nil
}

// FreePort returns one unused loopback port.
func FreePort() (int, error) {
	p, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// Ports are drawn below the kernel's ephemeral range (32768 and up on
// Linux), so that an outgoing connection cannot take a port between the
// moment it is chosen and the moment a process binds it.
const (
	lowestPort  = 20000
	highestPort = 32000
)

var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

func freePorts(n int) ([]int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 10_000 {
			return nil, fmt.Errorf("no free port between %d and %d", lowestPort, highestPort)
		}
		p := lowestPort + rand.IntN(highestPort-lowestPort)
		if handedOut[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		handedOut[p] = true
		ports = append(ports, p)
	}
	return ports, nil
}
