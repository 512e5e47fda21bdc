#!/usr/bin/env bash
# Build Traefik v3 from the Go module proxy into a cache outside the git tree.
#
#   scripts/build-traefik.sh            # builds (or reuses) the pinned version, prints the binary path
#   TRAEFIK_VERSION=v3.6.12 scripts/build-traefik.sh
#
# Output: ${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}/traefik-<version>/traefik
# The last line on stdout is the absolute path of the binary; everything else goes to stderr.
#
# Why not `go install github.com/traefik/traefik/v3/cmd/traefik@vX`: Traefik's go.mod carries replace
# directives (a relative one for ./pkg/config/dynamic/ext and two forks), and `go install pkg@version` refuses
# modules with replace directives. Instead we download the module source through the proxy, copy it into a
# scratch directory and build it there as the main module, so every replace and go.sum entry applies as
# upstream intended.
set -euo pipefail

# v3.6.12 is the newest v3 tag whose whole dependency graph this machine's Go module proxy serves: v3.7.x
# needs lego DNS-provider SDKs and a containous/go-http-auth pseudo-version that the proxy answers 403 for.
TRAEFIK_VERSION="${TRAEFIK_VERSION:-v3.6.12}"
TOOLS_DIR="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}"
OUT_DIR="$TOOLS_DIR/traefik-$TRAEFIK_VERSION"
BIN="$OUT_DIR/traefik"

log() { printf '[build-traefik] %s\n' "$*" >&2; }
die() { printf '[build-traefik] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib/go-module.sh
source "$(dirname "$0")/lib/go-module.sh"
reuse_cached "$BIN" version
find_go

case "$TRAEFIK_VERSION" in
  v3.*) ;;
  *) die "TRAEFIK_VERSION must be a v3.x tag, got '$TRAEFIK_VERSION'" ;;
esac

mkdir -p "$OUT_DIR"
make_workdir traefik

start=$(date +%s)
SRC="$(module_source github.com/traefik/traefik/v3 "$TRAEFIK_VERSION")"

# The module cache is read-only; copy to a writable tree (go build may want to touch go.sum).
cp -r "$SRC" "$WORK/traefik"
chmod -R u+w "$WORK/traefik"
# webui/static is embedded with //go:embed; the module zip carries a placeholder file, which is enough
# (the dashboard is not used by Gatehouse's tests).
[[ -d "$WORK/traefik/webui/static" ]] || mkdir -p "$WORK/traefik/webui/static"
ls "$WORK/traefik/webui/static"/* >/dev/null 2>&1 || echo placeholder >"$WORK/traefik/webui/static/README.md"

log "building (this takes several minutes on 2 cores)"
(
  cd "$WORK/traefik"
  CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -trimpath \
    -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION -X github.com/traefik/traefik/v3/pkg/version.Codename=gatehouse-e2e" \
    -o "$WORK/traefik.bin" ./cmd/traefik
) || die "go build of traefik $TRAEFIK_VERSION failed"

install_built "$WORK/traefik.bin" "$BIN" version "$start"
