#!/usr/bin/env bash
# Build promtool (Prometheus's rule, config and metrics checker) from the Go module proxy into a cache outside
# the git tree, for the CI step that checks examples/prometheus/* and a live /metrics answer.
#
#   scripts/build-promtool.sh                            # builds (or reuses) the pinned version
#   PROMTOOL_VERSION=v0.316.0 scripts/build-promtool.sh
#
# Output: ${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}/promtool-<version>/promtool
# The last line on stdout is the absolute path of the binary; everything else goes to stderr.
#
# Prometheus's Go module versions are v0.<minor>.<patch> for release 3.<minor>.<patch>; v0.316.0 is the one the
# issue's real Prometheus ran. Built as the main module from the downloaded source (like scripts/build-traefik.sh)
# so its go.mod and go.sum apply exactly as upstream pinned them.
set -euo pipefail

PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
MODULE=github.com/prometheus/prometheus
TOOLS_DIR="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}"
OUT_DIR="$TOOLS_DIR/promtool-$PROMTOOL_VERSION"
BIN="$OUT_DIR/promtool"

log() { printf '[build-promtool] %s\n' "$*" >&2; }
die() { printf '[build-promtool] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib/go-module.sh
source "$(dirname "$0")/lib/go-module.sh"
reuse_cached "$BIN" --version
find_go

case "$PROMTOOL_VERSION" in
  v0.*) ;;
  *) die "PROMTOOL_VERSION must be a Go module version v0.x (Prometheus 3.x), got '$PROMTOOL_VERSION'" ;;
esac

mkdir -p "$OUT_DIR"
make_workdir promtool

start=$(date +%s)
SRC="$(module_source "$MODULE" "$PROMTOOL_VERSION")"
cp -r "$SRC" "$WORK/src"
chmod -R u+w "$WORK/src"

log "building ./cmd/promtool (several minutes on 2 cores)"
(
  cd "$WORK/src"
  # The module ships a go.work (for its web UI and docs tools); build the promtool module alone. remove_all_sd
  # leaves out the service-discovery SDKs (cloud, Kubernetes), which the checks here never use and which were
  # most of the build time.
  GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -trimpath -tags remove_all_sd \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMTOOL_VERSION" \
    -o "$WORK/promtool.bin" ./cmd/promtool
) >&2 || die "go build of promtool $PROMTOOL_VERSION failed"

install_built "$WORK/promtool.bin" "$BIN" --version "$start"
