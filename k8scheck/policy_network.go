package k8scheck

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// backends are the StatefulSets that hold the saga's data, by the name the
// messages give them: each is reachable only from the saga's services
// (their sidecars, and their init containers that wait for it).
var backends = map[string]string{"StatefulSet/redis": "Redis", "StatefulSet/postgres": "PostgreSQL"}

// checkNetworkPolicies: ingress is denied by default; no policy or peer
// selects pods that do not exist (a misspelt label would silently open or
// close nothing); Redis and PostgreSQL are reachable only from the saga's
// services.
func checkNetworkPolicies(m *Manifest) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	hasDefaultDeny := slices.ContainsFunc(m.NetworkPolicies, func(p *networkingv1.NetworkPolicy) bool {
		return len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && len(p.Spec.Ingress) == 0
	})
	if !hasDefaultDeny {
		fail("no NetworkPolicy denies all ingress by default")
	}

	workloads := m.Workloads()
	matching := func(sel labels.Selector) []Workload {
		var ws []Workload
		for _, w := range workloads {
			if sel.Matches(labels.Set(w.Template.Labels)) {
				ws = append(ws, w)
			}
		}
		return ws
	}
	appPods := map[string]bool{}
	for _, d := range m.Deployments {
		appPods["Deployment/"+d.Name] = true
	}

	for _, p := range m.NetworkPolicies {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil {
			fail("NetworkPolicy/%s: %v", p.Name, err)
			continue
		}
		targets := matching(sel)
		if !sel.Empty() && len(targets) == 0 {
			fail("NetworkPolicy/%s: its podSelector matches no pod in the manifests", p.Name)
		}
		var guarded []string
		for _, w := range targets {
			if name, ok := backends[w.ID]; ok {
				guarded = append(guarded, name)
			}
		}
		for _, backend := range guarded {
			for _, rule := range p.Spec.Ingress {
				errs = append(errs, backendPeerProblems(p, rule, backend, matching, appPods)...)
			}
		}
		for _, rule := range p.Spec.Ingress {
			for _, peer := range rule.From {
				if peer.PodSelector == nil {
					continue
				}
				peerSel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
				if err != nil {
					fail("NetworkPolicy/%s: %v", p.Name, err)
					continue
				}
				if peer.NamespaceSelector != nil || peerSel.Empty() {
					continue
				}
				if len(matching(peerSel)) == 0 {
					fail("NetworkPolicy/%s: a podSelector of its ingress matches no pod in the manifests", p.Name)
				}
			}
		}
	}
	return errs
}

// backendPeerProblems: a rule of a policy that selects a backend's pods
// lets in the saga's services' pods alone, from the namespace itself.
func backendPeerProblems(p *networkingv1.NetworkPolicy, rule networkingv1.NetworkPolicyIngressRule, backend string,
	matching func(labels.Selector) []Workload, appPods map[string]bool) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(rule.From) == 0 {
		fail("NetworkPolicy/%s: lets any source reach %s", p.Name, backend)
	}
	for _, peer := range rule.From {
		if peer.NamespaceSelector != nil || peer.IPBlock != nil || peer.PodSelector == nil {
			fail("NetworkPolicy/%s: lets sources outside the saga's pods reach %s", p.Name, backend)
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
		if err != nil {
			continue
		}
		if sel.Empty() {
			fail("NetworkPolicy/%s: lets every pod reach %s", p.Name, backend)
			continue
		}
		for _, s := range matching(sel) {
			if !appPods[s.ID] {
				fail("NetworkPolicy/%s: lets %s reach %s", p.Name, s.ID, backend)
			}
		}
	}
	return errs
}
