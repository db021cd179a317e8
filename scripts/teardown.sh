#!/usr/bin/env bash
# Remove a Taskora deployment applied from dist/, keeping its data (docs/minikube.md, step 9).
#
#   scripts/teardown.sh [DIST]        (default: dist)
#
# Deletes every object of DIST that exists in the cluster EXCEPT the Namespace and any
# PersistentVolumeClaim: deleting a Namespace deletes every claim in it, and with it the
# database. The StatefulSet's claims (data-<app>-db-0, ...) are not in DIST at all: the
# StatefulSet creates them and, with persistentVolumeClaimRetentionPolicy Retain, leaves them
# when it is deleted. `kubectl apply -f dist/` later finds them and Postgres starts on the
# same data. Deleting the data is a separate, deliberate step (docs/minikube.md).
# A CloudNativePG Cluster is not deleted either: deleting it would delete its claims (the
# operator owns them). It is hibernated instead (cnpg.io/hibernation=on: the pods go, the
# claims stay); the Cluster in DIST says cnpg.io/hibernation: "off", so the next
# `kubectl apply -f dist/` wakes it on the same data.
#
# Settings (environment): TASKORA_NAMESPACE (default taskora), TEARDOWN_TIMEOUT (seconds, 180).
set -euo pipefail

DIST="${1:-dist}"
NAMESPACE="${TASKORA_NAMESPACE:-taskora}"
TIMEOUT="${TEARDOWN_TIMEOUT:-180}"

fail() {
  echo "teardown: FAIL: $*" >&2
  exit 1
}

command -v kubectl >/dev/null 2>&1 || fail "'kubectl' is not on PATH"
[[ -d "$DIST" ]] || fail "${DIST}/ does not exist: run make synth first (the same values as the deployment)"

# What of DIST exists in the cluster, as kind.group/name.
existing="$(kubectl get --filename "$DIST" --output name --ignore-not-found)" \
  || fail "kubectl could not read the objects of ${DIST}/ from the cluster"

doomed=()
kept=()
hibernated=()
while IFS= read -r object; do
  [[ -n "$object" ]] || continue
  case "$object" in
    namespace/* | persistentvolumeclaim/*) kept+=("$object") ;;
    cluster.postgresql.cnpg.io/*) hibernated+=("$object") ;;
    *) doomed+=("$object") ;;
  esac
done <<<"$existing"

for cluster in "${hibernated[@]}"; do
  kubectl --namespace "$NAMESPACE" annotate "$cluster" cnpg.io/hibernation=on --overwrite >/dev/null \
    || fail "could not hibernate ${cluster}; nothing was deleted"
  kept+=("${cluster} (hibernated)")
done

if ((${#doomed[@]} == 0)); then
  echo "teardown: nothing of ${DIST}/ to delete in namespace ${NAMESPACE}"
else
  kubectl --namespace "$NAMESPACE" delete "${doomed[@]}" --ignore-not-found --wait=true --timeout="${TIMEOUT}s"
  echo "teardown: deleted ${#doomed[@]} object(s) of ${DIST}/"
fi
if ((${#kept[@]} > 0)); then
  echo "teardown: kept ${kept[*]}"
fi
echo "teardown: the data is kept; its claims in namespace ${NAMESPACE}:"
kubectl --namespace "$NAMESPACE" get persistentvolumeclaims
