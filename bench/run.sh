#!/usr/bin/env bash
# The benchmark: one command, figures as JSON lines (BENCHMARKS.md explains each).
#
#   ./bench/run.sh                 CloudTask and the Flask + Celery reference, side by side
#   BENCH_ONLY=cloudtask ./bench/run.sh     CloudTask alone (no Python packages needed)
#   BENCH_SECONDS=10 BENCH_JOBS=2000 BENCH_ROUNDS=1   (the defaults)
#   BENCH_SCENARIOS="B1 B3"        only these (B1 B2 B2API B3 B3IDLE B4 B3x2 B6; B5 and the rest always)
#   BENCH_PERF_DIR=/tmp/perf ./bench/run.sh   also records perf profiles of CloudTask's
#       B1 (the API process) and B3 (the whole machine) there (BENCHMARKS.md reads them)
#   BENCH_TRACING=compare ./bench/run.sh   CloudTask with tracing off ("cloudtask") and on
#       ("traced": spans exported over OTLP to a receiver that only counts), in
#       alternating order in one run, instead of the reference; B1 and B3 unless
#       BENCH_SCENARIOS says otherwise; OTEL_TRACES_SAMPLER(_ARG) in the environment
#       set the traced side's sampler (docs/tracing.md); with BENCH_PERF_DIR, both are
#       profiled (the traced side's files end in -traced)
#
# It installs what is missing (wrk, PostgreSQL, Redis, RabbitMQ, a Python virtualenv for
# the reference), builds CloudTask in release mode, starts PostgreSQL, Redis and RabbitMQ
# afresh in a temporary directory with their durability settings as shipped (fsync and
# synchronous_commit on, durable queues, persistent messages, publisher confirms: the run
# prints them), starts cloudtask-api with rate limits off plus one cloudtask-worker, and
# the reference (gunicorn, 5 gthread workers; Celery, concurrency 4) on the same
# servers. Each scenario runs against both, in alternating order, from separate
# processes on loopback. Everything it started is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh
. ./scripts/lib/otlp.sh

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
JOBS=${BENCH_JOBS:-2000}
ROUNDS=${BENCH_ROUNDS:-1}
# Jobs at once per cloudtask-worker: its default (16 per core) unless set; Celery keeps -c 4, the reference set-up.
CONCURRENCY_FLAG=(); [ -z "${BENCH_CONCURRENCY:-}" ] || CONCURRENCY_FLAG=(--concurrency "$BENCH_CONCURRENCY")
ONLY=${BENCH_ONLY:-}
TRACING=${BENCH_TRACING:-}
if [ "$TRACING" = compare ]; then ONLY=cloudtask; : "${BENCH_SCENARIOS:=B1 B3}"; fi
PG_PORT=55532 REDIS_PORT=56480 AMQP_PORT=35792 OTLP_PORT=56490
CT_PORT=18580 PEER_PORT=18581
CT_URL=http://127.0.0.1:$CT_PORT PEER_URL=http://127.0.0.1:$PEER_PORT
WRK_SCRIPT=$ROOT/bench/wrk/scenario.lua
say() { echo "== $*" >&2; }

# ---- installation and build -------------------------------------------------------
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
[ -z "${BENCH_PERF_DIR:-}" ] || command -v perf >/dev/null 2>&1 || missing+=(linux-perf)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
postgres_install; redis_install; rabbitmq_install
. ./scripts/lib/ports.sh
reserve_fixed_ports
VENV=$ROOT/bench/.venv
if [ ! -x "$VENV/bin/python" ] || ! cmp -s bench/peer/requirements.txt "$VENV/requirements.txt"; then
  say "creating the Python virtualenv for the driver and the reference (bench/.venv)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r bench/peer/requirements.txt
  cp bench/peer/requirements.txt "$VENV/requirements.txt"
fi
PY=$VENV/bin/python
say "building CloudTask (release)"
swift build -c release --product cloudtask-api >&2
swift build -c release --product cloudtask-worker >&2
swift build -c release --product cloudtask-box-init >&2
BIN=$ROOT/.build/release

# ---- servers ----------------------------------------------------------------------
# B6 holds 1,000 connections open against the API (as LimitNOFILE does in deploy/).
ulimit -n 65536 2>/dev/null || true
WORK=$(mktemp -d /tmp/cloudtask-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  [ "$TRACING" != compare ] || otlp_stop "$WORK/otlp"
  rabbitmq_stop "$WORK/rabbitmq" "$AMQP_PORT" || true
  redis_stop "$WORK/redis" || true
  postgres_stop "$WORK/postgres" || true
  rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$WORK/logs"
say "starting PostgreSQL, Redis and RabbitMQ in $WORK"
postgres_start "$WORK/postgres" "$PG_PORT"
redis_start "$WORK/redis" "$REDIS_PORT"
rabbitmq_start "$WORK/rabbitmq" "$AMQP_PORT"
PSQL="$(postgres_bin)/psql -h 127.0.0.1 -p $PG_PORT -U postgres -X -q -t -A"
$PSQL -c "CREATE DATABASE cloudtask" -c "CREATE DATABASE peer" >/dev/null
CT_DSN="postgres://postgres@127.0.0.1:$PG_PORT/cloudtask"
PEER_DSN="postgres://postgres@127.0.0.1:$PG_PORT/peer"

export CLOUDTASK_DATABASE_URL="$CT_DSN?sslmode=disable"
export CLOUDTASK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CLOUDTASK_AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2f"
export CLOUDTASK_HTTP_PORT=$CT_PORT
export CLOUDTASK_JWT_ACCESS_SECRET=$(openssl rand -base64 48 | tr -d '\n')
export CLOUDTASK_JWT_REFRESH_SECRET=$(openssl rand -base64 48 | tr -d '\n')
export CLOUDTASK_RATE_LIMIT_LOGIN=off CLOUDTASK_RATE_LIMIT_AUTH=off CLOUDTASK_RATE_LIMIT_LOGIN_EMAIL=off
export CLOUDTASK_RATE_LIMIT_API=off CLOUDTASK_RATE_LIMIT_JOBS_CREATE=off
# B2 creates tens of thousands of jobs for one user: the per-user cap is a quota, not a
# cost, and is lifted for the benchmark (the reference has none).
export CLOUDTASK_MAX_UNFINISHED_JOBS=1000000
# B6 opens 1,000 streams of one user: lift the per-user and per-process stream caps.
export CLOUDTASK_LIVE_STREAMS_PER_USER=10000 CLOUDTASK_LIVE_STREAMS_PER_PROCESS=100000
export CLOUDTASK_LOG_LEVEL=warning CLOUDTASK_LOG_FORMAT=text
"$BIN/cloudtask-api" migrate >"$WORK/logs/migrate.log" 2>&1 || { cat "$WORK/logs/migrate.log" >&2; exit 1; }

start() {  # LOGNAME COMMAND... — starts a process in the background; its pid in STARTED
  local log=$1; shift
  "$@" >>"$WORK/logs/$log.log" 2>&1 &
  STARTED=$!
  disown "$STARTED"   # stopped by cleanup; no "Killed" notices from the shell
  PIDS+=("$STARTED")
}
start api "$BIN/cloudtask-api"; CT_API_PID=$STARTED
start worker1 "$BIN/cloudtask-worker" "${CONCURRENCY_FLAG[@]}" --metrics-port 19464; CT_WORKER_PIDS=("$STARTED")

$PSQL -d peer -f bench/peer/schema.sql >/dev/null
export PEER_DATABASE_URL=$PEER_DSN PEER_BROKER_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT//"
export PEER_JWT_SECRET=$CLOUDTASK_JWT_ACCESS_SECRET PEER_BCRYPT_COST=12
PEER_WORKER_PIDS=()
if [ "$ONLY" != cloudtask ]; then
  start peer-api "$VENV/bin/gunicorn" --chdir bench/peer -k gthread -w 5 --threads 4 \
    -b 127.0.0.1:$PEER_PORT --log-level warning app:app; PEER_API_PID=$STARTED
  start peer-worker1 "$VENV/bin/celery" --workdir bench/peer -A tasks worker -c 4 -n peer1@%h --loglevel=warning
  PEER_WORKER_PIDS+=("$STARTED")
fi

wait_ready() {  # URL PATH
  for _ in $(seq 1 240); do curl -fsS "$1$2" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "$1 did not answer; logs in $WORK/logs" >&2; tail -20 "$WORK"/logs/*.log >&2; exit 1
}
wait_ready "$CT_URL" /health/ready
[ "$ONLY" = cloudtask ] || wait_ready "$PEER_URL" /health/live
sleep 2  # let the workers connect

# ---- tracing off and on (BENCH_TRACING=compare) -------------------------------------
# One API and one worker run at a time, on the same servers: "cloudtask" untraced, and
# "traced" with every span recorded (the default sampler) and exported to a receiver
# that counts what it gets without decoding it. switch_to restarts them as the other.
RUNNING_AS=cloudtask
if [ "$TRACING" = compare ]; then otlp_start "$WORK/otlp" "$OTLP_PORT" --count-only; fi
switch_to() {  # IMPL
  [ "$TRACING" = compare ] && [ "$1" != "$RUNNING_AS" ] || return 0
  kill "$CT_API_PID" "${CT_WORKER_PIDS[@]}" 2>/dev/null || true
  for pid in "$CT_API_PID" "${CT_WORKER_PIDS[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  local otel=()
  [ "$1" = traced ] && otel=(env "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP_PORT")
  start api "${otel[@]}" "$BIN/cloudtask-api"; CT_API_PID=$STARTED
  start worker1 "${otel[@]}" "$BIN/cloudtask-worker" "${CONCURRENCY_FLAG[@]}" --metrics-port 19464; CT_WORKER_PIDS=("$STARTED")
  wait_ready "$CT_URL" /health/ready
  sleep 2
  RUNNING_AS=$1
}

# ---- what is measured -------------------------------------------------------------
IMPLS=(cloudtask peer); [ "$ONLY" = cloudtask ] && IMPLS=(cloudtask)
[ "$TRACING" = compare ] && IMPLS=(cloudtask traced)
url_of() { [ "$1" = peer ] && echo "$PEER_URL" || echo "$CT_URL"; }
dsn_of() { [ "$1" = peer ] && echo "$PEER_DSN" || echo "$CT_DSN"; }
declare -A TOKEN USER_ID JOB_ID
for impl in "${IMPLS[@]}"; do
  user=$($PY bench/driver.py user --url "$(url_of "$impl")" --email "bench-$impl@example.com")
  TOKEN[$impl]=$($PY -c 'import json,sys;print(json.load(sys.stdin)["token"])' <<<"$user")
  USER_ID[$impl]=$($PY -c 'import json,sys;print(json.load(sys.stdin)["user_id"])' <<<"$user")
  JOB_ID[$impl]=$($PY -c 'import json,sys;print(json.load(sys.stdin)["job_id"])' <<<"$user")
done

signal_workers() {  # IMPL SIGNAL — every worker process of IMPL and its children (Celery's pool)
  local pids=("${CT_WORKER_PIDS[@]}"); [ "$1" != peer ] || pids=("${PEER_WORKER_PIDS[@]}")
  for pid in "${pids[@]}"; do kill -"$2" "$pid" $(pgrep -P "$pid") 2>/dev/null || true; done
}
drain() { for impl in "${IMPLS[@]}"; do $PY bench/driver.py drain --dsn "$(dsn_of "$impl")"; done; }
[ "$TRACING" = compare ] && drain() { $PY bench/driver.py drain --dsn "$CT_DSN"; }
order() {  # ROUND INDEX — the implementations in alternating order
  if [ $(( ($1 + $2) % 2 )) -eq 0 ]; then printf '%s\n' "${IMPLS[@]}"; else printf '%s\n' "${IMPLS[@]}" | tac; fi
}
PERF_DIR=${BENCH_PERF_DIR:-}
[ -z "$PERF_DIR" ] || mkdir -p "$PERF_DIR"
profiled() {  # NAME IMPL COMMAND... — runs COMMAND, under a machine-wide perf record when asked
  local name=$1 impl=$2; shift 2
  if [ -n "$PERF_DIR" ] && [ "$impl" != peer ] && [ "${round:-1}" = 1 ]; then
    local file=$name; [ "$impl" = cloudtask ] || file=$name-$impl
    perf record -q -F 499 -g -a -o "$PERF_DIR/$file.perf" -- "$@" 2>/dev/null
  else
    "$@"
  fi
}
wrk_run() {  # LABEL IMPL PATH METHOD BODY CONNECTIONS
  switch_to "$2"
  BENCH_LABEL=$1 BENCH_IMPL=$2 BENCH_METHOD=$4 BENCH_BODY=$5 BENCH_TOKEN=${TOKEN[$2]} \
    profiled "$1" "$2" wrk -t2 -c"$6" -d"${SECONDS_PER_RUN}s" --latency -s "$WRK_SCRIPT" "$(url_of "$2")$3" | grep '^{'
}
b3() {  # IMPL WORKERS
  switch_to "$1"
  profiled "B3-$2" "$1" $PY bench/driver.py b3 --url "$(url_of "$1")" --token "${TOKEN[$1]}" --user-id "${USER_ID[$1]}" \
    --dsn "$(dsn_of "$1")" --jobs "$JOBS" --impl "$1" --workers "$2"
}

SCENARIOS=${BENCH_SCENARIOS:-B1 B2 B3 B3IDLE B4 B3x2 B6}
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }
for round in $(seq 1 "$ROUNDS"); do
  if want B1; then
    say "round $round: B1 GET /api/v1/jobs/{id}"
    for impl in $(order "$round" 0); do wrk_run B1 "$impl" "/api/v1/jobs/${JOB_ID[$impl]}" GET "" 32; done
  fi
  if want B2; then
    say "round $round: B2 POST /api/v1/jobs"
    for impl in $(order "$round" 1); do
      wrk_run B2 "$impl" /api/v1/jobs POST '{"command":"true"}' 32
      drain
    done
  fi
  if want B2API; then
    # B2 with the worker processes paused: what the API side (API, outbox relay,
    # PostgreSQL, RabbitMQ) can take when the machine is not also running the jobs.
    say "round $round: B2API POST /api/v1/jobs, workers paused"
    for impl in $(order "$round" 1); do
      signal_workers "$impl" STOP
      wrk_run B2API "$impl" /api/v1/jobs POST '{"command":"true"}' 32
      signal_workers "$impl" CONT
      drain
    done
  fi
  if want B3; then
    say "round $round: B3 end to end, one worker process"
    for impl in $(order "$round" 0); do b3 "$impl" 1; drain; done
  fi
  if want B3IDLE; then
    say "round $round: B3 latency when not saturated (a job every 50 ms)"
    for impl in $(order "$round" 1); do
      switch_to "$impl"
      $PY bench/driver.py b3idle --url "$(url_of "$impl")" --token "${TOKEN[$impl]}" --user-id "${USER_ID[$impl]}" \
        --dsn "$(dsn_of "$impl")" --jobs 200 --interval 0.05 --impl "$impl"
    done
  fi
  if want B4; then
    say "round $round: B4 bcrypt isolation"
    for impl in $(order "$round" 0); do
      switch_to "$impl"
      $PY bench/driver.py b4 --url "$(url_of "$impl")" --email "b4-$impl@example.com" \
        --seconds "$SECONDS_PER_RUN" --impl "$impl"
    done
  fi
done

if want B3x2; then
  say "B3 end to end, two worker processes"
  start worker2 "$BIN/cloudtask-worker" "${CONCURRENCY_FLAG[@]}" --metrics-port 19465; CT_WORKER_PIDS+=("$STARTED")
  if [ "$ONLY" != cloudtask ]; then
    start peer-worker2 "$VENV/bin/celery" --workdir bench/peer -A tasks worker -c 4 -n peer2@%h --loglevel=warning
    PEER_WORKER_PIDS+=("$STARTED")
  fi
  sleep 3
  for impl in $(order 1 1); do b3 "$impl" 2; drain; done
fi

if want B6; then
  # CloudTask only: the reference has no live events. Its figure is the API's memory
  # and threads with 1,000 idle /events streams, and Redis's connection count.
  say "B6 1,000 idle live-event subscribers"
  $PY bench/driver.py subscribers --url "$CT_URL" --token "${TOKEN[cloudtask]}" --pid "$CT_API_PID" \
    --redis-port "$REDIS_PORT" --count "${BENCH_SUBSCRIBERS:-1000}"
fi

if [ "$TRACING" = compare ]; then
  echo "{\"otlp_receiver\":$(curl -fsS "http://127.0.0.1:$OTLP_PORT/stats")}"
fi

# ---- memory and durability --------------------------------------------------------
peak_mib() {  # PID... — the sum of the processes' (and their children's) peak resident sets
  local total=0 pid kids
  for pid in "$@"; do
    kids=$(pgrep -P "$pid" || true)
    for p in $pid $kids; do
      total=$(( total + $(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0) ))
    done
  done
  echo $(( total / 1024 ))
}
echo "{\"bench\":\"B5\",\"impl\":\"cloudtask\",\"api_peak_mib\":$(peak_mib "$CT_API_PID"),\"worker_peak_mib\":$(peak_mib "${CT_WORKER_PIDS[0]}"),\"workers_measured\":1}"
if [ "$ONLY" != cloudtask ]; then
  echo "{\"bench\":\"B5\",\"impl\":\"peer\",\"api_peak_mib\":$(peak_mib "$PEER_API_PID"),\"worker_peak_mib\":$(peak_mib "${PEER_WORKER_PIDS[0]}"),\"workers_measured\":1}"
fi

NODE=$(rabbitmq_node "$AMQP_PORT")
queues=$(rabbitmqctl -n "$NODE" -q list_queues name durable 2>/dev/null || true)
durable_queues=$(awk '$2=="true"' <<<"$queues" | wc -l)
# Non-durable queues hold no jobs: each worker's stop-broadcast queue (exclusive), Celery's
# pidbox and event queues.
transient_queues=$(awk '$2=="false" {print $1}' <<<"$queues" | paste -sd, -)
confirm_channels=$(rabbitmqctl -n "$NODE" -q list_channels confirm 2>/dev/null | grep -c true || true)
echo "{\"durability\":{\"fsync\":\"$($PSQL -c 'SHOW fsync')\",\"synchronous_commit\":\"$($PSQL -c 'SHOW synchronous_commit')\",\"wal_sync_method\":\"$($PSQL -c 'SHOW wal_sync_method')\",\"durable_queues\":$durable_queues,\"transient_queues\":\"$transient_queues\",\"channels_in_confirm_mode\":$confirm_channels,\"persistent_messages\":\"delivery_mode 2 (CloudTask: Sources/CRabbitMQ/camqp.c; Celery: its default)\"}}"
echo "{\"machine\":{\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"nproc\":$(nproc),\"mem_gib\":$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo),\"cpu\":\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\"}}"
