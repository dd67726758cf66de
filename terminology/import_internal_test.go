package terminology

import (
	"strings"
	"testing"
)

func TestParseRxName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want clinical
		err  string
	}{
		{"24 HR upadacitinib 15 MG Extended Release Oral Tablet [Rinvoq]",
			clinical{ingredient: "upadacitinib", mg: 15, per: "unit", base: "tablet", release: "extended", route: RouteOral, brand: "rinvoq"}, ""},
		{"24 HR upadacitinib 45 MG Extended Release Oral Tablet",
			clinical{ingredient: "upadacitinib", mg: 45, per: "unit", base: "tablet", release: "extended", route: RouteOral}, ""},
		{"upadacitinib 1 MG/ML Oral Solution [Rinvoq LQ]",
			clinical{ingredient: "upadacitinib", mg: 1, per: "ml", base: "solution", route: RouteOral, brand: "rinvoq lq"}, ""},
		// RxNorm writes a semisolid's strength per mL; the label per g.
		{"ruxolitinib 15 MG/ML Topical Cream",
			clinical{ingredient: "ruxolitinib", mg: 15, per: "g", base: "cream", route: RouteTopical}, ""},
		// The profile's display: "(1.5%)" after the brand hides the brand,
		// which matching does not use.
		{"ruxolitinib 15 MG/G Topical Cream [Opzelura] (1.5%)",
			clinical{ingredient: "ruxolitinib", mg: 15, per: "g", base: "cream", route: RouteTopical}, ""},
		{"ruxolitinib 1.5 % Topical Cream",
			clinical{ingredient: "ruxolitinib", mg: 15, per: "g", base: "cream", route: RouteTopical}, ""},
		{"baricitinib 2 MG Oral Tablet [Olumiant]",
			clinical{ingredient: "baricitinib", mg: 2, per: "unit", base: "tablet", route: RouteOral, brand: "olumiant"}, ""},
		{"aspirin 81 MG Delayed Release Oral Tablet",
			clinical{ingredient: "aspirin", mg: 81, per: "unit", base: "tablet", release: "delayed", route: RouteOral}, ""},
		{"abrocitinib 200 MCG Oral Tablet",
			clinical{ingredient: "abrocitinib", mg: 0.2, per: "unit", base: "tablet", route: RouteOral}, ""},
		{"aspirin 81 MG / omeprazole 40 MG Delayed Release Oral Tablet", clinical{}, "combination"},
		{"Rinvoq", clinical{}, "no strength"},
		{"15 MG Oral Tablet", clinical{}, "no ingredient"},
		{"upadacitinib 15 MG Widget", clinical{}, "no ingredient or dose form"},
	} {
		got, err := parseRxName(tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseRxName(%q) = %+v, %v; want error %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseRxName(%q) = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestParseNDCProduct(t *testing.T) {
	row := func(form, route, strength, unit string) NDCProductRow {
		return NDCProductRow{ProductNDC: "99901-0015", Proprietary: "Rinvoq", Nonproprietary: "upadacitinib", DosageForm: form, Route: route, Strength: strength, Unit: unit}
	}
	for _, tc := range []struct {
		row  NDCProductRow
		want clinical
		err  string
	}{
		{row("TABLET, EXTENDED RELEASE", "ORAL", "15", "mg/1"), clinical{ingredient: "upadacitinib", mg: 15, per: "unit", base: "tablet", release: "extended", route: RouteOral, brand: "rinvoq"}, ""},
		{row("TABLET, DELAYED RELEASE", "ORAL", "100", "mg/1"), clinical{ingredient: "upadacitinib", mg: 100, per: "unit", base: "tablet", release: "delayed", route: RouteOral, brand: "rinvoq"}, ""},
		{row("TABLET, FILM COATED", "ORAL", "100", "mg/1"), clinical{ingredient: "upadacitinib", mg: 100, per: "unit", base: "tablet", route: RouteOral, brand: "rinvoq"}, ""},
		{row("SOLUTION", "ORAL", "5", "mg/5mL"), clinical{ingredient: "upadacitinib", mg: 1, per: "ml", base: "solution", route: RouteOral, brand: "rinvoq"}, ""},
		{row("CREAM", "TOPICAL", "15", "mg/g"), clinical{ingredient: "upadacitinib", mg: 15, per: "g", base: "cream", route: RouteTopical, brand: "rinvoq"}, ""},
		{row("CREAM", "TOPICAL", "1.5", "g/100g"), clinical{ingredient: "upadacitinib", mg: 15, per: "g", base: "cream", route: RouteTopical, brand: "rinvoq"}, ""},
		{row("TABLET", "ORAL", "15; 10", "mg/1; mg/1"), clinical{}, "combination"},
		{row("TABLET", "ORAL", "", "mg/1"), clinical{}, "no positive number"},
		{row("TABLET", "ORAL", "15", "[iU]/1"), clinical{}, "ACTIVE_INGRED_UNIT"},
		{row("KIT", "ORAL", "15", "mg/1"), clinical{}, "dose form"},
	} {
		got, err := parseNDCProduct(tc.row)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseNDCProduct(%+v) = %+v, %v; want error %q", tc.row, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseNDCProduct(%+v) = %+v, %v; want %+v", tc.row, got, err, tc.want)
		}
	}
}
