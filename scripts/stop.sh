#!/usr/bin/env bash
# Stops what ./scripts/start.sh started: the worker (SIGTERM: running jobs get their
# grace period), the API, then RabbitMQ, Redis and PostgreSQL. The data stays.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/lib/postgres.sh
. ./scripts/lib/redis.sh
. ./scripts/lib/rabbitmq.sh
. ./scripts/lib/stack.sh
stack_paths

stop_process() {  # NAME
  local file="$STACK_DIR/run/$1.pid" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "stopped cloudtask-$1"
  fi
  rm -f "$file"
}

stop_process worker
stop_process api
rabbitmq_stop "$STACK_DIR/rabbitmq" "$STACK_AMQP_PORT" && echo "stopped RabbitMQ"
redis_stop "$STACK_DIR/redis" && echo "stopped Redis"
postgres_stop "$STACK_DIR/postgres" && echo "stopped PostgreSQL"
