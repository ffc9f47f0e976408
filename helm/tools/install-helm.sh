#!/usr/bin/env bash
# Build a pinned Helm v3 from source through the Go module proxy and cache it.
#
# Usage: bash helm/tools/install-helm.sh        -> prints the path of the helm binary
#
# The binary lands in $MODERATION_TOOLS_CACHE/helm-<version>/bin/helm
# (default cache: $HOME/.cache/moderation/tools). When it is already there and
# runs, nothing is rebuilt. Overrides: HELM_VERSION, MODERATION_TOOLS_CACHE.
# Progress goes to stderr; stdout carries only the binary path.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CACHE_ROOT="${MODERATION_TOOLS_CACHE:-${HOME}/.cache/moderation/tools}"
DEST="${CACHE_ROOT}/helm-${HELM_VERSION}"
HELM_BIN="${DEST}/bin/helm"

log() { printf 'install-helm: %s\n' "$*" >&2; }

if [[ -x "${HELM_BIN}" ]] && "${HELM_BIN}" version --short >/dev/null 2>&1; then
    printf '%s\n' "${HELM_BIN}"
    exit 0
fi

command -v go >/dev/null 2>&1 || { log "go is not on PATH; Go >= 1.24 is required"; exit 1; }

mkdir -p "${CACHE_ROOT}"
# One build at a time: a second caller waits, then finds the finished binary.
exec 9>"${CACHE_ROOT}/.helm-${HELM_VERSION}.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi
if [[ -x "${HELM_BIN}" ]] && "${HELM_BIN}" version --short >/dev/null 2>&1; then
    printf '%s\n' "${HELM_BIN}"
    exit 0
fi

# A private GOPATH (module cache) under the tools cache; never fetch a toolchain.
export GOPATH="${CACHE_ROOT}/go"
export GOMODCACHE="${GOPATH}/pkg/mod"
export GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

MODULE="helm.sh/helm/v3"
log "downloading ${MODULE}@${HELM_VERSION} through ${GOPROXY:-$(go env GOPROXY)}"
SRC_DIR="$(go mod download -json "${MODULE}@${HELM_VERSION}" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "${SRC_DIR}" || ! -f "${SRC_DIR}/go.mod" ]]; then
    log "could not download ${MODULE}@${HELM_VERSION}"
    exit 1
fi

# Same version stamps as Helm's Makefile: the default Kubernetes version that
# `helm lint` / `helm template` assume follows the client-go minor version.
K8S_VER="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "${SRC_DIR}/go.mod" | head -n 1)"
LDFLAGS="-s -w -X ${MODULE}/internal/version.version=${HELM_VERSION}"
LDFLAGS+=" -X ${MODULE}/internal/version.gitTreeState=clean"
if [[ -n "${K8S_VER}" ]]; then
    for pkg in pkg/lint/rules pkg/chartutil; do
        LDFLAGS+=" -X ${MODULE}/${pkg}.k8sVersionMajor=1 -X ${MODULE}/${pkg}.k8sVersionMinor=${K8S_VER}"
    done
fi

STAGING="$(mktemp -d "${CACHE_ROOT}/.helm-build.XXXXXX")"
trap 'rm -rf "${STAGING}"' EXIT
log "building helm ${HELM_VERSION} with $(go version | cut -d' ' -f3) (takes a few minutes)"
GOBIN="${STAGING}" go install -trimpath -ldflags "${LDFLAGS}" "${MODULE}/cmd/helm@${HELM_VERSION}"

mkdir -p "${DEST}/bin"
mv -f "${STAGING}/helm" "${HELM_BIN}.tmp"
mv -f "${HELM_BIN}.tmp" "${HELM_BIN}"
"${HELM_BIN}" version --short >&2
printf '%s\n' "${HELM_BIN}"
