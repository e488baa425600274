#!/usr/bin/env bash
# The hostile-tenant harness: the real `cloudtask-api` and two `cloudtask-worker`s on a
# PostgreSQL, a Redis and a RabbitMQ of their own; several hostile users for a bounded
# time (HOSTILE_SECONDS, default 60) while one well-behaved user keeps submitting `echo`
# jobs (scripts/hostile/harness.py does the users). It passes when every well-behaved
# job succeeded, the API never restarted, no 5xx was seen, every process's memory stayed
# bounded and every hostile job ended in a final status; it prints the counts.
set -euo pipefail
set +m
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh

PG_PORT=${HOSTILE_PG_PORT:-54379}
REDIS_PORT=${HOSTILE_REDIS_PORT:-56429}
MQ_PORT=${HOSTILE_AMQP_PORT:-35732}
API_PORT=${HOSTILE_API_PORT:-18489}
DIR=$(mktemp -d /tmp/cloudtask-hostile.XXXXXX)
chmod 755 "$DIR"
B="http://127.0.0.1:$API_PORT"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rabbitmq_stop "$DIR/mq" "$MQ_PORT" 2>/dev/null || true
  redis_stop "$DIR/redis" 2>/dev/null || true
  postgres_stop "$DIR/pg" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "hostile: FAILED: $*"
  for log in "$DIR"/*.log; do echo "--- $log"; tail -15 "$log" || true; done
  exit 1
}

postgres_start "$DIR/pg" "$PG_PORT"
redis_start "$DIR/redis" "$REDIS_PORT"
rabbitmq_start "$DIR/mq" "$MQ_PORT"
export CLOUDTASK_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export CLOUDTASK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CLOUDTASK_AMQP_URL="amqp://guest:guest@127.0.0.1:$MQ_PORT/%2f"
export CLOUDTASK_JWT_ACCESS_SECRET=hostile-check-access-secret-0123456789abcdef
export CLOUDTASK_JWT_REFRESH_SECRET=hostile-check-refresh-secret-0123456789abcdef
export CLOUDTASK_HTTP_PORT=$API_PORT CLOUDTASK_BCRYPT_COST=10 CLOUDTASK_LOG_FORMAT=text CLOUDTASK_LOG_LEVEL=warning
# Short heartbeats and write timeout, so that revoked and unread streams end within the run.
export CLOUDTASK_LIVE_HEARTBEAT_SECONDS=2 CLOUDTASK_LIVE_WRITE_TIMEOUT_SECONDS=5 CLOUDTASK_STOP_GRACE_SECONDS=2
# Enough logins for a few users from one address; every other limit as shipped.
export CLOUDTASK_RATE_LIMIT_LOGIN=200/1m CLOUDTASK_RATE_LIMIT_AUTH=200/1m

.build/debug/cloudtask-api migrate >"$DIR/migrate.log" 2>&1 || fail "migrate"
.build/debug/cloudtask-api >"$DIR/api.log" 2>&1 &
API=$!
PIDS+=("$API")
.build/debug/cloudtask-worker --worker-id hostile-a --concurrency 4 --metrics-port 0 >"$DIR/worker-a.log" 2>&1 &
WORKER_A=$!
PIDS+=("$WORKER_A")
.build/debug/cloudtask-worker --worker-id hostile-b --concurrency 4 --metrics-port 0 >"$DIR/worker-b.log" 2>&1 &
WORKER_B=$!
PIDS+=("$WORKER_B")
for _ in $(seq 1 150); do curl -fsS "$B/health/ready" 2>/dev/null | grep -q '"status":"ok"' && break; sleep 0.2; done
curl -fsS "$B/health/ready" | grep -q '"status":"ok"' || fail "the stack did not become ready"

python3 scripts/hostile/harness.py --base "$B" --seconds "${HOSTILE_SECONDS:-60}" \
  --pid "api=$API" --pid "worker-a=$WORKER_A" --pid "worker-b=$WORKER_B" || fail "the harness found a failure (above)"
kill -0 "$API" 2>/dev/null || fail "the API process is gone"
