#!/usr/bin/env bash
# Fetch the Keycloak server distribution (org.keycloak:keycloak-quarkus-dist, zip, ~170 MB) from Maven Central
# into a cache outside the git tree, once.
#
#   scripts/fetch-keycloak.sh                    # fetches (or reuses) the pinned version, prints its home folder
#   KEYCLOAK_VERSION=26.5.6 scripts/fetch-keycloak.sh
#
# Output: ${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}/keycloak-<version>/ (bin/kc.sh inside)
# The last line on stdout is the absolute path of that folder; everything else goes to stderr.
#
# Plain curl from the Maven repository layout: the zip is a release artifact, not a library, and `mvn
# dependency:get` would copy it into ~/.m2 as well (twice the disk for no gain). Integrity: the zip's SHA-1 that
# Maven Central publishes beside it, plus a pinned SHA-256 for the default version.
set -euo pipefail

KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.7.3}"
MAVEN_REPO="${MAVEN_REPO:-https://repo1.maven.org/maven2}"
TOOLS_DIR="${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse-tools}"
OUT_DIR="$TOOLS_DIR/keycloak-$KEYCLOAK_VERSION"
# SHA-256 of keycloak-quarkus-dist-<version>.zip, checked when the version matches.
declare -A PINNED_SHA256=(
  [26.7.3]=27a6535553c3cdcd083872ba40629efafb3475e3b758e0c6f691395561dd0f1f
  [26.5.6]=490189d9dff05272432d51f71a069462eeca97f2920a694d539a1e6c26a5a347
)

log() { printf '[fetch-keycloak] %s\n' "$*" >&2; }
die() { printf '[fetch-keycloak] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $KEYCLOAK_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KEYCLOAK_VERSION must look like 26.5.6, got '$KEYCLOAK_VERSION'"

if [[ -x "$OUT_DIR/bin/kc.sh" && -f "$OUT_DIR/.complete" ]]; then
  log "cached: $OUT_DIR"
  echo "$OUT_DIR"
  exit 0
fi
command -v curl >/dev/null || die "curl is needed"
command -v unzip >/dev/null || die "unzip is needed"

mkdir -p "$TOOLS_DIR"
WORK="$(mktemp -d "$TOOLS_DIR/.keycloak-fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

base="$MAVEN_REPO/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
start=$(date +%s)
log "downloading $base"
curl -fsSL --retry 3 --retry-delay 5 -o "$WORK/kc.zip" "$base" || die "download failed: $base"
sha1="$(curl -fsSL --retry 3 "$base.sha1" | cut -c1-40)" || die "could not fetch $base.sha1"
echo "$sha1  $WORK/kc.zip" | sha1sum -c --quiet - >&2 || die "SHA-1 mismatch for $base"
sha256="$(sha256sum "$WORK/kc.zip" | cut -d' ' -f1)"
pinned="${PINNED_SHA256[$KEYCLOAK_VERSION]:-}"
if [[ -n $pinned ]]; then
  [[ $sha256 == "$pinned" ]] || die "SHA-256 mismatch for $KEYCLOAK_VERSION: got $sha256, pinned $pinned"
else
  log "no pinned SHA-256 for $KEYCLOAK_VERSION (got $sha256); relying on Maven Central's SHA-1"
fi

unzip -q "$WORK/kc.zip" -d "$WORK/x"
[[ -x "$WORK/x/keycloak-$KEYCLOAK_VERSION/bin/kc.sh" ]] || die "zip does not hold keycloak-$KEYCLOAK_VERSION/bin/kc.sh"
rm -rf "$OUT_DIR"
mv "$WORK/x/keycloak-$KEYCLOAK_VERSION" "$OUT_DIR"
touch "$OUT_DIR/.complete"
log "fetched $OUT_DIR in $(($(date +%s) - start)) s"
echo "$OUT_DIR"
