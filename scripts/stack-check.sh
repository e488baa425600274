#!/usr/bin/env bash
# Checks the README's first command: ./scripts/start.sh brings up the whole stack
# (PostgreSQL, Redis, RabbitMQ, cloudtask-api, cloudtask-worker) until it is ready, the
# `cloudtask` CLI registers, starts a job and reads its output, ./scripts/stop.sh stops every process, and a
# second start keeps the data. Uses its own data directory and ports.
set -euo pipefail
cd "$(dirname "$0")/.."

export CLOUDTASK_DATA_DIR
CLOUDTASK_DATA_DIR=$(mktemp -d /tmp/cloudtask-stack.XXXXXX)
export CLOUDTASK_STACK_PG_PORT=55442 CLOUDTASK_STACK_REDIS_PORT=56390 CLOUDTASK_STACK_AMQP_PORT=35712
export CLOUDTASK_HTTP_PORT=18479 CLOUDTASK_STACK_WORKER_METRICS_PORT=19474
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

# The CLI, as a newcomer would use it.
export CLOUDTASK_SERVER=$B CLOUDTASK_CONFIG_DIR="$CLOUDTASK_DATA_DIR/cli" CLOUDTASK_PASSWORD="correct horse"
cli() { .build/debug/cloudtask "$@"; }
cli register --email stack@example.com >/dev/null || fail "cloudtask register"
STARTED=$(cli start echo "Hello World") || fail "cloudtask start"
case "$STARTED" in "Job started with ID "*) ;; *) fail "cloudtask start said: $STARTED" ;; esac
JOB=${STARTED##* }
[ "$(cli run --wait echo "Hello World")" = "Hello World" ] || fail "cloudtask run --wait"
for _ in $(seq 1 100); do cli status "$JOB" | grep -q succeeded && break; sleep 0.2; done
[ "$(cli output "$JOB")" = "Hello World" ] || fail "cloudtask output"

# Running means answering: a second start leaves a healthy stack alone, and restarts
# a stack whose API died (its pid file still there).
./scripts/start.sh > "$CLOUDTASK_DATA_DIR/start.out" 2>&1 || fail "start.sh on a running stack"
grep -q "already running" "$CLOUDTASK_DATA_DIR/start.out" || fail "start.sh on a running stack did not say so"
kill -9 "$(cat "$CLOUDTASK_DATA_DIR/run/api.pid")"
sleep 0.5
./scripts/start.sh > "$CLOUDTASK_DATA_DIR/start.out" 2>&1 || { cat "$CLOUDTASK_DATA_DIR/start.out"; fail "start.sh after the API died"; }
grep -q "already running" "$CLOUDTASK_DATA_DIR/start.out" && fail "start.sh said 'already running' with the API dead"
grep -q "restarting it" "$CLOUDTASK_DATA_DIR/start.out" || fail "start.sh did not say it restarts what died"
curl -fsS "$B/health/ready" | grep -q '"status":"ok"' || fail "not ready after start.sh restarted the API"
cli status "$JOB" | grep -q "succeeded" || fail "the job (or the session) did not survive restarting the API"

API_PID=$(cat "$CLOUDTASK_DATA_DIR/run/api.pid")
WORKER_PID=$(cat "$CLOUDTASK_DATA_DIR/run/worker.pid")
./scripts/stop.sh >/dev/null || fail "stop.sh"
! kill -0 "$API_PID" 2>/dev/null || fail "the API still runs after stop.sh"
! kill -0 "$WORKER_PID" 2>/dev/null || fail "the worker still runs after stop.sh"
! curl -fsS "$B/health/live" >/dev/null 2>&1 || fail "something still answers after stop.sh"

./scripts/start.sh > "$CLOUDTASK_DATA_DIR/start.out" 2>&1 || { cat "$CLOUDTASK_DATA_DIR/start.out"; fail "second start.sh"; }
cli status "$JOB" | grep -q "succeeded" || fail "the job (or the session) did not survive a restart"
echo "stack: start.sh → ready; the CLI registered, started a job and read its output; a start on a running stack left it alone, one after the API died restarted it; stop.sh stopped every process; a second start kept the data"
