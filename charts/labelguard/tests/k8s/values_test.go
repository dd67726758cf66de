package k8s_test

import (
	"strings"
	"testing"
)

// withRequired prefixes args with the two values the chart cannot guess
// (the base URL and the trusted issuers), leaving the issuers to a case
// that sets them itself.
func withRequired(args []string) []string {
	base := []string{"--set", "config.baseUrl=https://labelguard.example.org"}
	if !strings.Contains(strings.Join(args, " "), "trustedIssuers") {
		base = append(base, "--set", "auth.trustedIssuers.existingSecret=lg-issuers")
	}
	return append(base, args...)
}

// TestValuesRejected runs helm template with impossible or mistyped values
// and expects values.schema.json (or the chart's own checks) to refuse them,
// naming the offending setting.
func TestValuesRejected(t *testing.T) {
	const pg = "database.dsn=postgres://u:p@db:5432/lg,hashKey.existingSecret=hk"
	cases := []struct {
		name string
		args []string
		want string // a substring of helm's error
	}{
		{"two replicas with embedded SQLite", []string{"--set", "replicaCount=2"}, "/replicaCount"},
		{"HPA with embedded SQLite", []string{"--set", "autoscaling.enabled=true"}, "/autoscaling/enabled"},
		{"two replicas, SQLite, persistence off", []string{"--set", "replicaCount=3,persistence.enabled=false"}, "/replicaCount"},
		{"auth disabled without allowInsecure", []string{"--set", "auth.mode=disabled"}, "/auth/allowInsecure"},
		{"unknown auth mode", []string{"--set", "auth.mode=optional"}, "/auth/mode"},
		{"bundle URL and ConfigMap", []string{"--set", "policies.bundleUrl=https://b.example/bundle.tar.gz,policies.bundlePublicKey.content=KEY,policies.configMap=pol"}, "/policies/configMap"},
		{"bundle URL without public key", []string{"--set", "policies.bundleUrl=https://b.example/bundle.tar.gz"}, "/policies/bundlePublicKey"},
		{"bundle URL not a URL", []string{"--set", "policies.bundleUrl=bundles,policies.bundlePublicKey.content=KEY"}, "/policies/bundleUrl"},
		{"ingress TLS without hosts", []string{"--set", "ingress.enabled=true", "--set-json", `ingress.tls=[{"secretName":"t"}]`}, "/ingress/tls/0"},
		{"ingress TLS with empty hosts", []string{"--set", "ingress.enabled=true", "--set-json", `ingress.tls=[{"secretName":"t","hosts":[]}]`}, "/ingress/tls/0/hosts"},
		{"ingress enabled without hosts", []string{"--set", "ingress.enabled=true", "--set-json", "ingress.hosts=[]"}, "/ingress/hosts"},
		{"ingress bad pathType", []string{"--set-json", `ingress.hosts=[{"host":"a.example","paths":[{"path":"/","pathType":"prefix"}]}]`}, "pathType"},
		{"replica count as a string", []string{"--set-string", "replicaCount=two"}, "/replicaCount"},
		{"negative replica count", []string{"--set", "replicaCount=-1"}, "/replicaCount"},
		{"persistence flag as a string", []string{"--set-string", "persistence.enabled=yes"}, "/persistence/enabled"},
		{"misspelt top-level key", []string{"--set", "replicas=2"}, "replicas"},
		{"misspelt nested key", []string{"--set", "networkPolicy.egress.fhirServer[0].cidr=10.0.0.0/8"}, "fhirServer"},
		{"FHIR egress without CIDR prefix", []string{"--set", "networkPolicy.egress.fhirServers[0].cidr=10.0.0.1"}, "/networkPolicy/egress/fhirServers/0/cidr"},
		{"EHR peer with an unknown field", []string{"--set-json", `networkPolicy.ingress.from=[{"namespaceSelectr":{}}]`}, "namespaceSelectr"},
		{"log format", []string{"--set", "config.logFormat=logfmt"}, "/config/logFormat"},
		{"grace period not above drain and shutdown", []string{"--set", "terminationGracePeriodSeconds=25"}, "terminationGracePeriodSeconds (25) must be above config.drainDelay plus config.shutdownTimeout (25s)"},
		{"drain delay without unit", []string{"--set", "config.drainDelay=5"}, "/config/drainDelay"},
		// siteParams is the policy set's schema (TestChartSiteParamsSchemaIsCurrent):
		// what the service would refuse at start, helm refuses at install.
		{"site parameter as a string", []string{"--set-string", "siteParams.labWindowDays=30"}, "/siteParams/labWindowDays"},
		{"unknown site parameter", []string{"--set", "siteParams.labWindowDay=30"}, "labWindowDay"},
		{"site rule override not an indicator", []string{"--set", "siteParams.rules.jak\\.lab-anc-low.indicator=low"}, "/siteParams/rules/jak.lab-anc-low/indicator"},
		{"duration without unit", []string{"--set", "config.shutdownTimeout=20"}, "/config/shutdownTimeout"},
		{"base URL without scheme", []string{"--set", "config.baseUrl=labelguard.example.org"}, "/config/baseUrl"},
		{"in-pod TLS without Secret", []string{"--set", "tls.enabled=true"}, "/tls/existingSecret"},
		{"DSN and existing Secret", []string{"--set", pg + ",database.existingSecret=db"}, "/database/dsn"},
		{"hash key inline and existing Secret", []string{"--set", "hashKey.value=0123456789abcdef0123456789abcdef,hashKey.existingSecret=hk"}, "/hashKey/value"},
		{"short hash key", []string{"--set", "hashKey.value=secret"}, "/hashKey/value"},
		{"trusted issuers inline and existing Secret", []string{"--set", "auth.trustedIssuers.content=x,auth.trustedIssuers.existingSecret=ti"}, "/auth/trustedIssuers/content"},
		{"PDB minAvailable and maxUnavailable", []string{"--set", "podDisruptionBudget.minAvailable=1,podDisruptionBudget.maxUnavailable=1"}, "/podDisruptionBudget/maxUnavailable"},
		{"PDB percentage malformed", []string{"--set-string", "podDisruptionBudget.maxUnavailable=half"}, "/podDisruptionBudget/maxUnavailable"},
		{"HPA CPU target over 100", []string{"--set", pg + ",autoscaling.enabled=true,autoscaling.targetCPUUtilizationPercentage=150"}, "targetCPUUtilizationPercentage"},
		{"HPA min above max", []string{"--set", pg + ",autoscaling.enabled=true,autoscaling.minReplicas=5,autoscaling.maxReplicas=2"}, "minReplicas must not exceed"},
		{"trusted issuers files without content", []string{"--set", "auth.trustedIssuers.existingSecret=ti,auth.trustedIssuers.files.jwks\\.json=x"}, "auth.trustedIssuers.files needs"},
		{"trusted issuers file named like the issuers file", []string{"--set", "auth.trustedIssuers.content=x,auth.trustedIssuers.files.issuers\\.json=x"}, "invalid propertyName 'issuers.json'"},
		{"ConfigMap files without ConfigMap", []string{"--set", "policies.configMapFiles[0]=rules/jak/jak.rego"}, "policies.configMapFiles needs policies.configMap"},
		{"terminology ConfigMap name not a DNS name", []string{"--set", "terminology.configMap=Site_Terms"}, "/terminology/configMap"},
		{"misspelt terminology key", []string{"--set", "terminology.configmap=t"}, "configmap"},
		{"ConfigMap file path escaping", []string{"--set", "policies.configMap=p,policies.configMapFiles[0]=../etc/passwd"}, "/policies/configMapFiles/0"},
		{"service type", []string{"--set", "service.type=Headless"}, "/service/type"},
		{"image digest malformed", []string{"--set", "image.digest=latest"}, "/image/digest"},
		{"test image digest malformed", []string{"--set", "tests.image.digest=sha256:abc"}, "/tests/image/digest"},
		{"admin port on the API port", []string{"--set", "admin.port=8080"}, "/admin/port"},
		{"PostgreSQL without a hash key", []string{"--set", "database.existingSecret=db"}, "PostgreSQL needs hashKey.existingSecret"},
		{"PostgreSQL DSN without a hash key", []string{"--set", "database.dsn=postgres://u:p@db:5432/lg"}, "hashKey.existingSecret=lg-labelguard-hash-key to keep today's pseudonyms"},
		{"disabled alert misspelt", []string{"--set", "prometheusRule.disabledAlerts[0]=HookLatencyHigh"}, "/prometheusRule/disabledAlerts/0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := helmTemplate(t, withRequired(c.args)...)
			if err == nil {
				t.Fatalf("helm template %v succeeded; want a failure mentioning %q", c.args, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("helm template %v failed without mentioning %q:\n%v", c.args, c.want, err)
			}
		})
	}
}

// TestValuesAccepted guards against a schema so strict that it refuses the
// valid neighbours of the rejected cases.
func TestValuesAccepted(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"two replicas with PostgreSQL DSN", []string{"--set", "replicaCount=2,database.dsn=postgres://u:p@db:5432/lg,hashKey.value=0123456789abcdef0123456789abcdef"}},
		{"HPA with an existing DSN Secret", []string{"--set", "autoscaling.enabled=true,database.existingSecret=db,hashKey.existingSecret=hk"}},
		{"HPA min equal to max", []string{"--set", "autoscaling.enabled=true,autoscaling.minReplicas=3,autoscaling.maxReplicas=3,database.existingSecret=db,hashKey.existingSecret=hk"}},
		{"SQLite without a hash key", nil},
		{"scaled to zero with SQLite", []string{"--set", "replicaCount=0"}},
		{"auth disabled and acknowledged", []string{"--set", "auth.mode=disabled,auth.allowInsecure=true"}},
		{"bundle with key from a Secret", []string{"--set", "policies.bundleUrl=https://b.example/bundle.tar.gz,policies.bundlePublicKey.existingSecret=bk"}},
		{"PDB percentage", []string{"--set-string", "podDisruptionBudget.maxUnavailable=50%"}},
		{"ingress with TLS hosts", []string{"--set", "ingress.enabled=true", "--set-json", `ingress.tls=[{"secretName":"t","hosts":["labelguard.example.org"]}]`}},
		{"ServiceMonitor without the CRD", []string{"--set", "metrics.serviceMonitor.enabled=true"}},
		{"as a subchart with globals", []string{"--set", "global.imageRegistry=registry.example"}},
		{"alert rules without the Prometheus Operator API", []string{"--set", "prometheusRule.enabled=true", "--set-json", `prometheusRule.disabledAlerts=["LabelguardHookLatencyHigh"]`}},
		{"admin port moved", []string{"--set", "admin.port=9102,service.adminPort=9102"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := helmTemplate(t, withRequired(c.args)...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDefaultsFailNamingTheValues: with the chart's defaults alone the pod
// could not start (authentication is required and nothing is trusted), so
// the render fails naming what to set, and how to turn authentication off
// for a development cluster instead.
func TestDefaultsFailNamingTheValues(t *testing.T) {
	_, err := helmTemplate(t)
	if err == nil {
		t.Fatal("helm template with the defaults succeeded; want a failure naming auth.trustedIssuers and config.baseUrl")
	}
	for _, want := range []string{"auth.trustedIssuers.content or auth.trustedIssuers.existingSecret", "config.baseUrl", "auth.mode=disabled and auth.allowInsecure=true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the failure does not mention %q:\n%v", want, err)
		}
	}
	out, err := helmTemplate(t, "--set", "auth.mode=disabled,auth.allowInsecure=true")
	if err != nil {
		t.Fatalf("authentication explicitly off: %v", err)
	}
	if !strings.Contains(out, "- --auth=disabled") || strings.Contains(out, "kind: Ingress") {
		t.Error("with authentication off the chart should run without auth and without an Ingress")
	}
}
