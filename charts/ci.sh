#!/usr/bin/env bash
# Validates the Helm chart offline (only the Go module proxy is needed):
#   the defaults alone fail naming the values to set, helm lint --strict and
#   helm template (twice, byte-identical) for every ci/ profile, helm-unittest,
#   the nested Go module's strict decoding and values-schema tests, a
#   packaging check and a helm-docs staleness check.
# Tools are built once into $LABELGUARD_TOOLS (default ~/.cache/labelguard/tools)
# under versioned names, so a warm run only runs the checks.
#
# Usage: bash charts/ci.sh        (from anywhere; called by .ci/run)
set -euo pipefail

HELM_VERSION=v3.22.0
HELM_DOCS_VERSION=v1.14.2
HELM_UNITTEST_VERSION=v1.1.2
# Kubernetes version that helm reports when not talking to a cluster. A helm
# built with plain `go install` reports v1.20, which fails the chart's
# kubeVersion; the release Makefile sets it from its client-go version (1.37
# for helm v3.22; 1.36 for helm v3.21.3 inside helm-unittest v1.1.2).
HELM_K8S_MINOR=37
HELM_UNITTEST_K8S_MINOR=36

root=$(cd "$(dirname "$0")/.." && pwd)
chart="$root/charts/labelguard"
tools="${LABELGUARD_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/labelguard/tools}"
mkdir -p "$tools"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n== chart: %s\n' "$*"; }
passed=0
ok() { passed=$((passed + 1)); }

# ---------------------------------------------------------------- tools
step "tools in $tools"
helm="$tools/helm-$HELM_VERSION"
if [ ! -x "$helm" ]; then
  echo "building helm $HELM_VERSION (a few minutes on a cold cache)"
  GOBIN="$work/bin" go install -trimpath -ldflags "-s -w \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$work/bin/helm" "$helm"
fi
helm_docs="$tools/helm-docs-$HELM_DOCS_VERSION"
if [ ! -x "$helm_docs" ]; then
  echo "building helm-docs $HELM_DOCS_VERSION"
  GOBIN="$work/bin" go install -trimpath "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION"
  mv "$work/bin/helm-docs" "$helm_docs"
fi
helm_unittest="$tools/helm-unittest-$HELM_UNITTEST_VERSION"
if [ ! -x "$helm_unittest" ]; then
  # Its go.mod has a replace directive, so `go install mod@version` refuses
  # it: build it from a copy of the downloaded module instead.
  echo "building helm-unittest $HELM_UNITTEST_VERSION"
  moddir=$(go mod download -json "github.com/helm-unittest/helm-unittest@$HELM_UNITTEST_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -n "$moddir" ] && [ -d "$moddir" ] || { echo "cannot download helm-unittest" >&2; exit 1; }
  cp -R "$moddir" "$work/helm-unittest"
  chmod -R u+w "$work/helm-unittest"
  (cd "$work/helm-unittest" && go build -trimpath -ldflags "-s -w \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_UNITTEST_K8S_MINOR" \
    -o "$helm_unittest" ./cmd/helm-unittest)
fi
"$helm" version --short

# ---------------------------------------------------------------- lint
profiles=("$chart"/ci/*-values.yaml)
step "the defaults alone fail naming the values to set; helm lint --strict (${#profiles[@]} profiles)"
# With authentication required and nobody trusted the pod could not start:
# the render must fail and say what to set rather than crash-loop a pod.
if defaults=$("$helm" template lg "$chart" --namespace cds 2>&1); then
  echo "helm template with the defaults rendered; it must fail naming auth.trustedIssuers and config.baseUrl" >&2
  exit 1
fi
for want in auth.trustedIssuers config.baseUrl; do
  grep -q "$want" <<<"$defaults" || { printf 'the failure with the defaults does not name %s:\n%s\n' "$want" "$defaults" >&2; exit 1; }
done
for p in "${profiles[@]}"; do
  "$helm" lint --strict "$chart" --namespace cds -f "$p" --quiet
done
ok

# ---------------------------------------------------------------- template
step "helm template for every profile, twice (GitOps: identical renders)"
for p in "${profiles[@]}"; do
  name=$(basename "$p" .yaml)
  for i in 1 2; do
    "$helm" template lg "$chart" --namespace cds -f "$p" \
      --api-versions monitoring.coreos.com/v1 >"$work/$name.$i.yaml"
  done
  cmp -s "$work/$name.1.yaml" "$work/$name.2.yaml" ||
    { echo "two renders of $name differ:" >&2; diff "$work/$name.1.yaml" "$work/$name.2.yaml" >&2; exit 1; }
  printf '%-40s %s\n' "$name" "$(grep '^kind:' "$work/$name.1.yaml" | sed 's/kind: //' | sort | tr '\n' ' ')"
done
# Without the Prometheus Operator API, the production profile renders no
# ServiceMonitor even though it asks for one, but its PrometheusRule all the
# same (a plain `helm template`, as Argo CD and Flux run it).
plain=$("$helm" template lg "$chart" --namespace cds -f "$chart/ci/production-values.yaml")
if grep -q '^kind: ServiceMonitor' <<<"$plain"; then
  echo "a ServiceMonitor was rendered although monitoring.coreos.com/v1 is not available" >&2
  exit 1
fi
grep -q '^kind: PrometheusRule' <<<"$plain" ||
  { echo "prometheusRule.enabled rendered no PrometheusRule in a plain helm template" >&2; exit 1; }
ok

# ---------------------------------------------------------------- unit tests
step "helm-unittest"
"$helm_unittest" --color=false "$chart"
ok

# ---------------------------------------------------------------- strict decode + schema
step "go test (strict decoding with the Kubernetes types, values schema cases, alert rules evaluated)"
(
  cd "$chart/tests/k8s"
  unformatted=$(gofmt -l .)
  [ -z "$unformatted" ] || { echo "gofmt would change: $unformatted" >&2; exit 1; }
  go vet ./...
  HELM="$helm" go test -count=1 ./...
)
ok

# ---------------------------------------------------------------- packaging
step "helm package leaves tests and CI profiles out"
"$helm" package "$chart" --destination "$work" >/dev/null
contents=$(tar -tzf "$work"/labelguard-*.tgz)
if grep -Eq '^labelguard/(tests|ci)/' <<<"$contents"; then
  echo "the package contains tests/ or ci/:" >&2
  grep -E '^labelguard/(tests|ci)/' <<<"$contents" >&2
  exit 1
fi
grep -q '^labelguard/templates/tests/test-discovery.yaml$' <<<"$contents" ||
  { echo "the package lacks the helm test hook" >&2; exit 1; }
grep -q '^labelguard/values.schema.json$' <<<"$contents" ||
  { echo "the package lacks values.schema.json" >&2; exit 1; }
grep -q '^labelguard/files/prometheus-rules.yaml$' <<<"$contents" ||
  { echo "the package lacks the alert rules the PrometheusRule reads" >&2; exit 1; }
ok

# ---------------------------------------------------------------- docs
step "README.md is what helm-docs generates"
mkdir -p "$work/docs"
cp -R "$chart" "$work/docs/labelguard"
(cd "$work/docs" && "$helm_docs" --chart-search-root . --sort-values-order file --log-level warning)
if ! diff -u "$chart/README.md" "$work/docs/labelguard/README.md"; then
  echo "charts/labelguard/README.md is stale: run" >&2
  echo "  helm-docs --chart-search-root charts --sort-values-order file" >&2
  exit 1
fi
ok

printf '\nchart: %d passed, 0 failed\n' "$passed"
