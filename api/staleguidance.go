package api

import (
	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
)

// staleGuidanceHooks are the hooks the stale-guidance id groups: the
// selection of an order and its signature, in that order.
var staleGuidanceHooks = []string{"order-select", "order-sign"}

// staleGroup returns, when Config.StaleGuidanceID is set and the policy set
// has exactly one service per order hook and none of that id, those
// services by hook; nil otherwise (the option then has no effect, and
// discovery lists the services under their own ids).
func (s *Server) staleGroup(ps *engine.PolicySet) map[string]engine.Service {
	id := s.cfg.StaleGuidanceID
	if id == "" {
		return nil
	}
	if _, taken := ps.Service(id); taken {
		return nil
	}
	group := map[string]engine.Service{}
	for _, svc := range ps.Services {
		for _, h := range staleGuidanceHooks {
			if svc.Hook != h {
				continue
			}
			if _, dup := group[h]; dup {
				return nil // two services for one hook: which one the id means is not known
			}
			group[h] = svc
		}
	}
	if len(group) != len(staleGuidanceHooks) {
		return nil
	}
	return group
}

// StaleGuidance reports whether Config.StaleGuidanceID takes effect with
// the active policy set.
func (s *Server) StaleGuidance() bool {
	ps := s.policies.Load()
	return ps != nil && s.staleGroup(ps) != nil
}

// discoveryServices lists the services of ps for discovery: under their
// own ids, or with the order services under the stale-guidance id.
func (s *Server) discoveryServices(ps *engine.PolicySet) []cdshooks.Service {
	group := s.staleGroup(ps)
	out := make([]cdshooks.Service, 0, len(ps.Services))
	for _, svc := range ps.Services {
		entry := svc.Service
		if g, ok := group[svc.Hook]; ok && g.ID == svc.ID {
			entry.ID = s.cfg.StaleGuidanceID
		}
		out = append(out, entry)
	}
	return out
}
