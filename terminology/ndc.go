package terminology

import (
	"fmt"
	"strings"
)

// An NDC names a product (labeler-product) or a package
// (labeler-product-package). The FDA writes it with hyphens in three
// 10-digit configurations (4-4-2, 5-3-2, 5-4-1, and 4-4, 5-3, 5-4 for the
// product); HIPAA transactions and many EHRs write the 11-digit 5-4-2 form
// without hyphens. Every hyphenated form pads to one canonical key: the
// 11-digit package code, or the 9-digit product code (5-4). A 10-digit
// code without hyphens does not say where its segments end, so it yields
// one candidate per configuration, and only the imported list can tell
// which (if any) is meant: it is never guessed.

// NDCKind says what an NDC names.
type NDCKind int

// What an NDC names.
const (
	NDCProduct NDCKind = iota + 1
	NDCPackage
)

// NDCKey is a canonical NDC: 9 digits (product) or 11 digits (package).
type NDCKey string

// Product is the labeler-product part of a key.
func (k NDCKey) Product() NDCKey {
	if len(k) == 11 {
		return k[:9]
	}
	return k
}

// Kind says whether the key names a product or a package.
func (k NDCKey) Kind() NDCKind {
	if len(k) == 11 {
		return NDCPackage
	}
	return NDCProduct
}

// widths are the canonical segment widths: labeler, product, package.
var widths = [3]int{5, 4, 2}

// NDCCandidates returns the canonical keys an NDC as written can mean:
// one for a hyphenated code, an 11-digit or a 9-digit code, three for a
// 10-digit code without hyphens (4-4-2, 5-3-2, 5-4-1) and two for an
// 8-digit one (4-4, 5-3). It fails on anything else, saying why.
func NDCCandidates(code string) ([]NDCKey, error) {
	c := strings.TrimSpace(code)
	if c == "" {
		return nil, fmt.Errorf("empty NDC")
	}
	if strings.Contains(c, "-") {
		segs := strings.Split(c, "-")
		if len(segs) != 2 && len(segs) != 3 {
			return nil, fmt.Errorf("NDC %q: want 2 or 3 hyphen-separated segments", code)
		}
		var b strings.Builder
		for i, s := range segs {
			if s == "" || len(s) > widths[i] || !allDigits(s) {
				return nil, fmt.Errorf("NDC %q: segment %d must be 1 to %d digits", code, i+1, widths[i])
			}
			b.WriteString(strings.Repeat("0", widths[i]-len(s)))
			b.WriteString(s)
		}
		// A hyphenated code must be one of the FDA's configurations
		// (10 digits) or the 11-digit 5-4-2 form.
		n := len(strings.ReplaceAll(c, "-", ""))
		if len(segs) == 3 && n != 10 && n != 11 || len(segs) == 2 && n != 8 && n != 9 {
			return nil, fmt.Errorf("NDC %q: %d digits is no NDC configuration", code, n)
		}
		return []NDCKey{NDCKey(b.String())}, nil
	}
	if !allDigits(c) {
		return nil, fmt.Errorf("NDC %q: only digits and hyphens are allowed", code)
	}
	switch len(c) {
	case 11, 9:
		return []NDCKey{NDCKey(c)}, nil
	case 10:
		return []NDCKey{
			NDCKey("0" + c),             // 4-4-2
			NDCKey(c[:5] + "0" + c[5:]), // 5-3-2
			NDCKey(c[:9] + "0" + c[9:]), // 5-4-1
		}, nil
	case 8:
		return []NDCKey{
			NDCKey("0" + c),             // 4-4
			NDCKey(c[:5] + "0" + c[5:]), // 5-3
		}, nil
	}
	return nil, fmt.Errorf("NDC %q: %d digits (want 10 or 11 for a package, 8 or 9 for a product)", code, len(c))
}

// NormalizeNDC returns the canonical key of an NDC that says where its
// segments end (hyphenated, 11 or 9 digits); an unhyphenated 10- or
// 8-digit code is ambiguous and refused.
func NormalizeNDC(code string) (NDCKey, error) {
	cs, err := NDCCandidates(code)
	if err != nil {
		return "", err
	}
	if len(cs) != 1 {
		return "", fmt.Errorf("NDC %q is ambiguous without hyphens (%d configurations)", code, len(cs))
	}
	return cs[0], nil
}

// FormatNDC writes a key in its 5-4-2 (or 5-4) hyphenated form.
func FormatNDC(k NDCKey) string {
	if len(k) == 11 {
		return string(k[:5]) + "-" + string(k[5:9]) + "-" + string(k[9:])
	}
	if len(k) == 9 {
		return string(k[:5]) + "-" + string(k[5:])
	}
	return string(k)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
