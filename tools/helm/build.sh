#!/usr/bin/env bash
# Builds the helm CLI at the version go.mod pins (its `tool` line) into a cache outside the
# repository, keyed by that version and by a hash of go.mod and go.sum: a warm run builds
# nothing, a fresh machine builds once (tools/helm/README.md has the measured cold cost).
# Prints the path of the binary.
#
# A module of its own, not cluster/'s: Helm pulls in k8s.io/client-go and friends at the
# versions Helm chose, and the control plane's graph pins others; two modules keep the two
# version graphs from ever meeting.
set -euo pipefail
cd "$(dirname "$0")"
export GOFLAGS=-mod=mod CGO_ENABLED=0
# Read off go.mod, not asked of go: a warm run starts no go command and needs no module cache.
helm=$(sed -n 's/^[[:space:]]*helm\.sh\/helm\/v4 \(v[^ ]*\).*/\1/p' go.mod)
[ -n "$helm" ] || { echo "helm: no helm.sh/helm/v4 requirement in $(pwd)/go.mod" >&2; exit 1; }
key=$(cat go.mod go.sum | sha256sum | cut -c1-12)
root=${TASKORA_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskora/helm}
dir="$root/helm-$helm-$key"
if [ -f "$dir/complete" ]; then echo "$dir/bin/helm"; exit 0; fi

echo "helm: building helm $helm into $dir (once per machine)" >&2
mkdir -p "$root"
tmp=$(mktemp -d "$root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The release's own version stamp (helm's Makefile sets the same variables).
v=helm.sh/helm/v4/internal/version
go build -trimpath -ldflags "-s -w -X $v.version=$helm -X $v.metadata= -X $v.gitTreeState=clean" \
  -o "$tmp/bin/helm" helm.sh/helm/v4/cmd/helm
printf 'helm %s\n' "$helm" > "$tmp/versions"
touch "$tmp/complete"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir/bin/helm"
