#!/usr/bin/env bash
# End-to-end checks of the multi-instance deployment: the real `cloudtask-api` and
# `cloudtask-worker` processes on a PostgreSQL, a Redis and a RabbitMQ of their own.
# Each check prints one line; the first failure stops the script with the logs' tails.
set -euo pipefail
set +m  # no job-control notices when a check kills a worker on purpose
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh

PG_PORT=${E2E_PG_PORT:-54369}
REDIS_PORT=${E2E_REDIS_PORT:-56409}
MQ_PORT=${E2E_AMQP_PORT:-35702}
MQ_HTTP=${E2E_AMQP_HTTP_PORT:-35703}
API_PORT=${E2E_API_PORT:-18469}
DIR=$(mktemp -d /tmp/cloudtask-e2e.XXXXXX)
chmod 755 "$DIR"  # the postgres and rabbitmq users reach their directories through it
B="http://127.0.0.1:$API_PORT"
API=""
WORKERS=()

start_worker() {  # NAME [ARGS…]
  local name=$1; shift
  .build/debug/cloudtask-worker --worker-id "e2e-$name" --shutdown-grace 5 --metrics-port "${METRICS_PORT:-0}" "$@" \
    >>"$DIR/worker-$name.log" 2>&1 &
  WORKERS+=($!)
}
stop_workers() {
  local pid
  for pid in "${WORKERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${WORKERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  WORKERS=()
}
cleanup() {
  stop_workers
  [ -n "$API" ] && kill "$API" 2>/dev/null && wait "$API" 2>/dev/null || true
  rabbitmq_stop "$DIR/mq" "$MQ_PORT"
  redis_stop "$DIR/redis"
  postgres_stop "$DIR/pg"
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "e2e: FAILED: $*"
  echo "--- api log"; tail -15 "$DIR/api.log" 2>/dev/null || true
  for log in "$DIR"/worker-*.log; do echo "--- $log"; tail -15 "$log" || true; done
  exit 1
}
pass() { echo "e2e: ok: $*"; }

# Each server in a directory of its own: postgres_start hands its directory to the
# postgres user, and RabbitMQ (as the rabbitmq user) must be able to reach its own.
postgres_start "$DIR/pg" "$PG_PORT"
redis_start "$DIR/redis" "$REDIS_PORT"
RABBITMQ_MANAGEMENT_PORT=$MQ_HTTP rabbitmq_start "$DIR/mq" "$MQ_PORT"
export CLOUDTASK_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export CLOUDTASK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CLOUDTASK_AMQP_URL="amqp://guest:guest@127.0.0.1:$MQ_PORT/%2f"
export CLOUDTASK_JWT_ACCESS_SECRET=e2e-check-access-secret-0123456789abcdef
export CLOUDTASK_JWT_REFRESH_SECRET=e2e-check-refresh-secret-0123456789abcdef
export CLOUDTASK_HTTP_PORT=$API_PORT CLOUDTASK_BCRYPT_COST=10 CLOUDTASK_LOG_FORMAT=text
export CLOUDTASK_STOP_GRACE_SECONDS=2 CLOUDTASK_RATE_LIMIT_API=off CLOUDTASK_RATE_LIMIT_JOBS_CREATE=off
# pkill lets a job kill its own worker (the worker_lost check); as root, jobs run as
# root here so that it can.
export CLOUDTASK_ALLOWED_COMMANDS=echo,sleep,true,false,sh,pkill
[ "$(id -u)" -ne 0 ] || export CLOUDTASK_JOB_USER=root

.build/debug/cloudtask-api migrate >"$DIR/migrate.log" 2>&1 || fail "migrate"
.build/debug/cloudtask-api >"$DIR/api.log" 2>&1 &
API=$!

for _ in $(seq 1 150); do curl -fsS "$B/health/live" >/dev/null 2>&1 && break; sleep 0.1; done
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
field() { sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/"; }
TOKEN=$(curl -fsS -X POST "$B/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"e2e@example.com","password":"correct horse"}' | field access_token)
auth=(-H "Authorization: Bearer $TOKEN")
CREATED=0  # jobs created, for the metrics check
submit() {  # JSON → job id
  curl -fsS -X POST "$B/api/v1/jobs" "${auth[@]}" -H 'Content-Type: application/json' -d "$1" | field id
}
created() { CREATED=$((CREATED + 1)); }
job() { curl -fsS "$B/api/v1/jobs/$1" "${auth[@]}"; }
job_status() { job "$1" | field status; }
wait_status() {  # ID STATUS SECONDS
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(job_status "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  fail "job $1 is $(job_status "$1"), not $2, after $3 s: $(job "$1")"
}

start_worker a --concurrency 4

# 1. A job runs and its output is recorded.
ID=$(submit '{"command":"echo","args":["hello from a worker"]}')
created
wait_status "$ID" succeeded 20
curl -fsS "$B/api/v1/jobs/$ID/output" "${auth[@]}" | grep -q '"stdout":"hello from a worker\\n"' || fail "output of $ID"
pass "submit → succeeded with its output"

# 2. Stopping a running job: cancelled within 5 s, and its process is gone.
ID=$(submit '{"command":"sleep","args":["60.25"]}')
created
wait_status "$ID" running 20
for _ in $(seq 1 50); do pgrep -f "sleep 60.25" >/dev/null && break; sleep 0.1; done
pgrep -f "sleep 60.25" >/dev/null || fail "the sleep process never appeared"
BEFORE=$SECONDS
[ "$(status -X POST "$B/api/v1/jobs/$ID/stop" "${auth[@]}")" = 202 ] || fail "stop of a running job"
wait_status "$ID" cancelled 5
! pgrep -f "sleep 60.25" >/dev/null || fail "the stopped job's process is still there"
pass "stop a running sleep 60 → cancelled in $((SECONDS - BEFORE)) s, process gone"

# 3. Stopping a scheduled job: it never runs.
RUN_AT=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
ID=$(submit "{\"command\":\"echo\",\"args\":[\"never\"],\"run_at\":\"$RUN_AT\"}")
created
[ "$(job_status "$ID")" = scheduled ] || fail "expected a scheduled job"
[ "$(status -X POST "$B/api/v1/jobs/$ID/stop" "${auth[@]}")" = 200 ] || fail "stop of a scheduled job (expected 200: cancelled at once)"
sleep 5
[ "$(job_status "$ID")" = cancelled ] || fail "the stopped scheduled job is $(job_status "$ID")"
job "$ID" | grep -q '"started_at":null' || fail "the stopped scheduled job ran"
pass "stop a scheduled job → cancelled, never ran"

# 4. A timeout fails the job with code timeout.
ID=$(submit '{"command":"sleep","args":["30"],"timeout_seconds":1}')
created
wait_status "$ID" failed 20
job "$ID" | grep -q '"code":"timeout"' || fail "expected a timeout failure: $(job "$ID")"
pass "timeout → failed/timeout"

# 5. Retries: false with max_attempts 3 runs three times, then fails.
ID=$(submit '{"command":"false","max_attempts":3}')
created
wait_status "$ID" failed 90
job "$ID" | grep -q '"attempts":3' || fail "expected three attempts: $(job "$ID")"
pass "max_attempts 3 on false → three attempts, then failed"

# 6. Two workers share the load.
start_worker b --concurrency 1
sleep 2
IDS=()
for n in 1 2 3 4 5 6; do IDS+=("$(submit "{\"command\":\"sleep\",\"args\":[\"1.$n\"]}")"); created; done
for ID in "${IDS[@]}"; do wait_status "$ID" succeeded 60; done
grep -q "job run finished" "$DIR/worker-b.log" || fail "worker b ran nothing"
pass "two workers share the load (a: $(grep -c 'job run finished' "$DIR/worker-a.log"), b: $(grep -c 'job run finished' "$DIR/worker-b.log") runs so far)"
stop_workers

# 7. A stop sent while the job is being picked up still cancels it.
start_worker a --concurrency 4
ID=$(submit '{"command":"sleep","args":["30.5"]}')
created
status -X POST "$B/api/v1/jobs/$ID/stop" "${auth[@]}" >/dev/null
wait_status "$ID" cancelled 10
sleep 1
! pgrep -f "sleep 30.5" >/dev/null || fail "a job stopped during pick-up kept running"
pass "stop while being picked up → cancelled"

# 7b. SIGTERM: the worker takes no new job, lets the running one finish within its
#     grace period (5 s here), and exits.
ID=$(submit '{"command":"sleep","args":["2.5"]}')
created
wait_status "$ID" running 20
kill -TERM "${WORKERS[0]}"
for _ in $(seq 1 150); do kill -0 "${WORKERS[0]}" 2>/dev/null || break; sleep 0.1; done
! kill -0 "${WORKERS[0]}" 2>/dev/null || fail "the worker did not exit after SIGTERM"
WORKERS=()
grep -q "job run finished attempt=1 job_id=$ID outcome=succeeded" "$DIR/worker-a.log" \
  || fail "the worker did not finish its running job before exiting: $(tail -5 "$DIR/worker-a.log")"
start_worker a --concurrency 4
wait_status "$ID" succeeded 15
job "$ID" | grep -q '"attempts":1' || fail "the job ran again after a graceful shutdown"
pass "SIGTERM → the running job finished within the grace period, then the worker exited"

# 8. Duplicated and stale reports are recorded once.
ID=$(submit '{"command":"echo","args":["once"]}')
created
wait_status "$ID" succeeded 20
publish() {  # ROUTING_KEY JSON
  local payload
  payload=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$2")
  curl -fsS -u guest:guest -X POST "http://127.0.0.1:$MQ_HTTP/api/exchanges/%2f/cloudtask.jobs/publish" \
    -H 'Content-Type: application/json' \
    -d "{\"properties\":{\"delivery_mode\":2,\"content_type\":\"application/json\"},\"routing_key\":\"$1\",\"payload\":$payload,\"payload_encoding\":\"string\"}" \
    | grep -q '"routed":true' || fail "could not publish a raw $1"
}
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
for _ in 1 2; do
  publish job.finished "{\"type\":\"job.finished\",\"version\":1,\"event_id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"occurred_at\":\"$NOW\",\"job_id\":\"$ID\",\"attempt\":1,\"worker_id\":\"impostor\",\"outcome\":\"failed\",\"exit_code\":7,\"failure\":{\"code\":\"nonzero_exit\",\"message\":\"exit 7\"},\"output\":{\"stdout\":\"again\",\"stderr\":\"\",\"stdout_offset\":0,\"stderr_offset\":0,\"truncated\":false}}"
  publish job.output "{\"type\":\"job.output\",\"version\":1,\"event_id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"occurred_at\":\"$NOW\",\"job_id\":\"$ID\",\"attempt\":1,\"worker_id\":\"impostor\",\"output\":{\"stdout\":\"extra\",\"stderr\":\"\",\"stdout_offset\":5,\"stderr_offset\":0,\"truncated\":false}}"
done
publish job.finished '{"type":"job.finished","version":1,"garbage":true}'
sleep 2
job "$ID" | grep -q '"status":"succeeded"' || fail "a stale report changed the job: $(job "$ID")"
job "$ID" | grep -q '"exit_code":0' || fail "a stale report changed the exit code"
curl -fsS "$B/api/v1/jobs/$ID/output" "${auth[@]}" | grep -q '"stdout":"once\\n"' || fail "a stale report changed the output"
pass "duplicated, stale and malformed reports → recorded once (the malformed one dead-lettered)"

# 9. RabbitMQ down while jobs are submitted: every one 201, readiness degraded, and
#    every job completes once RabbitMQ is back.
rabbitmq_stop "$DIR/mq" "$MQ_PORT"
IDS=()
for n in 1 2 3 4 5; do
  CODE=$(curl -s -o "$DIR/created.json" -w '%{http_code}' -X POST "$B/api/v1/jobs" "${auth[@]}" \
    -H 'Content-Type: application/json' -d "{\"command\":\"echo\",\"args\":[\"queued $n\"]}")
  [ "$CODE" = 201 ] || fail "job submission while RabbitMQ is down answered $CODE"
  created
  IDS+=("$(field id < "$DIR/created.json")")
done
[ "$(status "$B/health/ready")" = 200 ] || fail "readiness must stay 200 while RabbitMQ is down"
curl -fsS "$B/health/ready" | grep -q '"rabbitmq":"down"' || fail "readiness must name RabbitMQ: $(curl -s "$B/health/ready")"
RABBITMQ_MANAGEMENT_PORT=$MQ_HTTP rabbitmq_start "$DIR/mq" "$MQ_PORT"
BEFORE=$SECONDS
for ID in "${IDS[@]}"; do wait_status "$ID" succeeded 90; done
pass "RabbitMQ down: 5 × 201, readiness degraded; all succeeded $((SECONDS - BEFORE)) s after it returned"

# 10. kill -9 of a worker during a job: its program dies too, and the job still
#     finishes on a restarted worker.
ID=$(submit '{"command":"sleep","args":["3.75"]}')
created
wait_status "$ID" running 30
for _ in $(seq 1 50); do pgrep -f "sleep 3.75" >/dev/null && break; sleep 0.1; done
kill -9 "${WORKERS[0]}"
wait "${WORKERS[0]}" 2>/dev/null || true
WORKERS=()
sleep 0.5
! pgrep -f "sleep 3.75" >/dev/null || fail "the killed worker's program survived it"
start_worker a2 --concurrency 4
wait_status "$ID" succeeded 60
pass "kill -9 of a worker mid-job → its program died; the job succeeded on a restarted worker"

# Metrics: the API counted exactly the jobs created; a worker of its own counts the runs
# it made and the results it recorded.
series() {  # URL NAME [LABEL…] → the value of the one series with all those labels
  local url=$1 name=$2; shift 2
  curl -fsS "$url" | awk -v name="$name" -v labels="$*" '
    index($0, name) == 1 && (substr($0, length(name) + 1, 1) == "{" || substr($0, length(name) + 1, 1) == " ") {
      n = split(labels, wanted, " "); ok = 1
      for (i = 1; i <= n; i++) if (index($0, wanted[i]) == 0) ok = 0
      if (ok) { print $NF + 0; exit }
    }'
}
[ "$(series "$B/metrics" cloudtask_jobs_created_total)" = "$CREATED" ] \
  || fail "cloudtask_jobs_created_total is $(series "$B/metrics" cloudtask_jobs_created_total), expected $CREATED"
[ "$(series "$B/metrics" http_requests_total 'method="POST"' 'route="/api/v1/jobs"' 'status="201"')" = "$CREATED" ] \
  || fail "http_requests_total for POST /api/v1/jobs 201 does not match the $CREATED jobs created"
stop_workers
METRICS_PORT=$((API_PORT + 1)) start_worker metrics --concurrency 2
W="http://127.0.0.1:$((API_PORT + 1))"
for _ in $(seq 1 100); do curl -fsS "$W/health/ready" 2>/dev/null | grep -q '"status":"ok"' && break; sleep 0.1; done
curl -fsS "$W/health/ready" | grep -q '"status":"ok"' || fail "the worker's readiness: $(curl -s "$W/health/ready")"
A=$(submit '{"command":"echo","args":["metered 1"]}'); created
C=$(submit '{"command":"echo","args":["metered 2"]}'); created
wait_status "$A" succeeded 20
wait_status "$C" succeeded 20
sleep 1
[ "$(series "$W/metrics" cloudtask_jobs_finished_total 'status="succeeded"')" = 2 ] || fail "the worker's finished count: $(curl -s "$W/metrics" | grep jobs_finished)"
[ "$(series "$W/metrics" cloudtask_job_run_seconds_count)" = 2 ] || fail "the worker's run count: $(curl -s "$W/metrics" | grep job_run_seconds_count)"
[ "$(series "$W/metrics" cloudtask_worker_jobs_in_flight)" = 0 ] || fail "jobs in flight after all finished"
[ "$(series "$B/metrics" cloudtask_jobs_created_total)" = "$CREATED" ] || fail "cloudtask_jobs_created_total after the last jobs"
# Five wrong passwords are allowed (401), the sixth login is refused by the limit (429).
for n in 1 2 3 4 5 6; do
  CODE=$(status -X POST "$B/api/v1/auth/login" -H 'Content-Type: application/json' -d '{"email":"e2e@example.com","password":"wrong password"}')
  [ "$CODE" = "$([ $n -le 5 ] && echo 401 || echo 429)" ] || fail "login $n answered $CODE"
done
[ "$(series "$B/metrics" cloudtask_rate_limit_rejections_total 'policy="login"')" = 1 ] || fail "the rate-limit rejection was not counted"
[ "$(series "$B/metrics" http_requests_total 'route="/api/v1/auth/login"' 'status="429"')" = 1 ] || fail "the 429 was not counted"
for name in http_request_duration_seconds_count cloudtask_cache_requests_total cloudtask_rate_limit_fallbacks_total \
    cloudtask_outbox_backlog cloudtask_outbox_lag_seconds cloudtask_queue_publish_seconds_count; do
  [ -n "$(series "$B/metrics" "$name")" ] || fail "the API's /metrics lacks $name"
done
[ -n "$(series "$W/metrics" cloudtask_queue_publish_seconds_count 'kind="report"')" ] || fail "the worker's /metrics lacks report publish times"
pass "metrics: $CREATED jobs created counted by the API, one 429 counted; the worker counted 2 runs and 2 successes, none in flight"

# 11. A job that kills its worker every time fails worker_lost instead of looping.
stop_workers
ID=$(submit '{"command":"pkill","args":["-9","-f","worker-id e2e-victim"]}')
created
for round in 1 2 3 4 5 6 7 8; do
  start_worker victim --concurrency 1
  for _ in $(seq 1 100); do
    kill -0 "${WORKERS[0]}" 2>/dev/null || break
    [ "$(job_status "$ID")" = failed ] && break
    sleep 0.1
  done
  [ "$(job_status "$ID")" = failed ] && break
  stop_workers  # dead already, or (having skipped the job) alive: stop it either way
done
stop_workers
# The victims died before recording every report they sent: a results processor alone
# (no executor: it would run the job) catches up.
start_worker results --role results
wait_status "$ID" failed 20
stop_workers
job "$ID" | grep -q '"code":"worker_lost"' || fail "expected worker_lost: $(job "$ID")"
pass "a job that kills its worker → failed/worker_lost after $round worker starts"

echo "e2e: all checks passed"
