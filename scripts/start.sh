#!/usr/bin/env bash
# Starts the whole of CloudTask on this machine, in the background: PostgreSQL, Redis
# and RabbitMQ on loopback (installed from the distribution's packages when missing; no
# systemd needed), with their data under .cloudtask/ in this checkout (or
# $CLOUDTASK_DATA_DIR); then migrates, starts `cloudtask-api` and one
# `cloudtask-worker`, waits until /health/ready is green, and says what to try.
# A second start keeps the data. ./scripts/stop.sh stops it all.
#
#   ./scripts/start.sh              the whole stack
#   ./scripts/start.sh --embedded   just the API and workers in one process, in memory
#
# Settings come from CLOUDTASK_* variables (docs/configuration.md); the JWT secrets are
# generated once into .cloudtask/secrets.env (mode 0600).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.x first (https://www.swift.org/install/linux/)" >&2
  exit 1
fi

if [ "${1:-}" = "--embedded" ]; then
  shift
  swift build --product cloudtask-api && swift build --product cloudtask-box-init
  exec .build/debug/cloudtask-api --embedded "$@"
fi

. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh
. ./scripts/lib/stack.sh

stack_paths
# Running means answering: a pid file of a process that died (or hangs) proves nothing.
if stack_api_up && stack_worker_up; then
  echo "CloudTask is already running: $STACK_URL (./scripts/stop.sh stops it)"
  exit 0
fi
if stack_running || stack_api_up || stack_worker_up; then
  api=down; worker=down
  stack_api_up && api=up
  stack_worker_up && worker=up
  echo "== part of CloudTask is not answering (api: $api, worker: $worker): restarting it"
fi

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -f /usr/include/qrencode.h ] || missing+=(libqrencode-dev)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
postgres_install
redis_install
rabbitmq_install
. ./scripts/lib/ports.sh
reserve_fixed_ports

echo "== building (the first build takes several minutes)"
swift build

# Whatever a previous start left half-running (a crash, a reboot) is stopped first.
./scripts/stop.sh >/dev/null 2>&1 || true
stack_prepare_directories
stack_secrets

echo "== starting PostgreSQL, Redis and RabbitMQ (data in $STACK_DIR)"
postgres_start "$STACK_DIR/postgres" "$STACK_PG_PORT"
redis_start "$STACK_DIR/redis" "$STACK_REDIS_PORT"
rabbitmq_start "$STACK_DIR/rabbitmq" "$STACK_AMQP_PORT"
stack_environment

echo "== migrating"
.build/debug/cloudtask-api migrate >>"$STACK_DIR/logs/migrate.log" 2>&1 \
  || { tail -5 "$STACK_DIR/logs/migrate.log"; exit 1; }

echo "== starting cloudtask-api and cloudtask-worker (logs in $STACK_DIR/logs)"
nohup .build/debug/cloudtask-api >>"$STACK_DIR/logs/api.log" 2>&1 &
echo $! > "$STACK_DIR/run/api.pid"
nohup .build/debug/cloudtask-worker --concurrency 4 --metrics-port "$STACK_WORKER_PORT" >>"$STACK_DIR/logs/worker.log" 2>&1 &
echo $! > "$STACK_DIR/run/worker.pid"

for _ in $(seq 1 120); do
  if curl -fsS "$STACK_URL/health/ready" 2>/dev/null | grep -q '"status":"ok"'; then
    cat <<EOF

CloudTask is running at $STACK_URL (API, one worker, PostgreSQL, Redis, RabbitMQ).
Try it with the command-line client:

  export CLOUDTASK_SERVER=$STACK_URL
  .build/debug/cloudtask register --email me@example.com     # asks for a password
  .build/debug/cloudtask run --wait echo "Hello World"

or with curl:

  B=$STACK_URL/api/v1
  TOKEN=\$(curl -s -X POST \$B/auth/register -H 'Content-Type: application/json' \\
    -d '{"email":"me@example.com","password":"correct horse battery"}' | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  curl -s -X POST \$B/jobs -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
    -d '{"command":"echo","args":["Hello World"]}'

Stop everything with ./scripts/stop.sh (the data stays in $STACK_DIR).
EOF
    exit 0
  fi
  sleep 0.5
done
echo "CloudTask did not become ready within 60 s; the logs:" >&2
tail -5 "$STACK_DIR/logs/api.log" "$STACK_DIR/logs/worker.log" >&2
exit 1
