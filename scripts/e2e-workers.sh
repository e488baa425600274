#!/usr/bin/env bash
# End-to-end checks of the multi-instance deployment: the real `cloudtask-api` and
# `cloudtask-worker` processes on a PostgreSQL, a Redis and a RabbitMQ of their own.
# This script only starts and stops the servers; the checks are Swift tests
# (Tests/EndToEndTests/DeploymentTests.swift), which drive the processes and read
# their answers as the contract's types. Needs a build (`swift build --build-tests`).
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh
. ./scripts/lib/otlp.sh

PG_PORT=${E2E_PG_PORT:-54369}
REDIS_PORT=${E2E_REDIS_PORT:-56409}
MQ_PORT=${E2E_AMQP_PORT:-35702}
MQ_HTTP=${E2E_AMQP_HTTP_PORT:-35703}
API_PORT=${E2E_API_PORT:-18469}
# In the range reserve_fixed_ports keeps out of outgoing connections' way.
OTLP_PORT=${E2E_OTLP_PORT:-56488}
DIR=$(mktemp -d /tmp/cloudtask-e2e.XXXXXX)
chmod 755 "$DIR"  # the postgres and rabbitmq users reach their directories through it

cleanup() {
  # Whatever the tests started and did not stop (a failed test's processes).
  if [ -f "$DIR/pids" ]; then
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$DIR/pids"
  fi
  rabbitmq_stop "$DIR/mq" "$MQ_PORT"
  otlp_stop "$DIR/otlp"
  redis_stop "$DIR/redis"
  postgres_stop "$DIR/pg"
  rm -rf "$DIR"
}
trap cleanup EXIT

# Each server in a directory of its own: postgres_start hands its directory to the
# postgres user, and RabbitMQ (as the rabbitmq user) must be able to reach its own.
postgres_start "$DIR/pg" "$PG_PORT"
redis_start "$DIR/redis" "$REDIS_PORT"
RABBITMQ_MANAGEMENT_PORT=$MQ_HTTP rabbitmq_start "$DIR/mq" "$MQ_PORT"
# Every process of the deployment traces to it (docs/tracing.md).
otlp_start "$DIR/otlp" "$OTLP_PORT"
export CLOUDTASK_TEST_OTLP_URL="http://127.0.0.1:$OTLP_PORT"

export CLOUDTASK_E2E_DIR="$DIR"
export CLOUDTASK_E2E_API_PORT=$API_PORT
export CLOUDTASK_E2E_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export CLOUDTASK_E2E_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CLOUDTASK_E2E_AMQP_URL="amqp://guest:guest@127.0.0.1:$MQ_PORT/%2f"
export CLOUDTASK_E2E_AMQP_HTTP_PORT=$MQ_HTTP
# The broker-outage check stops and starts RabbitMQ through these.
export CLOUDTASK_E2E_RABBITMQ_STOP=". ./scripts/lib/rabbitmq.sh && rabbitmq_stop '$DIR/mq' $MQ_PORT"
export CLOUDTASK_E2E_RABBITMQ_START=". ./scripts/lib/rabbitmq.sh && RABBITMQ_MANAGEMENT_PORT=$MQ_HTTP rabbitmq_start '$DIR/mq' $MQ_PORT"

if ! swift test --skip-build --filter DeploymentTests 2>&1 | tee "$DIR/swift-test.log" | grep --line-buffered -vE '^(◇|↳)'; then
  echo "e2e: FAILED; the processes' logs:"
  for log in "$DIR"/*.log; do echo "--- $log"; tail -20 "$log" || true; done
  exit 1
fi
grep -qE 'Test run with [1-9][0-9]* tests.* passed' "$DIR/swift-test.log" || { echo "e2e: the suite did not pass"; exit 1; }
grep -oE 'Test run with [0-9]+ tests' "$DIR/swift-test.log" | tail -1 | sed 's/^/e2e: /'
# Every worker has stopped: no job's cgroup may be left behind (docs/isolation.md).
if [ "$(id -u)" -eq 0 ] && [ -d /sys/fs/cgroup/pids ]; then
  left=$(find /sys/fs/cgroup -maxdepth 8 -type d -name 'cloudtask-w*' 2>/dev/null | head -5)
  [ -z "$left" ] || { echo "e2e: job cgroups left behind:"; echo "$left"; exit 1; }
  echo "e2e: no job cgroup left behind"
fi
