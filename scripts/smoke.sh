#!/usr/bin/env bash
# Smoke check of a Taskora deployment applied from dist/ (docs/minikube.md, step 8).
#
#   scripts/smoke.sh
#
# Checks, each with a bounded wait, and exits non-zero naming the first that fails:
#   0. with a CloudNativePG database (dist/ holds postgresql.cnpg.io objects, or
#      TASKORA_DATABASE_ENGINE=cloudnative-pg): the operator's CRDs exist in the cluster.
#      `scripts/smoke.sh --prerequisites` runs only this check: run it before kubectl apply;
#   1. the frontend and backend Deployments and the Postgres StatefulSet (or the CloudNativePG
#      Cluster: condition Ready) have rolled out;
#   2. the ingress answers http://<host>/ (the frontend) and /api/health (the backend);
#   3. the NetworkPolicies: the frontend reaches the backend, the backend reaches Postgres
#      (<db>, <db>-rw or <db>-pooler-rw),
#      and the frontend does NOT reach Postgres (a cluster whose network plugin ignores
#      NetworkPolicies fails here).
#
# Settings (environment): TASKORA_NAMESPACE (default taskora), TASKORA_APP_NAME (taskora),
# TASKORA_HOST (taskora.local), TASKORA_INGRESS_ADDRESS (default: `minikube ip`; 127.0.0.1
# with `minikube tunnel`), SMOKE_ROLLOUT_TIMEOUT (seconds per rollout, 300),
# SMOKE_HTTP_ATTEMPTS (30, 5 s apart), SMOKE_CONNECT_TIMEOUT (seconds per TCP probe, 5),
# SMOKE_DIST (the applied manifests, dist), TASKORA_DATABASE_ENGINE (default: from SMOKE_DIST).
set -euo pipefail

NAMESPACE="${TASKORA_NAMESPACE:-taskora}"
APP="${TASKORA_APP_NAME:-taskora}"
HOST="${TASKORA_HOST:-taskora.local}"
ADDRESS="${TASKORA_INGRESS_ADDRESS:-}"
ROLLOUT_TIMEOUT="${SMOKE_ROLLOUT_TIMEOUT:-300}"
HTTP_ATTEMPTS="${SMOKE_HTTP_ATTEMPTS:-30}"
CONNECT_TIMEOUT="${SMOKE_CONNECT_TIMEOUT:-5}"

DIST="${SMOKE_DIST:-dist}"
ENGINE="${TASKORA_DATABASE_ENGINE:-}"

FRONTEND="${APP}-frontend"
BACKEND="${APP}-backend"
DATABASE="${APP}-db"
# The CRDs the CloudNativePG operator installs (README, "Database engines").
CNPG_CRDS=(clusters.postgresql.cnpg.io scheduledbackups.postgresql.cnpg.io poolers.postgresql.cnpg.io)

# in_dist PATTERN: whether a manifest of DIST has a line matching PATTERN.
in_dist() {
  [[ -d "$DIST" ]] && grep -qsE "$1" "$DIST"/*.yaml
}

if [[ -z "$ENGINE" ]]; then
  if in_dist '^apiVersion: postgresql\.cnpg\.io/'; then ENGINE=cloudnative-pg; else ENGINE=statefulset; fi
fi
# The Service the backend connects to: the StatefulSet's, the Cluster's primary, or its pooler.
DATABASE_HOST="$DATABASE"
DATABASE_WORKLOAD="statefulset/${DATABASE}"
if [[ "$ENGINE" == cloudnative-pg ]]; then
  DATABASE_WORKLOAD="cluster.postgresql.cnpg.io/${DATABASE}"
  DATABASE_HOST="${DATABASE}-rw"
  if in_dist '^kind: Pooler$'; then DATABASE_HOST="${DATABASE}-pooler-rw"; fi
fi

fail() {
  echo "smoke: FAIL: $*" >&2
  exit 1
}

ok() {
  echo "smoke: ok: $*"
}

need() {
  command -v "$1" >/dev/null 2>&1 || fail "'$1' is not on PATH (docs/minikube.md, step 1)"
}

# 0. Prerequisites ----------------------------------------------------------------------------
need kubectl
if [[ "$ENGINE" == cloudnative-pg ]]; then
  for crd in "${CNPG_CRDS[@]}"; do
    kubectl get customresourcedefinition "$crd" >/dev/null 2>&1 \
      || fail "CRD ${crd} does not exist: install the CloudNativePG operator before applying (README, Database engines)"
  done
  ok "the CloudNativePG CRDs exist (${CNPG_CRDS[*]})"
fi
# Backups through the Barman Cloud plugin: its ObjectStore CRD (the plugin needs cert-manager).
if in_dist '^apiVersion: barmancloud\.cnpg\.io/'; then
  kubectl get customresourcedefinition objectstores.barmancloud.cnpg.io >/dev/null 2>&1 \
    || fail "CRD objectstores.barmancloud.cnpg.io does not exist: install cert-manager and the Barman Cloud plugin in the operator's namespace before applying (README, Database engines)"
  ok "the Barman Cloud plugin's CRD exists (objectstores.barmancloud.cnpg.io)"
fi
# Secrets from the External Secrets Operator: its ExternalSecret CRD.
if in_dist '^apiVersion: external-secrets\.io/'; then
  kubectl get customresourcedefinition externalsecrets.external-secrets.io >/dev/null 2>&1 \
    || fail "CRD externalsecrets.external-secrets.io does not exist: install the External Secrets Operator before applying (README, Secrets)"
  ok "the External Secrets Operator's CRD exists (externalsecrets.external-secrets.io)"
fi
if [[ "${1:-}" == "--prerequisites" ]]; then
  echo "smoke: prerequisites met (database engine ${ENGINE})"
  exit 0
fi

# 1. Rollouts ---------------------------------------------------------------------------------
need curl
for workload in "$DATABASE_WORKLOAD" "deployment/${BACKEND}" "deployment/${FRONTEND}"; do
  if [[ "$workload" == cluster.* ]]; then
    rolled() { kubectl --namespace "$NAMESPACE" wait "$1" --for=condition=Ready --timeout="${ROLLOUT_TIMEOUT}s" >/dev/null; }
  else
    rolled() { kubectl --namespace "$NAMESPACE" rollout status "$1" --timeout="${ROLLOUT_TIMEOUT}s" >/dev/null; }
  fi
  if ! rolled "$workload"; then
    fail "${workload} did not roll out within ${ROLLOUT_TIMEOUT}s: kubectl --namespace ${NAMESPACE} describe ${workload}"
  fi
  ok "${workload} rolled out"
done

# 2. The ingress ------------------------------------------------------------------------------
if [[ -z "$ADDRESS" ]]; then
  need minikube
  ADDRESS="$(minikube ip)"
fi

# http_ok PATH: the ingress answers http://$HOST$PATH with a 2xx or 3xx, within the attempts.
http_ok() {
  local path="$1" code="000" attempt
  for ((attempt = 1; attempt <= HTTP_ATTEMPTS; attempt++)); do
    # --resolve: no /etc/hosts entry needed for the check (the browser needs one).
    code="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 \
      --resolve "${HOST}:80:${ADDRESS}" "http://${HOST}${path}" || true)"
    if [[ "$code" =~ ^[23][0-9][0-9]$ ]]; then
      ok "http://${HOST}${path} answered ${code} (through ${ADDRESS})"
      return 0
    fi
    if ((attempt < HTTP_ATTEMPTS)); then
      sleep 5
    fi
  done
  fail "http://${HOST}${path} through ${ADDRESS} answered ${code} after ${HTTP_ATTEMPTS} attempts" \
    "(is the ingress addon enabled? kubectl --namespace ${NAMESPACE} get ingress)"
}

http_ok /
http_ok /api/health

# 3. NetworkPolicies --------------------------------------------------------------------------
# Each probe opens a TCP connection from inside a running pod with the runtime its image has
# (Node.js in the frontend, Python in the backend) and exits 0 only if it connected.
NODE_CONNECT='const [host, port, ms] = process.argv.slice(1);
const socket = require("net").connect({host, port: Number(port)});
socket.setTimeout(Number(ms) * 1000);
socket.on("connect", () => { socket.destroy(); process.exit(0); });
socket.on("timeout", () => process.exit(2));
socket.on("error", () => process.exit(3));'
PYTHON_CONNECT='import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3])).close()'

# connects FROM HOST PORT: whether a pod of Deployment FROM opens a connection to HOST:PORT.
connects() {
  local from="$1" host="$2" port="$3"
  case "$from" in
    "$FRONTEND")
      kubectl --namespace "$NAMESPACE" exec "deployment/${from}" --container frontend -- \
        node -e "$NODE_CONNECT" "$host" "$port" "$CONNECT_TIMEOUT" >/dev/null 2>&1
      ;;
    *)
      kubectl --namespace "$NAMESPACE" exec "deployment/${from}" --container backend -- \
        python -c "$PYTHON_CONNECT" "$host" "$port" "$CONNECT_TIMEOUT" >/dev/null 2>&1
      ;;
  esac
}

# The allowed paths first: they show the probe itself works, so a refusal below is the policy.
connects "$FRONTEND" "$BACKEND" 8000 || fail "the frontend cannot reach ${BACKEND}:8000, which its policy allows"
ok "the frontend reaches ${BACKEND}:8000 (allowed)"
connects "$BACKEND" "$DATABASE_HOST" 5432 || fail "the backend cannot reach ${DATABASE_HOST}:5432, which its policy allows"
ok "the backend reaches ${DATABASE_HOST}:5432 (allowed)"
if connects "$FRONTEND" "$DATABASE_HOST" 5432; then
  fail "the frontend reached ${DATABASE_HOST}:5432: NetworkPolicies are not enforced" \
    "(start minikube with --cni=calico, docs/minikube.md step 2)"
fi
ok "the frontend cannot reach ${DATABASE_HOST}:5432 (denied by the NetworkPolicies)"

echo "smoke: all checks passed"
