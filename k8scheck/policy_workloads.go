package k8scheck

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// checkWorkloads holds every pod of the namespace, the saga's and Redis, to
// the same rules: probes, bounded resources, and a container that cannot
// become root or write its own image.
func checkWorkloads(m *Manifest) []error {
	var errs []error
	for _, w := range m.Workloads() {
		spec := &w.Template.Spec
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", w.ID, fmt.Sprintf(format, args...)))
		}
		if spec.ServiceAccountName == "" {
			fail("no serviceAccountName: pods would share the namespace's default account")
		} else if m.ServiceAccounts[spec.ServiceAccountName] == nil {
			fail("serviceAccountName %q is not in the manifests", spec.ServiceAccountName)
		}
		if len(spec.EphemeralContainers) > 0 {
			fail("ephemeral containers are not covered by these checks")
		}
		for i := range spec.Containers {
			c := &spec.Containers[i]
			if c.ReadinessProbe == nil {
				fail("container %s: no readinessProbe", c.Name)
			}
			if c.LivenessProbe == nil {
				fail("container %s: no livenessProbe", c.Name)
			}
			for _, msg := range containerProblems(spec.SecurityContext, c) {
				fail("container %s: %s", c.Name, msg)
			}
		}
		// An init container runs to completion before the others, so it has
		// no probes, but the same bounds and the same locked-down context.
		for i := range spec.InitContainers {
			c := &spec.InitContainers[i]
			if c.RestartPolicy != nil {
				fail("init container %s: a restartPolicy makes it a sidecar, not covered by these checks", c.Name)
			}
			for _, msg := range containerProblems(spec.SecurityContext, c) {
				fail("init container %s: %s", c.Name, msg)
			}
		}
	}
	return errs
}

func containerProblems(pod *corev1.PodSecurityContext, c *corev1.Container) []string {
	var probs []string
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		limit, hasLimit := c.Resources.Limits[res]
		request, hasRequest := c.Resources.Requests[res]
		if !hasLimit {
			probs = append(probs, fmt.Sprintf("no %s limit", res))
		}
		if !hasRequest {
			probs = append(probs, fmt.Sprintf("no %s request", res))
		}
		if hasLimit && hasRequest && request.Cmp(limit) > 0 {
			probs = append(probs, fmt.Sprintf("%s request %s is above its limit %s", res, request.String(), limit.String()))
		}
	}
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if !isTrue(firstBool(sc.RunAsNonRoot, pod.RunAsNonRoot)) {
		probs = append(probs, "runAsNonRoot is not true")
	}
	if user := firstInt64(sc.RunAsUser, pod.RunAsUser); user != nil && *user == 0 {
		probs = append(probs, "runs as user 0")
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		probs = append(probs, "readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		probs = append(probs, "allowPrivilegeEscalation is not false")
	}
	if isTrue(sc.Privileged) {
		probs = append(probs, "privileged")
	}
	if sc.Capabilities == nil || !containsCapability(sc.Capabilities.Drop, "ALL") {
		probs = append(probs, "capabilities do not drop ALL")
	} else if len(sc.Capabilities.Add) > 0 {
		probs = append(probs, fmt.Sprintf("adds capabilities %v", sc.Capabilities.Add))
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = pod.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		probs = append(probs, "seccompProfile is not RuntimeDefault")
	}
	return probs
}

func firstBool(vs ...*bool) *bool {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

func firstInt64(vs ...*int64) *int64 {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

func containsCapability(caps []corev1.Capability, want corev1.Capability) bool {
	for _, c := range caps {
		if c == want {
			return true
		}
	}
	return false
}
