package k8se2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/example/order-saga/devcluster"
)

// The disruptions that run during a load. Each disrupts the three
// services at the same time, follows the logs of every pod it removes (the
// last test reads them), and returns once every Deployment serves again
// with all its replicas and nothing terminating.

type logf func(format string, args ...any)

// atOnce runs fn for every service at the same time and joins their errors.
func atOnce(fn func(name string) error) error {
	errs := make([]error, len(devcluster.Services))
	var wg sync.WaitGroup
	for i, svc := range devcluster.Services {
		wg.Go(func() { errs[i] = fn(svc.Name) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deleteOnePodOfEach deletes one pod of each service, all three at once,
// with `kubectl delete pod`, and waits until each Deployment serves again
// with every replica.
func (s *saga) deleteOnePodOfEach(ctx context.Context, replicas map[string]int, log logf) error {
	return atOnce(func(name string) error {
		pods, err := s.servicePods(ctx, name)
		if err != nil {
			return err
		}
		if len(pods) == 0 {
			return fmt.Errorf("%s has no pod to delete", name)
		}
		victim := pods[0].name()
		if err := s.follow(ctx, victim); err != nil {
			return err
		}
		start := time.Now()
		if _, _, err := s.kubectl(ctx, nil, "delete", "pod", victim, "-n", devcluster.Namespace, "--wait=true", "--timeout=2m"); err != nil {
			return err
		}
		gone := time.Since(start)
		if _, err := s.serving(ctx, name, replicas[name], 3*time.Minute); err != nil {
			return err
		}
		log("deleted %s: gone after %.1fs, %d pods of %s Ready again after %.1fs", victim, gone.Seconds(), replicas[name], name, time.Since(start).Seconds())
		return nil
	})
}

// restartEach restarts the three Deployments at once with `kubectl
// rollout restart` and waits for each with `kubectl rollout status`, then
// until the pods it replaced are gone.
func (s *saga) restartEach(ctx context.Context, replicas map[string]int, log logf) error {
	return atOnce(func(name string) error {
		pods, err := s.servicePods(ctx, name)
		if err != nil {
			return err
		}
		for _, p := range pods {
			if err := s.follow(ctx, p.name()); err != nil {
				return err
			}
		}
		start := time.Now()
		deployment := "deployment/" + name
		if _, _, err := s.kubectl(ctx, nil, "rollout", "restart", deployment, "-n", devcluster.Namespace); err != nil {
			return err
		}
		if _, _, err := s.kubectl(ctx, nil, "rollout", "status", deployment, "-n", devcluster.Namespace, "--timeout=3m"); err != nil {
			return err
		}
		rolled := time.Since(start)
		now, err := s.serving(ctx, name, replicas[name], 3*time.Minute)
		if err != nil {
			return err
		}
		for _, p := range now {
			for _, old := range pods {
				if p.name() == old.name() {
					return fmt.Errorf("%s: pod %s outlived the rollout restart", name, p.name())
				}
			}
		}
		log("restarted %s: rolled out after %.1fs, the %d old pods gone after %.1fs", deployment, rolled.Seconds(), len(pods), time.Since(start).Seconds())
		return nil
	})
}
