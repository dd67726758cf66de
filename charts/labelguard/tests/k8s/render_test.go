// Package k8s_test renders the labelguard chart with helm for every values
// profile under charts/labelguard/ci and strictly decodes each document with
// the Kubernetes API types (and the Prometheus Operator's ServiceMonitor), so
// a misspelt field or a wrong type fails without any schema download. It also
// checks that values.schema.json rejects impossible values, and evaluates the
// shipped alert rules with the Prometheus query engine (alerts_test.go).
//
// It lives in its own module so that the service's module does not carry the
// Kubernetes client libraries. Run it through charts/ci.sh, which installs helm;
// set HELM to use a particular binary.
package k8s_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

const (
	release   = "lg"
	namespace = "cds"
)

func helmBin(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	h, err := exec.LookPath("helm")
	if err != nil {
		t.Fatalf("helm not found (set HELM or run charts/ci.sh, which installs it): %v", err)
	}
	return h
}

func chartDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// helmTemplate renders the chart with extra helm arguments.
func helmTemplate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	full := append([]string{"template", release, chartDir(t), "--namespace", namespace}, args...)
	cmd := exec.Command(helmBin(t), full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(full, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

// documents splits a helm template stream into its non-empty documents.
func documents(out string) []string {
	var docs []string
	for _, d := range docSep.Split(out, -1) {
		body := strings.TrimSpace(stripComments(d))
		if body != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	sch := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(sch); err != nil {
		t.Fatal(err)
	}
	if err := monitoringv1.AddToScheme(sch); err != nil {
		t.Fatal(err)
	}
	return serializer.NewCodecFactory(sch, serializer.EnableStrict).UniversalDeserializer()
}

func profiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir(t), "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("want at least 3 values profiles under ci/, found %d", len(files))
	}
	sort.Strings(files)
	return files
}

// render renders a profile as a cluster with the Prometheus Operator would and
// strictly decodes every document.
func render(t *testing.T, profile string) []runtime.Object {
	t.Helper()
	out, err := helmTemplate(t, "-f", profile, "--api-versions", "monitoring.coreos.com/v1")
	if err != nil {
		t.Fatal(err)
	}
	dec := strictDecoder(t)
	var objs []runtime.Object
	for i, doc := range documents(out) {
		obj, gvk, err := dec.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Errorf("document %d does not decode strictly: %v\n%s", i, err, doc)
			continue
		}
		if gvk.Kind == "" {
			t.Errorf("document %d has no kind", i)
		}
		objs = append(objs, obj)
	}
	return objs
}

func TestProfilesDecodeStrictly(t *testing.T) {
	for _, p := range profiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			objs := render(t, p)
			if len(objs) == 0 {
				t.Fatal("rendered nothing")
			}
			checkObjects(t, objs)
		})
	}
}

// TestRendersAreIdentical: two renders of every profile give the same
// bytes, so a GitOps controller (Argo CD, Flux) that renders on every sync
// sees no change and no Secret is regenerated.
func TestRendersAreIdentical(t *testing.T) {
	for _, p := range profiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			var outs [2]string
			for i := range outs {
				out, err := helmTemplate(t, "-f", p, "--api-versions", "monitoring.coreos.com/v1")
				if err != nil {
					t.Fatal(err)
				}
				outs[i] = out
			}
			if outs[0] != outs[1] {
				t.Error("two renders differ")
			}
			if strings.Contains(outs[0], "lookup") {
				t.Error("the rendering mentions lookup")
			}
		})
	}
}

// TestStrictDecoderRejectsUnknownFields proves the decoder used above is strict.
func TestStrictDecoderRejectsUnknownFields(t *testing.T) {
	bad := `apiVersion: v1
kind: Service
metadata:
  name: x
spec:
  ports:
    - port: 80
      targetPrt: http
`
	_, _, err := strictDecoder(t).Decode([]byte(bad), nil, nil)
	if err == nil || !runtime.IsStrictDecodingError(err) && !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("want a strict decoding error for a misspelt field, got %v", err)
	}
	badType := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  replicas: "two"
`
	if _, _, err := strictDecoder(t).Decode([]byte(badType), nil, nil); err == nil {
		t.Fatal("want an error for a string replica count")
	}
}

// checkObjects checks the cross-object invariants of one rendering.
func checkObjects(t *testing.T, objs []runtime.Object) {
	t.Helper()
	var (
		deploy   *appsv1.Deployment
		svc      *corev1.Service
		testPods []*corev1.Pod
	)
	for _, o := range objs {
		m, err := meta.Accessor(o)
		if err != nil {
			t.Fatal(err)
		}
		kind := fmt.Sprintf("%T %s", o, m.GetName())
		for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if m.GetLabels()[l] == "" {
				t.Errorf("%s: missing label %s", kind, l)
			}
		}
		if m.GetNamespace() != namespace {
			t.Errorf("%s: namespace %q, want %q", kind, m.GetNamespace(), namespace)
		}
		switch v := o.(type) {
		case *appsv1.Deployment:
			deploy = v
		case *corev1.Service:
			svc = v
		case *corev1.Pod:
			testPods = append(testPods, v)
		}
	}
	if deploy == nil || svc == nil {
		t.Fatal("want a Deployment and a Service")
	}
	podLabels := labels.Set(deploy.Spec.Template.Labels)
	sel, err := metaSelector(deploy)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(podLabels) {
		t.Error("the Deployment's selector does not match its pod template")
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Error("the Service does not select the Deployment's pods")
	}
	checkPodSpec(t, "Deployment", &deploy.Spec.Template.Spec)
	ports := map[string]int32{}
	for _, c := range deploy.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
	}
	apiPort, adminPort := ports["http"], ports["admin"]
	if apiPort == 0 || adminPort == 0 || apiPort == adminPort {
		t.Fatalf("the container declares ports %v; want distinct http (API) and admin ports", ports)
	}
	checkServeArgs(t, deploy, adminPort)
	svcPorts := map[string]string{}
	for _, p := range svc.Spec.Ports {
		if ports[p.TargetPort.String()] == 0 {
			t.Errorf("Service port %s targets %s, which no container declares", p.Name, p.TargetPort.String())
		}
		svcPorts[p.Name] = p.TargetPort.String()
	}
	if svcPorts["http"] != "http" || svcPorts["admin"] != "admin" {
		t.Errorf("Service ports %v; want http -> http and admin -> admin", svcPorts)
	}
	for _, p := range testPods {
		if p.Annotations["helm.sh/hook"] != "test" {
			t.Errorf("Pod %s is not a helm test hook", p.Name)
		}
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.Labels)) {
			t.Errorf("the Service selects the test pod %s", p.Name)
		}
		checkPodSpec(t, "test Pod", &p.Spec)
	}
	volumes := map[string]bool{}
	for _, v := range deploy.Spec.Template.Spec.Volumes {
		volumes[v.Name] = true
	}
	for _, c := range deploy.Spec.Template.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				t.Errorf("container %s mounts %s, which is no volume", c.Name, m.Name)
			}
		}
	}
	for _, o := range objs {
		switch v := o.(type) {
		case *autoscalingv2.HorizontalPodAutoscaler:
			if v.Spec.ScaleTargetRef.Kind != "Deployment" || v.Spec.ScaleTargetRef.Name != deploy.Name {
				t.Errorf("the HPA targets %s/%s, not the Deployment", v.Spec.ScaleTargetRef.Kind, v.Spec.ScaleTargetRef.Name)
			}
			if deploy.Spec.Replicas != nil {
				t.Error("the Deployment sets replicas although an HPA scales it")
			}
		case *policyv1.PodDisruptionBudget:
			s, err := labelSelector(v.Spec.Selector.MatchLabels)
			if err != nil || !s.Matches(podLabels) {
				t.Error("the PodDisruptionBudget does not select the Deployment's pods")
			}
		case *networkingv1.NetworkPolicy:
			s, err := labelSelector(v.Spec.PodSelector.MatchLabels)
			if err != nil || !s.Matches(podLabels) {
				t.Error("the NetworkPolicy does not select the Deployment's pods")
			}
			checkNetworkPolicyPorts(t, v, apiPort, adminPort)
		case *networkingv1.Ingress:
			for _, r := range v.Spec.Rules {
				for _, p := range r.HTTP.Paths {
					if p.Backend.Service == nil || p.Backend.Service.Name != svc.Name {
						t.Errorf("Ingress path %s does not route to the Service", p.Path)
						continue
					}
					// Only the API port: /metrics and /status must not reach the EHR network.
					if port := p.Backend.Service.Port; port.Name != "http" && (port.Number == 0 || port.Number != servicePort(svc, "http")) {
						t.Errorf("Ingress path %s routes to Service port %+v, not the API port http", p.Path, port)
					}
				}
			}
		case *monitoringv1.ServiceMonitor:
			if !labels.SelectorFromSet(v.Spec.Selector.MatchLabels).Matches(labels.Set(svc.Labels)) {
				t.Error("the ServiceMonitor does not select the Service")
			}
			for _, e := range v.Spec.Endpoints {
				if e.Port != "admin" {
					t.Errorf("the ServiceMonitor scrapes port %q, not admin", e.Port)
				}
			}
		case *monitoringv1.PrometheusRule:
			if want := shippedRules(t); !reflect.DeepEqual(v.Spec, want) {
				t.Errorf("the PrometheusRule differs from files/prometheus-rules.yaml:\n got %+v\nwant %+v", v.Spec, want)
			}
		}
	}
}

func metaSelector(d *appsv1.Deployment) (labels.Selector, error) {
	if d.Spec.Selector == nil {
		return nil, errors.New("the Deployment has no selector")
	}
	return labelSelector(d.Spec.Selector.MatchLabels)
}

func labelSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, errors.New("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

// checkPodSpec checks the hardening every pod of the chart must have.
func checkPodSpec(t *testing.T, what string, s *corev1.PodSpec) {
	t.Helper()
	if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
		t.Errorf("%s: the service account token is mounted", what)
	}
	psc := s.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod may run as root", what)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccomp profile is not RuntimeDefault", what)
	}
	for _, c := range s.Containers {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s/%s: no securityContext", what, c.Name)
			continue
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s/%s: root filesystem is writable", what, c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s/%s: privilege escalation allowed", what, c.Name)
		case sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL":
			t.Errorf("%s/%s: capabilities not dropped", what, c.Name)
		}
		if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("%s/%s: missing resource requests or limits", what, c.Name)
		}
	}
}

func servicePort(svc *corev1.Service, name string) int32 {
	for _, p := range svc.Spec.Ports {
		if p.Name == name {
			return p.Port
		}
	}
	return 0
}

// checkServeArgs checks the flags the chart derives from other settings:
// the admin address on the admin port, --watch with a policy ConfigMap,
// and the probes on declared ports.
func checkServeArgs(t *testing.T, d *appsv1.Deployment, adminPort int32) {
	t.Helper()
	c := d.Spec.Template.Spec.Containers[0]
	if want := fmt.Sprintf("--admin-addr=:%d", adminPort); !slices.Contains(c.Args, want) {
		t.Errorf("args %v lack %s", c.Args, want)
	}
	if slices.Contains(c.Args, "--policies=/etc/labelguard/policies") != slices.Contains(c.Args, "--watch") {
		t.Errorf("a policy ConfigMap and --watch go together: args %v", c.Args)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		if p != nil && p.HTTPGet != nil && p.HTTPGet.Port.String() != "admin" {
			t.Errorf("the %s probe targets port %s, not admin", name, p.HTTPGet.Port.String())
		}
	}
}

// checkNetworkPolicyPorts: every ingress rule opens either the API port or
// the admin port, never both, and the admin port only to one namespace
// (monitoring), never to an address block or the EHR peers. Every profile
// keeps the monitoring rule, so some rule must open the admin port.
func checkNetworkPolicyPorts(t *testing.T, np *networkingv1.NetworkPolicy, apiPort, adminPort int32) {
	t.Helper()
	scraped := false
	defer func() {
		if !scraped {
			t.Error("no NetworkPolicy ingress rule opens the admin port: Prometheus cannot scrape /metrics")
		}
	}()
	for i, r := range np.Spec.Ingress {
		var api, admin bool
		for _, p := range r.Ports {
			switch {
			case p.Port == nil:
				t.Errorf("ingress rule %d opens every port", i)
			case p.Port.IntVal == apiPort:
				api = true
			case p.Port.IntVal == adminPort:
				admin = true
			default:
				t.Errorf("ingress rule %d opens port %s, neither the API nor the admin port", i, p.Port.String())
			}
		}
		if len(r.Ports) == 0 || api == admin {
			t.Errorf("ingress rule %d opens ports %v; want the API port or the admin port", i, r.Ports)
		}
		scraped = scraped || admin
		if admin && (len(r.From) != 1 || r.From[0].NamespaceSelector == nil || r.From[0].IPBlock != nil) {
			t.Errorf("ingress rule %d opens the admin port to %+v; want the monitoring namespace only", i, r.From)
		}
	}
}

// shippedRules decodes files/prometheus-rules.yaml, strictly, as the spec
// of a PrometheusRule.
func shippedRules(t *testing.T) monitoringv1.PrometheusRuleSpec {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(chartDir(t), "files", "prometheus-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: shipped\nspec:\n  " +
		strings.ReplaceAll(strings.TrimRight(string(raw), "\n"), "\n", "\n  ") + "\n"
	obj, _, err := strictDecoder(t).Decode([]byte(doc), nil, nil)
	if err != nil {
		t.Fatalf("files/prometheus-rules.yaml is not a valid PrometheusRule spec: %v", err)
	}
	pr, ok := obj.(*monitoringv1.PrometheusRule)
	if !ok || len(pr.Spec.Groups) == 0 {
		t.Fatalf("files/prometheus-rules.yaml decodes to %T with no groups", obj)
	}
	return pr.Spec
}
