package k8scheck

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// checkNetworkPolicies: ingress is denied by default; no policy or peer
// selects pods that do not exist (a misspelt label would silently open or
// close nothing); Redis is reachable only from the saga's services.
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
		toRedis := slices.ContainsFunc(targets, func(w Workload) bool { return w.ID == "StatefulSet/redis" })
		for _, rule := range p.Spec.Ingress {
			if toRedis && len(rule.From) == 0 {
				fail("NetworkPolicy/%s: lets any source reach Redis", p.Name)
			}
			for _, peer := range rule.From {
				if toRedis && (peer.NamespaceSelector != nil || peer.IPBlock != nil || peer.PodSelector == nil) {
					fail("NetworkPolicy/%s: lets sources outside the saga's pods reach Redis", p.Name)
				}
				if peer.PodSelector == nil {
					continue
				}
				peerSel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
				if err != nil {
					fail("NetworkPolicy/%s: %v", p.Name, err)
					continue
				}
				if peer.NamespaceSelector != nil || peerSel.Empty() {
					if toRedis {
						fail("NetworkPolicy/%s: lets every pod reach Redis", p.Name)
					}
					continue
				}
				sources := matching(peerSel)
				if len(sources) == 0 {
					fail("NetworkPolicy/%s: a podSelector of its ingress matches no pod in the manifests", p.Name)
				}
				for _, s := range sources {
					if toRedis && !appPods[s.ID] {
						fail("NetworkPolicy/%s: lets %s reach Redis", p.Name, s.ID)
					}
				}
			}
		}
	}
	return errs
}
