#!/usr/bin/env bash
# Checks what a Redis outage does to a serving `cloudtask-api --single-node` with
# CLOUDTASK_REDIS_URL set: logins, job reads and profile reads keep answering, rate
# limits fall back to the process (counted in a metric), a logout during the outage
# still takes effect (the session store decides), readiness stays 200 and names Redis;
# when Redis returns — empty — the denylist is refilled from PostgreSQL and limits are
# shared again, by themselves. Runs a PostgreSQL and a Redis of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/api.sh

PG_PORT=${OUTAGE_PG_PORT:-54349}
REDIS_PORT=${OUTAGE_REDIS_PORT:-56389}
API_PORT=${OUTAGE_API_PORT:-18449}
DIR=$(mktemp -d /tmp/cloudtask-redis-outage.XXXXXX)
LOG="$DIR/api.log"
API=""
cleanup() {
  [ -n "$API" ] && kill "$API" 2>/dev/null && wait "$API" 2>/dev/null || true
  redis_stop "$DIR/redis"
  postgres_stop "$DIR"
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "redis outage: FAILED: $*"; tail -20 "$LOG" 2>/dev/null || true; exit 1; }

postgres_start "$DIR" "$PG_PORT"
redis_start "$DIR/redis" "$REDIS_PORT"
export CLOUDTASK_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export CLOUDTASK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
api_settings "$API_PORT"
api_start "$LOG" --single-node

json() { curl -fsS -H 'Content-Type: application/json' "$@"; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
login() { json -X POST "$B/api/v1/auth/login" -d '{"email":"redis@example.com","password":"correct horse"}'; }

TOKEN=$(json -X POST "$B/api/v1/auth/register" -d '{"email":"redis@example.com","password":"correct horse"}' | field access_token)
JOB=$(json -X POST "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN" -d '{"command":"echo","args":["hello"]}' | field id)
for _ in $(seq 1 100); do
  curl -fsS "$B/api/v1/jobs/$JOB" -H "Authorization: Bearer $TOKEN" | grep -q '"status":"succeeded"' && break
  sleep 0.1
done
curl -fsS "$B/api/v1/jobs/$JOB" -H "Authorization: Bearer $TOKEN" | grep -q '"status":"succeeded"' || fail "the job did not succeed"
SECOND=$(login | field access_token)
curl -fsS "$B/health/ready" | grep -q '"redis":"ok"' || fail "readiness before the outage"
[ -n "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'cloudtask:rate:*')" ] || fail "limits are not counted in Redis"

echo "   stopping Redis"
redis_stop "$DIR/redis"
login | grep -q '"access_token"' || fail "login while Redis is down"
curl -fsS "$B/api/v1/jobs/$JOB" -H "Authorization: Bearer $TOKEN" | grep -q '"status":"succeeded"' || fail "job read while Redis is down"
curl -fsS "$B/api/v1/users/me" -H "Authorization: Bearer $TOKEN" | grep -q '"redis@example.com"' || fail "profile while Redis is down"
curl -fsS -D - -o /dev/null "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN" | grep -qi '^ratelimit-remaining:' \
  || fail "per-process limits must still send their headers"
[ "$(status "$B/health/ready")" = 200 ] || fail "readiness must stay 200 while Redis is down"
curl -fsS "$B/health/ready" | grep -q '"redis":"down"' || fail "readiness must name Redis"
curl -fsS "$B/health/ready" | grep -q '"status":"degraded"' || fail "readiness must say degraded"
[ "$(status -X POST "$B/api/v1/auth/logout" -H "Authorization: Bearer $SECOND")" = 204 ] || fail "logout while Redis is down"
[ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $SECOND")" = 401 ] || fail "a token logged out during the outage must be refused"
FALLBACKS=$(curl -fsS "$B/metrics" | awk '/^cloudtask_rate_limit_fallbacks_total/ {print $2}')
[ "${FALLBACKS%.*}" -gt 0 ] 2>/dev/null || fail "the fallback metric must count (got '${FALLBACKS}')"

echo "   starting Redis again (empty)"
redis_start "$DIR/redis" "$REDIS_PORT"
for second in $(seq 1 60); do
  if curl -fsS "$B/health/ready" | grep -q '"redis":"ok"' \
     && [ -n "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'cloudtask:revoked:sid:*')" ]; then
    [ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $SECOND")" = 401 ] || fail "the revoked token passed after recovery"
    [ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN")" = 200 ] || fail "a valid token after recovery"
    [ -n "$(redis-cli -p "$REDIS_PORT" --scan --pattern 'cloudtask:rate:*')" ] || fail "limits are not shared again"
    echo "redis outage: served throughout (fallbacks counted: ${FALLBACKS%.*}); denylist refilled and limits shared ${second}s after Redis returned"
    exit 0
  fi
  sleep 1
done
fail "no recovery within 60 s"
