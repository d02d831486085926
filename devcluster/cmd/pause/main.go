// Command pause is the sandbox process of every pod of the development
// cluster, its containerd's sandbox_image: it holds the pod's namespaces
// open by sleeping until it is told to stop, exits 0 on SIGTERM or SIGINT,
// and, as process 1 of a pod that shares its process namespace, reaps the
// orphans handed to it so they do not stay zombies.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(run(func() {})) }

// run waits for signals: SIGCHLD reaps, SIGTERM and SIGINT end with 0.
// ready is called once the signals are caught.
func run(ready func()) int {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	ready()
	// A child that ended before Notify sent no signal this process saw.
	reap()
	for s := range sigs {
		if s != syscall.SIGCHLD {
			return 0
		}
		reap()
	}
	return 0
}

// reap collects every child that has ended. Signals coalesce, so one
// SIGCHLD may stand for several children.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}
