#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd at the versions go.mod pins
# (the `tool` lines) into a cache outside the repository, keyed by those versions and by a hash
# of go.mod and go.sum: a warm run builds nothing, a fresh machine builds once (docs/cluster.md
# has the measured cold cost). Prints the directory that holds the four binaries.
#
# Why a wrapper module: k8s.io/kubernetes replaces its staging modules (k8s.io/api, ...) with
# ./staging paths, so `go install k8s.io/kubernetes/cmd/...@v` is refused; go.mod here replaces
# each with its published v0.Y.Z release instead.
#
#   cluster/build.sh [MODULE_DIR]   (default: cluster/, the newest; cluster/k8s-1.34: the minimum)
set -euo pipefail
cd "${1:-$(dirname "$0")}"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOOS=linux GOARCH=amd64
k8s=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
key=$(cat go.mod go.sum | sha256sum | cut -c1-12)
root=${TASKORA_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskora/cluster}
dir="$root/kubernetes-$k8s-etcd-$etcd-$key"
if [ -f "$dir/complete" ]; then echo "$dir/bin"; exit 0; fi

echo "cluster: building kubernetes $k8s and etcd $etcd into $dir (once per machine)" >&2
mkdir -p "$root"
tmp=$(mktemp -d "$root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
minor=${k8s#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
go build -trimpath -ldflags "$ldflags" -o "$tmp/bin/" tool
# etcd's main package is its module's root, go.etcd.io/etcd/server/v3: go names the binary after
# the last path element that is not a major-version suffix ("server").
mv "$tmp/bin/server" "$tmp/bin/etcd"
printf 'kubernetes %s\netcd %s\n' "$k8s" "$etcd" > "$tmp/versions"
touch "$tmp/complete"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir/bin"
