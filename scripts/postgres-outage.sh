#!/usr/bin/env bash
# Checks what a PostgreSQL outage does to a serving `cloudtask-api --single-node`:
# requests get 503 problem details and readiness 503 naming PostgreSQL while it is
# down, and the server recovers by itself when it returns. Runs a cluster of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh

PG_PORT=${OUTAGE_PG_PORT:-54339}
API_PORT=${OUTAGE_API_PORT:-18439}
DIR=$(mktemp -d /tmp/cloudtask-outage.XXXXXX)
LOG="$DIR/api.log"
API=""
cleanup() {
  [ -n "$API" ] && kill "$API" 2>/dev/null && wait "$API" 2>/dev/null || true
  postgres_stop "$DIR"
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "postgres outage: FAILED: $*"; tail -20 "$LOG" 2>/dev/null || true; exit 1; }

postgres_start "$DIR" "$PG_PORT"
export CLOUDTASK_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export CLOUDTASK_JWT_ACCESS_SECRET=outage-check-access-secret-0123456789abcdef
export CLOUDTASK_JWT_REFRESH_SECRET=outage-check-refresh-secret-0123456789abcdef
export CLOUDTASK_HTTP_PORT=$API_PORT CLOUDTASK_BCRYPT_COST=10 CLOUDTASK_LOG_FORMAT=text
.build/debug/cloudtask-api migrate >/dev/null 2>&1 || fail "migrate"
.build/debug/cloudtask-api --single-node >"$LOG" 2>&1 &
API=$!
B="http://127.0.0.1:$API_PORT"
for _ in $(seq 1 100); do curl -fsS "$B/health/live" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN=$(curl -fsS -X POST "$B/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"outage@example.com","password":"correct horse"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN")" = 200 ] || fail "before the outage"

postgres_stop "$DIR"
[ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN")" = 503 ] || fail "expected 503 while PostgreSQL is down"
curl -s "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN" | grep -q '"type":"https://cloudtask.dev/problems/service-unavailable"' \
  || fail "expected problem details"
[ "$(status "$B/health/ready")" = 503 ] || fail "expected readiness 503"
curl -s "$B/health/ready" | grep -q '"postgres":"down"' || fail "readiness must name PostgreSQL"

postgres_start "$DIR" "$PG_PORT"
for second in $(seq 1 90); do
  if [ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN")" = 200 ]; then
    [ "$(status "$B/health/ready")" = 200 ] || fail "readiness after recovery"
    echo "postgres outage: 503 while down, recovered ${second}s after PostgreSQL returned"
    exit 0
  fi
  sleep 1
done
fail "no recovery within 90 s"
