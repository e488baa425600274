#!/usr/bin/env bash
# Checks what a PostgreSQL outage does to a serving API: requests get prompt 503 problem
# details (every one, not only the first: no request waits for a connection for ever)
# and readiness 503 naming PostgreSQL while it is down, and the server recovers by
# itself when it returns. First `cloudtask-api --single-node`, then the multi-instance
# deployment (`cloudtask-api` and `cloudtask-worker` with Redis and RabbitMQ). Runs a
# PostgreSQL cluster, a Redis and a RabbitMQ node of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh
. ./scripts/lib/api.sh

PG_PORT=${OUTAGE_PG_PORT:-54339}
API_PORT=${OUTAGE_API_PORT:-18439}
REDIS_PORT=${OUTAGE_REDIS_PORT:-56419}
MQ_PORT=${OUTAGE_AMQP_PORT:-35722}
DIR=$(mktemp -d /tmp/cloudtask-outage.XXXXXX)
chmod 755 "$DIR"
LOG="$DIR/api.log"
API=""
WORKER=""
cleanup() {
  [ -n "$WORKER" ] && kill "$WORKER" 2>/dev/null && wait "$WORKER" 2>/dev/null || true
  [ -n "$API" ] && kill "$API" 2>/dev/null && wait "$API" 2>/dev/null || true
  rabbitmq_stop "$DIR/mq" "$MQ_PORT" 2>/dev/null || true
  redis_stop "$DIR/redis" 2>/dev/null || true
  postgres_stop "$DIR/pg"
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "postgres outage: FAILED: $*"; tail -20 "$LOG" 2>/dev/null || true; exit 1; }

postgres_start "$DIR/pg" "$PG_PORT"
export CLOUDTASK_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
api_settings "$API_PORT"
api_start "$LOG" --single-node
status() { curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$@"; }
# Every request during the outage answers within 10 s (curl gives up after that: 000).
outage_checks() {  # LABEL TOKEN
  local label=$1 token=$2 code round
  for round in 1 2 3; do
    code=$(status "$B/api/v1/jobs" -H "Authorization: Bearer $token")
    [ "$code" = 503 ] || fail "$label: GET /jobs answered $code while PostgreSQL is down (round $round)"
    code=$(status -X POST "$B/api/v1/jobs" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"command":"echo"}')
    [ "$code" = 503 ] || fail "$label: POST /jobs answered $code while PostgreSQL is down (round $round)"
    code=$(status "$B/api/v1/users/me" -H "Authorization: Bearer $token")
    # The profile may come from the cache (200); what matters is an answer.
    [ "$code" = 503 ] || [ "$code" = 200 ] || fail "$label: GET /users/me answered $code while PostgreSQL is down (round $round)"
  done
  curl -s --max-time 10 "$B/api/v1/jobs" -H "Authorization: Bearer $token" \
    | grep -q '"type":"https://cloudtask.dev/problems/service-unavailable"' || fail "$label: expected problem details"
  [ "$(status "$B/health/ready")" = 503 ] || fail "$label: expected readiness 503"
  curl -s --max-time 10 "$B/health/ready" | grep -q '"postgres":"down"' || fail "$label: readiness must name PostgreSQL"
}
recovery() {  # LABEL TOKEN
  local label=$1 token=$2 second
  for second in $(seq 1 90); do
    if [ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $token")" = 200 ]; then
      [ "$(status "$B/health/ready")" = 200 ] || fail "$label: readiness after recovery"
      echo "postgres outage ($label): prompt 503s while down, recovered ${second}s after PostgreSQL returned"
      return 0
    fi
    sleep 1
  done
  fail "$label: no recovery within 90 s"
}
register() {  # EMAIL
  curl -fsS -X POST "$B/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"correct horse\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}

TOKEN=$(register outage@example.com)
[ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN")" = 200 ] || fail "before the outage"
postgres_stop "$DIR/pg"
outage_checks single-node "$TOKEN"
postgres_start "$DIR/pg" "$PG_PORT"
recovery single-node "$TOKEN"
kill "$API"; wait "$API" 2>/dev/null || true
API=""

# The multi-instance deployment: the stateless API and a worker, on Redis and RabbitMQ.
redis_start "$DIR/redis" "$REDIS_PORT"
rabbitmq_start "$DIR/mq" "$MQ_PORT"
export CLOUDTASK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CLOUDTASK_AMQP_URL="amqp://guest:guest@127.0.0.1:$MQ_PORT/%2f"
api_start "$LOG"
.build/debug/cloudtask-worker --worker-id outage --metrics-port 0 >"$DIR/worker.log" 2>&1 &
WORKER=$!
TOKEN=$(register outage-multi@example.com)
[ "$(status "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN")" = 200 ] || fail "multi-instance: before the outage"
postgres_stop "$DIR/pg"
outage_checks multi-instance "$TOKEN"
postgres_start "$DIR/pg" "$PG_PORT"
recovery multi-instance "$TOKEN"
