#!/usr/bin/env bash
# Proves tenantcheck on the real Workers runtime: starts this Worker under `wrangler dev` (workerd, local
# D1 and KV, loopback only) and runs the whole catalog against it, once correct and once per flaw.
#   the correct Worker must be isolated (exit 0);
#   each flaw must be caught (exit 1) by its case, read from reports/<run-id>/isolation-report.json.
# Usage: targets/workers/ci.sh [flaw ...]   (default: the four below; "all" for every flaw of the Worker)
# Skips (exit 0) with a message where Node.js/npm is missing. Nothing leaves 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TENANTCHECK="${TENANTCHECK:-$ROOT/.venv/bin/tenantcheck}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

declare -A EXPECTED=(
  [list-unfiltered]=TC-01 [get-unchecked]=TC-02 [update-unchecked]=TC-02 [delete-unchecked]=TC-02
  [deployments-unchecked]=TC-03 [deploy-foreign]=TC-03 [file-read-unchecked]=TC-04 [file-write-unchecked]=TC-04
  [search-unscoped]=TC-05 [tenant-not-persisted]=TC-06 [denials-not-logged]=TC-06 [kv-unprefixed]=TC-07
  [strict-ignored]=TC-08 [header-overrides-token]=TX-01 [body-tenant-honored]=TX-02 [download-any-key]=TX-03
  [error-leaks-data]=canary [audit-unscoped]=TX-04 [cache-key-shared]=TX-05 [request-state-shared]=TX-06
)
FLAWS=("$@")
if [ ${#FLAWS[@]} -eq 0 ]; then
  FLAWS=(list-unfiltered kv-unprefixed tenant-not-persisted request-state-shared)
elif [ "${FLAWS[0]}" = all ]; then
  mapfile -t FLAWS < <(printf '%s\n' "${!EXPECTED[@]}" | sort)
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "targets/workers/ci.sh: SKIPPED: Node.js and npm are needed for wrangler dev (workerd); install Node.js 20+"
  exit 0
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "targets/workers/ci.sh: SKIPPED: wrangler 4.86 needs Node.js 20+, this is $(node --version)"
  exit 0
fi

export WRANGLER_SEND_METRICS=false        # no telemetry
export CLOUDFLARE_CF_FETCH_ENABLED=false  # miniflare must not fetch Request.cf from Cloudflare
export NO_COLOR=1 CI=true
export TENANTCHECK_WORKERS_ADMIN_TOKEN="${TENANTCHECK_WORKERS_ADMIN_TOKEN:-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))')}"

WORK="$(mktemp -d)"
WORKER_PGID=""
stop_worker() {
  if [ -n "$WORKER_PGID" ]; then
    kill -TERM -- "-$WORKER_PGID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$WORKER_PGID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$WORKER_PGID" 2>/dev/null || true
    WORKER_PGID=""
  fi
}
trap 'stop_worker; rm -rf "$WORK"' EXIT

echo "== npm ci (wrangler $(sed -n 's/.*"wrangler": "\(.*\)".*/\1/p' "$HERE/package.json"))"
# .ci/run installs once before the tests start (they use the same wrangler): TENANTCHECK_NPM_READY=1.
if [ "${TENANTCHECK_NPM_READY:-0}" != 1 ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

start_worker() {  # $1: flaws ("" for the correct Worker); sets PORT and WORKER_PGID
  PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  rm -rf "$HERE/.wrangler/tenantcheck"   # a fresh D1 and KV for every run
  WORKER_LOG="$WORK/wrangler-${1:-correct}.log"
  local log="$WORKER_LOG"
  # setsid: wrangler, its node child and workerd form one process group, stopped together by its id
  cd "$HERE"
  setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to .wrangler/tenantcheck \
      --var "ADMIN_TOKEN:$TENANTCHECK_WORKERS_ADMIN_TOKEN" --var "FLAWS:$1" </dev/null >"$log" 2>&1 &
  WORKER_PGID=$!
  cd "$ROOT"
  for _ in $(seq 120); do
    if curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$WORKER_PGID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "wrangler dev did not become ready on 127.0.0.1:$PORT; its log:"; tail -40 "$log"
  return 1
}

worker_errors() {  # what the Worker itself logged about its failures (a 500 is its bug, not the harness's)
  echo "-- errors in the wrangler dev log:"
  grep -v '^\[wrangler:info\]' "$WORKER_LOG" | grep -i -A8 'error' | head -60 || echo "(none)"
}

FAILED=0
run_catalog() {  # $1: flaw ("" = correct); runs the catalog and checks the verdict
  local flaw="$1" name="${1:-correct}" run_id code expected=""
  [ -n "$flaw" ] && expected="${EXPECTED[$flaw]}"
  run_id="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(4))')"
  local started=$SECONDS
  set +e
  (cd "$ROOT" && "$TENANTCHECK" run --env workers-local --base-url "http://127.0.0.1:$PORT" \
      --report-dir "$WORK/reports" --run-id "$run_id" -q \
      >"$WORK/run-$name.log" 2>&1)
  code=$?
  set -e
  "$PYTHON" - "$WORK/reports/$run_id/isolation-report.json" "$flaw" "$expected" "$code" \
      "$((SECONDS - started))" <<'PY' || { FAILED=1; tail -30 "$WORK/run-$name.log"; worker_errors; }
import json, sys
path, flaw, expected, code, took = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
try:
    doc = json.load(open(path))
except OSError:
    sys.exit(f"FAIL {flaw or 'correct'}: no report (exit {code})")
cases = sorted({f["case"] for f in doc["findings"]})
oracles = {f["oracle"] for f in doc["findings"]}
undecided = [c["check"] for c in doc["checks"] if c["verdict"] == "inconclusive"]
if not flaw:
    ok = code == 0 and not cases and not undecided
    print(f"{'ok  ' if ok else 'FAIL'} correct worker: exit {code}, findings in {cases or 'none'}, "
          f"{len(undecided)} inconclusive {undecided[:3]} ({took}s)")
else:
    caught = expected in cases or (expected == "canary" and "canary" in oracles)
    ok = code == 1 and caught
    print(f"{'ok  ' if ok else 'FAIL'} {flaw}: exit {code}, expected {expected}, findings in {cases} ({took}s)")
sys.exit(0 if ok else 1)
PY
}

for flaw in "" "${FLAWS[@]}"; do
  if [ -n "$flaw" ] && [ -z "${EXPECTED[$flaw]+set}" ]; then echo "unknown flaw $flaw"; FAILED=1; continue; fi
  start_worker "$flaw" || { FAILED=1; stop_worker; continue; }
  run_catalog "$flaw"
  stop_worker
done
[ "$FAILED" -eq 0 ] && echo "workers target: correct Worker isolated, every flaw caught" || echo "workers target: FAILED"
exit "$FAILED"
