#!/usr/bin/env bash
# Checks the README's first command: ./scripts/start.sh brings up the whole stack
# (PostgreSQL, Redis, RabbitMQ, cloudtask-api, cloudtask-worker) until it is ready, a
# job runs and its output reads back, ./scripts/stop.sh stops every process, and a
# second start keeps the data. Uses its own data directory and ports.
set -euo pipefail
cd "$(dirname "$0")/.."

export CLOUDTASK_DATA_DIR
CLOUDTASK_DATA_DIR=$(mktemp -d /tmp/cloudtask-stack.XXXXXX)
export CLOUDTASK_STACK_PG_PORT=55442 CLOUDTASK_STACK_REDIS_PORT=56390 CLOUDTASK_STACK_AMQP_PORT=35712
export CLOUDTASK_HTTP_PORT=18479
B="http://127.0.0.1:$CLOUDTASK_HTTP_PORT"
cleanup() {
  ./scripts/stop.sh >/dev/null 2>&1 || true
  rm -rf "$CLOUDTASK_DATA_DIR"
}
trap cleanup EXIT
fail() {
  echo "stack: FAILED: $*"
  tail -10 "$CLOUDTASK_DATA_DIR"/logs/*.log 2>/dev/null || true
  exit 1
}

./scripts/start.sh > "$CLOUDTASK_DATA_DIR/start.out" 2>&1 || { cat "$CLOUDTASK_DATA_DIR/start.out"; fail "start.sh"; }
grep -q "CloudTask is running at $B" "$CLOUDTASK_DATA_DIR/start.out" || fail "start.sh did not say where CloudTask runs"
curl -fsS "$B/health/ready" | grep -q '"status":"ok"' || fail "not ready after start.sh"
[ "$(stat -c %a "$CLOUDTASK_DATA_DIR/secrets.env")" = 600 ] || fail "secrets.env must be 0600"

TOKEN=$(curl -fsS -X POST "$B/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"stack@example.com","password":"correct horse"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
JOB=$(curl -fsS -X POST "$B/api/v1/jobs" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"command":"echo","args":["Hello World"]}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
for _ in $(seq 1 100); do
  curl -fsS "$B/api/v1/jobs/$JOB" -H "Authorization: Bearer $TOKEN" | grep -q '"status":"succeeded"' && break
  sleep 0.2
done
curl -fsS "$B/api/v1/jobs/$JOB/output" -H "Authorization: Bearer $TOKEN" | grep -q '"stdout":"Hello World\\n"' \
  || fail "the job's output"

API_PID=$(cat "$CLOUDTASK_DATA_DIR/run/api.pid")
WORKER_PID=$(cat "$CLOUDTASK_DATA_DIR/run/worker.pid")
./scripts/stop.sh >/dev/null || fail "stop.sh"
! kill -0 "$API_PID" 2>/dev/null || fail "the API still runs after stop.sh"
! kill -0 "$WORKER_PID" 2>/dev/null || fail "the worker still runs after stop.sh"
! curl -fsS "$B/health/live" >/dev/null 2>&1 || fail "something still answers after stop.sh"

./scripts/start.sh > "$CLOUDTASK_DATA_DIR/start.out" 2>&1 || { cat "$CLOUDTASK_DATA_DIR/start.out"; fail "second start.sh"; }
TOKEN=$(curl -fsS -X POST "$B/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"stack@example.com","password":"correct horse"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
curl -fsS "$B/api/v1/jobs/$JOB" -H "Authorization: Bearer $TOKEN" | grep -q '"status":"succeeded"' \
  || fail "the job did not survive a restart"
echo "stack: start.sh → ready, a job ran; stop.sh stopped every process; a second start kept the data"
