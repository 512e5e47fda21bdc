#!/usr/bin/env bash
# Checks the Prometheus side with a real promtool: the example alert rules and scrape config, and the
# text a live Gatehouse serves on /metrics after some traffic (single process and server.workers: 2).
#
#   scripts/check-prometheus.sh [PROMTOOL]      # default: scripts/build-promtool.sh's (cached) binary
#
# Exits non-zero on the first failing check.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[check-prometheus] %s\n' "$*" >&2; }
die() { printf '[check-prometheus] ERROR: %s\n' "$*" >&2; exit 1; }

PROMTOOL="${1:-$(scripts/build-promtool.sh | tail -n 1)}"
[[ -x "$PROMTOOL" ]] || die "promtool not found at '$PROMTOOL'"
"$PROMTOOL" --version >&2

log "promtool check rules examples/prometheus/alerts.yml"
"$PROMTOOL" check rules examples/prometheus/alerts.yml
log "promtool check config examples/prometheus/prometheus.yml"
"$PROMTOOL" check config examples/prometheus/prometheus.yml

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-promcheck.XXXXXX")"
PID=""
cleanup() {
  if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# HTTP GET with node's fetch (CI images need not have curl): body on stdout, exit 0 only for a 2xx.
http_get() {
  local headers="${2:-}"
  [[ -n "$headers" ]] || headers='{}'
  node -e 'fetch(process.argv[1], { headers: JSON.parse(process.argv[2]) })
    .then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 22) }, () => process.exit(7))' "$1" "$headers"
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# One live check per mode: the metrics text of a cluster is the aggregate, built by other code.
for workers in 1 2; do
  port="$(free_port)"
  metrics_port="$(free_port)"
  cat >"$WORK/gatehouse.yaml" <<YAML
server: { listen: "127.0.0.1:$port", publicUrl: "http://127.0.0.1:$port", workers: $workers }
cookie: { secret: "$(head -c 32 /dev/urandom | base64)" }
providers:
  - { id: corp, type: oidc, issuer: "http://127.0.0.1:9/", clientId: c, clientSecret: s, allowInsecureRequests: true }
metrics: { listen: "127.0.0.1:$metrics_port" }
logging: { level: warn }
YAML
  node --import tsx src/cli.ts serve --config "$WORK/gatehouse.yaml" >"$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 150); do
    http_get "http://127.0.0.1:$metrics_port/metrics" >/dev/null 2>&1 && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "gatehouse serve exited"; }
    sleep 0.2
  done
  # Traffic, so the labelled series exist: no credentials, a bad bearer token, a forward-auth navigation.
  for _ in 1 2 3; do
    http_get "http://127.0.0.1:$port/oauth2/auth" >/dev/null || true
    http_get "http://127.0.0.1:$port/oauth2/auth" '{"authorization":"Bearer nope"}' >/dev/null || true
    http_get "http://127.0.0.1:$port/oauth2/forward-auth" '{"accept":"text/html"}' >/dev/null || true
  done
  http_get "http://127.0.0.1:$metrics_port/metrics" >"$WORK/metrics.txt" || die "scrape failed (workers: $workers)"
  grep -q '^gatehouse_decisions_total{' "$WORK/metrics.txt" || die "no decisions in the scrape (workers: $workers)"
  log "promtool check metrics on a live /metrics (workers: $workers, $(wc -l <"$WORK/metrics.txt") lines)"
  "$PROMTOOL" check metrics <"$WORK/metrics.txt" || { cat "$WORK/metrics.txt" >&2; die "promtool check metrics failed (workers: $workers)"; }
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
done
log "all checks passed"
