# Shared by scripts/build-*.sh: find Go, fetch a module's source through the Go module proxy, and a
# scratch directory that is removed on exit. Source it after defining log() and die().

# Sets GO to a Go toolchain: $GO, then PATH, then /usr/local/go/bin/go.
find_go() {
  GO="${GO:-}"
  if [[ -z "$GO" ]]; then
    if command -v go >/dev/null 2>&1; then GO="$(command -v go)"
    elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
    else die "no Go toolchain found (PATH or /usr/local/go/bin/go)"; fi
  fi
  log "using $("$GO" version)"
}

# Prints the read-only module-cache folder holding MODULE@VERSION, downloading it first.
module_source() {
  local module=$1 version=$2 dir
  log "downloading $module@$version from the module proxy"
  dir="$("$GO" mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" || true
  [[ -n "$dir" && -f "$dir/go.mod" ]] || die "could not download $module@$version (GOPROXY=$("$GO" env GOPROXY))"
  printf '%s\n' "$dir"
}

# Sets WORK to a fresh scratch folder, removed when the script exits (the module cache is read-only,
# so copies made from it need their write bits back before removal).
make_workdir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1-build.XXXXXX")"
  trap 'chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT
}

# When BIN is already built and runs (`BIN VERSION_ARG`), prints its path and ends the script: the cache hit.
reuse_cached() {
  local bin=$1 version_arg=$2
  if [[ -x "$bin" ]] && "$bin" "$version_arg" >/dev/null 2>&1; then
    log "cached: $bin"
    echo "$bin"
    exit 0
  fi
}

# Checks that the freshly built BUILT runs (`BUILT VERSION_ARG`), moves it to BIN and prints BIN's path last.
install_built() {
  local built=$1 bin=$2 version_arg=$3 started=$4
  "$built" "$version_arg" >/dev/null 2>&1 || die "built binary does not run"
  mv -f "$built" "$bin"
  log "built $bin in $(($(date +%s) - started)) s"
  "$bin" "$version_arg" >&2 || true
  echo "$bin"
}
