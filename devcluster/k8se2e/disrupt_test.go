package k8se2e

import (
	"context"
	"fmt"
	"time"

	"github.com/example/order-saga/devcluster"
)

// The disruptions that run during a load. Each takes the services' pods
// away one at a time, follows the logs of every pod it removes (the last
// test reads them), and returns once every Deployment serves again with
// all its replicas and nothing terminating.

type logf func(format string, args ...any)

// deleteOnePodOfEach deletes one pod of each service in turn with
// `kubectl delete pod`, and waits until its Deployment serves again with
// every replica before the next.
func (s *saga) deleteOnePodOfEach(ctx context.Context, replicas map[string]int, log logf) error {
	for _, svc := range devcluster.Services {
		pods, err := s.servicePods(ctx, svc.Name)
		if err != nil {
			return err
		}
		if len(pods) == 0 {
			return fmt.Errorf("%s has no pod to delete", svc.Name)
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
		if _, err := s.serving(ctx, svc.Name, replicas[svc.Name], 3*time.Minute); err != nil {
			return err
		}
		log("deleted %s: gone after %.1fs, %d pods of %s Ready again after %.1fs", victim, gone.Seconds(), replicas[svc.Name], svc.Name, time.Since(start).Seconds())
	}
	return nil
}

// restartEach restarts each service's Deployment in turn with `kubectl
// rollout restart` and waits for it with `kubectl rollout status`, then
// until the pods it replaced are gone.
func (s *saga) restartEach(ctx context.Context, replicas map[string]int, log logf) error {
	for _, svc := range devcluster.Services {
		pods, err := s.servicePods(ctx, svc.Name)
		if err != nil {
			return err
		}
		for _, p := range pods {
			if err := s.follow(ctx, p.name()); err != nil {
				return err
			}
		}
		start := time.Now()
		deployment := "deployment/" + svc.Name
		if _, _, err := s.kubectl(ctx, nil, "rollout", "restart", deployment, "-n", devcluster.Namespace); err != nil {
			return err
		}
		if _, _, err := s.kubectl(ctx, nil, "rollout", "status", deployment, "-n", devcluster.Namespace, "--timeout=3m"); err != nil {
			return err
		}
		rolled := time.Since(start)
		now, err := s.serving(ctx, svc.Name, replicas[svc.Name], 3*time.Minute)
		if err != nil {
			return err
		}
		for _, p := range now {
			for _, old := range pods {
				if p.name() == old.name() {
					return fmt.Errorf("%s: pod %s outlived the rollout restart", svc.Name, p.name())
				}
			}
		}
		log("restarted %s: rolled out after %.1fs, the %d old pods gone after %.1fs", deployment, rolled.Seconds(), len(pods), time.Since(start).Seconds())
	}
	return nil
}
