package terminology

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ImportProfile is what the import needs of a drug profile: which
// ingredient it is a target form of, by which route (oral: every form;
// topical: the topical forms only), its names (brands among them) and
// its products' displays (RxNorm-style names).
type ImportProfile struct {
	ID, Ingredient, Route string
	Names                 []string
	Products              []string
}

// ImportSources are the parsed files of an import.
type ImportSources struct {
	RxNorm      []RRFAtom
	NDCProducts []NDCProductRow
	NDCPackages []NDCPackageRow
}

// ImportReport says what the import did with each source row that names
// a profile's ingredient, and why a row was left out or left unmatched.
type ImportReport struct {
	Matched int `json:"matched"`
	// Unmatched are codes of a target drug kept without a profile
	// product (no product of that strength, form and route).
	Unmatched []string `json:"unmatched,omitempty"`
	// NotTargets are codes of a profile's ingredient in a form that is
	// no target (oral ruxolitinib), kept so that such an order is never
	// read as the target.
	NotTargets []string `json:"notTargets,omitempty"`
	// Skipped are rows left out, with why (unreadable strength,
	// combination product, unknown brand, package of an unknown product).
	Skipped []string `json:"skipped,omitempty"`
}

// clinical is a dose form of one ingredient, as a name or record states
// it, reduced to what products are matched by.
type clinical struct {
	ingredient string  // normalized name
	mg         float64 // per `per`
	per        string  // unit, ml, g
	base       string  // tablet, capsule, solution, cream...
	release    string  // "extended", "delayed" or "" (immediate)
	route      string  // oral, topical, "" unknown
	brand      string  // normalized, "" for a generic
}

func (c clinical) String() string {
	release := ""
	if c.release != "" {
		release = c.release + "-release "
	}
	return fmt.Sprintf("%s %s mg/%s %s%s (%s)", c.ingredient, strconv.FormatFloat(c.mg, 'f', -1, 64), c.per, release, c.base, firstNonEmptyString(c.route, "route unknown"))
}

func firstNonEmptyString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// baseForms are the dose forms the import tells apart, as words of an
// RxNorm dose form or an FDA DOSAGEFORMNAME, with their release (extended,
// delayed or immediate). Film coating, which RxNorm does not state, does
// not make a tablet another product.
var baseForms = []string{"tablet", "capsule", "solution", "suspension", "syrup", "cream", "ointment", "gel", "lotion", "foam", "injection", "powder", "spray", "patch"}

// semisolid forms: RxNorm writes their strength per mL (and as a %),
// product labels per g; for matching the two are the same.
var semisolid = map[string]bool{"cream": true, "ointment": true, "gel": true, "lotion": true, "foam": true}

func readForm(form string) (base, release, route string) {
	t := NormalizeText(form)
	for _, b := range baseForms {
		if ContainsWord(t, b) || ContainsWord(t, b+"s") {
			base = b
			break
		}
	}
	switch {
	case strings.Contains(t, " extended release ") || strings.Contains(t, " 24 hr ") || strings.Contains(t, " 12 hr "):
		release = "extended"
	case strings.Contains(t, " delayed release "):
		release = "delayed"
	}
	switch {
	case ContainsWord(t, "oral"):
		route = RouteOral
	case ContainsWord(t, "topical") || ContainsWord(t, "cutaneous") || semisolid[base]:
		route = RouteTopical
	}
	return base, release, route
}

// rxStrengthRE is the strength of an RxNorm clinical drug name: "15 MG",
// "1 MG/ML", "15 MG/G", "1.5 %".
var rxStrengthRE = regexp.MustCompile(`(?i)(?:^|\s)(\d+(?:\.\d+)?)\s*(MG|MCG|%)(?:/(ML|G))?(?:\s|$)`)

// rxQuantityRE is the quantity factor RxNorm puts before a name
// ("24 HR", "0.3 ML").
var rxQuantityRE = regexp.MustCompile(`(?i)^\d+(?:\.\d+)?\s*(HR|ML|G|ACTUAT)\s+`)

// parseRxName reads an RxNorm SCD or SBD name such as "24 HR upadacitinib
// 15 MG Extended Release Oral Tablet [Rinvoq]".
func parseRxName(name string) (clinical, error) {
	var c clinical
	s := strings.TrimSpace(name)
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndex(s, " ["); i > 0 {
			c.brand = NormalizeName(s[i+2 : len(s)-1])
			s = strings.TrimSpace(s[:i])
		}
	}
	if strings.Contains(s, " / ") {
		return c, fmt.Errorf("a combination product")
	}
	m := rxStrengthRE.FindStringSubmatchIndex(s)
	if m == nil {
		return c, fmt.Errorf("no strength in the name")
	}
	v, err := strconv.ParseFloat(s[m[2]:m[3]], 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return c, fmt.Errorf("unreadable strength")
	}
	unit := strings.ToLower(s[m[4]:m[5]])
	per := "unit"
	if m[6] >= 0 {
		per = strings.ToLower(s[m[6]:m[7]])
	}
	switch unit {
	case "mcg":
		v /= 1000
	case "%":
		v *= 10 // 1 % = 10 mg per mL (or g)
		per = "ml"
	}
	c.mg, c.per = v, per
	c.ingredient = NormalizeName(rxQuantityRE.ReplaceAllString(strings.TrimSpace(s[:m[0]]), ""))
	form := s[m[1]:]
	c.base, c.release, c.route = readForm(s[:m[0]] + " " + form)
	if c.ingredient == "" || c.base == "" {
		return c, fmt.Errorf("no ingredient or dose form in the name")
	}
	if semisolid[c.base] && c.per == "ml" {
		c.per = "g"
	}
	return c, nil
}

// ndcUnitRE is ACTIVE_INGRED_UNIT: "mg/1", "mg/mL", "mg/g", "g/100g",
// "mg/5mL".
var ndcUnitRE = regexp.MustCompile(`(?i)^\s*(mg|mcg|ug|g)\s*/\s*(\d+(?:\.\d+)?)?\s*(ml|g)?\s*$`)

// parseNDCProduct reads a product file row.
func parseNDCProduct(r NDCProductRow) (clinical, error) {
	var c clinical
	if strings.ContainsAny(r.Strength, ";,") || strings.ContainsAny(r.Nonproprietary, ";,") || strings.Contains(strings.ToLower(r.Nonproprietary), " and ") {
		return c, fmt.Errorf("a combination product")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(r.Strength), 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return c, fmt.Errorf("ACTIVE_NUMERATOR_STRENGTH %q is no positive number", r.Strength)
	}
	m := ndcUnitRE.FindStringSubmatch(r.Unit)
	if m == nil {
		return c, fmt.Errorf("ACTIVE_INGRED_UNIT %q is not mass per unit, mL or g", r.Unit)
	}
	v *= map[string]float64{"mg": 1, "mcg": 0.001, "ug": 0.001, "g": 1000}[strings.ToLower(m[1])]
	if m[2] != "" {
		d, err := strconv.ParseFloat(m[2], 64)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("ACTIVE_INGRED_UNIT %q: bad denominator", r.Unit)
		}
		v /= d
	}
	switch strings.ToLower(m[3]) {
	case "": // "mg/1": per unit of the dose form
		c.per = "unit"
	case "ml":
		c.per = "ml"
	case "g":
		c.per = "g"
	}
	c.mg = v
	c.ingredient = NormalizeName(r.Nonproprietary)
	c.brand = NormalizeName(r.Proprietary)
	c.base, c.release, c.route = readForm(r.DosageForm)
	switch NormalizeName(r.Route) {
	case "oral":
		c.route = RouteOral
	case "topical", "cutaneous", "transdermal":
		c.route = RouteTopical
	case "":
	default:
		// Another route (an injection...): no profile's form, and the
		// route of a site code is oral, topical or unknown.
		return c, fmt.Errorf("ROUTENAME %q is neither oral nor topical", r.Route)
	}
	if c.ingredient == "" || c.base == "" {
		return c, fmt.Errorf("no ingredient or dose form %q the import knows", r.DosageForm)
	}
	if semisolid[c.base] && c.per == "ml" {
		c.per = "g"
	}
	return c, nil
}

func sameClinical(a, b clinical) bool {
	return a.ingredient == b.ingredient && math.Abs(a.mg-b.mg) < 1e-9 && a.per == b.per && a.base == b.base && a.release == b.release &&
		(a.route == "" || b.route == "" || a.route == b.route)
}

// importer matches source rows to the profiles.
type importer struct {
	profiles []ImportProfile
	products map[string][]clinical // per profile ID, its products parsed
	rep      *ImportReport
	site     *Site
	seen     map[string]bool
}

// Import matches the RxNorm atoms and NDC rows that name a profile's
// ingredient to the profile products, by ingredient, strength, dose form
// (and extended release) and route, and returns the site terminology and
// a report of what it could not match. A profile product whose display
// cannot be read is an error: its codes could never be matched.
func Import(profiles []ImportProfile, src ImportSources) (*Site, *ImportReport, error) {
	im := &importer{profiles: profiles, products: map[string][]clinical{}, rep: &ImportReport{}, site: &Site{}, seen: map[string]bool{}}
	for _, p := range profiles {
		for _, d := range p.Products {
			c, err := parseRxName(d)
			if err != nil {
				return nil, nil, fmt.Errorf("profile %s: product %q: %w", p.ID, d, err)
			}
			if c.route == "" {
				c.route = p.Route
			}
			im.products[p.ID] = append(im.products[p.ID], c)
		}
	}
	// Brands: from the profiles' names and the SBD names and NDC rows
	// that pair a brand with an ingredient and a route.
	brands := map[string]*brandInfo{}
	brand := func(b, ing, route string) {
		if b == "" || im.ingredient(ing) == "" {
			return
		}
		bi := brands[b]
		if bi == nil {
			bi = &brandInfo{ingredient: ing, routes: map[string]bool{}}
			brands[b] = bi
		}
		if bi.ingredient != ing {
			bi.conflict = true
		}
		bi.routes[route] = true
	}
	for _, a := range src.RxNorm {
		if a.TTY == "SBD" {
			if c, err := parseRxName(a.STR); err == nil {
				brand(c.brand, c.ingredient, c.route)
			}
		}
	}
	for _, r := range src.NDCProducts {
		if c, err := parseNDCProduct(r); err == nil {
			brand(c.brand, c.ingredient, c.route)
		}
	}
	for _, a := range src.RxNorm {
		im.rxnorm(a, brands)
	}
	products := map[NDCKey]*SiteCode{}
	for _, r := range src.NDCProducts {
		if c := im.ndcProduct(r); c != nil {
			k, _ := NormalizeNDC(c.Code)
			products[k] = c
		}
	}
	for _, r := range src.NDCPackages {
		pk, err := NormalizeNDC(r.ProductNDC)
		if err != nil {
			continue // the product's own row says what is wrong, if it is ours
		}
		prod := products[pk]
		if prod == nil {
			continue // not a product of a profile's ingredient
		}
		k, err := NormalizeNDC(r.PackageNDC)
		if err != nil || k.Kind() != NDCPackage || k.Product() != pk {
			im.skip("NDC package file line %d: NDCPACKAGECODE %q is no package of %s", r.Line, r.PackageNDC, r.ProductNDC)
			continue
		}
		c := *prod
		c.Code, c.TTY = r.PackageNDC, "package"
		im.add(c, "")
	}
	return im.site, im.rep, nil
}

type brandInfo struct {
	ingredient string
	routes     map[string]bool
	conflict   bool
}

// ingredient returns the normalized ingredient if a profile targets it.
func (im *importer) ingredient(name string) string {
	for _, p := range im.profiles {
		if NormalizeName(p.Ingredient) == name {
			return p.Ingredient
		}
	}
	return ""
}

// profileFor is the target a form of ingredient by route is: the oral
// profile (every form), else the topical one for a topical form.
func (im *importer) profileFor(ing, route string) *ImportProfile {
	var topical *ImportProfile
	for i := range im.profiles {
		p := &im.profiles[i]
		if p.Ingredient != ing {
			continue
		}
		if p.Route != RouteTopical {
			return p
		}
		topical = p
	}
	if topical != nil && route == RouteTopical {
		return topical
	}
	return nil
}

func (im *importer) skip(format string, args ...any) {
	im.rep.Skipped = append(im.rep.Skipped, fmt.Sprintf(format, args...))
}

func (im *importer) rxnorm(a RRFAtom, brands map[string]*brandInfo) {
	where := fmt.Sprintf("RxNorm %s %s %q (line %d)", a.TTY, a.RXCUI, a.STR, a.Line)
	c := SiteCode{System: SystemRxNorm, Code: a.RXCUI, TTY: a.TTY, Name: a.STR}
	switch a.TTY {
	case "IN":
		ing := im.ingredient(NormalizeName(a.STR))
		if ing == "" {
			return
		}
		c.Ingredient = ing
		note := ""
		if p := im.profileFor(ing, ""); p != nil {
			c.Profile = p.ID
		} else {
			note = "a target in a topical form only: the order's route or dose form decides"
		}
		im.add(c, note)
	case "BN":
		b := NormalizeName(a.STR)
		var p *ImportProfile
		for i := range im.profiles {
			if slices.ContainsFunc(im.profiles[i].Names, func(n string) bool { return NormalizeName(n) == b }) {
				p = &im.profiles[i]
			}
		}
		bi := brands[b]
		switch {
		case p != nil:
			c.Ingredient, c.Profile = p.Ingredient, p.ID
			if p.Route == RouteTopical {
				c.Route = RouteTopical
			}
		case bi == nil:
			return // a brand of no profile's ingredient
		case bi.conflict || len(bi.routes) != 1 || bi.routes[""]:
			im.skip("%s: its branded drugs differ in ingredient or route, or state none", where)
			return
		default:
			c.Ingredient = bi.ingredient
			for r := range bi.routes {
				c.Route = r
			}
			if p := im.profileFor(c.Ingredient, c.Route); p != nil {
				c.Profile = p.ID
			}
		}
		note := ""
		if c.Profile == "" {
			note = "a brand of " + c.Ingredient + " in no target form (" + c.Route + ")"
		}
		im.add(c, note)
	case "SCD", "SBD":
		cl, err := parseRxName(a.STR)
		if err != nil {
			if im.namesIngredient(a.STR) {
				im.skip("%s: %v", where, err)
			}
			return
		}
		im.clinical(c, cl, where)
	}
}

// namesIngredient reports whether a name mentions a profile's ingredient:
// a row about some other drug is no concern of the report.
func (im *importer) namesIngredient(name string) bool {
	t := NormalizeText(name)
	for _, p := range im.profiles {
		if ContainsWord(t, p.Ingredient) {
			return true
		}
	}
	return false
}

func (im *importer) ndcProduct(r NDCProductRow) *SiteCode {
	where := fmt.Sprintf("NDC %s %q (line %d)", r.ProductNDC, strings.TrimSpace(r.Proprietary+" "+r.Nonproprietary), r.Line)
	k, err := NormalizeNDC(r.ProductNDC)
	if err != nil || k.Kind() != NDCProduct {
		if im.namesIngredient(r.Nonproprietary) {
			im.skip("%s: PRODUCTNDC is no hyphenated product code", where)
		}
		return nil
	}
	cl, err := parseNDCProduct(r)
	if err != nil {
		if im.namesIngredient(r.Nonproprietary) {
			im.skip("%s: %v", where, err)
		}
		return nil
	}
	name := strings.TrimSpace(fmt.Sprintf("%s (%s) %s %s %s", r.Proprietary, r.Nonproprietary, r.Strength, r.Unit, strings.ToLower(r.DosageForm)))
	return im.clinical(SiteCode{System: SystemNDC, Code: r.ProductNDC, TTY: "product", Name: name}, cl, where)
}

// clinical maps a coded dose form to its profile and product.
func (im *importer) clinical(c SiteCode, cl clinical, where string) *SiteCode {
	ing := im.ingredient(cl.ingredient)
	if ing == "" {
		return nil
	}
	c.Ingredient, c.Route, c.StrengthMg, c.Per = ing, cl.route, cl.mg, cl.per
	p := im.profileFor(ing, cl.route)
	if p == nil {
		im.rep.NotTargets = append(im.rep.NotTargets, fmt.Sprintf("%s: %s is no target form", where, cl))
		return im.add(c, "")
	}
	c.Profile = p.ID
	var match []string
	for i, pc := range im.products[p.ID] {
		if sameClinical(cl, pc) {
			match = append(match, p.Products[i])
		}
	}
	switch len(match) {
	case 1:
		c.Product = match[0]
		im.rep.Matched++
	case 0:
		im.rep.Unmatched = append(im.rep.Unmatched, fmt.Sprintf("%s: %s: no product of %s has this strength, form and route", where, cl, p.ID))
	default:
		im.rep.Unmatched = append(im.rep.Unmatched, fmt.Sprintf("%s: %s: matches %d products of %s (%s)", where, cl, len(match), p.ID, strings.Join(match, "; ")))
	}
	return im.add(c, "")
}

// add records a code once; a note lists it in the report's no-target
// section.
func (im *importer) add(c SiteCode, note string) *SiteCode {
	key := c.Key()
	if c.System == SystemNDC {
		k, _ := NormalizeNDC(c.Code)
		key = SystemNDC + "|" + string(k)
	}
	if im.seen[key] {
		return nil
	}
	im.seen[key] = true
	if note != "" {
		im.rep.NotTargets = append(im.rep.NotTargets, fmt.Sprintf("RxNorm %s %s %q: %s", c.TTY, c.Code, c.Name, note))
	}
	im.site.Codes = append(im.site.Codes, c)
	return &im.site.Codes[len(im.site.Codes)-1]
}
