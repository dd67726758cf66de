package auth

import "testing"

func TestFHIRServerAllowed(t *testing.T) {
	allow := []string{
		"https://fhir.hospital.org/r4",
		"https://ehr.example.org:8443/api/FHIR/R4/",
		"http://127.0.0.1:9090/fhir",
		"http://fhir.insecure.org/r4", // invalid entry: matches nothing
		"https://all.example.org",
	}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://fhir.hospital.org/r4", true},
		{"https://fhir.hospital.org/r4/", true},
		{"https://fhir.hospital.org/r4/Patient/123", true},
		{"https://FHIR.Hospital.org/r4", true},
		{"https://fhir.hospital.org:443/r4", true},
		{"https://fhir.hospital.org./r4", true},
		{"HTTPS://fhir.hospital.org/r4", true},
		{"https://fhir.hospital.org/r4evil", false},
		{"https://fhir.hospital.org/r", false},
		{"https://fhir.hospital.org/", false},
		{"https://fhir.hospital.org/R4", false},
		{"https://fhir.hospital.org:8443/r4", false},
		{"http://fhir.hospital.org/r4", false},
		{"https://evil.org/r4", false},
		{"https://fhir.hospital.org.evil.org/r4", false},
		{"https://fhir.hospital.org@evil.org/r4", false},
		{"https://user:pass@fhir.hospital.org/r4", false},
		{"https://evil.org#@fhir.hospital.org/r4", false},
		{"https://evil.org\\@fhir.hospital.org/r4", false},
		{"https://fhir.hospital.org/r4/../admin", false},
		{"https://fhir.hospital.org/r4/%2e%2e/admin", false},
		{"https://fhir.hospital.org/r4%2F..%2Fadmin", false},
		{"https://fhir.hospital.org/r4?x=1", false},
		{"https://fhir.hospital.org/r4#frag", false},
		{" https://fhir.hospital.org/r4", false},
		{"https://fhir.hospital.org/r4\n", false},
		{"//fhir.hospital.org/r4", false},
		{"fhir.hospital.org/r4", false},
		{"file:///etc/passwd", false},
		{"gopher://fhir.hospital.org/r4", false},
		{"", false},
		{"https://ehr.example.org:8443/api/FHIR/R4", true},
		{"https://ehr.example.org:8443/api/FHIR/R4/Patient", true},
		{"https://ehr.example.org/api/FHIR/R4", false},
		{"http://127.0.0.1:9090/fhir", true},
		{"http://127.0.0.1:9090/fhir/Observation", true},
		{"https://127.0.0.1:9090/fhir", false},
		{"http://127.0.0.1:9091/fhir", false},
		{"http://localhost:9090/fhir", false},
		{"http://fhir.insecure.org/r4", false},
		{"https://fhir.insecure.org/r4", false},
		{"https://all.example.org/anything/below", true},
		{"https://all.example.org", true},
		{"https://169.254.169.254/latest/meta-data", false},
		{"http://[::1]:9090/fhir", false},
	}
	for _, tc := range tests {
		if got := FHIRServerAllowed(allow, tc.url); got != tc.want {
			t.Errorf("FHIRServerAllowed(%q) = %v, want %v", tc.url, got, tc.want)
		}
	}
	if FHIRServerAllowed(nil, "https://fhir.hospital.org/r4") {
		t.Error("empty allow-list allows")
	}
}

func TestCheckFHIRAllowList(t *testing.T) {
	if err := CheckFHIRAllowList([]string{"https://fhir.hospital.org/r4", "http://localhost:8080/fhir"}); err != nil {
		t.Errorf("valid list: %v", err)
	}
	for _, bad := range []string{"http://fhir.hospital.org/r4", "https://u@fhir.hospital.org", "fhir.hospital.org", "https://fhir.hospital.org/r4?x", "https://h:99999/"} {
		if err := CheckFHIRAllowList([]string{bad}); err == nil {
			t.Errorf("CheckFHIRAllowList(%q) accepted", bad)
		}
	}
}
