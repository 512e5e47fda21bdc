#!/usr/bin/env bash
# Build oauth2-proxy v7 from the Go module proxy into a cache outside the git tree (for bench/run.ts).
#
#   scripts/build-oauth2-proxy.sh                          # builds (or reuses) the pinned version
#   OAUTH2_PROXY_VERSION=v7.15.6 scripts/build-oauth2-proxy.sh
#
# Output: ${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}/oauth2-proxy-<version>/oauth2-proxy
# The last line on stdout is the absolute path of the binary; everything else goes to stderr.
#
# First try: download the module source and build it as the main module (so any replace directives in
# its go.mod apply as upstream intended; `go install pkg@version` refuses modules with replace lines).
# Fallback: a scratch module that `require`s oauth2-proxy at that version, with its replace lines copied,
# and `go build` of the package from there. Never commit the binary.
set -euo pipefail

# v7.15.6 was the newest v7.15.x on the module proxy when this was written (`go list -m -versions`).
OAUTH2_PROXY_VERSION="${OAUTH2_PROXY_VERSION:-v7.15.6}"
MODULE=github.com/oauth2-proxy/oauth2-proxy/v7
TOOLS_DIR="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}"
OUT_DIR="$TOOLS_DIR/oauth2-proxy-$OAUTH2_PROXY_VERSION"
BIN="$OUT_DIR/oauth2-proxy"

log() { printf '[build-oauth2-proxy] %s\n' "$*" >&2; }
die() { printf '[build-oauth2-proxy] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib/go-module.sh
source "$(dirname "$0")/lib/go-module.sh"
reuse_cached "$BIN" --version
find_go

case "$OAUTH2_PROXY_VERSION" in
  v7.*) ;;
  *) die "OAUTH2_PROXY_VERSION must be a v7.x tag, got '$OAUTH2_PROXY_VERSION'" ;;
esac

mkdir -p "$OUT_DIR"
make_workdir oauth2-proxy

LDFLAGS="-s -w -X $MODULE/pkg/version.VERSION=$OAUTH2_PROXY_VERSION"
start=$(date +%s)
SRC="$(module_source "$MODULE" "$OAUTH2_PROXY_VERSION")"

log "building as main module (a few minutes on 2 cores)"
cp -r "$SRC" "$WORK/src"
chmod -R u+w "$WORK/src"
if ! (cd "$WORK/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -trimpath -ldflags "$LDFLAGS" -o "$WORK/oauth2-proxy.bin" .) >&2; then
  log "main-module build failed; trying a scratch module with require + copied replace lines"
  mkdir -p "$WORK/wrap"
  goline="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$SRC/go.mod" | head -1)"
  {
    echo "module gatehouse.local/oauth2-proxy-build"
    echo "go ${goline:-1.22}"
    echo "require $MODULE $OAUTH2_PROXY_VERSION"
    # single-line and block replace directives (relative paths would not resolve here; skip those)
    awk '/^replace \(/{b=1;next} b&&/^\)/{b=0;next} b{print "replace " $0; next} /^replace /{print}' "$SRC/go.mod" | grep -v '=> \.' || true
  } >"$WORK/wrap/go.mod"
  printf 'package main\n\nimport _ "%s"\n' "$MODULE" >/dev/null
  (cd "$WORK/wrap" && GOFLAGS=-mod=mod "$GO" mod tidy >&2 || true
   cd "$WORK/wrap" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -trimpath -ldflags "$LDFLAGS" -o "$WORK/oauth2-proxy.bin" "$MODULE") >&2 \
    || die "go build of oauth2-proxy $OAUTH2_PROXY_VERSION failed both ways (see above)"
fi

install_built "$WORK/oauth2-proxy.bin" "$BIN" --version "$start"
