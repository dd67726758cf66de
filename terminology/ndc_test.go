package terminology

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// All NDCs here are synthetic (labelers 0999x and 9990x).
func TestNDCCandidates(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []NDCKey
		err  string
	}{
		// Hyphenated 10-digit package codes: each configuration pads to 5-4-2.
		{in: "9990-0100-30", want: []NDCKey{"09990010030"}},  // 4-4-2
		{in: "99902-007-05", want: []NDCKey{"99902000705"}},  // 5-3-2
		{in: "99901-0015-3", want: []NDCKey{"99901001503"}},  // 5-4-1
		{in: "99901-0045-30", want: []NDCKey{"99901004530"}}, // 11 digits, 5-4-2
		// Product codes: 4-4, 5-3, 5-4.
		{in: "9990-0100", want: []NDCKey{"099900100"}},
		{in: "99902-007", want: []NDCKey{"999020007"}},
		{in: "99901-0045", want: []NDCKey{"999010045"}},
		// Without hyphens: 11 and 9 digits say where segments end.
		{in: "99901004530", want: []NDCKey{"99901004530"}},
		{in: " 999010045 ", want: []NDCKey{"999010045"}},
		// 10 digits without hyphens: one candidate per configuration.
		{in: "9990100453", want: []NDCKey{"09990100453", "99901000453", "99901004503"}},
		// 8 digits without hyphens: 4-4 or 5-3.
		{in: "99900100", want: []NDCKey{"099900100", "999000100"}},
		{in: "", err: "empty"},
		{in: "9990-0100-30-1", err: "segments"},
		{in: "999010-045-30", err: "segment 1"},
		{in: "9990-01a0-30", err: "segment 2"},
		{in: "999-0100-30", err: "no NDC configuration"}, // 3-4-2: 9 digits
		{in: "9990-045", err: "no NDC configuration"},    // 4-3: 7 digits
		{in: "12345", err: "5 digits"},
		{in: "9990 0100 30", err: "only digits"},
	} {
		got, err := NDCCandidates(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("NDCCandidates(%q) = %v, %v; want error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("NDCCandidates(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestNormalizeNDCRefusesAmbiguous(t *testing.T) {
	for _, in := range []string{"9990100453", "99900100"} {
		if k, err := NormalizeNDC(in); err == nil || !strings.Contains(err.Error(), "ambiguous") {
			t.Errorf("NormalizeNDC(%q) = %q, %v; want ambiguous", in, k, err)
		}
	}
	k, err := NormalizeNDC("9990-0100-30")
	if err != nil || k != "09990010030" || FormatNDC(k) != "09990-0100-30" || k.Product() != "099900100" || k.Kind() != NDCPackage {
		t.Fatalf("NormalizeNDC: %q %v", k, err)
	}
	if p := k.Product(); p.Kind() != NDCProduct || FormatNDC(p) != "09990-0100" {
		t.Fatalf("product %q", p)
	}
}

// TestSiteLookupNDC: an NDC written any way finds the listed code; an
// unhyphenated 10-digit code only when one configuration is listed.
func TestSiteLookupNDC(t *testing.T) {
	site := &Site{Codes: []SiteCode{
		{System: SystemNDC, Code: "9990-0100", TTY: "product", Ingredient: "abrocitinib"},
		{System: SystemNDC, Code: "9990-0100-30", TTY: "package", Ingredient: "abrocitinib"},
		// Two products whose unhyphenated 10-digit packages collide:
		// 0999-1234-56 (4-4-2) and 09991-234-56 (5-3-2) are both 0999123456.
		{System: SystemNDC, Code: "0999-1234", TTY: "product", Ingredient: "a"},
		{System: SystemNDC, Code: "09991-234", TTY: "product", Ingredient: "b"},
	}}
	ix := newSiteIndex(site)
	for _, tc := range []struct {
		code string
		want string // Code of the entry found, "" none
	}{
		{"9990-0100-30", "9990-0100-30"},
		{"09990-0100-30", "9990-0100-30"},
		{"09990010030", "9990-0100-30"},
		{"9990010030", "9990-0100-30"}, // unhyphenated 10 digits: only 4-4-2 is listed
		{"9990-0100-99", "9990-0100"},  // an unlisted package of a listed product
		{"09990-0100", "9990-0100"},
		{"099900100", "9990-0100"},
		{"0999123456", ""}, // ambiguous: two listed products
		{"0999-1234-56", "0999-1234"},
		{"09991-234-56", "09991-234"},
		{"9990-0200-30", ""},
		{"not an ndc", ""},
	} {
		c := ix.lookupNDC(tc.code)
		got := ""
		if c != nil {
			got = c.Code
		}
		if got != tc.want {
			t.Errorf("lookupNDC(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

// BenchmarkSiteCodeLookup: recognising an order's code is map lookups (an
// unhyphenated 10-digit NDC: one per configuration), whatever the size of
// the site terminology.
func BenchmarkSiteCodeLookup(b *testing.B) {
	site := &Site{}
	for i := range 5000 {
		site.Codes = append(site.Codes,
			SiteCode{System: SystemRxNorm, Code: strconv.Itoa(900000000 + i), TTY: "SCD", Ingredient: "x"},
			SiteCode{System: SystemNDC, Code: fmt.Sprintf("99%03d-%04d-30", i%1000, i), TTY: "package", Ingredient: "x"})
	}
	t := &DrugTable{}
	t.SetSite(site)
	for _, tc := range []struct{ name, key string }{
		{"rxnorm", SystemRxNorm + "|900004321"},
		{"ndc-hyphenated", SystemNDC + "|99321-4321-30"},
		{"ndc-10-unhyphenated", SystemNDC + "|9932143213"},
	} {
		codes := []string{tc.key}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if t.SiteCode(codes) == nil && tc.name != "ndc-10-unhyphenated" {
					b.Fatal("not found")
				}
			}
		})
	}
}
