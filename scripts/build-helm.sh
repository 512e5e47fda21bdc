#!/usr/bin/env bash
# Build Helm v3 from the Go module proxy into a cache outside the git tree (for the chart checks in .ci/run).
#
#   scripts/build-helm.sh               # builds (or reuses) the pinned version, prints the binary path
#   HELM_VERSION=v3.22.0 scripts/build-helm.sh
#
# Output: ${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}/helm-<version>/helm
# The last line on stdout is the absolute path of the binary; everything else goes to stderr.
#
# Built like scripts/build-traefik.sh: the module source is copied into a scratch directory and built there as the
# main module, so Helm's own go.mod and go.sum (and any replace directive) apply as upstream intended.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
TOOLS_DIR="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}"
OUT_DIR="$TOOLS_DIR/helm-$HELM_VERSION"
BIN="$OUT_DIR/helm"

log() { printf '[build-helm] %s\n' "$*" >&2; }
die() { printf '[build-helm] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib/go-module.sh
source "$(dirname "$0")/lib/go-module.sh"
reuse_cached "$BIN" version
find_go

case "$HELM_VERSION" in
  v3.*) ;;
  *) die "HELM_VERSION must be a v3.x tag, got '$HELM_VERSION'" ;;
esac

mkdir -p "$OUT_DIR"
make_workdir helm

start=$(date +%s)
SRC="$(module_source helm.sh/helm/v3 "$HELM_VERSION")"
cp -r "$SRC" "$WORK/helm"
chmod -R u+w "$WORK/helm"

log "building (this takes several minutes on 2 cores)"
(
  cd "$WORK/helm"
  CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    -o "$WORK/helm.bin" ./cmd/helm
) || die "go build of helm $HELM_VERSION failed"

install_built "$WORK/helm.bin" "$BIN" version "$start"
