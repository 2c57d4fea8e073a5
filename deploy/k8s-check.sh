#!/usr/bin/env bash
# Validate the deployment artifacts offline: every Kubernetes manifest (base and overlays,
# rendered by kustomize) against the bundled schema of one Kubernetes version, the nginx
# configuration with `nginx -t`, the Compose file and the entrypoint's shell syntax.
set -euo pipefail
cd "$(dirname "$0")/.."
K8S_VERSION=${K8S_VERSION:-1.32.0}  # a version kubernetes-validate bundles (no network)
VALIDATE=(.venv/bin/kubernetes-validate --kubernetes-version "$K8S_VERSION" --strict --quiet)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v kubectl >/dev/null || { echo "k8s-check: kubectl (for kustomize) is needed" >&2; exit 1; }
for target in base overlays/staging overlays/production; do
  kubectl kustomize "deploy/k8s/$target" > "$tmp/rendered.yaml"
  "${VALIDATE[@]}" "$tmp/rendered.yaml"
  echo "k8s-check: deploy/k8s/$target: $(grep -c '^kind:' "$tmp/rendered.yaml") resources valid (Kubernetes $K8S_VERSION)"
done
"${VALIDATE[@]}" deploy/k8s/secret.example.yaml
# KEDA's kinds are custom resources without a bundled schema: check it parses and names the worker.
.venv/bin/python - <<'PY'
import yaml

docs = list(yaml.safe_load_all(open("deploy/k8s/keda-scaledobject.example.yaml")))
assert docs[0]["kind"] == "ScaledObject"
assert docs[0]["spec"]["scaleTargetRef"]["name"] == "emporium-worker"
PY
echo "k8s-check: secret and KEDA examples valid"

deploy/nginx/render.sh "$tmp/nginx" 18080 127.0.0.1:18000 "$tmp/static" 18443
nginx -t -q -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log"
# Compose's nginx serves /media/ from the MinIO bucket instead (its host made resolvable here).
sed -e "s#http://minio:9000/#http://127.0.0.1:19000/#" deploy/nginx/emporium-media-bucket.conf \
  > "$tmp/nginx/emporium-media.conf"
nginx -t -q -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log"
echo "k8s-check: nginx -t: emporium.conf and emporium-tls.conf valid, media from disk or bucket"

.venv/bin/python - <<'PY'
import yaml

compose = yaml.safe_load(open("deploy/compose.yml"))
services = compose["services"]
for name in ("postgres", "pgbouncer", "redis", "minio", "minio-setup", "web", "worker", "beat", "nginx"):
    assert name in services, f"compose: no {name} service"
for name, service in services.items():
    for dependency, rule in (service.get("depends_on") or {}).items():
        assert dependency in services, f"compose: {name} depends on unknown {dependency}"
        assert rule["condition"] in ("service_healthy", "service_completed_successfully"), name
        if rule["condition"] == "service_healthy":
            assert "healthcheck" in services[dependency], f"compose: {dependency} has no healthcheck"
PY
sh -n deploy/docker/entrypoint.sh
echo "k8s-check: compose.yml and entrypoint.sh valid"
