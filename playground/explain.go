package playground

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labelguard/labelguard/cdshooks"
	"github.com/labelguard/labelguard/engine"
	"github.com/labelguard/labelguard/facts"
	"github.com/labelguard/labelguard/fhir"
	"github.com/labelguard/labelguard/internal/timeshift"
	"github.com/labelguard/labelguard/pipeline"
)

// Explanation is the why panel: what the rules saw and what fired.
type Explanation struct {
	Revision  string `json:"revision"`
	ServiceID string `json:"serviceId"`
	Hook      string `json:"hook"`
	// Now is the evaluation time: the asOf asked for, else the clock.
	Now               string       `json:"now"`
	NoOrderOfInterest bool         `json:"noOrderOfInterest,omitempty"`
	Fired             []FiredRule  `json:"fired"`
	Input             *facts.Input `json:"input,omitempty"`
	Repairs           []string     `json:"repairs,omitempty"`
	// Cards are what the service answers for the request at Now: the page
	// shows them when it evaluates as of another time than the service's
	// clock, which no caller can set.
	Cards []cdshooks.Card `json:"cards"`
	// Resources are the FHIR resources the evidence names, from the
	// request's prefetch and draft orders.
	Resources map[string]json.RawMessage `json:"resources"`
}

// FiredRule is a finding with its catalog entry.
type FiredRule struct {
	engine.Finding
	Title     string        `json:"title,omitempty"`
	Source    engine.Source `json:"source"`
	Locations []string      `json:"locations,omitempty"`
}

type explainBody struct {
	ServiceID string          `json:"serviceId"`
	Request   json.RawMessage `json:"request"`
	// AsOf is the evaluation time; empty: the playground's clock, the
	// service's.
	AsOf string `json:"asOf,omitempty"`
}

// POST /playground/api/explain evaluates the request as the service does
// (pipeline.Run, without fetching), at asOf when given, and returns the
// policy input, the fired rules with their evidence and the cards. Nothing
// of the request is logged.
func (p *Playground) explain(c *gin.Context) {
	ps := p.policies(c)
	if ps == nil {
		return
	}
	body, ok := readBody(c, p.cfg.MaxUploadBytes+64<<10)
	if !ok {
		return
	}
	var eb explainBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil || eb.ServiceID == "" || len(eb.Request) == 0 {
		writeError(c, http.StatusBadRequest, "invalid_request", "body must be {serviceId, request, asOf}")
		return
	}
	var now time.Time
	if eb.AsOf == "" {
		now = p.cfg.Now()
	} else {
		t, err := timeshift.ParseTime(eb.AsOf)
		if err != nil {
			writeError(c, http.StatusBadRequest, "invalid_as_of", asOfHelp)
			return
		}
		now = t
	}
	svc, ok := ps.Service(eb.ServiceID)
	if !ok {
		writeError(c, http.StatusNotFound, "unknown_service", "the active policy set has no such service")
		return
	}
	req, err := cdshooks.DecodeRequest(bytes.NewReader(eb.Request), cdshooks.Limits{})
	if err != nil {
		writeDecodeError(c, err)
		return
	}
	if req.Hook != svc.Hook {
		writeError(c, http.StatusBadRequest, cdshooks.CodeInvalidRequest, "hook: service "+svc.ID+" serves "+svc.Hook)
		return
	}
	hc, err := cdshooks.DecodeContext(req.Hook, req.Context)
	if err != nil {
		writeDecodeError(c, err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), p.cfg.EvalTimeout)
	defer cancel()
	res, err := pipeline.Run(ctx, ps, svc, req, hc, now)
	if err != nil {
		var oe *fhir.OrderError
		switch {
		case errors.As(err, &oe):
			writeError(c, http.StatusBadRequest, "invalid_order", oe.Error())
		case errors.Is(err, context.DeadlineExceeded):
			writeError(c, http.StatusServiceUnavailable, "timeout", "evaluation took longer than the playground allows")
		case errors.Is(err, fhir.ErrPatientUnavailable):
			writeError(c, http.StatusPreconditionFailed, "precondition_failed", "the request's prefetch holds no Patient")
		default:
			p.log.Error("playground: explain failed", "service", svc.ID, "error", err.Error())
			writeError(c, http.StatusInternalServerError, "internal_error", "evaluation failed; see the service log")
		}
		return
	}
	ex := Explanation{
		Revision: ps.Revision, ServiceID: svc.ID, Hook: req.Hook, Now: now.UTC().Format("2006-01-02T15:04:05Z"),
		NoOrderOfInterest: res.NoOrderOfInterest, Fired: []FiredRule{}, Resources: map[string]json.RawMessage{},
		Cards: res.Cards,
	}
	if ex.Cards == nil {
		ex.Cards = []cdshooks.Card{}
	}
	if res.Input != nil {
		ex.Input = &res.Input.Input
		ex.Repairs = res.Input.Repairs
	}
	target := map[string]string{}
	if ex.Input != nil {
		for _, o := range ex.Input.Orders {
			target[o.Ref] = o.Target
		}
	}
	var refs []string
	for _, f := range res.Findings {
		fr := FiredRule{Finding: f}
		if r := ps.Catalog[f.Rule]; r != nil {
			// The drug whose label the card cites: the order's target, else
			// the finding's drug, as the engine's cards read it.
			drug := cmp.Or(target[f.Order], f.Drug)
			v := r.VariantFor(req.Hook, drug)
			fr.Title, fr.Locations = v.TitleFor(drug), v.Locations
			fr.Source, _ = v.SourceFor(drug)
		}
		ex.Fired = append(ex.Fired, fr)
		if f.Order != "" {
			refs = append(refs, f.Order)
		}
		for _, e := range f.Evidence {
			refs = append(refs, e.Reference)
		}
		for _, fa := range f.Factors {
			for _, e := range fa.Evidence {
				refs = append(refs, e.Reference)
			}
		}
	}
	if len(refs) > 0 {
		idx := indexResources(req)
		for _, r := range refs {
			if raw, ok := idx[r]; ok {
				ex.Resources[r] = raw
			}
		}
	}
	c.JSON(http.StatusOK, ex)
}

func writeDecodeError(c *gin.Context, err error) {
	if body, ok := cdshooks.ErrorFor(err); ok {
		c.AbortWithStatusJSON(http.StatusBadRequest, body)
		return
	}
	writeError(c, http.StatusBadRequest, cdshooks.CodeInvalidRequest, "the request could not be decoded")
}

// indexResources maps "Type/id" to each resource of the request's prefetch
// (searchset bundles and single resources) and draft orders.
func indexResources(req *cdshooks.Request) map[string]json.RawMessage {
	idx := map[string]json.RawMessage{}
	add := func(raw json.RawMessage) {
		var h struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			Entry        []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if json.Unmarshal(raw, &h) != nil {
			return
		}
		if h.ResourceType == "Bundle" {
			for _, e := range h.Entry {
				var r struct{ ResourceType, ID string }
				if json.Unmarshal(e.Resource, &r) == nil && r.ResourceType != "" {
					idx[r.ResourceType+"/"+r.ID] = e.Resource
				}
			}
			return
		}
		if h.ResourceType != "" {
			idx[h.ResourceType+"/"+h.ID] = raw
		}
	}
	for _, v := range req.Prefetch {
		add(v)
	}
	var ctx struct {
		DraftOrders json.RawMessage `json:"draftOrders"`
	}
	if json.Unmarshal(req.Context, &ctx) == nil && len(ctx.DraftOrders) > 0 {
		add(ctx.DraftOrders)
	}
	return idx
}

// Info is GET /playground/api/info: what the page needs to know about the
// active policy set. The page reads it before every run, so a hot reload
// shows its revision without restarting anything.
type Info struct {
	Revision string        `json:"revision"`
	Services []InfoService `json:"services"`
	Drugs    []InfoDrug    `json:"drugs"`
	Rules    []InfoRule    `json:"rules"`
	Units    []string      `json:"units"`
	// DisplayUnits is how cards write each canonical unit (data/labs.json),
	// so that the page shows evidence units as the cards do.
	DisplayUnits map[string]string `json:"displayUnits"`
	Frequencies  []InfoFreq        `json:"frequencies"`
	Hooks        []string          `json:"hooks"`
	Samples      int               `json:"samples"`
	Limits       map[string]int    `json:"limits"`
}

// InfoService is a service of the active set.
type InfoService struct {
	ID    string `json:"id"`
	Hook  string `json:"hook"`
	Title string `json:"title,omitempty"`
}

// InfoDrug is a target drug with its products.
type InfoDrug struct {
	ID       string            `json:"id"`
	Display  string            `json:"display"`
	Target   string            `json:"target"`
	Products []InfoDrugProduct `json:"products"`
}

// InfoDrugProduct is one product of a target drug.
type InfoDrugProduct struct {
	Display    string   `json:"display"`
	StrengthMg float64  `json:"strengthMg,omitempty"`
	Codes      []string `json:"codes,omitempty"`
}

// InfoRule is one catalog entry.
type InfoRule struct {
	ID         string        `json:"id"`
	Title      string        `json:"title"`
	Indicators []string      `json:"indicators"`
	Drugs      []string      `json:"drugs,omitempty"`
	Source     engine.Source `json:"source"`
	Disabled   bool          `json:"disabled,omitempty"`
}

// InfoFreq is a frequency the form offers.
type InfoFreq struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

var frequencyOrder = []string{"QD", "BID", "TID", "QID", "Q12H", "Q8H", "QOD"}

// GET /playground/api/info
func (p *Playground) info(c *gin.Context) {
	ps := p.policies(c)
	if ps == nil {
		return
	}
	in := Info{
		Revision: ps.Revision, Units: []string{"mg", "tablet", "mL", "g"},
		Hooks:   []string{cdshooks.HookOrderSelect, cdshooks.HookOrderSign, cdshooks.HookPatientView},
		Samples: len(p.samples.list), Limits: map[string]int{"maxUploadBytes": int(p.cfg.MaxUploadBytes)},
	}
	for _, s := range ps.Services {
		in.Services = append(in.Services, InfoService{ID: s.ID, Hook: s.Hook, Title: s.Title})
	}
	_, labs, drugs := ps.Tables()
	if labs != nil {
		in.DisplayUnits = labs.DisplayUnits
	}
	if drugs != nil {
		for id, d := range drugs.Drugs {
			t := d.Target
			if t == "" {
				t = d.TopicalTarget
			}
			if t == "" {
				continue
			}
			idr := InfoDrug{ID: id, Display: d.Display, Target: t}
			for _, pr := range d.Products {
				idr.Products = append(idr.Products, InfoDrugProduct{Display: pr.Display, StrengthMg: pr.StrengthMg, Codes: pr.Codes})
			}
			in.Drugs = append(in.Drugs, idr)
		}
	}
	sort.Slice(in.Drugs, func(i, j int) bool { return in.Drugs[i].ID < in.Drugs[j].ID })
	for _, r := range ps.Rules() {
		in.Rules = append(in.Rules, InfoRule{ID: r.ID, Title: r.Title(), Indicators: r.Indicators(), Drugs: r.Drugs(),
			Source: r.Variants[0].Source, Disabled: r.Disabled})
	}
	for _, code := range frequencyOrder {
		in.Frequencies = append(in.Frequencies, InfoFreq{Code: code, Label: frequencies[code]})
	}
	c.JSON(http.StatusOK, in)
}
