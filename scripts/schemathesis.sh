#!/usr/bin/env bash
# Runs schemathesis (pinned) against the embedded server and the project's own
# OpenAPI document: every check but positive_data_acceptance, authenticated, with rate
# limits raised. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.build/schemathesis-venv
if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

PORT=${SCHEMATHESIS_PORT:-18480}
BASE="http://127.0.0.1:$PORT"
LOG=$(mktemp)
CLOUDTASK_HTTP_PORT=$PORT CLOUDTASK_BCRYPT_COST=10 CLOUDTASK_LOG_FORMAT=text \
  CLOUDTASK_RATE_LIMIT_LOGIN=60000/1m CLOUDTASK_RATE_LIMIT_AUTH=60000/1m \
  CLOUDTASK_RATE_LIMIT_API=60000/1m CLOUDTASK_RATE_LIMIT_JOBS_CREATE=60000/1m \
  CLOUDTASK_RATE_LIMIT_UPLOADS=60000/1m \
  CLOUDTASK_MAX_UNFINISHED_JOBS=1000000 \
  .build/debug/cloudtask-api --embedded >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do curl -fsS "$BASE/health/live" >/dev/null 2>&1 && break; sleep 0.1; done

TOKEN=$(curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"schemathesis@example.com","password":"correct horse battery"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# Logout ends the session whose token the run uses, so it runs last, on its own. The
# live streams are left out — a watch never ends by itself, and a job's stream (or its
# followed output: getJobOutput with follow=1) lasts as long as the job, for ever for a
# job scheduled far ahead; HTTPTests and scripts/live-check.sh test them instead.
run() {
  "$VENV/bin/st" run "$BASE/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-60}" \
    --workers 1 \
    --no-color "$@"
}
status=0
run --exclude-operation-id logout --exclude-operation-id watchJobs --exclude-operation-id followJobEvents \
  --exclude-operation-id getJobOutput || status=$?
run --include-operation-id logout --phases examples,coverage,fuzzing || status=$?
if [ $status -ne 0 ]; then
  echo "--- server log (last 40 lines)"
  tail -40 "$LOG"
fi
exit $status
