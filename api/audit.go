package api

import (
	"time"

	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/pipeline"
	"github.com/labelguard/labelguard/store"
)

// Auditor takes decision records off the hot path (*store.AuditQueue).
type Auditor interface {
	Enqueue(store.Decision) bool
}

// callRecord accumulates what the decision audit keeps of one call, filled
// as the handler learns it, and written once however the call ends.
type callRecord struct {
	start        time.Time
	now          time.Time
	service      string
	hook         string
	hookInstance string
	patientID    string
	revision     string
	errorKind    string
	out          *pipeline.Outcome
	// conformance marks a conformance tester's call, never audited.
	conformance bool
}

// recordDecision enqueues the audit record of a call. Identifiers are keyed
// hashes; no clinical value is recorded.
func (s *Server) recordDecision(r *callRecord) {
	if s.cfg.Audit == nil || r.service == "" || r.conformance {
		return
	}
	d := store.Decision{
		Time:           r.now,
		Service:        r.service,
		Hook:           r.hook,
		HookInstance:   r.hookInstance,
		PolicyRevision: r.revision,
		Latency:        time.Since(r.start),
		ErrorKind:      r.errorKind,
	}
	if s.cfg.Hasher != nil && r.patientID != "" {
		d.PatientHash = s.cfg.Hasher.Hash(r.patientID)
	}
	if r.out != nil {
		if r.out.Input != nil {
			for _, di := range r.out.Input.Input.DataIssues {
				d.DataIssues = append(d.DataIssues, di.Kind+":"+di.Key)
			}
		}
		orders := map[string]string{}
		for _, f := range r.out.Findings {
			orders[engine.CardUUID(r.hookInstance, f.Rule, f.Order)] = f.Order
		}
		for _, card := range r.out.Cards {
			sc := store.Card{UUID: card.UUID, Indicator: card.Indicator}
			if card.Source.Topic != nil {
				sc.Rule = card.Source.Topic.Code
			}
			if o := orders[card.UUID]; o != "" && s.cfg.Hasher != nil {
				sc.Order = s.cfg.Hasher.HashRef(o)
			}
			d.Cards = append(d.Cards, sc)
		}
	}
	// A refused record is counted (labelguard_audit_dropped_total) and the
	// queue logs the count at most every 10 s: a line per record here would
	// flood the log exactly when the service is overloaded.
	s.cfg.Audit.Enqueue(d)
}
