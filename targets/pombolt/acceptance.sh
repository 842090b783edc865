#!/usr/bin/env bash
# Acceptance run against Pom Bolt's real application (not part of CI: it needs the Pom Bolt source and,
# the first time for a commit, about 4 minutes of build). Starts it with ../shared/targets/pombolt/start.sh
# (workerd under `wrangler pages dev`, local D1/KV, 127.0.0.1 only), runs the whole catalog through
# environments/pom-bolt-local.toml, checks the report with targets/pombolt/expect.py (every expected problem
# under the case meant for it, nothing else), prints the problems table and stops the app.
#
#   targets/pombolt/acceptance.sh [tenantcheck run options]      e.g. --concurrency 1, --tenants 3
#
# POMBOLT_GIT: a git dir of Pommon-Dev/pom-bolt (start.sh looks for a .mirror/Pommon-Dev+pom-bolt*/repo in
# its folder's parents when unset); POMBOLT_START: the start script (default ../shared/targets/pombolt/start.sh
# beside this checkout); REPORT_DIR: where the report goes (default reports). Exit 0: as expected.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
START="${POMBOLT_START:-$ROOT/../shared/targets/pombolt/start.sh}"
TENANTCHECK="${TENANTCHECK:-$ROOT/.venv/bin/tenantcheck}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
REPORT_DIR="${REPORT_DIR:-$ROOT/reports}"
[ -x "$START" ] || { echo "acceptance: $START not found (set POMBOLT_START)" >&2; exit 2; }
[ -x "$TENANTCHECK" ] || { echo "acceptance: $TENANTCHECK not found: make venv first" >&2; exit 2; }

work="$(mktemp -d)"
export POMBOLT_STATE="$work/state"
mkdir -p "$POMBOLT_STATE"
log="$work/start.log"
setsid "$START" >"$work/ready" 2>"$log" &
app=$!
stop() {
  kill -TERM -- "-$app" 2>/dev/null || kill -TERM "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

echo "acceptance: starting Pom Bolt (log: $log; the first build of a commit takes minutes)"
deadline=$((SECONDS + ${POMBOLT_READY_TIMEOUT:-900}))
until grep -q '^READY ' "$work/ready" 2>/dev/null; do
  if ! kill -0 "$app" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    echo "acceptance: Pom Bolt did not start; the end of its log:" >&2
    tail -n 30 "$log" >&2
    exit 2
  fi
  sleep 2
done
read -r _ url commit < "$work/ready"
export POMBOLT_URL="$url"
echo "acceptance: Pom Bolt ${commit#commit=} at $url, state $POMBOLT_STATE"

run_id="pombolt-$(date +%s)"
started=$SECONDS
set +e
"$TENANTCHECK" run --env "$ROOT/environments/pom-bolt-local.toml" --run-id "$run_id" --report-dir "$REPORT_DIR" -q "$@"
code=$?
set -e
echo "acceptance: tenantcheck exited $code after $((SECONDS - started)) s (1: findings, as expected)"
report="$REPORT_DIR/$run_id/isolation-report.json"
[ -f "$report" ] || { echo "acceptance: no report at $report" >&2; exit 1; }
[ "$code" -eq 1 ] || { echo "acceptance: expected exit 1 (findings), got $code" >&2; exit 1; }
"$PYTHON" "$HERE/expect.py" "$report"
