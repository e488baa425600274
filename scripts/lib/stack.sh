# Sourced by start.sh and stop.sh: where the local stack keeps its data and listens.
#   stack_paths                  sets STACK_DIR, ports and STACK_URL
#   stack_running                whether the API or worker of a previous start still runs (a process)
#   stack_api_up, stack_worker_up  whether each answers /health/live (what "running" means to start.sh)
#   stack_prepare_directories    creates the directories (reachable by postgres and rabbitmq)
#   stack_secrets                generates the JWT secrets once, mode 0600
#   stack_environment            exports the CLOUDTASK_* settings the processes need

stack_paths() {
  STACK_DIR=${CLOUDTASK_DATA_DIR:-$PWD/.cloudtask}
  STACK_PG_PORT=${CLOUDTASK_STACK_PG_PORT:-55432}
  STACK_REDIS_PORT=${CLOUDTASK_STACK_REDIS_PORT:-56380}
  STACK_AMQP_PORT=${CLOUDTASK_STACK_AMQP_PORT:-35692}
  STACK_HTTP_PORT=${CLOUDTASK_HTTP_PORT:-8080}
  STACK_WORKER_PORT=${CLOUDTASK_STACK_WORKER_METRICS_PORT:-9464}
  STACK_URL="http://127.0.0.1:$STACK_HTTP_PORT"
}

stack_alive() {  # NAME
  [ -f "$STACK_DIR/run/$1.pid" ] && kill -0 "$(cat "$STACK_DIR/run/$1.pid")" 2>/dev/null
}

stack_running() { stack_alive api || stack_alive worker; }

# A process that exists but does not answer is not running: it is restarted.
stack_api_up() { curl -fsS --max-time 3 "$STACK_URL/health/live" >/dev/null 2>&1; }
stack_worker_up() { curl -fsS --max-time 3 "http://127.0.0.1:$STACK_WORKER_PORT/health/live" >/dev/null 2>&1; }

stack_prepare_directories() {
  mkdir -p "$STACK_DIR/postgres" "$STACK_DIR/redis" "$STACK_DIR/rabbitmq" "$STACK_DIR/logs" "$STACK_DIR/run"
  if [ "$(id -u)" -eq 0 ]; then
    # The servers run as their own users (postgres, rabbitmq): every directory above
    # the data must let them through.
    chmod 755 "$STACK_DIR"
    local path=$STACK_DIR
    while [ "$path" != "/" ]; do
      path=$(dirname "$path")
      if ! su postgres -s /bin/sh -c "test -x '$path'" 2>/dev/null; then
        echo "the postgres user cannot enter $path: set CLOUDTASK_DATA_DIR to a directory it can reach (e.g. /var/lib/cloudtask-dev)" >&2
        exit 1
      fi
    done
  fi
}

stack_secrets() {
  local file="$STACK_DIR/secrets.env"
  if [ ! -f "$file" ]; then
    umask 077
    {
      echo "CLOUDTASK_JWT_ACCESS_SECRET=$(openssl rand -base64 48 | tr -d '\n')"
      echo "CLOUDTASK_JWT_REFRESH_SECRET=$(openssl rand -base64 48 | tr -d '\n')"
    } > "$file"
    umask 022
  fi
  # Added by a later release: a checkout whose secrets were made before gets it too.
  if ! grep -q '^CLOUDTASK_MFA_KEY=' "$file"; then
    echo "CLOUDTASK_MFA_KEY=$(openssl rand -base64 48 | tr -d '\n')" >> "$file"
  fi
  chmod 600 "$file"
}

stack_environment() {
  set -a
  # shellcheck disable=SC1091
  . "$STACK_DIR/secrets.env"
  set +a
  export CLOUDTASK_DATABASE_URL="postgres://postgres@127.0.0.1:$STACK_PG_PORT/postgres?sslmode=disable"
  export CLOUDTASK_REDIS_URL="redis://127.0.0.1:$STACK_REDIS_PORT/0"
  export CLOUDTASK_AMQP_URL="amqp://guest:guest@127.0.0.1:$STACK_AMQP_PORT/%2f"
  export CLOUDTASK_HTTP_PORT=$STACK_HTTP_PORT
  export CLOUDTASK_LOG_FORMAT=${CLOUDTASK_LOG_FORMAT:-text}
  # Artifacts and full logs: a directory beside the data, since the API and the worker
  # share this machine's disk (docs/artifacts.md); an S3 URL set by the caller wins.
  export CLOUDTASK_OBJECT_STORE_URL=${CLOUDTASK_OBJECT_STORE_URL:-file://$STACK_DIR/objects}
}
